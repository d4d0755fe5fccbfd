//! Hardware changes on a connection's worker: define an edited domain, attach, detach
//! and update devices (live where the domain runs and libvirt can), and the facts the
//! editor validates against. Removing a disk never deletes its file: only the device
//! leaves the domain.

use std::ffi::CString;

use virt::domain::Domain;
use virt::sys;

use crate::backend::conn::worker::{Connection, Worker};
use crate::backend::domain_xml::DomainXml;
use crate::backend::{Error, Result};

/// When a change takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The domain is shut off: saved, in effect at the next start.
    Saved,
    /// Applied to the running domain and saved.
    Now,
    /// Saved; the running domain gets it after it shuts down.
    AfterShutdown,
}

/// The domain's configuration as the editor starts from it.
#[derive(Debug, Clone, PartialEq)]
pub struct EditableDomain {
    /// The persistent (inactive) XML: what Apply rewrites.
    pub xml: String,
    pub active: bool,
    pub persistent: bool,
    /// Capacity in bytes of each disk source libvirt could size, by source path.
    pub disk_sizes: Vec<(String, u64)>,
}

/// What validation checks against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HardwareLimits {
    pub host_memory_kib: u64,
    pub max_vcpus: Option<u32>,
}

/// What the device call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceOp {
    Attach,
    Detach,
    Update,
}

fn is_refusal(e: &Error) -> bool {
    matches!(
        e,
        Error::Unsupported(_) | Error::InvalidState(_) | Error::Libvirt { .. }
    )
}

fn device_call(d: &Domain, op: DeviceOp, xml: &str, flags: u32) -> Result<()> {
    match op {
        DeviceOp::Attach => d.attach_device_flags(xml, flags)?,
        DeviceOp::Detach => d.detach_device_flags(xml, flags)?,
        DeviceOp::Update => d.update_device_flags(xml, flags)?,
    }
    Ok(())
}

/// Run a device operation: live and in the configuration where the domain runs
/// (falling back to the configuration alone when libvirt cannot do it live), in the
/// configuration alone where it does not.
pub fn device_op(w: &mut Worker, uuid: &str, op: DeviceOp, xml: &str) -> Result<Applied> {
    // A live update (a NIC moved to another network) comes with no event.
    w.forget_nics(uuid);
    let d = w.domain(uuid)?;
    let active = d.is_active()?;
    let persistent = d.is_persistent().unwrap_or(true);
    let config = sys::VIR_DOMAIN_AFFECT_CONFIG;
    let live = sys::VIR_DOMAIN_AFFECT_LIVE;
    let result = if !active {
        device_call(&d, op, xml, config).map(|_| Applied::Saved)
    } else if !persistent {
        device_call(&d, op, xml, live).map(|_| Applied::Now)
    } else {
        match device_call(&d, op, xml, live | config) {
            Ok(()) => Ok(Applied::Now),
            Err(e) if is_refusal(&e) => {
                tracing::debug!("{op:?} live refused ({e}); saving to the configuration");
                device_call(&d, op, xml, config)
                    .map(|_| Applied::AfterShutdown)
                    .map_err(|c| match c {
                        Error::Unsupported(_) => c,
                        _ => e,
                    })
            }
            Err(e) => Err(e),
        }
    };
    // Drivers without device calls (the test driver): edit the definition instead.
    let result = match result {
        Err(Error::Unsupported(_)) if op != DeviceOp::Update && persistent => {
            redefine_with(w, &d, op, xml).map(|_| {
                if active {
                    Applied::AfterShutdown
                } else {
                    Applied::Saved
                }
            })
        }
        other => other,
    };
    w.refresh(uuid);
    result
}

/// Add or remove a device by rewriting the inactive definition.
fn redefine_with(w: &mut Worker, d: &Domain, op: DeviceOp, xml: &str) -> Result<()> {
    let bad = |e: crate::backend::xml::XmlError| Error::InvalidInput(e.to_string());
    let mut dom = DomainXml::parse(&d.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)?).map_err(bad)?;
    let el = crate::backend::xml::Document::parse(xml).map_err(bad)?.root;
    match op {
        DeviceOp::Attach => {
            dom.add_device(el);
        }
        DeviceOp::Detach => {
            let index = dom
                .device_indices()
                .into_iter()
                .find(|i| dom.device(*i) == Some(&el))
                .ok_or_else(|| {
                    Error::InvalidInput("the device is no longer in the definition".into())
                })?;
            dom.remove_device(index);
        }
        DeviceOp::Update => {}
    }
    w.conn()?.define_domain_xml(&dom.to_xml())?;
    Ok(())
}

