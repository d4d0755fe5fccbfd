//! One worker thread per connection owns the `virt::Connect`. The UI sends it jobs
//! and awaits the replies; libvirt events, loss of the connection and reconnection
//! with back-off are handled here, and reported as [`Update`]s.

use std::collections::{HashMap, HashSet};
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use virt::connect::{Connect, ConnectAuth, ConnectCredential, ConnectCredentialType};
use virt::domain::Domain;
use virt::sys;

use super::demo;
use crate::backend::conn::events::{self, CloseReason, DomainEventKind, Event, Registration};
use crate::backend::console;
use crate::backend::domain::host::{self, HostInfo, HostSample};
use crate::backend::domain::stats::{self, DomainSample, StatKinds, Usage};
use crate::backend::domain::{parse_summary, Action, DomainInfo, DomainState};
use crate::backend::{Error, Result};

mod calls;
mod lists;
mod slots;

/// Where a connection stands, as shown to the person.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnState {
    Disconnected,
    Connecting,
    Connected,
    /// The connection broke; Hangar retries on its own in `retry_in` seconds.
    Lost {
        reason: String,
        retry_in: u64,
    },
    /// Opening failed (wrong URI, host down, authentication refused).
    Failed(Error),
}

/// One credential libvirt asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthField {
    pub prompt: String,
    /// Shown as dots while typed.
    pub secret: bool,
    pub default: String,
}

/// libvirt needs credentials: answer with one value per field, or `None` to cancel.
#[derive(Debug)]
pub struct AuthRequest {
    pub uri: String,
    pub fields: Vec<AuthField>,
    pub reply: async_channel::Sender<Option<Vec<String>>>,
}

/// What the worker tells the models.
#[derive(Debug)]
pub enum Update {
    State(ConnState),
    Host(HostInfo),
    /// The complete list of domains: replace what the model holds.
    Domains(Vec<DomainInfo>),
    /// Added or changed domains.
    Changed(Vec<DomainInfo>),
    Removed(String),
    /// The domain's definition or run state may have changed (defined/updated,
    /// started/stopped, device added/removed): pages showing its XML read it again.
    Reconfigured(String),
    /// A network or storage-pool event, for the pages that show them.
    Other(Event),
    /// The complete list of virtual networks: replace what the model holds.
    Networks(Vec<crate::backend::network::NetworkInfo>),
    /// The complete list of storage pools: replace what the model holds.
    Pools(Vec<crate::backend::storage::PoolInfo>),
    Auth(AuthRequest),
}

/// Statistics for one tick.
#[derive(Debug, Clone, Default)]
pub struct StatsReply {
    /// Usage per domain UUID, for domains seen at the previous tick too.
    pub domains: Vec<(String, Usage)>,
    pub host_cpu_percent: Option<f64>,
    pub host_memory_used_kib: Option<u64>,
    pub host_memory_total_kib: Option<u64>,
}

type Job = Box<dyn FnOnce(&mut Worker) + Send>;

enum Msg {
    Job(Job),
    Event(Event),
    Shutdown,
}

/// The UI's handle on a connection's worker thread. Cheap to clone.
#[derive(Clone)]
pub struct Connection {
    tx: mpsc::Sender<Msg>,
    uri: String,
    /// The worker's update channel, for what the UI must learn before the worker is
    /// free to say it (a disconnect while an open is still blocked).
    /// Weak, so the channel still closes when the worker ends.
    updates: async_channel::WeakSender<Update>,
    /// Bumped by every disconnect, so the worker can tell that what it was doing
    /// when it began (an open that took a minute) is no longer wanted.
    disconnects: Arc<AtomicU64>,
}

/// Back-off between reconnection attempts, in seconds.
const BACKOFF: [u64; 6] = [1, 2, 4, 8, 15, 30];

