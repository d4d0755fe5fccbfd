//! The Hardware and XML pages under Xvfb: the real window on the libvirt test driver,
//! each device editor of a rich domain, bad input keeping Apply off, the Add Hardware
//! dialog and the XML page with its diff. Screenshots go to `$HANGAR_SCREENSHOT_DIR`
//! (default `target/screenshots`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::{gio, glib};

use hangar::backend::domain::hardware::HostDevice;
use hangar::backend::domain_xml::{DeviceKind, DomainXml, NewDevice, Section, ValidationContext};
use hangar::model::{Connection, Vm};
use hangar::ui::vm::hardware::add::AddHardwareDialog;
use hangar::ui::vm::hardware::HardwarePage;
use hangar::ui::vm::xml::XmlPage;
use hangar::ui::Window;

use crate::gui;
use gui::{app, button, descendants, find, label_texts, save_png, settle, wait_for};

fn init() {
    // Tests in this file run one at a time on one thread (#[gtk::test]).
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    gui::clean_desktop();
}

struct Fixture {
    win: Window,
    store: gio::ListStore,
}

fn open() -> Fixture {
    init();
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
    wait_for("the connection to load", 30, || conn.loaded());
    Fixture { win, store }
}

impl Fixture {
    fn conn(&self) -> Connection {
        self.store
            .item(0)
            .and_downcast::<Connection>()
            .expect("a connection")
    }
    fn vm(&self, name: &str) -> Vm {
        self.conn().find_vm(name).expect("the VM")
    }
    fn hardware(&self) -> HardwarePage {
        find::<HardwarePage>(&self.win).expect("the Hardware page")
    }
    fn xml(&self) -> XmlPage {
        find::<XmlPage>(&self.win).expect("the XML page")
    }
    fn show_vm(&self, name: &str) {
        let vm = self.vm(name);
        assert!(self.win.select_item(vm.upcast_ref()));
        wait_for("the VM page", 10, || {
            self.win.vm_page().vm().as_ref() == Some(&vm)
        });
    }
    fn close(self) {
        for c in self.store.iter::<Connection>().flatten() {
            c.backend().shutdown();
        }
        self.win.destroy();
        settle(50);
    }
}

fn rich() -> DomainXml {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/domain-rich.xml");
    DomainXml::parse(&std::fs::read_to_string(p).expect("fixture")).expect("parses")
}

fn ctx() -> ValidationContext {
    ValidationContext {
        host_memory_kib: Some(16 << 20),
        max_vcpus: Some(64),
        local: false,
    }
}

fn entry_row(page: &HardwarePage, id: &str) -> adw::EntryRow {
    page.form()
        .and_then(|f| f.row_widget(id))
        .and_downcast::<adw::EntryRow>()
        .unwrap_or_else(|| panic!("no entry row {id}"))
}

