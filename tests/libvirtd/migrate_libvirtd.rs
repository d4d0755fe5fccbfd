//! Migration between the two test hosts (build-aux/second-host.sh): each its own
//! libvirtd, images directory and host UUID, joined by a veth pair and reached over
//! `qemu+ssh://`. A running guest moves live with its disk copied; a cancelled move
//! leaves it running here and nothing there; a shut-off guest moves with its disk
//! copied through the pools' streams.

use std::time::{Duration, Instant};

use crate::common::{self, block_on};
use crate::daemon::{
    host_b_uri, run_ok, serial, test_uri, unique_name, virsh, virsh_ok, DomainGuard,
};
use hangar::backend::migrate::check::{place_disks, problems};
use hangar::backend::migrate::job::{MigrateJob, MigrateProgress, MigrateSpec};
use hangar::backend::migrate::options::{CopyStorage, MigrateOptions};

const WAIT: Duration = Duration::from_secs(180);
const IMAGES: &str = "/var/lib/libvirt/images";

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn the_second_host_is_another_machine_to_libvirt() {
    let b = host_b_uri();
    let b_caps = virsh_ok(&b, &["capabilities"]);
    let a_caps = virsh_ok(&test_uri(), &["capabilities"]);
    let uuid = |caps: &str| {
        caps.split("<uuid>")
            .nth(1)
            .and_then(|s| s.split("</uuid>").next())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(uuid(&b_caps), "6a4b7c1e-2d3f-4e5a-9b8c-0d1e2f3a4b5c");
    assert_ne!(uuid(&a_caps), uuid(&b_caps));
    assert_eq!(virsh_ok(&b, &["hostname"]).trim(), "hangar-host-b");
    let pools = virsh_ok(&b, &["pool-list", "--name"]);
    assert!(pools.lines().any(|l| l.trim() == "default"), "{pools}");
}

/// The default pool here (made when an earlier test has not).
fn default_pool_here(uri: &str) {
    if !virsh_ok(uri, &["pool-list", "--all", "--name"])
        .lines()
        .any(|l| l.trim() == "default")
    {
        std::fs::create_dir_all(IMAGES).unwrap();
        virsh_ok(
            uri,
            &["pool-define-as", "default", "dir", "--target", IMAGES],
        );
    }
    let _ = virsh(uri, &["pool-start", "default"]);
    virsh_ok(uri, &["pool-refresh", "default"]);
}

/// A guest on host A with a qcow2 disk (`mib` MiB, its first `data_mib` written with a
/// pattern) in the default pool; its disk's path.
fn guest_with_disk(uri: &str, name: &str, mib: u64, data_mib: u64) -> String {
    default_pool_here(uri);
    let vol = format!("{name}.qcow2");
    virsh_ok(
        uri,
        &[
            "vol-create-as",
            "default",
            &vol,
            &format!("{mib}M"),
            "--format",
            "qcow2",
        ],
    );
    let disk = format!("{IMAGES}/{vol}");
    run_ok(
        "qemu-io",
        &[
            "-f",
            "qcow2",
            "-c",
            &format!("write -P 0x5a 0 {data_mib}M"),
            &disk,
        ],
    );
    let xml = format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>\
         <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{disk}'/><target dev='vda' bus='virtio'/></disk>\
         <graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>"
    );
    let f = std::env::temp_dir().join(format!("{name}.xml"));
    std::fs::write(&f, xml).unwrap();
    virsh_ok(uri, &["define", f.to_str().unwrap()]);
    disk
}

/// Run the job to its end; every report.
fn run(spec: MigrateSpec, cancel_on_first_job: bool) -> Vec<MigrateProgress> {
    let (job, rx) = MigrateJob::start(spec);
    let mut seen = Vec::new();
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let p = common::block_on_timeout(rx.recv(), left)
            .expect("the migration ends in time")
            .expect("a report");
        if cancel_on_first_job && matches!(p, MigrateProgress::Job(ref f) if f.data_processed > 0) {
            job.cancel();
        }
        let end = !matches!(p, MigrateProgress::Job(_) | MigrateProgress::Step { .. });
        seen.push(p);
        if end {
            return seen;
        }
    }
}

