//! The Networks and Topology tabs under Xvfb, on the libvirt test driver: the list and
//! details, the delete confirmation naming the guests, the creation wizard with bad
//! input in every step, and the topology of several networks and fifty guests. Each
//! test saves PNG screenshots into `$HANGAR_SCREENSHOT_DIR` (default
//! `target/screenshots`).

use adw::prelude::*;
use gtk::{gio, glib};
use sourceview5::prelude::*;

use hangar::backend::network::form::Field;
use hangar::backend::network::topology::{NodeKind, Target};
use hangar::backend::network::NetworkMode;
use hangar::model::{Connection, Network, Vm};
use hangar::ui::Window;

use crate::common;
use crate::gui;
use common::TempDir;
use gui::{app, descendants, label_texts, save_png, screenshot_dir, settle, type_into, wait_for};
use hangar::ui::host::networks::NetworkWizard;

fn init() {
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    virt::error::clear_error_callback();
    gui::clean_desktop();
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
    /// The window's title, unique to this process (AT-SPI finds the window by it).
    title: String,
    _dir: TempDir,
}

fn open(guests: usize) -> Fixture {
    open_sized(guests, 1280)
}

fn open_sized(guests: usize, width: i32) -> Fixture {
    let (dir, uri) = node_file(guests);
    let title = format!("hangar-networks-{}", std::process::id());
    let (win, conn) = open_window(&uri, &title, width);
    wait_for("the networks", 30, || conn.networks_loaded());
    Fixture {
        win,
        conn,
        title,
        _dir: dir,
    }
}

