//! The volumes of a pool: what the list shows (with the domains that use each), the
//! new-volume form's checks and XML, and resize, wipe and delete with their refusals.

use std::collections::HashMap;

use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::sys;

use super::info::lookup_pool;
use crate::backend::conn::worker::{Connection, Worker};
use crate::backend::units::format_bytes;
use crate::backend::xml::{Document, Element};
use crate::backend::{Error, Result};
use crate::i18n::{gettext, gettext_f};

/// A domain that uses a volume, and whether it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub running: bool,
}

/// One volume as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Volume {
    pub name: String,
    pub path: String,
    pub key: String,
    /// qcow2, raw, iso…; empty when libvirt says none.
    pub format: String,
    pub capacity: u64,
    /// Bytes on disk (less than the capacity for a sparse file).
    pub allocation: u64,
    /// The backing file of an overlay.
    pub backing: String,
    pub used_by: Vec<User>,
}

impl Volume {
    /// The running domains among its users.
    pub fn running_users(&self) -> Vec<&str> {
        self.used_by
            .iter()
            .filter(|u| u.running)
            .map(|u| u.name.as_str())
            .collect()
    }
}

/// (format, backing path) of a volume's XML.
pub fn parse_volume_xml(xml: &str) -> (String, String) {
    let Ok(doc) = Document::parse(xml) else {
        return Default::default();
    };
    let format = doc
        .root
        .find(&["target", "format"])
        .and_then(|f| f.attr("type"))
        .unwrap_or_default()
        .to_string();
    let backing = doc
        .root
        .find(&["backingStore", "path"])
        .map(|p| p.text().trim().to_string())
        .unwrap_or_default();
    (format, backing)
}

/// The source of one `<disk>`: its file or device path, and its (pool, volume).
pub fn disk_sources_of(disk: &Element) -> (Option<String>, Option<(String, String)>) {
    let Some(src) = disk.child("source") else {
        return (None, None);
    };
    let path = src
        .attr("file")
        .or_else(|| src.attr("dev"))
        .map(str::to_string);
    let vol = match (src.attr("pool"), src.attr("volume")) {
        (Some(p), Some(v)) => Some((p.to_string(), v.to_string())),
        _ => None,
    };
    (path, vol)
}

/// The disk sources of a domain's XML: file and block paths, and (pool, volume) pairs.
pub fn disk_sources(xml: &str) -> (Vec<String>, Vec<(String, String)>) {
    let mut paths = Vec::new();
    let mut vols = Vec::new();
    let Ok(doc) = Document::parse(xml) else {
        return (paths, vols);
    };
    let Some(devices) = doc.root.child("devices") else {
        return (paths, vols);
    };
    for disk in devices.children_named("disk") {
        let (p, v) = disk_sources_of(disk);
        paths.extend(p);
        vols.extend(v);
    }
    (paths, vols)
}

/// Which domains use which path or (pool, volume): read from every domain's inactive
/// and live XML, so a shut-off domain counts too.
pub struct UsageMap {
    by_path: HashMap<String, Vec<User>>,
    by_volume: HashMap<(String, String), Vec<User>>,
}

impl UsageMap {
    pub fn read(conn: &Connect) -> Result<UsageMap> {
        let mut map = UsageMap {
            by_path: HashMap::new(),
            by_volume: HashMap::new(),
        };
        for d in conn.list_all_domains(0)? {
            let Ok(name) = d.name() else { continue };
            let running = d.is_active().unwrap_or(false);
            let mut seen_p = Vec::new();
            let mut seen_v = Vec::new();
            let flags = [sys::VIR_DOMAIN_XML_INACTIVE, 0];
            for f in flags {
                let Ok(xml) = d.xml_desc(f) else { continue };
                let (p, v) = disk_sources(&xml);
                seen_p.extend(p);
                seen_v.extend(v);
            }
            seen_p.sort();
            seen_p.dedup();
            seen_v.sort();
            seen_v.dedup();
            let user = User {
                name: name.clone(),
                running,
            };
            for p in seen_p {
                map.by_path.entry(p).or_default().push(user.clone());
            }
            for v in seen_v {
                map.by_volume.entry(v).or_default().push(user.clone());
            }
        }
        Ok(map)
    }

