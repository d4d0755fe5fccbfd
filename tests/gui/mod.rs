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

/// Save `widget` in the light style as `name.png` and in the dark one as
/// `name-dark.png` (the style is back to the system's after).
pub fn save_light_and_dark(widget: &impl IsA<gtk::Widget>, name: &str) {
    let style = adw::StyleManager::default();
    save_png(widget, name);
    style.set_color_scheme(adw::ColorScheme::ForceDark);
    settle(250);
    save_png(widget, &format!("{name}-dark"));
    style.set_color_scheme(adw::ColorScheme::Default);
    settle(100);
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

/// Close every window an earlier test left open (a dialog it ended on, its main
/// window), so that each test starts on a clean desktop as a person's session does: a
/// leftover modal dialog would take the input this test sends to its own window.
pub fn clean_desktop() {
    let mut open: Vec<gtk::Window> = gtk::Window::list_toplevels()
        .into_iter()
        .filter_map(|w| w.downcast::<gtk::Window>().ok())
        .filter(|w| w.is_visible())
        .collect();
    // Dialogs before the windows they belong to, as a person closes them.
    open.sort_by_key(|w| w.transient_for().is_none());
    for w in open {
        w.destroy();
        settle(20);
    }
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
        Self::open_sized(title, uri, 1100, 760)
    }

    /// The same at `width`×`height` (the host page needs 1280 to stand beside the
    /// list).
    pub fn open_sized(title: &str, uri: &str, width: i32, height: i32) -> AppWindow {
        use hangar::model::Connection;
        clean_desktop();
        let app = app();
        let settings = hangar::settings::settings();
        let store = gio::ListStore::new::<Connection>();
        let win = hangar::ui::Window::new(&app, &settings, &store);
        win.set_title(Some(title));
        win.set_default_size(width, height);
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

/// One object of the accessible tree, as AT-SPI shows it to a screen reader.
#[derive(Debug, Clone)]
pub struct AccessibleNode {
    pub depth: usize,
    pub role: String,
    pub name: String,
    pub description: String,
}

/// The accessible tree of this process's window titled `title`, read over AT-SPI by
/// `tests/gui/atspi_tree.py` (python3-pyatspi) while this thread's main loop answers.
pub fn accessible_tree(title: &str) -> Vec<AccessibleNode> {
    atspi_walk(title, false)
}

/// Every object of the window titled `title` that GTK presents over AT-SPI, on screen
/// or not: what a screen reader walking the tree meets.
pub fn presented_tree(title: &str) -> Vec<AccessibleNode> {
    atspi_walk(title, true)
}

fn atspi_walk(title: &str, every: bool) -> Vec<AccessibleNode> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/gui/atspi_tree.py");
    let child = std::process::Command::new("/usr/bin/python3")
        .arg(script)
        .arg(std::process::id().to_string())
        .arg(title)
        .args(every.then_some("--all"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (packages python3, python3-pyatspi)");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let ctx = glib::MainContext::default();
    let start = Instant::now();
    let out = loop {
        while ctx.iteration(false) {}
        if let Ok(r) = rx.try_recv() {
            break r.expect("the AT-SPI script ran");
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the AT-SPI walk did not end"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    assert!(
        out.status.success(),
        "AT-SPI walk failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nodes: Vec<AccessibleNode> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.splitn(4, '\t');
            Some(AccessibleNode {
                depth: f.next()?.parse().ok()?,
                role: f.next()?.to_string(),
                name: f.next()?.to_string(),
                description: f.next().unwrap_or("").to_string(),
            })
        })
        .collect();
    // A walk that saw only the window would pass every check on it.
    assert!(
        nodes.iter().any(|n| n.role == "push button"),
        "the AT-SPI walk of “{title}” found no button: {nodes:?}"
    );
    nodes
}

/// What a screen reader would say twice: a name that is the same words twice
/// ("Apply Apply": a label property and a labelling widget both counted), or a
/// description (a tooltip) that repeats the name.
pub fn doubled_names(nodes: &[AccessibleNode]) -> Vec<String> {
    nodes
        .iter()
        .filter(|n| {
            // Words without their punctuation: "Apply Apply…" is said twice too.
            let words = |t: &str| -> Vec<String> {
                t.split_whitespace()
                    .map(|w| {
                        w.replace('_', "")
                            .trim_matches(|c: char| !c.is_alphanumeric())
                            .to_lowercase()
                    })
                    .filter(|w| !w.is_empty())
                    .collect()
            };
            let name = words(&n.name);
            let half = name.len() / 2;
            // A label shows content, and content may repeat ("↓ 0 B/s ↑ 0 B/s");
            // the name of a control is what a screen reader announces.
            let twice = n.role != "label"
                && !name.is_empty()
                && name.len() % 2 == 0
                && name[..half] == name[half..];
            let echoed = !name.is_empty() && name == words(&n.description);
            twice || echoed
        })
        .map(|n| format!("{} “{}” (description “{}”)", n.role, n.name, n.description))
        .collect()
}

/// Mnemonic underscores out: "_New Network…" reads "New Network…".
fn plain(label: &str) -> String {
    label.replace('_', "")
}

/// The button under `root` a person knows by `label` (its text, mnemonic underscores
/// ignored) or, for an icon button, by its tooltip. Fails when there is none.
/// When several have the label (rows of which one is shown), the one on screen.
pub fn button_labelled(root: &impl IsA<gtk::Widget>, label: &str) -> gtk::Button {
    let all: Vec<gtk::Button> = descendants::<gtk::Button>(root)
        .into_iter()
        .filter(|b| {
            b.label().is_some_and(|l| plain(&l) == label)
                || b.tooltip_text().is_some_and(|t| t == label)
                || b.child()
                    .and_downcast::<adw::ButtonContent>()
                    .is_some_and(|c| plain(&c.label()) == label)
        })
        .collect();
    all.iter()
        .find(|b| b.is_mapped())
        .or(all.first())
        .cloned()
        .unwrap_or_else(|| panic!("no button “{label}”"))
}

/// Click `button` as a person can: only when it is on screen and sensitive.
pub fn click(button: &impl IsA<gtk::Button>) {
    let b = button.as_ref();
    let name = b.label().map(|l| plain(&l)).unwrap_or_default();
    assert!(b.is_mapped(), "the button “{name}” is not on screen");
    let mut w = Some(b.clone().upcast::<gtk::Widget>());
    while let Some(x) = w {
        assert!(
            x.is_sensitive(),
            "the button “{name}” sits in an insensitive part"
        );
        w = x.parent();
    }
    b.emit_clicked();
}

/// The visible toplevel window of type `T` (the newest when there are several).
pub fn toplevel<T: IsA<gtk::Window> + IsA<gtk::Widget>>() -> Option<T> {
    gtk::Window::list_toplevels()
        .into_iter()
        .filter(|w| w.is_visible())
        .filter_map(|w| w.downcast::<T>().ok())
        .next_back()
}

/// Do `act` (a click, an action) and wait for the window of type `T` it opens.
/// Windows open before it do not count: an earlier test's leftover is not this
/// click's dialog.
pub fn opened_by<T: IsA<gtk::Window> + IsA<gtk::Widget>>(what: &str, act: impl FnOnce()) -> T {
    // Shown before: open already (a window kept hidden and shown again, like the
    // shortcuts window, counts when it appears).
    let before: Vec<gtk::Widget> = gtk::Window::list_toplevels()
        .into_iter()
        .filter(|w| w.is_visible())
        .collect();
    act();
    let mut found = None;
    wait_for(what, 10, || {
        found = gtk::Window::list_toplevels()
            .into_iter()
            .filter(|w| w.is_visible() && !before.contains(w))
            .filter_map(|w| w.downcast::<T>().ok())
            .next_back();
        found.is_some()
    });
    found.expect("found")
}

/// Put the X window titled `title` above the others and give it the keyboard (there
/// is no window manager to do it), before pointer and keys are sent to it.
pub fn raise(title: &str) {
    let found = xdotool(&["search", "--name", title]);
    let wid = found
        .lines()
        .next()
        .expect("the window on the X server")
        .to_string();
    xdotool(&["windowraise", &wid]);
    let _ = std::process::Command::new("xdotool")
        .args(["windowfocus", "--sync", &wid])
        .status();
    settle(50);
}

/// The field under `root` that a visible label `label` names (the label's mnemonic
/// widget), as a person finds a field by the words above or beside it.
pub fn field(root: &impl IsA<gtk::Widget>, label: &str) -> gtk::Widget {
    descendants::<gtk::Label>(root)
        .into_iter()
        .filter(|l| l.is_mapped() && plain(&l.label()) == label)
        .find_map(|l| l.mnemonic_widget())
        .unwrap_or_else(|| panic!("no field labelled “{label}”"))
}

/// Replace the text of the field labelled `label` under `root`, as typing would.
pub fn type_into(root: &impl IsA<gtk::Widget>, label: &str, text: &str) {
    let w = field(root, label);
    assert!(w.is_sensitive(), "the field “{label}” is off");
    if let Some(e) = w.dynamic_cast_ref::<gtk::Editable>() {
        e.set_text(text);
    } else if let Some(v) = w.downcast_ref::<gtk::TextView>() {
        v.buffer().set_text(text);
    } else if let Some(v) = w
        .downcast_ref::<gtk::ScrolledWindow>()
        .and_then(|s| s.child())
        .and_downcast::<gtk::TextView>()
    {
        v.buffer().set_text(text);
    } else {
        panic!("the field “{label}” takes no text: {}", w.type_().name());
    }
    settle(30);
}

/// Pick the item `item` in the drop-down labelled `label` under `root`.
pub fn pick(root: &impl IsA<gtk::Widget>, label: &str, item: &str) {
    let w = field(root, label);
    let d = w
        .downcast::<gtk::DropDown>()
        .unwrap_or_else(|w| panic!("“{label}” is a {}", w.type_().name()));
    let model = d.model().expect("a drop-down with items");
    let pos = (0..model.n_items())
        .find(|i| {
            model
                .item(*i)
                .and_downcast::<gtk::StringObject>()
                .is_some_and(|s| s.string() == item)
        })
        .unwrap_or_else(|| panic!("“{label}” has no item “{item}”"));
    d.set_selected(pos);
    settle(30);
}

/// The switch of the row titled `title` under `root` (a row's switch is named by it).
pub fn switch_of_row(root: &impl IsA<gtk::Widget>, title: &str) -> gtk::Switch {
    descendants::<adw::ActionRow>(root)
        .into_iter()
        .filter(|r| r.is_mapped() && plain(&r.title()) == title)
        .find_map(|r| find::<gtk::Switch>(&r))
        .unwrap_or_else(|| panic!("no switch in a row “{title}”"))
}

/// Flip a switch as a click does (only when it is on screen and sensitive).
pub fn flip(switch: &gtk::Switch) {
    assert!(
        switch.is_mapped() && switch.is_sensitive(),
        "the switch is off or hidden"
    );
    let was = switch.is_active();
    switch.activate();
    // The switch moves when its animation ends, a moment later.
    wait_for("the switch to move", 5, || switch.is_active() != was);
    settle(30);
}

/// The preferences group titled `title` under `root` (a section a person finds by its
/// heading), to look for fields inside it.
pub fn group(root: &impl IsA<gtk::Widget>, title: &str) -> adw::PreferencesGroup {
    descendants::<adw::PreferencesGroup>(root)
        .into_iter()
        .find(|g| g.is_mapped() && g.title() == title)
        .unwrap_or_else(|| panic!("no section “{title}”"))
}

/// Controls a screen reader can only call "button" or "check box": no name at all.
pub fn unnamed_controls(nodes: &[AccessibleNode]) -> Vec<String> {
    const CONTROLS: &[&str] = &[
        "push button",
        "toggle button",
        "check box",
        "combo box",
        "text",
        "spin button",
        "slider",
    ];
    nodes
        .iter()
        .filter(|n| CONTROLS.contains(&n.role.as_str()) && n.name.trim().is_empty())
        .map(|n| format!("{} at depth {}", n.role, n.depth))
        .collect()
}

/// The entry row titled `title` under `root`.
pub fn entry_row(root: &impl IsA<gtk::Widget>, title: &str) -> adw::EntryRow {
    descendants::<adw::EntryRow>(root)
        .into_iter()
        .find(|r| r.is_mapped() && plain(&r.title()) == title)
        .unwrap_or_else(|| panic!("no field “{title}”"))
}

/// Type `text` into the entry row titled `title` under `root`.
pub fn type_into_row(root: &impl IsA<gtk::Widget>, title: &str, text: &str) {
    let r = entry_row(root, title);
    assert!(r.is_sensitive(), "the field “{title}” is off");
    r.set_text(text);
    settle(30);
}

/// Pick `item` in the combo row titled `title` under `root`.
pub fn pick_in_row(root: &impl IsA<gtk::Widget>, title: &str, item: &str) {
    let r = descendants::<adw::ComboRow>(root)
        .into_iter()
        .find(|r| r.is_mapped() && plain(&r.title()) == title)
        .unwrap_or_else(|| panic!("no choice “{title}”"));
    let model = r.model().expect("a combo row with items");
    let pos = (0..model.n_items())
        .find(|i| {
            model
                .item(*i)
                .and_downcast::<gtk::StringObject>()
                .is_some_and(|s| s.string() == item)
        })
        .unwrap_or_else(|| panic!("“{title}” has no item “{item}”"));
    r.set_selected(pos);
    settle(30);
}
