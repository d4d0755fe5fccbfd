//! The Networks and Topology tabs under Xvfb, on the libvirt test driver: the list and
//! details, the delete confirmation naming the guests, the creation wizard with bad
//! input in every step, and the topology of several networks and fifty guests. Each
//! test saves PNG screenshots into `$HANGAR_SCREENSHOT_DIR` (default
//! `target/screenshots`).

use adw::prelude::*;
use gtk::{gio, glib};
use sourceview5::prelude::*;

use hangar::backend::network::NetworkMode;
use hangar::backend::network_form::Field;
use hangar::backend::topology::{NodeKind, Target};
use hangar::model::{Connection, Network, Vm};
use hangar::ui::Window;

mod common;
mod gui;
use common::TempDir;
use gui::{app, descendants, label_texts, save_png, screenshot_dir, settle, wait_for};

fn init() {
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    virt::error::clear_error_callback();
}

/// Networks: default (NAT), isolated, routed to eth0, a host bridge; `guests` running
/// guests spread over them (every seventh on the host bridge), and one shut-off guest.
fn node_file(guests: usize) -> (TempDir, String) {
    let dir = TempDir::new("node");
    let mut xml = String::from("<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n");
    let nets = ["default", "isolated", "lab-routed"];
    for i in 0..guests {
        let nic = if i % 7 == 6 {
            format!(
                "<interface type='bridge'><source bridge='br0'/><mac address='52:54:00:10:00:{i:02x}'/><target dev='vnet{i}'/></interface>"
            )
        } else {
            format!(
                "<interface type='network'><source network='{}'/><mac address='52:54:00:10:00:{i:02x}'/><target dev='vnet{i}'/></interface>",
                nets[i % 3]
            )
        };
        xml.push_str(&format!(
            "<domain type='test'><name>guest-{i:02}</name><uuid>00000000-0000-0000-0000-{:012}</uuid>\
             <memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>\
             <devices>{nic}</devices><test:runstate>1</test:runstate></domain>\n",
            i + 1
        ));
    }
    xml.push_str(
        "<domain type='test'><name>stopped-db</name><uuid>00000000-0000-0000-0000-000000000999</uuid>\
         <memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>\
         <devices><interface type='network'><source network='isolated'/><mac address='52:54:00:20:00:01'/></interface></devices>\
         <test:runstate>5</test:runstate></domain>\n",
    );
    xml.push_str(
        "<network><name>default</name><uuid>10000000-0000-0000-0000-000000000001</uuid><forward mode='nat'/><bridge name='virbr0'/>
  <domain name='lab.test'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.254'/>
  <host mac='52:54:00:10:00:00' name='guest-00' ip='192.168.122.10'/></dhcp></ip></network>
<network><name>isolated</name><uuid>10000000-0000-0000-0000-000000000002</uuid><bridge name='virbr1'/>
  <ip address='10.213.20.1' prefix='24'><dhcp><range start='10.213.20.100' end='10.213.20.200'/></dhcp></ip></network>
<network><name>lab-routed</name><uuid>10000000-0000-0000-0000-000000000003</uuid><forward mode='route' dev='eth0'/><bridge name='virbr2'/>
  <ip address='10.213.30.1' prefix='24'/>
  <ip family='ipv6' address='fd00:213:30::1' prefix='64'><dhcp><range start='fd00:213:30::100' end='fd00:213:30::1ff'/></dhcp></ip></network>
<network><name>host-bridge</name><uuid>10000000-0000-0000-0000-000000000004</uuid><forward mode='bridge'/><bridge name='br0'/></network>
<interface type='ethernet' name='eth0'><start mode='onboot'/><mac address='52:54:00:aa:bb:cc'/>
  <protocol family='ipv4'><ip address='10.213.9.5' prefix='24'/></protocol></interface>
</node>\n",
    );
    let path = dir.path().join("node.xml");
    std::fs::write(&path, xml).expect("node file");
    let uri = format!("test://{}", path.display());
    (dir, uri)
}

struct Fixture {
    win: Window,
    conn: Connection,
    _dir: TempDir,
}

