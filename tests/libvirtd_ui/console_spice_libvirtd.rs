//! The console over SPICE against real guests (QEMU under TCG, SeaBIOS's boot menu
//! prompt on a QXL card), the same widget and checks as the VNC tests beside it.

use std::process::Command;
use std::time::{Duration, Instant};

use adw::prelude::*;

use hangar::backend::console::Protocol;
use hangar::ui::console::{ConsolePage, ConsoleState};

use crate::console_libvirtd::{
    guest_xml, keyring_home, mean_diff, type_password, virsh, virsh_screenshot, wait_match,
    Fixture, Guest,
};
use crate::gui;
use gui::{save_png, settle, wait_for};

const SPICE: &str = "<graphics type='spice' autoport='yes' listen='127.0.0.1'/>\
                     <video><model type='qxl'/></video>";

/// Wait until the console shows the guest; its error page, if it comes instead, fails
/// the test with what it says and `context` (an sshd's log).
fn wait_connected(page: &ConsolePage, what: &str, secs: u64, context: &dyn Fn() -> String) {
    wait_for(what, secs, || {
        assert_ne!(
            page.state(),
            ConsoleState::Error,
            "{} {}",
            page.error_text(),
            context()
        );
        page.state() == ConsoleState::Connected
    });
}

/// The button labelled (or with the tooltip) `label` that is on screen: the switch
/// between displays is both in the toolbar and on the error page.
fn shown_button(page: &hangar::ui::console::ConsolePage, label: &str) -> gtk::Button {
    gui::descendants::<gtk::Button>(page)
        .into_iter()
        .find(|b| {
            b.is_mapped()
                && (b.label().is_some_and(|l| l == label)
                    || b.tooltip_text().is_some_and(|t| t == label))
        })
        .unwrap_or_else(|| panic!("no button “{label}” on screen"))
}

