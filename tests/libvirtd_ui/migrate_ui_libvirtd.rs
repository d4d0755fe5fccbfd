//! Migrate… driven through the window, between the two test hosts: a running guest
//! with a disk moves to host B with its disk copied, the dialog showing the job's
//! figures on the way; it leaves A's list and joins B's.

use std::process::Command;

use adw::prelude::*;
use hangar::model::Connection;
use hangar::ui::vm::migrate_dialog::MigrateDialog;

use crate::daemon::{host_b_uri, test_uri, unique_name, virsh, virsh_ok, DomainGuard};
use crate::gui::{self, settle, wait_for};

const IMAGES: &str = "/var/lib/libvirt/images";

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_running_guest_is_migrated_from_the_window_with_its_disk() {
    let _ = adw::init();
    hangar::init_resources();
    let (a, b) = (test_uri(), host_b_uri());
    let name = unique_name("migrate-ui");
    let _ga = DomainGuard::new(&a, &name);
    let _gb = DomainGuard::new(&b, &name);
    // A guest on A with a qcow2 disk of 16 MiB of data in the default pool.
    if !virsh_ok(&a, &["pool-list", "--all", "--name"])
        .lines()
        .any(|l| l.trim() == "default")
    {
        std::fs::create_dir_all(IMAGES).unwrap();
        virsh_ok(
            &a,
            &["pool-define-as", "default", "dir", "--target", IMAGES],
        );
    }
    let _ = virsh(&a, &["pool-start", "default"]);
    let vol = format!("{name}.qcow2");
    virsh_ok(
        &a,
        &["vol-create-as", "default", &vol, "64M", "--format", "qcow2"],
    );
    let disk = format!("{IMAGES}/{vol}");
    let w = Command::new("qemu-io")
        .args(["-f", "qcow2", "-c", "write -P 0x5a 0 16M", &disk])
        .status()
        .unwrap();
    assert!(w.success());
    let xml = format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>\
         <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{disk}'/><target dev='vda' bus='virtio'/></disk>\
         <graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>"
    );
    let f = std::env::temp_dir().join(format!("{name}.xml"));
    std::fs::write(&f, xml).unwrap();
    virsh_ok(&a, &["define", f.to_str().unwrap()]);
    virsh_ok(&a, &["start", &name]);
    // A second machine, without disks, moved in the same go.
    let other = format!("{name}-b");
    let _go = DomainGuard::new(&a, &other);
    let _gbo = DomainGuard::new(&b, &other);
    diskless_guest(&a, &other, None);

    let (app, conn_b) = window_with_host_b("migrate");
    app.show(&name, "overview");
    // Both selected, as Ctrl-click leaves them.
    wait_for("the second machine listed", 30, || {
        app.conn().find_vm(&other).is_some()
    });
    let sel = app.win.selection();
    for (i, n) in [&name, &other].iter().enumerate() {
        let vm = app.conn().find_vm(n).unwrap();
        let pos = (0..sel.n_items())
            .find(|p| {
                sel.item(*p)
                    .and_downcast::<gtk::TreeListRow>()
                    .and_then(|r| r.item())
                    .as_ref()
                    == Some(vm.upcast_ref())
            })
            .expect("row");
        sel.select_item(pos, i == 0);
    }
    settle(100);
    assert_eq!(app.win.selected_vms().len(), 2);
    let dialog = gui::opened_by::<MigrateDialog>("the Migrate dialog", || {
        WidgetExt::activate_action(&app.win, "win.migrate", None).unwrap()
    });
    wait_for("the checks passed", 60, || dialog.migrate.is_sensitive());
    assert_eq!(
        dialog.copy.selected(),
        1,
        "the disks are copied: host B's pool is its own"
    );
    assert!(dialog.persist.is_active() && dialog.undefine.is_active());
    open_advanced(&dialog);
    // A bandwidth that is not a number is refused where typed.
    gui::type_into_row(&dialog, "Bandwidth limit (MiB/s, empty: none)", "fast");
    assert!(dialog.bandwidth.has_css_class("error") && !dialog.migrate.is_sensitive());
    // 4 MiB/s: slow enough to see the figures.
    gui::type_into_row(&dialog, "Bandwidth limit (MiB/s, empty: none)", "4");
    assert!(dialog.migrate.is_sensitive(), "{}", dialog.message.label());
    settle(200);
    gui::save_light_and_dark(&dialog, "migrate-01-dialog");
    gui::click(&dialog.migrate);
    wait_for("the job's figures", 60, || {
        dialog.figures_text().contains(" of ")
    });
    settle(300);
    gui::save_png(&dialog, "migrate-02-progress");
    assert_eq!(dialog.title().unwrap_or_default(), "Migrate 2 Machines");
    wait_for("the moves done", 180, || !dialog.is_visible());
    assert_eq!(virsh_ok(&b, &["domstate", &name]).trim(), "running");
    assert_eq!(virsh_ok(&b, &["domstate", &other]).trim(), "running");
    assert!(
        crate::daemon::virsh(&a, &["domstate", &other]).is_err(),
        "both moved"
    );
    wait_for("it joins host B's list", 30, || {
        conn_b.find_vm(&name).is_some()
    });
    wait_for("it leaves host A's list", 30, || {
        app.conn().find_vm(&name).is_none()
    });
    // Still in view, on their new host: the last one moved is shown.
    wait_for("it is shown on host B", 20, || {
        app.win
            .selected_vms()
            .iter()
            .any(|(c, v)| *c == conn_b && v.name() == other)
    });
    settle(500);
    gui::save_png(&app.win, "migrate-03-moved");
    let _ = virsh(&b, &["destroy", &name]);
    let _ = virsh(&b, &["destroy", &other]);
    let _ = virsh(&b, &["vol-delete", &disk]);
    let _ = virsh(&a, &["vol-delete", &disk]);
    conn_b.backend().shutdown();
    app.conn().backend().shutdown();
    app.win.destroy();
}

