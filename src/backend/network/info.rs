//! Virtual networks: what the Networks page and the topology view know about them, read
//! from libvirt's network XML through the lossless [`Document`]; the XML the creation
//! wizard writes; `virNetworkUpdate` edits; DHCP leases; the host's interfaces; the
//! guests' NICs.

use std::collections::{HashMap, HashSet};
use std::ffi::{c_char, CStr};
use std::net::IpAddr;

use virt::connect::Connect;
use virt::network::Network;
use virt::sys;

use crate::backend::network::check::{HostAddr, IpNet, Ipv4Net, Ipv6Net};
use crate::backend::xml::{Document, Element, XmlError};
use crate::backend::{Error, Result};

/// How a network reaches the outside (`<forward mode=…>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum NetworkMode {
    /// NAT to any (or one) host interface.
    #[default]
    Nat,
    /// Routed, without NAT.
    Route,
    /// Routed, and libvirt adds no firewall rules.
    Open,
    /// No `<forward>`: guests reach each other and the host only.
    Isolated,
    /// An existing host bridge (`<forward mode='bridge'/><bridge name='br0'/>`).
    Bridge,
    /// macvtap straight onto a host interface.
    Macvtap(MacvtapMode),
    /// PCI passthrough of SR-IOV virtual functions.
    Hostdev,
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacvtapMode {
    Bridge,
    Vepa,
    Private,
    Passthrough,
}

impl MacvtapMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MacvtapMode::Bridge => "bridge",
            MacvtapMode::Vepa => "vepa",
            MacvtapMode::Private => "private",
            MacvtapMode::Passthrough => "passthrough",
        }
    }
}

impl NetworkMode {
    /// libvirt's `<forward mode>` value, or `None` for isolated.
    pub fn forward_mode(&self) -> Option<&str> {
        match self {
            NetworkMode::Nat => Some("nat"),
            NetworkMode::Route => Some("route"),
            NetworkMode::Open => Some("open"),
            NetworkMode::Isolated => None,
            NetworkMode::Bridge => Some("bridge"),
            NetworkMode::Macvtap(m) => Some(m.as_str()),
            NetworkMode::Hostdev => Some("hostdev"),
            NetworkMode::Other(s) => Some(s),
        }
    }

    /// Whether libvirt runs a bridge, addresses and dnsmasq for this mode.
    pub fn has_own_bridge(&self) -> bool {
        matches!(
            self,
            NetworkMode::Nat | NetworkMode::Route | NetworkMode::Open | NetworkMode::Isolated
        )
    }

    /// A short English word for logs and tests; the UI has translated labels.
    pub fn key(&self) -> String {
        match self {
            NetworkMode::Isolated => "isolated".into(),
            NetworkMode::Macvtap(m) => format!("macvtap-{}", m.as_str()),
            other => other.forward_mode().unwrap_or("").to_string(),
        }
    }
}

/// One `<range>` of a `<dhcp>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpRange {
    pub start: String,
    pub end: String,
}

/// One static `<host>` of a `<dhcp>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DhcpHost {
    pub mac: Option<String>,
    pub name: Option<String>,
    pub ip: String,
}

/// One `<ip>` of a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpConfig {
    pub v6: bool,
    pub address: String,
    pub prefix: u8,
    pub ranges: Vec<DhcpRange>,
    pub hosts: Vec<DhcpHost>,
    /// Position among the network's `<ip>` elements (virNetworkUpdate's parentIndex).
    pub index: usize,
}

impl IpConfig {
    /// The network, e.g. `192.168.122.0/24`.
    pub fn net(&self) -> Option<IpNet> {
        match self.address.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => Some(IpNet::V4(Ipv4Net::containing(a, self.prefix))),
            IpAddr::V6(a) => Some(IpNet::V6(Ipv6Net::containing(a, self.prefix))),
        }
    }

    pub fn cidr(&self) -> String {
        self.net().map(|n| n.to_string()).unwrap_or_default()
    }
}

/// One `<dns><host>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsHost {
    pub ip: String,
    pub hostnames: Vec<String>,
}

/// What the Networks page shows about a network.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkInfo {
    pub uuid: String,
    pub name: String,
    pub active: bool,
    pub persistent: bool,
    pub autostart: bool,
    pub mode: NetworkMode,
    /// `<forward dev=…>`, or the first `<forward><interface dev=…>`.
    pub forward_dev: Option<String>,
    pub bridge: Option<String>,
    pub mtu: Option<u32>,
    pub domain: Option<String>,
    pub ips: Vec<IpConfig>,
    pub dns_hosts: Vec<DnsHost>,
    /// Names of the guests with a NIC on this network (defined or running).
    pub guests: Vec<String>,
    /// The XML it was read from (live when active).
    pub xml: String,
}

