//! The XML page of a VM: the domain's persistent XML in GtkSourceView with XML
//! highlighting. Edits are checked as typed (parse errors show under the editor, Apply
//! stays off); Apply first shows a diff of what changes, then defines the domain;
//! libvirt's refusal shows under the editor too.

use std::cell::{Cell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use crate::backend::domain_xml::{line_diff, DiffLine, DomainXml};
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Vm};

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct XmlPage {
        pub view: RefCell<Option<sourceview5::View>>,
        pub error: gtk::Label,
        pub apply: gtk::Button,
        pub revert: gtk::Button,
        /// The machine shown (its connection is `Connection::of` it).
        pub vm: RefCell<Option<Vm>>,
        pub original: RefCell<String>,
        pub applied: RefCell<Vec<Box<dyn Fn()>>>,
        pub loading: Cell<u64>,
        /// A reload is under way (checks for outside changes wait for it).
        pub reloading: Cell<bool>,
        pub syncing: Cell<bool>,
        /// The VM's config-changed handler.
        pub watch: RefCell<Option<(Vm, glib::SignalHandlerId)>>,
        /// XML changed outside Hangar while the editor had edits.
        pub pending: RefCell<Option<String>>,
        pub banner: std::cell::OnceCell<gtk::InfoBar>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for XmlPage {
        const NAME: &'static str = "HangarXmlPage";
        type Type = super::XmlPage;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for XmlPage {
        vm_property!();

        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
    }
    impl WidgetImpl for XmlPage {}
    impl BoxImpl for XmlPage {}
}

glib::wrapper! {
    pub struct XmlPage(ObjectSubclass<imp::XmlPage>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for XmlPage {
    fn default() -> Self {
        glib::Object::builder()
            .property("orientation", gtk::Orientation::Vertical)
            .build()
    }
}

impl XmlPage {
    pub fn new() -> XmlPage {
        XmlPage::default()
    }

    fn build(&self) {
        let imp = self.imp();
        let view = crate::ui::components::xml_view::xml_source_view(&gettext("Domain XML"));
        let buffer = view.buffer();
        let this = self.downgrade();
        buffer.connect_changed(move |_| {
            if let Some(this) = this.upgrade() {
                if !this.imp().syncing.get() {
                    this.check();
                }
            }
        });
        let scroller = gtk::ScrolledWindow::builder()
            .child(&view)
            .vexpand(true)
            .build();
        imp.view.replace(Some(view));

        imp.error.set_xalign(0.0);
        imp.error.set_wrap(true);
        imp.error.set_selectable(true);
        imp.error.add_css_class("error");
        imp.error.set_margin_start(12);
        imp.error.set_margin_end(12);
        imp.error.set_margin_top(6);
        imp.error.set_visible(false);

        imp.revert.set_label(&gettext("Re_vert"));
        imp.revert.set_use_underline(true);
        imp.apply.set_label(&gettext("_Apply…"));
        imp.apply.set_use_underline(true);
        imp.apply.add_css_class("suggested-action");
        imp.apply.set_sensitive(false);
        imp.revert.set_sensitive(false);
        let this = self.downgrade();
        imp.apply.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                this.show_diff();
            }
        });
        let this = self.downgrade();
        imp.revert.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                let o = this.imp().original.borrow().clone();
                this.set_text(&o);
            }
        });
        let bar = gtk::ActionBar::new();
        bar.pack_end(&imp.apply);
        bar.pack_end(&imp.revert);
        let this = self.downgrade();
        let banner = crate::ui::vm::edits::outside_change_banner(move || {
            if let Some(this) = this.upgrade() {
                this.take_outside_change();
            }
        });
        self.append(&banner);
        let _ = imp.banner.set(banner);
        let this = self.downgrade();
        crate::ui::vm::edits::check_while_mapped(self, move || {
            let Some(this) = this.upgrade() else { return };
            let Some((conn, vm)) = this.current() else {
                return;
            };
            if this.imp().original.borrow().is_empty() {
                return;
            }
            let this = this.downgrade();
            glib::spawn_future_local(async move {
                let Ok(xml) = conn.backend().editable_xml(vm.uuid()).await else {
                    return;
                };
                let Some(this) = this.upgrade() else { return };
                let imp = this.imp();
                let is_current = imp.vm.borrow().as_ref() == Some(&vm);
                let pending_same = imp.pending.borrow().as_deref() == Some(xml.as_str());
                if is_current && xml != *imp.original.borrow() && !pending_same {
                    this.outside_change();
                }
            });
        });
        self.append(&scroller);
        self.append(&imp.error);
        self.append(&bar);
    }

    pub fn connect_applied(&self, f: impl Fn() + 'static) {
        self.imp().applied.borrow_mut().push(Box::new(f));
    }

    pub fn view(&self) -> sourceview5::View {
        self.imp().view.borrow().clone().expect("built")
    }

    pub fn apply_button(&self) -> gtk::Button {
        self.imp().apply.clone()
    }

    /// The error shown under the editor ("" when none).
    pub fn error_text(&self) -> String {
        if self.imp().error.is_visible() {
            self.imp().error.label().to_string()
        } else {
            String::new()
        }
    }

    pub fn text(&self) -> String {
        let b = self.view().buffer();
        b.text(&b.start_iter(), &b.end_iter(), false).to_string()
    }

    /// Replace the editor's text, as typing would.
    pub fn set_text(&self, text: &str) {
        self.view().buffer().set_text(text);
    }

    /// Show a document as loaded from libvirt (tests use it without libvirt).
    pub fn load(&self, xml: &str) {
        let imp = self.imp();
        imp.pending.replace(None);
        if let Some(b) = imp.banner.get() {
            b.set_revealed(false);
        }
        imp.original.replace(xml.to_string());
        imp.syncing.set(true);
        self.set_text(xml);
        imp.syncing.set(false);
        self.check();
    }

    /// Show another VM (or none).
    pub fn set_vm(&self, vm: Option<&Vm>) {
        if self.imp().vm.borrow().as_ref() == vm {
            return;
        }
        let imp = self.imp();
        let this = self.downgrade();
        crate::ui::vm::edits::rewatch_config(&imp.watch, vm, move || {
            if let Some(this) = this.upgrade() {
                this.outside_change();
            }
        });
        imp.vm.replace(vm.cloned());
        self.notify("vm");
        self.reload();
    }

    /// The machine shown and its connection.
    pub fn current(&self) -> Option<(Connection, Vm)> {
        let vm = self.imp().vm.borrow().clone()?;
        Some((Connection::of(&vm)?, vm))
    }

    /// Whether there is text not applied yet.
    pub fn is_dirty(&self) -> bool {
        self.text() != *self.imp().original.borrow()
    }

    /// Drop the edits and show the XML changed outside Hangar.
    pub fn take_outside_change(&self) {
        if let Some(xml) = self.imp().pending.take() {
            self.load(&xml);
        }
    }

    /// Whether the page offers to reload XML changed outside Hangar.
    pub fn outside_change_offered(&self) -> bool {
        self.imp().banner.get().is_some_and(|b| b.is_revealed())
    }

    /// libvirt says the domain changed: show the new XML, or, when the editor has
    /// edits, keep them and offer to reload.
    pub fn outside_change(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = imp.obj().current() else {
            return;
        };
        if imp.reloading.get() {
            // The reload under way reads the new definition.
            return;
        }
        let ticket = imp.loading.get();
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().editable_domain(vm.uuid()).await;
            let Some(this) = this.upgrade() else { return };
            if this.imp().reloading.get() || this.imp().loading.get() != ticket {
                return;
            }
            let Ok(e) = r else { return };
            if e.xml == *this.imp().original.borrow() {
                return;
            }
            if this.is_dirty() {
                this.imp().pending.replace(Some(e.xml));
                if let Some(b) = this.imp().banner.get() {
                    b.set_revealed(true);
                }
            } else {
                this.load(&e.xml);
            }
        });
    }

    pub fn reload(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = imp.obj().current() else {
            self.load("");
            return;
        };
        let ticket = imp.loading.get() + 1;
        imp.loading.set(ticket);
        imp.reloading.set(true);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().editable_domain(vm.uuid()).await;
            let Some(this) = this.upgrade() else { return };
            if this.imp().loading.get() != ticket {
                return;
            }
            this.imp().reloading.set(false);
            match r {
                Ok(e) => this.load(&e.xml),
                Err(e) => this.show_error(&e.summary()),
            }
        });
    }

    fn show_error(&self, text: &str) {
        let e = &self.imp().error;
        e.set_label(text);
        e.set_visible(!text.is_empty());
    }

    /// Parse as typed: Apply is on only for a changed document that parses.
    fn check(&self) {
        let imp = self.imp();
        let text = self.text();
        let changed = text != *imp.original.borrow();
        imp.revert.set_sensitive(changed);
        if text.is_empty() {
            self.show_error("");
            imp.apply.set_sensitive(false);
            return;
        }
        match DomainXml::parse(&text) {
            Ok(_) => {
                self.show_error("");
                imp.apply
                    .set_sensitive(changed && imp.vm.borrow().is_some());
            }
            Err(e) => {
                self.show_error(&gettext_f(
                    "The XML does not parse: {error}",
                    &[("error", &e.0)],
                ));
                imp.apply.set_sensitive(false);
            }
        }
    }

    /// The diff between what libvirt has and the editor, as text lines with +/-.
    pub fn diff_text(&self) -> String {
        let imp = self.imp();
        line_diff(&imp.original.borrow(), &self.text())
            .into_iter()
            .filter_map(|l| match l {
                DiffLine::Same(_) => None,
                DiffLine::Removed(s) => Some(format!("- {s}")),
                DiffLine::Added(s) => Some(format!("+ {s}")),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Show what changes, and apply when the person agrees.
    pub fn show_diff(&self) -> Option<adw::MessageDialog> {
        let win = self.root().and_downcast::<gtk::Window>()?;
        let buffer = gtk::TextBuffer::new(None);
        let added = buffer.create_tag(Some("added"), &[("foreground", &"#26a269")]);
        let removed = buffer.create_tag(Some("removed"), &[("foreground", &"#c01c28")]);
        for line in line_diff(&self.imp().original.borrow(), &self.text()) {
            let (text, tag) = match line {
                DiffLine::Same(_) => continue,
                DiffLine::Removed(s) => (format!("- {s}\n"), removed.as_ref()),
                DiffLine::Added(s) => (format!("+ {s}\n"), added.as_ref()),
            };
            let mut end = buffer.end_iter();
            match tag {
                Some(t) => buffer.insert_with_tags(&mut end, &text, &[t]),
                None => buffer.insert(&mut end, &text),
            }
        }
        let view = gtk::TextView::builder()
            .buffer(&buffer)
            .editable(false)
            .monospace(true)
            .left_margin(6)
            .right_margin(6)
            .top_margin(6)
            .bottom_margin(6)
            .build();
        view.update_property(&[gtk::accessible::Property::Label(&gettext("Changes"))]);
        let scroller = gtk::ScrolledWindow::builder()
            .child(&view)
            .min_content_height(160)
            .max_content_height(360)
            .min_content_width(520)
            .propagate_natural_height(true)
            .build();
        let dialog = adw::MessageDialog::new(
            Some(&win),
            Some(&gettext("Apply These Changes?")),
            Some(&gettext(
                "Lines starting with - go, lines starting with + come.",
            )),
        );
        dialog.set_extra_child(Some(&scroller));
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("apply", &gettext("_Apply"));
        dialog.set_response_appearance("apply", adw::ResponseAppearance::Suggested);
        dialog.set_default_response(Some("apply"));
        dialog.set_close_response("cancel");
        let this = self.downgrade();
        dialog.connect_response(None, move |_, r| {
            if r == "apply" {
                if let Some(this) = this.upgrade() {
                    this.apply();
                }
            }
        });
        dialog.present();
        Some(dialog)
    }

    /// Define the edited XML.
    pub fn apply(&self) {
        let Some((conn, vm)) = self.current() else {
            return;
        };
        let xml = self.text();
        self.imp().apply.set_sensitive(false);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().define_edited(vm.uuid(), xml).await;
            let Some(this) = this.upgrade() else { return };
            match r {
                Ok(a) => {
                    crate::ui::error::toast_near(&this, &crate::ui::vm::edits::applied_message(a));
                    this.reload();
                    for f in this.imp().applied.borrow().iter() {
                        f();
                    }
                }
                Err(e) => {
                    // libvirt's refusal, where the XML is.
                    this.show_error(&gettext_f(
                        "Not applied: {error}",
                        &[("error", &e.details())],
                    ));
                    this.check_keep_error();
                }
            }
        });
    }

    fn check_keep_error(&self) {
        let imp = self.imp();
        let changed = self.text() != *imp.original.borrow();
        imp.apply.set_sensitive(changed);
    }
}
