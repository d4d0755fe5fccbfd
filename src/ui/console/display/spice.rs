//! The display over SPICE: a [`SpiceSession`] beneath the same widget as VNC. Its
//! events become the widget's: the primary surface is the framebuffer (drawn in place,
//! one frame per tick), invalidations mark it dirty, the mouse mode says absolute or
//! relative, the cursor channel gives the cursor, the agent offers "resize guest".
//!
//! Passwords: SPICE has no in-band retry. A server that wants one fails the main
//! channel with an authentication error; without a password given that is
//! [`DisplayEvent::AuthRequired`] (the display stays "open", waiting), and
//! [`GuestDisplay::set_credentials`] connects again with it. A refused password is
//! [`DisplayEvent::AuthFailed`], then `Disconnected`, as with VNC.

use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gdk, glib};

use super::fb::Fb;
use super::session::SpiceTarget;
use super::spice_session::{ChannelKind, ErrorKind, Event, MouseMode, SpiceSession, UsbDevice};
use super::{DisplayEvent, GuestDisplay};
use crate::i18n::{gettext, gettext_f};

impl GuestDisplay {
    /// Connect to a SPICE server (`password`: its ticket, if known). Errors come as
    /// events; `Err` only when spice-client-glib refuses to start at all.
    pub fn open_spice(&self, target: SpiceTarget, password: Option<&str>) -> Result<(), String> {
        quiet_spice_warnings();
        self.close();
        let imp = self.imp();
        imp.fb.replace(None);
        imp.frame.replace(None);
        imp.absolute.set(false);
        imp.local.set(matches!(target, SpiceTarget::Fds(_)));
        imp.addr.replace(None);
        self.reset_guest_resize();
        let session = SpiceSession::new(password);
        imp.spice_password.set(password.is_some());
        imp.spice_target.replace(Some(target.clone()));
        let this = self.downgrade();
        session.connect_event(move |e| {
            if let Some(this) = this.upgrade() {
                this.spice_event(e);
            }
        });
        imp.spice.replace(Some(session.clone()));
        tracing::debug!("spice: connecting");
        session.open(target)
    }

    /// What a failed TLS handshake most likely means, with what the certificate was
    /// checked against.
    fn tls_failure(&self) -> String {
        let session = self.imp().spice.borrow().as_ref().map(|s| s.raw().clone());
        let host = session.as_ref().and_then(|s| s.host()).unwrap_or_default();
        match session.and_then(|s| s.ca_file()) {
            Some(ca) => gettext_f(
                "The display's TLS handshake failed: its certificate must be signed by the \
                 CA in {ca} and name {host}.",
                &[("ca", &ca), ("host", &host)],
            ),
            None => gettext(
                "The display's TLS handshake failed: no CA certificate to check it \
                 against was found (libvirt's /etc/pki/CA/cacert.pem).",
            ),
        }
    }

    /// Whether the display speaks SPICE (connected or connecting).
    pub fn is_spice(&self) -> bool {
        self.imp().spice.borrow().is_some() || self.imp().awaiting_credentials.get()
    }

    /// Keep an SSH tunnel of a SPICE channel open for as long as the session lives.
    pub fn keep_spice_tunnel(&self, tunnel: crate::backend::conn::ssh_tunnel::SshTunnel) {
        if self.is_spice() {
            self.imp().spice_tunnels.borrow_mut().push(tunnel);
        }
    }

    /// End the SPICE session, if any (no event follows), and let go of its memory.
    pub(super) fn close_spice(&self) {
        let imp = self.imp();
        imp.awaiting_credentials.set(false);
        imp.spice_target.replace(None);
        if let Some(s) = imp.spice.take() {
            s.close();
        }
        imp.spice_tunnels.borrow_mut().clear();
        self.drop_spice_primary();
    }

    /// The SPICE surface is going away: no frame may read it afterwards.
    fn drop_spice_primary(&self) {
        let imp = self.imp();
        let spice_owned = imp.fb.borrow().as_ref().is_some_and(|f| f.obj.is_none());
        if spice_owned {
            imp.frame.replace(None);
            imp.fb.replace(None);
            self.queue_draw();
        }
    }

    /// Connect again with the password the server asked for.
    pub(super) fn spice_credentials(&self, password: &str) {
        let imp = self.imp();
        let Some(target) = imp.spice_target.borrow().clone() else {
            return;
        };
        imp.awaiting_credentials.set(false);
        if let Err(e) = self.open_spice(target, Some(password)) {
            self.emit(DisplayEvent::Error(e));
            self.emit(DisplayEvent::Disconnected);
        }
    }