/// Define the edited XML of an existing domain. A new name is applied by renaming
/// first (libvirt refuses a definition that renames).
pub fn define_edited(w: &mut Worker, uuid: &str, xml: &str) -> Result<Applied> {
    let parsed = DomainXml::parse(xml).map_err(|e| Error::InvalidInput(e.to_string()))?;
    if let Some(u) = parsed.uuid() {
        if !u.eq_ignore_ascii_case(uuid) {
            return Err(Error::InvalidInput(format!(
                "the UUID in the XML ({u}) is not this virtual machine’s ({uuid})"
            )));
        }
    }
    let d = w.domain(uuid)?;
    let active = d.is_active()?;
    let new_name = parsed.general().name;
    if !new_name.is_empty() && d.name()? != new_name {
        if active {
            return Err(Error::InvalidState(
                "a running virtual machine cannot be renamed".into(),
            ));
        }
        d.rename(&new_name, 0)?;
    }
    let conn = w.conn()?;
    // VALIDATE asks libvirt to check the XML against its schema as well.
    let defined = conn
        .define_domain_xml_flags(xml, sys::VIR_DOMAIN_DEFINE_VALIDATE)
        .or_else(|e| match Error::from_virt(&e) {
            // Drivers without the flag (the test driver) take it plain.
            Error::Unsupported(_) => conn.define_domain_xml(xml),
            _ => Err(e),
        })?;
    drop(defined);
    w.refresh(uuid);
    Ok(if active {
        Applied::AfterShutdown
    } else {
        Applied::Saved
    })
}

/// The inactive XML and what the editor needs with it.
pub fn editable(w: &mut Worker, uuid: &str) -> Result<EditableDomain> {
    let d = w.domain(uuid)?;
    let active = d.is_active()?;
    let persistent = d.is_persistent().unwrap_or(true);
    let flags = if persistent {
        sys::VIR_DOMAIN_XML_INACTIVE
    } else {
        0
    };
    let xml = d.xml_desc(flags)?;
    let mut disk_sizes = Vec::new();
    if let Ok(parsed) = DomainXml::parse(&xml) {
        for dev in parsed.devices() {
            let Some(el) = parsed.device(dev.index) else {
                continue;
            };
            if el.name != "disk" {
                continue;
            }
            let Some(src) = crate::backend::domain_xml::DiskView::source(el) else {
                continue;
            };
            // Block info on a path works for active and inactive domains alike.
            if let Ok(info) = d.block_info(&src, 0) {
                disk_sizes.push((src, info.capacity));
            }
        }
    }
    Ok(EditableDomain {
        xml,
        active,
        persistent,
        disk_sizes,
    })
}

/// Host memory and the hypervisor's vCPU maximum for `domain_type` ("kvm", "qemu").
pub fn limits(w: &mut Worker, domain_type: &str) -> Result<HardwareLimits> {
    let conn = w.conn()?;
    let node = conn.node_info()?;
    let max_vcpus = CString::new(domain_type).ok().and_then(|t| {
        // SAFETY: the connection pointer is valid while `conn` lives; `t` is a
        // NUL-terminated string that outlives the call.
        let n = unsafe { sys::virConnectGetMaxVcpus(conn.as_ptr(), t.as_ptr()) };
        u32::try_from(n).ok().filter(|n| *n > 0)
    });
    Ok(HardwareLimits {
        host_memory_kib: node.memory,
        max_vcpus,
    })
}

/// The XML the editor starts from (the persistent definition; the live one of a
/// transient domain), alone: cheap enough to ask every few seconds.
pub fn editable_xml(w: &mut Worker, uuid: &str) -> Result<String> {
    let d = w.domain(uuid)?;
    let flags = if d.is_persistent().unwrap_or(true) {
        sys::VIR_DOMAIN_XML_INACTIVE
    } else {
        0
    };
    Ok(d.xml_desc(flags)?)
}

