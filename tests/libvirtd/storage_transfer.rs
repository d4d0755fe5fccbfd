//! Volume upload and download (`backend::storage::transfer`) against the private
//! libvirtd: bytes survive a round trip, holes stay holes and are not sent, a qcow2 file
//! becomes a qcow2 volume, cancelling cleans up, and bad input is refused with nothing
//! changed. Each test makes a dir pool of its own under /var/lib/libvirt/images (the
//! harness's tmpfs) and removes it at the end, also when it fails.
//!
//! Figures (times, bytes carried) go to stderr; see them with
//! `RUST_TEST_NOCAPTURE=1 build-aux/run-tests.sh --only --test libvirtd storage_transfer`.

use crate::daemon;

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use daemon::{run_ok, serial, test_uri, virsh, virsh_ok};
use hangar::backend::storage::transfer::{
    remaining_secs, Direction, Progress, Transfer, TransferSpec,
};

const MIB: u64 = 1 << 20;
/// How long one transfer in these tests may take at most.
const WAIT: Duration = Duration::from_secs(120);

/// A transient dir pool in a directory of its own, destroyed and removed on drop.
struct Pool {
    uri: String,
    name: String,
    dir: PathBuf,
}

impl Pool {
    fn new(tag: &str) -> Pool {
        // Expected errors (a volume looked up before it is made) stay off stderr.
        virt::error::clear_error_callback();
        let uri = test_uri();
        let name = format!("hangar-test-{tag}-{}", std::process::id());
        let dir = Path::new("/var/lib/libvirt/images").join(&name);
        let _ = virsh(&uri, &["pool-destroy", &name]);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("pool directory made");
        let target = dir.to_str().expect("a UTF-8 path");
        virsh_ok(&uri, &["pool-create-as", &name, "dir", "--target", target]);
        Pool { uri, name, dir }
    }

    fn spec(&self, volume: &str, local: &Path, direction: Direction, create: bool) -> TransferSpec {
        TransferSpec {
            uri: self.uri.clone(),
            pool: self.name.clone(),
            volume: volume.into(),
            local: local.to_path_buf(),
            direction,
            create,
        }
    }

    fn vol_file(&self, volume: &str) -> PathBuf {
        self.dir.join(volume)
    }

    fn has_volume(&self, volume: &str) -> bool {
        let _ = virsh(&self.uri, &["pool-refresh", &self.name]);
        virsh(&self.uri, &["vol-info", "--pool", &self.name, volume]).is_ok()
    }

