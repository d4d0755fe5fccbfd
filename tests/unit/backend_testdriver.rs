//! The connection worker (`backend::conn::worker::Connection`) against libvirt's test driver,
//! in-process and without a daemon: listing, detail batches, lifecycle actions, events,
//! bad input, the demo hypervisor and statistics.
//!
//! Every test writes a node file of its own (`test:///ABS/PATH.xml` gives fresh state
//! per open), so the tests can run in parallel.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::{block_on, TempDir, Updates, Worker};
use hangar::backend::conn::uri::DEMO_URI;
use hangar::backend::conn::worker::{ConnState, Connection, Update};
use hangar::backend::domain::stats::StatKinds;
use hangar::backend::domain::{Action, DomainInfo, DomainState};
use hangar::backend::Error;

/// How long any single expected update may take.
const WAIT: Duration = Duration::from_secs(20);

/// The UUID the node-file generator gives domain `i` (as Python's `uuid.UUID(int=i + 1)`).
fn uuid_of(i: usize) -> String {
    format!("00000000-0000-0000-0000-{:012x}", i + 1)
}

fn name_of(i: usize) -> String {
    format!("vm-{i:05}")
}

fn memory_mib_of(i: usize) -> u64 {
    512 + (i as u64 % 8) * 256
}

fn vcpus_of(i: usize) -> u32 {
    1 + (i as u32 % 4)
}

/// One `<domain>` of a node file, in the format of `bench/gen-test-node.py`.
/// `runstate`: 1 running, 3 paused, 5 shut off.
fn domain_xml(i: usize, runstate: u32) -> String {
    format!(
        "<domain type='test'>
  <name>{name}</name><uuid>{uuid}</uuid>
  <memory unit='MiB'>{mem}</memory><vcpu>{vcpus}</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='/var/lib/libvirt/images/{name}.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <interface type='network'><source network='default'/><mac address='52:54:00:{a:02x}:{b:02x}:{c:02x}'/></interface>
    <graphics type='vnc' port='-1' autoport='yes'/>
  </devices>
  <test:runstate>{runstate}</test:runstate>
</domain>",
        name = name_of(i),
        uuid = uuid_of(i),
        mem = memory_mib_of(i),
        vcpus = vcpus_of(i),
        a = (i >> 16) & 255,
        b = (i >> 8) & 255,
        c = i & 255,
    )
}

/// A whole node file: the given domains plus networks `default` and `isolated`.
fn node_xml(domains: impl IntoIterator<Item = String>) -> String {
    let mut parts =
        vec!["<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>".to_string()];
    parts.extend(domains);
    parts.push(
        "<network><name>default</name><bridge name='virbr0'/><forward mode='nat'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip></network>"
            .to_string(),
    );
    parts.push(
        "<network><name>isolated</name><bridge name='virbr1'/>
  <ip address='192.168.100.1' netmask='255.255.255.0'/></network>"
            .to_string(),
    );
    parts.push("</node>\n".to_string());
    parts.join("\n")
}

/// A node file in a temporary directory, and its URI.
struct Node {
    _dir: TempDir,
    uri: String,
}

impl Node {
    fn new(tag: &str, xml: &str) -> Node {
        let dir = TempDir::new(tag);
        let path = dir.path().join("node.xml");
        std::fs::write(&path, xml).expect("write the node file");
        Node {
            uri: format!("test://{}", path.display()),
            _dir: dir,
        }
    }

    /// `n` domains of the generator's format; even ones run, odd ones are shut off.
    fn generated(tag: &str, n: usize) -> Node {
        Node::new(
            tag,
            &node_xml((0..n).map(|i| domain_xml(i, if i % 2 == 0 { 1 } else { 5 }))),
        )
    }
}

/// Spawn a connection to `uri`, connect and wait for `Connected` and the first list.
fn connect(uri: &str) -> (Worker, Updates, Vec<DomainInfo>) {
    // Warnings of the backend on stderr (more with HANGAR_LOG=hangar=debug).
    hangar::init_logging(false);
    let (conn, mut updates) = common::connected(uri, WAIT);
    let list = updates.wait_domains(WAIT);
    (conn, updates, list)
}

