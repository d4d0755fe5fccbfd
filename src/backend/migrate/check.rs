//! What a migration needs of the destination, checked before anything moves: a name
//! that is free there (or the same machine), the networks the guest's cards use (or a
//! mapping), a pool for each disk to copy (the pool of the same directory, or one the
//! person picks), the memory, and a CPU the destination can give. Pure functions over
//! facts read on each host's worker, and the destination XML they lead to.

use virt::connect::Connect;
use virt::sys;

use crate::backend::conn::worker::{Connection, Worker};
use crate::backend::storage::list_pools;
use crate::backend::units::format_bytes;
use crate::backend::xml::Document;
use crate::backend::Result;
use crate::i18n::gettext_f;

/// A disk of the guest on a file, and where it goes on the destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskMove {
    /// `vda`.
    pub target: String,
    pub source: String,
    /// `qcow2`, `raw`.
    pub format: String,
    /// Its size in bytes as the guest sees it (0 when the host cannot say).
    pub capacity: u64,
    /// A destination pool: the one of the same directory when there is one.
    pub dest_pool: Option<String>,
    /// Its path there once the pool is known (`dest_pool`'s directory and the same
    /// file name).
    pub dest_path: String,
}

/// What the source says of the guest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestFacts {
    pub name: String,
    pub uuid: String,
    pub running: bool,
    pub memory_bytes: u64,
    /// Its inactive (or, running, migratable live) XML.
    pub xml: String,
    pub disks: Vec<DiskMove>,
    /// The virtual networks its cards are on.
    pub networks: Vec<String>,
    /// The guest's `<cpu>` element, when it names a model or mode to compare.
    pub cpu_xml: Option<String>,
}

/// A pool of the destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestPool {
    pub name: String,
    /// `dir`, `netfs`, `logical`…
    pub kind: String,
    pub path: String,
    pub available: u64,
}

impl DestPool {
    /// Storage the other hosts may see too (a network file system or cluster
    /// storage): a disk on the same path there is the same disk, not to be copied.
    pub fn shared(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "netfs" | "gluster" | "rbd" | "iscsi" | "iscsi-direct" | "sheepdog" | "vstorage"
        )
    }
}

/// What the destination has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestFacts {
    pub hostname: String,
    /// (name, UUID) of its domains.
    pub domains: Vec<(String, String)>,
    /// Its active virtual networks.
    pub networks: Vec<String>,
    pub pools: Vec<DestPool>,
    pub free_memory: u64,
    /// Why its hypervisor cannot give the guest's CPU, when it cannot.
    pub cpu_incompatible: Option<String>,
}

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The guest's disks on files (not CD-ROMs, shared or read-only disks, which do not
/// move), its networks and its CPU element, from its XML.
pub fn read_guest(xml: &str) -> (Vec<DiskMove>, Vec<String>, Option<String>) {
    let Ok(doc) = Document::parse(xml) else {
        return (Vec::new(), Vec::new(), None);
    };
    let mut disks = Vec::new();
    let mut networks = Vec::new();
    if let Some(devices) = doc.root.child("devices") {
        for d in devices.children_named("disk") {
            if d.attr("device").unwrap_or("disk") != "disk"
                || d.child("readonly").is_some()
                || d.child("shareable").is_some()
            {
                continue;
            }
            let Some(source) = d.child("source").and_then(|s| s.attr("file")) else {
                continue;
            };
            disks.push(DiskMove {
                target: d
                    .child("target")
                    .and_then(|t| t.attr("dev"))
                    .unwrap_or_default()
                    .to_string(),
                source: source.to_string(),
                format: d
                    .child("driver")
                    .and_then(|t| t.attr("type"))
                    .unwrap_or("raw")
                    .to_string(),
                ..Default::default()
            });
        }
        for i in devices.children_named("interface") {
            if i.attr("type") == Some("network") {
                if let Some(n) = i.child("source").and_then(|s| s.attr("network")) {
                    if !networks.iter().any(|x| x == n) {
                        networks.push(n.to_string());
                    }
                }
            }
        }
    }
    let cpu = doc
        .root
        .child("cpu")
        .filter(|c| c.child("model").is_some() || c.attr("mode") == Some("host-model"))
        .map(|c| Document::new(c.clone()).to_xml());
    (disks, networks, cpu)
}

