//! `VncDisplay`: a GTK 4 widget showing a VNC server through gvnc (gtk-vnc's GTK-free
//! protocol core, which runs on the GLib main loop without blocking it).
//!
//! Drawing: gvnc decodes into a framebuffer that we own; update rectangles only mark it
//! dirty, and at the next frame-clock tick one `gdk::MemoryTexture` is made of it, so a
//! burst of rectangles costs one texture. The next incremental update request goes out
//! with that tick, so the server never sends faster than we draw.
//!
//! Keys go as QEMU extended key events, from the hardware key code through our own
//! table ([`crate::backend::keymap`]); the keysym rides along for servers without the
//! extension. The pointer is absolute when the server says so (a tablet), relative
//! otherwise.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gtk::glib::translate::{from_glib_full, IntoGlib, ToGlibPtr};
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gdk, glib, graphene};

use crate::backend::keymap;

/// How the guest screen is fitted into the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scaling {
    /// As large as fits, keeping the aspect ratio.
    #[default]
    Fit,
    /// One guest pixel per device pixel; the widget asks for the full size.
    Original,
}

/// What happens on the connection, for the page that shows the states.
#[derive(Debug, Clone, PartialEq)]
pub enum DisplayEvent {
    /// The socket is open; the RFB handshake goes on.
    Connected,
    /// The server wants a password (and maybe a user name): answer with
    /// [`VncDisplay::set_credentials`] or [`VncDisplay::close`].
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
    /// Something went wrong; `Disconnected` follows.
    Error(String),
    Disconnected,
}

type Listener = Rc<dyn Fn(&VncDisplay, &DisplayEvent)>;

/// The pixel layout we ask the server for: 32-bit true colour, 0x00RRGGBB in native
/// byte order, which is BGRX in memory on little-endian machines.
fn local_format() -> gvnc::PixelFormat {
    let order = if cfg!(target_endian = "little") {
        gvnc::ByteOrder::Little
    } else {
        gvnc::ByteOrder::Big
    };
    gvnc::PixelFormat::new_with((255, 255, 255), (16, 8, 0), 24, 32, order, 1)
        .unwrap_or_else(|_| gvnc::PixelFormat::new())
}

/// The GDK format of our pixels once the padding byte is made opaque.
fn memory_format() -> gdk::MemoryFormat {
    if cfg!(target_endian = "little") {
        gdk::MemoryFormat::B8g8r8a8Premultiplied
    } else {
        gdk::MemoryFormat::A8r8g8b8Premultiplied
    }
}

/// Frame buffers of the last frames, reused: a fresh allocation of this size is a
/// fresh mmap, and its page faults cost more than the copy itself.
static POOL: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

fn pooled(len: usize) -> Vec<u8> {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    match pool.iter().position(|v| v.len() == len) {
        Some(i) => pool.swap_remove(i),
        None => vec![0u8; len],
    }
}

/// Pixels handed to GTK (a texture's bytes or a cairo surface's data); the memory goes
/// back to the pool when GTK lets go of it.
struct Pixels(Vec<u8>);

