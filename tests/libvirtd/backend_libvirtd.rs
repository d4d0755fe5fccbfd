//! The connection worker against a real libvirtd running QEMU (TCG, no KVM needed).
//!
//! These tests need a private libvirtd: run them through `build-aux/run-tests.sh`, which
//! starts one in its own network and mount namespace and exports
//!
//! - `HANGAR_TEST_LIBVIRT_URI`: the URI to test against (e.g. `qemu:///system`), and
//! - `HANGAR_TEST_LIBVIRTD_CMD`: the shell command that starts the daemon (e.g.
//!   `libvirtd -d`), used to restart it after the tests kill it.
//!
//! They are `#[ignore]`d so a plain `cargo test` skips them; run with
//! `--include-ignored`. When they do run without the variables they fail, never pass
//! silently. They run one at a time (one of them kills the daemon). Every domain they
//! create is named `hangar-test-…` and is destroyed and undefined when the test ends,
//! also when it fails.

use crate::common;
use crate::daemon;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{block_on, TempDir, Updates, Worker};
use daemon::{
    env, notice, serial, test_uri, unique_name, virsh, virsh_ok, DomainGuard, HOW_TO_RUN,
};
use hangar::backend::conn::worker::ConnState;
use hangar::backend::domain::stats::StatKinds;
use hangar::backend::domain::{Action, DomainState};

/// How long one expected update may take (QEMU under TCG on a busy machine is slow).
const WAIT: Duration = Duration::from_secs(60);
/// How long reconnecting may take: the back-off reaches 15 s and 30 s between attempts.
const RECONNECT_WAIT: Duration = Duration::from_secs(120);

/// The small guest the tests run: no disk, SeaBIOS stops at "No bootable device".
fn guest_xml(name: &str) -> String {
    format!(
        "<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <graphics type='vnc' listen='127.0.0.1'/>
  </devices>
</domain>
"
    )
}

