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

#[gtk::test]
fn a_refusal_ends_in_an_error_not_a_screen() {
    let port = server(|mut s| {
        let _ = s.write_all(b"RFB 003.008\n");
        let _ = read_n(&mut s, 12);
        let reason = b"too many clients";
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
    // gvnc reads the refusal in its own way; what counts is an error with words for
    // the page, then a clean end, and never a screen.
    assert!(
        ev.iter()
            .any(|e| matches!(e, DisplayEvent::Error(m) if !m.is_empty())),
        "an error with a reason: {ev:?}"
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
