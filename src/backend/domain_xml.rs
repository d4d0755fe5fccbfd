//! Typed views over a domain's [`Document`]: general facts, CPU, memory, boot and every
//! device kind. Each view is read from its element and written back into it in place:
//! a field that did not change is not touched, and whatever the views do not model
//! (addresses, `<qemu:commandline>`, `<cputune>`, foreign metadata, comments, attributes
//! of a newer libvirt) stays as it came.
//!
//! On top of the views sits a small form layer ([`DomainXml::form`],
//! [`DomainXml::set_field`], [`DomainXml::validate`]) that the Hardware page turns into
//! rows: it stays free of GTK so it can be tested here.

use std::collections::HashSet;
use std::path::Path;

use super::units::format_bytes;
use super::xml::{Document, Element, Node, XmlError};
use crate::i18n::{gettext, gettext_f};

// ---------------------------------------------------------------------------------------
// Small tree helpers.

/// The element at `path` below `el` (first match at each step).
fn at<'a>(el: &'a Element, path: &[&str]) -> Option<&'a Element> {
    el.find(path)
}

/// The element at `path`, created (appended) where missing.
fn at_mut_create<'a>(el: &'a mut Element, path: &[&str]) -> &'a mut Element {
    let mut cur = el;
    for p in path {
        cur = cur.ensure_child(p);
    }
    cur
}

fn at_mut<'a>(el: &'a mut Element, path: &[&str]) -> Option<&'a mut Element> {
    let mut cur = el;
    for p in path {
        cur = cur.child_mut(p)?;
    }
    Some(cur)
}

fn is_empty_element(e: &Element) -> bool {
    e.attrs.is_empty()
        && e.children
            .iter()
            .all(|c| matches!(c, Node::Text(t) if t.trim().is_empty()))
}

/// Remove the elements of `path` that became empty, innermost first.
fn prune(el: &mut Element, path: &[&str]) {
    for depth in (1..=path.len()).rev() {
        let (parent_path, last) = path[..depth].split_at(depth - 1);
        let Some(parent) = at_mut(el, parent_path) else {
            continue;
        };
        let name = last[0];
        let mut seen = false;
        parent.remove_children(|c| {
            if !seen && c.name == name {
                seen = true;
                is_empty_element(c)
            } else {
                false
            }
        });
    }
}

/// Insert `child` right after the first child element named `after` (or append).
fn insert_after(parent: &mut Element, child: Element, after: &[&str]) {
    let pos = parent
        .children
        .iter()
        .rposition(|n| matches!(n, Node::Element(e) if after.contains(&e.name.as_str())));
    let Some(pos) = pos else {
        parent.append_child(child);
        return;
    };
    // The whitespace before the anchor indents the new sibling too.
    let indent = match pos.checked_sub(1).and_then(|i| parent.children.get(i)) {
        Some(Node::Text(t)) if t.trim().is_empty() => Some(t.clone()),
        _ => None,
    };
    match indent {
        Some(i) => {
            parent.children.insert(pos + 1, Node::Element(child));
            parent.children.insert(pos + 1, Node::Text(i));
        }
        None => parent.children.insert(pos + 1, Node::Element(child)),
    }
}

/// How a view field is stored in its element.
#[derive(Debug, Clone, Copy)]
enum Bind {
    /// An attribute of the element at a path.
    Attr(&'static [&'static str], &'static str),
    /// The text of the element at a path.
    Text(&'static [&'static str]),
    /// The presence of an empty element (`<readonly/>`): "yes" or absent.
    Flag(&'static [&'static str]),
}

fn get(el: &Element, b: Bind) -> Option<String> {
    match b {
        Bind::Attr(p, a) => at(el, p)?.attr(a).map(str::to_string),
        Bind::Text(p) => {
            let t = at(el, p)?.text();
            Some(t.trim().to_string()).filter(|t| !t.is_empty())
        }
        Bind::Flag(p) => at(el, p).map(|_| "yes".to_string()),
    }
}

