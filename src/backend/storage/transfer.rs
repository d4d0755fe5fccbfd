//! Copying a local file into a storage volume (upload) or a volume into a local file
//! (download), over a libvirt stream, on a thread of its own with a connection of its
//! own: a copy of gigabytes never blocks the connection's worker thread, and works the
//! same on a remote (`qemu+ssh://`) connection, since the stream travels over it.
//!
//! Holes travel as holes where the pool allows it (`VIR_STORAGE_VOL_*_SPARSE_STREAM`,
//! dir and fs pools): a 10 GiB image holding 100 MiB of data sends about 100 MiB, the
//! volume it makes stays sparse and so does a downloaded file. When the daemon refuses
//! the sparse flag, every byte is streamed.
//!
//! [`Transfer::start`] returns at once; [`Progress`] messages arrive on a channel:
//! `Started`, then `Bytes` at most about ten times a second, then exactly one of
//! `Finished`, `Failed` (a sentence for people) or `Cancelled`. A failed or cancelled
//! upload that created its volume deletes it again; a failed or cancelled download
//! removes its partial file; the final message is sent once that is done.

use std::fs::{File, OpenOptions};
use std::mem::ManuallyDrop;
use std::os::raw::c_char;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;
use virt::sys;

use crate::backend::conn::demo;
use crate::backend::units::format_bytes;
use crate::backend::Error;
use crate::i18n::{gettext, gettext_f};

mod local;
mod meter;

pub use local::Kind;
use local::{detect, has_holes, new_volume_xml, segment};
use meter::{Meter, Sample};

/// Which way the bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Local file → volume.
    Upload,
    /// Volume → local file.
    Download,
}

/// What to copy, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferSpec {
    /// The libvirt URI of the connection (the transfer opens its own).
    pub uri: String,
    /// The storage pool's name.
    pub pool: String,
    /// The volume's name in the pool.
    pub volume: String,
    /// The local file: the source of an upload, the destination of a download (which
    /// must not exist yet).
    pub local: PathBuf,
    pub direction: Direction,
    /// Upload only: create the volume first. A qcow2 file makes a qcow2 volume whose
    /// capacity is the file's virtual size, an ISO 9660 image an "iso" volume, anything
    /// else a raw one of the file's size. When false the volume must exist and be at
    /// least as big as the file.
    pub create: bool,
}

/// What a transfer reports, in this order: `Started`, any number of `Bytes`, then one
/// of the last three.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The copy began; `total` bytes are to be covered (holes count).
    Started { total: u64 },
    /// `done` of `total` bytes covered (holes count: skipping one is progress), at
    /// `bytes_per_sec` over the last seconds. `done` never goes down; the last `Bytes`
    /// before `Finished` has `done == total`.
    Bytes {
        done: u64,
        total: u64,
        bytes_per_sec: f64,
    },
    /// Done: `bytes` covered (the file's or volume's size, holes included).
    Finished { bytes: u64 },
    /// It did not work; a sentence for people, saying what was cleaned up.
    Failed(String),
    /// Stopped by [`Transfer::cancel`]; what it had made is removed.
    Cancelled,
}

/// A running (or finished) transfer. Dropping it does not stop the copy: call
/// [`Transfer::cancel`].
pub struct Transfer {
    cancel: Arc<AtomicBool>,
    wire: Arc<AtomicU64>,
    /// Set just before the final message is sent.
    ended: Arc<AtomicBool>,
}

