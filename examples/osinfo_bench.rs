//! How long from "this ISO was chosen" to "the OS is known", beside libosinfo's own
//! `osinfo-detect` on the same files, in the same run.
//!
//! ```sh
//! cargo build --release --example osinfo_bench
//! target/release/examples/osinfo_bench [RUNS]      # RUNS defaults to 20
//! ```
//!
//! Makes small bootable ISOs with xorriso (Fedora 37, Windows 11, and one no database
//! knows) in a temporary directory, then times, for each:
//! - warm: a detection through the wizard's path, `OsinfoWorker::call` with the
//!   database already loaded (the wizard starts the worker when it opens), from the
//!   request to the answer on the calling thread;
//! - cold: loading the database and detecting, in-process (a first detection right
//!   after the wizard opens);
//! - `osinfo-detect FILE`: a process that loads the database and detects (what
//!   `virt-install --osinfo detect=on` does in-process, plus Python's start).
//!
//! Prints the median, minimum and maximum of each. A benchmark, not a test: it fails on
//! no figure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hangar::backend::osinfo::{OsinfoDb, OsinfoWorker};

fn make_iso(dir: &Path, name: &str, volume: &str, publisher: Option<&str>) -> PathBuf {
    let root = dir.join(format!("{name}.root"));
    std::fs::create_dir_all(&root).expect("iso root");
    std::fs::write(root.join("boot.img"), vec![0u8; 2048]).expect("boot image");
    let out = dir.join(format!("{name}.iso"));
    let mut cmd = Command::new("xorriso");
    cmd.args(["-as", "mkisofs", "-quiet", "-V", volume]);
    if let Some(p) = publisher {
        cmd.args(["-publisher", p]);
    }
    cmd.args([
        "-b",
        "boot.img",
        "-no-emul-boot",
        "-boot-load-size",
        "4",
        "-o",
    ])
    .arg(&out)
    .arg(&root);
    let status = cmd.status().expect("xorriso (package xorriso)");
    assert!(status.success(), "xorriso failed");
    out
}

fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:8.2} ms   min {:8.2} ms   max {:8.2} ms",
        ms(v[v.len() / 2]),
        ms(v[0]),
        ms(v[v.len() - 1])
    )
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20)
        .max(1);
    let dir = std::env::temp_dir().join(format!("hangar-osinfo-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let isos = [
        (
            "Fedora 37 (Everything netinst ids)",
            make_iso(&dir, "fedora", "Fedora-E-dvd-x86_64-37", None),
        ),
        (
            "Windows 11 (consumer disc ids)",
            make_iso(
                &dir,
                "win11",
                "CCCOMA_X64FRE_EN-US_DV9",
                Some("MICROSOFT CORPORATION"),
            ),
        ),
        (
            "unknown volume id",
            make_iso(&dir, "unknown", "HANGAR_NOTHING_KNOWN", None),
        ),
    ];

    let t = Instant::now();
    let worker = OsinfoWorker::spawn();
    let count = worker
        .call_blocking(|db| Ok(db.info().os_count))
        .expect("osinfo database");
    let load = t.elapsed();
    println!(
        "osinfo worker: database of {count} OSes loaded in {:.1} ms (once, when the wizard opens)",
        load.as_secs_f64() * 1000.0
    );
    println!("{runs} runs each\n");

    for (label, iso) in &isos {
        let mut warm = Vec::new();
        let mut answer = String::new();
        for _ in 0..runs {
            let p = iso.clone();
            let t = Instant::now();
            let d = worker
                .call_blocking(move |db| db.detect_media(&p, None))
                .expect("detect");
            warm.push(t.elapsed());
            answer = d.os.map_or("no OS".into(), |o| o.short_id);
        }
        let mut cold = Vec::new();
        for _ in 0..runs.min(10) {
            let t = Instant::now();
            let db = OsinfoDb::load_default().expect("load");
            let _ = db.detect_media(iso, None).expect("detect");
            cold.push(t.elapsed());
        }
        let mut tool = Vec::new();
        let mut tool_answer = String::new();
        for _ in 0..runs.min(10) {
            let t = Instant::now();
            let out = Command::new("osinfo-detect")
                .arg(iso)
                .output()
                .expect("osinfo-detect (package libosinfo-bin)");
            tool.push(t.elapsed());
            tool_answer = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.split("for OS '").nth(1))
                .map(|l| l.trim_end_matches('\'').to_string())
                .next()
                .unwrap_or_else(|| "no OS".into());
        }
        println!("{label}: Hangar says {answer}, osinfo-detect says {tool_answer}");
        println!("  Hangar, warm (worker, db loaded)  {}", stats(warm));
        println!("  Hangar, cold (load db + detect)   {}", stats(cold));
        println!("  osinfo-detect (process)           {}", stats(tool));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
