//! The hardware editor's backend against a real libvirtd running QEMU (TCG): edits go
//! through Hangar's views and worker, and `virsh dumpxml` must show exactly those
//! changes and everything else unchanged.
//!
//! Run through `build-aux/run-tests.sh`, which starts a private libvirtd and sets
//! `HANGAR_TEST_LIBVIRT_URI`. Without it these tests fail, never pass silently.

use crate::common;
use crate::daemon;

use std::process::Command;
use std::time::Duration;

use common::{block_on, TempDir, Updates, Worker};
use daemon::{dumpxml, serial, test_uri, virsh, DomainGuard};
use hangar::backend::domain::hardware::{Applied, DeviceOp};
use hangar::backend::domain::{Action, DomainState};
use hangar::backend::domain_xml::{fact_diff, DeviceKind, DomainXml, NewDevice, Section};

const WAIT: Duration = Duration::from_secs(60);

fn connect(uri: &str) -> (Worker, Updates) {
    hangar::init_logging(false);
    let (conn, mut updates) = common::connected(uri, WAIT);
    updates.wait_domains(WAIT);
    (conn, updates)
}

fn qcow2(dir: &TempDir, name: &str) -> String {
    let path = dir.path().join(name);
    let out = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&path)
        .arg("16M")
        .output()
        .expect("qemu-img runs (install qemu-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path.to_string_lossy().into_owned()
}

/// A rich guest without a boot disk: metadata in a foreign namespace, a QEMU command
/// line, CPU tuning, two NICs, consoles and more.
fn rich_guest(name: &str) -> String {
    format!(
        "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{name}</name>
  <title>Rich test guest</title>
  <description>Everything here must survive</description>
  <metadata>
    <hg:note xmlns:hg='https://hangar.invalid/ns/1' level='2'>keep me</hg:note>
  </metadata>
  <memory unit='MiB'>64</memory>
  <currentMemory unit='MiB'>64</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <cputune><shares>512</shares></cputune>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/><bootmenu enable='yes' timeout='500'/></os>
  <features><acpi/><apic/></features>
  <clock offset='utc'><timer name='rtc' tickpolicy='catchup'/></clock>
  <on_crash>destroy</on_crash>
  <devices>
    <interface type='user'>
      <mac address='52:54:00:12:34:56'/>
      <model type='virtio'/>
    </interface>
    <interface type='user'>
      <mac address='52:54:00:12:34:57'/>
      <model type='rtl8139'/>
    </interface>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <input type='tablet' bus='usb'/>
    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>
    <video><model type='vga'/></video>
    <watchdog model='i6300esb' action='reset'/>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
    <memballoon model='virtio'/>
  </devices>
  <qemu:commandline>
    <qemu:env name='HANGAR_TEST' value='1'/>
  </qemu:commandline>
</domain>"
    )
}

