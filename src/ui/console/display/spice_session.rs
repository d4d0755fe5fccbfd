//! A SPICE protocol session on spice-client-glib (spice-gtk's GTK-free core), shaped
//! like Hangar's VNC session: one object per connection, events out, input in, and the
//! guest screen as a framebuffer with invalidated rectangles.
//!
//! Threading: spice-client-glib runs everything — socket I/O, its coroutines, every
//! signal — on the **global default** `GMainContext` (it attaches its sources with
//! `g_source_attach(src, NULL)` and `g_idle_add`), never a thread-default one. So a
//! [`SpiceSession`] must be made and used on the thread that iterates the default
//! context: in Hangar, the GTK thread. Nothing here blocks: connects, reads and writes
//! are asynchronous (coroutines that yield back to the main loop).
//!
//! The framebuffer: the display channel owns the primary surface's memory (32-bit
//! xRGB: 0x00RRGGBB words in native order, i.e. BGRX bytes on little-endian — the same
//! layout as Hangar's VNC framebuffer). It lives from [`Event::PrimaryCreated`] to
//! [`Event::PrimaryDestroyed`]; spice-client-glib writes into it on the main thread
//! (inside its coroutines) and then emits [`Event::Invalidate`] for the rectangle.
//! [`SpiceSession::primary_memory`] says where it is.

use std::cell::{Cell, RefCell};
use std::os::fd::{IntoRawFd, OwnedFd};
use std::rc::{Rc, Weak};

use glib::prelude::*;
use glib::translate::ToGlibPtr;
use spice::prelude::*;

mod channels;
mod clipboard;
mod media;

/// The kinds of SPICE channel a console cares about (others are `Other(type)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    Main,
    Display,
    Inputs,
    Cursor,
    Playback,
    Record,
    Usbredir,
    Port,
    Other(i32),
}

impl ChannelKind {
    fn of(channel: &spice::Channel) -> ChannelKind {
        use spice::ChannelType as T;
        match spice::ChannelType::try_from(channel.channel_type()) {
            Ok(T::Main) => ChannelKind::Main,
            Ok(T::Display) => ChannelKind::Display,
            Ok(T::Inputs) => ChannelKind::Inputs,
            Ok(T::Cursor) => ChannelKind::Cursor,
            Ok(T::Playback) => ChannelKind::Playback,
            Ok(T::Record) => ChannelKind::Record,
            Ok(T::Usbredir) => ChannelKind::Usbredir,
            Ok(T::Port) => ChannelKind::Port,
            _ => ChannelKind::Other(channel.channel_type()),
        }
    }
}

/// Why a channel failed (spice-client-glib's `SpiceChannelEvent` errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The socket could not be opened (refused, unreachable, no fd given).
    Connect,
    Tls,
    /// The SPICE link handshake failed (wrong protocol, server refused the link).
    Link,
    /// The server refused the password (or ticketing is needed and none was given).
    Auth,
    /// The connection broke while in use.
    Io,
}

/// How the pointer reaches the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseMode {
    /// Relative motion; the guest draws its own pointer (a grab is needed).
    Server,
    /// Absolute positions (a tablet or the agent in the guest): no grab.
    Client,
}

/// Mouse buttons as SPICE knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Left,
    Middle,
    Right,
    Side,
    Extra,
}

impl Button {
    fn code(self) -> i32 {
        use spice::MouseButton as B;
        (match self {
            Button::Left => B::Left,
            Button::Middle => B::Middle,
            Button::Right => B::Right,
            Button::Side => B::Side,
            Button::Extra => B::Extra,
        }) as i32
    }

    fn mask(self) -> i32 {
        match self {
            Button::Left => 1 << 0,
            Button::Middle => 1 << 1,
            Button::Right => 1 << 2,
            Button::Side => 1 << 5,
            Button::Extra => 1 << 6,
        }
    }
}

/// A rectangle of the guest screen, in guest pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

/// A host USB device, as the console's menu shows it.
#[derive(Clone)]
pub struct UsbDevice {
    pub device: spice::UsbDevice,
    pub label: String,
    pub redirected: bool,
}

/// The guest's cursor image: RGBA bytes (straight alpha), `width * height * 4` long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorImage {
    pub width: u32,
    pub height: u32,
    pub hot_x: u32,
    pub hot_y: u32,
    pub rgba: Vec<u8>,
}

