//! What cloning a machine will do, before it is done: the new name, and per disk
//! whether it is copied, shared or made anew and empty — with the defaults a person
//! would choose (read-only, shareable and install media shared; writable disks in a
//! pool copied) — and the new machine's XML: new UUID, new MAC addresses, graphics
//! ports chosen anew.

use crate::backend::xml::{Document, Element};
use crate::i18n::{gettext, gettext_f};

/// What becomes of one disk in the clone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskAction {
    /// A new volume with the same contents, in the same pool.
    Copy,
    /// The clone uses the same file (read-only media, shareable disks).
    Share,
    /// A new volume of the same size and format, empty.
    Empty,
}

/// One disk of the machine and what the clone does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskPlan {
    /// `vda`, `sdb`…
    pub target: String,
    pub device: String,
    /// The source path (file or device).
    pub path: String,
    /// The pool and volume of the source, when it is a pool's volume.
    pub pool: Option<(String, String)>,
    pub format: String,
    pub capacity: u64,
    pub allocation: u64,
    pub action: DiskAction,
    /// The volume name of a copied or empty disk.
    pub new_volume: String,
    /// Why `Copy` and `Empty` are not offered (not in a pool), else empty.
    pub fixed_reason: String,
}

impl DiskPlan {
    pub fn can_copy(&self) -> bool {
        self.pool.is_some()
    }
}

/// `name-clone`, `name-clone-1`…: a name no domain has.
pub fn suggest_name(name: &str, taken: &[String]) -> String {
    let base = format!("{name}-clone");
    let mut candidate = base.clone();
    let mut i = 1;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{i}");
        i += 1;
    }
    candidate
}

/// The volume name of the clone's disk: the new machine's name, with the target when
/// it has more than one disk, and the source's extension.
pub fn new_volume_name(new_name: &str, target: &str, source_volume: &str, several: bool) -> String {
    let ext = source_volume
        .rsplit_once('.')
        .map(|(_, e)| format!(".{e}"))
        .filter(|e| e.len() <= 6)
        .unwrap_or_default();
    if several {
        format!("{new_name}-{target}{ext}")
    } else {
        format!("{new_name}{ext}")
    }
}

/// Why the new name cannot be used, if it cannot.
pub fn check_clone_name(name: &str, taken: &[String]) -> Option<String> {
    let n = name.trim();
    if n.is_empty() {
        return Some(gettext("The clone needs a name"));
    }
    if n.contains('/') {
        return Some(gettext("A name cannot contain “/”"));
    }
    if taken.iter().any(|t| t == n) {
        return Some(gettext_f(
            "A virtual machine named “{name}” exists already",
            &[("name", n)],
        ));
    }
    None
}

/// The disks of a domain's (inactive) XML with the default action for each. `lookup`
/// tells, for a path, its (pool, volume, format, capacity, allocation) when it is a
/// volume of a pool.
pub fn plan_disks(
    xml: &str,
    new_name: &str,
    lookup: impl Fn(&str) -> Option<(String, String, String, u64, u64)>,
) -> Vec<DiskPlan> {
    let Ok(doc) = Document::parse(xml) else {
        return Vec::new();
    };
    let Some(devices) = doc.root.child("devices") else {
        return Vec::new();
    };
    let disks: Vec<&Element> = devices
        .children_named("disk")
        .filter(|d| {
            d.child("source")
                .is_some_and(|s| s.attr("file").or(s.attr("dev")).is_some())
        })
        .collect();
    // Copied disks are named after the target when there is more than one.
    let writable = disks
        .iter()
        .filter(|d| {
            d.attr("device").unwrap_or("disk") == "disk"
                && d.child("readonly").is_none()
                && d.child("shareable").is_none()
                && d.child("source")
                    .and_then(|s| s.attr("file").or(s.attr("dev")))
                    .is_some_and(|p| lookup(p).is_some())
        })
        .count();
    let mut out = Vec::new();
    for d in disks {
        let src = d.child("source").expect("filtered");
        let path = src
            .attr("file")
            .or_else(|| src.attr("dev"))
            .unwrap_or_default()
            .to_string();
        let device = d.attr("device").unwrap_or("disk").to_string();
        let target = d
            .child("target")
            .and_then(|t| t.attr("dev"))
            .unwrap_or_default()
            .to_string();
        let found = lookup(&path);
        let shared_kind =
            device != "disk" || d.child("readonly").is_some() || d.child("shareable").is_some();
        let (pool, format, capacity, allocation) = match &found {
            Some((p, v, f, c, a)) => (Some((p.clone(), v.clone())), f.clone(), *c, *a),
            None => (None, String::new(), 0, 0),
        };
        let action = if shared_kind || pool.is_none() {
            DiskAction::Share
        } else {
            DiskAction::Copy
        };
        let fixed_reason = if pool.is_none() {
            gettext("in no storage pool: shared")
        } else {
            String::new()
        };
        let new_volume = pool
            .as_ref()
            .map(|(_, v)| new_volume_name(new_name, &target, v, writable > 1))
            .unwrap_or_default();
        out.push(DiskPlan {
            target,
            device,
            path,
            pool,
            format,
            capacity,
            allocation,
            action,
            new_volume,
            fixed_reason,
        });
    }
    out
}

/// The clone's XML from the original's inactive XML: its name, no UUID (libvirt makes
/// one), no MAC addresses (libvirt makes new ones), graphics on ports chosen at start,
/// each disk's source as planned (`new_paths` by target), and `nvram` when given.
pub fn clone_xml(
    xml: &str,
    new_name: &str,
    new_paths: &[(String, String)],
    nvram: Option<&str>,
) -> Result<String, String> {
    let mut doc = Document::parse(xml).map_err(|e| e.0)?;
    let root = &mut doc.root;
    root.ensure_child("name").set_text(new_name);
    root.remove_children(|e| e.local_name() == "uuid");
    if let Some(os) = root.child_mut("os") {
        match nvram {
            Some(path) => {
                if let Some(n) = os.child_mut("nvram") {
                    n.set_text(path);
                }
            }
            // No copy of the variables: libvirt makes fresh ones from the template.
            None => {
                os.remove_children(|e| e.local_name() == "nvram");
            }
        }
    }
    if let Some(devices) = root.child_mut("devices") {
        for dev in devices.elements_mut() {
            match dev.local_name() {
                "interface" => {
                    dev.remove_children(|e| e.local_name() == "mac");
                    // A name the original's tap device has must not be reused.
                    dev.remove_children(|e| e.local_name() == "target");
                }
                "graphics" if dev.attr("port").is_some() || dev.attr("autoport").is_some() => {
                    dev.remove_attr("port");
                    dev.remove_attr("tlsPort");
                    dev.remove_attr("websocket");
                    dev.set_attr("autoport", "yes");
                }
                "disk" => {
                    let target = dev
                        .child("target")
                        .and_then(|t| t.attr("dev"))
                        .unwrap_or_default()
                        .to_string();
                    if let Some((_, p)) = new_paths.iter().find(|(t, _)| *t == target) {
                        if let Some(src) = dev.child_mut("source") {
                            src.remove_attr("dev");
                            src.set_attr("file", p);
                        }
                        dev.set_attr("type", "file");
                    }
                }
                _ => {}
            }
        }
    }
    Ok(doc.to_xml())
}
