//! The Hardware and XML pages in the real window against a real libvirtd with QEMU
//! (TCG): changes made outside Hangar (`virsh`) show up in the pages, unapplied edits
//! are kept and a reload is offered; current memory and vCPUs of a running guest
//! change at once. Screenshots go to `$HANGAR_SCREENSHOT_DIR`.
//!
//! Run through `build-aux/run-tests.sh`, which starts a private libvirtd and sets
//! `HANGAR_TEST_LIBVIRT_URI`. Without it these tests fail, never pass silently.

use adw::prelude::*;

use hangar::backend::domain_xml::{DomainXml, Section};
use hangar::ui::vm::hardware::HardwarePage;
use hangar::ui::vm::xml::XmlPage;

use crate::daemon;
use crate::gui;
use daemon::{test_uri, DomainGuard};
use gui::{find, save_png, settle, wait_for};

fn init() {
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    gui::clean_desktop();
}

fn virsh(args: &[&str]) -> Result<String, String> {
    daemon::virsh(&test_uri(), args)
}

fn dumpxml(name: &str, inactive: bool) -> DomainXml {
    daemon::dumpxml(&test_uri(), name, inactive)
}

/// A defined guest, destroyed and undefined on drop (also when the test fails).
struct Guest {
    name: String,
    _guard: DomainGuard,
}

impl Guest {
    fn define(tag: &str, memory: &str, vcpu: &str) -> Guest {
        let name = format!("hangar-test-hwui-{tag}-{}", std::process::id());
        let xml = format!(
            "<domain type='qemu'><name>{name}</name>{memory}{vcpu}\
             <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
             <devices><graphics type='vnc' listen='127.0.0.1'/></devices></domain>"
        );
        let guard = DomainGuard::define(&test_uri(), &name, &xml);
        Guest {
            name,
            _guard: guard,
        }
    }
}

struct Fixture(gui::AppWindow);

impl std::ops::Deref for Fixture {
    type Target = gui::AppWindow;
    fn deref(&self) -> &gui::AppWindow {
        &self.0
    }
}

impl Fixture {
    fn open(title: &str) -> Fixture {
        init();
        Fixture(gui::AppWindow::open(title, &test_uri()))
    }

    fn hardware(&self) -> HardwarePage {
        find::<HardwarePage>(&self.win).expect("the Hardware page")
    }

    fn xml(&self) -> XmlPage {
        find::<XmlPage>(&self.win).expect("the XML page")
    }

    fn close(self) {
        self.0.close();
    }
}

fn entry_text(page: &HardwarePage, id: &str) -> String {
    entry(page, id).text().to_string()
}

fn entry(page: &HardwarePage, id: &str) -> adw::EntryRow {
    page.form()
        .and_then(|f| f.row_widget(id))
        .and_downcast::<adw::EntryRow>()
        .unwrap_or_else(|| panic!("no entry row {id}"))
}