    pub fn users(&self, pool: &str, vol: &str, path: &str) -> Vec<User> {
        let mut out: Vec<User> = self.by_path.get(path).cloned().unwrap_or_default();
        for u in self
            .by_volume
            .get(&(pool.to_string(), vol.to_string()))
            .into_iter()
            .flatten()
        {
            if !out.contains(u) {
                out.push(u.clone());
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

fn volume_of(v: &StorageVol, pool: &str, usage: &UsageMap) -> Result<Volume> {
    let name = v.name()?;
    let path = v.path().unwrap_or_default();
    let info = v.info().ok();
    let (format, backing) = v
        .xml_desc(0)
        .map(|x| parse_volume_xml(&x))
        .unwrap_or_default();
    Ok(Volume {
        used_by: usage.users(pool, &name, &path),
        key: v.key().unwrap_or_default(),
        capacity: info.as_ref().map_or(0, |i| i.capacity),
        allocation: info.as_ref().map_or(0, |i| i.allocation),
        name,
        path,
        format,
        backing,
    })
}

/// The volumes of an active pool (refreshed first, so files copied in by hand show),
/// by name.
pub fn list_volumes(conn: &Connect, pool_uuid: &str) -> Result<Vec<Volume>> {
    let p = lookup_pool(conn, pool_uuid)?;
    if !p.is_active().unwrap_or(false) {
        return Ok(Vec::new());
    }
    let _ = p.refresh(0);
    let pool = p.name()?;
    let usage = UsageMap::read(conn)?;
    let mut out = Vec::new();
    for v in p.list_all_volumes(0)? {
        if let Ok(vol) = volume_of(&v, &pool, &usage) {
            out.push(vol);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// How a new volume's space is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preallocation {
    /// Sparse: space is taken as the guest writes.
    #[default]
    Off,
    /// qcow2 metadata written ahead (faster first writes, still sparse).
    Metadata,
    /// All of it now (slower to make; never runs out of space later).
    Full,
}

/// The new-volume form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeSpec {
    pub name: String,
    /// qcow2 or raw (what dir-like pools make); other pools' own formats pass through.
    pub format: String,
    pub capacity: u64,
    pub preallocation: Preallocation,
    /// The path of a volume to overlay (qcow2 only); empty for none.
    pub backing: String,
    pub backing_format: String,
}

/// What a pool makes volumes as: qcow2 and raw in file pools, raw elsewhere.
pub fn formats_for(pool_kind: &str) -> &'static [&'static str] {
    match pool_kind {
        "dir" | "fs" | "netfs" | "gluster" => &["qcow2", "raw"],
        _ => &["raw"],
    }
}

/// Problems of the form, by field: name (empty, `/`, taken), capacity (none; beyond
/// the free space when the whole of it is taken now — a sparse volume may be bigger
/// and only gets a warning, see [`space_warning`]), backing (qcow2 only).
pub fn check_volume_spec(
    spec: &VolumeSpec,
    existing: &[Volume],
    available: u64,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let name = spec.name.trim();
    if name.is_empty() {
        out.push(("name", gettext("The volume needs a name")));
    } else if name.contains('/') || name == "." || name == ".." {
        out.push(("name", gettext("A volume name cannot contain “/”")));
    } else if existing.iter().any(|v| v.name == name) {
        out.push((
            "name",
            gettext_f("A volume named “{name}” exists already", &[("name", name)]),
        ));
    }
    if spec.capacity == 0 {
        out.push(("capacity", gettext("The size must be more than nothing")));
    } else if spec.preallocation == Preallocation::Full && spec.capacity > available {
        out.push((
            "capacity",
            gettext_f(
                "Only {free} are free in the pool: a fully allocated volume does not fit",
                &[("free", &format_bytes(available))],
            ),
        ));
    }
    if !spec.backing.is_empty() && spec.format != "qcow2" {
        out.push((
            "backing",
            gettext("Only a qcow2 volume can have a backing store"),
        ));
    }
    out
}

/// A warning (not a refusal) for a sparse volume bigger than the free space.
pub fn space_warning(spec: &VolumeSpec, available: u64) -> Option<String> {
    (spec.preallocation != Preallocation::Full && spec.capacity > available).then(|| {
        gettext_f(
            "Only {free} are free: the guest can fill the pool before it fills this disk",
            &[("free", &format_bytes(available))],
        )
    })
}

impl VolumeSpec {
    /// A sparse volume `name` of `capacity` bytes in `format` (none when empty): what a
    /// clone, a migration or a new disk makes before filling it.
    pub fn sparse(name: &str, format: &str, capacity: u64) -> VolumeSpec {
        VolumeSpec {
            name: name.to_string(),
            format: format.to_string(),
            capacity,
            ..Default::default()
        }
    }

    /// The volume's XML (storagevol.rng).
    pub fn to_xml(&self) -> String {
        let mut vol = Element::new("volume");
        vol.append_child(Element::new("name").with_text(self.name.trim()));
        vol.append_child(
            Element::new("capacity")
                .with_attr("unit", "bytes")
                .with_text(&self.capacity.to_string()),
        );
        let allocation = if self.preallocation == Preallocation::Full {
            self.capacity
        } else {
            0
        };
        vol.append_child(
            Element::new("allocation")
                .with_attr("unit", "bytes")
                .with_text(&allocation.to_string()),
        );
        if !self.format.is_empty() {
            vol.append_child(
                Element::new("target")
                    .with_child(Element::new("format").with_attr("type", &self.format)),
            );
        }
        if !self.backing.is_empty() {
            let mut b = Element::new("backingStore");
            b.append_child(Element::new("path").with_text(&self.backing));
            if !self.backing_format.is_empty() {
                b.append_child(Element::new("format").with_attr("type", &self.backing_format));
            }
            vol.append_child(b);
        }
        Document::new(vol).to_xml()
    }
}

fn find_volume(p: &StoragePool, name: &str) -> Result<StorageVol> {
    p.lookup_storage_vol_by_name(name).map_err(|_| {
        Error::InvalidInput(gettext_f(
            "There is no volume “{name}” in this pool",
            &[("name", name)],
        ))
    })
}

/// Make a volume; its path.
pub fn create_volume(w: &mut Worker, pool_uuid: &str, spec: &VolumeSpec) -> Result<String> {
    let conn = w.conn()?;
    let p = lookup_pool(conn, pool_uuid)?;
    let existing = list_volumes(conn, pool_uuid)?;
    let available = p.info().map(|i| i.available).unwrap_or(0);
    if let Some((_, why)) = check_volume_spec(spec, &existing, available)
        .into_iter()
        .next()
    {
        return Err(Error::InvalidInput(why));
    }
    // An LVM volume is allocated whole: a sparse one would be a thin snapshot volume,
    // which needs device-mapper's snapshot target and is seldom what is meant.
    let kind = super::info::parse_pool_xml(&p.xml_desc(0)?).0;
    let mut spec = spec.clone();
    if kind == "logical" {
        spec.preallocation = Preallocation::Full;
    }
    let spec = &spec;
    let flags = if spec.preallocation == Preallocation::Metadata {
        sys::VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA
    } else {
        0
    };
    let v = StorageVol::create_xml(&p, &spec.to_xml(), flags)?;
    Ok(v.path()?)
}

fn refuse_if_running(vol: &Volume, what: &str) -> Result<()> {
    let running = vol.running_users();
    if running.is_empty() {
        return Ok(());
    }
    Err(Error::InvalidState(gettext_f(
        "“{volume}” is a disk of {domains}, which is running: shut it down to {what} it",
        &[
            ("volume", &vol.name),
            ("domains", &running.join(", ")),
            ("what", what),
        ],
    )))
}

fn volume_with_users(w: &mut Worker, pool_uuid: &str, name: &str) -> Result<(StorageVol, Volume)> {
    let conn = w.conn()?;
    let p = lookup_pool(conn, pool_uuid)?;
    let v = find_volume(&p, name)?;
    let usage = UsageMap::read(conn)?;
    let info = volume_of(&v, &p.name()?, &usage)?;
    Ok((v, info))
}

/// Delete a volume; refused while a running domain uses it (named in the message).
pub fn delete_volume(w: &mut Worker, pool_uuid: &str, name: &str) -> Result<()> {
    let (v, info) = volume_with_users(w, pool_uuid, name)?;
    refuse_if_running(&info, &gettext("delete"))?;
    v.delete(0)?;
    Ok(())
}

/// Overwrite a volume's data with zeros (its size stays); refused while in use.
pub fn wipe_volume(w: &mut Worker, pool_uuid: &str, name: &str) -> Result<()> {
    let (v, info) = volume_with_users(w, pool_uuid, name)?;
    refuse_if_running(&info, &gettext("wipe"))?;
    v.wipe(0)?;
    Ok(())
}

/// Change a volume's capacity. Growing is always allowed; shrinking needs `shrink`
/// (the form's explicit warning) and is refused while a running domain uses it.
pub fn resize_volume(
    w: &mut Worker,
    pool_uuid: &str,
    name: &str,
    capacity: u64,
    shrink: bool,
) -> Result<()> {
    let (v, info) = volume_with_users(w, pool_uuid, name)?;
    let smaller = capacity < info.capacity;
    if smaller {
        if !shrink {
            return Err(Error::InvalidInput(gettext(
                "Shrinking a volume cuts off the data at its end: confirm it first",
            )));
        }
        refuse_if_running(&info, &gettext("shrink"))?;
    }
    let flags = if smaller {
        sys::VIR_STORAGE_VOL_RESIZE_SHRINK
    } else {
        0
    };
    v.resize(capacity, flags)?;
    Ok(())
}

impl Connection {
    /// The volumes of a pool, with the domains that use each.
    pub async fn volumes(&self, pool_uuid: String) -> Result<Vec<Volume>> {
        self.call(move |w| list_volumes(w.conn()?, &pool_uuid))
            .await
    }

    /// Make a volume in a pool; its path. The pool list follows (its free space).
    pub async fn create_pool_volume(&self, pool_uuid: String, spec: VolumeSpec) -> Result<String> {
        self.call(move |w| {
            let r = create_volume(w, &pool_uuid, &spec);
            w.queue_pools();
            r
        })
        .await
    }

    pub async fn delete_volume(&self, pool_uuid: String, name: String) -> Result<()> {
        self.call(move |w| {
            let r = delete_volume(w, &pool_uuid, &name);
            w.queue_pools();
            r
        })
        .await
    }

    pub async fn wipe_volume(&self, pool_uuid: String, name: String) -> Result<()> {
        self.call(move |w| wipe_volume(w, &pool_uuid, &name)).await
    }

    pub async fn resize_volume(
        &self,
        pool_uuid: String,
        name: String,
        capacity: u64,
        shrink: bool,
    ) -> Result<()> {
        self.call(move |w| {
            let r = resize_volume(w, &pool_uuid, &name, capacity, shrink);
            w.queue_pools();
            r
        })
        .await
    }
}
