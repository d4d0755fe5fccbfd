//! The guests' network cards, read from their domain XML, and which guests are on
//! which network.

use std::collections::{HashMap, HashSet};

use virt::connect::Connect;

use super::info::*;
use crate::backend::xml::{Document, XmlError};
use crate::backend::Result;

/// One NIC of a guest, from its domain XML.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GuestNic {
    /// `<interface type>`: network, bridge, direct, user…
    pub kind: String,
    /// `<source network>`.
    pub network: Option<String>,
    /// `<source bridge>` (also set for running guests on a network).
    pub bridge: Option<String>,
    /// `<source dev>` (direct/macvtap).
    pub dev: Option<String>,
    pub mac: String,
    /// `<target dev>`: the tap or macvtap device of a running guest.
    pub target: Option<String>,
    pub model: Option<String>,
    /// An address, from the network's leases.
    pub ip: Option<String>,
}

/// A guest and its NICs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GuestNics {
    pub uuid: String,
    pub name: String,
    pub active: bool,
    pub nics: Vec<GuestNic>,
}

/// The `<interface>`s of a domain's XML.
pub fn parse_guest_nics(xml: &str) -> std::result::Result<Vec<GuestNic>, XmlError> {
    let doc = Document::parse(xml)?;
    let Some(devices) = doc.root.child("devices") else {
        return Ok(Vec::new());
    };
    Ok(devices
        .children_named("interface")
        .map(|i| {
            let src = i.child("source");
            let a = |n: &str| src.and_then(|s| s.attr(n)).map(str::to_string);
            GuestNic {
                kind: i.attr("type").unwrap_or_default().to_string(),
                network: a("network"),
                bridge: a("bridge"),
                dev: a("dev"),
                mac: i
                    .child("mac")
                    .and_then(|m| m.attr("address"))
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                target: i
                    .child("target")
                    .and_then(|t| t.attr("dev"))
                    .map(str::to_string),
                model: i
                    .child("model")
                    .and_then(|t| t.attr("type"))
                    .map(str::to_string),
                ip: None,
            }
        })
        .collect())
}

/// Every domain with its NICs (live XML for running ones), kept between reads.
///
/// Reading them means one XML per domain: a thousand round trips on a remote
/// connection, for each reload of the network list. The worker drops a domain's entry
/// on any event about it (started, stopped, defined, device added or removed), so only
/// domains that changed are read again; without events every read is a fresh one.
#[derive(Debug, Default)]
pub struct NicCache {
    by_uuid: HashMap<String, GuestNics>,
    /// Domain XMLs read so far, for tests and debugging.
    reads: u64,
}

impl NicCache {
    /// Forget one domain, so the next read fetches its XML again.
    pub fn forget(&mut self, uuid: &str) {
        self.by_uuid.remove(uuid);
    }

    pub fn clear(&mut self) {
        self.by_uuid.clear();
    }

    pub fn xml_reads(&self) -> u64 {
        self.reads
    }

    /// Every domain with its NICs: one list call, and an XML for each domain not kept.
    pub fn read(&mut self, conn: &Connect) -> Result<Vec<GuestNics>> {
        let domains = conn.list_all_domains(0)?;
        let mut out = Vec::with_capacity(domains.len());
        for d in domains {
            let Ok(uuid) = d.uuid_string() else { continue };
            if let Some(g) = self.by_uuid.get(&uuid) {
                out.push(g.clone());
                continue;
            }
            let Ok(xml) = d.xml_desc(0) else { continue };
            self.reads += 1;
            let g = GuestNics {
                uuid: uuid.clone(),
                name: d.name().unwrap_or_default(),
                active: d.is_active().unwrap_or(false),
                nics: parse_guest_nics(&xml).unwrap_or_default(),
            };
            self.by_uuid.insert(uuid, g.clone());
            out.push(g);
        }
        // Domains gone since the last read.
        let listed: HashSet<&str> = out.iter().map(|g| g.uuid.as_str()).collect();
        self.by_uuid.retain(|u, _| listed.contains(u.as_str()));
        Ok(out)
    }
}

/// The guests attached to `info`: on the network by name, or on its bridge.
pub fn guests_of(info: &NetworkInfo, guests: &[GuestNics]) -> Vec<String> {
    let mut names: Vec<String> = guests
        .iter()
        .filter(|g| {
            g.nics.iter().any(|n| {
                (n.kind == "network" && n.network.as_deref() == Some(info.name.as_str()))
                    || (n.kind == "bridge"
                        && info.bridge.is_some()
                        && n.bridge == info.bridge
                        && info.mode == NetworkMode::Bridge)
            })
        })
        .map(|g| g.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}