/// Host B and the window, host A's connection first, as Add Connection leaves them.
fn window_with_host_b(title: &str) -> (gui::AppWindow, Connection) {
    let app = gui::AppWindow::open_sized(
        &format!("hangar-{title}-{}", std::process::id()),
        &test_uri(),
        1280,
        800,
    );
    let conn_b = Connection::new(&host_b_uri(), false, false);
    app.win.watch_connection(&conn_b);
    app.store.append(&conn_b);
    conn_b.connect_now();
    wait_for("host B connected", 60, || conn_b.loaded());
    (app, conn_b)
}

/// Migrate… on `name` of `conn` (selected as a click leaves it), Advanced opened and
/// post-copy allowed.
fn migrate_dialog_with_post_copy(
    app: &gui::AppWindow,
    conn: &Connection,
    name: &str,
) -> MigrateDialog {
    wait_for("the guest listed", 60, || conn.find_vm(name).is_some());
    let vm = conn.find_vm(name).unwrap();
    assert!(app.win.select_item(vm.upcast_ref()), "guest selectable");
    settle(100);
    let dialog = gui::opened_by::<MigrateDialog>("the Migrate dialog", || {
        WidgetExt::activate_action(&app.win, "win.migrate", None).unwrap()
    });
    wait_for("the checks passed", 60, || dialog.migrate.is_sensitive());
    open_advanced(&dialog);
    assert!(!dialog.postcopy.is_active(), "off by default");
    gui::flip(&gui::switch_of_row(&dialog, "Allow post-copy"));
    dialog
}

/// The dialog's Advanced section, opened as a person does.
fn open_advanced(dialog: &MigrateDialog) {
    gui::descendants::<adw::ExpanderRow>(dialog)
        .into_iter()
        .find(|e| e.title().replace('_', "") == "Advanced")
        .expect("the Advanced expander")
        .set_expanded(true);
    settle(300);
}