impl AsRef<[u8]> for Pixels {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl AsMut<[u8]> for Pixels {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl Drop for Pixels {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < 4 {
            pool.push(v);
        }
    }
}

/// One frame, in the form the window's renderer takes without converting it: GTK 4.8's
/// cairo renderer turns every texture into a cairo surface through floats (two
/// conversions per pixel), so for it the frame is a cairo image surface (RGB24 ignores
/// the padding byte); other renderers upload a memory texture as it is.
#[derive(Clone)]
pub enum Frame {
    Texture(gdk::Texture),
    Surface(gtk::cairo::ImageSurface),
}

impl Frame {
    fn size(&self) -> (i32, i32) {
        match self {
            Frame::Texture(t) => (t.width(), t.height()),
            Frame::Surface(s) => (s.width(), s.height()),
        }
    }
}

/// The framebuffer gvnc draws into. The pixel memory is owned by the gvnc object (it
/// is dropped with it), so gvnc can never write into freed memory.
pub struct Fb {
    obj: gvnc::BaseFramebuffer,
    width: i32,
    height: i32,
}

/// Largest framebuffer side we accept (what QEMU allows, with room).
const MAX_SIDE: i32 = 16384;

impl Fb {
    fn new(width: i32, height: i32, remote: &gvnc::PixelFormat) -> Option<Fb> {
        if width <= 0 || height <= 0 || width > MAX_SIDE || height > MAX_SIDE {
            return None;
        }
        let mut pixels: Box<[u32]> = vec![0u32; width as usize * height as usize].into();
        let local = local_format();
        let ptr = pixels.as_mut_ptr().cast::<u8>();
        // SAFETY: `ptr` points to width*height*4 writable bytes with the given stride;
        // both formats are valid boxed values for the duration of the call. The returned
        // object is a new reference we own (transfer full).
        let obj: gvnc::BaseFramebuffer = unsafe {
            from_glib_full(gvnc::ffi::vnc_base_framebuffer_new(
                ptr,
                width as u16,
                height as u16,
                width * 4,
                local.to_glib_none().0,
                remote.to_glib_none().0,
            ))
        };
        // SAFETY: the key is used with this type only; the boxed slice (whose heap
        // memory does not move when the box moves) is dropped when the object is
        // finalized, after gvnc's last use of it.
        unsafe {
            obj.set_data("hangar-pixels", pixels);
        }
        Some(Fb { obj, width, height })
    }

    /// A copy of the pixels with the padding byte made opaque, as texture bytes.
    fn opaque_copy(&self) -> Option<Vec<u8>> {
        let words = self.words();
        let n = self.width as usize * self.height as usize;
        if words.len() < n {
            return None;
        }
        let opaque = if cfg!(target_endian = "little") {
            0xff00_0000u32
        } else {
            0x0000_00ffu32
        };
        let mut data = pooled(n * 4);
        for (d, w) in data.chunks_exact_mut(4).zip(&words[..n]) {
            d.copy_from_slice(&(w | opaque).to_ne_bytes());
        }
        Some(data)
    }

    /// The pixels, as 0x00RRGGBB words.
    fn words(&self) -> &[u32] {
        let bytes = gvnc::FramebufferManualExt::buffer(&self.obj);
        // SAFETY: the buffer was allocated as a `[u32]` (so it is aligned) and is kept
        // alive by `self.obj`.
        let (pre, words, _) = unsafe { bytes.align_to::<u32>() };
        if pre.is_empty() {
            words
        } else {
            &[]
        }
    }
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct VncDisplay {
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
        pub absolute: Cell<bool>,
        pub last_request: Cell<Option<Instant>>,
        pub watchdog: RefCell<Option<glib::SourceId>>,
        /// Textures made (frames drawn) and update rectangles received.
        pub frames: Cell<u64>,
        pub rects: Cell<u64>,
        pub local: Cell<bool>,
        /// Window shortcut controllers switched off while the display has focus.
        pub suspended: RefCell<Vec<(glib::WeakRef<gtk::EventController>, gtk::PropagationPhase)>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for VncDisplay {
        const NAME: &'static str = "HangarVncDisplay";
        type Type = super::VncDisplay;
        type ParentType = gtk::Widget;

        fn class_init(klass: &mut Self::Class) {
            klass.set_css_name("vnc-display");
            klass.set_accessible_role(gtk::AccessibleRole::Img);
        }
    }

    impl ObjectImpl for VncDisplay {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().setup();
        }

        fn dispose(&self) {
            self.obj().suspend_window_shortcuts(false);
            self.obj().close();
            if let Some(id) = self.watchdog.take() {
                id.remove();
            }
        }
    }

