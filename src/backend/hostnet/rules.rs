//! Which NIC can become a bridge's port, which names a new bridge can take, and the
//! NetworkManager profiles a bridge is made of. Pure: the reasons come back as words
//! for the place where the person chose, before anything changes on the host.

use std::collections::BTreeMap;
use std::net::IpAddr;

use glib::variant::ToVariant;
use glib::Variant;

use super::nm::{Profile, Settings};
use super::types::{Inventory, Kind, NmStatus};
use crate::i18n::gettext_f;

/// Seconds NetworkManager waits for Hangar's "keep" before it rolls back by itself.
pub const ROLLBACK_SECONDS: u32 = 120;
/// Seconds the person has to say "keep" once the bridge works.
pub const CONFIRM_SECONDS: u32 = 20;

/// What the bridge dialog asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeRequest {
    pub nic: String,
    pub name: String,
    pub stp: bool,
    pub forward_delay: u32,
}

/// A bridge to make: its profile, the NIC's port profile, and what the host must have
/// once they are up.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub bridge_name: String,
    pub nic: String,
    pub nic_device: String,
    pub bridge: Settings,
    pub port: Settings,
    /// The NIC's IPv4 addresses now: the bridge must have them.
    pub expect: Vec<IpAddr>,
    /// The NIC carries the default route now: the bridge must.
    pub expect_default: bool,
}

/// Why `nic` cannot become a bridge port, if it cannot.
pub fn check_nic(inv: &Inventory, nic: &str) -> Result<(), String> {
    if let NmStatus::NotRunning | NmStatus::Unreachable(_) = inv.nm {
        return Err(gettext_f(
            "NetworkManager is not running on this computer, so Hangar cannot make a bridge safely. The commands below do it by hand.",
            &[],
        ));
    }
    let Some(i) = inv.iface(nic) else {
        return Err(gettext_f("There is no interface “{nic}”.", &[("nic", nic)]));
    };
    if i.kind == Kind::Wifi {
        return Err(gettext_f(
            "{nic} is a Wi-Fi interface. Most access points accept only the computer's own address, so guests bridged over Wi-Fi get no network. Use NAT, or macvtap on a wired interface.",
            &[("nic", nic)],
        ));
    }
    if let Some(m) = &i.master {
        return Err(gettext_f(
            "{nic} is already a port of {master}. Put guests on {master} instead.",
            &[("nic", nic), ("master", m)],
        ));
    }
    if !i.kind.is_wired() {
        return Err(gettext_f(
            "{nic} is not a wired network interface.",
            &[("nic", nic)],
        ));
    }
    let Some(dev) = &i.nm else {
        return Err(gettext_f(
            "NetworkManager does not know {nic}.",
            &[("nic", nic)],
        ));
    };
    if !dev.managed {
        return Err(gettext_f(
            "NetworkManager does not manage {nic} (it is set up elsewhere, for example in /etc/network/interfaces), so Hangar cannot move its settings safely. The commands below do it by hand.",
            &[("nic", nic)],
        ));
    }
    if dev.active.as_ref().is_some_and(|a| a.controller.len() > 1) {
        return Err(gettext_f(
            "{nic} is already a port of another connection.",
            &[("nic", nic)],
        ));
    }
    if let Some(p) = active_profile(inv, nic) {
        let static4 = p.string("ipv4", "method").as_deref() == Some("manual");
        let gateway = p.string("ipv4", "gateway").is_some_and(|g| !g.is_empty())
            || p.get("ipv4", "route-data").is_some_and(has_default_route);
        if static4 && !gateway {
            return Err(gettext_f(
                "{nic} has a static address and no gateway: Hangar could not check that the host is still reachable through the bridge.",
                &[("nic", nic)],
            ));
        }
    }
    Ok(())
}

fn has_default_route(routes: &Variant) -> bool {
    routes.iter().any(|r| {
        let d = glib::VariantDict::new(Some(&r));
        d.lookup_value("prefix", None)
            .and_then(|p| p.get::<u32>())
            .is_some_and(|p| p == 0)
    })
}

