//! Checks for what people type when they create or edit a virtual network: names,
//! CIDR networks, gateways, DHCP ranges, static hosts, overlaps with other networks and
//! with addresses already on the host. Pure functions; each problem is a [`Problem`]
//! that the UI shows under the field.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::i18n::gettext_f;

/// An IPv4 network: address and prefix length, host bits clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Net {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

/// An IPv6 network: address and prefix length, host bits clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Net {
    pub addr: Ipv6Addr,
    pub prefix: u8,
}

/// Either family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpNet {
    V4(Ipv4Net),
    V6(Ipv6Net),
}

impl Ipv4Net {
    fn mask(prefix: u8) -> u32 {
        if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix as u32)
        }
    }

    /// The network containing `addr` with `prefix` (host bits cleared).
    pub fn containing(addr: Ipv4Addr, prefix: u8) -> Ipv4Net {
        let prefix = prefix.min(32);
        Ipv4Net {
            addr: Ipv4Addr::from(u32::from(addr) & Self::mask(prefix)),
            prefix,
        }
    }

    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(Self::mask(self.prefix))
    }

    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !Self::mask(self.prefix))
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & Self::mask(self.prefix) == u32::from(self.addr)
    }

    pub fn overlaps(&self, other: &Ipv4Net) -> bool {
        self.contains(other.addr) || other.contains(self.addr)
    }

    /// The first usable host address (the network address + 1).
    pub fn first_host(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr).saturating_add(1))
    }

    /// The last usable host address (the broadcast address − 1).
    pub fn last_host(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.broadcast()).saturating_sub(1))
    }

    /// Number of usable host addresses.
    pub fn host_count(&self) -> u64 {
        (1u64 << (32 - self.prefix as u32)).saturating_sub(2)
    }

    /// Prefix length of a dotted netmask (`255.255.255.0` → 24); `None` when the mask's
    /// ones are not contiguous.
    pub fn prefix_of_netmask(mask: Ipv4Addr) -> Option<u8> {
        let m = u32::from(mask);
        let ones = m.leading_ones();
        (m.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Ipv6Net {
    fn mask(prefix: u8) -> u128 {
        if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - prefix as u32)
        }
    }

    pub fn containing(addr: Ipv6Addr, prefix: u8) -> Ipv6Net {
        let prefix = prefix.min(128);
        Ipv6Net {
            addr: Ipv6Addr::from(u128::from(addr) & Self::mask(prefix)),
            prefix,
        }
    }

    pub fn contains(&self, ip: Ipv6Addr) -> bool {
        u128::from(ip) & Self::mask(self.prefix) == u128::from(self.addr)
    }

    pub fn overlaps(&self, other: &Ipv6Net) -> bool {
        self.contains(other.addr) || other.contains(self.addr)
    }

    pub fn last(&self) -> Ipv6Addr {
        Ipv6Addr::from(u128::from(self.addr) | !Self::mask(self.prefix))
    }
}

impl fmt::Display for Ipv6Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl IpNet {
    pub fn overlaps(&self, other: &IpNet) -> bool {
        match (self, other) {
            (IpNet::V4(a), IpNet::V4(b)) => a.overlaps(b),
            (IpNet::V6(a), IpNet::V6(b)) => a.overlaps(b),
            _ => false,
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (IpNet::V4(n), IpAddr::V4(a)) => n.contains(a),
            (IpNet::V6(n), IpAddr::V6(a)) => n.contains(a),
            _ => false,
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpNet::V4(n) => n.fmt(f),
            IpNet::V6(n) => n.fmt(f),
        }
    }
}

/// What must lie inside a network, for [`Problem::OutsideNetwork`]: each has a whole
/// sentence of its own, since translations need the noun's gender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Gateway,
    DhcpRange,
    Address,
}

/// Something wrong with one field, in words the person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Empty,
    NameChars,
    NameTaken(String),
    NotCidr(String),
    PrefixRange {
        min: u8,
        max: u8,
    },
    HostBitsSet {
        suggestion: String,
    },
    NotAddress(String),
    WrongFamily,
    OutsideNetwork {
        what: Subject,
        net: String,
    },
    /// Static hosts were given while the network has no IPv4 address.
    NeedsIpv4Network,
    NetworkOrBroadcast,
    RangeReversed,
    GatewayInRange,
    OverlapsNetwork {
        name: String,
        net: String,
    },
    OverlapsHost {
        iface: String,
        addr: String,
    },
    BadMac,
    MacTaken(String),
    IpTaken(String),
    BadHostName,
    BadDomainName,
    MtuRange,
    BadDeviceName,
    NoDevice,
    /// A bridge name that a host interface or another network's bridge has.
    InterfaceTaken(String),
}