/// What happens on the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A channel finished its handshake.
    ChannelOpened(ChannelKind),
    /// The guest screen (re)appeared with this size; [`SpiceSession::primary_memory`]
    /// gives its pixels from now on.
    PrimaryCreated {
        width: i32,
        height: i32,
    },
    /// The guest screen's memory is gone (a mode change follows with a new one).
    PrimaryDestroyed,
    /// The server's "mark": the primary surface is ready to be shown (`true`).
    Mark(bool),
    /// These pixels changed.
    Invalidate(Rect),
    MouseMode(MouseMode),
    /// The guest's cursor shape (cursor channel).
    Cursor(CursorImage),
    /// The guest hid its cursor.
    CursorHidden,
    /// The cursor channel was reset: show the default cursor.
    CursorReset,
    /// Server mouse mode only: where the guest's pointer is.
    CursorMoved {
        x: i32,
        y: i32,
    },
    /// The SPICE agent (spice-vdagent) in the guest came or went.
    AgentConnected(bool),
    /// The guest's clipboard changed (`text`: it holds text to ask for).
    ClipboardGrabbed {
        text: bool,
    },
    /// The guest's clipboard text, asked for with [`SpiceSession::clipboard_request`].
    ClipboardText(String),
    /// The guest pastes the desktop's clipboard: answer with
    /// [`SpiceSession::clipboard_notify`].
    ClipboardRequested,
    /// The guest started (`true`) or stopped playing sound.
    Playback(bool),
    /// A channel failed; for the main channel the session is over and `Disconnected`
    /// follows. `message` is spice-client-glib's own text, where it has one.
    Error {
        channel: ChannelKind,
        kind: ErrorKind,
        message: Option<String>,
    },
    /// The server closed a channel.
    ChannelClosed(ChannelKind),
    /// Every channel is gone. Not sent after [`SpiceSession::close`].
    Disconnected,
}

/// One channel's request for a socket (see [`Target::Fds`]). Answer it now or later,
/// once: [`FdRequest::provide`] or [`FdRequest::fail`]. Dropping it unanswered fails
/// the channel.
pub struct FdRequest {
    channel: Option<spice::Channel>,
    /// The session the channel belongs to: a channel does not keep its session alive,
    /// so the request does (`_raw`, dropped after the channel), and once the session is
    /// closed the channel is left alone.
    session: Weak<Inner>,
    _raw: spice::Session,
    pub kind: ChannelKind,
    /// The channel wants a TLS connection.
    pub tls: bool,
}

impl FdRequest {
    /// The channel, while its session is open.
    fn live_channel(&mut self) -> Option<spice::Channel> {
        let channel = self.channel.take()?;
        let inner = self.session.upgrade()?;
        (!inner.closed.get()).then_some(channel)
    }

    /// Hand the channel its connected socket (it takes the descriptor over). False,
    /// and the socket closed, when the session is gone meanwhile.
    pub fn provide(mut self, fd: OwnedFd) -> bool {
        let Some(channel) = self.live_channel() else {
            return false;
        };
        // spice-client-glib makes a GSocket of the descriptor and closes it with it.
        channel.open_fd(fd.into_raw_fd())
    }

    /// No socket can be had: the channel fails with [`ErrorKind::Connect`].
    pub fn fail(mut self) {
        if let Some(c) = self.live_channel() {
            ChannelExt::disconnect(&c, spice::ChannelEvent::ErrorConnect);
        }
    }
}

impl Drop for FdRequest {
    fn drop(&mut self) {
        if let Some(c) = self.live_channel() {
            ChannelExt::disconnect(&c, spice::ChannelEvent::ErrorConnect);
        }
        // The channel (if still held) goes before the session (`_raw`, a field).
        self.channel.take();
    }
}

pub type FdSource = Rc<dyn Fn(FdRequest)>;

/// The primary surface's memory (see [`SpiceSession::primary_memory`]).
#[derive(Debug, Clone, Copy)]
pub struct PrimaryMemory {
    pub data: *mut u8,
    pub width: i32,
    pub height: i32,
    pub stride: i32,
}
type Listener = Rc<dyn Fn(&Event)>;