/// Wait until every domain in the tracked list carries details.
fn wait_all_detailed(updates: &mut Updates, timeout: Duration) {
    updates.wait_until("details of every domain", timeout, |u| {
        !u.domains.is_empty() && u.domains.values().all(|i| i.detailed)
    });
}

#[test]
fn thousand_domains_list_then_details() {
    const N: usize = 1000;
    let node = Node::generated("thousand", N);
    virt::error::clear_error_callback();

    let t0 = Instant::now();
    let (conn, rx) = Connection::spawn(&node.uri);
    let _conn = Worker(conn.clone());
    let mut updates = Updates::new(rx);
    conn.connect();
    updates.wait_connected(Duration::from_secs(60));
    let t_connected = t0.elapsed();
    let list = updates.wait_domains(Duration::from_secs(60));
    let t_list = t0.elapsed();

    assert_eq!(list.len(), N, "the first list holds every domain");
    let by_uuid: HashMap<&str, &DomainInfo> = list.iter().map(|i| (i.uuid.as_str(), i)).collect();
    assert_eq!(by_uuid.len(), N, "UUIDs in the first list are unique");
    for i in 0..N {
        let uuid = uuid_of(i);
        let info = by_uuid
            .get(uuid.as_str())
            .unwrap_or_else(|| panic!("domain {i} ({uuid}) missing from the first list"));
        assert_eq!(info.name, name_of(i), "name of {uuid}");
        let want = if i % 2 == 0 {
            DomainState::Running
        } else {
            DomainState::Shutoff
        };
        assert_eq!(info.state, want, "state of {} in the first list", info.name);
        assert!(
            !info.detailed,
            "the first list comes before the details ({})",
            info.name
        );
        assert!(info.persistent, "{} is persistent", info.name);
    }
    let running = list
        .iter()
        .filter(|i| i.state == DomainState::Running)
        .count();
    assert_eq!(running, N / 2, "half the domains run");

    // Details follow in `Changed` batches.
    let mut detailed: HashMap<String, DomainInfo> = HashMap::new();
    let mut batches = 0usize;
    let mut largest = 0usize;
    updates.wait_for(
        "details of all 1000 domains",
        Duration::from_secs(180),
        |u, _| {
            if let Update::Changed(v) = u {
                batches += 1;
                largest = largest.max(v.len());
                for i in v.iter().filter(|i| i.detailed) {
                    detailed.insert(i.uuid.clone(), i.clone());
                }
            }
            (detailed.len() == N).then_some(())
        },
    );
    let t_details = t0.elapsed();

    for i in 0..N {
        let uuid = uuid_of(i);
        let info = &detailed[&uuid];
        assert_eq!(info.name, name_of(i), "name of {uuid}");
        assert_eq!(info.vcpus, vcpus_of(i), "vcpus of {}", info.name);
        assert_eq!(
            info.max_memory_kib,
            memory_mib_of(i) * 1024,
            "maximum memory of {}",
            info.name
        );
        assert_eq!(
            info.memory_kib,
            memory_mib_of(i) * 1024,
            "current memory of {}",
            info.name
        );
        assert_eq!(info.hypervisor, "test", "hypervisor of {}", info.name);
        assert_eq!(info.arch, "x86_64", "arch of {}", info.name);
        assert_eq!(info.os_type, "hvm", "OS type of {}", info.name);
        let want = if i % 2 == 0 {
            DomainState::Running
        } else {
            DomainState::Shutoff
        };
        assert_eq!(info.state, want, "detailed state of {}", info.name);
        assert_eq!(
            info.id.is_some(),
            i % 2 == 0,
            "run-time id of {}",
            info.name
        );
    }
    assert!(
        batches > 1,
        "details come in several batches (got {batches}), so the first rows are not held up"
    );

    eprintln!(
        "1000 domains on the test driver: connected after {:.1} ms, first list after {:.1} ms, \
         all details after {:.1} ms ({} Changed batches, largest {})",
        t_connected.as_secs_f64() * 1000.0,
        t_list.as_secs_f64() * 1000.0,
        t_details.as_secs_f64() * 1000.0,
        batches,
        largest
    );
}