/// The spec of moving `name` from A to B with its disks copied, after the checks
/// found nothing in the way.
fn spec_for(name: &str, options: MigrateOptions) -> MigrateSpec {
    let (a, b) = (test_uri(), host_b_uri());
    let (wa, _ua) = common::connected(&a, WAIT);
    let (wb, _ub) = common::connected(&b, WAIT);
    let uuid = virsh_ok(&a, &["domuuid", name]).trim().to_string();
    let mut guest = block_on(wa.0.guest_facts(uuid.clone())).expect("the guest's facts");
    let dest = block_on(wb.0.dest_facts(guest.cpu_xml.clone())).expect("host B's facts");
    assert_eq!(dest.hostname, "hangar-host-b");
    place_disks(&mut guest.disks, &dest, &[]);
    assert_eq!(guest.disks.len(), 1);
    assert_eq!(
        guest.disks[0].dest_pool.as_deref(),
        Some("default"),
        "same directory there"
    );
    assert!(guest.disks[0].capacity > 0);
    let copy = options.copy_storage != CopyStorage::None;
    let p = problems(&guest, &dest, copy, &[]);
    assert!(p.is_empty(), "nothing in the way: {p:?}");
    MigrateSpec {
        source_uri: a,
        dest_uri: b,
        uuid,
        options,
        disks: guest.disks,
        network_map: Vec::new(),
    }
}

