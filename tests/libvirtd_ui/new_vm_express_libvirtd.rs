//! Express installation on a real libvirtd, driven through the wizard: a disc with
//! Debian 11's identifiers and its installer's files gets its preseed appended to the
//! installer's initrd and a direct kernel boot; a disc with Windows 10's identifiers
//! gets its autounattend.xml on a disc of its own. Both are customized first and then
//! discarded from the Begin Installation bar, which leaves no volume behind.

use std::path::{Path, PathBuf};
use std::process::Command;

use adw::prelude::*;
use hangar::backend::create::inject::{appended_at, cpio_files, read_from_iso};
use hangar::ui::create::begin_bar::BeginInstallBar;
use hangar::ui::create::NewVmWizard;

use crate::common::TempDir;
use crate::daemon::{test_uri, unique_name, virsh_ok};
use crate::gui::{self, save_png, settle, wait_for};

/// A bootable ISO labelled `volume` holding `files`, in a folder QEMU can reach.
fn disc(dir: &Path, volume: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let root = dir.join("root");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("boot.img"), vec![0u8; 2048]).unwrap();
    for (name, bytes) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let out = dir.join("install.iso");
    let res = Command::new("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-r", "-J", "-V", volume])
        .args(["-b", "boot.img", "-no-emul-boot", "-boot-load-size", "4"])
        .arg("-o")
        .arg(&out)
        .arg(&root)
        .output()
        .expect("xorriso (build-aux/install-deps.sh --test installs it)");
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    out
}

/// The visible step's name.
fn step(w: &NewVmWizard) -> String {
    w.stack.visible_child_name().unwrap_or_default().to_string()
}

/// The wizard from the header's "+", with `iso` detected as `os`; then memory and a
/// disk, to the express step.
fn to_express(app: &gui::AppWindow, iso: &Path, os: &str) -> NewVmWizard {
    let conn = app.conn();
    wait_for("the host facts", 30, || {
        conn.host_info().is_some() && conn.networks_loaded()
    });
    let w = gui::opened_by::<NewVmWizard>("the wizard", || {
        gui::click(&gui::button_labelled(&app.win, "New Virtual Machine"))
    });
    gui::type_into_row(&w, "Disc image", iso.to_str().unwrap());
    gui::click(&w.next);
    wait_for("libosinfo's answer", 30, || w.detected.label().contains(os));
    // The OS's recommendation and its install scripts arrive.
    settle(500);
    gui::click(&w.next);
    gui::type_into_row(&w, "Memory", "256 MiB");
    gui::click(&w.next);
    assert_eq!(step(&w), "storage");
    gui::type_into_row(&w, "Size", "1 GiB");
    gui::click(&w.next);
    assert_eq!(step(&w), "express", "{os} installs by itself");
    assert!(w.express.switch.is_active(), "on unless switched off");
    w
}

/// Name it, no network, customize first, create: the machine waits, defined.
fn create_customized(app: &gui::AppWindow, w: &NewVmWizard, name: &str) -> hangar::model::Vm {
    gui::click(&w.next);
    assert_eq!(step(w), "finish");
    gui::type_into_row(w, "Name", name);
    gui::pick_in_row(w, "Network", "No network");
    w.customize.set_active(true);
    gui::click(&w.create);
    let conn = app.conn();
    wait_for("the machine listed", 60, || conn.find_vm(name).is_some());
    conn.find_vm(name).unwrap()
}

