//! Unit tests of `info`.

use crate::backend::network::*;
use virt::sys;

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