fn open(guests: usize) -> Fixture {
    init();
    let app = app();
    let settings = hangar::application::settings();
    let store = gio::ListStore::new::<Connection>();
    let win = Window::new(&app, &settings, &store);
    win.set_default_size(1280, 800);
    win.present();
    let (dir, uri) = node_file(guests);
    let conn = Connection::new(&uri, false, false);
    win.watch_connection(&conn);
    store.append(&conn);
    conn.connect_now();
    wait_for("the connection to load", 30, || conn.loaded());
    wait_for("the networks", 30, || conn.networks_loaded());
    assert!(win.select_item(conn.upcast_ref()));
    settle(100);
    Fixture {
        win,
        conn,
        _dir: dir,
    }
}

impl Fixture {
    fn close(self) {
        self.conn.backend().shutdown();
        self.win.destroy();
        settle(50);
    }
}

#[gtk::test]
fn the_networks_tab_lists_and_details_networks() {
    let f = open(6);
    let page = f.win.networks_page().expect("a Networks tab");
    f.win.host_page().show_page("networks");
    settle(200);
    let names: Vec<String> = f
        .conn
        .networks()
        .iter::<Network>()
        .flatten()
        .map(|n| n.name())
        .collect();
    assert_eq!(names, ["default", "host-bridge", "isolated", "lab-routed"]);
    let default = f.conn.network_by_name("default").unwrap();
    // guest-00 and guest-03 on default (every third, not the seventh).
    assert_eq!(default.guest_count(), 2);
    assert!(page.select_network(&default.uuid()));
    settle(200);
    let labels = label_texts(&page, true);
    let shown = labels.join("\n");
    assert!(shown.contains("192.168.122.0/24"), "{shown}");
    assert!(
        shown.contains("guest-00"),
        "static host and guests shown: {shown}"
    );
    assert!(shown.contains("NAT"), "{shown}");
    save_png(&f.win, "net-01-networks-list");

    // Add a static host through the page's own fields: checked as typed, added live.
    let entries = descendants::<gtk::Entry>(&page);
    let by_placeholder = |p: &str| -> gtk::Entry {
        entries
            .iter()
            .find(|e| e.placeholder_text().is_some_and(|t| t == p))
            .unwrap_or_else(|| panic!("an entry with placeholder {p}"))
            .clone()
    };
    let mac = by_placeholder("52:54:00:…");
    // The address field of the same row (the DNS group has one too).
    let row = mac.parent().expect("the add row");
    let ip = descendants::<gtk::Entry>(&row)
        .into_iter()
        .find(|e| e.placeholder_text().is_some_and(|t| t == "address"))
        .expect("the address entry");
    mac.set_text("52:54:00:zz:00:01");
    ip.set_text("192.168.122.77");
    settle(50);
    let shown = label_texts(&page, true).join("\n");
    assert!(shown.contains("Not a MAC address"), "{shown}");
    let add = descendants::<gtk::Button>(&row)
        .into_iter()
        .find(|b| b.label().is_some_and(|l| l == "_Add"))
        .expect("the Add button");
    assert!(!add.is_sensitive(), "Add stays off while the MAC is wrong");
    mac.set_text("52:54:00:aa:00:77");
    settle(50);
    assert!(add.is_sensitive());
    // Focus scrolls the details to the field.
    ip.grab_focus();
    save_png(&f.win, "net-01b-add-static-host");
    add.emit_clicked();
    wait_for("the static host in the model", 20, || {
        default
            .info()
            .ipv4()
            .is_some_and(|i| i.hosts.iter().any(|h| h.ip == "192.168.122.77"))
    });

    // Stop it from the page's switch path and see the model follow.
    let isolated = f.conn.network_by_name("isolated").unwrap();
    assert!(page.select_network(&isolated.uuid()));
    settle(100);
    let backend = f.conn.backend().clone();
    let uuid = isolated.uuid();
    glib::MainContext::default()
        .block_on(backend.stop_network(uuid))
        .expect("stop");
    wait_for("isolated stopped", 20, || !isolated.active());
    settle(200);
    save_png(&f.win, "net-02-network-stopped");

    // Its XML, in the highlighted editor, applied as a whole.
    let expander = descendants::<gtk::Expander>(&page)
        .into_iter()
        .find(|e| e.label().is_some_and(|l| l == "Show XML"))
        .expect("the Show XML expander");
    expander.set_expanded(true);
    settle(100);
    let view = descendants::<sourceview5::View>(&page)
        .into_iter()
        .next()
        .expect("the network's XML editor");
    let buffer = view
        .buffer()
        .downcast::<sourceview5::Buffer>()
        .expect("a source buffer");
    assert_eq!(
        buffer.language().map(|l| l.id().to_string()).as_deref(),
        Some("xml")
    );
    let xml = hangar::ui::xml_view::text_of(&view).to_string();
    assert!(xml.contains("<name>isolated</name>"), "{xml}");
    buffer.set_text(&xml.replace("</network>", "  <domain name='lab.test'/>\n</network>"));
    settle(100);
    save_png(&f.win, "net-02b-network-xml");
    let apply = descendants::<gtk::Button>(&page)
        .into_iter()
        .find(|b| b.label().is_some_and(|l| l == "_Apply XML"))
        .expect("Apply XML");
    apply.emit_clicked();
    wait_for("the new DNS domain in the model", 20, || {
        isolated.info().domain.as_deref() == Some("lab.test")
    });

    // Delete asks first, naming the guests (running and shut off) that use it.
    let dialog = page.confirm_delete(&isolated).expect("a dialog");
    settle(100);
    let body = dialog.body().to_string();
    assert!(body.contains("stopped-db"), "{body}");
    assert!(body.contains("guest-01"), "{body}");
    save_png(&dialog, "net-03-confirm-delete");
    dialog.response("cancel");
    settle(100);
    assert!(
        f.conn.network_by_name("isolated").is_some(),
        "cancel keeps it"
    );
    dialog.destroy();
    drop(dialog);
    let dialog = page.confirm_delete(&isolated).expect("a dialog");
    dialog.response("delete");
    wait_for("isolated deleted", 20, || {
        f.conn.network_by_name("isolated").is_none()
    });
    // Gone before the window, whose transient it is.
    dialog.destroy();
    drop(dialog);
    f.close();
}

