//! Copying a local file into a volume (upload) and a volume into a local file
//! (download), through libvirt's streams, so it works on remote connections too.
//!
//! A copy runs on a thread of its own with its own libvirt connection: the
//! connection's worker stays free for the list and the pages however long it takes.
//! Progress comes over a channel at most ten times a second; Cancel aborts the stream
//! and removes what was half made (the new volume, the partial file).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use virt::connect::Connect;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;

use crate::backend::units::format_bytes;
use crate::backend::xml::{Document, Element};
use crate::i18n::{gettext, gettext_f};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upload,
    Download,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferSpec {
    /// The connection's libvirt URI: the copy opens its own connection.
    pub uri: String,
    pub pool: String,
    pub volume: String,
    /// The source of an upload, the destination of a download.
    pub local: PathBuf,
    pub direction: Direction,
    /// Upload only: make the volume first (qcow2 for a qcow2 file, with its virtual
    /// size; else raw of the file's size). Else it must exist and be big enough.
    pub create: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Started {
        total: u64,
    },
    Bytes {
        done: u64,
        total: u64,
        bytes_per_sec: f64,
    },
    Finished {
        bytes: u64,
    },
    Failed(String),
    Cancelled,
}

/// A copy under way.
pub struct Transfer {
    cancel: Arc<AtomicBool>,
}

/// Seconds left at this rate, when it can be said.
pub fn remaining_secs(done: u64, total: u64, bytes_per_sec: f64) -> Option<u64> {
    (bytes_per_sec > 0.0 && total >= done)
        .then(|| ((total - done) as f64 / bytes_per_sec).ceil() as u64)
}

/// qcow2's magic and its virtual size (bytes 24..32, big-endian), if `head` is one.
pub fn qcow2_virtual_size(head: &[u8]) -> Option<u64> {
    if head.len() < 32 || &head[..4] != b"QFI\xfb" {
        return None;
    }
    Some(u64::from_be_bytes(head[24..32].try_into().ok()?))
}

/// An ISO 9660 image has "CD001" at byte 32769.
fn is_iso(file: &Path) -> bool {
    let mut buf = [0u8; 5];
    File::open(file)
        .and_then(|mut f| {
            std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(32769))?;
            f.read_exact(&mut buf)
        })
        .is_ok()
        && &buf == b"CD001"
}

/// The volume an upload of `file` makes: (format, capacity).
pub fn upload_shape(file: &Path) -> std::io::Result<(String, u64)> {
    let size = std::fs::metadata(file)?.len();
    let mut head = [0u8; 32];
    let n = File::open(file)?.read(&mut head)?;
    if let Some(v) = qcow2_virtual_size(&head[..n]) {
        return Ok(("qcow2".into(), v.max(size)));
    }
    let format = if is_iso(file) { "iso" } else { "raw" };
    Ok((format.into(), size))
}

const CHUNK: usize = 1 << 20;

impl Transfer {
    /// Start the copy on its own thread.
    pub fn start(spec: TransferSpec) -> (Transfer, async_channel::Receiver<Progress>) {
        let (tx, rx) = async_channel::unbounded();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        let spawned = std::thread::Builder::new()
            .name("hangar-transfer".into())
            .spawn(move || {
                let outcome = run(&spec, &flag, &tx);
                let _ = tx.send_blocking(outcome);
            });
        if let Err(e) = spawned {
            let (tx2, rx2) = async_channel::unbounded();
            let _ = tx2.send_blocking(Progress::Failed(e.to_string()));
            return (Transfer { cancel }, rx2);
        }
        (Transfer { cancel }, rx)
    }

    /// Stop the copy; it ends with `Progress::Cancelled` once what it made is removed.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }
}

struct Meter<'a> {
    tx: &'a async_channel::Sender<Progress>,
    total: u64,
    done: u64,
    start: Instant,
    last: Instant,
}