fn connect(uri: &str) -> (Worker, Updates) {
    // Warnings of the backend on stderr (more with HANGAR_LOG=hangar=debug).
    hangar::init_logging(false);
    let (conn, mut updates) = common::connected(uri, WAIT);
    updates.wait_domains(WAIT);
    // Let the detail batches for domains already there go by.
    updates.wait_until("details of every domain", WAIT, |u| {
        u.domains.values().all(|i| i.detailed)
    });
    (conn, updates)
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn lifecycle_through_the_connection() {
    let _serial = serial();
    let uri = test_uri();
    let name = unique_name("lifecycle");
    let _guard = DomainGuard::new(&uri, &name);
    let (w, mut updates) = connect(&uri);
    let conn = &w.0;

    let uuid = block_on(conn.define_xml(guest_xml(&name))).expect("define the guest");
    let i = updates.wait_changed("Changed: the new domain", &uuid, WAIT, |i| i.name == name);
    assert_eq!(i.state, DomainState::Shutoff);
    assert!(i.persistent, "a defined domain is persistent");
    assert_eq!(i.hypervisor, "qemu");
    assert_eq!(i.max_memory_kib, 64 * 1024);
    let host = block_on(conn.host_info()).expect("host_info");
    assert_eq!(host.driver, "QEMU", "{host:?}");

    let act = |a: Action| {
        block_on(conn.action(uuid.clone(), a))
            .unwrap_or_else(|e| panic!("{a:?} on {name} failed: {e:?}"))
    };

    act(Action::Start);
    let i = updates.wait_state(&uuid, DomainState::Running, WAIT);
    assert!(i.id.is_some(), "a running domain has an id");

    // Statistics of a real guest: two samples give rates and memory.
    let first = block_on(conn.sample(None, StatKinds::all(), true)).expect("first sample");
    std::thread::sleep(Duration::from_millis(500));
    let second = block_on(conn.sample(None, StatKinds::all(), true)).expect("second sample");
    for (n, reply) in [("first", &first), ("second", &second)] {
        let (_, usage) = reply
            .domains
            .iter()
            .find(|(u, _)| *u == uuid)
            .unwrap_or_else(|| panic!("the {n} sample lacks the running guest: {reply:?}"));
        assert!(
            usage.cpu_percent.is_finite() && (0.0..=100.0).contains(&usage.cpu_percent),
            "guest CPU in the {n} sample: {usage:?}"
        );
        assert_eq!(
            usage.memory_total_kib,
            Some(64 * 1024),
            "the balloon shows the guest's 64 MiB in the {n} sample: {usage:?}"
        );
        assert!(
            reply.host_memory_total_kib.is_some_and(|t| t > 0),
            "host memory in the {n} sample: {reply:?}"
        );
    }
    let host_cpu = second.host_cpu_percent.expect("host CPU from two samples");
    assert!((0.0..=100.0).contains(&host_cpu), "host CPU {host_cpu}");
    eprintln!("QEMU guest stats, second sample: {:?}", second.domains);

    act(Action::Pause);
    updates.wait_state(&uuid, DomainState::Paused, WAIT);
    act(Action::Resume);
    updates.wait_state(&uuid, DomainState::Running, WAIT);

    // SeaBIOS without an OS ignores the ACPI power button: the request itself must
    // succeed; then force the guest off.
    act(Action::Shutdown);
    act(Action::ForceOff);
    let i = updates.wait_state(&uuid, DomainState::Shutoff, WAIT);
    assert_eq!(i.reason, 2, "shut off because forced off (destroyed)");
    assert!(i.id.is_none());

    block_on(conn.delete(uuid.clone())).expect("delete the guest");
    updates.wait_removed(&uuid, WAIT);
    assert!(
        virsh(&uri, &["domuuid", &name]).is_err(),
        "libvirt no longer knows {name}"
    );
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn changes_by_another_client_arrive_through_events() {
    let _serial = serial();
    let uri = test_uri();
    let name = unique_name("events");
    let _guard = DomainGuard::new(&uri, &name);
    let (_w, mut updates) = connect(&uri);

    // virsh is another client: Hangar's worker learns of these only through events.
    let dir = TempDir::new("events");
    let xml_path = dir.path().join("guest.xml");
    std::fs::write(&xml_path, guest_xml(&name)).expect("write the guest XML");
    virsh_ok(&uri, &["define", &xml_path.to_string_lossy()]);
    let uuid = virsh_ok(&uri, &["domuuid", &name]).trim().to_string();
    let i = updates.wait_changed("Changed: defined by virsh", &uuid, WAIT, |i| i.name == name);
    assert_eq!(i.state, DomainState::Shutoff);

    virsh_ok(&uri, &["start", &name]);
    updates.wait_state(&uuid, DomainState::Running, WAIT);
    virsh_ok(&uri, &["suspend", &name]);
    updates.wait_state(&uuid, DomainState::Paused, WAIT);
    virsh_ok(&uri, &["resume", &name]);
    updates.wait_state(&uuid, DomainState::Running, WAIT);
    virsh_ok(
        &uri,
        &[
            "desc",
            &name,
            "--title",
            "--live",
            "--config",
            "Set by virsh",
        ],
    );
    updates.wait_changed("Changed: title set by virsh", &uuid, WAIT, |i| {
        i.title == "Set by virsh"
    });
    virsh_ok(&uri, &["destroy", &name]);
    updates.wait_state(&uuid, DomainState::Shutoff, WAIT);
    virsh_ok(&uri, &["undefine", &name]);
    updates.wait_removed(&uuid, WAIT);
}

/// The pid file of a root libvirtd (`/run/libvirtd.pid`; older builds used
/// `/run/libvirt/libvirtd.pid`). The harness gives the test a private `/run`.
const PID_FILES: [&str; 2] = ["/run/libvirtd.pid", "/run/libvirt/libvirtd.pid"];

/// The pid a pid file names, if that process is a live libvirtd.
fn pid_from_file(path: &str) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(path).ok()?.trim().parse().ok()?;
    (alive(pid) && comm(pid) == "libvirtd").then_some(pid)
}

fn comm(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn mount_ns(pid: &str) -> Option<std::path::PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/ns/mnt")).ok()
}

/// The libvirtd processes that may serve this test: the one its pid file in our
/// (private) `/run` names, else those in our mount namespace. Never a libvirtd of the
/// host or of another test run: they must share this process's mount namespace.
fn our_libvirtds() -> Vec<i32> {
    let ours = mount_ns("self");
    match PID_FILES.iter().find_map(|f| pid_from_file(f)) {
        Some(pid) => vec![pid],
        None => std::fs::read_dir("/proc")
            .map(|dir| {
                dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
                    .filter(|&pid| alive(pid) && comm(pid) == "libvirtd")
                    .filter(|&pid| mount_ns(&pid.to_string()) == ours)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The pid of the one libvirtd serving this test.
fn libvirtd_pid() -> i32 {
    let ours = mount_ns("self");
    let candidates = our_libvirtds();
    let [pid] = candidates[..] else {
        panic!(
            "expected exactly one libvirtd in this mount namespace, found {candidates:?} \
             (pid files {PID_FILES:?}); {HOW_TO_RUN}"
        );
    };
    assert_eq!(
        mount_ns(&pid.to_string()),
        ours,
        "libvirtd {pid} runs in another mount namespace than this test: refusing to kill it"
    );
    pid
}

/// Whether `pid` exists and is not a zombie.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "pid (comm) S …": the state follows the last ')'.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|s| s != "Z" && s != "X"),
        Err(_) => false,
    }
}

/// Stop libvirtd with `signal` (SIGKILL after 20 s if SIGTERM was not enough).
fn kill_libvirtd(pid: i32, signal: i32) {
    // SAFETY: kill(2) with a pid checked to be our namespace's libvirtd.
    let r = unsafe { libc::kill(pid, signal) };
    assert_eq!(
        r,
        0,
        "kill({pid}, {signal}): {}",
        std::io::Error::last_os_error()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    if alive(pid) {
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    assert!(!alive(pid), "libvirtd {pid} does not die");
}

/// Start libvirtd with the harness's command.
fn start_libvirtd() {
    let cmd = env("HANGAR_TEST_LIBVIRTD_CMD");
    let status = Command::new("sh")
        .arg("-c")
        .arg(&cmd)
        .stdin(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    assert!(status.success(), "{cmd:?} failed: {status}");
}

/// Makes sure libvirtd runs again when the test ends (so the domain guard, dropped
/// after this, can clean up, and later tests find a daemon).
struct DaemonGuard;

impl Drop for DaemonGuard {
    fn drop(&mut self) {
        if our_libvirtds().is_empty() {
            if let Ok(cmd) = std::env::var("HANGAR_TEST_LIBVIRTD_CMD") {
                let _ = Command::new("sh").arg("-c").arg(cmd).status();
            }
        }
    }
}

/// Kill the daemon under a live connection and check that the worker reports the loss,
/// reconnects on its own once the daemon is back and lists the (still running) domain.
fn lose_and_regain(
    updates: &mut Updates,
    uuid: &str,
    name: &str,
    signal: i32,
    signal_name: &str,
) -> Duration {
    let pid = libvirtd_pid();
    updates.drain();
    kill_libvirtd(pid, signal);
    let (reason, retry_in) = updates.wait_conn_state(
        &format!("State(Lost) after {signal_name} to libvirtd"),
        WAIT,
        |s| match s {
            ConnState::Lost { reason, retry_in } => Some((reason.clone(), *retry_in)),
            ConnState::Connected => panic!("connected while libvirtd is dead"),
            _ => None,
        },
    );
    assert!(!reason.is_empty(), "the loss says why");
    assert!(retry_in >= 1, "a retry is scheduled");
    eprintln!("after {signal_name}: lost ({reason}), retry in {retry_in} s");

    start_libvirtd();
    let t0 = Instant::now();
    updates.wait_conn_state(
        "State(Connected) after the restart",
        RECONNECT_WAIT,
        |s| match s {
            ConnState::Connected => Some(()),
            ConnState::Failed(e) => panic!("gave up reconnecting: {e:?}"),
            _ => None,
        },
    );
    let took = t0.elapsed();
    let list = updates.wait_domains(WAIT);
    let mine = list
        .iter()
        .find(|i| i.uuid == uuid)
        .unwrap_or_else(|| panic!("{name} missing from the list after reconnecting: {list:?}"));
    assert_eq!(mine.name, name);
    assert_eq!(
        mine.state,
        DomainState::Running,
        "the guest kept running while libvirtd was away"
    );
    updates.wait_changed("details of the guest after reconnecting", uuid, WAIT, |i| {
        i.detailed && i.state == DomainState::Running
    });
    took
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn reconnects_after_libvirtd_restarts() {
    let _serial = serial();
    let uri = test_uri();
    // Fail early, before anything is killed, when the restart command is missing.
    env("HANGAR_TEST_LIBVIRTD_CMD");
    let name = unique_name("reconnect");
    let _domain = DomainGuard::new(&uri, &name);
    // Dropped before `_domain`: the daemon is back before the domain is cleaned up.
    let _daemon = DaemonGuard;
    let (w, mut updates) = connect(&uri);
    let conn = &w.0;

    let uuid = block_on(conn.define_xml(guest_xml(&name))).expect("define the guest");
    block_on(conn.action(uuid.clone(), Action::Start)).expect("start the guest");
    updates.wait_state(&uuid, DomainState::Running, WAIT);

    let after_term = lose_and_regain(&mut updates, &uuid, &name, libc::SIGTERM, "SIGTERM");
    let after_kill = lose_and_regain(&mut updates, &uuid, &name, libc::SIGKILL, "SIGKILL");
    eprintln!(
        "reconnected {:.1} s after restarting a SIGTERMed libvirtd, {:.1} s after a SIGKILLed one",
        after_term.as_secs_f64(),
        after_kill.as_secs_f64()
    );

    // The new connection works, and its events arrive.
    virsh_ok(&uri, &["suspend", &name]);
    updates.wait_state(&uuid, DomainState::Paused, WAIT);
    block_on(conn.action(uuid.clone(), Action::ForceOff)).expect("force off after reconnecting");
    updates.wait_state(&uuid, DomainState::Shutoff, WAIT);
    block_on(conn.delete(uuid.clone())).expect("delete after reconnecting");
    updates.wait_removed(&uuid, WAIT);
    assert!(
        matches!(updates.state, Some(ConnState::Connected)),
        "still connected: {:?}",
        updates.state
    );
}

/// Wait until the resumed libvirtd `pid` answers. In one CI run its socket refused
/// connections from a second after SIGCONT on (the cause is not known: the logs were
/// not kept). If it died, this says so with the end of its log and starts another, so
/// that what the test is about (Hangar reconnecting to a daemon that answers again) is
/// still checked; if it lives and does not answer, the test fails saying so.
fn answering_again(uri: &str, pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if !alive(pid) {
            let log = std::fs::read_to_string("/var/log/libvirt/libvirtd.log").unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            notice(&format!(
                "backend_libvirtd: libvirtd {pid} died after SIGCONT; started another. \
                 The end of its log:\n  {}",
                tail.join("\n  ")
            ));
            start_libvirtd();
            return;
        }
        if daemon::run("timeout", &["5", "virsh", "-q", "-c", uri, "version"]).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "libvirtd {pid} neither answers nor exits 20 s after SIGCONT (state {:?})",
        std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default()
    );
}

/// Resumes a stopped libvirtd when dropped.
struct Continue(i32);

impl Drop for Continue {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the libvirtd this test stopped.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

#[test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn notices_a_hung_libvirtd_through_keepalive() {
    let _serial = serial();
    let uri = test_uri();
    let name = unique_name("keepalive");
    let _domain = DomainGuard::new(&uri, &name);
    // Dropped before `_domain`: a daemon runs again whatever happens below.
    let _daemon = DaemonGuard;
    let (w, mut updates) = connect(&uri);
    let conn = &w.0;
    let uuid = block_on(conn.define_xml(guest_xml(&name))).expect("define the guest");
    updates.wait_changed("Changed: the new domain", &uuid, WAIT, |i| i.name == name);

    // A daemon that stops answering (a hung host, a cut network) closes no socket:
    // only keepalive (5 s interval, 3 misses) notices it.
    let pid = libvirtd_pid();
    // SAFETY: kill(2) with a pid checked to be our namespace's libvirtd.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    let resume = Continue(pid);
    let t0 = Instant::now();
    let reason =
        updates.wait_conn_state("State(Lost) while libvirtd is stopped", WAIT, |s| match s {
            ConnState::Lost { reason, .. } => Some(reason.clone()),
            _ => None,
        });
    eprintln!(
        "a stopped libvirtd was noticed after {:.1} s: {reason}",
        t0.elapsed().as_secs_f64()
    );
    drop(resume);
    answering_again(&uri, pid);
    updates.wait_conn_state(
        "State(Connected) once libvirtd runs again",
        RECONNECT_WAIT,
        |s| (*s == ConnState::Connected).then_some(()),
    );
    let list = updates.wait_domains(WAIT);
    assert!(
        list.iter().any(|i| i.uuid == uuid),
        "{name} is listed after reconnecting: {list:?}"
    );
    block_on(conn.delete(uuid.clone())).expect("delete after reconnecting");
    updates.wait_removed(&uuid, WAIT);
}