impl NetworkInfo {
    pub fn ipv4(&self) -> Option<&IpConfig> {
        self.ips.iter().find(|i| !i.v6)
    }

    pub fn ipv6(&self) -> Option<&IpConfig> {
        self.ips.iter().find(|i| i.v6)
    }

    /// The networks of its `<ip>` elements.
    pub fn nets(&self) -> Vec<IpNet> {
        self.ips.iter().filter_map(IpConfig::net).collect()
    }

    /// Fill the XML-derived fields from a network XML document.
    pub fn from_xml(xml: &str) -> std::result::Result<NetworkInfo, XmlError> {
        let doc = Document::parse(xml)?;
        let r = &doc.root;
        if r.name != "network" {
            return Err(XmlError(format!("<{}> is not a <network>", r.name)));
        }
        let text = |n: &str| r.child(n).map(|e| e.text().trim().to_string());
        let mut info = NetworkInfo {
            name: text("name").unwrap_or_default(),
            uuid: text("uuid").unwrap_or_default(),
            xml: xml.to_string(),
            ..Default::default()
        };
        let bridge = r
            .child("bridge")
            .and_then(|b| b.attr("name"))
            .map(str::to_string);
        info.mode = match r.child("forward") {
            None => NetworkMode::Isolated,
            Some(f) => {
                info.forward_dev = f.attr("dev").map(str::to_string).or_else(|| {
                    f.child("interface")
                        .and_then(|i| i.attr("dev"))
                        .map(str::to_string)
                });
                match f.attr("mode").unwrap_or("nat") {
                    "nat" => NetworkMode::Nat,
                    "route" => NetworkMode::Route,
                    "open" => NetworkMode::Open,
                    "bridge" if bridge.is_some() => NetworkMode::Bridge,
                    "bridge" => NetworkMode::Macvtap(MacvtapMode::Bridge),
                    "vepa" => NetworkMode::Macvtap(MacvtapMode::Vepa),
                    "private" => NetworkMode::Macvtap(MacvtapMode::Private),
                    "passthrough" => NetworkMode::Macvtap(MacvtapMode::Passthrough),
                    "hostdev" => NetworkMode::Hostdev,
                    other => NetworkMode::Other(other.to_string()),
                }
            }
        };
        info.bridge = bridge;
        info.mtu = r
            .child("mtu")
            .and_then(|m| m.attr("size"))
            .and_then(|s| s.parse().ok());
        info.domain = r
            .child("domain")
            .and_then(|d| d.attr("name"))
            .map(str::to_string);
        for (index, ip) in r.children_named("ip").enumerate() {
            let v6 = ip.attr("family") == Some("ipv6");
            let address = ip.attr("address").unwrap_or_default().to_string();
            let prefix = match (ip.attr("prefix"), ip.attr("netmask")) {
                (Some(p), _) => p.parse().unwrap_or(if v6 { 64 } else { 24 }),
                (None, Some(m)) => m
                    .parse()
                    .ok()
                    .and_then(Ipv4Net::prefix_of_netmask)
                    .unwrap_or(24),
                (None, None) if v6 => 64,
                (None, None) => classful_prefix(&address),
            };
            let mut cfg = IpConfig {
                v6,
                address,
                prefix,
                ranges: Vec::new(),
                hosts: Vec::new(),
                index,
            };
            if let Some(d) = ip.child("dhcp") {
                for range in d.children_named("range") {
                    cfg.ranges.push(DhcpRange {
                        start: range.attr("start").unwrap_or_default().to_string(),
                        end: range.attr("end").unwrap_or_default().to_string(),
                    });
                }
                for h in d.children_named("host") {
                    cfg.hosts.push(DhcpHost {
                        mac: h.attr("mac").map(str::to_string),
                        name: h.attr("name").map(str::to_string),
                        ip: h.attr("ip").unwrap_or_default().to_string(),
                    });
                }
            }
            info.ips.push(cfg);
        }
        if let Some(dns) = r.child("dns") {
            for h in dns.children_named("host") {
                info.dns_hosts.push(DnsHost {
                    ip: h.attr("ip").unwrap_or_default().to_string(),
                    hostnames: h
                        .children_named("hostname")
                        .map(|n| n.text().trim().to_string())
                        .collect(),
                });
            }
        }
        Ok(info)
    }
}

