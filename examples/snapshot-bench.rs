//! Benchmark of the Snapshots tab: a machine with N snapshots (made here first when
//! asked, a chain with a branch every 25), then the time from giving the tab the
//! machine to the first frame drawn with its tree, and the memory that took. Prints
//! one JSON line; run under a display (see bench/snapshot-bench.sh).
//!
//!   snapshot-bench --connect URI --domain NAME [--create N] [--runs 5]

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::glib;

use hangar::backend::snapshot::job::{RevertMode, SnapshotOp};
use hangar::backend::snapshot::plan::TakeSpec;
use hangar::model::Connection;
use hangar::ui::vm::snapshots::SnapshotsPage;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|v| v.parse().unwrap_or(0)))
        })
        .unwrap_or(0)
}

/// Run the main loop until `f` holds (or `secs` pass).
fn until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let ctx = glib::MainContext::default();
    let end = Instant::now() + Duration::from_secs(secs);
    while !f() {
        if Instant::now() > end {
            return false;
        }
        if !ctx.iteration(false) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    true
}

fn main() {
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    if adw::init().is_err() {
        eprintln!("snapshot-bench needs a display: run it under xvfb-run -a");
        std::process::exit(2);
    }
    hangar::init_resources();
    virt::error::clear_error_callback();
    let uri = arg("--connect").unwrap_or_else(|| "test:///default".into());
    let name = arg("--domain").unwrap_or_else(|| "test".into());
    let create: usize = arg("--create").and_then(|v| v.parse().ok()).unwrap_or(0);
    let runs: usize = arg("--runs").and_then(|v| v.parse().ok()).unwrap_or(5);
    let conn = Connection::new(&uri, false, false);
    conn.connect_now();
    if !until(120, || conn.loaded() && conn.find_vm(&name).is_some()) {
        eprintln!("snapshot-bench: {name} not found on {uri}");
        std::process::exit(1);
    }
    let vm = conn.find_vm(&name).expect("found");
    let backend = conn.backend();
    let t0 = Instant::now();
    for i in 0..create {
        if i > 0 && i % 25 == 0 {
            let back = format!("s{:03}", i - 5);
            let op = SnapshotOp::Revert {
                name: back,
                mode: RevertMode::AsTaken,
            };
            let done = Rc::new(Cell::new(false));
            let d = done.clone();
            let b = backend.clone();
            let uuid = vm.uuid();
            glib::spawn_future_local(async move {
                b.snapshot_op(uuid, op).await.expect("revert");
                d.set(true);
            });
            until(120, || done.get());
        }
        let spec = TakeSpec {
            name: format!("s{i:03}"),
            description: format!("snapshot number {i} of the benchmark"),
            memory: false,
            disk_only: false,
            quiesce: false,
        };
        let done = Rc::new(Cell::new(false));
        let d = done.clone();
        let b = backend.clone();
        let uuid = vm.uuid();
        glib::spawn_future_local(async move {
            b.snapshot_op(uuid, SnapshotOp::Take(spec))
                .await
                .expect("snapshot");
            d.set(true);
        });
        until(120, || done.get());
    }
    if create > 0 {
        eprintln!("made {create} snapshots in {:?}", t0.elapsed());
    }

    let window = gtk::Window::builder()
        .default_width(1100)
        .default_height(760)
        .build();
    let page = SnapshotsPage::new();
    // The tab among others, as on the VM page: it reads the snapshots when given the
    // machine, shown or not; a person then switches to it.
    let stack = gtk::Stack::new();
    stack.add_named(&gtk::Label::new(Some("Overview")), Some("overview"));
    stack.add_named(&page, Some("snapshots"));
    stack.set_visible_child_name("snapshots");
    window.set_child(Some(&stack));
    window.present();
    until(5, || page.is_mapped());
    let painted = Rc::new(Cell::new(None::<Instant>));
    let p2 = painted.clone();
    window
        .frame_clock()
        .expect("a realized window has a frame clock")
        .connect_after_paint(move |_| {
            if p2.get().is_none() {
                p2.set(Some(Instant::now()));
            }
        });
    let loaded = Rc::new(Cell::new(0u32));
    let loaded_at = Rc::new(Cell::new(None::<Instant>));
    let (l2, la2) = (loaded.clone(), loaded_at.clone());
    page.connect_loaded(move || {
        l2.set(l2.get() + 1);
        la2.set(Some(Instant::now()));
    });
    let rss0 = rss_kib();
    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..runs {
        page.set_property("vm", None::<&hangar::model::Vm>);
        until(2, || false);
        let before = loaded.get();
        painted.set(None);
        let start = Instant::now();
        page.set_property("vm", Some(&vm));
        let ok = until(60, || {
            loaded.get() > before && page.snapshots().items.len() >= create.max(1)
        });
        assert!(ok, "the tab did not load");
        painted.set(None);
        until(10, || painted.get().is_some());
        let ms = painted
            .get()
            .expect("painted")
            .duration_since(start)
            .as_secs_f64()
            * 1000.0;
        let data_ms = loaded_at
            .get()
            .expect("loaded")
            .duration_since(start)
            .as_secs_f64()
            * 1000.0;
        eprintln!("run: list in the tab after {data_ms:.1} ms, drawn after {ms:.1} ms");
        count = page.snapshots().items.len();
        times.push(ms);
    }
    // As virt-manager's probe does: the machine's page open for 2 s, then the tab.
    let mut switches = Vec::new();
    for _ in 0..runs {
        stack.set_visible_child_name("overview");
        page.set_property("vm", None::<&hangar::model::Vm>);
        until(1, || false);
        page.set_property("vm", Some(&vm));
        until(2, || false);
        painted.set(None);
        let start = Instant::now();
        stack.set_visible_child_name("snapshots");
        until(10, || {
            painted.get().is_some() && page.shown().len() > count.min(1)
        });
        let ms = painted
            .get()
            .expect("painted")
            .duration_since(start)
            .as_secs_f64()
            * 1000.0;
        eprintln!("run: tab shown {ms:.1} ms after the switch");
        switches.push(ms);
    }
    switches.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let rss1 = rss_kib();
    let first = times.first().copied().unwrap_or(0.0);
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{{\"uri\": \"{uri}\", \"snapshots\": {count}, \"rows_shown\": {}, \"first_ms\": {:.1}, \"median_ms\": {:.1}, \"max_ms\": {:.1}, \"switch_median_ms\": {:.1}, \"rss_mib\": {:.1}, \"rss_growth_mib\": {:.1}}}",
        page.shown().len(),
        first,
        times[times.len() / 2],
        times[times.len() - 1],
        switches[switches.len() / 2],
        rss1 as f64 / 1024.0,
        (rss1 as f64 - rss0 as f64) / 1024.0
    );
    conn.backend().shutdown();
}