/// Why a new bridge cannot be called `name`, if it cannot.
pub fn check_name(inv: &Inventory, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(gettext_f("The bridge needs a name.", &[]));
    }
    if name.len() > 15 {
        return Err(gettext_f(
            "An interface name has at most 15 characters.",
            &[],
        ));
    }
    if name == "."
        || name == ".."
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(gettext_f(
            "Use letters, digits, “-”, “_” and “.” only.",
            &[],
        ));
    }
    if inv.iface(name).is_some() {
        return Err(gettext_f(
            "This computer already has an interface called “{name}”.",
            &[("name", name)],
        ));
    }
    if inv
        .profiles
        .iter()
        .any(|p| p.id() == name || p.interface_name().as_deref() == Some(name))
    {
        return Err(gettext_f(
            "A NetworkManager connection called “{name}” exists already.",
            &[("name", name)],
        ));
    }
    Ok(())
}

/// The first free name of br0, br1, …
pub fn suggest_name(inv: &Inventory) -> String {
    (0..)
        .map(|n| format!("br{n}"))
        .find(|n| check_name(inv, n).is_ok())
        .unwrap_or_else(|| "br0".into())
}

/// The profile active on `nic` now.
pub fn active_profile<'a>(inv: &'a Inventory, nic: &str) -> Option<&'a Profile> {
    let a = inv.iface(nic)?.nm.as_ref()?.active.as_ref()?;
    inv.profiles.iter().find(|p| p.path == a.connection)
}

fn v<T: ToVariant>(x: T) -> Variant {
    x.to_variant()
}

/// A new profile's `connection` section: its name, a fresh UUID, its type and
/// interface, started by itself. Callers add what their kind needs.
fn connection_section(id: &str, kind: &str, iface: &str) -> BTreeMap<String, Variant> {
    let mut c = BTreeMap::new();
    c.insert("id".into(), v(id));
    c.insert("uuid".into(), v(glib::uuid_string_random().as_str()));
    c.insert("type".into(), v(kind));
    c.insert("interface-name".into(), v(iface));
    c.insert("autoconnect".into(), v(true));
    c
}

fn mac_bytes(mac: &str) -> Option<Vec<u8>> {
    let b: Vec<u8> = mac
        .split(':')
        .map(|h| u8::from_str_radix(h, 16))
        .collect::<Result<_, _>>()
        .ok()?;
    (b.len() == 6).then_some(b)
}

/// The IP settings of a profile, for another: the deprecated duplicates dropped
/// (NetworkManager rejects a profile where they disagree), everything else as it is.
fn ip_settings(p: Option<&Profile>, family: &str) -> BTreeMap<String, Variant> {
    let mut s = p
        .and_then(|p| p.settings.get(family).cloned())
        .unwrap_or_default();
    if s.contains_key("address-data") {
        s.remove("addresses");
    }
    if s.contains_key("route-data") {
        s.remove("routes");
    }
    if !s.contains_key("method") {
        let method = match (p.is_some(), family) {
            (true, _) => "auto",
            (false, "ipv4") => "disabled",
            _ => "ignore",
        };
        s.insert("method".into(), v(method));
    }
    s
}

