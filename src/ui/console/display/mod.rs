//! `GuestDisplay`: the GTK 4 widget showing a guest's display, over VNC through gvnc
//! (gtk-vnc's GTK-free protocol core) or over SPICE through spice-client-glib
//! (spice-gtk's GTK-free core); both run on the GLib main loop without blocking it. The
//! two differ only in their protocol session ([`session::Session`], `protocol.rs` for
//! VNC, `spice.rs` for SPICE): the frame path, scaling, keymap, send-keys, pointer
//! grab, cursor and screenshots are one code path.
//!
//! Drawing: gvnc decodes into a framebuffer that we own, spice-client-glib into its
//! primary surface; update rectangles only mark it dirty, and at the next frame-clock tick one image is made of it (a memory texture, or
//! for the cairo renderer a cairo surface), so a burst of rectangles costs one image. The next incremental update request goes out
//! with that tick, so the server never sends faster than we draw.
//!
//! Keys go as QEMU extended key events, from the hardware key code through our own
//! table ([`crate::backend::console::keymap`]); the keysym rides along for servers without the
//! extension. The pointer is absolute when the server says so (a tablet), relative
//! otherwise.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::Instant;

use gtk::glib::translate::IntoGlib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gdk, glib, graphene};

mod clipboard;
mod fb;
mod frame;
mod grab;
mod input;
mod protocol;
mod resize;
mod session;
mod spice;
mod spice_session;
pub mod text;

pub use session::{FdRequest, FdSource, SpiceTarget};
pub use spice_session::UsbDevice;

use fb::{Fb, Frame};

/// How the guest screen is fitted into the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scaling {
    /// As large as fits, keeping the aspect ratio.
    #[default]
    Fit,
    /// One guest pixel per device pixel; the widget asks for the full size.
    Original,
    /// The guest's screen follows the widget's size (extended desktop size); drawn as
    /// `Fit` meanwhile, and wherever the server cannot do it.
    Resize,
}

/// What happens on the connection, for the page that shows the states.
#[derive(Debug, Clone, PartialEq)]
pub enum DisplayEvent {
    /// The socket is open; the RFB handshake goes on.
    Connected,
    /// The server wants a password (and maybe a user name): answer with
    /// [`GuestDisplay::set_credentials`] or [`GuestDisplay::close`].
    AuthRequired {
        username: bool,
    },
    /// The server refused the credentials (it closes the connection next).
    AuthFailed(String),
    /// The server asks for an authentication Hangar does not speak.
    AuthUnsupported,
    /// The handshake is done; the screen shows.
    Initialized {
        width: i32,
        height: i32,
    },
    Resized {
        width: i32,
        height: i32,
    },
    /// The server announced that it resizes its screen on request.
    GuestResizeAvailable,
    /// A channel for USB redirection or sound opened (SPICE).
    FeaturesChanged,
    /// Files dropped on the display went to the guest (how many), or why not.
    FilesCopied(Result<usize, String>),
    /// The pointer was grabbed (relative pointer) or let go.
    PointerGrab(bool),
    /// Something went wrong; `Disconnected` follows.
    Error(String),
    Disconnected,
}