/// The prefix libvirt assumes for an `<ip>` with neither prefix nor netmask.
fn classful_prefix(address: &str) -> u8 {
    match address.parse::<std::net::Ipv4Addr>().map(|a| a.octets()[0]) {
        Ok(0..=127) => 8,
        Ok(128..=191) => 16,
        _ => 24,
    }
}

/// The IP part of a new network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpSpec {
    /// The gateway: the host's address on the network.
    pub address: IpAddr,
    pub prefix: u8,
    pub dhcp: Option<(IpAddr, IpAddr)>,
    pub hosts: Vec<DhcpHost>,
}

/// What the creation wizard asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkSpec {
    pub name: String,
    pub mode: NetworkMode,
    /// The host interface to forward through (NAT/routed), to macvtap onto, or the
    /// host bridge (bridge mode). `None`: any.
    pub device: Option<String>,
    /// The bridge libvirt creates (NAT, routed, open, isolated). `None`: libvirt picks
    /// `virbrN`.
    pub bridge: Option<String>,
    pub ipv4: Option<IpSpec>,
    pub ipv6: Option<IpSpec>,
    pub domain: Option<String>,
    pub dns_hosts: Vec<DnsHost>,
    pub mtu: Option<u32>,
}

fn ip_element(spec: &IpSpec) -> Element {
    let mut ip = Element::new("ip");
    if spec.address.is_ipv6() {
        ip.set_attr("family", "ipv6");
    }
    ip.set_attr("address", &spec.address.to_string());
    ip.set_attr("prefix", &spec.prefix.to_string());
    if spec.dhcp.is_some() || !spec.hosts.is_empty() {
        let mut dhcp = Element::new("dhcp");
        if let Some((s, e)) = spec.dhcp {
            dhcp.append_child(
                Element::new("range")
                    .with_attr("start", &s.to_string())
                    .with_attr("end", &e.to_string()),
            );
        }
        for h in &spec.hosts {
            dhcp.append_child(host_element(h));
        }
        ip.append_child(dhcp);
    }
    ip
}

/// `<host mac=… name=… ip=…/>` of a `<dhcp>`.
pub fn host_element(h: &DhcpHost) -> Element {
    let mut e = Element::new("host");
    if let Some(m) = &h.mac {
        e.set_attr("mac", m);
    }
    if let Some(n) = &h.name {
        e.set_attr("name", n);
    }
    e.set_attr("ip", &h.ip);
    e
}

/// `<host ip=…><hostname>…</hostname></host>` of a `<dns>`.
pub fn dns_host_element(h: &DnsHost) -> Element {
    let mut e = Element::new("host").with_attr("ip", &h.ip);
    for n in &h.hostnames {
        e.append_child(Element::new("hostname").with_text(n));
    }
    e
}

impl NetworkSpec {
    /// The network XML libvirt is given to define the network.
    pub fn to_xml(&self) -> String {
        let mut root = Element::new("network");
        root.append_child(Element::new("name").with_text(&self.name));
        if let Some(mode) = self.mode.forward_mode() {
            let mut fwd = Element::new("forward").with_attr("mode", mode);
            match &self.mode {
                NetworkMode::Nat | NetworkMode::Route | NetworkMode::Open => {
                    if let Some(dev) = &self.device {
                        fwd.set_attr("dev", dev);
                    }
                }
                NetworkMode::Macvtap(_) => {
                    if let Some(dev) = &self.device {
                        fwd.append_child(Element::new("interface").with_attr("dev", dev));
                    }
                }
                _ => {}
            }
            root.append_child(fwd);
        }
        match &self.mode {
            NetworkMode::Bridge => {
                if let Some(dev) = &self.device {
                    root.append_child(Element::new("bridge").with_attr("name", dev));
                }
            }
            m if m.has_own_bridge() => {
                let mut b = Element::new("bridge");
                if let Some(name) = &self.bridge {
                    b.set_attr("name", name);
                }
                b.set_attr("stp", "on");
                b.set_attr("delay", "0");
                root.append_child(b);
            }
            _ => {}
        }
        if self.mode.has_own_bridge() {
            if let Some(mtu) = self.mtu {
                root.append_child(Element::new("mtu").with_attr("size", &mtu.to_string()));
            }
            if let Some(d) = &self.domain {
                root.append_child(
                    Element::new("domain")
                        .with_attr("name", d)
                        .with_attr("localOnly", "yes"),
                );
            }
            if !self.dns_hosts.is_empty() {
                let mut dns = Element::new("dns");
                for h in &self.dns_hosts {
                    dns.append_child(dns_host_element(h));
                }
                root.append_child(dns);
            }
            if let Some(v4) = &self.ipv4 {
                root.append_child(ip_element(v4));
            }
            if let Some(v6) = &self.ipv6 {
                root.append_child(ip_element(v6));
            }
        }
        // One child a line, as libvirt writes it.
        let mut doc = Document::new(indent(root, 0));
        doc.after.clear();
        let mut s = doc.to_xml();
        s.push('\n');
        s
    }
}

