//! The clone itself: disks copied through their pools (`virStorageVolCreateXMLFrom`),
//! NVRAM copied for UEFI guests, the new machine defined — on a thread with its own
//! libvirt connection, so the list stays live however big the disks. Cancel stops after
//! the disk being copied and removes everything made; so does a failure.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use virt::connect::Connect;
use virt::storage_vol::StorageVol;
use virt::sys;

use super::plan::{clone_xml, plan_disks, suggest_name, DiskAction, DiskPlan};
use crate::backend::conn::uri::{classify, UriLabel};
use crate::backend::conn::worker::{raw_state, Connection, Worker};
use crate::backend::domain::DomainState;
use crate::backend::storage::volumes::{parse_volume_xml, VolumeSpec};
use crate::backend::thread_job;
use crate::backend::xml::Document;
use crate::backend::Result;
use crate::i18n::{gettext, gettext_f};

/// What the clone dialog starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneOffer {
    pub suggested_name: String,
    pub taken: Vec<String>,
    pub disks: Vec<DiskPlan>,
    /// Why it cannot be cloned now (running), else empty.
    pub blocked: String,
}

/// The pool, volume, format, capacity and allocation of `path`, when a pool has it.
fn volume_facts(conn: &Connect, path: &str) -> Option<(String, String, String, u64, u64)> {
    let v = conn.lookup_storage_vol_by_path(path).ok()?;
    let pool = v.lookup_storage_pool().ok()?.name().ok()?;
    let info = v.info().ok()?;
    let (format, _) = v
        .xml_desc(0)
        .map(|x| parse_volume_xml(&x))
        .unwrap_or_default();
    Some((pool, v.name().ok()?, format, info.capacity, info.allocation))
}

pub fn clone_offer(w: &mut Worker, uuid: &str) -> Result<CloneOffer> {
    let d = w.domain(uuid)?;
    offer_for(w.conn()?, &d)
}

fn offer_for(conn: &Connect, d: &virt::domain::Domain) -> Result<CloneOffer> {
    let name = d.name()?;
    let state = DomainState::from_raw(raw_state(d).map(|(s, _)| s).unwrap_or(0));
    let xml = d.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)?;
    let mut taken = Vec::new();
    for x in conn.list_all_domains(0)? {
        if let Ok(n) = x.name() {
            taken.push(n);
        }
    }
    let suggested_name = suggest_name(&name, &taken);
    let disks = plan_disks(&xml, &suggested_name, |p| volume_facts(conn, p));
    let blocked = if matches!(state, DomainState::Shutoff | DomainState::Paused) {
        String::new()
    } else {
        gettext_f(
            "{name} is running: shut it down or pause it to clone it, so its disks hold still",
            &[("name", &name)],
        )
    };
    Ok(CloneOffer {
        suggested_name,
        taken,
        disks,
        blocked,
    })
}

/// The UUID and default disk plan of the domain `name`, on a connection of its own
/// (for the benchmark, which has no worker).
pub fn clone_offer_blocking(uri: &str, name: &str) -> Result<(String, Vec<DiskPlan>)> {
    let conn = Connect::open(Some(uri))?;
    let d = conn.lookup_domain_by_name(name)?;
    let offer = offer_for(&conn, &d)?;
    Ok((d.uuid_string()?, offer.disks))
}

