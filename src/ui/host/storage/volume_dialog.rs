//! New Volume in a pool: name, format (what the pool makes), size with units, how its
//! space is taken, and a backing volume for qcow2 overlays; checked as typed against
//! the pool's volumes and free space.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gtk::glib;

use crate::backend::storage::volumes::{
    check_volume_spec, formats_for, space_warning, Preallocation, VolumeSpec,
};
use crate::backend::units::{format_bytes, parse_size};
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Pool, Volume};
use crate::ui::components::form_dialog;

dialog_window!(
    /// The New Volume dialog of the Storage tab.
    new_volume_imp,
    NewVolumeDialog,
    "HangarPoolNewVolumeDialog",
    VolumeParts
);

type OnCreated = Rc<RefCell<Vec<Box<dyn Fn(&str)>>>>;

pub struct VolumeParts {
    pub name: adw::EntryRow,
    pub format: adw::ComboRow,
    pub size: adw::EntryRow,
    pub allocation: adw::ComboRow,
    pub backing: adw::ComboRow,
    pub message: gtk::Label,
    pub create: gtk::Button,
    formats: Vec<&'static str>,
    /// The backing choices: "" (none) then the pool's volumes' paths.
    backings: Vec<(String, String)>,
    existing: Vec<crate::backend::storage::volumes::Volume>,
    pool: Pool,
    conn: Connection,
    on_created: OnCreated,
}

const ALLOCATIONS: [Preallocation; 3] = [
    Preallocation::Off,
    Preallocation::Metadata,
    Preallocation::Full,
];

