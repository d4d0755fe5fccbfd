//! A way to a remote VNC display over SSH, for `qemu+ssh://` connections, where
//! `virDomainOpenGraphicsFD` cannot pass a socket: ssh with the same user, host, port
//! and key as the libvirt URI forwards its standard input and output to the display —
//! `ssh -W host:port` for a TCP listen, `nc -U PATH` run on the remote host for a UNIX
//! socket (OpenSSH 9.2's `-W` takes no socket path; virt-manager uses nc the same way).
//! Its other end is one half of a socket pair; the console hands the other half to gvnc
//! as an already open socket.
//!
//! [`TunnelSpec::open`] blocks (it waits until the display greets us, or ssh gives up):
//! run it on a thread, never on the main thread. Errors carry what ssh said on stderr
//! (unknown host key, refused key…).

use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::backend::conn::uri::LibvirtUri;
use crate::i18n::gettext;

/// How long the display may take to greet us through the tunnel (ssh's own connection
/// and authentication included).
const OPEN_TIMEOUT: Duration = Duration::from_secs(30);

/// What of a `qemu+ssh://` URI the tunnel uses: the parameters libvirt's own ssh
/// transport takes (`keyfile`, `no_verify`, `command`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshParams {
    /// The ssh program (`command=`; `ssh` by default).
    pub binary: String,
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub keyfile: Option<String>,
    /// `no_verify=1`: do not check the host key (as libvirt does then).
    pub no_verify: bool,
}

/// Where the display listens, seen from the remote host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TunnelTarget {
    Tcp { host: String, port: u16 },
    Unix(String),
}

/// A tunnel to open: plain data, sent from the connection's worker to a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelSpec {
    pub params: SshParams,
    pub target: TunnelTarget,
}

/// Decode `%XX` escapes (and `+` as a space) of a URI query value.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(v) => {
                    out.push(v);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl SshParams {
    /// The SSH parameters of `uri`, when it goes over SSH (`driver+ssh://`).
    pub fn from_uri(uri: &LibvirtUri) -> Option<SshParams> {
        if uri.transport.as_deref() != Some("ssh") {
            return None;
        }
        let mut p = SshParams {
            binary: "ssh".into(),
            user: uri.user.clone(),
            host: uri.host.clone()?,
            port: uri.port,
            keyfile: None,
            no_verify: false,
        };
        for pair in uri.query.as_deref().unwrap_or("").split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            match k {
                "keyfile" if !v.is_empty() => p.keyfile = Some(v),
                "no_verify" => p.no_verify = v.trim() != "0",
                "command" if !v.is_empty() => p.binary = v,
                _ => {}
            }
        }
        Some(p)
    }
}

