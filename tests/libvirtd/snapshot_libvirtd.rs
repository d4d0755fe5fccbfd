//! Snapshots on a real libvirtd with QEMU under TCG: a memory snapshot of a running
//! guest brings back the screen of its moment after the guest is destroyed; a shut-off
//! guest's chain with a branch has the tree `virsh snapshot-list --tree` draws, and
//! deletes re-parent as libvirt does; Compare's input shows the memory changed between
//! two snapshots; a running UEFI guest gets an external snapshot, explained, which
//! libvirt 9.0 cannot revert (and Hangar says so before asking).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::{self, block_on, TempDir};
use crate::daemon::{run_ok, serial, test_uri, unique_name, virsh, virsh_ok, DomainGuard};
use hangar::backend::conn::worker::Connection;
use hangar::backend::domain::Action;
use hangar::backend::domain_xml::{line_diff, DiffLine};
use hangar::backend::snapshot::info::{parse_virsh_tree, SnapshotKind};
use hangar::backend::snapshot::job::{DeleteMode, RevertMode, SnapshotOp};
use hangar::backend::snapshot::plan::{choose_kind, revert_refusal, TakeSpec};
use hangar::backend::snapshot::thumbs::{self, Rgb};

const WAIT: Duration = Duration::from_secs(120);

/// A boot sector that draws a pattern in VGA mode 13h, waits for a key, and draws it
/// again shifted in colour, forever:
///
/// ```text
///     mov ax, 0x13 / int 0x10 / mov bl, 0
/// draw: push 0xa000 / pop es / xor di, di / mov cx, 64000
/// pix:  mov ax, di / xor al, ah / add al, bl / stosb / loop pix
///       xor ax, ax / int 0x16 / add bl, 0x55 / jmp draw
/// ```
fn boot_sector() -> Vec<u8> {
    let code: [u8; 34] = [
        0xB8, 0x13, 0x00, 0xCD, 0x10, 0xB3, 0x00, // mode 13h, bl = 0
        0x68, 0x00, 0xA0, 0x07, 0x31, 0xFF, 0xB9, 0x00, 0xFA, // draw:
        0x89, 0xF8, 0x30, 0xE0, 0x00, 0xD8, 0xAA, 0xE2, 0xF7, // pix: … loop pix
        0x31, 0xC0, 0xCD, 0x16, 0x80, 0xC3, 0x55, 0xEB, 0xE5, // key, shift, jmp draw
    ];
    let mut s = vec![0u8; 512];
    s[..code.len()].copy_from_slice(&code);
    s[510] = 0x55;
    s[511] = 0xAA;
    s
}

/// A directory QEMU (another user) can read, removed at the end.
fn shared_dir(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    run_ok("chmod", &["755", dir.path().to_str().unwrap()]);
    dir
}

