//! Unit tests of `check`.

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
