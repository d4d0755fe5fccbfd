//! Every program that Hangar or its tests run is installed by the README's commands.
//!
//! `build-aux/install-deps.sh` is what a clean Debian 12 with only a compiler gets; a
//! program this machine happens to have (qemu-img once) passes here and fails there. So
//! every program named by a literal in a `Command::new` in `src/`, `tests/` and `examples/`, and the programs the
//! test command and the code run by other means, must be in [`PROGRAMS`], and the
//! package named there must be in the script's lists. On Debian the table itself is
//! checked too: the program installed here belongs to the package it names.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// (program, package the script installs, package that owns the file when it differs:
/// a dependency of the first, or the owner of an alternatives target).
/// `ESSENTIAL` programs come with every Debian system (`Essential: yes` packages).
const PROGRAMS: &[(&str, &str, Option<&str>)] = &[
    ("qemu-img", "qemu-utils", None),
    ("qemu-io", "qemu-utils", None),
    ("xorriso", "xorriso", None),
    ("cpio", "cpio", None),
    ("setfacl", "acl", None),
    ("getfacl", "acl", None),
    ("swtpm", "swtpm", None),
    ("osinfo-detect", "libosinfo-bin", None),
    ("/usr/bin/python3", "python3", Some("python3.11-minimal")),
    ("xdotool", "xdotool", None),
    ("xclip", "xclip", None),
    ("openbox", "openbox", None),
    ("xprop", "x11-utils", None),
    ("gnome-keyring-daemon", "gnome-keyring", None),
    ("ssh", "openssh-client", None),
    ("ssh-keygen", "openssh-client", None),
    ("/usr/sbin/sshd", "openssh-server", None),
    ("nc", "netcat-openbsd", None),
    ("virsh", "libvirt-clients", None),
    ("virt-xml-validate", "libvirt-clients", None),
    ("libvirtd", "libvirt-daemon-system", Some("libvirt-daemon")),
    ("virtlogd", "libvirt-daemon-system", Some("libvirt-daemon")),
    ("qemu-system-x86_64", "qemu-system-x86", None),
    ("xvfb-run", "xvfb", None),
    ("dbus-run-session", "dbus", Some("dbus-daemon")),
    ("ip", "iproute2", None),
    ("ss", "iproute2", None),
    ("openssl", "openssl", None),
    ("iptables", "iptables", None),
    ("ps", "procps", None),
    ("pgrep", "procps", None),
    ("meson", "meson", None),
    ("ninja", "ninja-build", None),
    ("sh", ESSENTIAL, None),
    ("chmod", ESSENTIAL, None),
    ("mount", "mount", None),
    ("umount", "mount", None),
    ("losetup", "mount", None),
    ("blkid", ESSENTIAL, None),
    ("vgs", "lvm2", None),
    ("unshare", ESSENTIAL, None),
    ("nsenter", ESSENTIAL, None),
    ("kill", "procps", None),
    ("timeout", ESSENTIAL, None),
    ("sha256sum", ESSENTIAL, None),
    ("dpkg-query", ESSENTIAL, None),
    ("nmcli", "network-manager", None),
    ("NetworkManager", "network-manager", None),
    ("dnsmasq", "dnsmasq-base", None),
    ("dbus-daemon", "dbus", Some("dbus-daemon")),
    ("bash", ESSENTIAL, None),
];

const ESSENTIAL: &str = "(essential)";

/// Programs run other than through a `Command::new` literal: ssh and nc by the SSH
/// tunnel (`src/backend/ssh_tunnel.rs`, nc on the far end, which is this machine in
/// the tests), the daemons and tools by `build-aux/run-tests.sh`, the daemon again by
/// tests through `HANGAR_TEST_LIBVIRTD_CMD`.
const RUN_OTHERWISE: &[&str] = &[
    "ssh",
    "nc",
    "libvirtd",
    "virtlogd",
    "qemu-system-x86_64",
    "xvfb-run",
    "dbus-run-session",
    "ip",
    "unshare",
    "pgrep",
    "meson",
    "ninja",
    "timeout",
    "virsh",
    // By libvirtd, for a guest's emulated TPM.
    "swtpm",
    // By build-aux/run-tests.sh, for the SPICE TLS test's certificates.
    "openssl",
    // By build-aux/test-lan.sh, for the host-bridge tests.
    "NetworkManager",
    "dnsmasq",
    "dbus-daemon",
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The string literals given to `Command::new` (and to the tests' helpers that run a
/// program) in the Rust sources.
fn command_literals() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    for d in ["src", "tests", "examples"] {
        rust_files(&repo().join(d), &mut files);
    }
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("source file");
        // `Command::new`, and the tests' `run`/`run_ok` helpers (tests/daemon).
        for call in [
            "Command::new(\"",
            " run(\"",
            " run_ok(\"",
            "(run(\"",
            "(run_ok(\"",
        ] {
            let mut rest = text.as_str();
            while let Some(i) = rest.find(call) {
                rest = &rest[i + call.len()..];
                let end = rest.find('"').expect("a closed literal");
                let rel = f.strip_prefix(repo()).unwrap_or(&f).display().to_string();
                out.insert((rest[..end].to_string(), rel));
                rest = &rest[end..];
            }
        }
    }
    out
}