impl Transfer {
    /// Start copying on a new thread ("hangar-transfer"); progress comes on the
    /// returned channel, which ends after the final message.
    pub fn start(spec: TransferSpec) -> (Transfer, async_channel::Receiver<Progress>) {
        let (tx, rx) = async_channel::unbounded();
        let cancel = Arc::new(AtomicBool::new(false));
        let wire = Arc::new(AtomicU64::new(0));
        let ended = Arc::new(AtomicBool::new(false));
        let job = Job {
            tx: tx.clone(),
            cancel: cancel.clone(),
            wire: wire.clone(),
        };
        let ended_here = ended.clone();
        let spawned = std::thread::Builder::new()
            .name("hangar-transfer".into())
            .spawn(move || {
                let last = job.run(&spec);
                tracing::debug!(
                    "transfer {:?} {}/{} ↔ {}: {last:?}, {} bytes of data carried",
                    spec.direction,
                    spec.pool,
                    spec.volume,
                    spec.local.display(),
                    job.wire.load(Ordering::Relaxed)
                );
                ended_here.store(true, Ordering::SeqCst);
                let _ = job.tx.send_blocking(last);
            });
        if let Err(e) = spawned {
            ended.store(true, Ordering::SeqCst);
            let _ = tx.send_blocking(Progress::Failed(gettext_f(
                "The transfer could not start: {reason}.",
                &[("reason", &e.to_string())],
            )));
        }
        (
            Transfer {
                cancel,
                wire,
                ended,
            },
            rx,
        )
    }

    /// Ask the copy to stop; it aborts the stream, cleans up and reports `Cancelled`
    /// (or its final message if it was already ending). Returns at once.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// Bytes of data that actually went over the stream so far (holes not counted).
    pub fn wire_bytes(&self) -> u64 {
        self.wire.load(Ordering::Relaxed)
    }

    /// True once the final message is on its way (everything is cleaned up by then).
    pub fn is_finished(&self) -> bool {
        self.ended.load(Ordering::SeqCst)
    }
}

/// Seconds left at `bytes_per_sec`, rounded up; `None` when the rate says nothing yet.
pub fn remaining_secs(done: u64, total: u64, bytes_per_sec: f64) -> Option<u64> {
    if done >= total {
        return Some(0);
    }
    if !bytes_per_sec.is_finite() || bytes_per_sec <= 0.0 {
        return None;
    }
    let secs = ((total - done) as f64 / bytes_per_sec).ceil();
    (secs < u64::MAX as f64).then_some(secs as u64)
}

/// What the image at `path` is (qcow2 with its virtual size, ISO, else raw) and its
/// size in bytes, read from its first bytes.
pub fn image_kind(path: &Path) -> std::io::Result<(Kind, u64)> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    Ok((detect(&mut file, size)?, size))
}

/// The largest data packet every libvirt accepts on a stream (its "legacy" payload).
const CHUNK: usize = 262_120;

/// Why a copy loop stopped early.
enum Stop {
    Cancelled,
    Failed(String),
}

impl From<virt::error::Error> for Stop {
    fn from(e: virt::error::Error) -> Stop {
        Stop::Failed(Error::from_virt(&e).to_string())
    }
}

impl From<Sample> for Progress {
    fn from(s: Sample) -> Progress {
        Progress::Bytes {
            done: s.done,
            total: s.total,
            bytes_per_sec: s.bytes_per_sec,
        }
    }
}

/// The transfer thread's side.
struct Job {
    tx: async_channel::Sender<Progress>,
    cancel: Arc<AtomicBool>,
    wire: Arc<AtomicU64>,
}