impl TunnelSpec {
    /// The ssh command line (without the program).
    pub fn args(&self) -> Vec<String> {
        let p = &self.params;
        let mut a: Vec<String> = Vec::new();
        if let Some(port) = p.port {
            a.extend(["-p".into(), port.to_string()]);
        }
        if let Some(u) = &p.user {
            a.extend(["-l".into(), u.clone()]);
        }
        if let Some(k) = &p.keyfile {
            a.extend(["-i".into(), k.clone()]);
        }
        // Nobody can answer a prompt: fail with a reason instead of waiting.
        a.extend(["-o".into(), "BatchMode=yes".into()]);
        a.extend(["-o".into(), "ConnectTimeout=20".into()]);
        if p.no_verify {
            a.extend(["-o".into(), "StrictHostKeyChecking=no".into()]);
        }
        match &self.target {
            TunnelTarget::Tcp { host, port } => {
                let fwd = if host.contains(':') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                };
                a.extend(["-W".into(), fwd, "--".into(), p.host.clone()]);
            }
            TunnelTarget::Unix(path) => {
                // The remote shell reads the command: quote the path for it.
                let quoted = format!("'{}'", path.replace('\'', "'\\''"));
                a.extend([
                    "-T".into(),
                    "-e".into(),
                    "none".into(),
                    "--".into(),
                    p.host.clone(),
                    format!("nc -U {quoted}"),
                ]);
            }
        }
        a
    }

    /// Start ssh and wait until the display speaks through it (a VNC server greets
    /// first), or ssh ends: then the error is what it said. Blocks: call it on a thread.
    pub fn open(&self) -> Result<SshTunnel, String> {
        let (tunnel, said) = self.spawn()?;
        let start = Instant::now();
        loop {
            match tunnel.wait_readable(Duration::from_millis(100)) {
                Readable::Data => return Ok(tunnel),
                Readable::Closed => break,
                Readable::Nothing => {}
            }
            if tunnel.exited() {
                // Give the stderr reader a moment to catch the last words.
                std::thread::sleep(Duration::from_millis(50));
                break;
            }
            if start.elapsed() > OPEN_TIMEOUT {
                return Err(gettext("the display did not answer through the SSH tunnel"));
            }
        }
        // Let the reader finish the last line before taking the words.
        std::thread::sleep(Duration::from_millis(50));
        let said = said.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Err(reason(&said))
    }

    /// Start ssh for a protocol whose client speaks first (SPICE): nothing comes
    /// through before the client's first message, so this does not wait for it. ssh
    /// failing closes the socket, which the client sees as the connection ending.
    pub fn open_client_first(&self) -> Result<SshTunnel, String> {
        let (tunnel, said) = self.spawn()?;
        // ssh refusing at once (bad options, no such binary behaviour) is said here.
        std::thread::sleep(Duration::from_millis(20));
        if tunnel.exited() {
            std::thread::sleep(Duration::from_millis(50));
            let said = said.lock().unwrap_or_else(|e| e.into_inner()).clone();
            return Err(reason(&said));
        }
        Ok(tunnel)
    }

    /// Start ssh with one end of a socket pair as its stdin and stdout; what it says
    /// on stderr is collected.
    fn spawn(&self) -> Result<(SshTunnel, Arc<Mutex<String>>), String> {
        let (ours, theirs) = UnixStream::pair().map_err(|e| e.to_string())?;
        let theirs_out = theirs.try_clone().map_err(|e| e.to_string())?;
        let mut child = Command::new(&self.params.binary)
            .args(self.args())
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .stdout(Stdio::from(OwnedFd::from(theirs_out)))
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", self.params.binary))?;
        let stderr = child.stderr.take();
        let said = Arc::new(Mutex::new(String::new()));
        let child = Arc::new(Mutex::new(child));
        // Drain ssh's stderr for as long as it runs (a full pipe would stall it), then
        // reap it.
        let (s, c) = (said.clone(), child.clone());
        let _ = std::thread::Builder::new()
            .name("ssh tunnel".into())
            .spawn(move || {
                if let Some(mut err) = stderr {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = err.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                        tracing::debug!("ssh tunnel: {}", text.trim_end());
                        let mut s = s.lock().unwrap_or_else(|e| e.into_inner());
                        if s.len() < 8192 {
                            s.push_str(&text);
                        }
                    }
                }
                let _ = c.lock().unwrap_or_else(|e| e.into_inner()).wait();
            });
        let tunnel = SshTunnel {
            fd: Some(OwnedFd::from(ours)),
            child,
        };
        Ok((tunnel, said))
    }
}

/// What ssh said, without its chatter.
fn reason(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"))
        .collect();
    if lines.is_empty() {
        gettext("ssh closed the tunnel without saying why")
    } else {
        lines.join("\n")
    }
}

enum Readable {
    Data,
    Closed,
    Nothing,
}

/// A running tunnel: the socket for gvnc, and ssh, ended when this is dropped.
pub struct SshTunnel {
    fd: Option<OwnedFd>,
    child: Arc<Mutex<Child>>,
}

impl SshTunnel {
    /// The socket to the display (once; gvnc takes it over).
    pub fn take_fd(&mut self) -> Option<OwnedFd> {
        self.fd.take()
    }

    fn exited(&self) -> bool {
        match self.child.try_lock() {
            Ok(mut c) => !matches!(c.try_wait(), Ok(None)),
            // The reaper holds it: ssh has closed stderr, it is ending.
            Err(_) => true,
        }
    }

    fn wait_readable(&self, timeout: Duration) -> Readable {
        let Some(fd) = self.fd.as_ref() else {
            return Readable::Closed;
        };
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as libc::c_int) };
        if n <= 0 {
            return Readable::Nothing;
        }
        let mut b = [0u8; 1];
        // SAFETY: peeks at most one byte into a one-byte buffer; the data stays queued
        // for gvnc.
        let r = unsafe {
            libc::recv(
                fd.as_raw_fd(),
                b.as_mut_ptr().cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        match r {
            1.. => Readable::Data,
            0 => Readable::Closed,
            _ => Readable::Nothing,
        }
    }
}