/// Each disk's destination pool: the one whose directory is the disk's (same path
/// there), unless the person chose one (`chosen`: the disk's path here → pool name).
pub fn place_disks(disks: &mut [DiskMove], dest: &DestFacts, chosen: &[(String, String)]) {
    for d in disks.iter_mut() {
        let pool = chosen
            .iter()
            .find(|(source, _)| *source == d.source)
            .and_then(|(_, p)| dest.pools.iter().find(|x| &x.name == p))
            .or_else(|| {
                dest.pools
                    .iter()
                    .find(|p| p.path.trim_end_matches('/') == parent_dir(&d.source))
            });
        d.dest_pool = pool.map(|p| p.name.clone());
        d.dest_path = pool
            .map(|p| format!("{}/{}", p.path.trim_end_matches('/'), file_name(&d.source)))
            .unwrap_or_default();
    }
}

/// Why the guest cannot move to `dest` as planned, each reason on its own; empty
/// when it can. `copy`: its disks are copied; `network_map`: guest network →
/// destination network.
pub fn problems(
    guest: &GuestFacts,
    dest: &DestFacts,
    copy: bool,
    network_map: &[(String, String)],
) -> Vec<String> {
    let mut out = Vec::new();
    let host = &dest.hostname;
    if let Some((_, uuid)) = dest.domains.iter().find(|(n, _)| *n == guest.name) {
        if *uuid != guest.uuid {
            out.push(gettext_f(
                "{host} has another machine named {name}",
                &[("host", host), ("name", &guest.name)],
            ));
        }
    }
    for n in &guest.networks {
        let mapped = network_map
            .iter()
            .find(|(from, _)| from == n)
            .map_or(n.as_str(), |(_, to)| to.as_str());
        if !dest.networks.iter().any(|x| x == mapped) {
            out.push(gettext_f(
                "{host} has no running network {network}: choose one of its networks for it",
                &[("host", host), ("network", mapped)],
            ));
        }
    }
    if copy {
        for d in &guest.disks {
            if d.dest_pool.is_none() {
                out.push(gettext_f(
                    "{host} has no storage pool for {path}: choose a pool for disk {disk}",
                    &[("host", host), ("path", &d.source), ("disk", &d.target)],
                ));
            } else if d.capacity == 0 {
                out.push(gettext_f(
                    "The size of {path} is not known (it is in no storage pool here)",
                    &[("path", &d.source)],
                ));
            }
        }
        for p in &dest.pools {
            let need: u64 = guest
                .disks
                .iter()
                .filter(|d| d.dest_pool.as_deref() == Some(&p.name))
                .map(|d| d.capacity)
                .sum();
            if need > p.available && p.available > 0 {
                out.push(gettext_f(
                    "The disks need up to {need} in pool {pool} of {host}, which has {free} free",
                    &[
                        ("need", &format_bytes(need)),
                        ("pool", &p.name),
                        ("host", host),
                        ("free", &format_bytes(p.available)),
                    ],
                ));
            }
        }
    }
    if guest.running && dest.free_memory > 0 && guest.memory_bytes > dest.free_memory {
        out.push(gettext_f(
            "{host} has {free} of free memory; the machine uses {memory}",
            &[
                ("host", host),
                ("free", &format_bytes(dest.free_memory)),
                ("memory", &format_bytes(guest.memory_bytes)),
            ],
        ));
    }
    if let Some(why) = &dest.cpu_incompatible {
        out.push(gettext_f(
            "{host} cannot give the machine its CPU: {reason}",
            &[("host", host), ("reason", why)],
        ));
    }
    out
}

