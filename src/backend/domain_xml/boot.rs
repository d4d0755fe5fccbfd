//! Booting: firmware, the boot menu, direct kernel boot, and the boot order of the
//! devices (per-device `<boot order>`, the old `<os><boot dev>` read too).

use crate::backend::xml::Element;

use super::{config::*, document::*, kinds::*, tree::*};

impl DomainXml {
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
}
