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
mod tests {
    use super::*;

    fn v4(s: &str) -> Ipv4Net {
        check_ipv4_cidr(s).unwrap()
    }

    #[test]
    fn a_network_suggests_its_gateway_and_range() {
        let (gw, s, e) = suggest_ipv4_addresses(&v4("10.1.2.0/24")).unwrap();
        assert_eq!(
            (gw.to_string(), s.to_string(), e.to_string()),
            ("10.1.2.1".into(), "10.1.2.2".into(), "10.1.2.254".into())
        );
        let (gw, s, e) = suggest_ipv4_addresses(&v4("172.20.0.0/16")).unwrap();
        assert_eq!(
            (gw.to_string(), s.to_string(), e.to_string()),
            (
                "172.20.0.1".into(),
                "172.20.0.2".into(),
                "172.20.255.254".into()
            )
        );
        assert_eq!(suggest_ipv4_addresses(&v4("10.1.2.0/30")), None);
        let net = check_ipv6_cidr("fd00:7::/64").unwrap();
        let (gw, s, e) = suggest_ipv6_addresses(&net).unwrap();
        assert_eq!(
            (gw.to_string(), s.to_string(), e.to_string()),
            (
                "fd00:7::1".into(),
                "fd00:7::100".into(),
                "fd00:7::1ff".into()
            )
        );
    }

    #[test]
    fn names() {
        let existing = vec!["default".to_string()];
        assert_eq!(check_name(" lab-1 ", &existing), Ok("lab-1".into()));
        assert_eq!(check_name("", &existing), Err(Problem::Empty));
        assert_eq!(check_name("a b", &existing), Err(Problem::NameChars));
        assert_eq!(check_name("a/b", &existing), Err(Problem::NameChars));
        assert_eq!(check_name("-x", &existing), Err(Problem::NameChars));
        assert_eq!(
            check_name(&"x".repeat(65), &existing),
            Err(Problem::NameChars)
        );
        assert_eq!(
            check_name("default", &existing),
            Err(Problem::NameTaken("default".into()))
        );
    }

    #[test]
    fn cidr_syntax() {
        assert_eq!(
            v4("192.168.100.0/24").netmask(),
            Ipv4Addr::new(255, 255, 255, 0)
        );
        assert_eq!(check_ipv4_cidr(""), Err(Problem::Empty));
        assert!(matches!(
            check_ipv4_cidr("192.168.100.0"),
            Err(Problem::NotCidr(_))
        ));
        assert!(matches!(
            check_ipv4_cidr("192.168.300.0/24"),
            Err(Problem::NotCidr(_))
        ));
        assert!(matches!(
            check_ipv4_cidr("192.168.1.0/x"),
            Err(Problem::NotCidr(_))
        ));
        assert_eq!(
            check_ipv4_cidr("10.0.0.0/31"),
            Err(Problem::PrefixRange { min: 8, max: 30 })
        );
        assert_eq!(
            check_ipv4_cidr("10.0.0.0/4"),
            Err(Problem::PrefixRange { min: 8, max: 30 })
        );
        assert_eq!(
            check_ipv4_cidr("192.168.1.5/24"),
            Err(Problem::HostBitsSet {
                suggestion: "192.168.1.0/24".into()
            })
        );
        let n6 = check_ipv6_cidr("fd00:1:2::/64").unwrap();
        assert_eq!(n6.prefix, 64);
        assert!(matches!(
            check_ipv6_cidr("fd00::1/64"),
            Err(Problem::HostBitsSet { .. })
        ));
        assert!(matches!(
            check_ipv6_cidr("fd00::/x"),
            Err(Problem::NotCidr(_))
        ));
        assert_eq!(
            check_ipv6_cidr("fd00::/127"),
            Err(Problem::PrefixRange { min: 8, max: 126 })
        );
    }

