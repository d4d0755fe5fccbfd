//! `Vm`: one domain as the UI sees it.

use std::cell::{Cell, RefCell};

use gtk::glib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;

use super::History;
use crate::backend::domain::stats::Usage;
use crate::backend::domain::{DomainInfo, DomainState};

mod imp {
    use super::*;
    use std::sync::OnceLock;

    use glib::subclass::Signal;

    #[derive(Default, glib::Properties)]
    #[properties(wrapper_type = super::Vm)]
    pub struct Vm {
        #[property(get, construct_only)]
        pub uuid: RefCell<String>,
        /// The connection this machine belongs to: weak (the connection owns its
        /// machines), and typed as any object so that this file needs not know the
        /// connection's (`Connection::of` gives it typed).
        #[property(get, set, nullable)]
        pub connection: glib::WeakRef<glib::Object>,
        #[property(get, set)]
        pub name: RefCell<String>,
        #[property(get, set)]
        pub title: RefCell<String>,
        #[property(get, set)]
        pub description: RefCell<String>,
        /// libvirt's raw `virDomainState`.
        #[property(get, set)]
        pub state: Cell<i32>,
        #[property(get, set)]
        pub reason: Cell<i32>,
        #[property(get, set)]
        pub id: Cell<i64>,
        #[property(get, set)]
        pub vcpus: Cell<u32>,
        #[property(get, set)]
        pub memory_kib: Cell<u64>,
        #[property(get, set)]
        pub max_memory_kib: Cell<u64>,
        #[property(get, set)]
        pub os_type: RefCell<String>,
        /// libosinfo's id of its system, when its metadata names one.
        #[property(get, set)]
        pub os_id: RefCell<String>,
        #[property(get, set)]
        pub hypervisor: RefCell<String>,
        #[property(get, set)]
        pub arch: RefCell<String>,
        #[property(get, set)]
        pub persistent: Cell<bool>,
        #[property(get, set)]
        pub autostart: Cell<bool>,
        #[property(get, set)]
        pub has_managed_save: Cell<bool>,
        /// CPU use of the guest's vCPUs, 0–100.
        #[property(get, set)]
        pub cpu_percent: Cell<f64>,
        /// Memory in use, 0–100 of the guest's memory.
        #[property(get, set)]
        pub memory_percent: Cell<f64>,
        /// An action is under way (the row shows a spinner).
        #[property(get, set)]
        pub busy: Cell<bool>,
        pub cpu_history: RefCell<History>,
        pub memory_history: RefCell<History>,
        pub disk_read_history: RefCell<History>,
        pub disk_write_history: RefCell<History>,
        pub net_rx_history: RefCell<History>,
        pub net_tx_history: RefCell<History>,
        pub last_usage: Cell<Usage>,
        /// (lowercase name, name): the list's order, computed once per rename.
        pub sort_name: RefCell<(String, String)>,
        /// Widgets currently showing this VM (rows on screen, the open VM page).
        pub watchers: Cell<u32>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Vm {
        const NAME: &'static str = "HangarVm";
        type Type = super::Vm;
    }

    #[glib::derived_properties]
    impl ObjectImpl for Vm {
        fn signals() -> &'static [Signal] {
            static SIGNALS: OnceLock<Vec<Signal>> = OnceLock::new();
            SIGNALS.get_or_init(|| {
                vec![
                    Signal::builder("stats-updated").build(),
                    // The definition or run state may have changed outside this
                    // page: re-read the XML.
                    Signal::builder("config-changed").build(),
                ]
            })
        }
    }
}

glib::wrapper! {
    pub struct Vm(ObjectSubclass<imp::Vm>);
}

impl Vm {
    pub fn new(info: &DomainInfo) -> Vm {
        let vm: Vm = glib::Object::builder().property("uuid", &info.uuid).build();
        vm.update(info);
        vm
    }

    /// Bring the properties in line with `info`; only changed values notify. The
    /// values are compared on the fields themselves: the property getters go through
    /// GValues, and thousands of machines are updated at once when a host connects.
    pub fn update(&self, info: &DomainInfo) {
        let imp = self.imp();
        macro_rules! cell {
            ($field:ident, $prop:literal, $new:expr) => {{
                let new = $new;
                if imp.$field.get() != new {
                    self.set_property($prop, new);
                }
            }};
        }
        macro_rules! text {
            ($field:ident, $prop:literal, $new:expr) => {{
                let changed = *imp.$field.borrow() != $new;
                if changed {
                    self.set_property($prop, $new.clone());
                }
            }};
        }
        if *imp.name.borrow() != info.name {
            imp.sort_name
                .replace((info.name.to_lowercase(), info.name.clone()));
            self.set_name(info.name.clone());
        }
        cell!(state, "state", info.state.to_raw());
        cell!(reason, "reason", info.reason);
        cell!(id, "id", info.id.map(i64::from).unwrap_or(-1));
        cell!(persistent, "persistent", info.persistent);
        cell!(autostart, "autostart", info.autostart);
        cell!(has_managed_save, "has-managed-save", info.has_managed_save);
        if info.detailed {
            text!(title, "title", info.title);
            text!(description, "description", info.description);
            cell!(vcpus, "vcpus", info.vcpus);
            cell!(memory_kib, "memory-kib", info.memory_kib);
            cell!(max_memory_kib, "max-memory-kib", info.max_memory_kib);
            text!(os_type, "os-type", info.os_type);
            text!(os_id, "os-id", info.os_id);
            text!(hypervisor, "hypervisor", info.hypervisor);
            text!(arch, "arch", info.arch);
        }
        if !self.domain_state().is_active() {
            self.clear_stats();
        }
    }

