//! The Storage tab's verbs, as `storage.*` actions of the page: buttons, menus and tests
//! activate the same thing. Destructive ones ask first and name what goes.

use super::*;
use crate::backend::storage::pools::{default_pool_spec, PoolOp};
use crate::backend::units::parse_size;
use crate::ui::host::storage::pool_dialog::NewPoolDialog;
use crate::ui::host::storage::transfer::{self, TransferRow};
use crate::ui::host::storage::volume_dialog::NewVolumeDialog;

impl StoragePage {
    /// Turn on what can be done now.
    pub(super) fn update_verbs(&self) {
        let conn = self.connection().is_some();
        let pool = self.selected_pool();
        let active = pool.as_ref().is_some_and(|p| p.active());
        let busy = self.imp().transfer.borrow().is_some();
        self.action_set_enabled("storage.new-pool", conn);
        self.action_set_enabled("storage.create-default", conn);
        self.action_set_enabled("storage.start-pool", pool.is_some() && !active);
        self.action_set_enabled("storage.stop-pool", active);
        self.action_set_enabled("storage.refresh-pool", active);
        self.action_set_enabled("storage.pool-autostart", pool.is_some());
        self.action_set_enabled("storage.delete-pool", pool.is_some());
        self.action_set_enabled("storage.new-volume", active);
        self.action_set_enabled("storage.upload", active && !busy);
        self.action_set_enabled("storage.download", active && !busy);
        self.action_set_enabled("storage.delete-volume", active);
        self.action_set_enabled("storage.wipe-volume", active);
        self.action_set_enabled("storage.resize-volume", active);
    }

    pub(super) fn open_new_pool(&self) {
        let Some(conn) = self.connection() else {
            return;
        };
        let d = NewPoolDialog::new(self.window().as_ref(), &conn);
        let this = self.downgrade();
        d.connect_created(move |uuid| {
            if let Some(this) = this.upgrade() {
                this.imp().selected.replace(Some(uuid.to_string()));
                this.after_update();
            }
        });
        d.present();
    }