impl Connection {
    /// Start the worker thread for `uri` (a libvirt URI or [`crate::backend::conn::uri::DEMO_URI`]).
    /// Nothing is opened until [`Connection::connect`]. Updates arrive on the returned
    /// receiver.
    pub fn spawn(uri: &str) -> (Connection, async_channel::Receiver<Update>) {
        let (tx, rx) = mpsc::channel();
        let (utx, urx) = async_channel::unbounded();
        let disconnects = Arc::new(AtomicU64::new(0));
        let worker = Worker {
            uri: uri.to_string(),
            conn: None,
            registration: None,
            domains: HashMap::new(),
            updates: utx.clone(),
            tx: tx.clone(),
            disconnects: disconnects.clone(),
            session: 0,
            want_connected: false,
            retry_at: None,
            attempt: 0,
            prev: HashMap::new(),
            prev_host: None,
            host_cpus: 1,
            vcpus: HashMap::new(),
            generation: 0,
            networks_queued: false,
            pools_queued: false,
            nics: Default::default(),
        };
        let name = format!("libvirt {uri}");
        let spawned = std::thread::Builder::new()
            .name(name.chars().take(15).collect())
            .spawn(move || worker.run(rx));
        if let Err(e) = spawned {
            tracing::error!("could not start the worker thread for {uri}: {e}");
        }
        (
            Connection {
                tx,
                uri: uri.to_string(),
                updates: utx.downgrade(),
                disconnects,
            },
            urx,
        )
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    fn post(&self, f: impl FnOnce(&mut Worker) + Send + 'static) {
        let _ = self.tx.send(Msg::Job(Box::new(f)));
    }

    /// Open the connection (and keep it open: reconnect when lost).
    pub fn connect(&self) {
        self.post(|w| {
            w.want_connected = true;
            w.attempt = 0;
            w.open();
        });
    }

    /// Close the connection and stop reconnecting. Said at once, even when the worker
    /// is still blocked opening the connection (an unreachable host): that open is
    /// closed again when it returns, and nothing it found is sent.
    pub fn disconnect(&self) {
        self.disconnects.fetch_add(1, Ordering::SeqCst);
        if let Some(updates) = self.updates.upgrade() {
            let _ = updates.try_send(Update::State(ConnState::Disconnected));
        }
        self.post(|w| {
            w.want_connected = false;
            w.retry_at = None;
            w.close();
            w.send(Update::State(ConnState::Disconnected));
        });
    }

    /// Stop the worker thread once it is done with what it is doing.
    pub fn shutdown(&self) {
        let _ = self.tx.send(Msg::Shutdown);
    }

    /// Run `f` on the worker with the open connection and await its result.
    pub async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Worker) -> Result<T> + Send + 'static,
    {
        let (rtx, rrx) = async_channel::bounded(1);
        self.post(move |w| {
            let r = f(w);
            if let Err(e) = &r {
                if e.is_connection_lost() {
                    w.lost(e.to_string());
                }
            }
            let _ = rtx.send_blocking(r);
        });
        rrx.recv().await.map_err(|_| Error::WorkerGone)?
    }

    /// Run `f` and block the calling thread for the answer. For tests and tools only:
    /// the UI never calls this.
    pub fn call_blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Worker) -> Result<T> + Send + 'static,
    {
        let (rtx, rrx) = mpsc::channel();
        self.post(move |w| {
            let r = f(w);
            if let Err(e) = &r {
                if e.is_connection_lost() {
                    w.lost(e.to_string());
                }
            }
            let _ = rtx.send(r);
        });
        rrx.recv().map_err(|_| Error::WorkerGone)?
    }
}

