//! Take Snapshot: the name (suggested from the date and time), a description, with or
//! without the memory of a running machine, disks only on request, quiescing through
//! the guest agent; the kind Hangar will take and why, what libvirt cannot do with it
//! later; a name that is taken or refused is said under the name, and a machine that
//! cannot have a snapshot says why before anything is attempted.

use std::cell::RefCell;

use adw::prelude::*;
use gtk::glib;

use crate::backend::snapshot::info::SnapshotKind;
use crate::backend::snapshot::ops::TakeOffer;
use crate::backend::snapshot::plan::{check_name, choose_kind, revert_refusal, TakeSpec};
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Vm};
use crate::ui::components::form_dialog;

dialog_window!(
    /// The Take Snapshot dialog of a virtual machine.
    take_imp,
    TakeDialog,
    "HangarTakeSnapshotDialog",
    TakeParts
);

/// What runs when the person presses Take Snapshot.
type TakeHandler = Box<dyn Fn(TakeSpec)>;

pub struct TakeParts {
    pub name: adw::EntryRow,
    pub name_error: gtk::Label,
    pub description: adw::EntryRow,
    pub memory_row: adw::ActionRow,
    pub memory: gtk::Switch,
    pub disk_only: gtk::Switch,
    pub quiesce_row: adw::ActionRow,
    pub quiesce: gtk::Switch,
    pub kind_row: adw::ActionRow,
    pub revert_note: gtk::Label,
    pub message: gtk::Label,
    pub take_button: gtk::Button,
    offer: RefCell<Option<TakeOffer>>,
    on_take: RefCell<Vec<TakeHandler>>,
}

fn switch_row(title: &str, subtitle: &str) -> (adw::ActionRow, gtk::Switch) {
    let switch = gtk::Switch::builder().valign(gtk::Align::Center).build();
    let row = adw::ActionRow::builder()
        .title(title)
        .subtitle(subtitle)
        .activatable_widget(&switch)
        .build();
    row.add_suffix(&switch);
    switch.update_property(&[gtk::accessible::Property::Label(title)]);
    (row, switch)
}

