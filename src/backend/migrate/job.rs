//! The migration itself, on a thread with its own connections to both hosts (the
//! lists stay live, however long it takes): the disks' volumes made on the destination
//! first, a shut-off guest's disks copied through the pools' streams, then
//! `virDomainMigrate3`. A second thread reads the domain's job (`virDomainGetJobStats`)
//! for progress and aborts it on Cancel (`virDomainAbortJob`): the guest stays on the
//! source, whole, and the volumes made on the destination are removed — as on a
//! failure.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use virt::connect::Connect;
use virt::storage_vol::StorageVol;
use virt::sys;

use super::check::{dest_xml, DiskMove};
use super::options::{uri_host, CopyStorage, MigrateOptions};
use crate::backend::domain::job::job_counters;
use crate::backend::storage::transfer::send_all;
use crate::backend::storage::volumes::VolumeSpec;
use crate::backend::thread_job;
use crate::i18n::{gettext, gettext_f};

/// What to move where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateSpec {
    pub source_uri: String,
    pub dest_uri: String,
    pub uuid: String,
    pub options: MigrateOptions,
    /// The disks, placed ([`super::check::place_disks`]) when they are copied.
    pub disks: Vec<DiskMove>,
    /// Guest network → destination network.
    pub network_map: Vec<(String, String)>,
}

/// The domain job's figures, as the progress page shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFigures {
    pub elapsed_ms: u64,
    pub data_total: u64,
    pub data_processed: u64,
    pub data_remaining: u64,
    /// Bytes per second: memory, then disks.
    pub mem_bps: u64,
    pub disk_bps: u64,
    /// Memory pages dirtied per second by the guest.
    pub dirty_rate: u64,
    /// Pre-copy passes over memory.
    pub iteration: u64,
    pub disk_total: u64,
    pub disk_processed: u64,
}

impl JobFigures {
    /// The domain's job now: whether one runs, and its figures.
    pub fn read(dom: &virt::domain::Domain) -> Option<(bool, JobFigures)> {
        let job = job_counters(dom)?;
        let get = |name: &std::ffi::CStr| job.get(&name.to_string_lossy()).unwrap_or(0);
        let f = JobFigures {
            elapsed_ms: get(sys::VIR_DOMAIN_JOB_TIME_ELAPSED),
            data_total: get(sys::VIR_DOMAIN_JOB_DATA_TOTAL),
            data_processed: get(sys::VIR_DOMAIN_JOB_DATA_PROCESSED),
            data_remaining: get(sys::VIR_DOMAIN_JOB_DATA_REMAINING),
            mem_bps: get(sys::VIR_DOMAIN_JOB_MEMORY_BPS),
            disk_bps: get(sys::VIR_DOMAIN_JOB_DISK_BPS),
            dirty_rate: get(sys::VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE),
            iteration: get(sys::VIR_DOMAIN_JOB_MEMORY_ITERATION),
            disk_total: get(sys::VIR_DOMAIN_JOB_DISK_TOTAL),
            disk_processed: get(sys::VIR_DOMAIN_JOB_DISK_PROCESSED),
        };
        Some((job.is_job(), f))
    }

    /// How far it is, 0.0 to 1.0.
    pub fn fraction(&self) -> f64 {
        let (done, total) = self.done_of_total();
        if total == 0 {
            return 0.0;
        }
        (done as f64 / total as f64).clamp(0.0, 1.0)
    }

    /// Bytes moved and to move: all the job's data, or (while the disks are copied
    /// first, before the memory) the disks'.
    pub fn done_of_total(&self) -> (u64, u64) {
        if self.data_total > 0 {
            (self.data_processed, self.data_total)
        } else {
            (self.disk_processed, self.disk_total)
        }
    }

