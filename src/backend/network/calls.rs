//! libvirt calls on networks: reading them, their DHCP leases, their inactive XML,
//! looking one up, applying a live edit, and gathering the topology.

use std::collections::HashMap;

use virt::connect::Connect;
use virt::network::Network;
use virt::sys;

use super::guests::*;
use super::host::{c_string, libvirt_interfaces, local_interfaces, HostIface};
use super::info::*;
use super::spec::*;
use crate::backend::{Error, Result};

/// A DHCP lease, from `virNetworkGetDHCPLeases`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The bridge it was handed out on.
    pub iface: String,
    /// Seconds since the epoch.
    pub expiry: i64,
    pub v6: bool,
    pub mac: String,
    pub ip: String,
    pub prefix: u32,
    pub hostname: String,
    pub client_id: String,
    /// The guest with this MAC, when one is known.
    pub guest: Option<String>,
}

/// The DHCP leases of `net` (safe wrapper: every record and the array are freed).
pub fn dhcp_leases(net: &Network) -> Result<Vec<Lease>> {
    let mut leases: *mut sys::virNetworkDHCPLeasePtr = std::ptr::null_mut();
    // SAFETY: `net` is a valid network; `leases` is a valid out-pointer; a NULL mac
    // asks for every lease.
    let n = unsafe { sys::virNetworkGetDHCPLeases(net.as_ptr(), std::ptr::null(), &mut leases, 0) };
    if n < 0 {
        return Err(Error::from_virt(&virt::error::Error::last_error()));
    }
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        // SAFETY: libvirt filled `leases` with `n` valid lease pointers.
        let lp = unsafe { *leases.add(i) };
        if lp.is_null() {
            continue;
        }
        // SAFETY: `lp` points to a valid lease record until it is freed below; its
        // strings are NULL or NUL-terminated.
        let lease = unsafe {
            let l = &*lp;
            Lease {
                iface: c_string(l.iface),
                expiry: l.expirytime,
                v6: l.type_ == sys::VIR_IP_ADDR_TYPE_IPV6 as i32,
                mac: c_string(l.mac).to_ascii_lowercase(),
                ip: c_string(l.ipaddr),
                prefix: l.prefix,
                hostname: c_string(l.hostname),
                client_id: c_string(l.clientid),
                guest: None,
            }
        };
        out.push(lease);
        // SAFETY: each record is freed once, and not used after.
        unsafe { sys::virNetworkDHCPLeaseFree(lp) };
    }
    if !leases.is_null() {
        // SAFETY: the array was allocated by libvirt with malloc; its records are freed.
        unsafe { libc::free(leases.cast()) };
    }
    Ok(out)
}

/// Read one network.
pub fn read_network(net: &Network) -> Result<NetworkInfo> {
    let xml = net.xml_desc(0)?;
    let mut info = NetworkInfo::from_xml(&xml).map_err(|e| Error::Libvirt {
        code: 0,
        domain: 0,
        message: e.to_string(),
    })?;
    info.uuid = net.uuid_string()?;
    info.name = net.name()?;
    info.active = net.is_active()?;
    info.persistent = net.is_persistent().unwrap_or(true);
    info.autostart = net.autostart().unwrap_or(false);
    Ok(info)
}

/// Every network, with the guests (of `guests`) attached to each.
pub fn list_networks(conn: &Connect, guests: &[GuestNics]) -> Result<Vec<NetworkInfo>> {
    let mut out = Vec::new();
    for n in conn.list_all_networks(0)? {
        match read_network(&n) {
            Ok(mut info) => {
                info.guests = guests_of(&info, guests);
                out.push(info);
            }
            Err(e) => tracing::debug!("network skipped: {e}"),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The persistent definition's XML; drivers that cannot tell it apart (the test
/// driver) give the current XML.
pub fn inactive_xml(net: &Network) -> Result<String> {
    match net.xml_desc(sys::VIR_NETWORK_XML_INACTIVE) {
        Ok(x) => Ok(x),
        Err(e) => {
            let err = Error::from_virt(&e);
            if err.is_connection_lost() {
                return Err(err);
            }
            Ok(net.xml_desc(0)?)
        }
    }
}

/// Look a network up by UUID, with a clear error when it is gone.
pub fn lookup(conn: &Connect, uuid: &str) -> Result<Network> {
    conn.lookup_network_by_uuid_string(uuid).map_err(|e| {
        let err = Error::from_virt(&e);
        if e.code().to_raw() == sys::VIR_ERR_NO_NETWORK {
            Error::InvalidState(format!("the network {uuid} no longer exists"))
        } else {
            err
        }
    })
}

/// Apply a `virNetworkUpdate` edit: live when the network runs, and to the persistent
/// definition when there is one.
pub fn apply_edit(net: &Network, edit: &NetworkEdit) -> Result<()> {
    let (cmd, section, index, xml) = edit.update_args();
    let active = net.is_active()?;
    let persistent = net.is_persistent().unwrap_or(true);
    let mut flags = 0;
    if active {
        flags |= sys::VIR_NETWORK_UPDATE_AFFECT_LIVE;
    }
    if persistent {
        flags |= sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG;
    }
    net.update(cmd, section, index, &xml, flags)?;
    Ok(())
}

/// A connection's networking at one moment: what the topology view draws.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Topology {
    pub hostname: String,
    pub host: Vec<HostIface>,
    pub networks: Vec<NetworkInfo>,
    /// Running guests only.
    pub guests: Vec<GuestNics>,
}

/// Gather the topology: networks, host interfaces, running guests' NICs, and their
/// addresses from the DHCP leases (where the driver has them).
pub fn topology(conn: &Connect, local: bool, mut all: Vec<GuestNics>) -> Result<Topology> {
    let mut networks = Vec::new();
    let mut by_mac: HashMap<String, String> = HashMap::new();
    for n in conn.list_all_networks(0)? {
        let Ok(mut info) = read_network(&n) else {
            continue;
        };
        info.guests = guests_of(&info, &all);
        if info.active {
            if let Ok(leases) = dhcp_leases(&n) {
                for l in leases {
                    by_mac.entry(l.mac).or_insert(l.ip);
                }
            }
        }
        networks.push(info);
    }
    networks.sort_by(|a, b| a.name.cmp(&b.name));
    all.retain(|g| g.active);
    for g in &mut all {
        for nic in &mut g.nics {
            nic.ip = by_mac.get(&nic.mac).cloned();
        }
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let host = if local {
        local_interfaces()
    } else {
        libvirt_interfaces(conn)
    };
    Ok(Topology {
        hostname: conn.hostname().unwrap_or_default(),
        host,
        networks,
        guests: all,
    })
}
