//! New Virtual Machine from the header's "+", on the test driver, as a person goes
//! through it: the source, an OS found by search, memory checked as typed, a disk, a
//! name that must be new — and the machine is made, listed and shown.

use adw::prelude::*;
use gtk::gio;
use hangar::model::Connection;
use hangar::ui::create::NewVmWizard;
use hangar::ui::Window;

use crate::gui::{self, app, save_png, settle, wait_for};

fn visible_step(w: &NewVmWizard) -> String {
    w.stack.visible_child_name().unwrap_or_default().to_string()
}

#[gtk::test]
fn a_machine_is_made_from_the_wizard() {
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    virt::error::clear_error_callback();
    gui::clean_desktop();
    let app = app();
    let settings = hangar::settings::settings();
    let store = gio::ListStore::new::<Connection>();
    let win = Window::new(&app, &settings, &store);
    win.set_default_size(1100, 760);
    win.present();
    let conn = Connection::new("test:///default", false, false);
    win.watch_connection(&conn);
    store.append(&conn);
    conn.connect_now();
    wait_for("the connection", 30, || {
        conn.loaded() && conn.networks_loaded()
    });
    wait_for("the host facts", 10, || conn.host_info().is_some());

    let w = gui::opened_by::<NewVmWizard>("the wizard", || {
        gui::click(&gui::button_labelled(&win, "New Virtual Machine"))
    });
    assert_eq!(visible_step(&w), "source");
    // A disc image that is not there is refused where it is typed.
    gui::type_into_row(&w, "Disc image", "/nowhere/install.iso");
    assert!(w.media_path.has_css_class("error"));
    assert!(!w.next.is_sensitive());
    gui::save_light_and_dark(&w, "newvm-01-source");
    w.manual.set_active(true);
    settle(50);
    assert!(w.next.is_sensitive(), "a manual install needs no media");
    gui::click(&w.next);
    assert_eq!(visible_step(&w), "os");

    // The OS by search (libosinfo's list).
    wait_for("the OS list", 20, || w.os_list.first_child().is_some());
    w.os_search.set_text("debian 11");
    wait_for("Debian 11 found", 10, || {
        gui::label_texts(&w.os_list, true)
            .iter()
            .any(|t| t == "Debian 11")
    });
    assert!(!w.next.is_sensitive(), "no OS chosen yet");
    let row = gui::descendants::<adw::ActionRow>(&w.os_list)
        .into_iter()
        .find(|r| r.title() == "Debian 11")
        .expect("the Debian 11 row");
    gtk::prelude::WidgetExt::activate(&row);
    wait_for("the OS chosen", 10, || w.next.is_sensitive());
    assert!(w.detected.label().contains("Debian 11"));
    gui::save_light_and_dark(&w, "newvm-02-os");
    gui::click(&w.next);
    assert_eq!(visible_step(&w), "resources");

    // Memory: checked as typed, and never more than the host has.
    wait_for("the OS's recommendation", 10, || {
        w.memory.text() != "2 GiB" || w.vcpus.value() != 2.0
    });
    gui::type_into_row(&w, "Memory", "lots");
    assert!(w.memory.has_css_class("error") && !w.next.is_sensitive());
    gui::type_into_row(&w, "Memory", "100 TiB");
    assert!(w.message.label().contains("host"), "{}", w.message.label());
    gui::type_into_row(&w, "Memory", "1 GiB");
    assert!(w.next.is_sensitive());
    gui::save_light_and_dark(&w, "newvm-03-resources");
    gui::click(&w.next);
    assert_eq!(visible_step(&w), "storage");
    gui::type_into_row(&w, "Size", "8 GiB");
    gui::save_light_and_dark(&w, "newvm-04-storage");
    gui::click(&w.next);
    assert_eq!(visible_step(&w), "finish");

    // The name: suggested from the OS, refused when taken.
    assert_eq!(w.name.text(), "debian11");
    gui::type_into_row(&w, "Name", "test");
    assert!(
        w.name.has_css_class("error"),
        "the test driver's own machine"
    );
    assert!(!w.create.is_sensitive());
    gui::type_into_row(&w, "Name", "debian11");
    assert!(w.summary.label().contains("1 GiB"), "{}", w.summary.label());
    // Besides virtual networks, the host's NIC (the test driver's eth1) for a card
    // directly on the LAN.
    let offered: Vec<String> = {
        let m = w.network.model().expect("the network choices");
        (0..m.n_items())
            .filter_map(|i| m.item(i).and_downcast::<gtk::StringObject>())
            .map(|s| s.string().to_string())
            .collect()
    };
    assert!(offered.iter().any(|o| o == "default"), "{offered:?}");
    assert!(
        offered.iter().any(|o| o.starts_with("Macvtap on eth1")),
        "{offered:?}"
    );
    assert!(offered.iter().any(|o| o == "No network"), "{offered:?}");
    gui::save_light_and_dark(&w, "newvm-05-finish");
    gui::click(&w.create);
    wait_for("the machine listed", 20, || {
        conn.find_vm("debian11").is_some()
    });
    wait_for("the wizard closed", 10, || !w.is_visible());
    let vm = conn.find_vm("debian11").unwrap();
    wait_for("it runs", 10, || vm.domain_state().is_active());
    let xml = glib_block_xml(&conn, &vm.uuid());
    assert!(xml.contains("debian.org/debian/11"), "{xml}");
    assert!(xml.contains("debian11.qcow2"), "its new disk: {xml}");
    wait_for("the machine shown", 10, || {
        win.selected_vms()
            .iter()
            .any(|(_, v)| v.name() == "debian11")
    });
    settle(200);
    save_png(&win, "newvm-06-made");
    conn.backend().shutdown();
    win.destroy();
}

