//! Whether QEMU can open a file of this computer. On `qemu:///system` it runs as the
//! `libvirt-qemu` user, which cannot go through a private home directory: the file
//! must be readable by others and every directory above it passable by them (libvirt
//! relabels the file itself, not the directories).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::i18n::gettext_f;

/// `None` when another user can read `path`; else why not, and what to do.
pub fn others_cannot_read(path: &Path) -> Option<String> {
    let shown = path.display().to_string();
    let mut dirs: Vec<&Path> = path.ancestors().skip(1).collect();
    dirs.reverse();
    for dir in dirs {
        let Ok(meta) = std::fs::metadata(dir) else {
            continue;
        };
        if meta.permissions().mode() & 0o001 == 0 {
            return Some(gettext_f(
                "QEMU runs as its own user and cannot open {path}: the folder {dir} is private. Put the image in a storage pool (Storage → Upload…), or let others through the folder (chmod o+x {dir}).",
                &[("path", &shown), ("dir", &dir.display().to_string())],
            ));
        }
    }
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o004 == 0 => Some(gettext_f(
            "QEMU runs as its own user and cannot read {path}. Put it in a storage pool (Storage → Upload…), or make it readable (chmod o+r {path}).",
            &[("path", &shown)],
        )),
        _ => None,
    }
}