#[gtk::test]
fn settings_are_checked_as_typed_and_ipv6_ranges_edited() {
    let f = open(2);
    let page = f.win.networks_page().expect("a Networks tab");
    f.win.host_page().show_page("networks");
    settle(200);
    let routed = f.conn.network_by_name("lab-routed").unwrap();
    assert!(page.select_network(&routed.uuid()));
    settle(200);
    let row = |title: &str| -> adw::EntryRow {
        descendants::<adw::EntryRow>(&page)
            .into_iter()
            .find(|r| r.title() == title)
            .unwrap_or_else(|| panic!("an entry row titled {title}"))
    };
    let shown = || label_texts(&page, true).join("\n");

    // A bad MTU marks its row and says what is wrong, naming the field.
    let mtu = row("MTU");
    mtu.set_text("12");
    settle(50);
    assert!(mtu.has_css_class("error"));
    assert!(shown().contains("MTU: "), "{}", shown());
    mtu.set_text("");
    settle(50);
    assert!(!mtu.has_css_class("error"));
    assert!(!shown().contains("MTU: "), "{}", shown());

    // The IPv6 DHCP range: reversed is refused as typed, a good one applied live.
    let range = row("DHCP Range");
    assert_eq!(range.text(), "fd00:213:30::100 – fd00:213:30::1ff");
    range.set_text("fd00:213:30::1ff - fd00:213:30::100");
    settle(50);
    assert!(range.has_css_class("error"));
    assert!(
        shown().contains("DHCP Range: The range must not end before it starts"),
        "{}",
        shown()
    );
    save_png(&f.win, "net-02c-range-reversed");
    range.emit_by_name::<()>("apply", &[]);
    settle(200);
    assert_eq!(
        routed.info().ipv6().unwrap().ranges[0].end,
        "fd00:213:30::1ff",
        "nothing reaches libvirt while the range is wrong"
    );
    range.set_text("fd00:213:30::100 - fd00:213:30::180");
    settle(50);
    assert!(!range.has_css_class("error"));
    range.emit_by_name::<()>("apply", &[]);
    wait_for("the new IPv6 range in the model", 20, || {
        routed
            .info()
            .ipv6()
            .is_some_and(|i| i.ranges.len() == 1 && i.ranges[0].end == "fd00:213:30::180")
    });
    f.close();
}