/// Where to connect.
#[derive(Clone)]
pub enum Target {
    /// TCP host and port (and TLS port, if any).
    Host {
        host: String,
        port: Option<u16>,
        tls_port: Option<u16>,
        /// The CA the TLS port's certificate is checked against (without one,
        /// spice-client-glib takes ~/.spicec/spice_truststore.pem).
        ca: Option<std::path::PathBuf>,
    },
    /// A socket for every channel from the caller (libvirt's `virDomainOpenGraphicsFD`,
    /// once per channel; an SSH tunnel per channel). The source is called on the main
    /// thread and may answer later (after an asynchronous libvirt call).
    Fds(FdSource),
}

struct Inner {
    session: spice::Session,
    main: RefCell<Option<spice::MainChannel>>,
    display: RefCell<Option<spice::DisplayChannel>>,
    inputs: RefCell<Option<spice::InputsChannel>>,
    cursor: RefCell<Option<spice::CursorChannel>>,
    listeners: RefCell<Vec<Listener>>,
    fd_source: RefCell<Option<FdSource>>,
    buttons: Cell<i32>,
    /// The buttons as the display widget last gave them (VNC's mask layout).
    mask: Cell<u8>,
    /// The person muted the guest's sound.
    muted: Cell<bool>,
    /// The guest plays sound now (between playback start and stop).
    playing: Cell<bool>,
    closed: Cell<bool>,
    /// Channels seen (for the count the tests check and for `close`).
    channels: RefCell<Vec<spice::Channel>>,
}

/// A SPICE connection to one guest display.
#[derive(Clone)]
pub struct SpiceSession {
    inner: Rc<Inner>,
}

