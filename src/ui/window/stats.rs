//! The statistics tick: one bulk call per connection per interval, for the domains on
//! screen only, and nothing at all while the window is hidden.

use std::time::Duration;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gdk, glib};

use super::Window;
use crate::backend::stats::StatKinds;
use crate::model::{ConnStatus, Connection};

impl Window {
    pub(super) fn setup_stats(&self) {
        let settings = self.settings().clone();
        for key in [
            "stats-interval",
            "stats-cpu",
            "stats-memory",
            "stats-disk",
            "stats-network",
        ] {
            let this = self.downgrade();
            settings.connect_changed(Some(key), move |_, _| {
                if let Some(this) = this.upgrade() {
                    this.restart_stats();
                }
            });
        }
        self.restart_stats();
    }

    fn restart_stats(&self) {
        let imp = self.imp();
        if let Some(s) = imp.stats_source.take() {
            s.remove();
        }
        let secs = self.settings().uint("stats-interval").clamp(1, 60);
        let this = self.downgrade();
        let id = glib::timeout_add_local(Duration::from_secs(secs as u64), move || {
            match this.upgrade() {
                Some(this) => {
                    this.stats_tick();
                    glib::ControlFlow::Continue
                }
                None => glib::ControlFlow::Break,
            }
        });
        imp.stats_source.replace(Some(id));
    }

    fn stat_kinds(&self) -> StatKinds {
        let s = self.settings();
        StatKinds {
            cpu: s.boolean("stats-cpu"),
            memory: s.boolean("stats-memory"),
            disk: s.boolean("stats-disk"),
            network: s.boolean("stats-network"),
        }
    }

    /// Is anybody looking? Hidden or minimized windows sample nothing.
    pub fn is_on_screen(&self) -> bool {
        if !self.is_visible() || !self.is_mapped() {
            return false;
        }
        match self.surface().and_downcast::<gdk::Toplevel>() {
            Some(t) => !t.state().contains(gdk::ToplevelState::MINIMIZED),
            None => false,
        }
    }

    /// Sample now (the timer calls this; tests may too).
    pub fn stats_tick(&self) {
        if !self.is_on_screen() {
            return;
        }
        let kinds = self.stat_kinds();
        let on_screen = self.vms_on_screen();
        let any_kind = kinds.cpu || kinds.memory || kinds.disk || kinds.network;
        for conn in self.connections().iter::<Connection>().flatten() {
            if conn.status() != ConnStatus::Connected {
                continue;
            }
            let uuids: Vec<String> = if any_kind {
                on_screen
                    .iter()
                    .filter(|v| v.domain_state().is_active())
                    .filter(|v| conn.vm_by_uuid(&v.uuid()).as_ref() == Some(*v))
                    .map(|v| v.uuid())
                    .collect()
            } else {
                Vec::new()
            };
            let host = conn.is_host_watched();
            if uuids.is_empty() && !host {
                continue;
            }
            let key = conn.uri();
            if !self.imp().sampling.borrow_mut().insert(key.clone()) {
                continue; // the previous tick is still under way
            }
            let this = self.downgrade();
            glib::spawn_future_local(async move {
                let r = conn.backend().sample(Some(uuids), kinds, host).await;
                let Some(this) = this.upgrade() else { return };
                this.imp().sampling.borrow_mut().remove(&key);
                match r {
                    Ok(reply) => {
                        conn.apply_stats(&reply);
                        this.imp().stats_ticks.set(this.imp().stats_ticks.get() + 1);
                        this.resort_if(&["cpu"]);
                    }
                    Err(e) => tracing::debug!("statistics of {key}: {e}"),
                }
            });
        }
    }

    /// The VMs whose rows are inside the visible part of the list, and the VM whose
    /// page is open. The list view binds rows well beyond what is visible; those are
    /// left alone.
    pub fn vms_on_screen(&self) -> Vec<crate::model::Vm> {
        let mut out: Vec<crate::model::Vm> = self
            .connections()
            .iter::<Connection>()
            .flatten()
            .flat_map(|c| {
                c.domains()
                    .iter::<crate::model::Vm>()
                    .flatten()
                    .collect::<Vec<_>>()
            })
            .filter(|v| v.is_watched())
            .collect();
        let list = self.list_view();
        let viewport: gtk::Widget = list.parent().unwrap_or_else(|| list.clone().upcast());
        let height = viewport.height() as f32;
        let mut item = list.first_child();
        while let Some(w) = item {
            item = w.next_sibling();
            let row = w
                .first_child()
                .and_downcast::<gtk::TreeExpander>()
                .and_then(|e| e.child())
                .and_downcast::<crate::ui::list_row::ListRow>();
            let Some(row) = row else { continue };
            let Some(vm) = row.vm() else { continue };
            if !row.is_mapped() {
                continue;
            }
            if let Some(b) = row.compute_bounds(&viewport) {
                if b.y() + b.height() > 0.0 && b.y() < height && !out.contains(&vm) {
                    out.push(vm);
                }
            }
        }
        out
    }

    /// How many statistics replies were applied (for tests).
    pub fn stats_ticks(&self) -> u64 {
        self.imp().stats_ticks.get()
    }
}
