//! The statistics tick: one bulk call per connection per interval, for the domains on
//! screen only, and nothing at all while the window is hidden. The list's guest-screen
//! thumbnails follow the same rule on a slower tick of their own.

use std::time::Duration;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gdk, glib};

use super::Window;
use crate::backend::domain::stats::StatKinds;
use crate::model::{ConnStatus, Connection, Vm};
use crate::ui::console::{ConsolePage, GuestDisplay};
use crate::ui::window::list_row::ListRow;

/// How often the guest screens in the list are refreshed. A screenshot costs QEMU a
/// full-screen encode and libvirt a stream; a thumbnail 56 pixels wide shows no more
/// every second than every few, so a slow tick keeps an idle window idle.
pub const THUMBNAIL_REFRESH: Duration = Duration::from_secs(5);

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
        self.setup_thumbnails();
    }

    fn setup_thumbnails(&self) {
        let this = self.downgrade();
        self.settings()
            .connect_changed(Some("list-thumbnails"), move |_, _| {
                if let Some(this) = this.upgrade() {
                    let on = this.list_thumbnails();
                    for row in this.bound_rows() {
                        row.set_thumbnails(on);
                    }
                    this.thumbnails_tick();
                }
            });
        // Rows scrolled into view get their first picture soon after scrolling stops,
        // not at the next tick.
        if let Some(adj) = self.list_view().vadjustment() {
            let pending = std::rc::Rc::new(std::cell::Cell::new(false));
            let this = self.downgrade();
            adj.connect_value_changed(move |_| {
                if pending.replace(true) {
                    return;
                }
                let (this, pending) = (this.clone(), pending.clone());
                glib::timeout_add_local_once(Duration::from_millis(400), move || {
                    pending.set(false);
                    if let Some(this) = this.upgrade() {
                        this.thumbnails_pass(true);
                    }
                });
            });
        }
        // A first picture soon after the window shows, then the slow tick.
        let this = self.downgrade();
        self.connect_map(move |_| {
            let this = this.clone();
            glib::timeout_add_local_once(Duration::from_millis(300), move || {
                if let Some(this) = this.upgrade() {
                    this.thumbnails_tick();
                }
            });
        });
        let this = self.downgrade();
        glib::timeout_add_local(THUMBNAIL_REFRESH, move || match this.upgrade() {
            Some(this) => {
                this.thumbnails_tick();
                glib::ControlFlow::Continue
            }
            None => glib::ControlFlow::Break,
        });
    }

    /// Whether the VM list shows guest screens (a preference).
    pub fn list_thumbnails(&self) -> bool {
        self.settings().boolean("list-thumbnails")
    }

    /// Refresh the guest screens of the running VMs whose rows are in view (the timer
    /// calls this; tests may too). Rows out of view, and a hidden window, cost nothing.
    pub fn thumbnails_tick(&self) {
        self.thumbnails_pass(false);
    }

    /// A refresh of the rows in view; `missing_only`: of those without a picture.
    fn thumbnails_pass(&self, missing_only: bool) {
        if !self.list_thumbnails() || !self.is_on_screen() {
            return;
        }
        let conns: Vec<Connection> = self
            .connections()
            .iter::<Connection>()
            .flatten()
            .filter(|c| c.status() == ConnStatus::Connected)
            .collect();
        for row in self.visible_rows() {
            let Some(vm) = row.vm() else { continue };
            if !vm.domain_state().is_active() {
                continue;
            }
            // Only guests of a connection that is up get a picture.
            if !Connection::of(&vm).is_some_and(|c| conns.contains(&c)) {
                continue;
            }
            // Rows bound before the preference was read get their thumbnail now.
            row.set_thumbnails(true);
            if missing_only && row.thumbnail().is_some_and(|t| t.has_picture()) {
                continue;
            }
            let display = self.open_console(&vm);
            if row.refresh_thumbnail(display.as_ref()) {
                *self
                    .imp()
                    .thumbnail_shots
                    .borrow_mut()
                    .entry(vm.uuid())
                    .or_default() += 1;
            }
        }
    }

    /// Screenshots the list's thumbnails asked of libvirt for the domain `uuid`.
    pub fn thumbnail_screenshots(&self, uuid: &str) -> u64 {
        self.imp()
            .thumbnail_shots
            .borrow()
            .get(uuid)
            .copied()
            .unwrap_or(0)
    }

    /// The console display showing `vm`, when one is open and showing.
    fn open_console(&self, vm: &Vm) -> Option<GuestDisplay> {
        let page = self.imp().vm_page.get()?;
        let console = page.page("console").and_downcast::<ConsolePage>()?;
        let (_, shown) = console.current()?;
        let d = console.display();
        (shown == *vm && d.is_ready()).then(|| d.clone())
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
    pub fn vms_on_screen(&self) -> Vec<Vm> {
        let mut out: Vec<Vm> = self
            .connections()
            .iter::<Connection>()
            .flatten()
            .flat_map(|c| c.domains().iter::<Vm>().flatten().collect::<Vec<_>>())
            .filter(|v| v.is_watched())
            .collect();
        for row in self.visible_rows() {
            if let Some(vm) = row.vm() {
                if !out.contains(&vm) {
                    out.push(vm);
                }
            }
        }
        out
    }

    /// The rows the list view has made (it binds rows well beyond what is visible).
    pub fn bound_rows(&self) -> Vec<ListRow> {
        let mut out = Vec::new();
        let mut item = self.list_view().first_child();
        while let Some(w) = item {
            item = w.next_sibling();
            if let Some(row) = w
                .first_child()
                .and_downcast::<gtk::TreeExpander>()
                .and_then(|e| e.child())
                .and_downcast::<ListRow>()
            {
                out.push(row);
            }
        }
        out
    }

    /// The rows inside the visible part of the list.
    pub fn visible_rows(&self) -> Vec<ListRow> {
        let list = self.list_view();
        let viewport: gtk::Widget = list.parent().unwrap_or_else(|| list.clone().upcast());
        let height = viewport.height() as f32;
        self.bound_rows()
            .into_iter()
            .filter(|row| row.is_mapped())
            .filter(|row| {
                row.compute_bounds(&viewport)
                    .is_some_and(|b| b.y() + b.height() > 0.0 && b.y() < height)
            })
            .collect()
    }

    /// How many statistics replies were applied (for tests).
    pub fn stats_ticks(&self) -> u64 {
        self.imp().stats_ticks.get()
    }
}