impl Connection {
    /// The XML the editor starts from, without the rest of [`EditableDomain`].
    pub async fn editable_xml(&self, uuid: String) -> Result<String> {
        self.call(move |w| editable_xml(w, &uuid)).await
    }

    /// The domain's persistent XML for the editor.
    pub async fn editable_domain(&self, uuid: String) -> Result<EditableDomain> {
        self.call(move |w| editable(w, &uuid)).await
    }

    /// Define the edited XML (general, CPU, memory, boot or device changes).
    pub async fn define_edited(&self, uuid: String, xml: String) -> Result<Applied> {
        self.call(move |w| define_edited(w, &uuid, &xml)).await
    }

    /// Attach, detach or update one device, live where possible.
    pub async fn device_op(&self, uuid: String, op: DeviceOp, xml: String) -> Result<Applied> {
        self.call(move |w| device_op(w, &uuid, op, &xml)).await
    }

    pub async fn hardware_limits(&self, domain_type: String) -> Result<HardwareLimits> {
        self.call(move |w| limits(w, &domain_type)).await
    }
}

/// What changing a domain's current memory or vCPU count did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveChange {
    pub applied: Applied,
    /// libvirt's reason for not changing the running domain (the change is saved for
    /// after shutdown instead).
    pub refused: Option<String>,
}

/// Run `set` with LIVE|CONFIG on a running domain, CONFIG alone on one that is shut
/// off, and CONFIG alone when libvirt refuses the live change (no balloon, no vCPU
/// hotplug on this machine type, beyond the running maximum…).
fn live_and_config(
    w: &mut Worker,
    uuid: &str,
    set: impl Fn(&Domain, u32) -> std::result::Result<(), virt::error::Error>,
) -> Result<LiveChange> {
    let d = w.domain(uuid)?;
    let active = d.is_active()?;
    let persistent = d.is_persistent().unwrap_or(true);
    // The MEM_ and VCPU_ flags have the AFFECT_ values.
    let (live, config) = (sys::VIR_DOMAIN_AFFECT_LIVE, sys::VIR_DOMAIN_AFFECT_CONFIG);
    let result = if !active {
        set(&d, config)
            .map_err(|e| Error::from_virt(&e))
            .map(|_| LiveChange {
                applied: Applied::Saved,
                refused: None,
            })
    } else {
        let flags = if persistent { live | config } else { live };
        match set(&d, flags).map_err(|e| Error::from_virt(&e)) {
            Ok(()) => Ok(LiveChange {
                applied: Applied::Now,
                refused: None,
            }),
            Err(e) if persistent && is_refusal(&e) => {
                tracing::debug!("live change refused ({e}); saving to the configuration");
                set(&d, config)
                    .map_err(|c| Error::from_virt(&c))
                    .map(|_| LiveChange {
                        applied: Applied::AfterShutdown,
                        refused: Some(match &e {
                            Error::Libvirt { message, .. } => message.clone(),
                            other => other.to_string(),
                        }),
                    })
            }
            Err(e) => Err(e),
        }
    };
    w.refresh(uuid);
    result
}

/// Set the current memory (the balloon target, within the maximum), live where the
/// domain runs.
pub fn set_current_memory(w: &mut Worker, uuid: &str, kib: u64) -> Result<LiveChange> {
    live_and_config(w, uuid, |d, flags| d.set_memory_flags(kib, flags))
}

/// Set the number of plugged vCPUs (within the maximum), live where the domain runs.
pub fn set_current_vcpus(w: &mut Worker, uuid: &str, n: u32) -> Result<LiveChange> {
    live_and_config(w, uuid, |d, flags| d.set_vcpus_flags(n, flags))
}

impl Connection {
    /// Change the current memory, live where possible (see [`set_current_memory`]).
    pub async fn set_current_memory(&self, uuid: String, kib: u64) -> Result<LiveChange> {
        self.call(move |w| set_current_memory(w, &uuid, kib)).await
    }

    /// Change the current vCPU count, live where possible (see [`set_current_vcpus`]).
    pub async fn set_current_vcpus(&self, uuid: String, n: u32) -> Result<LiveChange> {
        self.call(move |w| set_current_vcpus(w, &uuid, n)).await
    }
}

