//! The host's network interfaces: from the kernel for a local connection, from
//! libvirt for a remote one.

use std::ffi::{c_char, CStr};
use std::net::IpAddr;

use virt::connect::Connect;

use crate::backend::network::check::HostAddr;
use crate::backend::xml::Document;

/// An interface of the host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostIface {
    pub name: String,
    /// ethernet, bridge, bond, vlan, loopback, tun…
    pub kind: String,
    pub mac: String,
    pub up: bool,
    pub addrs: Vec<HostAddr>,
    /// The bridge this interface is a port of.
    pub master: Option<String>,
}

/// The host's interfaces as seen by this process (`/sys/class/net` and
/// `getifaddrs`): right for local connections only.
pub fn local_interfaces() -> Vec<HostIface> {
    let mut out: Vec<HostIface> = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/sys/class/net") {
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let p = e.path();
            let read = |f: &str| {
                std::fs::read_to_string(p.join(f))
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default()
            };
            let kind = if p.join("bridge").exists() {
                "bridge".to_string()
            } else if p.join("bonding").exists() {
                "bond".to_string()
            } else if read("type") == "772" {
                "loopback".to_string()
            } else if p.join("tun_flags").exists() {
                "tap".to_string()
            } else if p.join("device").exists() {
                "ethernet".to_string()
            } else {
                "virtual".to_string()
            };
            let master = std::fs::read_link(p.join("master"))
                .ok()
                .and_then(|l| l.file_name().map(|f| f.to_string_lossy().into_owned()));
            let oper = read("operstate");
            out.push(HostIface {
                name,
                kind,
                mac: read("address"),
                up: oper == "up" || oper == "unknown",
                addrs: Vec::new(),
                master,
            });
        }
    }
    for a in local_addresses() {
        if let Some(i) = out.iter_mut().find(|i| i.name == a.iface) {
            i.addrs.push(a);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Every address on the host's interfaces (`getifaddrs`).
pub fn local_addresses() -> Vec<HostAddr> {
    let mut out = Vec::new();
    let mut ifap: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: `ifap` is a valid out-pointer; freed with freeifaddrs below.
    if unsafe { libc::getifaddrs(&mut ifap) } != 0 {
        return out;
    }
    let mut cur = ifap;
    while !cur.is_null() {
        // SAFETY: `cur` walks the list getifaddrs returned, which stays valid until
        // freeifaddrs; each sockaddr is read as the family it declares.
        unsafe {
            let ifa = &*cur;
            cur = ifa.ifa_next;
            if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
                continue;
            }
            let name = c_string(ifa.ifa_name);
            let family = (*ifa.ifa_addr).sa_family as i32;
            let (addr, prefix) = match family {
                libc::AF_INET => {
                    let sa = &*(ifa.ifa_addr as *const libc::sockaddr_in);
                    let a = std::net::Ipv4Addr::from(u32::from_be(sa.sin_addr.s_addr));
                    let p = if ifa.ifa_netmask.is_null() {
                        32
                    } else {
                        let m = &*(ifa.ifa_netmask as *const libc::sockaddr_in);
                        u32::from_be(m.sin_addr.s_addr).count_ones() as u8
                    };
                    (IpAddr::V4(a), p)
                }
                libc::AF_INET6 => {
                    let sa = &*(ifa.ifa_addr as *const libc::sockaddr_in6);
                    let a = std::net::Ipv6Addr::from(sa.sin6_addr.s6_addr);
                    let p = if ifa.ifa_netmask.is_null() {
                        128
                    } else {
                        let m = &*(ifa.ifa_netmask as *const libc::sockaddr_in6);
                        m.sin6_addr
                            .s6_addr
                            .iter()
                            .map(|b| b.count_ones() as u8)
                            .sum()
                    };
                    (IpAddr::V6(a), p)
                }
                _ => continue,
            };
            out.push(HostAddr {
                iface: name,
                addr,
                prefix,
            });
        }
    }
    // SAFETY: `ifap` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(ifap) };
    out
}

/// The host's interfaces through libvirt (`virConnectListAllInterfaces`), for remote
/// connections and the test driver. Drivers without it give an empty list.
pub fn libvirt_interfaces(conn: &Connect) -> Vec<HostIface> {
    let Ok(list) = conn.list_all_interfaces(0) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for i in list {
        let Ok(xml) = i.xml_desc(0) else { continue };
        let Ok(doc) = Document::parse(&xml) else {
            continue;
        };
        let r = &doc.root;
        let name = r.attr("name").unwrap_or_default().to_string();
        let mut iface = HostIface {
            kind: r.attr("type").unwrap_or("ethernet").to_string(),
            mac: r
                .child("mac")
                .and_then(|m| m.attr("address"))
                .unwrap_or_default()
                .to_string(),
            up: i.is_active().unwrap_or(false),
            name: name.clone(),
            ..Default::default()
        };
        for proto in r.children_named("protocol") {
            for ip in proto.children_named("ip") {
                let Some(addr) = ip.attr("address").and_then(|a| a.parse().ok()) else {
                    continue;
                };
                let prefix = ip.attr("prefix").and_then(|p| p.parse().ok()).unwrap_or(24);
                iface.addrs.push(HostAddr {
                    iface: name.clone(),
                    addr,
                    prefix,
                });
            }
        }
        if let Some(b) = r.child("bridge") {
            for port in b.children_named("interface") {
                if let Some(pn) = port.attr("name") {
                    out.push(HostIface {
                        name: pn.to_string(),
                        kind: port.attr("type").unwrap_or("ethernet").to_string(),
                        master: Some(name.clone()),
                        up: true,
                        ..Default::default()
                    });
                }
            }
        }
        out.push(iface);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    out
}

/// The host's IPv4 neighbours (`/proc/net/arp`) as (MAC, address): where a guest on a
/// host bridge or macvtap shows its LAN address once it has talked to the host.
/// Local connections only; libvirt's own ARP source serves remote ones.
pub fn local_neighbours() -> Vec<(String, String)> {
    parse_arp(&std::fs::read_to_string("/proc/net/arp").unwrap_or_default())
}

/// `/proc/net/arp`'s table: complete entries only (flags other than 0x0).
pub fn parse_arp(text: &str) -> Vec<(String, String)> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // IP address, HW type, Flags, HW address, Mask, Device
            (f.len() >= 6 && f[2] != "0x0" && f[3] != "00:00:00:00:00:00")
                .then(|| (f[3].to_ascii_lowercase(), f[0].to_string()))
        })
        .collect()
}

/// A C string libvirt owns, copied; `NULL` gives "".
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string.
pub(super) unsafe fn c_string(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: non-null and NUL-terminated by the caller's contract.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::parse_arp;

    #[test]
    fn complete_neighbours_only() {
        let t = "IP address       HW type     Flags       HW address            Mask     Device\n\
                 10.88.0.77       0x1         0x6         52:54:00:95:56:9A     *        br0\n\
                 10.88.0.78       0x1         0x0         00:00:00:00:00:00     *        br0\n";
        assert_eq!(
            parse_arp(t),
            vec![("52:54:00:95:56:9a".to_string(), "10.88.0.77".to_string())]
        );
    }
}