impl PartialEq for SpiceSession {
    fn eq(&self, other: &SpiceSession) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

/// spice-client-glib's text for a channel's last error, if any.
fn channel_error(c: &spice::Channel) -> Option<String> {
    c.error().map(|e| e.message().to_string())
}

impl SpiceSession {
    /// A new session (not yet connected). `password`: the SPICE ticket, if any.
    pub fn new(password: Option<&str>) -> SpiceSession {
        let session = spice::Session::new();
        // No 3D: the 2D primary surface is what we draw. Audio and USB redirection
        // when the guest has the channels; no smartcard.
        session.set_gl_scanout(false);
        session.set_enable_audio(true);
        session.set_enable_usbredir(true);
        session.set_enable_smartcard(false);
        if let Some(p) = password {
            session.set_password(Some(p));
        }
        let inner = Rc::new(Inner {
            session,
            main: RefCell::default(),
            display: RefCell::default(),
            inputs: RefCell::default(),
            cursor: RefCell::default(),
            listeners: RefCell::default(),
            fd_source: RefCell::default(),
            buttons: Cell::new(0),
            mask: Cell::new(0),
            muted: Cell::new(false),
            playing: Cell::new(false),
            closed: Cell::new(false),
            channels: RefCell::default(),
        });
        let weak = Rc::downgrade(&inner);
        inner.session.connect_channel_new(move |_, channel| {
            if let Some(inner) = weak.upgrade() {
                Inner::channel_new(&inner, channel);
            }
        });
        let weak = Rc::downgrade(&inner);
        inner.session.connect_channel_destroy(move |_, channel| {
            if let Some(inner) = weak.upgrade() {
                inner.channel_destroyed(channel);
            }
        });
        let weak = Rc::downgrade(&inner);
        inner.session.connect_disconnected(move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.emit(Event::Disconnected);
            }
        });
        SpiceSession { inner }
    }

    /// The spice-client-glib session (for what this wrapper does not cover).
    pub fn raw(&self) -> &spice::Session {
        &self.inner.session
    }

    /// Be told what happens.
    pub fn connect_event(&self, f: impl Fn(&Event) + 'static) {
        self.inner.listeners.borrow_mut().push(Rc::new(f));
    }

    /// Start connecting. Errors come as [`Event::Error`].
    pub fn open(&self, target: Target) -> Result<(), String> {
        let s = &self.inner.session;
        match target {
            Target::Host {
                host,
                port,
                tls_port,
                ca,
            } => {
                s.set_host(Some(&host));
                s.set_port(port.map(|p| p.to_string()).as_deref());
                s.set_tls_port(tls_port.map(|p| p.to_string()).as_deref());
                if let Some(ca) = ca.filter(|_| tls_port.is_some()) {
                    s.set_ca_file(ca.to_str());
                }
                if s.connect() {
                    self.start_audio();
                    Ok(())
                } else {
                    Err("spice-client-glib refused to connect".into())
                }
            }
            Target::Fds(source) => {
                self.inner.fd_source.replace(Some(source));
                // -1: every channel, the main one first, asks through `open-fd`.
                if s.open_fd(-1) {
                    self.start_audio();
                    Ok(())
                } else {
                    Err("spice-client-glib refused the socket".into())
                }
            }
        }
    }

    /// Close every channel. No event follows.
    pub fn close(&self) {
        let inner = &self.inner;
        if inner.closed.replace(true) {
            return;
        }
        inner.session.disconnect();
        inner.main.replace(None);
        inner.display.replace(None);
        inner.inputs.replace(None);
        inner.cursor.replace(None);
        inner.channels.borrow_mut().clear();
        inner.fd_source.replace(None);
    }

    /// The primary surface: its memory, size and stride in bytes (32-bit xRGB only:
    /// 0x00RRGGBB words, the layout of Hangar's VNC framebuffer). The memory belongs to
    /// spice-client-glib: it stays valid until [`Event::PrimaryDestroyed`] is emitted
    /// (the channel waits for the handlers before freeing it), and is written on this
    /// thread only, from the main loop.
    pub fn primary_memory(&self) -> Option<PrimaryMemory> {
        let display = self.inner.display.borrow().clone()?;
        let p = display.primary(0)?;
        let (w, h, stride) = (p.width(), p.height(), p.stride());
        let format = p.format().map(|f| f as u32).unwrap_or_else(|v| v as u32);
        let x32 = format == spice::SurfaceFormat::_32XRGB as u32
            || format == spice::SurfaceFormat::_32ARGB as u32;
        if w == 0 || h == 0 || stride < w * 4 || !x32 {
            return None;
        }
        // SAFETY: `p` is a plain copy of the channel's primary description.
        let data = unsafe { (*p.as_ptr()).data };
        if data.is_null() {
            return None;
        }
        Some(PrimaryMemory {
            data,
            width: w as i32,
            height: h as i32,
            stride: stride as i32,
        })
    }

    /// The format number of the primary surface (to say which one is unsupported).
    pub fn primary_format(&self) -> Option<u32> {
        let display = self.inner.display.borrow().clone()?;
        let p = display.primary(0)?;
        Some(p.format().map(|f| f as u32).unwrap_or_else(|v| v as u32))
    }

    /// A key, as a QEMU key number ("qnum": PC XT set 1, 0x80 added for the 0xE0
    /// prefix — what Hangar's keymap gives for VNC's extended key events).
    pub fn key(&self, qnum: u16, down: bool) {
        let Some(inputs) = self.inner.inputs.borrow().clone() else {
            return;
        };
        let sc = spice_scancode(qnum);
        if down {
            inputs.key_press(sc);
        } else {
            inputs.key_release(sc);
        }
    }

    /// Where the pointer is, in guest pixels (client mouse mode only; ignored in
    /// server mode, where [`SpiceSession::pointer_relative`] applies).
    pub fn pointer_absolute(&self, x: i32, y: i32) {
        if self.mouse_mode() != Some(MouseMode::Client) {
            return;
        }
        if let Some(inputs) = self.inner.inputs.borrow().clone() {
            inputs.position(x, y, 0, self.inner.buttons.get());
        }
    }

    /// A movement by (dx, dy) guest pixels (server mouse mode).
    pub fn pointer_relative(&self, dx: i32, dy: i32) {
        if dx == 0 && dy == 0 {
            return;
        }
        if let Some(inputs) = self.inner.inputs.borrow().clone() {
            inputs.motion(dx, dy, self.inner.buttons.get());
        }
    }

    pub fn button(&self, button: Button, down: bool) {
        let inner = &self.inner;
        let mask = if down {
            inner.buttons.get() | button.mask()
        } else {
            inner.buttons.get() & !button.mask()
        };
        inner.buttons.set(mask);
        let Some(inputs) = inner.inputs.borrow().clone() else {
            return;
        };
        // SPICE's button state is the state after the event.
        if down {
            inputs.button_press(button.code(), mask);
        } else {
            inputs.button_release(button.code(), mask);
        }
    }

    /// Wheel clicks: positive is down (towards the person), negative up. SPICE has no
    /// horizontal wheel.
    pub fn wheel(&self, clicks: i32) {
        let Some(inputs) = self.inner.inputs.borrow().clone() else {
            return;
        };
        let b = if clicks > 0 {
            spice::MouseButton::Down
        } else {
            spice::MouseButton::Up
        } as i32;
        let state = self.inner.buttons.get();
        for _ in 0..clicks.unsigned_abs() {
            inputs.button_press(b, state);
            inputs.button_release(b, state);
        }
    }

    /// The buttons held, in the layout the display widget uses for both protocols
    /// (RFB's mask: 1 left, 2 middle, 4 right, 8 and 16 wheel up and down, 32 and 64
    /// wheel left and right): each change becomes a SPICE press or release, a wheel bit
    /// set a click. SPICE has no horizontal wheel: those bits are dropped.
    pub fn buttons_mask(&self, mask: u8) {
        let old = self.inner.mask.replace(mask);
        for (bit, b) in [(1u8, Button::Left), (2, Button::Middle), (4, Button::Right)] {
            if (old ^ mask) & bit != 0 {
                self.button(b, mask & bit != 0);
            }
        }
        if mask & 8 != 0 && old & 8 == 0 {
            self.wheel(-1);
        }
        if mask & 16 != 0 && old & 16 == 0 {
            self.wheel(1);
        }
    }

    /// Release every button held (focus left the console).
    pub fn release_buttons(&self) {
        self.inner.mask.set(0);
        for b in [
            Button::Left,
            Button::Middle,
            Button::Right,
            Button::Side,
            Button::Extra,
        ] {
            if self.inner.buttons.get() & b.mask() != 0 {
                self.button(b, false);
            }
        }
    }

    pub fn mouse_mode(&self) -> Option<MouseMode> {
        let main = self.inner.main.borrow().clone()?;
        Some(mouse_mode_of(main.mouse_mode()))
    }

    /// Ask for absolute pointing (granted when the guest has a tablet or the agent).
    pub fn request_client_mouse(&self) {
        if let Some(main) = self.inner.main.borrow().clone() {
            main.request_mouse_mode(MOUSE_MODE_CLIENT);
        }
    }

    pub fn agent_connected(&self) -> bool {
        self.inner
            .main
            .borrow()
            .as_ref()
            .is_some_and(|m| m.is_agent_connected())
    }

    /// Ask the guest (through its agent) for a screen of this size. Returns whether
    /// the request went out: without an agent it cannot.
    pub fn set_guest_size(&self, width: i32, height: i32) -> bool {
        let Some(main) = self.inner.main.borrow().clone() else {
            return false;
        };
        // Monitor configs go to the agent; without one spice-client-glib refuses
        // (with a g_critical).
        if !main.is_agent_connected() {
            return false;
        }
        main.update_display_enabled(0, true, false);
        main.update_display(0, 0, 0, width, height, false);
        main.send_monitor_config()
    }

    /// The main channel (clipboard, file transfer, monitors: see FINDINGS.md).
    pub fn main_channel(&self) -> Option<spice::MainChannel> {
        self.inner.main.borrow().clone()
    }

    /// Bytes read so far on every open channel.
    pub fn bytes_received(&self) -> u64 {
        self.inner
            .channels
            .borrow()
            .iter()
            // The crate's `total_read_bytes()` asks GLib for a guint64 and panics
            // (the property is a gulong): read it as one.
            .map(|c| c.property::<glib::ULong>("total-read-bytes").0)
            .sum()
    }

    /// Whether [`SpiceSession::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.get()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if !self.closed.get() {
            self.session.disconnect();
        }
        // The channels go before the session (fields drop in declaration order, the
        // session first): a channel does not keep its session alive.
        self.main.take();
        self.display.take();
        self.inputs.take();
        self.cursor.take();
        self.channels.get_mut().clear();
        self.fd_source.take();
    }
}

