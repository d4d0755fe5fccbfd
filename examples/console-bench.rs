//! Shows one guest's console in a bare window, for bench/console-bench.sh:
//! `console-bench --connect URI --domain NAME [--protocol vnc|spice] [--seconds N]`. Prints the frames drawn
//! and update rectangles received, once a second and at the end.

use std::time::{Duration, Instant};

use gtk::glib;
use gtk::prelude::*;

use hangar::backend::conn::worker::{Connection, VncSocket};
use hangar::backend::console::Protocol;
use hangar::ui::console::display::{FdRequest, SpiceTarget};
use hangar::ui::console::GuestDisplay;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> glib::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(uri), Some(name)) = (arg(&args, "--connect"), arg(&args, "--domain")) else {
        eprintln!("usage: console-bench --connect URI --domain NAME [--seconds N]");
        return glib::ExitCode::FAILURE;
    };
    let seconds: u64 = arg(&args, "--seconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let protocol = match arg(&args, "--protocol").as_deref() {
        Some("spice") => Protocol::Spice,
        _ => Protocol::Vnc,
    };
    if gtk::init().is_err() {
        eprintln!("console-bench: no display");
        return glib::ExitCode::FAILURE;
    }
    let (backend, _updates) = Connection::spawn(&uri);
    backend.connect();
    let main_loop = glib::MainLoop::new(None, false);
    let win = gtk::Window::new();
    win.set_title(Some("hangar-console-bench"));
    win.set_default_size(720, 400);
    let display = GuestDisplay::new();
    win.set_child(Some(&display));
    win.present();
    let d = display.clone();
    let ml = main_loop.clone();
    glib::spawn_future_local(async move {
        let n = name.clone();
        let uuid = backend
            .call(move |w| Ok(w.conn()?.lookup_domain_by_name(&n)?.uuid_string()?))
            .await;
        let uuid = match uuid {
            Ok(u) => u,
            Err(e) => {
                eprintln!("console-bench: {e}");
                ml.quit();
                return;
            }
        };
        let way = backend
            .open_display(uuid.clone(), true, Some(protocol))
            .await;
        let opened = match way {
            Ok(w) if w.protocol != protocol => Err(format!("no {protocol:?} display")),
            Ok(w) => match (w.protocol, w.socket) {
                (Protocol::Vnc, VncSocket::Fd(fd)) => d.open_fd(fd),
                (Protocol::Vnc, VncSocket::Tcp { host, port }) => d.open_host(&host, port),
                (Protocol::Spice, VncSocket::Fd(fd)) => {
                    // A socket from libvirt per channel, the first one already open.
                    let first = std::cell::Cell::new(Some(fd));
                    let (b, index) = (backend.clone(), w.index);
                    let source = move |req: FdRequest| {
                        if let Some(fd) = first.take() {
                            req.provide(fd);
                            return;
                        }
                        let (b, uuid) = (b.clone(), uuid.clone());
                        glib::spawn_future_local(async move {
                            if let Ok(fd) = b.graphics_fd(uuid, index).await {
                                req.provide(fd);
                            }
                        });
                    };
                    d.open_spice(SpiceTarget::Fds(std::rc::Rc::new(source)), None)
                }
                (_, other) => Err(format!("no display to open: {other:?}")),
            },
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = opened {
            eprintln!("console-bench: {e}");
            ml.quit();
            return;
        }
        let start = Instant::now();
        loop {
            glib::timeout_future(Duration::from_secs(1)).await;
            let (frames, rects) = d.counters();
            println!(
                "t={:.0}s frames={frames} rects={rects}",
                start.elapsed().as_secs_f64()
            );
            if start.elapsed() >= Duration::from_secs(seconds) {
                break;
            }
        }
        ml.quit();
    });
    main_loop.run();
    glib::ExitCode::SUCCESS
}
