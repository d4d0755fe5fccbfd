//! The form of one device element and setting one of its fields, by kind of device.

use crate::backend::xml::Element;
use crate::i18n::gettext;

use super::{fields::*, kinds::*, views::*};

pub(super) fn view_fields<F: Fn(&str) -> Option<String>>(
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

pub(super) fn set_simple<V>(
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
