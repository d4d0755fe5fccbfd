//! What a device is (`DeviceKind`), and the names people read for devices and their
//! targets ("Disk 1 — 20 GiB qcow2", `vda`, `sdb`).

use crate::backend::units::format_bytes;
use crate::backend::xml::Element;
use crate::i18n::{gettext, gettext_f};

use super::{tree::*, views::*};

/// What a device element is, as the list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    Disk,
    Cdrom,
    Floppy,
    Interface,
    Graphics,
    Video,
    Sound,
    Input,
    Serial,
    Console,
    Channel,
    Parallel,
    Controller,
    HostdevUsb,
    HostdevPci,
    Hostdev,
    Tpm,
    Rng,
    Watchdog,
    Filesystem,
    Panic,
    Smartcard,
    Redirdev,
    Memballoon,
    Hub,
    Other,
}

impl DeviceKind {
    pub fn of(el: &Element) -> Option<DeviceKind> {
        Some(match el.name.as_str() {
            "emulator" => return None,
            "disk" => match el.attr("device") {
                Some("cdrom") => DeviceKind::Cdrom,
                Some("floppy") => DeviceKind::Floppy,
                _ => DeviceKind::Disk,
            },
            "interface" => DeviceKind::Interface,
            "graphics" => DeviceKind::Graphics,
            "video" => DeviceKind::Video,
            "sound" => DeviceKind::Sound,
            "input" => DeviceKind::Input,
            "serial" => DeviceKind::Serial,
            "console" => DeviceKind::Console,
            "channel" => DeviceKind::Channel,
            "parallel" => DeviceKind::Parallel,
            "controller" => DeviceKind::Controller,
            "hostdev" => match el.attr("type") {
                Some("usb") => DeviceKind::HostdevUsb,
                Some("pci") => DeviceKind::HostdevPci,
                _ => DeviceKind::Hostdev,
            },
            "tpm" => DeviceKind::Tpm,
            "rng" => DeviceKind::Rng,
            "watchdog" => DeviceKind::Watchdog,
            "filesystem" => DeviceKind::Filesystem,
            "panic" => DeviceKind::Panic,
            "smartcard" => DeviceKind::Smartcard,
            "redirdev" => DeviceKind::Redirdev,
            "memballoon" => DeviceKind::Memballoon,
            "hub" => DeviceKind::Hub,
            _ => DeviceKind::Other,
        })
    }

    /// A symbolic icon name for the device list.
    pub fn icon_name(self) -> &'static str {
        match self {
            DeviceKind::Disk | DeviceKind::Floppy => "drive-harddisk-symbolic",
            DeviceKind::Cdrom => "media-optical-symbolic",
            DeviceKind::Interface => "network-wired-symbolic",
            DeviceKind::Graphics | DeviceKind::Video => "video-display-symbolic",
            DeviceKind::Sound => "audio-speakers-symbolic",
            DeviceKind::Input => "input-mouse-symbolic",
            DeviceKind::Serial
            | DeviceKind::Console
            | DeviceKind::Channel
            | DeviceKind::Parallel => "utilities-terminal-symbolic",
            DeviceKind::HostdevUsb | DeviceKind::Redirdev | DeviceKind::Hub => {
                "media-removable-symbolic"
            }
            DeviceKind::Smartcard => "auth-smartcard-symbolic",
            DeviceKind::Tpm => "channel-secure-symbolic",
            DeviceKind::Filesystem => "folder-remote-symbolic",
            _ => "application-x-firmware-symbolic",
        }
    }
}

/// One entry of the device list.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceEntry {
    /// Position among the element children of `<devices>`.
    pub index: usize,
    pub kind: DeviceKind,
    pub name: String,
}

/// `vd`, `sd`, `hd`, `xvd`, `fd` for a bus.
pub fn target_prefix(bus: &str) -> &'static str {
    match bus {
        "virtio" => "vd",
        "ide" => "hd",
        "xen" => "xvd",
        "fdc" => "fd",
        _ => "sd",
    }
}

