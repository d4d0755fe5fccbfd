//! The topology picture's geometry, computed from a [`Topology`]: the host and its
//! interfaces along the top; one column per virtual network with its router (NAT or
//! routed to which device, or isolated) and its switch (the bridge); each running
//! guest's NIC under the switch it is plugged into, with its tap device, MAC and
//! address. Bridged and macvtap guests sit under the host interface they share.
//! Columns with many guests wrap into sub-columns of [`PER_SUBCOLUMN`], so fifty guests
//! stay readable. Pure geometry: the UI draws it (on screen, to PNG and to SVG).

use std::collections::HashMap;

use crate::backend::network::{GuestNic, NetworkMode, Topology};
use crate::i18n::{gettext, gettext_f};

pub const NODE_W: f64 = 200.0;
pub const MARGIN: f64 = 24.0;
pub const GAP: f64 = 28.0;
const HOST_Y: f64 = MARGIN;
const HOST_H: f64 = 52.0;
const ROUTER_Y: f64 = 130.0;
const ROUTER_H: f64 = 52.0;
const SWITCH_Y: f64 = 222.0;
const SWITCH_H: f64 = 44.0;
const GUEST_Y: f64 = 310.0;
const GUEST_H: f64 = 74.0;
const GUEST_GAP: f64 = 12.0;
/// Guests a sub-column holds before the column wraps.
pub const PER_SUBCOLUMN: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Host,
    Iface,
    Router,
    Switch,
    Guest,
}

/// What clicking a node leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Vm(String),
    Network(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LNode {
    pub kind: NodeKind,
    pub title: String,
    pub lines: Vec<String>,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    /// Drawn dimmed when false (a stopped network, an interface that is down).
    pub active: bool,
    pub target: Option<Target>,
}

impl LNode {
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.x && x <= self.x + self.w && y >= self.y && y <= self.y + self.h
    }

    fn top(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y)
    }

    fn bottom(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h)
    }
}

/// A line between nodes, as a polyline.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub points: Vec<(f64, f64)>,
    pub label: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    pub nodes: Vec<LNode>,
    pub edges: Vec<Edge>,
    pub width: f64,
    pub height: f64,
}

impl Layout {
    /// The node under a point.
    pub fn hit(&self, x: f64, y: f64) -> Option<&LNode> {
        self.nodes.iter().rev().find(|n| n.contains(x, y))
    }

    pub fn find(&self, kind: NodeKind, title: &str) -> Option<&LNode> {
        self.nodes
            .iter()
            .find(|n| n.kind == kind && n.title == title)
    }
}

/// One column: a network, or a host interface that guests share directly.
struct Column {
    router: Option<LNode>,
    switch: Option<LNode>,
    /// Where guests hang: the switch, else the router.
    uplink_to: Option<String>,
    guests: Vec<LNode>,
    active: bool,
}

fn guest_node(uuid: &str, name: &str, nic: &GuestNic) -> LNode {
    let l1 = match &nic.target {
        Some(t) => gettext_f("tap {dev}", &[("dev", t)]),
        None => gettext("no tap device"),
    };
    let l2 = nic
        .ip
        .clone()
        .unwrap_or_else(|| gettext("no address known"));
    LNode {
        kind: NodeKind::Guest,
        title: name.to_string(),
        lines: vec![l1, nic.mac.clone(), l2],
        x: 0.0,
        y: 0.0,
        w: NODE_W,
        h: GUEST_H,
        active: true,
        target: Some(Target::Vm(uuid.to_string())),
    }
}

