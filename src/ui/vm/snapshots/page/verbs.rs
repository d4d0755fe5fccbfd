//! The Snapshots tab's verbs: take (the dialog), revert and delete (each after a
//! confirmation that says what is lost), edit name and description, compare; the
//! long ones run as a job whose progress shows above the tree.

use super::*;

use crate::backend::snapshot::job::{DeleteMode, JobProgress, RevertMode, SnapshotOp};
use crate::backend::snapshot::plan::check_name;
use crate::i18n::{gettext_f, ngettext_f};
use crate::ui::vm::snapshots::compare::CompareDialog;
use crate::ui::vm::snapshots::take_dialog::TakeDialog;

impl SnapshotsPage {
    fn window(&self) -> Option<gtk::Window> {
        self.root().and_downcast::<gtk::Window>()
    }

    pub(super) fn open_take(&self) {
        let Some((conn, vm)) = self.current() else {
            return;
        };
        let dialog = TakeDialog::new(self.window().as_ref(), &conn, &vm);
        let this = self.downgrade();
        dialog.connect_take(move |spec| {
            if let Some(this) = this.upgrade() {
                let what = gettext_f("Taking snapshot “{name}”…", &[("name", &spec.name)]);
                this.run_job(SnapshotOp::Take(spec), what);
            }
        });
        dialog.present();
    }

