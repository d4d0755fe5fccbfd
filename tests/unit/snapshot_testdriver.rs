//! Snapshots without a daemon: libvirt's snapshot XML read back, the tree's order,
//! the kind chosen for each kind of machine and why, the names refused, the XML Hangar
//! sends (checked by libvirt's schema), the thumbnails; and on the test driver a chain
//! with a branch taken, edited, deleted in the middle and with children.

use std::process::Command;
use std::time::Duration;

use hangar::backend::snapshot::info::{
    parse_snapshot_xml, parse_virsh_tree, snapshot_domain_xml, tree_order, SnapshotInfo,
    SnapshotKind,
};
use hangar::backend::snapshot::job::{DeleteMode, RevertMode, SnapshotOp};
use hangar::backend::snapshot::plan::{
    blocked_reason, check_name, choose_kind, machine_facts, revert_refusal, snapshot_request,
    suggest_name, TakeSpec,
};
use hangar::backend::snapshot::thumbs;

use crate::common::{block_on, connected, TempDir};

const V9_0: u32 = 9_000_000;
const V9_9: u32 = 9_009_000;

fn domain(disks: &str, os: &str, extra: &str) -> String {
    format!(
        "<domain type='kvm'><name>g</name><memory unit='MiB'>64</memory>\
         <os><type arch='x86_64'>hvm</type>{os}</os><devices>{disks}{extra}</devices></domain>"
    )
}

const QCOW2: &str = "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
    <source file='/var/lib/libvirt/images/g.qcow2'/><target dev='vda' bus='virtio'/></disk>";
const RAW: &str = "<disk type='file' device='disk'><driver name='qemu' type='raw'/>\
    <source file='/var/lib/libvirt/images/g.img'/><target dev='vdb' bus='virtio'/></disk>";
const CDROM: &str = "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>\
    <source file='/iso/x.iso'/><target dev='sda' bus='sata'/><readonly/></disk>";
const PFLASH: &str = "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>";
const AGENT: &str =
    "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>";

#[test]
fn snapshot_xml_is_read_with_its_kind() {
    let internal = parse_snapshot_xml(
        "<domainsnapshot><name>one</name><description>before the upgrade</description>\
         <state>running</state><parent><name>zero</name></parent>\
         <creationTime>1700000000</creationTime><memory snapshot='internal'/>\
         <disks><disk name='vda' snapshot='internal'/></disks><domain type='kvm'><name>g</name></domain>\
         </domainsnapshot>",
    )
    .expect("parses");
    assert_eq!(internal.name, "one");
    assert_eq!(internal.parent.as_deref(), Some("zero"));
    assert_eq!(internal.created, 1_700_000_000);
    assert_eq!(internal.kind, SnapshotKind::Internal);
    assert!(internal.has_memory && internal.was_active());
    assert_eq!(internal.description, "before the upgrade");
    let external = parse_snapshot_xml(
        "<domainsnapshot><name>e</name><state>shutoff</state><memory snapshot='no'/>\
         <disks><disk name='vda' snapshot='external'><source file='/x.e'/></disk></disks>\
         </domainsnapshot>",
    )
    .unwrap();
    assert_eq!(external.kind, SnapshotKind::External);
    assert!(!external.has_memory && external.parent.is_none());
    let disk_only = parse_snapshot_xml(
        "<domainsnapshot><name>d</name><state>disk-snapshot</state><memory snapshot='no'/>\
         <disks><disk name='vda' snapshot='external'/></disks></domainsnapshot>",
    )
    .unwrap();
    assert_eq!(disk_only.kind, SnapshotKind::DiskOnly);
    assert!(parse_snapshot_xml("<domain/>").is_err());
    let dom = snapshot_domain_xml(
        "<domainsnapshot>\n  <name>x</name>\n  <domain type='kvm'>\n    <name>g</name>\n  </domain>\n</domainsnapshot>",
    )
    .unwrap();
    assert_eq!(dom, "<domain type='kvm'>\n  <name>g</name>\n</domain>\n");
}