/// Lay the topology out.
pub fn layout(t: &Topology) -> Layout {
    let mut columns: Vec<Column> = Vec::new();
    // Network columns, by name; index by network name and by bridge.
    let mut by_net: HashMap<String, usize> = HashMap::new();
    let mut by_bridge: HashMap<String, usize> = HashMap::new();
    let mut uplinks: Vec<(usize, Option<String>, String)> = Vec::new();
    for n in &t.networks {
        let idx = columns.len();
        let (router, switch, uplink_dev) = match &n.mode {
            NetworkMode::Bridge => {
                let b = n.bridge.clone().unwrap_or_default();
                let sw = LNode {
                    kind: NodeKind::Switch,
                    title: b.clone(),
                    lines: vec![gettext_f("host bridge · {name}", &[("name", &n.name)])],
                    x: 0.0,
                    y: SWITCH_Y,
                    w: NODE_W,
                    h: SWITCH_H,
                    active: n.active,
                    target: Some(Target::Network(n.uuid.clone())),
                };
                (None, Some(sw), Some(b))
            }
            NetworkMode::Macvtap(m) => {
                let dev = n.forward_dev.clone().unwrap_or_default();
                let r = LNode {
                    kind: NodeKind::Router,
                    title: n.name.clone(),
                    lines: vec![gettext_f(
                        "macvtap {mode} on {dev}",
                        &[("mode", m.as_str()), ("dev", &dev)],
                    )],
                    x: 0.0,
                    y: ROUTER_Y,
                    w: NODE_W,
                    h: ROUTER_H,
                    active: n.active,
                    target: Some(Target::Network(n.uuid.clone())),
                };
                (Some(r), None, Some(dev))
            }
            mode => {
                let via = n.forward_dev.clone();
                // In words: through which interface, or "the host's network" when
                // libvirt forwards through whichever one has the route.
                let what = match (mode, via.as_deref()) {
                    (NetworkMode::Nat, Some(dev)) => {
                        gettext_f("NAT through {dev}", &[("dev", dev)])
                    }
                    (NetworkMode::Nat, None) => gettext("NAT to the host’s network"),
                    (NetworkMode::Route, Some(dev)) => {
                        gettext_f("routed through {dev}", &[("dev", dev)])
                    }
                    (NetworkMode::Route, None) => gettext("routed to the host’s network"),
                    (NetworkMode::Open, Some(dev)) => {
                        gettext_f("open, through {dev}", &[("dev", dev)])
                    }
                    (NetworkMode::Open, None) => gettext("open to the host’s network"),
                    (NetworkMode::Isolated, _) => gettext("isolated"),
                    (other, _) => other.key(),
                };
                let mut lines = vec![what];
                if let Some(ip) = n.ipv4() {
                    // The host's address on it with the prefix says both, and fits.
                    lines.push(format!("{}/{}", ip.address, ip.prefix));
                }
                let r = LNode {
                    kind: NodeKind::Router,
                    title: n.name.clone(),
                    lines,
                    x: 0.0,
                    y: ROUTER_Y,
                    w: NODE_W,
                    h: ROUTER_H,
                    active: n.active,
                    target: Some(Target::Network(n.uuid.clone())),
                };
                let sw = LNode {
                    kind: NodeKind::Switch,
                    title: n.bridge.clone().unwrap_or_else(|| "?".into()),
                    lines: vec![if n.active {
                        gettext("switch")
                    } else {
                        gettext("stopped")
                    }],
                    x: 0.0,
                    y: SWITCH_Y,
                    w: NODE_W,
                    h: SWITCH_H,
                    active: n.active,
                    target: Some(Target::Network(n.uuid.clone())),
                };
                let up = if matches!(mode, NetworkMode::Isolated) {
                    None
                } else {
                    Some(via.unwrap_or_default())
                };
                (Some(r), Some(sw), up)
            }
        };
        if let Some(dev) = uplink_dev {
            uplinks.push((idx, (!dev.is_empty()).then_some(dev), n.name.clone()));
        }
        by_net.insert(n.name.clone(), idx);
        if let Some(b) = &n.bridge {
            by_bridge.insert(b.clone(), idx);
        }
        columns.push(Column {
            uplink_to: None,
            router,
            switch,
            guests: Vec::new(),
            active: n.active,
        });
    }
    // Guests into columns; shared host interfaces get columns of their own.
    let mut extra: HashMap<String, usize> = HashMap::new();
    for g in &t.guests {
        for nic in &g.nics {
            let col = match nic.kind.as_str() {
                "network" => nic.network.as_ref().and_then(|n| by_net.get(n)).copied(),
                "bridge" => nic.bridge.as_ref().and_then(|b| by_bridge.get(b)).copied(),
                _ => None,
            };
            let col = match col {
                Some(c) => c,
                None => {
                    let (key, title, line) = match nic.kind.as_str() {
                        "bridge" => {
                            let b = nic.bridge.clone().unwrap_or_default();
                            (format!("bridge:{b}"), b, gettext("host bridge"))
                        }
                        "direct" => {
                            let d = nic.dev.clone().unwrap_or_default();
                            (format!("direct:{d}"), d, gettext("macvtap"))
                        }
                        "network" => {
                            let n = nic.network.clone().unwrap_or_default();
                            (format!("net:{n}"), n, gettext("unknown network"))
                        }
                        other => (
                            format!("other:{other}"),
                            other.to_string(),
                            gettext("not on a host network"),
                        ),
                    };
                    *extra.entry(key).or_insert_with(|| {
                        let idx = columns.len();
                        if !matches!(nic.kind.as_str(), "network" | "user") {
                            uplinks.push((idx, Some(title.clone()), title.clone()));
                        }
                        columns.push(Column {
                            router: None,
                            switch: Some(LNode {
                                kind: NodeKind::Switch,
                                title: title.clone(),
                                lines: vec![line],
                                x: 0.0,
                                y: SWITCH_Y,
                                w: NODE_W,
                                h: SWITCH_H,
                                active: true,
                                target: None,
                            }),
                            uplink_to: None,
                            guests: Vec::new(),
                            active: true,
                        });
                        idx
                    })
                }
            };
            columns[col].guests.push(guest_node(&g.uuid, &g.name, nic));
        }
    }

    // Host row: the host, then its interfaces that are not libvirt's own bridges,
    // taps or loopback.
    let libvirt_bridges: Vec<&str> = t
        .networks
        .iter()
        .filter(|n| n.mode.has_own_bridge())
        .filter_map(|n| n.bridge.as_deref())
        .collect();
    let mut out = Layout::default();
    let mut host_nodes = vec![LNode {
        kind: NodeKind::Host,
        title: if t.hostname.is_empty() {
            gettext("Host")
        } else {
            t.hostname.clone()
        },
        lines: vec![gettext("host")],
        x: MARGIN,
        y: HOST_Y,
        w: NODE_W,
        h: HOST_H,
        active: true,
        target: None,
    }];
    // A bridge's ports right after it, so the wire between them stays short.
    let mut host_ifaces: Vec<&crate::backend::network::HostIface> = Vec::new();
    for i in t.host.iter().filter(|i| i.master.is_none()) {
        host_ifaces.push(i);
        host_ifaces.extend(t.host.iter().filter(|p| p.master.as_ref() == Some(&i.name)));
    }
    host_ifaces.extend(t.host.iter().filter(|p| {
        p.master
            .as_ref()
            .is_some_and(|m| !t.host.iter().any(|i| &i.name == m))
    }));
    for i in host_ifaces {
        if matches!(i.kind.as_str(), "loopback" | "tap")
            || libvirt_bridges.contains(&i.name.as_str())
            || i.name.starts_with("vnet")
            || i.name.starts_with("macvtap")
        {
            continue;
        }
        let mut lines = vec![i.kind.clone()];
        if let Some(m) = &i.master {
            lines[0] = gettext_f(
                "{kind}, port of {bridge}",
                &[("kind", &i.kind), ("bridge", m)],
            );
        }
        if let Some(a) = i.addrs.iter().find(|a| a.addr.is_ipv4()) {
            lines.push(format!("{}/{}", a.addr, a.prefix));
        }
        host_nodes.push(LNode {
            kind: NodeKind::Iface,
            title: i.name.clone(),
            lines,
            x: 0.0,
            y: HOST_Y,
            w: NODE_W,
            h: HOST_H,
            active: i.up,
            target: None,
        });
    }
    for (k, n) in host_nodes.iter_mut().enumerate() {
        n.x = MARGIN + k as f64 * (NODE_W + GAP);
    }
    let host_width = MARGIN + host_nodes.len() as f64 * (NODE_W + GAP);

    // Columns left to right.
    let mut x = MARGIN;
    let mut bottom: f64 = GUEST_Y;
    let mut col_nodes: Vec<(Option<usize>, Option<usize>)> = Vec::new();
    for c in &mut columns {
        let subcols = c.guests.len().div_ceil(PER_SUBCOLUMN).max(1);
        let width = subcols as f64 * (NODE_W + GAP) - GAP;
        let center = x + width / 2.0 - NODE_W / 2.0;
        let mut r_idx = None;
        let mut s_idx = None;
        if let Some(mut r) = c.router.take() {
            r.x = center;
            r_idx = Some(out.nodes.len());
            out.nodes.push(r);
        }
        if let Some(mut s) = c.switch.take() {
            s.x = center;
            s_idx = Some(out.nodes.len());
            out.nodes.push(s);
        }
        if let (Some(r), Some(s)) = (r_idx, s_idx) {
            out.edges.push(Edge {
                points: vec![out.nodes[r].bottom(), out.nodes[s].top()],
                label: None,
                active: c.active,
            });
        }
        c.uplink_to = None;
        let hub = s_idx.or(r_idx);
        // Guests: a bus under the hub, one vertical line per sub-column.
        let n = c.guests.len();
        if let Some(hub) = hub {
            if n > 0 {
                let (hx, hy) = out.nodes[hub].bottom();
                let bus_y = hy + 18.0;
                let first_x = x + NODE_W / 2.0;
                let last_x = x + (subcols - 1) as f64 * (NODE_W + GAP) + NODE_W / 2.0;
                out.edges.push(Edge {
                    points: vec![(hx, hy), (hx, bus_y)],
                    label: None,
                    active: c.active,
                });
                if subcols > 1 || (first_x - hx).abs() > 0.5 {
                    out.edges.push(Edge {
                        points: vec![(first_x.min(hx), bus_y), (last_x.max(hx), bus_y)],
                        label: None,
                        active: c.active,
                    });
                }
                for s in 0..subcols {
                    let in_sub = (n - s * PER_SUBCOLUMN).min(PER_SUBCOLUMN);
                    let sx = x + s as f64 * (NODE_W + GAP);
                    let line_x = sx + 10.0;
                    let last_y =
                        GUEST_Y + (in_sub - 1) as f64 * (GUEST_H + GUEST_GAP) + GUEST_H / 2.0;
                    out.edges.push(Edge {
                        points: vec![
                            (sx + NODE_W / 2.0, bus_y),
                            (line_x, bus_y),
                            (line_x, last_y),
                        ],
                        label: None,
                        active: c.active,
                    });
                }
            }
        }
        for (k, g) in c.guests.iter_mut().enumerate() {
            let s = k / PER_SUBCOLUMN;
            let row = k % PER_SUBCOLUMN;
            g.x = x + s as f64 * (NODE_W + GAP) + 24.0;
            g.w = NODE_W - 24.0;
            g.y = GUEST_Y + row as f64 * (GUEST_H + GUEST_GAP);
            out.edges.push(Edge {
                points: vec![
                    (x + s as f64 * (NODE_W + GAP) + 10.0, g.y + g.h / 2.0),
                    (g.x, g.y + g.h / 2.0),
                ],
                label: None,
                active: c.active,
            });
            bottom = bottom.max(g.y + g.h);
        }
        out.nodes.append(&mut c.guests);
        col_nodes.push((r_idx, s_idx));
        x += width + GAP * 2.0;
    }
    let cols_width = x - GAP;

    // Uplinks: a router (or a host bridge's switch) to the interface it uses, or to
    // the host when it forwards through any.
    let host_start = out.nodes.len();
    out.nodes.extend(host_nodes);
    // Each uplink runs in a lane of its own just under the host row, so lines to the
    // host never cross a router or switch box.
    let lane_top = HOST_Y + HOST_H + 10.0;
    let lane_step = ((ROUTER_Y - 10.0 - lane_top) / uplinks.len().max(1) as f64).min(8.0);
    for (k, (col, dev, _)) in uplinks.into_iter().enumerate() {
        let (r, s) = col_nodes[col];
        let Some(from) = r.or(s) else { continue };
        let to = dev
            .as_ref()
            .and_then(|d| {
                out.nodes[host_start..]
                    .iter()
                    .position(|n| n.kind == NodeKind::Iface && &n.title == d)
            })
            .map(|p| host_start + p)
            .unwrap_or(host_start);
        let (fx, fy) = out.nodes[from].top();
        let (tx, ty) = out.nodes[to].bottom();
        let mid = lane_top + k as f64 * lane_step;
        out.edges.push(Edge {
            points: vec![(fx, fy), (fx, mid), (tx, mid), (tx, ty)],
            label: None,
            active: out.nodes[from].active,
        });
    }
    // A port to its bridge (a physical NIC to br0), over the host row.
    let host_row: Vec<LNode> = out.nodes[host_start..].to_vec();
    let mut wires = 0;
    for i in &t.host {
        let Some(m) = &i.master else { continue };
        let at = |name: &str| {
            host_row
                .iter()
                .find(|n| n.kind == NodeKind::Iface && n.title == name)
        };
        let (Some(port), Some(bridge)) = (at(&i.name), at(m)) else {
            continue;
        };
        let lane = HOST_Y - 6.0 - (wires % 3) as f64 * 5.0;
        wires += 1;
        let bx = bridge.x + bridge.w * 0.75;
        let px = port.x + port.w * 0.25;
        out.edges.push(Edge {
            points: vec![(bx, HOST_Y), (bx, lane), (px, lane), (px, HOST_Y)],
            label: None,
            active: i.up,
        });
    }
    out.width = cols_width.max(host_width).max(NODE_W + 2.0 * MARGIN) + MARGIN;
    out.height = bottom + MARGIN;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::network::check::HostAddr;
    use crate::backend::network::{GuestNics, HostIface, NetworkInfo};

    #[test]
    fn a_bridge_s_port_sits_after_it_with_a_wire_between() {
        let iface = |name: &str, kind: &str, master: Option<&str>| HostIface {
            name: name.into(),
            kind: kind.into(),
            up: true,
            master: master.map(str::to_string),
            ..Default::default()
        };
        let t = Topology {
            hostname: "h".into(),
            host: vec![
                iface("br0", "bridge", None),
                iface("eth0", "ethernet", Some("br0")),
                iface("dummy0", "virtual", None),
            ],
            ..Default::default()
        };
        let l = layout(&t);
        let x = |name: &str| {
            l.nodes
                .iter()
                .find(|n| n.kind == NodeKind::Iface && n.title == name)
                .map(|n| n.x)
                .unwrap()
        };
        assert!(x("br0") < x("eth0") && x("eth0") < x("dummy0"));
        let wire = l
            .edges
            .iter()
            .find(|e| e.points.iter().all(|p| p.1 <= HOST_Y))
            .expect("a wire over the host row");
        assert_eq!(wire.points.first().unwrap().0, x("br0") + NODE_W * 0.75);
        assert_eq!(wire.points.last().unwrap().0, x("eth0") + NODE_W * 0.25);
    }

    fn net(name: &str, xml_extra: &str, active: bool) -> NetworkInfo {
        let mut n = NetworkInfo::from_xml(&format!(
            "<network><name>{name}</name><uuid>u-{name}</uuid>{xml_extra}</network>"
        ))
        .unwrap();
        n.active = active;
        n
    }

    fn guest(i: usize, network: &str) -> GuestNics {
        GuestNics {
            uuid: format!("g{i}"),
            name: format!("guest-{i:02}"),
            active: true,
            nics: vec![GuestNic {
                kind: "network".into(),
                network: Some(network.into()),
                mac: format!("52:54:00:00:00:{i:02x}"),
                target: Some(format!("vnet{i}")),
                ip: Some(format!("10.0.0.{}", i + 2)),
                ..Default::default()
            }],
        }
    }

    fn topo(guests: usize) -> Topology {
        Topology {
            hostname: "lab-host".into(),
            host: vec![
                HostIface {
                    name: "eth0".into(),
                    kind: "ethernet".into(),
                    up: true,
                    addrs: vec![HostAddr {
                        iface: "eth0".into(),
                        addr: "10.1.0.5".parse().unwrap(),
                        prefix: 24,
                    }],
                    ..Default::default()
                },
                HostIface {
                    name: "virbr0".into(),
                    kind: "bridge".into(),
                    up: true,
                    ..Default::default()
                },
                HostIface {
                    name: "lo".into(),
                    kind: "loopback".into(),
                    up: true,
                    ..Default::default()
                },
            ],
            networks: vec![
                net(
                    "default",
                    "<forward mode='nat' dev='eth0'/><bridge name='virbr0'/><ip address='10.0.0.1' prefix='24'/>",
                    true,
                ),
                net("iso", "<bridge name='virbr1'/>", false),
            ],
            guests: (0..guests)
                .map(|i| guest(i, if i % 5 == 4 { "iso" } else { "default" }))
                .chain(std::iter::once(GuestNics {
                    uuid: "b".into(),
                    name: "bridged".into(),
                    active: true,
                    nics: vec![GuestNic {
                        kind: "bridge".into(),
                        bridge: Some("br0".into()),
                        mac: "52:54:00:ff:00:01".into(),
                        target: Some("vnet99".into()),
                        ..Default::default()
                    }],
                }))
                .collect(),
        }
    }

    #[test]
    fn nodes_for_host_networks_and_guests() {
        let l = layout(&topo(3));
        assert!(l.find(NodeKind::Host, "lab-host").is_some());
        assert!(l.find(NodeKind::Iface, "eth0").is_some());
        assert!(l.find(NodeKind::Iface, "lo").is_none(), "no loopback");
        assert!(
            l.find(NodeKind::Iface, "virbr0").is_none(),
            "libvirt's bridge is drawn as the network's switch"
        );
        let r = l.find(NodeKind::Router, "default").unwrap();
        assert_eq!(r.lines[0], "NAT through eth0");
        assert_eq!(
            r.lines[1], "10.0.0.1/24",
            "address and prefix, short enough to fit"
        );
        let mut t = topo(1);
        t.networks[0] = net(
            "default",
            "<forward mode='nat'/><bridge name='virbr0'/><ip address='10.0.0.1' prefix='24'/>",
            true,
        );
        let l2 = layout(&t);
        assert_eq!(
            l2.find(NodeKind::Router, "default").unwrap().lines[0],
            "NAT to the host’s network",
            "no device: said in words, not “any”"
        );
        assert_eq!(r.target, Some(Target::Network("u-default".into())));
        let sw = l.find(NodeKind::Switch, "virbr0").unwrap();
        assert!(sw.active);
        assert!(
            !l.find(NodeKind::Switch, "virbr1").unwrap().active,
            "stopped"
        );
        assert_eq!(
            l.find(NodeKind::Router, "iso").unwrap().lines[0],
            "isolated"
        );
        let g = l.find(NodeKind::Guest, "guest-01").unwrap();
        assert_eq!(g.lines, vec!["tap vnet1", "52:54:00:00:00:01", "10.0.0.3"]);
        assert_eq!(g.target, Some(Target::Vm("g1".into())));
        // The bridged guest gets a column under br0.
        let b = l.find(NodeKind::Guest, "bridged").unwrap();
        let br = l.find(NodeKind::Switch, "br0").unwrap();
        assert!(b.y > br.y);
        assert_eq!(b.lines[2], "no address known");
        // Clicking hits the node.
        assert_eq!(
            l.hit(g.x + 5.0, g.y + 5.0).map(|n| &n.title),
            Some(&g.title)
        );
        assert!(l.hit(-5.0, -5.0).is_none());
    }

    #[test]
    fn nothing_overlaps_and_everything_fits_at_fifty_guests() {
        let l = layout(&topo(50));
        let guests: Vec<&LNode> = l
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Guest)
            .collect();
        assert_eq!(guests.len(), 51);
        for (i, a) in l.nodes.iter().enumerate() {
            assert!(a.x >= 0.0 && a.y >= 0.0);
            assert!(
                a.x + a.w <= l.width && a.y + a.h <= l.height,
                "{a:?} outside"
            );
            for b in &l.nodes[i + 1..] {
                let apart =
                    a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
                assert!(apart, "{} overlaps {}", a.title, b.title);
            }
        }
        // Wrapped into sub-columns: not one endless column.
        assert!(l.height < 1300.0, "height {}", l.height);
        // Uplinks run above every router and switch.
        for e in l.edges.iter().filter(|e| e.points.len() == 4) {
            assert!(e.points[1].1 < ROUTER_Y, "{e:?}");
        }
        assert!(l.width < 3000.0, "width {}", l.width);
        // Every edge stays on the canvas.
        for e in &l.edges {
            for (x, y) in &e.points {
                assert!(*x >= 0.0 && *x <= l.width && *y >= 0.0 && *y <= l.height);
            }
        }
    }

    #[test]
    fn uplinks_go_to_the_forward_device_or_the_host() {
        let mut t = topo(0);
        t.networks.push(net(
            "routed",
            "<forward mode='route'/><bridge name='virbr2'/>",
            true,
        ));
        let l = layout(&t);
        let eth0 = l.find(NodeKind::Iface, "eth0").unwrap();
        let host = l.find(NodeKind::Host, "lab-host").unwrap();
        let ends: Vec<(f64, f64)> = l
            .edges
            .iter()
            .filter(|e| e.points.len() == 4)
            .map(|e| *e.points.last().unwrap())
            .collect();
        assert!(ends.contains(&(eth0.x + eth0.w / 2.0, eth0.y + eth0.h)));
        assert!(ends.contains(&(host.x + host.w / 2.0, host.y + host.h)));
        // default → eth0, routed → host, the bridged guest's br0 (not on this host's
        // list) → host; the isolated network has none.
        assert_eq!(ends.len(), 3);
        let iso = l.find(NodeKind::Router, "iso").unwrap();
        assert!(!l
            .edges
            .iter()
            .any(|e| e.points.len() == 4 && e.points[0] == (iso.x + iso.w / 2.0, iso.y)));
    }

    #[test]
    fn empty_topology_still_has_the_host() {
        let l = layout(&Topology::default());
        assert_eq!(l.nodes.len(), 1);
        assert!(l.width > 0.0 && l.height > 0.0);
    }
}