impl Job {
    fn send(&self, p: Progress) {
        let _ = self.tx.send_blocking(p);
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// The whole transfer; returns the final message.
    fn run(&self, spec: &TransferSpec) -> Progress {
        let uri = match demo::libvirt_uri(&spec.uri) {
            Ok(u) => u,
            Err(e) => return Progress::Failed(e.to_string()),
        };
        let conn = match Connect::open(Some(&uri)) {
            Ok(c) => ManuallyDrop::new(c),
            Err(e) => {
                return Progress::Failed(gettext_f(
                    "Could not connect to {uri}: {reason}.",
                    &[("uri", &spec.uri), ("reason", e.message())],
                ))
            }
        };
        let last = match spec.direction {
            Direction::Upload => self.upload(&conn, spec),
            Direction::Download => self.download(&conn, spec),
        };
        // SAFETY: `conn` owns one reference to a valid connection and is not used
        // again; closed by hand because `Connect`'s Drop panics when closing fails.
        unsafe { sys::virConnectClose(conn.as_ptr()) };
        last
    }

    fn upload(&self, conn: &Connect, spec: &TransferSpec) -> Progress {
        let path = &spec.local;
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return Progress::Failed(local_error(path, &e)),
        };
        let size = match file.metadata() {
            Ok(m) if m.is_file() => m.len(),
            Ok(_) => {
                return Progress::Failed(gettext_f(
                    "“{path}” is not a regular file.",
                    &[("path", &path.display().to_string())],
                ))
            }
            Err(e) => return Progress::Failed(local_error(path, &e)),
        };
        let pool = match active_pool(conn, &spec.pool) {
            Ok(p) => p,
            Err(why) => return Progress::Failed(why),
        };
        let kind = match detect(&mut file, size) {
            Ok(k) => k,
            Err(e) => return Progress::Failed(local_error(path, &e)),
        };
        let existing = pool.lookup_storage_vol_by_name(&spec.volume).ok();
        if self.cancelled() {
            // Cancelled while connecting: nothing made yet, nothing to undo.
            return Progress::Cancelled;
        }
        let vol = if spec.create {
            if existing.is_some() {
                return Progress::Failed(gettext_f(
                    "The pool “{pool}” already has a volume “{name}”.",
                    &[("pool", &spec.pool), ("name", &spec.volume)],
                ));
            }
            let xml = new_volume_xml(&spec.volume, &kind, size, !has_holes(&file, size));
            match StorageVol::create_xml(&pool, &xml, 0) {
                Ok(v) => v,
                Err(e) => {
                    return Progress::Failed(gettext_f(
                        "The volume “{name}” could not be created: {reason}.",
                        &[("name", &spec.volume), ("reason", &reason(&e))],
                    ))
                }
            }
        } else {
            let Some(v) = existing else {
                return Progress::Failed(gettext_f(
                    "The pool “{pool}” has no volume “{name}”.",
                    &[("pool", &spec.pool), ("name", &spec.volume)],
                ));
            };
            match v.info() {
                Ok(i) if i.capacity < size => {
                    return Progress::Failed(gettext_f(
                        "The volume “{name}” holds {capacity}, too little for the \
                         {size} of “{path}”.",
                        &[
                            ("name", &spec.volume),
                            ("capacity", &format_bytes(i.capacity)),
                            ("size", &format_bytes(size)),
                            ("path", &path.display().to_string()),
                        ],
                    ))
                }
                Ok(_) => v,
                Err(e) => return Progress::Failed(failed_upload(&reason(&e), None)),
            }
        };

        // Into a fresh (all-zero) volume holes may be skipped; over an existing one
        // they must overwrite what is there, so every byte goes.
        // A file without holes goes as plain data: libvirt's sparse streams cost
        // about half the throughput here (bench/storage-bench.sh).
        let sparse_wanted = spec.create && has_holes(&file, size);
        let copied = self.send_file(conn, &vol, &file, size, sparse_wanted);
        let stop = match copied {
            Ok(()) => return Progress::Finished { bytes: size },
            Err(stop) => stop,
        };
        let cleanup = if spec.create {
            Some(delete_volume(&vol).map_err(|e| {
                gettext_f(
                    "The partial volume “{name}” could not be deleted: {reason}.",
                    &[("name", &spec.volume), ("reason", &e)],
                )
            }))
        } else {
            None
        };
        match (stop, cleanup) {
            (Stop::Cancelled, None | Some(Ok(()))) => Progress::Cancelled,
            (Stop::Cancelled, Some(Err(why))) => {
                Progress::Failed(format!("{} {why}", gettext("The upload was cancelled.")))
            }
            (Stop::Failed(r), cleanup) => Progress::Failed(failed_upload(&r, cleanup)),
        }
    }