fn info(name: &str, parent: Option<&str>, created: i64) -> SnapshotInfo {
    SnapshotInfo {
        name: name.into(),
        parent: parent.map(str::to_string),
        created,
        state: "shutoff".into(),
        kind: SnapshotKind::Internal,
        description: String::new(),
        current: false,
        has_memory: false,
    }
}

#[test]
fn the_tree_puts_children_under_parents_oldest_first() {
    // Listed in libvirt's (any) order: the tree does not depend on it.
    let list = vec![
        info("d", Some("a"), 4),
        info("c", Some("b"), 3),
        info("a", None, 1),
        info("b", Some("a"), 2),
        info("orphan", Some("gone"), 5),
    ];
    let order: Vec<(&str, usize)> = tree_order(&list)
        .into_iter()
        .map(|(i, d)| (list[i].name.as_str(), d))
        .collect();
    assert_eq!(
        order,
        [("a", 0), ("b", 1), ("c", 2), ("d", 1), ("orphan", 0)]
    );
    // virsh's drawing of the same tree reads back as the same parents.
    let drawn = "a\n  |\n  +- b\n  |   |\n  |   +- c\n  |     \n  +- d\n      \n";
    assert_eq!(
        parse_virsh_tree(drawn),
        [
            ("a".to_string(), None),
            ("b".to_string(), Some("a".to_string())),
            ("c".to_string(), Some("b".to_string())),
            ("d".to_string(), Some("a".to_string())),
        ]
    );
}

#[test]
fn the_kind_fits_the_machine_and_says_why() {
    // A shut-off qcow2 machine: internal.
    let f = machine_facts(&domain(QCOW2, "", ""), false, false, V9_0).unwrap();
    let (kind, why) = choose_kind(&f, true, false);
    assert_eq!(kind, SnapshotKind::Internal);
    assert!(why.contains("qcow2"), "{why}");
    // A raw disk beside it: external, naming the disk; the CD-ROM does not count.
    let f = machine_facts(
        &domain(&format!("{QCOW2}{RAW}{CDROM}"), "", ""),
        false,
        false,
        V9_0,
    )
    .unwrap();
    let (kind, why) = choose_kind(&f, true, false);
    assert_eq!(kind, SnapshotKind::External);
    assert!(why.contains("vdb") && why.contains("raw"), "{why}");
    // Running UEFI: external, the reason is pflash; shut off it is internal again.
    let f = machine_facts(&domain(QCOW2, PFLASH, ""), true, false, V9_0).unwrap();
    assert!(f.uefi);
    let (kind, why) = choose_kind(&f, true, false);
    assert_eq!(kind, SnapshotKind::External);
    assert!(why.contains("UEFI"), "{why}");
    let off = machine_facts(&domain(QCOW2, PFLASH, ""), false, false, V9_0).unwrap();
    assert_eq!(choose_kind(&off, true, false).0, SnapshotKind::Internal);
    let efi = machine_facts(
        &domain(QCOW2, "", "").replace("<os>", "<os firmware='efi'>"),
        true,
        false,
        V9_0,
    )
    .unwrap();
    assert!(efi.uefi);
    // Without memory, or asked: disks only.
    let f = machine_facts(&domain(QCOW2, "", AGENT), true, false, V9_0).unwrap();
    assert!(f.agent);
    assert_eq!(choose_kind(&f, false, false).0, SnapshotKind::DiskOnly);
    assert_eq!(choose_kind(&f, true, true).0, SnapshotKind::DiskOnly);
    assert_eq!(choose_kind(&f, true, false).0, SnapshotKind::Internal);
}

#[test]
fn external_revert_is_refused_before_libvirt_9_9_with_the_reason() {
    let why = revert_refusal(SnapshotKind::External, V9_0, "kvm").expect("refused on 9.0");
    assert!(why.contains("9.0.0") && why.contains("9.9"), "{why}");
    assert!(revert_refusal(SnapshotKind::DiskOnly, V9_0, "qemu").is_some());
    assert!(revert_refusal(SnapshotKind::External, V9_9, "kvm").is_none());
    assert!(revert_refusal(SnapshotKind::Internal, V9_0, "kvm").is_none());
}

