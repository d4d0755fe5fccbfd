//! The long snapshot operations — take (a memory snapshot of a big guest writes all
//! its memory), revert, delete (which may merge overlays) — on a thread of their own,
//! with progress read from the domain's job (`virDomainGetJobStats`) every quarter
//! second, so neither the window nor the connection's worker waits for them.

use std::sync::mpsc;
use std::time::Duration;

use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use super::ops::facts_of;
use super::plan::{blocked_reason, check_name, revert_refusal, snapshot_request, TakeSpec};
use super::{info::parse_snapshot_xml, thumbs};
use crate::backend::conn::worker::Connection;
use crate::backend::domain::job::job_counters;
use crate::backend::{Error, Result};

/// How the machine comes back after a revert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevertMode {
    /// Running or paused as it was when taken (shut off for a shut-off snapshot).
    AsTaken,
    /// Paused, whatever it was.
    Paused,
    /// Shut off, whatever it was (a running snapshot is reverted, then forced off).
    ShutOff,
}

/// Which snapshots a delete removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteMode {
    /// This one; its children move to its parent.
    One,
    WithChildren,
    ChildrenOnly,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotOp {
    Take(TakeSpec),
    Revert { name: String, mode: RevertMode },
    Delete { name: String, mode: DeleteMode },
}

#[derive(Debug, Clone, PartialEq)]
pub enum JobProgress {
    /// Done so far (0–1) when the domain job says; `None` while it says nothing.
    Working(Option<f64>),
    /// Finished: the snapshot concerned (taken, reverted to, deleted).
    Done(String),
    Failed(crate::backend::Error),
}

/// The fraction done of the domain's current job, if it has one that says.
fn job_fraction(d: &Domain) -> Option<f64> {
    let job = job_counters(d)?;
    if !job.is_job() {
        return None;
    }
    let get = |k: &str| job.get(k);
    [
        ("data_processed", "data_total"),
        ("memory_processed", "memory_total"),
        ("disk_processed", "disk_total"),
    ]
    .iter()
    .find_map(|(done, total)| match (get(done), get(total)) {
        (Some(d), Some(t)) if t > 0 => Some((d as f64 / t as f64).clamp(0.0, 1.0)),
        _ => None,
    })
}

/// The screen of a running domain: (MIME type, bytes), best effort.
fn screenshot(conn: &Connect, d: &Domain) -> Option<(String, Vec<u8>)> {
    let stream = virt::stream::Stream::new(conn, 0).ok()?;
    let mime = d.screenshot(&stream, 0, 0).ok()?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.recv(&mut buf) {
            Ok(n) if n > 0 => out.extend_from_slice(&buf[..n as usize]),
            Ok(_) => break,
            Err(_) => {
                let _ = stream.abort();
                return None;
            }
        }
        if out.len() > 64 * 1024 * 1024 {
            let _ = stream.abort();
            return None;
        }
    }
    stream.finish().ok()?;
    Some((mime, out))
}