#[gtk::test]
fn hardware_page_edits_and_applies_on_the_test_driver() {
    let f = open();
    f.show_vm("test");
    f.win.vm_page().show_page("hardware");
    let hw = f.hardware();
    wait_for("the device list", 30, || hw.list_names().len() > 4);
    let names: Vec<String> = hw.list_names().into_iter().map(|(_, n)| n).collect();
    assert_eq!(names[0], "Overview");
    assert!(names.iter().any(|n| n.starts_with("Disk 1")), "{names:?}");
    save_png(&f.win, "details-hardware-test-domain");

    // Edit the title in the Overview and apply: libvirt (test driver) gets it.
    hw.select(Section::General);
    assert!(!hw.apply_button().is_sensitive(), "nothing to apply yet");
    let title = entry_row(&hw, "title");
    title.set_text("Edited by Hangar");
    // Ctrl+S applies, from the field just typed in, as the button would.
    let win_title = format!("hangar-hardware-{}", std::process::id());
    f.win.set_title(Some(&win_title));
    settle(100);
    gui::raise(&win_title);
    title.grab_focus();
    gui::xdotool(&["key", "ctrl+s"]);
    // "test" runs: the definition changes now, the running machine after shutdown.
    let start = Instant::now();
    while !hw
        .status_text()
        .contains("after the virtual machine shuts down")
    {
        settle(20);
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no result; status: {}",
            hw.status_text()
        );
    }
    save_png(&f.win, "details-hardware-applied");
    wait_for("the page to reload", 30, || {
        !hw.is_dirty() && !hw.apply_button().is_sensitive()
    });
    // The XML page reloaded too.
    wait_for("the XML page", 30, || {
        f.xml().text().contains("Edited by Hangar")
    });

    // Add a device through the dialog, then remove it (confirmed).
    let count = hw.list_names().len();
    let dialog = open_add_hardware(&hw);
    dialog.choose(NewDevice::Rng);
    settle(50);
    gui::click(&dialog.add);
    wait_for("the new device in the list", 30, || {
        hw.list_names().len() == count + 1
            && hw
                .list_names()
                .iter()
                .any(|(_, n)| n.starts_with("Random Number Generator"))
    });
    drop(dialog);
    let (rng, _) = hw
        .list_names()
        .into_iter()
        .find(|(_, n)| n.starts_with("Random Number Generator"))
        .unwrap();
    hw.select(rng);
    let ask = hw.confirm_remove().expect("the confirmation");
    assert!(
        ask.body().contains("leaves the virtual machine"),
        "{}",
        ask.body()
    );
    ask.response("remove");
    drop(ask);
    wait_for("the device to go", 30, || hw.list_names().len() == count);
    // A disk's confirmation says its file is kept.
    let (disk, _) = hw
        .list_names()
        .into_iter()
        .find(|(_, n)| n.starts_with("Disk"))
        .unwrap();
    hw.select(disk);
    let ask = hw.confirm_remove().expect("the confirmation");
    assert!(ask.body().contains("file is kept"), "{}", ask.body());
    save_png(&ask, "details-remove-disk");
    ask.response("cancel");
    drop(ask);
    settle(50);
    f.close();
}