impl Problem {
    /// The message shown under the field.
    pub fn message(&self) -> String {
        match self {
            Problem::Empty => gettext_f("Required", &[]),
            Problem::NameChars => gettext_f(
                "Use letters, digits, “-”, “_” and “.” only, starting with a letter or digit",
                &[],
            ),
            Problem::NameTaken(n) => {
                gettext_f("A network named “{name}” already exists", &[("name", n)])
            }
            Problem::InterfaceTaken(n) => gettext_f(
                "“{name}” is taken: the host has an interface of that name, or another network uses it as its bridge",
                &[("name", n)],
            ),
            Problem::NotCidr(s) => gettext_f(
                "“{text}” is not a network: write it as address/prefix, e.g. 192.168.100.0/24",
                &[("text", s)],
            ),
            Problem::PrefixRange { min, max } => gettext_f(
                "The prefix length must be between {min} and {max}",
                &[("min", &min.to_string()), ("max", &max.to_string())],
            ),
            Problem::HostBitsSet { suggestion } => gettext_f(
                "That is an address inside a network: did you mean {net}?",
                &[("net", suggestion)],
            ),
            Problem::NotAddress(s) => gettext_f("“{text}” is not an IP address", &[("text", s)]),
            Problem::WrongFamily => gettext_f("Use an address of the same IP version", &[]),
            Problem::OutsideNetwork { what, net } => match what {
                Subject::Gateway => gettext_f("The gateway must be inside {net}", &[("net", net)]),
                Subject::DhcpRange => {
                    gettext_f("The DHCP range must be inside {net}", &[("net", net)])
                }
                Subject::Address => gettext_f("The address must be inside {net}", &[("net", net)]),
            },
            Problem::NeedsIpv4Network => gettext_f(
                "Static hosts need an IPv4 network: give the network one first",
                &[],
            ),
            Problem::NetworkOrBroadcast => gettext_f(
                "The network and broadcast addresses cannot be given to a host",
                &[],
            ),
            Problem::RangeReversed => gettext_f("The range must not end before it starts", &[]),
            Problem::GatewayInRange => {
                gettext_f("The DHCP range must not include the gateway address", &[])
            }
            Problem::OverlapsNetwork { name, net } => gettext_f(
                "Overlaps the network “{name}” ({net})",
                &[("name", name), ("net", net)],
            ),
            Problem::OverlapsHost { iface, addr } => gettext_f(
                "Overlaps {addr}, already on the host’s {iface}",
                &[("iface", iface), ("addr", addr)],
            ),
            Problem::BadMac => gettext_f(
                "Not a MAC address: write six pairs of hex digits, e.g. 52:54:00:12:34:56",
                &[],
            ),
            Problem::MacTaken(m) => gettext_f("{mac} already has a static address", &[("mac", m)]),
            Problem::IpTaken(ip) => {
                gettext_f("{ip} is already given to another host", &[("ip", ip)])
            }
            Problem::BadHostName => gettext_f(
                "Host names use letters, digits and “-”, in dot-separated parts",
                &[],
            ),
            Problem::BadDomainName => gettext_f(
                "Domain names use letters, digits and “-”, in dot-separated parts",
                &[],
            ),
            Problem::MtuRange => gettext_f("The MTU must be between 68 and 65535", &[]),
            Problem::BadDeviceName => gettext_f(
                "Interface names have 1 to 15 characters, without “/”, “:” or spaces",
                &[],
            ),
            Problem::NoDevice => gettext_f("Choose a host interface", &[]),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

pub type Check<T> = Result<T, Problem>;

/// A network name: libvirt allows much, but a name people and tools can type is
/// letters, digits, `-`, `_`, `.`, at most 64 characters, not already used.
pub fn check_name(name: &str, existing: &[String]) -> Check<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Problem::Empty);
    }
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_ok
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(Problem::NameChars);
    }
    if existing.iter().any(|e| e == name) {
        return Err(Problem::NameTaken(name.to_string()));
    }
    Ok(name.to_string())
}

