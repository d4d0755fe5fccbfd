//! The backend's own libvirt FFI (events, bulk stats, host usage) against the libvirt
//! test driver, in-process and without a daemon.
//!
//! Every test opens `test:///ABS/PATH.xml` on a node file of its own (fresh state per
//! open), never the process-wide `test:///default`. Tests take a common lock so the
//! RSS measurement of the leak check is not disturbed by the others.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hangar::backend::conn::events::{
    self, DomainEventKind, Event, NetworkEventKind, PoolEventKind, Registration,
};
use hangar::backend::domain::host;
use hangar::backend::domain::stats::{self, StatKinds};
use virt::connect::Connect;
use virt::sys;

const TEST_NS: &str = "http://libvirt.org/schemas/domain/test/1.0";
const EVENT_TIMEOUT: Duration = Duration::from_secs(5);

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A node file in a temporary directory of its own, removed on drop.
struct NodeFile {
    dir: PathBuf,
    path: PathBuf,
}

impl NodeFile {
    fn new(tag: &str, xml: &str) -> NodeFile {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hangar-backend-ffi-{}-{}-{tag}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let path = dir.join("node.xml");
        std::fs::write(&path, xml).expect("write node file");
        NodeFile { dir, path }
    }

    fn uri(&self) -> String {
        format!("test://{}", self.path.display())
    }

    fn open(&self) -> Connect {
        events::init_event_loop().expect("init the libvirt event loop");
        // Keep libvirt's default handler from printing expected errors (e.g. the test
        // driver's missing virNodeGetMemoryStats) to stderr.
        virt::error::clear_error_callback();
        Connect::open(Some(&self.uri())).expect("open the test driver")
    }
}

impl Drop for NodeFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn uuid_for(i: usize) -> String {
    format!("00000000-0000-4000-8000-{:012x}", i + 1)
}

/// A node with `n` domains (even ones running, odd ones shut off) and one network.
fn node_xml(n: usize) -> String {
    let mut xml = format!("<node xmlns:test='{TEST_NS}'>\n");
    for i in 0..n {
        let state = if i % 2 == 0 { 1 } else { 5 };
        xml.push_str(&format!(
            "<domain type='test'><name>vm-{i:05}</name><uuid>{uuid}</uuid>\
             <memory unit='MiB'>{mem}</memory><vcpu>{vcpu}</vcpu>\
             <os><type>hvm</type></os>\
             <devices><disk type='file' device='disk'>\
             <source file='/var/lib/libvirt/images/vm-{i:05}.qcow2'/>\
             <target dev='vda' bus='virtio'/></disk>\
             <interface type='network'><source network='default'/></interface></devices>\
             <test:runstate>{state}</test:runstate></domain>\n",
            uuid = uuid_for(i),
            mem = 256 + (i % 4) * 128,
            vcpu = 1 + i % 4,
        ));
    }
    xml.push_str(
        "<network><name>default</name><bridge name='virbr0'/><forward mode='nat'/>\
         <ip address='192.168.122.1' netmask='255.255.255.0'/></network>\n</node>\n",
    );
    xml
}

/// Current resident set size of this process in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

fn next_event(rx: &mpsc::Receiver<Event>) -> Event {
    rx.recv_timeout(EVENT_TIMEOUT)
        .unwrap_or_else(|e| panic!("no event within {EVENT_TIMEOUT:?}: {e}"))
}

fn expect_domain(rx: &mpsc::Receiver<Event>, uuid: &str, name: &str, kind: DomainEventKind) -> i32 {
    match next_event(rx) {
        Event::Domain {
            uuid: u,
            name: n,
            kind: k,
            detail,
        } if u == uuid && n == name && k == kind => detail,
        other => panic!("expected {kind:?} for {name} ({uuid}), got {other:?}"),
    }
}

/// Register a channel-backed sink; the `Arc` lets the test see when libvirt freed it.
fn register_channel(conn: &Connect) -> (Registration, mpsc::Receiver<Event>, Arc<()>) {
    let (tx, rx) = mpsc::channel();
    let alive = Arc::new(());
    let held = Arc::clone(&alive);
    let reg = events::register(conn, move |event| {
        let _keep = &held;
        let _ = tx.send(event);
    })
    .expect("register events");
    (reg, rx, alive)
}

/// After the Registration is gone: no event may arrive and the sink (holding the only
/// sender) must be freed, which disconnects the channel.
fn assert_sink_released(rx: &mpsc::Receiver<Event>, alive: &Arc<()>) {
    let deadline = Instant::now() + EVENT_TIMEOUT;
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(event) => panic!("event after deregistration: {event:?}"),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                assert!(Instant::now() < deadline, "the event sink was never freed");
            }
        }
    }
    assert_eq!(Arc::strong_count(alive), 1, "sink still referenced");
}

