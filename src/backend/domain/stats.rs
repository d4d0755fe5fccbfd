//! Bulk domain statistics that free what libvirt hands back.
//!
//! `virt::connect::Connect::all_domain_stats` never frees its records; the wrappers
//! here call `virConnectGetAllDomainStats` / `virDomainListGetStats` directly, decode
//! every record into an owned [`DomainSample`] and release the list with
//! `virDomainStatsRecordListFree`. Rates are computed from two samples with
//! [`usage_between`], which is pure and unit-tested.

use std::ffi::{c_char, c_int, c_uint, CStr};
use std::ptr;

use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use crate::backend::Result;

/// Which statistics groups to ask for. The domain state is always included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatKinds {
    /// `cpu.time` (`VIR_DOMAIN_STATS_CPU_TOTAL`).
    pub cpu: bool,
    /// `balloon.*` (`VIR_DOMAIN_STATS_BALLOON`).
    pub memory: bool,
    /// `block.*` (`VIR_DOMAIN_STATS_BLOCK`).
    pub disk: bool,
    /// `net.*` (`VIR_DOMAIN_STATS_INTERFACE`).
    pub network: bool,
}

impl StatKinds {
    /// Every group this module decodes.
    pub fn all() -> Self {
        StatKinds {
            cpu: true,
            memory: true,
            disk: true,
            network: true,
        }
    }

    /// The `virDomainStatsTypes` bit set: `STATE` always, plus `CPU_TOTAL`, `BALLOON`,
    /// `BLOCK` and `INTERFACE` as selected. `VCPU` is not requested (on QEMU it costs a
    /// monitor round trip per domain); `vcpus` is filled only if a driver reports it.
    pub fn to_raw(self) -> u32 {
        let mut raw = sys::VIR_DOMAIN_STATS_STATE;
        if self.cpu {
            raw |= sys::VIR_DOMAIN_STATS_CPU_TOTAL;
        }
        if self.memory {
            raw |= sys::VIR_DOMAIN_STATS_BALLOON;
        }
        if self.disk {
            raw |= sys::VIR_DOMAIN_STATS_BLOCK;
        }
        if self.network {
            raw |= sys::VIR_DOMAIN_STATS_INTERFACE;
        }
        raw
    }
}

/// One domain's counters at one moment. Counters are cumulative; see [`usage_between`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DomainSample {
    pub uuid: String,
    /// `state.state` (a `virDomainState`).
    pub state: Option<i32>,
    /// `cpu.time`, nanoseconds.
    pub cpu_time_ns: Option<u64>,
    /// `vcpu.current` when present.
    pub vcpus: Option<u32>,
    pub balloon_current_kib: Option<u64>,
    pub balloon_maximum_kib: Option<u64>,
    pub balloon_rss_kib: Option<u64>,
    pub balloon_unused_kib: Option<u64>,
    pub balloon_available_kib: Option<u64>,
    /// Summed over `block.N.rd.bytes`.
    pub block_rd_bytes: Option<u64>,
    /// Summed over `block.N.wr.bytes`.
    pub block_wr_bytes: Option<u64>,
    /// Summed over `net.N.rx.bytes`.
    pub net_rx_bytes: Option<u64>,
    /// Summed over `net.N.tx.bytes`.
    pub net_tx_bytes: Option<u64>,
}

/// The value of one typed parameter, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Int(i64),
    UInt(u64),
    Double(f64),
    Bool(bool),
    Str(String),
}

impl ParamValue {
    fn as_u64(&self) -> Option<u64> {
        match *self {
            ParamValue::UInt(v) => Some(v),
            ParamValue::Int(v) => u64::try_from(v).ok(),
            ParamValue::Double(v) if v.is_finite() && v >= 0.0 => Some(v as u64),
            _ => None,
        }
    }

    fn as_i32(&self) -> Option<i32> {
        match *self {
            ParamValue::Int(v) => i32::try_from(v).ok(),
            ParamValue::UInt(v) => i32::try_from(v).ok(),
            _ => None,
        }
    }
}

fn add_to(slot: &mut Option<u64>, value: Option<u64>) {
    if let Some(v) = value {
        *slot = Some(slot.unwrap_or(0).saturating_add(v));
    }
}

