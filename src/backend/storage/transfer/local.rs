//! What the local side of an upload needs to know of its file: where its data and
//! holes are, and what kind of image it is (so the volume made for it is right).

use std::fs::File;
use std::io::Read;
use std::os::fd::AsRawFd;

use crate::backend::xml::Element;

/// The segment of `file` that starts at `pos`: (is it data, where it ends). `None` when
/// the file system cannot tell data from holes.
pub fn segment(file: &File, pos: u64, size: u64) -> Option<(bool, u64)> {
    let fd = file.as_raw_fd();
    // SAFETY: `fd` is an open descriptor owned by `file`; lseek moves only its offset,
    // which nothing else here uses (reads go through pread).
    let data = unsafe { libc::lseek(fd, pos as libc::off_t, libc::SEEK_DATA) };
    if data < 0 {
        return match std::io::Error::last_os_error().raw_os_error() {
            // No data after `pos`: the rest is a hole.
            Some(libc::ENXIO) => Some((false, size)),
            _ => None,
        };
    }
    let data = data as u64;
    if data > pos {
        return Some((false, data.min(size)));
    }
    // SAFETY: as above.
    let hole = unsafe { libc::lseek(fd, pos as libc::off_t, libc::SEEK_HOLE) };
    if hole < 0 {
        return None;
    }
    Some((true, (hole as u64).clamp(pos + 1, size)))
}

/// Whether `file` has a hole anywhere (else, or when the file system cannot say, it
/// is all data).
pub fn has_holes(file: &File, size: u64) -> bool {
    // SAFETY: as in `segment`: only the descriptor's offset moves.
    let hole = unsafe { libc::lseek(file.as_raw_fd(), 0, libc::SEEK_HOLE) };
    hole >= 0 && (hole as u64) < size
}

/// What a local file holds, as far as making a volume for it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Raw,
    Iso,
    Qcow2 { virtual_size: u64 },
}

/// Look at the start of the file: qcow2 (magic "QFI\xfb", the virtual size at byte
/// 24, big-endian) or ISO 9660 ("CD001" at byte 32769), else raw.
pub fn detect(file: &mut File, size: u64) -> std::io::Result<Kind> {
    let mut head = vec![0u8; 32_774.min(size as usize)];
    file.read_exact(&mut head)?;
    Ok(kind_of(&head))
}

fn kind_of(head: &[u8]) -> Kind {
    if head.len() >= 32 && head[..4] == *b"QFI\xfb" {
        let mut v = [0u8; 8];
        v.copy_from_slice(&head[24..32]);
        return Kind::Qcow2 {
            virtual_size: u64::from_be_bytes(v),
        };
    }
    if head.len() >= 32_774 && head[32_769..32_774] == *b"CD001" {
        return Kind::Iso;
    }
    Kind::Raw
}

/// The XML of the volume an upload of `size` bytes of `kind` makes: allocated whole
/// when `full` (a file without holes fills it anyway, and writing into allocated
/// space is faster), else sparse from the start.
pub fn new_volume_xml(name: &str, kind: &Kind, size: u64, full: bool) -> String {
    let (format, capacity) = match kind {
        Kind::Raw => ("raw", size),
        Kind::Iso => ("iso", size),
        Kind::Qcow2 { virtual_size } => ("qcow2", *virtual_size),
    };
    Element::new("volume")
        .with_child(Element::new("name").with_text(name))
        .with_child(
            Element::new("capacity")
                .with_attr("unit", "bytes")
                .with_text(&capacity.to_string()),
        )
        .with_child(
            Element::new("allocation")
                .with_attr("unit", "bytes")
                .with_text(&if full && !matches!(kind, Kind::Qcow2 { .. }) {
                    size.to_string()
                } else {
                    "0".to_string()
                }),
        )
        .with_child(
            Element::new("target").with_child(Element::new("format").with_attr("type", format)),
        )
        .to_xml()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_qcow2_and_iso() {
        let mut q = vec![0u8; 64];
        q[..4].copy_from_slice(b"QFI\xfb");
        q[24..32].copy_from_slice(&(5u64 << 30).to_be_bytes());
        assert_eq!(
            kind_of(&q),
            Kind::Qcow2 {
                virtual_size: 5 << 30
            }
        );
        let mut iso = vec![0u8; 40_000];
        iso[32_769..32_774].copy_from_slice(b"CD001");
        assert_eq!(kind_of(&iso), Kind::Iso);
        assert_eq!(kind_of(b"hello"), Kind::Raw);
    }

    #[test]
    fn volume_xml_names_format_and_capacity() {
        let xml = new_volume_xml("a<b", &Kind::Qcow2 { virtual_size: 42 }, 7, false);
        assert!(xml.contains("<name>a&lt;b</name>"), "{xml}");
        assert!(xml.contains(">42</capacity>"), "{xml}");
        assert!(
            xml.contains("<format type=\"qcow2\"/>") || xml.contains("type='qcow2'"),
            "{xml}"
        );
    }
}
