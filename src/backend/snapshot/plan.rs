//! What a snapshot of a machine can be, decided before anything is attempted: the
//! kind that works for it (and why), the names a person may type, the XML Hangar
//! sends, and which later verbs (revert, rename) libvirt can do for a kind.

use crate::backend::xml::{Document, Element};
use crate::backend::{Error, Result};
use crate::i18n::{gettext, gettext_f};

use super::info::{SnapshotInfo, SnapshotKind};

/// libvirt reverts external snapshots from this version on (9.9.0).
pub const EXTERNAL_REVERT_SINCE: u32 = 9_009_000;

/// One disk of the machine, as far as snapshots care.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiskFacts {
    /// `vda`, `sdb`…
    pub target: String,
    /// `disk`, `cdrom`, `floppy`, `lun`.
    pub device: String,
    /// `file`, `block`, `network`, `volume`.
    pub source_type: String,
    /// The image format (`qcow2`, `raw`…), empty when not said.
    pub format: String,
    pub source: String,
    pub readonly: bool,
    pub shareable: bool,
}

impl DiskFacts {
    /// Read-only media and empty drives are left out of a snapshot.
    pub fn skipped(&self) -> bool {
        self.readonly
            || matches!(self.device.as_str(), "cdrom" | "floppy")
            || self.source.is_empty()
    }
}

/// What Hangar needs to know of a machine to choose a snapshot's kind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MachineFacts {
    /// The domain type (`kvm`, `qemu`, `test`…).
    pub driver: String,
    pub running: bool,
    pub paused: bool,
    /// UEFI in pflash (`<loader type='pflash'>` or `<os firmware='efi'>`).
    pub uefi: bool,
    /// A QEMU guest agent channel is configured.
    pub agent: bool,
    pub disks: Vec<DiskFacts>,
    /// The hypervisor's libvirt version (`major * 1_000_000 + minor * 1000 + micro`).
    pub libvirt_version: u32,
}

impl MachineFacts {
    pub fn active(&self) -> bool {
        self.running || self.paused
    }

    /// The test driver keeps snapshots as metadata only: every kind works there.
    fn metadata_only(&self) -> bool {
        self.driver == "test"
    }

    pub fn snapshotted_disks(&self) -> impl Iterator<Item = &DiskFacts> {
        self.disks.iter().filter(|d| !d.skipped())
    }
}

fn text_attr(e: Option<&Element>, key: &str) -> String {
    e.and_then(|e| e.attr(key)).unwrap_or_default().to_string()
}

/// The facts of a domain's XML (the live one for a running machine).
pub fn machine_facts(xml: &str, running: bool, paused: bool, version: u32) -> Result<MachineFacts> {
    let doc = Document::parse(xml).map_err(|e| Error::InvalidInput(e.to_string()))?;
    let root = &doc.root;
    let os = root.child("os");
    let uefi = os.is_some_and(|o| {
        o.attr("firmware") == Some("efi")
            || o.child("loader").and_then(|l| l.attr("type")) == Some("pflash")
    });
    let mut disks = Vec::new();
    let mut agent = false;
    if let Some(devices) = root.child("devices") {
        for d in devices.children_named("disk") {
            let source = d.child("source");
            let src = ["file", "dev", "name", "volume"]
                .iter()
                .find_map(|k| source.and_then(|s| s.attr(k)))
                .unwrap_or_default()
                .to_string();
            disks.push(DiskFacts {
                target: text_attr(d.child("target"), "dev"),
                device: d.attr("device").unwrap_or("disk").to_string(),
                source_type: d.attr("type").unwrap_or("file").to_string(),
                format: text_attr(d.child("driver"), "type"),
                source: src,
                readonly: d.child("readonly").is_some(),
                shareable: d.child("shareable").is_some(),
            });
        }
        agent = devices.children_named("channel").any(|c| {
            c.child("target").and_then(|t| t.attr("name")) == Some("org.qemu.guest_agent.0")
        });
    }
    Ok(MachineFacts {
        driver: root.attr("type").unwrap_or_default().to_string(),
        running,
        paused,
        uefi,
        agent,
        disks,
        libvirt_version: version,
    })
}

/// `9.0.0` from libvirt's number.
pub fn version_text(v: u32) -> String {
    format!("{}.{}.{}", v / 1_000_000, (v / 1000) % 1000, v % 1000)
}

/// Why no snapshot of this machine can be taken at all, if so: a disk libvirt cannot
/// snapshot (shared between machines, or on the network).
pub fn blocked_reason(f: &MachineFacts) -> Option<String> {
    if f.metadata_only() {
        return None;
    }
    for d in f.snapshotted_disks() {
        if d.shareable {
            return Some(gettext_f(
                "Disk {disk} is shared with other machines: a snapshot of it would change what they see. Make it unshared, or remove it, to take snapshots.",
                &[("disk", &d.target)],
            ));
        }
        if d.source_type == "network" {
            return Some(gettext_f(
                "Disk {disk} is on the network ({source}): libvirt cannot snapshot it here. Snapshots need disk images in files or pools.",
                &[("disk", &d.target), ("source", &d.source)],
            ));
        }
    }
    if f.snapshotted_disks().next().is_none() && !f.active() {
        return Some(gettext(
            "This machine has no disk to snapshot and is shut off: there is nothing to keep.",
        ));
    }
    None
}

