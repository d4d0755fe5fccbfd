//! `Connection`: one hypervisor connection, its domains and its host, for the UI.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;

use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gio, glib};

use super::{History, Network, Pool, Vm};
use crate::backend::conn::uri::{classify, UriLabel};
use crate::backend::conn::worker::{self, AuthRequest, ConnState, StatsReply, Update};
use crate::backend::domain::host::HostInfo;
use crate::backend::domain::DomainInfo;
use crate::backend::network::NetworkInfo;
use crate::backend::storage::PoolInfo;
use crate::i18n::{gettext, gettext_f};

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, glib::Enum)]
#[enum_type(name = "HangarConnStatus")]
pub enum ConnStatus {
    #[default]
    Disconnected,
    Connecting,
    Connected,
    /// Broken; reconnecting by itself.
    Lost,
    /// Could not connect; the message says why.
    Failed,
}

/// The start's hold (see `append_in_steps`): rows beyond the first screenful wait this
/// long after the first list arrives.
const STARTUP_HOLD: std::time::Duration = std::time::Duration::from_millis(500);

/// Rows a first screenful holds until the list says how tall it is.
const FIRST_SCREENFUL: usize = 40;

thread_local! {
    /// Rows that fill the list as it is now sized (see `set_rows_on_screen`).
    static ROWS_ON_SCREEN: std::cell::Cell<usize> = const { std::cell::Cell::new(FIRST_SCREENFUL) };
    /// When the first list arrived.
    static FIRST_LIST: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
    /// Rows put in during the hold, across all connections: one screenful in all.
    static SHOWN_IN_HOLD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many rows fill the VM list as it is sized now: a first screenful (see
/// `append_in_steps`) is that many. Every row GTK builds at start costs time, and with a
/// screen reader on, a burst of accessible objects and bus messages; rows below the
/// window's edge wait for the rest of the list.
pub fn set_rows_on_screen(n: usize) {
    ROWS_ON_SCREEN.with(|r| r.set(n.max(1)));
}

/// Whether the start's hold still holds rows back: within `STARTUP_HOLD` of the first
/// list (which starts it).
fn startup_holding(now: std::time::Instant) -> bool {
    let first = FIRST_LIST.with(|f| {
        f.get().unwrap_or_else(|| {
            f.set(Some(now));
            now
        })
    });
    now.saturating_duration_since(first) < STARTUP_HOLD
}

mod imp {
    use super::*;
    use glib::subclass::Signal;
    use std::sync::OnceLock;

    #[derive(Default, glib::Properties)]
    #[properties(wrapper_type = super::Connection)]
    pub struct Connection {
        #[property(get, construct_only)]
        pub uri: RefCell<String>,
        #[property(get, set)]
        pub autoconnect: Cell<bool>,
        /// Saved in GSettings (false for `--connect` connections of this run).
        #[property(get, set)]
        pub remembered: Cell<bool>,
        #[property(get, set, builder(ConnStatus::default()))]
        pub status: Cell<ConnStatus>,
        /// Why it failed or was lost, in words.
        #[property(get, set)]
        pub status_message: RefCell<String>,
        #[property(get, set)]
        pub hostname: RefCell<String>,
        /// Whether the first list of domains has arrived since connecting.
        #[property(get, set)]
        pub loaded: Cell<bool>,
        #[property(get, set)]
        pub host_cpu_percent: Cell<f64>,
        #[property(get, set)]
        pub host_memory_percent: Cell<f64>,
        pub host_info: RefCell<Option<HostInfo>>,
        pub host_cpu_history: RefCell<History>,
        pub host_memory_history: RefCell<History>,
        pub host_memory_used_kib: Cell<u64>,
        pub host_memory_total_kib: Cell<u64>,
        pub domains: OnceCell<gio::ListStore>,
        pub by_uuid: RefCell<HashMap<String, Vm>>,
        pub networks: OnceCell<gio::ListStore>,
        /// Whether the network list has arrived since connecting.
        pub networks_loaded: Cell<bool>,
        pub pools: OnceCell<gio::ListStore>,
        /// Whether the pool list has arrived since connecting.
        pub pools_loaded: Cell<bool>,
        pub backend: OnceCell<worker::Connection>,
        /// The host page is on screen: sample the host too.
        pub host_watchers: Cell<u32>,
        /// Domains known but not in the list yet (appended step by step).
        pub pending: RefCell<std::collections::VecDeque<Vm>>,
        pub pending_source: RefCell<Option<glib::SourceId>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Connection {
        const NAME: &'static str = "HangarConnection";
        type Type = super::Connection;
    }

    #[glib::derived_properties]
    impl ObjectImpl for Connection {
        fn signals() -> &'static [Signal] {
            static SIGNALS: OnceLock<Vec<Signal>> = OnceLock::new();
            SIGNALS.get_or_init(|| {
                vec![
                    // libvirt asks for credentials: the window shows a dialog.
                    Signal::builder("auth-requested")
                        .param_types([glib::BoxedAnyObject::static_type()])
                        .build(),
                    Signal::builder("host-updated").build(),
                    // Domains were added, removed or changed (state, name…).
                    Signal::builder("domains-updated").build(),
                    // The network list was replaced (on connect and after any change).
                    Signal::builder("networks-updated").build(),
                    // The pool list was replaced (on connect and after any change).
                    Signal::builder("pools-updated").build(),
                ]
            })
        }
    }
}

glib::wrapper! {
    pub struct Connection(ObjectSubclass<imp::Connection>);
}

impl Connection {
    /// The connection `vm` belongs to, while it is there.
    pub fn of(vm: &Vm) -> Option<Connection> {
        vm.connection().and_downcast()
    }

    /// A connection model with its worker thread (not connected yet).
    pub fn new(uri: &str, autoconnect: bool, remembered: bool) -> Connection {
        let (backend, updates) = worker::Connection::spawn(uri);
        Self::with_backend(uri, autoconnect, remembered, backend, updates)
    }

    /// A connection model over a worker that already runs (and may be connecting).
    pub fn with_backend(
        uri: &str,
        autoconnect: bool,
        remembered: bool,
        backend: worker::Connection,
        updates: async_channel::Receiver<Update>,
    ) -> Connection {
        let obj: Connection = glib::Object::builder()
            .property("uri", uri)
            .property("autoconnect", autoconnect)
            .property("remembered", remembered)
            .build();
        let imp = obj.imp();
        let _ = imp.domains.set(gio::ListStore::new::<Vm>());
        let _ = imp.networks.set(gio::ListStore::new::<Network>());
        let _ = imp.pools.set(gio::ListStore::new::<Pool>());
        let _ = imp.backend.set(backend);
        let weak = obj.downgrade();
        glib::spawn_future_local(async move {
            while let Ok(u) = updates.recv().await {
                let Some(obj) = weak.upgrade() else { break };
                obj.apply(u);
            }
        });
        obj
    }

    pub fn backend(&self) -> &worker::Connection {
        self.imp().backend.get().expect("backend set in new()")
    }

    /// The domains of this connection, as `Vm` objects.
    pub fn domains(&self) -> gio::ListStore {
        self.imp().domains.get().expect("set in new()").clone()
    }

    /// The virtual networks of this connection, as `Network` objects sorted by name.
    pub fn networks(&self) -> gio::ListStore {
        self.imp().networks.get().expect("set in new()").clone()
    }

    /// The storage pools of this connection, as `Pool` objects sorted by name.
    pub fn pools(&self) -> gio::ListStore {
        self.imp().pools.get().expect("set in new()").clone()
    }

    pub fn pool_by_uuid(&self, uuid: &str) -> Option<Pool> {
        self.pools()
            .iter::<Pool>()
            .flatten()
            .find(|p| p.uuid() == uuid)
    }

    pub fn pool_by_name(&self, name: &str) -> Option<Pool> {
        self.pools()
            .iter::<Pool>()
            .flatten()
            .find(|p| p.name() == name)
    }

    pub fn pools_loaded(&self) -> bool {
        self.imp().pools_loaded.get()
    }

    pub fn network_by_uuid(&self, uuid: &str) -> Option<Network> {
        self.networks()
            .iter::<Network>()
            .flatten()
            .find(|n| n.uuid() == uuid)
    }

    pub fn network_by_name(&self, name: &str) -> Option<Network> {
        self.networks()
            .iter::<Network>()
            .flatten()
            .find(|n| n.name() == name)
    }

    /// Whether the network list has arrived since connecting.
    pub fn networks_loaded(&self) -> bool {
        self.imp().networks_loaded.get()
    }

    pub fn vm_by_uuid(&self, uuid: &str) -> Option<Vm> {
        self.imp().by_uuid.borrow().get(uuid).cloned()
    }

    /// Find a domain the way virt-manager's options name one: name, ID or UUID.
    pub fn find_vm(&self, key: &str) -> Option<Vm> {
        if let Some(v) = self.vm_by_uuid(key) {
            return Some(v);
        }
        let id: Option<i64> = key.parse().ok();
        let by_uuid = self.imp().by_uuid.borrow();
        by_uuid
            .values()
            .find(|v| v.name() == key || (id.is_some() && Some(v.id()) == id))
            .cloned()
    }

    pub fn connect_now(&self) {
        self.backend().connect();
    }

    pub fn disconnect_now(&self) {
        self.backend().disconnect();
    }

    pub fn host_info(&self) -> Option<HostInfo> {
        self.imp().host_info.borrow().clone()
    }

    pub fn host_cpu_history(&self) -> std::cell::Ref<'_, History> {
        self.imp().host_cpu_history.borrow()
    }

    pub fn host_memory_history(&self) -> std::cell::Ref<'_, History> {
        self.imp().host_memory_history.borrow()
    }

    pub fn host_memory_kib(&self) -> (u64, u64) {
        let imp = self.imp();
        (
            imp.host_memory_used_kib.get(),
            imp.host_memory_total_kib.get(),
        )
    }

    pub fn watch_host(&self) {
        let w = &self.imp().host_watchers;
        w.set(w.get() + 1);
    }

    pub fn unwatch_host(&self) {
        let w = &self.imp().host_watchers;
        w.set(w.get().saturating_sub(1));
    }

    pub fn is_host_watched(&self) -> bool {
        self.imp().host_watchers.get() > 0
    }

    /// The name people know this connection by.
    pub fn label(&self) -> String {
        match classify(&self.uri()) {
            UriLabel::Demo => gettext("Demo Hypervisor"),
            UriLabel::QemuSystem { host: None } => gettext("QEMU/KVM"),
            UriLabel::QemuSystem { host: Some(h) } => {
                gettext_f("QEMU/KVM on {host}", &[("host", &h)])
            }
            UriLabel::QemuSession { host: None } => gettext("QEMU/KVM User Session"),
            UriLabel::QemuSession { host: Some(h) } => {
                gettext_f("QEMU/KVM User Session on {host}", &[("host", &h)])
            }
            UriLabel::Test => {
                let uri = self.uri();
                let file = uri.rsplit('/').next().unwrap_or(&uri).to_string();
                gettext_f("Test Driver ({file})", &[("file", &file)])
            }
            UriLabel::Other { .. } => self.uri(),
        }
    }

    fn apply(&self, u: Update) {
        match u {
            Update::State(s) => self.apply_state(s),
            Update::Host(info) => {
                self.set_hostname(info.hostname.clone());
                self.imp().host_info.replace(Some(info));
                self.emit_by_name::<()>("host-updated", &[]);
            }
            Update::Domains(list) => {
                let t0 = std::time::Instant::now();
                let n = list.len();
                self.replace_domains(list);
                tracing::debug!("{n} domains into the model in {:?}", t0.elapsed());
                self.emit_by_name::<()>("domains-updated", &[]);
                // `loaded` means every domain is in the list (see append_pending).
                if !self.loaded() && self.imp().pending.borrow().is_empty() {
                    self.set_loaded(true);
                    crate::bench_mark(&format!("{} loaded {n}", self.uri()));
                }
            }
            Update::Changed(list) => {
                self.merge_domains(list);
                self.emit_by_name::<()>("domains-updated", &[]);
            }
            Update::Removed(uuid) => {
                self.remove_domain(&uuid);
                self.emit_by_name::<()>("domains-updated", &[]);
            }
            Update::Other(_) => {}
            Update::Reconfigured(uuid) => {
                if let Some(vm) = self.vm_by_uuid(&uuid) {
                    vm.emit_by_name::<()>("config-changed", &[]);
                }
            }
            Update::Networks(list) => {
                self.replace_networks(list);
                self.imp().networks_loaded.set(true);
                self.emit_by_name::<()>("networks-updated", &[]);
            }
            Update::Pools(list) => {
                self.replace_pools(list);
                self.imp().pools_loaded.set(true);
                self.emit_by_name::<()>("pools-updated", &[]);
            }
            Update::Auth(req) => self.request_auth(req),
        }
    }

    fn apply_state(&self, s: ConnState) {
        let (status, message) = match s {
            ConnState::Disconnected => (ConnStatus::Disconnected, String::new()),
            ConnState::Connecting => (ConnStatus::Connecting, String::new()),
            ConnState::Connected => (ConnStatus::Connected, String::new()),
            ConnState::Lost { reason, retry_in } => (
                ConnStatus::Lost,
                gettext_f(
                    "Connection lost: {reason}. Retrying in {seconds} s…",
                    &[("reason", &reason), ("seconds", &retry_in.to_string())],
                ),
            ),
            ConnState::Failed(e) => (ConnStatus::Failed, e.summary()),
        };
        if matches!(status, ConnStatus::Disconnected | ConnStatus::Failed) {
            // Nothing of a closed connection is current any more.
            self.replace_domains(Vec::new());
            self.set_loaded(false);
            self.replace_networks(Vec::new());
            self.imp().networks_loaded.set(false);
            self.emit_by_name::<()>("networks-updated", &[]);
            self.replace_pools(Vec::new());
            self.imp().pools_loaded.set(false);
            self.emit_by_name::<()>("pools-updated", &[]);
        }
        if matches!(status, ConnStatus::Lost) {
            for vm in self.imp().by_uuid.borrow().values() {
                vm.clear_stats();
            }
        }
        self.set_status_message(message);
        if self.status() != status {
            self.set_status(status);
        }
    }

    /// Make the list equal `list`, keeping the `Vm` objects of domains that stay
    /// (so selection and open pages survive a reconnection).
    fn replace_domains(&self, list: Vec<DomainInfo>) {
        self.flush_pending();
        let store = self.domains();
        let mut by_uuid = self.imp().by_uuid.borrow_mut();
        let keep: std::collections::HashSet<&str> = list.iter().map(|i| i.uuid.as_str()).collect();
        // Remove the ones that went away, a run of neighbours at a time (a closed
        // connection is one change, not one per row), from the end so positions
        // stay valid.
        let mut i = store.n_items();
        while i > 0 {
            let end = i;
            while i > 0 {
                let vm = store.item(i - 1).and_downcast::<Vm>();
                match vm {
                    Some(vm) if !keep.contains(vm.uuid().as_str()) => {
                        by_uuid.remove(&vm.uuid());
                        i -= 1;
                    }
                    _ => break,
                }
            }
            if i < end {
                store.splice(i, end - i, &[] as &[Vm]);
            } else {
                i -= 1;
            }
        }
        let mut added = Vec::new();
        for info in &list {
            match by_uuid.get(&info.uuid) {
                Some(vm) => vm.update(info),
                None => {
                    let vm = Vm::new(info);
                    vm.set_connection(Some(self.upcast_ref::<glib::Object>()));
                    by_uuid.insert(info.uuid.clone(), vm.clone());
                    added.push(vm);
                }
            }
        }
        drop(by_uuid);
        self.append_in_steps(added);
    }

    /// Append to the list: a first screenful at once, the rest a little later, so the
    /// first frame is drawn before GTK builds rows for everything after it. (GTK 4.8's
    /// list view builds about 200 rows ahead of what it shows, 0.5–1.5 ms each, more
    /// with assistive technologies on: 100–350 ms in one go.)
    ///
    /// At start the rest waits longer (`startup_holding`), and all connections share
    /// one first screenful: the window's first screen, the person's first input and a
    /// screen reader's first look at the window come before rows nobody sees yet, and
    /// GTK builds its rows ahead once, not once per host as their lists arrive.
    fn append_in_steps(&self, mut added: Vec<Vm>) {
        if added.is_empty() {
            return;
        }
        let holding = startup_holding(std::time::Instant::now());
        let screenful = ROWS_ON_SCREEN.with(|r| r.get());
        let first = if holding {
            screenful.saturating_sub(SHOWN_IN_HOLD.with(|s| s.get()))
        } else {
            screenful
        };
        // Name order, the list's default, so the first screenful is the top of it.
        added.sort_by(|a, b| a.sort_name().cmp(&b.sort_name()));
        let store = self.domains();
        let rest = added.split_off(added.len().min(first));
        if holding {
            SHOWN_IN_HOLD.with(|s| s.set(s.get() + added.len()));
        }
        if !added.is_empty() {
            store.splice(store.n_items(), 0, &added);
        }
        if rest.is_empty() {
            return;
        }
        let imp = self.imp();
        imp.pending.borrow_mut().extend(rest);
        if imp.pending_source.borrow().is_none() {
            self.append_pending_later();
        }
    }

    /// Append the pending rows once the first screenful is painted (and the start's
    /// hold is over): an idle source would run before the frame clock's next frame (a
    /// timer) and make GTK build ~200 more rows first. 40 rows bind in ~15 ms; the
    /// frame follows within one refresh interval.
    fn append_pending_later(&self) {
        const FIRST_FRAME: std::time::Duration = std::time::Duration::from_millis(60);
        let weak = self.downgrade();
        let id = glib::timeout_add_local_once(FIRST_FRAME, move || {
            let Some(this) = weak.upgrade() else {
                return;
            };
            if startup_holding(std::time::Instant::now()) {
                this.append_pending_later();
                return;
            }
            let weak = this.downgrade();
            let id = glib::idle_add_local(move || {
                let Some(this) = weak.upgrade() else {
                    return glib::ControlFlow::Break;
                };
                if this.append_pending(200) {
                    glib::ControlFlow::Continue
                } else {
                    this.imp().pending_source.replace(None);
                    glib::ControlFlow::Break
                }
            });
            this.imp().pending_source.replace(Some(id));
        });
        self.imp().pending_source.replace(Some(id));
    }

    /// Move up to `n` pending domains (still known) into the list; true if more wait.
    fn append_pending(&self, n: usize) -> bool {
        let imp = self.imp();
        let chunk: Vec<Vm> = {
            let by_uuid = imp.by_uuid.borrow();
            let mut pending = imp.pending.borrow_mut();
            let take = pending.len().min(n);
            pending
                .drain(..take)
                .filter(|v| by_uuid.get(&v.uuid()) == Some(v))
                .collect()
        };
        let store = self.domains();
        store.splice(store.n_items(), 0, &chunk);
        let more = !imp.pending.borrow().is_empty();
        if !more && !self.loaded() && self.status() == ConnStatus::Connected {
            self.set_loaded(true);
            crate::bench_mark(&format!("{} loaded {}", self.uri(), store.n_items()));
        }
        more
    }

    /// Put every pending domain into the list now.
    fn flush_pending(&self) {
        // Only when some wait: with none, append_pending would mark the connection
        // loaded before the list that is arriving is in it.
        if let Some(id) = self.imp().pending_source.take() {
            id.remove();
            self.append_pending(usize::MAX);
        }
    }

    /// Make the network list equal `list` (sorted by name), keeping the `Network`
    /// objects of networks that stay.
    fn replace_networks(&self, mut list: Vec<NetworkInfo>) {
        list.sort_by(|a, b| a.name.cmp(&b.name));
        let store = self.networks();
        let old: HashMap<String, Network> = store
            .iter::<Network>()
            .flatten()
            .map(|n| (n.uuid(), n))
            .collect();
        let new: Vec<Network> = list
            .iter()
            .map(|info| match old.get(&info.uuid) {
                Some(n) => {
                    n.update(info);
                    n.clone()
                }
                None => Network::new(info),
            })
            .collect();
        // Only what changed changes in the store: a network defined or undefined
        // elsewhere is one insertion or removal, and the rows (and the selection) of
        // the others stay as they are.
        let keep: std::collections::HashSet<String> = new.iter().map(|n| n.uuid()).collect();
        for i in (0..store.n_items()).rev() {
            let gone = store
                .item(i)
                .and_downcast::<Network>()
                .map_or(true, |n| !keep.contains(&n.uuid()));
            if gone {
                store.remove(i);
            }
        }
        for (i, n) in new.iter().enumerate() {
            let at = store.item(i as u32).and_downcast::<Network>();
            if at.as_ref() != Some(n) {
                store.insert(i as u32, n);
            }
        }
        let same = store.n_items() as usize == new.len()
            && store
                .iter::<Network>()
                .flatten()
                .zip(new.iter())
                .all(|(a, b)| a == *b);
        if !same {
            store.splice(0, store.n_items(), &new);
        }
    }

    /// Make the pool list equal `list` (sorted by name), keeping the `Pool` objects of
    /// pools that stay; only what changed changes in the store.
    fn replace_pools(&self, mut list: Vec<PoolInfo>) {
        list.sort_by(|a, b| a.name.cmp(&b.name));
        let store = self.pools();
        let keep: std::collections::HashSet<&str> = list.iter().map(|p| p.uuid.as_str()).collect();
        for i in (0..store.n_items()).rev() {
            let gone = store
                .item(i)
                .and_downcast::<Pool>()
                .map_or(true, |p| !keep.contains(p.uuid().as_str()));
            if gone {
                store.remove(i);
            }
        }
        for (i, info) in list.iter().enumerate() {
            let at = store.item(i as u32).and_downcast::<Pool>();
            match at {
                Some(p) if p.uuid() == info.uuid => p.update(info),
                _ => match self.pool_by_uuid(&info.uuid) {
                    // Renamed elsewhere: moved to its new place.
                    Some(p) => {
                        if let Some(pos) = store.find(&p) {
                            store.remove(pos);
                        }
                        p.update(info);
                        store.insert(i as u32, &p);
                    }
                    None => store.insert(i as u32, &Pool::new(info)),
                },
            }
        }
    }

    fn merge_domains(&self, list: Vec<DomainInfo>) {
        let store = self.domains();
        let mut added = Vec::new();
        {
            let mut by_uuid = self.imp().by_uuid.borrow_mut();
            for info in &list {
                match by_uuid.get(&info.uuid) {
                    Some(vm) => vm.update(info),
                    None => {
                        let vm = Vm::new(info);
                        vm.set_connection(Some(self.upcast_ref::<glib::Object>()));
                        by_uuid.insert(info.uuid.clone(), vm.clone());
                        added.push(vm);
                    }
                }
            }
        }
        if !added.is_empty() {
            store.splice(store.n_items(), 0, &added);
        }
    }

    fn remove_domain(&self, uuid: &str) {
        let Some(vm) = self.imp().by_uuid.borrow_mut().remove(uuid) else {
            return;
        };
        let store = self.domains();
        if let Some(pos) = store.find(&vm) {
            store.remove(pos);
        }
    }

    fn request_auth(&self, req: AuthRequest) {
        let has_handler = glib::signal::signal_has_handler_pending(
            self,
            glib::subclass::signal::SignalId::lookup("auth-requested", Self::static_type())
                .expect("signal exists"),
            None,
            false,
        );
        if !has_handler {
            let _ = req.reply.try_send(None);
            return;
        }
        self.emit_by_name::<()>("auth-requested", &[&glib::BoxedAnyObject::new(req)]);
    }

    /// Apply one statistics reply.
    pub fn apply_stats(&self, reply: &StatsReply) {
        for (uuid, usage) in &reply.domains {
            if let Some(vm) = self.vm_by_uuid(uuid) {
                if vm.domain_state().is_active() {
                    vm.push_usage(usage);
                }
            }
        }
        let imp = self.imp();
        if let Some(cpu) = reply.host_cpu_percent {
            imp.host_cpu_history.borrow_mut().push(cpu);
            self.set_host_cpu_percent(cpu);
        }
        if let (Some(used), Some(total)) = (reply.host_memory_used_kib, reply.host_memory_total_kib)
        {
            imp.host_memory_used_kib.set(used);
            imp.host_memory_total_kib.set(total);
            let pct = if total > 0 {
                used as f64 * 100.0 / total as f64
            } else {
                0.0
            };
            imp.host_memory_history.borrow_mut().push(pct);
            self.set_host_memory_percent(pct);
        }
        if reply.host_cpu_percent.is_some() || reply.host_memory_total_kib.is_some() {
            self.emit_by_name::<()>("host-updated", &[]);
        }
    }
}
