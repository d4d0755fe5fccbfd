//! One snapshot as libvirt describes it (`virDomainSnapshotGetXMLDesc`), the kind it
//! is, and the order a tree shows a domain's snapshots in.

use std::collections::HashMap;

use crate::backend::xml::{Document, Element};
use crate::backend::{Error, Result};
use crate::i18n::gettext;

/// Where a snapshot keeps the disks' (and the memory's) state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SnapshotKind {
    /// Inside the qcow2 images: reverts on every libvirt version.
    Internal,
    /// New overlay files over the disks (and a file for the memory).
    External,
    /// External, disks only: no memory state.
    DiskOnly,
}

impl SnapshotKind {
    pub fn label(self) -> String {
        match self {
            SnapshotKind::Internal => gettext("Internal"),
            SnapshotKind::External => gettext("External"),
            SnapshotKind::DiskOnly => gettext("Disk only"),
        }
    }
}

/// One snapshot of a domain.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotInfo {
    pub name: String,
    pub parent: Option<String>,
    /// Seconds since the epoch.
    pub created: i64,
    /// The guest's state when taken, as libvirt says it (`running`, `paused`,
    /// `shutoff`, `disk-snapshot`…).
    pub state: String,
    pub kind: SnapshotKind,
    pub description: String,
    /// The snapshot the machine runs on from (libvirt's "current").
    pub current: bool,
    /// The memory was saved: reverting brings the guest back running or paused.
    pub has_memory: bool,
}

impl SnapshotInfo {
    /// The guest's state when taken, in words.
    pub fn state_label(&self) -> String {
        match self.state.as_str() {
            "running" => gettext("Running"),
            "paused" => gettext("Paused"),
            "shutoff" => gettext("Shut off"),
            "disk-snapshot" => gettext("Running (disks only)"),
            "crashed" => gettext("Crashed"),
            "pmsuspended" => gettext("Suspended"),
            other => other.to_string(),
        }
    }

    /// The guest was active when it was taken.
    pub fn was_active(&self) -> bool {
        matches!(self.state.as_str(), "running" | "paused" | "disk-snapshot")
    }
}

fn attr_of(e: Option<&Element>, key: &str) -> String {
    e.and_then(|e| e.attr(key)).unwrap_or_default().to_string()
}

/// Parse `<domainsnapshot>` (`current` is not in it: the caller knows).
pub fn parse_snapshot_xml(xml: &str) -> Result<SnapshotInfo> {
    let doc = Document::parse(xml).map_err(|e| Error::InvalidInput(e.to_string()))?;
    let root = &doc.root;
    if root.local_name() != "domainsnapshot" {
        return Err(Error::InvalidInput("not a <domainsnapshot>".into()));
    }
    let text = |name: &str| root.child(name).map(|e| e.text()).unwrap_or_default();
    let state = text("state");
    let memory = attr_of(root.child("memory"), "snapshot");
    let disk_modes: Vec<String> = root
        .child("disks")
        .map(|d| {
            d.children_named("disk")
                .map(|x| x.attr("snapshot").unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    let kind = if state == "disk-snapshot" {
        SnapshotKind::DiskOnly
    } else if memory == "external" || disk_modes.iter().any(|m| m == "external") {
        SnapshotKind::External
    } else {
        SnapshotKind::Internal
    };
    let has_memory = match memory.as_str() {
        "internal" | "external" => true,
        "no" => false,
        // Older XML without <memory>: memory was saved when the guest ran.
        _ => matches!(state.as_str(), "running" | "paused"),
    };
    Ok(SnapshotInfo {
        name: text("name").trim().to_string(),
        parent: root
            .find(&["parent", "name"])
            .map(|e| e.text().trim().to_string())
            .filter(|p| !p.is_empty()),
        created: text("creationTime").trim().parse().unwrap_or(0),
        state: state.trim().to_string(),
        kind,
        description: text("description"),
        current: false,
        has_memory,
    })
}

/// The `<domain>` a snapshot holds (the machine's configuration when it was taken),
/// as text without the snapshot's indentation.
pub fn snapshot_domain_xml(xml: &str) -> Result<String> {
    let doc = Document::parse(xml).map_err(|e| Error::InvalidInput(e.to_string()))?;
    let dom = doc
        .root
        .child("domain")
        .or_else(|| doc.root.find(&["inactiveDomain"]))
        .ok_or_else(|| Error::InvalidInput("the snapshot holds no <domain>".into()))?;
    Ok(dedent(&dom.to_xml()))
}

/// Remove the indentation the lines after the first share (libvirt indents the
/// `<domain>` inside `<domainsnapshot>` by two spaces).
pub fn dedent(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let common = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(l.get(common..).unwrap_or(l.trim_start()));
        } else {
            out.push_str(l);
        }
    }
    out.push('\n');
    out
}

/// The tree's order: each snapshot after its parent, siblings oldest first, with its
/// depth (0 for a root). Snapshots whose parent is missing count as roots.
pub fn tree_order(list: &[SnapshotInfo]) -> Vec<(usize, usize)> {
    let index: HashMap<&str, usize> = list
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let mut children: HashMap<Option<usize>, Vec<usize>> = HashMap::new();
    for (i, s) in list.iter().enumerate() {
        let p = s.parent.as_deref().and_then(|p| index.get(p).copied());
        children.entry(p).or_default().push(i);
    }
    for v in children.values_mut() {
        v.sort_by(|a, b| {
            (list[*a].created, &list[*a].name).cmp(&(list[*b].created, &list[*b].name))
        });
    }
    let mut out = Vec::with_capacity(list.len());
    let mut stack: Vec<(usize, usize)> = children
        .get(&None)
        .map(|r| r.iter().rev().map(|i| (*i, 0)).collect())
        .unwrap_or_default();
    while let Some((i, depth)) = stack.pop() {
        out.push((i, depth));
        if let Some(kids) = children.get(&Some(i)) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    out
}

/// Each snapshot's name with its parent's, as `virsh snapshot-list --tree` draws it
/// (read back from that drawing): `(name, parent)`, in the drawing's order.
pub fn parse_virsh_tree(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    // The names on the path to the current line, by depth.
    let mut path: Vec<String> = Vec::new();
    for line in text.lines() {
        let (depth, name) = match line.find("+- ") {
            Some(pos) => (pos.saturating_sub(2) / 4 + 1, line[pos + 3..].trim()),
            None if !line.starts_with(' ') && !line.trim().is_empty() => (0, line.trim()),
            None => continue,
        };
        path.truncate(depth);
        let parent = if depth > 0 {
            path.last().cloned()
        } else {
            None
        };
        out.push((name.to_string(), parent));
        path.push(name.to_string());
    }
    out
}
