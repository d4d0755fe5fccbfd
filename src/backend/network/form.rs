//! The creation wizard's form as plain data, and the check of every field at once:
//! each problem is tied to its field (the wizard shows it under that field) and a
//! [`NetworkSpec`] comes out only when nothing is wrong. GTK-free and unit-tested.

use std::net::IpAddr;

use crate::backend::network::check::{self as c, HostAddr, IpNet, Problem};
use crate::backend::network::{DhcpHost, DnsHost, IpSpec, NetworkMode, NetworkSpec};

/// What the person typed and chose.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkForm {
    pub name: String,
    pub mode: NetworkMode,
    /// The chosen host interface; `None` means "any" (NAT/routed only).
    pub device: Option<String>,
    /// The bridge name libvirt should create; empty lets libvirt choose.
    pub bridge: String,
    pub ipv4: bool,
    pub ipv4_net: String,
    pub ipv4_gateway: String,
    pub dhcp4: bool,
    pub dhcp4_start: String,
    pub dhcp4_end: String,
    pub ipv6: bool,
    pub ipv6_net: String,
    pub ipv6_gateway: String,
    pub dhcp6: bool,
    pub dhcp6_start: String,
    pub dhcp6_end: String,
    pub domain: String,
    pub mtu: String,
    /// One static host a line: `MAC-or-name address` (or `MAC name address`).
    pub hosts: String,
    /// One DNS entry a line: `address hostname [hostname…]`.
    pub dns_hosts: String,
}

/// What the form is checked against.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormContext {
    pub names: Vec<String>,
    /// The other networks' names and IP networks.
    pub nets: Vec<(String, Vec<IpNet>)>,
    /// Addresses on the host's interfaces.
    pub host: Vec<HostAddr>,
    /// Bridges of libvirt's own networks: their addresses are the networks' and are
    /// checked as such.
    pub libvirt_bridges: Vec<String>,
    /// The names of the host's network interfaces (a new bridge cannot take one).
    pub host_ifaces: Vec<String>,
}

/// A field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Device,
    Bridge,
    Ipv4Net,
    Ipv4Gateway,
    /// The start of the DHCPv4 range (and problems of the range as a whole).
    Dhcp4,
    Dhcp4End,
    Ipv6Net,
    Ipv6Gateway,
    Dhcp6,
    Dhcp6End,
    Domain,
    Mtu,
    Hosts,
    DnsHosts,
}

/// A problem with the line it is on (multi-line fields), for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: Field,
    pub line: Option<usize>,
    pub problem: Problem,
}

impl FieldProblem {
    pub fn message(&self) -> String {
        match self.line {
            Some(l) => crate::i18n::gettext_f(
                "Line {line}: {problem}",
                &[
                    ("line", &l.to_string()),
                    ("problem", &self.problem.message()),
                ],
            ),
            None => self.problem.message(),
        }
    }
}

/// Where a problem of a whole range shows: an end before the start under the end,
/// a gateway inside the range under the start.
fn range_field(p: &Problem, start: Field, end: Field) -> Field {
    match p {
        Problem::RangeReversed => end,
        _ => start,
    }
}

fn needs_device(mode: &NetworkMode) -> bool {
    matches!(mode, NetworkMode::Bridge | NetworkMode::Macvtap(_))
}