#[test]
fn disks_that_cannot_have_a_snapshot_are_named() {
    let shared = QCOW2.replace("</disk>", "<shareable/></disk>");
    let why = blocked_reason(&machine_facts(&domain(&shared, "", ""), false, false, V9_0).unwrap())
        .expect("a shared disk blocks");
    assert!(why.contains("vda") && why.contains("shared"), "{why}");
    let net = "<disk type='network' device='disk'><driver name='qemu' type='raw'/>\
        <source protocol='rbd' name='pool/img'/><target dev='vdc' bus='virtio'/></disk>";
    let why = blocked_reason(&machine_facts(&domain(net, "", ""), false, false, V9_0).unwrap())
        .expect("a network disk blocks");
    assert!(why.contains("vdc") && why.contains("network"), "{why}");
    assert!(
        blocked_reason(&machine_facts(&domain(QCOW2, "", ""), false, false, V9_0).unwrap())
            .is_none()
    );
}

#[test]
fn names_are_checked_before_anything_is_attempted() {
    let taken = vec!["monday".to_string()];
    assert!(check_name("monday", &taken).unwrap().contains("exists"));
    assert!(check_name("  ", &taken).is_some());
    assert!(check_name("a/b", &taken).unwrap().contains('/'));
    assert!(check_name("two\nlines", &taken).is_some());
    assert!(check_name(".hidden", &taken).is_some());
    assert!(check_name("tuesday", &taken).is_none());
    assert_eq!(
        suggest_name("2026-12-04 07:00:00", &taken),
        "2026-12-04 07:00:00"
    );
    let taken = vec!["2026-12-04 07:00:00".to_string()];
    assert_eq!(
        suggest_name("2026-12-04 07:00:00", &taken),
        "2026-12-04 07:00:00 (2)"
    );
}

