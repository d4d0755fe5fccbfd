//! The bar above a machine's pages while it waits for Begin Installation (made with
//! "Customize the hardware before the first start"): the person changes its hardware,
//! then starts the installation from here — or discards the machine and the volumes
//! made for it.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use crate::backend::create::begin::{made_volumes, waits_for_install};
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Vm};
use crate::ui::vm::edits::rewatch_config;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct BeginInstallBar {
        pub bar: gtk::InfoBar,
        pub button: gtk::Button,
        pub discard: gtk::Button,
        /// The volumes made for the machine, as its mark lists them.
        pub made: RefCell<Vec<String>>,
        pub vm: RefCell<Option<Vm>>,
        pub watch: RefCell<Option<(Vm, glib::SignalHandlerId)>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for BeginInstallBar {
        const NAME: &'static str = "HangarBeginInstallBar";
        type Type = super::BeginInstallBar;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for BeginInstallBar {
        vm_property!();

        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
    }
    impl WidgetImpl for BeginInstallBar {}
    impl BoxImpl for BeginInstallBar {}
}

glib::wrapper! {
    pub struct BeginInstallBar(ObjectSubclass<imp::BeginInstallBar>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for BeginInstallBar {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl BeginInstallBar {
    pub fn new() -> BeginInstallBar {
        BeginInstallBar::default()
    }

    fn build(&self) {
        let imp = self.imp();
        imp.bar.set_message_type(gtk::MessageType::Info);
        imp.bar.set_revealed(false);
        imp.bar.set_hexpand(true);
        let label = gtk::Label::builder()
            .label(gettext(
                "Change the hardware as you like, then begin the installation from the disc",
            ))
            .wrap(true)
            .xalign(0.0)
            .hexpand(true)
            .build();
        imp.bar.add_child(&label);
        imp.button.set_label(&gettext("_Begin Installation"));
        imp.button.set_use_underline(true);
        imp.button.add_css_class("suggested-action");
        imp.discard.set_label(&gettext("_Discard…"));
        imp.discard.set_use_underline(true);
        imp.discard.set_tooltip_text(Some(&gettext(
            "Delete this machine and the volumes made for it",
        )));
        imp.bar
            .add_action_widget(&imp.discard, gtk::ResponseType::Reject);
        imp.bar
            .add_action_widget(&imp.button, gtk::ResponseType::Accept);
        let this = self.downgrade();
        imp.bar.connect_response(move |_, r| {
            let Some(this) = this.upgrade() else { return };
            if r == gtk::ResponseType::Accept {
                this.begin();
            } else if r == gtk::ResponseType::Reject {
                this.confirm_discard();
            }
        });
        self.append(&imp.bar);
    }

    fn set_vm(&self, vm: Option<&Vm>) {
        let imp = self.imp();
        imp.vm.replace(vm.cloned());
        let this = self.downgrade();
        rewatch_config(&imp.watch, vm, move || {
            if let Some(this) = this.upgrade() {
                this.check();
            }
        });
        self.check();
    }

    /// Shown while the machine's definition carries the install mark.
    fn check(&self) {
        let vm = self.imp().vm.borrow().clone();
        let Some(vm) = vm else {
            self.imp().bar.set_revealed(false);
            return;
        };
        let Some(conn) = Connection::of(&vm) else {
            return;
        };
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().domain_xml(vm.uuid(), true).await;
            let Some(this) = this.upgrade() else { return };
            let still = this.imp().vm.borrow().as_ref() == Some(&vm);
            if still {
                let waits = r.as_ref().is_ok_and(|x| waits_for_install(x));
                this.imp()
                    .made
                    .replace(r.map(|x| made_volumes(&x)).unwrap_or_default());
                this.imp().bar.set_revealed(waits);
            }
        });
    }

    /// Whether the bar offers Begin Installation now.
    pub fn is_offered(&self) -> bool {
        self.imp().bar.is_revealed()
    }

    pub fn button(&self) -> gtk::Button {
        self.imp().button.clone()
    }

    fn begin(&self) {
        let vm = self.imp().vm.borrow().clone();
        let Some(vm) = vm else { return };
        let Some(conn) = Connection::of(&vm) else {
            return;
        };
        self.imp().button.set_sensitive(false);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().begin_installation(vm.uuid()).await;
            let Some(this) = this.upgrade() else { return };
            this.imp().button.set_sensitive(true);
            match r {
                Ok(()) => {
                    this.imp().bar.set_revealed(false);
                    if let Some(page) = this
                        .ancestor(crate::ui::vm::page::VmPage::static_type())
                        .and_downcast::<crate::ui::vm::page::VmPage>()
                    {
                        page.show_page("console");
                    }
                }
                Err(e) => match this.root().and_downcast::<gtk::Window>() {
                    Some(w) => crate::ui::error::show_dialog(
                        &w,
                        &gettext("The installation could not begin"),
                        &e,
                    ),
                    None => tracing::warn!("begin installation: {e}"),
                },
            }
        });
    }

    /// Ask, naming what goes, then discard the machine.
    pub fn confirm_discard(&self) -> Option<adw::MessageDialog> {
        let vm = self.imp().vm.borrow().clone()?;
        let made = self.imp().made.borrow().clone();
        let body = if made.is_empty() {
            gettext("Its definition is deleted. No volume was made for it.")
        } else {
            gettext_f(
                "Its definition is deleted, and the volumes made for it are destroyed: {volumes}. Nothing else is touched.",
                &[("volumes", &made.join(", "))],
            )
        };
        let window = self.root().and_downcast::<gtk::Window>();
        let dialog = adw::MessageDialog::new(
            window.as_ref(),
            Some(&gettext_f("Discard {name}?", &[("name", &vm.name())])),
            Some(&body),
        );
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("discard", &gettext("_Discard"));
        dialog.set_response_appearance("discard", adw::ResponseAppearance::Destructive);
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        let this = self.downgrade();
        dialog.connect_response(None, move |_, r| {
            if r != "discard" {
                return;
            }
            if let Some(this) = this.upgrade() {
                this.discard();
            }
        });
        dialog.present();
        Some(dialog)
    }

    fn discard(&self) {
        let vm = self.imp().vm.borrow().clone();
        let Some(vm) = vm else { return };
        let Some(conn) = Connection::of(&vm) else {
            return;
        };
        self.imp().discard.set_sensitive(false);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().discard_installation(vm.uuid()).await;
            let Some(this) = this.upgrade() else { return };
            this.imp().discard.set_sensitive(true);
            if let Err(e) = r {
                match this.root().and_downcast::<gtk::Window>() {
                    Some(w) => crate::ui::error::show_dialog(
                        &w,
                        &gettext("The machine could not be discarded"),
                        &e,
                    ),
                    None => tracing::warn!("discard installation: {e}"),
                }
            }
        });
    }
}
