//! Deleting a virtual machine with its storage: which of its disks may go (a writable,
//! unshared disk no other domain uses, not a CD-ROM), and removing the chosen ones —
//! through their pool when they are volumes, as plain files only on a local
//! connection.

use virt::sys;

use super::volumes::{disk_sources_of, UsageMap};
use crate::backend::conn::worker::{Connection, Worker};
use crate::backend::xml::Document;
use crate::backend::{Error, Result};
use crate::i18n::{gettext, gettext_f};

/// One disk of a domain, as the delete dialog offers it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiskChoice {
    /// `vda`, `sdb`…
    pub target: String,
    /// The file or device path (for a pool volume, the volume's path).
    pub path: String,
    /// `disk`, `cdrom`, `floppy`, `lun`.
    pub device: String,
    /// Ticked when the dialog opens.
    pub delete_by_default: bool,
    /// Why it is not ticked ("a CD-ROM", "also used by db"…), empty when it is.
    pub reason: String,
    /// Bytes it holds on disk (0 when unknown).
    pub allocation: u64,
}

/// The disks of the domain `uuid`, each with whether deleting it is the safe default.
pub fn disks_to_offer(w: &mut Worker, uuid: &str) -> Result<Vec<DiskChoice>> {
    let d = w.domain(uuid)?;
    let name = d.name()?;
    let local = w.is_local();
    let xml = d.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)?;
    let conn = w.conn()?;
    let usage = UsageMap::read(conn)?;
    let doc = Document::parse(&xml).map_err(|e| Error::InvalidInput(e.0))?;
    let mut out = Vec::new();
    let Some(devices) = doc.root.child("devices") else {
        return Ok(out);
    };
    for disk in devices.children_named("disk") {
        let device = disk.attr("device").unwrap_or("disk").to_string();
        let target = disk
            .child("target")
            .and_then(|t| t.attr("dev"))
            .unwrap_or_default()
            .to_string();
        let (path, pool_vol) = disk_sources_of(disk);
        // A volume named by pool: its path, through the pool.
        let path = match (&path, &pool_vol) {
            (Some(p), _) => p.clone(),
            (None, Some((pool, vol))) => conn
                .lookup_storage_pool_by_name(pool)
                .and_then(|p| p.lookup_storage_vol_by_name(vol))
                .and_then(|v| v.path())
                .unwrap_or_default(),
            (None, None) => continue,
        };
        if path.is_empty() {
            continue;
        }
        let (pool, vol) = pool_vol.clone().unwrap_or_default();
        let others: Vec<String> = usage
            .users(&pool, &vol, &path)
            .into_iter()
            .filter(|u| u.name != name)
            .map(|u| u.name)
            .collect();
        let volume = conn.lookup_storage_vol_by_path(&path).ok();
        let allocation = volume
            .as_ref()
            .and_then(|v| v.info().ok())
            .map_or(0, |i| i.allocation);
        // What Hangar can remove: a volume of a pool, or a file of this computer.
        let removable = volume.is_some() || (local && std::path::Path::new(&path).exists());
        let reason = if device == "cdrom" || device == "floppy" {
            gettext("install media, kept")
        } else if disk.child("readonly").is_some() {
            gettext("read-only, kept")
        } else if disk.child("shareable").is_some() {
            gettext("shareable, kept")
        } else if !others.is_empty() {
            gettext_f("also used by {domains}", &[("domains", &others.join(", "))])
        } else if !removable {
            gettext("in no storage pool of this host, kept")
        } else {
            String::new()
        };
        out.push(DiskChoice {
            target,
            path,
            device,
            delete_by_default: reason.is_empty(),
            reason,
            allocation,
        });
    }
    Ok(out)
}

/// Remove `path`: the volume through its pool, else (on a local connection only) the
/// file itself.
pub fn remove_storage(w: &mut Worker, path: &str) -> Result<()> {
    let local = w.is_local();
    let conn = w.conn()?;
    match conn.lookup_storage_vol_by_path(path) {
        Ok(v) => Ok(v.delete(0)?),
        Err(_) if local => std::fs::remove_file(path).map_err(|e| {
            Error::InvalidState(gettext_f(
                "{path} could not be removed: {reason}",
                &[("path", path), ("reason", &e.to_string())],
            ))
        }),
        Err(_) => Err(Error::InvalidState(gettext_f(
            "{path} is in no storage pool: Hangar removes plain files only on this computer",
            &[("path", path)],
        ))),
    }
}

impl Connection {
    /// The disks of a domain, with the safe default for deleting each.
    pub async fn disks_to_offer(&self, uuid: String) -> Result<Vec<DiskChoice>> {
        self.call(move |w| disks_to_offer(w, &uuid)).await
    }

    /// Delete the domain, then the chosen disks. The domain's deletion decides the
    /// result; disks that could not be removed are returned with the reason.
    pub async fn delete_with_storage(
        &self,
        uuid: String,
        paths: Vec<String>,
    ) -> Result<Vec<(String, Error)>> {
        self.call(move |w| {
            w.delete(&uuid)?;
            let mut failed = Vec::new();
            for p in paths {
                if let Err(e) = remove_storage(w, &p) {
                    failed.push((p, e));
                }
            }
            w.queue_pools();
            Ok(failed)
        })
        .await
    }
}