/// A presented window titled `title` on `uri`, loaded, with the connection selected.
fn open_window(uri: &str, title: &str, width: i32) -> (Window, Connection) {
    init();
    let app = app();
    let settings = hangar::settings::settings();
    let store = gio::ListStore::new::<Connection>();
    let win = Window::new(&app, &settings, &store);
    win.set_default_size(width, 800);
    win.set_title(Some(title));
    win.present();
    let conn = Connection::new(uri, false, false);
    win.watch_connection(&conn);
    store.append(&conn);
    conn.connect_now();
    wait_for("the connection to load", 30, || conn.loaded());
    assert!(win.select_item(conn.upcast_ref()));
    settle(100);
    (win, conn)
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
    let hosts = gui::group(&page, "Static DHCP Hosts");
    type_into(&hosts, "MAC Address", "52:54:00:zz:00:01");
    type_into(&hosts, "Address", "192.168.122.77");
    let shown = label_texts(&page, true).join("\n");
    assert!(shown.contains("Not a MAC address"), "{shown}");
    let add = gui::button_labelled(&hosts, "Add");
    assert!(!add.is_sensitive(), "Add stays off while the MAC is wrong");
    type_into(&hosts, "MAC Address", "52:54:00:aa:00:77");
    assert!(add.is_sensitive());
    // A MAC address fits its field whole.
    let mac = gui::field(&hosts, "MAC Address");
    assert!(
        mac.width() >= 17 * 7,
        "the MAC field is {} px wide",
        mac.width()
    );
    mac.grab_focus();
    save_png(&f.win, "net-01b-add-static-host");
    gui::click(&add);
    drop(add);
    wait_for("the static host in the model", 20, || {
        default
            .info()
            .ipv4()
            .is_some_and(|i| i.hosts.iter().any(|h| h.ip == "192.168.122.77"))
    });
    settle(200);
    // The keyboard stays with the new-host fields, not on the Active switch (where a
    // Space would stop the network).
    let focus = gtk::prelude::RootExt::focus(&f.win).expect("something has the focus");
    let mac = gui::field(&gui::group(&page, "Static DHCP Hosts"), "MAC Address");
    assert!(
        focus == mac || focus.is_ancestor(&mac),
        "the focus is on {} after adding a host",
        focus.type_().name()
    );

    // Stop it with the page's Active switch and see the model and the row follow.
    let isolated = f.conn.network_by_name("isolated").unwrap();
    assert!(page.select_network(&isolated.uuid()));
    settle(100);
    gui::flip(&gui::switch_of_row(&page, "Active"));
    wait_for("isolated stopped", 20, || !isolated.active());
    settle(200);
    save_png(&f.win, "net-02-network-stopped");
    let tree = gui::accessible_tree(&f.title);
    let doubled = gui::doubled_names(&tree);
    assert!(
        doubled.is_empty(),
        "said twice to a screen reader: {doubled:?}"
    );
    let unnamed = gui::unnamed_controls(&tree);
    assert!(unnamed.is_empty(), "controls without a name: {unnamed:?}");
    // A network's row: its name, then its state and summary.
    let row_says = |name: &str| {
        gui::accessible_tree(&f.title)
            .into_iter()
            .find(|n| n.role == "list item" && n.name == name)
            .map(|n| n.description)
            .unwrap_or_default()
    };
    assert!(
        row_says("isolated").contains("inactive"),
        "{}",
        row_says("isolated")
    );
    gui::flip(&gui::switch_of_row(&page, "Active"));
    wait_for("isolated started", 20, || isolated.active());
    settle(200);
    let said = row_says("isolated");
    assert!(
        said.contains("active") && !said.contains("inactive"),
        "{said}"
    );
    // Stopped again: its definition is edited below, and applies at once then.
    gui::flip(&gui::switch_of_row(&page, "Active"));
    wait_for("isolated stopped again", 20, || !isolated.active());

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
    let xml = hangar::ui::components::xml_view::text_of(&view).to_string();
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
    let delete = || {
        gui::opened_by::<adw::MessageDialog>("the delete confirmation", || {
            gui::click(&gui::button_labelled(&page, "Delete Network…"))
        })
    };
    let dialog = delete();
    let body = dialog.body().to_string();
    assert!(body.contains("stopped-db"), "{body}");
    assert!(body.contains("guest-01"), "{body}");
    save_png(&dialog, "net-03-confirm-delete");
    dialog.response("cancel");
    drop(dialog);
    settle(100);
    assert!(
        f.conn.network_by_name("isolated").is_some(),
        "cancel keeps it"
    );
    let dialog = delete();
    dialog.response("delete");
    drop(dialog);
    wait_for("isolated deleted", 20, || {
        f.conn.network_by_name("isolated").is_none()
    });
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

/// Open the wizard as a person does: the page's "New Network…" button; the wizard
/// is found among the toplevels. Nothing of it is kept by the caller but what GTK keeps.
fn open_wizard_from_button(f: &Fixture) -> NetworkWizard {
    f.win.host_page().show_page("networks");
    let page = f.win.networks_page().expect("a Networks tab");
    settle(100);
    let w = gui::opened_by::<NetworkWizard>("the wizard", || {
        gui::click(&gui::button_labelled(&page, "New Network…"))
    });
    settle(200);
    w
}

/// The message shown under a field of the newest wizard.
fn error_under(field: Field) -> Option<String> {
    gui::toplevel::<NetworkWizard>()
        .expect("the wizard is open")
        .shown_error(field)
}

fn next(w: &NetworkWizard) {
    gui::click(&gui::button_labelled(w, "Next"));
    settle(50);
}

#[gtk::test]
fn the_wizard_explains_bad_input_and_creates_a_network() {
    let f = open(2);
    let w = open_wizard_from_button(&f);
    // Defaults are valid and collide with nothing.
    assert!(w.can_go_next(), "defaults pass");
    let form = w.form();
    assert_eq!(form.name, "network1");
    assert_eq!(form.ipv4_net, "192.168.100.0/24");
    drop(w);

    // Step 1: a taken name, then bad characters.
    let w = gui::toplevel::<NetworkWizard>().expect("the wizard");
    type_into(&w, "Name", "default");
    let e = error_under(Field::Name).expect("message under the name");
    assert!(e.contains("already exists"), "{e}");
    assert!(
        !gui::button_labelled(&w, "Next").is_sensitive(),
        "Next is off"
    );
    save_png(&w, "net-04-wizard-name-taken");
    type_into(&w, "Name", "bad name");
    assert!(error_under(Field::Name).is_some());
    type_into(&w, "Name", "lab");
    assert_eq!(error_under(Field::Name), None);
    type_into(&w, "Bridge Name", "virbr0");
    assert!(error_under(Field::Bridge).is_some(), "bridge in use");
    // A host interface's name, checked where it is typed (the test driver's host
    // has eth0).
    wait_for("host interfaces", 10, || {
        type_into(&w, "Bridge Name", "eth0");
        error_under(Field::Bridge).is_some_and(|e| e.contains("eth0"))
    });
    type_into(&w, "Bridge Name", "hgbr9");
    assert_eq!(error_under(Field::Bridge), None);
    next(&w);
    assert_eq!(w.step(), 1);

    // Step 2: CIDR syntax, overlap with a network, with a host address.
    type_into(&w, "IPv4 Network", "10.213.5.0");
    assert!(error_under(Field::Ipv4Net)
        .unwrap()
        .contains("not a network"));
    type_into(&w, "IPv4 Network", "192.168.0.0/16");
    let e = error_under(Field::Ipv4Net).unwrap();
    assert!(e.contains("default"), "overlaps default: {e}");
    save_png(&w, "net-05-wizard-overlap");
    type_into(&w, "IPv4 Network", "10.213.9.0/24");
    assert!(error_under(Field::Ipv4Net).is_some_and(|e| e.contains("eth0")));
    type_into(&w, "IPv4 Network", "10.213.5.7/24");
    assert!(error_under(Field::Ipv4Net)
        .unwrap()
        .contains("10.213.5.0/24"));
    // A network typed anew brings its gateway and range with it.
    type_into(&w, "IPv4 Network", "10.213.5.0/24");
    let form = w.form();
    assert_eq!(
        (
            form.ipv4_gateway.as_str(),
            form.dhcp4_start.as_str(),
            form.dhcp4_end.as_str()
        ),
        ("10.213.5.1", "10.213.5.2", "10.213.5.254"),
        "gateway and range follow the network"
    );
    assert_eq!(error_under(Field::Ipv4Gateway), None);
    assert_eq!(error_under(Field::Dhcp4), None);
    type_into(&w, "Gateway", "10.213.6.1");
    assert!(error_under(Field::Ipv4Gateway).is_some());
    type_into(&w, "Gateway", "10.213.5.1");
    type_into(&w, "DHCP Start", "10.213.5.1");
    type_into(&w, "DHCP End", "10.213.5.200");
    assert!(error_under(Field::Dhcp4).unwrap().contains("gateway"));
    // A wrong end shows under the end, not the start.
    type_into(&w, "DHCP Start", "10.213.5.100");
    type_into(&w, "DHCP End", "10.213.5.50");
    assert!(error_under(Field::Dhcp4End).unwrap().contains("end before"));
    assert_eq!(error_under(Field::Dhcp4), None);
    type_into(&w, "DHCP End", "10.213.7.200");
    assert!(error_under(Field::Dhcp4End).is_some());
    assert!(!gui::button_labelled(&w, "Next").is_sensitive());
    save_png(&w, "net-06-wizard-bad-range");
    type_into(&w, "DHCP End", "10.213.5.200");
    assert_eq!(error_under(Field::Dhcp4End), None);
    // Typed by hand, the range stays when the network changes again.
    type_into(&w, "IPv4 Network", "10.213.8.0/24");
    assert_eq!(w.form().dhcp4_end, "10.213.5.200", "the person's end stays");
    assert!(error_under(Field::Dhcp4).is_some(), "and is now outside");
    type_into(&w, "IPv4 Network", "10.213.5.0/24");
    // IPv6 is off: its fields are not shown.
    let ipv6_labels: Vec<gtk::Label> = descendants::<gtk::Label>(&w)
        .into_iter()
        .filter(|l| l.label() == "IPv6 Network")
        .collect();
    assert!(
        !ipv6_labels.is_empty() && ipv6_labels.iter().all(|l| !l.is_mapped()),
        "IPv6 fields hidden while IPv6 is off"
    );
    next(&w);

    // Step 3: a static host outside the network, a bad MTU.
    type_into(
        &w,
        "Static DHCP Hosts",
        "52:54:00:05:00:10 10.213.5.10\ndb 10.213.6.11",
    );
    assert!(error_under(Field::Hosts).unwrap().starts_with("Line 2"));
    type_into(
        &w,
        "Static DHCP Hosts",
        "52:54:00:05:00:10 10.213.5.10\ndb 10.213.5.11",
    );
    type_into(&w, "MTU", "20");
    assert!(error_under(Field::Mtu).is_some());
    type_into(&w, "MTU", "1400");
    type_into(&w, "DNS Domain", "lab.test");
    type_into(&w, "DNS Host Entries", "10.213.5.10 db");
    save_png(&w, "net-07-wizard-hosts");
    next(&w);
    // The summary says in words what will be made, "Start with the Host" among it.
    let summary = label_texts(&w, true).join("\n");
    for want in [
        "lab",
        "hgbr9",
        "10.213.5.1/24",
        "10.213.5.100 – 10.213.5.200",
        "Start with the Host",
        "Yes",
    ] {
        assert!(
            summary.contains(want),
            "the summary shows {want}: {summary}"
        );
    }
    save_png(&w, "net-08-wizard-summary");
    let title = "New Virtual Network";
    let tree = gui::accessible_tree(title);
    let doubled = gui::doubled_names(&tree);
    assert!(
        doubled.is_empty(),
        "said twice to a screen reader: {doubled:?}"
    );
    let unnamed = gui::unnamed_controls(&tree);
    assert!(unnamed.is_empty(), "controls without a name: {unnamed:?}");
    gui::click(&gui::button_labelled(&w, "Create"));
    drop(w);
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
    wait_for("the wizard closes", 10, || {
        gui::toplevel::<NetworkWizard>().is_none()
    });
    // The page shows the network just made.
    let page = f.win.networks_page().expect("a Networks tab");
    wait_for("the new network selected", 10, || {
        page.selected_network().is_some_and(|n| n.name() == "lab")
    });

    // Bridge mode needs a host bridge; none is on the test host: said so.
    let w = open_wizard_from_button(&f);
    gui::pick(&w, "Mode", "Host bridge");
    assert!(error_under(Field::Device).is_some());
    assert!(!gui::button_labelled(&w, "Next").is_sensitive());
    assert!(
        w.shows_bridge_help(),
        "the nmcli commands to make one are shown"
    );
    save_png(&w, "net-09-wizard-no-bridge");
    gui::click(&gui::button_labelled(&w, "Cancel"));
    drop(w);
    wait_for("the wizard closes", 10, || {
        gui::toplevel::<NetworkWizard>().is_none()
    });
    f.close();
}

#[gtk::test]
fn the_topology_draws_networks_and_fifty_guests() {
    // The sidebar keeps its width from tab to tab of the host page, in a window where
    // the pages beside it need more room than they get.
    let f = open_sized(50, 1400);
    let mut widths = Vec::new();
    for tab in ["overview", "networks", "topology", "overview"] {
        f.win.host_page().show_page(tab);
        settle(300);
        widths.push((tab, f.win.list_view().width()));
    }
    assert!(
        widths.iter().all(|(_, w)| *w == widths[0].1),
        "the sidebar's width changes: {widths:?}"
    );
    f.close();
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
    let settings = hangar::settings::settings();
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

/// A host that is not this computer (here the test driver): its interfaces as libvirt
/// reads them, and no way to make a bridge there, said where the person looks.
#[gtk::test]
fn host_interfaces_of_another_host_are_read_only() {
    let title = format!("hangar-host-ifaces-{}", std::process::id());
    let (win, conn) = open_window("test:///default", &title, 1280);
    win.host_page().show_page("networks");
    settle(100);
    let page = win.networks_page().expect("a Networks tab");
    let toggle = descendants::<gtk::ToggleButton>(&page)
        .into_iter()
        .find(|b| label_texts(b, false).iter().any(|t| t == "Host Interfaces"))
        .expect("the Host Interfaces switch");
    toggle.set_active(true);
    wait_for("the test driver's eth1", 20, || {
        descendants::<gtk::ListBoxRow>(&page)
            .iter()
            .any(|r| r.widget_name() == "eth1" && r.is_mapped())
    });
    let words = label_texts(&page, true);
    assert!(
        words
            .iter()
            .any(|t| t.contains("Hangar makes bridges on this computer only")),
        "{words:?}"
    );
    assert!(!gui::button(&page, "Make Bridge…").is_some_and(|b| b.is_mapped()));
    save_png(&win, "host-interfaces-remote");
    conn.backend().shutdown();
    win.destroy();
    settle(50);
}
