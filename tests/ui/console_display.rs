//! The VNC display widget against servers that misbehave: one that sends garbage, one
//! that closes in the middle of the handshake, one that stalls, one that refuses with a
//! reason, and one that changes the screen size 50 times a second. Each must end in an
//! error or a clean disconnection (or keep up), never a crash or a frozen main loop.
//! Runs under Xvfb; the servers are tiny threads on 127.0.0.1.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::time::{Duration, Instant};

use gtk::glib;
use gtk::prelude::*;

use hangar::ui::console::{DisplayEvent, GuestDisplay};

use crate::common;
use crate::gui;
use gui::xdotool;

pub(crate) fn init() {
    let _ = gtk::init();
    hangar::init_resources();
}

/// Run the main loop until `f` holds, or fail after `secs`; returns the longest time
/// one pass of the loop took (a frozen main loop shows here).
pub(crate) fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) -> Duration {
    let ctx = glib::MainContext::default();
    let start = Instant::now();
    let mut worst = Duration::ZERO;
    loop {
        let t = Instant::now();
        while ctx.iteration(false) {}
        worst = worst.max(t.elapsed());
        if f() {
            return worst;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A server on 127.0.0.1 that runs `serve` on the first client, in a thread.
pub(crate) fn server(serve: impl FnOnce(TcpStream) + Send + 'static) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("listen on loopback");
    let port = l.local_addr().expect("local address").port();
    std::thread::spawn(move || {
        if let Ok((s, _)) = l.accept() {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            serve(s);
        }
    });
    port
}

/// A display in a window, connected to 127.0.0.1:`port`, with its events recorded.
fn display(port: u16) -> (gtk::Window, GuestDisplay, Rc<RefCell<Vec<DisplayEvent>>>) {
    init();
    let d = GuestDisplay::new();
    let events: Rc<RefCell<Vec<DisplayEvent>>> = Rc::default();
    let e = events.clone();
    d.connect_event(move |_, ev| e.borrow_mut().push(ev.clone()));
    let win = gtk::Window::new();
    win.set_default_size(400, 300);
    win.set_child(Some(&d));
    win.present();
    d.open_host("127.0.0.1", port)
        .expect("the connection starts");
    (win, d, events)
}

pub(crate) fn ended(events: &RefCell<Vec<DisplayEvent>>) -> bool {
    events
        .borrow()
        .iter()
        .any(|e| matches!(e, DisplayEvent::Disconnected))
}

fn read_n(s: &mut TcpStream, n: usize) -> Option<Vec<u8>> {
    let mut b = vec![0u8; n];
    s.read_exact(&mut b).ok()?;
    Some(b)
}

/// The RFB 3.8 handshake with no authentication, up to the server's init message.
fn handshake(s: &mut TcpStream, w: u16, h: u16) -> Option<()> {
    s.write_all(b"RFB 003.008\n").ok()?;
    read_n(s, 12)?;
    s.write_all(&[1, 1]).ok()?; // one security type: None
    read_n(s, 1)?;
    s.write_all(&0u32.to_be_bytes()).ok()?; // security result: OK
    read_n(s, 1)?; // ClientInit
    let mut init = Vec::new();
    init.extend_from_slice(&w.to_be_bytes());
    init.extend_from_slice(&h.to_be_bytes());
    // 32 bpp, depth 24, little-endian, true colour, 255/255/255, shifts 16/8/0.
    init.extend_from_slice(&[32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
    let name = b"storm";
    init.extend_from_slice(&(name.len() as u32).to_be_bytes());
    init.extend_from_slice(name);
    s.write_all(&init).ok()
}

#[gtk::test]
fn garbage_from_the_server_is_an_error() {
    let port = server(|mut s| {
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        std::thread::sleep(Duration::from_millis(500));
    });
    let (win, d, events) = display(port);
    wait_for("the display to give up", 15, || ended(&events));
    assert!(!d.is_open() && !d.is_ready());
    let ev = events.borrow();
    assert!(
        ev.iter().any(|e| matches!(e, DisplayEvent::Error(_))),
        "an error with a reason: {ev:?}"
    );
    assert!(!ev
        .iter()
        .any(|e| matches!(e, DisplayEvent::Initialized { .. })));
    win.destroy();
}

#[gtk::test]
fn a_server_closing_mid_handshake_disconnects_cleanly() {
    let port = server(|mut s| {
        let _ = s.write_all(b"RFB 003.008\n");
        let _ = read_n(&mut s, 12);
        // Gone before offering any security type.
    });
    let (win, d, events) = display(port);
    wait_for("the disconnection", 15, || ended(&events));
    assert!(!d.is_open());
    assert!(d.screen_size().is_none());
    win.destroy();
}

/// A server on 127.0.0.1 that runs `serve` on each of its first `n` clients.
fn server_n(n: usize, serve: impl Fn(TcpStream) + Send + Sync + 'static) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("listen on loopback");
    let port = l.local_addr().expect("local address").port();
    let serve = std::sync::Arc::new(serve);
    std::thread::spawn(move || {
        for _ in 0..n {
            let Ok((s, _)) = l.accept() else { return };
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let serve = serve.clone();
            std::thread::spawn(move || serve(s));
        }
    });
    port
}

#[gtk::test]
fn a_refusal_ends_in_an_error_with_the_servers_reason() {
    // RFB 3.8: no security types, then the reason. gvnc misreads this (it expects an
    // authentication result first); the display must still show these words.
    let port = server_n(3, |mut s| {
        let _ = s.write_all(b"RFB 003.008\n");
        let _ = read_n(&mut s, 12);
        let reason = b"too many clients, try later";
        let mut m = vec![0u8]; // no security types: a reason follows
        m.extend_from_slice(&(reason.len() as u32).to_be_bytes());
        m.extend_from_slice(reason);
        let _ = s.write_all(&m);
        std::thread::sleep(Duration::from_millis(500));
    });
    let (win, d, events) = display(port);
    wait_for("the disconnection", 15, || ended(&events));
    assert!(!d.is_ready() && !d.is_open());
    let ev = events.borrow();
    assert!(
        ev.iter().any(|e| matches!(e, DisplayEvent::Error(m)
            if m.ends_with(": too many clients, try later"))),
        "an error with the server's reason: {ev:?}"
    );
    assert!(!ev
        .iter()
        .any(|e| matches!(e, DisplayEvent::Initialized { .. })));
    win.destroy();
}

#[gtk::test]
fn a_screen_resized_fifty_times_a_second_keeps_up() {
    const STEPS: usize = 100;
    let sizes: Vec<(u16, u16)> = (0..STEPS)
        .map(|i| (320 + (i as u16 % 7) * 64, 200 + (i as u16 % 5) * 48))
        .collect();
    let last = *sizes.last().expect("sizes");
    let port = server(move |mut s| {
        if handshake(&mut s, 640, 480).is_none() {
            return;
        }
        // Read and drop whatever the client sends, on the side.
        if let Ok(mut r) = s.try_clone() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while matches!(r.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
        for (i, (w, h)) in sizes.into_iter().enumerate() {
            let mut m = vec![0u8, 0];
            m.extend_from_slice(&2u16.to_be_bytes());
            // DesktopSize pseudo-rectangle, then the whole new screen in raw pixels.
            for v in [0u16, 0, w, h] {
                m.extend_from_slice(&v.to_be_bytes());
            }
            m.extend_from_slice(&(-223i32).to_be_bytes());
            for v in [0u16, 0, w, h] {
                m.extend_from_slice(&v.to_be_bytes());
            }
            m.extend_from_slice(&0i32.to_be_bytes());
            let shade = (i * 2) as u8;
            m.extend(
                std::iter::repeat([shade, 0x40, 0x80, 0])
                    .take(w as usize * h as usize)
                    .flatten(),
            );
            if s.write_all(&m).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(1500));
        let _ = s.shutdown(std::net::Shutdown::Both);
    });
    let (win, d, events) = display(port);
    wait_for("the screen", 15, || d.is_ready());
    let worst = wait_for("the last size", 30, || {
        d.screen_size() == Some((last.0 as i32, last.1 as i32))
    });
    let resizes = events
        .borrow()
        .iter()
        .filter(|e| matches!(e, DisplayEvent::Resized { .. }))
        .count();
    // gvnc may fold resizes that queue up behind each other; the last one counts.
    assert!(resizes >= 10, "saw {resizes} resizes");
    assert!(
        worst < Duration::from_secs(1),
        "the main loop froze for {worst:?}"
    );
    let (frames, rects) = d.counters();
    assert!(frames >= 1 && rects >= 1, "frames {frames}, rects {rects}");
    assert!(
        frames <= rects,
        "never more textures than updates: {frames} frames for {rects} rectangles"
    );
    // The server hangs up at the end: a clean disconnection.
    wait_for("the disconnection", 15, || ended(&events));
    assert!(!d.is_open());
    win.destroy();
}

/// A server that asks for a VNC password and refuses whatever comes with `reason`
/// (sent with its trailing NUL counted in the length, as QEMU does).
fn refusing_server(reason: &'static [u8]) -> u16 {
    server(move |mut s| {
        let _ = s.write_all(b"RFB 003.008\n");
        let _ = read_n(&mut s, 12);
        let _ = s.write_all(&[1, 2]); // one security type: VNC authentication
        let _ = read_n(&mut s, 1);
        let _ = s.write_all(&[7u8; 16]); // the challenge
        if read_n(&mut s, 16).is_none() {
            return;
        }
        let mut m = 1u32.to_be_bytes().to_vec(); // failed
        m.extend_from_slice(&(reason.len() as u32).to_be_bytes());
        m.extend_from_slice(reason);
        let _ = s.write_all(&m);
        std::thread::sleep(Duration::from_millis(500));
    })
}

/// Connect to a server that asks for a password and refuses it with `reason`; the
/// reasons the display reported (`AuthFailed`) and all its events, for messages.
fn refusal_reasons(reason: &'static [u8]) -> (Vec<String>, String) {
    let port = refusing_server(reason);
    let (win, d, events) = display(port);
    wait_for("the password question", 15, || {
        events
            .borrow()
            .iter()
            .any(|e| matches!(e, DisplayEvent::AuthRequired { .. }))
    });
    d.set_credentials(None, "wrong");
    wait_for("the disconnection", 15, || ended(&events));
    win.destroy();
    let ev = events.borrow();
    let failed = ev
        .iter()
        .filter_map(|e| match e {
            DisplayEvent::AuthFailed(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    (failed, format!("{ev:?}"))
}

#[gtk::test]
fn a_refused_password_reports_the_servers_reason() {
    let (failed, events) = refusal_reasons(b"Authentication failed\0");
    assert_eq!(failed, ["Authentication failed"], "{events}");
}

#[gtk::test]
fn a_refusal_in_latin1_is_read_not_garbled() {
    let (failed, events) = refusal_reasons(b"Mot de passe refus\xe9");
    assert!(
        failed.iter().any(|r| r == "Mot de passe refusé"),
        "{events}"
    );
}

/// A message from the client, as the in-test server parsed it.
#[derive(Debug, Clone, PartialEq)]
enum ClientMsg {
    PixelFormat,
    Encodings(Vec<i32>),
    UpdateRequest {
        incremental: bool,
    },
    Key,
    Pointer {
        mask: u8,
        x: u16,
        y: u16,
    },
    CutText(Vec<u8>),
    /// SetDesktopSize: width, height, and the screens as sent.
    DesktopSize {
        w: u16,
        h: u16,
        screens: u8,
        len: usize,
    },
    QemuKey,
}

/// A server speaking enough RFB 3.8 to talk to the display: it sends what it is given
/// and hands on every message the client sends, parsed.
struct Rfb {
    port: u16,
    from_client: std::sync::mpsc::Receiver<ClientMsg>,
    to_client: std::sync::mpsc::Sender<Vec<u8>>,
    seen: RefCell<Vec<ClientMsg>>,
}

impl Rfb {
    fn start(w: u16, h: u16) -> Rfb {
        Rfb::answering(w, h, |_| None)
    }

    /// A server that also answers messages: `answer` gives the bytes to send back.
    fn answering(
        w: u16,
        h: u16,
        answer: impl Fn(&ClientMsg) -> Option<Vec<u8>> + Send + 'static,
    ) -> Rfb {
        let (tx_msg, from_client) = std::sync::mpsc::channel();
        let (to_client, rx_out) = std::sync::mpsc::channel::<Vec<u8>>();
        let answers = to_client.clone();
        let port = server(move |mut s| {
            if handshake(&mut s, w, h).is_none() {
                return;
            }
            let Ok(mut r) = s.try_clone() else { return };
            let _ = r.set_read_timeout(None);
            std::thread::spawn(move || {
                while let Some(m) = read_client_msg(&mut r) {
                    if let Some(out) = answer(&m) {
                        let _ = answers.send(out);
                    }
                    if tx_msg.send(m).is_err() {
                        return;
                    }
                }
            });
            while let Ok(out) = rx_out.recv() {
                if s.write_all(&out).is_err() {
                    return;
                }
            }
        });
        Rfb {
            port,
            from_client,
            to_client,
            seen: RefCell::default(),
        }
    }

    fn send(&self, bytes: Vec<u8>) {
        self.to_client.send(bytes).expect("the server runs");
    }

    /// Everything the client sent so far.
    fn messages(&self) -> std::cell::Ref<'_, Vec<ClientMsg>> {
        while let Ok(m) = self.from_client.try_recv() {
            self.seen.borrow_mut().push(m);
        }
        self.seen.borrow()
    }

    fn cut_texts(&self) -> Vec<Vec<u8>> {
        self.messages()
            .iter()
            .filter_map(|m| match m {
                ClientMsg::CutText(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }
}

fn read_client_msg(r: &mut TcpStream) -> Option<ClientMsg> {
    let t = read_n(r, 1)?[0];
    Some(match t {
        0 => {
            read_n(r, 19)?;
            ClientMsg::PixelFormat
        }
        2 => {
            let b = read_n(r, 3)?;
            let n = u16::from_be_bytes([b[1], b[2]]) as usize;
            let e = read_n(r, 4 * n)?;
            ClientMsg::Encodings(
                e.chunks_exact(4)
                    .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            )
        }
        3 => {
            let b = read_n(r, 9)?;
            ClientMsg::UpdateRequest {
                incremental: b[0] != 0,
            }
        }
        4 => {
            read_n(r, 7)?;
            ClientMsg::Key
        }
        5 => {
            let b = read_n(r, 5)?;
            ClientMsg::Pointer {
                mask: b[0],
                x: u16::from_be_bytes([b[1], b[2]]),
                y: u16::from_be_bytes([b[3], b[4]]),
            }
        }
        6 => {
            let b = read_n(r, 7)?;
            let len = u32::from_be_bytes([b[3], b[4], b[5], b[6]]) as usize;
            ClientMsg::CutText(read_n(r, len)?)
        }
        251 => {
            let b = read_n(r, 7)?;
            let screens = b[5];
            read_n(r, 16 * screens as usize)?;
            ClientMsg::DesktopSize {
                w: u16::from_be_bytes([b[1], b[2]]),
                h: u16::from_be_bytes([b[3], b[4]]),
                screens,
                len: 8 + 16 * screens as usize,
            }
        }
        255 => {
            let sub = read_n(r, 1)?[0];
            if sub != 0 {
                return None;
            }
            read_n(r, 10)?;
            ClientMsg::QemuKey
        }
        _ => return None,
    })
}

/// ServerCutText with `text` as it goes on the wire.
fn server_cut_text(text: &[u8]) -> Vec<u8> {
    let mut m = vec![3u8, 0, 0, 0];
    m.extend_from_slice(&(text.len() as u32).to_be_bytes());
    m.extend_from_slice(text);
    m
}

/// The clipboard's text, read through GDK (the main loop runs meanwhile).
fn clipboard_text(c: &gtk::gdk::Clipboard) -> Option<String> {
    let out: Rc<RefCell<Option<Option<String>>>> = Rc::default();
    let o = out.clone();
    c.read_text_async(None::<&gtk::gio::Cancellable>, move |r| {
        o.replace(Some(r.ok().flatten().map(|s| s.to_string())));
    });
    wait_for("the clipboard's text", 5, || out.borrow().is_some());
    out.take().flatten()
}

/// Let the main loop run for `ms` milliseconds.
fn pump(ms: u64) {
    let end = Instant::now() + Duration::from_millis(ms);
    wait_for("time to pass", 30, || Instant::now() >= end);
}

#[gtk::test]
fn the_clipboard_crosses_only_while_sharing_is_on() {
    let rfb = Rfb::start(320, 200);
    let (win, d, _events) = display(rfb.port);
    wait_for("the screen", 15, || d.is_ready());
    assert!(!d.clipboard_sharing(), "sharing starts off");
    let clip = d.clipboard();

    // Off: neither way.
    clip.set_text("host secret");
    pump(400);
    rfb.send(server_cut_text(b"guest secret"));
    pump(400);
    assert_eq!(
        rfb.cut_texts(),
        Vec::<Vec<u8>>::new(),
        "nothing sent while off"
    );
    assert_eq!(clipboard_text(&clip).as_deref(), Some("host secret"));

    // On: what the desktop holds goes over at once, in Latin-1.
    d.set_clipboard_sharing(true);
    wait_for("the first cut text", 5, || !rfb.cut_texts().is_empty());
    assert_eq!(rfb.cut_texts(), vec![b"host secret".to_vec()]);
    // Characters Latin-1 lacks (€, emoji) are dropped, the rest converted.
    clip.set_text("Grüße: 5 € 🙂!");
    wait_for("the second cut text", 5, || rfb.cut_texts().len() == 2);
    assert_eq!(rfb.cut_texts()[1], b"Gr\xfc\xdfe: 5  !".to_vec());
    // The guest copies: Latin-1 becomes UTF-8 on the desktop's clipboard.
    rfb.send(server_cut_text(b"caf\xe9 cr\xe8me"));
    wait_for("the guest's text on the clipboard", 5, || {
        clipboard_text(&clip).as_deref() == Some("café crème")
    });
    pump(400);
    assert_eq!(
        rfb.cut_texts().len(),
        2,
        "the guest's text is not echoed back"
    );

    // Off again: nothing crosses.
    d.set_clipboard_sharing(false);
    clip.set_text("after");
    rfb.send(server_cut_text(b"guest again"));
    pump(600);
    assert_eq!(rfb.cut_texts().len(), 2);
    assert_eq!(clipboard_text(&clip).as_deref(), Some("after"));
    win.destroy();
}

#[gtk::test]
fn clipboard_sharing_is_remembered_per_vm() {
    use hangar::model::{Connection, Vm};
    use hangar::ui::console::ConsolePage;
    init();
    // The test driver's default node and its domain "test".
    let conn = Connection::new("test:///default", false, false);
    conn.connect_now();
    wait_for("the connection to load", 30, || conn.loaded());
    let vms: Vec<Vm> = conn.domains().iter::<Vm>().flatten().collect();
    assert!(!vms.is_empty(), "the test node has a domain");
    let a = vms[0].clone();
    let settings = hangar::settings::settings();
    settings
        .set_strv("console-clipboard-vms", Vec::<String>::new())
        .expect("settings writable");

    let page = ConsolePage::new();
    page.set_vm(Some(&a));
    assert!(!page.clipboard_sharing(), "off until turned on");
    assert!(!page.display().clipboard_sharing());
    page.toggle_clipboard_sharing(true);
    assert!(page.display().clipboard_sharing());
    assert_eq!(
        settings
            .strv("console-clipboard-vms")
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        vec![a.uuid()]
    );

    // No VM, then the same VM again in a new page (a restart): still on.
    page.set_vm(None);
    assert!(!page.display().clipboard_sharing(), "no VM, no sharing");
    let page2 = ConsolePage::new();
    page2.set_vm(Some(&a));
    assert!(page2.clipboard_sharing() && page2.display().clipboard_sharing());
    // Switched off in one window, the other follows.
    page.set_vm(Some(&a));
    page2.toggle_clipboard_sharing(false);
    assert!(!page.clipboard_sharing() && !page.display().clipboard_sharing());
    assert!(settings.strv("console-clipboard-vms").is_empty());
    conn.backend().shutdown();
}

/// A FramebufferUpdate with an ExtendedDesktopSize rectangle (one screen of `w`×`h`):
/// `reason` 0 announces the extension, 1 answers the client's request.
fn ext_desktop_size(reason: u16, status: u16, w: u16, h: u16) -> Vec<u8> {
    let mut m = vec![0u8, 0, 0, 1];
    for v in [reason, status, w, h] {
        m.extend_from_slice(&v.to_be_bytes());
    }
    m.extend_from_slice(&(-308i32).to_be_bytes());
    m.extend_from_slice(&[1, 0, 0, 0]);
    m.extend_from_slice(&0u32.to_be_bytes()); // screen id
    for v in [0u16, 0, w, h] {
        m.extend_from_slice(&v.to_be_bytes());
    }
    m.extend_from_slice(&0u32.to_be_bytes()); // flags
    m
}

/// A FramebufferUpdate of one raw grey pixel at the origin.
fn one_pixel() -> Vec<u8> {
    let mut m = vec![0u8, 0, 0, 1];
    for v in [0u16, 0, 1, 1] {
        m.extend_from_slice(&v.to_be_bytes());
    }
    m.extend_from_slice(&0i32.to_be_bytes());
    m.extend_from_slice(&[0x80, 0x80, 0x80, 0]);
    m
}

/// A server with the extended desktop size extension (when `ext`): it announces it in
/// answer to the first full update request and follows SetDesktopSize.
fn resizing_server(ext: bool) -> Rfb {
    let announced = std::sync::atomic::AtomicBool::new(false);
    Rfb::answering(640, 480, move |m| match m {
        ClientMsg::UpdateRequest { incremental: false } => {
            let mut out = Vec::new();
            if ext && !announced.swap(true, std::sync::atomic::Ordering::SeqCst) {
                out.extend(ext_desktop_size(0, 0, 640, 480));
            }
            out.extend(one_pixel());
            Some(out)
        }
        ClientMsg::DesktopSize { w, h, .. } if ext => Some(ext_desktop_size(1, 0, *w, *h)),
        _ => None,
    })
}

fn desktop_sizes(rfb: &Rfb) -> Vec<ClientMsg> {
    rfb.messages()
        .iter()
        .filter(|m| matches!(m, ClientMsg::DesktopSize { .. }))
        .cloned()
        .collect()
}

#[gtk::test]
fn the_guest_follows_the_window_once_it_stops_moving() {
    let rfb = resizing_server(true);
    let (win, d, events) = display(rfb.port);
    wait_for("the screen", 15, || d.is_ready());
    wait_for("the extension to be seen", 15, || d.can_resize_guest());
    assert!(events
        .borrow()
        .iter()
        .any(|e| matches!(e, DisplayEvent::GuestResizeAvailable)));
    pump(500);
    // The probe that found it asked for the size the guest has: nothing more yet.
    let probes = desktop_sizes(&rfb);
    assert!(
        probes
            .iter()
            .all(|m| matches!(m, ClientMsg::DesktopSize { w: 640, h: 480, .. })),
        "{probes:?}"
    );

    d.set_scaling(hangar::ui::console::Scaling::Resize);
    // A window edge dragged: many sizes, 40 ms apart.
    for (i, (w, h)) in [(420, 310), (450, 320), (480, 330), (510, 340), (530, 350)]
        .into_iter()
        .enumerate()
    {
        win.set_default_size(w, h);
        pump(40);
        if i == 0 {
            wait_for("the window to take a new size", 5, || d.width() != 400);
        }
    }
    let (ww, wh) = (d.width(), d.height());
    wait_for("the guest to be asked", 5, || {
        desktop_sizes(&rfb).len() > probes.len()
    });
    pump(600);
    let asked: Vec<ClientMsg> = desktop_sizes(&rfb).split_off(probes.len());
    // One request, after the dragging stopped, for the widget's size in device pixels,
    // as a SetDesktopSize of one screen (8 + 16 bytes).
    let sf = d.scale_factor();
    assert_eq!(
        asked,
        vec![ClientMsg::DesktopSize {
            w: (ww * sf) as u16,
            h: (wh * sf) as u16,
            screens: 1,
            len: 24
        }],
        "one debounced request"
    );
    wait_for("the guest's new size", 5, || {
        d.screen_size() == Some((ww * sf, wh * sf))
    });
    win.destroy();
}

#[gtk::test]
fn without_the_extension_resize_falls_back_to_fit() {
    let rfb = resizing_server(false);
    let (win, d, events) = display(rfb.port);
    wait_for("the screen", 15, || d.is_ready());
    pump(800);
    assert!(!d.can_resize_guest());
    d.set_scaling(hangar::ui::console::Scaling::Resize);
    win.set_default_size(500, 350);
    pump(1000);
    assert!(
        desktop_sizes(&rfb).is_empty(),
        "nothing asked of a server that cannot"
    );
    assert_eq!(d.screen_size(), Some((640, 480)));
    assert!(!events
        .borrow()
        .iter()
        .any(|e| matches!(e, DisplayEvent::GuestResizeAvailable)));
    win.destroy();
}

/// Where the X pointer is, on the screen.
fn pointer_location() -> (i32, i32) {
    let s = xdotool(&["getmouselocation", "--shell"]);
    let get = |k: &str| -> i32 {
        s.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.trim().parse().ok())
            .expect("a coordinate")
    };
    (get("X="), get("Y="))
}

/// A PointerTypeChange pseudo-rectangle: the guest's pointer is relative (no tablet).
fn relative_pointer() -> Vec<u8> {
    let mut m = vec![0u8, 0, 0, 1];
    for v in [0u16, 0, 0, 0] {
        m.extend_from_slice(&v.to_be_bytes());
    }
    m.extend_from_slice(&(-257i32).to_be_bytes());
    m
}

#[gtk::test]
fn a_click_grabs_the_pointer_and_ctrl_alt_lets_go() {
    let told = std::sync::atomic::AtomicBool::new(false);
    let rfb = Rfb::answering(640, 480, move |m| match m {
        ClientMsg::UpdateRequest { incremental: false } => {
            let mut out = Vec::new();
            if !told.swap(true, std::sync::atomic::Ordering::SeqCst) {
                out.extend(relative_pointer());
            }
            out.extend(one_pixel());
            Some(out)
        }
        _ => None,
    });
    let (win, d, events) = display(rfb.port);
    let title = format!("hangar-grab-test-{}", std::process::id());
    win.set_title(Some(&title));
    wait_for("the screen", 15, || d.is_ready());
    pump(500);
    assert!(!d.pointer_grabbed());

    // Where the display's middle is on the screen.
    let (wx, wy, ww, wh) = gui::window_geometry(&title);
    let centre = gui::screen_centre(&d, &title);

    // A click into the console grabs; the pointer goes to the middle.
    xdotool(&[
        "mousemove",
        &(centre.0 - 50).to_string(),
        &(centre.1 - 30).to_string(),
        "click",
        "1",
    ]);
    wait_for("the grab", 5, || d.pointer_grabbed());
    assert!(events
        .borrow()
        .iter()
        .any(|e| matches!(e, DisplayEvent::PointerGrab(true))));
    pump(200);
    let at = pointer_location();
    assert!(
        (at.0 - centre.0).abs() <= 1 && (at.1 - centre.1).abs() <= 1,
        "the pointer sits in the middle: {at:?} vs {centre:?}"
    );

    // Motion reaches the guest as relative movement (0x7FFF + delta), and the pointer
    // is put back in the middle.
    let before = rfb.messages().len();
    xdotool(&["mousemove_relative", "--", "40", "24"]);
    pump(300);
    let moves: Vec<(i32, i32)> = rfb.messages()[before..]
        .iter()
        .filter_map(|m| match m {
            ClientMsg::Pointer { x, y, .. } => Some((*x as i32 - 0x7fff, *y as i32 - 0x7fff)),
            _ => None,
        })
        .collect();
    let (sx, sy) = moves.iter().fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
    // The guest screen is drawn scaled (640×480 into the window): the deltas are in
    // guest pixels, so larger than the 40×24 the pointer moved.
    assert!(
        sx > 40 && sy > 24 && sx < 200 && sy < 120,
        "relative deltas {moves:?}"
    );
    let at = pointer_location();
    assert!(
        (at.0 - centre.0).abs() <= 1 && (at.1 - centre.1).abs() <= 1,
        "back in the middle: {at:?}"
    );

    // Confined: a jump far outside the window stays inside it.
    xdotool(&["mousemove", "1270", "790"]);
    pump(300);
    let at = pointer_location();
    assert!(
        at.0 >= wx && at.0 < wx + ww && at.1 >= wy && at.1 < wy + wh,
        "the pointer stays in the window {wx},{wy} {ww}×{wh}: {at:?}"
    );

    // Ctrl+Alt lets go: the pointer moves freely again.
    xdotool(&["key", "ctrl+alt"]);
    wait_for("the pointer to be let go", 5, || !d.pointer_grabbed());
    xdotool(&["mousemove", "1270", "790"]);
    pump(200);
    assert_eq!(pointer_location(), (1270, 790));
    win.destroy();
}

#[gtk::test]
fn an_absolute_pointer_is_not_grabbed() {
    // No PointerTypeChange from this server: gvnc takes the pointer as absolute.
    let rfb = Rfb::answering(640, 480, |m| match m {
        ClientMsg::UpdateRequest { incremental: false } => Some(one_pixel()),
        _ => None,
    });
    let (win, d, _events) = display(rfb.port);
    let title = format!("hangar-abs-test-{}", std::process::id());
    win.set_title(Some(&title));
    wait_for("the screen", 15, || d.is_ready());
    pump(300);
    let wid = xdotool(&["search", "--name", &title]);
    let wid = wid.lines().next().expect("the window").to_string();
    xdotool(&["mousemove", "--window", &wid, "200", "150", "click", "1"]);
    wait_for("the click", 5, || {
        rfb.messages()
            .iter()
            .any(|m| matches!(m, ClientMsg::Pointer { mask: 1, .. }))
    });
    pump(200);
    assert!(d.has_focus(), "the click reached the display");
    assert!(!d.pointer_grabbed(), "absolute pointer: no grab");
    // Absolute positions: inside the 640×480 screen, not 0x7FFF-based deltas.
    assert!(rfb.messages().iter().all(|m| match m {
        ClientMsg::Pointer { x, y, .. } => *x < 640 && *y < 480,
        _ => true,
    }));
    win.destroy();
}

/// Run xclip on the clipboard of this test's X display, with `input` on its standard
/// input; the main loop runs meanwhile (the display may be the one to answer).
fn xclip(args: &[&str], input: Option<&str>) -> String {
    use std::process::{Command, Stdio};
    let mut child = Command::new("xclip")
        .args(["-selection", "clipboard"])
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .spawn()
        .expect("xclip runs (package xclip)");
    if let Some(text) = input {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(text.as_bytes()).expect("text for xclip");
    }
    let mut out = String::new();
    if input.is_none() {
        let mut stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        wait_for("xclip to read the clipboard", 10, || {
            matches!(child.try_wait(), Ok(Some(_)))
        });
        out = reader.join().expect("xclip's output");
    } else {
        // xclip stays in the background owning the selection; it has taken it once
        // its first process has exited.
        wait_for("xclip to own the clipboard", 10, || {
            matches!(child.try_wait(), Ok(Some(_)))
        });
    }
    out
}

#[gtk::test]
fn the_clipboard_crosses_to_and_from_other_applications() {
    let rfb = Rfb::start(320, 200);
    let (win, d, _events) = display(rfb.port);
    wait_for("the screen", 15, || d.is_ready());
    d.set_clipboard_sharing(true);
    pump(300);
    let before = rfb.cut_texts().len();
    // Another X client copies: the guest gets it, in Latin-1.
    xclip(&["-i"], Some("von außen kopiert"));
    wait_for("the other application's text", 10, || {
        rfb.cut_texts().len() > before
    });
    assert_eq!(
        rfb.cut_texts().last().cloned(),
        Some(b"von au\xdfen kopiert".to_vec())
    );
    // The guest copies: another X client pastes it, in UTF-8.
    rfb.send(server_cut_text(b"Gr\xfc\xdfe aus dem Gast"));
    pump(400);
    assert_eq!(
        xclip(&["-o", "-t", "UTF8_STRING"], None),
        "Grüße aus dem Gast"
    );
    win.destroy();
}

#[gtk::test]
fn an_rfb_3_3_refusal_ends_with_the_servers_reason() {
    // RFB 3.3: security type 0, then the reason. gvnc ends without a word about it.
    let port = server_n(3, |mut s| {
        let _ = s.write_all(b"RFB 003.003\n");
        let _ = read_n(&mut s, 12);
        let reason = b"no more connections (3.3)";
        let mut m = 0u32.to_be_bytes().to_vec();
        m.extend_from_slice(&(reason.len() as u32).to_be_bytes());
        m.extend_from_slice(reason);
        let _ = s.write_all(&m);
        std::thread::sleep(Duration::from_millis(500));
    });
    let (win, d, events) = display(port);
    wait_for("the disconnection", 15, || ended(&events));
    assert!(!d.is_open());
    let ev = events.borrow();
    assert!(
        ev.iter().any(|e| matches!(e, DisplayEvent::Error(m)
            if m.ends_with(": no more connections (3.3)"))),
        "an error with the server's reason: {ev:?}"
    );
    win.destroy();
}

/// A guest whose VNC server accepts and then says nothing (or stops after its version
/// line): the Console tab gives up with a reason after its handshake time, and the main
/// loop keeps running all along. The guest is a running domain of libvirt's test driver
/// whose `<graphics>` points at the stalling server on 127.0.0.1.
#[gtk::test]
fn a_display_that_stalls_ends_in_an_error_not_a_spinner() {
    use hangar::model::{Connection, Vm};
    use hangar::ui::console::{ConsolePage, ConsoleState};
    init();
    virt::error::clear_error_callback();
    for (what, greeting) in [
        ("silent", &b""[..]),
        ("after its version", b"RFB 003.008\n"),
    ] {
        let port = server(move |mut s| {
            let _ = s.write_all(greeting);
            // Hold the connection open, saying nothing more.
            std::thread::sleep(Duration::from_secs(10));
        });
        let dir = common::TempDir::new("stall");
        let node = dir.path().join("node.xml");
        std::fs::write(
            &node,
            format!(
                "<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\
                 <domain type='test'><name>stalls</name><memory unit='MiB'>64</memory>\
                 <os><type arch='x86_64'>hvm</type></os><devices>\
                 <graphics type='vnc' port='{port}' autoport='no' listen='127.0.0.1'/>\
                 </devices><test:runstate>1</test:runstate></domain></node>"
            ),
        )
        .expect("node file");
        let conn = Connection::new(&format!("test://{}", node.display()), false, false);
        conn.connect_now();
        wait_for("the connection to load", 30, || conn.loaded());
        let vm: Vm = conn
            .domains()
            .iter::<Vm>()
            .flatten()
            .next()
            .expect("the guest");

        let page = ConsolePage::new();
        page.set_handshake_timeout(Duration::from_secs(2));
        let win = gtk::Window::builder()
            .default_width(640)
            .default_height(400)
            .child(&page)
            .build();
        win.present();
        page.set_vm(Some(&vm));
        page.ensure_connected();
        let started = Instant::now();
        wait_for(&format!("a connecting page ({what})"), 10, || {
            page.state() == ConsoleState::Connecting
        });
        let worst = wait_for(&format!("the error page ({what})"), 15, || {
            page.state() == ConsoleState::Error
        });
        assert!(
            started.elapsed() >= Duration::from_millis(1500),
            "not before the handshake time ({what}): {:?}",
            started.elapsed()
        );
        assert_eq!(page.error_text(), "The display did not answer.", "{what}");
        assert!(
            worst < Duration::from_millis(500),
            "the main loop froze for {worst:?} ({what})"
        );
        win.destroy();
        conn.backend().shutdown();
    }
}

/// The console's own window: in fullscreen its header bar floats over the console
/// (hidden until the pointer reaches the top edge) instead of taking space above it;
/// out of fullscreen it is back above the console.
#[gtk::test]
fn the_console_window_floats_its_header_in_fullscreen() {
    use hangar::model::{Connection, Vm};
    init();
    let conn = Connection::new("test:///default", false, false);
    conn.connect_now();
    wait_for("the connection to load", 30, || conn.loaded());
    let vm: Vm = conn
        .domains()
        .iter::<Vm>()
        .flatten()
        .next()
        .expect("a guest");
    // Fullscreen is the window manager's to grant: run one for this test only.
    let _wm = WindowManager::start();
    let win = hangar::ui::console::window::console_window(&conn, &vm, None);
    win.present();
    wait_for("the window on screen", 10, || win.is_mapped());
    let revealer = {
        let mut stack = vec![win.clone().upcast::<gtk::Widget>()];
        let mut found = None;
        while let Some(w) = stack.pop() {
            if let Ok(r) = w.clone().downcast::<gtk::Revealer>() {
                found = Some(r);
                break;
            }
            let mut c = w.first_child();
            while let Some(ch) = c {
                c = ch.next_sibling();
                stack.push(ch);
            }
        }
        found.expect("the header's revealer")
    };
    let in_overlay = |r: &gtk::Revealer| r.parent().is_some_and(|p| p.is::<gtk::Overlay>());
    assert!(!in_overlay(&revealer) && revealer.reveals_child());
    win.fullscreen();
    wait_for("fullscreen", 10, || win.is_fullscreen());
    wait_for("the header floating and hidden", 5, || {
        in_overlay(&revealer) && !revealer.reveals_child()
    });
    win.unfullscreen();
    wait_for("out of fullscreen", 10, || !win.is_fullscreen());
    wait_for("the header back above the console", 5, || {
        !in_overlay(&revealer) && revealer.reveals_child()
    });
    win.destroy();
    conn.backend().shutdown();
}

/// Openbox on the test's X display, stopped when dropped.
struct WindowManager(std::process::Child);

impl WindowManager {
    fn start() -> WindowManager {
        let child = std::process::Command::new("openbox")
            .arg("--sm-disable")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("openbox runs (build-aux/install-deps.sh --test installs it)");
        let wm = WindowManager(child);
        // Managing once it has announced itself on the root window.
        let start = Instant::now();
        loop {
            let out = std::process::Command::new("xprop")
                .args(["-root", "_NET_SUPPORTING_WM_CHECK"])
                .output()
                .expect("xprop runs");
            if String::from_utf8_lossy(&out.stdout).contains("window id") {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "openbox did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        wm
    }
}

impl Drop for WindowManager {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
