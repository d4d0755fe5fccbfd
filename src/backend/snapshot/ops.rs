//! The quick snapshot calls, on the connection's worker: the list, the machine's
//! facts and the Take offer, a cheap fingerprint to notice snapshots made outside
//! Hangar, edits of name and description (libvirt's redefine), and the XML for
//! Compare. The long calls (take, revert, delete) are in `job`.

use virt::domain::Domain;
use virt::sys;

use super::info::{parse_snapshot_xml, snapshot_domain_xml, SnapshotInfo};
use super::plan::{
    blocked_reason, check_name, machine_facts, rename_refusal, suggest_name, MachineFacts,
};
use crate::backend::conn::worker::{raw_state, Connection, Worker};
use crate::backend::xml::{Document, Element};
use crate::backend::{Error, Result};

/// A domain's snapshots with what decides which verbs apply to them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SnapshotList {
    pub items: Vec<SnapshotInfo>,
    pub facts: MachineFacts,
    /// [`fingerprint`] of this list, to tell later whether it changed.
    pub fingerprint: String,
}

impl SnapshotList {
    pub fn current(&self) -> Option<&SnapshotInfo> {
        self.items.iter().find(|s| s.current)
    }

    /// The newest snapshot (by creation time).
    pub fn newest(&self) -> Option<&SnapshotInfo> {
        self.items.iter().max_by_key(|s| s.created)
    }

    pub fn names(&self) -> Vec<String> {
        self.items.iter().map(|s| s.name.clone()).collect()
    }
}

/// What the Take Snapshot dialog starts from.
#[derive(Debug, Clone, PartialEq)]
pub struct TakeOffer {
    pub suggested_name: String,
    pub taken: Vec<String>,
    pub facts: MachineFacts,
    /// Why no snapshot can be taken, if so.
    pub blocked: Option<String>,
}

/// The facts of a domain as it is now.
pub fn facts_of(conn: &virt::connect::Connect, d: &Domain) -> Result<MachineFacts> {
    let (state, _) = raw_state(d)?;
    let running = state == sys::VIR_DOMAIN_RUNNING as i32;
    let paused = state == sys::VIR_DOMAIN_PAUSED as i32;
    let xml = d.xml_desc(0)?;
    let version = conn.lib_version().unwrap_or(0);
    machine_facts(&xml, running, paused, version)
}

fn current_name(d: &Domain) -> Option<String> {
    d.current_snapshot(0).ok().and_then(|s| s.name().ok())
}

/// Names and the current one, in one string: it changes when a snapshot is made,
/// deleted or reverted to (two calls, however many snapshots).
pub fn fingerprint_of(d: &Domain) -> Result<String> {
    let mut names: Vec<String> = d
        .list_all_snapshots(0)?
        .iter()
        .filter_map(|s| s.name().ok())
        .collect();
    names.sort();
    Ok(format!(
        "{}\n{}",
        current_name(d).unwrap_or_default(),
        names.join("\n")
    ))
}

/// Every snapshot of the domain, parsed.
pub fn list_of(conn: &virt::connect::Connect, d: &Domain) -> Result<SnapshotList> {
    let current = current_name(d);
    let snaps = d.list_all_snapshots(0)?;
    let mut items = Vec::with_capacity(snaps.len());
    for s in &snaps {
        let xml = match s.xml_desc(0) {
            Ok(x) => x,
            // Deleted between the listing and now.
            Err(_) => continue,
        };
        let mut info = parse_snapshot_xml(&xml)?;
        info.current = current.as_deref() == Some(info.name.as_str());
        items.push(info);
    }
    let mut names: Vec<String> = items.iter().map(|s| s.name.clone()).collect();
    names.sort();
    Ok(SnapshotList {
        items,
        facts: facts_of(conn, d)?,
        fingerprint: format!("{}\n{}", current.unwrap_or_default(), names.join("\n")),
    })
}

