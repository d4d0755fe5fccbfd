//! TLS for SPICE channels that spice-client-glib cannot encrypt itself: it never speaks
//! TLS on a socket handed to it (its `open_fd` makes every channel plain), and through
//! SSH every socket is handed to it. So Hangar makes the TLS connection over the tunnel
//! (GIO's TLS, glib-networking) and hands spice-client-glib the plain end of a socket
//! pair; a thread of the bridge's own carries the bytes between the two.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use gio::prelude::*;

/// Who the server must prove to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPeer {
    /// The name (or address) its certificate must carry.
    pub name: String,
    pub port: u16,
    /// The CA that must have signed it; `None`: the system's trusted CAs.
    pub ca: Option<PathBuf>,
}

/// Make the TLS connection over `encrypted` (a socket to the display's TLS port) and
/// return a socket whose other end carries the same bytes in the clear. Blocks for the
/// handshake: a certificate that is not trusted, or not `peer`'s, is refused here with
/// GIO's words.
pub fn bridge(encrypted: OwnedFd, peer: TlsPeer) -> Result<OwnedFd, String> {
    let (plain, inner) = UnixStream::pair().map_err(|e| e.to_string())?;
    let (tx, rx) = std::sync::mpsc::channel();
    let inner = OwnedFd::from(inner);
    std::thread::Builder::new()
        .name("spice tls".into())
        .spawn(move || {
            let ctx = glib::MainContext::new();
            let _ = ctx.with_thread_default(|| ctx.block_on(run(encrypted, inner, peer, tx)));
        })
        .map_err(|e| e.to_string())?;
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(())) => Ok(OwnedFd::from(plain)),
        Ok(Err(reason)) => Err(reason),
        Err(_) => Err("the TLS handshake did not end within 30 s".into()),
    }
}

/// The bridge's thread: the handshake, said through `handshaken`, then the bytes both
/// ways until either side closes.
async fn run(
    encrypted: OwnedFd,
    inner: OwnedFd,
    peer: TlsPeer,
    handshaken: std::sync::mpsc::Sender<Result<(), String>>,
) {
    let prio = glib::Priority::DEFAULT;
    let setup = async {
        let socket = gio::Socket::from_fd(encrypted)?;
        let base = socket.connection_factory_create_connection();
        let identity = gio::NetworkAddress::new(&peer.name, peer.port);
        let tls = gio::TlsClientConnection::new(&base, Some(&identity))?;
        if let Some(ca) = &peer.ca {
            tls.set_database(Some(&gio::TlsFileDatabase::new(ca)?));
        }
        tls.handshake_future(prio).await?;
        Ok::<_, glib::Error>((tls, gio::Socket::from_fd(inner)?))
    };
    let (tls, inner) = match setup.await {
        Ok(both) => both,
        Err(e) => {
            let _ = handshaken.send(Err(e.message().to_string()));
            return;
        }
    };
    let _ = handshaken.send(Ok(()));
    let plain = inner.connection_factory_create_connection();
    let ctx = glib::MainContext::ref_thread_default();
    // From the server: when it ends, the plain side is shut, and the other pump ends.
    let (from, to, shut) = (tls.input_stream(), plain.output_stream(), inner.clone());
    ctx.spawn_local(async move {
        pump(from, to).await;
        let _ = shut.shutdown(true, true);
    });
    pump(plain.input_stream(), tls.output_stream()).await;
    let _ = tls.close_future(prio).await;
    let _ = inner.shutdown(true, true);
}

/// Copy until end of stream or an error.
async fn pump(from: gio::InputStream, to: gio::OutputStream) {
    let prio = glib::Priority::DEFAULT;
    loop {
        match from.read_bytes_future(64 * 1024, prio).await {
            Ok(bytes) if !bytes.is_empty() => {
                if to.write_all_future(bytes, prio).await.is_err() {
                    break;
                }
            }
            _ => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_that_speaks_no_tls_is_refused_with_a_reason() {
        // A "server" that answers the TLS hello with plain text and hangs up.
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        let server = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let mut buf = [0u8; 512];
            let _ = theirs.read(&mut buf);
            let _ = theirs.write_all(b"REDQ not tls at all\r\n");
        });
        let peer = TlsPeer {
            name: "127.0.0.1".into(),
            port: 5901,
            ca: None,
        };
        let err = bridge(OwnedFd::from(ours), peer).expect_err("no TLS, no bridge");
        assert!(!err.is_empty());
        server.join().unwrap();
    }
}