#[test]
fn lifecycle_events_arrive_and_stop_after_drop() {
    let _serial = serial();
    let node = NodeFile::new("events", &node_xml(2));
    let conn = node.open();
    let (reg, rx, alive) = register_channel(&conn);
    assert_eq!(Arc::strong_count(&alive), 2);

    // Domains.
    let uuid = "5e3c0ad3-3c9f-4a0d-9b7a-6f0e1d2c3b4a";
    let name = "ev-domain";
    let xml = format!(
        "<domain type='test'><name>{name}</name><uuid>{uuid}</uuid>\
         <memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>"
    );
    let dom = conn.define_domain_xml(&xml).expect("define");
    expect_domain(&rx, uuid, name, DomainEventKind::Defined);
    dom.create().expect("start");
    expect_domain(&rx, uuid, name, DomainEventKind::Started);
    dom.suspend().expect("suspend");
    expect_domain(&rx, uuid, name, DomainEventKind::Suspended);
    dom.resume().expect("resume");
    expect_domain(&rx, uuid, name, DomainEventKind::Resumed);
    dom.set_metadata(
        sys::VIR_DOMAIN_METADATA_DESCRIPTION as i32,
        Some("changed by the test"),
        None,
        None,
        sys::VIR_DOMAIN_AFFECT_LIVE,
    )
    .expect("set description");
    assert_eq!(
        next_event(&rx),
        Event::DomainChanged {
            uuid: uuid.into(),
            name: name.into()
        }
    );
    dom.destroy().expect("destroy");
    let detail = expect_domain(&rx, uuid, name, DomainEventKind::Stopped);
    assert_eq!(detail, sys::VIR_DOMAIN_EVENT_STOPPED_DESTROYED as i32);
    dom.undefine().expect("undefine");
    expect_domain(&rx, uuid, name, DomainEventKind::Undefined);
    drop(dom);

    // Networks.
    let net_uuid = "a1b2c3d4-0000-4000-8000-000000000001";
    let net = conn
        .define_network_xml(&format!(
            "<network><name>ev-net</name><uuid>{net_uuid}</uuid><bridge name='virbr9'/>\
             <ip address='192.168.150.1' netmask='255.255.255.0'/></network>"
        ))
        .expect("define network");
    let net_event = |kind| Event::Network {
        uuid: net_uuid.into(),
        name: "ev-net".into(),
        kind,
    };
    assert_eq!(next_event(&rx), net_event(NetworkEventKind::Defined));
    net.create().expect("start network");
    assert_eq!(next_event(&rx), net_event(NetworkEventKind::Started));
    net.destroy().expect("stop network");
    assert_eq!(next_event(&rx), net_event(NetworkEventKind::Stopped));
    net.undefine().expect("undefine network");
    assert_eq!(next_event(&rx), net_event(NetworkEventKind::Undefined));
    drop(net);

    // Storage pools.
    let pool_uuid = "a1b2c3d4-0000-4000-8000-000000000002";
    let pool = conn
        .define_storage_pool_xml(
            &format!(
                "<pool type='dir'><name>ev-pool</name><uuid>{pool_uuid}</uuid>\
                 <target><path>/ev-pool</path></target></pool>"
            ),
            0,
        )
        .expect("define pool");
    let pool_event = |kind| Event::Pool {
        uuid: pool_uuid.into(),
        name: "ev-pool".into(),
        kind,
    };
    assert_eq!(next_event(&rx), pool_event(PoolEventKind::Defined));
    pool.create(0).expect("start pool");
    assert_eq!(next_event(&rx), pool_event(PoolEventKind::Started));
    pool.destroy().expect("stop pool");
    assert_eq!(next_event(&rx), pool_event(PoolEventKind::Stopped));
    pool.undefine().expect("undefine pool");
    assert_eq!(next_event(&rx), pool_event(PoolEventKind::Undefined));
    drop(pool);

    // Nothing else was queued.
    assert!(
        rx.recv_timeout(Duration::from_millis(200)).is_err(),
        "unexpected extra event"
    );

    // Deregister, then cause more events: none may arrive.
    drop(reg);
    let dom = conn
        .define_domain_xml(
            "<domain type='test'><name>after-drop</name>\
             <memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>",
        )
        .expect("define after drop");
    dom.create().expect("start after drop");
    assert_sink_released(&rx, &alive);
    drop(dom);
    drop(conn);
}

#[test]
fn registration_outlives_the_callers_connection() {
    let _serial = serial();
    let node = NodeFile::new("outlive", &node_xml(1));
    let conn = node.open();
    let (reg, rx, alive) = register_channel(&conn);
    // Events still work through the Registration's own reference after the caller's
    // handle is gone; dropping it last must not panic and must free the sink.
    let other = conn.clone();
    drop(conn);
    let dom = other.lookup_domain_by_name("vm-00000").expect("lookup");
    dom.suspend().expect("suspend");
    expect_domain(&rx, &uuid_for(0), "vm-00000", DomainEventKind::Suspended);
    drop(dom);
    drop(other);
    drop(reg);
    assert_sink_released(&rx, &alive);
}