impl TakeDialog {
    pub fn new(parent: Option<&gtk::Window>, conn: &Connection, vm: &Vm) -> TakeDialog {
        let window = TakeDialog::bare();
        window.set_modal(true);
        window.set_title(Some(&gettext_f(
            "Take a Snapshot of {name}",
            &[("name", &vm.name())],
        )));
        window.set_default_size(560, -1);
        window.set_transient_for(parent);
        let (header, cancel, take_button) = form_dialog::header(&gettext("_Take Snapshot"));
        take_button.set_sensitive(false);
        let name = adw::EntryRow::builder()
            .title(gettext("_Name"))
            .use_underline(true)
            .build();
        let name_error = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .visible(false)
            .css_classes(["caption", "error"])
            .build();
        let description = adw::EntryRow::builder()
            .title(gettext("_Description"))
            .use_underline(true)
            .build();
        let top = adw::PreferencesGroup::new();
        top.add(&name);
        top.add(&description);
        let (memory_row, memory) = switch_row(
            &gettext("Include Memory"),
            &gettext("Revert brings the machine back running, where it was"),
        );
        let (disk_row, disk_only) = switch_row(
            &gettext("Disks Only"),
            &gettext("External overlay files for the disks, no memory"),
        );
        let (quiesce_row, quiesce) = switch_row(
            &gettext("Quiesce File Systems"),
            &gettext("The guest agent flushes and freezes them while the disks are kept"),
        );
        let kind_row = adw::ActionRow::builder().title(gettext("Kind")).build();
        kind_row.add_css_class("property");
        let how = adw::PreferencesGroup::builder()
            .title(gettext("What Is Kept"))
            .build();
        how.add(&memory_row);
        how.add(&disk_row);
        how.add(&quiesce_row);
        how.add(&kind_row);
        let revert_note = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .visible(false)
            .css_classes(["caption", "warning"])
            .build();
        let message = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["caption"])
            .label(gettext("Reading the machine…"))
            .build();
        let body = form_dialog::body(12);
        body.append(&top);
        body.append(&name_error);
        body.append(&how);
        body.append(&revert_note);
        body.append(&message);
        form_dialog::set_content(&window, &header, &body);
        window.set_parts(TakeParts {
            name,
            name_error,
            description,
            memory_row,
            memory,
            disk_only,
            quiesce_row,
            quiesce,
            kind_row,
            revert_note,
            message,
            take_button,
            offer: RefCell::new(None),
            on_take: RefCell::new(Vec::new()),
        });
        let d = window;
        let w = d.downgrade();
        cancel.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.close();
            }
        });
        let w = d.downgrade();
        d.name.connect_changed(move |_| {
            if let Some(w) = w.upgrade() {
                w.check();
            }
        });
        for s in [&d.memory, &d.disk_only, &d.quiesce] {
            let w = d.downgrade();
            s.connect_active_notify(move |_| {
                if let Some(w) = w.upgrade() {
                    w.check();
                }
            });
        }
        let w = d.downgrade();
        d.take_button.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.take();
            }
        });
        let w = d.downgrade();
        let (conn, uuid) = (conn.clone(), vm.uuid());
        let now = glib::DateTime::now_local()
            .and_then(|t| t.format("%Y-%m-%d %H:%M:%S"))
            .map(|s| s.to_string())
            .unwrap_or_default();
        glib::spawn_future_local(async move {
            let r = conn.backend().snapshot_offer(uuid, now).await;
            let Some(w) = w.upgrade() else { return };
            match r {
                Ok(offer) => w.show_offer(offer),
                Err(e) => w.refuse(&e.summary()),
            }
        });
        d
    }

    /// Call `f` with what the person asked for when they press Take Snapshot.
    pub fn connect_take(&self, f: impl Fn(TakeSpec) + 'static) {
        self.on_take.borrow_mut().push(Box::new(f));
    }

    fn show_offer(&self, offer: TakeOffer) {
        self.name.set_text(&offer.suggested_name);
        let f = &offer.facts;
        self.memory_row.set_visible(f.active());
        self.memory.set_active(f.active());
        self.quiesce_row.set_visible(f.agent && f.running);
        self.message.set_label("");
        let blocked = offer.blocked.clone();
        self.offer.replace(Some(offer));
        if let Some(why) = blocked {
            self.refuse(&why);
            return;
        }
        self.check();
    }

    fn refuse(&self, m: &str) {
        self.message.add_css_class("error");
        self.message.set_label(m);
        self.take_button.set_sensitive(false);
    }

    fn spec(&self) -> TakeSpec {
        TakeSpec {
            name: self.name.text().trim().to_string(),
            description: self.description.text().to_string(),
            memory: self.memory.is_active(),
            disk_only: self.disk_only.is_active(),
            quiesce: self.quiesce.is_active(),
        }
    }

    /// Check the name and say which kind the choices make.
    fn check(&self) {
        let offer = self.offer.borrow();
        let Some(offer) = offer.as_ref() else { return };
        if offer.blocked.is_some() {
            return;
        }
        let spec = self.spec();
        let why = check_name(&spec.name, &offer.taken);
        self.name_error.set_visible(why.is_some());
        self.name_error.set_label(why.as_deref().unwrap_or(""));
        if why.is_some() {
            self.name.add_css_class("error");
        } else {
            self.name.remove_css_class("error");
        }
        let f = &offer.facts;
        let (kind, reason) = choose_kind(f, spec.memory, spec.disk_only);
        self.kind_row.set_subtitle(&reason);
        self.memory_row.set_sensitive(!spec.disk_only);
        self.quiesce_row
            .set_sensitive(kind == SnapshotKind::DiskOnly);
        let note = revert_refusal(kind, f.libvirt_version, &f.driver);
        self.revert_note.set_visible(note.is_some());
        self.revert_note.set_label(note.as_deref().unwrap_or(""));
        self.take_button.set_sensitive(why.is_none());
    }

    /// The reason shown for the kind Hangar chose (for tests).
    pub fn kind_text(&self) -> String {
        self.kind_row
            .subtitle()
            .map(|s| s.to_string())
            .unwrap_or_default()
    }

    /// What the dialog says under the name ("" when nothing).
    pub fn name_error_text(&self) -> String {
        if self.name_error.is_visible() {
            self.name_error.label().to_string()
        } else {
            String::new()
        }
    }

    /// What the dialog says about reverting the chosen kind ("" when nothing).
    pub fn revert_note_text(&self) -> String {
        if self.revert_note.is_visible() {
            self.revert_note.label().to_string()
        } else {
            String::new()
        }
    }

    /// The refusal shown when no snapshot can be taken ("" when none).
    pub fn message_text(&self) -> String {
        self.message.label().to_string()
    }

    /// The offer has been read (tests wait for it).
    pub fn ready(&self) -> bool {
        self.offer.borrow().is_some()
    }

    fn take(&self) {
        if !self.take_button.is_sensitive() {
            return;
        }
        let spec = self.spec();
        for f in self.on_take.borrow().iter() {
            f(spec.clone());
        }
        self.close();
    }
}
