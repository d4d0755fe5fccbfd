//! Choosing a disk's source: a volume of the connection's storage pools (any
//! connection, remote ones too), a file on this computer (local connections only,
//! with the portal-friendly native chooser), or a new volume made in a pool. Every
//! libvirt call runs on the connection's worker.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gtk::glib;

use crate::backend::domain::hardware::{check_new_volume, PoolVolumes, VolumeInfo};
use crate::backend::units::{format_bytes, parse_size};
use crate::i18n::{gettext, gettext_f};
use crate::model::Connection;

/// What was chosen: a path, and the volume's format when libvirt knows it.
pub type OnSource = Rc<dyn Fn(String, Option<String>)>;

dialog_window!(
    /// A dialog listing pool → volume with size and format; activating a volume picks
    /// it.
    browser_imp,
    VolumeBrowser,
    "HangarVolumeBrowser",
    BrowserParts
);

pub struct BrowserParts {
    groups: gtk::Box,
    on_pick: OnSource,
}

impl VolumeBrowser {
    pub fn new(parent: Option<&gtk::Window>, on_pick: OnSource) -> VolumeBrowser {
        let window = VolumeBrowser::bare();
        window.set_modal(true);
        window.set_title(Some(&gettext("Choose a Volume")));
        window.set_default_size(560, 540);
        if let Some(p) = parent {
            window.set_transient_for(Some(p));
        }
        let header = adw::HeaderBar::new();
        let groups = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(18)
            .margin_top(18)
            .margin_bottom(18)
            .margin_start(12)
            .margin_end(12)
            .build();
        let loading = gtk::Label::builder()
            .label(gettext("Reading the storage pools…"))
            .css_classes(["dim-label"])
            .build();
        groups.append(&loading);
        let scroller = gtk::ScrolledWindow::builder()
            .child(
                &adw::Clamp::builder()
                    .maximum_size(640)
                    .child(&groups)
                    .build(),
            )
            .vexpand(true)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build();
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&scroller);
        window.set_content(Some(&content));
        window.set_parts(BrowserParts { groups, on_pick });
        window
    }

    /// Read the pools of `conn` and show them.
    pub fn load(&self, conn: &Connection) {
        let conn = conn.clone();
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().storage_volumes().await;
            let Some(this) = this.upgrade() else { return };
            match r {
                Ok(pools) => this.set_pools(pools),
                Err(e) => {
                    this.clear();
                    let l = gtk::Label::builder()
                        .label(e.summary())
                        .wrap(true)
                        .css_classes(["error"])
                        .build();
                    this.groups.append(&l);
                }
            }
        });
    }

    fn clear(&self) {
        while let Some(c) = self.groups.first_child() {
            self.groups.remove(&c);
        }
    }

    /// Show `pools` (tests give them without libvirt).
    pub fn set_pools(&self, pools: Vec<PoolVolumes>) {
        self.clear();
        if pools.is_empty() {
            let page = adw::StatusPage::builder()
                .icon_name("drive-multidisk-symbolic")
                .title(gettext("No Storage Pools"))
                .description(gettext(
                    "This connection has no storage pools to take a volume from",
                ))
                .build();
            self.groups.append(&page);
            return;
        }
        for pool in pools {
            let description = if pool.active {
                gettext_f("{free} free", &[("free", &format_bytes(pool.available))])
            } else {
                gettext("Not active")
            };
            let group = adw::PreferencesGroup::builder()
                .title(glib::markup_escape_text(&pool.name))
                .description(description)
                .build();
            if pool.active && pool.volumes.is_empty() {
                let row = adw::ActionRow::builder()
                    .title(gettext("No volumes"))
                    .build();
                row.add_css_class("dim-label");
                group.add(&row);
            }
            for vol in pool.volumes {
                group.add(&self.volume_row(vol));
            }
            self.groups.append(&group);
        }
    }

    fn volume_row(&self, vol: VolumeInfo) -> adw::ActionRow {
        let mut facts = vec![format_bytes(vol.capacity)];
        if !vol.format.is_empty() {
            facts.push(vol.format.clone());
        }
        facts.push(vol.path.clone());
        let row = adw::ActionRow::builder()
            .title(glib::markup_escape_text(&vol.name))
            .subtitle(glib::markup_escape_text(&facts.join(" · ")))
            .activatable(true)
            .build();
        row.add_suffix(&gtk::Image::from_icon_name("go-next-symbolic"));
        let this = self.downgrade();
        row.connect_activated(move |_| {
            let Some(this) = this.upgrade() else { return };
            let format = Some(vol.format.clone()).filter(|f| !f.is_empty());
            (this.on_pick)(vol.path.clone(), format);
            this.close();
        });
        row
    }

    /// The volume rows shown, by title (for tests).
    pub fn volume_rows(&self) -> Vec<adw::ActionRow> {
        let mut out = Vec::new();
        let mut stack = vec![self.groups.clone().upcast::<gtk::Widget>()];
        while let Some(w) = stack.pop() {
            if let Some(r) = w.downcast_ref::<adw::ActionRow>() {
                if r.is_activatable() {
                    out.push(r.clone());
                }
            }
            let mut c = w.last_child();
            while let Some(ch) = c {
                c = ch.prev_sibling();
                stack.push(ch);
            }
        }
        out
    }
}