    #[test]
    fn net_arithmetic() {
        let n = v4("10.213.5.0/24");
        assert_eq!(n.broadcast(), Ipv4Addr::new(10, 213, 5, 255));
        assert_eq!(n.first_host(), Ipv4Addr::new(10, 213, 5, 1));
        assert_eq!(n.last_host(), Ipv4Addr::new(10, 213, 5, 254));
        assert_eq!(n.host_count(), 254);
        assert!(n.overlaps(&v4("10.213.0.0/16")));
        assert!(!n.overlaps(&v4("10.213.6.0/24")));
        assert_eq!(
            Ipv4Net::prefix_of_netmask(Ipv4Addr::new(255, 255, 254, 0)),
            Some(23)
        );
        assert_eq!(
            Ipv4Net::prefix_of_netmask(Ipv4Addr::new(255, 0, 255, 0)),
            None
        );
        let a = check_ipv6_cidr("fd00:1::/64").unwrap();
        assert!(a.overlaps(&check_ipv6_cidr("fd00::/16").unwrap()));
        assert!(!IpNet::V6(a).overlaps(&IpNet::V4(n)));
    }

    #[test]
    fn gateway_inside_network() {
        let n = v4("10.213.5.0/24");
        assert_eq!(
            check_ipv4_gateway("10.213.5.1", &n),
            Ok(Ipv4Addr::new(10, 213, 5, 1))
        );
        assert!(matches!(
            check_ipv4_gateway("10.213.6.1", &n),
            Err(Problem::OutsideNetwork { .. })
        ));
        assert_eq!(
            check_ipv4_gateway("10.213.5.0", &n),
            Err(Problem::NetworkOrBroadcast)
        );
        assert_eq!(
            check_ipv4_gateway("10.213.5.255", &n),
            Err(Problem::NetworkOrBroadcast)
        );
        assert!(matches!(
            check_ipv4_gateway("nope", &n),
            Err(Problem::NotAddress(_))
        ));
        assert_eq!(check_ipv4_gateway("fd00::1", &n), Err(Problem::WrongFamily));
        assert_eq!(check_ipv4_gateway(" ", &n), Err(Problem::Empty));
    }

    #[test]
    fn dhcp_range_inside_network_and_outside_gateway() {
        let n = v4("10.213.5.0/24");
        let gw = Some(Ipv4Addr::new(10, 213, 5, 1));
        assert!(check_ipv4_range("10.213.5.100", "10.213.5.200", &n, gw).is_ok());
        assert!(matches!(
            check_ipv4_range("10.213.4.100", "10.213.5.200", &n, gw),
            Err(Problem::OutsideNetwork { .. })
        ));
        assert!(matches!(
            check_ipv4_range("10.213.5.100", "10.213.6.1", &n, gw),
            Err(Problem::OutsideNetwork { .. })
        ));
        assert_eq!(
            check_ipv4_range("10.213.5.200", "10.213.5.100", &n, gw),
            Err(Problem::RangeReversed)
        );
        assert_eq!(
            check_ipv4_range("10.213.5.1", "10.213.5.100", &n, gw),
            Err(Problem::GatewayInRange)
        );
        assert_eq!(
            check_ipv4_range("10.213.5.2", "10.213.5.255", &n, gw),
            Err(Problem::NetworkOrBroadcast)
        );
        let n6 = check_ipv6_cidr("fd00:213::/64").unwrap();
        let g6 = Some("fd00:213::1".parse().unwrap());
        assert!(check_ipv6_range("fd00:213::100", "fd00:213::1ff", &n6, g6).is_ok());
        assert_eq!(
            check_ipv6_range("fd00:213::1", "fd00:213::1ff", &n6, g6),
            Err(Problem::GatewayInRange)
        );
        assert_eq!(
            check_ipv6_range("fd00:213::1ff", "fd00:213::100", &n6, g6),
            Err(Problem::RangeReversed)
        );
        assert!(matches!(
            check_ipv6_range("fd01::1", "fd00:213::100", &n6, g6),
            Err(Problem::OutsideNetwork { .. })
        ));
        assert_eq!(
            check_ipv6_range("10.0.0.1", "fd00:213::100", &n6, g6),
            Err(Problem::WrongFamily)
        );
    }

