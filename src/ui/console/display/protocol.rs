//! The RFB session: gvnc's signals, authentication choices, the pixel format and
//! encodings we ask for, and screen size changes.

use gtk::glib::translate::IntoGlib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gio, glib};

use super::fb::local_format;
use super::text::{reason_text, string_arg};
use super::{DisplayEvent, GuestDisplay};
use crate::i18n::{gettext, gettext_f};

impl GuestDisplay {
    pub(super) fn new_connection(&self) -> gvnc::Connection {
        self.close();
        let imp = self.imp();
        imp.fb.replace(None);
        imp.frame.replace(None);
        imp.absolute.set(false);
        imp.handshake_said.set(false);
        self.reset_guest_resize();
        let conn = gvnc::Connection::new();

        let this = self.downgrade();
        conn.connect_vnc_connected(move |_| {
            if let Some(this) = this.upgrade() {
                this.emit(DisplayEvent::Connected);
            }
        });
        let this = self.downgrade();
        conn.connect_vnc_auth_choose_type(move |c, types| {
            let offered: Vec<gvnc::ConnectionAuth> = types
                .iter()
                .filter_map(|v| v.get::<gvnc::ConnectionAuth>().ok())
                .collect();
            // RFB 3.3's refusal comes as the one type "invalid" (0): not an offer.
            if offered.iter().any(|a| *a != gvnc::ConnectionAuth::Invalid) {
                if let Some(this) = this.upgrade() {
                    this.imp().handshake_said.set(true);
                }
            }
            let pick = [
                gvnc::ConnectionAuth::None,
                gvnc::ConnectionAuth::Vnc,
                gvnc::ConnectionAuth::Vencrypt,
                gvnc::ConnectionAuth::Tls,
            ]
            .into_iter()
            .find(|a| offered.contains(a));
            match pick {
                Some(a) => {
                    let _ = c.set_auth_type(a.into_glib() as u32);
                }
                None => c.shutdown(),
            }
        });
        conn.connect_vnc_auth_choose_subtype(|c, kind, subtypes| {
            let offered: Vec<i32> = subtypes
                .iter()
                .filter_map(|v| {
                    v.get::<gvnc::ConnectionAuthVencrypt>()
                        .map(|s| s.into_glib())
                        .or_else(|_| v.get::<gvnc::ConnectionAuth>().map(|s| s.into_glib()))
                        .ok()
                })
                .collect();
            let prefs: Vec<i32> = if kind == gvnc::ConnectionAuth::Vencrypt.into_glib() as u32 {
                [
                    gvnc::ConnectionAuthVencrypt::X509vnc,
                    gvnc::ConnectionAuthVencrypt::X509none,
                    gvnc::ConnectionAuthVencrypt::Tlsvnc,
                    gvnc::ConnectionAuthVencrypt::Tlsnone,
                ]
                .into_iter()
                .map(|s| s.into_glib())
                .collect()
            } else {
                [gvnc::ConnectionAuth::None, gvnc::ConnectionAuth::Vnc]
                    .into_iter()
                    .map(|s| s.into_glib())
                    .collect()
            };
            match prefs.into_iter().find(|p| offered.contains(p)) {
                Some(p) => {
                    let _ = c.set_auth_subtype(p as u32);
                }
                None => c.shutdown(),
            }
        });
        let this = self.downgrade();
        conn.connect_vnc_auth_credential(move |c, creds| {
            let Some(this) = this.upgrade() else { return };
            let wanted: Vec<gvnc::ConnectionCredential> = creds
                .iter()
                .filter_map(|v| v.get::<gvnc::ConnectionCredential>().ok())
                .collect();
            if wanted.contains(&gvnc::ConnectionCredential::Clientname) {
                let _ =
                    c.set_credential(gvnc::ConnectionCredential::Clientname.into_glib(), "hangar");
            }
            if wanted.contains(&gvnc::ConnectionCredential::Password)
                || wanted.contains(&gvnc::ConnectionCredential::Username)
            {
                this.emit(DisplayEvent::AuthRequired {
                    username: wanted.contains(&gvnc::ConnectionCredential::Username),
                });
            }
        });
        // The reason is the server's bytes, not always UTF-8: read them ourselves
        // (gvnc's bindings would take them for UTF-8 unchecked).
        let this = self.downgrade();
        conn.connect_local("vnc-auth-failure", false, move |args| {
            if let (Some(this), Some(v)) = (this.upgrade(), args.get(1)) {
                this.emit(DisplayEvent::AuthFailed(reason_text(&string_arg(v))));
            }
            None
        });
        let this = self.downgrade();
        conn.connect_vnc_auth_unsupported(move |c, _| {
            if let Some(this) = this.upgrade() {
                this.emit(DisplayEvent::AuthUnsupported);
            }
            c.shutdown();
        });
        let this = self.downgrade();
        conn.connect_vnc_initialized(move |c| {
            if let Some(this) = this.upgrade() {
                this.initialized(c);
            }
        });
        let this = self.downgrade();
        conn.connect_vnc_desktop_resize(move |c, w, h| {
            if let Some(this) = this.upgrade() {
                this.resized(c, w, h, None);
            }
        });
        let this = self.downgrade();
        conn.connect_vnc_pixel_format_changed(move |c, fmt| {
            if let Some(this) = this.upgrade() {
                this.resized(c, c.width(), c.height(), Some(fmt));
            }
        });
        let this = self.downgrade();
        conn.connect_vnc_framebuffer_update(move |c, _, _, _, _| {
            if let Some(this) = this.upgrade() {
                this.probe_guest_resize(c);
                let imp = this.imp();
                imp.rects.set(imp.rects.get() + 1);
                imp.dirty.set(true);
                this.schedule_frame();
            }
        });
        let this = self.downgrade();
        conn.connect_vnc_pointer_mode_changed(move |_, absolute| {
            if let Some(this) = this.upgrade() {
                this.imp().absolute.set(absolute);
                if absolute {
                    this.ungrab_pointer();
                }
            }
        });
        let this = self.downgrade();
        conn.connect_vnc_cursor_changed(move |_, cursor| {
            if let Some(this) = this.upgrade() {
                this.set_remote_cursor(cursor);
            }
        });
        let this = self.downgrade();
        conn.connect_local("vnc-error", false, move |args| {
            let (Some(this), Some(v)) = (this.upgrade(), args.get(1)) else {
                return None;
            };
            // A connection closed on purpose (or given up on) stays quiet.
            let from = args.first().and_then(|a| a.get::<gvnc::Connection>().ok());
            if from.is_some() && this.imp().conn.borrow().as_ref() == from.as_ref() {
                this.imp().handshake_said.set(true);
                this.emit(DisplayEvent::Error(reason_text(&string_arg(v))));
            }
            None
        });
        let this = self.downgrade();
        conn.connect_vnc_disconnected(move |c| {
            let Some(this) = this.upgrade() else { return };
            let imp = this.imp();
            // Only the current connection speaks; one closed on purpose stays quiet.
            let current = imp.conn.borrow().as_ref() == Some(c);
            if current && !imp.initialized.get() && !imp.handshake_said.get() {
                // Gone before offering any authentication, without a word from gvnc:
                // an RFB 3.3 refusal, whose reason gvnc drops. Hear it ourselves.
                this.ask_refusal(c, false);
                return;
            }
            if current {
                imp.conn.replace(None);
                imp.initialized.set(false);
                this.emit(DisplayEvent::Disconnected);
            }
        });
        self.watch_server_cut_text(&conn);
        imp.conn.replace(Some(conn.clone()));
        conn
    }