#[gtk::test]
fn the_wizard_explains_bad_input_and_creates_a_network() {
    let f = open(2);
    f.win.host_page().show_page("networks");
    let page = f.win.networks_page().expect("a Networks tab");
    let w = page.open_wizard().expect("a wizard");
    settle(300);
    // Defaults are valid and collide with nothing.
    assert!(w.can_go_next(), "defaults pass");
    let form = w.form();
    assert_eq!(form.name, "network1");
    assert_eq!(form.ipv4_net, "192.168.100.0/24");

    // Step 1: a taken name, then bad characters.
    w.set_text(Field::Name, "default");
    let e = w.shown_error(Field::Name).expect("message under the name");
    assert!(e.contains("already exists"), "{e}");
    assert!(!w.can_go_next());
    assert!(!w.go_to(1), "cannot skip past a bad step");
    save_png(w.window(), "net-04-wizard-name-taken");
    w.set_text(Field::Name, "bad name");
    assert!(w.shown_error(Field::Name).is_some());
    w.set_text(Field::Name, "lab");
    assert_eq!(w.shown_error(Field::Name), None);
    w.set_text(Field::Bridge, "virbr0");
    assert!(w.shown_error(Field::Bridge).is_some(), "bridge in use");
    w.set_text(Field::Bridge, "hgbr9");
    assert!(w.can_go_next());
    assert!(w.go_to(1));
    assert_eq!(w.step(), 1);

    // Step 2: CIDR syntax, overlap with a network, with a host address, gateway, range.
    w.set_text(Field::Ipv4Net, "10.213.5.0");
    assert!(w
        .shown_error(Field::Ipv4Net)
        .unwrap()
        .contains("not a network"));
    w.set_text(Field::Ipv4Net, "192.168.0.0/16");
    let e = w.shown_error(Field::Ipv4Net).unwrap();
    assert!(e.contains("default"), "overlaps default: {e}");
    save_png(w.window(), "net-05-wizard-overlap");
    w.set_text(Field::Ipv4Net, "10.213.9.0/24");
    wait_for("host interfaces", 10, || {
        w.shown_error(Field::Ipv4Net)
            .is_some_and(|e| e.contains("eth0"))
    });
    w.set_text(Field::Ipv4Net, "10.213.5.7/24");
    assert!(w
        .shown_error(Field::Ipv4Net)
        .unwrap()
        .contains("10.213.5.0/24"));
    w.set_text(Field::Ipv4Net, "10.213.5.0/24");
    w.set_text(Field::Ipv4Gateway, "10.213.6.1");
    assert!(w.shown_error(Field::Ipv4Gateway).is_some());
    w.set_text(Field::Ipv4Gateway, "10.213.5.1");
    w.set_text(Field::Dhcp4, "10.213.5.1");
    w.set_dhcp_end("10.213.5.200");
    assert!(w.shown_error(Field::Dhcp4).unwrap().contains("gateway"));
    w.set_text(Field::Dhcp4, "10.213.5.220");
    assert!(w.shown_error(Field::Dhcp4).unwrap().contains("end before"));
    assert!(!w.can_go_next());
    save_png(w.window(), "net-06-wizard-bad-range");
    w.set_text(Field::Dhcp4, "10.213.5.100");
    assert_eq!(w.shown_error(Field::Dhcp4), None);
    assert!(w.go_to(2));

    // Step 3: a static host outside the network, a bad MTU.
    w.set_text(
        Field::Hosts,
        "52:54:00:05:00:10 10.213.5.10\ndb 10.213.6.11",
    );
    assert!(w.shown_error(Field::Hosts).unwrap().starts_with("Line 2"));
    w.set_text(
        Field::Hosts,
        "52:54:00:05:00:10 10.213.5.10\ndb 10.213.5.11",
    );
    w.set_text(Field::Mtu, "20");
    assert!(w.shown_error(Field::Mtu).is_some());
    w.set_text(Field::Mtu, "1400");
    w.set_text(Field::Domain, "lab.test");
    w.set_text(Field::DnsHosts, "10.213.5.10 db");
    save_png(w.window(), "net-07-wizard-hosts");
    assert!(w.go_to(3));
    assert!(w.can_create());
    save_png(w.window(), "net-08-wizard-summary");
    w.create();
    wait_for("the new network", 20, || {
        f.conn.network_by_name("lab").is_some_and(|n| n.active())
    });
    let lab = f.conn.network_by_name("lab").unwrap();
    let info = lab.info();
    assert_eq!(info.bridge.as_deref(), Some("hgbr9"));
    assert_eq!(info.ipv4().unwrap().hosts.len(), 2);
    assert_eq!(info.mtu, Some(1400));
    assert_eq!(info.mode, NetworkMode::Nat);
    assert!(lab.autostart(), "starts with the host by default");
    wait_for("the wizard closes", 10, || !w.window().is_visible());

    // Bridge mode needs a host bridge; none is on the test host: said so.
    let w = page.open_wizard().expect("a wizard");
    settle(200);
    w.set_mode(&NetworkMode::Bridge);
    settle(50);
    assert!(w.shown_error(Field::Device).is_some());
    assert!(!w.can_go_next());
    assert!(
        w.shows_bridge_help(),
        "the nmcli commands to make one are shown"
    );
    save_png(w.window(), "net-09-wizard-no-bridge");
    w.window().close();
    f.close();
}