/// The display a console shows: which protocol, its index among the domain's
/// `<graphics>` (for [`Connection::graphics_fd`]), the way to it, and every protocol
/// the domain offers (to switch between VNC and SPICE).
#[derive(Debug)]
pub struct DisplayWay {
    pub protocol: crate::backend::console::Protocol,
    pub index: u32,
    pub socket: VncSocket,
    pub offered: Vec<crate::backend::console::Protocol>,
    /// SPICE over TCP: the TLS port, if any. When the display has no plain port,
    /// `socket`'s port is this one.
    pub tls_port: Option<u16>,
    /// The CA the TLS port's certificate is checked against, when one is found
    /// (`console::tls::spice_ca_file`).
    pub tls_ca: Option<std::path::PathBuf>,
    /// SPICE that takes some channel over TLS only (`Graphics::needs_tls`): then
    /// `socket` is never a socket handed over, but TCP (or an SSH tunnel, which
    /// cannot carry it).
    pub needs_tls: bool,
    /// SPICE over SSH with a TLS port: the tunnel to it, and who must answer there
    /// (`console::tls_bridge`).
    pub tls_tunnel: Option<(
        crate::backend::conn::ssh_tunnel::TunnelSpec,
        crate::backend::console::tls_bridge::TlsPeer,
    )>,
}

/// A way to the VNC or SPICE server of a domain, ready for the console widget.
#[derive(Debug)]
pub enum VncSocket {
    /// A connected socket from `virDomainOpenGraphicsFD` (authentication skipped).
    Fd(std::os::fd::OwnedFd),
    Tcp {
        host: String,
        port: u16,
    },
    /// Through an SSH tunnel (a `qemu+ssh://` connection): open it on a thread.
    Ssh(crate::backend::conn::ssh_tunnel::TunnelSpec),
    /// The domain has no display the console can show (`spice`: it has a SPICE one,
    /// but VNC was asked for).
    NoDisplay {
        spice: bool,
    },
    /// The display listens only where this machine cannot reach it (a UNIX socket
    /// on another host, no port).
    Unreachable,
}

/// `virDomainGetState` as raw numbers (the crate's reason enum cannot give them back).
pub fn raw_state(d: &Domain) -> Result<(i32, i32)> {
    let mut state: libc::c_int = 0;
    let mut reason: libc::c_int = 0;
    // SAFETY: `d` is a valid domain; both out-pointers point to live integers.
    let r = unsafe { sys::virDomainGetState(d.as_ptr(), &mut state, &mut reason, 0) };
    if r < 0 {
        return Err(Error::from_virt(&virt::error::Error::last_error()));
    }
    Ok((state, reason))
}

thread_local! {
    /// Where the auth callback (a plain `fn`, no closure) sends credential requests.
    static AUTH_TARGET: std::cell::RefCell<Option<(String, async_channel::Sender<Update>)>> =
        const { std::cell::RefCell::new(None) };
}

#[allow(clippy::ptr_arg)] // the signature virt::connect::ConnectAuthCallback demands
fn auth_callback(creds: &mut Vec<ConnectCredential>) {
    let target = AUTH_TARGET.with(|t| t.borrow().clone());
    let Some((uri, updates)) = target else {
        return;
    };
    let fields = creds
        .iter()
        .map(|c| AuthField {
            prompt: c.prompt.clone(),
            secret: matches!(
                c.typed,
                ConnectCredentialType::Passphrase | ConnectCredentialType::NoEchoPrompt
            ),
            default: c.def_result.clone(),
        })
        .collect();
    let (rtx, rrx) = async_channel::bounded(1);
    if updates
        .send_blocking(Update::Auth(AuthRequest {
            uri,
            fields,
            reply: rtx,
        }))
        .is_err()
    {
        return;
    }
    if let Ok(Some(values)) = rrx.recv_blocking() {
        for (c, v) in creds.iter_mut().zip(values) {
            c.result = Some(v);
        }
    }
}

