//! Express installation: the script libosinfo generated, put where the installer looks
//! for it — appended to the installer's initrd as a cpio archive (the kernel unpacks
//! every archive of an initrd in turn, so the file lands in the installer's root), or
//! on a small disc of its own (Windows Setup reads `autounattend.xml` from the root of
//! any removable drive). Also the installer's kernel and initrd read out of a disc
//! image, for the direct kernel boot an initrd injection needs.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::i18n::gettext_f;

/// The label of the script disc: Anaconda also reads a kickstart from a volume of
/// this name.
pub const CONFIG_DISC_LABEL: &str = "OEMDRV";

fn pad4(out: &mut Vec<u8>) {
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

/// A cpio archive in the "new ASCII" format (`070701`) the kernel's initramfs reads:
/// regular files of mode 0644, owned by root, then the trailer.
pub fn cpio_newc(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut entry = |ino: usize, name: &str, mode: u32, data: &[u8]| {
        let fields = [
            ino as u32,
            mode,
            0, // uid
            0, // gid
            1, // nlink
            0, // mtime
            data.len() as u32,
            0,
            0,
            0,
            0,
            name.len() as u32 + 1,
            0, // check
        ];
        out.extend_from_slice(b"070701");
        for f in fields {
            out.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        pad4(&mut out);
        out.extend_from_slice(data);
        pad4(&mut out);
    };
    for (i, (name, data)) in files.iter().enumerate() {
        entry(i + 1, name.trim_start_matches('/'), 0o100644, data);
    }
    entry(0, "TRAILER!!!", 0, &[]);
    out
}

/// The files of a newc cpio archive (up to its trailer), for checking what an initrd
/// carries. `None` when `bytes` does not start with one.
pub fn cpio_files(bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    let mut at = 0usize;
    let hex = |b: &[u8]| u32::from_str_radix(std::str::from_utf8(b).ok()?, 16).ok();
    loop {
        let head = bytes.get(at..at + 110)?;
        if &head[..6] != b"070701" {
            return None;
        }
        let size = hex(&head[54..62])? as usize;
        let name_len = hex(&head[94..102])? as usize;
        let name_at = at + 110;
        let name = bytes.get(name_at..name_at + name_len.checked_sub(1)?)?;
        let name = String::from_utf8_lossy(name).into_owned();
        let data_at = (name_at + name_len).next_multiple_of(4);
        let data = bytes.get(data_at..data_at + size)?;
        if name == "TRAILER!!!" {
            return Some(files);
        }
        files.push((name, data.to_vec()));
        at = (data_at + size).next_multiple_of(4);
    }
}

/// `initrd` with an archive of `files` after it, starting on a four-byte boundary
/// (the kernel skips the zeros between archives).
pub fn append_to_initrd(initrd: &[u8], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = initrd.to_vec();
    pad4(&mut out);
    out.extend_from_slice(&cpio_newc(files));
    out
}

/// Where the archive [`append_to_initrd`] added to an initrd of `original_len` bytes
/// starts.
pub fn appended_at(original_len: usize) -> usize {
    original_len.next_multiple_of(4)
}

fn xorriso(args: &[&std::ffi::OsStr]) -> Result<(), String> {
    let res = Command::new("xorriso").args(args).output().map_err(|e| {
        gettext_f(
            "xorriso could not run ({reason}): install it to make or read disc images",
            &[("reason", &e.to_string())],
        )
    })?;
    if !res.status.success() {
        let err = String::from_utf8_lossy(&res.stderr);
        let line = err
            .lines()
            .rev()
            .find(|l| l.contains("FAILURE") || l.contains("SORRY"))
            .unwrap_or(err.trim());
        return Err(line.trim().to_string());
    }
    Ok(())
}

/// An ISO 9660 image (Joliet and Rock Ridge names) of the files in `root`, labelled
/// `label`, written to `out`.
pub fn make_iso(root: &Path, label: &str, out: &Path) -> Result<(), String> {
    xorriso(&[
        "-as".as_ref(),
        "mkisofs".as_ref(),
        "-quiet".as_ref(),
        "-V".as_ref(),
        label.as_ref(),
        "-J".as_ref(),
        "-r".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        root.as_os_str(),
    ])
}

/// A disc holding the script as `filename`, made in `dir`; its path.
pub fn build_config_disc(filename: &str, text: &str, dir: &Path) -> Result<PathBuf, String> {
    let root = dir.join("config");
    std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    std::fs::write(root.join(filename), text).map_err(|e| e.to_string())?;
    let out = dir.join("config.iso");
    make_iso(&root, CONFIG_DISC_LABEL, &out)?;
    Ok(out)
}

/// The bytes of the file at `inner` (`install.amd/vmlinuz`) in the disc image `iso`.
pub fn read_from_iso(iso: &Path, inner: &str, dir: &Path) -> Result<Vec<u8>, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let out = dir.join(
        Path::new(inner)
            .file_name()
            .unwrap_or_else(|| "extracted".as_ref()),
    );
    let inner = format!("/{}", inner.trim_start_matches('/'));
    xorriso(&[
        "-osirrox".as_ref(),
        "on".as_ref(),
        "-indev".as_ref(),
        iso.as_os_str(),
        "-extract".as_ref(),
        inner.as_ref(),
        out.as_os_str(),
    ])
    .map_err(|e| format!("{}: {inner}: {e}", iso.display()))?;
    let bytes = std::fs::read(&out).map_err(|e| format!("{inner}: {e}"))?;
    let _ = std::fs::remove_file(&out);
    Ok(bytes)
}
