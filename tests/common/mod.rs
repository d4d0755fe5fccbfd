//! Helpers shared by the backend integration tests: a minimal `block_on`, a collector
//! that waits for expected [`Update`]s with a deadline (and says what it saw when the
//! deadline passes), and a temporary directory.
//!
//! Each test file includes this module; not every file uses every helper.
#![allow(dead_code)]

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

use hangar::backend::conn::worker::{ConnState, Connection, Update};
use hangar::backend::domain::{DomainInfo, DomainState};

/// Wakes the thread that polls the future.
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Poll `fut` on this thread until it is ready or `timeout` passes (`None` then).
pub fn block_on_timeout<F: Future>(fut: F, timeout: Duration) -> Option<F::Output> {
    let deadline = Instant::now() + timeout;
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return Some(v);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        // Spurious wake-ups only cost another poll.
        std::thread::park_timeout(deadline - now);
    }
}

/// How long a single backend call may take before the test fails.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Poll `fut` to completion; fail the test if it takes longer than [`CALL_TIMEOUT`].
pub fn block_on<F: Future>(fut: F) -> F::Output {
    match block_on_timeout(fut, CALL_TIMEOUT) {
        Some(v) => v,
        None => panic!("a backend call did not complete within {CALL_TIMEOUT:?}"),
    }
}