/// Check everything; the spec when there is no problem.
pub fn check_form(f: &NetworkForm, ctx: &FormContext) -> (Vec<FieldProblem>, Option<NetworkSpec>) {
    let mut problems = Vec::new();
    let mut bad = |field: Field, problem: Problem| {
        problems.push(FieldProblem {
            field,
            line: None,
            problem,
        })
    };
    let name = c::check_name(&f.name, &ctx.names)
        .map_err(|p| bad(Field::Name, p))
        .ok();
    let device = match (&f.device, needs_device(&f.mode)) {
        (None, true) => {
            bad(Field::Device, Problem::NoDevice);
            None
        }
        (None, false) => None,
        (Some(d), _) => c::check_device_name(d)
            .map_err(|p| bad(Field::Device, p))
            .ok(),
    };
    let own_bridge = f.mode.has_own_bridge();
    let bridge = if own_bridge && !f.bridge.trim().is_empty() {
        match c::check_device_name(&f.bridge) {
            Ok(b) if ctx.libvirt_bridges.contains(&b) || ctx.host_ifaces.contains(&b) => {
                bad(Field::Bridge, Problem::InterfaceTaken(b));
                None
            }
            Ok(b) => Some(b),
            Err(p) => {
                bad(Field::Bridge, p);
                None
            }
        }
    } else {
        None
    };
    let mut ipv4 = None;
    let mut v4net = None;
    if own_bridge && f.ipv4 {
        match c::check_ipv4_cidr(&f.ipv4_net) {
            Ok(n) => {
                let ip = IpNet::V4(n);
                if let Err(p) = c::check_no_network_overlap(&ip, &ctx.nets, None) {
                    bad(Field::Ipv4Net, p);
                } else if let Err(p) =
                    c::check_no_host_overlap(&ip, &ctx.host, &ctx.libvirt_bridges)
                {
                    bad(Field::Ipv4Net, p);
                } else {
                    v4net = Some(n);
                }
            }
            Err(p) => bad(Field::Ipv4Net, p),
        }
        if let Some(n) = v4net {
            let gw = c::check_ipv4_gateway(&f.ipv4_gateway, &n)
                .map_err(|p| bad(Field::Ipv4Gateway, p))
                .ok();
            let dhcp = if f.dhcp4 {
                let s = c::check_ipv4_host(&f.dhcp4_start, &n, c::Subject::DhcpRange)
                    .map_err(|p| bad(Field::Dhcp4, p))
                    .ok();
                let e = c::check_ipv4_host(&f.dhcp4_end, &n, c::Subject::DhcpRange)
                    .map_err(|p| bad(Field::Dhcp4End, p))
                    .ok();
                s.zip(e)
                    .and_then(|(s, e)| {
                        c::check_range_order(s, e, gw)
                            .map_err(|p| bad(range_field(&p, Field::Dhcp4, Field::Dhcp4End), p))
                            .ok()
                    })
                    .map(Some)
            } else {
                Some(None)
            };
            if let (Some(gw), Some(dhcp)) = (gw, dhcp) {
                ipv4 = Some(IpSpec {
                    address: IpAddr::V4(gw),
                    prefix: n.prefix,
                    dhcp: dhcp.map(|(s, e)| (IpAddr::V4(s), IpAddr::V4(e))),
                    hosts: Vec::new(),
                });
            }
        }
    }
    let mut ipv6 = None;
    if own_bridge && f.ipv6 {
        match c::check_ipv6_cidr(&f.ipv6_net) {
            Ok(n) => {
                let ip = IpNet::V6(n);
                let overlap = c::check_no_network_overlap(&ip, &ctx.nets, None)
                    .and_then(|_| c::check_no_host_overlap(&ip, &ctx.host, &ctx.libvirt_bridges));
                match overlap {
                    Err(p) => bad(Field::Ipv6Net, p),
                    Ok(()) => {
                        let gw = c::check_ipv6_host(&f.ipv6_gateway, &n, c::Subject::Gateway)
                            .map_err(|p| bad(Field::Ipv6Gateway, p))
                            .ok();
                        let dhcp = if f.dhcp6 {
                            let s = c::check_ipv6_host(&f.dhcp6_start, &n, c::Subject::DhcpRange)
                                .map_err(|p| bad(Field::Dhcp6, p))
                                .ok();
                            let e = c::check_ipv6_host(&f.dhcp6_end, &n, c::Subject::DhcpRange)
                                .map_err(|p| bad(Field::Dhcp6End, p))
                                .ok();
                            s.zip(e)
                                .and_then(|(s, e)| {
                                    c::check_range_order(s, e, gw)
                                        .map_err(|p| {
                                            bad(range_field(&p, Field::Dhcp6, Field::Dhcp6End), p)
                                        })
                                        .ok()
                                })
                                .map(Some)
                        } else {
                            Some(None)
                        };
                        if let (Some(gw), Some(dhcp)) = (gw, dhcp) {
                            ipv6 = Some(IpSpec {
                                address: IpAddr::V6(gw),
                                prefix: n.prefix,
                                dhcp: dhcp.map(|(s, e)| (IpAddr::V6(s), IpAddr::V6(e))),
                                hosts: Vec::new(),
                            });
                        }
                    }
                }
            }
            Err(p) => bad(Field::Ipv6Net, p),
        }
    }
    let domain = if own_bridge && !f.domain.trim().is_empty() {
        c::check_domain_name(&f.domain)
            .map_err(|p| bad(Field::Domain, p))
            .ok()
    } else {
        None
    };
    let mtu = if own_bridge && !f.mtu.trim().is_empty() {
        c::check_mtu(&f.mtu).map_err(|p| bad(Field::Mtu, p)).ok()
    } else {
        None
    };
    // Static hosts, one per line, inside the IPv4 network.
    let mut hosts = Vec::new();
    let mut taken: Vec<(String, String)> = Vec::new();
    for (i, line) in f.hosts.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() || !own_bridge {
            continue;
        }
        let Some(net) = v4net else {
            problems.push(FieldProblem {
                field: Field::Hosts,
                line: Some(i + 1),
                problem: Problem::NeedsIpv4Network,
            });
            continue;
        };
        let (mac, hname, ip) = match words.as_slice() {
            [key, ip] if key.contains(':') => (*key, "", *ip),
            [key, ip] => ("", *key, *ip),
            [mac, hname, ip] => (*mac, *hname, *ip),
            _ => ("", "", ""),
        };
        match c::check_dhcp_host(mac, hname, ip, &net, &taken) {
            Ok((m, n, a)) => {
                taken.push((m.clone().unwrap_or_default(), a.to_string()));
                hosts.push(DhcpHost {
                    mac: m,
                    name: n,
                    ip: a.to_string(),
                });
            }
            Err(p) => problems.push(FieldProblem {
                field: Field::Hosts,
                line: Some(i + 1),
                problem: p,
            }),
        }
    }
    let mut dns_hosts = Vec::new();
    let nets: Vec<IpNet> = v4net.map(IpNet::V4).into_iter().collect();
    for (i, line) in f.dns_hosts.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() || !own_bridge {
            continue;
        }
        let mut line_problem = None;
        let ip: Option<IpAddr> = words[0].parse().ok();
        match ip {
            None => line_problem = Some(Problem::NotAddress(words[0].to_string())),
            Some(a) if !nets.is_empty() && !nets.iter().any(|n| n.contains(a)) && a.is_ipv4() => {
                line_problem = Some(Problem::OutsideNetwork {
                    what: c::Subject::Address,
                    net: nets[0].to_string(),
                })
            }
            _ => {}
        }
        if words.len() < 2 && line_problem.is_none() {
            line_problem = Some(Problem::Empty);
        }
        let mut names = Vec::new();
        for w in words.iter().skip(1) {
            match c::check_hostname(w) {
                Ok(n) => names.push(n),
                Err(p) => {
                    line_problem.get_or_insert(p);
                }
            }
        }
        match (line_problem, ip) {
            (Some(p), _) => problems.push(FieldProblem {
                field: Field::DnsHosts,
                line: Some(i + 1),
                problem: p,
            }),
            (None, Some(a)) => dns_hosts.push(DnsHost {
                ip: a.to_string(),
                hostnames: names,
            }),
            (None, None) => {}
        }
    }
    if !problems.is_empty() {
        return (problems, None);
    }
    let Some(name) = name else {
        return (problems, None);
    };
    if let Some(v4) = &mut ipv4 {
        v4.hosts = hosts;
    }
    let spec = NetworkSpec {
        name,
        mode: f.mode.clone(),
        device,
        bridge,
        ipv4,
        ipv6,
        domain,
        dns_hosts,
        mtu,
    };
    (problems, Some(spec))
}