/// Decode one record's typed parameters (name, value). Unknown names are ignored.
pub fn decode_params(uuid: String, params: &[(String, ParamValue)]) -> DomainSample {
    let mut s = DomainSample {
        uuid,
        ..DomainSample::default()
    };
    for (name, value) in params {
        match name.as_str() {
            "state.state" => s.state = value.as_i32(),
            "cpu.time" => s.cpu_time_ns = value.as_u64(),
            "vcpu.current" => s.vcpus = value.as_u64().and_then(|v| u32::try_from(v).ok()),
            "balloon.current" => s.balloon_current_kib = value.as_u64(),
            "balloon.maximum" => s.balloon_maximum_kib = value.as_u64(),
            "balloon.rss" => s.balloon_rss_kib = value.as_u64(),
            "balloon.unused" => s.balloon_unused_kib = value.as_u64(),
            "balloon.available" => s.balloon_available_kib = value.as_u64(),
            other => {
                if let Some(field) = indexed_field(other, "block.") {
                    match field {
                        "rd.bytes" => add_to(&mut s.block_rd_bytes, value.as_u64()),
                        "wr.bytes" => add_to(&mut s.block_wr_bytes, value.as_u64()),
                        _ => {}
                    }
                } else if let Some(field) = indexed_field(other, "net.") {
                    match field {
                        "rx.bytes" => add_to(&mut s.net_rx_bytes, value.as_u64()),
                        "tx.bytes" => add_to(&mut s.net_tx_bytes, value.as_u64()),
                        _ => {}
                    }
                }
            }
        }
    }
    s
}

/// For `prefix` = "block.", turn "block.3.rd.bytes" into "rd.bytes"; `None` for
/// "block.count" and anything without a numeric index.
fn indexed_field<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = name.strip_prefix(prefix)?;
    let (index, field) = rest.split_once('.')?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(field)
}

/// Statistics of every domain on `conn` (only the running ones when `active_only`),
/// with one `virConnectGetAllDomainStats` call.
pub fn all_domain_stats(
    conn: &Connect,
    kinds: StatKinds,
    active_only: bool,
) -> Result<Vec<DomainSample>> {
    let flags = if active_only {
        sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE
    } else {
        0
    };
    // SAFETY: the pointer is valid while `conn` is borrowed, which outlives the call.
    let conn_ptr = unsafe { conn.as_ptr() };
    fetch_records(flags, |flags, out| {
        // SAFETY: `conn_ptr` is a live connection; `out` points to a null record-list
        // pointer that libvirt fills with an allocated, NULL-terminated list.
        unsafe { sys::virConnectGetAllDomainStats(conn_ptr, kinds.to_raw(), out, flags) }
    })
}

/// Statistics of just these domains (e.g. the visible rows), with one
/// `virDomainListGetStats` call. All domains must belong to the same connection.
/// An empty slice returns an empty list without calling libvirt.
pub fn domain_list_stats(domains: &[&Domain], kinds: StatKinds) -> Result<Vec<DomainSample>> {
    if domains.is_empty() {
        return Ok(Vec::new());
    }
    let mut ptrs: Vec<sys::virDomainPtr> = domains
        .iter()
        // SAFETY: each pointer stays valid while `domains` is borrowed.
        .map(|d| unsafe { d.as_ptr() })
        .collect();
    ptrs.push(ptr::null_mut()); // libvirt wants a NULL-terminated array
    let doms = ptrs.as_mut_ptr();
    fetch_records(0, |flags, out| {
        // SAFETY: `doms` is a NULL-terminated array of live domains that outlives the
        // call; `out` points to a null record-list pointer that libvirt fills.
        unsafe { sys::virDomainListGetStats(doms, kinds.to_raw(), out, flags) }
    })
}

/// Owns a record list from libvirt and frees it on drop.
struct RecordList(*mut sys::virDomainStatsRecordPtr);

impl Drop for RecordList {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the list came from virConnectGetAllDomainStats/virDomainListGetStats
            // and is freed only here (this also drops the domain references it holds).
            unsafe { sys::virDomainStatsRecordListFree(self.0) };
        }
    }
}