    #[test]
    fn range_typed_as_one_text() {
        let n = v4("10.213.5.0/24");
        let gw = Some(Ipv4Addr::new(10, 213, 5, 1));
        let want = Ok((
            Ipv4Addr::new(10, 213, 5, 100),
            Ipv4Addr::new(10, 213, 5, 200),
        ));
        assert_eq!(
            check_ipv4_range_text("10.213.5.100 - 10.213.5.200", &n, gw),
            want
        );
        assert_eq!(
            check_ipv4_range_text("10.213.5.100 – 10.213.5.200", &n, gw),
            want
        );
        assert_eq!(
            check_ipv4_range_text("10.213.5.100 to 10.213.5.200", &n, gw),
            want
        );
        assert_eq!(check_ipv4_range_text("", &n, gw), Err(Problem::Empty));
        assert!(matches!(
            check_ipv4_range_text("10.213.5.100", &n, gw),
            Err(Problem::NotAddress(_))
        ));
        assert_eq!(
            check_ipv4_range_text("10.213.5.1-10.213.5.9", &n, gw),
            Err(Problem::GatewayInRange)
        );
    }

    #[test]
    fn ipv6_range_typed_as_one_text() {
        let n = check_ipv6_cidr("fd00:1::/64").unwrap();
        let gw = Some("fd00:1::1".parse().unwrap());
        let want: Check<(Ipv6Addr, Ipv6Addr)> = Ok((
            "fd00:1::100".parse().unwrap(),
            "fd00:1::1ff".parse().unwrap(),
        ));
        assert_eq!(
            check_ipv6_range_text("fd00:1::100 - fd00:1::1ff", &n, gw),
            want
        );
        assert_eq!(
            check_ipv6_range_text("fd00:1::100 – fd00:1::1ff", &n, gw),
            want
        );
        assert_eq!(
            check_ipv6_range_text("fd00:1::100 to fd00:1::1ff", &n, gw),
            want
        );
        assert_eq!(
            check_ipv6_range_text("fd00:1::1ff - fd00:1::100", &n, gw),
            Err(Problem::RangeReversed)
        );
        assert_eq!(
            check_ipv6_range_text("fd00:1::0:1 - fd00:1::9", &n, gw),
            Err(Problem::GatewayInRange)
        );
        assert!(matches!(
            check_ipv6_range_text("fd00:2::100 - fd00:2::1ff", &n, gw),
            Err(Problem::OutsideNetwork { .. })
        ));
    }

    #[test]
    fn overlap_with_other_networks() {
        let others = vec![
            (
                "default".to_string(),
                vec![IpNet::V4(v4("192.168.122.0/24"))],
            ),
            ("lab".to_string(), vec![IpNet::V4(v4("10.213.0.0/16"))]),
        ];
        let n = IpNet::V4(v4("10.213.7.0/24"));
        assert_eq!(
            check_no_network_overlap(&n, &others, None),
            Err(Problem::OverlapsNetwork {
                name: "lab".into(),
                net: "10.213.0.0/16".into()
            })
        );
        // Editing "lab" itself: its own range does not count.
        assert!(check_no_network_overlap(&n, &others, Some("lab")).is_ok());
        assert!(check_no_network_overlap(&IpNet::V4(v4("10.214.0.0/24")), &others, None).is_ok());
    }

    #[test]
    fn overlap_with_host_addresses() {
        let host = vec![
            HostAddr {
                iface: "lo".into(),
                addr: "127.0.0.1".parse().unwrap(),
                prefix: 8,
            },
            HostAddr {
                iface: "eth0".into(),
                addr: "10.213.9.17".parse().unwrap(),
                prefix: 24,
            },
            HostAddr {
                iface: "virbr0".into(),
                addr: "192.168.122.1".parse().unwrap(),
                prefix: 24,
            },
        ];
        assert_eq!(
            check_no_host_overlap(&IpNet::V4(v4("10.213.9.0/24")), &host, &[]),
            Err(Problem::OverlapsHost {
                iface: "eth0".into(),
                addr: "10.213.9.17/24".into()
            })
        );
        assert!(check_no_host_overlap(&IpNet::V4(v4("127.0.0.0/8")), &host, &[]).is_ok());
        assert!(check_no_host_overlap(
            &IpNet::V4(v4("192.168.122.0/24")),
            &host,
            &["virbr0".to_string()]
        )
        .is_ok());
    }