/// A 16 MiB qcow2 image, starting with the boot sector when `boot`.
fn qcow2(dir: &Path, name: &str, boot: bool) -> String {
    let raw = dir.join(format!("{name}.raw"));
    let mut data = if boot { boot_sector() } else { Vec::new() };
    data.resize(1 << 20, 0);
    std::fs::write(&raw, data).unwrap();
    let out = dir.join(format!("{name}.qcow2"));
    run_ok(
        "qemu-img",
        &[
            "convert",
            "-q",
            "-f",
            "raw",
            "-O",
            "qcow2",
            raw.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    run_ok(
        "qemu-img",
        &["resize", "-q", "-f", "qcow2", out.to_str().unwrap(), "16M"],
    );
    let _ = std::fs::remove_file(raw);
    out.display().to_string()
}

fn guest_xml(name: &str, disk: &str, memory_mib: u32, os_extra: &str) -> String {
    format!(
        "<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>{memory_mib}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type><boot dev='hd'/>{os_extra}</os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='{disk}'/><target dev='hda' bus='ide'/></disk>
    <graphics type='vnc' listen='127.0.0.1'/>
  </devices>
</domain>
"
    )
}

fn spec(name: &str, memory: bool) -> TakeSpec {
    TakeSpec {
        name: name.into(),
        description: format!("{name} (test)"),
        memory,
        disk_only: false,
        quiesce: false,
    }
}

fn uuid_of(uri: &str, name: &str) -> String {
    virsh_ok(uri, &["domuuid", name]).trim().to_string()
}

fn op(conn: &Connection, uuid: &str, o: SnapshotOp) -> hangar::backend::Result<String> {
    common::block_on_timeout(conn.snapshot_op(uuid.into(), o), WAIT)
        .expect("the operation ends in time")
}

/// The guest's screen now, as Hangar keeps thumbnails (scaled).
fn screen(conn: &Connection, uuid: &str) -> Rgb {
    let (mime, bytes) = block_on(conn.screenshot(uuid.into())).expect("screenshot");
    thumbs::scaled(&thumbs::decode(&mime, &bytes).expect("decodes")).unwrap()
}

/// How far a picture is from black (0–255).
fn content(img: &Rgb) -> f64 {
    let black = Rgb {
        pixels: vec![[0, 0, 0]; img.pixels.len()],
        ..img.clone()
    };
    thumbs::mean_diff(img, &black).unwrap()
}

/// Wait until the guest draws its pattern (SeaBIOS first, then the boot sector).
fn wait_for_pattern(conn: &Connection, uuid: &str) -> Rgb {
    let start = Instant::now();
    loop {
        let img = screen(conn, uuid);
        // Mode 13h: 320×200 scaled to 256×160; SeaBIOS's text screen is 720×400.
        if img.height == 160 && content(&img) > 40.0 {
            return img;
        }
        assert!(start.elapsed() < WAIT, "the guest never drew its pattern");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_memory_snapshot_brings_back_the_screen_of_its_moment() {
    let _serial = serial();
    let uri = test_uri();
    hangar::init_logging(false);
    let dir = shared_dir("snapmem");
    let name = unique_name("snap-mem");
    let disk = qcow2(dir.path(), "mem", true);
    let _guard = DomainGuard::define(&uri, &name, &guest_xml(&name, &disk, 64, ""));
    let uuid = uuid_of(&uri, &name);
    let (w, _updates) = common::connected(&uri, WAIT);
    let conn = &w.0;
    block_on(conn.action(uuid.clone(), Action::Start)).expect("started");
    let before = wait_for_pattern(conn, &uuid);
    let t0 = Instant::now();
    let made = op(conn, &uuid, SnapshotOp::Take(spec("moment", true))).expect("memory snapshot");
    eprintln!("memory snapshot of a 64 MiB guest in {:?}", t0.elapsed());
    let list = block_on(conn.snapshots(uuid.clone())).unwrap();
    let s = list.items.iter().find(|s| s.name == made).unwrap();
    assert_eq!(
        (s.kind, s.has_memory, s.state.as_str()),
        (SnapshotKind::Internal, true, "running")
    );
    let thumb = thumbs::load(&thumbs::path(&uuid, &made)).expect("the thumbnail was kept");
    assert!(
        thumbs::mean_diff(&thumb, &before).unwrap() < 2.0,
        "the thumbnail is that screen"
    );
    // A key: the guest draws another picture.
    virsh_ok(&uri, &["send-key", &name, "KEY_A"]);
    let start = Instant::now();
    let changed = loop {
        let now = screen(conn, &uuid);
        let d = thumbs::mean_diff(&now, &thumb).unwrap_or(0.0);
        if d > 20.0 {
            break d;
        }
        assert!(
            start.elapsed() < WAIT,
            "the screen did not change after a key ({d:.1})"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // Destroyed, then reverted: running again, on the screen of the snapshot.
    block_on(conn.action(uuid.clone(), Action::ForceOff)).expect("destroyed");
    let t0 = Instant::now();
    op(
        conn,
        &uuid,
        SnapshotOp::Revert {
            name: made.clone(),
            mode: RevertMode::AsTaken,
        },
    )
    .expect("reverted");
    eprintln!("revert of a memory snapshot in {:?}", t0.elapsed());
    assert_eq!(virsh_ok(&uri, &["domstate", &name]).trim(), "running");
    let after = screen(conn, &uuid);
    let d = thumbs::mean_diff(&after, &thumb).expect("same size");
    eprintln!("after revert vs thumbnail {d:.2}; the changed screen was {changed:.1} away");
    assert!(
        d < 2.0,
        "the screen after revert is the snapshot's ({d:.2})"
    );
    // Deleted: the thumbnail goes with it, and the image keeps no internal snapshot.
    op(
        conn,
        &uuid,
        SnapshotOp::Delete {
            name: made.clone(),
            mode: DeleteMode::One,
        },
    )
    .expect("deleted");
    assert!(!thumbs::path(&uuid, &made).exists());
}

fn tree_parents(uri: &str, name: &str) -> Vec<(String, Option<String>)> {
    let mut v = parse_virsh_tree(&virsh_ok(uri, &["snapshot-list", name, "--tree"]));
    v.sort();
    v
}

fn our_parents(conn: &Connection, uuid: &str) -> Vec<(String, Option<String>)> {
    let list = block_on(conn.snapshots(uuid.into())).unwrap();
    let mut v: Vec<_> = list
        .items
        .iter()
        .map(|s| (s.name.clone(), s.parent.clone()))
        .collect();
    v.sort();
    v
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_shut_off_chain_with_a_branch_has_virsh_s_tree_and_deletes_re_parent() {
    let _serial = serial();
    let uri = test_uri();
    hangar::init_logging(false);
    let dir = shared_dir("snaptree");
    let name = unique_name("snap-tree");
    let disk = qcow2(dir.path(), "tree", false);
    let _guard = DomainGuard::define(&uri, &name, &guest_xml(&name, &disk, 64, ""));
    let uuid = uuid_of(&uri, &name);
    let (w, _updates) = common::connected(&uri, WAIT);
    let conn = &w.0;
    op(conn, &uuid, SnapshotOp::Take(spec("one", false))).expect("one");
    // The memory changes between "one" and "two" (as `virsh setmaxmem` does).
    virsh_ok(&uri, &["setmaxmem", &name, "96M", "--config"]);
    op(conn, &uuid, SnapshotOp::Take(spec("two", false))).expect("two");
    op(conn, &uuid, SnapshotOp::Take(spec("three", false))).expect("three");
    op(
        conn,
        &uuid,
        SnapshotOp::Revert {
            name: "one".into(),
            mode: RevertMode::AsTaken,
        },
    )
    .expect("back to one");
    op(conn, &uuid, SnapshotOp::Take(spec("branch", false))).expect("branch");
    let list = block_on(conn.snapshots(uuid.clone())).unwrap();
    assert!(list
        .items
        .iter()
        .all(|s| s.kind == SnapshotKind::Internal && !s.has_memory));
    assert_eq!(list.current().map(|s| s.name.as_str()), Some("branch"));
    let virsh_tree = tree_parents(&uri, &name);
    assert_eq!(our_parents(conn, &uuid), virsh_tree);
    assert_eq!(virsh_tree.len(), 4);
    // Compare: "one" has 64 MiB, "two" 96 MiB.
    let one = block_on(conn.snapshot_config(uuid.clone(), Some("one".into()))).unwrap();
    let two = block_on(conn.snapshot_config(uuid.clone(), Some("two".into()))).unwrap();
    let diff = line_diff(&one, &two);
    let changed: Vec<&DiffLine> = diff
        .iter()
        .filter(|d| !matches!(d, DiffLine::Same(_)))
        .collect();
    assert!(
        changed.iter().any(
            |d| matches!(d, DiffLine::Removed(l) if l.contains("<memory") && l.contains("65536"))
        ) && changed.iter().any(
            |d| matches!(d, DiffLine::Added(l) if l.contains("<memory") && l.contains("98304"))
        ),
        "{changed:?}"
    );
    // Internal snapshots keep their names: refused, with the reason, before libvirt.
    let e = block_on(conn.edit_snapshot(uuid.clone(), "two".into(), "deux".into(), String::new()))
        .unwrap_err();
    assert!(e.to_string().contains("cannot change"), "{e}");
    // The description can change.
    block_on(conn.edit_snapshot(uuid.clone(), "two".into(), "two".into(), "doubled".into()))
        .expect("edited");
    assert!(virsh_ok(&uri, &["snapshot-info", &name, "two"]).contains("two"));
    let dumped = virsh_ok(&uri, &["snapshot-dumpxml", &name, "two"]);
    assert!(
        dumped.contains("<description>doubled</description>"),
        "{dumped}"
    );
    // Delete the middle "two": "three" moves under "one", as libvirt does.
    op(
        conn,
        &uuid,
        SnapshotOp::Delete {
            name: "two".into(),
            mode: DeleteMode::One,
        },
    )
    .expect("deleted");
    let virsh_tree = tree_parents(&uri, &name);
    assert_eq!(our_parents(conn, &uuid), virsh_tree);
    assert!(
        virsh_tree.contains(&("three".to_string(), Some("one".to_string()))),
        "{virsh_tree:?}"
    );
    // Delete "one" with its children: nothing left, in libvirt nor in the image.
    op(
        conn,
        &uuid,
        SnapshotOp::Delete {
            name: "one".into(),
            mode: DeleteMode::WithChildren,
        },
    )
    .expect("deleted all");
    assert!(our_parents(conn, &uuid).is_empty());
    assert!(virsh_ok(&uri, &["snapshot-list", &name, "--name"])
        .trim()
        .is_empty());
    let img = run_ok("qemu-img", &["snapshot", "-l", "-U", &disk]);
    assert!(!img.contains("branch") && !img.contains("three"), "{img}");
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_running_uefi_guest_gets_an_external_snapshot_it_cannot_revert_on_9_0() {
    let _serial = serial();
    let uri = test_uri();
    hangar::init_logging(false);
    let dir = shared_dir("snapuefi");
    let name = unique_name("snap-uefi");
    let disk = qcow2(dir.path(), "uefi", false);
    let nvram: PathBuf = dir.path().join("VARS.fd");
    let loader = format!(
        "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>\
         <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>{}</nvram>",
        nvram.display()
    );
    let _guard = DomainGuard::define(&uri, &name, &guest_xml(&name, &disk, 128, &loader));
    let uuid = uuid_of(&uri, &name);
    let (w, _updates) = common::connected(&uri, WAIT);
    let conn = &w.0;
    block_on(conn.action(uuid.clone(), Action::Start)).expect("the UEFI guest starts");
    // Hangar offers external, and says why.
    let offer = block_on(conn.snapshot_offer(uuid.clone(), "now".into())).unwrap();
    assert!(offer.facts.uefi && offer.facts.running && offer.blocked.is_none());
    let (kind, why) = choose_kind(&offer.facts, true, false);
    assert_eq!(kind, SnapshotKind::External);
    assert!(why.contains("UEFI"), "{why}");
    // libvirt itself refuses the internal one Hangar does not offer.
    let refused = virsh(&uri, &["snapshot-create-as", &name, "internal-try"]);
    assert!(
        refused.is_err(),
        "libvirt took an internal snapshot of a running UEFI guest"
    );
    let t0 = Instant::now();
    let made =
        op(conn, &uuid, SnapshotOp::Take(spec("uefi-ext", true))).expect("external snapshot");
    eprintln!(
        "external memory snapshot of a 128 MiB UEFI guest in {:?}",
        t0.elapsed()
    );
    let list = block_on(conn.snapshots(uuid.clone())).unwrap();
    let s = list.items.iter().find(|s| s.name == made).unwrap();
    assert_eq!((s.kind, s.has_memory), (SnapshotKind::External, true));
    assert!(
        dir.path().join(format!("{name}.uefi-ext.mem")).exists(),
        "the memory beside the disk"
    );
    // On libvirt before 9.9 the revert is not offered, with the reason; asked
    // anyway, Hangar refuses before libvirt is called.
    let v = list.facts.libvirt_version;
    let note = revert_refusal(s.kind, v, &list.facts.driver);
    if v < 9_009_000 {
        let note = note.expect("refused before 9.9");
        assert!(note.contains("9.9"), "{note}");
        let e = op(
            conn,
            &uuid,
            SnapshotOp::Revert {
                name: made.clone(),
                mode: RevertMode::AsTaken,
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("9.9"), "{e}");
        assert_eq!(
            virsh_ok(&uri, &["domstate", &name]).trim(),
            "running",
            "nothing was attempted"
        );
    } else {
        assert!(note.is_none());
    }
    // An external snapshot can be renamed (libvirt redefines it under the new name);
    // it stays current, its picture follows.
    block_on(conn.edit_snapshot(
        uuid.clone(),
        made.clone(),
        "uefi-renamed".into(),
        "renamed".into(),
    ))
    .expect("renamed");
    let names = virsh_ok(&uri, &["snapshot-list", &name, "--name"]);
    assert!(
        names.contains("uefi-renamed") && !names.contains("uefi-ext"),
        "{names}"
    );
    assert_eq!(
        virsh_ok(&uri, &["snapshot-current", &name, "--name"]).trim(),
        "uefi-renamed"
    );
    assert!(thumbs::path(&uuid, "uefi-renamed").exists());
    // The pictures kept for this guest go with it.
    thumbs::prune(&uuid, &[]);
}