/// A form filled with defaults that collide with nothing.
pub fn default_form(ctx: &FormContext) -> NetworkForm {
    let mut f = NetworkForm {
        name: (1..)
            .map(|i| format!("network{i}"))
            .find(|n| !ctx.names.contains(n))
            .unwrap_or_default(),
        mode: NetworkMode::Nat,
        ipv4: true,
        dhcp4: true,
        ..Default::default()
    };
    if let Some((net, gw, s, e)) = c::suggest_ipv4(&ctx.nets, &ctx.host) {
        f.ipv4_net = net.to_string();
        f.ipv4_gateway = gw.to_string();
        f.dhcp4_start = s.to_string();
        f.dhcp4_end = e.to_string();
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::network::MacvtapMode;

    fn ctx() -> FormContext {
        FormContext {
            names: vec!["default".into()],
            nets: vec![(
                "default".into(),
                vec![IpNet::V4(c::check_ipv4_cidr("192.168.122.0/24").unwrap())],
            )],
            host: vec![
                HostAddr {
                    iface: "eth0".into(),
                    addr: "10.213.9.5".parse().unwrap(),
                    prefix: 24,
                },
                HostAddr {
                    iface: "virbr0".into(),
                    addr: "192.168.122.1".parse().unwrap(),
                    prefix: 24,
                },
            ],
            libvirt_bridges: vec!["virbr0".into()],
            host_ifaces: Vec::new(),
        }
    }

    fn good() -> NetworkForm {
        NetworkForm {
            name: "lab".into(),
            mode: NetworkMode::Nat,
            ipv4: true,
            ipv4_net: "10.213.5.0/24".into(),
            ipv4_gateway: "10.213.5.1".into(),
            dhcp4: true,
            dhcp4_start: "10.213.5.100".into(),
            dhcp4_end: "10.213.5.200".into(),
            ..Default::default()
        }
    }

    fn fields(f: &NetworkForm) -> Vec<Field> {
        check_form(f, &ctx())
            .0
            .into_iter()
            .map(|p| p.field)
            .collect()
    }

    fn problem(f: &NetworkForm, field: Field) -> Problem {
        check_form(f, &ctx())
            .0
            .into_iter()
            .find(|p| p.field == field)
            .unwrap_or_else(|| panic!("no problem with {field:?}"))
            .problem
    }

    #[test]
    fn a_good_form_gives_a_spec() {
        let (p, spec) = check_form(&good(), &ctx());
        assert!(p.is_empty(), "{p:?}");
        let spec = spec.unwrap();
        assert_eq!(spec.name, "lab");
        let v4 = spec.ipv4.unwrap();
        assert_eq!(v4.address.to_string(), "10.213.5.1");
        assert_eq!(v4.prefix, 24);
        assert!(v4.dhcp.is_some());
    }

    #[test]
    fn name_checks() {
        let mut f = good();
        f.name = "default".into();
        assert!(matches!(problem(&f, Field::Name), Problem::NameTaken(_)));
        f.name = "".into();
        assert_eq!(problem(&f, Field::Name), Problem::Empty);
        f.name = "bad name".into();
        assert_eq!(problem(&f, Field::Name), Problem::NameChars);
    }

    #[test]
    fn cidr_gateway_and_range_checks() {
        let mut f = good();
        f.ipv4_net = "10.213.5.0".into();
        assert!(matches!(problem(&f, Field::Ipv4Net), Problem::NotCidr(_)));
        f.ipv4_net = "10.213.5.7/24".into();
        assert!(matches!(
            problem(&f, Field::Ipv4Net),
            Problem::HostBitsSet { .. }
        ));
        f = good();
        f.ipv4_gateway = "10.213.6.1".into();
        assert!(matches!(
            problem(&f, Field::Ipv4Gateway),
            Problem::OutsideNetwork { .. }
        ));
        f = good();
        f.dhcp4_start = "10.213.4.1".into();
        assert!(matches!(
            problem(&f, Field::Dhcp4),
            Problem::OutsideNetwork { .. }
        ));
        f = good();
        f.dhcp4_start = "10.213.5.1".into();
        assert_eq!(problem(&f, Field::Dhcp4), Problem::GatewayInRange);
        f = good();
        f.dhcp4_end = "10.213.5.50".into();
        assert_eq!(
            problem(&f, Field::Dhcp4End),
            Problem::RangeReversed,
            "an end before the start shows under the end"
        );
        f = good();
        f.dhcp4_end = "10.213.9.200".into();
        assert!(
            matches!(problem(&f, Field::Dhcp4End), Problem::OutsideNetwork { .. }),
            "a wrong end shows under the end"
        );
        assert!(!fields(&f).contains(&Field::Dhcp4), "not under the start");
        // Without DHCP the range is not checked.
        f.dhcp4 = false;
        assert!(fields(&f).is_empty());
    }

    #[test]
    fn overlap_checks() {
        let mut f = good();
        f.ipv4_net = "192.168.0.0/16".into();
        assert!(
            matches!(problem(&f, Field::Ipv4Net), Problem::OverlapsNetwork { ref name, .. } if name == "default")
        );
        f.ipv4_net = "10.213.9.0/24".into();
        assert!(
            matches!(problem(&f, Field::Ipv4Net), Problem::OverlapsHost { ref iface, .. } if iface == "eth0")
        );
    }

    #[test]
    fn ipv6_checks() {
        let mut f = good();
        f.ipv6 = true;
        f.ipv6_net = "fd00:213::/64".into();
        f.ipv6_gateway = "fd00:213::1".into();
        assert!(fields(&f).is_empty());
        f.ipv6_gateway = "fd00:214::1".into();
        assert!(matches!(
            problem(&f, Field::Ipv6Gateway),
            Problem::OutsideNetwork { .. }
        ));
        f.ipv6_gateway = "fd00:213::1".into();
        f.dhcp6 = true;
        f.dhcp6_start = "fd00:213::1".into();
        f.dhcp6_end = "fd00:213::ff".into();
        assert_eq!(problem(&f, Field::Dhcp6), Problem::GatewayInRange);
        f.ipv6_net = "fd00:213::/200".into();
        assert!(matches!(
            problem(&f, Field::Ipv6Net),
            Problem::PrefixRange { .. }
        ));
    }

    #[test]
    fn device_bridge_domain_mtu_checks() {
        let mut f = good();
        f.mode = NetworkMode::Bridge;
        assert_eq!(problem(&f, Field::Device), Problem::NoDevice);
        f.device = Some("br0".into());
        let (p, spec) = check_form(&f, &ctx());
        assert!(
            p.is_empty(),
            "addresses are not asked in bridge mode: {p:?}"
        );
        assert!(spec.unwrap().ipv4.is_none());
        f.mode = NetworkMode::Macvtap(MacvtapMode::Vepa);
        f.device = Some("way-too-long-device".into());
        assert_eq!(problem(&f, Field::Device), Problem::BadDeviceName);
        f = good();
        f.bridge = "virbr0".into();
        assert_eq!(
            problem(&f, Field::Bridge),
            Problem::InterfaceTaken("virbr0".into())
        );
        let mut with_host = ctx();
        with_host.host_ifaces = vec!["lo".into(), "eth0".into()];
        f.bridge = "lo".into();
        let (p, spec) = check_form(&f, &with_host);
        assert!(
            p.iter()
                .any(|p| p.field == Field::Bridge
                    && p.problem == Problem::InterfaceTaken("lo".into())),
            "a host interface's name is refused: {p:?}"
        );
        assert!(spec.is_none());
        f.bridge = "br 1".into();
        assert_eq!(problem(&f, Field::Bridge), Problem::BadDeviceName);
        f = good();
        f.domain = "bad..name".into();
        assert_eq!(problem(&f, Field::Domain), Problem::BadDomainName);
        f.domain = "lab.test".into();
        f.mtu = "12".into();
        assert_eq!(problem(&f, Field::Mtu), Problem::MtuRange);
    }

    #[test]
    fn static_and_dns_host_lines() {
        let mut f = good();
        f.hosts =
            "52:54:00:00:00:01 10.213.5.10\ndb 10.213.5.11\n\n52:54:00:00:00:02 web 10.213.5.12\n"
                .into();
        f.dns_hosts = "10.213.5.10 db db.lab\n".into();
        let (p, spec) = check_form(&f, &ctx());
        assert!(p.is_empty(), "{p:?}");
        let spec = spec.unwrap();
        let hosts = &spec.ipv4.as_ref().unwrap().hosts;
        assert_eq!(hosts.len(), 3);
        assert_eq!(hosts[1].name.as_deref(), Some("db"));
        assert_eq!(hosts[2].mac.as_deref(), Some("52:54:00:00:00:02"));
        assert_eq!(spec.dns_hosts[0].hostnames, ["db", "db.lab"]);

        f.hosts = "52:54:00:00:00:01 10.213.5.10\n52:54:00:00:00:03 10.213.5.10".into();
        let (p, _) = check_form(&f, &ctx());
        assert_eq!(p[0].line, Some(2));
        assert!(matches!(p[0].problem, Problem::IpTaken(_)));
        assert!(p[0].message().starts_with("Line 2: "));
        f.hosts = "52:54:00:zz:00:01 10.213.5.10".into();
        assert_eq!(problem(&f, Field::Hosts), Problem::BadMac);
        f.hosts = "db 10.9.9.9".into();
        assert!(matches!(
            problem(&f, Field::Hosts),
            Problem::OutsideNetwork { .. }
        ));
        f.hosts.clear();
        f.dns_hosts = "notanip db".into();
        assert!(matches!(
            problem(&f, Field::DnsHosts),
            Problem::NotAddress(_)
        ));
        f.dns_hosts = "10.213.5.3 bad_name".into();
        assert_eq!(problem(&f, Field::DnsHosts), Problem::BadHostName);
        f.dns_hosts = "10.213.5.3".into();
        assert_eq!(problem(&f, Field::DnsHosts), Problem::Empty);
    }

    #[test]
    fn defaults_are_valid_and_collide_with_nothing() {
        let f = default_form(&ctx());
        assert_eq!(f.name, "network1");
        let (p, spec) = check_form(&f, &ctx());
        assert!(p.is_empty(), "{p:?} for {f:?}");
        assert_eq!(
            spec.unwrap().ipv4.unwrap().address.to_string(),
            "192.168.100.1"
        );
    }
}