/// The kind Hangar takes for this machine, and why, in a sentence for the person.
/// `memory`: keep the memory of a running machine; `disk_only`: asked for.
pub fn choose_kind(f: &MachineFacts, memory: bool, disk_only: bool) -> (SnapshotKind, String) {
    if disk_only {
        return (
            SnapshotKind::DiskOnly,
            gettext("Disks only, as asked: new overlay files take the writes from now on; the memory is not kept."),
        );
    }
    if !f.metadata_only() {
        if let Some(d) = f
            .snapshotted_disks()
            .find(|d| d.format != "qcow2" || d.source_type == "block")
        {
            let format = if d.format.is_empty() {
                "raw"
            } else {
                &d.format
            };
            return (
                SnapshotKind::External,
                gettext_f(
                    "External: disk {disk} is {format}, and only qcow2 images can hold a snapshot inside them.",
                    &[("disk", &d.target), ("format", format)],
                ),
            );
        }
        if f.active() && f.uefi {
            return (
                SnapshotKind::External,
                gettext("External: libvirt refuses internal snapshots of a running machine with UEFI firmware (its variables live in pflash). Shut it down to take an internal one."),
            );
        }
    }
    if f.active() && !memory {
        return (
            SnapshotKind::DiskOnly,
            gettext("Disks only: without its memory, a running machine's snapshot is an external one of its disks."),
        );
    }
    (
        SnapshotKind::Internal,
        gettext("Internal: kept inside the qcow2 images, and it can be reverted on every libvirt version."),
    )
}

/// Why libvirt cannot revert to a snapshot of this kind, if so.
pub fn revert_refusal(kind: SnapshotKind, version: u32, driver: &str) -> Option<String> {
    if kind == SnapshotKind::Internal || driver == "test" || version >= EXTERNAL_REVERT_SINCE {
        return None;
    }
    Some(gettext_f(
        "libvirt {version} cannot revert external snapshots (it can from 9.9 on). For a snapshot you can go back to here, shut the machine down and take an internal one, or update libvirt.",
        &[("version", &version_text(version))],
    ))
}

/// Why this snapshot cannot be renamed, if so: an internal one is kept inside the
/// disk images under its name, which libvirt cannot change.
pub fn rename_refusal(s: &SnapshotInfo, driver: &str) -> Option<String> {
    if s.kind != SnapshotKind::Internal || driver == "test" {
        return None;
    }
    Some(gettext(
        "An internal snapshot is kept inside the disk images under its name, which libvirt cannot change. Its description can be edited.",
    ))
}

/// What is wrong with a name typed for a snapshot, if anything.
pub fn check_name(name: &str, taken: &[String]) -> Option<String> {
    let t = name.trim();
    if t.is_empty() {
        return Some(gettext("Enter a name."));
    }
    if t.contains('/') {
        return Some(gettext(
            "A snapshot's name cannot contain “/”: libvirt names files after it.",
        ));
    }
    if t.chars().any(char::is_control) {
        return Some(gettext(
            "A snapshot's name cannot contain line breaks or control characters.",
        ));
    }
    if t.starts_with('.') {
        return Some(gettext("A snapshot's name cannot begin with “.”."));
    }
    if t.len() > 200 {
        return Some(gettext("This name is too long."));
    }
    if taken.iter().any(|n| n == t) {
        return Some(gettext_f(
            "A snapshot named “{name}” exists already.",
            &[("name", t)],
        ));
    }
    None
}

/// A name free among `taken`, from the date and time (`2026-12-04 07:17:12`).
pub fn suggest_name(now_text: &str, taken: &[String]) -> String {
    let base = now_text.trim().to_string();
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base} ({i})"))
        .find(|n| !taken.contains(n))
        .unwrap_or(base)
}

/// What a person asked for in the Take Snapshot dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakeSpec {
    pub name: String,
    pub description: String,
    /// Keep the memory of a running machine.
    pub memory: bool,
    pub disk_only: bool,
    /// Freeze the guest's file systems through its agent first.
    pub quiesce: bool,
}

/// The `<domainsnapshot>` and the flags for `virDomainSnapshotCreateXML`.
/// `memory_dir`: where an external memory file goes (beside the first disk).
pub fn snapshot_request(
    f: &MachineFacts,
    spec: &TakeSpec,
    domain_name: &str,
) -> (String, SnapshotKind, u32) {
    use virt::sys;
    let (kind, _) = choose_kind(f, spec.memory, spec.disk_only);
    let mut root =
        Element::new("domainsnapshot").with_child(Element::new("name").with_text(spec.name.trim()));
    if !spec.description.is_empty() {
        root.append_child(Element::new("description").with_text(&spec.description));
    }
    let mut flags = 0u32;
    match kind {
        SnapshotKind::Internal => {}
        SnapshotKind::External | SnapshotKind::DiskOnly => {
            let with_memory = kind == SnapshotKind::External && f.active() && spec.memory;
            if with_memory {
                let dir = f
                    .snapshotted_disks()
                    .find_map(|d| {
                        std::path::Path::new(&d.source)
                            .parent()
                            .map(|p| p.to_path_buf())
                    })
                    .unwrap_or_else(|| std::path::PathBuf::from("/var/lib/libvirt/qemu/snapshot"));
                let file = dir.join(format!("{domain_name}.{}.mem", file_safe(&spec.name)));
                root.append_child(
                    Element::new("memory")
                        .with_attr("snapshot", "external")
                        .with_attr("file", &file.to_string_lossy()),
                );
            } else {
                flags |= sys::VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY;
            }
            let mut disks = Element::new("disks");
            for d in &f.disks {
                let mode = if d.skipped() { "no" } else { "external" };
                disks.append_child(
                    Element::new("disk")
                        .with_attr("name", &d.target)
                        .with_attr("snapshot", mode),
                );
            }
            root.append_child(disks);
        }
    }
    if spec.quiesce
        && f.agent
        && f.running
        && flags & sys::VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY != 0
    {
        flags |= sys::VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE;
    }
    (Document::new(root).to_xml(), kind, flags)
}

/// A snapshot name as a piece of a file name.
pub fn file_safe(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
