//! The virtual devices and firmware an OS supports, as libosinfo lists them
//! (`osinfo_os_get_all_devices`, `osinfo_os_get_complete_firmware_list`: inherited from
//! the OSes it derives from), and the bus and models the wizard picks from them.

use super::db::OsinfoDb;
use super::error::Result;
use super::object::EntityExt;

/// A device of the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// `http://pcisig.com/pci/1af4/1042`.
    pub id: String,
    /// `virtio1.0-block`.
    pub name: String,
    /// `block`, `net`, `video`, `audio`, `input`, `rng`, `memory.balloon`,
    /// `controller.usb`, `chipset`…
    pub class: Option<String>,
    pub bus_type: Option<String>,
}

/// A firmware entry: `bios` or `efi`, supported or not, on one architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareInfo {
    pub arch: String,
    /// `bios` or `efi`.
    pub kind: String,
    pub supported: bool,
}

/// The firmware, TPM and Secure Boot an OS needs on one architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlatformNeeds {
    /// `Some(true/false)` when the database says EFI is (not) supported.
    pub efi: Option<bool>,
    /// `Some(true/false)` when the database says BIOS is (not) supported.
    pub bios: Option<bool>,
    /// EFI supported and BIOS not (Windows 11): the machine must boot with UEFI.
    pub requires_uefi: bool,
    /// Give the machine an emulated TPM 2.0 (swtpm): the database lists a TPM device,
    /// or the OS requires UEFI. osinfo-db 20221130 lists no TPM for any OS, so the
    /// second rule (virt-manager's: a UEFI guest targets a modern platform and gets an
    /// emulated TPM) is what gives Windows 11 its TPM.
    pub tpm2: bool,
    /// Enable Secure Boot (firmware with enrolled keys): when the OS requires UEFI.
    /// libosinfo 1.10 has no Secure Boot data; Windows 11 needs it.
    pub secure_boot: bool,
}

/// What an OS supports, as flags the wizard's device choices read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsDevices {
    pub os_id: String,
    /// Every supported device, in the database's order.
    pub devices: Vec<DeviceInfo>,
    pub firmware: Vec<FirmwareInfo>,
    /// virtio-block or virtio1.0-block.
    pub virtio_disk: bool,
    pub virtio_scsi: bool,
    /// virtio-net or virtio1.0-net.
    pub virtio_net: bool,
    pub virtio_rng: bool,
    pub virtio_balloon: bool,
    pub virtio_console: bool,
    /// virtio1.0-input (keyboard and tablet over virtio).
    pub virtio_input: bool,
    /// virtio1.0-gpu.
    pub virtio_gpu: bool,
    /// virtio1.0-fs (virtiofs).
    pub virtio_fs: bool,
    pub virtio_9p: bool,
    /// Some modern (virtio 1.0) device is listed: the guest's drivers speak virtio
    /// 1.0, so non-transitional models on PCI Express work.
    pub virtio1: bool,
    /// The q35 chipset (PCI Express).
    pub q35: bool,
    /// An XHCI (USB 3) controller: qemu-xhci or nec-xhci.
    pub usb3: bool,
    /// A USB tablet (absolute pointer).
    pub usb_tablet: bool,
    /// A TPM device is listed (none is in osinfo-db 20221130).
    pub tpm: bool,
    /// The video models listed, as libvirt names them (`virtio`, `qxl`, `vga`,
    /// `cirrus`, `vmvga`), in the database's order.
    pub video_models: Vec<&'static str>,
    /// The sound models listed, as libvirt names them (`ich9`, `ich6`, `ac97`,
    /// `es1370`).
    pub sound_models: Vec<&'static str>,
    /// The emulated network cards listed (`e1000e`, `e1000`, `rtl8139`, `pcnet`,
    /// `ne2k_pci`).
    pub nic_models: Vec<&'static str>,
}

impl OsDevices {
    /// The disk bus: `virtio` when supported, else `sata`.
    pub fn disk_bus(&self) -> &'static str {
        if self.virtio_disk {
            "virtio"
        } else {
            "sata"
        }
    }

    /// The network card model: `virtio` when supported, else the best emulated card
    /// listed (`e1000e` on q35, `e1000`, `rtl8139`), else `e1000`.
    pub fn net_model(&self) -> &'static str {
        if self.virtio_net {
            return "virtio";
        }
        let order: &[&str] = if self.q35 {
            &["e1000e", "e1000", "rtl8139"]
        } else {
            &["e1000", "rtl8139", "e1000e"]
        };
        order
            .iter()
            .copied()
            .find(|m| self.nic_models.contains(m))
            .unwrap_or("e1000")
    }

    /// The video model: `virtio` when the OS has virtio-gpu drivers; else `qxl` when
    /// listed and the display is SPICE; else `vga`.
    pub fn video_model(&self, spice: bool) -> &'static str {
        if self.virtio_gpu {
            "virtio"
        } else if spice && self.video_models.contains(&"qxl") {
            "qxl"
        } else {
            "vga"
        }
    }

    /// The sound model: the best one listed (`ich9` on q35, `ich6`, `ac97`,
    /// `es1370`); `None` when the database lists none.
    pub fn sound_model(&self) -> Option<&'static str> {
        let order: &[&str] = if self.q35 {
            &["ich9", "ich6", "ac97", "es1370"]
        } else {
            &["ich6", "ich9", "ac97", "es1370"]
        };
        order
            .iter()
            .copied()
            .find(|m| self.sound_models.contains(m))
    }

    /// Firmware, TPM and Secure Boot needs on `arch` (`x86_64`…).
    pub fn platform(&self, arch: &str) -> PlatformNeeds {
        let said = |kind: &str| {
            self.firmware
                .iter()
                .find(|f| f.arch == arch && f.kind == kind)
                .map(|f| f.supported)
        };
        let efi = said("efi");
        let bios = said("bios");
        let requires_uefi = efi == Some(true) && bios == Some(false);
        PlatformNeeds {
            efi,
            bios,
            requires_uefi,
            tpm2: self.tpm || requires_uefi,
            secure_boot: requires_uefi,
        }
    }
}

