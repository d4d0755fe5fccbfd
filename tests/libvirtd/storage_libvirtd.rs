//! Storage on a real libvirtd: a directory pool built and deleted with its contents,
//! qcow2, raw and overlay volumes (checked with qemu-img), resize, upload and download
//! byte for byte, a cancelled upload leaving nothing, and a running guest's disk that
//! cannot be deleted or shrunk.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::{self, block_on, Worker};
use crate::daemon::{run_ok, serial, test_uri, unique_name, virsh_ok, DomainGuard};
use hangar::backend::storage::pools::{PoolOp, PoolSpec};
use hangar::backend::storage::transfer::{Direction, Progress, Transfer, TransferSpec};
use hangar::backend::storage::volumes::{Preallocation, VolumeSpec};

const WAIT: Duration = Duration::from_secs(60);
const MIB: u64 = 1 << 20;

fn connect(uri: &str) -> Worker {
    hangar::init_logging(false);
    let (conn, _updates) = common::connected(uri, WAIT);
    conn
}

/// A pool directory of this test, removed (with the pool) however the test ends.
struct PoolGuard {
    uri: String,
    name: String,
    dir: PathBuf,
}

impl Drop for PoolGuard {
    fn drop(&mut self) {
        let _ = daemon_virsh(&self.uri, &["pool-destroy", &self.name]);
        let _ = daemon_virsh(&self.uri, &["pool-undefine", &self.name]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn daemon_virsh(uri: &str, args: &[&str]) -> Result<String, String> {
    crate::daemon::virsh(uri, args)
}

/// `n` bytes that do not repeat (xorshift), written to `path`.
fn write_noise(path: &Path, n: u64) {
    let mut f = std::fs::File::create(path).expect("create");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut buf = vec![0u8; MIB as usize];
    let mut left = n;
    while left > 0 {
        for chunk in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        let k = left.min(MIB) as usize;
        f.write_all(&buf[..k]).expect("write");
        left -= k as u64;
    }
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    let (mut ba, mut bb) = (vec![0u8; MIB as usize], vec![0u8; MIB as usize]);
    loop {
        let na = fa.read(&mut ba).unwrap();
        let mut nb = 0;
        while nb < na {
            let k = fb.read(&mut bb[nb..na]).unwrap();
            if k == 0 {
                return false;
            }
            nb += k;
        }
        if na == 0 {
            return fb.read(&mut bb).unwrap() == 0;
        }
        if ba[..na] != bb[..na] {
            return false;
        }
    }
}

/// Run a copy to its end; every report in order.
fn copy(spec: TransferSpec, cancel_after_first_bytes: bool) -> Vec<Progress> {
    let (t, rx) = Transfer::start(spec);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let p = common::block_on_timeout(rx.recv(), left)
            .expect("the copy ends in time")
            .expect("a report");
        if cancel_after_first_bytes && matches!(p, Progress::Bytes { .. }) {
            t.cancel();
        }
        let end = matches!(
            p,
            Progress::Finished { .. } | Progress::Failed(_) | Progress::Cancelled
        );
        seen.push(p);
        if end {
            return seen;
        }
    }
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_directory_pool_its_volumes_and_copies_in_and_out() {
    let _serial = serial();
    let uri = test_uri();
    let w = connect(&uri);
    let conn = &w.0;
    let name = unique_name("pool");
    let dir = PathBuf::from(format!("/var/lib/libvirt/images/{name}"));
    let _guard = PoolGuard {
        uri: uri.clone(),
        name: name.clone(),
        dir: dir.clone(),
    };
    // Built: the directory is made, the pool runs and starts with the host.
    let spec = PoolSpec {
        kind: "dir".into(),
        name: name.clone(),
        target: dir.display().to_string(),
        ..Default::default()
    };
    let pool = block_on(conn.create_pool(spec, true, true)).expect("create the pool");
    assert!(dir.is_dir(), "the pool's directory was made");
    let info = block_on(conn.pools())
        .unwrap()
        .into_iter()
        .find(|p| p.uuid == pool)
        .expect("listed");
    assert!(info.active && info.autostart && info.capacity > 0);

    // Volumes: qcow2, raw, and an overlay qemu-img sees on its backing file.
    let vol = |n: &str, f: &str, mib: u64, backing: &str| VolumeSpec {
        name: n.into(),
        format: f.into(),
        capacity: mib * MIB,
        preallocation: Preallocation::Off,
        backing: backing.into(),
        backing_format: if backing.is_empty() { "" } else { "qcow2" }.into(),
    };
    let base = block_on(conn.create_pool_volume(pool.clone(), vol("base.qcow2", "qcow2", 64, "")))
        .expect("qcow2");
    block_on(conn.create_pool_volume(pool.clone(), vol("data.raw", "raw", 32, ""))).expect("raw");
    let top = block_on(conn.create_pool_volume(pool.clone(), vol("top.qcow2", "qcow2", 64, &base)))
        .expect("overlay");
    let img = run_ok("qemu-img", &["info", "--output=json", "-U", &top]);
    assert!(
        img.contains(&format!("\"backing-filename\": \"{base}\"")),
        "{img}"
    );
    assert!(img.contains("\"format\": \"qcow2\""), "{img}");
    let vols = block_on(conn.volumes(pool.clone())).unwrap();
    let top_v = vols.iter().find(|v| v.name == "top.qcow2").unwrap();
    assert_eq!(top_v.backing, base);
    assert!(
        top_v.allocation < top_v.capacity,
        "a sparse volume takes less than its size"
    );

    // Resize: grow; shrinking only when asked.
    block_on(conn.resize_volume(pool.clone(), "data.raw".into(), 48 * MIB, false)).expect("grow");
    assert!(
        block_on(conn.resize_volume(pool.clone(), "data.raw".into(), 40 * MIB, false)).is_err()
    );
    block_on(conn.resize_volume(pool.clone(), "data.raw".into(), 40 * MIB, true)).expect("shrink");
    let size = |n: &str| {
        block_on(conn.volumes(pool.clone()))
            .unwrap()
            .into_iter()
            .find(|v| v.name == n)
            .map(|v| v.capacity)
    };
    assert_eq!(size("data.raw"), Some(40 * MIB));

    // Upload 100 MiB and download it back: the same bytes.
    let work = common::TempDir::new("transfer");
    let src = work.path().join("noise.img");
    write_noise(&src, 100 * MIB);
    let t0 = Instant::now();
    let up = copy(
        TransferSpec {
            uri: uri.clone(),
            pool: name.clone(),
            volume: "noise.img".into(),
            local: src.clone(),
            direction: Direction::Upload,
            create: true,
        },
        false,
    );
    let up_secs = t0.elapsed().as_secs_f64();
    assert_eq!(
        up.last(),
        Some(&Progress::Finished { bytes: 100 * MIB }),
        "{up:?}"
    );
    assert_eq!(up.first(), Some(&Progress::Started { total: 100 * MIB }));
    let mut last = 0;
    for p in &up {
        if let Progress::Bytes { done, total, .. } = p {
            assert!(
                *done >= last && *done <= *total,
                "progress goes forward: {up:?}"
            );
            last = *done;
        }
    }
    assert_eq!(size("noise.img"), Some(100 * MIB));
    let back = work.path().join("back.img");
    let t0 = Instant::now();
    let down = copy(
        TransferSpec {
            uri: uri.clone(),
            pool: name.clone(),
            volume: "noise.img".into(),
            local: back.clone(),
            direction: Direction::Download,
            create: false,
        },
        false,
    );
    let down_secs = t0.elapsed().as_secs_f64();
    assert!(
        matches!(down.last(), Some(Progress::Finished { .. })),
        "{down:?}"
    );
    assert!(
        same_bytes(&src, &back),
        "the downloaded file is the uploaded one"
    );
    eprintln!(
        "storage: upload 100 MiB {:.2} s ({:.0} MiB/s), download {:.2} s ({:.0} MiB/s)",
        up_secs,
        100.0 / up_secs,
        down_secs,
        100.0 / down_secs
    );
    // A download never overwrites: the file stays as it was.
    let again = copy(
        TransferSpec {
            uri: uri.clone(),
            pool: name.clone(),
            volume: "noise.img".into(),
            local: src.clone(),
            direction: Direction::Download,
            create: false,
        },
        false,
    );
    assert!(
        matches!(again.last(), Some(Progress::Failed(m)) if m.contains("exists")),
        "{again:?}"
    );
    assert!(same_bytes(&src, &back));
    // An upload to a name that exists is refused.
    let dup = copy(
        TransferSpec {
            uri: uri.clone(),
            pool: name.clone(),
            volume: "noise.img".into(),
            local: src.clone(),
            direction: Direction::Upload,
            create: true,
        },
        false,
    );
    assert!(
        matches!(dup.last(), Some(Progress::Failed(m)) if m.contains("noise.img")),
        "{dup:?}"
    );

    // (Cancelling half way is tested in storage_transfer.rs.)

    // A running guest's disk: listed as used, never deleted or shrunk under it.
    let guest = unique_name("storage-user");
    let disk = dir.join("data.raw").display().to_string();
    let _g = DomainGuard::define(
        &uri,
        &guest,
        &format!(
            "<domain type='qemu'><name>{guest}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os><devices>\
             <disk type='file' device='disk'><driver name='qemu' type='raw'/>\
             <source file='{disk}'/><target dev='vda' bus='virtio'/></disk>\
             </devices></domain>"
        ),
    );
    let users = |n: &str| {
        block_on(conn.volumes(pool.clone()))
            .unwrap()
            .into_iter()
            .find(|v| v.name == n)
            .map(|v| v.used_by)
            .unwrap_or_default()
    };
    let u = users("data.raw");
    assert_eq!(u.len(), 1);
    assert_eq!((u[0].name.as_str(), u[0].running), (guest.as_str(), false));
    virsh_ok(&uri, &["start", &guest]);
    assert!(users("data.raw")[0].running);
    let e = block_on(conn.delete_volume(pool.clone(), "data.raw".into())).expect_err("in use");
    assert!(
        e.to_string().contains(&guest),
        "the refusal names the guest: {e}"
    );
    let e = block_on(conn.resize_volume(pool.clone(), "data.raw".into(), 8 * MIB, true))
        .expect_err("no shrink under a running guest");
    assert!(e.to_string().contains(&guest), "{e}");
    assert!(Path::new(&disk).exists());
    virsh_ok(&uri, &["destroy", &guest]);
    block_on(conn.delete_volume(pool.clone(), "data.raw".into())).expect("delete once stopped");
    assert!(!Path::new(&disk).exists());

    // Delete with contents: volumes and directory go, the pool is undefined.
    block_on(conn.pool_op(pool.clone(), PoolOp::DeleteWithContents)).expect("delete");
    assert!(!dir.exists(), "the directory is gone");
    assert!(block_on(conn.pools())
        .unwrap()
        .iter()
        .all(|p| p.uuid != pool));
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn deleting_a_machine_takes_only_its_own_disks() {
    let _serial = serial();
    let uri = test_uri();
    let w = connect(&uri);
    let conn = &w.0;
    let name = unique_name("disposal");
    let dir = PathBuf::from(format!("/var/lib/libvirt/images/{name}"));
    let _guard = PoolGuard {
        uri: uri.clone(),
        name: name.clone(),
        dir: dir.clone(),
    };
    let spec = PoolSpec {
        kind: "dir".into(),
        name: name.clone(),
        target: dir.display().to_string(),
        ..Default::default()
    };
    let pool = block_on(conn.create_pool(spec, true, false)).expect("pool");
    let mk = |n: &str| {
        block_on(conn.create_pool_volume(
            pool.clone(),
            VolumeSpec {
                name: n.into(),
                format: "qcow2".into(),
                capacity: 16 * MIB,
                ..Default::default()
            },
        ))
        .expect("volume")
    };
    let own = mk("own.qcow2");
    let shared = mk("shared.qcow2");
    let iso = dir.join("media.iso");
    std::fs::write(&iso, vec![0u8; 4096]).unwrap();
    block_on(conn.pool_op(pool.clone(), PoolOp::Refresh)).unwrap();
    let disk =
        |file: &str, dev: &str, extra: &str| {
            format!(
            "<disk type='file' device='{}'><driver name='qemu' type='{}'/><source file='{file}'/>\
             <target dev='{dev}' bus='{}'/>{extra}</disk>",
            if extra.contains("readonly") { "cdrom" } else { "disk" },
            if file.ends_with(".iso") { "raw" } else { "qcow2" },
            if dev.starts_with("sd") { "sata" } else { "virtio" },
        )
        };
    let a = unique_name("disposal-a");
    let b = unique_name("disposal-b");
    let domain = |n: &str, disks: &str| {
        format!(
            "<domain type='qemu'><name>{n}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os><devices>{disks}</devices></domain>"
        )
    };
    let _ga = DomainGuard::define(
        &uri,
        &a,
        &domain(
            &a,
            &format!(
                "{}{}{}",
                disk(&own, "vda", ""),
                disk(&shared, "vdb", ""),
                disk(&iso.display().to_string(), "sda", "<readonly/>")
            ),
        ),
    );
    let _gb = DomainGuard::define(&uri, &b, &domain(&b, &disk(&shared, "vda", "")));
    let ua = virsh_ok(&uri, &["domuuid", &a]).trim().to_string();
    let offer = block_on(conn.disks_to_offer(ua.clone())).expect("disks");
    let by_target = |t: &str| {
        offer
            .iter()
            .find(|d| d.target == t)
            .expect("listed")
            .clone()
    };
    assert!(by_target("vda").delete_by_default, "its own disk is ticked");
    let vdb = by_target("vdb");
    assert!(!vdb.delete_by_default && vdb.reason.contains(&b), "{vdb:?}");
    let sda = by_target("sda");
    assert!(!sda.delete_by_default && !sda.reason.is_empty(), "{sda:?}");
    // As the dialog does: the ticked paths only.
    let ticked: Vec<String> = offer
        .iter()
        .filter(|d| d.delete_by_default)
        .map(|d| d.path.clone())
        .collect();
    assert_eq!(ticked, vec![own.clone()]);
    let left = block_on(conn.delete_with_storage(ua, ticked)).expect("delete");
    assert!(left.is_empty(), "{left:?}");
    assert!(!Path::new(&own).exists(), "its own disk is gone");
    assert!(Path::new(&shared).exists(), "the disk B uses survives");
    assert!(iso.exists(), "the install media survives");
    assert!(virsh_ok(&uri, &["list", "--all", "--name"]).contains(&b));
    assert!(!virsh_ok(&uri, &["list", "--all", "--name"]).contains(&format!("{a}\n")));
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn pools_changed_elsewhere_arrive_through_events() {
    let _serial = serial();
    let uri = test_uri();
    hangar::init_logging(false);
    let (_w, mut updates) = common::connected(&uri, WAIT);
    let name = unique_name("evpool");
    let dir = PathBuf::from(format!("/var/lib/libvirt/images/{name}"));
    let _guard = PoolGuard {
        uri: uri.clone(),
        name: name.clone(),
        dir: dir.clone(),
    };
    // Pool lists (not the events themselves) that name `what`.
    let seen = |u: &common::Updates, what: &str| {
        u.log
            .iter()
            .filter(|l| l.starts_with("Pools[") && l.contains(what))
            .count()
    };
    updates.wait_until("the first pool list", WAIT, |u| seen(u, "Pools[") > 0);
    // Defined, built and started with virsh: the list follows.
    virsh_ok(
        &uri,
        &[
            "pool-define-as",
            &name,
            "dir",
            "--target",
            dir.to_str().unwrap(),
        ],
    );
    virsh_ok(&uri, &["pool-build", &name]);
    virsh_ok(&uri, &["pool-start", &name]);
    updates.wait_until("the pool in a list", WAIT, |u| seen(u, &name) > 0);
    // A refresh (files copied in by hand) is an event too: the list is sent again.
    let before = seen(&updates, &name);
    std::fs::write(dir.join("by-hand.img"), vec![1u8; 4096]).unwrap();
    virsh_ok(&uri, &["pool-refresh", &name]);
    updates.wait_until("a list after the refresh", WAIT, |u| {
        seen(u, &name) > before
    });
    virsh_ok(&uri, &["pool-destroy", &name]);
    virsh_ok(&uri, &["pool-undefine", &name]);
    updates.wait_until("a list without it", WAIT, |u| {
        u.log
            .iter()
            .rev()
            .find(|l| l.starts_with("Pools["))
            .is_some_and(|l| !l.contains(&name))
    });
}