#[gtk::test]
fn the_topology_draws_networks_and_fifty_guests() {
    let f = open(50);
    let view = f.win.topology_view().expect("a Topology tab");
    let loads = view.loads();
    f.win.host_page().show_page("topology");
    wait_for("the topology", 20, || view.loads() > loads);
    let l = view.layout();
    let guests = l.nodes.iter().filter(|n| n.kind == NodeKind::Guest).count();
    assert_eq!(guests, 50);
    assert!(l.find(NodeKind::Router, "default").is_some());
    assert!(l.find(NodeKind::Switch, "virbr1").is_some());
    assert!(l.find(NodeKind::Switch, "br0").is_some(), "host bridge");
    assert!(l.find(NodeKind::Iface, "eth0").is_some(), "host interface");
    let routed = l.find(NodeKind::Router, "lab-routed").unwrap();
    assert!(routed.lines[0].contains("eth0"));
    save_png(&f.win, "net-10-topology-50-guests");
    // Export both formats.
    let dir = screenshot_dir();
    let png = dir.join("net-11-topology-export.png");
    let svg = dir.join("net-11-topology-export.svg");
    view.export_png(&png).expect("PNG export");
    view.export_svg(&svg).expect("SVG export");
    let head = std::fs::read(&png).expect("png");
    assert_eq!(&head[1..4], b"PNG");
    let text = std::fs::read_to_string(&svg).expect("svg");
    assert!(text.contains("<svg"), "an SVG document");

    // Events redraw it: a guest stops, and it leaves the picture.
    let vm: Vm = f.conn.find_vm("guest-07").expect("guest-07");
    let before = view.loads();
    glib::MainContext::default()
        .block_on(
            f.conn
                .backend()
                .action(vm.uuid(), hangar::backend::domain::Action::ForceOff),
        )
        .expect("force off");
    wait_for("a redraw after the event", 20, || view.loads() > before);
    wait_for("guest-07 gone from the picture", 20, || {
        view.layout().find(NodeKind::Guest, "guest-07").is_none()
    });

    // The keyboard walks the nodes that lead somewhere.
    view.move_focus(1);
    let first = view.focused_node().expect("a node is chosen");
    assert!(first.target.is_some());
    view.move_focus(1);
    assert_ne!(
        view.focused_node().map(|n| n.title),
        Some(first.title.clone())
    );
    view.move_focus(-1);
    assert_eq!(view.focused_node().map(|n| n.title), Some(first.title));

    // Clicking a guest selects it in the window; clicking a network shows it.
    let g = f.conn.find_vm("guest-02").unwrap();
    view.activate_target(&Target::Vm(g.uuid()));
    settle(100);
    assert_eq!(
        f.win.selected_vms().first().map(|(_, v)| v.name()),
        Some("guest-02".to_string())
    );
    assert!(f.win.select_item(f.conn.upcast_ref()));
    settle(100);
    let net = f.conn.network_by_name("lab-routed").unwrap();
    view.activate_target(&Target::Network(net.uuid()));
    settle(100);
    let page = f.win.networks_page().unwrap();
    assert_eq!(
        page.selected_network().map(|n| n.name()),
        Some("lab-routed".into())
    );
    f.close();
}

