//! What the tests against the private libvirtd share: its URI, one-at-a-time running,
//! commands (virsh, ip, iptables…) with their error text, and a guard that removes a
//! test domain whatever happens in the test.
//!
//! Each `*_libvirtd.rs` file includes this module; not every file uses every helper.
#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};

pub const HOW_TO_RUN: &str = "these tests need a private libvirtd: run them through \
    build-aux/run-tests.sh, which starts one and sets HANGAR_TEST_LIBVIRT_URI and \
    HANGAR_TEST_LIBVIRTD_CMD";

/// An environment variable the harness sets; the test fails, saying how to run it,
/// when it is missing.
pub fn env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!("{name} is not set: {HOW_TO_RUN}"),
    }
}

/// Something a passing test must not keep to itself (the environment misbehaved and
/// the test worked around it): on stderr, and in the harness's notices file
/// (`HANGAR_TEST_NOTICES`), which build-aux/run-tests.sh prints with its summary.
pub fn notice(text: &str) {
    eprintln!("notice: {text}");
    if let Ok(path) = std::env::var("HANGAR_TEST_NOTICES") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{text}");
        }
    }
}

/// The private daemon's URI.
pub fn test_uri() -> String {
    env("HANGAR_TEST_LIBVIRT_URI")
}

/// One test of a file at a time: they share the daemon (one restarts it), guests on
/// a slow TCG host, and dnsmasq/iptables state.
static SERIAL: Mutex<()> = Mutex::new(());

pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A domain name no other test (or earlier run) uses.
pub fn unique_name(test: &str) -> String {
    format!("hangar-test-{test}-{}", std::process::id())
}

/// Run a command; its stdout, or the error text with both outputs.
pub fn run(cmd: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run {cmd}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd} {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

pub fn run_ok(cmd: &str, args: &[&str]) -> String {
    run(cmd, args).unwrap_or_else(|e| panic!("{e}"))
}

/// `virsh -q -c URI ARGS…`: its output, or the error text.
pub fn virsh(uri: &str, args: &[&str]) -> Result<String, String> {
    let mut all = vec!["-q", "-c", uri];
    all.extend_from_slice(args);
    run("virsh", &all)
}

pub fn virsh_ok(uri: &str, args: &[&str]) -> String {
    virsh(uri, args).unwrap_or_else(|e| panic!("{e}"))
}

/// The domain's XML as libvirt gives it (`--inactive`: the persistent definition).
pub fn dumpxml(uri: &str, name: &str, inactive: bool) -> hangar::backend::domain_xml::DomainXml {
    let mut args = vec!["dumpxml"];
    if inactive {
        args.push("--inactive");
    }
    args.push(name);
    let xml = virsh_ok(uri, &args);
    hangar::backend::domain_xml::DomainXml::parse(&xml).expect("libvirt's XML parses")
}

/// Stop and remove a domain with its saved state, snapshot metadata and NVRAM, if it
/// exists.
pub fn remove_domain(uri: &str, name: &str) {
    let _ = virsh(uri, &["destroy", name]);
    if virsh(uri, &["domuuid", name]).is_err() {
        return;
    }
    let full = [
        "undefine",
        "--managed-save",
        "--snapshots-metadata",
        "--nvram",
        name,
    ];
    if virsh(uri, &full).is_err() {
        // Older daemons refuse --nvram for a domain without one.
        let _ = virsh(
            uri,
            &["undefine", "--managed-save", "--snapshots-metadata", name],
        );
    }
}

/// Define `xml` as `name`, replacing a leftover of an interrupted earlier run.
pub fn define_domain(uri: &str, name: &str, xml: &str) {
    remove_domain(uri, name);
    let path = std::env::temp_dir().join(format!("{name}.xml"));
    std::fs::write(&path, xml).expect("guest XML written");
    let defined = virsh(uri, &["define", path.to_str().expect("a UTF-8 path")]);
    let _ = std::fs::remove_file(&path);
    defined.unwrap_or_else(|e| panic!("{e}"));
}

/// Removes its domain ([`remove_domain`]) when dropped, whatever happened in the test;
/// also removes a leftover of an interrupted earlier run when made.
pub struct DomainGuard {
    pub uri: String,
    pub name: String,
}

impl DomainGuard {
    pub fn new(uri: &str, name: &str) -> DomainGuard {
        remove_domain(uri, name);
        DomainGuard {
            uri: uri.to_string(),
            name: name.to_string(),
        }
    }

    /// Define `xml` and guard the domain it names (`name`).
    pub fn define(uri: &str, name: &str, xml: &str) -> DomainGuard {
        define_domain(uri, name, xml);
        DomainGuard {
            uri: uri.to_string(),
            name: name.to_string(),
        }
    }

    pub fn cleanup(&self) {
        remove_domain(&self.uri, &self.name);
    }
}

impl Drop for DomainGuard {
    fn drop(&mut self) {
        self.cleanup();
        if virsh(&self.uri, &["domuuid", &self.name]).is_ok() {
            eprintln!("warning: could not remove the test domain {}", self.name);
        }
    }
}

/// The second test host (build-aux/second-host.sh): its `qemu+ssh://` URI, once its
/// libvirtd and sshd answer.
pub fn host_b_uri() -> String {
    let dir = std::path::PathBuf::from(env("HANGAR_TEST_HOST_B_DIR"));
    let start = std::time::Instant::now();
    while !dir.join("ready").exists() {
        if let Ok(why) = std::fs::read_to_string(dir.join("failed")) {
            panic!(
                "host B did not start: {why}\n{}",
                std::fs::read_to_string(dir.join("start.log")).unwrap_or_default()
            );
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(120),
            "host B did not start within 120 s: {}",
            std::fs::read_to_string(dir.join("start.log")).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    env("HANGAR_TEST_HOST_B_URI")
}

/// The second test host's directory (its keys, password, logs).
pub fn host_b_dir() -> std::path::PathBuf {
    host_b_uri();
    std::path::PathBuf::from(env("HANGAR_TEST_HOST_B_DIR"))
}