/// The profiles of a bridge on `req.nic`: the bridge takes the NIC's IP settings and
/// its MAC address (so DHCP gives it the same address), the NIC becomes its port with
/// a profile of its own. The NIC's old profile stays as it was, for undoing.
pub fn plan(inv: &Inventory, req: &BridgeRequest) -> Result<Plan, String> {
    check_nic(inv, &req.nic)?;
    check_name(inv, &req.name)?;
    if req.stp && !(2..=30).contains(&req.forward_delay) {
        return Err(gettext_f(
            "With STP the forward delay is between 2 and 30 seconds.",
            &[],
        ));
    }
    let nic = inv.iface(&req.nic).expect("checked");
    let dev = nic.nm.as_ref().expect("checked");
    let old = active_profile(inv, &req.nic);
    let mut bridge = Settings::new();
    let mut c = connection_section(&req.name, "bridge", &req.name);
    // connection.autoconnect-slaves: yes, so the port comes up with the bridge.
    c.insert("autoconnect-slaves".into(), v(1i32));
    bridge.insert("connection".into(), c);
    let mut b = BTreeMap::new();
    b.insert("stp".into(), v(req.stp));
    b.insert("forward-delay".into(), v(req.forward_delay));
    if let Some(mac) = mac_bytes(&nic.mac) {
        b.insert("mac-address".into(), v(mac));
    }
    bridge.insert("bridge".into(), b);
    bridge.insert("ipv4".into(), ip_settings(old, "ipv4"));
    bridge.insert("ipv6".into(), ip_settings(old, "ipv6"));

    let mut port = Settings::new();
    let mut c = connection_section(
        &format!("{} port {}", req.name, req.nic),
        "802-3-ethernet",
        &req.nic,
    );
    c.insert("master".into(), v(req.name.as_str()));
    c.insert("slave-type".into(), v("bridge"));
    // Ahead of the NIC's old profile when the host starts.
    let prio = old
        .and_then(|p| p.get("connection", "autoconnect-priority"))
        .and_then(|p| p.get::<i32>())
        .unwrap_or(0);
    c.insert("autoconnect-priority".into(), v((prio + 1).min(999)));
    port.insert("connection".into(), c);
    let eth = old
        .and_then(|p| p.settings.get("802-3-ethernet").cloned())
        .unwrap_or_default();
    port.insert("802-3-ethernet".into(), eth);

    let expect = nic
        .addrs
        .iter()
        .filter(|a| a.addr.is_ipv4())
        .map(|a| a.addr)
        .collect();
    Ok(Plan {
        bridge_name: req.name.clone(),
        nic: req.nic.clone(),
        nic_device: dev.path.clone(),
        bridge,
        port,
        expect,
        expect_default: nic.default_route,
    })
}

/// Undoing a bridge: the NIC back on its own profile.
#[derive(Debug, Clone, PartialEq)]
pub struct UndoPlan {
    pub bridge_name: String,
    pub nic: String,
    pub nic_device: String,
    /// The NIC's own profile to bring back, or one to add (the bridge's IP settings).
    pub own: Result<String, Settings>,
    /// The bridge's active connection, taken down.
    pub bridge_active: String,
    /// The bridge's profile and its ports', deleted once the person keeps the change.
    pub delete: Vec<String>,
    pub expect: Vec<IpAddr>,
    pub expect_default: bool,
    /// Interfaces of guests still on the bridge (they lose their network).
    pub guests: Vec<String>,
}

/// How to undo the bridge `name`, or why Hangar cannot.
pub fn plan_undo(inv: &Inventory, name: &str) -> Result<UndoPlan, String> {
    if let NmStatus::NotRunning | NmStatus::Unreachable(_) = inv.nm {
        return Err(gettext_f(
            "NetworkManager is not running on this computer.",
            &[],
        ));
    }
    let Some(br) = inv.iface(name).filter(|i| i.kind == Kind::Bridge) else {
        return Err(gettext_f("“{name}” is not a bridge.", &[("name", name)]));
    };
    let Some(active) = br.nm.as_ref().and_then(|d| d.active.clone()) else {
        return Err(gettext_f(
            "NetworkManager does not run {name}: it was made by other means, so undo it the same way.",
            &[("name", name)],
        ));
    };
    let bridge_profile = inv.profiles.iter().find(|p| p.path == active.connection);
    let Some(bridge_profile) = bridge_profile else {
        return Err(gettext_f("The bridge's profile is gone.", &[]));
    };
    let ports: Vec<&super::types::Iface> = inv
        .ifaces
        .iter()
        .filter(|i| i.master.as_deref() == Some(name))
        .collect();
    let nics: Vec<&&super::types::Iface> = ports
        .iter()
        .filter(|i| i.kind.is_wired() && i.nm.as_ref().is_some_and(|d| d.managed))
        .collect();
    let [nic] = nics.as_slice() else {
        return Err(gettext_f(
            "{name} does not have exactly one network interface of NetworkManager's as its port.",
            &[("name", name)],
        ));
    };
    let guests = ports
        .iter()
        .filter(|i| i.kind == Kind::Tap)
        .map(|i| i.name.clone())
        .collect();
    let keys = [bridge_profile.id(), bridge_profile.uuid(), name.to_string()];
    let delete: Vec<String> = std::iter::once(bridge_profile.path.clone())
        .chain(
            inv.profiles
                .iter()
                .filter(|p| p.controller().is_some_and(|c| keys.contains(&c)))
                .map(|p| p.path.clone()),
        )
        .collect();
    // The NIC's own profile: wired, bound to it by name or MAC, not a port.
    let mac = mac_bytes(&br.mac);
    let own = inv
        .profiles
        .iter()
        .filter(|p| p.controller().is_none())
        .filter(|p| p.kind() == "802-3-ethernet")
        .find(|p| {
            p.interface_name().as_deref() == Some(nic.name.as_str())
                || (p.interface_name().is_none()
                    && mac.is_some()
                    && p.get("802-3-ethernet", "mac-address")
                        .and_then(|m| m.get::<Vec<u8>>())
                        == mac)
        });
    let own = match own {
        Some(p) => Ok(p.path.clone()),
        None => {
            let mut s = Settings::new();
            s.insert(
                "connection".into(),
                connection_section(&nic.name, "802-3-ethernet", &nic.name),
            );
            s.insert("802-3-ethernet".into(), BTreeMap::new());
            s.insert("ipv4".into(), ip_settings(Some(bridge_profile), "ipv4"));
            s.insert("ipv6".into(), ip_settings(Some(bridge_profile), "ipv6"));
            Err(s)
        }
    };
    Ok(UndoPlan {
        bridge_name: name.to_string(),
        nic: nic.name.clone(),
        nic_device: nic.nm.as_ref().map(|d| d.path.clone()).unwrap_or_default(),
        own,
        bridge_active: active.path.clone(),
        delete,
        expect: br
            .addrs
            .iter()
            .filter(|a| a.addr.is_ipv4())
            .map(|a| a.addr)
            .collect(),
        expect_default: br.default_route,
        guests,
    })
}

