//! Virtual networks: what the Networks page and the topology view know about them, read
//! from libvirt's network XML through the lossless [`Document`].

use std::net::IpAddr;

use crate::backend::network::check::{IpNet, Ipv4Net, Ipv6Net};
use crate::backend::xml::{Document, XmlError};

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

#[cfg(test)]
mod tests;