    pub(super) fn initialized(&self, c: &gvnc::Connection) {
        let imp = self.imp();
        let fmt = local_format();
        if c.set_pixel_format(&fmt).is_err() {
            c.shutdown();
            return;
        }
        let (w, h) = (c.width(), c.height());
        if w <= 0 || h <= 0 {
            // gvnc reads a refusal before authentication (no security types, then the
            // reason) as if it were an authentication result, loses the reason and
            // carries on to an empty screen. Ask the server once more, ourselves.
            self.refused(c);
            return;
        }
        if !self.install_framebuffer(c, w, h, &fmt) {
            self.emit(DisplayEvent::Error(format!(
                "the server's screen size {w}×{h} is not valid"
            )));
            c.shutdown();
            return;
        }
        use gvnc::ConnectionEncoding as E;
        // The first encoding the server knows wins. Over a local socket raw pixels cost
        // the least CPU on both ends; further away, compression saves the network.
        let mut encodings: Vec<E> = if imp.local.get() {
            vec![E::Raw, E::CopyRect, E::Zrle, E::Hextile]
        } else {
            vec![E::Zrle, E::Hextile, E::CopyRect, E::Raw]
        };
        encodings.extend([
            E::ExtKeyEvent,
            E::LedState,
            E::DesktopResize,
            E::ExtendedDesktopResize,
            E::Wmvi,
            E::RichCursor,
            E::Xcursor,
            E::PointerChange,
            E::LastRect,
        ]);
        let raw: Vec<i32> = encodings.into_iter().map(|e| e.into_glib()).collect();
        if c.set_encodings(&raw).is_err() {
            c.shutdown();
            return;
        }
        imp.initialized.set(true);
        imp.absolute.set(c.is_abs_pointer());
        self.connected_clipboard();
        self.request_update(false);
        self.queue_resize();
        self.emit(DisplayEvent::Initialized {
            width: w,
            height: h,
        });
    }

