//! The XML the creation wizard writes (`NetworkSpec`), and the edits of a network:
//! live ones through `virNetworkUpdate` (`NetworkEdit`) and ones of its definition
//! (`ConfigEdit`).

use std::net::IpAddr;

use virt::sys;

use super::info::*;
use crate::backend::xml::{Document, Element, XmlError};

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
