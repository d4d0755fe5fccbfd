//! The kernel's view of this computer's interfaces (`/sys/class/net`, `getifaddrs`,
//! `/proc/net/route`), merged with NetworkManager's, and a netlink socket that says
//! when links, addresses or routes change (also for what NetworkManager does not
//! manage).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use super::nm::{device_type, NmDevice};
use super::types::{Iface, Kind};
use crate::backend::network::{local_interfaces, HostIface};

/// The interfaces the kernel has, with their kind, ports and default route.
pub fn interfaces() -> Vec<Iface> {
    let default =
        default_route_ifaces(&std::fs::read_to_string("/proc/net/route").unwrap_or_default());
    let base = local_interfaces();
    base.iter()
        .map(|h| {
            let sys = Path::new("/sys/class/net").join(&h.name);
            let ports = std::fs::read_dir(sys.join("brif"))
                .map(|d| {
                    let mut v: Vec<String> = d
                        .flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect();
                    v.sort();
                    v
                })
                .unwrap_or_default();
            Iface {
                kind: kernel_kind(&sys, h),
                name: h.name.clone(),
                mac: h.mac.clone(),
                up: h.up,
                addrs: h.addrs.clone(),
                default_route: default.contains(&h.name),
                master: h.master.clone(),
                ports,
                nm: None,
            }
        })
        .collect()
}

fn kernel_kind(sys: &Path, h: &HostIface) -> Kind {
    let uevent = std::fs::read_to_string(sys.join("uevent")).unwrap_or_default();
    let devtype = uevent
        .lines()
        .find_map(|l| l.strip_prefix("DEVTYPE="))
        .unwrap_or("");
    if sys.join("wireless").exists() || sys.join("phy80211").exists() || devtype == "wlan" {
        return Kind::Wifi;
    }
    match (devtype, h.kind.as_str()) {
        ("vlan", _) => Kind::Vlan,
        (_, "bridge") => Kind::Bridge,
        (_, "bond") => Kind::Bond,
        (_, "loopback") => Kind::Loopback,
        (_, "tap") => Kind::Tap,
        (_, "ethernet") => Kind::Ethernet,
        _ => {
            // A veth's driver is "veth".
            let driver = std::fs::read_link(sys.join("device/driver"))
                .ok()
                .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()));
            if driver.as_deref() == Some("veth") || is_veth(sys) {
                Kind::Veth
            } else {
                Kind::Other(h.kind.clone())
            }
        }
    }
}

/// A veth has a peer: its `iflink` is another interface's index.
fn is_veth(sys: &Path) -> bool {
    let read = |f: &str| {
        std::fs::read_to_string(sys.join(f))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let uevent = read("uevent");
    !uevent.contains("DEVTYPE=") && read("iflink") != read("ifindex") && read("type") == "1"
}

/// This computer's interfaces an IPv4 default route leaves through.
pub fn local_default_route_ifaces() -> Vec<String> {
    default_route_ifaces(&std::fs::read_to_string("/proc/net/route").unwrap_or_default())
}

/// The interfaces an IPv4 default route leaves through (`/proc/net/route`).
pub fn default_route_ifaces(route: &str) -> Vec<String> {
    route
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // Iface Destination Gateway Flags RefCnt Use Metric Mask …
            (f.len() >= 8 && f[1] == "00000000" && f[7] == "00000000").then(|| f[0].to_string())
        })
        .collect()
}

/// The kernel's list with NetworkManager's devices beside it (by name); NM's device
/// type refines the kind.
pub fn merge(mut ifaces: Vec<Iface>, devices: Vec<NmDevice>) -> Vec<Iface> {
    for d in devices {
        if let Some(i) = ifaces.iter_mut().find(|i| i.name == d.iface) {
            match d.device_type {
                device_type::WIFI | device_type::WIFI_P2P => i.kind = Kind::Wifi,
                device_type::VETH => i.kind = Kind::Veth,
                device_type::BRIDGE => i.kind = Kind::Bridge,
                device_type::BOND => i.kind = Kind::Bond,
                device_type::VLAN => i.kind = Kind::Vlan,
                _ => {}
            }
            i.nm = Some(d);
        }
    }
    ifaces.sort_by(|a, b| a.name.cmp(&b.name));
    ifaces
}

/// A netlink socket subscribed to link, address and route changes. Poll it for
/// input, then [`drain`] it: what arrived only says "look again".
pub fn watch_socket() -> std::io::Result<OwnedFd> {
    // SAFETY: plain socket calls; the fd is owned from here on.
    unsafe {
        let fd = libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            libc::NETLINK_ROUTE,
        );
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let owned = OwnedFd::from_raw_fd(fd);
        let mut sa: libc::sockaddr_nl = std::mem::zeroed();
        sa.nl_family = libc::AF_NETLINK as u16;
        sa.nl_groups = (libc::RTMGRP_LINK
            | libc::RTMGRP_IPV4_IFADDR
            | libc::RTMGRP_IPV6_IFADDR
            | libc::RTMGRP_IPV4_ROUTE) as u32;
        let r = libc::bind(
            fd,
            &sa as *const libc::sockaddr_nl as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        );
        if r < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(owned)
    }
}

/// Read everything waiting on the watch socket.
pub fn drain(fd: &OwnedFd) {
    let mut buf = [0u8; 8192];
    loop {
        // SAFETY: reads into a buffer of the given size.
        let n = unsafe {
            libc::recv(
                fd.as_raw_fd(),
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if n <= 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_route_is_the_all_zero_destination_and_mask() {
        let route =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                     br0\t00000000\t0100580A\t0003\t0\t0\t425\t00000000\t0\t0\t0\n\
                     br0\t0000580A\t00000000\t0001\t0\t0\t425\t00FFFFFF\t0\t0\t0\n\
                     virbr0\t007AA8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        assert_eq!(default_route_ifaces(route), vec!["br0".to_string()]);
        assert!(default_route_ifaces("").is_empty());
    }
}