fn assert_schema_valid(xml: &str, what: &str) {
    let dir = TempDir::new("snapxml");
    let file = dir.path().join(format!("{what}.xml"));
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("virt-xml-validate")
        .arg(&file)
        .arg("domainsnapshot")
        .output()
        .expect("virt-xml-validate runs (libvirt-clients)");
    assert!(
        out.status.success(),
        "{what}: libvirt's schema refuses\n{xml}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_snapshot_request_is_valid_xml_of_the_chosen_kind() {
    let spec = TakeSpec {
        name: "before <upgrade> & after".into(),
        description: "kept".into(),
        memory: true,
        disk_only: false,
        quiesce: true,
    };
    let f = machine_facts(&domain(QCOW2, "", AGENT), true, false, V9_0).unwrap();
    let (xml, kind, flags) = snapshot_request(&f, &spec, "g");
    assert_eq!((kind, flags), (SnapshotKind::Internal, 0));
    assert_schema_valid(&xml, "internal");
    assert_eq!(
        parse_snapshot_xml(&xml).unwrap().name,
        "before <upgrade> & after"
    );
    // Running UEFI with memory: the memory goes beside the disk, every disk external.
    let f = machine_facts(
        &domain(&format!("{QCOW2}{CDROM}"), PFLASH, AGENT),
        true,
        false,
        V9_0,
    )
    .unwrap();
    let (xml, kind, flags) = snapshot_request(&f, &spec, "g");
    assert_eq!(kind, SnapshotKind::External);
    assert_eq!(flags, 0, "{xml}");
    assert!(
        xml.contains("file=\"/var/lib/libvirt/images/g.before__upgrade____after.mem\"")
            || xml.contains("file='/var/lib/libvirt/images/g.before__upgrade____after.mem'"),
        "{xml}"
    );
    assert!(
        xml.contains("name=\"sda\" snapshot=\"no\"") || xml.contains("name='sda' snapshot='no'"),
        "{xml}"
    );
    assert_schema_valid(&xml, "external");
    // Disks only, quiesced through the agent.
    let only = TakeSpec {
        disk_only: true,
        ..spec
    };
    let (xml, kind, flags) = snapshot_request(&f, &only, "g");
    assert_eq!(kind, SnapshotKind::DiskOnly);
    assert_eq!(
        flags,
        virt::sys::VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY
            | virt::sys::VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE
    );
    assert_schema_valid(&xml, "disk-only");
}

#[test]
fn thumbnails_are_scaled_and_compared() {
    // A 640×400 PPM: left half red, right half blue.
    let mut ppm = b"P6\n# QEMU\n640 400\n255\n".to_vec();
    for _y in 0..400 {
        for x in 0..640 {
            ppm.extend_from_slice(if x < 320 { &[255, 0, 0] } else { &[0, 0, 255] });
        }
    }
    let img = thumbs::decode("image/x-portable-pixmap", &ppm).expect("PPM decodes");
    assert_eq!((img.width, img.height), (640, 400));
    let small = thumbs::scaled(&img).unwrap();
    assert_eq!((small.width, small.height), (thumbs::THUMB_WIDTH, 160));
    assert_eq!(small.pixels[80 * small.width + 10], [255, 0, 0]);
    assert_eq!(
        small.pixels[80 * small.width + small.width - 10],
        [0, 0, 255]
    );
    assert_eq!(thumbs::mean_diff(&small, &small), Some(0.0));
    let mut other = small.clone();
    other.pixels.iter_mut().for_each(|p| *p = [0, 0, 0]);
    assert!(thumbs::mean_diff(&small, &other).unwrap() > 50.0);
    assert!(thumbs::decode("image/png", b"not a picture").is_err());
    // One directory per domain, a file per snapshot, whatever its name holds.
    let a = thumbs::path("uuid-1", "a/b");
    let b = thumbs::path("uuid-1", "a%2Fb");
    assert_ne!(a, b);
    assert_eq!(a.parent(), b.parent());
    assert!(a.starts_with(thumbs::root().join("uuid-1")));
}

/// A node file with a shut-off machine and a running one.
fn node(dir: &TempDir) -> String {
    let xml = "<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <domain type='test'><name>quiet</name><uuid>5a5a0000-0000-4000-8000-000000000001</uuid>
    <memory>65536</memory><os><type>hvm</type></os><test:runstate>5</test:runstate></domain>
  <domain type='test'><name>busy</name><uuid>5a5a0000-0000-4000-8000-000000000002</uuid>
    <memory>65536</memory><os><type>hvm</type></os><test:runstate>1</test:runstate></domain>
</node>";
    let path = dir.path().join("node.xml");
    std::fs::write(&path, xml).unwrap();
    format!("test://{}", path.display())
}

fn take(conn: &hangar::backend::conn::worker::Connection, uuid: &str, name: &str) {
    let spec = TakeSpec {
        name: name.into(),
        description: format!("{name}'s description"),
        memory: true,
        disk_only: false,
        quiesce: false,
    };
    let made = block_on(conn.snapshot_op(uuid.into(), SnapshotOp::Take(spec))).expect("taken");
    assert_eq!(made, name);
}

fn parents(
    conn: &hangar::backend::conn::worker::Connection,
    uuid: &str,
) -> Vec<(String, Option<String>)> {
    let list = block_on(conn.snapshots(uuid.into())).expect("listed");
    let mut v: Vec<(String, Option<String>)> = list
        .items
        .iter()
        .map(|s| (s.name.clone(), s.parent.clone()))
        .collect();
    v.sort();
    v
}

fn pair(a: &str, b: Option<&str>) -> (String, Option<String>) {
    (a.to_string(), b.map(str::to_string))
}

#[test]
fn a_chain_with_a_branch_is_taken_edited_and_deleted_on_the_test_driver() {
    let dir = TempDir::new("snapnode");
    let (w, _updates) = connected(&node(&dir), Duration::from_secs(10));
    let conn = &w.0;
    let uuid = "5a5a0000-0000-4000-8000-000000000001";
    let before = block_on(conn.snapshot_fingerprint(uuid.into())).unwrap();
    take(conn, uuid, "one");
    take(conn, uuid, "two");
    take(conn, uuid, "three");
    // A branch: back to "one", then a new snapshot from there.
    block_on(conn.snapshot_op(
        uuid.into(),
        SnapshotOp::Revert {
            name: "one".into(),
            mode: RevertMode::AsTaken,
        },
    ))
    .expect("reverted");
    take(conn, uuid, "branch");
    assert_ne!(
        block_on(conn.snapshot_fingerprint(uuid.into())).unwrap(),
        before
    );
    let list = block_on(conn.snapshots(uuid.into())).unwrap();
    assert_eq!(list.current().map(|s| s.name.as_str()), Some("branch"));
    let order: Vec<(&str, usize)> = tree_order(&list.items)
        .into_iter()
        .map(|(i, d)| (list.items[i].name.as_str(), d))
        .collect();
    // Siblings oldest first; taken within one second, by name.
    assert_eq!(order, [("one", 0), ("branch", 1), ("two", 1), ("three", 2)]);
    // A name that exists is refused before libvirt is asked.
    let again = TakeSpec {
        name: "two".into(),
        description: String::new(),
        memory: false,
        disk_only: false,
        quiesce: false,
    };
    let e = block_on(conn.snapshot_op(uuid.into(), SnapshotOp::Take(again))).unwrap_err();
    assert!(e.to_string().contains("exists"), "{e}");
    // The description is edited; internal snapshots keep their names.
    block_on(conn.edit_snapshot(uuid.into(), "two".into(), "two".into(), "edited".into()))
        .expect("description saved");
    let list = block_on(conn.snapshots(uuid.into())).unwrap();
    let two = list.items.iter().find(|s| s.name == "two").unwrap();
    assert_eq!(two.description, "edited");
    assert_eq!(
        list.current().map(|s| s.name.as_str()),
        Some("branch"),
        "still current"
    );
    // The middle one goes: its child moves to its parent.
    block_on(conn.snapshot_op(
        uuid.into(),
        SnapshotOp::Delete {
            name: "two".into(),
            mode: DeleteMode::One,
        },
    ))
    .expect("deleted");
    assert_eq!(
        parents(conn, uuid),
        [
            pair("branch", Some("one")),
            pair("one", None),
            pair("three", Some("one"))
        ]
    );
    // Only the children of "one".
    block_on(conn.snapshot_op(
        uuid.into(),
        SnapshotOp::Delete {
            name: "one".into(),
            mode: DeleteMode::ChildrenOnly,
        },
    ))
    .expect("children deleted");
    assert_eq!(parents(conn, uuid), [pair("one", None)]);
    take(conn, uuid, "four");
    block_on(conn.snapshot_op(
        uuid.into(),
        SnapshotOp::Delete {
            name: "one".into(),
            mode: DeleteMode::WithChildren,
        },
    ))
    .expect("deleted with children");
    assert!(parents(conn, uuid).is_empty());
}

#[test]
fn a_running_machine_gets_a_thumbnail_removed_with_its_snapshot() {
    let dir = TempDir::new("snapthumb");
    let (w, _updates) = connected(&node(&dir), Duration::from_secs(10));
    let conn = &w.0;
    let uuid = "5a5a0000-0000-4000-8000-000000000002";
    let name = format!("shot-{}", std::process::id());
    take(conn, uuid, &name);
    let path = thumbs::path(uuid, &name);
    let img = thumbs::load(&path).expect("the thumbnail was stored");
    assert!(img.width > 0 && img.width <= thumbs::THUMB_WIDTH);
    let list = block_on(conn.snapshots(uuid.into())).unwrap();
    let s = list.items.iter().find(|s| s.name == name).unwrap();
    assert!(s.has_memory && s.was_active(), "{s:?}");
    block_on(conn.snapshot_op(
        uuid.into(),
        SnapshotOp::Delete {
            name: name.clone(),
            mode: DeleteMode::One,
        },
    ))
    .expect("deleted");
    assert!(!path.exists(), "the thumbnail went with the snapshot");
}
