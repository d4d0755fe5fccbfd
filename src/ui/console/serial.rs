//! The Serial Console tab: a VTE terminal over `virDomainOpenConsole`, for guests with a
//! pty-backed `<serial>` or `<console>`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;
use vte4::prelude::*;

use crate::backend::console::SerialConsole;
use crate::i18n::gettext;
use crate::model::{Connection, Vm};

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct SerialPage {
        pub stack: gtk::Stack,
        pub terminal: vte4::Terminal,
        pub message: adw::StatusPage,
        /// The machine shown (its connection is `Connection::of` it).
        pub vm: RefCell<Option<Vm>>,
        pub vm_handler: RefCell<Option<glib::SignalHandlerId>>,
        pub console: RefCell<Option<Rc<SerialConsole>>>,
        pub attempt: Cell<u64>,
        /// Bytes received from the guest (for tests).
        pub received: RefCell<Vec<u8>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for SerialPage {
        const NAME: &'static str = "HangarSerialPage";
        type Type = super::SerialPage;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for SerialPage {
        vm_property!();

        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
        fn dispose(&self) {
            self.console.replace(None);
        }
    }
    impl WidgetImpl for SerialPage {
        fn map(&self) {
            self.parent_map();
            self.obj().ensure_open();
        }
    }
    impl BoxImpl for SerialPage {}
}

glib::wrapper! {
    pub struct SerialPage(ObjectSubclass<imp::SerialPage>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for SerialPage {
    fn default() -> Self {
        glib::Object::builder()
            .property("orientation", gtk::Orientation::Vertical)
            .build()
    }
}

impl SerialPage {
    pub fn new() -> SerialPage {
        SerialPage::default()
    }

    fn build(&self) {
        let imp = self.imp();
        imp.terminal.set_vexpand(true);
        imp.terminal.set_hexpand(true);
        imp.terminal.set_scrollback_lines(10_000);
        imp.terminal
            .update_property(&[gtk::accessible::Property::Label(&gettext("Serial Console"))]);
        let this = self.downgrade();
        imp.terminal.connect_commit(move |_, text, _| {
            if let Some(this) = this.upgrade() {
                if let Some(c) = this.imp().console.borrow().as_ref() {
                    c.write(text.as_bytes());
                }
            }
        });
        let scrolled = gtk::ScrolledWindow::builder()
            .child(&imp.terminal)
            .vexpand(true)
            .build();
        imp.stack.add_named(&scrolled, Some("terminal"));
        imp.message
            .set_icon_name(Some("utilities-terminal-symbolic"));
        imp.message.set_vexpand(true);
        imp.stack.add_named(&imp.message, Some("message"));
        imp.stack.set_vexpand(true);
        self.append(&imp.stack);
        self.show_message(&gettext("No Virtual Machine"), None);
    }

    fn show_message(&self, title: &str, desc: Option<&str>) {
        let imp = self.imp();
        imp.message.set_title(title);
        imp.message.set_description(desc);
        imp.stack.set_visible_child_name("message");
    }

    /// What the guest wrote so far, as text (for tests).
    pub fn received_text(&self) -> String {
        String::from_utf8_lossy(&self.imp().received.borrow()).into_owned()
    }

    pub fn terminal(&self) -> &vte4::Terminal {
        &self.imp().terminal
    }

    /// The machine shown and its connection.
    pub fn current(&self) -> Option<(Connection, Vm)> {
        let vm = self.imp().vm.borrow().clone()?;
        Some((Connection::of(&vm)?, vm))
    }

    pub fn is_open(&self) -> bool {
        self.imp().console.borrow().is_some()
    }

    pub fn set_vm(&self, vm: Option<&Vm>) {
        let imp = self.imp();
        if imp.vm.borrow().as_ref() == vm {
            return;
        }
        if let Some(old) = imp.vm.take() {
            if let Some(h) = imp.vm_handler.take() {
                old.disconnect(h);
            }
        }
        self.close();
        self.notify("vm");
        let Some(vm) = vm else {
            self.show_message(&gettext("No Virtual Machine"), None);
            return;
        };
        imp.vm.replace(Some(vm.clone()));
        let this = self.downgrade();
        let h = vm.connect_notify_local(Some("state"), move |_, _| {
            if let Some(this) = this.upgrade() {
                this.ensure_open();
            }
        });
        imp.vm_handler.replace(Some(h));
        imp.terminal.reset(true, true);
        self.ensure_open();
    }

    fn close(&self) {
        let imp = self.imp();
        imp.attempt.set(imp.attempt.get() + 1);
        imp.console.replace(None);
        imp.received.borrow_mut().clear();
    }

    /// Open the console if the guest runs and the page is on screen.
    pub fn ensure_open(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = imp.obj().current() else {
            return;
        };
        if !vm.domain_state().is_active() {
            self.close();
            self.show_message(&gettext("The Virtual Machine Is Not Running"), None);
            return;
        }
        if !self.is_mapped() || imp.console.borrow().is_some() {
            return;
        }
        let attempt = imp.attempt.get() + 1;
        imp.attempt.set(attempt);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let devices = conn.backend().console_devices(vm.uuid()).await;
            let Some(this) = this.upgrade() else { return };
            if this.imp().attempt.get() != attempt {
                return;
            }
            let name = match devices {
                Ok(d) if d.text.is_empty() => {
                    this.show_message(
                        &gettext("No Serial Console"),
                        Some(&gettext(
                            "This virtual machine has no serial or console device.",
                        )),
                    );
                    return;
                }
                Ok(d) => d.text.first().cloned(),
                Err(e) => {
                    this.show_message(
                        &gettext("The Serial Console Is Not Available"),
                        Some(&e.summary()),
                    );
                    return;
                }
            };
            let opened = conn.backend().open_console(vm.uuid(), name).await;
            if this.imp().attempt.get() != attempt {
                return;
            }
            match opened {
                Ok(c) => this.attach(Rc::new(c), attempt),
                Err(e) => this.show_message(
                    &gettext("The Serial Console Is Not Available"),
                    Some(&e.summary()),
                ),
            }
        });
    }

    fn attach(&self, console: Rc<SerialConsole>, attempt: u64) {
        let imp = self.imp();
        imp.console.replace(Some(console.clone()));
        imp.stack.set_visible_child_name("terminal");
        imp.terminal.grab_focus();
        let output = console.output.clone();
        drop(console);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            while let Ok(chunk) = output.recv().await {
                let Some(this) = this.upgrade() else { return };
                let imp = this.imp();
                if imp.attempt.get() != attempt {
                    return;
                }
                match chunk {
                    Ok(bytes) => {
                        imp.terminal.feed(&bytes);
                        let mut r = imp.received.borrow_mut();
                        r.extend_from_slice(&bytes);
                        // Keep the last 64 KiB only.
                        if r.len() > 65536 {
                            let cut = r.len() - 65536;
                            r.drain(..cut);
                        }
                    }
                    Err(e) => {
                        tracing::debug!("serial console ended: {e}");
                    }
                }
            }
            // The stream ended (guest stopped, console taken by someone else).
            let Some(this) = this.upgrade() else { return };
            let imp = this.imp();
            if imp.attempt.get() == attempt {
                imp.console.replace(None);
                let msg = gettext("\r\n[The serial console closed.]\r\n");
                imp.terminal.feed(msg.as_bytes());
            }
        });
    }
}