/// The commands that make the bridge by hand, for hosts where Hangar cannot.
pub fn manual_commands(nic: &str, name: &str) -> String {
    format!(
        "nmcli connection add type bridge ifname {name} con-name {name} bridge.stp no bridge.forward-delay 0\n\
         nmcli connection add type bridge-slave ifname {nic} master {name}\n\
         nmcli connection up {name}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::hostnet::nm::{ActiveConn, NmDevice};
    use crate::backend::hostnet::types::Iface;
    use crate::backend::network::check::HostAddr;

    fn iface(name: &str, kind: Kind) -> Iface {
        Iface {
            name: name.into(),
            kind,
            mac: "52:54:00:12:34:56".into(),
            up: true,
            addrs: vec![HostAddr {
                iface: name.into(),
                addr: "10.88.0.60".parse().unwrap(),
                prefix: 24,
            }],
            default_route: true,
            master: None,
            ports: vec![],
            nm: Some(NmDevice {
                path: format!("/dev/{name}"),
                iface: name.into(),
                device_type: 1,
                state: 100,
                managed: true,
                hw_address: "52:54:00:12:34:56".into(),
                active: Some(ActiveConn {
                    path: "/active/1".into(),
                    connection: "/profile/1".into(),
                    id: "Wired".into(),
                    controller: "/".into(),
                    ..Default::default()
                }),
                ports: vec![],
            }),
        }
    }

    fn profile(method: &str, gateway: &str) -> Profile {
        let mut s = Settings::new();
        let mut c = BTreeMap::new();
        c.insert("id".into(), v("Wired"));
        c.insert("type".into(), v("802-3-ethernet"));
        c.insert("interface-name".into(), v("eth0"));
        s.insert("connection".into(), c);
        let mut ip = BTreeMap::new();
        ip.insert("method".into(), v(method));
        ip.insert("addresses".into(), v(Vec::<Vec<u32>>::new()));
        ip.insert(
            "address-data".into(),
            Variant::array_from_iter_with_type(
                glib::VariantTy::new("a{sv}").unwrap(),
                Vec::<Variant>::new(),
            ),
        );
        if !gateway.is_empty() {
            ip.insert("gateway".into(), v(gateway));
        }
        ip.insert("dhcp-client-id".into(), v("mac"));
        s.insert("ipv4".into(), ip);
        Profile {
            path: "/profile/1".into(),
            settings: s,
        }
    }

    fn inv(ifaces: Vec<Iface>, profiles: Vec<Profile>) -> Inventory {
        Inventory {
            ifaces,
            profiles,
            nm: NmStatus::Running {
                version: "1.42.4".into(),
            },
        }
    }

    #[test]
    fn wifi_is_refused_with_the_reason_and_the_alternatives() {
        let i = inv(vec![iface("wlp2s0", Kind::Wifi)], vec![]);
        let e = check_nic(&i, "wlp2s0").unwrap_err();
        assert!(
            e.contains("Wi-Fi") && e.contains("NAT") && e.contains("macvtap"),
            "{e}"
        );
    }

    #[test]
    fn a_port_of_a_bridge_is_refused() {
        let mut n = iface("eth0", Kind::Ethernet);
        n.master = Some("br7".into());
        let e = check_nic(&inv(vec![n], vec![]), "eth0").unwrap_err();
        assert!(e.contains("already a port of br7"), "{e}");
    }

    #[test]
    fn nm_not_running_and_unmanaged_nics_are_refused() {
        let mut i = inv(vec![iface("eth0", Kind::Ethernet)], vec![]);
        i.nm = NmStatus::NotRunning;
        assert!(check_nic(&i, "eth0").unwrap_err().contains("not running"));
        let mut n = iface("eth0", Kind::Ethernet);
        n.nm.as_mut().unwrap().managed = false;
        let e = check_nic(&inv(vec![n], vec![]), "eth0").unwrap_err();
        assert!(e.contains("does not manage"), "{e}");
    }

    #[test]
    fn a_static_address_without_a_gateway_is_refused() {
        let i = inv(
            vec![iface("eth0", Kind::Ethernet)],
            vec![profile("manual", "")],
        );
        assert!(check_nic(&i, "eth0").unwrap_err().contains("no gateway"));
        let i = inv(
            vec![iface("eth0", Kind::Ethernet)],
            vec![profile("manual", "10.88.0.1")],
        );
        assert_eq!(check_nic(&i, "eth0"), Ok(()));
    }

    #[test]
    fn names_that_exist_or_that_the_kernel_refuses() {
        let i = inv(
            vec![iface("eth0", Kind::Ethernet), iface("br0", Kind::Bridge)],
            vec![profile("auto", "")],
        );
        assert!(check_name(&i, "br0").unwrap_err().contains("already"));
        assert!(check_name(&i, "Wired").unwrap_err().contains("exists"));
        assert!(check_name(&i, "a-name-too-long-for-linux").is_err());
        assert!(check_name(&i, "br 1").is_err());
        assert!(check_name(&i, "").is_err());
        assert_eq!(suggest_name(&i), "br1");
    }

    #[test]
    fn the_bridge_takes_the_nics_ip_settings_and_mac_and_the_nic_becomes_its_port() {
        let i = inv(
            vec![iface("eth0", Kind::Ethernet)],
            vec![profile("auto", "")],
        );
        let p = plan(
            &i,
            &BridgeRequest {
                nic: "eth0".into(),
                name: "br0".into(),
                stp: false,
                forward_delay: 0,
            },
        )
        .unwrap();
        let ip = &p.bridge["ipv4"];
        assert_eq!(ip["method"].str(), Some("auto"));
        // Settings Hangar does not know travel as they are; duplicates go.
        assert_eq!(ip["dhcp-client-id"].str(), Some("mac"));
        assert!(!ip.contains_key("addresses"));
        assert_eq!(
            p.bridge["bridge"]["mac-address"].get::<Vec<u8>>(),
            Some(vec![0x52, 0x54, 0, 0x12, 0x34, 0x56])
        );
        assert_eq!(p.bridge["bridge"]["stp"].get::<bool>(), Some(false));
        assert_eq!(p.port["connection"]["master"].str(), Some("br0"));
        assert_eq!(p.port["connection"]["slave-type"].str(), Some("bridge"));
        assert_eq!(
            p.port["connection"]["autoconnect-priority"].get::<i32>(),
            Some(1)
        );
        assert!(p.expect_default);
        assert_eq!(p.expect, vec!["10.88.0.60".parse::<IpAddr>().unwrap()]);
        // STP needs a forward delay it accepts.
        assert!(plan(
            &i,
            &BridgeRequest {
                nic: "eth0".into(),
                name: "br0".into(),
                stp: true,
                forward_delay: 0,
            },
        )
        .is_err());
    }
}