/// Define and start on `uri` a diskless guest whose firmware is `rom` (or SeaBIOS).
fn diskless_guest(uri: &str, name: &str, rom: Option<&std::path::Path>) {
    let loader = rom
        .map(|r| format!("<loader type='rom'>{}</loader>", r.display()))
        .unwrap_or_default();
    let f = std::env::temp_dir().join(format!("{name}.xml"));
    std::fs::write(
        &f,
        format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64' machine='pc'>hvm</type>{loader}</os><devices>\
             <graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>"
        ),
    )
    .unwrap();
    virsh_ok(uri, &["define", f.to_str().unwrap()]);
    virsh_ok(uri, &["start", name]);
    let _ = std::fs::remove_file(&f);
}

/// Host A's QEMU runs as Debian's libvirt-qemu user and the kernel keeps userfaultfd
/// to privileged processes (vm.unprivileged_userfaultfd=0, the default): host A cannot
/// take a post-copy migration. Moving a guest from B to A with post-copy allowed says
/// so in the dialog, in words, and the machine stays on B, running.
#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn post_copy_the_destination_cannot_take_is_said_and_the_machine_stays() {
    let _ = adw::init();
    hangar::init_resources();
    let _serial = crate::daemon::serial();
    let (a, b) = (test_uri(), host_b_uri());
    let name = unique_name("migrate-postcopy-refused");
    let _ga = DomainGuard::new(&a, &name);
    let _gb = DomainGuard::new(&b, &name);
    diskless_guest(&b, &name, None);
    let (app, conn_b) = window_with_host_b("postcopy-refused");
    let dialog = migrate_dialog_with_post_copy(&app, &conn_b, &name);
    gui::click(&dialog.migrate);
    wait_for("the move ends", 120, || !dialog.is_moving());
    settle(300);
    let said = dialog.message.label().to_string();
    assert!(
        said.contains("cannot take post-copy") && said.contains("still on this host"),
        "the reason stays on screen: {said}"
    );
    assert!(dialog.message.has_css_class("error"));
    assert!(
        dialog.is_visible() && dialog.migrate.is_sensitive(),
        "try again"
    );
    gui::save_png(&dialog, "migrate-04-postcopy-refused");
    assert_eq!(virsh_ok(&b, &["domstate", &name]).trim(), "running");
    assert!(virsh(&a, &["domstate", &name]).is_err(), "nothing there");
    dialog.close();
    let _ = virsh(&b, &["destroy", &name]);
    conn_b.backend().shutdown();
    app.conn().backend().shutdown();
    app.win.destroy();
}

/// A 64 KiB firmware of our own (QEMU's `-bios`) that fills 24 MiB of memory above
/// 1 MiB with a value that grows each pass, forever: from the reset vector it loads a
/// flat GDT, enters 32-bit protected mode and loops `rep stosd`. At 1 MiB/s the first
/// pass of a live migration takes about 24 s: time to switch to post-copy while memory
/// still moves. (QEMU 7.2 under TCG loses track of pages written after the first pass,
/// so a guest that only keeps changing a little memory converges regardless.)
fn memory_filling_firmware(path: &std::path::Path) {
    let mut rom = vec![0xffu8; 64 * 1024];
    let mut put = |at: usize, bytes: &[u8]| rom[at..at + bytes.len()].copy_from_slice(bytes);
    #[rustfmt::skip]
    put(0x00, &[
        0xfa,                               // cli
        0x2e, 0x0f, 0x01, 0x16, 0x40, 0x00, // lgdt cs:[0x40]
        0x0f, 0x20, 0xc0,                   // mov eax, cr0
        0x0c, 0x01,                         // or al, 1
        0x0f, 0x22, 0xc0,                   // mov cr0, eax
        0x66, 0xea, 0x20, 0x00, 0x0f, 0x00, 0x08, 0x00, // jmp dword 0x08:0xf0020
    ]);
    #[rustfmt::skip]
    put(0x20, &[
        0x66, 0xb8, 0x10, 0x00,             // mov ax, 0x10
        0x8e, 0xc0,                         // mov es, ax
        0x8e, 0xd8,                         // mov ds, ax
        0xfc,                               // cld
        0x31, 0xc0,                         // xor eax, eax
        0x40,                               // pass: inc eax
        0xbf, 0x00, 0x00, 0x10, 0x00,       // mov edi, 0x100000
        0xb9, 0x00, 0x00, 0x60, 0x00,       // mov ecx, 0x600000 (24 MiB in dwords)
        0xf3, 0xab,                         // rep stosd
        0xeb, 0xf1,                         // jmp pass
    ]);
    // The GDT's descriptor (limit, base 0xf0048), then the GDT: null, flat 32-bit
    // code (0x08), flat data (0x10).
    put(0x40, &[0x17, 0x00, 0x48, 0x00, 0x0f, 0x00]);
    put(0x48, &[0; 8]);
    put(0x50, &[0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0]);
    put(0x58, &[0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0]);
    // The reset vector (F000:FFF0): jmp far F000:0000.
    put(0xfff0, &[0xea, 0x00, 0x00, 0x00, 0xf0]);
    std::fs::write(path, rom).unwrap();
}