/// The state owned by a connection's worker thread.
pub struct Worker {
    uri: String,
    conn: Option<Connect>,
    registration: Option<Registration>,
    domains: HashMap<String, Domain>,
    updates: async_channel::Sender<Update>,
    tx: mpsc::Sender<Msg>,
    want_connected: bool,
    retry_at: Option<Instant>,
    attempt: usize,
    prev: HashMap<String, (Instant, DomainSample)>,
    prev_host: Option<HostSample>,
    host_cpus: u32,
    /// vCPU counts from the last read of each domain, so CPU use can be given per
    /// guest without the costly per-vCPU statistics.
    vcpus: HashMap<String, u32>,
    /// Bumped at every (re)open, so queued detail jobs of an old session are dropped.
    generation: u64,
    /// A reload of the network list is queued (events arrive in bursts).
    networks_queued: bool,
    pools_queued: bool,
    /// [`Connection::disconnects`], and its value when the current open began: while
    /// they differ, the UI has been told "disconnected" and hears nothing else.
    disconnects: Arc<AtomicU64>,
    session: u64,
    /// Each domain's NICs, for the guests on each network.
    nics: crate::backend::network::NicCache,
}

/// Close a connection. virt's Drop panics when virConnectClose fails (as it may on a
/// dead connection): close by hand and ignore the result.
fn close_quietly(c: Connect) {
    let c = ManuallyDrop::new(c);
    // SAFETY: `c` owns one reference to a valid connection; it is not used again.
    unsafe {
        sys::virConnectClose(c.as_ptr());
    }
}

impl Worker {
    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        loop {
            let msg = match self.retry_at {
                Some(at) => {
                    let wait = at.saturating_duration_since(Instant::now());
                    match rx.recv_timeout(wait) {
                        Ok(m) => Some(m),
                        Err(mpsc::RecvTimeoutError::Timeout) => None,
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                }
                None => match rx.recv() {
                    Ok(m) => Some(m),
                    Err(_) => break,
                },
            };
            match msg {
                Some(Msg::Job(job)) => job(&mut self),
                Some(Msg::Event(e)) => self.handle_event(e),
                Some(Msg::Shutdown) => break,
                None => {
                    self.retry_at = None;
                    if self.want_connected && self.conn.is_none() {
                        self.open();
                    }
                }
            }
        }
        self.close();
    }

    fn send(&self, u: Update) {
        if self.disconnected_meanwhile() && !matches!(u, Update::State(ConnState::Disconnected)) {
            return;
        }
        let _ = self.updates.send_blocking(u);
    }

    /// A disconnect was asked for since the current open began.
    fn disconnected_meanwhile(&self) -> bool {
        self.disconnects.load(Ordering::SeqCst) != self.session
    }

    /// The open connection, or `NotConnected`.
    pub fn conn(&self) -> Result<&Connect> {
        self.conn.as_ref().ok_or(Error::NotConnected)
    }