fn facts_changed(before: &DomainXml, after: &DomainXml) -> (Vec<String>, Vec<String>) {
    fact_diff(&before.doc, &after.doc)
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn edits_through_hangar_change_exactly_what_was_edited() {
    let _s = serial();
    let uri = test_uri();
    let name = format!("hangar-test-details-{}", std::process::id());
    let _guard = DomainGuard::new(&uri, &name);
    let (w, _updates) = connect(&uri);
    let conn = &w.0;
    let uuid = block_on(conn.define_xml(rich_guest(&name))).expect("define the rich guest");
    let original = dumpxml(&uri, &name, true);
    let text = original.to_xml();
    assert!(
        text.contains("keep me") && text.contains("HANGAR_TEST"),
        "{text}"
    );

    // The editor's starting point is what libvirt holds.
    let editable = block_on(conn.editable_domain(uuid.clone())).expect("editable XML");
    assert!(!editable.active);
    let mut d = DomainXml::parse(&editable.xml).expect("parses");
    // An unchanged round trip keeps every fact (libvirt quotes metadata with ", Hangar
    // with ': the spelling may change, never the information).
    assert_eq!(
        facts_changed(&d, &DomainXml::parse(&d.to_xml()).unwrap()),
        (vec![], vec![]),
        "unchanged round trip"
    );
    assert_eq!(facts_changed(&original, &d), (vec![], vec![]));

    // Memory, vCPUs and a NIC's model, applied one after the other.
    d.set_field(Section::Memory, "max_memory", "96").unwrap();
    d.set_field(Section::Memory, "memory", "96").unwrap();
    let applied = block_on(conn.define_edited(uuid.clone(), d.to_xml())).expect("memory");
    assert_eq!(applied, Applied::Saved);
    d.set_field(Section::Cpu, "max_vcpus", "2").unwrap();
    block_on(conn.define_edited(uuid.clone(), d.to_xml())).expect("vCPUs");
    let nic = d
        .devices()
        .into_iter()
        .find(|e| e.kind == DeviceKind::Interface)
        .expect("a NIC")
        .index;
    d.set_field(Section::Device(nic), "model", "e1000e")
        .unwrap();
    block_on(conn.define_edited(uuid.clone(), d.to_xml())).expect("NIC model");

    let edited = dumpxml(&uri, &name, true);
    let (removed, added) = facts_changed(&original, &edited);
    assert_eq!(
        removed,
        [
            "/domain/currentMemory[1]#text=65536",
            "/domain/devices[1]/interface[1]/model[1]@type=virtio",
            "/domain/memory[1]#text=65536",
            "/domain/vcpu[1]#text=1",
        ],
        "removed facts; added: {added:?}"
    );
    assert_eq!(
        added,
        [
            "/domain/currentMemory[1]#text=98304",
            "/domain/devices[1]/interface[1]/model[1]@type=e1000e",
            "/domain/memory[1]#text=98304",
            "/domain/vcpu[1]#text=2",
        ]
    );

    // Add a disk (a qcow2 made by qemu-img), then remove it: its file stays.
    let dir = TempDir::new("details");
    let path = qcow2(&dir, "extra.qcow2");
    let mut el = NewDevice::Disk.element(&edited);
    el.child_mut("source").unwrap().set_attr("file", &path);
    assert_eq!(el.child("target").unwrap().attr("dev"), Some("vda"));
    let applied = block_on(conn.device_op(uuid.clone(), DeviceOp::Attach, el.to_xml()))
        .expect("attach the disk");
    assert_eq!(applied, Applied::Saved);
    let with_disk = dumpxml(&uri, &name, true);
    let (removed, added) = facts_changed(&edited, &with_disk);
    assert!(removed.is_empty(), "adding a disk removed {removed:?}");
    assert!(
        added
            .iter()
            .all(|f| f.starts_with("/domain/devices[1]/disk[1]")),
        "adding a disk changed more: {added:?}"
    );
    assert!(added.iter().any(|f| f.ends_with(&format!("@file={path}"))));
    let disk_index = with_disk
        .devices()
        .into_iter()
        .find(|e| e.kind == DeviceKind::Disk)
        .expect("the new disk is listed")
        .index;
    let disk_xml = with_disk.device(disk_index).unwrap().to_xml();
    let applied = block_on(conn.device_op(uuid.clone(), DeviceOp::Detach, disk_xml))
        .expect("detach the disk");
    assert_eq!(applied, Applied::Saved);
    let without = dumpxml(&uri, &name, true);
    assert_eq!(
        facts_changed(&edited, &without),
        (vec![], vec![]),
        "removing the disk restores the domain"
    );
    assert!(
        std::path::Path::new(&path).exists(),
        "the disk file is kept"
    );

    // A virtio disk moved to SATA: libvirt takes it (the stale PCI address goes,
    // the target becomes sdX), and a per-device boot order with the boot menu's
    // timeout kept.
    let mut moved = DomainXml::parse(&with_disk.to_xml()).unwrap();
    moved
        .set_field(Section::Device(disk_index), "bus", "sata")
        .unwrap();
    moved.set_field(Section::Boot, "boot_menu", "no").unwrap();
    moved.set_field(Section::Boot, "boot_menu", "yes").unwrap();
    let nic = moved
        .devices()
        .into_iter()
        .find(|e| e.kind == DeviceKind::Interface)
        .expect("a NIC")
        .index;
    moved
        .set_field(Section::Boot, "boot_order", &format!("{nic},{disk_index}"))
        .unwrap();
    block_on(conn.define_edited(uuid.clone(), moved.to_xml()))
        .expect("libvirt takes the disk on SATA and the boot order");
    let on_sata = dumpxml(&uri, &name, true);
    let disk = on_sata
        .devices()
        .into_iter()
        .find(|e| e.kind == DeviceKind::Disk)
        .expect("the disk");
    let v = hangar::backend::domain_xml::DiskView::read(on_sata.device(disk.index).unwrap());
    assert_eq!(
        (v.bus.as_deref(), v.target.as_deref()),
        (Some("sata"), Some("sda"))
    );
    let order: Vec<usize> = on_sata
        .boot_entries()
        .iter()
        .filter(|e| e.enabled)
        .map(|e| e.index)
        .collect();
    assert_eq!(order.len(), 2, "{}", on_sata.to_xml());
    assert_eq!(
        on_sata.boot().menu_timeout_ms,
        Some(500),
        "the timeout stays"
    );
    block_on(conn.define_edited(uuid.clone(), with_disk.to_xml())).expect("back");

    // libvirt's refusal comes back as an error, nothing is defined.
    let mut bad = DomainXml::parse(&without.to_xml()).unwrap();
    bad.set_field(Section::Cpu, "cpu_mode", "custom").unwrap();
    bad.set_field(Section::Cpu, "cpu_model", "NoSuchCpuModel")
        .unwrap();
    let before_bad = dumpxml(&uri, &name, true);
    if block_on(conn.define_edited(uuid.clone(), bad.to_xml())).is_ok() {
        // Some libvirt versions accept unknown models at define time; then undo it.
        block_on(conn.define_edited(uuid.clone(), before_bad.to_xml())).expect("undo");
    }
    let mut other = DomainXml::parse(&without.to_xml()).unwrap();
    other
        .doc
        .root
        .child_mut("uuid")
        .unwrap()
        .set_text("00000000-0000-0000-0000-000000000001");
    assert!(
        block_on(conn.define_edited(uuid.clone(), other.to_xml())).is_err(),
        "another UUID is refused"
    );
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn live_attach_of_a_disk_to_a_running_guest() {
    let _s = serial();
    let uri = test_uri();
    let name = format!("hangar-test-live-{}", std::process::id());
    let _guard = DomainGuard::new(&uri, &name);
    let (w, mut updates) = connect(&uri);
    let conn = &w.0;
    let xml = format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
         <devices><graphics type='vnc' listen='127.0.0.1'/></devices></domain>"
    );
    let uuid = block_on(conn.define_xml(xml)).expect("define");
    block_on(conn.action(uuid.clone(), Action::Start)).expect("start");
    updates.wait_state(&uuid, DomainState::Running, WAIT);

    let editable = block_on(conn.editable_domain(uuid.clone())).expect("editable");
    assert!(editable.active);
    let d = DomainXml::parse(&editable.xml).unwrap();
    let dir = TempDir::new("live");
    let path = qcow2(&dir, "hot.qcow2");
    let mut el = NewDevice::Disk.element(&d);
    el.child_mut("source").unwrap().set_attr("file", &path);
    let applied =
        block_on(conn.device_op(uuid.clone(), DeviceOp::Attach, el.to_xml())).expect("live attach");
    assert_eq!(
        applied,
        Applied::Now,
        "a virtio disk hot-plugs into a running guest"
    );
    let live = dumpxml(&uri, &name, false);
    let config = dumpxml(&uri, &name, true);
    for (what, x) in [("live", &live), ("config", &config)] {
        assert!(
            x.to_xml().contains(&path),
            "{what} XML lacks the new disk:\n{}",
            x.to_xml()
        );
    }

    // The running guest's addresses can be asked (none yet: no OS), and the host's
    // devices listed for passthrough.
    let addrs = block_on(conn.guest_addresses(uuid.clone())).expect("guest addresses");
    assert!(addrs.iter().all(|(_, a)| a.is_empty()), "{addrs:?}");
    match block_on(conn.host_devices()) {
        Ok(devs) => eprintln!("host devices for passthrough: {}", devs.len()),
        Err(e) => panic!("listing the host's devices failed: {e:?}"),
    }

    // A change libvirt cannot make live is saved for after shutdown.
    let mut edited = DomainXml::parse(&config.to_xml()).unwrap();
    edited
        .set_field(Section::Memory, "max_memory", "80")
        .unwrap();
    let applied =
        block_on(conn.define_edited(uuid.clone(), edited.to_xml())).expect("define while running");
    assert_eq!(applied, Applied::AfterShutdown);
    block_on(conn.action(uuid.clone(), Action::ForceOff)).expect("force off");
    updates.wait_state(&uuid, DomainState::Shutoff, WAIT);
    assert_eq!(dumpxml(&uri, &name, true).memory().max_kib, 80 * 1024);
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn volumes_are_listed_and_made_in_a_pool() {
    let _s = serial();
    let uri = test_uri();
    let dir = TempDir::new("pool");
    let pool = format!("hangar-test-pool-{}", std::process::id());
    let _ = virsh(&uri, &["pool-destroy", &pool]);
    let target = dir.path().to_string_lossy().into_owned();
    virsh(&uri, &["pool-create-as", &pool, "dir", "--target", &target])
        .unwrap_or_else(|e| panic!("{e}"));
    struct PoolGuard(String, String);
    impl Drop for PoolGuard {
        fn drop(&mut self) {
            let _ = virsh(&self.0, &["pool-destroy", &self.1]);
        }
    }
    let _guard = PoolGuard(uri.clone(), pool.clone());
    // A file put there by hand is listed too.
    let by_hand = qcow2(&dir, "by-hand.qcow2");
    let (w, _updates) = connect(&uri);
    let conn = &w.0;
    let pools = block_on(conn.storage_volumes()).expect("pools listed");
    let p = pools
        .iter()
        .find(|p| p.name == pool)
        .unwrap_or_else(|| panic!("{pool} listed: {pools:?}"));
    assert!(p.active && p.kind == "dir" && p.available > 0, "{p:?}");
    let v = p
        .volumes
        .iter()
        .find(|v| v.path == by_hand)
        .unwrap_or_else(|| panic!("the file made by hand is listed: {p:?}"));
    assert_eq!((v.format.as_str(), v.capacity), ("qcow2", 16 << 20));

    // New volumes through Hangar's backend: qemu-img sees their format and size.
    for (name, format, mib) in [("new.qcow2", "qcow2", 64u64), ("new.img", "raw", 32)] {
        let path =
            block_on(conn.create_volume(pool.clone(), name.into(), mib << 20, format.into()))
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(path, format!("{target}/{name}"));
        let out = Command::new("qemu-img")
            .args(["info", "--output=json", &path])
            .output()
            .expect("qemu-img runs");
        let info = String::from_utf8_lossy(&out.stdout);
        assert!(
            info.contains(&format!("\"format\": \"{format}\"")),
            "{name}: {info}"
        );
        assert!(
            info.contains(&format!("\"virtual-size\": {}", mib << 20)),
            "{name}: {info}"
        );
    }
    // Refused before libvirt is asked: a taken name, more than the free space.
    let err =
        block_on(conn.create_volume(pool.clone(), "new.qcow2".into(), 1 << 20, "qcow2".into()))
            .expect_err("a taken name is refused");
    assert!(format!("{err:?}").contains("already has"), "{err:?}");
    let p = block_on(conn.storage_volumes())
        .unwrap()
        .into_iter()
        .find(|p| p.name == pool)
        .unwrap();
    assert_eq!(p.volumes.len(), 3, "{p:?}");
    let err = block_on(conn.create_volume(
        pool.clone(),
        "huge.qcow2".into(),
        p.available + (1 << 30),
        "qcow2".into(),
    ))
    .expect_err("more than the free space is refused");
    assert!(format!("{err:?}").contains("free"), "{err:?}");
    assert!(!dir.path().join("huge.qcow2").exists());
}