/// A network in CIDR notation, `address/prefix`, with the prefix in `prefixes` and no
/// host bits set; `containing` makes the network of an address, `addr` reads it back.
fn check_cidr<A, N>(
    text: &str,
    prefixes: std::ops::RangeInclusive<u8>,
    containing: fn(A, u8) -> N,
    addr: fn(&N) -> A,
) -> Check<N>
where
    A: std::str::FromStr + PartialEq + Copy,
    N: fmt::Display,
{
    let text = text.trim();
    if text.is_empty() {
        return Err(Problem::Empty);
    }
    let not_cidr = || Problem::NotCidr(text.to_string());
    let (a, p) = text.split_once('/').ok_or_else(not_cidr)?;
    let address: A = a.parse().map_err(|_| not_cidr())?;
    let prefix: u8 = p.parse().map_err(|_| not_cidr())?;
    if !prefixes.contains(&prefix) {
        return Err(Problem::PrefixRange {
            min: *prefixes.start(),
            max: *prefixes.end(),
        });
    }
    let net = containing(address, prefix);
    if addr(&net) != address {
        return Err(Problem::HostBitsSet {
            suggestion: net.to_string(),
        });
    }
    Ok(net)
}

/// An IPv4 network in CIDR notation with room for a gateway and one guest (/8 to /30).
pub fn check_ipv4_cidr(text: &str) -> Check<Ipv4Net> {
    check_cidr(text, 8..=30, Ipv4Net::containing, |n| n.addr)
}

/// An IPv6 network in CIDR notation (/8 to /126; libvirt's DHCPv6 wants /64 or longer
/// prefixes to be routable, but does not demand it).
pub fn check_ipv6_cidr(text: &str) -> Check<Ipv6Net> {
    check_cidr(text, 8..=126, Ipv6Net::containing, |n| n.addr)
}

/// An IP address of either family.
fn parse_ip(text: &str) -> Check<IpAddr> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Problem::Empty);
    }
    text.parse()
        .map_err(|_| Problem::NotAddress(text.to_string()))
}

fn parse_v4(text: &str) -> Check<Ipv4Addr> {
    match parse_ip(text)? {
        IpAddr::V4(a) => Ok(a),
        IpAddr::V6(_) => Err(Problem::WrongFamily),
    }
}

fn parse_v6(text: &str) -> Check<Ipv6Addr> {
    match parse_ip(text)? {
        IpAddr::V6(a) => Ok(a),
        IpAddr::V4(_) => Err(Problem::WrongFamily),
    }
}

/// A host address inside `net`: not the network or broadcast address.
pub fn check_ipv4_host(text: &str, net: &Ipv4Net, what: Subject) -> Check<Ipv4Addr> {
    let a = parse_v4(text)?;
    if !net.contains(a) {
        return Err(Problem::OutsideNetwork {
            what,
            net: net.to_string(),
        });
    }
    if a == net.addr || a == net.broadcast() {
        return Err(Problem::NetworkOrBroadcast);
    }
    Ok(a)
}

/// The gateway (the host's address on the network).
pub fn check_ipv4_gateway(text: &str, net: &Ipv4Net) -> Check<Ipv4Addr> {
    check_ipv4_host(text, net, Subject::Gateway)
}

/// A DHCP range: both ends inside the network, in order, not around the gateway.
pub fn check_ipv4_range(
    start: &str,
    end: &str,
    net: &Ipv4Net,
    gateway: Option<Ipv4Addr>,
) -> Check<(Ipv4Addr, Ipv4Addr)> {
    let s = check_ipv4_host(start, net, Subject::DhcpRange)?;
    let e = check_ipv4_host(end, net, Subject::DhcpRange)?;
    check_range_order(s, e, gateway)
}

/// A range's ends in order, and the gateway outside it; addresses of either family
/// compare as the numbers they are.
pub fn check_range_order<A: Ord + Copy>(s: A, e: A, gateway: Option<A>) -> Check<(A, A)> {
    if e < s {
        return Err(Problem::RangeReversed);
    }
    if gateway.is_some_and(|g| (s..=e).contains(&g)) {
        return Err(Problem::GatewayInRange);
    }
    Ok((s, e))
}

/// A range typed as one text, `start - end` (a hyphen, en dash or "to"), split in two.
/// An IPv6 address has no hyphen, so the same split serves both families.
fn split_range_text(text: &str) -> Check<(&str, &str)> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Problem::Empty);
    }
    let parts: Vec<&str> = t
        .split(['-', '–'])
        .flat_map(|p| p.split(" to "))
        .map(str::trim)
        .collect();
    match parts.as_slice() {
        [s, e] => Ok((s, e)),
        _ => Err(Problem::NotAddress(t.to_string())),
    }
}