fn write_temp(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(name);
    std::fs::write(&path, text).expect("file written");
    path.to_string_lossy().into_owned()
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn pages_follow_changes_made_with_virsh() {
    let guest = Guest::define(
        "outside",
        "<memory unit='MiB'>64</memory>",
        "<vcpu>1</vcpu>",
    );
    let name = guest.name.clone();
    let f = Fixture::open("Hangar — changed outside");
    f.show(&name, "hardware");
    let hw = f.hardware();
    wait_for("the device list", 30, || hw.list_names().len() > 4);
    let before = hw.list_names().len();
    // A device selected before the change stays selected after it.
    let (graphics, _) = hw
        .list_names()
        .into_iter()
        .find(|(_, n)| n.contains("VNC"))
        .expect("the VNC display is listed");
    hw.select(graphics);
    let xml = f.xml();
    wait_for("the XML page", 30, || xml.text().contains(&name));

    // Another client adds a device to the definition: both pages show it, in place.
    let dev = write_temp(
        &format!("{name}-watchdog.xml"),
        "<watchdog model='i6300esb' action='poweroff'/>",
    );
    virsh(&["attach-device", &name, &dev, "--config"]).expect("virsh attach-device");
    wait_for("the new device in the Hardware list", 30, || {
        hw.list_names().len() == before + 1
    });
    let names: Vec<String> = hw.list_names().into_iter().map(|(_, n)| n).collect();
    assert!(
        names.iter().any(|n| n.contains("Watchdog")),
        "the watchdog is listed: {names:?}"
    );
    let selected = hw.form().map(|f| f.section());
    let still_graphics = hw
        .list_names()
        .into_iter()
        .find(|(s, _)| Some(*s) == selected)
        .is_some_and(|(_, n)| n.contains("VNC"));
    assert!(still_graphics, "the VNC display is still the one selected");
    assert!(!hw.outside_change_offered(), "no edits, nothing to offer");
    // The XML page looks again when it comes on screen.
    f.win.vm_page().show_page("xml");
    wait_for("the new device in the XML page", 30, || {
        xml.text().contains("i6300esb")
    });

    // With edits open, `virsh setmaxmem` does not take them away: the pages offer to
    // reload instead.
    xml.set_text(&xml.text().replace("<vcpu", "<!-- mine --><vcpu"));
    f.win.vm_page().show_page("hardware");
    hw.select(Section::Memory);
    assert_eq!(entry_text(&hw, "memory"), "64");
    hw.select(Section::General);
    entry(&hw, "title").set_text("Edited in Hangar");
    assert!(hw.is_dirty());
    virsh(&["setmaxmem", &name, "96M", "--config"]).expect("virsh setmaxmem");
    wait_for("the offer to reload (Hardware)", 30, || {
        hw.outside_change_offered()
    });
    settle(200);
    save_png(&f.win, "details-hardware-changed-outside");
    f.win.vm_page().show_page("xml");
    wait_for("the offer to reload (XML)", 30, || {
        xml.outside_change_offered()
    });
    assert!(hw.is_dirty(), "the edits are kept");
    assert_eq!(entry_text(&hw, "title"), "Edited in Hangar");
    assert!(
        xml.text().contains("<!-- mine -->"),
        "the XML edits are kept"
    );
    settle(200);
    save_png(&f.win, "details-xml-changed-outside");

    // Reload drops the edits and shows libvirt's definition.
    hw.take_outside_change();
    assert!(!hw.is_dirty());
    assert!(!hw.outside_change_offered());
    hw.select(Section::Memory);
    assert_eq!(entry_text(&hw, "max_memory"), "96");
    xml.take_outside_change();
    assert!(!xml.text().contains("<!-- mine -->"));
    assert!(xml.text().contains("98304"), "{}", xml.text());
    let _ = std::fs::remove_file(dev);
    f.close();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn current_memory_and_vcpus_change_on_the_running_guest() {
    let guest = Guest::define(
        "live",
        "<memory unit='MiB'>128</memory><currentMemory unit='MiB'>128</currentMemory>",
        "<vcpu placement='static' current='1'>2</vcpu>",
    );
    let name = guest.name.clone();
    virsh(&["start", &name]).expect("virsh start");
    let f = Fixture::open("Hangar — live memory and vCPUs");
    f.show(&name, "hardware");
    let hw = f.hardware();
    wait_for("the device list", 60, || hw.list_names().len() > 4);
    wait_for("the running state", 30, || {
        hw.status_text().contains("Running")
    });

    // Current memory: applied now, and saved.
    hw.select(Section::Memory);
    entry(&hw, "memory").set_text("96");
    settle(50);
    save_png(&f.win, "details-hardware-live-memory");
    assert!(hw.apply_button().is_sensitive());
    hw.apply();
    wait_for("the memory change", 60, || {
        hw.status_text().contains("applied now")
    });
    // libvirt took the new balloon target (a refusal would say "after shutdown");
    // the guest, with no OS and so no balloon driver, does not give memory back, so
    // the live XML keeps what the guest has until it does.
    eprintln!(
        "dommemstat after setting 96 MiB: {}",
        virsh(&["dommemstat", &name]).unwrap_or_else(|e| e)
    );
    let config = dumpxml(&name, true).memory();
    assert_eq!(config.current_kib, Some(96 * 1024), "config: {config:?}");
    assert_eq!(config.max_kib, 128 * 1024);

    // Current vCPUs: hot-plugged now.
    wait_for("the page to reload", 30, || !hw.is_dirty());
    hw.select(Section::Cpu);
    entry(&hw, "vcpus").set_text("2");
    hw.apply();
    wait_for("the vCPU change", 60, || {
        hw.status_text().contains("applied now")
            && virsh(&["vcpucount", &name, "--live", "--active"]).is_ok_and(|o| o.trim() == "2")
    });
    let config = virsh(&["vcpucount", &name, "--config", "--active"]).expect("vcpucount");
    assert_eq!(config.trim(), "2", "saved too");

    // More memory than the running machine's maximum: libvirt refuses the live
    // change; it is saved for after shutdown, with the reason, and is no failure.
    wait_for("the page to reload", 30, || !hw.is_dirty());
    hw.select(Section::Memory);
    entry(&hw, "max_memory").set_text("160");
    entry(&hw, "memory").set_text("160");
    hw.apply();
    wait_for("the refusal explained", 60, || {
        hw.status_text().contains("after shutdown")
    });
    eprintln!("status: {}", hw.status_text());
    assert!(
        hw.status_text().contains("could not take the change now"),
        "{}",
        hw.status_text()
    );
    let live = dumpxml(&name, false).memory();
    assert_eq!(
        live.max_kib,
        128 * 1024,
        "the running maximum is unchanged: {live:?}"
    );
    let config = dumpxml(&name, true).memory();
    assert_eq!(config.max_kib, 160 * 1024);
    assert_eq!(config.current_kib.unwrap_or(config.max_kib), 160 * 1024);
    f.close();
}