    /// Stream `file` into `vol`: sparse when wanted and the daemon agrees.
    fn send_file(
        &self,
        conn: &Connect,
        vol: &StorageVol,
        file: &File,
        size: u64,
        sparse_wanted: bool,
    ) -> Result<(), Stop> {
        let mut sparse = sparse_wanted;
        let stream = loop {
            let stream = Stream::new(conn, 0)?;
            let flags = if sparse {
                sys::VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM
            } else {
                0
            };
            match vol.upload(&stream, 0, 0, flags) {
                Ok(()) => break stream,
                Err(e) if sparse => {
                    tracing::debug!("sparse upload refused, streaming every byte: {e}");
                    sparse = false;
                }
                Err(e) => return Err(e.into()),
            }
        };
        self.send(Progress::Started { total: size });
        let mut meter = Meter::new(size);
        match self.pump_out(&stream, file, size, sparse, &mut meter) {
            Ok(()) => {
                stream.finish()?;
                self.send(meter.last(size).into());
                Ok(())
            }
            Err(stop) => {
                let _ = stream.abort();
                Err(stop)
            }
        }
    }

    /// The upload loop: data segments as data, holes as holes (when `sparse`).
    fn pump_out(
        &self,
        stream: &Stream,
        file: &File,
        size: u64,
        sparse: bool,
        meter: &mut Meter,
    ) -> Result<(), Stop> {
        let mut buf = vec![0u8; CHUNK];
        let mut pos = 0u64;
        let mut seekable = sparse;
        while pos < size {
            if self.cancelled() {
                return Err(Stop::Cancelled);
            }
            let (data, end) = if seekable {
                match segment(file, pos, size) {
                    Some(s) => s,
                    None => {
                        seekable = false;
                        (true, size)
                    }
                }
            } else {
                (true, size)
            };
            if !data {
                send_hole(stream, end - pos)?;
                pos = end;
                if let Some(p) = meter.tick(pos) {
                    self.send(p.into());
                }
                continue;
            }
            while pos < end {
                if self.cancelled() {
                    return Err(Stop::Cancelled);
                }
                let want = ((end - pos) as usize).min(CHUNK);
                let n = match file.read_at(&mut buf[..want], pos) {
                    Ok(0) => {
                        return Err(Stop::Failed(gettext(
                            "the local file became shorter while it was being read",
                        )))
                    }
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Stop::Failed(e.to_string())),
                };
                if !send_all(stream, &buf[..n])? {
                    return Err(Stop::Failed(gettext("the stream refused more data")));
                }
                self.wire.fetch_add(n as u64, Ordering::Relaxed);
                pos += n as u64;
                if let Some(p) = meter.tick(pos) {
                    self.send(p.into());
                }
            }
        }
        Ok(())
    }

    fn download(&self, conn: &Connect, spec: &TransferSpec) -> Progress {
        let path = &spec.local;
        if path.symlink_metadata().is_ok() {
            return Progress::Failed(gettext_f(
                "“{path}” already exists.",
                &[("path", &path.display().to_string())],
            ));
        }
        let pool = match active_pool(conn, &spec.pool) {
            Ok(p) => p,
            Err(why) => return Progress::Failed(why),
        };
        let vol = match pool.lookup_storage_vol_by_name(&spec.volume) {
            Ok(v) => v,
            Err(_) => {
                return Progress::Failed(gettext_f(
                    "The pool “{pool}” has no volume “{name}”.",
                    &[("pool", &spec.pool), ("name", &spec.volume)],
                ))
            }
        };
        // What a download carries is the volume's file (a qcow2 file, not its
        // virtual disk): its physical size.
        let total = vol
            .info_flags(sys::VIR_STORAGE_VOL_GET_PHYSICAL)
            .map(|i| i.allocation)
            .or_else(|_| vol.info().map(|i| i.capacity))
            .unwrap_or(0);
        if self.cancelled() {
            return Progress::Cancelled;
        }
        let file = match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(f) => f,
            Err(e) => return Progress::Failed(local_error(path, &e)),
        };
        let result = self.receive_file(conn, &vol, &file, total);
        let stop = match result.and_then(|n| file.sync_all().map(|_| n).map_err(io_stop)) {
            Ok(bytes) => return Progress::Finished { bytes },
            Err(stop) => stop,
        };
        drop(file);
        let removed = std::fs::remove_file(path);
        match (stop, removed) {
            (Stop::Cancelled, Ok(())) => Progress::Cancelled,
            (Stop::Cancelled, Err(e)) => Progress::Failed(gettext_f(
                "The download was cancelled. The partial file “{path}” could not be \
                 removed: {reason}.",
                &[
                    ("path", &path.display().to_string()),
                    ("reason", &e.to_string()),
                ],
            )),
            (Stop::Failed(r), Ok(())) => Progress::Failed(gettext_f(
                "The download failed: {reason}. The partial file was removed.",
                &[("reason", &r)],
            )),
            (Stop::Failed(r), Err(e)) => Progress::Failed(gettext_f(
                "The download failed: {reason}. The partial file “{path}” could not be \
                 removed: {error}.",
                &[
                    ("reason", &r),
                    ("path", &path.display().to_string()),
                    ("error", &e.to_string()),
                ],
            )),
        }
    }

    /// Stream `vol` into `file`; the bytes covered.
    fn receive_file(
        &self,
        conn: &Connect,
        vol: &StorageVol,
        file: &File,
        total: u64,
    ) -> Result<u64, Stop> {
        // Sparse only when the volume has holes to keep (it takes less than it holds).
        let mut sparse = vol.info().map_or(true, |i| i.allocation < total);
        let stream = loop {
            let stream = Stream::new(conn, 0)?;
            let flags = if sparse {
                sys::VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM
            } else {
                0
            };
            match vol.download(&stream, 0, 0, flags) {
                Ok(()) => break stream,
                Err(e) if sparse => {
                    tracing::debug!("sparse download refused, streaming every byte: {e}");
                    sparse = false;
                }
                Err(e) => return Err(e.into()),
            }
        };
        self.send(Progress::Started { total });
        let mut meter = Meter::new(total);
        match self.pump_in(&stream, file, sparse, &mut meter) {
            Ok(done) => {
                stream.finish()?;
                self.send(meter.last(done).into());
                Ok(done)
            }
            Err(stop) => {
                let _ = stream.abort();
                Err(stop)
            }
        }
    }

    /// The download loop: data is written where it belongs, holes are skipped and
    /// the file's length set at the end, so holes stay holes.
    fn pump_in(
        &self,
        stream: &Stream,
        file: &File,
        sparse: bool,
        meter: &mut Meter,
    ) -> Result<u64, Stop> {
        let mut buf = vec![0u8; CHUNK];
        let mut pos = 0u64;
        let flags = if sparse {
            sys::VIR_STREAM_RECV_STOP_AT_HOLE
        } else {
            0
        };
        loop {
            if self.cancelled() {
                return Err(Stop::Cancelled);
            }
            // SAFETY: the stream is valid while `stream` lives; `buf` is writable for
            // `buf.len()` bytes for the whole call.
            let n = unsafe {
                sys::virStreamRecvFlags(
                    stream.as_ptr(),
                    buf.as_mut_ptr() as *mut c_char,
                    buf.len(),
                    flags,
                )
            };
            match n {
                0 => break,
                n if n > 0 => {
                    let n = n as usize;
                    file.write_all_at(&buf[..n], pos).map_err(io_stop)?;
                    self.wire.fetch_add(n as u64, Ordering::Relaxed);
                    pos += n as u64;
                }
                -3 => {
                    let mut len: std::os::raw::c_longlong = 0;
                    // SAFETY: the stream is valid; `len` is a valid place for the
                    // hole's length for the duration of the call.
                    let r = unsafe { sys::virStreamRecvHole(stream.as_ptr(), &mut len, 0) };
                    if r < 0 {
                        return Err(last_libvirt_error());
                    }
                    pos += len.max(0) as u64;
                }
                _ => return Err(last_libvirt_error()),
            }
            if let Some(p) = meter.tick(pos) {
                self.send(p.into());
            }
        }
        // A hole at the end leaves no data to extend the file: set its length.
        file.set_len(pos).map_err(io_stop)?;
        Ok(pos)
    }
}