    fn open(&mut self) {
        self.session = self.disconnects.load(Ordering::SeqCst);
        if self.conn.is_some() {
            self.send(Update::State(ConnState::Connected));
            return;
        }
        self.send(Update::State(ConnState::Connecting));
        if let Err(e) = events::init_event_loop() {
            self.send(Update::State(ConnState::Failed(e)));
            return;
        }
        let uri = match demo::libvirt_uri(&self.uri) {
            Ok(u) => u,
            Err(e) => {
                self.send(Update::State(ConnState::Failed(e)));
                return;
            }
        };
        AUTH_TARGET.with(|t| *t.borrow_mut() = Some((self.uri.clone(), self.updates.clone())));
        let mut auth = ConnectAuth::new(
            vec![
                ConnectCredentialType::UserName,
                ConnectCredentialType::AuthName,
                ConnectCredentialType::Passphrase,
                ConnectCredentialType::EchoPrompt,
                ConnectCredentialType::NoEchoPrompt,
                ConnectCredentialType::Realm,
            ],
            auth_callback,
        );
        let t0 = Instant::now();
        let slot = slots::take(Duration::from_millis(500), uri.starts_with("test:"));
        if slot.shared {
            // Others open too: this worker's work (the test driver's parse, XML, stats)
            // must not take the CPU from the main thread drawing the first rows (ten
            // hosts opening on two cores otherwise leave those waiting for the
            // parses). For good: one host alone opens at full speed.
            crate::backend::background::lower_priority();
        }
        let opened = Connect::open_auth(Some(&uri), &mut auth, 0);
        drop(slot);
        tracing::debug!("opened {uri} in {:?}", t0.elapsed());
        AUTH_TARGET.with(|t| *t.borrow_mut() = None);
        if self.disconnected_meanwhile() {
            // Disconnected while blocked here: the queued disconnect finishes the job.
            if let Ok(c) = opened {
                close_quietly(c);
            }
            return;
        }
        let conn = match opened {
            Ok(c) => c,
            Err(e) => {
                let err = Error::from_virt(&e);
                let message = e.message().to_string();
                let err = match err {
                    Error::AuthFailed { message, .. } => Error::AuthFailed {
                        uri: self.uri.clone(),
                        message,
                    },
                    _ => Error::ConnectFailed {
                        uri: self.uri.clone(),
                        message,
                    },
                };
                if self.attempt > 0 && !matches!(err, Error::AuthFailed { .. }) {
                    // A reconnection attempt: keep trying.
                    self.schedule_retry(err.to_string());
                } else {
                    self.want_connected = false;
                    self.send(Update::State(ConnState::Failed(err)));
                }
                return;
            }
        };
        // Keepalive lets us notice a dead remote end; drivers without it refuse, fine.
        let _ = conn.set_keep_alive(5, 3);
        self.generation += 1;
        self.attempt = 0;
        self.retry_at = None;
        let tx = self.tx.clone();
        match events::register(&conn, move |e| {
            let _ = tx.send(Msg::Event(e));
        }) {
            Ok(r) => self.registration = Some(r),
            Err(e) => tracing::warn!("events unavailable on {}: {e}", self.uri),
        }
        self.conn = Some(conn);
        self.host_cpus = self
            .conn
            .as_ref()
            .and_then(|c| c.node_info().ok())
            .map(|n| n.cpus.max(1))
            .unwrap_or(1);
        self.send(Update::State(ConnState::Connected));
        // The list first: the window waits for it; the host's facts are for its page.
        if let Err(e) = self.load_domains() {
            if e.is_connection_lost() {
                self.lost(e.to_string());
            } else {
                tracing::warn!("listing domains on {} failed: {e}", self.uri);
            }
        }
        if let Ok(info) = self.conn().and_then(host::host_info) {
            self.send(Update::Host(info));
        }
        self.queue_networks();
        self.queue_pools();
    }

    /// Every domain with its NICs, from the cache where no event said they changed.
    pub fn guest_nics(&mut self) -> Result<Vec<crate::backend::network::GuestNics>> {
        if self.registration.is_none() {
            // No events to say what changed: nothing kept can be trusted.
            self.nics.clear();
        }
        let conn = self.conn.as_ref().ok_or(Error::NotConnected)?;
        self.nics.read(conn)
    }

    /// Read this domain's NICs again next time.
    pub fn forget_nics(&mut self, uuid: &str) {
        self.nics.forget(uuid);
    }

    /// Domain XMLs read for the network views since the connection was made.
    pub fn nic_xml_reads(&self) -> u64 {
        self.nics.xml_reads()
    }

    /// Whether the connection's host is this machine (its interfaces can be read here).
    pub fn is_local(&self) -> bool {
        matches!(
            crate::backend::conn::uri::classify(&self.uri),
            crate::backend::conn::uri::UriLabel::QemuSystem { host: None }
                | crate::backend::conn::uri::UriLabel::QemuSession { host: None }
        )
    }

    fn close(&mut self) {
        self.domains.clear();
        self.nics.clear();
        self.prev.clear();
        self.prev_host = None;
        self.registration = None;
        if let Some(c) = self.conn.take() {
            close_quietly(c);
        }
    }