    fn spice_event(&self, e: &Event) {
        let imp = self.imp();
        let Some(session) = imp.spice.borrow().clone() else {
            return;
        };
        match e {
            Event::ChannelOpened(ChannelKind::Main) => self.emit(DisplayEvent::Connected),
            Event::ChannelOpened(k) => {
                tracing::debug!("spice: {k:?} channel open");
                if matches!(k, ChannelKind::Usbredir | ChannelKind::Playback) {
                    self.emit(DisplayEvent::FeaturesChanged);
                }
            }
            Event::PrimaryCreated { width, height } => {
                self.drop_spice_primary();
                let fb = session.primary_memory().and_then(|m| {
                    // SAFETY: the memory is the channel's primary surface, valid until
                    // `PrimaryDestroyed` (handled below: the Fb is dropped then, or
                    // when the session is closed).
                    unsafe { Fb::over_spice_primary(m.data, m.width, m.height, m.stride) }
                });
                let Some(fb) = fb else {
                    let what = session
                        .primary_format()
                        .map(|f| format!("{width}×{height}, format {f}"))
                        .unwrap_or_else(|| format!("{width}×{height}"));
                    self.spice_failed(gettext_f(
                        "The guest's screen ({what}) cannot be shown.",
                        &[("what", &what)],
                    ));
                    return;
                };
                imp.fb.replace(Some(fb));
                imp.dirty.set(true);
                self.queue_resize();
                self.schedule_frame();
                if imp.initialized.replace(true) {
                    self.emit(DisplayEvent::Resized {
                        width: *width,
                        height: *height,
                    });
                } else {
                    self.emit(DisplayEvent::Initialized {
                        width: *width,
                        height: *height,
                    });
                }
            }
            Event::PrimaryDestroyed => self.drop_spice_primary(),
            Event::Mark(_) | Event::CursorMoved { .. } => {}
            Event::Invalidate(_) => {
                imp.rects.set(imp.rects.get() + 1);
                imp.dirty.set(true);
                self.schedule_frame();
            }
            Event::MouseMode(m) => {
                let absolute = *m == MouseMode::Client;
                imp.absolute.set(absolute);
                if absolute {
                    self.ungrab_pointer();
                }
            }
            Event::Cursor(c) => self.set_cursor_rgba(
                c.width as i32,
                c.height as i32,
                c.hot_x as i32,
                c.hot_y as i32,
                &c.rgba,
            ),
            Event::CursorHidden => self
                .show_cursor(Some(&gdk::Cursor::from_name("none", None).unwrap_or_else(
                    || gdk::Cursor::from_name("default", None).expect("a cursor"),
                ))),
            Event::CursorReset => self.show_cursor(None),
            Event::Playback(on) => {
                tracing::debug!("spice: playback {on}");
                self.emit(DisplayEvent::FeaturesChanged);
            }
            Event::ClipboardGrabbed { .. }
            | Event::ClipboardText(_)
            | Event::ClipboardRequested => self.spice_clipboard(e),
            Event::AgentConnected(on) => {
                tracing::debug!("spice: agent connected: {on}");
                self.spice_clipboard(e);
                imp.resize_supported.set(*on);
                if *on {
                    self.emit(DisplayEvent::GuestResizeAvailable);
                    self.schedule_guest_resize();
                }
            }
            Event::Error {
                channel: ChannelKind::Main,
                kind: ErrorKind::Auth,
                message,
            } => {
                if imp.spice_password.get() {
                    self.emit(DisplayEvent::AuthFailed(
                        message.clone().unwrap_or_default(),
                    ));
                    // `Disconnected` follows.
                } else {
                    // Wait for a password, then connect again with it.
                    let target = imp.spice_target.borrow().clone();
                    self.close_spice();
                    imp.spice_target.replace(target);
                    imp.awaiting_credentials.set(true);
                    self.emit(DisplayEvent::AuthRequired { username: false });
                }
            }
            Event::Error {
                channel,
                kind,
                message,
            } => {
                let text = message.clone().unwrap_or_else(|| match kind {
                    ErrorKind::Connect => gettext("Could not connect to the display."),
                    ErrorKind::Tls => self.tls_failure(),
                    ErrorKind::Link => gettext("The display refused the connection."),
                    ErrorKind::Auth => gettext("The display refused the password."),
                    ErrorKind::Io => gettext("The connection to the display broke."),
                });
                tracing::info!("spice: {channel:?} channel: {kind:?}: {text}");
                match channel {
                    // The session ends by itself (Disconnected follows).
                    ChannelKind::Main => self.emit(DisplayEvent::Error(text)),
                    // Without its screen or keyboard a console is no use: end it and
                    // let the page connect again.
                    ChannelKind::Display | ChannelKind::Inputs => self.spice_failed(text),
                    _ => {}
                }
            }
            Event::ChannelClosed(k @ (ChannelKind::Display | ChannelKind::Inputs)) => {
                // Closed by the server while the main channel stays: a channel dropped.
                let k = *k;
                let this = self.downgrade();
                // When the whole session ends, `Disconnected` comes right after the
                // channels close: only a lone channel closing is an error.
                glib::timeout_add_local_once(std::time::Duration::from_millis(500), move || {
                    let Some(this) = this.upgrade() else { return };
                    if this.imp().spice.borrow().as_ref() == Some(&session) {
                        this.spice_failed(gettext_f(
                            "The display closed its {channel} channel.",
                            &[("channel", &format!("{k:?}").to_lowercase())],
                        ));
                    }
                });
            }
            Event::ChannelClosed(_) => {}
            Event::Disconnected => {
                self.close_spice();
                imp.initialized.set(false);
                self.emit(DisplayEvent::Disconnected);
            }
        }
    }