#[gtk::test]
fn each_device_editor_with_screenshots_and_bad_input_keeps_apply_off() {
    let f = open();
    f.show_vm("test");
    f.win.vm_page().show_page("hardware");
    let hw = f.hardware();
    wait_for("the device list", 30, || hw.list_names().len() > 4);
    // The rich fixture, without libvirt: every kind of device.
    hw.load(rich(), ctx());
    let sections = hw.list_names();
    assert!(sections.len() > 25, "{sections:?}");
    for (i, (s, name)) in sections.iter().enumerate() {
        hw.select(*s);
        settle(30);
        let form = hw.form().expect("an editor");
        assert_eq!(form.section(), *s);
        let slug: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let slug = slug
            .split('-')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        save_png(&f.win, &format!("details-editor-{i:02}-{slug}"));
    }
    // Bad input: a malformed MAC, memory that is not a number, beyond the host.
    let nic = sections
        .iter()
        .find(|(_, n)| n.starts_with("Network"))
        .expect("a NIC")
        .0;
    hw.select(nic);
    entry_row(&hw, "mac").set_text("52:54:00:zz:00:01");
    settle(50);
    assert!(
        !hw.apply_button().is_sensitive(),
        "a bad MAC keeps Apply off"
    );
    assert!(entry_row(&hw, "mac").has_css_class("error"));
    save_png(&f.win, "details-bad-mac");
    entry_row(&hw, "mac").set_text("52:54:00:aa:00:01");
    assert!(
        hw.apply_button().is_sensitive(),
        "a good MAC turns Apply on"
    );
    assert!(!entry_row(&hw, "mac").has_css_class("error"));
    hw.revert();
    assert!(!hw.apply_button().is_sensitive());
    hw.select(Section::Memory);
    entry_row(&hw, "memory").set_text("lots");
    assert!(!hw.apply_button().is_sensitive(), "not a number");
    entry_row(&hw, "memory").set_text("1024");
    entry_row(&hw, "max_memory").set_text("999999");
    assert!(
        !hw.apply_button().is_sensitive(),
        "beyond the host's memory"
    );
    save_png(&f.win, "details-bad-memory");
    hw.revert();
    hw.select(Section::Cpu);
    entry_row(&hw, "vcpus").set_text("9");
    assert!(
        !hw.apply_button().is_sensitive(),
        "more vCPUs than the maximum"
    );
    hw.revert();
    let disk = sections
        .iter()
        .find(|(_, n)| n.starts_with("Disk"))
        .unwrap()
        .0;
    hw.select(disk);
    entry_row(&hw, "target").set_text("sda");
    assert!(!hw.apply_button().is_sensitive(), "duplicate target");
    hw.revert();

    // A CD-ROM's medium is ejected with one click; Apply then changes it.
    let cd = sections
        .iter()
        .find(|(_, n)| n.starts_with("CD-ROM"))
        .unwrap()
        .0;
    hw.select(cd);
    let editor = hw.form().unwrap().group.parent().expect("the editor box");
    let mut child = editor.first_child();
    let mut eject = None;
    while let Some(w) = child {
        child = w.next_sibling();
        if let Ok(b) = w.downcast::<gtk::Button>() {
            if b.label().is_some_and(|l| l.contains("Eject")) {
                eject = Some(b);
            }
        }
    }
    let eject = eject.expect("an Eject button");
    eject.emit_clicked();
    settle(50);
    assert!(
        hw.list_names().iter().any(|(_, n)| n == "CD-ROM 1 — empty"),
        "{:?}",
        hw.list_names()
    );
    assert!(
        hw.apply_button().is_sensitive(),
        "an ejected medium can be applied"
    );
    save_png(&f.win, "details-cdrom-ejected");
    hw.revert();

    // Leaving with unapplied changes asks.
    hw.select(Section::General);
    entry_row(&hw, "title").set_text("Not applied");
    assert!(hw.is_dirty());
    hw.set_vm(None);
    settle(100);
    let ask = gtk::Window::list_toplevels()
        .into_iter()
        .filter_map(|w| w.downcast::<adw::MessageDialog>().ok())
        .find(|d| d.heading().is_some_and(|h| h.contains("Apply the changes")))
        .expect("a question about the unapplied changes");
    assert!(ask.has_response("apply") && ask.has_response("discard"));
    save_png(&ask, "details-leave-asks");
    ask.response("discard");
    drop(ask);
    settle(50);
    f.close();
}

/// Click the Hardware page's Add Hardware button; the dialog, found among the
/// toplevels.
fn open_add_hardware(hw: &HardwarePage) -> AddHardwareDialog {
    gui::opened_by::<AddHardwareDialog>("the Add Hardware dialog", || {
        gui::click(&gui::button_labelled(hw, "Add Hardware"))
    })
}