    #[test]
    fn macs_hosts_domains_mtu_devices() {
        assert_eq!(
            check_mac("52:54:00:AB:cd:01"),
            Ok("52:54:00:ab:cd:01".into())
        );
        assert_eq!(check_mac("52:54:00:ab:cd"), Err(Problem::BadMac));
        assert_eq!(check_mac("52-54-00-ab-cd-01"), Err(Problem::BadMac));
        assert_eq!(
            check_mac("01:00:5e:00:00:01"),
            Err(Problem::BadMac),
            "multicast"
        );
        assert_eq!(check_mac(""), Err(Problem::Empty));
        assert_eq!(check_hostname("db-1.lab"), Ok("db-1.lab".into()));
        assert_eq!(check_hostname("bad_name"), Err(Problem::BadHostName));
        assert_eq!(check_hostname("-x"), Err(Problem::BadHostName));
        assert_eq!(check_domain_name("lab.example."), Ok("lab.example".into()));
        assert_eq!(check_domain_name("a..b"), Err(Problem::BadDomainName));
        assert_eq!(check_mtu("9000"), Ok(9000));
        assert_eq!(check_mtu("20"), Err(Problem::MtuRange));
        assert_eq!(check_mtu("big"), Err(Problem::MtuRange));
        assert_eq!(check_device_name("br0"), Ok("br0".into()));
        assert_eq!(
            check_device_name("a-very-long-name0"),
            Err(Problem::BadDeviceName)
        );
        assert_eq!(check_device_name("br 0"), Err(Problem::BadDeviceName));
        assert_eq!(check_device_name(""), Err(Problem::NoDevice));
    }

    #[test]
    fn static_dhcp_hosts() {
        let n = v4("10.213.5.0/24");
        let taken = vec![("52:54:00:00:00:01".to_string(), "10.213.5.10".to_string())];
        assert_eq!(
            check_dhcp_host("52:54:00:00:00:02", "db", "10.213.5.11", &n, &taken),
            Ok((
                Some("52:54:00:00:00:02".into()),
                Some("db".into()),
                Ipv4Addr::new(10, 213, 5, 11)
            ))
        );
        assert_eq!(
            check_dhcp_host("", "", "10.213.5.11", &n, &taken),
            Err(Problem::Empty)
        );
        assert_eq!(
            check_dhcp_host("52:54:00:00:00:01", "", "10.213.5.12", &n, &taken),
            Err(Problem::MacTaken("52:54:00:00:00:01".into()))
        );
        assert_eq!(
            check_dhcp_host("", "web", "10.213.5.10", &n, &taken),
            Err(Problem::IpTaken("10.213.5.10".into()))
        );
        assert!(matches!(
            check_dhcp_host("", "web", "10.213.6.10", &n, &taken),
            Err(Problem::OutsideNetwork { .. })
        ));
    }

    #[test]
    fn suggestions_avoid_everything_in_use() {
        let others = vec![(
            "a".to_string(),
            vec![
                IpNet::V4(v4("192.168.100.0/24")),
                IpNet::V4(v4("192.168.101.0/24")),
            ],
        )];
        let host = vec![HostAddr {
            iface: "eth0".into(),
            addr: "192.168.102.5".parse().unwrap(),
            prefix: 24,
        }];
        let (net, gw, s, e) = suggest_ipv4(&others, &host).unwrap();
        assert_eq!(net, v4("192.168.103.0/24"));
        assert_eq!(gw, Ipv4Addr::new(192, 168, 103, 1));
        assert_eq!(
            (s, e),
            (
                Ipv4Addr::new(192, 168, 103, 2),
                Ipv4Addr::new(192, 168, 103, 254)
            )
        );
        // A host on all of 192.168/16 pushes it to 10/8.
        let host = vec![HostAddr {
            iface: "eth0".into(),
            addr: "192.168.0.5".parse().unwrap(),
            prefix: 16,
        }];
        let (net, ..) = suggest_ipv4(&[], &host).unwrap();
        assert_eq!(net.addr.octets()[0], 10);
    }

    #[test]
    fn messages_name_the_problem() {
        assert!(Problem::NameTaken("x".into()).message().contains("“x”"));
        assert!(Problem::OverlapsHost {
            iface: "eth0".into(),
            addr: "10.0.0.1/8".into()
        }
        .message()
        .contains("eth0"));
        assert!(Problem::PrefixRange { min: 8, max: 30 }
            .message()
            .contains("30"));
    }
}