/// Lay out an element built in code one child a line, two spaces a level.
fn indent(mut e: Element, level: usize) -> Element {
    use crate::backend::xml::Node;
    if !e.elements().any(|_| true) {
        return e;
    }
    let inner = format!("\n{}", "  ".repeat(level + 1));
    let outer = format!("\n{}", "  ".repeat(level));
    let mut children = Vec::new();
    for c in e.children.drain(..) {
        match c {
            Node::Element(el) => {
                children.push(Node::Text(inner.clone()));
                children.push(Node::Element(indent(el, level + 1)));
            }
            Node::Text(t) if t.trim().is_empty() => {}
            other => {
                children.push(Node::Text(inner.clone()));
                children.push(other);
            }
        }
    }
    children.push(Node::Text(outer));
    e.children = children;
    e
}

/// A live (and persistent) change through `virNetworkUpdate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkEdit {
    AddDhcpHost { ip_index: usize, host: DhcpHost },
    RemoveDhcpHost { ip_index: usize, host: DhcpHost },
    AddDhcpRange { ip_index: usize, range: DhcpRange },
    RemoveDhcpRange { ip_index: usize, range: DhcpRange },
    AddDnsHost(DnsHost),
    RemoveDnsHost(DnsHost),
}

impl NetworkEdit {
    /// (command, section, parentIndex, xml) for `virNetworkUpdate`.
    pub fn update_args(&self) -> (u32, u32, i32, String) {
        use NetworkEdit::*;
        let add = sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST;
        let del = sys::VIR_NETWORK_UPDATE_COMMAND_DELETE;
        let range = |r: &DhcpRange| {
            Element::new("range")
                .with_attr("start", &r.start)
                .with_attr("end", &r.end)
                .to_xml()
        };
        match self {
            AddDhcpHost { ip_index, host } => (
                add,
                sys::VIR_NETWORK_SECTION_IP_DHCP_HOST,
                *ip_index as i32,
                host_element(host).to_xml(),
            ),
            RemoveDhcpHost { ip_index, host } => (
                del,
                sys::VIR_NETWORK_SECTION_IP_DHCP_HOST,
                *ip_index as i32,
                host_element(host).to_xml(),
            ),
            AddDhcpRange { ip_index, range: r } => (
                add,
                sys::VIR_NETWORK_SECTION_IP_DHCP_RANGE,
                *ip_index as i32,
                range(r),
            ),
            RemoveDhcpRange { ip_index, range: r } => (
                del,
                sys::VIR_NETWORK_SECTION_IP_DHCP_RANGE,
                *ip_index as i32,
                range(r),
            ),
            AddDnsHost(h) => (
                add,
                sys::VIR_NETWORK_SECTION_DNS_HOST,
                -1,
                dns_host_element(h).to_xml(),
            ),
            RemoveDnsHost(h) => (
                del,
                sys::VIR_NETWORK_SECTION_DNS_HOST,
                -1,
                dns_host_element(h).to_xml(),
            ),
        }
    }
}

/// Settings that only change in the persistent definition (they apply when the
/// network restarts): edited in place on the inactive XML, everything else kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigEdit {
    /// `Some(None)` removes the MTU.
    pub mtu: Option<Option<u32>>,
    pub domain: Option<Option<String>>,
    /// The forward device (`Some(None)`: any).
    pub forward_dev: Option<Option<String>>,
}