dialog_window!(
    /// A dialog that makes a qcow2 or raw volume of a chosen size in a chosen pool;
    /// the size is checked against the pool's free space as typed.
    new_volume_imp,
    NewVolumeDialog,
    "HangarNewVolumeDialog",
    NewVolumeParts
);

pub struct NewVolumeParts {
    pub pool: adw::ComboRow,
    pub name: adw::EntryRow,
    pub size: adw::EntryRow,
    pub format: adw::ComboRow,
    pub create: gtk::Button,
    pub message: gtk::Label,
    pools: RefCell<Vec<PoolVolumes>>,
    conn: Connection,
    on_created: OnSource,
}

const FORMATS: [&str; 2] = ["qcow2", "raw"];

impl NewVolumeDialog {
    pub fn new(
        parent: Option<&gtk::Window>,
        conn: &Connection,
        default_name: &str,
        on_created: OnSource,
    ) -> NewVolumeDialog {
        let window = NewVolumeDialog::bare();
        window.set_modal(true);
        window.set_title(Some(&gettext("New Volume")));
        window.set_default_size(480, -1);
        if let Some(p) = parent {
            window.set_transient_for(Some(p));
        }
        let header = adw::HeaderBar::builder()
            .show_end_title_buttons(false)
            .build();
        let cancel = gtk::Button::with_mnemonic(&gettext("_Cancel"));
        let create = gtk::Button::with_mnemonic(&gettext("C_reate"));
        create.add_css_class("suggested-action");
        create.set_sensitive(false);
        header.pack_start(&cancel);
        header.pack_end(&create);
        let pool = adw::ComboRow::builder().title(gettext("Pool")).build();
        let name = adw::EntryRow::builder().title(gettext("Name")).build();
        name.set_text(default_name);
        let size = adw::EntryRow::builder()
            .title(gettext("Size (for example 20 GiB)"))
            .build();
        size.set_text("20 GiB");
        let format = adw::ComboRow::builder()
            .title(gettext("Format"))
            .model(&gtk::StringList::new(&FORMATS))
            .build();
        let group = adw::PreferencesGroup::new();
        group.add(&pool);
        group.add(&name);
        group.add(&size);
        group.add(&format);
        let message = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["caption"])
            .build();
        let body = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(12)
            .margin_top(18)
            .margin_bottom(18)
            .margin_start(12)
            .margin_end(12)
            .build();
        body.append(&group);
        body.append(&message);
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&body);
        window.set_content(Some(&content));
        message.set_label(&gettext("Reading the storage pools…"));

        window.set_parts(NewVolumeParts {
            pool,
            name,
            size,
            format,
            create,
            message,
            pools: RefCell::new(Vec::new()),
            conn: conn.clone(),
            on_created,
        });
        let d = window;
        let w = d.downgrade();
        cancel.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.close();
            }
        });
        for row in [&d.name, &d.size] {
            let weak = d.downgrade();
            row.connect_changed(move |_| {
                if let Some(d) = weak.upgrade() {
                    d.check();
                }
            });
        }
        for row in [&d.pool, &d.format] {
            let weak = d.downgrade();
            row.connect_selected_notify(move |_| {
                if let Some(d) = weak.upgrade() {
                    d.check();
                }
            });
        }
        let weak = d.downgrade();
        d.create.connect_clicked(move |_| {
            if let Some(d) = weak.upgrade() {
                d.run();
            }
        });
        let weak = d.downgrade();
        let conn = conn.clone();
        glib::spawn_future_local(async move {
            let r = conn.backend().storage_volumes().await;
            let Some(d) = weak.upgrade() else { return };
            match r {
                Ok(p) => d.set_pools(p),
                Err(e) => d.say_error(&e.summary()),
            }
        });
        d
    }

    /// The pools to offer: the active ones where files can be made.
    pub fn set_pools(&self, pools: Vec<PoolVolumes>) {
        let pools: Vec<PoolVolumes> = pools
            .into_iter()
            .filter(|p| p.active && matches!(p.kind.as_str(), "dir" | "fs" | "netfs"))
            .collect();
        let labels: Vec<String> = pools
            .iter()
            .map(|p| {
                gettext_f(
                    "{pool} ({free} free)",
                    &[("pool", &p.name), ("free", &format_bytes(p.available))],
                )
            })
            .collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        let empty = pools.is_empty();
        self.pools.replace(pools);
        self.pool.set_model(Some(&gtk::StringList::new(&labels)));
        if empty {
            self.say_error(&gettext("No active directory pool to make a volume in"));
        } else {
            self.check();
        }
    }

    fn say_error(&self, text: &str) {
        self.message.set_label(text);
        self.message.add_css_class("error");
        self.create.set_sensitive(false);
    }

    /// The size typed, in bytes, or why it cannot be taken.
    fn bytes(&self) -> Result<u64, String> {
        parse_size(&self.size.text()).map_err(|e| e.summary())
    }

    /// Check as typed: Create is on only for a volume that can be made.
    pub fn check(&self) -> bool {
        let pools = self.pools.borrow();
        let Some(pool) = pools.get(self.pool.selected() as usize) else {
            self.create.set_sensitive(false);
            return false;
        };
        let problem = match self.bytes() {
            Err(m) => Some(("size", m)),
            Ok(b) => check_new_volume(pool, &self.name.text(), b).map(|m| {
                let field = if pool.active && (b == 0 || b > pool.available) {
                    "size"
                } else {
                    "name"
                };
                (field, m)
            }),
        };
        self.name.remove_css_class("error");
        self.size.remove_css_class("error");
        match problem {
            Some((field, m)) => {
                if field == "size" {
                    self.size.add_css_class("error");
                } else {
                    self.name.add_css_class("error");
                }
                self.say_error(&m);
                false
            }
            None => {
                self.message.remove_css_class("error");
                self.message.set_label(&gettext_f(
                    "The volume starts empty and grows as the guest writes, up to its size; {free} are free",
                    &[("free", &format_bytes(pool.available))],
                ));
                self.create.set_sensitive(true);
                true
            }
        }
    }

    /// Make the volume; the dialog closes with its path given to `on_created`.
    pub fn run(&self) {
        if !self.check() {
            return;
        }
        let Some(pool) = self
            .pools
            .borrow()
            .get(self.pool.selected() as usize)
            .map(|p| p.name.clone())
        else {
            return;
        };
        let Ok(bytes) = self.bytes() else { return };
        let format = FORMATS
            .get(self.format.selected() as usize)
            .copied()
            .unwrap_or("qcow2")
            .to_string();
        let name = self.name.text().trim().to_string();
        self.create.set_sensitive(false);
        self.message.remove_css_class("error");
        self.message.set_label(&gettext("Creating the volume…"));
        let this = self.downgrade();
        let conn = self.conn.clone();
        glib::spawn_future_local(async move {
            let r = conn
                .backend()
                .create_volume(pool, name, bytes, format.clone())
                .await;
            let Some(this) = this.upgrade() else { return };
            match r {
                Ok(path) => {
                    (this.on_created)(path, Some(format));
                    this.close();
                }
                Err(e) => {
                    this.say_error(&gettext_f(
                        "Could not create the volume: {error}",
                        &[("error", &e.summary())],
                    ));
                    this.create.set_sensitive(true);
                }
            }
        });
    }
}