/// A QEMU key number (what Hangar's keymap makes) as SPICE's scancode: PC XT set 1,
/// with 0x100 added where the key has the 0xE0 prefix (QEMU adds 0x80 instead).
pub fn spice_scancode(qnum: u16) -> u32 {
    let q = qnum as u32;
    if q & 0x80 != 0 && q < 0x100 {
        0x100 | (q & 0x7f)
    } else {
        q
    }
}

/// `SPICE_MOUSE_MODE_CLIENT` (spice-protocol enums.h).
const MOUSE_MODE_CLIENT: i32 = spice::MouseMode::CLIENT.bits();

fn mouse_mode_of(mode: i32) -> MouseMode {
    if mode == MOUSE_MODE_CLIENT {
        MouseMode::Client
    } else {
        MouseMode::Server
    }
}

/// The cursor channel's last shape, read from the C struct: spice-client-glib always
/// stores it as 32-bit RGBA whatever `type` says (the crate's `CursorShape::data`
/// sizes it by `type` and so is wrong for 16-bit, mono and 4-bit cursors).
fn cursor_image(c: &spice::CursorChannel) -> Option<CursorImage> {
    let shape = c.cursor()?;
    let ptr: *const spice::ffi::SpiceCursorShape = shape.to_glib_none().0;
    // SAFETY: `shape` is a boxed copy we own (g_boxed_copy); the pointer is valid
    // while it lives, and its `data` holds width*height 32-bit pixels (spice-gtk
    // converts every cursor type to RGBA before storing it).
    unsafe {
        let s = &*ptr;
        let (w, h) = (s.width as usize, s.height as usize);
        if s.data.is_null() || w == 0 || h == 0 || w > 512 || h > 512 {
            return None;
        }
        let rgba = std::slice::from_raw_parts(s.data as *const u8, w * h * 4).to_vec();
        Some(CursorImage {
            width: w as u32,
            height: h as u32,
            hot_x: s.hot_spot_x as u32,
            hot_y: s.hot_spot_y as u32,
            rgba,
        })
    }
}