    /// The key the list sorts names by: case-insensitive, then exact.
    pub fn sort_name(&self) -> std::cell::Ref<'_, (String, String)> {
        self.imp().sort_name.borrow()
    }

    pub fn domain_state(&self) -> DomainState {
        DomainState::from_raw(self.imp().state.get())
    }

    /// Record one statistics sample.
    pub fn push_usage(&self, u: &Usage) {
        let imp = self.imp();
        imp.last_usage.set(*u);
        imp.cpu_history.borrow_mut().push(u.cpu_percent);
        let mem = match (u.memory_used_kib, u.memory_total_kib) {
            (Some(used), Some(total)) if total > 0 => {
                (used as f64 * 100.0 / total as f64).clamp(0.0, 100.0)
            }
            _ => 0.0,
        };
        imp.memory_history.borrow_mut().push(mem);
        imp.disk_read_history
            .borrow_mut()
            .push(u.disk_read_bps.unwrap_or(0.0));
        imp.disk_write_history
            .borrow_mut()
            .push(u.disk_write_bps.unwrap_or(0.0));
        imp.net_rx_history
            .borrow_mut()
            .push(u.net_rx_bps.unwrap_or(0.0));
        imp.net_tx_history
            .borrow_mut()
            .push(u.net_tx_bps.unwrap_or(0.0));
        if (self.cpu_percent() - u.cpu_percent).abs() > 0.05 {
            self.set_cpu_percent(u.cpu_percent);
        }
        if (self.memory_percent() - mem).abs() > 0.05 {
            self.set_memory_percent(mem);
        }
        self.emit_by_name::<()>("stats-updated", &[]);
    }

    pub fn clear_stats(&self) {
        let imp = self.imp();
        let had = !imp.cpu_history.borrow().is_empty();
        for h in [
            &imp.cpu_history,
            &imp.memory_history,
            &imp.disk_read_history,
            &imp.disk_write_history,
            &imp.net_rx_history,
            &imp.net_tx_history,
        ] {
            h.borrow_mut().clear();
        }
        imp.last_usage.set(Usage::default());
        if self.imp().cpu_percent.get() != 0.0 {
            self.set_cpu_percent(0.0);
        }
        if self.imp().memory_percent.get() != 0.0 {
            self.set_memory_percent(0.0);
        }
        if had {
            self.emit_by_name::<()>("stats-updated", &[]);
        }
    }

    pub fn last_usage(&self) -> Usage {
        self.imp().last_usage.get()
    }

    pub fn cpu_history(&self) -> std::cell::Ref<'_, History> {
        self.imp().cpu_history.borrow()
    }

    pub fn memory_history(&self) -> std::cell::Ref<'_, History> {
        self.imp().memory_history.borrow()
    }

    /// (read, write) disk histories in bytes per second.
    pub fn disk_histories(&self) -> (std::cell::Ref<'_, History>, std::cell::Ref<'_, History>) {
        (
            self.imp().disk_read_history.borrow(),
            self.imp().disk_write_history.borrow(),
        )
    }

    /// (receive, transmit) network histories in bytes per second.
    pub fn net_histories(&self) -> (std::cell::Ref<'_, History>, std::cell::Ref<'_, History>) {
        (
            self.imp().net_rx_history.borrow(),
            self.imp().net_tx_history.borrow(),
        )
    }

    /// A widget starts showing this VM's live usage.
    pub fn watch(&self) {
        let w = &self.imp().watchers;
        w.set(w.get() + 1);
    }

    pub fn unwatch(&self) {
        let w = &self.imp().watchers;
        w.set(w.get().saturating_sub(1));
    }

    pub fn is_watched(&self) -> bool {
        self.imp().watchers.get() > 0
    }

    /// The name people see: the title when there is one.
    pub fn display_name(&self) -> String {
        let t = self.title();
        if t.trim().is_empty() {
            self.name()
        } else {
            t
        }
    }
}