    impl WidgetImpl for VncDisplay {
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
                Scaling::Fit => (0, full, -1, -1),
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
    pub struct VncDisplay(ObjectSubclass<imp::VncDisplay>)
        @extends gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl Default for VncDisplay {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl VncDisplay {
    pub fn new() -> VncDisplay {
        VncDisplay::default()
    }

    fn setup(&self) {
        self.set_focusable(true);
        self.set_focus_on_click(true);
        self.set_hexpand(true);
        self.set_vexpand(true);
        self.set_overflow(gtk::Overflow::Hidden);

        let key = gtk::EventControllerKey::new();
        let this = self.downgrade();
        key.connect_key_pressed(move |_, keyval, keycode, _| {
            if let Some(this) = this.upgrade() {
                if this.is_ready() {
                    this.send_key(true, keyval.into_glib(), keycode);
                    return glib::Propagation::Stop;
                }
            }
            glib::Propagation::Proceed
        });
        let this = self.downgrade();
        key.connect_key_released(move |_, keyval, keycode, _| {
            if let Some(this) = this.upgrade() {
                this.send_key(false, keyval.into_glib(), keycode);
            }
        });
        self.add_controller(key);

        let focus = gtk::EventControllerFocus::new();
        let this = self.downgrade();
        focus.connect_enter(move |_| {
            if let Some(this) = this.upgrade() {
                this.suspend_window_shortcuts(true);
                if let Some(top) = this
                    .native()
                    .and_then(|n| n.surface())
                    .and_downcast::<gdk::Toplevel>()
                {
                    top.inhibit_system_shortcuts(None::<&gdk::Event>);
                }
            }
        });
        let this = self.downgrade();
        focus.connect_leave(move |_| {
            if let Some(this) = this.upgrade() {
                this.release_all();
                this.suspend_window_shortcuts(false);
                if let Some(top) = this
                    .native()
                    .and_then(|n| n.surface())
                    .and_downcast::<gdk::Toplevel>()
                {
                    top.restore_system_shortcuts();
                }
            }
        });
        self.add_controller(focus);

        let motion = gtk::EventControllerMotion::new();
        let this = self.downgrade();
        motion.connect_motion(move |_, x, y| {
            if let Some(this) = this.upgrade() {
                this.pointer_moved(x, y);
            }
        });
        self.add_controller(motion);

        let buttons = gtk::EventControllerLegacy::new();
        let this = self.downgrade();
        buttons.connect_event(move |_, event| {
            let Some(this) = this.upgrade() else {
                return glib::Propagation::Proceed;
            };
            let pressed = match event.event_type() {
                gdk::EventType::ButtonPress => true,
                gdk::EventType::ButtonRelease => false,
                _ => return glib::Propagation::Proceed,
            };
            let Some(b) = event.downcast_ref::<gdk::ButtonEvent>() else {
                return glib::Propagation::Proceed;
            };
            if pressed && !this.has_focus() {
                this.grab_focus();
            }
            this.button(b.button(), pressed);
            glib::Propagation::Stop
        });
        self.add_controller(buttons);

        let scroll = gtk::EventControllerScroll::new(gtk::EventControllerScrollFlags::BOTH_AXES);
        let this = self.downgrade();
        scroll.connect_scroll(move |_, dx, dy| {
            if let Some(this) = this.upgrade() {
                this.scrolled(dx, dy);
            }
            glib::Propagation::Stop
        });
        self.add_controller(scroll);

        // A safety net: should an update request get lost, ask again now and then.
        let this = self.downgrade();
        let id = glib::timeout_add_local(Duration::from_millis(500), move || {
            let Some(this) = this.upgrade() else {
                return glib::ControlFlow::Break;
            };
            let imp = this.imp();
            let stale = imp
                .last_request
                .get()
                .map_or(true, |t| t.elapsed() > Duration::from_millis(500));
            if stale && this.is_mapped() && !imp.tick_pending.get() {
                this.request_update(true);
            }
            glib::ControlFlow::Continue
        });
        self.imp().watchdog.replace(Some(id));
    }

    /// While the guest has the keyboard, the window's application accelerators (GTK
    /// runs them in the capture phase, before any widget) must not eat its keys:
    /// Delete, F2 or Ctrl+A belong to the guest then.
    fn suspend_window_shortcuts(&self, suspend: bool) {
        let imp = self.imp();
        if suspend {
            let Some(root) = self.root() else { return };
            let list = root.observe_controllers();
            let mut out = Vec::new();
            for i in 0..list.n_items() {
                let Some(c) = list.item(i).and_downcast::<gtk::EventController>() else {
                    continue;
                };
                // The application's accelerators and the menu bar key: shortcut
                // controllers that run before the focus widget sees the key.
                if c.is::<gtk::ShortcutController>()
                    && c.propagation_phase() == gtk::PropagationPhase::Capture
                {
                    out.push((c.downgrade(), c.propagation_phase()));
                    c.set_propagation_phase(gtk::PropagationPhase::None);
                }
            }
            imp.suspended.borrow_mut().extend(out);
        } else {
            for (c, phase) in imp.suspended.take() {
                if let Some(c) = c.upgrade() {
                    c.set_propagation_phase(phase);
                }
            }
        }
    }

    /// Be told what happens on the connection.
    pub fn connect_event(&self, f: impl Fn(&VncDisplay, &DisplayEvent) + 'static) {
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
        self.imp().conn.borrow().is_some()
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
        // gvnc's socket takes the descriptor over and closes it.
        let raw = fd.into_raw_fd();
        conn.open_fd(raw).map_err(|e| e.to_string())
    }

    /// Connect to `host`:`port`.
    pub fn open_host(&self, host: &str, port: u16) -> Result<(), String> {
        let conn = self.new_connection();
        self.imp()
            .local
            .set(host.starts_with("127.") || host == "::1" || host == "localhost");
        conn.open_host(host, &port.to_string())
            .map_err(|e| e.to_string())
    }

    /// Close the connection (no `Disconnected` event follows a close asked for here).
    pub fn close(&self) {
        let imp = self.imp();
        if let Some(c) = imp.conn.take() {
            c.shutdown();
        }
        imp.initialized.set(false);
        imp.buttons.set(0);
        imp.held.borrow_mut().clear();
    }

    /// Answer [`DisplayEvent::AuthRequired`].
    pub fn set_credentials(&self, username: Option<&str>, password: &str) {
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
        self.imp().scaling.set(s);
        self.queue_resize();
    }

    /// The guest screen's size, once known.
    pub fn screen_size(&self) -> Option<(i32, i32)> {
        self.imp().fb.borrow().as_ref().map(|f| (f.width, f.height))
    }

    /// Frames drawn (textures made) and update rectangles received so far.
    pub fn counters(&self) -> (u64, u64) {
        (self.imp().frames.get(), self.imp().rects.get())
    }

    /// The guest screen as it is now, as a texture (for screenshots).
    pub fn current_texture(&self) -> Option<gdk::Texture> {
        let fb = self.imp().fb.borrow();
        let fb = fb.as_ref()?;
        let bytes = glib::Bytes::from_owned(Pixels(fb.opaque_copy()?));
        let t = gdk::MemoryTexture::new(
            fb.width,
            fb.height,
            memory_format(),
            &bytes,
            fb.width as usize * 4,
        );
        Some(t.upcast())
    }

    /// Where the screen is drawn: x, y offset and the scale from guest pixels.
    fn placement(&self) -> Option<(f64, f64, f64)> {
        let (fw, fh) = self.screen_size()?;
        let (w, h) = (self.width() as f64, self.height() as f64);
        let s = match self.imp().scaling.get() {
            Scaling::Fit => (w / fw as f64).min(h / fh as f64),
            Scaling::Original => 1.0 / self.scale_factor().max(1) as f64,
        };
        if s <= 0.0 || !s.is_finite() {
            return None;
        }
        let x = ((w - fw as f64 * s) / 2.0).max(0.0).floor();
        let y = ((h - fh as f64 * s) / 2.0).max(0.0).floor();
        Some((x, y, s))
    }

    fn new_connection(&self) -> gvnc::Connection {
        self.close();
        let imp = self.imp();
        imp.fb.replace(None);
        imp.frame.replace(None);
        imp.absolute.set(false);
        let conn = gvnc::Connection::new();

        let this = self.downgrade();
        conn.connect_vnc_connected(move |_| {
            if let Some(this) = this.upgrade() {
                this.emit(DisplayEvent::Connected);
            }
        });
        conn.connect_vnc_auth_choose_type(|c, types| {
            let offered: Vec<gvnc::ConnectionAuth> = types
                .iter()
                .filter_map(|v| v.get::<gvnc::ConnectionAuth>().ok())
                .collect();
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
        let this = self.downgrade();
        conn.connect_vnc_auth_failure(move |_, reason| {
            if let Some(this) = this.upgrade() {
                this.emit(DisplayEvent::AuthFailed(reason.to_string()));
            }
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
        conn.connect_vnc_framebuffer_update(move |_, _, _, _, _| {
            if let Some(this) = this.upgrade() {
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
            }
        });
        let this = self.downgrade();
        conn.connect_vnc_cursor_changed(move |_, cursor| {
            if let Some(this) = this.upgrade() {
                this.set_remote_cursor(cursor);
            }
        });
        let this = self.downgrade();
        conn.connect_vnc_error(move |_, message| {
            if let Some(this) = this.upgrade() {
                this.emit(DisplayEvent::Error(message.to_string()));
            }
        });
        let this = self.downgrade();
        conn.connect_vnc_disconnected(move |c| {
            let Some(this) = this.upgrade() else { return };
            let imp = this.imp();
            // Only the current connection speaks; one closed on purpose stays quiet.
            let current = imp.conn.borrow().as_ref() == Some(c);
            if current {
                imp.conn.replace(None);
                imp.initialized.set(false);
                this.emit(DisplayEvent::Disconnected);
            }
        });
        imp.conn.replace(Some(conn.clone()));
        conn
    }

    fn initialized(&self, c: &gvnc::Connection) {
        let imp = self.imp();
        let fmt = local_format();
        if c.set_pixel_format(&fmt).is_err() {
            c.shutdown();
            return;
        }
        let (w, h) = (c.width(), c.height());
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
        self.request_update(false);
        self.queue_resize();
        self.emit(DisplayEvent::Initialized {
            width: w,
            height: h,
        });
    }

    fn install_framebuffer(
        &self,
        c: &gvnc::Connection,
        w: i32,
        h: i32,
        remote: &gvnc::PixelFormat,
    ) -> bool {
        let Some(fb) = Fb::new(w, h, remote) else {
            return false;
        };
        if c.set_framebuffer(&fb.obj).is_err() {
            return false;
        }
        let imp = self.imp();
        imp.fb.replace(Some(fb));
        imp.dirty.set(true);
        true
    }

    fn resized(&self, c: &gvnc::Connection, w: i32, h: i32, fmt: Option<&gvnc::PixelFormat>) {
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

    /// Ask the server for the next update of the whole screen.
    fn request_update(&self, incremental: bool) {
        let imp = self.imp();
        if !imp.initialized.get() {
            return;
        }
        let conn = imp.conn.borrow().clone();
        let Some(c) = conn else { return };
        let (w, h) = (
            c.width().clamp(0, u16::MAX as i32),
            c.height().clamp(0, u16::MAX as i32),
        );
        if c.framebuffer_update_request(incremental, 0, 0, w as u16, h as u16)
            .is_ok()
        {
            imp.last_request.set(Some(Instant::now()));
        }
    }

    /// Make a texture at the next frame-clock tick, whatever arrives until then.
    fn schedule_frame(&self) {
        let imp = self.imp();
        if imp.tick_pending.get() || !imp.dirty.get() {
            return;
        }
        imp.tick_pending.set(true);
        self.add_tick_callback(|this, _| {
            let imp = this.imp();
            imp.tick_pending.set(false);
            if imp.dirty.get() {
                this.build_texture();
                this.queue_draw();
            }
            this.request_update(true);
            glib::ControlFlow::Break
        });
    }

    /// One frame of the framebuffer as it is now: a single copy.
    fn build_texture(&self) {
        let imp = self.imp();
        if !imp.dirty.replace(false) {
            return;
        }
        let fb = imp.fb.borrow();
        let Some(fb) = fb.as_ref() else { return };
        let stride = fb.width as usize * 4;
        let frame = if imp.cairo.get() {
            // RGB24 is 0x00RRGGBB in native order, exactly our pixels: a plain copy.
            let src = gvnc::FramebufferManualExt::buffer(&fb.obj);
            let len = stride * fb.height as usize;
            if src.len() < len {
                return;
            }
            let mut data = pooled(len);
            data.copy_from_slice(&src[..len]);
            match gtk::cairo::ImageSurface::create_for_data(
                Pixels(data),
                gtk::cairo::Format::Rgb24,
                fb.width,
                fb.height,
                stride as i32,
            ) {
                Ok(surface) => Frame::Surface(surface),
                Err(e) => {
                    tracing::warn!("vnc: no cairo surface for the frame: {e}");
                    return;
                }
            }
        } else {
            let Some(pixels) = fb.opaque_copy() else {
                return;
            };
            let bytes = glib::Bytes::from_owned(Pixels(pixels));
            let tex = gdk::MemoryTexture::new(fb.width, fb.height, memory_format(), &bytes, stride);
            Frame::Texture(tex.upcast())
        };
        imp.frame.replace(Some(frame));
        imp.frames.set(imp.frames.get() + 1);
    }

    fn set_remote_cursor(&self, cursor: Option<&gvnc::Cursor>) {
        let Some(c) = cursor else {
            self.set_cursor(None);
            return;
        };
        let (w, h) = (c.width() as i32, c.height() as i32);
        let data = c.data();
        if w <= 0 || h <= 0 || data.len() < (w * h * 4) as usize {
            self.set_cursor(None);
            return;
        }
        let bytes = glib::Bytes::from(data);
        let tex =
            gdk::MemoryTexture::new(w, h, gdk::MemoryFormat::R8g8b8a8, &bytes, w as usize * 4);
        let cur = gdk::Cursor::from_texture(&tex, c.hotx() as i32, c.hoty() as i32, None);
        self.set_cursor(Some(&cur));
    }

    fn send_key(&self, down: bool, keysym: u32, keycode: u32) {
        let scancode = keymap::xkb_to_qnum(keycode).unwrap_or(0);
        self.send_scancode(down, keysym, scancode);
    }

    fn send_scancode(&self, down: bool, keysym: u32, scancode: u16) {
        let imp = self.imp();
        let conn = imp.conn.borrow().clone();
        let Some(c) = conn else { return };
        if !imp.initialized.get() {
            return;
        }
        {
            let mut held = imp.held.borrow_mut();
            if down {
                held.insert((keysym, scancode));
            } else if !held.remove(&(keysym, scancode)) {
                // A release whose press we never sent (focus came in with it held).
                if !held.iter().any(|(_, s)| *s == scancode && scancode != 0) {
                    return;
                }
                held.retain(|(_, s)| *s != scancode);
            }
        }
        let _ = c.key_event(down, keysym, scancode);
    }

    /// Release every key held, so none sticks in the guest when focus leaves.
    pub fn release_all(&self) {
        let held: Vec<(u32, u16)> = self.imp().held.borrow().iter().copied().collect();
        for (sym, sc) in held.into_iter().rev() {
            self.send_scancode(false, sym, sc);
        }
    }

    /// Press the keys (evdev codes) in order and release them in reverse: the send-key
    /// menu's combinations.
    pub fn send_keys(&self, evdev: &[u32]) {
        for &k in evdev {
            let sc = keymap::evdev_to_qnum(k).unwrap_or(0);
            self.send_scancode(true, keymap::keysym_of_evdev(k), sc);
        }
        for &k in evdev.iter().rev() {
            let sc = keymap::evdev_to_qnum(k).unwrap_or(0);
            self.send_scancode(false, keymap::keysym_of_evdev(k), sc);
        }
    }

    fn to_guest(&self, x: f64, y: f64) -> Option<(u16, u16)> {
        let (fw, fh) = self.screen_size()?;
        let (ox, oy, s) = self.placement()?;
        let gx = ((x - ox) / s).floor().clamp(0.0, (fw - 1) as f64);
        let gy = ((y - oy) / s).floor().clamp(0.0, (fh - 1) as f64);
        Some((gx as u16, gy as u16))
    }

    fn pointer_moved(&self, x: f64, y: f64) {
        let imp = self.imp();
        let last = imp.last_pos.replace(Some((x, y)));
        if !self.is_ready() {
            return;
        }
        self.send_pointer(last);
    }

    fn send_pointer(&self, last: Option<(f64, f64)>) {
        let imp = self.imp();
        let conn = imp.conn.borrow().clone();
        let Some(c) = conn else { return };
        let Some((x, y)) = imp.last_pos.get() else {
            return;
        };
        if imp.absolute.get() {
            if let Some((gx, gy)) = self.to_guest(x, y) {
                let _ = c.pointer_event(imp.buttons.get(), gx, gy);
            }
        } else {
            // Relative mode: QEMU takes 0x7FFF + delta as a movement.
            let (lx, ly) = last.unwrap_or((x, y));
            let s = self.placement().map(|p| p.2).unwrap_or(1.0);
            let dx = ((x - lx) / s).round().clamp(-0x7000 as f64, 0x7000 as f64) as i32;
            let dy = ((y - ly) / s).round().clamp(-0x7000 as f64, 0x7000 as f64) as i32;
            let _ = c.pointer_event(
                imp.buttons.get(),
                (0x7fff + dx) as u16,
                (0x7fff + dy) as u16,
            );
        }
    }

    fn button(&self, button: u32, pressed: bool) {
        let bit = match button {
            1 => 1u8,
            2 => 2,
            3 => 4,
            _ => return,
        };
        let imp = self.imp();
        let mask = if pressed {
            imp.buttons.get() | bit
        } else {
            imp.buttons.get() & !bit
        };
        imp.buttons.set(mask);
        if self.is_ready() {
            let last = imp.last_pos.get();
            self.send_pointer(last);
        }
    }

    fn scrolled(&self, dx: f64, dy: f64) {
        let imp = self.imp();
        let (mut ax, mut ay) = imp.scroll.get();
        ax += dx;
        ay += dy;
        let mut clicks: Vec<u8> = Vec::new();
        while ay >= 1.0 {
            clicks.push(16); // wheel down (button 5)
            ay -= 1.0;
        }
        while ay <= -1.0 {
            clicks.push(8); // wheel up (button 4)
            ay += 1.0;
        }
        while ax >= 1.0 {
            clicks.push(64); // right (button 7)
            ax -= 1.0;
        }
        while ax <= -1.0 {
            clicks.push(32); // left (button 6)
            ax += 1.0;
        }
        imp.scroll.set((ax, ay));
        if !self.is_ready() {
            return;
        }
        for bit in clicks {
            let base = imp.buttons.get();
            imp.buttons.set(base | bit);
            let last = imp.last_pos.get();
            self.send_pointer(last);
            imp.buttons.set(base);
            self.send_pointer(last);
        }
    }
}