impl ConfigEdit {
    /// Apply to a network's inactive XML; the result is what gets defined.
    pub fn apply(&self, xml: &str) -> std::result::Result<String, XmlError> {
        let mut doc = Document::parse(xml)?;
        let r = &mut doc.root;
        if let Some(mtu) = &self.mtu {
            match mtu {
                Some(v) => {
                    if r.child("mtu").is_none() {
                        r.insert_child_before(Element::new("mtu"), "ip");
                    }
                    r.ensure_child("mtu").set_attr("size", &v.to_string());
                }
                None => {
                    r.remove_children(|e| e.name == "mtu");
                }
            }
        }
        if let Some(domain) = &self.domain {
            match domain {
                Some(d) => {
                    if r.child("domain").is_none() {
                        r.insert_child_before(Element::new("domain"), "ip");
                    }
                    r.ensure_child("domain").set_attr("name", d);
                }
                None => {
                    r.remove_children(|e| e.name == "domain");
                }
            }
        }
        if let Some(dev) = &self.forward_dev {
            if let Some(f) = r.child_mut("forward") {
                match dev {
                    Some(d) => f.set_attr("dev", d),
                    None => {
                        f.remove_attr("dev");
                    }
                }
            }
        }
        Ok(doc.to_xml())
    }
}

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

/// A C string libvirt owns, copied; `NULL` gives "".
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string.
unsafe fn c_string(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: non-null and NUL-terminated by the caller's contract.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
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

/// One NIC of a guest, from its domain XML.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GuestNic {
    /// `<interface type>`: network, bridge, direct, user…
    pub kind: String,
    /// `<source network>`.
    pub network: Option<String>,
    /// `<source bridge>` (also set for running guests on a network).
    pub bridge: Option<String>,
    /// `<source dev>` (direct/macvtap).
    pub dev: Option<String>,
    pub mac: String,
    /// `<target dev>`: the tap or macvtap device of a running guest.
    pub target: Option<String>,
    pub model: Option<String>,
    /// An address, from the network's leases.
    pub ip: Option<String>,
}

/// A guest and its NICs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GuestNics {
    pub uuid: String,
    pub name: String,
    pub active: bool,
    pub nics: Vec<GuestNic>,
}

/// The `<interface>`s of a domain's XML.
pub fn parse_guest_nics(xml: &str) -> std::result::Result<Vec<GuestNic>, XmlError> {
    let doc = Document::parse(xml)?;
    let Some(devices) = doc.root.child("devices") else {
        return Ok(Vec::new());
    };
    Ok(devices
        .children_named("interface")
        .map(|i| {
            let src = i.child("source");
            let a = |n: &str| src.and_then(|s| s.attr(n)).map(str::to_string);
            GuestNic {
                kind: i.attr("type").unwrap_or_default().to_string(),
                network: a("network"),
                bridge: a("bridge"),
                dev: a("dev"),
                mac: i
                    .child("mac")
                    .and_then(|m| m.attr("address"))
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                target: i
                    .child("target")
                    .and_then(|t| t.attr("dev"))
                    .map(str::to_string),
                model: i
                    .child("model")
                    .and_then(|t| t.attr("type"))
                    .map(str::to_string),
                ip: None,
            }
        })
        .collect())
}

/// Every domain with its NICs (live XML for running ones), kept between reads.
///
/// Reading them means one XML per domain: a thousand round trips on a remote
/// connection, for each reload of the network list. The worker drops a domain's entry
/// on any event about it (started, stopped, defined, device added or removed), so only
/// domains that changed are read again; without events every read is a fresh one.
#[derive(Debug, Default)]
pub struct NicCache {
    by_uuid: HashMap<String, GuestNics>,
    /// Domain XMLs read so far, for tests and debugging.
    reads: u64,
}

impl NicCache {
    /// Forget one domain, so the next read fetches its XML again.
    pub fn forget(&mut self, uuid: &str) {
        self.by_uuid.remove(uuid);
    }

    pub fn clear(&mut self) {
        self.by_uuid.clear();
    }

    pub fn xml_reads(&self) -> u64 {
        self.reads
    }