#[gtk::test]
fn add_hardware_dialog_offers_fitting_defaults() {
    let f = open();
    f.show_vm("test");
    f.win.vm_page().show_page("hardware");
    let hw = f.hardware();
    wait_for("the device list", 30, || hw.list_names().len() > 4);
    // The rich fixture, without libvirt; a local connection's checks.
    let local = ValidationContext {
        local: true,
        ..ctx()
    };
    hw.load(rich(), local);
    settle(100);
    let dialog = open_add_hardware(&hw);
    settle(100);
    for kind in [
        NewDevice::Disk,
        NewDevice::Interface,
        NewDevice::Graphics,
        NewDevice::VncGraphics,
        NewDevice::Video,
        NewDevice::SpiceChannel,
        NewDevice::Serial,
        NewDevice::Redirdev,
        NewDevice::Rng,
        NewDevice::Tpm,
        NewDevice::Filesystem,
    ] {
        dialog.choose(kind);
        settle(30);
        let form = dialog.form().expect("a form");
        save_png(&dialog, &format!("details-add-{kind:?}").to_lowercase());
        if kind == NewDevice::Disk {
            // No path yet: Add stays off; the next free target is filled in.
            assert!(!dialog.add.is_sensitive());
            let target = form
                .row_widget("target")
                .and_downcast::<adw::EntryRow>()
                .unwrap();
            assert_eq!(target.text(), "vdb");
            let source = form
                .row_widget("source")
                .and_downcast::<adw::EntryRow>()
                .unwrap();
            source.set_text("/nonexistent/disk.qcow2");
            assert!(!dialog.add.is_sensitive(), "a path that does not exist");
            source.set_text(env!("CARGO_MANIFEST_DIR"));
            assert!(dialog.add.is_sensitive());
        }
    }
    // Host devices to pass through: chosen from the host's, which fills in the IDs.
    dialog.choose(NewDevice::UsbHost);
    dialog.set_host_devices(vec![HostDevice {
        kind: "usb".into(),
        label: "Logitech, Inc. Unifying Receiver (046d:c52b)".into(),
        ids: vec!["0x046d".into(), "0xc52b".into()],
    }]);
    let picker = find::<adw::ComboRow>(&dialog).expect("the host device picker");
    picker.set_selected(0);
    settle(30);
    let vendor = dialog
        .form()
        .and_then(|f| f.row_widget("vendor"))
        .and_downcast::<adw::EntryRow>()
        .expect("vendor row");
    assert_eq!(vendor.text(), "0x046d");
    save_png(&dialog, "details-add-usbhost");
    // The rich domain has a TPM already: a second is not offered.
    let tpm = NewDevice::ALL
        .iter()
        .position(|k| *k == NewDevice::Tpm)
        .unwrap();
    assert!(!dialog.list.row_at_index(tpm as i32).unwrap().is_sensitive());
    gui::click(&gui::button_labelled(&dialog, "Cancel"));
    drop(dialog);
    wait_for("the dialog to close", 10, || {
        gui::toplevel::<AddHardwareDialog>().is_none()
    });
    f.close();
}

#[gtk::test]
fn xml_page_checks_as_typed_and_shows_a_diff() {
    let f = open();
    f.show_vm("test");
    f.win.vm_page().show_page("xml");
    let xml = f.xml();
    wait_for("the XML", 30, || xml.text().contains("<domain"));
    save_png(&f.win, "details-xml-test-domain");
    let original = xml.text();
    assert!(!xml.apply_button().is_sensitive());
    xml.set_text(&original.replace("</domain>", "</domai>"));
    settle(30);
    assert!(
        !xml.apply_button().is_sensitive(),
        "XML that does not parse"
    );
    assert!(
        xml.error_text().contains("does not parse"),
        "{}",
        xml.error_text()
    );
    save_png(&f.win, "details-xml-parse-error");
    let edited = original.replace("<memory unit='KiB'>", "<memory unit='KiB'>1");
    xml.set_text(&edited);
    assert!(xml.error_text().is_empty());
    assert!(xml.apply_button().is_sensitive());
    let diff = xml.diff_text();
    assert!(diff.contains("- ") && diff.contains("+ "), "{diff}");
    assert_eq!(diff.lines().count(), 2, "{diff}");
    let dialog = xml.show_diff().expect("the diff dialog");
    settle(200);
    save_png(&dialog, "details-xml-diff");
    dialog.close();
    // Let go of it while its parent window lives.
    drop(dialog);
    // A refusal shows under the editor: another UUID.
    let other = original.replacen("<uuid>", "<uuid>0", 1);
    xml.set_text(&other);
    xml.apply();
    wait_for("libvirt's refusal", 30, || !xml.error_text().is_empty());
    save_png(&f.win, "details-xml-refused");
    f.close();
}