    fn vol_xml(&self, volume: &str) -> String {
        virsh_ok(&self.uri, &["vol-dumpxml", "--pool", &self.name, volume])
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let _ = virsh(&self.uri, &["pool-destroy", &self.name]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A local scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("hangar-test-transfer-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory made");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Bytes that do not repeat in any way a file system or a stream could shortcut.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Run a transfer to its end; every message, and the handle (for `wire_bytes`).
fn run(spec: TransferSpec) -> (Vec<Progress>, Transfer, Duration) {
    let t0 = Instant::now();
    let (t, rx) = Transfer::start(spec);
    let mut all = Vec::new();
    while let Ok(p) = rx.recv_blocking() {
        assert!(t0.elapsed() < WAIT, "the transfer took too long: {all:?}");
        all.push(p);
    }
    (all, t, t0.elapsed())
}

/// The messages of a successful transfer: `Started`, `Bytes` that never go down and
/// end at the total, `Finished` with the total. The total.
fn assert_finished(all: &[Progress]) -> u64 {
    let Some(Progress::Started { total }) = all.first() else {
        panic!("no Started first: {all:?}");
    };
    let total = *total;
    assert_eq!(
        all.last(),
        Some(&Progress::Finished { bytes: total }),
        "{all:?}"
    );
    let bytes: Vec<(u64, u64, f64)> = all[1..all.len() - 1]
        .iter()
        .map(|p| match p {
            Progress::Bytes {
                done,
                total,
                bytes_per_sec,
            } => (*done, *total, *bytes_per_sec),
            other => panic!("only Bytes between Started and Finished, not {other:?}"),
        })
        .collect();
    assert!(!bytes.is_empty(), "some Bytes: {all:?}");
    let mut prev = 0;
    for &(done, t, rate) in &bytes {
        assert!(done >= prev, "done went down: {bytes:?}");
        assert!(done <= t, "done beyond total: {bytes:?}");
        assert_eq!(t, total, "the total changed: {bytes:?}");
        assert!(rate.is_finite() && rate >= 0.0, "rate {rate}");
        prev = done;
    }
    assert_eq!(bytes.last().map(|b| b.0), Some(total), "ends at total");
    total
}

fn failed(all: &[Progress]) -> String {
    match all.last() {
        Some(Progress::Failed(why)) => why.clone(),
        other => panic!("expected Failed, got {other:?} after {all:?}"),
    }
}

/// Bytes on disk (st_blocks × 512).
fn allocated(path: &Path) -> u64 {
    std::fs::metadata(path).expect("stat").blocks() * 512
}

/// Compare two files in chunks (they may be a GiB).
fn assert_same_content(a: &Path, b: &Path) {
    let (mut fa, mut fb) = (
        File::open(a).expect("open a"),
        File::open(b).expect("open b"),
    );
    let (la, lb) = (
        fa.metadata().expect("stat a").len(),
        fb.metadata().expect("stat b").len(),
    );
    assert_eq!(la, lb, "sizes of {} and {}", a.display(), b.display());
    let (mut ba, mut bb) = (vec![0u8; 4 << 20], vec![0u8; 4 << 20]);
    let mut pos = 0u64;
    while pos < la {
        let n = ((la - pos) as usize).min(ba.len());
        fa.read_exact(&mut ba[..n]).expect("read a");
        fb.read_exact(&mut bb[..n]).expect("read b");
        assert!(
            ba[..n] == bb[..n],
            "{} and {} differ in the {} bytes at {pos}",
            a.display(),
            b.display(),
            n
        );
        pos += n as u64;
    }
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn upload_then_download_gives_the_same_bytes() {
    let _serial = serial();
    let pool = Pool::new("xfer-trip");
    let scratch = Scratch::new("trip");
    let src = scratch.path("random.img");
    let size = 3 * MIB as usize + 12_345;
    std::fs::write(&src, noise(7, size)).expect("source written");

    let (all, t, took) = run(pool.spec("trip.img", &src, Direction::Upload, true));
    assert_eq!(assert_finished(&all), size as u64);
    assert_eq!(t.wire_bytes(), size as u64, "every byte of data went");
    assert!(t.is_finished());
    eprintln!(
        "upload of {size} random bytes: {took:?}, {} messages",
        all.len()
    );
    assert_same_content(&src, &pool.vol_file("trip.img"));
    assert!(pool.vol_xml("trip.img").contains("<format type='raw'/>"));

    let back = scratch.path("back.img");
    let (all, t, took) = run(pool.spec("trip.img", &back, Direction::Download, false));
    assert_eq!(assert_finished(&all), size as u64);
    assert_eq!(t.wire_bytes(), size as u64);
    eprintln!("download of the same: {took:?}");
    assert_same_content(&src, &back);

    // An existing volume at least as big: the file is written over its start, and the
    // volume keeps its size.
    virsh_ok(
        &pool.uri,
        &[
            "vol-create-as",
            &pool.name,
            "big.img",
            "8M",
            "--format",
            "raw",
        ],
    );
    std::fs::write(pool.vol_file("big.img"), vec![0xAAu8; 8 * MIB as usize]).expect("fill");
    let (all, _, _) = run(pool.spec("big.img", &src, Direction::Upload, false));
    assert_eq!(assert_finished(&all), size as u64);
    let big = std::fs::read(pool.vol_file("big.img")).expect("volume read");
    assert_eq!(big.len() as u64, 8 * MIB, "the volume keeps its size");
    assert!(big[..size] == std::fs::read(&src).expect("source read")[..]);
    assert!(
        big[size..].iter().all(|&b| b == 0xAA),
        "the rest is untouched"
    );
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn sparse_files_stay_sparse_both_ways() {
    let _serial = serial();
    let pool = Pool::new("xfer-sparse");
    let scratch = Scratch::new("sparse");
    let src = scratch.path("sparse.img");
    let size = 1024 * MIB;
    {
        let f = File::create(&src).expect("source made");
        f.set_len(size).expect("1 GiB apparent size");
        f.write_all_at(&noise(1, 4 * MIB as usize), 100 * MIB)
            .expect("first region");
        f.write_all_at(&noise(2, 4 * MIB as usize), 700 * MIB)
            .expect("second region");
        f.sync_all().expect("synced");
    }
    assert!(allocated(&src) <= 12 * MIB, "the source itself is sparse");

    let (all, t, took) = run(pool.spec("sparse.img", &src, Direction::Upload, true));
    assert_eq!(assert_finished(&all), size);
    let sent = t.wire_bytes();
    eprintln!(
        "sparse upload of 1 GiB with 8 MiB of data: {took:?}, {sent} bytes of data sent, {} messages",
        all.len()
    );
    assert_eq!(sent, 8 * MIB, "only the data went over the stream");
    let vol = pool.vol_file("sparse.img");
    assert_eq!(std::fs::metadata(&vol).expect("stat volume").len(), size);
    let on_disk = allocated(&vol);
    eprintln!("the volume's file: {size} bytes, {on_disk} allocated");
    assert!(
        on_disk <= 16 * MIB,
        "the volume stays sparse: {on_disk} allocated"
    );
    assert_same_content(&src, &vol);

    let back = scratch.path("back.img");
    let (all, t, took) = run(pool.spec("sparse.img", &back, Direction::Download, false));
    assert_eq!(assert_finished(&all), size);
    let received = t.wire_bytes();
    let local = allocated(&back);
    eprintln!("sparse download: {took:?}, {received} bytes of data received, {local} allocated");
    assert!(received <= 16 * MIB, "holes came as holes: {received}");
    assert!(
        local <= 16 * MIB,
        "the downloaded file is sparse: {local} allocated"
    );
    assert_same_content(&src, &back);
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn qcow2_and_iso_files_make_volumes_of_their_format() {
    let _serial = serial();
    let pool = Pool::new("xfer-qcow2");
    let scratch = Scratch::new("qcow2");
    let src = scratch.path("disk.qcow2");
    let src_s = src.to_str().expect("a UTF-8 path");
    run_ok("qemu-img", &["create", "-q", "-f", "qcow2", src_s, "3G"]);
    let file_size = std::fs::metadata(&src).expect("stat").len();

    let (all, _, _) = run(pool.spec("disk.qcow2", &src, Direction::Upload, true));
    assert_eq!(
        assert_finished(&all),
        file_size,
        "the file's bytes were sent"
    );
    let xml = pool.vol_xml("disk.qcow2");
    assert!(xml.contains("<format type='qcow2'/>"), "{xml}");
    assert!(
        xml.contains(&format!("<capacity unit='bytes'>{}</capacity>", 3u64 << 30)),
        "capacity is the virtual size: {xml}"
    );
    let vol = pool.vol_file("disk.qcow2");
    assert_same_content(&src, &vol);
    let info = run_ok(
        "qemu-img",
        &["info", "--output=json", vol.to_str().expect("a UTF-8 path")],
    );
    assert!(info.contains("\"virtual-size\": 3221225472"), "{info}");
    assert!(info.contains("\"format\": \"qcow2\""), "{info}");

    // An ISO 9660 image (its "CD001" signature in place) becomes an "iso" volume of its
    // size.
    let iso = scratch.path("cd.iso");
    let mut bytes = noise(9, 2 * MIB as usize);
    bytes[32_769..32_774].copy_from_slice(b"CD001");
    std::fs::write(&iso, &bytes).expect("image written");
    let (all, _, _) = run(pool.spec("cd.iso", &iso, Direction::Upload, true));
    assert_eq!(assert_finished(&all), 2 * MIB);
    let xml = pool.vol_xml("cd.iso");
    assert!(xml.contains("<format type='iso'/>"), "{xml}");
    assert!(
        xml.contains(&format!("<capacity unit='bytes'>{}</capacity>", 2 * MIB)),
        "{xml}"
    );
    assert_same_content(&iso, &pool.vol_file("cd.iso"));
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn cancelling_removes_what_was_made() {
    let _serial = serial();
    let pool = Pool::new("xfer-cancel");
    let scratch = Scratch::new("cancel");
    let src = scratch.path("big.img");
    {
        // 200 MiB of data, no holes: it cannot be done before the cancel arrives.
        let block = noise(3, MIB as usize);
        let mut f = File::create(&src).expect("source made");
        for i in 0..200u8 {
            let mut b = block.clone();
            b[0] = i;
            f.write_all(&b).expect("source written");
        }
    }

    // Upload: cancel at the first Bytes.
    let (t, rx) = Transfer::start(pool.spec("big.img", &src, Direction::Upload, true));
    let mut all = Vec::new();
    while let Ok(p) = rx.recv_blocking() {
        if matches!(p, Progress::Bytes { .. })
            && !all.iter().any(|p| matches!(p, Progress::Bytes { .. }))
        {
            t.cancel();
        }
        all.push(p);
    }
    assert_eq!(all.last(), Some(&Progress::Cancelled), "{all:?}");
    eprintln!("upload cancelled after {} bytes of data", t.wire_bytes());
    assert!(
        t.wire_bytes() < 200 * MIB,
        "stopped early: {}",
        t.wire_bytes()
    );
    assert!(
        !pool.has_volume("big.img"),
        "the partial volume was deleted"
    );
    assert!(!pool.vol_file("big.img").exists(), "and its file");

    // Download: the same, the partial local file goes.
    let (all, t, took) = run(pool.spec("full.img", &src, Direction::Upload, true));
    assert_finished(&all);
    eprintln!(
        "upload of 200 MiB without holes: {took:?}, {} bytes of data sent, {} messages",
        t.wire_bytes(),
        all.len()
    );
    let dst = scratch.path("partial.img");
    let (t, rx) = Transfer::start(pool.spec("full.img", &dst, Direction::Download, false));
    let mut all = Vec::new();
    while let Ok(p) = rx.recv_blocking() {
        if matches!(p, Progress::Bytes { .. }) {
            t.cancel();
        }
        all.push(p);
    }
    assert_eq!(all.last(), Some(&Progress::Cancelled), "{all:?}");
    assert!(
        t.wire_bytes() < 200 * MIB,
        "stopped early: {}",
        t.wire_bytes()
    );
    assert!(!dst.exists(), "the partial download was removed");
    assert!(
        pool.has_volume("full.img"),
        "a download leaves the volume alone"
    );
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn bad_requests_are_refused_and_change_nothing() {
    let _serial = serial();
    let pool = Pool::new("xfer-bad");
    let scratch = Scratch::new("bad");
    let src = scratch.path("four.img");
    std::fs::write(&src, noise(4, 4 * MIB as usize)).expect("source written");
    virsh_ok(
        &pool.uri,
        &[
            "vol-create-as",
            &pool.name,
            "small.img",
            "1M",
            "--format",
            "raw",
        ],
    );

    // Download onto an existing file.
    let keep = scratch.path("keep.txt");
    std::fs::write(&keep, b"keep me").expect("file written");
    let (all, _, _) = run(pool.spec("small.img", &keep, Direction::Download, false));
    let why = failed(&all);
    assert!(why.contains("exists"), "{why}");
    assert_eq!(std::fs::read(&keep).expect("read"), b"keep me", "untouched");

    // Create a volume whose name is taken.
    let (all, _, _) = run(pool.spec("small.img", &src, Direction::Upload, true));
    let why = failed(&all);
    assert!(why.contains("already has a volume"), "{why}");
    assert_eq!(
        std::fs::metadata(pool.vol_file("small.img"))
            .expect("stat")
            .len(),
        MIB,
        "the existing volume is untouched"
    );

    // Into an existing volume too small for the file.
    let (all, _, _) = run(pool.spec("small.img", &src, Direction::Upload, false));
    let why = failed(&all);
    assert!(why.contains("too little"), "{why}");

    // Into a volume that does not exist, without create.
    let (all, _, _) = run(pool.spec("none.img", &src, Direction::Upload, false));
    assert!(failed(&all).contains("has no volume"));
    assert!(!pool.has_volume("none.img"));

    // From a local file that does not exist.
    let missing = scratch.path("missing.img");
    let (all, _, _) = run(pool.spec("new.img", &missing, Direction::Upload, true));
    let why = failed(&all);
    assert!(why.contains("missing.img"), "{why}");
    assert!(!pool.has_volume("new.img"), "nothing was made");

    // Download of a volume that does not exist leaves no file behind.
    let dst = scratch.path("nothing.img");
    let (all, _, _) = run(pool.spec("none.img", &dst, Direction::Download, false));
    assert!(failed(&all).contains("has no volume"));
    assert!(!dst.exists());

    // A pool that is defined but not running.
    let idle = format!("hangar-test-xfer-idle-{}", std::process::id());
    let idle_dir = pool.dir.join("idle");
    std::fs::create_dir_all(&idle_dir).expect("idle dir");
    let _ = virsh(&pool.uri, &["pool-undefine", &idle]);
    virsh_ok(
        &pool.uri,
        &[
            "pool-define-as",
            &idle,
            "dir",
            "--target",
            idle_dir.to_str().expect("UTF-8"),
        ],
    );
    let mut spec = pool.spec("x.img", &src, Direction::Upload, true);
    spec.pool = idle.clone();
    let (all, _, _) = run(spec);
    let _ = virsh(&pool.uri, &["pool-undefine", &idle]);
    let why = failed(&all);
    assert!(why.contains("not active"), "{why}");

    // A pool that does not exist.
    let mut spec = pool.spec("x.img", &src, Direction::Upload, true);
    spec.pool = "hangar-test-no-such-pool".into();
    let (all, _, _) = run(spec);
    assert!(failed(&all).contains("no storage pool"));
}

/// A tmpfs of `size` mounted on `dir` (the tests run as root in a mount namespace of
/// their own), unmounted on drop.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn new(dir: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(dir).expect("mount point made");
        let d = dir.to_str().expect("a UTF-8 path");
        run_ok(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "hangar-small",
                d,
            ],
        );
        SmallDisk(dir.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = daemon::run("umount", &["-l", self.0.to_str().unwrap_or_default()]);
    }
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn failures_say_what_was_cleaned_up() {
    let _serial = serial();
    let scratch = Scratch::new("full");
    let src = scratch.path("eight.img");
    std::fs::write(&src, noise(5, 8 * MIB as usize)).expect("source written");
    // With a hole at its end the file goes sparse, into a sparse volume: the space
    // runs out during the copy. (A file without holes gets its volume allocated whole
    // first, and is refused before a byte is sent: below.)
    let holed = scratch.path("holed.img");
    std::fs::write(&holed, noise(5, 8 * MIB as usize)).expect("source written");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&holed)
        .and_then(|f| f.set_len(9 * MIB))
        .expect("a hole at the end");

    // A pool on a 2 MiB file system: the sparse volume is made, the data does not fit.
    let pool = {
        let uri = test_uri();
        let name = format!("hangar-test-xfer-full-{}", std::process::id());
        let dir = Path::new("/var/lib/libvirt/images").join(&name);
        let _ = virsh(&uri, &["pool-destroy", &name]);
        let disk = SmallDisk::new(&dir, "2m");
        let target = dir.to_str().expect("a UTF-8 path");
        virsh_ok(&uri, &["pool-create-as", &name, "dir", "--target", target]);
        (Pool { uri, name, dir }, disk)
    };
    let (all, t, _) = run(pool.0.spec("holed.img", &holed, Direction::Upload, true));
    let why = failed(&all);
    eprintln!(
        "upload into a full pool: {why} ({} bytes sent)",
        t.wire_bytes()
    );
    assert!(why.starts_with("The upload failed: "), "{why}");
    assert!(why.ends_with("The partial volume was deleted."), "{why}");
    assert!(!pool.0.has_volume("holed.img"), "no half volume is left");
    assert!(
        matches!(all.first(), Some(Progress::Started { total }) if *total == 9 * MIB),
        "{all:?}"
    );
    // Without holes: the whole volume is asked for first, and refused at once.
    let (all, t, _) = run(pool.0.spec("eight.img", &src, Direction::Upload, true));
    let why = failed(&all);
    assert!(
        why.contains("could not be created") && why.contains("space"),
        "{why}"
    );
    assert_eq!(t.wire_bytes(), 0, "nothing was sent");
    assert!(!pool.0.has_volume("eight.img"));

    // A download onto a 2 MiB file system: the local write fails, the file goes.
    virsh_ok(
        &pool.0.uri,
        &[
            "vol-create-as",
            &pool.0.name,
            "one.img",
            "1M",
            "--format",
            "raw",
        ],
    );
    let src_pool = Pool::new("xfer-full-src");
    let (all, _, _) = run(src_pool.spec("eight.img", &src, Direction::Upload, true));
    assert_finished(&all);
    let small = SmallDisk::new(&scratch.path("small"), "2m");
    let dst = small.0.join("eight.img");
    let (all, _, _) = run(src_pool.spec("eight.img", &dst, Direction::Download, false));
    let why = failed(&all);
    eprintln!("download onto a full disk: {why}");
    assert!(why.starts_with("The download failed: "), "{why}");
    assert!(why.ends_with("The partial file was removed."), "{why}");
    assert!(!dst.exists(), "no partial file is left");
}

/// An sshd on the namespace's loopback (a free port, keys of its own in a temporary
/// directory) so that a `qemu+ssh://root@127.0.0.1` URI reaches the private libvirtd.
/// ssh's client configuration is bind-mounted over inside the test namespace, so its
/// known hosts go to the temporary directory, not to root's `~/.ssh`.
struct Sshd {
    dir: PathBuf,
    child: std::process::Child,
    port: u16,
}

impl Sshd {
    fn start() -> Sshd {
        let dir = std::env::temp_dir().join(format!("hangar-xfer-sshd-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("sshd dir");
        let path = |name: &str| dir.join(name).to_str().expect("a UTF-8 path").to_string();
        for key in ["host_key", "client_key"] {
            run_ok(
                "ssh-keygen",
                &["-q", "-t", "ed25519", "-N", "", "-f", &path(key)],
            );
        }
        std::fs::copy(path("client_key.pub"), path("authorized_keys")).expect("keys");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let d = dir.display();
        let sshd_config = format!(
            "ListenAddress 127.0.0.1:{port}\nHostKey {d}/host_key\n\
             AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\n\
             PermitRootLogin prohibit-password\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nUsePAM no\nPidFile none\n"
        );
        std::fs::write(path("sshd_config"), sshd_config).expect("sshd_config");
        let ssh_config = format!(
            "Host *\n  UserKnownHostsFile {d}/known_hosts\n  GlobalKnownHostsFile /dev/null\n"
        );
        std::fs::write(path("ssh_config"), ssh_config).expect("ssh_config");
        run_ok(
            "mount",
            &["--bind", &path("ssh_config"), "/etc/ssh/ssh_config"],
        );
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        let child = std::process::Command::new("/usr/sbin/sshd")
            .args(["-D", "-f", &path("sshd_config"), "-E", &path("sshd.log")])
            .spawn()
            .expect("sshd runs (package openssh-server)");
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let log = std::fs::read_to_string(path("sshd.log")).unwrap_or_default();
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "sshd listens: {log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Sshd { dir, child, port }
    }

    fn uri(&self) -> String {
        format!(
            "qemu+ssh://root@127.0.0.1:{}/system?keyfile={}/client_key&no_verify=1",
            self.port,
            self.dir.display()
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = daemon::run("umount", &["/etc/ssh/ssh_config"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn transfers_work_over_ssh() {
    let _serial = serial();
    let sshd = Sshd::start();
    let pool = Pool::new("xfer-ssh");
    let scratch = Scratch::new("ssh");
    let src = scratch.path("sparse.img");
    let size = 512 * MIB;
    {
        let f = File::create(&src).expect("source made");
        f.set_len(size).expect("apparent size");
        f.write_all_at(&noise(6, 3 * MIB as usize), 10 * MIB)
            .expect("first region");
        f.write_all_at(&noise(8, MIB as usize), 500 * MIB)
            .expect("second region");
        f.sync_all().expect("synced");
    }
    let remote = |volume: &str, local: &Path, direction, create| TransferSpec {
        uri: sshd.uri(),
        ..pool.spec(volume, local, direction, create)
    };

    let (all, t, took) = run(remote("ssh.img", &src, Direction::Upload, true));
    assert_eq!(assert_finished(&all), size, "{all:?}");
    eprintln!(
        "upload over ssh of 512 MiB with 4 MiB of data: {took:?}, {} bytes of data sent",
        t.wire_bytes()
    );
    assert_eq!(t.wire_bytes(), 4 * MIB, "holes went as holes over ssh too");
    let vol = pool.vol_file("ssh.img");
    assert!(allocated(&vol) <= 8 * MIB, "{} allocated", allocated(&vol));
    assert_same_content(&src, &vol);

    let back = scratch.path("back.img");
    let (all, t, took) = run(remote("ssh.img", &back, Direction::Download, false));
    assert_eq!(assert_finished(&all), size, "{all:?}");
    eprintln!(
        "download over ssh: {took:?}, {} bytes of data received, {} allocated",
        t.wire_bytes(),
        allocated(&back)
    );
    assert!(t.wire_bytes() <= 8 * MIB);
    assert!(allocated(&back) <= 8 * MIB, "the download stays sparse");
    assert_same_content(&src, &back);
}

#[test]
fn remaining_time_estimates() {
    assert_eq!(remaining_secs(0, 10 * MIB, MIB as f64), Some(10));
    assert_eq!(remaining_secs(10 * MIB, 10 * MIB, 0.0), Some(0));
    assert_eq!(remaining_secs(1, 10, 0.0), None);
}