    pub(super) fn resized(
        &self,
        c: &gvnc::Connection,
        w: i32,
        h: i32,
        fmt: Option<&gvnc::PixelFormat>,
    ) {
        if fmt.is_none() && self.screen_size() == Some((w, h)) {
            // The same size again (an extended desktop size answer that changes
            // nothing): the pixels we hold are still right.
            return;
        }
        let remote = match fmt {
            Some(f) => f.clone(),
            None => c.pixel_format().unwrap_or_else(local_format),
        };
        if !self.install_framebuffer(c, w, h, &remote) {
            self.emit(DisplayEvent::Error(format!(
                "the server's screen size {w}×{h} is not valid"
            )));
            c.shutdown();
            return;
        }
        self.request_update(false);
        self.queue_resize();
        if fmt.is_none() {
            self.emit(DisplayEvent::Resized {
                width: w,
                height: h,
            });
        }
    }
}

impl GuestDisplay {
    /// The server refused the connection and gvnc lost its reason: over TCP, hear the
    /// refusal again on a connection of our own (off the main thread), then report it.
    fn refused(&self, c: &gvnc::Connection) {
        self.ask_refusal(c, true);
    }

    /// Ask the server (over TCP) why it refused, then report that and the end of the
    /// connection. `sure`: it did refuse (say so even without a reason).
    fn ask_refusal(&self, c: &gvnc::Connection, sure: bool) {
        let addr = self.imp().addr.borrow().clone();
        let Some((host, port)) = addr else {
            if sure {
                self.emit(DisplayEvent::Error(gettext(
                    "The display refused the connection.",
                )));
                c.shutdown();
            } else {
                let imp = self.imp();
                imp.conn.replace(None);
                imp.initialized.set(false);
                self.emit(DisplayEvent::Disconnected);
            }
            return;
        };
        // From here on this connection is no longer the display's: what gvnc makes of
        // the rest of the reason (an "unknown message") is not shown.
        let imp = self.imp();
        imp.conn.replace(None);
        imp.initialized.set(false);
        imp.probing.replace(Some(c.clone()));
        let this = self.downgrade();
        let c = c.clone();
        glib::spawn_future_local(async move {
            let reason = gio::spawn_blocking(move || refusal_reason(&host, port))
                .await
                .ok()
                .flatten();
            let Some(this) = this.upgrade() else { return };
            if this.imp().probing.borrow().as_ref() != Some(&c) {
                return; // closed or replaced meanwhile
            }
            this.imp().probing.replace(None);
            c.shutdown();
            let msg = match reason {
                Some(r) if !r.is_empty() => Some(gettext_f(
                    "The display refused the connection: {reason}",
                    &[("reason", &r)],
                )),
                _ if sure => Some(gettext("The display refused the connection.")),
                _ => None,
            };
            if let Some(msg) = msg {
                this.emit(DisplayEvent::Error(msg));
            }
            this.emit(DisplayEvent::Disconnected);
        });
    }
}

/// Connect to `host`:`port` and read the RFB greeting up to the security types: when
/// the server offers none, the reason it gives, else `None`.
pub(super) fn refusal_reason(host: &str, port: u16) -> Option<String> {
    use std::io::{Read, Write};
    use std::net::{TcpStream, ToSocketAddrs};
    use std::time::Duration;
    let addr = (host, port).to_socket_addrs().ok()?.next()?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(3))).ok()?;
    let mut version = [0u8; 12];
    s.read_exact(&mut version).ok()?;
    if !version.starts_with(b"RFB 003.") {
        return None;
    }
    let minor: u32 = std::str::from_utf8(&version[8..11]).ok()?.parse().ok()?;
    let ours: &[u8; 12] = if minor >= 8 {
        b"RFB 003.008\n"
    } else if minor == 7 {
        b"RFB 003.007\n"
    } else {
        b"RFB 003.003\n"
    };
    s.write_all(ours).ok()?;
    let none = if minor >= 7 {
        let mut n = [0u8; 1];
        s.read_exact(&mut n).ok()?;
        n[0] == 0
    } else {
        let mut t = [0u8; 4];
        s.read_exact(&mut t).ok()?;
        u32::from_be_bytes(t) == 0
    };
    if !none {
        return None;
    }
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let len = (u32::from_be_bytes(len) as usize).min(4096);
    let mut reason = vec![0u8; len];
    s.read_exact(&mut reason).ok()?;
    Some(reason_text(&reason))
}