/// Host B's copy of `disk` (the same path there) holds what host A's does, by
/// `qemu-img compare` on a download of it; then both volumes are deleted.
fn assert_copied_to_b_and_delete(disk: &str, name: &str) {
    let (a, b) = (test_uri(), host_b_uri());
    let copy = std::env::temp_dir().join(format!("{name}-b.qcow2"));
    virsh_ok(&b, &["vol-download", disk, copy.to_str().unwrap()]);
    run_ok("qemu-img", &["compare", "-q", disk, copy.to_str().unwrap()]);
    let _ = std::fs::remove_file(&copy);
    let _ = virsh(&b, &["vol-delete", disk]);
    let _ = virsh(&a, &["vol-delete", disk]);
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_running_guest_moves_live_with_its_disk() {
    let _serial = serial();
    let (a, b) = (test_uri(), host_b_uri());
    let name = unique_name("migrate-live");
    let _ga = DomainGuard::new(&a, &name);
    let _gb = DomainGuard::new(&b, &name);
    let disk = guest_with_disk(&a, &name, 64, 8);
    virsh_ok(&a, &["start", &name]);
    // Its screen before: SeaBIOS finding no bootable disk (it stays so for a minute).
    std::thread::sleep(Duration::from_secs(4));
    let before = std::env::temp_dir().join(format!("{name}-a.ppm"));
    virsh_ok(&a, &["screenshot", &name, before.to_str().unwrap()]);
    let spec = spec_for(
        &name,
        MigrateOptions {
            copy_storage: CopyStorage::Full,
            ..Default::default()
        },
    );
    let t0 = Instant::now();
    let seen = run(spec, false);
    let took = t0.elapsed();
    assert!(
        matches!(seen.last(), Some(MigrateProgress::Finished { .. })),
        "{seen:?}"
    );
    let jobs = seen
        .iter()
        .filter(|p| matches!(p, MigrateProgress::Job(_)))
        .count();
    eprintln!("live migration with a 64 MiB disk (8 MiB data): {took:?}, {jobs} job reports");
    assert_eq!(virsh_ok(&b, &["domstate", &name]).trim(), "running");
    assert!(virsh(&a, &["domstate", &name]).is_err(), "undefined here");
    // The same screen there (the text cursor may blink between the two).
    let after = std::env::temp_dir().join(format!("{name}-b.ppm"));
    virsh_ok(&b, &["screenshot", &name, after.to_str().unwrap()]);
    let (x, y) = (
        std::fs::read(&before).unwrap(),
        std::fs::read(&after).unwrap(),
    );
    assert_eq!(x.len(), y.len(), "the same screen size");
    let differ = x.iter().zip(&y).filter(|(p, q)| p != q).count();
    assert!(
        differ * 100 < x.len(),
        "the guest's screen carried over: {differ} of {} bytes differ",
        x.len()
    );
    assert!(
        x.iter().filter(|b| **b > 0x40).count() > 1000,
        "text on the screen"
    );
    let _ = std::fs::remove_file(&before);
    let _ = std::fs::remove_file(&after);
    let def = virsh_ok(&b, &["dumpxml", "--inactive", &name]);
    assert!(
        def.contains(&disk),
        "persistent there, on the same path: {def}"
    );
    virsh_ok(&b, &["destroy", &name]);
    assert_copied_to_b_and_delete(&disk, &name);
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_cancelled_move_leaves_the_guest_running_here_and_nothing_there() {
    let _serial = serial();
    let (a, b) = (test_uri(), host_b_uri());
    let name = unique_name("migrate-cancel");
    let _ga = DomainGuard::new(&a, &name);
    let _gb = DomainGuard::new(&b, &name);
    let disk = guest_with_disk(&a, &name, 256, 128);
    virsh_ok(&a, &["start", &name]);
    // 1 MiB/s: two minutes for the disk, cancelled after the first figures.
    let spec = spec_for(
        &name,
        MigrateOptions {
            copy_storage: CopyStorage::Full,
            bandwidth_mib: Some(1),
            ..Default::default()
        },
    );
    let seen = run(spec, true);
    assert_eq!(seen.last(), Some(&MigrateProgress::Cancelled), "{seen:?}");
    assert_eq!(virsh_ok(&a, &["domstate", &name]).trim(), "running");
    assert!(virsh(&b, &["domstate", &name]).is_err(), "nothing there");
    let vols = virsh_ok(&b, &["vol-list", "default"]);
    assert!(!vols.contains(&name), "no volume left there: {vols}");
    virsh_ok(&a, &["destroy", &name]);
    let _ = virsh(&a, &["vol-delete", &disk]);
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_shut_off_guest_moves_with_its_disk_copied() {
    let _serial = serial();
    let (a, b) = (test_uri(), host_b_uri());
    let name = unique_name("migrate-offline");
    let _ga = DomainGuard::new(&a, &name);
    let _gb = DomainGuard::new(&b, &name);
    let disk = guest_with_disk(&a, &name, 32, 4);
    let spec = spec_for(
        &name,
        MigrateOptions {
            live: false,
            copy_storage: CopyStorage::Full,
            ..Default::default()
        },
    );
    let seen = run(spec, false);
    assert!(
        matches!(seen.last(), Some(MigrateProgress::Finished { .. })),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|p| matches!(p, MigrateProgress::Step { done, .. } if *done > 0)),
        "the disk's copy reported: {seen:?}"
    );
    assert_eq!(virsh_ok(&b, &["domstate", &name]).trim(), "shut off");
    assert!(virsh(&a, &["domstate", &name]).is_err(), "undefined here");
    assert_copied_to_b_and_delete(&disk, &name);
}

/// The pids of host B's processes whose command line contains `what`.
fn host_b_pids(what: &str) -> Vec<String> {
    run_ok("ip", &["netns", "pids", "hangar-host-b"])
        .lines()
        .map(str::trim)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(what))
                .unwrap_or(false)
        })
        .map(str::to_string)
        .collect()
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_host_that_drops_off_comes_back_and_the_other_keeps_working() {
    use hangar::backend::conn::worker::ConnState;
    let _serial = serial();
    let (a, b) = (test_uri(), host_b_uri());
    let dir = crate::daemon::host_b_dir();
    let (wa, _ua) = common::connected(&a, WAIT);
    let (wb, mut ub) = common::connected(&b, WAIT);
    // Host B's sshd and every session it serves: the connection drops.
    ub.drain();
    for pid in host_b_pids("sshd") {
        let _ = run_ok("kill", &[&pid]);
    }
    let reason = ub.wait_conn_state("host B lost", WAIT, |s| match s {
        ConnState::Lost { reason, .. } => Some(reason.clone()),
        ConnState::Connected => panic!("connected while host B's sshd is down"),
        _ => None,
    });
    assert!(!reason.is_empty(), "the loss says why");
    // Host A answers all along.
    let info = block_on(wa.0.host_info()).expect("host A answers");
    assert!(info.memory_kib > 0);
    // sshd back (in host B's namespaces): B reconnects by itself.
    let libvirtd = host_b_pids("libvirtd")
        .into_iter()
        .next()
        .expect("host B's libvirtd");
    let sshd_config = dir.join("sshd_config");
    let log = dir.join("sshd.log");
    run_ok(
        "nsenter",
        &[
            "-t",
            &libvirtd,
            "-m",
            "-n",
            "-u",
            "/usr/sbin/sshd",
            "-f",
            sshd_config.to_str().unwrap(),
            "-E",
            log.to_str().unwrap(),
        ],
    );
    let t0 = Instant::now();
    ub.wait_conn_state("host B reconnected", WAIT, |s| match s {
        ConnState::Connected => Some(()),
        ConnState::Failed(e) => panic!("gave up on host B: {e:?}"),
        _ => None,
    });
    eprintln!("host B back {:?} after its sshd", t0.elapsed());
    drop(wb);
}