/// Host B's QEMU may use userfaultfd (see build-aux/second-host.sh). A guest whose 24
/// MiB of memory take half a minute at 1 MiB/s is switched to post-copy from the
/// dialog's button while its memory moves: libvirt takes the switch, and the guest
/// runs on B.
#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_slow_move_is_switched_to_post_copy_and_finishes_there() {
    let _ = adw::init();
    hangar::init_resources();
    let _serial = crate::daemon::serial();
    let (a, b) = (test_uri(), host_b_uri());
    let name = unique_name("migrate-postcopy");
    let _ga = DomainGuard::new(&a, &name);
    let _gb = DomainGuard::new(&b, &name);
    // Both hosts see this computer's temporary directory.
    let rom = std::env::temp_dir().join(format!("{name}.rom"));
    memory_filling_firmware(&rom);
    diskless_guest(&a, &name, Some(&rom));
    let (app, conn_b) = window_with_host_b("postcopy");
    let dialog = migrate_dialog_with_post_copy(&app, &app.conn(), &name);
    gui::type_into_row(&dialog, "Bandwidth limit (MiB/s, empty: none)", "1");
    assert!(dialog.migrate.is_sensitive(), "{}", dialog.message.label());
    assert!(!dialog.postcopy_now.is_visible(), "nothing to switch yet");
    gui::click(&dialog.migrate);
    wait_for("the switch offered while memory moves", 60, || {
        dialog.postcopy_now.is_visible() && dialog.postcopy_now.is_sensitive()
    });
    assert_eq!(virsh_ok(&a, &["domstate", &name]).trim(), "running");
    gui::save_png(&dialog, "migrate-04-postcopy-offered");
    // What the dialog says from here on (it closes when the move ends).
    let said = std::rc::Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
    let s = said.clone();
    dialog
        .message
        .connect_label_notify(move |l| s.borrow_mut().push(l.label().to_string()));
    let t0 = std::time::Instant::now();
    gui::click(&dialog.postcopy_now);
    wait_for("the move done", 60, || !dialog.is_visible());
    eprintln!(
        "switched to post-copy: the move ended {:?} later",
        t0.elapsed()
    );
    assert!(
        said.borrow()
            .iter()
            .any(|m| m.starts_with("Post-copy: it runs on the destination")),
        "libvirt took the switch while memory moved: {:?}",
        said.borrow()
    );
    assert_eq!(virsh_ok(&b, &["domstate", &name]).trim(), "running");
    assert!(virsh(&a, &["domstate", &name]).is_err(), "gone from here");
    wait_for("it joins host B's list", 30, || {
        conn_b.find_vm(&name).is_some()
    });
    let _ = virsh(&b, &["destroy", &name]);
    let _ = std::fs::remove_file(&rom);
    conn_b.backend().shutdown();
    app.conn().backend().shutdown();
    app.win.destroy();
}