    /// The connection broke: say so and retry with back-off.
    fn lost(&mut self, reason: String) {
        if self.conn.is_none() && self.retry_at.is_some() {
            return;
        }
        self.close();
        if self.want_connected {
            self.attempt = 0;
            self.schedule_retry(reason);
        } else {
            self.send(Update::State(ConnState::Disconnected));
        }
    }

    fn schedule_retry(&mut self, reason: String) {
        let delay = BACKOFF[self.attempt.min(BACKOFF.len() - 1)];
        self.attempt += 1;
        self.retry_at = Some(Instant::now() + Duration::from_secs(delay));
        self.send(Update::State(ConnState::Lost {
            reason,
            retry_in: delay,
        }));
    }

    /// A domain by UUID, from the cache or looked up.
    pub fn domain(&mut self, uuid: &str) -> Result<Domain> {
        if let Some(d) = self.domains.get(uuid) {
            return Ok(d.clone());
        }
        let conn = self.conn()?;
        let d =
            conn.lookup_domain_by_uuid_string(uuid)
                .map_err(|e| match Error::from_virt(&e) {
                    Error::NoSuchDomain(_) => Error::NoSuchDomain(uuid.to_string()),
                    other => other,
                })?;
        self.domains.insert(uuid.to_string(), d.clone());
        Ok(d)
    }

    fn uuid_set(conn: &Connect, flags: u32) -> Result<HashSet<String>> {
        Ok(conn
            .list_all_domains(flags)?
            .iter()
            .filter_map(|d| d.uuid_string().ok())
            .collect())
    }

    /// List every domain in a handful of calls and send them; the XML-derived details
    /// follow in batches, so the first rows show at once even with thousands.
    fn load_domains(&mut self) -> Result<()> {
        let t0 = Instant::now();
        let conn = self.conn()?;
        let all = conn.list_all_domains(0)?;
        let running = Self::uuid_set(conn, sys::VIR_CONNECT_LIST_DOMAINS_RUNNING)?;
        let paused = Self::uuid_set(conn, sys::VIR_CONNECT_LIST_DOMAINS_PAUSED)?;
        let other = Self::uuid_set(conn, sys::VIR_CONNECT_LIST_DOMAINS_OTHER)?;
        let autostart =
            Self::uuid_set(conn, sys::VIR_CONNECT_LIST_DOMAINS_AUTOSTART).unwrap_or_default();
        let saved =
            Self::uuid_set(conn, sys::VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE).unwrap_or_default();
        let persistent =
            Self::uuid_set(conn, sys::VIR_CONNECT_LIST_DOMAINS_PERSISTENT).unwrap_or_default();
        self.domains.clear();
        let mut infos = Vec::with_capacity(all.len());
        for d in all {
            let Ok(uuid) = d.uuid_string() else { continue };
            let state = if running.contains(&uuid) {
                DomainState::Running
            } else if paused.contains(&uuid) {
                DomainState::Paused
            } else if other.contains(&uuid) {
                // Crashed, suspended…: the details pass reads the exact state.
                DomainState::NoState
            } else {
                DomainState::Shutoff
            };
            infos.push(DomainInfo {
                name: d.name().unwrap_or_default(),
                id: d.id(),
                state,
                persistent: persistent.contains(&uuid),
                autostart: autostart.contains(&uuid),
                has_managed_save: saved.contains(&uuid),
                uuid: uuid.clone(),
                ..Default::default()
            });
            self.domains.insert(uuid, d);
        }
        let mut order: Vec<String> = infos.iter().map(|i| i.uuid.clone()).collect();
        tracing::debug!("listed {} domains in {:?}", infos.len(), t0.elapsed());
        self.send(Update::Domains(infos));
        // Details in batches, each its own job so actions are not held up behind them.
        let generation = self.generation;
        order.reverse();
        self.queue_details(order, generation);
        Ok(())
    }