    pub(super) fn create_default_pool(&self) {
        let Some(conn) = self.connection() else {
            return;
        };
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn
                .backend()
                .create_pool(default_pool_spec(), true, true)
                .await;
            let Some(this) = this.upgrade() else { return };
            match r {
                Ok(uuid) => {
                    this.imp().selected.replace(Some(uuid));
                    this.after_update();
                    this.toast(&gettext(
                        "The default pool is ready in /var/lib/libvirt/images",
                    ));
                }
                Err(e) => this.fail(&gettext("The default pool could not be made"), &e),
            }
        });
    }

    pub(super) fn run_pool_op(&self, op: PoolOp) {
        if let Some(pool) = self.selected_pool() {
            self.run_pool_op_on(pool, op);
        }
    }

    fn run_pool_op_on(&self, pool: Pool, op: PoolOp) {
        let Some(conn) = self.connection() else {
            return;
        };
        let this = self.downgrade();
        let name = pool.name();
        glib::spawn_future_local(async move {
            let r = conn.backend().pool_op(pool.uuid(), op).await;
            let Some(this) = this.upgrade() else { return };
            if let Err(e) = r {
                let heading = match op {
                    PoolOp::Start => gettext_f("{pool} could not start", &[("pool", &name)]),
                    PoolOp::Stop => gettext_f("{pool} could not stop", &[("pool", &name)]),
                    _ => gettext_f("{pool} could not be changed", &[("pool", &name)]),
                };
                this.fail(&heading, &e);
                this.show_details();
            }
        });
    }

    /// Ask before deleting the chosen pool: keep its contents (undefine) or destroy
    /// them, the dialog naming the volumes and the place that go.
    pub fn confirm_delete_pool(&self) -> Option<adw::MessageDialog> {
        let pool = self.selected_pool()?;
        let vols = self.volumes();
        let names: Vec<String> = vols.iter().take(8).map(|v| v.name()).collect();
        let mut body = gettext_f(
            "“Remove” forgets the pool and keeps everything in {path}. “Delete Contents” also destroys",
            &[("path", &pool.path())],
        );
        body.push(' ');
        body.push_str(&if vols.is_empty() {
            gettext("the pool’s directory or device itself.")
        } else {
            gettext_f(
                "its {n} volumes ({names}{more}) and the pool itself. This cannot be undone.",
                &[
                    ("n", &vols.len().to_string()),
                    ("names", &names.join(", ")),
                    (
                        "more",
                        if vols.len() > names.len() {
                            ", …"
                        } else {
                            ""
                        },
                    ),
                ],
            )
        });
        let used: Vec<String> = vols
            .iter()
            .filter(|v| !v.used_by().is_empty())
            .map(|v| format!("{} ({})", v.name(), v.used_by()))
            .collect();
        if !used.is_empty() {
            body.push_str("\n\n");
            body.push_str(&gettext_f(
                "In use by virtual machines: {list}",
                &[("list", &used.join(", "))],
            ));
        }
        let dialog = adw::MessageDialog::new(
            self.window().as_ref(),
            Some(&gettext_f(
                "Delete the pool {pool}?",
                &[("pool", &pool.name())],
            )),
            Some(&body),
        );
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("undefine", &gettext("_Remove"));
        dialog.add_response("destroy", &gettext("Delete _Contents"));
        dialog.set_response_appearance("destroy", adw::ResponseAppearance::Destructive);
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        let this = self.downgrade();
        dialog.connect_response(None, move |_, r| {
            let op = match r {
                "undefine" => PoolOp::Undefine,
                "destroy" => PoolOp::DeleteWithContents,
                _ => return,
            };
            if let Some(this) = this.upgrade() {
                this.imp().selected.replace(None);
                this.run_pool_op_on(pool.clone(), op);
            }
        });
        dialog.present();
        Some(dialog)
    }

    pub(super) fn open_new_volume(&self) {
        let (Some(conn), Some(pool)) = (self.connection(), self.selected_pool()) else {
            return;
        };
        let d = NewVolumeDialog::new(self.window().as_ref(), &conn, &pool, self.volumes());
        let this = self.downgrade();
        d.connect_created(move |_| {
            if let Some(this) = this.upgrade() {
                this.show_details();
            }
        });
        d.present();
    }

    fn volume(&self, name: &str) -> Option<Volume> {
        self.volumes().into_iter().find(|v| v.name() == name)
    }

    /// A sentence saying which running machines use `v`, if any (then it is kept).
    fn running_users(v: &Volume) -> Option<String> {
        let info = v.info();
        let running = info.running_users();
        (!running.is_empty()).then(|| running.join(", "))
    }

    pub fn confirm_delete_volume(&self, name: &str) -> Option<adw::MessageDialog> {
        let v = self.volume(name)?;
        let (heading, body, can) = match Self::running_users(&v) {
            Some(users) => (
                gettext_f("{volume} is in use", &[("volume", name)]),
                gettext_f(
                    "It is a disk of {domains}, which is running. Shut it down first.",
                    &[("domains", &users)],
                ),
                false,
            ),
            None => (
                gettext_f("Delete {volume}?", &[("volume", name)]),
                if v.used_by().is_empty() {
                    gettext_f("{path} and its data are destroyed.", &[("path", &v.path())])
                } else {
                    gettext_f(
                        "{path} and its data are destroyed; {domains} will have a disk that is gone.",
                        &[("path", &v.path()), ("domains", &v.used_by())],
                    )
                },
                true,
            ),
        };
        let dialog = adw::MessageDialog::new(self.window().as_ref(), Some(&heading), Some(&body));
        if can {
            dialog.add_response("cancel", &gettext("_Cancel"));
            dialog.add_response("delete", &gettext("_Delete"));
            dialog.set_response_appearance("delete", adw::ResponseAppearance::Destructive);
            dialog.set_default_response(Some("cancel"));
            dialog.set_close_response("cancel");
        } else {
            dialog.add_response("close", &gettext("_Close"));
        }
        let this = self.downgrade();
        let name = name.to_string();
        dialog.connect_response(None, move |_, r| {
            if r != "delete" {
                return;
            }
            let Some(this) = this.upgrade() else { return };
            this.volume_call(&name, |conn, pool, name| async move {
                conn.backend().delete_volume(pool, name).await
            });
        });
        dialog.present();
        Some(dialog)
    }

    pub fn confirm_wipe_volume(&self, name: &str) -> Option<adw::MessageDialog> {
        let v = self.volume(name)?;
        let dialog = adw::MessageDialog::new(
            self.window().as_ref(),
            Some(&gettext_f("Wipe {volume}?", &[("volume", name)])),
            Some(&gettext(
                "Every byte of it is overwritten with zeros; its size stays. This cannot be undone.",
            )),
        );
        dialog.add_response("cancel", &gettext("_Cancel"));
        if let Some(users) = Self::running_users(&v) {
            dialog.set_body(&gettext_f(
                "It is a disk of {domains}, which is running. Shut it down first.",
                &[("domains", &users)],
            ));
        } else {
            dialog.add_response("wipe", &gettext("_Wipe"));
            dialog.set_response_appearance("wipe", adw::ResponseAppearance::Destructive);
        }
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        let this = self.downgrade();
        let name = name.to_string();
        dialog.connect_response(None, move |_, r| {
            if r != "wipe" {
                return;
            }
            let Some(this) = this.upgrade() else { return };
            this.volume_call(&name, |conn, pool, name| async move {
                conn.backend().wipe_volume(pool, name).await
            });
        });
        dialog.present();
        Some(dialog)
    }

    /// Ask for the new size: growing applies at once; a smaller size turns the
    /// response into a red "Shrink" with the warning of what is cut off.
    pub fn open_resize(&self, name: &str) -> Option<adw::MessageDialog> {
        let v = self.volume(name)?;
        let dialog = adw::MessageDialog::new(
            self.window().as_ref(),
            Some(&gettext_f("Resize {volume}", &[("volume", name)])),
            Some(&gettext_f(
                "Now {size}. The guest’s partitions and file systems do not grow by themselves.",
                &[("size", &format_bytes(v.capacity()))],
            )),
        );
        let entry = adw::EntryRow::builder().title(gettext("New size")).build();
        entry.set_text(&format_bytes(v.capacity()));
        let note = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["caption"])
            .build();
        let group = adw::PreferencesGroup::new();
        group.add(&entry);
        let extra = gtk::Box::new(gtk::Orientation::Vertical, 6);
        extra.append(&group);
        extra.append(&note);
        dialog.set_extra_child(Some(&extra));
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("resize", &gettext("_Resize"));
        dialog.set_response_appearance("resize", adw::ResponseAppearance::Suggested);
        dialog.set_response_enabled("resize", false);
        dialog.set_default_response(Some("resize"));
        dialog.set_close_response("cancel");
        let capacity = v.capacity();
        let running = Self::running_users(&v);
        let check = {
            let dialog = dialog.downgrade();
            let note = note.clone();
            move |text: &str| -> Option<(u64, bool)> {
                let dialog = dialog.upgrade()?;
                let verdict = match parse_size(text) {
                    Err(e) => Err(e.summary()),
                    Ok(0) => Err(gettext("The size must be more than nothing")),
                    Ok(b) if b == capacity => Err(gettext("That is its size now")),
                    Ok(b) if b < capacity => match &running {
                        Some(users) => Err(gettext_f(
                            "{domains} is running: a volume in use is never shrunk",
                            &[("domains", users)],
                        )),
                        None => Ok((b, true)),
                    },
                    Ok(b) => Ok((b, false)),
                };
                match verdict {
                    Ok((b, shrink)) => {
                        note.remove_css_class("error");
                        if shrink {
                            note.add_css_class("warning");
                            note.set_label(&gettext(
                                "Shrinking cuts off the data at the end of the volume: whatever the guest kept there is lost.",
                            ));
                            dialog.set_response_label("resize", &gettext("_Shrink"));
                            dialog.set_response_appearance(
                                "resize",
                                adw::ResponseAppearance::Destructive,
                            );
                        } else {
                            note.remove_css_class("warning");
                            note.set_label("");
                            dialog.set_response_label("resize", &gettext("_Resize"));
                            dialog.set_response_appearance(
                                "resize",
                                adw::ResponseAppearance::Suggested,
                            );
                        }
                        dialog.set_response_enabled("resize", true);
                        Some((b, shrink))
                    }
                    Err(m) => {
                        note.remove_css_class("warning");
                        note.add_css_class("error");
                        note.set_label(&m);
                        dialog.set_response_enabled("resize", false);
                        None
                    }
                }
            }
        };
        let check = std::rc::Rc::new(check);
        let c = check.clone();
        entry.connect_changed(move |e| {
            let _ = c(&e.text());
        });
        let this = self.downgrade();
        let name = name.to_string();
        let e = entry.clone();
        dialog.connect_response(None, move |_, r| {
            if r != "resize" {
                return;
            }
            let (Some(this), Some((bytes, shrink))) = (this.upgrade(), check(&e.text())) else {
                return;
            };
            this.volume_call(&name, move |conn, pool, name| async move {
                conn.backend()
                    .resize_volume(pool, name, bytes, shrink)
                    .await
            });
        });
        dialog.present();
        Some(dialog)
    }

    /// Run a volume call on the chosen pool; the details follow, an error is shown.
    fn volume_call<F, Fut>(&self, name: &str, f: F)
    where
        F: FnOnce(Connection, String, String) -> Fut + 'static,
        Fut: std::future::Future<Output = crate::backend::Result<()>> + 'static,
    {
        let (Some(conn), Some(pool)) = (self.connection(), self.selected_pool()) else {
            return;
        };
        let this = self.downgrade();
        let name = name.to_string();
        glib::spawn_future_local(async move {
            let r = f(conn, pool.uuid(), name.clone()).await;
            let Some(this) = this.upgrade() else { return };
            if let Err(e) = r {
                this.fail(
                    &gettext_f("{volume}: it did not work", &[("volume", &name)]),
                    &e,
                );
            }
            this.show_details();
        });
    }

    pub(super) fn choose_upload(&self) {
        let (Some(conn), Some(pool)) = (self.connection(), self.selected_pool()) else {
            return;
        };
        let this = self.downgrade();
        transfer::choose_upload(self.window().as_ref(), move |path| {
            if let Some(this) = this.upgrade() {
                this.start_transfer(transfer::upload_spec(&conn, &pool, path));
            }
        });
    }

    pub(super) fn choose_download(&self, name: &str) {
        let (Some(conn), Some(pool)) = (self.connection(), self.selected_pool()) else {
            return;
        };
        let this = self.downgrade();
        let volume = name.to_string();
        transfer::choose_download(self.window().as_ref(), name, move |path| {
            if let Some(this) = this.upgrade() {
                this.start_transfer(transfer::download_spec(&conn, &pool, &volume, path));
            }
        });
    }

    /// Start a copy, shown as a row under the header with its progress and Cancel;
    /// the volumes are read again when it ends.
    pub fn start_transfer(&self, spec: crate::backend::storage::transfer::TransferSpec) {
        let imp = self.imp();
        let this = self.downgrade();
        let row = TransferRow::start(spec, move |outcome| {
            let Some(this) = this.upgrade() else { return };
            if let Some(r) = this.imp().transfer.take() {
                this.remove(&r.row);
            }
            this.update_verbs();
            this.show_details();
            this.toast(&outcome);
        });
        self.insert_child_after(&row, Some(&*imp.default_banner));
        imp.transfer.replace(Some(Running { row }));
        self.update_verbs();
    }

    /// The copy under way, for tests: its row.
    pub fn transfer_row(&self) -> Option<TransferRow> {
        self.imp().transfer.borrow().as_ref().map(|r| r.row.clone())
    }
}