impl Meter<'_> {
    fn add(&mut self, n: usize) {
        self.done += n as u64;
        if self.last.elapsed() >= Duration::from_millis(100) {
            self.last = Instant::now();
            let secs = self.start.elapsed().as_secs_f64().max(0.001);
            let _ = self.tx.send_blocking(Progress::Bytes {
                done: self.done,
                total: self.total,
                bytes_per_sec: self.done as f64 / secs,
            });
        }
    }
}

enum Stop {
    Cancelled,
    Failed(String),
}

impl From<virt::error::Error> for Stop {
    fn from(e: virt::error::Error) -> Stop {
        Stop::Failed(e.message().to_string())
    }
}

fn run(spec: &TransferSpec, cancel: &AtomicBool, tx: &async_channel::Sender<Progress>) -> Progress {
    let conn = match Connect::open(Some(&spec.uri)) {
        Ok(c) => c,
        Err(e) => return Progress::Failed(e.message().to_string()),
    };
    let r = match spec.direction {
        Direction::Upload => upload(&conn, spec, cancel, tx),
        Direction::Download => download(&conn, spec, cancel, tx),
    };
    // The connection closes when dropped.
    drop(conn);
    r
}

fn upload(
    conn: &Connect,
    spec: &TransferSpec,
    cancel: &AtomicBool,
    tx: &async_channel::Sender<Progress>,
) -> Progress {
    let mut file = match File::open(&spec.local) {
        Ok(f) => f,
        Err(e) => {
            return Progress::Failed(gettext_f(
                "{file} cannot be read: {reason}",
                &[
                    ("file", &spec.local.display().to_string()),
                    ("reason", &e.to_string()),
                ],
            ))
        }
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let pool = match conn.lookup_storage_pool_by_name(&spec.pool) {
        Ok(p) => p,
        Err(e) => return Progress::Failed(e.message().to_string()),
    };
    if !pool.is_active().unwrap_or(false) {
        return Progress::Failed(gettext_f(
            "The pool {pool} is not active",
            &[("pool", &spec.pool)],
        ));
    }
    let existing = pool.lookup_storage_vol_by_name(&spec.volume).ok();
    let vol = match (existing, spec.create) {
        (Some(_), true) => {
            return Progress::Failed(gettext_f(
                "A volume named “{name}” exists already",
                &[("name", &spec.volume)],
            ))
        }
        (None, false) => {
            return Progress::Failed(gettext_f(
                "There is no volume “{name}” in this pool",
                &[("name", &spec.volume)],
            ))
        }
        (Some(v), false) => {
            let cap = v.info().map(|i| i.capacity).unwrap_or(0);
            if cap < size {
                return Progress::Failed(gettext_f(
                    "The volume holds {cap}; the file is {size}",
                    &[("cap", &format_bytes(cap)), ("size", &format_bytes(size))],
                ));
            }
            v
        }
        (None, true) => {
            let (format, capacity) = match upload_shape(&spec.local) {
                Ok(s) => s,
                Err(e) => return Progress::Failed(e.to_string()),
            };
            let mut xml = Element::new("volume");
            xml.append_child(Element::new("name").with_text(&spec.volume));
            xml.append_child(
                Element::new("capacity")
                    .with_attr("unit", "bytes")
                    .with_text(&capacity.to_string()),
            );
            xml.append_child(Element::new("allocation").with_text("0"));
            // libvirt stores an ISO as raw bytes; its format says what it is.
            xml.append_child(
                Element::new("target")
                    .with_child(Element::new("format").with_attr("type", &format)),
            );
            match StorageVol::create_xml(&pool, &Document::new(xml).to_xml(), 0) {
                Ok(v) => v,
                Err(e) => return Progress::Failed(e.message().to_string()),
            }
        }
    };
    let _ = tx.send_blocking(Progress::Started { total: size });
    let mut meter = Meter {
        tx,
        total: size,
        done: 0,
        start: Instant::now(),
        last: Instant::now(),
    };
    let sent = (|| -> Result<(), Stop> {
        let stream = Stream::new(conn, 0)?;
        vol.upload(&stream, 0, size, 0)?;
        let mut buf = vec![0u8; CHUNK];
        loop {
            if cancel.load(Ordering::SeqCst) {
                let _ = stream.abort();
                return Err(Stop::Cancelled);
            }
            let n = file
                .read(&mut buf)
                .map_err(|e| Stop::Failed(e.to_string()))?;
            if n == 0 {
                break;
            }
            let mut off = 0;
            while off < n {
                let k = stream.send(&buf[off..n])?;
                if k <= 0 {
                    return Err(Stop::Failed(gettext("the server stopped taking data")));
                }
                off += k as usize;
            }
            meter.add(n);
        }
        stream.finish()?;
        Ok(())
    })();
    match sent {
        Ok(()) => Progress::Finished { bytes: meter.done },
        Err(stop) => {
            // Nothing half made stays: a volume made for this upload goes.
            let removed = spec.create && vol.delete(0).is_ok();
            match stop {
                Stop::Cancelled => Progress::Cancelled,
                Stop::Failed(why) if removed => Progress::Failed(gettext_f(
                    "The upload failed: {reason}. The partial volume was deleted.",
                    &[("reason", &why)],
                )),
                Stop::Failed(why) => Progress::Failed(gettext_f(
                    "The upload failed: {reason}",
                    &[("reason", &why)],
                )),
            }
        }
    }
}

fn download(
    conn: &Connect,
    spec: &TransferSpec,
    cancel: &AtomicBool,
    tx: &async_channel::Sender<Progress>,
) -> Progress {
    if spec.local.exists() {
        return Progress::Failed(gettext_f(
            "{file} exists already",
            &[("file", &spec.local.display().to_string())],
        ));
    }
    let vol = match conn
        .lookup_storage_pool_by_name(&spec.pool)
        .and_then(|p| p.lookup_storage_vol_by_name(&spec.volume))
    {
        Ok(v) => v,
        Err(e) => return Progress::Failed(e.message().to_string()),
    };
    // The bytes of the volume as stored (for a qcow2 file, the file itself).
    let total = vol
        .info()
        .map(|i| {
            let on_disk = std::fs::metadata(vol.path().unwrap_or_default())
                .map(|m| m.len())
                .ok();
            on_disk.unwrap_or(i.capacity)
        })
        .unwrap_or(0);
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&spec.local)
    {
        Ok(f) => f,
        Err(e) => {
            return Progress::Failed(gettext_f(
                "{file} cannot be written: {reason}",
                &[
                    ("file", &spec.local.display().to_string()),
                    ("reason", &e.to_string()),
                ],
            ))
        }
    };
    let _ = tx.send_blocking(Progress::Started { total });
    let mut meter = Meter {
        tx,
        total,
        done: 0,
        start: Instant::now(),
        last: Instant::now(),
    };
    let got = (|| -> Result<(), Stop> {
        let stream = Stream::new(conn, 0)?;
        vol.download(&stream, 0, 0, 0)?;
        let mut buf = vec![0u8; CHUNK];
        loop {
            if cancel.load(Ordering::SeqCst) {
                let _ = stream.abort();
                return Err(Stop::Cancelled);
            }
            let n = stream.recv(&mut buf)?;
            if n <= 0 {
                break;
            }
            let n = n as usize;
            file.write_all(&buf[..n])
                .map_err(|e| Stop::Failed(e.to_string()))?;
            meter.add(n);
        }
        stream.finish()?;
        file.flush().map_err(|e| Stop::Failed(e.to_string()))?;
        Ok(())
    })();
    match got {
        Ok(()) => Progress::Finished { bytes: meter.done },
        Err(stop) => {
            drop(file);
            let _ = std::fs::remove_file(&spec.local);
            match stop {
                Stop::Cancelled => Progress::Cancelled,
                Stop::Failed(why) => Progress::Failed(gettext_f(
                    "The download failed: {reason}. The partial file was removed.",
                    &[("reason", &why)],
                )),
            }
        }
    }
}