/// Run one stats call, first with `VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT` (so a
/// domain busy with a long job does not stall the sampler), then without it if the
/// server rejects the flag; decode and free the result.
fn fetch_records(
    flags: u32,
    call: impl Fn(c_uint, *mut *mut sys::virDomainStatsRecordPtr) -> c_int,
) -> Result<Vec<DomainSample>> {
    let mut list = RecordList(ptr::null_mut());
    let mut n = call(
        flags | sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT,
        &mut list.0,
    );
    if n < 0 {
        let err = virt::error::Error::last_error();
        if err.code().to_raw() != sys::VIR_ERR_INVALID_ARG {
            return Err(err.into());
        }
        // Older servers do not know NOWAIT; the failed call allocated nothing.
        list.0 = ptr::null_mut();
        n = call(flags, &mut list.0);
        if n < 0 {
            return Err(virt::error::Error::last_error().into());
        }
    }
    let count = usize::try_from(n).unwrap_or(0);
    let mut samples = Vec::with_capacity(count);
    if list.0.is_null() {
        return Ok(samples);
    }
    for i in 0..count {
        // SAFETY: libvirt returned `count` records followed by a NULL entry.
        let record = unsafe { *list.0.add(i) };
        if record.is_null() {
            break;
        }
        // SAFETY: `record` is a valid record owned by `list`, which outlives this use.
        if let Some(sample) = unsafe { decode_record(record) } {
            samples.push(sample);
        }
    }
    Ok(samples)
}

/// Copy one record into an owned sample.
///
/// # Safety
/// `record` must point to a valid `virDomainStatsRecord`.
unsafe fn decode_record(record: sys::virDomainStatsRecordPtr) -> Option<DomainSample> {
    // SAFETY: valid per the contract above.
    let rec = unsafe { &*record };
    if rec.dom.is_null() {
        return None;
    }
    let mut buf: [c_char; sys::VIR_UUID_STRING_BUFLEN as usize] =
        [0; sys::VIR_UUID_STRING_BUFLEN as usize];
    // SAFETY: `rec.dom` is a valid domain held by the record; `buf` has the required
    // VIR_UUID_STRING_BUFLEN bytes.
    if unsafe { sys::virDomainGetUUIDString(rec.dom, buf.as_mut_ptr()) } < 0 {
        tracing::warn!("skipping a stats record whose domain has no UUID");
        return None;
    }
    let uuid = field_name(&buf);
    let count = usize::try_from(rec.nparams).unwrap_or(0);
    let params = if rec.params.is_null() || count == 0 {
        Vec::new()
    } else {
        // SAFETY: libvirt gives `nparams` parameters at `params`.
        let raw = unsafe { std::slice::from_raw_parts(rec.params, count) };
        raw.iter()
            // SAFETY: each entry is a typed parameter initialised by libvirt.
            .filter_map(|p| unsafe { typed_param(p) })
            .collect::<Vec<_>>()
    };
    Some(decode_params(uuid, &params))
}