#[gtk::test]
fn show_domain_editor_on_the_command_line_opens_the_hardware_tab() {
    init();
    let app = app();
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // As `hangar -c test:///default --show-domain-editor test` does, through the
    // application's command-line handler.
    app.handle_command_line(&args(&[
        "-c",
        "test:///default",
        "--show-domain-editor",
        "test",
    ]))
    .expect("the command line parses");
    let win = app.main_window();
    win.set_default_size(1100, 760);
    wait_for("the VM page of “test”", 30, || {
        win.vm_page().vm().is_some_and(|v| v.name() == "test")
    });
    assert_eq!(win.vm_page().visible_page().as_deref(), Some("hardware"));
    let hw = find::<HardwarePage>(&win).expect("the Hardware page");
    wait_for("the device list", 30, || hw.list_names().len() > 4);
    assert!(hw.is_mapped(), "the Hardware tab is what shows");
    settle(100);
    save_png(&win, "details-show-domain-editor");

    // By UUID too (the connection is loaded by now: a second invocation).
    let uuid = win.vm_page().vm().expect("a VM").uuid();
    win.vm_page().show_page("overview");
    app.handle_command_line(&args(&[
        "-c",
        "test:///default",
        "--show-domain-editor",
        &uuid,
    ]))
    .expect("parses");
    wait_for("the Hardware tab again", 10, || {
        win.vm_page().visible_page().as_deref() == Some("hardware")
    });

    // A name that is not there: a message in the window, no crash, the page as it was.
    app.handle_command_line(&args(&[
        "-c",
        "test:///default",
        "--show-domain-editor",
        "no-such-vm",
    ]))
    .expect("parses");
    wait_for("the message about the missing VM", 10, || {
        label_texts(&win, false)
            .iter()
            .any(|l| l.contains("No virtual machine “no-such-vm”"))
    });
    assert!(win.vm_page().vm().is_some_and(|v| v.name() == "test"));
    // A command line that does not parse is refused with a message.
    let err = app
        .handle_command_line(&args(&["--show-domain-editor"]))
        .expect_err("a missing value is refused");
    assert!(err.contains("show-domain-editor"), "{err}");
    for c in app.connections().iter::<Connection>().flatten() {
        c.backend().shutdown();
    }
}

#[gtk::test]
fn pci_host_device_source_is_chosen_from_the_hosts_devices() {
    let f = open();
    f.show_vm("test");
    f.win.vm_page().show_page("hardware");
    let hw = f.hardware();
    wait_for("the device list", 30, || hw.list_names().len() > 4);
    let base = rich();
    hw.load(base.clone(), ctx());
    hw.set_host_devices(vec![
        HostDevice {
            kind: "pci".into(),
            label: "Red Hat, Inc. Virtio GPU (0000:06:00.0)".into(),
            ids: vec!["0x0000".into(), "0x06".into(), "0x00".into(), "0x0".into()],
        },
        HostDevice {
            kind: "pci".into(),
            label: "Intel Corporation 82574L Gigabit Network Connection (0000:07:01.2)".into(),
            ids: vec!["0x0000".into(), "0x07".into(), "0x01".into(), "0x2".into()],
        },
        HostDevice {
            kind: "usb".into(),
            label: "Logitech, Inc. Unifying Receiver (046d:c52b)".into(),
            ids: vec!["0x046d".into(), "0xc52b".into()],
        },
    ]);
    let (pci, _) = hw
        .list_names()
        .into_iter()
        .find(|(_, n)| n.starts_with("PCI"))
        .expect("the PCI host device is listed");
    hw.select(pci);
    settle(50);
    let combo = find::<adw::ComboRow>(&hw).expect("the host device picker");
    assert_eq!(combo.selected(), 0, "the device in use is the one chosen");
    // Another of the host's devices: only the address changes.
    combo.set_selected(1);
    settle(100);
    assert_eq!(entry_row(&hw, "address").text(), "0000:07:01.2");
    assert!(hw.is_dirty());
    // The managed flag and the ROM bar are switches.
    let switches: Vec<gtk::Switch> = {
        let mut out = Vec::new();
        let mut stack = vec![hw.clone().upcast::<gtk::Widget>()];
        while let Some(w) = stack.pop() {
            if let Ok(s) = w.clone().downcast::<gtk::Switch>() {
                out.push(s);
            }
            let mut c = w.first_child();
            while let Some(ch) = c {
                c = ch.next_sibling();
                stack.push(ch);
            }
        }
        out
    };
    assert_eq!(switches.len(), 2, "managed and ROM bar");
    assert!(switches.iter().all(|s| s.is_active()), "both on by default");
    // A typed address that is not one keeps Apply off.
    entry_row(&hw, "address").set_text("0000:07:01");
    settle(30);
    assert!(
        !hw.apply_button().is_sensitive(),
        "a malformed address blocks Apply"
    );
    entry_row(&hw, "address").set_text("0000:07:01.2");
    settle(30);
    assert!(hw.apply_button().is_sensitive());
    save_png(&f.win, "details-editor-pci-host-device");
    f.close();
}