/// A DHCP range typed as one text, `start - end` (a hyphen, en dash or "to").
pub fn check_ipv4_range_text(
    text: &str,
    net: &Ipv4Net,
    gateway: Option<Ipv4Addr>,
) -> Check<(Ipv4Addr, Ipv4Addr)> {
    let (s, e) = split_range_text(text)?;
    check_ipv4_range(s, e, net, gateway)
}

/// An IPv6 DHCP range typed as one text, like [`check_ipv4_range_text`].
pub fn check_ipv6_range_text(
    text: &str,
    net: &Ipv6Net,
    gateway: Option<Ipv6Addr>,
) -> Check<(Ipv6Addr, Ipv6Addr)> {
    let (s, e) = split_range_text(text)?;
    check_ipv6_range(s, e, net, gateway)
}

/// An IPv6 address inside `net` (not the subnet-router anycast address).
pub fn check_ipv6_host(text: &str, net: &Ipv6Net, what: Subject) -> Check<Ipv6Addr> {
    let a = parse_v6(text)?;
    if !net.contains(a) {
        return Err(Problem::OutsideNetwork {
            what,
            net: net.to_string(),
        });
    }
    if a == net.addr {
        return Err(Problem::NetworkOrBroadcast);
    }
    Ok(a)
}

pub fn check_ipv6_range(
    start: &str,
    end: &str,
    net: &Ipv6Net,
    gateway: Option<Ipv6Addr>,
) -> Check<(Ipv6Addr, Ipv6Addr)> {
    let s = check_ipv6_host(start, net, Subject::DhcpRange)?;
    let e = check_ipv6_host(end, net, Subject::DhcpRange)?;
    check_range_order(s, e, gateway)
}

/// A network that does not overlap another libvirt network (`others`: name and
/// networks; `skip` names the network being edited).
pub fn check_no_network_overlap(
    net: &IpNet,
    others: &[(String, Vec<IpNet>)],
    skip: Option<&str>,
) -> Check<()> {
    for (name, nets) in others {
        if Some(name.as_str()) == skip {
            continue;
        }
        if let Some(o) = nets.iter().find(|o| o.overlaps(net)) {
            return Err(Problem::OverlapsNetwork {
                name: name.clone(),
                net: o.to_string(),
            });
        }
    }
    Ok(())
}

/// An address already on the host: interface name, address and prefix length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAddr {
    pub iface: String,
    pub addr: IpAddr,
    pub prefix: u8,
}

impl HostAddr {
    pub fn network(&self) -> IpNet {
        match self.addr {
            IpAddr::V4(a) => IpNet::V4(Ipv4Net::containing(a, self.prefix)),
            IpAddr::V6(a) => IpNet::V6(Ipv6Net::containing(a, self.prefix)),
        }
    }
}

/// A network that does not overlap the subnets of addresses already on the host.
/// Loopback, link-local and the bridges of libvirt's own networks (`skip_ifaces`) do not
/// count.
pub fn check_no_host_overlap(net: &IpNet, host: &[HostAddr], skip_ifaces: &[String]) -> Check<()> {
    for h in host {
        if skip_ifaces.contains(&h.iface) {
            continue;
        }
        let ignored = match h.addr {
            IpAddr::V4(a) => a.is_loopback() || a.is_link_local(),
            IpAddr::V6(a) => a.is_loopback() || (a.segments()[0] & 0xffc0) == 0xfe80,
        };
        if ignored {
            continue;
        }
        if h.network().overlaps(net) {
            return Err(Problem::OverlapsHost {
                iface: h.iface.clone(),
                addr: format!("{}/{}", h.addr, h.prefix),
            });
        }
    }
    Ok(())
}

/// A unicast MAC address `xx:xx:xx:xx:xx:xx`, given back in lower case.
pub fn check_mac(text: &str) -> Check<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Problem::Empty);
    }
    let parts: Vec<&str> = t.split(':').collect();
    if parts.len() != 6
        || !parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(Problem::BadMac);
    }
    let first = u8::from_str_radix(parts[0], 16).map_err(|_| Problem::BadMac)?;
    if first & 1 == 1 {
        // Multicast addresses cannot be a NIC's.
        return Err(Problem::BadMac);
    }
    Ok(t.to_ascii_lowercase())
}

fn is_label(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= 63
        && !l.starts_with('-')
        && !l.ends_with('-')
        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A host name (one or more DNS labels).
pub fn check_hostname(text: &str) -> Check<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Problem::Empty);
    }
    if t.len() > 253 || !t.split('.').all(is_label) {
        return Err(Problem::BadHostName);
    }
    Ok(t.to_string())
}

