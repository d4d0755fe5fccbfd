//! Hardware changes on a connection's worker: define an edited domain, attach, detach
//! and update devices (live where the domain runs and libvirt can), and the facts the
//! editor validates against. Removing a disk never deletes its file: only the device
//! leaves the domain.

use std::ffi::CString;

use virt::domain::Domain;
use virt::sys;

use super::domain_xml::DomainXml;
use super::worker::{Connection, Worker};
use super::{Error, Result};

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
                    .map_err(|_| e)
            }
            Err(e) => Err(e),
        }
    };
    w.refresh(uuid);
    result
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
            let Some(src) = super::domain_xml::DiskView::source(el) else {
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

impl Connection {
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