impl Connection {
    /// The clone dialog's starting point for the domain `uuid`.
    pub async fn clone_offer(&self, uuid: String) -> Result<CloneOffer> {
        self.call(move |w| clone_offer(w, &uuid)).await
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneSpec {
    pub uri: String,
    pub source_uuid: String,
    pub new_name: String,
    pub disks: Vec<DiskPlan>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CloneProgress {
    /// Copying disk `index` (from 1) of `count`, `done_bytes` of `total_bytes` (by the
    /// sources' allocation) before it.
    Disk {
        index: usize,
        count: usize,
        volume: String,
        done_bytes: u64,
        total_bytes: u64,
    },
    Finished {
        uuid: String,
    },
    Failed(String),
    Cancelled,
}

pub struct CloneJob {
    cancel: Arc<AtomicBool>,
}

impl CloneJob {
    pub fn start(spec: CloneSpec) -> (CloneJob, async_channel::Receiver<CloneProgress>) {
        let (cancel, rx) =
            thread_job::spawn("hangar-clone", CloneProgress::Failed, move |flag, tx| {
                run(&spec, flag, tx)
            });
        (CloneJob { cancel }, rx)
    }

    /// Stop after the disk being copied; what was made is removed.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }
}

/// What a clone made so far, removed when it does not finish.
#[derive(Default)]
struct Made {
    volumes: Vec<StorageVol>,
    nvram: Option<std::path::PathBuf>,
}

impl Made {
    fn undo(self) {
        for v in self.volumes {
            let _ = v.delete(0);
        }
        if let Some(p) = self.nvram {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn run(
    spec: &CloneSpec,
    cancel: &AtomicBool,
    tx: &async_channel::Sender<CloneProgress>,
) -> CloneProgress {
    let conn = match Connect::open(Some(&spec.uri)) {
        Ok(c) => c,
        Err(e) => return CloneProgress::Failed(e.message().to_string()),
    };
    let mut made = Made::default();
    let r = clone(&conn, spec, cancel, tx, &mut made);
    match r {
        Ok(uuid) => CloneProgress::Finished { uuid },
        Err(end) => {
            made.undo();
            end
        }
    }
}

fn clone(
    conn: &Connect,
    spec: &CloneSpec,
    cancel: &AtomicBool,
    tx: &async_channel::Sender<CloneProgress>,
    made: &mut Made,
) -> std::result::Result<String, CloneProgress> {
    let fail = |e: virt::error::Error| CloneProgress::Failed(e.message().to_string());
    let d = conn
        .lookup_domain_by_uuid_string(&spec.source_uuid)
        .map_err(fail)?;
    let state = DomainState::from_raw(raw_state(&d).map(|(s, _)| s).unwrap_or(0));
    if !matches!(state, DomainState::Shutoff | DomainState::Paused) {
        return Err(CloneProgress::Failed(gettext(
            "The machine runs: shut it down or pause it to clone it",
        )));
    }
    let xml = d.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).map_err(fail)?;
    let work: Vec<&DiskPlan> = spec
        .disks
        .iter()
        .filter(|p| p.action != DiskAction::Share && p.pool.is_some())
        .collect();
    let total: u64 = work.iter().map(|p| p.allocation).sum();
    let mut done = 0;
    let mut new_paths = Vec::new();
    for (i, plan) in work.iter().enumerate() {
        if cancel.load(Ordering::SeqCst) {
            return Err(CloneProgress::Cancelled);
        }
        let _ = tx.send_blocking(CloneProgress::Disk {
            index: i + 1,
            count: work.len(),
            volume: plan.new_volume.clone(),
            done_bytes: done,
            total_bytes: total,
        });
        let (pool_name, vol_name) = plan.pool.clone().expect("filtered");
        let pool = conn.lookup_storage_pool_by_name(&pool_name).map_err(fail)?;
        let xml = VolumeSpec::sparse(&plan.new_volume, &plan.format, plan.capacity).to_xml();
        let v = if plan.action == DiskAction::Copy {
            let src = pool.lookup_storage_vol_by_name(&vol_name).map_err(fail)?;
            StorageVol::create_xml_from(&pool, &xml, &src, 0)
        } else {
            StorageVol::create_xml(&pool, &xml, 0)
        }
        .map_err(|e| {
            CloneProgress::Failed(gettext_f(
                "{volume} could not be made: {reason}",
                &[("volume", &plan.new_volume), ("reason", e.message())],
            ))
        })?;
        new_paths.push((plan.target.clone(), v.path().map_err(fail)?));
        made.volumes.push(v);
        done += plan.allocation;
    }
    if cancel.load(Ordering::SeqCst) {
        return Err(CloneProgress::Cancelled);
    }
    // UEFI variables: copied beside the original's on this computer; elsewhere the
    // clone gets fresh ones from the firmware's template.
    let local = matches!(
        classify(&spec.uri),
        UriLabel::QemuSystem { host: None } | UriLabel::QemuSession { host: None }
    );
    let nvram = Document::parse(&xml)
        .ok()
        .and_then(|doc| {
            doc.root
                .find(&["os", "nvram"])
                .map(|n| n.text().trim().to_string())
        })
        .filter(|p| !p.is_empty());
    let new_nvram = match nvram {
        Some(p) if local && std::path::Path::new(&p).exists() => {
            let src = std::path::Path::new(&p);
            let dest = src.with_file_name(format!("{}_VARS.fd", spec.new_name));
            std::fs::copy(src, &dest).map_err(|e| {
                CloneProgress::Failed(gettext_f(
                    "The UEFI variables could not be copied: {reason}",
                    &[("reason", &e.to_string())],
                ))
            })?;
            made.nvram = Some(dest.clone());
            Some(dest.display().to_string())
        }
        _ => None,
    };
    let new_xml = clone_xml(&xml, &spec.new_name, &new_paths, new_nvram.as_deref())
        .map_err(CloneProgress::Failed)?;
    let dom = conn.define_domain_xml(&new_xml).map_err(fail)?;
    dom.uuid_string().map_err(fail)
}