/// libvirt's model name for a device of the database, by its osinfo name.
fn libvirt_model(name: &str) -> Option<&'static str> {
    Some(match name {
        "virtio1.0-gpu" => "virtio",
        "qxl" => "qxl",
        "vga" => "vga",
        "cirrus" => "cirrus",
        "vmvga" => "vmvga",
        "ich9-hda" => "ich9",
        "ich6" => "ich6",
        "ac97" => "ac97",
        "es1370" => "es1370",
        "e1000e" => "e1000e",
        "e1000" => "e1000",
        "rtl8139" => "rtl8139",
        "pcnet" => "pcnet",
        "ne2k_pci" => "ne2k_pci",
        _ => return None,
    })
}

impl OsinfoDb {
    /// The devices and firmware `os` (full or short id) supports.
    pub fn devices(&self, os: &str) -> Result<OsDevices> {
        let o = self.lookup(os)?;
        let devices: Vec<DeviceInfo> = o
            .all_devices()
            .iter()
            .map(|d| DeviceInfo {
                id: d.id(),
                name: d.name().unwrap_or_default(),
                class: d.class(),
                bus_type: d.bus_type(),
            })
            .collect();
        let firmware = o
            .complete_firmware_list()
            .iter()
            .filter_map(|f| {
                Some(FirmwareInfo {
                    arch: f.architecture()?,
                    kind: f.firmware_type()?,
                    supported: f.is_supported(),
                })
            })
            .collect();
        let has = |names: &[&str]| devices.iter().any(|d| names.contains(&d.name.as_str()));
        let of_class = |class: &str| -> Vec<&'static str> {
            let mut v: Vec<&'static str> = devices
                .iter()
                .filter(|d| d.class.as_deref() == Some(class))
                .filter_map(|d| libvirt_model(&d.name))
                .collect();
            v.dedup();
            v
        };
        Ok(OsDevices {
            os_id: o.id(),
            virtio_disk: has(&["virtio-block", "virtio1.0-block"]),
            virtio_scsi: has(&["virtio-scsi", "virtio1.0-scsi"]),
            virtio_net: has(&["virtio-net", "virtio1.0-net"]),
            virtio_rng: has(&["virtio-rng", "virtio1.0-rng"]),
            virtio_balloon: has(&["virtio-balloon", "virtio1.0-balloon"]),
            virtio_console: has(&["virtio-console", "virtio1.0-console"]),
            virtio_input: has(&["virtio1.0-input"]),
            virtio_gpu: has(&["virtio1.0-gpu"]),
            virtio_fs: has(&["virtio1.0-fs"]),
            virtio_9p: has(&["virtio-9p", "virtio1.0-9p"]),
            virtio1: devices.iter().any(|d| d.name.starts_with("virtio1.0-")),
            q35: has(&["qemu-x86-q35"]),
            usb3: has(&["qemu-xhci", "nec-xhci"]),
            usb_tablet: has(&["tablet"]),
            tpm: devices.iter().any(|d| {
                d.class.as_deref() == Some("tpm") || d.id.contains("trustedcomputinggroup")
            }),
            video_models: of_class("video"),
            sound_models: of_class("audio"),
            nic_models: of_class("net"),
            devices,
            firmware,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_fall_back_to_emulated_devices_when_virtio_is_not_listed() {
        let old = OsDevices {
            nic_models: vec!["rtl8139", "e1000"],
            video_models: vec!["cirrus", "qxl"],
            sound_models: vec!["ac97", "ich6"],
            ..Default::default()
        };
        assert_eq!(old.disk_bus(), "sata");
        assert_eq!(old.net_model(), "e1000");
        assert_eq!(old.video_model(true), "qxl");
        assert_eq!(old.video_model(false), "vga");
        assert_eq!(old.sound_model(), Some("ich6"));
        let modern = OsDevices {
            virtio_disk: true,
            virtio_net: true,
            virtio_gpu: true,
            q35: true,
            sound_models: vec!["ich6", "ich9"],
            ..Default::default()
        };
        assert_eq!(modern.disk_bus(), "virtio");
        assert_eq!(modern.net_model(), "virtio");
        assert_eq!(modern.video_model(true), "virtio");
        assert_eq!(modern.sound_model(), Some("ich9"));
        assert_eq!(OsDevices::default().sound_model(), None);
    }

    #[test]
    fn efi_only_means_uefi_with_tpm_and_secure_boot() {
        let fw = |kind: &str, supported| FirmwareInfo {
            arch: "x86_64".into(),
            kind: kind.into(),
            supported,
        };
        let win11 = OsDevices {
            firmware: vec![fw("efi", true), fw("bios", false)],
            ..Default::default()
        };
        let p = win11.platform("x86_64");
        assert!(p.requires_uefi && p.tpm2 && p.secure_boot);
        assert_eq!(p.bios, Some(false));
        let p = win11.platform("aarch64");
        assert!(!p.requires_uefi && !p.tpm2);
        assert_eq!(p.efi, None);
        let both = OsDevices {
            firmware: vec![fw("efi", true)],
            ..Default::default()
        };
        assert!(!both.platform("x86_64").requires_uefi);
    }
}