#[test]
fn lifecycle_actions_arrive_as_updates() {
    let node = Node::new(
        "lifecycle",
        &node_xml([domain_xml(0, 1), domain_xml(1, 5), domain_xml(2, 5)]),
    );
    let (w, mut updates, list) = connect(&node.uri);
    let conn = &w.0;
    assert_eq!(list.len(), 3);
    wait_all_detailed(&mut updates, WAIT);
    let running = uuid_of(0);
    let subject = uuid_of(1);
    let other_name = name_of(2);
    assert_eq!(updates.domains[&subject].state, DomainState::Shutoff);

    let act = |a: Action| {
        block_on(conn.action(subject.clone(), a))
            .unwrap_or_else(|e| panic!("{a:?} on {subject} failed: {e:?}"))
    };

    act(Action::Start);
    let i = updates.wait_state(&subject, DomainState::Running, WAIT);
    assert!(i.id.is_some(), "a started domain has an id");

    act(Action::Pause);
    let i = updates.wait_state(&subject, DomainState::Paused, WAIT);
    assert_eq!(i.reason, 1, "paused by the user");

    act(Action::Resume);
    let i = updates.wait_state(&subject, DomainState::Running, WAIT);
    assert_eq!(i.reason, 5, "running again because unpaused");

    act(Action::Shutdown);
    let i = updates.wait_state(&subject, DomainState::Shutoff, WAIT);
    assert_eq!(i.reason, 1, "shut down normally");
    assert!(i.id.is_none(), "a shut-off domain has no id");

    act(Action::Start);
    updates.wait_state(&subject, DomainState::Running, WAIT);
    act(Action::ForceOff);
    let i = updates.wait_state(&subject, DomainState::Shutoff, WAIT);
    assert_eq!(i.reason, 2, "forced off (destroyed)");

    // Managed save, then restore from it.
    act(Action::Start);
    updates.wait_state(&subject, DomainState::Running, WAIT);
    act(Action::Save);
    let i = updates.wait_changed(
        "Changed: shut off with a managed save image",
        &subject,
        WAIT,
        |i| i.state == DomainState::Shutoff && i.has_managed_save,
    );
    assert_eq!(i.reason, 5, "shut off because saved");
    assert!(Action::Restore.applies_to(i.state, i.has_managed_save));
    act(Action::Restore);
    let i = updates.wait_changed(
        "Changed: running again, save image consumed",
        &subject,
        WAIT,
        |i| i.state == DomainState::Running && !i.has_managed_save,
    );
    // (The test driver reports the start reason "booted" here, not "restored".)
    assert!(i.id.is_some(), "a restored domain runs with an id");
    act(Action::ForceOff);
    updates.wait_state(&subject, DomainState::Shutoff, WAIT);

    // Rename (the test driver renames only inactive domains).
    block_on(conn.rename(subject.clone(), "  renamed-vm ".into())).expect("rename");
    let i = updates.wait_changed("Changed: new name", &subject, WAIT, |i| {
        i.name == "renamed-vm"
    });
    assert_eq!(i.uuid, subject, "renaming keeps the UUID");
    assert!(
        updates.domains.values().all(|d| d.name != name_of(1)),
        "the old name is gone from the list"
    );

    block_on(conn.set_autostart(subject.clone(), true)).expect("autostart on");
    updates.wait_changed("Changed: autostart on", &subject, WAIT, |i| i.autostart);
    block_on(conn.set_autostart(subject.clone(), false)).expect("autostart off");
    updates.wait_changed("Changed: autostart off", &subject, WAIT, |i| !i.autostart);

    block_on(conn.set_title_description(
        subject.clone(),
        " Build box ".into(),
        "Runs the nightly builds.\nAsk Ana before rebooting & co.".into(),
    ))
    .expect("set title and description");
    updates.wait_changed("Changed: title and description", &subject, WAIT, |i| {
        i.title == "Build box"
            && i.description == "Runs the nightly builds.\nAsk Ana before rebooting & co."
    });
    // Clearing them works too.
    block_on(conn.set_title_description(subject.clone(), String::new(), String::new()))
        .expect("clear title and description");
    updates.wait_changed("Changed: title cleared", &subject, WAIT, |i| {
        i.title.is_empty() && i.description.is_empty()
    });

    // Delete a shut-off domain and a running one (forced off first).
    block_on(conn.delete(subject.clone())).expect("delete the shut-off domain");
    updates.wait_removed(&subject, WAIT);
    block_on(conn.delete(running.clone())).expect("delete the running domain");
    updates.wait_removed(&running, WAIT);
    assert_eq!(
        updates
            .domains
            .values()
            .map(|i| &i.name)
            .collect::<Vec<_>>(),
        vec![&other_name],
        "only the untouched domain is left"
    );
    let gone = block_on(conn.action(subject.clone(), Action::Start));
    assert!(
        matches!(gone, Err(Error::NoSuchDomain(_))),
        "an action on a deleted domain: {gone:?}"
    );
}