/// A short, one-line description of an update, for failure messages.
pub fn describe(u: &Update) -> String {
    fn brief(i: &DomainInfo) -> String {
        format!(
            "{}({}) {:?}{}{}",
            i.name,
            &i.uuid[..i.uuid.len().min(8)],
            i.state,
            if i.detailed { "" } else { " undetailed" },
            if i.has_managed_save { " saved" } else { "" }
        )
    }
    fn list(v: &[DomainInfo]) -> String {
        let mut s: Vec<String> = v.iter().take(4).map(brief).collect();
        if v.len() > 4 {
            s.push(format!("… {} more", v.len() - 4));
        }
        s.join(", ")
    }
    match u {
        Update::State(s) => format!("State({s:?})"),
        Update::Host(h) => format!("Host({} {})", h.driver, h.hostname),
        Update::Domains(v) => format!("Domains[{}]: {}", v.len(), list(v)),
        Update::Changed(v) => format!("Changed[{}]: {}", v.len(), list(v)),
        Update::Removed(u) => format!("Removed({u})"),
        Update::Reconfigured(u) => format!("Reconfigured({u})"),
        Update::Other(e) => format!("Other({e:?})"),
        Update::Networks(v) => format!(
            "Networks[{}]: {}",
            v.len(),
            v.iter()
                .map(|n| format!("{}{}", n.name, if n.active { "" } else { " (off)" }))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Update::Pools(v) => format!(
            "Pools[{}]: {}",
            v.len(),
            v.iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Update::Auth(a) => format!("Auth({})", a.uri),
    }
}

/// Reads a connection's updates, keeps the domain list they describe and waits for
/// expected updates with a deadline.
pub struct Updates {
    rx: async_channel::Receiver<Update>,
    /// Every update seen so far, described (for failure messages).
    pub log: Vec<String>,
    /// The domains as the updates describe them, by UUID.
    pub domains: HashMap<String, DomainInfo>,
    /// The last connection state seen.
    pub state: Option<ConnState>,
}

impl Updates {
    pub fn new(rx: async_channel::Receiver<Update>) -> Updates {
        Updates {
            rx,
            log: Vec::new(),
            domains: HashMap::new(),
            state: None,
        }
    }

    fn apply(&mut self, u: &Update) {
        self.log.push(describe(u));
        match u {
            Update::State(s) => self.state = Some(s.clone()),
            Update::Domains(v) => {
                self.domains = v.iter().map(|i| (i.uuid.clone(), i.clone())).collect();
            }
            Update::Changed(v) => {
                for i in v {
                    self.domains.insert(i.uuid.clone(), i.clone());
                }
            }
            Update::Removed(uuid) => {
                self.domains.remove(uuid);
            }
            Update::Auth(a) => {
                // Nobody is there to type a password: cancel.
                let _ = a.reply.send_blocking(None);
            }
            Update::Host(_)
            | Update::Other(_)
            | Update::Networks(_)
            | Update::Pools(_)
            | Update::Reconfigured(_) => {}
        }
    }

    /// The next update, or `None` when `deadline` passes first. Fails the test when
    /// the worker is gone (the channel closed).
    pub fn next_until(&mut self, deadline: Instant) -> Option<Update> {
        let left = deadline.saturating_duration_since(Instant::now());
        match block_on_timeout(self.rx.recv(), left)? {
            Ok(u) => {
                self.apply(&u);
                Some(u)
            }
            Err(_) => panic!(
                "the worker closed its update channel; seen so far:\n{}",
                self.recent()
            ),
        }
    }

    /// Receive updates until `pick` returns `Some` for one of them (returned), or fail
    /// the test after `timeout` with `what` and the updates seen.
    pub fn wait_for<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut pick: impl FnMut(&Update, &Updates) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            match self.next_until(deadline) {
                Some(u) => {
                    if let Some(v) = pick(&u, self) {
                        return v;
                    }
                }
                None => panic!(
                    "timed out after {timeout:?} waiting for {what}; updates seen (latest last):\n{}",
                    self.recent()
                ),
            }
        }
    }

    /// Receive updates until the tracked state satisfies `cond` (checked at once too).
    pub fn wait_until(&mut self, what: &str, timeout: Duration, cond: impl Fn(&Updates) -> bool) {
        if cond(self) {
            return;
        }
        self.wait_for(what, timeout, |_, s| cond(s).then_some(()));
    }

    /// Wait for a `Changed` update that carries `uuid` matching `cond`; return that entry.
    pub fn wait_changed(
        &mut self,
        what: &str,
        uuid: &str,
        timeout: Duration,
        cond: impl Fn(&DomainInfo) -> bool,
    ) -> DomainInfo {
        self.wait_for(what, timeout, |u, _| match u {
            Update::Changed(v) => v.iter().find(|i| i.uuid == uuid && cond(i)).cloned(),
            _ => None,
        })
    }

    /// Wait for a `Changed` update that shows `uuid` in `state`.
    pub fn wait_state(&mut self, uuid: &str, state: DomainState, timeout: Duration) -> DomainInfo {
        self.wait_changed(
            &format!("Changed with {uuid} in state {state:?}"),
            uuid,
            timeout,
            |i| i.state == state,
        )
    }

    /// Wait for `Removed(uuid)`.
    pub fn wait_removed(&mut self, uuid: &str, timeout: Duration) {
        self.wait_for(&format!("Removed({uuid})"), timeout, |u, _| match u {
            Update::Removed(r) if r == uuid => Some(()),
            _ => None,
        })
    }

    /// Wait for a connection state matching `pick`.
    pub fn wait_conn_state<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut pick: impl FnMut(&ConnState) -> Option<T>,
    ) -> T {
        self.wait_for(what, timeout, |u, _| match u {
            Update::State(s) => pick(s),
            _ => None,
        })
    }

    /// Wait for `Connected`; fail at once on `Failed`.
    pub fn wait_connected(&mut self, timeout: Duration) {
        self.wait_conn_state("State(Connected)", timeout, |s| match s {
            ConnState::Connected => Some(()),
            ConnState::Failed(e) => panic!("connecting failed: {e:?}"),
            _ => None,
        })
    }

    /// Wait for the full list (`Update::Domains`) and return it.
    pub fn wait_domains(&mut self, timeout: Duration) -> Vec<DomainInfo> {
        self.wait_for("Update::Domains", timeout, |u, _| match u {
            Update::Domains(v) => Some(v.clone()),
            _ => None,
        })
    }

    /// Wait until the worker closes its update channel (after `shutdown`).
    pub fn wait_closed(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match block_on_timeout(self.rx.recv(), left) {
                Some(Ok(u)) => self.apply(&u),
                Some(Err(_)) => return,
                None => panic!(
                    "the update channel is still open after {timeout:?}; updates seen:\n{}",
                    self.recent()
                ),
            }
        }
    }

    /// Take every update already queued, without waiting.
    pub fn drain(&mut self) {
        while let Ok(u) = self.rx.try_recv() {
            self.apply(&u);
        }
    }

    /// The last 60 updates seen, one a line.
    pub fn recent(&self) -> String {
        let skip = self.log.len().saturating_sub(60);
        let mut s = String::new();
        if skip > 0 {
            s.push_str(&format!("  … {skip} earlier\n"));
        }
        for l in &self.log[skip..] {
            s.push_str("  ");
            s.push_str(l);
            s.push('\n');
        }
        s
    }
}

/// A temporary directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hangar-test-{}-{}-{tag}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        // Test binaries run in a PID namespace: a crashed run's directory of the same
        // pid and number may still be there.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A connection's worker, shut down when the test ends, however it ends.
pub struct Worker(pub Connection);

impl Drop for Worker {
    fn drop(&mut self) {
        self.0.shutdown();
    }
}

/// Spawn a worker for `uri`, connect, and wait (up to `wait`) until it says it is
/// connected. libvirt's default error printer is off: expected errors stay quiet.
pub fn connected(uri: &str, wait: Duration) -> (Worker, Updates) {
    virt::error::clear_error_callback();
    let (conn, rx) = Connection::spawn(uri);
    let conn = Worker(conn);
    let mut updates = Updates::new(rx);
    conn.0.connect();
    updates.wait_connected(wait);
    (conn, updates)
}
