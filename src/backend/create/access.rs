//! Whether QEMU can open a file of this computer, and letting it. On `qemu:///system`
//! it runs as its own user (`libvirt-qemu` on Debian), which cannot go through a
//! private home directory: the file must be readable by that user and every directory
//! above it passable (libvirt relabels the file itself, not the directories). Where
//! the mode bits say no, an ACL entry for QEMU's user may say yes; Hangar can add
//! those entries (`setfacl`), as virt-manager offers to.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::i18n::gettext_f;

/// What stands between QEMU's user and a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// A directory above it that the user cannot pass.
    Dir(PathBuf),
    /// The file, which the user cannot read.
    File(PathBuf),
}

/// The permissions `uid` has on `path` through its ACL: `Some("r-x")` when the ACL
/// names the user (limited by the mask), else None.
fn acl_perms(path: &Path, uid: u32) -> Option<String> {
    let out = Command::new("getfacl")
        .args(["--numeric", "--omit-header", "--absolute-names"])
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut entry = None;
    let mut mask = None;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if let Some(rest) = line.strip_prefix(&format!("user:{uid}:")) {
            entry = Some(rest.to_string());
        } else if let Some(rest) = line.strip_prefix("mask::") {
            mask = Some(rest.to_string());
        }
    }
    let entry = entry?;
    Some(match mask {
        Some(m) => entry
            .chars()
            .zip(m.chars())
            .map(|(e, m)| if m == '-' { '-' } else { e })
            .collect(),
        None => entry,
    })
}

/// The first thing that keeps `uid` (others, when None) from reading `path`.
pub fn blocked(path: &Path, uid: Option<u32>) -> Option<Blocked> {
    let mut dirs: Vec<&Path> = path.ancestors().skip(1).collect();
    dirs.reverse();
    let through_acl = |p: &Path, bit: usize| {
        uid.and_then(|u| acl_perms(p, u))
            .is_some_and(|perms| perms.as_bytes().get(bit).is_some_and(|c| *c != b'-'))
    };
    for dir in dirs {
        let Ok(meta) = std::fs::metadata(dir) else {
            continue;
        };
        if meta.permissions().mode() & 0o001 == 0 && !through_acl(dir, 2) {
            return Some(Blocked::Dir(dir.to_path_buf()));
        }
    }
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o004 == 0 && !through_acl(path, 0) => {
            Some(Blocked::File(path.to_path_buf()))
        }
        _ => None,
    }
}

/// `None` when QEMU's user (`uid`; any other user when None) can read `path`; else
/// why not, and what to do.
pub fn qemu_cannot_read(path: &Path, uid: Option<u32>) -> Option<String> {
    let shown = path.display().to_string();
    match blocked(path, uid)? {
        Blocked::Dir(dir) => Some(gettext_f(
            "QEMU runs as its own user and cannot open {path}: the folder {dir} is private. Let QEMU read it, put the image in a storage pool (Storage → Upload…), or let others through the folder (chmod o+x {dir}).",
            &[("path", &shown), ("dir", &dir.display().to_string())],
        )),
        Blocked::File(_) => Some(gettext_f(
            "QEMU runs as its own user and cannot read {path}. Let QEMU read it, put it in a storage pool (Storage → Upload…), or make it readable (chmod o+r {path}).",
            &[("path", &shown)],
        )),
    }
}

/// `None` when another user can read `path`; else why not, and what to do.
pub fn others_cannot_read(path: &Path) -> Option<String> {
    qemu_cannot_read(path, None)
}

/// Give `uid` what it needs to read `path` and nothing more: passage (`x`) through
/// each directory that blocks it and read (`r`) on the file, as ACL entries. What was
/// changed, or why it could not be.
pub fn let_read(path: &Path, uid: u32) -> Result<Vec<PathBuf>, String> {
    let mut changed = Vec::new();
    // Each entry added may uncover the next directory that blocks.
    while let Some(b) = blocked(path, Some(uid)) {
        let (target, perm) = match &b {
            Blocked::Dir(d) => (d.clone(), "x"),
            Blocked::File(f) => (f.clone(), "r"),
        };
        if changed.contains(&target) {
            return Err(gettext_f(
                "{path} still keeps QEMU out after an ACL entry was added (is its file system mounted without ACLs?)",
                &[("path", &target.display().to_string())],
            ));
        }
        let out = Command::new("setfacl")
            .arg("--modify")
            .arg(format!("user:{uid}:{perm}"))
            .arg(&target)
            .output()
            .map_err(|e| {
                gettext_f(
                    "setfacl could not run ({reason}): install the acl package",
                    &[("reason", &e.to_string())],
                )
            })?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        changed.push(target);
    }
    Ok(changed)
}

/// QEMU's user id on this host, from the capabilities' DAC security model (its base
/// label for QEMU guests, `+64055:+64055`).
pub fn qemu_uid_from_capabilities(caps: &str) -> Option<u32> {
    let doc = crate::backend::xml::Document::parse(caps).ok()?;
    let host = doc.root.child("host")?;
    let dac = host
        .children_named("secmodel")
        .find(|m| m.child("model").map(|x| x.text()).as_deref().map(str::trim) == Some("dac"))?;
    let label = dac
        .children_named("baselabel")
        .find(|b| b.attr("type") == Some("qemu"))
        .or_else(|| dac.children_named("baselabel").next())?
        .text();
    label
        .trim()
        .split(':')
        .next()?
        .trim_start_matches('+')
        .parse()
        .ok()
}
