//! New Virtual Machine on a real libvirtd: a disc image (made with xorriso, with the
//! identifiers of Debian 11's netinst disc) is detected by libosinfo, the machine is
//! made with a new disk in the default pool (created, as virt-install does) and boots
//! the disc under QEMU.

use std::path::PathBuf;
use std::process::Command;

use adw::prelude::*;
use hangar::ui::create::NewVmWizard;

use crate::common::TempDir;
use crate::daemon::{test_uri, unique_name, virsh, virsh_ok};
use crate::gui::{self, save_png, settle, wait_for};

/// A bootable ISO whose volume id is that of Debian 11.5's netinst disc.
fn debian_iso(dir: &std::path::Path) -> PathBuf {
    let root = dir.join("root");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("boot.img"), vec![0u8; 2048]).unwrap();
    let out = dir.join("debian-11.5.0-amd64-netinst.iso");
    let res = Command::new("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-V", "Debian 11.5.0 amd64 n"])
        .args([
            "-b",
            "boot.img",
            "-no-emul-boot",
            "-boot-load-size",
            "4",
            "-o",
        ])
        .arg(&out)
        .arg(&root)
        .output()
        .expect("xorriso (build-aux/install-deps.sh --test installs it)");
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    out
}

/// The express step, which these systems' installers offer: switched off, to the
/// finish.
fn install_by_hand(w: &NewVmWizard) {
    assert_eq!(w.stack.visible_child_name().as_deref(), Some("express"));
    gui::flip(&gui::switch_of_row(w, "Install automatically"));
    assert!(
        w.next.is_sensitive(),
        "no answers needed: {}",
        w.message.label()
    );
    gui::click(&w.next);
    assert_eq!(w.stack.visible_child_name().as_deref(), Some("finish"));
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_disc_is_detected_and_the_new_machine_boots_it() {
    let _ = adw::init();
    hangar::init_resources();
    let uri = test_uri();
    // QEMU reads the disc: a directory it can reach.
    let dir = TempDir::new("newvm-iso");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let iso = debian_iso(dir.path());
    let name = unique_name("newvm");
    let _g = crate::daemon::DomainGuard::new(&uri, &name);
    let had_default = virsh_ok(&uri, &["net-list", "--all", "--name"])
        .lines()
        .any(|l| l.trim() == "default");
    let app = gui::AppWindow::open(&format!("hangar-newvm-{}", std::process::id()), &uri);
    let conn = app.conn();
    wait_for("the host facts", 30, || {
        conn.host_info().is_some() && conn.networks_loaded()
    });
    let w = gui::opened_by::<NewVmWizard>("the wizard", || {
        gui::click(&gui::button_labelled(&app.win, "New Virtual Machine"))
    });
    // In a private folder QEMU cannot reach it: said before anything is made.
    let private = dir.path().join("private");
    std::fs::create_dir(&private).unwrap();
    let hidden = private.join("disc.iso");
    std::fs::copy(&iso, &hidden).unwrap();
    std::fs::set_permissions(
        &private,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    gui::type_into_row(&w, "Disc image", hidden.to_str().unwrap());
    assert!(
        w.message.label().contains(private.to_str().unwrap()) && !w.next.is_sensitive(),
        "{}",
        w.message.label()
    );
    save_png(&w, "newvm-10-private-folder");
    // Hangar lets QEMU's user in: passage through the folder, nothing more, and the
    // machine boots the disc from there.
    gui::click(&gui::button_labelled(&w, "Let QEMU Read It"));
    wait_for("the page checked again", 10, || w.next.is_sensitive());
    let acl = Command::new("getfacl")
        .args(["--numeric", "--omit-header"])
        .arg(&private)
        .output()
        .expect("getfacl (build-aux/install-deps.sh installs acl)");
    let acl = String::from_utf8_lossy(&acl.stdout).to_string();
    let uid = conn.host_info().unwrap().qemu_uid.expect("QEMU's user");
    assert!(acl.contains(&format!("user:{uid}:--x")), "{acl}");
    assert!(!w.grant.is_visible());
    let iso = hidden;
    gui::click(&w.next);
    wait_for("libosinfo's answer", 30, || {
        w.detected.label().contains("Debian 11")
    });
    assert!(
        w.detected.label().starts_with("Detected"),
        "{}",
        w.detected.label()
    );
    save_png(&w, "newvm-07-detected");
    gui::click(&w.next);
    // The OS's recommendation arrives; a small guest is enough here.
    settle(300);
    gui::type_into_row(&w, "Memory", "256 MiB");
    gui::click(&w.next);
    gui::type_into_row(&w, "Size", "1 GiB");
    gui::click(&w.next);
    install_by_hand(&w);
    gui::type_into_row(&w, "Name", &name);
    gui::click(&w.create);
    wait_for("the machine listed", 60, || conn.find_vm(&name).is_some());
    let vm = conn.find_vm(&name).unwrap();
    wait_for("it runs", 60, || vm.domain_state().is_active());
    let blk = virsh_ok(&uri, &["domblklist", &name]);
    assert!(blk.contains(iso.to_str().unwrap()), "the disc: {blk}");
    assert!(
        blk.contains(&format!("/var/lib/libvirt/images/{name}.qcow2")),
        "its new disk in the default pool: {blk}"
    );
    let pools = virsh_ok(&uri, &["pool-list", "--all", "--name"]);
    assert!(pools.lines().any(|l| l.trim() == "default"), "{pools}");
    let xml = virsh_ok(&uri, &["dumpxml", &name]);
    assert!(xml.contains("http://debian.org/debian/11"), "{xml}");
    // The machine's network: the default one, made and started for it when the
    // host had none.
    assert!(xml.contains("<source network='default'"), "{xml}");
    let nets = virsh_ok(&uri, &["net-list", "--name"]);
    assert!(
        nets.lines().any(|l| l.trim() == "default"),
        "running: {nets}"
    );
    // This boot installs from the disc; the definition boots the disk from now on,
    // with the drive left empty.
    let defined = virsh_ok(&uri, &["dumpxml", "--inactive", &name]);
    assert!(!defined.contains(iso.to_str().unwrap()), "{defined}");
    assert!(defined.contains("<boot dev='hd'/>") && !defined.contains("<boot dev='cdrom'/>"));
    assert!(
        xml.contains("<boot dev='cdrom'/>"),
        "the running one boots the disc"
    );
    settle(1500);
    save_png(&app.win, "newvm-08-booting");
    let _ = virsh(&uri, &["destroy", &name]);
    let _ = virsh(
        &uri,
        &[
            "vol-delete",
            &format!("/var/lib/libvirt/images/{name}.qcow2"),
        ],
    );
    if !had_default {
        // Made by this test: the other tests know the host without it.
        let _ = virsh(&uri, &["net-destroy", "default"]);
        let _ = virsh(&uri, &["net-undefine", "default"]);
    }
    conn.backend().shutdown();
    app.win.destroy();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn an_existing_disk_is_imported_and_boots() {
    let _ = adw::init();
    hangar::init_resources();
    let uri = test_uri();
    let dir = TempDir::new("newvm-import");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let disk = dir.path().join("appliance.qcow2");
    let made = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&disk)
        .arg("64M")
        .status()
        .expect("qemu-img");
    assert!(made.success());
    let name = unique_name("import");
    let _g = crate::daemon::DomainGuard::new(&uri, &name);
    let app = gui::AppWindow::open(&format!("hangar-import-{}", std::process::id()), &uri);
    let conn = app.conn();
    wait_for("the host facts", 30, || {
        conn.host_info().is_some() && conn.networks_loaded()
    });
    let w = gui::opened_by::<NewVmWizard>("the wizard", || {
        gui::click(&gui::button_labelled(&app.win, "New Virtual Machine"))
    });
    w.import.set_active(true);
    gui::type_into_row(&w, "Disk image", disk.to_str().unwrap());
    // A 32-bit PC: another architecture of the host's capabilities, emulated.
    assert_eq!(
        w.arch_options.subtitle().as_str(),
        "x86_64 · automatic machine type"
    );
    w.arch_options.set_expanded(true);
    settle(300);
    gui::pick_in_row(&w, "Architecture", "i686 (emulated)");
    assert!(w.arch_options.subtitle().starts_with("i686"));
    save_png(&w, "newvm-17-architecture");
    gui::click(&w.next);
    wait_for("the OS list", 20, || w.os_list.first_child().is_some());
    w.os_search.set_text("linux 2022");
    let row = {
        let mut found = None;
        wait_for("a generic Linux entry", 10, || {
            found = gui::descendants::<adw::ActionRow>(&w.os_list)
                .into_iter()
                .find(|r| r.title().contains("2022"));
            found.is_some()
        });
        found.unwrap()
    };
    gtk::prelude::WidgetExt::activate(&row);
    wait_for("the OS chosen", 10, || w.next.is_sensitive());
    gui::click(&w.next);
    settle(300);
    gui::type_into_row(&w, "Memory", "256 MiB");
    // An imported disk needs no storage step: straight to the name.
    gui::click(&w.next);
    assert_eq!(w.stack.visible_child_name().as_deref(), Some("finish"));
    gui::type_into_row(&w, "Name", &name);
    // An appliance without a network card.
    gui::pick_in_row(&w, "Network", "No network");
    gui::click(&w.create);
    wait_for("the machine listed", 60, || conn.find_vm(&name).is_some());
    let vm = conn.find_vm(&name).unwrap();
    wait_for("it runs", 60, || vm.domain_state().is_active());
    let blk = virsh_ok(&uri, &["domblklist", &name]);
    assert!(
        blk.contains(disk.to_str().unwrap()),
        "the imported disk: {blk}"
    );
    let xml = virsh_ok(&uri, &["dumpxml", &name]);
    assert!(!xml.contains("<interface"), "{xml}");
    assert!(xml.contains("arch='i686'"), "{xml}");
    assert!(
        xml.contains("<emulator>/usr/bin/qemu-system-i386</emulator>"),
        "{xml}"
    );
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&ps.stdout)
            .lines()
            .any(|l| l.contains("qemu-system-i386") && l.contains(&name)),
        "QEMU runs it as a 32-bit PC"
    );
    let _ = virsh(&uri, &["destroy", &name]);
    conn.backend().shutdown();
    app.win.destroy();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_cloud_image_gets_an_overlay_and_a_cloud_init_seed() {
    let _ = adw::init();
    hangar::init_resources();
    let uri = test_uri();
    let dir = TempDir::new("newvm-cloud");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let image = dir.path().join("cloud.qcow2");
    assert!(Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&image)
        .arg("96M")
        .status()
        .expect("qemu-img")
        .success());
    let before = std::fs::read(&image).unwrap();
    let name = unique_name("cloud");
    let _g = crate::daemon::DomainGuard::new(&uri, &name);
    let app = gui::AppWindow::open(&format!("hangar-cloud-{}", std::process::id()), &uri);
    let conn = app.conn();
    wait_for("the host facts", 30, || {
        conn.host_info().is_some() && conn.networks_loaded()
    });
    let w = gui::opened_by::<NewVmWizard>("the wizard", || {
        gui::click(&gui::button_labelled(&app.win, "New Virtual Machine"))
    });
    w.cloud.set_active(true);
    gui::type_into_row(&w, "Cloud image", image.to_str().unwrap());
    gui::type_into_row(&w, "User", "Bad User");
    assert!(w.cloud_user.has_css_class("error") && !w.next.is_sensitive());
    gui::type_into_row(&w, "User", "ada");
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHangarCloudKey ada@hangar";
    gui::type_into_row(&w, "SSH public key", key);
    assert!(w.next.is_sensitive(), "{}", w.message.label());
    save_png(&w, "newvm-12-cloud");
    gui::click(&w.next);
    wait_for("the OS list", 20, || w.os_list.first_child().is_some());
    w.os_search.set_text("linux 2022");
    let mut row = None;
    wait_for("a generic Linux entry", 10, || {
        row = gui::descendants::<adw::ActionRow>(&w.os_list)
            .into_iter()
            .find(|r| r.title().contains("2022"));
        row.is_some()
    });
    gtk::prelude::WidgetExt::activate(&row.unwrap());
    wait_for("the OS chosen", 10, || w.next.is_sensitive());
    gui::click(&w.next);
    settle(300);
    gui::type_into_row(&w, "Memory", "256 MiB");
    gui::click(&w.next);
    assert_eq!(w.stack.visible_child_name().as_deref(), Some("finish"));
    gui::type_into_row(&w, "Name", &name);
    gui::pick_in_row(&w, "Network", "No network");
    gui::click(&w.create);
    wait_for("the machine listed", 60, || conn.find_vm(&name).is_some());
    let vm = conn.find_vm(&name).unwrap();
    wait_for("it runs", 60, || vm.domain_state().is_active());
    let overlay = format!("/var/lib/libvirt/images/{name}.qcow2");
    let seed = format!("/var/lib/libvirt/images/{name}-cidata.iso");
    let blk = virsh_ok(&uri, &["domblklist", &name]);
    assert!(blk.contains(&overlay) && blk.contains(&seed), "{blk}");
    let info = Command::new("qemu-img")
        .args(["info", "-U", "--output=json", &overlay])
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.contains(image.to_str().unwrap()),
        "backed by the image: {info}"
    );
    // The seed says who the guest is.
    let out = dir.path().join("seed");
    std::fs::create_dir_all(&out).unwrap();
    let x = Command::new("xorriso")
        .args(["-osirrox", "on", "-indev", &seed, "-extract", "/"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(x.status.success(), "{}", String::from_utf8_lossy(&x.stderr));
    let user_data = std::fs::read_to_string(out.join("user-data")).unwrap();
    assert!(user_data.contains("name: ada") && user_data.contains("HangarCloudKey"));
    assert_eq!(
        std::fs::read(&image).unwrap(),
        before,
        "the image is untouched"
    );
    let _ = virsh(&uri, &["destroy", &name]);
    for v in [&overlay, &seed] {
        let _ = virsh(&uri, &["vol-delete", v]);
    }
    conn.backend().shutdown();
    app.win.destroy();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_network_install_boots_the_trees_kernel_with_its_repository() {
    let _ = adw::init();
    hangar::init_resources();
    let uri = test_uri();
    // A local tree (tests stay on this host): Fedora 37's .treeinfo, a kernel and an
    // initrd of a few bytes.
    let dir = TempDir::new("newvm-tree");
    std::fs::write(
        dir.path().join(".treeinfo"),
        "[header]\ntype = productmd.treeinfo\nversion = 1.2\n\n\
         [release]\nname = Fedora\nshort = Fedora\nversion = 37\n\n\
         [general]\narch = x86_64\nfamily = Fedora\nname = Fedora 37\n\
         platforms = x86_64,xen\nvariant = Everything\nversion = 37\n\n\
         [images-x86_64]\ninitrd = images/pxeboot/initrd.img\n\
         kernel = images/pxeboot/vmlinuz\nboot.iso = images/boot.iso\n",
    )
    .unwrap();
    let pxe = dir.path().join("images/pxeboot");
    std::fs::create_dir_all(&pxe).unwrap();
    std::fs::write(pxe.join("vmlinuz"), b"kernel bytes").unwrap();
    std::fs::write(pxe.join("initrd.img"), b"initrd bytes").unwrap();
    let url = format!("file://{}", dir.path().display());
    let name = unique_name("netinst");
    let _g = crate::daemon::DomainGuard::new(&uri, &name);
    let app = gui::AppWindow::open(&format!("hangar-netinst-{}", std::process::id()), &uri);
    let conn = app.conn();
    wait_for("the host facts", 30, || {
        conn.host_info().is_some() && conn.networks_loaded()
    });
    let w = gui::opened_by::<NewVmWizard>("the wizard", || {
        gui::click(&gui::button_labelled(&app.win, "New Virtual Machine"))
    });
    w.network_install.set_active(true);
    gui::type_into_row(&w, "Tree URL", "nas/fedora");
    assert!(w.tree_url.has_css_class("error") && !w.next.is_sensitive());
    gui::type_into_row(&w, "Tree URL", &url);
    gui::click(&w.next);
    wait_for("the tree read", 30, || {
        w.detected.label().contains("Fedora Linux 37")
    });
    assert_eq!(w.kernel_args.text(), format!("inst.repo={url}"));
    save_png(&w, "newvm-13-network-install");
    wait_for("Next", 10, || w.next.is_sensitive());
    gui::click(&w.next);
    settle(300);
    gui::type_into_row(&w, "Memory", "256 MiB");
    gui::click(&w.next);
    gui::type_into_row(&w, "Size", "1 GiB");
    gui::click(&w.next);
    install_by_hand(&w);
    gui::type_into_row(&w, "Name", &name);
    gui::pick_in_row(&w, "Network", "No network");
    // Customized first: the few-byte kernel is not booted here.
    w.customize.set_active(true);
    gui::click(&w.create);
    wait_for("the machine listed", 60, || conn.find_vm(&name).is_some());
    let xml = virsh_ok(&uri, &["dumpxml", "--inactive", &name]);
    let kernel = format!("/var/lib/libvirt/images/{name}-vmlinuz");
    let initrd = format!("/var/lib/libvirt/images/{name}-initrd.img");
    assert!(xml.contains(&format!("<kernel>{kernel}</kernel>")), "{xml}");
    assert!(xml.contains(&format!("<initrd>{initrd}</initrd>")), "{xml}");
    assert!(
        xml.contains(&format!("<cmdline>inst.repo={url}</cmdline>")),
        "{xml}"
    );
    assert_eq!(std::fs::read(&kernel).unwrap(), b"kernel bytes");
    for v in [
        &kernel,
        &initrd,
        &format!("/var/lib/libvirt/images/{name}.qcow2"),
    ] {
        let _ = virsh(&uri, &["vol-delete", v]);
    }
    conn.backend().shutdown();
    app.win.destroy();
}
