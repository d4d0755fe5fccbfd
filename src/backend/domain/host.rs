//! Facts about the host behind a connection, and its CPU and memory usage.

use std::ffi::{c_char, c_int};
use std::ptr;

use virt::connect::Connect;
use virt::sys;

use crate::backend::{Error, Result};

/// What the host is: shown on the connection's details page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostInfo {
    pub hostname: String,
    pub uri: String,
    /// `virConnectGetType`, e.g. "QEMU" or "TEST".
    pub driver: String,
    /// The libvirt version of the daemon (or library for in-process drivers), e.g. "9.0.0".
    pub libvirt_version: String,
    /// The hypervisor version (`virConnectGetVersion`); `None` when unknown (0 or
    /// unsupported).
    pub hypervisor_version: Option<String>,
    /// `virNodeGetInfo`'s model (on QEMU hosts this is the architecture name).
    pub cpu_model: String,
    pub cpus: u32,
    pub mhz: u32,
    pub memory_kib: u64,
    /// `<host><cpu><arch>` from the capabilities XML, when available.
    pub arch: Option<String>,
    /// The architectures full-virtualization guests can have here.
    pub guests: Vec<GuestArch>,
    /// The user id QEMU runs as (the DAC security model's label), when known.
    pub qemu_uid: Option<u32>,
}

/// An architecture a guest can have on this host (a capabilities `<guest>` of OS type
/// `hvm`): its machine types and how it runs (`kvm`, `qemu` for emulation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestArch {
    pub arch: String,
    /// Machine type names and aliases (`q35`, `pc-q35-7.2`, `virt`…), aliases first.
    pub machines: Vec<String>,
    pub domain_types: Vec<String>,
}

impl GuestArch {
    /// Whether the host runs it with hardware acceleration.
    pub fn accelerated(&self) -> bool {
        self.domain_types.iter().any(|t| t == "kvm")
    }
}

/// The `hvm` guests of a capabilities document, one per architecture.
pub fn guest_arches_from_capabilities(xml: &str) -> Vec<GuestArch> {
    let Ok(doc) = crate::backend::xml::Document::parse(xml) else {
        return Vec::new();
    };
    let mut out: Vec<GuestArch> = Vec::new();
    for g in doc.root.children_named("guest") {
        if g.child("os_type")
            .map(|t| t.text())
            .as_deref()
            .map(str::trim)
            != Some("hvm")
        {
            continue;
        }
        let Some(a) = g.child("arch") else { continue };
        let Some(name) = a.attr("name") else { continue };
        let mut machines: Vec<String> = Vec::new();
        let mut aliases: Vec<String> = Vec::new();
        let add = |m: &crate::backend::xml::Element, list: &mut Vec<String>| {
            let t = m.text().trim().to_string();
            if !t.is_empty() && !list.contains(&t) {
                list.push(t);
            }
        };
        for m in a.children_named("machine") {
            if m.attr("canonical").is_some() {
                add(m, &mut aliases);
            } else {
                add(m, &mut machines);
            }
        }
        // The domain types may sit on the arch or in a <domain> with its own machines.
        let mut types: Vec<String> = Vec::new();
        for d in a.children_named("domain") {
            if let Some(t) = d.attr("type") {
                if !types.iter().any(|x| x == t) {
                    types.push(t.to_string());
                }
            }
            for m in d.children_named("machine") {
                add(m, &mut machines);
            }
        }
        machines.retain(|m| !aliases.contains(m));
        aliases.extend(machines);
        match out.iter_mut().find(|x| x.arch == name) {
            Some(x) => {
                x.domain_types.extend(types);
                x.machines.extend(aliases);
            }
            None => out.push(GuestArch {
                arch: name.to_string(),
                machines: aliases,
                domain_types: types,
            }),
        }
    }
    out
}

/// Collect [`HostInfo`]. Meant to be called once per connection: on QEMU the
/// capabilities call behind `arch` does some work.
pub fn host_info(conn: &Connect) -> Result<HostInfo> {
    let node = conn.node_info()?;
    let hypervisor_version = match conn.hyp_version() {
        Ok(0) => None,
        Ok(v) => Some(format_version(u64::from(v))),
        Err(e) => match Error::from_virt(&e) {
            Error::Unsupported(_) => None,
            other => return Err(other),
        },
    };
    let (arch, guests, qemu_uid) = match conn.capabilities() {
        Ok(xml) => (
            host_arch_from_capabilities(&xml),
            guest_arches_from_capabilities(&xml),
            crate::backend::create::access::qemu_uid_from_capabilities(&xml),
        ),
        Err(e) => {
            let err = Error::from_virt(&e);
            if err.is_connection_lost() {
                return Err(err);
            }
            (None, Vec::new(), None)
        }
    };
    Ok(HostInfo {
        hostname: conn.hostname()?,
        uri: conn.uri()?,
        driver: conn.driver_type()?,
        libvirt_version: format_version(u64::from(conn.lib_version()?)),
        hypervisor_version,
        cpu_model: node.model,
        cpus: node.cpus,
        mhz: node.mhz,
        memory_kib: node.memory,
        arch,
        guests,
        qemu_uid,
    })
}

