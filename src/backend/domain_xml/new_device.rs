//! New devices with defaults that fit the domain (bus, model, the next free target), as
//! the Add Hardware dialog offers them.

use crate::backend::xml::{Document, Element};
use crate::i18n::gettext;

use super::{document::*, kinds::*};

/// Kinds the Add Hardware dialog offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewDevice {
    Disk,
    Cdrom,
    Interface,
    /// A SPICE display (what virt-manager gives new guests).
    Graphics,
    /// A VNC display (also for SPICE guests, for VNC clients).
    VncGraphics,
    /// A video card (QXL for SPICE, virtio).
    Video,
    Serial,
    Channel,
    /// The SPICE agent's channel (clipboard, resize with the window, file transfer).
    SpiceChannel,
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
    pub const ALL: [NewDevice; 20] = [
        NewDevice::Disk,
        NewDevice::Cdrom,
        NewDevice::Interface,
        NewDevice::Graphics,
        NewDevice::VncGraphics,
        NewDevice::Video,
        NewDevice::Serial,
        NewDevice::Channel,
        NewDevice::SpiceChannel,
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
            NewDevice::Graphics => gettext("SPICE Display"),
            NewDevice::VncGraphics => gettext("VNC Display"),
            NewDevice::Video => gettext("Video Card (QXL or virtio)"),
            NewDevice::Serial => gettext("Serial Port"),
            NewDevice::Channel => gettext("Guest Agent Channel"),
            NewDevice::SpiceChannel => gettext("SPICE Agent Channel"),
            NewDevice::Redirdev => gettext("USB Redirection (SPICE)"),
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
            NewDevice::Graphics | NewDevice::VncGraphics => Element::new("graphics")
                .with_attr(
                    "type",
                    if self == NewDevice::Graphics {
                        "spice"
                    } else {
                        "vnc"
                    },
                )
                .with_attr("port", "-1")
                .with_attr("autoport", "yes")
                .with_child(
                    Element::new("listen")
                        .with_attr("type", "address")
                        .with_attr("address", "127.0.0.1"),
                ),
            NewDevice::Video => Element::new("video").with_child(
                Element::new("model")
                    .with_attr("type", "qxl")
                    .with_attr("heads", "1"),
            ),
            NewDevice::Serial => Element::new("serial").with_attr("type", "pty"),
            NewDevice::Channel => Element::new("channel")
                .with_attr("type", "unix")
                .with_child(
                    Element::new("target")
                        .with_attr("type", "virtio")
                        .with_attr("name", "org.qemu.guest_agent.0"),
                ),
            NewDevice::SpiceChannel => Element::new("channel")
                .with_attr("type", "spicevmc")
                .with_child(
                    Element::new("target")
                        .with_attr("type", "virtio")
                        .with_attr("name", "com.redhat.spice.0"),
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