/// 0 → "a", 25 → "z", 26 → "aa", like the kernel names disks.
pub(super) fn target_suffix(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'a' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

pub(super) fn file_name(path: &str) -> &str {
    path.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(path)
}

pub(super) fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub(super) fn named(label: String, detail: &str) -> String {
    if detail.is_empty() {
        label
    } else {
        format!("{label} — {detail}")
    }
}

/// The name people read for a device: "Disk 1 — 20 GiB qcow2", "Network — default
/// (virtio)", "Display — SPICE".
pub fn device_name(
    el: &Element,
    kind: DeviceKind,
    n: usize,
    size_of: &dyn Fn(&str) -> Option<u64>,
) -> String {
    let num = n.to_string();
    match kind {
        DeviceKind::Disk | DeviceKind::Cdrom | DeviceKind::Floppy => {
            let v = DiskView::read(el);
            let label = match kind {
                DeviceKind::Cdrom => gettext_f("CD-ROM {n}", &[("n", &num)]),
                DeviceKind::Floppy => gettext_f("Floppy {n}", &[("n", &num)]),
                _ => gettext_f("Disk {n}", &[("n", &num)]),
            };
            let source = DiskView::source(el);
            let detail = match (&source, source.as_deref().and_then(size_of)) {
                (_, Some(size)) => match &v.format {
                    Some(f) => format!("{} {f}", format_bytes(size)),
                    None => format_bytes(size),
                },
                (Some(p), None) if kind == DeviceKind::Disk => p.clone(),
                (Some(p), None) => file_name(p).to_string(),
                (None, None) => gettext("empty"),
            };
            named(label, &detail)
        }
        DeviceKind::Interface => {
            let v = InterfaceView::read(el);
            let source = InterfaceView::source(el).unwrap_or_default();
            let what = match v.kind.as_deref() {
                Some("network") => source,
                Some("bridge") => gettext_f("bridge {name}", &[("name", &source)]),
                Some("direct") => gettext_f("macvtap {name}", &[("name", &source)]),
                Some("user") => gettext("user mode"),
                Some(k) => k.to_string(),
                None => String::new(),
            };
            let model = v.model.unwrap_or_else(|| gettext("default model"));
            named(gettext("Network"), &format!("{what} ({model})"))
        }
        DeviceKind::Graphics => {
            let t = el.attr("type").unwrap_or("").to_ascii_uppercase();
            named(gettext("Display"), &t)
        }
        DeviceKind::Video => named(
            gettext("Video"),
            at(el, &["model"])
                .and_then(|m| m.attr("type"))
                .unwrap_or(""),
        ),
        DeviceKind::Sound => named(gettext("Sound"), el.attr("model").unwrap_or("")),
        DeviceKind::Input => {
            let bus = match el.attr("bus") {
                Some("usb") => "USB",
                Some("ps2") => "PS/2",
                Some("virtio") => "virtio",
                Some(b) => b,
                None => "",
            };
            let t = match el.attr("type") {
                Some("tablet") => gettext("Tablet"),
                Some("mouse") => gettext("Mouse"),
                Some("keyboard") => gettext("Keyboard"),
                Some(o) => upper_first(o),
                None => gettext("Input"),
            };
            if bus.is_empty() {
                t
            } else {
                format!("{t} ({bus})")
            }
        }
        DeviceKind::Serial => named(
            gettext_f("Serial {n}", &[("n", &num)]),
            el.attr("type").unwrap_or(""),
        ),
        DeviceKind::Parallel => named(
            gettext_f("Parallel {n}", &[("n", &num)]),
            el.attr("type").unwrap_or(""),
        ),
        DeviceKind::Console => named(gettext("Console"), el.attr("type").unwrap_or("")),
        DeviceKind::Channel => {
            let name = at(el, &["target"])
                .and_then(|t| t.attr("name"))
                .or(el.attr("type"))
                .unwrap_or("");
            named(gettext("Channel"), name)
        }
        DeviceKind::Controller => {
            let t = el.attr("type").unwrap_or("");
            let t = match t {
                "usb" | "pci" | "ide" | "scsi" | "sata" => t.to_ascii_uppercase(),
                "virtio-serial" => "VirtIO Serial".to_string(),
                o => upper_first(o),
            };
            let idx = el.attr("index").unwrap_or("0");
            let detail = match el.attr("model") {
                Some(m) => format!("{t} {idx} ({m})"),
                None => format!("{t} {idx}"),
            };
            named(gettext("Controller"), &detail)
        }
        DeviceKind::HostdevUsb => {
            let v = HostdevView::read(el);
            let id = |s: Option<String>| {
                s.map(|s| s.trim_start_matches("0x").to_string())
                    .unwrap_or_default()
            };
            named(
                gettext("USB Host Device"),
                &format!("{}:{}", id(v.vendor), id(v.product)),
            )
        }
        DeviceKind::HostdevPci => {
            let v = HostdevView::read(el);
            named(gettext("PCI Host Device"), &pci_address(&v))
        }
        DeviceKind::Hostdev => named(gettext("Host Device"), el.attr("type").unwrap_or("")),
        DeviceKind::Tpm => {
            let v = TpmView::read(el);
            let mut d = v.model.unwrap_or_default();
            if let Some(ver) = v.version {
                d = format!("{d} v{ver}");
            }
            named(gettext("TPM"), d.trim())
        }
        DeviceKind::Rng => {
            let v = RngView::read(el);
            named(
                gettext("Random Number Generator"),
                &v.source.or(v.backend).unwrap_or_default(),
            )
        }
        DeviceKind::Watchdog => named(gettext("Watchdog"), el.attr("model").unwrap_or("")),
        DeviceKind::Filesystem => {
            let v = FilesystemView::read(el);
            named(
                gettext("Filesystem"),
                &format!(
                    "{} → {}",
                    v.source.unwrap_or_default(),
                    v.target.unwrap_or_default()
                ),
            )
        }
        DeviceKind::Panic => named(gettext("Panic Notifier"), el.attr("model").unwrap_or("")),
        DeviceKind::Smartcard => named(gettext("Smartcard"), el.attr("mode").unwrap_or("")),
        DeviceKind::Redirdev => named(gettext("USB Redirector"), el.attr("type").unwrap_or("")),
        DeviceKind::Memballoon => named(gettext("Memory Balloon"), el.attr("model").unwrap_or("")),
        DeviceKind::Hub => named(gettext("Hub"), el.attr("type").unwrap_or("")),
        DeviceKind::Other => upper_first(el.local_name()),
    }
}

pub(super) fn pci_address(v: &HostdevView) -> String {
    let hex = |s: &Option<String>, w: usize| {
        let t = s.as_deref().unwrap_or("0").trim_start_matches("0x");
        let n = u32::from_str_radix(t, 16).unwrap_or(0);
        format!("{n:0w$x}")
    };
    format!(
        "{}:{}:{}.{}",
        hex(&v.pci_domain, 4),
        hex(&v.pci_bus, 2),
        hex(&v.pci_slot, 2),
        hex(&v.pci_function, 1)
    )
}