impl Drop for SshTunnel {
    fn drop(&mut self) {
        // Closing our end ends ssh's input; kill it too in case the remote side hangs.
        self.fd.take();
        if let Ok(mut c) = self.child.try_lock() {
            let _ = c.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(uri: &str, target: TunnelTarget) -> TunnelSpec {
        let u = LibvirtUri::parse(uri).unwrap();
        TunnelSpec {
            params: SshParams::from_uri(&u).expect("an ssh URI"),
            target,
        }
    }

    #[test]
    fn only_ssh_uris_tunnel() {
        for uri in ["qemu:///system", "qemu+tls://h/system", "qemu://h/system"] {
            assert!(SshParams::from_uri(&LibvirtUri::parse(uri).unwrap()).is_none());
        }
    }

    #[test]
    fn command_line_follows_the_uri() {
        let s = spec(
            "qemu+ssh://root@kvm.example:2222/system?keyfile=/tmp/my%20key&no_verify=1",
            TunnelTarget::Tcp {
                host: "127.0.0.1".into(),
                port: 5900,
            },
        );
        assert_eq!(s.params.keyfile.as_deref(), Some("/tmp/my key"));
        assert_eq!(
            s.args().join(" "),
            "-p 2222 -l root -i /tmp/my key -o BatchMode=yes -o ConnectTimeout=20 \
             -o StrictHostKeyChecking=no -W 127.0.0.1:5900 -- kvm.example"
        );
        let s = spec(
            "qemu+ssh://kvm.example/system?command=/opt/ssh&no_verify=0",
            TunnelTarget::Unix("/run/vnc.sock".into()),
        );
        assert_eq!(s.params.binary, "/opt/ssh");
        assert!(!s.params.no_verify);
        assert_eq!(
            s.args().join(" "),
            "-o BatchMode=yes -o ConnectTimeout=20 -T -e none -- kvm.example nc -U '/run/vnc.sock'"
        );
        let s = spec(
            "qemu+ssh://h/system",
            TunnelTarget::Tcp {
                host: "::1".into(),
                port: 5901,
            },
        );
        assert!(s.args().contains(&"[::1]:5901".to_string()));
        let s = spec(
            "qemu+ssh://h/system",
            TunnelTarget::Unix("/run/it's; rm.sock".into()),
        );
        assert_eq!(
            s.args().last().map(String::as_str),
            Some("nc -U '/run/it'\\''s; rm.sock'")
        );
    }

    #[test]
    fn ssh_errors_keep_the_reason() {
        assert_eq!(
            reason("Warning: Permanently added 'h' (ED25519) to the list of known hosts.\r\nroot@h: Permission denied (publickey).\r\n"),
            "root@h: Permission denied (publickey)."
        );
        assert!(!reason("").is_empty());
    }

    /// A stand-in for ssh: a script (the real ssh is tested against an sshd in
    /// tests/console_libvirtd.rs).
    fn fake_ssh(body: &str) -> TunnelSpec {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("hangar-ssh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("ssh-{}", body.len()));
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut s = spec(
            "qemu+ssh://h/system",
            TunnelTarget::Tcp {
                host: "127.0.0.1".into(),
                port: 5900,
            },
        );
        s.params.binary = path.to_string_lossy().into_owned();
        s
    }

    #[test]
    fn a_failing_ssh_reports_what_it_said() {
        let s = fake_ssh(
            "echo \"Warning: Permanently added 'h' to the list of known hosts.\" >&2
             echo 'Host key verification failed.' >&2; exit 255",
        );
        assert_eq!(
            s.open().err().as_deref(),
            Some("Host key verification failed.")
        );
        let mut s = s;
        s.params.binary = "/nonexistent/ssh".into();
        let err = s.open().err().expect("a missing ssh is an error");
        assert!(err.contains("/nonexistent/ssh"), "{err}");
    }

    #[test]
    fn the_tunnel_opens_when_the_display_greets() {
        let s = fake_ssh("printf 'RFB 003.008\\n'; cat >/dev/null");
        let mut t = s.open().expect("the tunnel opens");
        let fd = t.take_fd().expect("a socket");
        // The greeting is still there for gvnc to read.
        let mut sock = UnixStream::from(fd);
        let mut b = [0u8; 12];
        sock.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"RFB 003.008\n");
    }
}
