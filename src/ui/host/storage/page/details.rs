//! The chosen pool beside the list: its state, place and usage, its verbs, and its
//! volumes (read on the worker whenever the pool changes), each with what uses it.

use super::*;

impl StoragePage {
    /// Show the chosen pool (rebuilt when another pool is chosen, refreshed in place
    /// otherwise) and read its volumes again.
    pub(super) fn show_details(&self) {
        let imp = self.imp();
        self.update_verbs();
        let Some(pool) = self.selected_pool() else {
            clear(&imp.details);
            imp.built_for.replace(None);
            return;
        };
        clear(&imp.details);
        imp.details.append(&self.pool_group(&pool));
        let store = gio::ListStore::new::<Volume>();
        if imp.built_for.borrow().as_deref() == Some(pool.uuid().as_str()) {
            // The same pool: keep the volumes shown until the new read arrives.
            if let Some(old) = imp.volumes.borrow().as_ref() {
                let kept: Vec<Volume> = old.iter::<Volume>().flatten().collect();
                store.splice(0, 0, &kept);
            }
        }
        imp.volumes.replace(Some(store.clone()));
        imp.details.append(&self.volume_group(&pool, &store));
        imp.built_for.replace(Some(pool.uuid()));
        self.load_volumes(&pool, &store);
    }

    fn pool_group(&self, pool: &Pool) -> adw::PreferencesGroup {
        let group = adw::PreferencesGroup::builder()
            .title(pool.name())
            .description(kind_label(&pool.kind()))
            .build();
        let buttons = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        let toggle = if pool.active() {
            gtk::Button::builder()
                .label(gettext("_Stop"))
                .use_underline(true)
                .action_name("storage.stop-pool")
                .build()
        } else {
            gtk::Button::builder()
                .label(gettext("S_tart"))
                .use_underline(true)
                .action_name("storage.start-pool")
                .build()
        };
        let refresh = gtk::Button::builder()
            .icon_name("view-refresh-symbolic")
            .tooltip_text(gettext("Refresh: look again for files copied in by hand"))
            .action_name("storage.refresh-pool")
            .build();
        refresh.update_property(&[gtk::accessible::Property::Label(&gettext("Refresh"))]);
        let delete = gtk::Button::builder()
            .label(gettext("_Delete…"))
            .use_underline(true)
            .action_name("storage.delete-pool")
            .build();
        buttons.append(&refresh);
        buttons.append(&toggle);
        buttons.append(&delete);
        group.set_header_suffix(Some(&buttons));

        let place = if pool.path().is_empty() {
            "—".to_string()
        } else {
            pool.path()
        };
        group.add(&info_row(&gettext("Location"), &place));
        if !pool.source().is_empty() {
            group.add(&info_row(&gettext("Source"), &pool.source()));
        }
        let usage = adw::ActionRow::builder().title(gettext("Space")).build();
        if pool.active() {
            usage.set_subtitle(&gettext_f(
                "{used} used of {size} · {free} free",
                &[
                    ("used", &format_bytes(pool.allocation())),
                    ("size", &format_bytes(pool.capacity())),
                    ("free", &format_bytes(pool.available())),
                ],
            ));
            let bar = gtk::LevelBar::builder()
                .min_value(0.0)
                .max_value(1.0)
                .value(pool_fill(pool))
                .valign(gtk::Align::Center)
                .width_request(160)
                .build();
            bar.update_property(&[gtk::accessible::Property::Label(&gettext("Space used"))]);
            usage.add_suffix(&bar);
        } else {
            usage.set_subtitle(&gettext("Unknown while the pool is stopped"));
        }
        group.add(&usage);
        let autostart = adw::ActionRow::builder()
            .title(gettext("Start with the _host"))
            .use_underline(true)
            .build();
        let switch = gtk::Switch::builder()
            .valign(gtk::Align::Center)
            .active(pool.autostart())
            .build();
        let this = self.downgrade();
        switch.connect_state_set(move |_, on| {
            if let Some(this) = this.upgrade() {
                let _ = this.activate_action("storage.pool-autostart", Some(&on.to_variant()));
            }
            glib::Propagation::Proceed
        });
        autostart.add_suffix(&switch);
        autostart.set_activatable_widget(Some(&switch));
        group.add(&autostart);
        group
    }

    fn volume_group(&self, pool: &Pool, store: &gio::ListStore) -> gtk::Box {
        let outer = gtk::Box::new(gtk::Orientation::Vertical, 6);
        let group = adw::PreferencesGroup::builder()
            .title(gettext("Volumes"))
            .build();
        let buttons = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        buttons.append(
            &gtk::Button::builder()
                .label(gettext("_Upload…"))
                .use_underline(true)
                .tooltip_text(gettext("Copy a file from this computer into the pool"))
                .action_name("storage.upload")
                .build(),
        );
        buttons.append(
            &gtk::Button::builder()
                .label(gettext("New _Volume…"))
                .use_underline(true)
                .action_name("storage.new-volume")
                .build(),
        );
        group.set_header_suffix(Some(&buttons));
        let list = gtk::ListBox::builder()
            .selection_mode(gtk::SelectionMode::None)
            .css_classes(["boxed-list"])
            .build();
        list.update_property(&[gtk::accessible::Property::Label(&gettext("Volumes"))]);
        let empty = if pool.active() {
            gettext("No volumes yet")
        } else {
            gettext("Start the pool to see its volumes")
        };
        list.set_placeholder(Some(
            &gtk::Label::builder()
                .label(empty)
                .margin_top(12)
                .margin_bottom(12)
                .css_classes(["dim-label"])
                .build(),
        ));
        list.bind_model(Some(store), |item| {
            let v = item
                .downcast_ref::<Volume>()
                .expect("the store holds volumes");
            volume_row(v).upcast()
        });
        group.add(&list);
        outer.append(&group);
        outer
    }