/// Discard from the bar, confirmed: the machine and every volume made for it go.
fn discard(app: &gui::AppWindow, name: &str, volumes: &[String]) {
    let uri = test_uri();
    let shown = || {
        gui::descendants::<BeginInstallBar>(&app.win)
            .into_iter()
            .find(|b| b.is_mapped() && b.is_offered())
    };
    wait_for("the Begin Installation bar", 20, || shown().is_some());
    let bar = shown().unwrap();
    // The page's cross-fade from the empty state ends first.
    settle(600);
    let dialog = gui::opened_by::<adw::MessageDialog>("the confirmation", || {
        gui::click(&gui::button_labelled(&bar, "Discard…"))
    });
    let body = dialog.body().to_string();
    for v in volumes {
        assert!(body.contains(v.as_str()), "names {v}: {body}");
    }
    dialog.response("discard");
    wait_for("the machine gone", 30, || {
        app.conn().find_vm(name).is_none()
    });
    let left = virsh_ok(&uri, &["list", "--all", "--name"]);
    assert!(!left.lines().any(|l| l.trim() == name), "{left}");
    for v in volumes {
        wait_for("its volumes deleted", 10, || !Path::new(v).exists());
    }
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn debian_installs_by_itself_from_a_preseed_in_its_initrd() {
    let _ = adw::init();
    hangar::init_resources();
    let uri = test_uri();
    let dir = TempDir::new("express-debian");
    let initrd: &[u8] = b"\x1f\x8b the installer's own initrd";
    let iso = disc(
        dir.path(),
        "Debian 11.5.0 amd64 n",
        &[
            ("install.amd/vmlinuz", b"kernel bytes"),
            ("install.amd/initrd.gz", initrd),
        ],
    );
    let name = unique_name("express-deb");
    let _g = crate::daemon::DomainGuard::new(&uri, &name);
    let app = gui::AppWindow::open(&format!("hangar-express-{}", std::process::id()), &uri);
    let w = to_express(&app, &iso, "Debian 11");
    // Debian's installer needs a password, and a user name it accepts: refused where
    // typed.
    gui::type_into_row(&w, "User name", "Alice Liddell");
    assert!(w.express.user.has_css_class("error") && !w.next.is_sensitive());
    gui::type_into_row(&w, "User name", "alice");
    assert!(
        w.express.password.has_css_class("error"),
        "{}",
        w.message.label()
    );
    assert!(
        w.message.label().contains("password"),
        "{}",
        w.message.label()
    );
    gui::type_into_row(&w, "Password (also the administrator’s)", "s3cret");
    gui::type_into_row(&w, "Host name", "wonder_land");
    assert!(w.express.hostname.has_css_class("error"));
    gui::type_into_row(&w, "Host name", "wonderland");
    gui::type_into_row(&w, "Time zone", "Europe/Zurich");
    assert!(w.next.is_sensitive(), "{}", w.message.label());
    assert!(
        w.express.note.label().contains("initrd"),
        "{}",
        w.express.note.label()
    );
    gui::save_light_and_dark(&w, "newvm-14-express-debian");
    let vm = create_customized(&app, &w, &name);
    let xml = virsh_ok(&uri, &["dumpxml", "--inactive", &name]);
    let images = "/var/lib/libvirt/images";
    let kernel = format!("{images}/{name}-vmlinuz");
    let initrd_vol = format!("{images}/{name}-initrd.img");
    assert!(xml.contains(&format!("<kernel>{kernel}</kernel>")), "{xml}");
    assert!(
        xml.contains(&format!("<initrd>{initrd_vol}</initrd>")),
        "{xml}"
    );
    assert!(xml.contains("<cmdline>"), "the script's arguments: {xml}");
    assert!(
        xml.contains(iso.to_str().unwrap()),
        "the disc stays in: {xml}"
    );
    // The disc's own kernel; its initrd with the preseed after it.
    assert_eq!(std::fs::read(&kernel).unwrap(), b"kernel bytes");
    let joined = std::fs::read(&initrd_vol).unwrap();
    assert_eq!(&joined[..initrd.len()], initrd);
    let files = cpio_files(&joined[appended_at(initrd.len())..]).expect("a cpio archive");
    let (file, text) = &files[0];
    assert_eq!(file, "preseed.cfg");
    let text = String::from_utf8_lossy(text);
    assert!(
        text.contains("alice") && text.contains("wonderland"),
        "{text}"
    );
    assert!(text.contains("Europe/Zurich"), "{text}");
    assert!(
        !vm.domain_state().is_active(),
        "customized first: not started"
    );
    settle(600);
    save_png(&app.win, "newvm-15-express-waiting");
    discard(
        &app,
        &name,
        &[format!("{images}/{name}.qcow2"), kernel, initrd_vol],
    );
    app.conn().backend().shutdown();
    app.win.destroy();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn windows_setup_finds_its_answers_on_a_disc_of_their_own() {
    let _ = adw::init();
    hangar::init_resources();
    let uri = test_uri();
    let dir = TempDir::new("express-windows");
    // Windows 10 Enterprise's volume id; libosinfo also reads the publisher, set
    // below as the real disc has it.
    let iso = disc(
        dir.path(),
        "CENA_X64FREV_EN-US_DV5",
        &[("setup.exe", b"MZ")],
    );
    set_publisher(
        &iso,
        "MICROSOFT CORPORATION",
        "CDIMAGE 2.56 (01/01/2005 TM)",
    );
    let name = unique_name("express-win");
    let _g = crate::daemon::DomainGuard::new(&uri, &name);
    let app = gui::AppWindow::open(&format!("hangar-express-w-{}", std::process::id()), &uri);
    let w = to_express(&app, &iso, "Windows 10");
    // Setup needs a product key in its format.
    assert!(w.express.product_key.is_mapped(), "asked for");
    gui::type_into_row(&w, "User name", "alice");
    gui::type_into_row(&w, "Password (also the administrator’s)", "s3cret");
    assert!(w.express.product_key.has_css_class("error") && !w.next.is_sensitive());
    let key_row = w.express.product_key.title().to_string().replace('_', "");
    gui::type_into_row(&w, &key_row, "NPPR9-FWDCX-D2C8J-H872K");
    assert!(
        w.express.product_key.has_css_class("error"),
        "one group short"
    );
    gui::type_into_row(&w, &key_row, "NPPR9-FWDCX-D2C8J-H872K-2YT43");
    assert!(w.next.is_sensitive(), "{}", w.message.label());
    assert!(
        w.express.note.label().contains("disc"),
        "{}",
        w.express.note.label()
    );
    gui::save_light_and_dark(&w, "newvm-16-express-windows");
    let _vm = create_customized(&app, &w, &name);
    let xml = virsh_ok(&uri, &["dumpxml", "--inactive", &name]);
    let script_disc = format!("/var/lib/libvirt/images/{name}-install-script.iso");
    assert!(xml.contains(&script_disc), "{xml}");
    assert!(xml.contains("ua-hangar-install-script"), "{xml}");
    assert!(!xml.contains("<kernel>"), "Setup boots from its own disc");
    let answers = read_from_iso(
        Path::new(&script_disc),
        "autounattend.xml",
        &dir.path().join("x"),
    )
    .expect("autounattend.xml on the script's disc");
    let text = String::from_utf8_lossy(&answers);
    assert!(text.contains("alice"), "{text}");
    assert!(text.contains("NPPR9-FWDCX-D2C8J-H872K-2YT43"), "{text}");
    // The host name is the machine's (at most 15 characters for Windows).
    let host: String = name.chars().take(15).collect::<String>();
    assert!(text.contains(host.trim_end_matches('-')), "{text}");
    discard(
        &app,
        &name,
        &[format!("/var/lib/libvirt/images/{name}.qcow2"), script_disc],
    );
    app.conn().backend().shutdown();
    app.win.destroy();
}

/// Write the publisher and application ids into the primary volume descriptor as a
/// real Windows disc has them (xorriso upper-cases what it writes; these are already).
fn set_publisher(iso: &Path, publisher: &str, application: &str) {
    use std::io::{Seek, SeekFrom, Write};
    const PVD: u64 = 16 * 2048;
    let mut f = std::fs::OpenOptions::new().write(true).open(iso).unwrap();
    for (offset, value) in [(318u64, publisher), (574, application)] {
        let mut field = value.as_bytes().to_vec();
        field.resize(128, b' ');
        f.seek(SeekFrom::Start(PVD + offset)).unwrap();
        f.write_all(&field).unwrap();
    }
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn windows_11_gets_uefi_secure_boot_and_a_tpm_and_starts_on_them() {
    let _ = adw::init();
    hangar::init_resources();
    let uri = test_uri();
    let dir = TempDir::new("win11");
    let iso = disc(
        dir.path(),
        "CCCOMA_X64FRE_EN-US_DV9",
        &[("setup.exe", b"MZ")],
    );
    set_publisher(
        &iso,
        "MICROSOFT CORPORATION",
        "CDIMAGE 2.56 (01/01/2005 TM)",
    );
    let name = unique_name("win11");
    let _g = crate::daemon::DomainGuard::new(&uri, &name);
    let app = gui::AppWindow::open(&format!("hangar-win11-{}", std::process::id()), &uri);
    let conn = app.conn();
    wait_for("the host facts", 30, || {
        conn.host_info().is_some() && conn.networks_loaded()
    });
    // The disc is a volume of the default pool, chosen in the volume browser.
    let images = Path::new("/var/lib/libvirt/images");
    if !virsh_ok(&uri, &["pool-list", "--all", "--name"])
        .lines()
        .any(|l| l.trim() == "default")
    {
        std::fs::create_dir_all(images).unwrap();
        virsh_ok(
            &uri,
            &[
                "pool-define-as",
                "default",
                "dir",
                "--target",
                images.to_str().unwrap(),
            ],
        );
        virsh_ok(&uri, &["pool-start", "default"]);
    }
    let vol = images.join(format!("{name}.iso"));
    std::fs::copy(&iso, &vol).unwrap();
    virsh_ok(&uri, &["pool-refresh", "default"]);
    let w = gui::opened_by::<NewVmWizard>("the wizard", || {
        gui::click(&gui::button_labelled(&app.win, "New Virtual Machine"))
    });
    let browser = gui::opened_by::<hangar::ui::components::volumes::VolumeBrowser>(
        "the volume browser",
        || {
            gui::click(&gui::button_labelled(
                &w,
                "Choose a volume of a storage pool",
            ))
        },
    );
    let row = {
        let mut found = None;
        wait_for("the disc's volume listed", 20, || {
            found = browser
                .volume_rows()
                .into_iter()
                .find(|r| r.title() == format!("{name}.iso"));
            found.is_some()
        });
        found.unwrap()
    };
    gtk::prelude::WidgetExt::activate(&row);
    wait_for("the volume chosen", 10, || {
        w.media_path.text() == vol.to_str().unwrap()
    });
    gui::click(&w.next);
    wait_for("libosinfo's answer", 30, || {
        w.detected.label().contains("Windows 11")
    });
    settle(500);
    gui::click(&w.next);
    // Windows 11's minimum, which the wizard keeps.
    let memory = hangar::backend::units::parse_size(&w.memory.text()).unwrap();
    assert!(memory >= 4 << 30, "{}", w.memory.text());
    gui::click(&w.next);
    gui::type_into_row(&w, "Size", "1 GiB");
    gui::click(&w.next);
    // No install script for Windows 11 in this osinfo-db: no express step.
    assert_eq!(step(&w), "finish");
    let _vm = {
        gui::type_into_row(&w, "Name", &name);
        gui::pick_in_row(&w, "Network", "No network");
        w.customize.set_active(true);
        gui::click(&w.create);
        wait_for("the machine listed", 60, || conn.find_vm(&name).is_some());
        conn.find_vm(&name).unwrap()
    };
    let xml = virsh_ok(&uri, &["dumpxml", "--inactive", &name]);
    assert!(xml.contains("firmware='efi'"), "{xml}");
    assert!(
        xml.contains("<feature enabled='yes' name='secure-boot'/>"),
        "{xml}"
    );
    assert!(xml.contains("<smm state='on'/>"), "{xml}");
    assert!(
        xml.contains("<backend type='emulator' version='2.0'"),
        "an emulated TPM 2.0: {xml}"
    );
    let f = dir.path().join("win11.xml");
    std::fs::write(&f, &xml).unwrap();
    let v = Command::new("virt-xml-validate")
        .arg(&f)
        .arg("domain")
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    // Begin Installation: OVMF and swtpm (both installed by install-deps) start it.
    let bar = {
        let shown = || {
            gui::descendants::<BeginInstallBar>(&app.win)
                .into_iter()
                .find(|b| b.is_mapped() && b.is_offered())
        };
        wait_for("the Begin Installation bar", 20, || shown().is_some());
        shown().unwrap()
    };
    settle(600);
    gui::click(&bar.button());
    wait_for("it runs", 60, || {
        virsh_ok(&uri, &["domstate", &name]).trim() == "running"
    });
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    let ps = String::from_utf8_lossy(&ps.stdout);
    assert!(
        ps.lines().any(|l| l.contains("swtpm") && l.contains(&name)),
        "its TPM runs"
    );
    let live = virsh_ok(&uri, &["dumpxml", &name]);
    assert!(live.contains("OVMF"), "OVMF's firmware chosen: {live}");
    let _ = crate::daemon::virsh(&uri, &["destroy", &name]);
    let _ = crate::daemon::virsh(
        &uri,
        &[
            "vol-delete",
            &format!("/var/lib/libvirt/images/{name}.qcow2"),
        ],
    );
    let _ = crate::daemon::virsh(&uri, &["undefine", "--nvram", "--tpm", &name]);
    let _ = crate::daemon::virsh(&uri, &["vol-delete", vol.to_str().unwrap()]);
    conn.backend().shutdown();
    app.win.destroy();
}