/// A DNS domain name for the network (`example.lan`).
pub fn check_domain_name(text: &str) -> Check<String> {
    let t = text.trim().trim_end_matches('.');
    if t.is_empty() {
        return Err(Problem::Empty);
    }
    if t.len() > 253 || !t.split('.').all(is_label) {
        return Err(Problem::BadDomainName);
    }
    Ok(t.to_string())
}

/// An MTU in bytes.
pub fn check_mtu(text: &str) -> Check<u32> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Problem::Empty);
    }
    match t.parse::<u32>() {
        Ok(v) if (68..=65535).contains(&v) => Ok(v),
        _ => Err(Problem::MtuRange),
    }
}

/// A Linux interface name (bridge or device): 1–15 bytes, no `/`, `:` or whitespace.
pub fn check_device_name(text: &str) -> Check<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Problem::NoDevice);
    }
    if t.len() > 15
        || t.chars().any(|c| c == '/' || c == ':' || c.is_whitespace())
        || t == "."
        || t == ".."
    {
        return Err(Problem::BadDeviceName);
    }
    Ok(t.to_string())
}

/// A static DHCP host: MAC and/or name, and an address inside the network that no other
/// host has. `taken`: (mac, ip) of the hosts already there.
pub fn check_dhcp_host(
    mac: &str,
    name: &str,
    ip: &str,
    net: &Ipv4Net,
    taken: &[(String, String)],
) -> Check<(Option<String>, Option<String>, Ipv4Addr)> {
    let mac = if mac.trim().is_empty() {
        None
    } else {
        Some(check_mac(mac)?)
    };
    let name = if name.trim().is_empty() {
        None
    } else {
        Some(check_hostname(name)?)
    };
    if mac.is_none() && name.is_none() {
        return Err(Problem::Empty);
    }
    let addr = check_ipv4_host(ip, net, Subject::Address)?;
    for (m, i) in taken {
        if let Some(mac) = &mac {
            if m.eq_ignore_ascii_case(mac) {
                return Err(Problem::MacTaken(mac.clone()));
            }
        }
        if i == &addr.to_string() {
            return Err(Problem::IpTaken(i.clone()));
        }
    }
    Ok((mac, name, addr))
}

/// Defaults for a new IPv4 network that collide with nothing: the first free
/// `192.168.N.0/24` (N from 100), then `10.N.0.0/24`. Gateway `.1`, DHCP `.2`–`.254`.
/// The addresses a network suggests for itself: its first host as the gateway, and a
/// DHCP range from the second host to the last (libvirt's own default network does
/// the same: 192.168.122.1, 2–254). `None` for networks too small for a range.
pub fn suggest_ipv4_addresses(net: &Ipv4Net) -> Option<(Ipv4Addr, Ipv4Addr, Ipv4Addr)> {
    if net.host_count() < 3 {
        return None;
    }
    let first = u32::from(net.first_host());
    Some((
        Ipv4Addr::from(first),
        Ipv4Addr::from(first + 1),
        net.last_host(),
    ))
}

/// The same for IPv6: `::1` as the gateway, and `::100`–`::1ff` for DHCP, inside the
/// network (a /64 and smaller networks down to /120).
pub fn suggest_ipv6_addresses(net: &Ipv6Net) -> Option<(Ipv6Addr, Ipv6Addr, Ipv6Addr)> {
    if net.prefix > 120 {
        return None;
    }
    let base = u128::from(net.addr);
    Some((
        Ipv6Addr::from(base + 1),
        Ipv6Addr::from(base + 0x100),
        Ipv6Addr::from(base + 0x1ff),
    ))
}

pub fn suggest_ipv4(
    others: &[(String, Vec<IpNet>)],
    host: &[HostAddr],
) -> Option<(Ipv4Net, Ipv4Addr, Ipv4Addr, Ipv4Addr)> {
    let candidates = (100..=254u8)
        .map(|n| Ipv4Addr::new(192, 168, n, 0))
        .chain((0..=254u8).map(|n| Ipv4Addr::new(10, n, 100, 0)));
    for addr in candidates {
        let net = Ipv4Net { addr, prefix: 24 };
        let n = IpNet::V4(net);
        if check_no_network_overlap(&n, others, None).is_ok()
            && check_no_host_overlap(&n, host, &[]).is_ok()
        {
            let (gw, start, end) = suggest_ipv4_addresses(&net)?;
            return Some((net, gw, start, end));
        }
    }
    None
}

#[cfg(test)]
mod tests;