type Listener = Rc<dyn Fn(&GuestDisplay, &DisplayEvent)>;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct GuestDisplay {
        pub conn: RefCell<Option<gvnc::Connection>>,
        pub fb: RefCell<Option<Fb>>,
        pub frame: RefCell<Option<Frame>>,
        /// The window draws with GSK's cairo renderer.
        pub cairo: Cell<bool>,
        pub dirty: Cell<bool>,
        pub tick_pending: Cell<bool>,
        pub initialized: Cell<bool>,
        pub scaling: Cell<Scaling>,
        pub listeners: RefCell<Vec<Listener>>,
        pub buttons: Cell<u8>,
        pub last_pos: Cell<Option<(f64, f64)>>,
        pub scroll: Cell<(f64, f64)>,
        /// Keys held down, as (keysym, scancode), released when focus leaves.
        pub held: RefCell<BTreeSet<(u32, u16)>>,
        /// Ctrl and Alt are down together with nothing else (see `release_keyboard`).
        pub release_combo: Cell<bool>,
        pub absolute: Cell<bool>,
        pub last_request: Cell<Option<Instant>>,
        pub watchdog: RefCell<Option<glib::SourceId>>,
        /// Textures made (frames drawn) and update rectangles received.
        pub frames: Cell<u64>,
        pub rects: Cell<u64>,
        pub local: Cell<bool>,
        /// Host and port of a TCP connection (none for a socket handed over).
        pub addr: RefCell<Option<(String, u16)>>,
        /// A connection the server refused, while its reason is asked for again.
        pub probing: RefCell<Option<gvnc::Connection>>,
        /// The server offered authentication, or gvnc reported an error: an end of the
        /// handshake with neither is a refusal whose reason gvnc dropped.
        pub handshake_said: Cell<bool>,
        /// Clipboard sharing with the guest, off until the person turns it on.
        pub clipboard_sharing: Cell<bool>,
        /// The text the guest put on our clipboard last (not to be echoed back).
        pub clipboard_from_guest: RefCell<Option<String>>,
        pub clipboard_handler: RefCell<Option<(gdk::Clipboard, glib::SignalHandlerId)>>,
        /// The server resizes its screen on request; probes made to find out.
        pub resize_supported: Cell<bool>,
        pub resize_probes: Cell<u32>,
        /// The last size asked of the guest, and the debounce timer.
        pub resize_asked: Cell<Option<(u32, u32)>>,
        pub resize_timer: RefCell<Option<glib::SourceId>>,
        /// The pointer is grabbed (X11, relative pointer); the cursor to restore.
        pub grabbed: Cell<bool>,
        pub saved_cursor: RefCell<Option<gdk::Cursor>>,
        /// The SSH tunnel the connection runs through, ended with it.
        pub tunnel: RefCell<Option<crate::backend::conn::ssh_tunnel::SshTunnel>>,
        /// The SPICE session, when the display speaks SPICE.
        pub spice: RefCell<Option<spice_session::SpiceSession>>,
        /// Where the SPICE session connects, kept to connect again with a password.
        pub spice_target: RefCell<Option<SpiceTarget>>,
        /// The SPICE server wants a password: waiting for `set_credentials`.
        pub awaiting_credentials: Cell<bool>,
        /// The SPICE session was opened with a password.
        pub spice_password: Cell<bool>,
        /// SSH tunnels of the SPICE channels, ended with the session.
        pub spice_tunnels: RefCell<Vec<crate::backend::conn::ssh_tunnel::SshTunnel>>,
        /// Window shortcut controllers switched off while the display has focus.
        pub suspended: RefCell<Vec<(glib::WeakRef<gtk::EventController>, gtk::PropagationPhase)>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for GuestDisplay {
        const NAME: &'static str = "HangarGuestDisplay";
        type Type = super::GuestDisplay;
        type ParentType = gtk::Widget;

        fn class_init(klass: &mut Self::Class) {
            klass.set_css_name("guest-display");
            klass.set_accessible_role(gtk::AccessibleRole::Img);
        }
    }

    impl ObjectImpl for GuestDisplay {
        fn constructed(&self) {
            self.parent_constructed();
            fb::keep_frame_memory();
            self.obj().setup();
            self.obj().setup_clipboard();
            self.obj().setup_file_drop();
        }

        fn dispose(&self) {
            self.obj().suspend_window_shortcuts(false);
            self.obj().teardown_clipboard();
            self.obj().close();
            if let Some(id) = self.watchdog.take() {
                id.remove();
            }
            if let Some(id) = self.resize_timer.take() {
                id.remove();
            }
        }
    }

    impl WidgetImpl for GuestDisplay {
        fn measure(&self, orientation: gtk::Orientation, _for_size: i32) -> (i32, i32, i32, i32) {
            let fb = self.fb.borrow();
            let Some(fb) = fb.as_ref() else {
                return (0, 0, -1, -1);
            };
            let sf = self.obj().scale_factor().max(1);
            let side = if orientation == gtk::Orientation::Horizontal {
                fb.width
            } else {
                fb.height
            };
            let full = (side + sf - 1) / sf;
            match self.scaling.get() {
                Scaling::Fit | Scaling::Resize => (0, full, -1, -1),
                Scaling::Original => (full, full, -1, -1),
            }
        }

        fn snapshot(&self, snapshot: &gtk::Snapshot) {
            let obj = self.obj();
            let (w, h) = (obj.width() as f32, obj.height() as f32);
            snapshot.append_color(&gdk::RGBA::BLACK, &graphene::Rect::new(0.0, 0.0, w, h));
            let frame = self.frame.borrow();
            let (Some(frame), Some((x, y, s))) = (frame.as_ref(), obj.placement()) else {
                return;
            };
            let (fw, fh) = frame.size();
            let r = graphene::Rect::new(
                x as f32,
                y as f32,
                (fw as f64 * s) as f32,
                (fh as f64 * s) as f32,
            );
            match frame {
                Frame::Texture(t) => snapshot.append_texture(t, &r),
                Frame::Surface(surface) => {
                    let cr = snapshot.append_cairo(&r);
                    cr.translate(x, y);
                    cr.scale(s, s);
                    if cr.set_source_surface(surface, 0.0, 0.0).is_ok() {
                        let filter = if (s - s.round()).abs() < 1e-6 {
                            gtk::cairo::Filter::Nearest
                        } else {
                            gtk::cairo::Filter::Bilinear
                        };
                        cr.source().set_filter(filter);
                        let _ = cr.paint();
                    }
                }
            }
        }

        fn size_allocate(&self, width: i32, height: i32, baseline: i32) {
            self.parent_size_allocate(width, height, baseline);
            self.obj().schedule_guest_resize();
        }

        fn realize(&self) {
            self.parent_realize();
            let cairo = self
                .obj()
                .native()
                .and_then(|n| n.renderer())
                .is_some_and(|r| r.is::<gtk::gsk::CairoRenderer>());
            self.cairo.set(cairo);
            self.frame.replace(None);
            self.dirty.set(true);
        }

        fn unmap(&self) {
            self.obj().ungrab_pointer();
            self.obj().suspend_window_shortcuts(false);
            self.parent_unmap();
        }

        fn map(&self) {
            self.parent_map();
            // Updates stop while hidden (no ticks, no requests): ask for all of it.
            let obj = self.obj();
            obj.request_update(false);
            obj.schedule_frame();
        }
    }
}

