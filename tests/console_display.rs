//! The VNC display widget against servers that misbehave: one that sends garbage, one
//! that closes in the middle of the handshake, one that refuses with a reason, and one
//! that changes the screen size 50 times a second. Each must end in an error or a clean
//! disconnection (or keep up), never a crash or a frozen main loop. Runs under Xvfb;
//! the servers are tiny threads on 127.0.0.1.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::time::{Duration, Instant};

use gtk::glib;
use gtk::prelude::*;

use hangar::ui::console::{DisplayEvent, VncDisplay};

fn init() {
    let _ = gtk::init();
    hangar::init_resources();
}

/// Run the main loop until `f` holds, or fail after `secs`; returns the longest time
/// one pass of the loop took (a frozen main loop shows here).
fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) -> Duration {
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
fn server(serve: impl FnOnce(TcpStream) + Send + 'static) -> u16 {
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
fn display(port: u16) -> (gtk::Window, VncDisplay, Rc<RefCell<Vec<DisplayEvent>>>) {
    init();
    let d = VncDisplay::new();
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

fn ended(events: &RefCell<Vec<DisplayEvent>>) -> bool {
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

#[gtk::test]
fn a_refused_password_reports_the_servers_reason() {
    let port = refusing_server(b"Authentication failed\0");
    let (win, d, events) = display(port);
    wait_for("the password question", 15, || {
        events
            .borrow()
            .iter()
            .any(|e| matches!(e, DisplayEvent::AuthRequired { .. }))
    });
    d.set_credentials(None, "wrong");
    wait_for("the disconnection", 15, || ended(&events));
    let ev = events.borrow();
    let failed: Vec<&String> = ev
        .iter()
        .filter_map(|e| match e {
            DisplayEvent::AuthFailed(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [&"Authentication failed".to_string()], "{ev:?}");
    win.destroy();
}

#[gtk::test]
fn a_refusal_in_latin1_is_read_not_garbled() {
    let port = refusing_server(b"Mot de passe refus\xe9");
    let (win, d, events) = display(port);
    wait_for("the password question", 15, || {
        events
            .borrow()
            .iter()
            .any(|e| matches!(e, DisplayEvent::AuthRequired { .. }))
    });
    d.set_credentials(None, "wrong");
    wait_for("the disconnection", 15, || ended(&events));
    let ev = events.borrow();
    assert!(
        ev.iter()
            .any(|e| matches!(e, DisplayEvent::AuthFailed(r) if r == "Mot de passe refusé")),
        "{ev:?}"
    );
    win.destroy();
}
