//! Storage without a daemon: the pool form's XML for every type (checked by libvirt's
//! own schema), the checks of what a person types, which domains use which volume, the
//! shape of an upload, and pools and volumes made and removed on the test driver.

use std::process::Command;
use std::time::Duration;

use hangar::backend::storage::info::parse_pool_xml;
use hangar::backend::storage::pools::{
    check_field, check_pool_name, check_spec, default_pool_spec, fields_of,
    parse_pool_capabilities, PoolOp, PoolSpec, POOL_KINDS,
};
use hangar::backend::storage::transfer::remaining_secs;
use hangar::backend::storage::volumes::{
    check_volume_spec, disk_sources, formats_for, space_warning, Preallocation, User, Volume,
    VolumeSpec,
};

use crate::common::{block_on, connected, TempDir};

fn assert_pool_schema_valid(xml: &str, what: &str) {
    let dir = TempDir::new("poolxml");
    let file = dir.path().join(format!("{what}.xml"));
    std::fs::write(&file, xml).expect("write XML");
    let out = Command::new("virt-xml-validate")
        .arg(&file)
        .arg("storagepool")
        .output()
        .expect("virt-xml-validate runs (libvirt-clients, installed by install-deps.sh)");
    assert!(
        out.status.success(),
        "{what}: libvirt's schema refuses\n{xml}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn filled(kind: &str) -> PoolSpec {
    let mut s = PoolSpec {
        kind: kind.into(),
        name: format!("p-{kind}"),
        ..Default::default()
    };
    for f in fields_of(kind) {
        let v = match *f {
            "target" => "/srv/pools/x",
            "host" => "nas.example.org",
            "source_dir" if kind == "iscsi" => "iqn.2024-01.org.example:storage",
            "source_dir" => "/export/vms",
            "device" => "/dev/sdb",
            "source_name" if kind == "scsi" => "host0",
            "source_name" => "vg0",
            "format" if kind == "disk" => "gpt",
            "format" => "ext4",
            _ => "x",
        };
        s.set(f, v);
    }
    s
}

#[test]
fn every_pool_type_writes_xml_libvirt_accepts_and_reads_back() {
    for kind in POOL_KINDS {
        let spec = filled(kind);
        assert!(
            check_spec(&spec, &[]).is_empty(),
            "{kind}: a filled form passes: {:?}",
            check_spec(&spec, &[])
        );
        let xml = spec.to_xml();
        assert_pool_schema_valid(&xml, kind);
        let (k, path, source) = parse_pool_xml(&xml);
        assert_eq!(k, *kind);
        if fields_of(kind).contains(&"target") {
            assert_eq!(path, spec.target, "{kind}: the target path");
        }
        if kind == &"netfs" {
            assert_eq!(source, "nas.example.org:/export/vms");
            assert!(xml.contains("<format type=\"nfs\"") || xml.contains("<format type='nfs'"));
        }
        if kind == &"logical" {
            assert_eq!(
                path, "/dev/vg0",
                "a volume group's volumes are under /dev/<vg>"
            );
        }
    }
    assert_pool_schema_valid(&default_pool_spec().to_xml(), "default");
}

#[test]
fn the_pool_form_says_what_is_wrong_field_by_field() {
    let taken = vec!["default".to_string()];
    assert!(check_pool_name("", &taken).is_some());
    assert!(check_pool_name("a/b", &taken).unwrap().contains('/'));
    assert!(check_pool_name("my pool", &taken).is_some());
    assert!(check_pool_name("default", &taken)
        .unwrap()
        .contains("default"));
    assert_eq!(check_pool_name("isos", &taken), None);
    // A relative path is refused where it was typed, and says why.
    let e = check_field("dir", "target", "images/vm").expect("relative path refused");
    assert!(e.contains("absolute"), "{e}");
    assert_eq!(check_field("dir", "target", "/srv/images"), None);
    assert!(
        check_field("netfs", "host", "").is_some(),
        "NFS needs a host"
    );
    assert!(check_field("netfs", "source_dir", "export").is_some());
    assert!(check_field("iscsi", "source_dir", "storage1")
        .unwrap()
        .contains("iqn."));
    assert_eq!(
        check_field("logical", "device", ""),
        None,
        "the PV is optional"
    );
    // The form lists each problem under the field it belongs to.
    let mut s = filled("netfs");
    s.set("host", "");
    s.set("target", "relative");
    let fields: Vec<&str> = check_spec(&s, &[]).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, vec!["host", "target"]);
    // Building formats a device: the form warns for those, not for a directory.
    assert!(filled("fs").build_destroys_data());
    assert!(filled("disk").build_destroys_data());
    assert!(!filled("dir").build_destroys_data());
}

#[test]
fn pool_capabilities_name_the_supported_types() {
    let caps = "<storagepoolCapabilities>\
        <pool type='dir' supported='yes'><volOptions/></pool>\
        <pool type='rbd' supported='no'/>\
        <pool type='logical' supported='yes'/></storagepoolCapabilities>";
    assert_eq!(parse_pool_capabilities(caps), vec!["dir", "logical"]);
}

fn vol(name: &str) -> Volume {
    Volume {
        name: name.into(),
        path: format!("/p/{name}"),
        capacity: 1 << 30,
        ..Default::default()
    }
}