/// Write one field; nothing happens when the value is what the element holds already.
fn put(el: &mut Element, b: Bind, value: Option<&str>) {
    if get(el, b).as_deref() == value {
        return;
    }
    match (b, value) {
        (Bind::Attr(p, a), Some(v)) => at_mut_create(el, p).set_attr(a, v),
        (Bind::Attr(p, a), None) => {
            if let Some(e) = at_mut(el, p) {
                e.remove_attr(a);
            }
            prune(el, p);
        }
        (Bind::Text(p), Some(v)) => at_mut_create(el, p).set_text(v),
        (Bind::Text(p), None) => {
            if let Some(e) = at_mut(el, p) {
                e.set_text("");
            }
            prune(el, p);
        }
        (Bind::Flag(p), Some(_)) => {
            at_mut_create(el, p);
        }
        (Bind::Flag(p), None) => {
            if p.is_empty() {
                return;
            }
            let (parent, last) = p.split_at(p.len() - 1);
            if let Some(parent) = at_mut(el, parent) {
                parent.remove_children(|c| c.name == last[0]);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Device views: plain structs of optional strings, each bound to its place.

macro_rules! view {
    ($(#[$m:meta])* $name:ident { $($field:ident => $bind:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name { $(pub $field: Option<String>,)* }

        impl $name {
            /// The field names, in form order.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            pub fn read(el: &Element) -> Self {
                Self { $($field: get(el, $bind),)* }
            }

            /// Write the fields back; unchanged fields are not touched.
            pub fn write(&self, el: &mut Element) {
                $(put(el, $bind, self.$field.as_deref());)*
            }

            pub fn field(&self, id: &str) -> Option<&str> {
                match id { $(stringify!($field) => self.$field.as_deref(),)* _ => None }
            }

            /// Set a field by name; false when there is no such field.
            pub fn set_field(&mut self, id: &str, v: Option<String>) -> bool {
                match id { $(stringify!($field) => { self.$field = v; true })* _ => false }
            }
        }
    };
}

view!(
    /// `<disk>`: hard disks, CD-ROMs, floppies, LUNs. `source` is special: see
    /// [`DiskView::source`].
    DiskView {
        device => Bind::Attr(&[], "device"),
        source_type => Bind::Attr(&[], "type"),
        driver_name => Bind::Attr(&["driver"], "name"),
        format => Bind::Attr(&["driver"], "type"),
        cache => Bind::Attr(&["driver"], "cache"),
        discard => Bind::Attr(&["driver"], "discard"),
        bus => Bind::Attr(&["target"], "bus"),
        target => Bind::Attr(&["target"], "dev"),
        readonly => Bind::Flag(&["readonly"]),
        shareable => Bind::Flag(&["shareable"]),
        serial => Bind::Text(&["serial"]),
    }
);

view!(
    /// `<interface>`; the source depends on the type: see [`InterfaceView::source`].
    InterfaceView {
        kind => Bind::Attr(&[], "type"),
        mac => Bind::Attr(&["mac"], "address"),
        model => Bind::Attr(&["model"], "type"),
        link => Bind::Attr(&["link"], "state"),
        direct_mode => Bind::Attr(&["source"], "mode"),
    }
);

view!(
    /// `<graphics>`: VNC or SPICE. The listen address is kept in the attribute and
    /// in `<listen>` alike, as libvirt does.
    GraphicsView {
        kind => Bind::Attr(&[], "type"),
        port => Bind::Attr(&[], "port"),
        autoport => Bind::Attr(&[], "autoport"),
        password => Bind::Attr(&[], "passwd"),
        keymap => Bind::Attr(&[], "keymap"),
    }
);

view!(VideoView {
    model => Bind::Attr(&["model"], "type"),
    heads => Bind::Attr(&["model"], "heads"),
    vram => Bind::Attr(&["model"], "vram"),
});

view!(SoundView {
    model => Bind::Attr(&[], "model"),
});

view!(InputView {
    kind => Bind::Attr(&[], "type"),
    bus => Bind::Attr(&[], "bus"),
});

view!(
    /// `<serial>`, `<console>`, `<channel>` and `<parallel>`.
    CharView {
        kind => Bind::Attr(&[], "type"),
        target_type => Bind::Attr(&["target"], "type"),
        target_name => Bind::Attr(&["target"], "name"),
        target_port => Bind::Attr(&["target"], "port"),
        path => Bind::Attr(&["source"], "path"),
    }
);

view!(ControllerView {
    kind => Bind::Attr(&[], "type"),
    index => Bind::Attr(&[], "index"),
    model => Bind::Attr(&[], "model"),
    ports => Bind::Attr(&[], "ports"),
});

view!(
    /// `<hostdev mode='subsystem'>`: a USB device by vendor and product, or a PCI
    /// function by address.
    HostdevView {
        kind => Bind::Attr(&[], "type"),
        managed => Bind::Attr(&[], "managed"),
        vendor => Bind::Attr(&["source", "vendor"], "id"),
        product => Bind::Attr(&["source", "product"], "id"),
        pci_domain => Bind::Attr(&["source", "address"], "domain"),
        pci_bus => Bind::Attr(&["source", "address"], "bus"),
        pci_slot => Bind::Attr(&["source", "address"], "slot"),
        pci_function => Bind::Attr(&["source", "address"], "function"),
        // <rom bar='on|off'/> (PCI): whether the guest sees the device's ROM.
        rom_bar => Bind::Attr(&["rom"], "bar"),
    }
);

/// Parse a PCI address as people write it (`0000:06:00.0`, or `06:00.0` in domain
/// 0) into libvirt's domain, bus, slot and function attributes.
pub fn parse_pci_address(text: &str) -> Result<[String; 4], String> {
    let bad = || {
        gettext_f(
            "“{address}” is not a PCI address like 0000:06:00.0",
            &[("address", text.trim())],
        )
    };
    let t = text.trim();
    let (rest, func) = t.rsplit_once('.').ok_or_else(bad)?;
    let parts: Vec<&str> = rest.split(':').collect();
    let (dom, bus, slot) = match parts.as_slice() {
        [d, b, s] => (*d, *b, *s),
        [b, s] => ("0", *b, *s),
        _ => return Err(bad()),
    };
    let num = |s: &str, max: u32| {
        u32::from_str_radix(s, 16)
            .ok()
            .filter(|n| *n <= max && !s.is_empty() && s.len() <= 4)
            .ok_or_else(bad)
    };
    let (d, b, s, f) = (
        num(dom, 0xffff)?,
        num(bus, 0xff)?,
        num(slot, 0x1f)?,
        num(func, 0x7)?,
    );
    Ok([
        format!("0x{d:04x}"),
        format!("0x{b:02x}"),
        format!("0x{s:02x}"),
        format!("0x{f:x}"),
    ])
}

view!(TpmView {
    model => Bind::Attr(&[], "model"),
    backend => Bind::Attr(&["backend"], "type"),
    version => Bind::Attr(&["backend"], "version"),
});

view!(RngView {
    model => Bind::Attr(&[], "model"),
    backend => Bind::Attr(&["backend"], "model"),
    source => Bind::Text(&["backend"]),
});

view!(WatchdogView {
    model => Bind::Attr(&[], "model"),
    action => Bind::Attr(&[], "action"),
});

view!(
    /// `<filesystem>`, virtiofs among others.
    FilesystemView {
        kind => Bind::Attr(&[], "type"),
        driver => Bind::Attr(&["driver"], "type"),
        source => Bind::Attr(&["source"], "dir"),
        target => Bind::Attr(&["target"], "dir"),
        readonly => Bind::Flag(&["readonly"]),
    }
);

view!(PanicView {
    model => Bind::Attr(&[], "model"),
});

view!(SmartcardView {
    mode => Bind::Attr(&[], "mode"),
    kind => Bind::Attr(&[], "type"),
});

view!(RedirdevView {
    bus => Bind::Attr(&[], "bus"),
    kind => Bind::Attr(&[], "type"),
});

view!(MemballoonView {
    model => Bind::Attr(&[], "model"),
});

impl DiskView {
    /// The attribute of `<source>` that names the medium for this disk's type.
    fn source_attr(&self) -> &'static str {
        match self.source_type.as_deref() {
            Some("block") => "dev",
            Some("dir") => "dir",
            Some("volume") => "volume",
            Some("network") => "name",
            _ => "file",
        }
    }

    /// The medium: a file path, block device, directory, volume or network name;
    /// `None` for an empty drive.
    pub fn source(el: &Element) -> Option<String> {
        let v = DiskView::read(el);
        get(el, Bind::Attr(&["source"], v.source_attr())).filter(|s| !s.is_empty())
    }

    /// Set (or, with `None`, eject) the medium. An ejected medium loses `<source>`;
    /// a new one gets it before `<target>`.
    pub fn set_source(el: &mut Element, source: Option<&str>) {
        if DiskView::source(el).as_deref() == source {
            return;
        }
        let attr = DiskView::read(el).source_attr();
        match source {
            None => {
                el.remove_children(|c| c.name == "source");
            }
            Some(s) => match el.child_mut("source") {
                Some(src) => src.set_attr(attr, s),
                None => el.insert_child_before(Element::new("source").with_attr(attr, s), "target"),
            },
        }
    }

    pub fn is_cdrom(&self) -> bool {
        matches!(self.device.as_deref(), Some("cdrom") | Some("floppy"))
    }
}

impl InterfaceView {
    fn source_attr(kind: Option<&str>) -> Option<&'static str> {
        match kind {
            Some("network") => Some("network"),
            Some("bridge") => Some("bridge"),
            Some("direct") => Some("dev"),
            _ => None,
        }
    }

    /// The virtual network, bridge or host device the interface connects to.
    pub fn source(el: &Element) -> Option<String> {
        let attr = InterfaceView::source_attr(el.attr("type"))?;
        get(el, Bind::Attr(&["source"], attr))
    }

    /// Change type and source together: a new type gets a fresh `<source>`.
    pub fn set_kind_and_source(el: &mut Element, kind: &str, source: Option<&str>) {
        let old_kind = el.attr("type").map(str::to_string);
        if old_kind.as_deref() != Some(kind) {
            el.set_attr("type", kind);
            el.remove_children(|c| c.name == "source");
        }
        if InterfaceView::source(el).as_deref() == source {
            return;
        }
        let Some(attr) = InterfaceView::source_attr(Some(kind)) else {
            return;
        };
        match source {
            Some(s) => match el.child_mut("source") {
                Some(src) => src.set_attr(attr, s),
                None => {
                    let mut src = Element::new("source").with_attr(attr, s);
                    if kind == "direct" {
                        src.set_attr("mode", "bridge");
                    }
                    insert_after(el, src, &["mac"]);
                }
            },
            None => put(el, Bind::Attr(&["source"], attr), None),
        }
    }
}

impl GraphicsView {
    /// The listen address: `<listen type='address'>` first, then the attribute.
    pub fn listen(el: &Element) -> Option<String> {
        el.children_named("listen")
            .find(|l| l.attr("type") == Some("address"))
            .and_then(|l| l.attr("address"))
            .or_else(|| el.attr("listen"))
            .map(str::to_string)
    }

    pub fn set_listen(el: &mut Element, address: Option<&str>) {
        if GraphicsView::listen(el).as_deref() == address {
            return;
        }
        let has_attr = el.attr("listen").is_some();
        match address {
            Some(a) => {
                if has_attr {
                    el.set_attr("listen", a);
                }
                let existing = el
                    .elements_mut()
                    .find(|l| l.name == "listen" && l.attr("type") == Some("address"));
                match existing {
                    Some(l) => l.set_attr("address", a),
                    None => {
                        if !has_attr {
                            el.insert_child_before(
                                Element::new("listen")
                                    .with_attr("type", "address")
                                    .with_attr("address", a),
                                "image",
                            )
                        }
                    }
                }
            }
            None => {
                el.remove_attr("listen");
                el.remove_children(|l| l.name == "listen" && l.attr("type") == Some("address"));
            }
        }
    }

    /// `None` when the port is chosen automatically.
    pub fn fixed_port(&self) -> Option<u32> {
        if self.autoport.as_deref() == Some("yes") {
            return None;
        }
        self.port.as_deref().and_then(|p| p.parse().ok())
    }
}

// ---------------------------------------------------------------------------------------
// Device kinds.

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

// ---------------------------------------------------------------------------------------
// Domain-wide views.

#[derive(Debug, Clone, PartialEq, Default)]
pub struct General {
    pub name: String,
    pub title: String,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CpuMode {
    #[default]
    HypervisorDefault,
    HostPassthrough,
    HostModel,
    Maximum,
    /// A named model (`<model>`).
    Custom,
}

impl CpuMode {
    pub fn id(self) -> &'static str {
        match self {
            CpuMode::HypervisorDefault => "default",
            CpuMode::HostPassthrough => "host-passthrough",
            CpuMode::HostModel => "host-model",
            CpuMode::Maximum => "maximum",
            CpuMode::Custom => "custom",
        }
    }

    pub fn from_id(s: &str) -> Option<CpuMode> {
        Some(match s {
            "default" => CpuMode::HypervisorDefault,
            "host-passthrough" => CpuMode::HostPassthrough,
            "host-model" => CpuMode::HostModel,
            "maximum" => CpuMode::Maximum,
            "custom" => CpuMode::Custom,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Topology {
    pub sockets: u32,
    pub dies: u32,
    pub cores: u32,
    pub threads: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CpuConfig {
    /// `<vcpu>`: the maximum.
    pub max: u32,
    /// `<vcpu current=…>`: how many are plugged; `None` means all.
    pub current: Option<u32>,
    pub mode: CpuMode,
    pub model: Option<String>,
    pub topology: Option<Topology>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemoryConfig {
    /// `<memory>`: the maximum, KiB.
    pub max_kib: u64,
    /// `<currentMemory>`, KiB; `None` when equal to the maximum.
    pub current_kib: Option<u64>,
    /// `<memoryBacking><access mode='shared'/>`: needed by virtiofs.
    pub shared: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Firmware {
    #[default]
    Bios,
    Uefi,
}

/// A device in the boot order editor.
#[derive(Debug, Clone, PartialEq)]
pub struct BootEntry {
    /// Position among the element children of `<devices>`.
    pub index: usize,
    pub kind: DeviceKind,
    pub name: String,
    /// Tried at boot (else only listed, to be switched on).
    pub enabled: bool,
}

impl BootEntry {
    fn of(d: &DeviceEntry, enabled: bool) -> BootEntry {
        BootEntry {
            index: d.index,
            kind: d.kind,
            name: d.name.clone(),
            enabled,
        }
    }
}

/// The boot order as one field value: `2,0,-5` boots device 2, then 0; 5 is listed
/// but off (the order of the off ones is kept too, for the editor).
pub fn boot_order_value(entries: &[BootEntry]) -> String {
    entries
        .iter()
        .map(|e| {
            if e.enabled {
                e.index.to_string()
            } else {
                format!("-{}", e.index)
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BootConfig {
    /// `<os><boot dev=…>` in order: "hd", "cdrom", "network", "fd".
    pub order: Vec<String>,
    pub menu: bool,
    /// How long the boot menu waits, in milliseconds (`<bootmenu timeout=…>`).
    pub menu_timeout_ms: Option<u32>,
    pub firmware: Firmware,
    pub secure_boot: bool,
    pub kernel: Option<String>,
    pub initrd: Option<String>,
    pub cmdline: Option<String>,
}

fn unit_factor(unit: &str) -> Option<u64> {
    Some(match unit {
        "b" | "bytes" => 0,
        "KiB" | "k" | "K" => 1,
        "MiB" | "M" | "m" => 1 << 10,
        "GiB" | "G" | "g" => 1 << 20,
        "TiB" | "T" | "t" => 1 << 30,
        "KB" => return None,
        _ => return None,
    })
}

fn read_kib(el: &Element) -> Option<u64> {
    let n: u64 = el.text().trim().parse().ok()?;
    match el.attr("unit").unwrap_or("KiB") {
        "b" | "bytes" => Some(n / 1024),
        "KB" => Some(n.saturating_mul(1000) / 1024),
        "MB" => Some(n.saturating_mul(1_000_000) / 1024),
        "GB" => Some(n.saturating_mul(1_000_000_000) / 1024),
        u => unit_factor(u).map(|f| n.saturating_mul(f)),
    }
}

/// Write a size in KiB, in the element's own unit when it divides evenly.
fn write_kib(el: &mut Element, kib: u64) {
    if read_kib(el) == Some(kib) {
        return;
    }
    let unit = el.attr("unit").unwrap_or("KiB").to_string();
    match unit_factor(&unit) {
        Some(f) if f > 0 && kib % f == 0 => el.set_text(&(kib / f).to_string()),
        _ => {
            el.set_attr("unit", "KiB");
            el.set_text(&kib.to_string());
        }
    }
}

// ---------------------------------------------------------------------------------------
// The document.

/// A domain's XML with typed access. Clone it to keep an original for Revert.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainXml {
    pub doc: Document,
}

/// A problem with one field, shown under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: &str, message: String) -> FieldError {
        FieldError {
            field: field.to_string(),
            message,
        }
    }
}

/// What validation needs to know about the host and connection.
#[derive(Debug, Clone, Default)]
pub struct ValidationContext {
    pub host_memory_kib: Option<u64>,
    pub max_vcpus: Option<u32>,
    /// The connection is on this machine, so paths can be checked.
    pub local: bool,
}

impl DomainXml {
    pub fn parse(xml: &str) -> Result<DomainXml, XmlError> {
        let doc = Document::parse(xml)?;
        if doc.root.name != "domain" {
            return Err(XmlError(format!(
                "the root element is <{}>, not <domain>",
                doc.root.name
            )));
        }
        Ok(DomainXml { doc })
    }

    pub fn to_xml(&self) -> String {
        self.doc.to_xml()
    }

    fn root(&self) -> &Element {
        &self.doc.root
    }

    fn root_mut(&mut self) -> &mut Element {
        &mut self.doc.root
    }

    pub fn uuid(&self) -> Option<String> {
        self.root()
            .child("uuid")
            .map(|u| u.text().trim().to_string())
    }

    pub fn domain_type(&self) -> String {
        self.root().attr("type").unwrap_or("").to_string()
    }

    pub fn machine(&self) -> String {
        at(self.root(), &["os", "type"])
            .and_then(|t| t.attr("machine"))
            .unwrap_or("")
            .to_string()
    }

    pub fn is_q35(&self) -> bool {
        self.machine().contains("q35")
    }

    // -- General --------------------------------------------------------------------

    pub fn general(&self) -> General {
        let t = |n: &str| self.root().child(n).map(|e| e.text()).unwrap_or_default();
        General {
            name: t("name").trim().to_string(),
            title: t("title"),
            description: t("description"),
        }
    }

    pub fn set_general(&mut self, g: &General) {
        let old = self.general();
        let root = self.root_mut();
        if old.name != g.name {
            root.ensure_child("name").set_text(&g.name);
        }
        for (name, old, new, after) in [
            ("title", &old.title, &g.title, &["name", "uuid"][..]),
            (
                "description",
                &old.description,
                &g.description,
                &["name", "uuid", "title"][..],
            ),
        ] {
            if old == new {
                continue;
            }
            if new.is_empty() {
                root.remove_children(|c| c.name == name);
            } else if let Some(e) = root.child_mut(name) {
                e.set_text(new);
            } else {
                insert_after(root, Element::new(name).with_text(new), after);
            }
        }
    }

    // -- CPU ------------------------------------------------------------------------

    pub fn cpu(&self) -> CpuConfig {
        let root = self.root();
        let vcpu = root.child("vcpu");
        let max = vcpu.and_then(|v| v.text().trim().parse().ok()).unwrap_or(1);
        let current = vcpu
            .and_then(|v| v.attr("current"))
            .and_then(|c| c.parse().ok());
        let cpu = root.child("cpu");
        let model = cpu
            .and_then(|c| c.child("model"))
            .map(|m| m.text().trim().to_string())
            .filter(|m| !m.is_empty());
        let mode = match cpu.and_then(|c| c.attr("mode")) {
            Some("host-passthrough") => CpuMode::HostPassthrough,
            Some("host-model") => CpuMode::HostModel,
            Some("maximum") => CpuMode::Maximum,
            Some("custom") | None if model.is_some() => CpuMode::Custom,
            _ => CpuMode::HypervisorDefault,
        };
        let topology = cpu.and_then(|c| c.child("topology")).map(|t| {
            let n = |a: &str| t.attr(a).and_then(|v| v.parse().ok()).unwrap_or(1);
            Topology {
                sockets: n("sockets"),
                dies: n("dies"),
                cores: n("cores"),
                threads: n("threads"),
            }
        });
        CpuConfig {
            max,
            current,
            mode,
            model,
            topology,
        }
    }

    pub fn set_cpu(&mut self, c: &CpuConfig) {
        let old = self.cpu();
        let root = self.root_mut();
        if old.max != c.max || old.current != c.current {
            let v = root.ensure_child("vcpu");
            if old.max != c.max {
                v.set_text(&c.max.to_string());
            }
            match c.current.filter(|n| *n != c.max) {
                Some(n) => v.set_attr("current", &n.to_string()),
                None => {
                    v.remove_attr("current");
                }
            }
        }
        if old.mode != c.mode || old.model != c.model {
            match c.mode {
                CpuMode::HypervisorDefault => {
                    if let Some(cpu) = root.child_mut("cpu") {
                        cpu.remove_attr("mode");
                        cpu.remove_attr("match");
                        cpu.remove_attr("check");
                        cpu.remove_children(|e| e.name == "model");
                    }
                    prune(root, &["cpu"]);
                }
                CpuMode::Custom => {
                    let cpu = root.ensure_child("cpu");
                    if old.mode != CpuMode::Custom {
                        cpu.set_attr("mode", "custom");
                        if cpu.attr("match").is_none() {
                            cpu.set_attr("match", "exact");
                        }
                    }
                    match c.model.as_deref() {
                        Some(m) => match cpu.child_mut("model") {
                            Some(e) => e.set_text(m),
                            None => cpu.insert_child_before(
                                Element::new("model")
                                    .with_attr("fallback", "allow")
                                    .with_text(m),
                                "topology",
                            ),
                        },
                        None => {
                            cpu.remove_children(|e| e.name == "model");
                        }
                    }
                }
                mode => {
                    let cpu = root.ensure_child("cpu");
                    cpu.set_attr("mode", mode.id());
                    cpu.remove_attr("match");
                    cpu.remove_children(|e| e.name == "model");
                }
            }
        }
        if old.topology != c.topology {
            match c.topology {
                Some(t) => {
                    let cpu = root.ensure_child("cpu");
                    let topo = cpu.ensure_child("topology");
                    for (k, v) in [
                        ("sockets", t.sockets),
                        ("dies", t.dies),
                        ("cores", t.cores),
                        ("threads", t.threads),
                    ] {
                        if topo.attr(k) != Some(&v.to_string()) {
                            topo.set_attr(k, &v.to_string());
                        }
                    }
                }
                None => {
                    if let Some(cpu) = root.child_mut("cpu") {
                        cpu.remove_children(|e| e.name == "topology");
                    }
                    prune(root, &["cpu"]);
                }
            }
        }
    }

    // -- Memory ---------------------------------------------------------------------

    pub fn memory(&self) -> MemoryConfig {
        let root = self.root();
        let max_kib = root.child("memory").and_then(read_kib).unwrap_or(0);
        let current_kib = root.child("currentMemory").and_then(read_kib);
        let shared =
            at(root, &["memoryBacking", "access"]).and_then(|a| a.attr("mode")) == Some("shared");
        MemoryConfig {
            max_kib,
            current_kib,
            shared,
        }
    }

    pub fn set_memory(&mut self, m: &MemoryConfig) {
        let old = self.memory();
        let root = self.root_mut();
        if old.max_kib != m.max_kib {
            write_kib(root.ensure_child("memory"), m.max_kib);
        }
        if old.current_kib != m.current_kib {
            match m.current_kib {
                Some(k) => match root.child_mut("currentMemory") {
                    Some(e) => write_kib(e, k),
                    None => insert_after(
                        root,
                        Element::new("currentMemory")
                            .with_attr("unit", "KiB")
                            .with_text(&k.to_string()),
                        &["memory"],
                    ),
                },
                None => {
                    root.remove_children(|c| c.name == "currentMemory");
                }
            }
        }
        if old.shared != m.shared {
            if m.shared {
                let mb = match root.child_mut("memoryBacking") {
                    Some(mb) => mb,
                    None => {
                        insert_after(
                            root,
                            Element::new("memoryBacking"),
                            &["currentMemory", "memory"],
                        );
                        root.ensure_child("memoryBacking")
                    }
                };
                if mb.child("source").is_none() {
                    mb.append_child(Element::new("source").with_attr("type", "memfd"));
                }
                mb.ensure_child("access").set_attr("mode", "shared");
            } else {
                put(root, Bind::Attr(&["memoryBacking", "access"], "mode"), None);
            }
        }
    }

    // -- Boot -----------------------------------------------------------------------

    pub fn boot(&self) -> BootConfig {
        let os = self.root().child("os");
        let order = os
            .map(|o| {
                o.children_named("boot")
                    .filter_map(|b| b.attr("dev").map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let bootmenu = os.and_then(|o| o.child("bootmenu"));
        let menu = bootmenu.and_then(|b| b.attr("enable")) == Some("yes");
        let menu_timeout_ms = bootmenu
            .and_then(|b| b.attr("timeout"))
            .and_then(|t| t.trim().parse().ok());
        let uefi = os.is_some_and(|o| {
            o.attr("firmware") == Some("efi")
                || o.child("loader").and_then(|l| l.attr("type")) == Some("pflash")
        });
        let secure_boot = os.is_some_and(|o| {
            o.child("firmware").is_some_and(|f| {
                f.children_named("feature").any(|x| {
                    x.attr("name") == Some("secure-boot") && x.attr("enabled") == Some("yes")
                })
            }) || o.child("loader").and_then(|l| l.attr("secure")) == Some("yes")
        });
        let text = |n: &str| {
            os.and_then(|o| o.child(n))
                .map(|e| e.text())
                .filter(|t| !t.is_empty())
        };
        BootConfig {
            order,
            menu,
            menu_timeout_ms,
            firmware: if uefi { Firmware::Uefi } else { Firmware::Bios },
            secure_boot,
            kernel: text("kernel"),
            initrd: text("initrd"),
            cmdline: text("cmdline"),
        }
    }

    pub fn set_boot(&mut self, b: &BootConfig) {
        let old = self.boot();
        let os = self.root_mut().ensure_child("os");
        if old.order != b.order {
            // The <boot> elements follow <type> (or <loader>/<nvram>), in order.
            os.remove_children(|e| e.name == "boot");
            for dev in b.order.iter().rev() {
                let boot = Element::new("boot").with_attr("dev", dev);
                insert_after(os, boot, &["type"]);
            }
        }
        // The boot menu is switched by its attribute, in place: turned off and on
        // again, it keeps its timeout (and whatever else a newer libvirt put there).
        if old.menu != b.menu || old.menu_timeout_ms != b.menu_timeout_ms {
            if os.child("bootmenu").is_none() {
                insert_after(
                    os,
                    Element::new("bootmenu"),
                    &["type", "loader", "nvram", "boot"],
                );
            }
            if let Some(m) = os.child_mut("bootmenu") {
                m.set_attr("enable", if b.menu { "yes" } else { "no" });
                match b.menu_timeout_ms {
                    Some(t) => m.set_attr("timeout", &t.to_string()),
                    None => {
                        m.remove_attr("timeout");
                    }
                }
            }
        }
        if old.firmware != b.firmware || old.secure_boot != b.secure_boot {
            match b.firmware {
                Firmware::Bios => {
                    os.remove_attr("firmware");
                    os.remove_children(|e| {
                        e.name == "firmware" || e.name == "loader" || e.name == "nvram"
                    });
                }
                Firmware::Uefi => {
                    if os.child("loader").is_none() {
                        os.set_attr("firmware", "efi");
                    }
                    if b.secure_boot != old.secure_boot || old.firmware != Firmware::Uefi {
                        if let Some(l) = os.child_mut("loader") {
                            l.set_attr("secure", if b.secure_boot { "yes" } else { "no" });
                        } else {
                            os.remove_children(|e| e.name == "firmware");
                            if b.secure_boot {
                                let fw = Element::new("firmware")
                                    .with_child(
                                        Element::new("feature")
                                            .with_attr("enabled", "yes")
                                            .with_attr("name", "secure-boot"),
                                    )
                                    .with_child(
                                        Element::new("feature")
                                            .with_attr("enabled", "yes")
                                            .with_attr("name", "enrolled-keys"),
                                    );
                                insert_after(os, fw, &["type"]);
                            }
                        }
                    }
                }
            }
            // Secure boot needs SMM.
            if b.firmware == Firmware::Uefi && b.secure_boot {
                let features = self.root_mut().ensure_child("features");
                if features.child("smm").is_none() {
                    features.append_child(Element::new("smm").with_attr("state", "on"));
                }
            }
        }
        let os = self.root_mut().ensure_child("os");
        for (name, old, new) in [
            ("kernel", &old.kernel, &b.kernel),
            ("initrd", &old.initrd, &b.initrd),
            ("cmdline", &old.cmdline, &b.cmdline),
        ] {
            if old == new {
                continue;
            }
            match new {
                Some(v) => match os.child_mut(name) {
                    Some(e) => e.set_text(v),
                    None => insert_after(
                        os,
                        Element::new(name).with_text(v),
                        &["type", "boot", "loader", "nvram", "kernel", "initrd"],
                    ),
                },
                None => {
                    os.remove_children(|e| e.name == name);
                }
            }
        }
    }

    /// The devices that can boot, in the order they are tried, then the others
    /// (off). Per-device `<boot order=…>` when the domain has it; else the old
    /// `<os><boot dev=…>` list, read as the first device of each kind it names.
    pub fn boot_entries(&self) -> Vec<BootEntry> {
        let devices = self.devices();
        let bootable: Vec<&DeviceEntry> = devices
            .iter()
            .filter(|d| {
                matches!(
                    d.kind,
                    DeviceKind::Disk
                        | DeviceKind::Cdrom
                        | DeviceKind::Floppy
                        | DeviceKind::Interface
                        | DeviceKind::HostdevUsb
                        | DeviceKind::HostdevPci
                        | DeviceKind::Hostdev
                        | DeviceKind::Redirdev
                )
            })
            .collect();
        let order_of = |d: &DeviceEntry| -> Option<u32> {
            self.device(d.index)?
                .child("boot")?
                .attr("order")?
                .trim()
                .parse()
                .ok()
        };
        let mut first: Vec<(u32, usize)> = bootable
            .iter()
            .enumerate()
            .filter_map(|(i, d)| order_of(d).map(|o| (o, i)))
            .collect();
        if first.is_empty() {
            // Old style: each <boot dev> picks the first device of its kind.
            let legacy = self.boot().order;
            let mut taken = Vec::new();
            for (n, dev) in legacy.iter().enumerate() {
                let kind_fits = |k: DeviceKind| match dev.as_str() {
                    "hd" => k == DeviceKind::Disk,
                    "cdrom" => k == DeviceKind::Cdrom,
                    "fd" => k == DeviceKind::Floppy,
                    "network" => k == DeviceKind::Interface,
                    _ => false,
                };
                if let Some(i) = bootable
                    .iter()
                    .enumerate()
                    .position(|(i, d)| kind_fits(d.kind) && !taken.contains(&i))
                {
                    taken.push(i);
                    first.push((n as u32, i));
                }
            }
        }
        first.sort();
        let mut out: Vec<BootEntry> = first
            .iter()
            .map(|(_, i)| BootEntry::of(bootable[*i], true))
            .collect();
        for (i, d) in bootable.iter().enumerate() {
            if !first.iter().any(|(_, j)| *j == i) {
                out.push(BootEntry::of(d, false));
            }
        }
        out
    }

    /// Boot from these devices (by [`BootEntry::index`]), in this order: each gets
    /// `<boot order=…>` and every other device and `<os>` lose theirs (libvirt takes
    /// one style or the other, never both).
    pub fn set_boot_entries(&mut self, order: &[usize]) {
        self.root_mut()
            .ensure_child("os")
            .remove_children(|e| e.name == "boot");
        let indices = self.device_indices();
        for i in indices {
            if let Some(el) = self.device_mut(i) {
                el.remove_children(|e| e.name == "boot");
            }
        }
        for (n, i) in order.iter().enumerate() {
            if let Some(el) = self.device_mut(*i) {
                let boot = Element::new("boot").with_attr("order", &(n + 1).to_string());
                insert_after(el, boot, &["source", "target", "driver", "mac", "model"]);
            }
        }
    }

    // -- Devices --------------------------------------------------------------------

    fn devices_el(&self) -> Option<&Element> {
        self.root().child("devices")
    }

    /// The device element at `index` among `<devices>`' child elements.
    pub fn device(&self, index: usize) -> Option<&Element> {
        self.devices_el()?.elements().nth(index)
    }

    pub fn device_mut(&mut self, index: usize) -> Option<&mut Element> {
        self.root_mut()
            .child_mut("devices")?
            .elements_mut()
            .nth(index)
    }

    /// The positions of the device elements (`<emulator>` is not one), cheaper than
    /// [`DomainXml::devices`] when names are not needed.
    pub fn device_indices(&self) -> Vec<usize> {
        self.devices_el()
            .map(|d| {
                d.elements()
                    .enumerate()
                    .filter(|(_, e)| DeviceKind::of(e).is_some())
                    .map(|(i, _)| i)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The devices with the names people read, in document order.
    pub fn devices(&self) -> Vec<DeviceEntry> {
        self.devices_with_sizes(&|_| None)
    }

    /// As [`DomainXml::devices`], with disk sizes (bytes) from `size_of(path)`.
    pub fn devices_with_sizes(&self, size_of: &dyn Fn(&str) -> Option<u64>) -> Vec<DeviceEntry> {
        let Some(devs) = self.devices_el() else {
            return Vec::new();
        };
        let mut counts: std::collections::HashMap<DeviceKind, usize> = Default::default();
        let mut out = Vec::new();
        for (index, el) in devs.elements().enumerate() {
            let Some(kind) = DeviceKind::of(el) else {
                continue;
            };
            let n = counts.entry(kind).or_insert(0);
            *n += 1;
            let name = device_name(el, kind, *n, size_of);
            out.push(DeviceEntry { index, kind, name });
        }
        out
    }

    /// Add a device in its kind's place (after the last of its kind); returns its index.
    pub fn add_device(&mut self, el: Element) -> usize {
        let name = el.name.clone();
        let devs = self.root_mut().ensure_child("devices");
        let same = devs.elements().filter(|e| e.name == name).count();
        if same > 0 {
            insert_after(devs, el, &[name.as_str()]);
        } else {
            devs.append_child(el);
        }
        let mut seen = 0;
        for (i, e) in devs.elements().enumerate() {
            if e.name == name {
                seen += 1;
                if seen == same + 1 {
                    return i;
                }
            }
        }
        devs.elements().count().saturating_sub(1)
    }

    /// Remove the device at `index`; returns it.
    pub fn remove_device(&mut self, index: usize) -> Option<Element> {
        let devs = self.root_mut().child_mut("devices")?;
        let taken = devs.elements().nth(index)?.clone();
        let mut i = 0;
        devs.remove_children(|_| {
            let hit = i == index;
            i += 1;
            hit
        });
        Some(taken)
    }

    /// The disk targets in use (`vda`, `sda`, …).
    pub fn disk_targets(&self) -> Vec<String> {
        self.devices_el()
            .map(|d| {
                d.children_named("disk")
                    .filter_map(|e| at(e, &["target"]).and_then(|t| t.attr("dev")))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first free target name for a disk on `bus`: vda, vdb… / sda… / hda….
    pub fn next_target(&self, bus: &str) -> String {
        let prefix = target_prefix(bus);
        let used: HashSet<String> = self.disk_targets().into_iter().collect();
        (0..)
            .map(|i| format!("{prefix}{}", target_suffix(i)))
            .find(|t| !used.contains(t))
            .unwrap_or_else(|| format!("{prefix}a"))
    }

    /// The bus a new disk should use on this domain.
    pub fn default_disk_bus(&self, cdrom: bool) -> &'static str {
        if cdrom {
            if self.is_q35() {
                "sata"
            } else {
                "ide"
            }
        } else {
            "virtio"
        }
    }
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
fn target_suffix(mut i: usize) -> String {
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

fn file_name(path: &str) -> &str {
    path.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(path)
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn named(label: String, detail: &str) -> String {
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

fn pci_address(v: &HostdevView) -> String {
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

// ---------------------------------------------------------------------------------------
// Validation: pure functions with field-tied messages.

/// A MAC address as libvirt takes it: six hex pairs with colons, unicast.
pub fn validate_mac(mac: &str) -> Result<(), String> {
    let parts: Vec<&str> = mac.split(':').collect();
    let well_formed = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()));
    if !well_formed {
        return Err(gettext(
            "A MAC address is six pairs of hexadecimal digits, like 52:54:00:12:34:56",
        ));
    }
    let first = u8::from_str_radix(parts[0], 16).unwrap_or(0);
    if first & 1 == 1 {
        return Err(gettext(
            "This is a multicast address; a network card needs a unicast one",
        ));
    }
    Ok(())
}

pub fn validate_memory(m: &MemoryConfig, host_kib: Option<u64>) -> Vec<FieldError> {
    let mut out = Vec::new();
    if m.max_kib < 1024 {
        out.push(FieldError::new(
            "max_memory",
            gettext("A virtual machine needs at least 1 MiB of memory"),
        ));
    }
    if let Some(host) = host_kib.filter(|h| *h > 0 && m.max_kib > *h) {
        out.push(FieldError::new(
            "max_memory",
            gettext_f(
                "More than the host has ({size})",
                &[("size", &format_bytes(host.saturating_mul(1024)))],
            ),
        ));
    }
    if let Some(cur) = m.current_kib {
        if cur > m.max_kib {
            out.push(FieldError::new(
                "memory",
                gettext("The current allocation cannot exceed the maximum"),
            ));
        }
        if cur < 1024 {
            out.push(FieldError::new(
                "memory",
                gettext("A virtual machine needs at least 1 MiB of memory"),
            ));
        }
    }
    out
}

pub fn validate_cpu(c: &CpuConfig, hypervisor_max: Option<u32>) -> Vec<FieldError> {
    let mut out = Vec::new();
    if c.max == 0 {
        out.push(FieldError::new(
            "max_vcpus",
            gettext("At least one virtual CPU is needed"),
        ));
    }
    if let Some(hv) = hypervisor_max.filter(|h| *h > 0 && c.max > *h) {
        out.push(FieldError::new(
            "max_vcpus",
            gettext_f(
                "The hypervisor allows at most {n} virtual CPUs",
                &[("n", &hv.to_string())],
            ),
        ));
    }
    if let Some(cur) = c.current {
        if cur == 0 {
            out.push(FieldError::new(
                "vcpus",
                gettext("At least one virtual CPU is needed"),
            ));
        }
        if cur > c.max {
            out.push(FieldError::new(
                "vcpus",
                gettext("More virtual CPUs than the maximum"),
            ));
        }
    }
    if let Some(t) = c.topology {
        let product =
            u64::from(t.sockets) * u64::from(t.dies) * u64::from(t.cores) * u64::from(t.threads);
        if product != u64::from(c.max) {
            out.push(FieldError::new(
                "topology",
                gettext_f(
                    "Sockets × dies × cores × threads must equal the maximum vCPUs ({n})",
                    &[("n", &c.max.to_string())],
                ),
            ));
        }
    }
    if c.mode == CpuMode::Custom && c.model.as_deref().unwrap_or("").trim().is_empty() {
        out.push(FieldError::new("cpu_model", gettext("Choose a CPU model")));
    }
    out
}

pub fn validate_name(name: &str) -> Option<String> {
    let n = name.trim();
    if n.is_empty() {
        Some(gettext("The name cannot be empty"))
    } else if n.contains('/') || n.chars().any(char::is_control) {
        Some(gettext("The name cannot contain “/” or control characters"))
    } else {
        None
    }
}

/// Whether a local path exists (a file, device or directory).
pub fn path_exists(path: &str) -> bool {
    Path::new(path).exists()
}

// ---------------------------------------------------------------------------------------
// The form layer: what the Hardware page shows and edits.

/// Which page of the Hardware list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    General,
    Cpu,
    Memory,
    Boot,
    Device(usize),
}

/// How a field is edited.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    Text,
    /// Text of several lines (a description).
    LongText,
    /// One of these `(value, label)` pairs.
    Choice(Vec<(String, String)>),
    Toggle,
    Number {
        min: u64,
        max: u64,
    },
    ReadOnly,
    /// The devices to boot from, in order, each on or off; the value is
    /// [`boot_order_value`].
    BootOrder(Vec<BootEntry>),
}

/// One row of a form.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    pub id: String,
    pub label: String,
    pub kind: FieldKind,
    /// The value as text ("yes"/"no" for toggles, "" for none).
    pub value: String,
}

fn choice(values: &[&str]) -> FieldKind {
    FieldKind::Choice(
        values
            .iter()
            .map(|v| {
                let label = if v.is_empty() {
                    gettext("Default")
                } else {
                    (*v).to_string()
                };
                ((*v).to_string(), label)
            })
            .collect(),
    )
}

fn spec(id: &str, label: String, kind: FieldKind, value: impl Into<String>) -> FieldSpec {
    FieldSpec {
        id: id.to_string(),
        label,
        kind,
        value: value.into(),
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn opt(v: &str) -> Option<String> {
    let t = v.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

fn parse_num(v: &str) -> Result<u64, String> {
    v.trim()
        .parse()
        .map_err(|_| gettext_f("“{value}” is not a whole number", &[("value", v.trim())]))
}

const MIB: u64 = 1024;

impl DomainXml {
    /// The fields of a section, with their current values.
    pub fn form(&self, section: Section) -> Vec<FieldSpec> {
        match section {
            Section::General => {
                let g = self.general();
                vec![
                    spec("name", gettext("Name"), FieldKind::Text, g.name),
                    spec("title", gettext("Title"), FieldKind::Text, g.title),
                    spec(
                        "description",
                        gettext("Description"),
                        FieldKind::LongText,
                        g.description,
                    ),
                    spec(
                        "uuid",
                        "UUID".to_string(),
                        FieldKind::ReadOnly,
                        self.uuid().unwrap_or_default(),
                    ),
                ]
            }
            Section::Cpu => {
                let c = self.cpu();
                let t = c.topology.unwrap_or_default();
                let mut f = vec![
                    spec(
                        "vcpus",
                        gettext("Virtual CPUs"),
                        FieldKind::Number { min: 1, max: 4096 },
                        c.current.unwrap_or(c.max).to_string(),
                    ),
                    spec(
                        "max_vcpus",
                        gettext("Maximum Virtual CPUs"),
                        FieldKind::Number { min: 1, max: 4096 },
                        c.max.to_string(),
                    ),
                    spec(
                        "cpu_mode",
                        gettext("CPU Model"),
                        FieldKind::Choice(vec![
                            ("default".into(), gettext("Hypervisor Default")),
                            ("host-passthrough".into(), gettext("Host Passthrough")),
                            ("host-model".into(), gettext("Host Model")),
                            ("maximum".into(), gettext("Maximum")),
                            ("custom".into(), gettext("Named Model")),
                        ]),
                        c.mode.id(),
                    ),
                    spec(
                        "cpu_model",
                        gettext("Named Model"),
                        FieldKind::Text,
                        c.model.unwrap_or_default(),
                    ),
                    spec(
                        "topology",
                        gettext("Manual Topology"),
                        FieldKind::Toggle,
                        yes(c.topology.is_some()),
                    ),
                ];
                if c.mode != CpuMode::Custom {
                    f.retain(|s| s.id != "cpu_model");
                }
                if c.topology.is_some() {
                    for (id, label, v) in [
                        ("sockets", gettext("Sockets"), t.sockets),
                        ("cores", gettext("Cores"), t.cores),
                        ("threads", gettext("Threads"), t.threads),
                    ] {
                        f.push(spec(
                            id,
                            label,
                            FieldKind::Number { min: 1, max: 4096 },
                            v.to_string(),
                        ));
                    }
                }
                f
            }
            Section::Memory => {
                let m = self.memory();
                vec![
                    spec(
                        "memory",
                        gettext("Current Memory (MiB)"),
                        FieldKind::Number {
                            min: 1,
                            max: u64::MAX / MIB,
                        },
                        (m.current_kib.unwrap_or(m.max_kib) / MIB).to_string(),
                    ),
                    spec(
                        "max_memory",
                        gettext("Maximum Memory (MiB)"),
                        FieldKind::Number {
                            min: 1,
                            max: u64::MAX / MIB,
                        },
                        (m.max_kib / MIB).to_string(),
                    ),
                    spec(
                        "shared",
                        gettext("Shared Memory (for virtiofs)"),
                        FieldKind::Toggle,
                        yes(m.shared),
                    ),
                ]
            }
            Section::Boot => {
                let b = self.boot();
                let entries = self.boot_entries();
                vec![
                    spec(
                        "firmware",
                        gettext("Firmware"),
                        FieldKind::Choice(vec![
                            ("bios".into(), "BIOS".into()),
                            ("uefi".into(), "UEFI".into()),
                        ]),
                        match b.firmware {
                            Firmware::Bios => "bios",
                            Firmware::Uefi => "uefi",
                        },
                    ),
                    // Secure boot is a UEFI feature: with BIOS the row says so, unless
                    // the definition has it on anyway (then it can be switched off).
                    if b.firmware == Firmware::Bios && !b.secure_boot {
                        spec(
                            "secure_boot",
                            gettext("Secure Boot"),
                            FieldKind::ReadOnly,
                            gettext("Only with UEFI firmware"),
                        )
                    } else {
                        spec(
                            "secure_boot",
                            gettext("Secure Boot"),
                            FieldKind::Toggle,
                            yes(b.secure_boot),
                        )
                    },
                    spec(
                        "boot_order",
                        gettext("Boot Order"),
                        FieldKind::BootOrder(entries.clone()),
                        boot_order_value(&entries),
                    ),
                    spec(
                        "boot_menu",
                        gettext("Boot Menu"),
                        FieldKind::Toggle,
                        yes(b.menu),
                    ),
                    spec(
                        "boot_menu_timeout",
                        gettext("Boot Menu Timeout (seconds)"),
                        FieldKind::Number { min: 0, max: 65 },
                        b.menu_timeout_ms
                            .map(|t| (t / 1000).to_string())
                            .unwrap_or_default(),
                    ),
                    spec(
                        "kernel",
                        gettext("Kernel Path"),
                        FieldKind::Text,
                        b.kernel.unwrap_or_default(),
                    ),
                    spec(
                        "initrd",
                        gettext("Initrd Path"),
                        FieldKind::Text,
                        b.initrd.unwrap_or_default(),
                    ),
                    spec(
                        "cmdline",
                        gettext("Kernel Arguments"),
                        FieldKind::Text,
                        b.cmdline.unwrap_or_default(),
                    ),
                ]
            }
            Section::Device(i) => match self.device(i) {
                Some(el) => device_form(el),
                None => Vec::new(),
            },
        }
    }

    /// Set one field from its text. An error means the text cannot be taken at all
    /// (not a number…); the document is then unchanged.
    pub fn set_field(&mut self, section: Section, id: &str, value: &str) -> Result<(), String> {
        match section {
            Section::General => {
                let mut g = self.general();
                match id {
                    "name" => g.name = value.trim().to_string(),
                    "title" => g.title = value.to_string(),
                    "description" => g.description = value.to_string(),
                    _ => return Ok(()),
                }
                self.set_general(&g);
            }
            Section::Cpu => {
                let mut c = self.cpu();
                match id {
                    "vcpus" => {
                        let n = parse_num(value)? as u32;
                        c.current = Some(n).filter(|n| *n != c.max);
                    }
                    "max_vcpus" => {
                        // Without `current` all vCPUs are plugged, and stay so.
                        c.max = parse_num(value)? as u32;
                        c.current = c.current.filter(|n| *n != c.max);
                        if let Some(t) = c.topology.as_mut() {
                            // Keep the topology consistent where it is simple to.
                            if t.sockets == 1 && t.dies == 1 && t.threads == 1 {
                                t.cores = c.max;
                            }
                        }
                    }
                    "cpu_mode" => {
                        c.mode =
                            CpuMode::from_id(value).ok_or_else(|| gettext("Unknown CPU mode"))?
                    }
                    "cpu_model" => c.model = opt(value),
                    "topology" => {
                        c.topology = (value == "yes").then_some(c.topology.unwrap_or(Topology {
                            sockets: 1,
                            dies: 1,
                            cores: c.max,
                            threads: 1,
                        }))
                    }
                    "sockets" | "cores" | "threads" => {
                        let n = parse_num(value)? as u32;
                        let t = c.topology.get_or_insert(Topology {
                            sockets: 1,
                            dies: 1,
                            cores: 1,
                            threads: 1,
                        });
                        match id {
                            "sockets" => t.sockets = n,
                            "cores" => t.cores = n,
                            _ => t.threads = n,
                        }
                    }
                    _ => return Ok(()),
                }
                self.set_cpu(&c);
            }
            Section::Memory => {
                let mut m = self.memory();
                match id {
                    "memory" => {
                        let k = parse_num(value)?.saturating_mul(MIB);
                        let had = m.current_kib.is_some();
                        m.current_kib = Some(k).filter(|k| had || *k != m.max_kib);
                    }
                    "max_memory" => {
                        let had = m.current_kib.is_some();
                        let cur = m.current_kib.unwrap_or(m.max_kib);
                        m.max_kib = parse_num(value)?.saturating_mul(MIB);
                        m.current_kib = had.then_some(cur);
                    }
                    "shared" => m.shared = value == "yes",
                    _ => return Ok(()),
                }
                self.set_memory(&m);
            }
            Section::Boot => {
                let mut b = self.boot();
                match id {
                    "firmware" => {
                        b.firmware = if value == "uefi" {
                            Firmware::Uefi
                        } else {
                            Firmware::Bios
                        }
                    }
                    "secure_boot" => b.secure_boot = value == "yes",
                    "boot_order" => {
                        let on: Vec<usize> = value
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.starts_with('-'))
                            .filter_map(|s| s.parse().ok())
                            .collect();
                        // The same order written back changes nothing (an old-style
                        // <os><boot> list stays as it is until the order changes).
                        let now: Vec<usize> = self
                            .boot_entries()
                            .iter()
                            .filter(|e| e.enabled)
                            .map(|e| e.index)
                            .collect();
                        if now != on {
                            self.set_boot_entries(&on);
                        }
                        return Ok(());
                    }
                    "boot_menu" => b.menu = value == "yes",
                    "boot_menu_timeout" => {
                        b.menu_timeout_ms = if value.trim().is_empty() {
                            None
                        } else {
                            let secs = parse_num(value)?;
                            if secs > 65 {
                                return Err(gettext("The boot menu waits at most 65 seconds"));
                            }
                            Some(secs as u32 * 1000)
                        }
                    }
                    "kernel" => b.kernel = opt(value),
                    "initrd" => b.initrd = opt(value),
                    "cmdline" => b.cmdline = opt(value),
                    _ => return Ok(()),
                }
                self.set_boot(&b);
            }
            Section::Device(i) => {
                let old_bus = self
                    .device(i)
                    .filter(|e| e.name == "disk")
                    .and_then(|e| DiskView::read(e).bus);
                let Some(el) = self.device_mut(i) else {
                    return Ok(());
                };
                set_device_field(el, id, value)?;
                if id == "bus" && old_bus.is_some() && old_bus.as_deref() != Some(value) {
                    self.move_disk_to_bus(i, value);
                }
            }
        }
        Ok(())
    }

    /// A disk moved to another bus: its `<address>` belonged to the old one (a PCI
    /// slot for virtio; libvirt refuses it for SATA), so it goes and libvirt assigns a
    /// new one; and its target name follows the bus (`vda` on virtio becomes the next
    /// free `sdX` on SATA or SCSI).
    fn move_disk_to_bus(&mut self, index: usize, bus: &str) {
        let target = self
            .device(index)
            .map(DiskView::read)
            .and_then(|v| v.target)
            .unwrap_or_default();
        let retarget = !target.starts_with(target_prefix(bus));
        let new_target = retarget.then(|| self.next_target(bus));
        let Some(el) = self.device_mut(index) else {
            return;
        };
        el.remove_children(|c| c.name == "address");
        if let Some(t) = new_target {
            let mut v = DiskView::read(el);
            v.target = Some(t);
            v.write(el);
        }
    }

    /// Everything wrong with a section as it stands.
    pub fn validate(&self, section: Section, ctx: &ValidationContext) -> Vec<FieldError> {
        match section {
            Section::General => validate_name(&self.general().name)
                .map(|m| vec![FieldError::new("name", m)])
                .unwrap_or_default(),
            Section::Cpu => validate_cpu(&self.cpu(), ctx.max_vcpus),
            Section::Memory => validate_memory(&self.memory(), ctx.host_memory_kib),
            Section::Boot => {
                let b = self.boot();
                let mut out = Vec::new();
                if b.secure_boot && b.firmware != Firmware::Uefi {
                    out.push(FieldError::new(
                        "secure_boot",
                        gettext("Secure boot needs UEFI firmware"),
                    ));
                }
                if ctx.local {
                    for (id, p) in [("kernel", &b.kernel), ("initrd", &b.initrd)] {
                        if let Some(p) = p.as_deref().filter(|p| !path_exists(p)) {
                            out.push(FieldError::new(
                                id,
                                gettext_f("“{path}” does not exist", &[("path", p)]),
                            ));
                        }
                    }
                }
                out
            }
            Section::Device(i) => match self.device(i) {
                Some(el) => self.validate_device(i, el, ctx),
                None => Vec::new(),
            },
        }
    }

    /// Every error of every section.
    pub fn validate_all(&self, ctx: &ValidationContext) -> Vec<(Section, FieldError)> {
        let mut sections = vec![
            Section::General,
            Section::Cpu,
            Section::Memory,
            Section::Boot,
        ];
        sections.extend(self.device_indices().into_iter().map(Section::Device));
        sections
            .into_iter()
            .flat_map(|s| self.validate(s, ctx).into_iter().map(move |e| (s, e)))
            .collect()
    }

    fn validate_device(
        &self,
        index: usize,
        el: &Element,
        ctx: &ValidationContext,
    ) -> Vec<FieldError> {
        let mut out = Vec::new();
        match el.name.as_str() {
            "disk" => {
                let v = DiskView::read(el);
                match v.target.as_deref() {
                    None | Some("") => out.push(FieldError::new(
                        "target",
                        gettext("Every disk needs a target name"),
                    )),
                    Some(t) => {
                        let dup = self
                            .devices_el()
                            .map(|d| {
                                d.elements().enumerate().any(|(j, e)| {
                                    j != index
                                        && e.name == "disk"
                                        && at(e, &["target"]).and_then(|x| x.attr("dev")) == Some(t)
                                })
                            })
                            .unwrap_or(false);
                        if dup {
                            out.push(FieldError::new(
                                "target",
                                gettext_f("Another disk already uses “{target}”", &[("target", t)]),
                            ));
                        }
                    }
                }
                let source = DiskView::source(el);
                if source.is_none() && !v.is_cdrom() && v.source_type.as_deref() != Some("network")
                {
                    out.push(FieldError::new(
                        "source",
                        gettext("A disk needs a file or device"),
                    ));
                }
                if ctx.local
                    && matches!(
                        v.source_type.as_deref(),
                        Some("file") | Some("block") | None
                    )
                {
                    if let Some(p) = source.filter(|p| !path_exists(p)) {
                        out.push(FieldError::new(
                            "source",
                            gettext_f("“{path}” does not exist", &[("path", &p)]),
                        ));
                    }
                }
            }
            "interface" => {
                if let Some(mac) = InterfaceView::read(el).mac {
                    if let Err(m) = validate_mac(&mac) {
                        out.push(FieldError::new("mac", m));
                    }
                }
                let v = InterfaceView::read(el);
                if matches!(
                    v.kind.as_deref(),
                    Some("network") | Some("bridge") | Some("direct")
                ) && InterfaceView::source(el).is_none()
                {
                    out.push(FieldError::new(
                        "source",
                        gettext("Choose what the interface connects to"),
                    ));
                }
            }
            "graphics" => {
                let v = GraphicsView::read(el);
                if v.autoport.as_deref() != Some("yes") {
                    if let Some(p) = v.port.as_deref() {
                        match p.parse::<i64>() {
                            Ok(-1) => {}
                            Ok(n) if (5900..=65535).contains(&n) => {}
                            _ => out.push(FieldError::new(
                                "port",
                                gettext("The port must be between 5900 and 65535"),
                            )),
                        }
                    }
                }
            }
            "filesystem" => {
                let v = FilesystemView::read(el);
                if v.target.as_deref().unwrap_or("").is_empty() {
                    out.push(FieldError::new("target", gettext("A mount tag is needed")));
                }
                if ctx.local {
                    if let Some(p) = v.source.as_deref().filter(|p| !path_exists(p)) {
                        out.push(FieldError::new(
                            "source",
                            gettext_f("“{path}” does not exist", &[("path", p)]),
                        ));
                    }
                }
                if v.driver.as_deref() == Some("virtiofs") && !self.memory().shared {
                    out.push(FieldError::new(
                        "driver",
                        gettext("virtiofs needs shared memory (see Memory)"),
                    ));
                }
            }
            _ => {}
        }
        out
    }
}

fn view_fields<F: Fn(&str) -> Option<String>>(
    rows: &[(&str, String, FieldKind)],
    get: F,
) -> Vec<FieldSpec> {
    rows.iter()
        .map(|(id, label, kind)| {
            let value = get(id).unwrap_or_default();
            let kind = match kind {
                FieldKind::Choice(c)
                    if !value.is_empty() && !c.iter().any(|(v, _)| *v == value) =>
                {
                    let mut c = c.clone();
                    c.push((value.clone(), value.clone()));
                    FieldKind::Choice(c)
                }
                k => k.clone(),
            };
            spec(id, label.clone(), kind, value)
        })
        .collect()
}

/// The rows of a device's editor.
pub fn device_form(el: &Element) -> Vec<FieldSpec> {
    let toggle = |v: &Option<String>| Some(yes(v.is_some()).to_string());
    match el.name.as_str() {
        "disk" => {
            let v = DiskView::read(el);
            let mut rows = vec![
                ("source", gettext("Source Path"), FieldKind::Text),
                (
                    "bus",
                    gettext("Bus"),
                    choice(&["virtio", "sata", "scsi", "ide", "usb"]),
                ),
                ("target", gettext("Target"), FieldKind::Text),
                ("format", gettext("Format"), choice(&["qcow2", "raw"])),
                (
                    "cache",
                    gettext("Cache"),
                    choice(&[
                        "",
                        "none",
                        "writeback",
                        "writethrough",
                        "directsync",
                        "unsafe",
                    ]),
                ),
                (
                    "discard",
                    gettext("Discard"),
                    choice(&["", "unmap", "ignore"]),
                ),
                ("readonly", gettext("Read-Only"), FieldKind::Toggle),
                ("shareable", gettext("Shareable"), FieldKind::Toggle),
            ];
            if v.is_cdrom() {
                rows.retain(|(id, _, _)| !matches!(*id, "discard" | "shareable"));
            }
            view_fields(&rows, |id| match id {
                "source" => DiskView::source(el),
                "readonly" => toggle(&v.readonly),
                "shareable" => toggle(&v.shareable),
                other => v.field(other).map(str::to_string),
            })
        }
        "interface" => {
            let v = InterfaceView::read(el);
            let mut rows = vec![
                (
                    "kind",
                    gettext("Connection"),
                    FieldKind::Choice(vec![
                        ("network".into(), gettext("Virtual Network")),
                        ("bridge".into(), gettext("Host Bridge")),
                        ("direct".into(), gettext("Macvtap (Direct)")),
                        ("user".into(), gettext("User Mode")),
                    ]),
                ),
                ("source", gettext("Network or Device"), FieldKind::Text),
                (
                    "model",
                    gettext("Model"),
                    choice(&["virtio", "e1000e", "e1000", "rtl8139"]),
                ),
                ("mac", gettext("MAC Address"), FieldKind::Text),
                ("link", gettext("Link Up"), FieldKind::Toggle),
            ];
            if v.kind.as_deref() == Some("user") {
                rows.retain(|(id, _, _)| *id != "source");
            }
            view_fields(&rows, |id| match id {
                "source" => InterfaceView::source(el),
                "link" => Some(yes(v.link.as_deref() != Some("down")).to_string()),
                other => v.field(other).map(str::to_string),
            })
        }
        "graphics" => {
            let v = GraphicsView::read(el);
            view_fields(
                &[
                    ("kind", gettext("Type"), choice(&["vnc", "spice"])),
                    ("listen", gettext("Listen Address"), FieldKind::Text),
                    ("autoport", gettext("Automatic Port"), FieldKind::Toggle),
                    ("port", gettext("Port"), FieldKind::Text),
                    ("password", gettext("Password"), FieldKind::Text),
                ],
                |id| match id {
                    "listen" => GraphicsView::listen(el),
                    "autoport" => Some(yes(v.fixed_port().is_none()).to_string()),
                    "port" => v.fixed_port().map(|p| p.to_string()),
                    other => v.field(other).map(str::to_string),
                },
            )
        }
        "video" => {
            let v = VideoView::read(el);
            view_fields(
                &[
                    (
                        "model",
                        gettext("Model"),
                        choice(&["virtio", "qxl", "vga", "bochs", "ramfb", "none"]),
                    ),
                    ("heads", gettext("Heads"), FieldKind::Text),
                ],
                |id| v.field(id).map(str::to_string),
            )
        }
        "sound" => {
            let v = SoundView::read(el);
            view_fields(
                &[(
                    "model",
                    gettext("Model"),
                    choice(&["ich9", "ich6", "ac97", "es1370", "usb"]),
                )],
                |id| v.field(id).map(str::to_string),
            )
        }
        "input" => {
            let v = InputView::read(el);
            view_fields(
                &[
                    ("kind", gettext("Type"), FieldKind::ReadOnly),
                    ("bus", gettext("Bus"), choice(&["usb", "ps2", "virtio"])),
                ],
                |id| v.field(id).map(str::to_string),
            )
        }
        "serial" | "console" | "channel" | "parallel" => {
            let v = CharView::read(el);
            view_fields(
                &[
                    (
                        "kind",
                        gettext("Type"),
                        choice(&["pty", "unix", "file", "spicevmc", "null"]),
                    ),
                    ("target_type", gettext("Target Type"), FieldKind::ReadOnly),
                    ("target_name", gettext("Target Name"), FieldKind::Text),
                    ("path", gettext("Path"), FieldKind::Text),
                ],
                |id| v.field(id).map(str::to_string),
            )
        }
        "controller" => {
            let v = ControllerView::read(el);
            view_fields(
                &[
                    ("kind", gettext("Type"), FieldKind::ReadOnly),
                    ("index", gettext("Index"), FieldKind::ReadOnly),
                    ("model", gettext("Model"), FieldKind::Text),
                ],
                |id| v.field(id).map(str::to_string),
            )
        }
        "hostdev" => {
            let v = HostdevView::read(el);
            if v.kind.as_deref() == Some("pci") {
                let addr = pci_address(&v);
                vec![
                    spec("address", gettext("PCI Address"), FieldKind::Text, addr),
                    spec(
                        "managed",
                        gettext("Managed (detach from the host’s driver on start)"),
                        FieldKind::Toggle,
                        yes(v.managed.as_deref() == Some("yes")),
                    ),
                    spec(
                        "rom_bar",
                        gettext("Show the Device’s ROM to the Guest"),
                        FieldKind::Toggle,
                        yes(v.rom_bar.as_deref() != Some("off")),
                    ),
                ]
            } else {
                view_fields(
                    &[
                        ("vendor", gettext("Vendor ID"), FieldKind::Text),
                        ("product", gettext("Product ID"), FieldKind::Text),
                    ],
                    |id| v.field(id).map(str::to_string),
                )
            }
        }
        "tpm" => {
            let v = TpmView::read(el);
            view_fields(
                &[
                    ("model", gettext("Model"), choice(&["tpm-crb", "tpm-tis"])),
                    (
                        "backend",
                        gettext("Backend"),
                        choice(&["emulator", "passthrough"]),
                    ),
                    ("version", gettext("Version"), choice(&["2.0", "1.2"])),
                ],
                |id| v.field(id).map(str::to_string),
            )
        }
        "rng" => {
            let v = RngView::read(el);
            view_fields(
                &[
                    ("model", gettext("Model"), FieldKind::ReadOnly),
                    ("source", gettext("Host Device"), FieldKind::Text),
                ],
                |id| v.field(id).map(str::to_string),
            )
        }
        "watchdog" => {
            let v = WatchdogView::read(el);
            view_fields(
                &[
                    (
                        "model",
                        gettext("Model"),
                        choice(&["i6300esb", "ib700", "diag288"]),
                    ),
                    (
                        "action",
                        gettext("Action"),
                        choice(&[
                            "reset",
                            "shutdown",
                            "poweroff",
                            "pause",
                            "none",
                            "dump",
                            "inject-nmi",
                        ]),
                    ),
                ],
                |id| v.field(id).map(str::to_string),
            )
        }
        "filesystem" => {
            let v = FilesystemView::read(el);
            view_fields(
                &[
                    ("driver", gettext("Driver"), choice(&["virtiofs", "path"])),
                    ("source", gettext("Source Directory"), FieldKind::Text),
                    ("target", gettext("Mount Tag"), FieldKind::Text),
                    ("readonly", gettext("Read-Only"), FieldKind::Toggle),
                ],
                |id| match id {
                    "readonly" => toggle(&v.readonly),
                    other => v.field(other).map(str::to_string),
                },
            )
        }
        "panic" => {
            let v = PanicView::read(el);
            view_fields(
                &[(
                    "model",
                    gettext("Model"),
                    choice(&["isa", "pvpanic", "hyperv", "s390"]),
                )],
                |id| v.field(id).map(str::to_string),
            )
        }
        "smartcard" => {
            let v = SmartcardView::read(el);
            view_fields(
                &[
                    ("mode", gettext("Mode"), FieldKind::ReadOnly),
                    ("kind", gettext("Type"), FieldKind::ReadOnly),
                ],
                |id| v.field(id).map(str::to_string),
            )
        }
        "redirdev" => {
            let v = RedirdevView::read(el);
            view_fields(
                &[
                    ("bus", gettext("Bus"), FieldKind::ReadOnly),
                    ("kind", gettext("Type"), choice(&["spicevmc", "tcp"])),
                ],
                |id| v.field(id).map(str::to_string),
            )
        }
        "memballoon" => {
            let v = MemballoonView::read(el);
            view_fields(
                &[("model", gettext("Model"), choice(&["virtio", "none"]))],
                |id| v.field(id).map(str::to_string),
            )
        }
        _ => vec![spec(
            "element",
            gettext("Element"),
            FieldKind::ReadOnly,
            el.name.clone(),
        )],
    }
}

/// Set one field of a device element from its text.
pub fn set_device_field(el: &mut Element, id: &str, value: &str) -> Result<(), String> {
    let o = opt(value);
    match el.name.as_str() {
        "disk" => match id {
            "source" => DiskView::set_source(el, o.as_deref()),
            "readonly" | "shareable" => {
                let mut v = DiskView::read(el);
                v.set_field(id, (value == "yes").then(|| "yes".to_string()));
                v.write(el);
            }
            _ => {
                let mut v = DiskView::read(el);
                if v.set_field(id, o) {
                    v.write(el);
                }
            }
        },
        "interface" => match id {
            "kind" => {
                let source = InterfaceView::source(el);
                InterfaceView::set_kind_and_source(el, value, source.as_deref())
            }
            "source" => {
                let kind = el.attr("type").unwrap_or("network").to_string();
                InterfaceView::set_kind_and_source(el, &kind, o.as_deref())
            }
            "link" => {
                let mut v = InterfaceView::read(el);
                let up = value == "yes";
                // An absent <link> means up: keep it absent unless the link goes down.
                v.link = match (&v.link, up) {
                    (None, true) => None,
                    (_, up) => Some(if up { "up" } else { "down" }.to_string()),
                };
                v.write(el);
            }
            "mac" => {
                let mut v = InterfaceView::read(el);
                v.mac = o.map(|m| m.to_ascii_lowercase());
                v.write(el);
            }
            _ => {
                let mut v = InterfaceView::read(el);
                if v.set_field(id, o) {
                    v.write(el);
                }
            }
        },
        "graphics" => match id {
            "listen" => GraphicsView::set_listen(el, o.as_deref()),
            "autoport" => {
                let mut v = GraphicsView::read(el);
                if value == "yes" {
                    v.autoport = Some("yes".into());
                    v.port = None;
                } else {
                    v.autoport = Some("no".into());
                    if v.port.is_none() || v.port.as_deref() == Some("-1") {
                        v.port = Some("5900".into());
                    }
                }
                v.write(el);
            }
            "port" => {
                let mut v = GraphicsView::read(el);
                v.port = o;
                if v.port.is_some() {
                    v.autoport = Some("no".into());
                }
                v.write(el);
            }
            _ => {
                let mut v = GraphicsView::read(el);
                if v.set_field(id, o) {
                    v.write(el);
                }
            }
        },
        "filesystem" => {
            let mut v = FilesystemView::read(el);
            let val = if id == "readonly" {
                (value == "yes").then(|| "yes".to_string())
            } else {
                o
            };
            if v.set_field(id, val) {
                v.write(el);
            }
        }
        "video" => set_simple::<VideoView>(
            el,
            id,
            o,
            VideoView::read,
            |v, e| v.write(e),
            |v, i, x| v.set_field(i, x),
        ),
        "sound" => set_simple(
            el,
            id,
            o,
            SoundView::read,
            |v, e| v.write(e),
            |v, i, x| v.set_field(i, x),
        ),
        "input" => set_simple(
            el,
            id,
            o,
            InputView::read,
            |v, e| v.write(e),
            |v, i, x| v.set_field(i, x),
        ),
        "serial" | "console" | "channel" | "parallel" => set_simple(
            el,
            id,
            o,
            CharView::read,
            |v, e| v.write(e),
            |v, i, x| v.set_field(i, x),
        ),
        "controller" => set_simple(
            el,
            id,
            o,
            ControllerView::read,
            |v, e| v.write(e),
            |v, i, x| v.set_field(i, x),
        ),
        "hostdev" => match id {
            "address" => {
                let [d, b, s, f] = parse_pci_address(value)?;
                let mut v = HostdevView::read(el);
                v.pci_domain = Some(d);
                v.pci_bus = Some(b);
                v.pci_slot = Some(s);
                v.pci_function = Some(f);
                v.write(el);
            }
            "managed" => {
                let mut v = HostdevView::read(el);
                v.managed = Some(yes(value == "yes").to_string());
                v.write(el);
            }
            // Shown is libvirt's default: an explicit bar='on' is only written
            // where the element is there already.
            "rom_bar" => {
                let mut v = HostdevView::read(el);
                v.rom_bar = match (value == "yes", v.rom_bar.is_some()) {
                    (false, _) => Some("off".into()),
                    (true, true) => Some("on".into()),
                    (true, false) => None,
                };
                v.write(el);
            }
            _ => set_simple(
                el,
                id,
                o,
                HostdevView::read,
                |v, e| v.write(e),
                |v, i, x| v.set_field(i, x),
            ),
        },
        "tpm" => set_simple(
            el,
            id,
            o,
            TpmView::read,
            |v, e| v.write(e),
            |v, i, x| v.set_field(i, x),
        ),
        "rng" => set_simple(
            el,
            id,
            o,
            RngView::read,
            |v, e| v.write(e),
            |v, i, x| v.set_field(i, x),
        ),
        "watchdog" => set_simple(
            el,
            id,
            o,
            WatchdogView::read,
            |v, e| v.write(e),
            |v, i, x| v.set_field(i, x),
        ),
        "panic" => set_simple(
            el,
            id,
            o,
            PanicView::read,
            |v, e| v.write(e),
            |v, i, x| v.set_field(i, x),
        ),
        "smartcard" => set_simple(
            el,
            id,
            o,
            SmartcardView::read,
            |v, e| v.write(e),
            |v, i, x| v.set_field(i, x),
        ),
        "redirdev" => set_simple(
            el,
            id,
            o,
            RedirdevView::read,
            |v, e| v.write(e),
            |v, i, x| v.set_field(i, x),
        ),
        "memballoon" => set_simple(
            el,
            id,
            o,
            MemballoonView::read,
            |v, e| v.write(e),
            |v, i, x| v.set_field(i, x),
        ),
        _ => {}
    }
    Ok(())
}

fn set_simple<V>(
    el: &mut Element,
    id: &str,
    value: Option<String>,
    read: fn(&Element) -> V,
    write: fn(&V, &mut Element),
    set: fn(&mut V, &str, Option<String>) -> bool,
) {
    let mut v = read(el);
    if set(&mut v, id, value) {
        write(&v, el);
    }
}

// ---------------------------------------------------------------------------------------
// New devices with defaults that fit the domain.

/// Kinds the Add Hardware dialog offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewDevice {
    Disk,
    Cdrom,
    Interface,
    Graphics,
    Serial,
    Channel,
    Redirdev,
    Rng,
    Watchdog,
    Tpm,
    Sound,
    Filesystem,
    Panic,
    Smartcard,
    Input,
    UsbHost,
    PciHost,
}

impl NewDevice {
    pub const ALL: [NewDevice; 17] = [
        NewDevice::Disk,
        NewDevice::Cdrom,
        NewDevice::Interface,
        NewDevice::Graphics,
        NewDevice::Serial,
        NewDevice::Channel,
        NewDevice::Redirdev,
        NewDevice::Rng,
        NewDevice::Watchdog,
        NewDevice::Tpm,
        NewDevice::Sound,
        NewDevice::Filesystem,
        NewDevice::Panic,
        NewDevice::Smartcard,
        NewDevice::Input,
        NewDevice::UsbHost,
        NewDevice::PciHost,
    ];

    pub fn label(self) -> String {
        match self {
            NewDevice::Disk => gettext("Storage Disk"),
            NewDevice::Cdrom => gettext("CD-ROM Drive"),
            NewDevice::Interface => gettext("Network Interface"),
            NewDevice::Graphics => gettext("Graphics (VNC or SPICE)"),
            NewDevice::Serial => gettext("Serial Port"),
            NewDevice::Channel => gettext("Guest Agent Channel"),
            NewDevice::Redirdev => gettext("USB Redirection"),
            NewDevice::Rng => gettext("Random Number Generator"),
            NewDevice::Watchdog => gettext("Watchdog"),
            NewDevice::Tpm => gettext("TPM"),
            NewDevice::Sound => gettext("Sound Card"),
            NewDevice::Filesystem => gettext("Shared Folder (virtiofs)"),
            NewDevice::Panic => gettext("Panic Notifier"),
            NewDevice::Smartcard => gettext("Smartcard"),
            NewDevice::Input => gettext("Tablet"),
            NewDevice::UsbHost => gettext("USB Host Device"),
            NewDevice::PciHost => gettext("PCI Host Device"),
        }
    }

    /// Whether `dom` can take one more of these (libvirt allows one watchdog, one
    /// TPM emulator).
    pub fn allowed(self, dom: &DomainXml) -> bool {
        let has = |name: &str| {
            dom.devices_el()
                .is_some_and(|d| d.children_named(name).next().is_some())
        };
        match self {
            NewDevice::Watchdog => !has("watchdog"),
            NewDevice::Tpm => !has("tpm"),
            _ => true,
        }
    }

    pub fn icon_name(self) -> &'static str {
        let el = self.element(&DomainXml {
            doc: Document::new(Element::new("domain")),
        });
        DeviceKind::of(&el)
            .map(DeviceKind::icon_name)
            .unwrap_or("list-add-symbolic")
    }

    /// The element to add, with defaults that fit `dom`: bus, model, next free target.
    pub fn element(self, dom: &DomainXml) -> Element {
        match self {
            NewDevice::Disk => {
                let bus = dom.default_disk_bus(false);
                Element::new("disk")
                    .with_attr("type", "file")
                    .with_attr("device", "disk")
                    .with_child(
                        Element::new("driver")
                            .with_attr("name", "qemu")
                            .with_attr("type", "qcow2"),
                    )
                    .with_child(Element::new("source").with_attr("file", ""))
                    .with_child(
                        Element::new("target")
                            .with_attr("dev", &dom.next_target(bus))
                            .with_attr("bus", bus),
                    )
            }
            NewDevice::Cdrom => {
                let bus = dom.default_disk_bus(true);
                Element::new("disk")
                    .with_attr("type", "file")
                    .with_attr("device", "cdrom")
                    .with_child(
                        Element::new("driver")
                            .with_attr("name", "qemu")
                            .with_attr("type", "raw"),
                    )
                    .with_child(
                        Element::new("target")
                            .with_attr("dev", &dom.next_target(bus))
                            .with_attr("bus", bus),
                    )
                    .with_child(Element::new("readonly"))
            }
            NewDevice::Interface => Element::new("interface")
                .with_attr("type", "network")
                .with_child(Element::new("source").with_attr("network", "default"))
                .with_child(Element::new("model").with_attr("type", "virtio")),
            NewDevice::Graphics => Element::new("graphics")
                .with_attr("type", "vnc")
                .with_attr("port", "-1")
                .with_attr("autoport", "yes")
                .with_child(
                    Element::new("listen")
                        .with_attr("type", "address")
                        .with_attr("address", "127.0.0.1"),
                ),
            NewDevice::Serial => Element::new("serial").with_attr("type", "pty"),
            NewDevice::Channel => Element::new("channel")
                .with_attr("type", "unix")
                .with_child(
                    Element::new("target")
                        .with_attr("type", "virtio")
                        .with_attr("name", "org.qemu.guest_agent.0"),
                ),
            NewDevice::Redirdev => Element::new("redirdev")
                .with_attr("bus", "usb")
                .with_attr("type", "spicevmc"),
            NewDevice::Rng => Element::new("rng").with_attr("model", "virtio").with_child(
                Element::new("backend")
                    .with_attr("model", "random")
                    .with_text("/dev/urandom"),
            ),
            NewDevice::Watchdog => Element::new("watchdog")
                .with_attr("model", "i6300esb")
                .with_attr("action", "reset"),
            NewDevice::Tpm => Element::new("tpm")
                .with_attr("model", if dom.is_q35() { "tpm-crb" } else { "tpm-tis" })
                .with_child(
                    Element::new("backend")
                        .with_attr("type", "emulator")
                        .with_attr("version", "2.0"),
                ),
            NewDevice::Sound => {
                Element::new("sound").with_attr("model", if dom.is_q35() { "ich9" } else { "ich6" })
            }
            NewDevice::Filesystem => Element::new("filesystem")
                .with_attr("type", "mount")
                .with_attr("accessmode", "passthrough")
                .with_child(Element::new("driver").with_attr("type", "virtiofs"))
                .with_child(Element::new("source").with_attr("dir", "/"))
                .with_child(Element::new("target").with_attr("dir", "share")),
            NewDevice::Panic => Element::new("panic").with_attr("model", "isa"),
            NewDevice::Smartcard => Element::new("smartcard")
                .with_attr("mode", "passthrough")
                .with_attr("type", "spicevmc"),
            NewDevice::Input => Element::new("input")
                .with_attr("type", "tablet")
                .with_attr("bus", "usb"),
            NewDevice::UsbHost => Element::new("hostdev")
                .with_attr("mode", "subsystem")
                .with_attr("type", "usb")
                .with_attr("managed", "yes")
                .with_child(
                    Element::new("source")
                        .with_child(Element::new("vendor").with_attr("id", "0x0000"))
                        .with_child(Element::new("product").with_attr("id", "0x0000")),
                ),
            NewDevice::PciHost => Element::new("hostdev")
                .with_attr("mode", "subsystem")
                .with_attr("type", "pci")
                .with_attr("managed", "yes")
                .with_child(
                    Element::new("source").with_child(
                        Element::new("address")
                            .with_attr("domain", "0x0000")
                            .with_attr("bus", "0x00")
                            .with_attr("slot", "0x00")
                            .with_attr("function", "0x0"),
                    ),
                ),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Comparing documents.

/// A document as a sorted list of facts (`/domain/devices/disk[1]/target@dev=vda`),
/// blind to layout: two documents with the same facts hold the same information.
pub fn canonical_facts(doc: &Document) -> Vec<String> {
    fn walk(el: &Element, path: &str, out: &mut Vec<String>) {
        for (k, v) in &el.attrs {
            out.push(format!("{path}@{k}={v}"));
        }
        let mut counts: std::collections::HashMap<&str, usize> = Default::default();
        let mut text = String::new();
        for (i, c) in el.children.iter().enumerate() {
            match c {
                Node::Element(e) => {
                    let n = counts.entry(e.name.as_str()).or_insert(0);
                    *n += 1;
                    walk(e, &format!("{path}/{}[{}]", e.name, n), out);
                }
                Node::Text(t) | Node::CData(t) => text.push_str(t),
                Node::Comment(t) => out.push(format!("{path}/#comment[{i}]={}", t.trim())),
                Node::Pi(t) => out.push(format!("{path}/#pi={t}")),
                Node::DocType(t) => out.push(format!("{path}/#doctype={t}")),
            }
        }
        if !text.trim().is_empty() {
            out.push(format!("{path}#text={}", text.trim()));
        }
    }
    let mut out = Vec::new();
    walk(&doc.root, &format!("/{}", doc.root.name), &mut out);
    // Comment positions shift when siblings come and go; keep their text only.
    for f in &mut out {
        if let Some(i) = f.find("/#comment[") {
            if let Some(j) = f[i..].find("]=") {
                f.replace_range(i..i + j + 1, "/#comment");
            }
        }
    }
    out.sort();
    out
}

/// Facts only in `a` and facts only in `b`.
pub fn fact_diff(a: &Document, b: &Document) -> (Vec<String>, Vec<String>) {
    let fa = canonical_facts(a);
    let fb = canonical_facts(b);
    let sa: HashSet<&String> = fa.iter().collect();
    let sb: HashSet<&String> = fb.iter().collect();
    (
        fa.iter().filter(|f| !sb.contains(f)).cloned().collect(),
        fb.iter().filter(|f| !sa.contains(f)).cloned().collect(),
    )
}

/// One line of a text diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

/// A line diff of two texts (longest common subsequence after trimming the common
/// head and tail, so a small change in a big document stays cheap).
pub fn line_diff(a: &str, b: &str) -> Vec<DiffLine> {
    let la: Vec<&str> = a.lines().collect();
    let lb: Vec<&str> = b.lines().collect();
    let head = la.iter().zip(&lb).take_while(|(x, y)| x == y).count();
    let tail = la[head..]
        .iter()
        .rev()
        .zip(lb[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let ma = &la[head..la.len() - tail];
    let mb = &lb[head..lb.len() - tail];
    let mut out: Vec<DiffLine> = la[..head]
        .iter()
        .map(|l| DiffLine::Same(l.to_string()))
        .collect();
    if ma.len().saturating_mul(mb.len()) > 4_000_000 {
        // Too big to align: show it as replaced.
        out.extend(ma.iter().map(|l| DiffLine::Removed(l.to_string())));
        out.extend(mb.iter().map(|l| DiffLine::Added(l.to_string())));
    } else {
        let (n, m) = (ma.len(), mb.len());
        let mut lcs = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * (m + 1) + j] = if ma[i] == mb[j] {
                    lcs[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    lcs[(i + 1) * (m + 1) + j].max(lcs[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && ma[i] == mb[j] {
                out.push(DiffLine::Same(ma[i].to_string()));
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]) {
                out.push(DiffLine::Removed(ma[i].to_string()));
                i += 1;
            } else {
                out.push(DiffLine::Added(mb[j].to_string()));
                j += 1;
            }
        }
    }
    out.extend(
        la[la.len() - tail..]
            .iter()
            .map(|l| DiffLine::Same(l.to_string())),
    );
    out
}
