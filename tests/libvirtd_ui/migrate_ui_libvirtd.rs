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
    std::fs::write(
        &f,
        format!(
            "<domain type='qemu'><name>{other}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>\
             <graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>"
        ),
    )
    .unwrap();
    virsh_ok(&a, &["define", f.to_str().unwrap()]);
    virsh_ok(&a, &["start", &other]);

    let app = gui::AppWindow::open_sized(
        &format!("hangar-migrate-{}", std::process::id()),
        &a,
        1280,
        800,
    );
    // Host B beside it, as Add Connection leaves it.
    let conn_b = Connection::new(&b, false, false);
    app.win.watch_connection(&conn_b);
    app.store.append(&conn_b);
    conn_b.connect_now();
    wait_for("host B connected", 60, || conn_b.loaded());
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
    // Advanced, opened as a person does.
    gui::descendants::<adw::ExpanderRow>(&dialog)
        .into_iter()
        .find(|e| e.title().replace('_', "") == "Advanced")
        .expect("the Advanced expander")
        .set_expanded(true);
    settle(300);
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

/// Host A's QEMU runs as Debian's libvirt-qemu user, host B's too, and the kernel keeps
/// userfaultfd to privileged processes (vm.unprivileged_userfaultfd=0, the default):
/// host B cannot take a post-copy migration. That is said in the dialog, in words, and
/// the machine stays here, running.
#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn post_copy_the_destination_cannot_take_is_said_and_the_machine_stays() {
    let _ = adw::init();
    hangar::init_resources();
    let _serial = crate::daemon::serial();
    let (a, b) = (test_uri(), host_b_uri());
    let name = unique_name("migrate-postcopy");
    let _ga = DomainGuard::new(&a, &name);
    let _gb = DomainGuard::new(&b, &name);
    let f = std::env::temp_dir().join(format!("{name}.xml"));
    std::fs::write(
        &f,
        format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>\
             <graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>"
        ),
    )
    .unwrap();
    virsh_ok(&a, &["define", f.to_str().unwrap()]);
    virsh_ok(&a, &["start", &name]);
    let _ = std::fs::remove_file(&f);

    let app = gui::AppWindow::open_sized(
        &format!("hangar-postcopy-{}", std::process::id()),
        &a,
        1280,
        800,
    );
    let conn_b = Connection::new(&b, false, false);
    app.win.watch_connection(&conn_b);
    app.store.append(&conn_b);
    conn_b.connect_now();
    wait_for("host B connected", 60, || conn_b.loaded());
    app.show(&name, "overview");
    let dialog = gui::opened_by::<MigrateDialog>("the Migrate dialog", || {
        WidgetExt::activate_action(&app.win, "win.migrate", None).unwrap()
    });
    wait_for("the checks passed", 60, || dialog.migrate.is_sensitive());
    gui::descendants::<adw::ExpanderRow>(&dialog)
        .into_iter()
        .find(|e| e.title().replace('_', "") == "Advanced")
        .expect("the Advanced expander")
        .set_expanded(true);
    settle(300);
    gui::flip(&gui::switch_of_row(&dialog, "Allow post-copy"));
    assert!(dialog.postcopy.is_active());
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
    assert_eq!(virsh_ok(&a, &["domstate", &name]).trim(), "running");
    assert!(virsh(&b, &["domstate", &name]).is_err(), "nothing there");
    dialog.close();
    let _ = virsh(&a, &["destroy", &name]);
    conn_b.backend().shutdown();
    app.conn().backend().shutdown();
    app.win.destroy();
}