/// The guest's XML for the destination: its disks at their new paths, its cards on
/// the mapped networks.
pub fn dest_xml(xml: &str, disks: &[DiskMove], network_map: &[(String, String)]) -> String {
    let Ok(mut doc) = Document::parse(xml) else {
        return xml.to_string();
    };
    if let Some(devices) = doc.root.child_mut("devices") {
        for d in devices.elements_mut() {
            if d.local_name() == "disk" {
                if let Some(src) = d.child_mut("source") {
                    let moved = src.attr("file").and_then(|f| {
                        disks
                            .iter()
                            .find(|m| m.source == f && !m.dest_path.is_empty())
                    });
                    if let Some(m) = moved {
                        src.set_attr("file", &m.dest_path);
                    }
                }
            } else if d.local_name() == "interface" && d.attr("type") == Some("network") {
                if let Some(src) = d.child_mut("source") {
                    let to = src.attr("network").and_then(|n| {
                        network_map
                            .iter()
                            .find(|(from, _)| from == n)
                            .map(|(_, t)| t.clone())
                    });
                    if let Some(t) = to {
                        src.set_attr("network", &t);
                    }
                }
            }
        }
    }
    doc.to_xml()
}

/// The guest as the source sees it.
pub fn guest_facts(w: &mut Worker, uuid: &str) -> Result<GuestFacts> {
    let d = w.domain(uuid)?;
    let running = d.is_active()?;
    let flags = if running {
        sys::VIR_DOMAIN_XML_MIGRATABLE
    } else {
        sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_MIGRATABLE
    };
    let xml = d.xml_desc(flags)?;
    let (mut disks, networks, cpu_xml) = read_guest(&xml);
    let conn = w.conn()?;
    for disk in &mut disks {
        if let Ok(v) = conn.lookup_storage_vol_by_path(&disk.source) {
            disk.capacity = v.info().map(|i| i.capacity).unwrap_or(0);
        }
    }
    Ok(GuestFacts {
        name: d.name()?,
        uuid: uuid.to_string(),
        running,
        memory_bytes: d.info().map(|i| i.memory * 1024).unwrap_or(0),
        xml,
        disks,
        networks,
        cpu_xml,
    })
}

/// Why `conn`'s hypervisor cannot run `cpu_xml`, or None (compatible, or unknown).
fn cpu_verdict(conn: &Connect, cpu_xml: &str) -> Option<String> {
    let xml = std::ffi::CString::new(cpu_xml).ok()?;
    // SAFETY: the connection is open; the strings live across the call.
    let r = unsafe {
        sys::virConnectCompareHypervisorCPU(
            conn.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            xml.as_ptr(),
            0,
        )
    };
    match r {
        sys::VIR_CPU_COMPARE_INCOMPATIBLE => Some(
            virt::error::Error::last_error()
                .message()
                .to_string()
                .trim()
                .to_string(),
        )
        .filter(|m| !m.is_empty())
        .or_else(|| Some(crate::i18n::gettext("its CPU model is not compatible"))),
        _ => None,
    }
}

/// What the destination has, read on its worker (`cpu_xml`: the guest's CPU).
pub fn dest_facts(w: &mut Worker, cpu_xml: Option<&str>) -> Result<DestFacts> {
    let conn = w.conn()?;
    let mut domains = Vec::new();
    for d in conn.list_all_domains(0)? {
        if let (Ok(n), Ok(u)) = (d.name(), d.uuid_string()) {
            domains.push((n, u));
        }
    }
    let mut networks = Vec::new();
    for n in conn.list_all_networks(sys::VIR_CONNECT_LIST_NETWORKS_ACTIVE)? {
        if let Ok(name) = n.name() {
            networks.push(name);
        }
    }
    let pools = list_pools(conn)?
        .into_iter()
        .filter(|p| p.active)
        .map(|p| DestPool {
            name: p.name,
            kind: p.kind,
            path: p.path,
            available: p.available,
        })
        .collect();
    Ok(DestFacts {
        hostname: conn.hostname().unwrap_or_default(),
        domains,
        networks,
        pools,
        free_memory: conn.free_memory().unwrap_or(0),
        cpu_incompatible: cpu_xml.and_then(|c| cpu_verdict(conn, c)),
    })
}

impl Connection {
    /// See [`guest_facts`].
    pub async fn guest_facts(&self, uuid: String) -> Result<GuestFacts> {
        self.call(move |w| guest_facts(w, &uuid)).await
    }

    /// See [`dest_facts`].
    pub async fn dest_facts(&self, cpu_xml: Option<String>) -> Result<DestFacts> {
        self.call(move |w| dest_facts(w, cpu_xml.as_deref())).await
    }
}