fn glib_block_xml(conn: &Connection, uuid: &str) -> String {
    gtk::glib::MainContext::default()
        .block_on(conn.backend().domain_xml(uuid.to_string(), true))
        .expect("the XML")
}

#[gtk::test]
fn the_command_line_opens_the_wizard_filled_in() {
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    gui::clean_desktop();
    let app = app();
    // As `hangar --connect test:///default --new-vm --iso … --os fedora37` does.
    let iso = "/var/lib/libvirt/images/Fedora-37.iso";
    let w = gui::opened_by::<NewVmWizard>("the wizard", || {
        app.handle_command_line(&[
            "--connect".into(),
            "test:///default".into(),
            "--new-vm".into(),
            "--iso".into(),
            iso.into(),
            "--os".into(),
            "fedora37".into(),
        ])
        .expect("the command line parses");
    });
    assert_eq!(w.media_path.text(), iso);
    wait_for("the OS chosen", 20, || {
        w.detected.label().contains("Fedora Linux 37")
    });
    save_png(&w, "newvm-09-command-line");
    w.close();
    // An OS libosinfo does not know is said where the person looks.
    let w = gui::opened_by::<NewVmWizard>("the wizard again", || {
        app.handle_command_line(&[
            "--connect".into(),
            "test:///default".into(),
            "--new-vm".into(),
            "--os".into(),
            "plan9".into(),
        ])
        .expect("the command line parses");
    });
    wait_for("the refusal", 20, || w.message.label().contains("plan9"));
    w.close();
}

#[gtk::test]
fn customize_first_then_begin_the_installation() {
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    gui::clean_desktop();
    let app = app();
    let settings = hangar::settings::settings();
    let store = gio::ListStore::new::<Connection>();
    let win = Window::new(&app, &settings, &store);
    win.set_default_size(1100, 760);
    win.present();
    let conn = Connection::new("test:///default", false, false);
    win.watch_connection(&conn);
    store.append(&conn);
    conn.connect_now();
    wait_for("the connection", 30, || {
        conn.loaded() && conn.networks_loaded()
    });
    let dir = crate::common::TempDir::new("begin");
    let iso = dir.path().join("disc.iso");
    std::fs::write(&iso, vec![0u8; 4096]).unwrap();
    let w = gui::opened_by::<NewVmWizard>("the wizard", || {
        gui::click(&gui::button_labelled(&win, "New Virtual Machine"))
    });
    w.prefill(Some(iso.to_str().unwrap()), Some("fedora37"));
    wait_for("the OS chosen", 20, || {
        w.detected.label().contains("Fedora")
    });
    // Source, OS, resources, storage: to the finish.
    for _ in 0..4 {
        gui::click(&w.next);
        settle(50);
    }
    assert_eq!(w.stack.visible_child_name().as_deref(), Some("finish"));
    gui::type_into_row(&w, "Name", "custom");
    w.customize.set_active(true);
    gui::click(&w.create);
    wait_for("the machine listed", 20, || {
        conn.find_vm("custom").is_some()
    });
    let vm = conn.find_vm("custom").unwrap();
    assert!(
        !vm.domain_state().is_active(),
        "not started: to be customized first"
    );
    wait_for("its Hardware tab", 10, || {
        win.vm_page().visible_page().as_deref() == Some("hardware")
    });
    let bar = gui::descendants::<hangar::ui::create::begin_bar::BeginInstallBar>(&win)
        .into_iter()
        .next()
        .expect("the Begin Installation bar");
    wait_for("Begin Installation offered", 10, || bar.is_offered());
    // The page's cross-fade from the empty state ends first.
    settle(600);
    save_png(&win, "newvm-11-customize");
    gui::click(&bar.button());
    wait_for("it runs", 10, || vm.domain_state().is_active());
    wait_for("the bar gone", 10, || !bar.is_offered());
    let xml = glib_block_xml(&conn, &vm.uuid());
    assert!(
        !xml.contains("hangar:install") && !xml.contains("xmlns/install"),
        "{xml}"
    );
    assert!(
        !xml.contains(iso.to_str().unwrap()),
        "the drive is empty from now on"
    );
    conn.backend().shutdown();
    win.destroy();
}
