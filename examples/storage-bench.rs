//! Storage benchmark (prints figures; run by `bench/storage-bench.sh` inside a private
//! libvirtd): Hangar's upload and download of a file into a `dir` pool, timed, with the
//! longest gap of the main loop meanwhile (progress reaches the UI through it), and a
//! clone of a machine with a sparse qcow2 disk.
//!
//!   storage-bench URI POOL FILE TAG      uploads FILE as volume TAG.img into POOL and
//!                                        downloads it back to FILE.TAG
//!   storage-bench URI clone DOMAIN        clones DOMAIN as DOMAIN-hangar-clone
//!
//! and prints one line each: `upload <seconds> s <MiB/s> MiB/s gap <ms> ms`, the like
//! for download, `clone <seconds> s gap <ms> ms`.

use std::time::{Duration, Instant};

use gtk::glib;
use hangar::backend::clone::job::{clone_offer_blocking, CloneJob, CloneProgress, CloneSpec};
use hangar::backend::storage::transfer::{Direction, Progress, Transfer, TransferSpec};

/// Run `start`'s channel to its end on the main loop, with a 10 ms tick; the time it
/// took and the longest gap between ticks.
fn on_main_loop<T: 'static>(
    rx: async_channel::Receiver<T>,
    done: impl Fn(&T) -> bool + 'static,
) -> (Duration, Duration, Option<T>) {
    let ctx = glib::MainContext::default();
    let start = Instant::now();
    let last = std::rc::Rc::new(std::cell::Cell::new(Instant::now()));
    let longest = std::rc::Rc::new(std::cell::Cell::new(Duration::ZERO));
    let (l, g) = (last.clone(), longest.clone());
    let tick = glib::timeout_add_local(Duration::from_millis(10), move || {
        let now = Instant::now();
        g.set(g.get().max(now - l.get()));
        l.set(now);
        glib::ControlFlow::Continue
    });
    let result = std::rc::Rc::new(std::cell::RefCell::new(None));
    let r = result.clone();
    ctx.spawn_local(async move {
        while let Ok(p) = rx.recv().await {
            if done(&p) {
                r.replace(Some(p));
                return;
            }
        }
    });
    while result.borrow().is_none() {
        ctx.iteration(true);
    }
    tick.remove();
    let out = result.borrow_mut().take();
    (start.elapsed(), longest.get(), out)
}

fn transfer(spec: TransferSpec, bytes: u64, what: &str) {
    // What the previous copy left to write back is not this one's cost.
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let (_t, rx) = Transfer::start(spec);
    let (took, gap, end) = on_main_loop(rx, |p| {
        matches!(
            p,
            Progress::Finished { .. } | Progress::Failed(_) | Progress::Cancelled
        )
    });
    match end {
        Some(Progress::Finished { .. }) => println!(
            "{what} {:.2} s {:.0} MiB/s gap {} ms",
            took.as_secs_f64(),
            bytes as f64 / (1 << 20) as f64 / took.as_secs_f64(),
            gap.as_millis()
        ),
        other => {
            eprintln!("storage-bench: {what} did not finish: {other:?}");
            std::process::exit(1);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match &args[..] {
        [_, uri, c, domain] if c == "clone" => clone(uri, domain),
        [_, uri, pool, file, tag] => copies(uri, pool, file, tag),
        _ => {
            eprintln!("usage: storage-bench URI POOL FILE TAG | storage-bench URI clone DOMAIN");
            std::process::exit(2);
        }
    }
}

fn copies(uri: &str, pool: &str, file: &str, tag: &str) {
    let bytes = std::fs::metadata(file).expect("the file").len();
    let volume = format!("{tag}.img");
    transfer(
        TransferSpec {
            uri: uri.into(),
            pool: pool.into(),
            volume: volume.clone(),
            local: file.into(),
            direction: Direction::Upload,
            create: true,
        },
        bytes,
        "upload",
    );
    let down = format!("{file}.{tag}");
    let _ = std::fs::remove_file(&down);
    transfer(
        TransferSpec {
            uri: uri.into(),
            pool: pool.into(),
            volume,
            local: down.into(),
            direction: Direction::Download,
            create: false,
        },
        bytes,
        "download",
    );
}

fn clone(uri: &str, domain: &str) {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let offer = clone_offer_blocking(uri, domain).expect("the domain to clone");
    let (_job, rx) = CloneJob::start(CloneSpec {
        uri: uri.into(),
        source_uuid: offer.0,
        new_name: format!("{domain}-hangar-clone"),
        disks: offer.1,
    });
    let (took, gap, end) = on_main_loop(rx, |p| !matches!(p, CloneProgress::Disk { .. }));
    match end {
        Some(CloneProgress::Finished { .. }) => println!(
            "clone {:.2} s gap {} ms",
            took.as_secs_f64(),
            gap.as_millis()
        ),
        other => {
            eprintln!("storage-bench: the clone did not finish: {other:?}");
            std::process::exit(1);
        }
    }
}
