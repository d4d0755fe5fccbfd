//! The Snapshots tab on a real libvirtd: a running UEFI guest (OVMF under TCG). A
//! snapshot made with `virsh snapshot-create-as` while Hangar is open appears in the
//! tree; Take Snapshot offers an external one and says why, and that libvirt 9.0
//! cannot revert it; the tab does not offer Revert for it, and says why. Screenshots
//! of the dialog and the tree (with the screen's picture) are saved.

use adw::prelude::*;

use hangar::backend::snapshot::info::SnapshotKind;
use hangar::ui::vm::snapshots::take_dialog::TakeDialog;
use hangar::ui::vm::snapshots::SnapshotsPage;

use crate::common::TempDir;
use crate::daemon::{self, run_ok, test_uri, virsh_ok};
use crate::gui::{self, save_png, settle, wait_for};

fn init() {
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    gui::clean_desktop();
}

fn uefi_guest(name: &str, dir: &std::path::Path) -> String {
    let disk = dir.join("uefi.qcow2");
    run_ok(
        "qemu-img",
        &["create", "-q", "-f", "qcow2", disk.to_str().unwrap(), "16M"],
    );
    format!(
        "<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>{}/VARS.fd</nvram></os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='{}'/><target dev='vda' bus='virtio'/></disk>
    <graphics type='vnc' listen='127.0.0.1'/>
  </devices>
</domain>
",
        dir.display(),
        disk.display()
    )
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_running_uefi_guest_shows_virsh_s_snapshot_and_is_offered_external() {
    init();
    let uri = test_uri();
    let dir = TempDir::new("snapuefiui");
    run_ok("chmod", &["755", dir.path().to_str().unwrap()]);
    let name = daemon::unique_name("snap-uefi-ui");
    let _guard = daemon::DomainGuard::define(&uri, &name, &uefi_guest(&name, dir.path()));
    virsh_ok(&uri, &["start", &name]);
    let f = gui::AppWindow::open("hangar-snapshots-uefi", &uri);
    f.show(&name, "snapshots");
    let p = f
        .win
        .vm_page()
        .page("snapshots")
        .and_downcast::<SnapshotsPage>()
        .expect("a Snapshots tab");
    wait_for("the empty tab", 20, || {
        gui::label_texts(&p, true)
            .iter()
            .any(|t| t == "No Snapshots")
    });
    // Made behind Hangar's back: it appears in the tree.
    virsh_ok(
        &uri,
        &[
            "snapshot-create-as",
            &name,
            "outside",
            "--disk-only",
            "--atomic",
        ],
    );
    wait_for("virsh's snapshot in the tree", 20, || {
        p.shown().iter().any(|(n, _)| n == "outside")
    });
    // Revert is not offered for it on libvirt 9.0, and the tab says why.
    assert!(p.select("outside"));
    settle(100);
    let revert = gui::button_labelled(&p, "Revert…");
    // Before 9.9 (Debian 12 has 9.0) libvirt cannot revert external snapshots.
    let before_9_9 = p.snapshots().facts.libvirt_version < 9_009_000;
    assert_eq!(
        revert.is_sensitive(),
        !before_9_9,
        "Revert offered only where it works"
    );
    assert_eq!(
        p.note_text().contains("9.9"),
        before_9_9,
        "{}",
        p.note_text()
    );
    // Take Snapshot: external, because of UEFI, with the note about reverting.
    let d: TakeDialog = gui::opened_by("the Take Snapshot dialog", || {
        gui::click(&gui::button_labelled(&p, "Take Snapshot…"))
    });
    wait_for("the offer", 20, || d.ready());
    assert!(
        d.kind_text().starts_with("External") && d.kind_text().contains("UEFI"),
        "{}",
        d.kind_text()
    );
    assert_eq!(
        d.revert_note_text().contains("9.9"),
        before_9_9,
        "{}",
        d.revert_note_text()
    );
    d.name.set_text("outside");
    assert!(d.name_error_text().contains("exists"));
    d.name.set_text("from-hangar");
    settle(200);
    save_png(&d, "snapshots-take-uefi");
    gui::click(&d.take_button);
    drop(d);
    // libvirt lists a snapshot while it is still being written and marks it
    // current only when done: wait for the finished state, not the count.
    wait_for("Hangar's snapshot in the tree, current", 90, || {
        let list = p.snapshots();
        list.items.len() == 2 && list.current().is_some_and(|s| s.name == "from-hangar")
    });
    let list = p.snapshots();
    assert!(
        list.items.iter().all(|s| s.kind != SnapshotKind::Internal),
        "{:?}",
        list.items
    );
    assert!(list
        .current()
        .is_some_and(|s| s.name == "from-hangar" && s.has_memory));
    assert!(
        p.overview_text().contains("2 snapshots"),
        "{}",
        p.overview_text()
    );
    settle(300);
    save_png(&p, "snapshots-tree-uefi");
    let uuid = f.conn().find_vm(&name).expect("listed").uuid();
    f.close();
    // The pictures kept for this guest go with it.
    hangar::backend::snapshot::thumbs::prune(&uuid, &[]);
}