/// Send all of `data`; false when the stream stops taking data (a short send of
/// nothing).
pub fn send_all(stream: &Stream, data: &[u8]) -> std::result::Result<bool, virt::error::Error> {
    let mut sent = 0;
    while sent < data.len() {
        let k = stream.send(&data[sent..])?;
        if k <= 0 {
            return Ok(false);
        }
        sent += k as usize;
    }
    Ok(true)
}

/// Send a hole of `len` bytes.
fn send_hole(stream: &Stream, len: u64) -> Result<(), Stop> {
    // SAFETY: the stream is valid while `stream` lives; plain integers otherwise.
    let r = unsafe { sys::virStreamSendHole(stream.as_ptr(), len as std::os::raw::c_longlong, 0) };
    if r < 0 {
        return Err(last_libvirt_error());
    }
    Ok(())
}

/// The error libvirt recorded for this thread's last failed call.
fn last_libvirt_error() -> Stop {
    Stop::from(virt::error::Error::last_error())
}

fn io_stop(e: std::io::Error) -> Stop {
    Stop::Failed(e.to_string())
}

/// The pool, when it exists and is running.
fn active_pool(conn: &Connect, name: &str) -> Result<StoragePool, String> {
    let pool = conn
        .lookup_storage_pool_by_name(name)
        .map_err(|_| gettext_f("There is no storage pool “{pool}”.", &[("pool", name)]))?;
    match pool.is_active() {
        Ok(true) => Ok(pool),
        Ok(false) => Err(gettext_f(
            "The storage pool “{pool}” is not active: start it first.",
            &[("pool", name)],
        )),
        Err(e) => Err(reason(&e)),
    }
}

