//! Hangar as ssh's askpass: `qemu+ssh://` connections (and the console tunnels) run
//! `ssh`, which asks for passwords, key passphrases and unknown host keys through the
//! program in `SSH_ASKPASS` (`SSH_ASKPASS_REQUIRE=force`: even without a terminal or
//! ssh-agent). That program is Hangar itself: run by ssh with the prompt as its one
//! argument, it hands the prompt to the running Hangar over a Unix socket of the
//! person's own (`$XDG_RUNTIME_DIR`, mode 0600), prints the answer for ssh, and exits 1
//! when the person cancels. The running Hangar asks in its own window.
//!
//! The exchange: the client writes the prompt and shuts its side; the app answers
//! `OK\n` and the text, or `NO\n`.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The variable that names the socket (set for ssh's children, so the client finds
/// the app that started it).
pub const SOCKET_VAR: &str = "HANGAR_ASKPASS_SOCKET";

/// The socket of this process's askpass service.
pub fn socket_path() -> PathBuf {
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    dir.join(format!("hangar-askpass-{}.sock", std::process::id()))
}

/// Make every ssh started from now on ask through `exe` (Hangar's own binary),
/// talking to the service at `socket`. Call before any thread starts ssh.
///
/// libvirt starts ssh with a cleaned environment that keeps `SSH_ASKPASS` and
/// `DISPLAY` but not our socket's variable (nor `SSH_ASKPASS_REQUIRE`): so
/// `SSH_ASKPASS` names a small script beside the socket that sets it and runs `exe`.
/// ssh without a terminal uses askpass when `DISPLAY` is set.
pub fn install_env(exe: &Path, socket: &Path) {
    let script = socket.with_extension("askpass");
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    let text = format!(
        "#!/bin/sh\n# Hangar's askpass for ssh (removed when Hangar ends).\n{SOCKET_VAR}={} exec {} \"$@\"\n",
        quote(socket),
        quote(exe)
    );
    let written = std::fs::write(&script, text).and_then(|()| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700))
    });
    if let Err(e) = written {
        tracing::warn!("ssh cannot ask through Hangar ({}): {e}", script.display());
        return;
    }
    std::env::set_var("SSH_ASKPASS", &script);
    std::env::set_var("SSH_ASKPASS_REQUIRE", "force");
    std::env::set_var(SOCKET_VAR, socket);
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_some() {
        // ssh only looks at DISPLAY's presence before it runs askpass; GTK takes
        // Wayland first.
        std::env::set_var("DISPLAY", ":0");
    }
}

/// Remove the socket and the script (Hangar ends).
pub fn remove(socket: &Path) {
    let _ = std::fs::remove_file(socket);
    let _ = std::fs::remove_file(socket.with_extension("askpass"));
}

/// Whether this process was started by ssh as its askpass: the socket variable is
/// set and the one argument is a prompt, not an option.
pub fn is_askpass_call(args: &[String]) -> bool {
    std::env::var_os(SOCKET_VAR).is_some()
        && args.len() == 2
        && !args[1].starts_with("--")
        && std::env::var_os("SSH_ASKPASS").is_some()
}

/// What ssh asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// `root@host's password:`
    Password { account: String },
    /// `Enter passphrase for key '/home/me/.ssh/id_ed25519':`
    Passphrase { key: String },
    /// An unknown host key: trust it (`yes`) or not.
    HostKey {
        host: String,
        /// `ED25519 key fingerprint is SHA256:…`'s kind and fingerprint.
        kind: String,
        fingerprint: String,
    },
    /// Anything else (keyboard-interactive questions, PINs): shown as ssh words it.
    Other(String),
}

/// Read ssh's prompt.
pub fn classify(prompt: &str) -> Prompt {
    let p = prompt.trim();
    if p.contains("authenticity of host") || p.contains("(yes/no") {
        let host = p
            .split("host '")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .unwrap_or_default();
        let host = host.split(" (").next().unwrap_or(host).to_string();
        let (kind, fingerprint) = p
            .lines()
            .find_map(|l| {
                let (k, f) = l.split_once(" key fingerprint is ")?;
                Some((
                    k.trim().to_string(),
                    f.trim().trim_end_matches('.').to_string(),
                ))
            })
            .unwrap_or_default();
        return Prompt::HostKey {
            host,
            kind,
            fingerprint,
        };
    }
    if let Some(account) = p.strip_suffix("'s password:") {
        return Prompt::Password {
            account: account.trim().to_string(),
        };
    }
    if let Some(rest) = p.strip_prefix("Enter passphrase for key '") {
        return Prompt::Passphrase {
            key: rest.split('\'').next().unwrap_or_default().to_string(),
        };
    }
    Prompt::Other(p.to_string())
}

/// The askpass client: give `prompt` to the running Hangar, print its answer. The
/// exit status ssh reads: 0 answered, 1 cancelled or no Hangar to ask.
pub fn client_main(prompt: &str) -> std::process::ExitCode {
    let Some(socket) = std::env::var_os(SOCKET_VAR) else {
        return std::process::ExitCode::FAILURE;
    };
    // The app may still be starting its service.
    let start = Instant::now();
    let mut stream = loop {
        match UnixStream::connect(&socket) {
            Ok(s) => break s,
            Err(_) if start.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => {
                eprintln!("hangar askpass: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    };
    if stream.write_all(prompt.as_bytes()).is_err()
        || stream.shutdown(std::net::Shutdown::Write).is_err()
    {
        return std::process::ExitCode::FAILURE;
    }
    let mut reply = String::new();
    if stream.read_to_string(&mut reply).is_err() {
        return std::process::ExitCode::FAILURE;
    }
    match reply.strip_prefix("OK\n") {
        Some(answer) => {
            println!("{answer}");
            std::process::ExitCode::SUCCESS
        }
        None => std::process::ExitCode::FAILURE,
    }
}

/// The reply to send for an answer (None: cancelled).
pub fn reply(answer: Option<&str>) -> String {
    match answer {
        Some(a) => format!("OK\n{a}"),
        None => "NO\n".into(),
    }
}
