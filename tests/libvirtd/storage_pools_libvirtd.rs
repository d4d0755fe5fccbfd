//! Pool types beyond a directory on a real libvirtd, on loop devices this test makes:
//! `fs` (the device formatted ext4 by the build, mounted by the pool; built again, it
//! is refused rather than formatted over), `logical` (an LVM volume group built on a
//! device, found by source discovery, a volume made in it), and `netfs`'s form
//! defined through libvirt and read back.

use std::path::PathBuf;
use std::time::Duration;

use crate::common::{self, block_on, TempDir};
use crate::daemon::{run, run_ok, serial, test_uri, unique_name, virsh, virsh_ok};
use hangar::backend::storage::info::parse_pool_xml;
use hangar::backend::storage::pools::{PoolOp, PoolSpec};
use hangar::backend::storage::volumes::VolumeSpec;

const WAIT: Duration = Duration::from_secs(60);

/// A loop device over a sparse file of `mib` MiB, detached however the test ends.
struct Loop {
    dev: String,
    _dir: TempDir,
}

impl Loop {
    fn new(tag: &str, mib: u64) -> Loop {
        let dir = TempDir::new(tag);
        let file = dir.path().join("disk.img");
        std::fs::File::create(&file)
            .and_then(|f| f.set_len(mib << 20))
            .expect("backing file");
        let dev = run_ok("losetup", &["--find", "--show", file.to_str().unwrap()])
            .trim()
            .to_string();
        assert!(dev.starts_with("/dev/loop"), "{dev}");
        Loop { dev, _dir: dir }
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = run("losetup", &["-d", &self.dev]);
    }
}

/// A pool name of this test, destroyed and undefined however the test ends.
struct PoolName(String, String);