/// A volume of a storage pool, to use as a disk's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    pub name: String,
    pub path: String,
    pub capacity: u64,
    pub allocation: u64,
    /// `<target><format type=…>`: qcow2, raw, iso…; empty when libvirt says none.
    pub format: String,
}

/// A storage pool with its volumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolVolumes {
    pub name: String,
    pub active: bool,
    /// Free space in bytes.
    pub available: u64,
    /// The pool's type (dir, logical, netfs…): new volumes are offered in dir-like
    /// pools where qcow2 and raw files can be made.
    pub kind: String,
    pub volumes: Vec<VolumeInfo>,
}

fn format_of(xml: &str) -> String {
    crate::backend::xml::Document::parse(xml)
        .ok()
        .and_then(|d| {
            d.root
                .find(&["target", "format"])
                .and_then(|f| f.attr("type"))
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// Every storage pool of the connection with its volumes (inactive pools without).
pub fn storage_volumes(w: &mut Worker) -> Result<Vec<PoolVolumes>> {
    let conn = w.conn()?;
    let mut out = Vec::new();
    for pool in conn.list_all_storage_pools(0)? {
        let name = pool.name()?;
        let active = pool.is_active().unwrap_or(false);
        let kind = pool
            .xml_desc(0)
            .ok()
            .and_then(|x| crate::backend::xml::Document::parse(&x).ok())
            .and_then(|d| d.root.attr("type").map(str::to_string))
            .unwrap_or_default();
        let mut volumes = Vec::new();
        let mut available = 0;
        if active {
            // Files copied into the directory by hand show up too.
            let _ = pool.refresh(0);
            available = pool.info().map(|i| i.available).unwrap_or(0);
            for vol in pool.list_all_volumes(0)? {
                let Ok(path) = vol.path() else { continue };
                let info = vol.info().ok();
                volumes.push(VolumeInfo {
                    name: vol.name().unwrap_or_default(),
                    path,
                    capacity: info.as_ref().map_or(0, |i| i.capacity),
                    allocation: info.as_ref().map_or(0, |i| i.allocation),
                    format: vol.xml_desc(0).map(|x| format_of(&x)).unwrap_or_default(),
                });
            }
            volumes.sort_by(|a, b| a.name.cmp(&b.name));
        }
        out.push(PoolVolumes {
            name,
            active,
            available,
            kind,
            volumes,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Why a new volume cannot be made in `pool` (checked as typed): a name that is
/// empty, has a slash or is taken, a size of nothing or beyond the free space.
pub fn check_new_volume(pool: &PoolVolumes, name: &str, bytes: u64) -> Option<String> {
    use crate::i18n::{gettext, gettext_f};
    let name = name.trim();
    if name.is_empty() {
        return Some(gettext("The volume needs a name"));
    }
    if name.contains('/') || name == "." || name == ".." {
        return Some(gettext("A volume name cannot contain “/”"));
    }
    if pool.volumes.iter().any(|v| v.name == name) {
        return Some(gettext_f(
            "{pool} already has a volume “{name}”",
            &[("pool", &pool.name), ("name", name)],
        ));
    }
    if !pool.active {
        return Some(gettext_f(
            "The pool {pool} is not active",
            &[("pool", &pool.name)],
        ));
    }
    if bytes == 0 {
        return Some(gettext("The size must be more than nothing"));
    }
    if bytes > pool.available {
        return Some(gettext_f(
            "Only {free} are free in {pool}",
            &[
                ("free", &crate::backend::units::format_bytes(pool.available)),
                ("pool", &pool.name),
            ],
        ));
    }
    None
}

/// Make a volume of `bytes` in `pool` in `format` (qcow2 or raw; both start
/// sparse) and return its path.
pub fn create_volume(
    w: &mut Worker,
    pool: &str,
    name: &str,
    bytes: u64,
    format: &str,
) -> Result<String> {
    if !matches!(format, "qcow2" | "raw") {
        return Err(Error::InvalidInput(format!(
            "volumes are made as qcow2 or raw, not {format}"
        )));
    }
    let conn = w.conn()?;
    let p = conn.lookup_storage_pool_by_name(pool)?;
    let current = storage_volumes(w)?
        .into_iter()
        .find(|x| x.name == pool)
        .ok_or_else(|| Error::InvalidInput(format!("no storage pool {pool}")))?;
    if let Some(why) = check_new_volume(&current, name, bytes) {
        return Err(Error::InvalidInput(why));
    }
    let xml =
        crate::backend::storage::volumes::VolumeSpec::sparse(name.trim(), format, bytes).to_xml();
    let v = virt::storage_vol::StorageVol::create_xml(&p, &xml, 0)?;
    Ok(v.path()?)
}

impl Connection {
    /// The connection's storage pools with their volumes.
    pub async fn storage_volumes(&self) -> Result<Vec<PoolVolumes>> {
        self.call(storage_volumes).await
    }

    /// Make a qcow2 or raw volume and return its path (see [`create_volume`]).
    pub async fn create_volume(
        &self,
        pool: String,
        name: String,
        bytes: u64,
        format: String,
    ) -> Result<String> {
        self.call(move |w| create_volume(w, &pool, &name, bytes, &format))
            .await
    }
}

/// The guest's addresses by MAC address (lower case), from DHCP leases and the ARP
/// table; empty for a domain that does not run.
pub fn guest_addresses(w: &mut Worker, uuid: &str) -> Result<Vec<(String, Vec<String>)>> {
    let d = w.domain(uuid)?;
    if !d.is_active()? {
        return Ok(Vec::new());
    }
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    // The network's leases, the host's neighbour table (guests on a host bridge get
    // their address from the LAN's router), and the guest agent when it answers.
    let mut sources = vec![
        sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
        sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
    ];
    if agent_connected(&d) {
        sources.push(sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT);
    }
    for source in sources {
        let mut ifaces: *mut sys::virDomainInterfacePtr = std::ptr::null_mut();
        // SAFETY: `d` is a valid domain; `ifaces` receives an array libvirt allocates,
        // which is read and freed below (each entry with virDomainInterfaceFree, the
        // array with free), and not used after.
        let n = unsafe { sys::virDomainInterfaceAddresses(d.as_ptr(), &mut ifaces, source, 0) };
        if n < 0 || ifaces.is_null() {
            continue;
        }
        for i in 0..n as usize {
            // SAFETY: `i` < `n`, the number of entries libvirt returned.
            let p = unsafe { *ifaces.add(i) };
            if p.is_null() {
                continue;
            }
            // SAFETY: `p` is a valid virDomainInterface; its strings are NUL-terminated
            // or null, and `addrs` has `naddrs` entries.
            let (mac, addrs) = unsafe {
                let iface = &*p;
                let mac = if iface.hwaddr.is_null() {
                    String::new()
                } else {
                    std::ffi::CStr::from_ptr(iface.hwaddr)
                        .to_string_lossy()
                        .to_ascii_lowercase()
                };
                let mut addrs = Vec::new();
                for j in 0..iface.naddrs as usize {
                    let a = &*iface.addrs.add(j);
                    if !a.addr.is_null() {
                        let s = std::ffi::CStr::from_ptr(a.addr).to_string_lossy();
                        addrs.push(format!("{s}/{}", a.prefix));
                    }
                }
                sys::virDomainInterfaceFree(p);
                (mac, addrs)
            };
            match out.iter_mut().find(|(m, _)| *m == mac) {
                Some((_, list)) => {
                    for a in addrs {
                        if !list.contains(&a) {
                            list.push(a);
                        }
                    }
                }
                None => out.push((mac, addrs)),
            }
        }
        // SAFETY: the array came from libvirt's allocator; its entries are freed above.
        unsafe { libc::free(ifaces.cast()) };
    }
    Ok(out)
}

/// Whether the guest agent is connected (the live XML's channel says so): only then
/// is it asked, so a guest without one never holds up the worker.
fn agent_connected(d: &Domain) -> bool {
    let Ok(xml) = d.xml_desc(0) else {
        return false;
    };
    let Ok(doc) = crate::backend::xml::Document::parse(&xml) else {
        return false;
    };
    let connected = doc
        .root
        .child("devices")
        .into_iter()
        .flat_map(|d| d.children_named("channel"))
        .filter_map(|c| c.child("target"))
        .any(|t| {
            t.attr("name") == Some("org.qemu.guest_agent.0") && t.attr("state") == Some("connected")
        });
    connected
}

/// A USB or PCI device of the host, to pass through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostDevice {
    /// "usb" or "pci".
    pub kind: String,
    /// What people read: product and vendor names, with the IDs or address.
    pub label: String,
    /// USB: vendor and product IDs (`0x046d`); PCI: domain, bus, slot, function.
    pub ids: Vec<String>,
}

/// Parse one node device's XML into a [`HostDevice`], when it is USB or PCI.
pub fn parse_node_device(xml: &str) -> Option<HostDevice> {
    let doc = crate::backend::xml::Document::parse(xml).ok()?;
    let cap = doc.root.child("capability")?;
    let text = |p: &[&str]| cap.find(p).map(|e| e.text().trim().to_string());
    let attr = |p: &[&str], a: &str| cap.find(p).and_then(|e| e.attr(a)).map(str::to_string);
    match cap.attr("type")? {
        "usb_device" => {
            let vendor = attr(&["vendor"], "id")?;
            let product = attr(&["product"], "id")?;
            let names = format!(
                "{} {}",
                text(&["vendor"]).unwrap_or_default(),
                text(&["product"]).unwrap_or_default()
            );
            let ids = format!(
                "{}:{}",
                vendor.trim_start_matches("0x"),
                product.trim_start_matches("0x")
            );
            Some(HostDevice {
                kind: "usb".into(),
                label: format!("{} ({ids})", names.trim()),
                ids: vec![vendor, product],
            })
        }
        "pci" => {
            let n = |p: &str| text(&[p]).and_then(|t| t.parse::<u32>().ok());
            let (dom, bus, slot, func) = (n("domain")?, n("bus")?, n("slot")?, n("function")?);
            let addr = format!("{dom:04x}:{bus:02x}:{slot:02x}.{func:x}");
            let names = format!(
                "{} {}",
                text(&["vendor"]).unwrap_or_default(),
                text(&["product"]).unwrap_or_default()
            );
            Some(HostDevice {
                kind: "pci".into(),
                label: format!("{} ({addr})", names.trim()),
                ids: vec![
                    format!("0x{dom:04x}"),
                    format!("0x{bus:02x}"),
                    format!("0x{slot:02x}"),
                    format!("0x{func:x}"),
                ],
            })
        }
        _ => None,
    }
}

/// The host's USB devices and PCI functions.
pub fn host_devices(w: &mut Worker) -> Result<Vec<HostDevice>> {
    let conn = w.conn()?;
    let flags = sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV
        | sys::VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV;
    let mut out = Vec::new();
    for dev in conn.list_all_node_devices(flags)? {
        if let Ok(xml) = dev.xml_desc(0) {
            out.extend(parse_node_device(&xml));
        }
    }
    Ok(out)
}

impl Connection {
    /// The running guest's addresses by MAC address.
    pub async fn guest_addresses(&self, uuid: String) -> Result<Vec<(String, Vec<String>)>> {
        self.call(move |w| guest_addresses(w, &uuid)).await
    }

    /// The host's USB and PCI devices, for passing one through.
    pub async fn host_devices(&self) -> Result<Vec<HostDevice>> {
        self.call(host_devices).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_devices_become_host_devices() {
        let usb = "<device><name>usb_1_2</name><capability type='usb_device'>\
            <bus>1</bus><device>2</device>\
            <product id='0xc52b'>Unifying Receiver</product>\
            <vendor id='0x046d'>Logitech, Inc.</vendor></capability></device>";
        let d = parse_node_device(usb).expect("a USB device");
        assert_eq!(d.kind, "usb");
        assert_eq!(d.label, "Logitech, Inc. Unifying Receiver (046d:c52b)");
        assert_eq!(d.ids, ["0x046d", "0xc52b"]);
        let pci = "<device><name>pci_0000_06_00_0</name><capability type='pci'>\
            <class>0x030000</class><domain>0</domain><bus>6</bus><slot>0</slot>\
            <function>0</function><product id='0x1234'>VGA</product>\
            <vendor id='0x1af4'>Red Hat</vendor></capability></device>";
        let p = parse_node_device(pci).expect("a PCI function");
        assert_eq!(p.label, "Red Hat VGA (0000:06:00.0)");
        assert_eq!(p.ids, ["0x0000", "0x06", "0x00", "0x0"]);
        assert!(parse_node_device("<device><capability type='net'/></device>").is_none());
        assert!(parse_node_device("not xml").is_none());
    }
}