    /// Every domain with its NICs: one list call, and an XML for each domain not kept.
    pub fn read(&mut self, conn: &Connect) -> Result<Vec<GuestNics>> {
        let domains = conn.list_all_domains(0)?;
        let mut out = Vec::with_capacity(domains.len());
        for d in domains {
            let Ok(uuid) = d.uuid_string() else { continue };
            if let Some(g) = self.by_uuid.get(&uuid) {
                out.push(g.clone());
                continue;
            }
            let Ok(xml) = d.xml_desc(0) else { continue };
            self.reads += 1;
            let g = GuestNics {
                uuid: uuid.clone(),
                name: d.name().unwrap_or_default(),
                active: d.is_active().unwrap_or(false),
                nics: parse_guest_nics(&xml).unwrap_or_default(),
            };
            self.by_uuid.insert(uuid, g.clone());
            out.push(g);
        }
        // Domains gone since the last read.
        let listed: HashSet<&str> = out.iter().map(|g| g.uuid.as_str()).collect();
        self.by_uuid.retain(|u, _| listed.contains(u.as_str()));
        Ok(out)
    }
}

/// The guests attached to `info`: on the network by name, or on its bridge.
pub fn guests_of(info: &NetworkInfo, guests: &[GuestNics]) -> Vec<String> {
    let mut names: Vec<String> = guests
        .iter()
        .filter(|g| {
            g.nics.iter().any(|n| {
                (n.kind == "network" && n.network.as_deref() == Some(info.name.as_str()))
                    || (n.kind == "bridge"
                        && info.bridge.is_some()
                        && n.bridge == info.bridge
                        && info.mode == NetworkMode::Bridge)
            })
        })
        .map(|g| g.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
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

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "<network connections='1'>
  <name>default</name>
  <uuid>3e3fce45-4f53-4fa7-bb32-11f34168b82b</uuid>
  <forward mode='nat'>
    <nat><port start='1024' end='65535'/></nat>
  </forward>
  <bridge name='virbr0' stp='on' delay='0'/>
  <mac address='52:54:00:0a:cd:21'/>
  <domain name='lab.example'/>
  <dns><host ip='192.168.122.5'><hostname>db</hostname><hostname>db.lab</hostname></host></dns>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
      <host mac='52:54:00:00:00:07' name='web' ip='192.168.122.7'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='fd00:122::1' prefix='64'/>
</network>";

    #[test]
    fn reads_a_nat_network() {
        let n = NetworkInfo::from_xml(DEFAULT).unwrap();
        assert_eq!(n.name, "default");
        assert_eq!(n.mode, NetworkMode::Nat);
        assert_eq!(n.bridge.as_deref(), Some("virbr0"));
        assert_eq!(n.domain.as_deref(), Some("lab.example"));
        let v4 = n.ipv4().unwrap();
        assert_eq!(v4.prefix, 24);
        assert_eq!(v4.cidr(), "192.168.122.0/24");
        assert_eq!(v4.ranges[0].end, "192.168.122.254");
        assert_eq!(v4.hosts[0].name.as_deref(), Some("web"));
        let v6 = n.ipv6().unwrap();
        assert_eq!((v6.index, v6.cidr().as_str()), (1, "fd00:122::/64"));
        assert_eq!(n.dns_hosts[0].hostnames, ["db", "db.lab"]);
        assert_eq!(n.nets().len(), 2);
    }

    #[test]
    fn reads_every_mode() {
        let mode = |x: &str| NetworkInfo::from_xml(x).unwrap().mode;
        assert_eq!(
            mode("<network><name>a</name></network>"),
            NetworkMode::Isolated
        );
        assert_eq!(
            mode("<network><name>a</name><forward/></network>"),
            NetworkMode::Nat
        );
        assert_eq!(
            mode("<network><name>a</name><forward mode='route' dev='eth0'/></network>"),
            NetworkMode::Route
        );
        assert_eq!(
            mode("<network><name>a</name><forward mode='open'/></network>"),
            NetworkMode::Open
        );
        assert_eq!(
            mode("<network><name>a</name><forward mode='bridge'/><bridge name='br0'/></network>"),
            NetworkMode::Bridge
        );
        let mv = NetworkInfo::from_xml(
            "<network><name>a</name><forward mode='bridge'><interface dev='eth1'/></forward></network>",
        )
        .unwrap();
        assert_eq!(mv.mode, NetworkMode::Macvtap(MacvtapMode::Bridge));
        assert_eq!(mv.forward_dev.as_deref(), Some("eth1"));
        assert_eq!(
            mode("<network><name>a</name><forward mode='vepa'/></network>"),
            NetworkMode::Macvtap(MacvtapMode::Vepa)
        );
        assert_eq!(
            mode("<network><name>a</name><forward mode='passthrough'/></network>"),
            NetworkMode::Macvtap(MacvtapMode::Passthrough)
        );
        assert_eq!(
            mode("<network><name>a</name><forward mode='future'/></network>"),
            NetworkMode::Other("future".into())
        );
        assert!(NetworkInfo::from_xml("<domain/>").is_err());
    }

    fn spec() -> NetworkSpec {
        NetworkSpec {
            name: "lab".into(),
            mode: NetworkMode::Nat,
            device: Some("eth0".into()),
            bridge: Some("hgbr5".into()),
            ipv4: Some(IpSpec {
                address: "10.213.5.1".parse().unwrap(),
                prefix: 24,
                dhcp: Some((
                    "10.213.5.100".parse().unwrap(),
                    "10.213.5.200".parse().unwrap(),
                )),
                hosts: vec![DhcpHost {
                    mac: Some("52:54:00:00:05:01".into()),
                    name: Some("db".into()),
                    ip: "10.213.5.10".into(),
                }],
            }),
            ipv6: Some(IpSpec {
                address: "fd00:213:5::1".parse().unwrap(),
                prefix: 64,
                dhcp: None,
                hosts: Vec::new(),
            }),
            domain: Some("lab.test".into()),
            dns_hosts: vec![DnsHost {
                ip: "10.213.5.10".into(),
                hostnames: vec!["db".into()],
            }],
            mtu: Some(9000),
        }
    }

    #[test]
    fn wizard_spec_writes_xml_that_reads_back() {
        let xml = spec().to_xml();
        assert!(
            xml.starts_with("<network>\n  <name>lab</name>\n  <forward mode='nat' dev='eth0'/>"),
            "{xml}"
        );
        let n = NetworkInfo::from_xml(&xml).unwrap();
        assert_eq!(n.name, "lab");
        assert_eq!(n.mode, NetworkMode::Nat);
        assert_eq!(n.forward_dev.as_deref(), Some("eth0"));
        assert_eq!(n.bridge.as_deref(), Some("hgbr5"));
        assert_eq!(n.mtu, Some(9000));
        assert_eq!(n.domain.as_deref(), Some("lab.test"));
        let v4 = n.ipv4().unwrap();
        assert_eq!(v4.cidr(), "10.213.5.0/24");
        assert_eq!(
            v4.ranges,
            vec![DhcpRange {
                start: "10.213.5.100".into(),
                end: "10.213.5.200".into()
            }]
        );
        assert_eq!(v4.hosts[0].mac.as_deref(), Some("52:54:00:00:05:01"));
        assert_eq!(n.ipv6().unwrap().cidr(), "fd00:213:5::/64");
        assert_eq!(n.dns_hosts[0].ip, "10.213.5.10");
    }

    #[test]
    fn wizard_spec_for_each_mode() {
        let mut s = spec();
        s.mode = NetworkMode::Isolated;
        let n = NetworkInfo::from_xml(&s.to_xml()).unwrap();
        assert_eq!(n.mode, NetworkMode::Isolated);
        assert!(n.ipv4().is_some());
        s.mode = NetworkMode::Bridge;
        s.device = Some("br0".into());
        let x = s.to_xml();
        let n = NetworkInfo::from_xml(&x).unwrap();
        assert_eq!(n.mode, NetworkMode::Bridge);
        assert_eq!(n.bridge.as_deref(), Some("br0"));
        assert!(
            n.ips.is_empty(),
            "a host bridge gets no addresses from libvirt: {x}"
        );
        s.mode = NetworkMode::Macvtap(MacvtapMode::Private);
        s.device = Some("eth1".into());
        let n = NetworkInfo::from_xml(&s.to_xml()).unwrap();
        assert_eq!(n.mode, NetworkMode::Macvtap(MacvtapMode::Private));
        assert_eq!(n.forward_dev.as_deref(), Some("eth1"));
        assert_eq!(n.bridge, None);
        s.mode = NetworkMode::Route;
        s.device = None;
        let n = NetworkInfo::from_xml(&s.to_xml()).unwrap();
        assert_eq!((n.mode, n.forward_dev), (NetworkMode::Route, None));
    }

    #[test]
    fn update_arguments() {
        let h = DhcpHost {
            mac: Some("52:54:00:00:00:09".into()),
            name: None,
            ip: "192.168.122.9".into(),
        };
        let (cmd, sec, idx, xml) = NetworkEdit::AddDhcpHost {
            ip_index: 0,
            host: h.clone(),
        }
        .update_args();
        assert_eq!(cmd, sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST);
        assert_eq!(sec, sys::VIR_NETWORK_SECTION_IP_DHCP_HOST);
        assert_eq!(idx, 0);
        assert_eq!(xml, "<host mac='52:54:00:00:00:09' ip='192.168.122.9'/>");
        let (cmd, sec, _, xml) = NetworkEdit::RemoveDnsHost(DnsHost {
            ip: "10.0.0.1".into(),
            hostnames: vec!["a".into()],
        })
        .update_args();
        assert_eq!(cmd, sys::VIR_NETWORK_UPDATE_COMMAND_DELETE);
        assert_eq!(sec, sys::VIR_NETWORK_SECTION_DNS_HOST);
        assert_eq!(xml, "<host ip='10.0.0.1'><hostname>a</hostname></host>");
        let (_, sec, idx, xml) = NetworkEdit::AddDhcpRange {
            ip_index: 1,
            range: DhcpRange {
                start: "a".into(),
                end: "b".into(),
            },
        }
        .update_args();
        assert_eq!((sec, idx), (sys::VIR_NETWORK_SECTION_IP_DHCP_RANGE, 1));
        assert_eq!(xml, "<range start='a' end='b'/>");
    }

    #[test]
    fn config_edits_keep_the_rest() {
        let with_extra = DEFAULT.replace(
            "<mac address",
            "<!-- keep me --><hg:x xmlns:hg='urn:hg'/>\n  <mac address",
        );
        let out = ConfigEdit {
            mtu: Some(Some(1400)),
            domain: Some(None),
            forward_dev: Some(Some("eth9".into())),
        }
        .apply(&with_extra)
        .unwrap();
        assert!(out.contains("<!-- keep me --><hg:x xmlns:hg='urn:hg'/>"));
        assert!(out.contains("<nat><port start='1024' end='65535'/></nat>"));
        let n = NetworkInfo::from_xml(&out).unwrap();
        assert_eq!(n.mtu, Some(1400));
        assert_eq!(n.domain, None);
        assert_eq!(n.forward_dev.as_deref(), Some("eth9"));
        assert_eq!(n.ipv4().unwrap().hosts.len(), 1);
        // The MTU goes before the first <ip>, as libvirt orders it.
        assert!(out.find("<mtu").unwrap() < out.find("<ip ").unwrap());
        // Changing nothing changes nothing.
        let same = ConfigEdit::default().apply(DEFAULT).unwrap();
        assert_eq!(same, DEFAULT);
    }

    #[test]
    fn guest_nics_and_attachment() {
        let dom = "<domain type='qemu'><name>g</name><devices>
  <interface type='network'><mac address='52:54:00:AA:00:01'/><source network='default' bridge='virbr0'/><target dev='vnet3'/><model type='virtio'/></interface>
  <interface type='bridge'><mac address='52:54:00:aa:00:02'/><source bridge='br0'/></interface>
  <interface type='direct'><mac address='52:54:00:aa:00:03'/><source dev='eth1' mode='vepa'/><target dev='macvtap0'/></interface>
</devices></domain>";
        let nics = parse_guest_nics(dom).unwrap();
        assert_eq!(nics.len(), 3);
        assert_eq!(nics[0].mac, "52:54:00:aa:00:01");
        assert_eq!(nics[0].target.as_deref(), Some("vnet3"));
        assert_eq!(nics[0].network.as_deref(), Some("default"));
        assert_eq!(nics[2].dev.as_deref(), Some("eth1"));
        let g = vec![GuestNics {
            uuid: "u".into(),
            name: "g".into(),
            active: true,
            nics,
        }];
        let default = NetworkInfo::from_xml(DEFAULT).unwrap();
        assert_eq!(guests_of(&default, &g), ["g"]);
        let bridged = NetworkInfo::from_xml(
            "<network><name>host-br</name><forward mode='bridge'/><bridge name='br0'/></network>",
        )
        .unwrap();
        assert_eq!(guests_of(&bridged, &g), ["g"]);
        let other = NetworkInfo::from_xml("<network><name>other</name></network>").unwrap();
        assert!(guests_of(&other, &g).is_empty());
        assert!(parse_guest_nics("<domain/>").unwrap().is_empty());
    }

    #[test]
    fn local_addresses_include_loopback() {
        // Every Linux network namespace has lo with 127.0.0.1 once it is up; at least
        // the call must not fail or return garbage.
        for a in local_addresses() {
            assert!(!a.iface.is_empty());
            assert!(a.prefix <= 128);
        }
    }
}
