//! Deleting virtual machines, with their storage when the person ticks it: each disk
//! has a box, ticked only for a writable, unshared disk no other machine uses (the
//! others say why they are kept), so a delete never takes a disk without saying so.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gtk::glib;

use super::messages::Op;
use super::Window;
use crate::backend::storage::disposal::DiskChoice;
use crate::backend::units::format_bytes;
use crate::i18n::{gettext, gettext_f, ngettext_f};
use crate::model::{Connection, Vm};

/// The boxes of the dialog: per machine, its disks' paths with their boxes.
type Choices = Rc<RefCell<Vec<(Connection, Vm, Vec<(String, gtk::CheckButton)>)>>>;

impl Window {
    pub(super) fn delete_dialog(&self) {
        let targets = self.selected_vms();
        if targets.is_empty() {
            return;
        }
        if !self.settings().boolean("confirm-delete") {
            // Without a question nothing but the machines goes.
            let keep = targets
                .iter()
                .map(|(c, v)| (c.clone(), v.clone(), Vec::new()))
                .collect();
            self.run_delete(keep);
            return;
        }
        let running = targets
            .iter()
            .filter(|(_, v)| v.domain_state().is_active())
            .count();
        let heading = if targets.len() == 1 {
            gettext_f("Delete “{name}”?", &[("name", &targets[0].1.name())])
        } else {
            ngettext_f(
                "Delete {n} virtual machine?",
                "Delete {n} virtual machines?",
                targets.len() as u32,
                &[("n", &targets.len().to_string())],
            )
        };
        let mut body = gettext(
            "The configuration, saved state and snapshot metadata are removed, and the ticked disks are deleted. Unticked disks are kept.",
        );
        if running > 0 && targets.len() == 1 {
            body.push_str("\n\n");
            body.push_str(&gettext("It is running and will be forced off first."));
        } else if running > 0 {
            body.push_str("\n\n");
            body.push_str(&ngettext_f(
                "{n} of them is running and will be forced off first.",
                "{n} of them are running and will be forced off first.",
                running as u32,
                &[("n", &running.to_string())],
            ));
        }
        let dialog = adw::MessageDialog::new(Some(self), Some(&heading), Some(&body));
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("delete", &gettext("_Delete"));
        dialog.set_response_appearance("delete", adw::ResponseAppearance::Destructive);
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        let list = gtk::Box::new(gtk::Orientation::Vertical, 6);
        let reading = gtk::Label::new(Some(&gettext("Reading the disks…")));
        reading.add_css_class("dim-label");
        list.append(&reading);
        dialog.set_extra_child(Some(&list));
        // Deleting waits for the disks to be known: a click cannot outrun the boxes.
        dialog.set_response_enabled("delete", false);
        let choices: Choices = Rc::default();
        let (d, l, c) = (dialog.downgrade(), list.downgrade(), choices.clone());
        let many = targets.len() > 1;
        glib::spawn_future_local(async move {
            let mut found = Vec::new();
            for (conn, vm) in &targets {
                let disks = conn
                    .backend()
                    .disks_to_offer(vm.uuid())
                    .await
                    .unwrap_or_default();
                found.push((conn.clone(), vm.clone(), disks));
            }
            let (Some(dialog), Some(list)) = (d.upgrade(), l.upgrade()) else {
                return;
            };
            list.remove(&reading);
            for (conn, vm, disks) in found {
                let boxes = disk_boxes(&list, &vm, &disks, many);
                c.borrow_mut().push((conn, vm, boxes));
            }
            dialog.set_response_enabled("delete", true);
        });
        let this = self.downgrade();
        dialog.connect_response(None, move |_, r| {
            if r != "delete" {
                return;
            }
            let Some(this) = this.upgrade() else { return };
            let chosen = choices
                .borrow()
                .iter()
                .map(|(c, v, boxes)| {
                    let paths = boxes
                        .iter()
                        .filter(|(_, b)| b.is_active())
                        .map(|(p, _)| p.clone())
                        .collect();
                    (c.clone(), v.clone(), paths)
                })
                .collect();
            this.run_delete(chosen);
        });
        dialog.present();
    }

    /// Delete each machine, then the paths chosen for it; say what happened.
    fn run_delete(&self, targets: Vec<(Connection, Vm, Vec<String>)>) {
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let mut failures = Vec::new();
            let mut kept_back = Vec::new();
            let (mut deleted, mut disks) = (0, 0);
            for (conn, vm, paths) in &targets {
                vm.set_busy(true);
                let n = paths.len();
                match conn
                    .backend()
                    .delete_with_storage(vm.uuid(), paths.clone())
                    .await
                {
                    Ok(left) => {
                        deleted += 1;
                        disks += n - left.len();
                        kept_back.extend(left);
                    }
                    Err(e) => failures.push((vm.name(), e)),
                }
                vm.set_busy(false);
            }
            let Some(this) = this.upgrade() else { return };
            if deleted > 0 {
                let machines = ngettext_f(
                    "Deleted {n} virtual machine",
                    "Deleted {n} virtual machines",
                    deleted,
                    &[("n", &deleted.to_string())],
                );
                let storage = ngettext_f(
                    "and {n} disk",
                    "and {n} disks",
                    disks as u32,
                    &[("n", &disks.to_string())],
                );
                this.toast(&if disks > 0 {
                    format!("{machines} {storage}")
                } else {
                    machines
                });
            }
            this.report_failures(Op::Delete, failures);
            if !kept_back.is_empty() {
                let list: Vec<String> = kept_back
                    .iter()
                    .map(|(p, e)| format!("{p}: {}", e.summary()))
                    .collect();
                let d = adw::MessageDialog::new(
                    Some(&this),
                    Some(&gettext("Some Disks Were Not Deleted")),
                    Some(&list.join("\n")),
                );
                d.add_response("close", &gettext("_Close"));
                d.present();
            }
        });
    }
}

/// The boxes of one machine's disks under `list`; their paths with their boxes.
fn disk_boxes(
    list: &gtk::Box,
    vm: &Vm,
    disks: &[DiskChoice],
    many: bool,
) -> Vec<(String, gtk::CheckButton)> {
    if many {
        let title = gtk::Label::builder()
            .label(vm.name())
            .xalign(0.0)
            .css_classes(["heading"])
            .build();
        list.append(&title);
    }
    if disks.is_empty() {
        let none = gtk::Label::builder()
            .label(gettext("No disks"))
            .xalign(0.0)
            .css_classes(["dim-label"])
            .build();
        list.append(&none);
        return Vec::new();
    }
    let mut out = Vec::new();
    for d in disks {
        let size = if d.allocation > 0 {
            format!(" ({})", format_bytes(d.allocation))
        } else {
            String::new()
        };
        let label = format!("{} — {}{size}", d.target, d.path);
        let b = gtk::CheckButton::with_label(&label);
        b.set_active(d.delete_by_default);
        if let Some(l) = b.last_child().and_downcast::<gtk::Label>() {
            l.set_wrap(true);
            l.set_wrap_mode(gtk::pango::WrapMode::WordChar);
            l.set_xalign(0.0);
        }
        let row = gtk::Box::new(gtk::Orientation::Vertical, 0);
        row.append(&b);
        if !d.reason.is_empty() {
            let why = gtk::Label::builder()
                .label(&d.reason)
                .xalign(0.0)
                .margin_start(28)
                .css_classes(["caption", "dim-label"])
                .build();
            row.append(&why);
            b.update_property(&[gtk::accessible::Property::Description(&d.reason)]);
        }
        list.append(&row);
        out.push((d.path.clone(), b));
    }
    out
}
