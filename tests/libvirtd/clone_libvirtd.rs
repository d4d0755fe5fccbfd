//! Cloning on a real libvirtd: a shut-off guest with a qcow2 disk in a pool is cloned;
//! the clone has its own UUID, MAC and disk (same contents, qemu-img compare), boots
//! under TCG, and the original's disk is unchanged. A cancelled clone leaves nothing.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::common::{self, block_on};
use crate::daemon::{run_ok, serial, test_uri, unique_name, virsh, virsh_ok, DomainGuard};
use hangar::backend::clone::job::{CloneJob, CloneProgress, CloneSpec};
use hangar::backend::clone::plan::DiskAction;
use hangar::backend::storage::pools::{PoolOp, PoolSpec};
use hangar::backend::storage::volumes::VolumeSpec;

const WAIT: Duration = Duration::from_secs(120);

fn run_clone(spec: CloneSpec, cancel_at_once: bool) -> Vec<CloneProgress> {
    let (job, rx) = CloneJob::start(spec);
    if cancel_at_once {
        job.cancel();
    }
    let mut seen = Vec::new();
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let p = common::block_on_timeout(rx.recv(), left)
            .expect("the clone ends in time")
            .expect("a report");
        let end = !matches!(p, CloneProgress::Disk { .. });
        seen.push(p);
        if end {
            return seen;
        }
    }
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_shut_off_guest_is_cloned_and_the_clone_boots() {
    let _serial = serial();
    let uri = test_uri();
    hangar::init_logging(false);
    let (w, _updates) = common::connected(&uri, WAIT);
    let conn = &w.0;
    let pool_name = unique_name("clone-pool");
    let dir = PathBuf::from(format!("/var/lib/libvirt/images/{pool_name}"));
    let pool = block_on(conn.create_pool(
        PoolSpec {
            kind: "dir".into(),
            name: pool_name.clone(),
            target: dir.display().to_string(),
            ..Default::default()
        },
        true,
        false,
    ))
    .expect("pool");
    let disk = block_on(conn.create_pool_volume(
        pool.clone(),
        VolumeSpec {
            name: "orig.qcow2".into(),
            format: "qcow2".into(),
            capacity: 64 << 20,
            ..Default::default()
        },
    ))
    .expect("disk");
    // Something on the disk to copy.
    run_ok(
        "qemu-io",
        &["-f", "qcow2", "-c", "write -P 0x5a 1M 2M", &disk],
    );
    let before = run_ok("sha256sum", &[&disk]);
    let name = unique_name("clone-src");
    let _g = DomainGuard::define(
        &uri,
        &name,
        &format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os><devices>\
             <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='{disk}'/><target dev='vda' bus='virtio'/></disk>\
             <interface type='user'><mac address='52:54:00:aa:bb:01'/><model type='virtio'/></interface>\
             <graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>"
        ),
    );
    let uuid = virsh_ok(&uri, &["domuuid", &name]).trim().to_string();
    let offer = block_on(conn.clone_offer(uuid.clone())).expect("offer");
    assert!(offer.blocked.is_empty(), "a shut-off guest can be cloned");
    assert_eq!(offer.suggested_name, format!("{name}-clone"));
    assert_eq!(offer.disks.len(), 1);
    assert_eq!(offer.disks[0].action, DiskAction::Copy);
    let clone_name = offer.suggested_name.clone();
    let _gc = DomainGuard::new(&uri, &clone_name);
    let spec = CloneSpec {
        uri: uri.clone(),
        source_uuid: uuid.clone(),
        new_name: clone_name.clone(),
        disks: offer.disks.clone(),
    };

    // Cancelled before the first disk: nothing is made.
    let cancelled = run_clone(spec.clone(), true);
    assert_eq!(cancelled.last(), Some(&CloneProgress::Cancelled));
    assert!(
        virsh(&uri, &["dominfo", &clone_name]).is_err(),
        "no clone defined"
    );
    assert!(!dir.join(format!("{clone_name}.qcow2")).exists());

    let t0 = Instant::now();
    let done = run_clone(spec, false);
    let Some(CloneProgress::Finished { uuid: new_uuid }) = done.last().cloned() else {
        panic!("the clone finished: {done:?}");
    };
    eprintln!("clone: 64 MiB qcow2 (2 MiB data) in {:?}", t0.elapsed());
    assert_ne!(new_uuid, uuid, "a new identity");
    let clone_xml = virsh_ok(&uri, &["dumpxml", &clone_name]);
    assert!(!clone_xml.contains("52:54:00:aa:bb:01"), "a new MAC");
    let new_disk = dir.join(format!("{clone_name}.qcow2"));
    assert!(
        clone_xml.contains(&new_disk.display().to_string()),
        "{clone_xml}"
    );
    run_ok(
        "qemu-img",
        &[
            "compare",
            "-f",
            "qcow2",
            "-F",
            "qcow2",
            &disk,
            &new_disk.display().to_string(),
        ],
    );
    assert_eq!(
        run_ok("sha256sum", &[&disk]),
        before,
        "the original is untouched"
    );
    // The clone boots (SeaBIOS finds no bootable disk, but it runs).
    virsh_ok(&uri, &["start", &clone_name]);
    assert!(virsh_ok(&uri, &["domstate", &clone_name]).contains("running"));
    // A running machine is not cloned: its disks would move under the copy.
    let running = block_on(conn.clone_offer(new_uuid.clone())).unwrap();
    assert!(running.blocked.contains(&clone_name), "{}", running.blocked);
    virsh_ok(&uri, &["destroy", &clone_name]);

    drop(_gc);
    drop(_g);
    block_on(conn.pool_op(pool, PoolOp::DeleteWithContents)).expect("clean up");
}
