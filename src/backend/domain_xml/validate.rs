//! Validation: pure functions with messages tied to the field they are about.

use std::path::Path;

use crate::backend::units::format_bytes;
use crate::i18n::{gettext, gettext_f};

use super::{config::*, document::*};

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
