//! The device list: indices among `<devices>`' elements, names, adding and removing,
//! the next free target name and the default bus.

use std::collections::HashSet;

use crate::backend::xml::Element;

use super::{document::*, kinds::*, tree::*};

impl DomainXml {
    // -- Devices --------------------------------------------------------------------

    pub(super) fn devices_el(&self) -> Option<&Element> {
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