/// The topology on a real libvirtd (in the test namespace): a NAT network, an isolated
/// one, and a TCG guest whose start event brings its vnet tap into the picture.
#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn the_topology_follows_a_real_guest_starting() {
    let uri = match std::env::var("HANGAR_TEST_LIBVIRT_URI") {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!("HANGAR_TEST_LIBVIRT_URI is not set: run through build-aux/run-tests.sh"),
    };
    init();
    let app = app();
    let settings = hangar::application::settings();
    let store = gio::ListStore::new::<Connection>();
    let win = Window::new(&app, &settings, &store);
    win.set_default_size(1280, 800);
    win.present();
    let conn = Connection::new(&uri, false, false);
    win.watch_connection(&conn);
    store.append(&conn);
    conn.connect_now();
    wait_for("the connection to load", 60, || {
        conn.loaded() && conn.networks_loaded()
    });
    assert!(win.select_item(conn.upcast_ref()));
    let backend = conn.backend().clone();
    let ctx = glib::MainContext::default();
    let virsh = |args: &[&str]| {
        let _ = std::process::Command::new("virsh")
            .args(["-q", "-c", &uri])
            .args(args)
            .output();
    };
    let guest = format!("hgt-ui-guest-{}", std::process::id());
    // Whatever happens, leave nothing behind.
    struct Cleanup<F: Fn()>(F);
    impl<F: Fn()> Drop for Cleanup<F> {
        fn drop(&mut self) {
            (self.0)()
        }
    }
    let _cleanup = Cleanup(|| {
        virsh(&["destroy", &guest]);
        virsh(&["undefine", &guest]);
        for n in ["hgt-ui-nat", "hgt-ui-iso"] {
            virsh(&["net-destroy", n]);
            virsh(&["net-undefine", n]);
        }
    });
    for (name, mode, br, third) in [
        ("hgt-ui-nat", NetworkMode::Nat, "hgtuinat0", 41u8),
        ("hgt-ui-iso", NetworkMode::Isolated, "hgtuiiso0", 42u8),
    ] {
        let spec = hangar::backend::network::NetworkSpec {
            name: name.into(),
            mode,
            bridge: Some(br.into()),
            ipv4: Some(hangar::backend::network::IpSpec {
                address: format!("10.213.{third}.1").parse().unwrap(),
                prefix: 24,
                dhcp: Some((
                    format!("10.213.{third}.100").parse().unwrap(),
                    format!("10.213.{third}.200").parse().unwrap(),
                )),
                hosts: vec![],
            }),
            ..Default::default()
        };
        ctx.block_on(backend.create_network(spec.to_xml(), false))
            .expect("create a network");
    }
    let view = win.topology_view().expect("a Topology tab");
    win.host_page().show_page("topology");
    wait_for("both networks drawn", 30, || {
        let l = view.layout();
        l.find(NodeKind::Switch, "hgtuinat0").is_some()
            && l.find(NodeKind::Switch, "hgtuiiso0").is_some()
    });
    let xml = format!(
        "<domain type='qemu'><name>{guest}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <interface type='network'><source network='hgt-ui-nat'/><mac address='52:54:00:13:41:20'/><model type='e1000'/></interface>
    <interface type='network'><source network='hgt-ui-iso'/><mac address='52:54:00:13:42:20'/><model type='e1000'/></interface>
    <graphics type='vnc' listen='127.0.0.1'/>
  </devices></domain>"
    );
    let uuid = ctx
        .block_on(backend.define_xml(xml))
        .expect("define the guest");
    ctx.block_on(backend.action(uuid, hangar::backend::domain::Action::Start))
        .expect("start the guest");
    // No reload by hand: the start event brings it.
    wait_for("the guest's NICs in the picture", 60, || {
        view.layout()
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Guest && n.title == guest)
            .count()
            == 2
    });
    let l = view.layout();
    let nic = l
        .nodes
        .iter()
        .find(|n| n.kind == NodeKind::Guest && n.lines.iter().any(|x| x == "52:54:00:13:41:20"))
        .expect("the NAT NIC");
    assert!(nic.lines[0].starts_with("tap vnet"), "{:?}", nic.lines);
    let sw = l.find(NodeKind::Switch, "hgtuinat0").unwrap();
    assert!(nic.x >= sw.x - 300.0 && nic.y > sw.y, "under its switch");
    save_png(&win, "net-12-topology-real-libvirtd");
    conn.backend().shutdown();
    win.destroy();
    settle(50);
}