    /// Seconds left at the present speed.
    pub fn eta_secs(&self) -> Option<u64> {
        let bps = self.mem_bps + self.disk_bps;
        (bps > 0 && self.data_remaining > 0).then(|| self.data_remaining / bps)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum MigrateProgress {
    /// A step before the move (making the volumes, copying a disk: done of total).
    Step {
        what: String,
        done: u64,
        total: u64,
    },
    Job(JobFigures),
    /// Running (or defined) on the destination.
    Finished {
        dest_uuid: String,
    },
    Failed(String),
    Cancelled,
}

pub struct MigrateJob {
    cancel: Arc<AtomicBool>,
}

impl MigrateJob {
    pub fn start(spec: MigrateSpec) -> (MigrateJob, async_channel::Receiver<MigrateProgress>) {
        let (cancel, rx) = thread_job::spawn(
            "hangar-migrate",
            MigrateProgress::Failed,
            move |flag, tx| run(&spec, flag, tx),
        );
        (MigrateJob { cancel }, rx)
    }

    /// Abort: the guest stays on the source; what was made on the destination goes.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }
}

fn open(uri: &str) -> Result<Connect, String> {
    Connect::open(Some(uri)).map_err(|e| e.message().to_string())
}

/// The destination's volumes for the disks to copy.
fn make_volumes(
    dst: &Connect,
    disks: &[DiskMove],
    made: &mut Vec<StorageVol>,
) -> Result<(), String> {
    for d in disks {
        let pool_name = d.dest_pool.as_deref().ok_or_else(|| {
            gettext_f(
                "No destination pool for disk {disk}",
                &[("disk", &d.target)],
            )
        })?;
        let pool = dst
            .lookup_storage_pool_by_name(pool_name)
            .map_err(|e| e.message().to_string())?;
        let name = d.dest_path.rsplit('/').next().unwrap_or_default();
        if pool.lookup_storage_vol_by_name(name).is_ok() {
            return Err(gettext_f(
                "{path} exists on the destination already: it is not overwritten",
                &[("path", &d.dest_path)],
            ));
        }
        let v = StorageVol::create_xml(
            &pool,
            &VolumeSpec::sparse(name, &d.format, d.capacity).to_xml(),
            0,
        )
        .map_err(|e| e.message().to_string())?;
        made.push(v);
    }
    Ok(())
}

/// A shut-off guest's disks, copied volume to volume through the two hosts' streams.
fn copy_disks(
    src: &Connect,
    dst: &Connect,
    disks: &[DiskMove],
    cancel: &AtomicBool,
    tx: &async_channel::Sender<MigrateProgress>,
) -> Result<(), MigrateProgress> {
    let fail = |e: virt::error::Error| MigrateProgress::Failed(e.message().to_string());
    let total: u64 = disks.iter().map(|d| d.capacity).sum();
    let mut done = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for d in disks {
        let from = src.lookup_storage_vol_by_path(&d.source).map_err(fail)?;
        let to = dst.lookup_storage_vol_by_path(&d.dest_path).map_err(fail)?;
        let size = from.info().map_err(fail)?.allocation.max(1);
        let down = virt::stream::Stream::new(src, 0).map_err(fail)?;
        let up = virt::stream::Stream::new(dst, 0).map_err(fail)?;
        from.download(&down, 0, 0, 0).map_err(fail)?;
        to.upload(&up, 0, 0, 0).map_err(fail)?;
        loop {
            if cancel.load(Ordering::SeqCst) {
                let _ = down.abort();
                let _ = up.abort();
                return Err(MigrateProgress::Cancelled);
            }
            let n = down.recv(&mut buf).map_err(fail)?;
            if n <= 0 {
                break;
            }
            if !send_all(&up, &buf[..n as usize]).map_err(fail)? {
                return Err(MigrateProgress::Failed(gettext(
                    "The destination pool stopped taking the disk",
                )));
            }
            done += n as u64;
            let _ = tx.send_blocking(MigrateProgress::Step {
                what: gettext_f("Copying disk {disk}", &[("disk", &d.target)]),
                done: done.min(total.max(size)),
                total: total.max(size),
            });
        }
        down.finish().map_err(fail)?;
        up.finish().map_err(fail)?;
    }
    Ok(())
}

/// Read the job's figures until `done`; abort the job once on Cancel.
fn watch(
    source_uri: String,
    uuid: String,
    done: Arc<AtomicBool>,
    cancel: Arc<AtomicBool>,
    tx: async_channel::Sender<MigrateProgress>,
) {
    let Ok(conn) = Connect::open(Some(&source_uri)) else {
        return;
    };
    let Ok(dom) = conn.lookup_domain_by_uuid_string(&uuid) else {
        return;
    };
    let mut aborted = false;
    while !done.load(Ordering::SeqCst) {
        if cancel.load(Ordering::SeqCst) && !aborted {
            // SAFETY: `dom` is a valid domain of an open connection.
            aborted = unsafe { sys::virDomainAbortJob(dom.as_ptr()) } == 0;
        }
        if let Some((true, f)) = JobFigures::read(&dom) {
            let _ = tx.send_blocking(MigrateProgress::Job(f));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn run(
    spec: &MigrateSpec,
    cancel: &Arc<AtomicBool>,
    tx: &async_channel::Sender<MigrateProgress>,
) -> MigrateProgress {
    let src = match open(&spec.source_uri) {
        Ok(c) => c,
        Err(e) => return MigrateProgress::Failed(e),
    };
    let dst = match open(&spec.dest_uri) {
        Ok(c) => c,
        Err(e) => return MigrateProgress::Failed(e),
    };
    let mut made = Vec::new();
    let end = migrate(spec, &src, &dst, cancel, tx, &mut made);
    if !matches!(end, MigrateProgress::Finished { .. }) {
        for v in made {
            let _ = v.delete(0);
        }
    }
    end
}

fn migrate(
    spec: &MigrateSpec,
    src: &Connect,
    dst: &Connect,
    cancel: &Arc<AtomicBool>,
    tx: &async_channel::Sender<MigrateProgress>,
    made: &mut Vec<StorageVol>,
) -> MigrateProgress {
    let fail = |e: virt::error::Error| MigrateProgress::Failed(e.message().to_string());
    let dom = match src.lookup_domain_by_uuid_string(&spec.uuid) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let running = dom.is_active().unwrap_or(false);
    let mut options = spec.options.clone();
    options.live = running;
    let copy = options.copy_storage != CopyStorage::None;
    if copy && !spec.disks.is_empty() {
        let _ = tx.send_blocking(MigrateProgress::Step {
            what: gettext("Making the disks on the destination"),
            done: 0,
            total: 0,
        });
        if let Err(e) = make_volumes(dst, &spec.disks, made) {
            return MigrateProgress::Failed(e);
        }
        if !running {
            if let Err(end) = copy_disks(src, dst, &spec.disks, cancel, tx) {
                return end;
            }
        }
    }
    if cancel.load(Ordering::SeqCst) {
        return MigrateProgress::Cancelled;
    }
    let live_flags = if running {
        sys::VIR_DOMAIN_XML_MIGRATABLE
    } else {
        sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_MIGRATABLE
    };
    let xml = match dom.xml_desc(live_flags) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let persistent = dom
        .xml_desc(sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_MIGRATABLE)
        .unwrap_or_else(|_| xml.clone());
    let moved: Vec<DiskMove> = if copy { spec.disks.clone() } else { Vec::new() };
    let dest = dest_xml(&xml, &moved, &spec.network_map);
    let persist = dest_xml(&persistent, &moved, &spec.network_map);
    let targets: Vec<String> = moved.iter().map(|d| d.target.clone()).collect();
    let host = uri_host(&spec.dest_uri);
    let params = options.parameters(host.as_deref(), Some(&dest), Some(&persist), &targets);
    if let Some(ms) = options.max_downtime_ms.filter(|_| running) {
        let _ = dom.migrate_set_max_downtime(ms, 0);
    }
    let done = Arc::new(AtomicBool::new(false));
    let watcher = running.then(|| {
        let (uri, uuid, d, c, t) = (
            spec.source_uri.clone(),
            spec.uuid.clone(),
            done.clone(),
            cancel.clone(),
            tx.clone(),
        );
        std::thread::Builder::new()
            .name("hangar-migrate-job".into())
            .spawn(move || watch(uri, uuid, d, c, t))
            .ok()
    });
    let started = Instant::now();
    let r = dom.migrate3(dst, params, options.flags());
    done.store(true, Ordering::SeqCst);
    if let Some(Some(h)) = watcher {
        let _ = h.join();
    }
    tracing::info!("migration of {} took {:?}", spec.uuid, started.elapsed());
    match r {
        Ok(d) => MigrateProgress::Finished {
            dest_uuid: d.uuid_string().unwrap_or_default(),
        },
        Err(_) if cancel.load(Ordering::SeqCst) => MigrateProgress::Cancelled,
        Err(e) => MigrateProgress::Failed(explain(e.message())),
    }
}

/// libvirt's reason for a failed move, in words where QEMU's are cryptic.
fn explain(message: &str) -> String {
    if message.contains("Postcopy is not supported") {
        // QEMU checks for userfaultfd on the destination when post-copy is allowed.
        return gettext(
            "the destination cannot take post-copy: its QEMU may not use userfaultfd (root may; \
             everyone may with the kernel setting vm.unprivileged_userfaultfd=1). Move it without \
             post-copy",
        );
    }
    message.to_string()
}

/// Switch the running migration of `uuid` to post-copy (allowed when it was started
/// with [`MigrateOptions::postcopy`]): the guest runs on the destination at once,
/// which fetches the rest of its memory as it needs it.
pub fn start_postcopy(
    w: &mut crate::backend::conn::worker::Worker,
    uuid: &str,
) -> crate::backend::Result<()> {
    let d = w.domain(uuid)?;
    // SAFETY: a valid domain of the worker's open connection.
    let r = unsafe { sys::virDomainMigrateStartPostCopy(d.as_ptr(), 0) };
    if r < 0 {
        return Err(crate::backend::Error::from_virt(
            &virt::error::Error::last_error(),
        ));
    }
    Ok(())
}

impl crate::backend::conn::worker::Connection {
    /// See [`start_postcopy`].
    pub async fn start_postcopy(&self, uuid: String) -> crate::backend::Result<()> {
        self.call(move |w| start_postcopy(w, &uuid)).await
    }
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn qemu_s_post_copy_refusal_is_put_in_words() {
        let m = explain(
            "internal error: unable to execute QEMU command 'migrate-set-capabilities': \
             Postcopy is not supported",
        );
        assert!(
            m.contains("cannot take post-copy") && m.contains("userfaultfd"),
            "{m}"
        );
        assert_eq!(explain("Connection reset"), "Connection reset");
    }
}
