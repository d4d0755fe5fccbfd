//! The way to a SPICE display. SPICE opens a socket per channel (main, display,
//! inputs, cursor, later USB and audio), so the display asks for each: on a local
//! connection libvirt hands one over per request (`virDomainOpenGraphicsFD`, on the
//! connection's worker thread), over `qemu+ssh://` each channel gets a tunnel of its
//! own, else spice-client-glib connects over TCP itself — and always when a channel
//! must be encrypted: it never speaks TLS on a socket handed to it.

use std::os::fd::OwnedFd;
use std::rc::Rc;

use super::*;
use crate::backend::conn::ssh_tunnel::{SshTunnel, TunnelSpec, TunnelTarget};
use crate::backend::console::tls_bridge::{self, TlsPeer};
use crate::ui::console::display::{FdRequest, FdSource, SpiceTarget};

impl ConsolePage {
    /// Open the SPICE display reached by `socket` (display number `index` of `vm`).
    pub(super) fn open_spice(
        &self,
        conn: &Connection,
        vm: &Vm,
        index: u32,
        socket: VncSocket,
        tls: SpiceTls,
    ) -> Result<(), String> {
        let attempt = self.imp().attempt.get();
        let target = match socket {
            VncSocket::Fd(fd) => {
                SpiceTarget::Fds(self.libvirt_sockets(conn, vm, index, fd, attempt))
            }
            // With a TLS port only, `port` is that one.
            VncSocket::Tcp { host, port } => SpiceTarget::Host {
                host,
                port: Some(port).filter(|p| Some(*p) != tls.port),
                tls_port: tls.port,
                ca: tls.ca,
            },
            VncSocket::Ssh(_) if tls.needed && tls.tunnel.is_none() => {
                return Err(gettext(
                    "The SPICE display takes encrypted (TLS) connections only, and Hangar \
                     finds no way to its TLS port through SSH. Show its VNC display instead.",
                ))
            }
            VncSocket::Ssh(spec) => {
                // Without a plain port `spec` goes to the TLS one: every channel is
                // encrypted from its first socket on.
                let tls_only = matches!(
                    (&spec.target, tls.port),
                    (TunnelTarget::Tcp { port, .. }, Some(tls)) if *port == tls
                );
                SpiceTarget::Fds(self.tunnelled_sockets(spec, tls.tunnel, tls_only, attempt))
            }
            VncSocket::NoDisplay { .. } | VncSocket::Unreachable => {
                return Err(gettext(
                    "The SPICE display listens only where Hangar cannot reach it.",
                ))
            }
        };
        self.imp().display.open_spice(target, None)
    }

    /// Sockets from libvirt: `first` for the main channel, a new one for each other.
    fn libvirt_sockets(
        &self,
        conn: &Connection,
        vm: &Vm,
        index: u32,
        first: OwnedFd,
        attempt: u64,
    ) -> FdSource {
        let first = std::cell::Cell::new(Some(first));
        let backend = conn.backend().clone();
        let uuid = vm.uuid();
        let this = self.downgrade();
        Rc::new(move |req: FdRequest| {
            tracing::debug!("spice: socket for the {:?} channel", req.kind);
            if let Some(fd) = first.take() {
                req.provide(fd);
                return;
            }
            let (backend, uuid, this) = (backend.clone(), uuid.clone(), this.clone());
            glib::spawn_future_local(async move {
                let r = backend.graphics_fd(uuid, index).await;
                let Some(this) = this.upgrade() else { return };
                if this.imp().attempt.get() != attempt {
                    return; // the request's session is gone: it fails quietly
                }
                match r {
                    Ok(fd) => {
                        req.provide(fd);
                    }
                    Err(e) => {
                        tracing::info!("spice: no socket for the {:?} channel: {e}", req.kind);
                        req.fail();
                    }
                }
            });
        })
    }