    /// Run a long operation, its progress above the tree; reload when it ends.
    pub fn run_job(&self, op: SnapshotOp, what: String) {
        let Some((conn, vm)) = self.current() else {
            return;
        };
        let imp = self.imp();
        imp.busy.set(true);
        self.update_actions();
        imp.progress_label.set_label(&what);
        imp.progress_bar.set_fraction(0.0);
        imp.progress_revealer.set_reveal_child(true);
        vm.set_busy(true);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let end = match conn.backend().snapshot_job(vm.uuid(), op).await {
                Err(e) => Err(e),
                Ok(rx) => loop {
                    match rx.recv().await {
                        Ok(JobProgress::Working(f)) => {
                            if let Some(this) = this.upgrade() {
                                let bar = &this.imp().progress_bar;
                                match f {
                                    Some(f) => bar.set_fraction(f),
                                    None => bar.pulse(),
                                }
                            }
                        }
                        Ok(JobProgress::Done(n)) => break Ok(n),
                        Ok(JobProgress::Failed(e)) => break Err(e),
                        Err(_) => break Err(crate::backend::Error::WorkerGone),
                    }
                },
            };
            vm.set_busy(false);
            let Some(this) = this.upgrade() else { return };
            let imp = this.imp();
            imp.busy.set(false);
            imp.progress_revealer.set_reveal_child(false);
            if let Err(e) = end {
                if let Some(win) = this.window() {
                    crate::ui::error::show_dialog(&win, &what.replace('…', ""), &e);
                }
            }
            this.reload();
            this.update_actions();
        });
    }

    pub(super) fn confirm_revert(&self) {
        let (Some(s), Some((_, vm))) = (self.selected(), self.current()) else {
            return;
        };
        let list = self.snapshots();
        let since = match list.current() {
            Some(c) => gettext_f(
                "Everything “{vm}” did since snapshot “{current}” was taken or reverted to is lost: changes to its disks, and its memory if it runs.",
                &[("vm", &vm.name()), ("current", &c.name)],
            ),
            None => gettext_f(
                "The present state of “{vm}” is lost: changes to its disks, and its memory if it runs.",
                &[("vm", &vm.name())],
            ),
        };
        let dialog = adw::MessageDialog::new(
            self.window().as_ref(),
            Some(&gettext_f("Revert to “{name}”?", &[("name", &s.name)])),
            Some(&since),
        );
        let as_taken = gtk::CheckButton::with_label(&if s.was_active() {
            gettext_f("As taken: {state}", &[("state", &s.state_label())])
        } else {
            gettext("As taken: shut off")
        });
        as_taken.set_active(true);
        let paused = gtk::CheckButton::with_label(&gettext("Paused"));
        paused.set_group(Some(&as_taken));
        let off = gtk::CheckButton::with_label(&gettext("Shut off"));
        off.set_group(Some(&as_taken));
        let modes = gtk::Box::new(gtk::Orientation::Vertical, 6);
        modes.append(&as_taken);
        if s.has_memory {
            modes.append(&paused);
            modes.append(&off);
        }
        dialog.set_extra_child(Some(&modes));
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("revert", &gettext("_Revert"));
        dialog.set_response_appearance("revert", adw::ResponseAppearance::Destructive);
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        let this = self.downgrade();
        dialog.connect_response(None, move |_, r| {
            if r != "revert" {
                return;
            }
            let Some(this) = this.upgrade() else { return };
            let mode = if paused.is_active() {
                RevertMode::Paused
            } else if off.is_active() {
                RevertMode::ShutOff
            } else {
                RevertMode::AsTaken
            };
            let what = gettext_f("Reverting to “{name}”…", &[("name", &s.name)]);
            this.run_job(
                SnapshotOp::Revert {
                    name: s.name.clone(),
                    mode,
                },
                what,
            );
        });
        dialog.present();
    }

    /// The snapshots below `name` in the tree.
    fn descendants(&self, name: &str) -> Vec<String> {
        let list = self.snapshots();
        let mut out = Vec::new();
        let mut frontier = vec![name.to_string()];
        while let Some(p) = frontier.pop() {
            for s in list
                .items
                .iter()
                .filter(|s| s.parent.as_deref() == Some(&p))
            {
                out.push(s.name.clone());
                frontier.push(s.name.clone());
            }
        }
        out
    }

    pub(super) fn confirm_delete(&self, which: &str) {
        let Some(s) = self.selected() else { return };
        let below = self.descendants(&s.name);
        let (mode, heading, body) = match which {
            "with-children" => (
                DeleteMode::WithChildren,
                ngettext_f(
                    "Delete “{name}” and its snapshot below it?",
                    "Delete “{name}” and the {n} snapshots below it?",
                    below.len() as u32,
                    &[("name", &s.name), ("n", &below.len().to_string())],
                ),
                below.join(", "),
            ),
            "children" => (
                DeleteMode::ChildrenOnly,
                ngettext_f(
                    "Delete the snapshot below “{name}”?",
                    "Delete the {n} snapshots below “{name}”?",
                    below.len() as u32,
                    &[("name", &s.name), ("n", &below.len().to_string())],
                ),
                below.join(", "),
            ),
            _ => (
                DeleteMode::One,
                gettext_f("Delete snapshot “{name}”?", &[("name", &s.name)]),
                gettext("The snapshots below it stay, under its parent."),
            ),
        };
        if mode == DeleteMode::ChildrenOnly && below.is_empty() {
            self.imp().note.set_label(&gettext_f(
                "“{name}” has no snapshots below it.",
                &[("name", &s.name)],
            ));
            self.imp().note.set_visible(true);
            return;
        }
        let dialog = adw::MessageDialog::new(self.window().as_ref(), Some(&heading), Some(&body));
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("delete", &gettext("_Delete"));
        dialog.set_response_appearance("delete", adw::ResponseAppearance::Destructive);
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        let this = self.downgrade();
        dialog.connect_response(None, move |_, r| {
            if r != "delete" {
                return;
            }
            if let Some(this) = this.upgrade() {
                let what = gettext_f("Deleting “{name}”…", &[("name", &s.name)]);
                this.run_job(
                    SnapshotOp::Delete {
                        name: s.name.clone(),
                        mode,
                    },
                    what,
                );
            }
        });
        dialog.present();
    }

    pub(super) fn open_edit(&self) {
        let (Some(s), Some((conn, vm))) = (self.selected(), self.current()) else {
            return;
        };
        let list = self.snapshots();
        let dialog = adw::MessageDialog::new(
            self.window().as_ref(),
            Some(&gettext_f("Edit “{name}”", &[("name", &s.name)])),
            None,
        );
        let name = gtk::Entry::builder()
            .text(&s.name)
            .activates_default(true)
            .build();
        name.update_property(&[gtk::accessible::Property::Label(&gettext("Name"))]);
        let desc = gtk::Entry::builder()
            .text(&s.description)
            .activates_default(true)
            .placeholder_text(gettext("Description"))
            .build();
        desc.update_property(&[gtk::accessible::Property::Label(&gettext("Description"))]);
        let hint = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["caption"])
            .build();
        let content = gtk::Box::new(gtk::Orientation::Vertical, 6);
        content.append(&name);
        content.append(&hint);
        content.append(&desc);
        dialog.set_extra_child(Some(&content));
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("save", &gettext("_Save"));
        dialog.set_response_appearance("save", adw::ResponseAppearance::Suggested);
        dialog.set_default_response(Some("save"));
        dialog.set_close_response("cancel");
        if let Some(why) = rename_refusal(&s, &list.facts.driver) {
            name.set_sensitive(false);
            hint.set_label(&why);
        }
        let taken: Vec<String> = list.names().into_iter().filter(|n| *n != s.name).collect();
        let d = dialog.downgrade();
        let h = hint.clone();
        let refused = !name.is_sensitive();
        name.connect_changed(move |e| {
            if refused {
                return;
            }
            let why = check_name(&e.text(), &taken);
            h.set_label(why.as_deref().unwrap_or(""));
            h.set_css_classes(if why.is_some() {
                &["caption", "error"]
            } else {
                &["caption"]
            });
            if let Some(d) = d.upgrade() {
                d.set_response_enabled("save", why.is_none());
            }
        });
        let this = self.downgrade();
        dialog.connect_response(None, move |_, r| {
            if r != "save" {
                return;
            }
            let (new_name, description) = (name.text().trim().to_string(), desc.text().to_string());
            let (conn, vm, this, old) = (conn.clone(), vm.clone(), this.clone(), s.name.clone());
            glib::spawn_future_local(async move {
                let r = conn
                    .backend()
                    .edit_snapshot(vm.uuid(), old.clone(), new_name, description)
                    .await;
                let Some(this) = this.upgrade() else { return };
                if let Err(e) = r {
                    if let Some(win) = this.window() {
                        let heading = gettext_f("Could not change “{name}”", &[("name", &old)]);
                        crate::ui::error::show_dialog(&win, &heading, &e);
                    }
                }
                this.reload();
            });
        });
        dialog.present();
    }

    pub(super) fn open_compare(&self) {
        let (Some(s), Some((conn, vm))) = (self.selected(), self.current()) else {
            return;
        };
        let names = self.snapshots().names();
        CompareDialog::new(self.window().as_ref(), &conn, &vm, &names, &s.name).present();
    }
}