    fn queue_details(&self, mut pending: Vec<String>, generation: u64) {
        if pending.is_empty() {
            return;
        }
        let _ = self.tx.send(Msg::Job(Box::new(move |w: &mut Worker| {
            if w.generation != generation || w.conn.is_none() {
                return;
            }
            let take = pending.len().min(50);
            let batch: Vec<String> = pending.split_off(pending.len() - take);
            let mut out = Vec::with_capacity(batch.len());
            for uuid in batch.iter().rev() {
                match w.read_info(uuid) {
                    Ok(i) => out.push(i),
                    Err(Error::NoSuchDomain(_)) => {}
                    Err(e) if e.is_connection_lost() => {
                        w.lost(e.to_string());
                        return;
                    }
                    Err(e) => tracing::debug!("details of {uuid}: {e}"),
                }
            }
            if !out.is_empty() {
                w.send(Update::Changed(out));
            }
            w.queue_details(pending, generation);
        })));
    }

    /// Everything the list shows about one domain.
    pub fn read_info(&mut self, uuid: &str) -> Result<DomainInfo> {
        let d = self.domain(uuid)?;
        let (state, reason) = raw_state(&d)?;
        let xml = d.xml_desc(0)?;
        let mut info = DomainInfo {
            uuid: uuid.to_string(),
            name: d.name()?,
            id: d.id(),
            state: DomainState::from_raw(state),
            reason,
            persistent: d.is_persistent().unwrap_or(true),
            autostart: d.autostart().unwrap_or(false),
            has_managed_save: d.has_managed_save(0).unwrap_or(false),
            ..Default::default()
        };
        match parse_summary(&xml) {
            Ok(s) => info.apply_summary(s),
            Err(e) => tracing::warn!("XML of {uuid} does not parse: {e}"),
        }
        if info.state.is_active() {
            if let Ok(i) = d.info() {
                info.memory_kib = i.memory;
                info.vcpus = i.nr_virt_cpu;
            }
        }
        if info.vcpus > 0 {
            self.vcpus.insert(uuid.to_string(), info.vcpus);
        }
        Ok(info)
    }

    /// Re-read one domain and send it, or its removal.
    pub fn refresh(&mut self, uuid: &str) {
        match self.read_info(uuid) {
            Ok(i) => self.send(Update::Changed(vec![i])),
            Err(Error::NoSuchDomain(_)) => {
                self.domains.remove(uuid);
                self.send(Update::Removed(uuid.to_string()));
            }
            Err(e) if e.is_connection_lost() => self.lost(e.to_string()),
            Err(e) => tracing::debug!("refresh of {uuid}: {e}"),
        }
    }

    fn handle_event(&mut self, e: Event) {
        match &e {
            Event::Domain { uuid, kind, .. } => {
                self.nics.forget(uuid);
                if *kind == DomainEventKind::Undefined {
                    // A transient domain that still runs stays; otherwise it is gone.
                    self.domains.remove(uuid);
                }
                if matches!(kind, DomainEventKind::Defined | DomainEventKind::Undefined) {
                    // Which guests use which network may have changed.
                    self.queue_networks();
                }
                let (uuid, gone) = (uuid.clone(), *kind == DomainEventKind::Undefined);
                self.refresh(&uuid);
                if !gone {
                    self.send(Update::Reconfigured(uuid));
                }
            }
            Event::DomainChanged { uuid, .. } => {
                self.nics.forget(uuid);
                let uuid = uuid.clone();
                self.refresh(&uuid);
                self.send(Update::Reconfigured(uuid));
            }
            Event::Closed(reason) => {
                if *reason != CloseReason::Client {
                    let why = match reason {
                        CloseReason::Eof => "the hypervisor closed the connection",
                        CloseReason::Keepalive => "the hypervisor stopped answering",
                        _ => "the connection failed",
                    };
                    self.lost(why.to_string());
                }
            }
            Event::Network { .. } => {
                self.queue_networks();
                self.send(Update::Other(e));
            }
            Event::Pool { .. } => {
                self.queue_pools();
                self.send(Update::Other(e));
            }
        }
    }
}