    /// A tunnel per channel, opened on a thread of its own (ssh connects and
    /// authenticates there); the display keeps them open with the session. A channel
    /// that must be encrypted (the server said so, or `tls_only`) gets a tunnel to the
    /// TLS port with Hangar's TLS over it (`tls_bridge`): spice-client-glib speaks
    /// none on a socket handed to it.
    fn tunnelled_sockets(
        &self,
        spec: TunnelSpec,
        tls: Option<(TunnelSpec, TlsPeer)>,
        tls_only: bool,
        attempt: u64,
    ) -> FdSource {
        let this = self.downgrade();
        Rc::new(move |req: FdRequest| {
            let encrypted = match (req.tls || tls_only, &tls) {
                (false, _) => None,
                (true, Some(route)) => Some(route.clone()),
                (true, None) => {
                    if let Some(this) = this.upgrade() {
                        this.imp().last_error.replace(Some(gettext(
                            "The display wants its channels encrypted (TLS), and Hangar \
                             finds no way to its TLS port.",
                        )));
                    }
                    req.fail();
                    return;
                }
            };
            let (spec, this) = (spec.clone(), this.clone());
            glib::spawn_future_local(async move {
                let r = gio::spawn_blocking(move || tunnel_for(spec, encrypted)).await;
                let Some(this) = this.upgrade() else { return };
                if this.imp().attempt.get() != attempt {
                    return;
                }
                match r {
                    Ok(Ok((tunnel, fd))) => {
                        this.imp().display.keep_spice_tunnel(tunnel);
                        req.provide(fd);
                    }
                    Ok(Err(reason)) => {
                        tracing::info!("spice: socket for {:?}: {reason}", req.kind);
                        this.imp().last_error.replace(Some(reason));
                        req.fail();
                    }
                    Err(_) => req.fail(),
                }
            });
        })
    }

    /// Show the guest's other display (SPICE or VNC), when it has both.
    pub(super) fn switch_protocol(&self) {
        let imp = self.imp();
        let current = imp.protocol.get();
        let other = imp
            .offered
            .borrow()
            .iter()
            .copied()
            .find(|p| Some(*p) != current);
        if let Some(p) = other {
            imp.want_protocol.set(Some(p));
            self.reconnect();
        }
    }

    /// The switch button says which other display the guest has.
    pub(super) fn update_switch_button(&self) {
        let imp = self.imp();
        let current = imp.protocol.get();
        let other = imp
            .offered
            .borrow()
            .iter()
            .copied()
            .find(|p| Some(*p) != current);
        let b = &imp.switch_button;
        match other {
            Some(p) => {
                let label = match p {
                    Protocol::Vnc => gettext("Show the VNC Display"),
                    Protocol::Spice => gettext("Show the SPICE Display"),
                };
                b.set_tooltip_text(Some(&label));
                b.update_property(&[gtk::accessible::Property::Label(&label)]);
                b.set_visible(true);
                imp.error_switch_button.set_label(&label);
                imp.error_switch_button.set_visible(true);
            }
            None => {
                b.set_visible(false);
                imp.error_switch_button.set_visible(false);
            }
        }
    }

    /// The protocol of the display shown (or being connected).
    pub fn protocol(&self) -> Option<Protocol> {
        self.imp().protocol.get()
    }
}

/// What the console knows of a SPICE display's TLS (from `DisplayWay`).
pub(super) struct SpiceTls {
    pub port: Option<u16>,
    pub ca: Option<std::path::PathBuf>,
    /// Some channel must be encrypted.
    pub needed: bool,
    pub tunnel: Option<(TunnelSpec, TlsPeer)>,
}

/// On a thread: a tunnel by `spec`, or for a channel that must be `encrypted` a tunnel
/// to the TLS port with Hangar's TLS over it. The tunnel (kept open with the session)
/// and the socket for spice-client-glib, or what went wrong in words.
fn tunnel_for(
    spec: TunnelSpec,
    encrypted: Option<(TunnelSpec, TlsPeer)>,
) -> Result<(SshTunnel, OwnedFd), String> {
    let open = |spec: &TunnelSpec| {
        let mut tunnel = spec.open_client_first().map_err(|reason| {
            gettext_f(
                "The SSH tunnel to the display failed: {reason}",
                &[("reason", &reason)],
            )
        })?;
        let fd = tunnel
            .take_fd()
            .ok_or_else(|| gettext("The SSH tunnel to the display failed."))?;
        Ok::<_, String>((tunnel, fd))
    };
    match encrypted {
        None => open(&spec),
        Some((spec, peer)) => {
            let (tunnel, fd) = open(&spec)?;
            let ca = peer.ca.as_ref().map_or_else(
                || gettext("a CA this machine trusts"),
                |p| p.display().to_string(),
            );
            let host = peer.name.clone();
            let plain = tls_bridge::bridge(fd, peer).map_err(|reason| {
                gettext_f(
                    "The display's certificate was refused: {reason} It must name {host} \
                     and be signed by {ca}.",
                    &[("reason", &reason), ("host", &host), ("ca", &ca)],
                )
            })?;
            Ok((tunnel, plain))
        }
    }
}