/// Read a fixed-size, NUL-terminated C field without trusting the terminator.
fn field_name(field: &[c_char]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Convert one typed parameter; unknown types give `None`.
///
/// # Safety
/// `p.type_` must describe which member of `p.value` libvirt initialised, and a string
/// value must be NULL or NUL-terminated.
unsafe fn typed_param(p: &sys::virTypedParameter) -> Option<(String, ParamValue)> {
    let name = field_name(&p.field);
    let ty = u32::try_from(p.type_).ok()?;
    let value = match ty {
        sys::VIR_TYPED_PARAM_INT => {
            // SAFETY: `type_` is INT, so `i` is the initialised member.
            ParamValue::Int(i64::from(unsafe { p.value.i }))
        }
        sys::VIR_TYPED_PARAM_UINT => {
            // SAFETY: `type_` is UINT, so `ui` is the initialised member.
            ParamValue::UInt(u64::from(unsafe { p.value.ui }))
        }
        sys::VIR_TYPED_PARAM_LLONG => {
            // SAFETY: `type_` is LLONG, so `l` is the initialised member.
            ParamValue::Int(unsafe { p.value.l })
        }
        sys::VIR_TYPED_PARAM_ULLONG => {
            // SAFETY: `type_` is ULLONG, so `ul` is the initialised member.
            ParamValue::UInt(unsafe { p.value.ul })
        }
        sys::VIR_TYPED_PARAM_DOUBLE => {
            // SAFETY: `type_` is DOUBLE, so `d` is the initialised member.
            ParamValue::Double(unsafe { p.value.d })
        }
        sys::VIR_TYPED_PARAM_BOOLEAN => {
            // SAFETY: `type_` is BOOLEAN, so `b` is the initialised member.
            ParamValue::Bool(unsafe { p.value.b } != 0)
        }
        sys::VIR_TYPED_PARAM_STRING => {
            // SAFETY: a STRING parameter holds a char pointer.
            let s = unsafe { p.value.s };
            if s.is_null() {
                ParamValue::Str(String::new())
            } else {
                // SAFETY: non-null, NUL-terminated and owned by the record.
                ParamValue::Str(unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned())
            }
        }
        _ => return None,
    };
    Some((name, value))
}

/// Rates and levels derived from two samples.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// Of the guest's vCPUs, 0..=100.
    pub cpu_percent: f64,
    /// Of all host CPUs, 0..=100.
    pub cpu_host_percent: f64,
    pub memory_used_kib: Option<u64>,
    pub memory_total_kib: Option<u64>,
    pub disk_read_bps: Option<f64>,
    pub disk_write_bps: Option<f64>,
    pub net_rx_bps: Option<f64>,
    pub net_tx_bps: Option<f64>,
}

/// Rates between two samples `elapsed_s` seconds apart.
///
/// A counter going backwards (guest restarted) gives 0, never a negative value or NaN;
/// a non-positive or non-finite `elapsed_s` gives 0 for every rate. A rate is `None`
/// when either sample lacks its counter. `cpu_percent` divides by `vcpus` (current,
/// else previous sample); when neither sample knows it (the sampler does not request
/// `VIR_DOMAIN_STATS_VCPU`), set `vcpus` from the domain definition first, or it falls
/// back to `cpu_host_percent`. Memory used: guest-reported (available - unused) when
/// both are present, else rss, else balloon current; total: balloon current (or
/// maximum).
pub fn usage_between(
    prev: &DomainSample,
    cur: &DomainSample,
    elapsed_s: f64,
    host_cpus: u32,
) -> Usage {
    let elapsed = if elapsed_s.is_finite() && elapsed_s > 0.0 {
        Some(elapsed_s)
    } else {
        None
    };
    let rate = |p: Option<u64>, c: Option<u64>| -> Option<f64> {
        let delta = counter_delta(p, c)?;
        Some(match elapsed {
            Some(e) => delta as f64 / e,
            None => 0.0,
        })
    };

    let (cpu_percent, cpu_host_percent) =
        match (counter_delta(prev.cpu_time_ns, cur.cpu_time_ns), elapsed) {
            (Some(delta_ns), Some(e)) => {
                let busy = delta_ns as f64 / 1e9 / e; // CPUs' worth of time used
                let host = percent(busy / f64::from(host_cpus.max(1)));
                let guest = match cur.vcpus.or(prev.vcpus).filter(|&v| v > 0) {
                    Some(v) => percent(busy / f64::from(v)),
                    None => host,
                };
                (guest, host)
            }
            _ => (0.0, 0.0),
        };

    let memory_used_kib = match (cur.balloon_available_kib, cur.balloon_unused_kib) {
        (Some(avail), Some(unused)) if avail >= unused => Some(avail - unused),
        _ => cur.balloon_rss_kib.or(cur.balloon_current_kib),
    };
    let memory_total_kib = cur.balloon_current_kib.or(cur.balloon_maximum_kib);

    Usage {
        cpu_percent,
        cpu_host_percent,
        memory_used_kib,
        memory_total_kib,
        disk_read_bps: rate(prev.block_rd_bytes, cur.block_rd_bytes),
        disk_write_bps: rate(prev.block_wr_bytes, cur.block_wr_bytes),
        net_rx_bps: rate(prev.net_rx_bytes, cur.net_rx_bytes),
        net_tx_bps: rate(prev.net_tx_bytes, cur.net_tx_bytes),
    }
}

