//! Reading a machine's snapshots: when the page is given a machine, after each
//! operation, on libvirt's events for the machine, and — because libvirt sends no
//! event for a snapshot made or deleted with `virsh` on a shut-off machine — by a
//! two-call fingerprint every two seconds while the tab or the Overview row shows.

use super::*;

use crate::i18n::{gettext_f, ngettext_f};
use crate::ui::vm::snapshots::rows::format_time;

impl SnapshotsPage {
    /// Show `vm`'s snapshots (or nothing).
    pub fn set_vm(&self, vm: Option<&Vm>) {
        let imp = self.imp();
        if imp.vm.borrow().as_ref() == vm {
            return;
        }
        imp.vm.replace(vm.cloned());
        imp.list.replace(SnapshotList::default());
        self.show(SnapshotList::default());
        let this = self.downgrade();
        crate::ui::vm::edits::rewatch_config(&imp.watch, vm, move || {
            if let Some(this) = this.upgrade() {
                this.reload();
            }
        });
        self.reload();
        self.notify("vm");
    }

    /// Read the snapshots again.
    pub fn reload(&self) {
        let Some((conn, vm)) = self.current() else {
            return;
        };
        let imp = self.imp();
        let load = imp.loads.get() + 1;
        imp.loads.set(load);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let t0 = std::time::Instant::now();
            let r = conn.backend().snapshots(vm.uuid()).await;
            let Some(this) = this.upgrade() else { return };
            if this.imp().loads.get() != load || this.imp().vm.borrow().as_ref() != Some(&vm) {
                return;
            }
            match r {
                Ok(list) => {
                    tracing::debug!("{} snapshots read in {:?}", list.items.len(), t0.elapsed());
                    this.show(list);
                }
                Err(e) => tracing::debug!("snapshots of {}: {e}", vm.name()),
            }
        });
    }

    /// Notice snapshots made, deleted or reverted to outside Hangar.
    pub(super) fn watch_outside(&self) {
        let this = self.downgrade();
        let check = move || {
            let Some(this) = this.upgrade() else { return };
            let Some((conn, vm)) = this.current() else {
                return;
            };
            if this.imp().busy.get() {
                return;
            }
            let this = this.downgrade();
            glib::spawn_future_local(async move {
                let Ok(print) = conn.backend().snapshot_fingerprint(vm.uuid()).await else {
                    return;
                };
                let Some(this) = this.upgrade() else { return };
                if print != this.imp().list.borrow().fingerprint {
                    this.reload();
                }
            });
        };
        let check = std::rc::Rc::new(check);
        let c = check.clone();
        crate::ui::vm::edits::check_while_mapped(self, move || c());
        crate::ui::vm::edits::check_while_mapped(&self.imp().overview, move || check());
    }

    pub(super) fn update_overview(&self) {
        let imp = self.imp();
        let list = imp.list.borrow();
        let n = list.items.len() as u32;
        let text = match list.newest() {
            None => gettext("None yet"),
            Some(s) => ngettext_f(
                "{n} snapshot · newest {time} ({name})",
                "{n} snapshots · newest {time} ({name})",
                n,
                &[
                    ("n", &n.to_string()),
                    ("time", &format_time(s.created)),
                    ("name", &s.name),
                ],
            ),
        };
        imp.overview_row.set_subtitle(&text);
        imp.overview_row
            .update_property(&[gtk::accessible::Property::Description(&gettext_f(
                "Snapshots: {summary}",
                &[("summary", &text)],
            ))]);
    }

    /// The Overview row's text (for tests).
    pub fn overview_text(&self) -> String {
        self.imp()
            .overview_row
            .subtitle()
            .map(|s| s.to_string())
            .unwrap_or_default()
    }
}