glib::wrapper! {
    pub struct GuestDisplay(ObjectSubclass<imp::GuestDisplay>)
        @extends gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl Default for GuestDisplay {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl GuestDisplay {
    pub fn new() -> GuestDisplay {
        GuestDisplay::default()
    }

    /// Be told what happens on the connection.
    pub fn connect_event(&self, f: impl Fn(&GuestDisplay, &DisplayEvent) + 'static) {
        self.imp().listeners.borrow_mut().push(Rc::new(f));
    }

    fn emit(&self, e: DisplayEvent) {
        tracing::debug!("vnc: {e:?}");
        let listeners: Vec<Listener> = self.imp().listeners.borrow().clone();
        for f in listeners {
            f(self, &e);
        }
    }

    /// Whether a connection is open (handshaking or showing).
    pub fn is_open(&self) -> bool {
        let imp = self.imp();
        imp.conn.borrow().is_some()
            || imp.probing.borrow().is_some()
            || imp.spice.borrow().is_some()
            || imp.awaiting_credentials.get()
    }

    /// The input side of the open session, whichever protocol it speaks.
    pub(super) fn input_session(&self) -> Option<Box<dyn session::Session>> {
        let imp = self.imp();
        if let Some(s) = imp.spice.borrow().clone() {
            return Some(Box::new(s));
        }
        let c = imp.conn.borrow().clone()?;
        Some(Box::new(c))
    }

    /// Whether the screen shows and input goes to the guest.
    pub fn is_ready(&self) -> bool {
        self.imp().initialized.get() && self.is_open()
    }

    /// Connect over a socket that is already open (from `virDomainOpenGraphicsFD`).
    pub fn open_fd(&self, fd: std::os::fd::OwnedFd) -> Result<(), String> {
        use std::os::fd::IntoRawFd;
        let conn = self.new_connection();
        self.imp().local.set(true);
        self.imp().addr.replace(None);
        // gvnc's socket takes the descriptor over and closes it.
        let raw = fd.into_raw_fd();
        conn.open_fd(raw).map_err(|e| e.to_string())
    }

    /// Connect through an SSH tunnel that is already open (it ends when the connection
    /// is closed).
    pub fn open_tunnel(
        &self,
        mut tunnel: crate::backend::conn::ssh_tunnel::SshTunnel,
    ) -> Result<(), String> {
        use std::os::fd::IntoRawFd;
        let Some(fd) = tunnel.take_fd() else {
            return Err("the SSH tunnel has no socket".into());
        };
        let conn = self.new_connection();
        let imp = self.imp();
        imp.local.set(false);
        imp.tunnel.replace(Some(tunnel));
        // gvnc's socket takes the descriptor over and closes it.
        conn.open_fd(fd.into_raw_fd()).map_err(|e| e.to_string())
    }

    /// Whether the connection runs through an SSH tunnel.
    pub fn is_tunnelled(&self) -> bool {
        let imp = self.imp();
        self.is_open() && (imp.tunnel.borrow().is_some() || !imp.spice_tunnels.borrow().is_empty())
    }

    /// Connect to `host`:`port`.
    pub fn open_host(&self, host: &str, port: u16) -> Result<(), String> {
        let conn = self.new_connection();
        self.imp()
            .local
            .set(host.starts_with("127.") || host == "::1" || host == "localhost");
        self.imp().addr.replace(Some((host.to_string(), port)));
        conn.open_host(host, &port.to_string())
            .map_err(|e| e.to_string())
    }

    /// Close the connection (no `Disconnected` event follows a close asked for here).
    pub fn close(&self) {
        self.ungrab_pointer();
        let imp = self.imp();
        if let Some(c) = imp.conn.take() {
            c.shutdown();
        }
        if let Some(c) = imp.probing.take() {
            c.shutdown();
        }
        imp.tunnel.take();
        self.close_spice();
        imp.initialized.set(false);
        imp.buttons.set(0);
        imp.held.borrow_mut().clear();
    }

    /// Answer [`DisplayEvent::AuthRequired`].
    pub fn set_credentials(&self, username: Option<&str>, password: &str) {
        if self.imp().awaiting_credentials.get() {
            self.spice_credentials(password);
            return;
        }
        let Some(c) = self.imp().conn.borrow().clone() else {
            return;
        };
        if let Some(u) = username {
            let _ = c.set_credential(gvnc::ConnectionCredential::Username.into_glib(), u);
        }
        if c.set_credential(gvnc::ConnectionCredential::Password.into_glib(), password)
            .is_err()
        {
            c.shutdown();
        }
    }

    pub fn scaling(&self) -> Scaling {
        self.imp().scaling.get()
    }

    pub fn set_scaling(&self, s: Scaling) {
        let imp = self.imp();
        imp.scaling.set(s);
        imp.resize_asked.set(None);
        self.queue_resize();
        self.schedule_guest_resize();
    }

    /// The guest screen's size, once known.
    pub fn screen_size(&self) -> Option<(i32, i32)> {
        self.imp().fb.borrow().as_ref().map(|f| (f.width, f.height))
    }

    /// Frames drawn (textures made) and update rectangles received so far.
    pub fn counters(&self) -> (u64, u64) {
        (self.imp().frames.get(), self.imp().rects.get())
    }

    /// Where the screen is drawn: x, y offset and the scale from guest pixels.
    fn placement(&self) -> Option<(f64, f64, f64)> {
        let (fw, fh) = self.screen_size()?;
        let (w, h) = (self.width() as f64, self.height() as f64);
        let s = match self.imp().scaling.get() {
            Scaling::Fit | Scaling::Resize => (w / fw as f64).min(h / fh as f64),
            Scaling::Original => 1.0 / self.scale_factor().max(1) as f64,
        };
        if s <= 0.0 || !s.is_finite() {
            return None;
        }
        let x = ((w - fw as f64 * s) / 2.0).max(0.0).floor();
        let y = ((h - fh as f64 * s) / 2.0).max(0.0).floor();
        Some((x, y, s))
    }
}