#[test]
fn all_domain_stats_covers_every_domain_and_frees() {
    let _serial = serial();
    const N: usize = 200;
    let node = NodeFile::new("stats", &node_xml(N));
    let conn = node.open();

    let samples = stats::all_domain_stats(&conn, StatKinds::all(), false).expect("stats");
    assert_eq!(samples.len(), N);
    let uuids: BTreeSet<String> = samples.iter().map(|s| s.uuid.clone()).collect();
    let expected: BTreeSet<String> = (0..N).map(uuid_for).collect();
    assert_eq!(uuids, expected);
    for s in &samples {
        let index = (0..N).find(|&i| uuid_for(i) == s.uuid).expect("known uuid");
        let want = if index % 2 == 0 { 1 } else { 5 };
        assert_eq!(s.state, Some(want), "state of {}", s.uuid);
    }

    let active = stats::all_domain_stats(&conn, StatKinds::all(), true).expect("active");
    assert_eq!(active.len(), N / 2);
    assert!(active.iter().all(|s| s.state == Some(1)));

    // Leak check: the virt crate's own wrapper leaks every record (~200 per call here);
    // ours must keep the RSS flat over 2000 calls.
    for _ in 0..50 {
        stats::all_domain_stats(&conn, StatKinds::all(), false).expect("warm-up");
    }
    let before = rss_kib();
    for _ in 0..2000 {
        let samples = stats::all_domain_stats(&conn, StatKinds::all(), false).expect("stats");
        assert_eq!(samples.len(), N);
    }
    let after = rss_kib();
    let growth = after.saturating_sub(before);
    eprintln!("RSS before {before} KiB, after 2000 calls {after} KiB, growth {growth} KiB");
    assert!(
        growth < 4 * 1024,
        "RSS grew by {growth} KiB over 2000 calls"
    );
    drop(conn);
}

#[test]
fn domain_list_stats_returns_just_those_domains() {
    let _serial = serial();
    let node = NodeFile::new("list", &node_xml(10));
    let conn = node.open();
    let names = ["vm-00001", "vm-00004", "vm-00007"];
    let doms: Vec<_> = names
        .iter()
        .map(|n| conn.lookup_domain_by_name(n).expect("lookup"))
        .collect();
    let refs: Vec<&virt::domain::Domain> = doms.iter().collect();

    let samples = stats::domain_list_stats(&refs, StatKinds::all()).expect("list stats");
    let got: BTreeSet<String> = samples.iter().map(|s| s.uuid.clone()).collect();
    let want: BTreeSet<String> = [1, 4, 7].into_iter().map(uuid_for).collect();
    assert_eq!(got, want);
    for s in &samples {
        assert!(s.state.is_some(), "state of {}", s.uuid);
    }
    let by_uuid = |i: usize| samples.iter().find(|s| s.uuid == uuid_for(i)).cloned();
    assert_eq!(by_uuid(4).and_then(|s| s.state), Some(1));
    assert_eq!(by_uuid(7).and_then(|s| s.state), Some(5));

    assert!(stats::domain_list_stats(&[], StatKinds::all())
        .expect("empty")
        .is_empty());
    drop(refs);
    drop(doms);
    drop(conn);
}

#[test]
fn host_info_and_sample() {
    let _serial = serial();
    let node = NodeFile::new("host", &node_xml(1));
    let conn = node.open();

    let info = host::host_info(&conn).expect("host info");
    eprintln!("{info:?}");
    assert!(!info.hostname.is_empty());
    assert_eq!(info.uri, node.uri());
    assert_eq!(info.driver, "TEST");
    let parts: Vec<&str> = info.libvirt_version.split('.').collect();
    assert_eq!(parts.len(), 3, "{}", info.libvirt_version);
    assert!(parts.iter().all(|p| p.parse::<u32>().is_ok()));
    assert!(!info.libvirt_version.starts_with("0."));
    assert!(info.hypervisor_version.is_some());
    assert!(!info.cpu_model.is_empty());
    assert!(info.cpus > 0);
    assert!(info.memory_kib > 0);
    assert!(info.arch.as_deref().is_some_and(|a| !a.is_empty()));

    let a = host::host_sample(&conn).expect("host sample");
    let b = host::host_sample(&conn).expect("host sample");
    eprintln!("{a:?}");
    // The test driver reports node CPU times; memory stats come from the fallback.
    assert!(a.cpu_busy_ns.is_some() && a.cpu_total_ns.is_some());
    assert!(a.cpu_busy_ns <= a.cpu_total_ns);
    assert_eq!(a.memory_total_kib, Some(info.memory_kib));
    if let Some(p) = host::host_cpu_percent(&a, &b) {
        assert!((0.0..=100.0).contains(&p));
    }
    drop(conn);
}