/// Change a snapshot's description and (where libvirt can) its name, by redefining
/// its metadata; children follow a renamed parent.
pub fn edit(
    w: &mut Worker,
    uuid: &str,
    name: &str,
    new_name: &str,
    description: &str,
) -> Result<()> {
    let d = w.domain(uuid)?;
    let snap = Domain::lookup_snapshot_by_name(&d, name, 0)?;
    let xml = snap.xml_desc(sys::VIR_DOMAIN_SNAPSHOT_XML_SECURE)?;
    let info = parse_snapshot_xml(&xml)?;
    let is_current = snap.is_current(0).unwrap_or(false);
    let new_name = new_name.trim();
    let renaming = new_name != name;
    let driver = Document::parse(&d.xml_desc(0)?)
        .ok()
        .and_then(|doc| doc.root.attr("type").map(str::to_string))
        .unwrap_or_default();
    if renaming {
        if let Some(why) = rename_refusal(&info, &driver) {
            return Err(Error::InvalidInput(why));
        }
        let taken: Vec<String> = d
            .list_all_snapshots(0)?
            .iter()
            .filter_map(|s| s.name().ok())
            .collect();
        if let Some(why) = check_name(new_name, &taken) {
            return Err(Error::InvalidInput(why));
        }
    }
    let mut doc = Document::parse(&xml).map_err(|e| Error::InvalidInput(e.to_string()))?;
    let root = &mut doc.root;
    root.remove_children(|e| e.local_name() == "description");
    if !description.is_empty() {
        root.insert_child_before(Element::new("description").with_text(description), "state");
    }
    if renaming {
        root.ensure_child("name").set_text(new_name);
    }
    let mut flags = sys::VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE;
    if is_current {
        flags |= sys::VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT;
    }
    d.create_snapshot_xml(&doc.to_xml(), flags)?;
    if renaming {
        for child in snap.list_all_children(0)? {
            let cx = child.xml_desc(sys::VIR_DOMAIN_SNAPSHOT_XML_SECURE)?;
            let mut cd = Document::parse(&cx).map_err(|e| Error::InvalidInput(e.to_string()))?;
            if let Some(p) = cd.root.child_mut("parent") {
                p.ensure_child("name").set_text(new_name);
            }
            let mut cflags = sys::VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE;
            if child.is_current(0).unwrap_or(false) {
                cflags |= sys::VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT;
            }
            d.create_snapshot_xml(&cd.to_xml(), cflags)?;
        }
        // The old name's metadata goes; what it points at stays for the new name.
        // The test driver keeps only metadata and knows no METADATA_ONLY flag.
        snap.delete(if driver == "test" {
            0
        } else {
            sys::VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY
        })?;
        if is_current {
            // Deleting the old metadata may have cleared "current": set it again.
            let again = Domain::lookup_snapshot_by_name(&d, new_name, 0)?;
            let x = again.xml_desc(sys::VIR_DOMAIN_SNAPSHOT_XML_SECURE)?;
            d.create_snapshot_xml(
                &x,
                sys::VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE | sys::VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT,
            )?;
        }
        super::thumbs::rename(uuid, name, new_name);
    }
    Ok(())
}

impl Connection {
    /// The domain's snapshots.
    pub async fn snapshots(&self, uuid: String) -> Result<SnapshotList> {
        self.call(move |w| {
            let d = w.domain(&uuid)?;
            let list = list_of(w.conn()?, &d)?;
            super::thumbs::prune(&uuid, &list.names());
            Ok(list)
        })
        .await
    }

    /// [`fingerprint_of`] the domain's snapshots (polled while they are on screen).
    pub async fn snapshot_fingerprint(&self, uuid: String) -> Result<String> {
        self.call(move |w| fingerprint_of(&w.domain(&uuid)?)).await
    }

    /// The Take Snapshot dialog's starting point; `now` names the suggestion.
    pub async fn snapshot_offer(&self, uuid: String, now: String) -> Result<TakeOffer> {
        self.call(move |w| {
            let d = w.domain(&uuid)?;
            let facts = facts_of(w.conn()?, &d)?;
            let taken: Vec<String> = d
                .list_all_snapshots(0)?
                .iter()
                .filter_map(|s| s.name().ok())
                .collect();
            Ok(TakeOffer {
                suggested_name: suggest_name(&now, &taken),
                blocked: blocked_reason(&facts),
                taken,
                facts,
            })
        })
        .await
    }

    pub async fn edit_snapshot(
        &self,
        uuid: String,
        name: String,
        new_name: String,
        description: String,
    ) -> Result<()> {
        self.call(move |w| edit(w, &uuid, &name, &new_name, &description))
            .await
    }

    /// The machine's configuration kept in snapshot `name` (`None`: as it is now,
    /// its persistent definition).
    pub async fn snapshot_config(&self, uuid: String, name: Option<String>) -> Result<String> {
        self.call(move |w| {
            let d = w.domain(&uuid)?;
            match name {
                Some(n) => {
                    let s = Domain::lookup_snapshot_by_name(&d, &n, 0)?;
                    snapshot_domain_xml(&s.xml_desc(0)?)
                }
                None => Ok(d.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)?),
            }
        })
        .await
    }
}
