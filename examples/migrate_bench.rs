//! Live migration with copy storage between the two test hosts: Hangar's migration
//! beside `virsh migrate --live --copy-storage-all` in the same run, on a guest with a
//! 1 GiB qcow2 disk full of data. Prints, for each, the wall time and the guest's
//! downtime (the destination's completed job: `virsh domjobinfo --completed`).
//!
//! ```sh
//! bench/migrate-bench.sh            # runs this inside the test namespaces
//! ```
//!
//! A benchmark, not a test: it fails on no figure.

use std::process::Command;
use std::time::{Duration, Instant};

use hangar::backend::migrate::check::DiskMove;
use hangar::backend::migrate::job::{MigrateJob, MigrateProgress, MigrateSpec};
use hangar::backend::migrate::options::{CopyStorage, MigrateOptions};

const IMAGES: &str = "/var/lib/libvirt/images";

fn virsh(uri: &str, args: &[&str]) -> String {
    let out = Command::new("virsh")
        .args(["-q", "-c", uri])
        .args(args)
        .output()
        .expect("virsh");
    assert!(
        out.status.success(),
        "virsh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}: run through bench/migrate-bench.sh"))
}

/// A running guest on A with a 1 GiB qcow2 disk written full.
fn guest(a: &str, name: &str) -> String {
    let _ = Command::new("virsh")
        .args([
            "-q",
            "-c",
            a,
            "pool-define-as",
            "default",
            "dir",
            "--target",
            IMAGES,
        ])
        .output();
    let _ = Command::new("virsh")
        .args(["-q", "-c", a, "pool-start", "default"])
        .output();
    let vol = format!("{name}.qcow2");
    virsh(
        a,
        &["vol-create-as", "default", &vol, "1G", "--format", "qcow2"],
    );
    let disk = format!("{IMAGES}/{vol}");
    let st = Command::new("qemu-io")
        .args(["-f", "qcow2", "-c", "write -P 0x5a 0 1G", &disk])
        .output()
        .expect("qemu-io");
    assert!(st.status.success());
    let xml = format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>\
         <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{disk}'/><target dev='vda' bus='virtio'/></disk>\
         <graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>"
    );
    let f = std::env::temp_dir().join(format!("{name}.xml"));
    std::fs::write(&f, xml).unwrap();
    virsh(a, &["define", f.to_str().unwrap()]);
    virsh(a, &["start", name]);
    disk
}

/// The destination's completed job: total time and downtime, in ms.
fn completed(b: &str, name: &str) -> (String, String) {
    let info = virsh(b, &["domjobinfo", "--completed", name]);
    let field = |key: &str| {
        info.lines()
            .find(|l| l.starts_with(key))
            .map(|l| l.split(':').nth(1).unwrap_or_default().trim().to_string())
            .unwrap_or_else(|| "?".into())
    };
    (field("Time elapsed:"), field("Total downtime:"))
}

fn clean(a: &str, b: &str, name: &str, disk: &str) {
    for uri in [a, b] {
        let _ = Command::new("virsh")
            .args(["-q", "-c", uri, "destroy", name])
            .output();
        let _ = Command::new("virsh")
            .args(["-q", "-c", uri, "undefine", name])
            .output();
        let _ = Command::new("virsh")
            .args(["-q", "-c", uri, "vol-delete", disk])
            .output();
    }
}

fn main() {
    let a = env("HANGAR_TEST_LIBVIRT_URI");
    let b = env("HANGAR_TEST_HOST_B_URI");
    let dir = std::path::PathBuf::from(env("HANGAR_TEST_HOST_B_DIR"));
    while !dir.join("ready").exists() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let name = "bench-migrate";

    // Hangar.
    let disk = guest(&a, name);
    let uuid = virsh(&a, &["domuuid", name]).trim().to_string();
    let spec = MigrateSpec {
        source_uri: a.clone(),
        dest_uri: b.clone(),
        uuid,
        options: MigrateOptions {
            copy_storage: CopyStorage::Full,
            ..Default::default()
        },
        disks: vec![DiskMove {
            target: "vda".into(),
            source: disk.clone(),
            format: "qcow2".into(),
            capacity: 1 << 30,
            dest_pool: Some("default".into()),
            dest_path: disk.clone(),
        }],
        network_map: Vec::new(),
    };
    let t0 = Instant::now();
    let (_job, rx) = MigrateJob::start(spec);
    let end = loop {
        match rx.recv_blocking() {
            Ok(MigrateProgress::Job(_)) | Ok(MigrateProgress::Step { .. }) => {}
            Ok(other) => break other,
            Err(_) => panic!("the job ended without a word"),
        }
    };
    let hangar_wall = t0.elapsed();
    assert!(matches!(end, MigrateProgress::Finished { .. }), "{end:?}");
    let (h_elapsed, h_down) = completed(&b, name);
    clean(&a, &b, name, &disk);

    // virsh, the same guest again.
    let disk = guest(&a, name);
    // virsh makes the destination's volume itself only in a pool of that path; as
    // Hangar does, it is made first.
    virsh(
        &b,
        &[
            "vol-create-as",
            "default",
            &format!("{name}.qcow2"),
            "1G",
            "--format",
            "qcow2",
        ],
    );
    let t0 = Instant::now();
    virsh(
        &a,
        &[
            "migrate",
            "--live",
            "--copy-storage-all",
            "--persistent",
            "--undefinesource",
            "--migrateuri",
            "tcp://10.77.0.2",
            name,
            &b,
        ],
    );
    let virsh_wall = t0.elapsed();
    let (v_elapsed, v_down) = completed(&b, name);
    clean(&a, &b, name, &disk);

    println!(
        "live migration with copy storage, 1 GiB qcow2 disk full of data, 128 MiB guest (TCG):"
    );
    println!(
        "  Hangar: wall {:.2} s, job {h_elapsed}, downtime {h_down}",
        hangar_wall.as_secs_f64()
    );
    println!(
        "  virsh migrate --copy-storage-all: wall {:.2} s, job {v_elapsed}, downtime {v_down}",
        virsh_wall.as_secs_f64()
    );
}