/// The package names in the script's `build_pkgs=(…)` and `test_pkgs=(…)` lists.
fn script_packages() -> BTreeSet<String> {
    let script = std::fs::read_to_string(repo().join("build-aux/install-deps.sh"))
        .expect("build-aux/install-deps.sh");
    let mut out = BTreeSet::new();
    for list in ["build_pkgs=(", "test_pkgs=("] {
        let start = script.find(list).expect("the package list") + list.len();
        let end = start + script[start..].find(')').expect("its end");
        for line in script[start..end].lines() {
            let line = line.split('#').next().unwrap_or("");
            out.extend(line.split_whitespace().map(str::to_string));
        }
    }
    out
}

fn entry(program: &str) -> Option<&'static (&'static str, &'static str, Option<&'static str>)> {
    PROGRAMS.iter().find(|(p, _, _)| *p == program)
}

#[test]
fn every_program_run_is_in_the_table() {
    let mut missing = Vec::new();
    for (program, file) in command_literals() {
        if entry(&program).is_none() {
            missing.push(format!("{program} (run in {file})"));
        }
    }
    for program in RUN_OTHERWISE {
        if entry(program).is_none() {
            missing.push(program.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "programs run without a package in tests/install_deps.rs: {missing:?} — add each \
         to PROGRAMS and its package to build-aux/install-deps.sh"
    );
}

#[test]
fn the_script_installs_every_package_of_the_table() {
    let pkgs = script_packages();
    assert!(
        pkgs.contains("libgtk-4-dev"),
        "the lists were read: {pkgs:?}"
    );
    let missing: Vec<String> = PROGRAMS
        .iter()
        .filter(|(_, pkg, _)| *pkg != ESSENTIAL && !pkgs.contains(*pkg))
        .map(|(prog, pkg, _)| format!("{pkg} (for {prog})"))
        .collect();
    assert!(
        missing.is_empty(),
        "build-aux/install-deps.sh does not install {missing:?}"
    );
}

/// Where `program` is on this machine, with symbolic links (alternatives) resolved.
fn installed_path(program: &str) -> Option<PathBuf> {
    let found = if program.starts_with('/') {
        PathBuf::from(program)
    } else {
        let path = std::env::var_os("PATH")?;
        let dirs = std::env::split_paths(&path).chain(["/usr/sbin".into(), "/sbin".into()]);
        dirs.map(|d| d.join(program)).find(|p| p.is_file())?
    };
    std::fs::canonicalize(found).ok()
}

/// The Debian package that owns `path`, by `dpkg-query -S` (also under the other of
/// `/bin` and `/usr/bin`: Debian 12 merged them, dpkg still records the old path).
fn owner(path: &Path) -> Option<String> {
    let s = path.to_string_lossy().to_string();
    let alt = if let Some(rest) = s.strip_prefix("/usr") {
        rest.to_string()
    } else {
        format!("/usr{s}")
    };
    for p in [s, alt] {
        let out = std::process::Command::new("dpkg-query")
            .args(["-S", &p])
            .output()
            .ok()?;
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            return text.split(':').next().map(|pkg| pkg.trim().to_string());
        }
    }
    None
}

#[test]
fn the_table_names_the_packages_that_own_the_programs() {
    // Only on Debian (the scripts' platform): elsewhere dpkg does not exist.
    if !Path::new("/var/lib/dpkg/status").exists() {
        eprintln!("not a Debian system: the owners are not checked");
        return;
    }
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (program, pkg, owned_by) in PROGRAMS {
        if *pkg == ESSENTIAL {
            continue;
        }
        // The test command installs everything before the tests run, so a program of
        // the table is missing only when run as a plain `cargo test` on a machine
        // without the test packages.
        let Some(path) = installed_path(program) else {
            continue;
        };
        let Some(found) = owner(&path) else {
            wrong.push(format!(
                "{program}: {} belongs to no package",
                path.display()
            ));
            continue;
        };
        checked += 1;
        let want = owned_by.unwrap_or(pkg);
        // Owners of alternatives targets carry a suffix (imagemagick-6.q16).
        if found != want && !found.starts_with(&format!("{want}-")) {
            wrong.push(format!(
                "{program}: owned by {found}, the table says {want}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
    assert!(checked > 0, "no program of the table is installed here");
}