fn error_kind(e: spice::ChannelEvent) -> Option<ErrorKind> {
    use spice::ChannelEvent as E;
    Some(match e {
        E::ErrorConnect => ErrorKind::Connect,
        E::ErrorTls => ErrorKind::Tls,
        E::ErrorLink => ErrorKind::Link,
        E::ErrorAuth => ErrorKind::Auth,
        E::ErrorIo => ErrorKind::Io,
        _ => return None,
    })
}

impl Inner {
    fn emit(&self, e: Event) {
        if self.closed.get() {
            return;
        }
        let listeners: Vec<Listener> = self.listeners.borrow().clone();
        for f in listeners {
            f(&e);
        }
    }

    fn channel_destroyed(&self, channel: &spice::Channel) {
        let kind = ChannelKind::of(channel);
        self.channels.borrow_mut().retain(|c| c != channel);
        let same = |o: Option<spice::Channel>| o.as_ref() == Some(channel);
        match kind {
            ChannelKind::Main if same(self.main.borrow().clone().map(|c| c.upcast())) => {
                self.main.replace(None);
            }
            ChannelKind::Display if same(self.display.borrow().clone().map(|c| c.upcast())) => {
                self.display.replace(None);
            }
            ChannelKind::Inputs if same(self.inputs.borrow().clone().map(|c| c.upcast())) => {
                self.inputs.replace(None);
            }
            ChannelKind::Cursor if same(self.cursor.borrow().clone().map(|c| c.upcast())) => {
                self.cursor.replace(None);
            }
            _ => {}
        }
    }
}

fn weak_of(this: &Rc<Inner>) -> Weak<Inner> {
    Rc::downgrade(this)
}

#[cfg(test)]
mod tests {
    use super::spice_scancode;

    #[test]
    fn qnum_to_spice_scancode() {
        // Plain keys are their set-1 code: Escape, A.
        assert_eq!(spice_scancode(0x01), 0x01);
        assert_eq!(spice_scancode(0x1e), 0x1e);
        // 0xE0-prefixed keys: QEMU adds 0x80, SPICE 0x100. Right Ctrl, Up, KP Enter,
        // Pause (QEMU's 0xc6 is E0 46, as SPICE's 0x146).
        assert_eq!(spice_scancode(0x9d), 0x11d);
        assert_eq!(spice_scancode(0xc8), 0x148);
        assert_eq!(spice_scancode(0x9c), 0x11c);
        assert_eq!(spice_scancode(0xc6), 0x146);
    }
}