    /// The session cannot go on: close it and say why (`Disconnected` follows).
    fn spice_failed(&self, reason: String) {
        self.close_spice();
        self.imp().initialized.set(false);
        self.emit(DisplayEvent::Error(reason));
        self.emit(DisplayEvent::Disconnected);
    }

    /// Ask the guest (through its SPICE agent) for a screen of this size.
    pub(super) fn spice_guest_size(&self, width: i32, height: i32) -> bool {
        let s = self.imp().spice.borrow().clone();
        s.is_some_and(|s| s.set_guest_size(width, height))
    }

    /// Whether the guest takes USB devices from this computer (SPICE redirection).
    pub fn has_usb_redirection(&self) -> bool {
        let s = self.imp().spice.borrow().clone();
        s.is_some_and(|s| s.has_usb_redirection())
    }

    /// The host's USB devices, and whether each is redirected to the guest.
    pub fn usb_devices(&self) -> Result<Vec<UsbDevice>, String> {
        let s = self.imp().spice.borrow().clone();
        match s {
            Some(s) => s.usb_devices(),
            None => Ok(Vec::new()),
        }
    }

    /// Redirect a host USB device to the guest, or give it back.
    pub fn redirect_usb(
        &self,
        device: &UsbDevice,
        on: bool,
        done: impl FnOnce(Result<(), String>) + 'static,
    ) {
        let s = self.imp().spice.borrow().clone();
        match s {
            Some(s) => s.redirect_usb(&device.device, on, done),
            None => done(Err(gettext("The display is not connected."))),
        }
    }

    /// Whether the guest plays sound through the display.
    pub fn has_audio(&self) -> bool {
        let s = self.imp().spice.borrow().clone();
        s.is_some_and(|s| s.has_audio())
    }

    /// Mute or unmute the guest's sound.
    pub fn set_audio_muted(&self, mute: bool) {
        if let Some(s) = self.imp().spice.borrow().clone() {
            s.set_muted(mute);
        }
    }

    /// Whether the guest plays sound now (through the SPICE playback channel).
    pub fn audio_playing(&self) -> bool {
        let s = self.imp().spice.borrow().clone();
        s.is_some_and(|s| s.is_playing())
    }

    pub fn audio_muted(&self) -> bool {
        let s = self.imp().spice.borrow().clone();
        s.is_some_and(|s| s.is_muted())
    }

    /// Drops of files on the display go to a SPICE guest's agent.
    pub(super) fn setup_file_drop(&self) {
        let target = gtk::DropTarget::new(gdk::FileList::static_type(), gdk::DragAction::COPY);
        let this = self.downgrade();
        target.connect_drop(move |_, value, _, _| {
            let Some(this) = this.upgrade() else {
                return false;
            };
            let Ok(list) = value.get::<gdk::FileList>() else {
                return false;
            };
            this.copy_files_to_guest(list.files());
            true
        });
        self.add_controller(target);
    }

    /// Copy files into the guest (SPICE with its agent); the result comes as
    /// [`DisplayEvent::FilesCopied`].
    pub fn copy_files_to_guest(&self, files: Vec<gtk::gio::File>) {
        let n = files.len();
        let s = self.imp().spice.borrow().clone();
        let this = self.downgrade();
        let started = s.is_some_and(|s| {
            s.copy_files(&files, move |r| {
                if let Some(this) = this.upgrade() {
                    this.emit(DisplayEvent::FilesCopied(r.map(|()| n)));
                }
            })
        });
        if !started {
            self.emit(DisplayEvent::FilesCopied(Err(gettext(
                "Dropping files needs the SPICE agent (spice-vdagent) in the guest.",
            ))));
        }
    }

    /// A weak reference on spice-client-glib's session object (tests check that a
    /// closed session is freed).
    pub fn spice_session_ref(&self) -> Option<glib::WeakRef<glib::Object>> {
        let s = self.imp().spice.borrow().clone()?;
        Some(s.raw().upcast_ref::<glib::Object>().downgrade())
    }
}

/// spice-client-glib warns on stderr about what the widget already reports (a peer
/// that hangs up mid-handshake: "incomplete link header"): its warnings and chatter go
/// to our log instead. Criticals stay where GLib puts them.
fn quiet_spice_warnings() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use glib::{LogLevel, LogLevels};
        glib::log_set_handler(
            Some("GSpice"),
            LogLevels::LEVEL_WARNING
                | LogLevels::LEVEL_MESSAGE
                | LogLevels::LEVEL_INFO
                | LogLevels::LEVEL_DEBUG,
            false,
            false,
            |_, level, message| match level {
                LogLevel::Warning => tracing::info!("spice-client-glib: {message}"),
                _ => tracing::debug!("spice-client-glib: {message}"),
            },
        );
    });
}