impl NewVolumeDialog {
    pub fn new(
        parent: Option<&gtk::Window>,
        conn: &Connection,
        pool: &Pool,
        volumes: Vec<Volume>,
    ) -> NewVolumeDialog {
        let window = NewVolumeDialog::bare();
        window.set_modal(true);
        window.set_title(Some(&gettext_f(
            "New Volume in {pool}",
            &[("pool", &pool.name())],
        )));
        window.set_default_size(500, -1);
        window.set_transient_for(parent);
        let (header, cancel, create) = form_dialog::header(&gettext("C_reate"));

        let formats: Vec<&'static str> = formats_for(&pool.kind()).to_vec();
        let existing: Vec<_> = volumes.iter().map(|v| v.info()).collect();
        let name = adw::EntryRow::builder()
            .title(gettext("_Name"))
            .use_underline(true)
            .build();
        let ext = if formats[0] == "qcow2" { ".qcow2" } else { "" };
        let mut n = 1;
        let mut suggested = format!("disk{ext}");
        while existing.iter().any(|v| v.name == suggested) {
            suggested = format!("disk-{n}{ext}");
            n += 1;
        }
        name.set_text(&suggested);
        let format = adw::ComboRow::builder()
            .title(gettext("_Format"))
            .use_underline(true)
            .model(&gtk::StringList::new(&formats))
            .build();
        let size = adw::EntryRow::builder()
            .title(gettext("_Size (for example 20 GiB)"))
            .use_underline(true)
            .build();
        size.set_text("20 GiB");
        let allocation = adw::ComboRow::builder()
            .title(gettext("_Space taken"))
            .subtitle(gettext(
                "A sparse volume grows up to its size as the guest writes",
            ))
            .use_underline(true)
            .model(&gtk::StringList::new(&[
                &gettext("As the guest writes"),
                &gettext("Metadata now"),
                &gettext("All of it now"),
            ]))
            .build();
        let mut backings = vec![(String::new(), gettext("None"))];
        for v in &existing {
            if v.format == "qcow2" || v.format == "raw" {
                backings.push((v.path.clone(), v.name.clone()));
            }
        }
        let labels: Vec<&str> = backings.iter().map(|(_, l)| l.as_str()).collect();
        let backing = adw::ComboRow::builder()
            .title(gettext("_Backing volume"))
            .subtitle(gettext("The new volume records only what differs from it"))
            .use_underline(true)
            .model(&gtk::StringList::new(&labels))
            .build();
        let group = adw::PreferencesGroup::new();
        for r in [&name, &size] {
            group.add(r);
        }
        for r in [&format, &allocation, &backing] {
            group.add(r);
        }
        let message = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["caption"])
            .build();
        let body = form_dialog::body(12);
        body.append(&group);
        body.append(&message);
        form_dialog::set_content(&window, &header, &body);
        window.set_parts(VolumeParts {
            name,
            format,
            size,
            allocation,
            backing,
            message,
            create,
            formats,
            backings,
            existing,
            pool: pool.clone(),
            conn: conn.clone(),
            on_created: Rc::default(),
        });
        let d = window;
        let w = d.downgrade();
        cancel.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.close();
            }
        });
        for e in [&d.name, &d.size] {
            let w = d.downgrade();
            e.connect_changed(move |_| {
                if let Some(w) = w.upgrade() {
                    w.check();
                }
            });
        }
        for c in [&d.format, &d.allocation, &d.backing] {
            let w = d.downgrade();
            c.connect_selected_notify(move |_| {
                if let Some(w) = w.upgrade() {
                    w.check();
                }
            });
        }
        let w = d.downgrade();
        d.create.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.run();
            }
        });
        d.check();
        d
    }

    pub fn connect_created(&self, f: impl Fn(&str) + 'static) {
        self.on_created.borrow_mut().push(Box::new(f));
    }

    fn spec(&self) -> Result<VolumeSpec, String> {
        let capacity = parse_size(&self.size.text()).map_err(|e| e.summary())?;
        let format = self
            .formats
            .get(self.format.selected() as usize)
            .copied()
            .unwrap_or("raw")
            .to_string();
        let (backing, backing_format) = match self.backings.get(self.backing.selected() as usize) {
            Some((path, _)) if !path.is_empty() => {
                let f = self
                    .existing
                    .iter()
                    .find(|v| &v.path == path)
                    .map(|v| v.format.clone())
                    .unwrap_or_default();
                (path.clone(), f)
            }
            _ => (String::new(), String::new()),
        };
        Ok(VolumeSpec {
            name: self.name.text().trim().to_string(),
            format,
            capacity,
            preallocation: ALLOCATIONS
                .get(self.allocation.selected() as usize)
                .copied()
                .unwrap_or_default(),
            backing,
            backing_format,
        })
    }

    /// Check as typed; the reason under the form, the field red.
    pub fn check(&self) -> bool {
        for r in [&self.name, &self.size] {
            r.remove_css_class("error");
        }
        self.backing.remove_css_class("error");
        self.message.remove_css_class("error");
        self.message.remove_css_class("warning");
        let is_qcow2 = self.formats.get(self.format.selected() as usize) == Some(&"qcow2");
        self.backing
            .set_sensitive(is_qcow2 && self.backings.len() > 1);
        let spec = match self.spec() {
            Ok(s) => s,
            Err(m) => {
                self.size.add_css_class("error");
                return self.refuse(&m);
            }
        };
        let available = self.pool.available();
        let problems = check_volume_spec(&spec, &self.existing, available);
        if let Some((field, m)) = problems.first() {
            match *field {
                "name" => self.name.add_css_class("error"),
                "capacity" => self.size.add_css_class("error"),
                _ => self.backing.add_css_class("error"),
            }
            return self.refuse(m);
        }
        match space_warning(&spec, available) {
            Some(w) => {
                self.message.add_css_class("warning");
                self.message.set_label(&w);
            }
            None => self.message.set_label(&gettext_f(
                "{free} are free in the pool",
                &[("free", &format_bytes(available))],
            )),
        }
        self.create.set_sensitive(true);
        true
    }

    fn refuse(&self, m: &str) -> bool {
        self.message.add_css_class("error");
        self.message.set_label(m);
        self.create.set_sensitive(false);
        false
    }

    pub fn run(&self) {
        if !self.check() {
            return;
        }
        let Ok(spec) = self.spec() else { return };
        self.create.set_sensitive(false);
        self.message.set_label(&gettext("Creating the volume…"));
        let w = self.downgrade();
        let conn = self.conn.clone();
        let pool = self.pool.uuid();
        glib::spawn_future_local(async move {
            let r = conn.backend().create_pool_volume(pool, spec).await;
            let Some(w) = w.upgrade() else { return };
            match r {
                Ok(path) => {
                    for f in w.on_created.borrow().iter() {
                        f(&path);
                    }
                    w.close();
                }
                Err(e) => {
                    w.refuse(&e.summary());
                    w.create.set_sensitive(true);
                }
            }
        });
    }
}