/// libvirt's packed version number as text: 9000000 → "9.0.0", 1002003 → "1.2.3".
pub fn format_version(v: u64) -> String {
    format!("{}.{}.{}", v / 1_000_000, (v / 1_000) % 1_000, v % 1_000)
}

/// Find `<arch>` inside `<host><cpu>` of a capabilities document.
fn host_arch_from_capabilities(xml: &str) -> Option<String> {
    let host_start = xml.find("<host>")?;
    let host = &xml[host_start..];
    let host = &host[..host.find("</host>").unwrap_or(host.len())];
    let cpu_start = host.find("<cpu>")?;
    let cpu = &host[cpu_start..];
    let cpu = &cpu[..cpu.find("</cpu>").unwrap_or(cpu.len())];
    let open = cpu.find("<arch>")? + "<arch>".len();
    let len = cpu[open..].find("</arch>")?;
    let arch = cpu[open..open + len].trim();
    (!arch.is_empty()).then(|| arch.to_string())
}

/// Host counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HostSample {
    /// kernel + user (+ intr) time of all CPUs, ns.
    pub cpu_busy_ns: Option<u64>,
    /// busy + idle + iowait, ns.
    pub cpu_total_ns: Option<u64>,
    pub memory_total_kib: Option<u64>,
    /// free + buffers + cached when available.
    pub memory_free_kib: Option<u64>,
}

/// Sample host CPU time (`virNodeGetCPUStats`, all CPUs) and memory
/// (`virNodeGetMemoryStats`, all cells). Fields are `None` where the driver cannot
/// tell; memory falls back to `virNodeGetInfo` and `virNodeGetFreeMemory`. Only a lost
/// connection is an error.
pub fn host_sample(conn: &Connect) -> Result<HostSample> {
    let mut sample = HostSample::default();

    match node_stats(conn, NodeStatsKind::Cpu) {
        Ok(fields) => {
            let get = |name: &str| {
                fields
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|&(_, value)| value)
            };
            let kernel = get("kernel");
            let user = get("user");
            if kernel.is_some() || user.is_some() {
                let busy = kernel
                    .unwrap_or(0)
                    .saturating_add(user.unwrap_or(0))
                    .saturating_add(get("intr").unwrap_or(0));
                let total = busy
                    .saturating_add(get("idle").unwrap_or(0))
                    .saturating_add(get("iowait").unwrap_or(0));
                sample.cpu_busy_ns = Some(busy);
                sample.cpu_total_ns = Some(total);
            }
        }
        Err(e) if e.is_connection_lost() => return Err(e),
        Err(e) => tracing::debug!("node CPU stats unavailable: {e}"),
    }

    match node_stats(conn, NodeStatsKind::Memory) {
        Ok(fields) => {
            let get = |name: &str| {
                fields
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|&(_, value)| value)
            };
            sample.memory_total_kib = get("total");
            if let Some(free) = get("free") {
                sample.memory_free_kib = Some(
                    free.saturating_add(get("buffers").unwrap_or(0))
                        .saturating_add(get("cached").unwrap_or(0)),
                );
            }
        }
        Err(e) if e.is_connection_lost() => return Err(e),
        Err(e) => tracing::debug!("node memory stats unavailable: {e}"),
    }

    if sample.memory_total_kib.is_none() {
        match conn.node_info() {
            Ok(info) if info.memory > 0 => sample.memory_total_kib = Some(info.memory),
            Ok(_) => {}
            Err(e) => {
                let err = Error::from_virt(&e);
                if err.is_connection_lost() {
                    return Err(err);
                }
            }
        }
    }
    if sample.memory_free_kib.is_none() {
        // SAFETY: the pointer is valid while `conn` is borrowed.
        let bytes = unsafe { sys::virNodeGetFreeMemory(conn.as_ptr()) };
        // 0 means error (or no NUMA cells, as in the test driver's custom node files).
        if bytes > 0 {
            sample.memory_free_kib = Some(bytes / 1024);
        }
    }
    Ok(sample)
}

/// Host CPU busy percentage (0..=100) between two samples; `None` when a sample lacks
/// CPU times or the total did not advance.
pub fn host_cpu_percent(prev: &HostSample, cur: &HostSample) -> Option<f64> {
    let total = cur.cpu_total_ns?.checked_sub(prev.cpu_total_ns?)?;
    if total == 0 {
        return None;
    }
    let busy = cur.cpu_busy_ns?.saturating_sub(prev.cpu_busy_ns?);
    Some((busy as f64 / total as f64 * 100.0).clamp(0.0, 100.0))
}

#[derive(Clone, Copy)]
enum NodeStatsKind {
    Cpu,
    Memory,
}

