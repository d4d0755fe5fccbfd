//! What the GTK tests share: one registered application per process, waiting on the
//! main loop, and screenshots saved into `$HANGAR_SCREENSHOT_DIR` for people to look at.
#![allow(dead_code)] // each test binary uses its own part of this

use std::path::PathBuf;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::{gdk, gio, glib};

/// Where screenshots go (default `target/screenshots`).
pub fn screenshot_dir() -> PathBuf {
    let dir = std::env::var_os("HANGAR_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"));
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Run the main loop until `f` holds, or fail after `secs` with `what`.
pub fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let ctx = glib::MainContext::default();
    let start = Instant::now();
    loop {
        while ctx.iteration(false) {}
        if f() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Let the main loop run for a moment (layout, drawing).
pub fn settle(ms: u64) {
    let ctx = glib::MainContext::default();
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(ms) {
        while ctx.iteration(false) {}
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `widget` as drawn now. Waits (up to 20 s, for loaded machines) until it is mapped,
/// allocated and draws something.
pub fn render(widget: &impl IsA<gtk::Widget>) -> gdk::Texture {
    let w = widget.as_ref();
    settle(150);
    let mut node = None;
    wait_for("the widget to be drawn", 20, || {
        if !w.is_mapped() || w.width() <= 0 || w.height() <= 0 {
            return false;
        }
        let paintable = gtk::WidgetPaintable::new(Some(w));
        let snapshot = gtk::Snapshot::new();
        paintable.snapshot(&snapshot, w.width() as f64, w.height() as f64);
        node = snapshot.to_node();
        node.is_some()
    });
    let node = node.expect("something was drawn");
    let native = w.native().expect("widget is in a window");
    native
        .renderer()
        .expect("window has a renderer")
        .render_texture(&node, None)
}

/// Save a PNG of `widget` as it is drawn now.
pub fn save_png(widget: &impl IsA<gtk::Widget>, name: &str) -> PathBuf {
    let path = screenshot_dir().join(format!("{name}.png"));
    render(widget).save_to_png(&path).expect("PNG written");
    path
}

thread_local! {
    static APP: std::cell::OnceCell<hangar::application::Application> =
        const { std::cell::OnceCell::new() };
}

/// One registered application for the whole test process (GTK tests share a thread).
pub fn app() -> hangar::application::Application {
    // As `hangar::run` does: libvirt's errors reach the person through Hangar, not
    // libvirt's own printing to stderr.
    virt::error::clear_error_callback();
    APP.with(|a| {
        a.get_or_init(|| {
            let app = hangar::application::Application::new();
            app.set_flags(app.flags() | gio::ApplicationFlags::NON_UNIQUE);
            app.register(None::<&gio::Cancellable>)
                .expect("application registers on the session bus");
            app
        })
        .clone()
    })
}

/// Every widget of type `T` under `root` (itself included), depth first.
pub fn descendants<T: IsA<gtk::Widget>>(root: &impl IsA<gtk::Widget>) -> Vec<T> {
    let mut out = Vec::new();
    let mut stack = vec![root.as_ref().clone()];
    while let Some(w) = stack.pop() {
        if let Ok(t) = w.clone().downcast::<T>() {
            out.push(t);
        }
        let mut c = w.first_child();
        while let Some(ch) = c {
            c = ch.next_sibling();
            stack.push(ch);
        }
    }
    out
}

/// The first widget of type `T` under `root`.
pub fn find<T: IsA<gtk::Widget>>(root: &impl IsA<gtk::Widget>) -> Option<T> {
    descendants(root).into_iter().next()
}

/// The text of every label under `root`; only those on screen with `mapped_only`.
pub fn label_texts(root: &impl IsA<gtk::Widget>, mapped_only: bool) -> Vec<String> {
    descendants::<gtk::Label>(root)
        .into_iter()
        .filter(|l| !mapped_only || l.is_mapped())
        .map(|l| l.label().to_string())
        .collect()
}

/// The first button under `root` whose label is `label`.
pub fn button(root: &impl IsA<gtk::Widget>, label: &str) -> Option<gtk::Button> {
    descendants::<gtk::Button>(root)
        .into_iter()
        .find(|b| b.label().as_deref() == Some(label))
}

/// A Hangar window on one connection (opened and loaded), for tests that drive a VM's
/// pages.
pub struct AppWindow {
    pub win: hangar::ui::Window,
    pub store: gio::ListStore,
}

impl AppWindow {
    /// A presented 1100×760 window titled `title`, connected to `uri`, once the
    /// connection has loaded.
    pub fn open(title: &str, uri: &str) -> AppWindow {
        use hangar::model::Connection;
        let app = app();
        let settings = hangar::application::settings();
        let store = gio::ListStore::new::<Connection>();
        let win = hangar::ui::Window::new(&app, &settings, &store);
        win.set_title(Some(title));
        win.set_default_size(1100, 760);
        win.present();
        let conn = Connection::new(uri, false, false);
        win.watch_connection(&conn);
        store.append(&conn);
        conn.connect_now();
        wait_for("the connection to load", 60, || conn.loaded());
        AppWindow { win, store }
    }

    pub fn conn(&self) -> hangar::model::Connection {
        self.store.item(0).and_downcast().expect("a connection")
    }

    /// Select the VM named `name` (waiting for it to be listed) and show its `tab`.
    pub fn show(&self, name: &str, tab: &str) {
        let conn = self.conn();
        wait_for("the guest in the list", 60, || conn.find_vm(name).is_some());
        let vm = conn.find_vm(name).expect("guest listed");
        assert!(self.win.select_item(vm.upcast_ref()), "guest selectable");
        self.win.vm_page().show_page(tab);
        settle(100);
    }

    /// Disconnect and close the window.
    pub fn close(self) {
        for c in self.store.iter::<hangar::model::Connection>().flatten() {
            c.backend().shutdown();
        }
        self.win.destroy();
        settle(50);
    }
}

/// Run `xdotool ARGS…` on the test's X display; its output.
pub fn xdotool(args: &[&str]) -> String {
    let out = std::process::Command::new("xdotool")
        .args(args)
        .output()
        .expect("xdotool runs (package xdotool)");
    assert!(out.status.success(), "xdotool {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The X window titled `title`: its position and size on the screen (x, y, w, h).
pub fn window_geometry(title: &str) -> (i32, i32, i32, i32) {
    let found = xdotool(&["search", "--name", title]);
    let wid = found.lines().next().expect("the window on the X server");
    let geo = xdotool(&["getwindowgeometry", "--shell", wid]);
    let field = |k: &str| -> i32 {
        geo.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.trim().parse().ok())
            .expect("a window field")
    };
    (field("X="), field("Y="), field("WIDTH="), field("HEIGHT="))
}

/// Where the middle of `widget` is on the screen; `title` names its window.
pub fn screen_centre(widget: &impl IsA<gtk::Widget>, title: &str) -> (i32, i32) {
    let (wx, wy, _, _) = window_geometry(title);
    let w = widget.as_ref();
    let native = w.native().expect("in a window");
    let p = w
        .compute_point(
            &native,
            &gtk::graphene::Point::new((w.width() / 2) as f32, (w.height() / 2) as f32),
        )
        .expect("a point");
    let (ox, oy) = native.surface_transform();
    (
        wx + (p.x() as f64 + ox) as i32,
        wy + (p.y() as f64 + oy) as i32,
    )
}
