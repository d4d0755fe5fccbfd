//! New Pool: a form per pool type with the fields that type needs, checked as typed,
//! the types this host's libvirt cannot run shown as such, and a plain warning when
//! building the pool formats a device.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gtk::glib;

use crate::backend::storage::pools::{
    check_field, check_pool_name, discovers, field_default, field_label, fields_of, kind_label,
    FoundSource, PoolSpec, POOL_KINDS,
};
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Pool};
use crate::ui::components::form_dialog;

dialog_window!(
    /// The New Pool dialog (an `adw::Window`, kept alive by GTK while shown).
    new_pool_imp,
    NewPoolDialog,
    "HangarNewPoolDialog",
    PoolParts
);

type OnCreated = Rc<RefCell<Vec<Box<dyn Fn(&str)>>>>;

pub struct PoolParts {
    pub kind: adw::ComboRow,
    pub name: adw::EntryRow,
    /// One row per field of any type; those of the chosen type are shown.
    pub rows: Vec<(&'static str, adw::EntryRow)>,
    pub build: gtk::CheckButton,
    pub autostart: gtk::CheckButton,
    /// "Look for sources" (NFS exports, volume groups) and what it found.
    pub find: gtk::Button,
    pub found: gtk::ListBox,
    pub message: gtk::Label,
    pub create: gtk::Button,
    /// The types offered and whether this libvirt can run each (`None`: unknown).
    kinds: RefCell<Vec<(&'static str, Option<bool>)>>,
    conn: Connection,
    on_created: OnCreated,
}

const FIELDS: [&str; 6] = [
    "host",
    "source_dir",
    "source_name",
    "device",
    "format",
    "target",
];

impl NewPoolDialog {
    pub fn new(parent: Option<&gtk::Window>, conn: &Connection) -> NewPoolDialog {
        let window = NewPoolDialog::bare();
        window.set_modal(true);
        window.set_title(Some(&gettext("New Storage Pool")));
        window.set_default_size(520, -1);
        window.set_transient_for(parent);
        let (header, cancel, create) = form_dialog::header(&gettext("C_reate"));
        create.set_sensitive(false);

        let kinds: Vec<(&'static str, Option<bool>)> =
            POOL_KINDS.iter().map(|k| (*k, None)).collect();
        let kind = adw::ComboRow::builder()
            .title(gettext("_Type"))
            .use_underline(true)
            .build();
        let name = adw::EntryRow::builder()
            .title(gettext("_Name"))
            .use_underline(true)
            .build();
        name.set_text(&free_name(conn));
        let group = adw::PreferencesGroup::new();
        group.add(&kind);
        group.add(&name);
        let rows: Vec<(&'static str, adw::EntryRow)> = FIELDS
            .iter()
            .map(|f| {
                let r = adw::EntryRow::new();
                group.add(&r);
                (*f, r)
            })
            .collect();
        let build = gtk::CheckButton::with_mnemonic(&gettext(
            "_Build the pool (make its directory, format or partition its device)",
        ));
        let autostart = gtk::CheckButton::with_mnemonic(&gettext("Start with the _host"));
        autostart.set_active(true);
        let message = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["caption"])
            .build();
        let find = gtk::Button::builder()
            .label(gettext("_Look for Sources"))
            .use_underline(true)
            .halign(gtk::Align::Start)
            .build();
        let found = gtk::ListBox::builder()
            .css_classes(["boxed-list"])
            .selection_mode(gtk::SelectionMode::None)
            .visible(false)
            .build();
        found.update_property(&[gtk::accessible::Property::Label(&gettext("Sources found"))]);
        let body = form_dialog::body(12);
        body.append(&group);
        body.append(&find);
        body.append(&found);
        body.append(&build);
        body.append(&autostart);
        body.append(&message);
        form_dialog::set_content(&window, &header, &body);
        window.set_parts(PoolParts {
            kind,
            name,
            rows,
            build,
            autostart,
            find,
            found,
            message,
            create,
            kinds: RefCell::new(kinds),
            conn: conn.clone(),
            on_created: Rc::default(),
        });
        let d = window;
        d.fill_kinds();
        d.show_fields();

        let w = d.downgrade();
        cancel.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.close();
            }
        });
        let w = d.downgrade();
        d.kind.connect_selected_notify(move |_| {
            if let Some(w) = w.upgrade() {
                w.show_fields();
            }
        });
        let mut entries = vec![d.name.clone()];
        entries.extend(d.rows.iter().map(|(_, r)| r.clone()));
        for e in entries {
            let w = d.downgrade();
            e.connect_changed(move |_| {
                if let Some(w) = w.upgrade() {
                    w.check();
                }
            });
        }
        let w = d.downgrade();
        d.build.connect_toggled(move |_| {
            if let Some(w) = w.upgrade() {
                w.check();
            }
        });
        let w = d.downgrade();
        d.create.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.run();
            }
        });
        let w = d.downgrade();
        d.find.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.look_for_sources();
            }
        });
        // Which types this libvirt runs, from its pool capabilities.
        let w = d.downgrade();
        let conn = conn.clone();
        glib::spawn_future_local(async move {
            let r = conn.backend().supported_pool_kinds().await;
            let Some(w) = w.upgrade() else { return };
            if let Ok(Some(supported)) = r {
                let marked = POOL_KINDS
                    .iter()
                    .map(|k| (*k, Some(supported.iter().any(|s| s == k))))
                    .collect();
                w.kinds.replace(marked);
                w.fill_kinds();
                w.check();
            }
        });
        d
    }

    /// Called with the new pool's UUID once it is made.
    pub fn connect_created(&self, f: impl Fn(&str) + 'static) {
        self.on_created.borrow_mut().push(Box::new(f));
    }

    fn fill_kinds(&self) {
        let selected = self.kind.selected();
        let labels: Vec<String> = self
            .kinds
            .borrow()
            .iter()
            .map(|(k, ok)| match ok {
                Some(false) => gettext_f(
                    "{kind} — not supported by this host",
                    &[("kind", &kind_label(k))],
                ),
                _ => kind_label(k),
            })
            .collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        self.kind.set_model(Some(&gtk::StringList::new(&labels)));
        if selected != gtk::INVALID_LIST_POSITION {
            self.kind.set_selected(selected);
        }
    }

    /// The chosen type.
    pub fn kind(&self) -> &'static str {
        self.kinds
            .borrow()
            .get(self.kind.selected() as usize)
            .map_or("dir", |(k, _)| k)
    }

    /// Choose a type by its key (`dir`, `netfs`…), as a person picks it.
    pub fn choose_kind(&self, key: &str) {
        if let Some(i) = self.kinds.borrow().iter().position(|(k, _)| *k == key) {
            self.kind.set_selected(i as u32);
        }
    }

    /// The field row of `field` (`target`, `host`…), while shown.
    pub fn field_row(&self, field: &str) -> Option<adw::EntryRow> {
        self.rows
            .iter()
            .find(|(f, r)| *f == field && r.is_visible())
            .map(|(_, r)| r.clone())
    }

    fn show_fields(&self) {
        let kind = self.kind();
        let fields = fields_of(kind);
        let name = self.name.text().to_string();
        for (f, row) in &self.rows {
            let shown = fields.contains(f);
            row.set_visible(shown);
            if shown {
                row.set_title(&field_label(kind, f));
                row.set_text(&field_default(kind, f, name.trim()));
            }
        }
        self.find.set_visible(discovers(kind).is_some());
        self.found.set_visible(false);
        // A directory is always made; a device is formatted only when asked.
        self.build
            .set_visible(kind != "dir" && kind != "netfs" && kind != "iscsi");
        self.build.set_active(false);
        self.check();
    }

    /// Ask libvirt what sources the chosen type has (the exports of the NFS host
    /// typed, the volume groups here); each one found fills the form when clicked.
    pub fn look_for_sources(&self) {
        let kind = self.kind();
        let host = self
            .field_row("host")
            .map(|r| r.text().trim().to_string())
            .unwrap_or_default();
        if discovers(kind) == Some("host") && host.is_empty() {
            self.message.add_css_class("error");
            self.message.set_label(&gettext(
                "Type the server’s name first, then look for its exports",
            ));
            return;
        }
        self.find.set_sensitive(false);
        self.message.remove_css_class("error");
        self.message.set_label(&gettext("Looking…"));
        let w = self.downgrade();
        let conn = self.conn.clone();
        glib::spawn_future_local(async move {
            let r = conn
                .backend()
                .find_pool_sources(kind.to_string(), host)
                .await;
            let Some(w) = w.upgrade() else { return };
            w.find.set_sensitive(true);
            match r {
                Ok(found) if found.is_empty() => {
                    w.message.set_label(&gettext("Nothing found"));
                }
                Ok(found) => {
                    w.message.set_label("");
                    w.show_found(found);
                }
                Err(e) => {
                    w.message.add_css_class("error");
                    w.message.set_label(&e.summary());
                }
            }
        });
    }

    fn show_found(&self, found: Vec<FoundSource>) {
        while let Some(c) = self.found.first_child() {
            self.found.remove(&c);
        }
        for f in found {
            let row = adw::ActionRow::builder()
                .title(f.label())
                .activatable(true)
                .build();
            row.add_suffix(&gtk::Image::from_icon_name("go-next-symbolic"));
            let w = self.downgrade();
            row.connect_activated(move |_| {
                if let Some(w) = w.upgrade() {
                    w.take_source(&f);
                }
            });
            self.found.append(&row);
        }
        self.found.set_visible(true);
    }

    /// Fill the form from a found source.
    pub fn take_source(&self, f: &FoundSource) {
        for (field, value) in [
            ("host", &f.host),
            ("source_dir", &f.source_dir),
            ("source_name", &f.source_name),
            ("device", &f.device),
        ] {
            if let (Some(row), false) = (self.field_row(field), value.is_empty()) {
                // A volume group on several devices: the first, the form takes one.
                row.set_text(value.split(", ").next().unwrap_or(value));
            }
        }
        self.check();
    }

    /// The sources shown after looking (for tests).
    pub fn found_labels(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut c = self.found.first_child();
        while let Some(w) = c {
            if let Some(r) = w.downcast_ref::<adw::ActionRow>() {
                out.push(r.title().to_string());
            }
            c = w.next_sibling();
        }
        out
    }

    fn spec(&self) -> PoolSpec {
        let mut s = PoolSpec {
            kind: self.kind().to_string(),
            ..Default::default()
        };
        s.set("name", &self.name.text());
        for (f, row) in &self.rows {
            if row.is_visible() {
                s.set(f, &row.text());
            }
        }
        s
    }

    /// Check as typed: each field says what is wrong under the form, red where it
    /// was typed; Create is on only for a pool that can be made.
    pub fn check(&self) -> bool {
        let kind = self.kind();
        let taken: Vec<String> = self
            .conn
            .pools()
            .iter::<Pool>()
            .flatten()
            .map(|p| p.name())
            .collect();
        let mut problems = Vec::new();
        self.name.remove_css_class("error");
        if let Some(e) = check_pool_name(&self.name.text(), &taken) {
            self.name.add_css_class("error");
            problems.push(e);
        }
        for (f, row) in &self.rows {
            row.remove_css_class("error");
            if !row.is_visible() {
                continue;
            }
            if let Some(e) = check_field(kind, f, &row.text()) {
                row.add_css_class("error");
                problems.push(e);
            }
        }
        let unsupported = self
            .kinds
            .borrow()
            .iter()
            .any(|(k, ok)| *k == kind && *ok == Some(false));
        if unsupported {
            problems.insert(
                0,
                gettext_f(
                    "This host’s libvirt cannot run {kind} pools (its storage driver for them is not installed)",
                    &[("kind", &kind_label(kind))],
                ),
            );
        }
        let spec = self.spec();
        self.message.remove_css_class("error");
        self.message.remove_css_class("warning");
        let ok = problems.is_empty();
        if let Some(first) = problems.first() {
            self.message.add_css_class("error");
            self.message.set_label(first);
        } else if self.build.is_active() && spec.build_destroys_data() {
            self.message.add_css_class("warning");
            self.message.set_label(&gettext_f(
                "Building formats {device}: everything on it is erased.",
                &[("device", &spec.device)],
            ));
        } else {
            self.message.set_label("");
        }
        self.create.set_sensitive(ok);
        ok
    }

    /// Make the pool; the dialog closes once it is listed.
    pub fn run(&self) {
        if !self.check() {
            return;
        }
        let spec = self.spec();
        let build = self.build.is_visible() && self.build.is_active();
        let autostart = self.autostart.is_active();
        self.create.set_sensitive(false);
        self.message.set_label(&gettext("Creating the pool…"));
        let w = self.downgrade();
        let conn = self.conn.clone();
        glib::spawn_future_local(async move {
            let r = conn.backend().create_pool(spec, build, autostart).await;
            let Some(w) = w.upgrade() else { return };
            match r {
                Ok(uuid) => {
                    let callbacks = w.on_created.clone();
                    // Closed once the pool list holds it, so the page can select it.
                    let weak = w.downgrade();
                    let conn = w.conn.clone();
                    let mut waits = 0;
                    glib::timeout_add_local(std::time::Duration::from_millis(50), move || {
                        // The list follows within a moment; after 10 s, close anyway.
                        waits += 1;
                        if conn.pool_by_uuid(&uuid).is_none() && waits < 200 {
                            return glib::ControlFlow::Continue;
                        }
                        for f in callbacks.borrow().iter() {
                            f(&uuid);
                        }
                        if let Some(w) = weak.upgrade() {
                            w.close();
                        }
                        glib::ControlFlow::Break
                    });
                }
                Err(e) => {
                    w.message.add_css_class("error");
                    w.message.set_label(&e.summary());
                    w.create.set_sensitive(true);
                }
            }
        });
    }
}

/// "pool", "pool-1"…: a name no pool has.
fn free_name(conn: &Connection) -> String {
    let taken: Vec<String> = conn
        .pools()
        .iter::<Pool>()
        .flatten()
        .map(|p| p.name())
        .collect();
    let mut name = "pool".to_string();
    let mut i = 1;
    while taken.contains(&name) {
        name = format!("pool-{i}");
        i += 1;
    }
    name
}
