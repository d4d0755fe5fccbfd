//! The clone's plan without a daemon: names, the default for each kind of disk, and
//! the clone's XML (new identity, new MACs, ports chosen anew, disks pointed at their
//! copies), checked by libvirt's schema.

use std::process::Command;

use hangar::backend::clone::plan::{
    check_clone_name, clone_xml, new_volume_name, plan_disks, suggest_name, DiskAction,
};
use hangar::backend::xml::Document;

use crate::common::TempDir;

const DOMAIN: &str = "<domain type='kvm'><name>web</name>\
  <uuid>0f0e0d0c-0b0a-0908-0706-050403020100</uuid>\
  <memory unit='MiB'>512</memory><vcpu>1</vcpu>\
  <os><type arch='x86_64' machine='q35'>hvm</type>\
  <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>\
  <nvram>/var/lib/libvirt/qemu/nvram/web_VARS.fd</nvram></os>\
  <devices>\
  <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
  <source file='/pool/web.qcow2'/><target dev='vda' bus='virtio'/></disk>\
  <disk type='file' device='disk'><driver name='qemu' type='raw'/>\
  <source file='/pool/shared.raw'/><target dev='vdb' bus='virtio'/><shareable/></disk>\
  <disk type='file' device='cdrom'><driver name='qemu' type='raw'/>\
  <source file='/isos/debian.iso'/><target dev='sda' bus='sata'/><readonly/></disk>\
  <disk type='file' device='disk'><driver name='qemu' type='raw'/>\
  <source file='/elsewhere/scratch.img'/><target dev='vdc' bus='virtio'/></disk>\
  <interface type='network'><mac address='52:54:00:11:22:33'/><source network='default'/>\
  <target dev='vnet7'/><model type='virtio'/></interface>\
  <graphics type='vnc' port='5901' autoport='no' listen='127.0.0.1'/>\
  </devices></domain>";

fn lookup(path: &str) -> Option<(String, String, String, u64, u64)> {
    match path {
        "/pool/web.qcow2" => Some((
            "pool".into(),
            "web.qcow2".into(),
            "qcow2".into(),
            10 << 30,
            2 << 30,
        )),
        "/pool/shared.raw" => Some((
            "pool".into(),
            "shared.raw".into(),
            "raw".into(),
            1 << 30,
            1 << 30,
        )),
        "/isos/debian.iso" => Some((
            "isos".into(),
            "debian.iso".into(),
            "iso".into(),
            600 << 20,
            600 << 20,
        )),
        _ => None,
    }
}

#[test]
fn names_of_the_clone_and_its_disks() {
    let taken = vec!["web".to_string(), "web-clone".to_string()];
    assert_eq!(suggest_name("web", &taken), "web-clone-1");
    assert_eq!(suggest_name("db", &taken), "db-clone");
    assert!(check_clone_name("web", &taken).unwrap().contains("web"));
    assert!(check_clone_name("", &taken).is_some());
    assert!(check_clone_name("a/b", &taken).is_some());
    assert_eq!(check_clone_name("web-2", &taken), None);
    assert_eq!(
        new_volume_name("web-2", "vda", "web.qcow2", false),
        "web-2.qcow2"
    );
    assert_eq!(
        new_volume_name("web-2", "vdb", "data.raw", true),
        "web-2-vdb.raw"
    );
    assert_eq!(new_volume_name("web-2", "vda", "disk", false), "web-2");
}

#[test]
fn each_disk_gets_the_default_a_person_would_pick() {
    let plans = plan_disks(DOMAIN, "web-clone", lookup);
    let by = |t: &str| {
        plans
            .iter()
            .find(|p| p.target == t)
            .expect("planned")
            .clone()
    };
    let vda = by("vda");
    assert_eq!(
        vda.action,
        DiskAction::Copy,
        "a writable disk in a pool is copied"
    );
    assert_eq!(vda.new_volume, "web-clone.qcow2");
    assert_eq!((vda.capacity, vda.format.as_str()), (10 << 30, "qcow2"));
    assert_eq!(by("vdb").action, DiskAction::Share, "shareable: shared");
    assert_eq!(by("sda").action, DiskAction::Share, "install media: shared");
    let vdc = by("vdc");
    assert_eq!(
        vdc.action,
        DiskAction::Share,
        "no pool: it cannot be copied"
    );
    assert!(!vdc.can_copy() && !vdc.fixed_reason.is_empty());
}

#[test]
fn the_clones_xml_has_a_new_identity_and_its_own_disks() {
    let xml = clone_xml(
        DOMAIN,
        "web-clone",
        &[("vda".into(), "/pool/web-clone.qcow2".into())],
        Some("/var/lib/libvirt/qemu/nvram/web-clone_VARS.fd"),
    )
    .expect("clone XML");
    let doc = Document::parse(&xml).unwrap();
    let r = &doc.root;
    assert_eq!(r.child("name").unwrap().text(), "web-clone");
    assert!(r.child("uuid").is_none(), "libvirt gives it a new UUID");
    assert!(!xml.contains("52:54:00:11:22:33"), "no MAC of the original");
    assert!(!xml.contains("vnet7"), "no tap device name of the original");
    let g = r.find(&["devices", "graphics"]).unwrap();
    assert_eq!((g.attr("autoport"), g.attr("port")), (Some("yes"), None));
    assert!(xml.contains("/pool/web-clone.qcow2"));
    assert!(
        xml.contains("/pool/shared.raw"),
        "the shared disk stays the same file"
    );
    assert!(!xml.contains("/pool/web.qcow2"));
    assert_eq!(
        r.find(&["os", "nvram"]).unwrap().text(),
        "/var/lib/libvirt/qemu/nvram/web-clone_VARS.fd"
    );
    // Without a copy of the variables, libvirt makes fresh ones.
    let fresh = clone_xml(DOMAIN, "web-clone", &[], None).unwrap();
    assert!(!fresh.contains("<nvram"), "{fresh}");
    // libvirt's schema takes it.
    let dir = TempDir::new("clonexml");
    let f = dir.path().join("clone.xml");
    std::fs::write(&f, &xml).unwrap();
    let out = Command::new("virt-xml-validate")
        .arg(&f)
        .arg("domain")
        .output()
        .expect("virt-xml-validate runs");
    assert!(
        out.status.success(),
        "{xml}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
