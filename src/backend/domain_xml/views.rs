//! Device views: plain structs of optional strings, each field bound to its place in
//! the device's element, read and written in place.

use crate::backend::xml::Element;
use crate::i18n::gettext_f;

use super::tree::*;

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