#[test]
fn outside_changes_arrive_through_events() {
    // Changes made on the worker's own connection without its refresh (as another
    // client would make them) must reach the list through libvirt events alone.
    let node = Node::new("events", &node_xml([domain_xml(0, 1), domain_xml(1, 5)]));
    let (w, mut updates, _) = connect(&node.uri);
    let conn = &w.0;
    wait_all_detailed(&mut updates, WAIT);
    let running = uuid_of(0);
    let stopped = uuid_of(1);

    let u = running.clone();
    conn.call_blocking(move |w| {
        w.conn()?.lookup_domain_by_uuid_string(&u)?.suspend()?;
        Ok(())
    })
    .expect("suspend behind the worker's back");
    updates.wait_state(&running, DomainState::Paused, WAIT);

    let u = running.clone();
    conn.call_blocking(move |w| {
        w.conn()?.lookup_domain_by_uuid_string(&u)?.destroy()?;
        Ok(())
    })
    .expect("destroy behind the worker's back");
    updates.wait_state(&running, DomainState::Shutoff, WAIT);

    let xml = "<domain type='test'><name>from-outside</name>\
               <uuid>11111111-2222-3333-4444-555555555555</uuid>\
               <memory unit='MiB'>256</memory><vcpu>3</vcpu>\
               <os><type arch='x86_64'>hvm</type></os></domain>";
    conn.call_blocking(move |w| {
        w.conn()?.define_domain_xml(xml)?;
        Ok(())
    })
    .expect("define behind the worker's back");
    let i = updates.wait_changed(
        "Changed: the domain defined outside",
        "11111111-2222-3333-4444-555555555555",
        WAIT,
        |i| i.name == "from-outside",
    );
    assert_eq!(i.vcpus, 3);
    assert_eq!(i.state, DomainState::Shutoff);
    assert!(i.detailed);

    let u = stopped.clone();
    conn.call_blocking(move |w| {
        w.conn()?.lookup_domain_by_uuid_string(&u)?.undefine()?;
        Ok(())
    })
    .expect("undefine behind the worker's back");
    updates.wait_removed(&stopped, WAIT);

    // And define_xml through the Connection reports the new domain itself.
    let uuid = block_on(
        conn.define_xml(
            "<domain type='test'><name>defined-here</name>\
         <memory unit='MiB'>128</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type></os></domain>"
                .into(),
        ),
    )
    .expect("define_xml");
    updates.wait_changed("Changed: the domain defined here", &uuid, WAIT, |i| {
        i.name == "defined-here" && i.state == DomainState::Shutoff
    });
}

