//! Upload on the Storage tab against a real libvirtd, as a person does it: Upload…,
//! the file chosen in the file chooser, the progress row with its rate and Cancel, and
//! the window answering throughout.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::{gio, glib};
use hangar::backend::storage::pools::{PoolOp, PoolSpec};

use crate::common::TempDir;
use crate::daemon::{test_uri, unique_name, virsh};
use crate::gui::{self, save_png, settle, wait_for};

/// Choose `file` in the file chooser a click opened (GTK's own dialog: no portal here).
fn choose_file(file: &std::path::Path, click: impl FnOnce()) {
    let chooser = gui::opened_by::<gtk::FileChooserDialog>("the file chooser", click);
    chooser
        .set_file(&gio::File::for_path(file))
        .expect("the chooser takes the file");
    settle(100);
    chooser.response(gtk::ResponseType::Accept);
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn an_upload_shows_its_progress_can_be_cancelled_and_lands_in_the_pool() {
    let _ = adw::init();
    hangar::init_resources();
    let uri = test_uri();
    let name = unique_name("ui-pool");
    let dir = PathBuf::from(format!("/var/lib/libvirt/images/{name}"));
    let app = gui::AppWindow::open_sized(
        &format!("hangar-storage-{}", std::process::id()),
        &uri,
        1280,
        800,
    );
    let conn = app.conn();
    let spec = PoolSpec {
        kind: "dir".into(),
        name: name.clone(),
        target: dir.display().to_string(),
        ..Default::default()
    };
    let ctx = glib::MainContext::default();
    let uuid = ctx
        .block_on(conn.backend().create_pool(spec, true, false))
        .expect("a pool to upload into");
    assert!(app.win.select_item(conn.upcast_ref()));
    app.win.host_page().show_page("storage");
    let page = app.win.storage_page().expect("the Storage tab");
    wait_for("the pool listed", 30, || conn.pool_by_uuid(&uuid).is_some());
    assert!(page.select_pool(&name));
    wait_for("the pool's Upload button on screen", 10, || {
        gui::descendants::<gtk::Button>(&page)
            .iter()
            .any(|b| b.is_mapped() && b.label().is_some_and(|l| l == "_Upload…"))
    });

    // A file without holes (sparse ones go at once): long enough to be seen and
    // cancelled.
    let work = TempDir::new("upload");
    let big = work.path().join("big.img");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&big).unwrap();
        let chunk: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7 % 251) as u8 | 1).collect();
        for _ in 0..768 {
            f.write_all(&chunk).unwrap();
        }
    }
    choose_file(&big, || gui::click(&gui::button_labelled(&page, "Upload…")));
    wait_for("the progress row", 10, || {
        page.transfer_row().is_some_and(|r| r.fraction() > 0.0)
    });
    let row = page.transfer_row().unwrap();
    assert!(row.detail().contains("/s"), "rate shown: {}", row.detail());
    assert!(
        row.detail().contains("left"),
        "time left shown: {}",
        row.detail()
    );
    save_png(&app.win, "storage-08-upload-progress");
    gui::click(&row.cancel_button());
    wait_for("the copy to end", 30, || page.transfer_row().is_none());
    settle(300);
    let listed = |n: &str| page.volumes().iter().any(|v| v.name() == n);
    assert!(!listed("big.img"), "a cancelled upload leaves no volume");
    assert!(!dir.join("big.img").exists());

    // A small file goes all the way and is listed.
    let small = work.path().join("notes.img");
    std::fs::write(&small, vec![7u8; 256 << 20]).unwrap();
    choose_file(&small, || {
        gui::click(&gui::button_labelled(&page, "Upload…"))
    });
    // The window answers while the copy runs: the longest gap between main-loop
    // turns stays small.
    let mut longest = Duration::ZERO;
    let mut last = Instant::now();
    let start = Instant::now();
    while page.transfer_row().is_some() && start.elapsed() < Duration::from_secs(60) {
        while ctx.iteration(false) {}
        let now = Instant::now();
        longest = longest.max(now - last);
        last = now;
        std::thread::sleep(Duration::from_millis(2));
    }
    eprintln!(
        "storage ui: 256 MiB upload in {:?}, longest main-loop gap {longest:?}",
        start.elapsed()
    );
    assert!(
        longest < Duration::from_millis(250),
        "the window froze for {longest:?}"
    );
    wait_for("the uploaded volume listed", 30, || listed("notes.img"));
    let v = page
        .volumes()
        .into_iter()
        .find(|v| v.name() == "notes.img")
        .unwrap();
    assert_eq!(v.capacity(), 256 << 20);
    assert!(
        std::fs::read(dir.join("notes.img")).unwrap() == vec![7u8; 256 << 20],
        "the volume holds the file's bytes"
    );
    settle(200);
    save_png(&app.win, "storage-09-uploaded");

    ctx.block_on(conn.backend().pool_op(uuid, PoolOp::DeleteWithContents))
        .expect("clean up");
    assert!(!dir.exists(), "the pool's directory went with it");
    let _ = virsh(&uri, &["pool-undefine", &name]);
    conn.backend().shutdown();
    app.win.destroy();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn delete_offers_each_disk_and_takes_only_the_ticked_ones() {
    let _ = adw::init();
    hangar::init_resources();
    let uri = test_uri();
    let name = unique_name("ui-dispose");
    let dir = PathBuf::from(format!("/var/lib/libvirt/images/{name}"));
    let app = gui::AppWindow::open(&format!("hangar-dispose-{}", std::process::id()), &uri);
    let conn = app.conn();
    let ctx = glib::MainContext::default();
    let spec = PoolSpec {
        kind: "dir".into(),
        name: name.clone(),
        target: dir.display().to_string(),
        ..Default::default()
    };
    let pool = ctx
        .block_on(conn.backend().create_pool(spec, true, false))
        .expect("pool");
    let mk = |n: &str| {
        ctx.block_on(conn.backend().create_pool_volume(
            pool.clone(),
            hangar::backend::storage::volumes::VolumeSpec {
                name: n.into(),
                format: "qcow2".into(),
                capacity: 16 << 20,
                ..Default::default()
            },
        ))
        .expect("volume")
    };
    let own = mk("own.qcow2");
    let shared = mk("shared.qcow2");
    let a = unique_name("ui-dispose-a");
    let b = unique_name("ui-dispose-b");
    let domain = |n: &str, disks: &[(&str, &str)]| {
        let d: String = disks
            .iter()
            .map(|(f, t)| {
                format!(
                    "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
                     <source file='{f}'/><target dev='{t}' bus='virtio'/></disk>"
                )
            })
            .collect();
        format!(
            "<domain type='qemu'><name>{n}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os><devices>{d}</devices></domain>"
        )
    };
    let _ga = crate::daemon::DomainGuard::define(
        &uri,
        &a,
        &domain(&a, &[(&own, "vda"), (&shared, "vdb")]),
    );
    let _gb = crate::daemon::DomainGuard::define(&uri, &b, &domain(&b, &[(&shared, "vda")]));
    app.show(&a, "overview");
    let ask = gui::opened_by::<adw::MessageDialog>("the delete question", || {
        gtk::prelude::WidgetExt::activate_action(&app.win, "win.delete", None)
            .expect("the delete action");
    });
    wait_for("the disks listed", 10, || {
        !gui::descendants::<gtk::CheckButton>(&ask).is_empty()
    });
    let boxes: Vec<(String, bool)> = gui::descendants::<gtk::CheckButton>(&ask)
        .into_iter()
        .map(|c| (c.label().unwrap_or_default().to_string(), c.is_active()))
        .collect();
    let ticked = |path: &str| {
        boxes
            .iter()
            .find(|(l, _)| l.contains(path))
            .unwrap_or_else(|| panic!("{path} offered: {boxes:?}"))
            .1
    };
    assert!(ticked(&own), "its own disk is ticked");
    assert!(!ticked(&shared), "the shared disk is not");
    let texts = gui::label_texts(&ask, true);
    assert!(
        texts
            .iter()
            .any(|t| t.contains(&format!("also used by {b}"))),
        "the reason is shown: {texts:?}"
    );
    save_png(&ask, "storage-10-delete-with-disks");
    ask.response("delete");
    wait_for("the machine gone", 30, || conn.find_vm(&a).is_none());
    wait_for("its own disk gone", 10, || {
        !std::path::Path::new(&own).exists()
    });
    assert!(
        std::path::Path::new(&shared).exists(),
        "the shared disk stays"
    );
    assert!(conn.find_vm(&b).is_some());
    ctx.block_on(conn.backend().pool_op(pool, PoolOp::DeleteWithContents))
        .ok();
    let _ = virsh(&uri, &["pool-undefine", &name]);
    conn.backend().shutdown();
    app.win.destroy();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn clone_from_the_menu_makes_a_machine_with_its_own_disk() {
    use hangar::ui::vm::clone_dialog::CloneDialog;
    let _ = adw::init();
    hangar::init_resources();
    let uri = test_uri();
    let name = unique_name("ui-clone-pool");
    let dir = PathBuf::from(format!("/var/lib/libvirt/images/{name}"));
    let app = gui::AppWindow::open(&format!("hangar-clone-{}", std::process::id()), &uri);
    let conn = app.conn();
    let ctx = glib::MainContext::default();
    let pool = ctx
        .block_on(conn.backend().create_pool(
            PoolSpec {
                kind: "dir".into(),
                name: name.clone(),
                target: dir.display().to_string(),
                ..Default::default()
            },
            true,
            false,
        ))
        .expect("pool");
    let disk = ctx
        .block_on(conn.backend().create_pool_volume(
            pool.clone(),
            hangar::backend::storage::volumes::VolumeSpec {
                name: "src.qcow2".into(),
                format: "qcow2".into(),
                capacity: 32 << 20,
                ..Default::default()
            },
        ))
        .expect("disk");
    let vm = unique_name("ui-clone");
    let _g = crate::daemon::DomainGuard::define(
        &uri,
        &vm,
        &format!(
            "<domain type='qemu'><name>{vm}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os><devices>\
             <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='{disk}'/><target dev='vda' bus='virtio'/></disk></devices></domain>"
        ),
    );
    let clone_name = format!("{vm}-clone");
    let _gc = crate::daemon::DomainGuard::new(&uri, &clone_name);
    app.show(&vm, "overview");
    let d = gui::opened_by::<CloneDialog>("the clone dialog", || {
        gtk::prelude::WidgetExt::activate_action(&app.win, "win.clone", None)
            .expect("the clone action");
    });
    wait_for("the suggested name", 10, || d.name.text() == clone_name);
    let texts = gui::label_texts(&d, true);
    assert!(
        texts.iter().any(|t| t.contains(&disk)),
        "the disk is listed: {texts:?}"
    );
    save_png(&d, "storage-11-clone");
    // A name that exists is refused where it is typed.
    gui::type_into_row(&d, "Name", &vm);
    assert!(d.name.has_css_class("error"));
    assert!(!gui::button_labelled(&d, "Clone").is_sensitive());
    gui::type_into_row(&d, "Name", &clone_name);
    gui::click(&gui::button_labelled(&d, "Clone"));
    wait_for("the clone listed", 60, || {
        conn.find_vm(&clone_name).is_some()
    });
    wait_for("the dialog closed", 10, || !d.is_visible());
    assert!(
        dir.join(format!("{clone_name}.qcow2")).exists(),
        "its own disk"
    );
    assert!(std::path::Path::new(&disk).exists());
    drop(_gc);
    drop(_g);
    ctx.block_on(conn.backend().pool_op(pool, PoolOp::DeleteWithContents))
        .ok();
    let _ = virsh(&uri, &["pool-undefine", &name]);
    conn.backend().shutdown();
    app.win.destroy();
}