/// The open window titled `title`.
fn toplevel(title: &str) -> Option<adw::Window> {
    gtk::Window::list_toplevels()
        .into_iter()
        .filter_map(|w| w.downcast::<adw::Window>().ok())
        .find(|w| w.is_visible() && w.title().as_deref() == Some(title))
}

#[gtk::test]
fn disk_source_from_a_pool_volume_or_a_new_volume() {
    init();
    let app = app();
    let settings = hangar::settings::settings();
    let store = gio::ListStore::new::<Connection>();
    let win = Window::new(&app, &settings, &store);
    win.set_default_size(1100, 760);
    win.present();
    // The demo: the test driver on a node file whose pool has volumes.
    let conn = Connection::new(hangar::backend::conn::uri::DEMO_URI, false, false);
    win.watch_connection(&conn);
    store.append(&conn);
    conn.connect_now();
    wait_for("the demo to load", 30, || conn.loaded());
    let vm = conn.find_vm("web-frontend").expect("the demo VM");
    assert!(win.select_item(vm.upcast_ref()));
    win.vm_page().show_page("hardware");
    let hw = find::<HardwarePage>(&win).expect("the Hardware page");
    wait_for("the device list", 30, || hw.list_names().len() > 4);
    let (disk, _) = hw
        .list_names()
        .into_iter()
        .find(|(_, n)| n.starts_with("Disk 1"))
        .expect("a disk");
    hw.select(disk);
    settle(50);

    // Browse: pool → volume with size and format.
    button(&hw, "_Browse Volumes…")
        .expect("a Browse button under the disk")
        .emit_clicked();
    let mut browser = None;
    wait_for("the volumes", 30, || {
        browser = toplevel("Choose a Volume");
        browser.as_ref().is_some_and(|b| {
            descendants::<adw::ActionRow>(b)
                .iter()
                .any(|r| r.is_activatable())
        })
    });
    let browser = browser.expect("the volume browser");
    let rows = descendants::<adw::ActionRow>(&browser);
    let data = rows
        .iter()
        .find(|r| r.title() == "db-primary-data.qcow2")
        .expect("the demo pool's volumes are listed");
    assert_eq!(
        data.subtitle().as_deref(),
        Some("120 GiB · qcow2 · /var/lib/libvirt/images/db-primary-data.qcow2")
    );
    settle(100);
    save_png(&browser, "details-disk-browse-volumes");
    adw::prelude::ActionRowExt::activate(data);
    settle(100);
    assert!(!browser.is_visible(), "choosing closes the browser");
    assert_eq!(
        entry_row(&hw, "source").text(),
        "/var/lib/libvirt/images/db-primary-data.qcow2"
    );
    assert!(hw.is_dirty());
    hw.revert();
    settle(50);

    // Add Hardware → Disk → New Volume…: the size is checked against the free space.
    let dialog = open_add_hardware(&hw);
    dialog.choose(NewDevice::Disk);
    settle(50);
    let nv = gui::opened_by::<hangar::ui::components::volumes::NewVolumeDialog>(
        "the New Volume dialog",
        || gui::click(&gui::button_labelled(&dialog, "New Volume…")),
    );
    let entries: Vec<adw::EntryRow> = {
        let mut out = Vec::new();
        let mut stack = vec![nv.clone().upcast::<gtk::Widget>()];
        while let Some(w) = stack.pop() {
            if let Some(e) = w.downcast_ref::<adw::EntryRow>() {
                out.push(e.clone());
            }
            let mut c = w.last_child();
            while let Some(ch) = c {
                c = ch.prev_sibling();
                stack.push(ch);
            }
        }
        out
    };
    let (name, size) = (&entries[0], &entries[1]);
    assert_eq!(name.text(), "web-frontend-vdb.qcow2", "a name that fits");
    let create = gui::button_labelled(&nv, "Create");
    wait_for("the pools", 30, || create.is_sensitive());
    size.set_text("900 TiB");
    settle(30);
    assert!(
        !create.is_sensitive(),
        "more than the pool has is refused as typed"
    );
    assert!(size.has_css_class("error"));
    settle(100);
    save_png(&nv, "details-disk-new-volume-too-big");
    size.set_text("2 GiB");
    settle(30);
    gui::click(&create);
    wait_for("the volume made", 30, || !nv.is_visible());
    let form = dialog.form().expect("the disk form");
    let source = form
        .row_widget("source")
        .and_downcast::<adw::EntryRow>()
        .expect("a source row")
        .text();
    assert_eq!(source, "/var/lib/libvirt/images/web-frontend-vdb.qcow2");
    dialog.close();
    conn.backend().shutdown();
    win.destroy();
    settle(50);
}