fn run(conn: &Connect, d: &Domain, uuid: &str, op: &SnapshotOp) -> Result<String> {
    match op {
        SnapshotOp::Take(spec) => {
            let facts = facts_of(conn, d)?;
            if let Some(why) = blocked_reason(&facts) {
                return Err(Error::InvalidInput(why));
            }
            let taken: Vec<String> = d
                .list_all_snapshots(0)?
                .iter()
                .filter_map(|s| s.name().ok())
                .collect();
            if let Some(why) = check_name(&spec.name, &taken) {
                return Err(Error::InvalidInput(why));
            }
            let shot = if facts.active() {
                screenshot(conn, d)
            } else {
                None
            };
            let name = d.name()?;
            let (xml, _kind, flags) = snapshot_request(&facts, spec, &name);
            let snap = d.create_snapshot_xml(&xml, flags)?;
            let made = snap.name()?;
            if let Some((mime, bytes)) = shot {
                if let Err(e) = thumbs::store(uuid, &made, &mime, &bytes) {
                    tracing::debug!("thumbnail of {made}: {e}");
                }
            }
            Ok(made)
        }
        SnapshotOp::Revert { name, mode } => {
            let snap = Domain::lookup_snapshot_by_name(d, name, 0)?;
            let info = parse_snapshot_xml(&snap.xml_desc(0)?)?;
            let facts = facts_of(conn, d)?;
            if let Some(why) = revert_refusal(info.kind, facts.libvirt_version, &facts.driver) {
                return Err(Error::Unsupported(why));
            }
            let mut flags = sys::VIR_DOMAIN_SNAPSHOT_REVERT_FORCE;
            if *mode == RevertMode::Paused {
                flags |= sys::VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED;
            }
            snap.revert(flags)?;
            if *mode == RevertMode::ShutOff && d.is_active()? {
                d.destroy()?;
            }
            Ok(name.clone())
        }
        SnapshotOp::Delete { name, mode } => {
            let snap = Domain::lookup_snapshot_by_name(d, name, 0)?;
            let flags = match mode {
                DeleteMode::One => 0,
                DeleteMode::WithChildren => sys::VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN,
                DeleteMode::ChildrenOnly => sys::VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY,
            };
            snap.delete(flags)?;
            let left: Vec<String> = d
                .list_all_snapshots(0)?
                .iter()
                .filter_map(|s| s.name().ok())
                .collect();
            thumbs::prune(uuid, &left);
            Ok(name.clone())
        }
    }
}

/// Run `op` on a thread; progress and the end come on the returned channel.
pub fn spawn(
    conn: Connect,
    d: Domain,
    uuid: String,
    op: SnapshotOp,
) -> async_channel::Receiver<JobProgress> {
    let (tx, rx) = async_channel::unbounded();
    let watcher = d.clone();
    let (done_tx, done_rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("hangar-snapshot".into())
        .spawn(move || {
            let r = run(&conn, &d, &uuid, &op);
            let _ = done_tx.send(r);
        });
    if let Err(e) = spawned {
        let _ = tx.send_blocking(JobProgress::Failed(Error::Io(e.to_string())));
        return rx;
    }
    let _ = std::thread::Builder::new()
        .name("hangar-snap-job".into())
        .spawn(move || loop {
            match done_rx.recv_timeout(Duration::from_millis(250)) {
                Ok(Ok(name)) => {
                    let _ = tx.send_blocking(JobProgress::Done(name));
                    break;
                }
                Ok(Err(e)) => {
                    let _ = tx.send_blocking(JobProgress::Failed(e));
                    break;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if tx
                        .send_blocking(JobProgress::Working(job_fraction(&watcher)))
                        .is_err()
                    {
                        // Nobody listens any more; the operation still ends on its own.
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        });
    rx
}

impl Connection {
    /// Start a long snapshot operation on the domain `uuid`.
    pub async fn snapshot_job(
        &self,
        uuid: String,
        op: SnapshotOp,
    ) -> Result<async_channel::Receiver<JobProgress>> {
        self.call(move |w| {
            let d = w.domain(&uuid)?;
            let conn = w.conn()?.clone();
            Ok(spawn(conn, d, uuid, op))
        })
        .await
    }

    /// Run a snapshot operation and wait for its end (tools and tests; the UI
    /// follows the progress instead).
    pub async fn snapshot_op(&self, uuid: String, op: SnapshotOp) -> Result<String> {
        let rx = self.snapshot_job(uuid.clone(), op).await?;
        let end = loop {
            match rx.recv().await {
                Ok(JobProgress::Working(_)) => continue,
                Ok(JobProgress::Done(n)) => break Ok(n),
                Ok(JobProgress::Failed(e)) => break Err(e),
                Err(_) => break Err(Error::WorkerGone),
            }
        };
        // The list rows may show new states (a revert starts or stops the machine).
        self.call(move |w| {
            w.refresh(&uuid);
            Ok(())
        })
        .await?;
        end
    }
}