/// Call virNodeGetCPUStats / virNodeGetMemoryStats for all CPUs / cells: once to learn
/// the count, once to fill. Both structs are `{ char field[80]; unsigned long long value; }`.
fn node_stats(conn: &Connect, kind: NodeStatsKind) -> Result<Vec<(String, u64)>> {
    // SAFETY: the pointer is valid while `conn` is borrowed.
    let conn_ptr = unsafe { conn.as_ptr() };
    let mut n: c_int = 0;
    // SAFETY: a NULL params array with *nparams == 0 asks for the number of parameters.
    let rc = unsafe {
        match kind {
            NodeStatsKind::Cpu => sys::virNodeGetCPUStats(
                conn_ptr,
                sys::VIR_NODE_CPU_STATS_ALL_CPUS,
                ptr::null_mut(),
                &mut n,
                0,
            ),
            NodeStatsKind::Memory => sys::virNodeGetMemoryStats(
                conn_ptr,
                sys::VIR_NODE_MEMORY_STATS_ALL_CELLS,
                ptr::null_mut(),
                &mut n,
                0,
            ),
        }
    };
    if rc < 0 {
        return Err(virt::error::Error::last_error().into());
    }
    let len = usize::try_from(n).unwrap_or(0);
    if len == 0 {
        return Ok(Vec::new());
    }
    let fields: Vec<([c_char; 80], u64)> = match kind {
        NodeStatsKind::Cpu => {
            let mut params = vec![
                sys::virNodeCPUStats {
                    field: [0; 80],
                    value: 0,
                };
                len
            ];
            // SAFETY: `params` holds `n` entries, as *nparams says.
            let rc = unsafe {
                sys::virNodeGetCPUStats(
                    conn_ptr,
                    sys::VIR_NODE_CPU_STATS_ALL_CPUS,
                    params.as_mut_ptr(),
                    &mut n,
                    0,
                )
            };
            if rc < 0 {
                return Err(virt::error::Error::last_error().into());
            }
            params.truncate(usize::try_from(n).unwrap_or(0));
            params.into_iter().map(|p| (p.field, p.value)).collect()
        }
        NodeStatsKind::Memory => {
            let mut params = vec![
                sys::virNodeMemoryStats {
                    field: [0; 80],
                    value: 0,
                };
                len
            ];
            // SAFETY: `params` holds `n` entries, as *nparams says.
            let rc = unsafe {
                sys::virNodeGetMemoryStats(
                    conn_ptr,
                    sys::VIR_NODE_MEMORY_STATS_ALL_CELLS,
                    params.as_mut_ptr(),
                    &mut n,
                    0,
                )
            };
            if rc < 0 {
                return Err(virt::error::Error::last_error().into());
            }
            params.truncate(usize::try_from(n).unwrap_or(0));
            params.into_iter().map(|p| (p.field, p.value)).collect()
        }
    };
    Ok(fields
        .into_iter()
        .map(|(field, value)| (c_field(&field), value))
        .collect())
}

fn c_field(field: &[c_char]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_versions() {
        assert_eq!(format_version(9_000_000), "9.0.0");
        assert_eq!(format_version(10_010_001), "10.10.1");
        assert_eq!(format_version(7_002_000), "7.2.0");
        assert_eq!(format_version(2), "0.0.2");
        assert_eq!(format_version(0), "0.0.0");
        assert_eq!(format_version(1_002_003), "1.2.3");
    }

    #[test]
    fn arch_from_capabilities() {
        let xml = "<capabilities>\n  <host>\n    <uuid>x</uuid>\n    <cpu>\n      \
                   <arch>x86_64</arch>\n      <model>Skylake</model>\n    </cpu>\n  </host>\n  \
                   <guest><arch name='i686'></arch></guest>\n</capabilities>";
        assert_eq!(host_arch_from_capabilities(xml).as_deref(), Some("x86_64"));
        // An <arch> only in <guest> does not count.
        let guest_only = "<capabilities><host><cpu></cpu></host>\
                          <guest><arch>i686</arch></guest></capabilities>";
        assert_eq!(host_arch_from_capabilities(guest_only), None);
        assert_eq!(host_arch_from_capabilities("garbage"), None);
    }

    #[test]
    fn cpu_percent_between_samples() {
        let a = HostSample {
            cpu_busy_ns: Some(1_000),
            cpu_total_ns: Some(10_000),
            ..HostSample::default()
        };
        let b = HostSample {
            cpu_busy_ns: Some(1_500),
            cpu_total_ns: Some(12_000),
            ..HostSample::default()
        };
        assert_eq!(host_cpu_percent(&a, &b), Some(25.0));
        // Total did not move (the test driver's fixed counters) or went backwards.
        assert_eq!(host_cpu_percent(&a, &a), None);
        assert_eq!(host_cpu_percent(&b, &a), None);
        // Busy went backwards while total advanced: 0, not negative.
        let c = HostSample {
            cpu_busy_ns: Some(10),
            cpu_total_ns: Some(20_000),
            ..HostSample::default()
        };
        assert_eq!(host_cpu_percent(&b, &c), Some(0.0));
        assert_eq!(host_cpu_percent(&HostSample::default(), &b), None);
    }

    #[test]
    fn c_field_reads_up_to_nul() {
        let mut f = [0 as c_char; 80];
        for (i, b) in b"kernel".iter().enumerate() {
            f[i] = *b as c_char;
        }
        assert_eq!(c_field(&f), "kernel");
    }
}