#[test]
fn the_volume_form_refuses_what_cannot_be_made_and_warns_of_overcommit() {
    let existing = vec![vol("a.qcow2")];
    let spec = |name: &str, cap: u64, pre: Preallocation| VolumeSpec {
        name: name.into(),
        format: "qcow2".into(),
        capacity: cap,
        preallocation: pre,
        ..Default::default()
    };
    let free = 10 << 30;
    let fields = |s: &VolumeSpec| -> Vec<&str> {
        check_volume_spec(s, &existing, free)
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    };
    assert_eq!(
        fields(&spec("a.qcow2", 1, Preallocation::Off)),
        vec!["name"]
    );
    assert_eq!(fields(&spec("x/y", 1, Preallocation::Off)), vec!["name"]);
    assert_eq!(fields(&spec("b", 0, Preallocation::Off)), vec!["capacity"]);
    // Bigger than the free space: a sparse volume is allowed with a warning…
    let big = spec("b", 20 << 30, Preallocation::Off);
    assert!(fields(&big).is_empty());
    assert!(space_warning(&big, free).is_some());
    // …a fully allocated one is refused.
    assert_eq!(
        fields(&spec("b", 20 << 30, Preallocation::Full)),
        vec!["capacity"]
    );
    let mut raw_overlay = spec("c", 1 << 30, Preallocation::Off);
    raw_overlay.format = "raw".into();
    raw_overlay.backing = "/p/a.qcow2".into();
    assert_eq!(fields(&raw_overlay), vec!["backing"]);
    assert_eq!(formats_for("dir"), &["qcow2", "raw"]);
    assert_eq!(formats_for("logical"), &["raw"]);
    // The overlay's XML names its backing file and format.
    let mut overlay = spec("d", 1 << 30, Preallocation::Off);
    overlay.backing = "/p/a.qcow2".into();
    overlay.backing_format = "qcow2".into();
    let xml = overlay.to_xml();
    assert!(
        xml.contains("<backingStore><path>/p/a.qcow2</path>"),
        "{xml}"
    );
}

#[test]
fn disks_name_their_volumes_by_path_and_by_pool() {
    let xml = "<domain><devices>\
        <disk type='file' device='disk'><source file='/var/lib/libvirt/images/a.qcow2'/></disk>\
        <disk type='volume' device='disk'><source pool='isos' volume='debian.iso'/></disk>\
        <disk type='block' device='disk'><source dev='/dev/vg0/data'/></disk>\
        <disk type='file' device='cdrom'/></devices></domain>";
    let (paths, vols) = disk_sources(xml);
    assert_eq!(
        paths,
        vec!["/var/lib/libvirt/images/a.qcow2", "/dev/vg0/data"]
    );
    assert_eq!(vols, vec![("isos".to_string(), "debian.iso".to_string())]);
    let v = Volume {
        used_by: vec![
            User {
                name: "db".into(),
                running: false,
            },
            User {
                name: "web".into(),
                running: true,
            },
        ],
        ..vol("a")
    };
    assert_eq!(v.running_users(), vec!["web"]);
}

#[test]
fn the_time_left_is_said_only_when_it_can_be() {
    assert_eq!(remaining_secs(50, 150, 10.0), Some(10));
    assert_eq!(remaining_secs(50, 150, 0.0), None);
}

#[test]
fn pools_and_volumes_are_made_and_removed_on_the_test_driver() {
    let (conn, _updates) = connected("test:///default", Duration::from_secs(10));
    let conn = &conn.0;
    let pools = block_on(conn.pools()).expect("pools");
    let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["default-pool"]);
    assert!(pools[0].active && pools[0].capacity > 0);

    let spec = PoolSpec {
        kind: "dir".into(),
        name: "made-here".into(),
        target: "/made/here".into(),
        ..Default::default()
    };
    let uuid = block_on(conn.create_pool(spec.clone(), false, true)).expect("create");
    let made = block_on(conn.pools())
        .unwrap()
        .into_iter()
        .find(|p| p.uuid == uuid)
        .expect("listed");
    assert_eq!(
        (made.name.as_str(), made.path.as_str()),
        ("made-here", "/made/here")
    );
    assert!(made.active && made.autostart);
    // The same name again is refused with the reason, before libvirt is asked.
    let e = block_on(conn.create_pool(spec, false, false)).expect_err("name taken");
    assert!(e.to_string().contains("made-here"), "{e}");

    let v = VolumeSpec {
        name: "disk.qcow2".into(),
        format: "qcow2".into(),
        capacity: 2 << 30,
        ..Default::default()
    };
    block_on(conn.create_pool_volume(uuid.clone(), v.clone())).expect("volume");
    let vols = block_on(conn.volumes(uuid.clone())).unwrap();
    assert_eq!(vols.len(), 1);
    assert_eq!(
        (vols[0].name.as_str(), vols[0].capacity),
        ("disk.qcow2", 2 << 30)
    );
    assert!(
        block_on(conn.create_pool_volume(uuid.clone(), v)).is_err(),
        "name taken"
    );
    // (The test driver cannot resize; growing is tested on the real daemon.) A
    // smaller size is refused by Hangar itself without the explicit choice.
    let e = block_on(conn.resize_volume(uuid.clone(), "disk.qcow2".into(), 1 << 30, false))
        .expect_err("shrink needs the explicit choice");
    assert!(e.to_string().contains("Shrink"), "{e}");
    block_on(conn.delete_volume(uuid.clone(), "disk.qcow2".into())).expect("delete");
    assert!(block_on(conn.volumes(uuid.clone())).unwrap().is_empty());

    block_on(conn.pool_op(uuid.clone(), PoolOp::Stop)).expect("stop");
    block_on(conn.pool_op(uuid.clone(), PoolOp::Undefine)).expect("undefine");
    assert!(block_on(conn.pools())
        .unwrap()
        .iter()
        .all(|p| p.uuid != uuid));
}