/// Press `key` on the test window through X11, so it takes GTK's key path.
fn xdotool_key(title: &str, key: &str) {
    let ids = Command::new("xdotool")
        .args(["search", "--name", title])
        .output()
        .expect("xdotool runs (build-aux/install-deps.sh --test installs it)");
    let id = String::from_utf8_lossy(&ids.stdout)
        .lines()
        .next()
        .map(str::to_string)
        .expect("xdotool finds the test window");
    let st = Command::new("xdotool")
        .args(["windowfocus", "--sync", &id])
        .status()
        .expect("xdotool windowfocus");
    assert!(st.success());
    settle(200);
    let st = Command::new("xdotool")
        .args(["key", key])
        .status()
        .expect("xdotool key");
    assert!(st.success());
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn spice_shows_seabios_takes_keys_and_reconnects() {
    let title = "hangar-console-test-spice";
    let guest = Guest::define("spice", |n| guest_xml(n, "", "", SPICE));
    let f = Fixture::open(title);
    f.show(&guest.0, "console");
    let page = f.console();
    assert_eq!(page.state(), ConsoleState::NotRunning);
    virsh(&["start", &guest.0]).expect("guest starts");
    wait_for("the console to connect", 60, || {
        page.state() == ConsoleState::Connected
    });
    assert_eq!(page.protocol(), Some(Protocol::Spice));
    assert!(page.display().is_spice(), "the display speaks SPICE");
    // SeaBIOS's "Press ESC for boot menu." screen: the widget's pixels are QEMU's.
    let before = wait_match(&page, &guest.0, 40, "spice-boot-prompt");
    let (frames, rects) = page.display().counters();
    assert!(frames >= 1 && rects >= 1, "frames {frames}, rects {rects}");
    save_png(&page, "spice-console-connected");

    // Escape through X11 and GTK's key path, our keymap, the inputs channel.
    page.display().grab_focus();
    settle(100);
    xdotool_key(title, "Escape");
    let start = Instant::now();
    loop {
        settle(300);
        let (_, _, now) = virsh_screenshot(&guest.0, "spice-menu-probe");
        if mean_diff(&now, &before) > 0.5 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the boot menu did not open after Escape"
        );
    }
    let after = wait_match(&page, &guest.0, 20, "spice-boot-menu");
    assert!(mean_diff(&after, &before) > 0.5);
    save_png(&page, "spice-console-boot-menu");

    // The screenshot action's file is the guest screen (the shared path).
    let png = gui::screenshot_dir().join("spice-console-guest-screen.png");
    page.save_screenshot(&png).expect("screenshot saved");
    assert!(png.exists());

    // Destroyed and started again: the console follows by itself.
    virsh(&["destroy", &guest.0]).expect("guest destroyed");
    wait_for("the not-running page", 30, || {
        page.state() == ConsoleState::NotRunning
    });
    assert!(!page.display().is_open(), "the SPICE session is closed");
    save_png(&page, "spice-console-after-destroy");
    virsh(&["start", &guest.0]).expect("guest starts again");
    wait_for("the console to reconnect by itself", 60, || {
        page.state() == ConsoleState::Connected
    });
    wait_match(&page, &guest.0, 40, "spice-second-boot");
    save_png(&page, "spice-console-reconnected");
    f.close();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn spice_password_is_asked_and_checked() {
    crate::console_libvirtd::init();
    keyring_home(); // the console looks for a remembered password first
    let guest = Guest::define("spicepw", |n| {
        guest_xml(
            n,
            "",
            "",
            "<graphics type='spice' autoport='yes' listen='127.0.0.1' passwd='hangarpw'/>\
             <video><model type='qxl'/></video>",
        )
    });
    virsh(&["start", &guest.0]).expect("guest starts");
    let f = Fixture::open("hangar-console-test-spicepw");
    let page = f.console();
    // Over TCP, as for a remote hypervisor: the SPICE server asks for the password.
    page.set_prefer_fd(false);
    f.show(&guest.0, "console");
    wait_for("the password prompt", 60, || {
        page.state() == ConsoleState::Password
    });
    save_png(&page, "spice-console-password");
    type_password(&page, "wrong-password", false);
    wait_for("the refusal", 30, || !page.password_error().is_empty());
    wait_for("the prompt again", 30, || {
        page.state() == ConsoleState::Password
    });
    assert!(
        page.password_error()
            .starts_with("The password was not accepted"),
        "says the password was wrong: {}",
        page.password_error()
    );
    save_png(&page, "spice-console-password-wrong");
    type_password(&page, "hangarpw", false);
    wait_for("the console to connect", 30, || {
        page.state() == ConsoleState::Connected
    });
    assert_eq!(page.protocol(), Some(Protocol::Spice));
    wait_match(&page, &guest.0, 40, "spice-after-password");
    f.close();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_guest_with_spice_and_vnc_shows_spice_and_switches() {
    let guest = Guest::define("both", |n| {
        guest_xml(
            n,
            "",
            "",
            &format!("{SPICE}<graphics type='vnc' listen='127.0.0.1'/>"),
        )
    });
    virsh(&["start", &guest.0]).expect("guest starts");
    let f = Fixture::open("hangar-console-test-both");
    f.show(&guest.0, "console");
    let page = f.console();
    wait_for("the console to connect", 60, || {
        page.state() == ConsoleState::Connected
    });
    assert_eq!(page.protocol(), Some(Protocol::Spice), "SPICE is preferred");
    wait_match(&page, &guest.0, 40, "both-spice");
    save_png(&page, "spice-console-both-spice");
    // The toolbar offers the other display, as a person switches.
    gui::click(&shown_button(&page, "Show the VNC Display"));
    wait_for("the VNC display", 60, || {
        page.protocol() == Some(Protocol::Vnc) && page.state() == ConsoleState::Connected
    });
    assert!(!page.display().is_spice());
    wait_match(&page, &guest.0, 40, "both-vnc");
    save_png(&page, "spice-console-both-vnc");
    gui::click(&shown_button(&page, "Show the SPICE Display"));
    wait_for("the SPICE display again", 60, || {
        page.protocol() == Some(Protocol::Spice) && page.state() == ConsoleState::Connected
    });
    wait_match(&page, &guest.0, 40, "both-spice-again");
    f.close();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn spice_offers_usb_redirection_and_mute() {
    let guest = Guest::define("spiceusb", |n| {
        guest_xml(
            n,
            "",
            "<redirdev bus='usb' type='spicevmc'/><sound model='ich6'/>",
            SPICE,
        )
    });
    virsh(&["start", &guest.0]).expect("guest starts");
    let f = Fixture::open("hangar-console-test-spiceusb");
    f.show(&guest.0, "console");
    let page = f.console();
    wait_for("the console to connect", 60, || {
        page.state() == ConsoleState::Connected
    });
    // The guest has a USB redirection channel: the toolbar lists this computer's USB
    // devices (none in the test namespace) in its menu.
    wait_for("the USB menu", 20, || page.usb_menu_texts().is_some());
    let usb = gui::descendants::<gtk::MenuButton>(&page)
        .into_iter()
        .find(|b| b.tooltip_text().as_deref() == Some("USB Devices"))
        .expect("the USB Devices button");
    assert!(usb.is_mapped(), "the USB Devices button is on screen");
    usb.popup();
    settle(200);
    let texts = page.usb_menu_texts().expect("the USB menu");
    assert_eq!(
        texts.first().map(String::as_str),
        Some("Redirect to the Guest")
    );
    let has_usb_bus = std::path::Path::new("/dev/bus/usb").exists();
    if !has_usb_bus {
        assert_eq!(
            texts.get(1).map(String::as_str),
            Some("No USB devices on this computer."),
            "{texts:?}"
        );
    }
    save_png(&f.win, "spice-console-usb-button");
    let popover = usb.popover().expect("the USB menu's popover");
    assert!(popover.is_visible(), "the USB menu opened");
    save_png(&popover, "spice-console-usb-menu");
    popover.popdown();
    // Files dropped on the display go to the guest's agent; SeaBIOS has none, and
    // the toolbar says so. (GTK cannot synthesize a drop: this is what the drop
    // target calls.)
    let file = gtk::gio::File::for_path(env!("CARGO_MANIFEST_DIR")).child("README.md");
    page.display().copy_files_to_guest(vec![file]);
    wait_for("a word about the files", 10, || {
        page.status_text().is_some()
    });
    let said = page.status_text().unwrap_or_default();
    assert!(said.contains("agent"), "says the agent is needed: {said}");
    save_png(&page, "spice-console-drop-without-agent");
    // Its sound card plays through SPICE: the toolbar mutes it.
    wait_for("the mute button", 20, || page.offers_mute());
    let mute = gui::descendants::<gtk::ToggleButton>(&page)
        .into_iter()
        .find(|b| b.tooltip_text().as_deref() == Some("Mute the Guest"))
        .expect("the mute button");
    mute.emit_clicked();
    settle(100);
    assert!(page.display().audio_muted(), "the guest is muted");
    mute.emit_clicked();
    settle(100);
    assert!(!page.display().audio_muted());
    f.close();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_spice_display_without_a_port_is_reached_through_libvirt_only() {
    // `listen type='none'`: QEMU's SPICE server has no socket of its own; only
    // libvirt's virDomainOpenGraphicsFD reaches it. The guest has VNC as well.
    let guest = Guest::define("spicenone", |n| {
        guest_xml(
            n,
            "",
            "",
            "<graphics type='spice'><listen type='none'/></graphics>\
             <graphics type='vnc' listen='127.0.0.1'/>\
             <video><model type='qxl'/></video>",
        )
    });
    virsh(&["start", &guest.0]).expect("guest starts");
    let f = Fixture::open("hangar-console-test-spicenone");
    let page = f.console();
    // As a remote console would: over TCP there is no way to the SPICE display.
    page.set_prefer_fd(false);
    f.show(&guest.0, "console");
    wait_for("the error page", 60, || page.state() == ConsoleState::Error);
    assert!(
        page.error_text().contains("cannot reach"),
        "says why: {}",
        page.error_text()
    );
    save_png(&page, "spice-console-unreachable");
    // The error page offers the guest's other display.
    gui::click(&shown_button(&page, "Show the VNC Display"));
    wait_for("the VNC display", 60, || {
        page.protocol() == Some(Protocol::Vnc) && page.state() == ConsoleState::Connected
    });
    wait_match(&page, &guest.0, 40, "spice-none-vnc");
    // Through libvirt's sockets (one per SPICE channel) the SPICE display shows.
    page.set_prefer_fd(true);
    gui::click(&shown_button(&page, "Show the SPICE Display"));
    wait_for("the SPICE display", 60, || {
        page.protocol() == Some(Protocol::Spice) && page.state() == ConsoleState::Connected
    });
    wait_match(&page, &guest.0, 40, "spice-listen-none");
    f.close();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn spice_over_an_ssh_tunnel_per_channel() {
    let sshd = crate::console_libvirtd::Sshd::start();
    let guest = Guest::define("spicessh", |n| guest_xml(n, "", "", SPICE));
    virsh(&["start", &guest.0]).expect("guest starts");
    let f = Fixture::open_uri("hangar-console-test-spicessh", &sshd.uri());
    f.show(&guest.0, "console");
    let page = f.console();
    wait_connected(&page, "the console over SSH", 90, &|| {
        format!("(sshd: {})", sshd.log())
    });
    assert_eq!(page.protocol(), Some(Protocol::Spice));
    assert!(page.display().is_tunnelled(), "through SSH tunnels");
    wait_match(&page, &guest.0, 60, "spice-ssh");
    save_png(&f.win, "spice-console-ssh");
    // libvirt's connection, and a tunnel for each channel: main, display, inputs,
    // cursor (and sound, which libvirt gives every SPICE guest).
    let logins = sshd.log().matches("Accepted publickey").count();
    assert!(logins >= 5, "{logins} logins: {}", sshd.log());
    f.close();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn spice_grabs_the_pointer_of_a_guest_without_a_tablet() {
    // SPICE's server mouse mode (QEMU's PS/2 mouse): a click grabs, Ctrl+Alt lets go.
    let guest = Guest::define("spicemouse", |n| guest_xml(n, "", "", SPICE));
    virsh(&["start", &guest.0]).expect("guest starts");
    let title = "hangar-console-test-spicemouse";
    let f = Fixture::open(title);
    f.show(&guest.0, "console");
    let page = f.console();
    wait_for("the console to connect", 60, || {
        page.state() == ConsoleState::Connected
    });
    settle(500);
    crate::console_libvirtd::click_into(&page, title);
    wait_for("the pointer grab", 10, || page.display().pointer_grabbed());
    assert_eq!(
        page.grab_hint(),
        "Ctrl+Alt releases the pointer and keyboard"
    );
    save_png(&page, "spice-console-pointer-grabbed");
    gui::xdotool(&["key", "ctrl+alt"]);
    wait_for("the pointer to be let go", 10, || {
        !page.display().pointer_grabbed()
    });
    f.close();
}

/// A boot sector that turns the PC speaker on at 1 kHz (PIT channel 2, square wave;
/// port 0x61 bits 0 and 1) and halts: a guest that makes sound without an OS.
fn beep_sector() -> Vec<u8> {
    let code = [
        0xB0, 0xB6, 0xE6, 0x43, // mov al, 0xb6 ; out 0x43, al
        0xB8, 0xA9, 0x04, 0xE6, 0x42, // mov ax, 1193 ; out 0x42, al
        0x88, 0xE0, 0xE6, 0x42, // mov al, ah ; out 0x42, al
        0xE4, 0x61, 0x0C, 0x03, 0xE6, 0x61, // in al, 0x61 ; or al, 3 ; out 0x61, al
        0xF4, 0xEB, 0xFD, // hlt ; jmp hlt
    ];
    let mut img = code.to_vec();
    img.resize(510, 0);
    img.extend_from_slice(&[0x55, 0xAA]);
    img
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn spice_plays_the_guests_sound() {
    // The PC speaker through libvirt's SPICE audio reaches the playback channel, and
    // spice-client-glib's GStreamer backend plays it. (libvirt 9.0 would give
    // `<sound model='pcspk'/>` as -soundhw, which QEMU 7.2 no longer has: the speaker
    // is tied to the audio backend by hand.)
    let dir = std::env::temp_dir().join(format!("hangar-beep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let img = dir.join("beep.img");
    std::fs::write(&img, beep_sector()).expect("boot sector written");
    let path = img.to_str().expect("utf-8 path").to_string();
    let guest = Guest::define("spicebeep", |n| {
        format!(
            "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{n}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type><boot dev='fd'/></os>
  <devices>
    <disk type='file' device='floppy'>
      <driver name='qemu' type='raw'/>
      <source file='{path}'/>
      <target dev='fda' bus='fdc'/>
    </disk>
    <audio id='1' type='spice'/>
    {SPICE}
  </devices>
  <qemu:commandline>
    <qemu:arg value='-machine'/>
    <qemu:arg value='pcspk-audiodev=audio1'/>
  </qemu:commandline>
</domain>"
        )
    });
    virsh(&["start", &guest.0]).expect("guest starts");
    let f = Fixture::open("hangar-console-test-spicebeep");
    f.show(&guest.0, "console");
    let page = f.console();
    wait_for("the console to connect", 60, || {
        page.state() == ConsoleState::Connected
    });
    wait_for("the guest's sound to play", 30, || {
        page.display().audio_playing()
    });
    assert!(page.offers_mute(), "the toolbar offers to mute it");
    f.close();
    drop(guest);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The TCP connections of this network namespace to 127.0.0.1:`port`, seen from the
/// connecting side.
fn connections_to(port: u16) -> usize {
    let out = Command::new("ss")
        .args([
            "-Htn",
            "state",
            "established",
            "dst",
            &format!("127.0.0.1:{port}"),
        ])
        .output()
        .expect("ss runs (iproute2)");
    String::from_utf8_lossy(&out.stdout).lines().count()
}

/// The TLS port libvirt gave the running guest `name`, and whether it has a plain one.
fn spice_ports(name: &str) -> (u16, bool) {
    let xml = virsh(&["dumpxml", name]).expect("live XML");
    let attr = |key: &str| {
        let start = xml.find(&format!("{key}='"))? + key.len() + 2;
        let end = start + xml[start..].find('\'')?;
        xml[start..end].parse::<i32>().ok()
    };
    let tls = attr("tlsPort").unwrap_or_else(|| panic!("no tlsPort in {xml}"));
    (tls as u16, attr(" port").is_some_and(|p| p > 0))
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn spice_over_tls_shows_the_guest_and_checks_the_certificate() {
    // The test daemon has `spice_tls = 1` and a certificate for 127.0.0.1 signed by a
    // CA of the run's own (build-aux/run-tests.sh). `defaultMode='secure'`: every
    // channel must be encrypted, and QEMU listens on a TLS port only.
    let secure = |listen: &str| {
        format!(
            "<graphics type='spice' autoport='yes' listen='{listen}' defaultMode='secure'/>\
             <video><model type='qxl'/></video>"
        )
    };
    let guest = Guest::define("spicetls", |n| guest_xml(n, "", "", &secure("127.0.0.1")));
    virsh(&["start", &guest.0]).expect("guest starts");
    let (tls_port, plain) = spice_ports(&guest.0);
    assert!(!plain, "a TLS port only");
    let f = Fixture::open("hangar-console-test-spicetls");
    let page = f.console();
    // spice-client-glib never speaks TLS on a socket handed to it (libvirt's), so even
    // locally it connects to the TLS port itself, checking the certificate against the
    // CA named by the daemon's qemu.conf.
    f.show(&guest.0, "console");
    wait_connected(&page, "the console over TLS", 60, &String::new);
    assert_eq!(page.protocol(), Some(Protocol::Spice));
    wait_match(&page, &guest.0, 40, "spice-tls");
    let channels = connections_to(tls_port);
    assert!(
        channels >= 3,
        "{channels} TLS connections (main, display, inputs…)"
    );
    save_png(&page, "spice-console-tls");

    // A certificate that does not name the address: refused, and said so.
    let other = Guest::define("spicetlsname", |n| {
        guest_xml(n, "", "", &secure("127.0.0.2"))
    });
    virsh(&["start", &other.0]).expect("second guest starts");
    page.set_prefer_fd(true);
    f.show(&other.0, "console");
    wait_for("the error page", 60, || page.state() == ConsoleState::Error);
    // What the certificate was checked against: the CA the daemon's qemu.conf names,
    // and the address connected to.
    let said = page.error_text();
    assert!(
        said.contains("TLS")
            && said.contains("spice-pki/ca-cert.pem")
            && said.contains("127.0.0.2"),
        "says why: {said}"
    );
    save_png(&page, "spice-console-tls-refused");
    f.close();

    // Over SSH each channel gets a tunnel to the TLS port, and Hangar's TLS over it
    // (spice-client-glib speaks none on a socket handed to it). The certificate must
    // name the host of the URI; for this machine (127.0.0.1) the CA is its own SPICE
    // CA again.
    let sshd = crate::console_libvirtd::Sshd::start();
    let f = Fixture::open_uri("hangar-console-test-spicetlsssh", &sshd.uri());
    f.show(&guest.0, "console");
    let page = f.console();
    wait_connected(&page, "the console over SSH and TLS", 90, &|| {
        format!("(sshd: {})", sshd.log())
    });
    assert!(page.display().is_tunnelled(), "through SSH tunnels");
    wait_match(&page, &guest.0, 60, "spice-tls-ssh");
    // The tunnels' ends on the host: ssh -W connections to the TLS port.
    let channels = connections_to(tls_port);
    assert!(channels >= 3, "{channels} tunnelled TLS connections");
    save_png(&page, "spice-console-tls-ssh");

    // A plain port too, and two channels that must be encrypted: those first come
    // plain, are told to come back over TLS, and then get the bridge; the others stay
    // plain.
    let mixed = Guest::define("spicetlsmixed", |n| {
        guest_xml(
            n,
            "",
            "",
            "<graphics type='spice' autoport='yes' listen='127.0.0.1'>\
               <channel name='main' mode='secure'/><channel name='display' mode='secure'/>\
             </graphics><video><model type='qxl'/></video>",
        )
    });
    virsh(&["start", &mixed.0]).expect("third guest starts");
    let (tls_port, plain) = spice_ports(&mixed.0);
    assert!(plain, "a plain port as well");
    f.show(&mixed.0, "console");
    wait_connected(&page, "the mixed console over SSH", 90, &String::new);
    wait_match(&page, &mixed.0, 60, "spice-tls-mixed-ssh");
    let channels = connections_to(tls_port);
    assert_eq!(channels, 2, "main and display over TLS, the rest plain");
    f.close();
}