impl Drop for PoolName {
    fn drop(&mut self) {
        let _ = virsh(&self.1, &["pool-destroy", &self.0]);
        let _ = virsh(&self.1, &["pool-undefine", &self.0]);
    }
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn an_fs_pool_is_formatted_once_and_never_over_its_data() {
    let _serial = serial();
    let uri = test_uri();
    hangar::init_logging(false);
    let (w, _u) = common::connected(&uri, WAIT);
    let conn = &w.0;
    let dev = Loop::new("fs-pool", 64);
    let name = unique_name("fs");
    let _guard = PoolName(name.clone(), uri.clone());
    let target = PathBuf::from(format!("/var/lib/libvirt/images/{name}"));
    let spec = PoolSpec {
        kind: "fs".into(),
        name: name.clone(),
        device: dev.dev.clone(),
        format: "ext4".into(),
        target: target.display().to_string(),
        ..Default::default()
    };
    let uuid = block_on(conn.create_pool(spec.clone(), true, false)).expect("built and started");
    let blkid = run_ok("blkid", &["-o", "value", "-s", "TYPE", &dev.dev]);
    assert_eq!(blkid.trim(), "ext4", "the build formatted the device");
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    assert!(
        mounts.contains(&format!("{} {}", dev.dev, target.display())),
        "mounted"
    );
    let info = block_on(conn.pools())
        .unwrap()
        .into_iter()
        .find(|p| p.uuid == uuid)
        .unwrap();
    assert!(info.active && info.capacity > 40 << 20, "{info:?}");
    assert_eq!(info.source, dev.dev);
    block_on(conn.create_pool_volume(
        uuid.clone(),
        VolumeSpec {
            name: "keep.raw".into(),
            format: "raw".into(),
            capacity: 4 << 20,
            ..Default::default()
        },
    ))
    .expect("a volume on it");
    block_on(conn.pool_op(uuid.clone(), PoolOp::Undefine)).expect("stop and forget");

    // Built again on the same device: libvirt finds the file system and refuses; the
    // data stays and nothing half-made remains defined.
    let e = block_on(conn.create_pool(spec, true, false)).expect_err("no format over data");
    eprintln!("fs pool built over a file system: {e}");
    assert!(
        virsh(&uri, &["pool-info", &name]).is_err(),
        "the definition was taken back"
    );
    run_ok("mount", &[&dev.dev, target.to_str().unwrap()]);
    let kept = target.join("keep.raw").exists();
    let _ = run("umount", &[target.to_str().unwrap()]);
    assert!(kept, "the volume on the device survived");
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_volume_group_is_built_found_and_holds_volumes() {
    let _serial = serial();
    let uri = test_uri();
    hangar::init_logging(false);
    let (w, _u) = common::connected(&uri, WAIT);
    let conn = &w.0;
    let dev = Loop::new("lvm-pool", 64);
    let vg = unique_name("vg").replace('-', "_");
    let _guard = PoolName(vg.clone(), uri.clone());
    let spec = PoolSpec {
        kind: "logical".into(),
        name: vg.clone(),
        source_name: vg.clone(),
        device: dev.dev.clone(),
        ..Default::default()
    };
    let uuid = block_on(conn.create_pool(spec, true, false)).expect("the VG is built");
    let found = block_on(conn.find_pool_sources("logical".into(), String::new()))
        .expect("source discovery");
    assert!(
        found
            .iter()
            .any(|f| f.source_name == vg && f.device.contains(&dev.dev)),
        "discovery finds the VG on its device: {found:?}"
    );
    let made = block_on(conn.create_pool_volume(
        uuid.clone(),
        VolumeSpec {
            name: "lv0".into(),
            format: "raw".into(),
            capacity: 8 << 20,
            ..Default::default()
        },
    ));
    // The kernel has device-mapper when /proc/misc lists it (a /dev/mapper/control
    // node alone can be there without it).
    let dm = std::fs::read_to_string("/proc/misc").is_ok_and(|m| m.contains("device-mapper"));
    if dm {
        made.expect("a logical volume");
        let vols = block_on(conn.volumes(uuid.clone())).unwrap();
        assert_eq!(vols.len(), 1);
        assert_eq!(vols[0].path, format!("/dev/{vg}/lv0"));
        assert!(
            vols[0].capacity >= 8 << 20 && vols[0].allocation >= 8 << 20,
            "not thin"
        );
        block_on(conn.delete_volume(uuid.clone(), "lv0".into())).expect("delete the LV");
    } else {
        // This kernel has no device-mapper (containers): no LV can be activated, and
        // the person reads why, from LVM itself.
        let e = made.expect_err("no device-mapper, no logical volume");
        eprintln!("logical volume without device-mapper: {e}");
        assert!(e.to_string().contains("device-mapper"), "{e}");
        assert!(block_on(conn.volumes(uuid.clone())).unwrap().is_empty());
    }
    block_on(conn.pool_op(uuid, PoolOp::DeleteWithContents)).expect("remove the VG");
    let vgs = run_ok("vgs", &["--noheadings", "-o", "vg_name"]);
    assert!(!vgs.contains(&vg), "the volume group is gone: {vgs}");
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn an_nfs_pool_form_is_defined_and_read_back_by_libvirt() {
    let _serial = serial();
    let uri = test_uri();
    let name = unique_name("nfs");
    let _guard = PoolName(name.clone(), uri.clone());
    let spec = PoolSpec {
        kind: "netfs".into(),
        name: name.clone(),
        host: "nas.invalid".into(),
        source_dir: "/export/vms".into(),
        target: format!("/var/lib/libvirt/images/{name}"),
        ..Default::default()
    };
    let dir = TempDir::new("nfsxml");
    let f = dir.path().join("pool.xml");
    std::fs::write(&f, spec.to_xml()).unwrap();
    // Defined only: starting it would reach for a server, and tests stay on this host.
    virsh_ok(&uri, &["pool-define", f.to_str().unwrap()]);
    let back = virsh_ok(&uri, &["pool-dumpxml", &name]);
    let (kind, path, source) = parse_pool_xml(&back);
    assert_eq!(kind, "netfs");
    assert_eq!(path, spec.target);
    assert_eq!(source, "nas.invalid:/export/vms");
    assert!(back.contains("<format type='nfs'/>"), "{back}");
}