#[test]
fn bad_input_gives_typed_errors() {
    let node = Node::new("bad-input", &node_xml([domain_xml(0, 5), domain_xml(1, 5)]));

    // Before connecting, calls say so.
    let (early, _early_rx) = Connection::spawn(&node.uri);
    let early = Worker(early);
    let r = block_on(early.0.host_info());
    assert!(
        matches!(r, Err(Error::NotConnected)),
        "host_info before connect: {r:?}"
    );

    let (w, mut updates, _) = connect(&node.uri);
    let conn = &w.0;
    wait_all_detailed(&mut updates, WAIT);
    let first = uuid_of(0);

    let missing = "deadbeef-dead-beef-dead-beefdeadbeef".to_string();
    let r = block_on(conn.action(missing.clone(), Action::Start));
    assert!(
        matches!(&r, Err(Error::NoSuchDomain(u)) if *u == missing),
        "action on a missing domain: {r:?}"
    );
    let r = block_on(conn.delete(missing.clone()));
    assert!(
        matches!(r, Err(Error::NoSuchDomain(_))),
        "delete of a missing domain: {r:?}"
    );

    for bad in ["", "   ", "a/b", "line\nbreak"] {
        let r = block_on(conn.rename(first.clone(), bad.into()));
        assert!(
            matches!(r, Err(Error::InvalidInput(_))),
            "rename to {bad:?}: {r:?}"
        );
    }
    let r = block_on(conn.rename(first.clone(), name_of(1)));
    assert!(
        matches!(r, Err(Error::InvalidInput(_))),
        "rename to an existing name: {r:?}"
    );
    let r = block_on(conn.set_title_description(first.clone(), "two\nlines".into(), "".into()));
    assert!(
        matches!(r, Err(Error::InvalidInput(_))),
        "a title with a line break: {r:?}"
    );
    // Pausing a shut-off domain is refused by libvirt, not by a panic.
    let r = block_on(conn.action(first.clone(), Action::Pause));
    assert!(r.is_err(), "pausing a shut-off domain: {r:?}");

    // Nothing changed.
    let u = first.clone();
    let info = conn
        .call_blocking(move |w| w.read_info(&u))
        .expect("read the domain");
    assert_eq!(
        info.name,
        name_of(0),
        "the failed renames left the name alone"
    );
    assert_eq!(info.title, "");
    assert_eq!(info.state, DomainState::Shutoff);
    // And the connection still works.
    assert_eq!(updates.state, Some(ConnState::Connected));
    block_on(conn.host_info()).expect("host_info after the errors");
}

#[test]
fn missing_node_file_fails_to_connect() {
    virt::error::clear_error_callback();
    let uri = "test:///nonexistent/file.xml";
    let (conn, rx) = Connection::spawn(uri);
    let conn = Worker(conn);
    let mut updates = Updates::new(rx);
    conn.0.connect();
    let err = updates.wait_conn_state("State(Failed)", WAIT, |s| match s {
        ConnState::Failed(e) => Some(e.clone()),
        ConnState::Connected => panic!("{uri} connected"),
        _ => None,
    });
    match &err {
        Error::ConnectFailed { uri: u, message } => {
            assert_eq!(u, uri);
            assert!(!message.is_empty(), "the failure says why");
        }
        other => panic!("expected ConnectFailed, got {other:?}"),
    }
    // No reconnection attempts follow a failed first open, and calls say NotConnected.
    let r = block_on(conn.0.host_info());
    assert!(matches!(r, Err(Error::NotConnected)), "{r:?}");
    updates.drain();
    assert!(
        !updates.log.iter().any(|l| l.contains("Lost")),
        "a failed first open is not retried: {:?}",
        updates.log
    );
}

#[test]
fn invalid_uri_fails_cleanly() {
    virt::error::clear_error_callback();
    for uri in ["bogus://", "bogus:///system", "not a uri"] {
        let (conn, rx) = Connection::spawn(uri);
        let conn = Worker(conn);
        let mut updates = Updates::new(rx);
        conn.0.connect();
        let err = updates.wait_conn_state(&format!("State(Failed) for {uri}"), WAIT, |s| match s {
            ConnState::Failed(e) => Some(e.clone()),
            ConnState::Connected => panic!("{uri} connected"),
            _ => None,
        });
        assert!(
            matches!(
                &err,
                Error::ConnectFailed { uri: u, .. } | Error::InvalidUri { uri: u, .. } if u == uri
            ),
            "{uri}: {err:?}"
        );
        eprintln!("{uri}: {err}");
        // The worker is still alive and answers.
        let r = block_on(conn.0.sample(None, StatKinds::all(), true));
        assert!(matches!(r, Err(Error::NotConnected)), "{uri}: {r:?}");
    }
}