/// Delete a volume an aborted upload made. libvirt keeps it busy until the aborted
/// stream is closed on its side, so retry a little while.
fn delete_volume(vol: &StorageVol) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match vol.delete(0) {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() < deadline && e.message().contains("in use") => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(reason(&e)),
        }
    }
}

/// "The upload failed: … ." and what became of the volume it made.
fn failed_upload(why: &str, cleanup: Option<Result<(), String>>) -> String {
    let head = gettext_f("The upload failed: {reason}.", &[("reason", why)]);
    match cleanup {
        None => head,
        Some(Ok(())) => format!("{head} {}", gettext("The partial volume was deleted.")),
        Some(Err(e)) => format!("{head} {e}"),
    }
}

fn reason(e: &virt::error::Error) -> String {
    Error::from_virt(e).to_string()
}

fn local_error(path: &Path, e: &std::io::Error) -> String {
    gettext_f(
        "Cannot use “{path}”: {reason}.",
        &[
            ("path", &path.display().to_string()),
            ("reason", &e.to_string()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_time() {
        assert_eq!(remaining_secs(0, 100, 10.0), Some(10));
        assert_eq!(remaining_secs(95, 100, 10.0), Some(1));
        assert_eq!(remaining_secs(100, 100, 0.0), Some(0));
        assert_eq!(remaining_secs(0, 100, 0.0), None);
        assert_eq!(remaining_secs(0, 100, f64::NAN), None);
    }
}