/// Growth of a cumulative counter; 0 when it went backwards, `None` when unknown.
fn counter_delta(prev: Option<u64>, cur: Option<u64>) -> Option<u64> {
    Some(cur?.saturating_sub(prev?))
}

/// A fraction as a percentage clamped to 0..=100 (NaN gives 0).
fn percent(fraction: f64) -> f64 {
    let p = fraction * 100.0;
    if p.is_nan() {
        0.0
    } else {
        p.clamp(0.0, 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, value: ParamValue) -> (String, ParamValue) {
        (name.to_string(), value)
    }

    fn running_qemu_params() -> Vec<(String, ParamValue)> {
        use ParamValue::*;
        vec![
            p("state.state", Int(1)),
            p("state.reason", Int(1)),
            p("cpu.time", UInt(5_000_000_000)),
            p("cpu.user", UInt(3_000_000_000)),
            p("cpu.system", UInt(1_500_000_000)),
            p("vcpu.current", UInt(2)),
            p("vcpu.maximum", UInt(4)),
            p("vcpu.0.state", Int(1)),
            p("vcpu.0.time", UInt(2_000_000_000)),
            p("balloon.current", UInt(2_097_152)),
            p("balloon.maximum", UInt(4_194_304)),
            p("balloon.swap_in", UInt(0)),
            p("balloon.unused", UInt(1_048_576)),
            p("balloon.available", UInt(2_000_000)),
            p("balloon.usable", UInt(1_200_000)),
            p("balloon.last-update", UInt(1_700_000_000)),
            p("balloon.rss", UInt(900_000)),
            p("net.count", UInt(2)),
            p("net.0.name", Str("vnet0".into())),
            p("net.0.rx.bytes", UInt(1000)),
            p("net.0.rx.pkts", UInt(10)),
            p("net.0.tx.bytes", UInt(2000)),
            p("net.1.name", Str("vnet1".into())),
            p("net.1.rx.bytes", UInt(500)),
            p("net.1.tx.bytes", UInt(50)),
            p("block.count", UInt(2)),
            p("block.0.name", Str("vda".into())),
            p(
                "block.0.path",
                Str("/var/lib/libvirt/images/a.qcow2".into()),
            ),
            p("block.0.rd.reqs", UInt(100)),
            p("block.0.rd.bytes", UInt(4096)),
            p("block.0.wr.bytes", UInt(8192)),
            p("block.0.allocation", UInt(1 << 30)),
            p("block.1.name", Str("sda".into())),
            p("block.1.rd.bytes", UInt(1024)),
            p("block.1.wr.bytes", UInt(0)),
        ]
    }

    #[test]
    fn decodes_a_realistic_record() {
        let s = decode_params("u-1".into(), &running_qemu_params());
        assert_eq!(
            s,
            DomainSample {
                uuid: "u-1".into(),
                state: Some(1),
                cpu_time_ns: Some(5_000_000_000),
                vcpus: Some(2),
                balloon_current_kib: Some(2_097_152),
                balloon_maximum_kib: Some(4_194_304),
                balloon_rss_kib: Some(900_000),
                balloon_unused_kib: Some(1_048_576),
                balloon_available_kib: Some(2_000_000),
                block_rd_bytes: Some(4096 + 1024),
                block_wr_bytes: Some(8192),
                net_rx_bytes: Some(1500),
                net_tx_bytes: Some(2050),
            }
        );
    }

    #[test]
    fn decodes_state_only_record() {
        // What the test driver returns: state only.
        let s = decode_params(
            "u-2".into(),
            &[
                p("state.state", ParamValue::Int(5)),
                p("state.reason", ParamValue::Int(0)),
            ],
        );
        assert_eq!(s.state, Some(5));
        assert_eq!(s.cpu_time_ns, None);
        assert_eq!(s.block_rd_bytes, None);
        assert_eq!(s.net_rx_bytes, None);
        assert_eq!(s.vcpus, None);
    }

    #[test]
    fn ignores_counts_and_odd_names() {
        let s = decode_params(
            "u".into(),
            &[
                p("block.count", ParamValue::UInt(7)),
                p("block.x.rd.bytes", ParamValue::UInt(1)),
                p("block..rd.bytes", ParamValue::UInt(1)),
                p("net.count", ParamValue::UInt(3)),
                p("net.0.rx.pkts", ParamValue::UInt(9)),
                p("cpu.time", ParamValue::Str("nope".into())),
                p("state.state", ParamValue::Int(-1)),
                p("something.new", ParamValue::Bool(true)),
            ],
        );
        assert_eq!(s.block_rd_bytes, None);
        assert_eq!(s.net_rx_bytes, None);
        assert_eq!(s.cpu_time_ns, None);
        assert_eq!(s.state, Some(-1));
    }

    #[test]
    fn sums_saturate() {
        let s = decode_params(
            "u".into(),
            &[
                p("block.0.rd.bytes", ParamValue::UInt(u64::MAX)),
                p("block.1.rd.bytes", ParamValue::UInt(5)),
            ],
        );
        assert_eq!(s.block_rd_bytes, Some(u64::MAX));
    }

    #[test]
    fn stat_kinds_raw_bits() {
        assert_eq!(
            StatKinds::all().to_raw(),
            sys::VIR_DOMAIN_STATS_STATE
                | sys::VIR_DOMAIN_STATS_CPU_TOTAL
                | sys::VIR_DOMAIN_STATS_BALLOON
                | sys::VIR_DOMAIN_STATS_BLOCK
                | sys::VIR_DOMAIN_STATS_INTERFACE
        );
        let none = StatKinds {
            cpu: false,
            memory: false,
            disk: false,
            network: false,
        };
        assert_eq!(none.to_raw(), sys::VIR_DOMAIN_STATS_STATE);
        let cpu_only = StatKinds { cpu: true, ..none };
        assert_eq!(
            cpu_only.to_raw(),
            sys::VIR_DOMAIN_STATS_STATE | sys::VIR_DOMAIN_STATS_CPU_TOTAL
        );
    }

    fn sample(cpu: u64, rd: u64, wr: u64, rx: u64, tx: u64) -> DomainSample {
        DomainSample {
            uuid: "u".into(),
            state: Some(1),
            cpu_time_ns: Some(cpu),
            vcpus: Some(2),
            block_rd_bytes: Some(rd),
            block_wr_bytes: Some(wr),
            net_rx_bytes: Some(rx),
            net_tx_bytes: Some(tx),
            ..DomainSample::default()
        }
    }

    #[test]
    fn usage_rates() {
        let a = sample(1_000_000_000, 0, 0, 0, 0);
        let b = sample(2_000_000_000, 2048, 4096, 1000, 10);
        let u = usage_between(&a, &b, 2.0, 4);
        // 1 s of CPU over 2 s = half a CPU: 25 % of 2 vCPUs, 12.5 % of 4 host CPUs.
        assert!((u.cpu_percent - 25.0).abs() < 1e-9, "{u:?}");
        assert!((u.cpu_host_percent - 12.5).abs() < 1e-9, "{u:?}");
        assert_eq!(u.disk_read_bps, Some(1024.0));
        assert_eq!(u.disk_write_bps, Some(2048.0));
        assert_eq!(u.net_rx_bps, Some(500.0));
        assert_eq!(u.net_tx_bps, Some(5.0));
    }

    #[test]
    fn usage_clamps_cpu_to_100() {
        let a = sample(0, 0, 0, 0, 0);
        let b = sample(10_000_000_000, 0, 0, 0, 0); // 10 s of CPU in 1 s on 2 vCPUs
        let u = usage_between(&a, &b, 1.0, 1);
        assert_eq!(u.cpu_percent, 100.0);
        assert_eq!(u.cpu_host_percent, 100.0);
    }

    #[test]
    fn usage_counter_reset_gives_zero() {
        let a = sample(9_000_000_000, 5000, 5000, 5000, 5000);
        let b = sample(1_000_000, 10, 10, 10, 10);
        let u = usage_between(&a, &b, 1.0, 4);
        assert_eq!(u.cpu_percent, 0.0);
        assert_eq!(u.cpu_host_percent, 0.0);
        assert_eq!(u.disk_read_bps, Some(0.0));
        assert_eq!(u.disk_write_bps, Some(0.0));
        assert_eq!(u.net_rx_bps, Some(0.0));
        assert_eq!(u.net_tx_bps, Some(0.0));
    }

    #[test]
    fn usage_zero_or_bad_elapsed() {
        let a = sample(0, 0, 0, 0, 0);
        let b = sample(1_000_000_000, 100, 100, 100, 100);
        for elapsed in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let u = usage_between(&a, &b, elapsed, 4);
            assert_eq!(u.cpu_percent, 0.0, "elapsed {elapsed}");
            assert_eq!(u.cpu_host_percent, 0.0, "elapsed {elapsed}");
            assert_eq!(u.disk_read_bps, Some(0.0), "elapsed {elapsed}");
            assert_eq!(u.net_tx_bps, Some(0.0), "elapsed {elapsed}");
        }
    }

    #[test]
    fn usage_missing_counters_are_none() {
        let a = DomainSample::default();
        let b = DomainSample {
            state: Some(5),
            ..DomainSample::default()
        };
        let u = usage_between(&a, &b, 1.0, 0);
        assert_eq!(u, Usage::default());
        // A counter present only in the new sample: no rate yet.
        let c = sample(1, 1, 1, 1, 1);
        let u = usage_between(&a, &c, 1.0, 4);
        assert_eq!(u.disk_read_bps, None);
        assert_eq!(u.cpu_percent, 0.0);
    }

    #[test]
    fn usage_without_vcpu_count_falls_back_to_host_share() {
        let mut a = sample(0, 0, 0, 0, 0);
        let mut b = sample(2_000_000_000, 0, 0, 0, 0);
        a.vcpus = None;
        b.vcpus = None;
        let u = usage_between(&a, &b, 1.0, 8);
        assert_eq!(u.cpu_host_percent, 25.0);
        assert_eq!(u.cpu_percent, 25.0);
        // host_cpus 0 is treated as 1, never a division by zero.
        let u = usage_between(&a, &b, 4.0, 0);
        assert_eq!(u.cpu_host_percent, 50.0);
    }

    #[test]
    fn usage_memory_sources() {
        let base = DomainSample {
            balloon_current_kib: Some(4000),
            balloon_maximum_kib: Some(8000),
            balloon_rss_kib: Some(3000),
            balloon_available_kib: Some(3900),
            balloon_unused_kib: Some(900),
            ..DomainSample::default()
        };
        let u = usage_between(&base, &base, 1.0, 1);
        assert_eq!(u.memory_used_kib, Some(3000)); // available - unused
        assert_eq!(u.memory_total_kib, Some(4000));

        let no_guest = DomainSample {
            balloon_available_kib: None,
            ..base.clone()
        };
        let u = usage_between(&base, &no_guest, 1.0, 1);
        assert_eq!(u.memory_used_kib, Some(3000)); // rss

        let only_current = DomainSample {
            balloon_current_kib: Some(4000),
            ..DomainSample::default()
        };
        let u = usage_between(&base, &only_current, 1.0, 1);
        assert_eq!(u.memory_used_kib, Some(4000));
        assert_eq!(u.memory_total_kib, Some(4000));

        let only_max = DomainSample {
            balloon_maximum_kib: Some(8000),
            ..DomainSample::default()
        };
        let u = usage_between(&base, &only_max, 1.0, 1);
        assert_eq!(u.memory_used_kib, None);
        assert_eq!(u.memory_total_kib, Some(8000));

        // Inconsistent guest figures (unused > available) fall back to rss.
        let odd = DomainSample {
            balloon_available_kib: Some(100),
            balloon_unused_kib: Some(200),
            ..base.clone()
        };
        assert_eq!(
            usage_between(&base, &odd, 1.0, 1).memory_used_kib,
            Some(3000)
        );
    }

    #[test]
    fn field_name_stops_at_nul_and_survives_no_nul() {
        let mut f = [0 as c_char; 8];
        for (i, b) in b"cpu.time".iter().enumerate().take(8) {
            f[i] = *b as c_char;
        }
        assert_eq!(field_name(&f), "cpu.time"); // no terminator at all
        f[3] = 0;
        assert_eq!(field_name(&f), "cpu");
    }
}