/// The widget of the shown editor named `name` (`field:…`).
fn named(hw: &HardwarePage, name: &str) -> gtk::Widget {
    gui::descendants::<gtk::Widget>(hw)
        .into_iter()
        .find(|w| w.is_mapped() && w.widget_name() == name)
        .unwrap_or_else(|| panic!("no widget {name} on screen"))
}

fn focus_of(f: &Fixture) -> Option<gtk::Widget> {
    gtk::prelude::RootExt::focus(&f.win)
}

/// What has the keyboard focus is `w` or inside it.
fn has_focus_in(f: &Fixture, w: &gtk::Widget) -> bool {
    focus_of(f).is_some_and(|x| x == *w || x.is_ancestor(w))
}

#[gtk::test]
fn boot_order_boot_menu_and_the_pages_manners() {
    let f = open();
    let title = format!("hangar-hw-manners-{}", std::process::id());
    f.win.set_title(Some(&title));
    f.show_vm("test");
    f.win.vm_page().show_page("hardware");
    let hw = f.hardware();
    wait_for("the device list", 30, || hw.list_names().len() > 2);
    let uuid = f.vm("test").uuid();
    let xml = || {
        glib::MainContext::default()
            .block_on(f.conn().backend().domain_xml(uuid.clone(), true))
            .expect("the definition")
    };
    let doc = DomainXml::parse(&xml()).expect("parses");
    let disk = doc
        .devices()
        .iter()
        .find(|d| d.kind == DeviceKind::Disk)
        .unwrap()
        .index;
    let nic = doc
        .devices()
        .iter()
        .find(|d| d.kind == DeviceKind::Interface)
        .unwrap()
        .index;

    hw.select(Section::Boot);
    settle(100);
    // BIOS: secure boot says why it cannot be had, on screen.
    assert!(
        label_texts(&hw, true)
            .iter()
            .any(|l| l == "Only with UEFI firmware"),
        "the reason secure boot is off"
    );
    // The boot order lists the machine's devices: the disk (from <boot dev='hd'>)
    // on, the network card off. Switch the card on and move it first.
    let check = named(&hw, &format!("field:boot_order:{nic}:on"))
        .downcast::<gtk::CheckButton>()
        .expect("a check button");
    assert!(!check.is_active());
    check.set_active(true);
    wait_for("the boot order rebuilt", 5, || {
        gui::descendants::<gtk::Button>(&hw)
            .iter()
            .any(|b| b.widget_name() == format!("field:boot_order:{nic}:up") && b.is_sensitive())
    });
    let up = named(&hw, &format!("field:boot_order:{nic}:up"))
        .downcast::<gtk::Button>()
        .expect("a button");
    up.grab_focus();
    gui::click(&up);
    drop(up);
    settle(300);
    // First now: its Boot Earlier is off, and the keyboard stays on that device.
    let now = named(&hw, &format!("field:boot_order:{nic}:on"));
    assert!(
        has_focus_in(&f, &now),
        "focus after moving a device: {:?}",
        focus_of(&f).map(|w| w.widget_name())
    );
    assert!(!named(&hw, &format!("field:boot_order:{nic}:up")).is_sensitive());
    // Edits waiting: the status says so, Add and Remove say why they are off, and
    // a Remove that cannot be clicked is not red.
    assert_eq!(hw.status_text(), "Changes not applied yet");
    assert!(label_texts(&hw, true)
        .iter()
        .any(|l| l == "Apply or revert the changes first"));
    let remove = gui::button_labelled(&hw, "Remove");
    assert!(!remove.is_sensitive() && !remove.has_css_class("destructive-action"));

    // The boot menu: on with a timeout, off and on again; the timeout stays.
    gui::flip(&gui::switch_of_row(&hw, "Boot Menu"));
    gui::type_into_row(&hw, "Boot Menu Timeout (seconds)", "5");
    gui::flip(&gui::switch_of_row(&hw, "Boot Menu"));
    gui::flip(&gui::switch_of_row(&hw, "Boot Menu"));
    save_png(&f.win, "details-boot-order");
    gui::click(&hw.apply_button());
    wait_for("the definition with the new boot order", 30, || {
        let d = DomainXml::parse(&xml()).expect("parses");
        let on: Vec<usize> = d
            .boot_entries()
            .iter()
            .filter(|e| e.enabled)
            .map(|e| e.index)
            .collect();
        on == [nic, disk]
    });
    let after = xml();
    assert!(
        after.contains("<bootmenu enable='yes' timeout='5000'/>"),
        "{after}"
    );
    assert!(!after.contains("<boot dev="), "{after}");
    wait_for("the page to reload", 30, || !hw.is_dirty());
    let said = hw.status_text();
    assert!(said.starts_with("Changes saved"), "{said}");
    // A new edit: the status no longer says saved.
    hw.select(Section::General);
    entry_row(&hw, "title").set_text("Booting from the network");
    assert_eq!(hw.status_text(), "Changes not applied yet");
    // The description is several lines, in a text view.
    let desc = gui::field(&hw, "Description");
    assert!(desc.is::<gtk::TextView>(), "{}", desc.type_().name());
    gui::click(&gui::button_labelled(&hw, "Revert"));
    settle(100);

    // A choice that changes the form's shape keeps the keyboard where it was.
    let (disk_section, _) = hw
        .list_names()
        .into_iter()
        .find(|(_, n)| n.starts_with("Disk 1"))
        .expect("the disk");
    hw.select(disk_section);
    settle(100);
    let bus = named(&hw, "field:bus");
    bus.grab_focus();
    gui::pick_in_row(&hw, "Bus", "sata");
    settle(300);
    let bus = named(&hw, "field:bus");
    assert!(
        has_focus_in(&f, &bus),
        "focus after picking a bus: {:?}",
        focus_of(&f).map(|w| w.widget_name())
    );
    // And the disk follows its bus: a SATA name, no stale PCI address.
    assert_eq!(entry_row(&hw, "target").text(), "sda");
    let tree = gui::accessible_tree(&title);
    let doubled = gui::doubled_names(&tree);
    assert!(
        doubled.is_empty(),
        "said twice to a screen reader: {doubled:?}"
    );
    let unnamed = gui::unnamed_controls(&tree);
    assert!(unnamed.is_empty(), "controls without a name: {unnamed:?}");
    gui::click(&gui::button_labelled(&hw, "Revert"));
    f.close();
}