#[test]
fn demo_lab_lists_a_populated_host() {
    let (w, mut updates, list) = connect(DEMO_URI);
    assert!(
        list.len() >= 10,
        "the demo lab has at least 10 domains, got {}",
        list.len()
    );
    let names: HashSet<&str> = list.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names.len(), list.len(), "demo domain names are unique");
    let states: HashSet<DomainState> = list.iter().map(|i| i.state).collect();
    assert!(
        states.len() > 1,
        "the demo lab shows more than one state in the first list: {states:?}"
    );
    wait_all_detailed(&mut updates, Duration::from_secs(60));
    let states: HashSet<DomainState> = updates.domains.values().map(|i| i.state).collect();
    assert!(
        !states.contains(&DomainState::NoState),
        "the details give every domain its exact state: {states:?}"
    );
    assert!(
        states.len() > 1,
        "more than one state after details: {states:?}"
    );
    assert!(
        updates.domains.values().all(|i| i.hypervisor == "test"),
        "the demo runs on the test driver"
    );
    let host = block_on(w.0.host_info()).expect("host_info of the demo");
    assert!(
        host.driver.eq_ignore_ascii_case("test"),
        "demo driver: {:?}",
        host.driver
    );
}

#[test]
fn statistics_cover_the_running_domains() {
    // Three running, one paused, two shut off.
    let node = Node::new(
        "stats",
        &node_xml([
            domain_xml(0, 1),
            domain_xml(1, 5),
            domain_xml(2, 1),
            domain_xml(3, 3),
            domain_xml(4, 1),
            domain_xml(5, 5),
        ]),
    );
    let (w, mut updates, list) = connect(&node.uri);
    let conn = &w.0;
    let active: HashSet<String> = list
        .iter()
        .filter(|i| i.state.is_active())
        .map(|i| i.uuid.clone())
        .collect();
    assert_eq!(active.len(), 4, "three running and one paused: {list:?}");

    let first = block_on(conn.sample(None, StatKinds::all(), true)).expect("first sample");
    std::thread::sleep(Duration::from_millis(300));
    let second = block_on(conn.sample(None, StatKinds::all(), true)).expect("second sample");
    for (n, reply) in [("first", &first), ("second", &second)] {
        let got: HashSet<String> = reply.domains.iter().map(|(u, _)| u.clone()).collect();
        assert_eq!(
            got, active,
            "the {n} sample covers exactly the active domains"
        );
        for (uuid, usage) in &reply.domains {
            for v in [usage.cpu_percent, usage.cpu_host_percent] {
                assert!(
                    v.is_finite() && (0.0..=100.0).contains(&v),
                    "CPU of {uuid} in the {n} sample: {usage:?}"
                );
            }
        }
    }
    eprintln!(
        "test-driver stats, second sample: {:?}",
        second.domains.first()
    );

    // A chosen subset (e.g. the visible rows) gives just those.
    let one = uuid_of(2);
    let reply = block_on(conn.sample(Some(vec![one.clone()]), StatKinds::all(), false))
        .expect("sample of one domain");
    let got: Vec<&String> = reply.domains.iter().map(|(u, _)| u).collect();
    assert_eq!(got, vec![&one]);

    // After a domain stops it drops out of the next sample.
    block_on(conn.action(one.clone(), Action::ForceOff)).expect("force off");
    updates.wait_state(&one, DomainState::Shutoff, WAIT);
    let third = block_on(conn.sample(None, StatKinds::all(), true)).expect("third sample");
    let got: HashSet<String> = third.domains.iter().map(|(u, _)| u.clone()).collect();
    let mut want = active.clone();
    want.remove(&one);
    assert_eq!(got, want, "a stopped domain is no longer sampled");
}