    /// Read the pool's volumes on the worker and bring `store` to them (rows of the
    /// volumes that stay are kept).
    fn load_volumes(&self, pool: &Pool, store: &gio::ListStore) {
        let Some(conn) = self.connection() else {
            return;
        };
        if !pool.active() {
            store.remove_all();
            return;
        }
        let weak_store = store.downgrade();
        let this = self.downgrade();
        let uuid = pool.uuid();
        glib::spawn_future_local(async move {
            let r = conn.backend().volumes(uuid).await;
            let (Some(store), Some(this)) = (weak_store.upgrade(), this.upgrade()) else {
                return;
            };
            match r {
                Ok(list) => {
                    sync_volumes(&store, &list);
                    this.update_verbs();
                }
                Err(e) => this.toast(&e.summary()),
            }
        });
    }
}

/// Make `store` hold `list` (by name), updating the volumes that stay.
fn sync_volumes(store: &gio::ListStore, list: &[crate::backend::storage::volumes::Volume]) {
    let old: std::collections::HashMap<String, Volume> = store
        .iter::<Volume>()
        .flatten()
        .map(|v| (v.name(), v))
        .collect();
    let new: Vec<Volume> = list
        .iter()
        .map(|i| match old.get(&i.name) {
            Some(v) => {
                v.update(i);
                v.clone()
            }
            None => Volume::new(i),
        })
        .collect();
    let same = store.n_items() as usize == new.len()
        && store
            .iter::<Volume>()
            .flatten()
            .zip(new.iter())
            .all(|(a, b)| a == *b);
    if !same {
        store.splice(0, store.n_items(), &new);
    }
}

fn clear(b: &gtk::Box) {
    while let Some(c) = b.first_child() {
        b.remove(&c);
    }
}

fn info_row(title: &str, value: &str) -> adw::ActionRow {
    let row = adw::ActionRow::builder()
        .title(title)
        .subtitle(value)
        .build();
    row.add_css_class("property");
    row
}

/// "qcow2 · 20 GB, 1.2 GB on disk · backed by base.qcow2 · used by web (running)".
pub fn volume_summary(v: &Volume) -> String {
    let mut parts = Vec::new();
    if !v.format().is_empty() {
        parts.push(v.format());
    }
    if v.allocation() < v.capacity() {
        parts.push(gettext_f(
            "{size}, {disk} on disk",
            &[
                ("size", &format_bytes(v.capacity())),
                ("disk", &format_bytes(v.allocation())),
            ],
        ));
    } else {
        parts.push(format_bytes(v.capacity()));
    }
    if !v.backing().is_empty() {
        let file = v.backing();
        let short = file.rsplit('/').next().unwrap_or(&file).to_string();
        parts.push(gettext_f("backed by {file}", &[("file", &short)]));
    }
    let users: Vec<String> = v
        .info()
        .used_by
        .iter()
        .map(|u| {
            if u.running {
                gettext_f("{name} (running)", &[("name", &u.name)])
            } else {
                u.name.clone()
            }
        })
        .collect();
    if !users.is_empty() {
        parts.push(gettext_f(
            "used by {domains}",
            &[("domains", &users.join(", "))],
        ));
    }
    parts.join(" · ")
}

fn volume_row(v: &Volume) -> gtk::ListBoxRow {
    let row = adw::ActionRow::builder()
        .title(v.name())
        .subtitle(volume_summary(v))
        .subtitle_lines(2)
        .build();
    row.set_widget_name(&v.name());
    let icon = if v.format() == "iso" || v.name().to_lowercase().ends_with(".iso") {
        "media-optical-symbolic"
    } else {
        "drive-harddisk-symbolic"
    };
    row.add_prefix(&gtk::Image::from_icon_name(icon));
    let menu = gio::Menu::new();
    let target = v.name().to_variant();
    for (label, action) in [
        (gettext("_Download…"), "storage.download"),
        (gettext("_Resize…"), "storage.resize-volume"),
        (gettext("_Wipe…"), "storage.wipe-volume"),
        (gettext("_Delete…"), "storage.delete-volume"),
    ] {
        let item = gio::MenuItem::new(Some(&label), None);
        item.set_action_and_target_value(Some(action), Some(&target));
        menu.append_item(&item);
    }
    let button = gtk::MenuButton::builder()
        .icon_name("view-more-symbolic")
        .menu_model(&menu)
        .valign(gtk::Align::Center)
        .tooltip_text(gettext_f("Actions on {volume}", &[("volume", &v.name())]))
        .css_classes(["flat"])
        .build();
    row.add_suffix(&button);
    let r = row.downgrade();
    let id: std::rc::Rc<RefCell<Option<glib::SignalHandlerId>>> = Default::default();
    let own = id.clone();
    let h = v.connect_notify_local(None, move |v, _| match r.upgrade() {
        Some(r) => r.set_subtitle(&volume_summary(v)),
        None => {
            if let Some(h) = own.take() {
                v.disconnect(h);
            }
        }
    });
    id.replace(Some(h));
    row.upcast()
}