/// Buttons under a disk's editor: Browse Volumes…, Choose File… (on a local
/// connection) and, when `new_volume_name` is given, New Volume….
pub fn source_buttons(
    conn: &Connection,
    local: bool,
    new_volume_name: Option<String>,
    on_source: OnSource,
) -> gtk::Box {
    let b = gtk::Box::builder()
        .spacing(6)
        .halign(gtk::Align::Start)
        .build();
    let browse = gtk::Button::with_mnemonic(&gettext("_Browse Volumes…"));
    let c = conn.clone();
    let on = on_source.clone();
    browse.connect_clicked(move |btn| {
        let parent = btn.root().and_downcast::<gtk::Window>();
        let browser = VolumeBrowser::new(parent.as_ref(), on.clone());
        browser.load(&c);
        browser.present();
    });
    b.append(&browse);
    if local {
        let file = gtk::Button::with_mnemonic(&gettext("Choose _File…"));
        let on = on_source.clone();
        file.connect_clicked(move |btn| {
            let parent = btn.root().and_downcast::<gtk::Window>();
            let chooser = gtk::FileChooserNative::new(
                Some(&gettext("Choose a Disk Image")),
                parent.as_ref(),
                gtk::FileChooserAction::Open,
                Some(&gettext("_Open")),
                Some(&gettext("_Cancel")),
            );
            chooser.set_modal(true);
            let on = on.clone();
            chooser.connect_response(move |ch, r| {
                if r == gtk::ResponseType::Accept {
                    if let Some(path) = ch.file().and_then(|f| f.path()) {
                        on(path.to_string_lossy().into_owned(), None);
                    }
                }
                ch.destroy();
            });
            chooser.show();
        });
        b.append(&file);
    }
    if let Some(name) = new_volume_name {
        let new = gtk::Button::with_mnemonic(&gettext("_New Volume…"));
        let c = conn.clone();
        new.connect_clicked(move |btn| {
            let parent = btn.root().and_downcast::<gtk::Window>();
            let d = NewVolumeDialog::new(parent.as_ref(), &c, &name, on_source.clone());
            d.present();
        });
        b.append(&new);
    }
    b
}