#[test]
fn delete_removes_a_saved_domain() {
    // A domain with a managed save image (and one that is paused) can be deleted too.
    let node = Node::new(
        "delete-saved",
        &node_xml([domain_xml(0, 1), domain_xml(1, 3), domain_xml(2, 5)]),
    );
    let (w, mut updates, _) = connect(&node.uri);
    let conn = &w.0;
    wait_all_detailed(&mut updates, WAIT);
    let saved = uuid_of(0);
    let paused = uuid_of(1);

    block_on(conn.action(saved.clone(), Action::Save)).expect("managed save");
    updates.wait_changed("Changed: saved", &saved, WAIT, |i| i.has_managed_save);
    let r = block_on(conn.delete(saved.clone()));
    assert!(
        r.is_ok(),
        "delete of a domain with a managed save image: {r:?}"
    );
    updates.wait_removed(&saved, WAIT);

    assert_eq!(updates.domains[&paused].state, DomainState::Paused);
    block_on(conn.delete(paused.clone())).expect("delete of a paused domain");
    updates.wait_removed(&paused, WAIT);
    assert_eq!(updates.domains.len(), 1, "one domain is left");
}

#[test]
fn disconnect_reconnect_and_shutdown() {
    let node = Node::generated("reconnect", 4);
    let (w, mut updates, list) = connect(&node.uri);
    let conn = w.0.clone();
    assert_eq!(list.len(), 4);

    conn.disconnect();
    updates.wait_conn_state("State(Disconnected)", WAIT, |s| {
        (*s == ConnState::Disconnected).then_some(())
    });
    let r = block_on(conn.action(uuid_of(0), Action::Pause));
    assert!(
        matches!(r, Err(Error::NotConnected)),
        "an action while disconnected: {r:?}"
    );

    // Connecting again brings a fresh, complete list (and its details).
    conn.connect();
    updates.wait_connected(WAIT);
    let list = updates.wait_domains(WAIT);
    let uuids: HashSet<String> = list.iter().map(|i| i.uuid.clone()).collect();
    assert_eq!(uuids, (0..4).map(uuid_of).collect::<HashSet<_>>());
    wait_all_detailed(&mut updates, WAIT);
    block_on(conn.action(uuid_of(0), Action::Pause)).expect("pause after reconnecting");
    updates.wait_state(&uuid_of(0), DomainState::Paused, WAIT);

    // After shutdown the worker is gone: calls say so and the update channel closes.
    conn.shutdown();
    let r = block_on(conn.host_info());
    assert!(
        matches!(r, Err(Error::WorkerGone)),
        "a call after shutdown: {r:?}"
    );
    updates.wait_closed(WAIT);
}

/// A host that accepts the connection and then never answers (a stuck daemon, a
/// firewall that swallows packets): the open blocks. Disconnecting must say so at once,
/// and the open that returns later must not bring the connection back.
#[test]
fn disconnect_is_immediate_while_an_open_hangs() {
    use std::net::TcpListener;
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().unwrap().port();
    let accepted = std::thread::spawn(move || listener.accept().map(|(s, _)| s));

    virt::error::clear_error_callback();
    let (conn, rx) = Connection::spawn(&format!("qemu+tcp://127.0.0.1:{port}/system"));
    let w = Worker(conn.clone());
    let mut updates = Updates::new(rx);
    conn.connect();
    updates.wait_conn_state("State(Connecting)", WAIT, |s| {
        (*s == ConnState::Connecting).then_some(())
    });
    // libvirt has connected and sent its first request: the open is now waiting.
    let socket = accepted.join().unwrap().expect("libvirt connects");
    std::thread::sleep(Duration::from_millis(300));

    let asked = Instant::now();
    conn.disconnect();
    updates.wait_conn_state("State(Disconnected)", Duration::from_secs(1), |s| {
        (*s == ConnState::Disconnected).then_some(())
    });
    assert!(asked.elapsed() < Duration::from_secs(1));

    // The host gives up: the open fails, and the UI hears nothing more about it.
    drop(socket);
    let deadline = Instant::now() + Duration::from_secs(3);
    while let Some(u) = updates.next_until(deadline) {
        assert!(
            matches!(u, Update::State(ConnState::Disconnected)),
            "after the disconnect: {}",
            common::describe(&u)
        );
    }
    drop(w);
    updates.wait_closed(WAIT);
}
