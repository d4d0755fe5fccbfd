//! Domain-wide settings as plain data: general facts, CPU, memory, firmware and boot,
//! and the units they come in.

use crate::backend::xml::Element;

use super::kinds::*;

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
    pub(super) fn of(d: &DeviceEntry, enabled: bool) -> BootEntry {
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

pub(super) fn unit_factor(unit: &str) -> Option<u64> {
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

pub(super) fn read_kib(el: &Element) -> Option<u64> {
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
pub(super) fn write_kib(el: &mut Element, kib: u64) {
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
