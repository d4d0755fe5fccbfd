//! The consoles against real guests: QEMU (TCG) under a private libvirtd, in the
//! network namespace where `build-aux/run-tests.sh` starts it (QEMU's VNC server listens
//! on that namespace's loopback). Run under Xvfb; each test saves screenshots of the
//! console states into `$HANGAR_SCREENSHOT_DIR`.
//!
//! `#[ignore]`d for a plain `cargo test`; without `HANGAR_TEST_LIBVIRT_URI` they fail.

use std::process::Command;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::{gdk, gio};
use vte4::prelude::*;

use hangar::ui::console::{ConsolePage, ConsoleState, SerialPage};
use hangar::ui::Window;

use crate::daemon;
use crate::gui;
use daemon::test_uri;
use gui::{render, save_png, screenshot_dir, settle, wait_for, xdotool};

pub(crate) fn init() {
    // Tests in this file run one at a time on the GTK thread; nothing else reads the
    // environment concurrently.
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    gui::clean_desktop();
}

/// RGB pixels of a texture, row by row.
pub(crate) fn rgb_of(t: &gdk::Texture) -> (usize, usize, Vec<[u8; 3]>) {
    let (w, h) = (t.width() as usize, t.height() as usize);
    let mut data = vec![0u8; w * h * 4];
    t.download(&mut data, w * 4);
    // download() gives B8G8R8A8 premultiplied in memory on little-endian machines.
    let px = data
        .chunks_exact(4)
        .map(|p| {
            if cfg!(target_endian = "little") {
                [p[2], p[1], p[0]]
            } else {
                [p[1], p[2], p[3]]
            }
        })
        .collect();
    (w, h, px)
}

/// An image file as `virsh screenshot` writes it (PNG or PPM, as QEMU chooses).
fn read_image(path: &std::path::Path) -> (usize, usize, Vec<[u8; 3]>) {
    let data = std::fs::read(path).expect("screenshot file");
    if !data.starts_with(b"P6") {
        let t = gdk::Texture::from_filename(path).expect("screenshot loads");
        return rgb_of(&t);
    }
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 && i < data.len() {
        while i < data.len() && data[i].is_ascii_whitespace() {
            i += 1;
        }
        if data.get(i) == Some(&b'#') {
            while i < data.len() && data[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while i < data.len() && !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).into_owned());
    }
    i += 1;
    let w: usize = fields[1].parse().expect("width");
    let h: usize = fields[2].parse().expect("height");
    let px = data[i.min(data.len())..]
        .chunks_exact(3)
        .take(w * h)
        .map(|p| [p[0], p[1], p[2]])
        .collect::<Vec<_>>();
    assert_eq!(px.len(), w * h, "PPM holds all its pixels");
    (w, h, px)
}

pub(crate) fn virsh(args: &[&str]) -> Result<String, String> {
    daemon::virsh(&test_uri(), args)
}

pub(crate) fn virsh_screenshot(name: &str, tag: &str) -> (usize, usize, Vec<[u8; 3]>) {
    let path =
        std::env::temp_dir().join(format!("hangar-console-{}-{tag}.img", std::process::id()));
    virsh(&["screenshot", name, path.to_str().expect("utf-8 path")]).expect("virsh screenshot");
    let img = read_image(&path);
    let _ = std::fs::remove_file(&path);
    img
}

/// Mean absolute difference (0–255) of two images of the same size.
pub(crate) fn mean_diff(a: &[[u8; 3]], b: &[[u8; 3]]) -> f64 {
    assert_eq!(a.len(), b.len());
    let sum: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| {
            (0..3)
                .map(|c| (x[c] as i32 - y[c] as i32).unsigned_abs() as u64)
                .sum::<u64>()
        })
        .sum();
    sum as f64 / (a.len() * 3) as f64
}

/// The widget's drawn pixels sampled back at the guest's resolution (undoing the
/// fit-to-window scaling: the guest screen is centred, scaled by the smaller ratio).
fn widget_at_guest_size(page: &ConsolePage, gw: usize, gh: usize) -> Vec<[u8; 3]> {
    let display = page.display();
    let (ww, wh, px) = rgb_of(&render(display));
    let s = (ww as f64 / gw as f64).min(wh as f64 / gh as f64);
    let ox = ((ww as f64 - gw as f64 * s) / 2.0).max(0.0).floor();
    let oy = ((wh as f64 - gh as f64 * s) / 2.0).max(0.0).floor();
    let mut out = Vec::with_capacity(gw * gh);
    for y in 0..gh {
        for x in 0..gw {
            let sx = ((ox + (x as f64 + 0.5) * s) as usize).min(ww - 1);
            let sy = ((oy + (y as f64 + 0.5) * s) as usize).min(wh - 1);
            out.push(px[sy * ww + sx]);
        }
    }
    out
}

/// A guest that stays on SeaBIOS's boot menu prompt for 30 s.
pub(crate) fn guest_xml(name: &str, extra_os: &str, extra_dev: &str, graphics: &str) -> String {
    format!(
        "<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type><bootmenu enable='yes' timeout='30000'/>{extra_os}</os>
  <devices>
    {graphics}
    {extra_dev}
  </devices>
</domain>
"
    )
}

/// A defined guest, destroyed and undefined on drop (also when the test fails).
pub(crate) struct Guest(pub(crate) String);

impl Guest {
    pub(crate) fn define(tag: &str, xml_of: impl Fn(&str) -> String) -> Guest {
        let name = format!("hangar-test-console-{tag}-{}", std::process::id());
        daemon::define_domain(&test_uri(), &name, &xml_of(&name));
        Guest(name)
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        daemon::remove_domain(&test_uri(), &self.0);
    }
}

pub(crate) struct Fixture(gui::AppWindow);

impl std::ops::Deref for Fixture {
    type Target = gui::AppWindow;
    fn deref(&self) -> &gui::AppWindow {
        &self.0
    }
}

impl Fixture {
    pub(crate) fn open(title: &str) -> Fixture {
        Fixture::open_uri(title, &test_uri())
    }

    pub(crate) fn open_uri(title: &str, uri: &str) -> Fixture {
        init();
        Fixture(gui::AppWindow::open(title, uri))
    }

    pub(crate) fn console(&self) -> ConsolePage {
        self.win.console_page().expect("the Console tab exists")
    }

    fn serial(&self) -> SerialPage {
        self.win
            .serial_page()
            .expect("the Serial Console tab exists")
    }

    pub(crate) fn close(self) {
        self.0.close();
    }
}

const VNC: &str = "<graphics type='vnc' listen='127.0.0.1'/>";

/// Wait until the widget shows what `virsh screenshot` shows, within `secs`; returns
/// the mean difference seen last. The screen must not be blank.
pub(crate) fn wait_match(page: &ConsolePage, name: &str, secs: u64, tag: &str) -> Vec<[u8; 3]> {
    let start = Instant::now();
    loop {
        settle(200);
        assert_eq!(
            page.state(),
            ConsoleState::Connected,
            "{tag}: the console is connected (error: {})",
            page.error_text()
        );
        let (gw, gh, shot) = virsh_screenshot(name, tag);
        assert_eq!(
            page.display().screen_size(),
            Some((gw as i32, gh as i32)),
            "the widget's screen has the guest's size"
        );
        let mine = widget_at_guest_size(page, gw, gh);
        let d = mean_diff(&mine, &shot);
        let blank = vec![[0u8; 3]; shot.len()];
        let content = mean_diff(&shot, &blank);
        // The framebuffer the widget holds is the guest's screen, pixel for pixel…
        let exact = page
            .display()
            .current_texture()
            .map(|t| rgb_of(&t))
            .filter(|(w, h, _)| (*w, *h) == (gw, gh))
            .map(|(_, _, px)| mean_diff(&px, &shot))
            .unwrap_or(f64::MAX);
        // …and what it draws, scaled to the window (smoothed edges allowed), is much
        // closer to it than a black frame is.
        if content > 0.5 && exact < 0.05 && d < content * 0.5 {
            eprintln!(
                "{tag}: framebuffer vs virsh screenshot {exact:.3}, drawn widget {d:.3}, \
                 screen vs black {content:.3}, counters {:?}",
                page.display().counters()
            );
            return shot;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "{tag}: widget and virsh screenshot differ by {d:.2}, framebuffer by {exact:.2} \
             (screen content {content:.2})"
        );
    }
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn vnc_shows_seabios_and_takes_keys() {
    let guest = Guest::define("keys", |n| guest_xml(n, "", "", VNC));
    let f = Fixture::open("hangar-console-test-keys");
    f.show(&guest.0, "console");
    let page = f.console();
    assert_eq!(page.state(), ConsoleState::NotRunning);
    save_png(&f.win, "console-not-running");
    virsh(&["start", &guest.0]).expect("guest starts");
    wait_for("the console to connect", 60, || {
        page.state() == ConsoleState::Connected
    });
    // SeaBIOS's "Press ESC for boot menu." screen, the same in the widget and in virsh.
    let before = wait_match(&page, &guest.0, 40, "boot-prompt");
    let (frames, rects) = page.display().counters();
    assert!(frames >= 1 && rects >= 1, "frames {frames}, rects {rects}");
    save_png(&page, "console-connected");

    // A real key press through X11 and GTK's key path: Escape opens the boot menu.
    let ids = Command::new("xdotool")
        .args(["search", "--name", "hangar-console-test-keys"])
        .output()
        .expect("xdotool runs (build-aux/install-deps.sh --test installs it)");
    let id = String::from_utf8_lossy(&ids.stdout)
        .lines()
        .next()
        .map(str::to_string)
        .expect("xdotool finds the test window");
    page.display().grab_focus();
    settle(100);
    let st = Command::new("xdotool")
        .args(["windowfocus", "--sync", &id])
        .status()
        .expect("xdotool windowfocus");
    assert!(st.success());
    settle(200);
    assert!(
        page.display().has_focus(),
        "the display has the keyboard focus"
    );
    let st = Command::new("xdotool")
        .args(["key", "Escape"])
        .status()
        .expect("xdotool key");
    assert!(st.success());
    let start = Instant::now();
    loop {
        settle(300);
        let (_, _, now) = virsh_screenshot(&guest.0, "menu-probe");
        if mean_diff(&now, &before) > 0.5 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the boot menu did not open after Escape"
        );
    }
    // "Select boot device" — and the widget shows it too.
    let after = wait_match(&page, &guest.0, 20, "boot-menu");
    // Keys that are window shortcuts elsewhere (Delete deletes the selected VM) go to
    // the guest while the console has the keyboard: no dialog opens.
    let windows = gtk::Window::list_toplevels().len();
    let st = Command::new("xdotool")
        .args(["key", "Delete"])
        .status()
        .expect("xdotool key");
    assert!(st.success());
    settle(700);
    assert_eq!(
        gtk::Window::list_toplevels().len(),
        windows,
        "Delete reached the window's shortcuts instead of the guest"
    );
    // Ctrl+Alt alone gives the keyboard back.
    let st = Command::new("xdotool")
        .args(["key", "ctrl+alt"])
        .status()
        .expect("xdotool key");
    assert!(st.success());
    wait_for("Ctrl+Alt to release the keyboard", 10, || {
        !page.display().has_focus()
    });
    page.display().grab_focus();
    settle(100);
    assert!(mean_diff(&after, &before) > 0.5);
    save_png(&page, "console-boot-menu");

    // The screenshot action's file is the guest screen.
    let png = screenshot_dir().join("console-guest-screen.png");
    page.save_screenshot(&png).expect("screenshot saved");
    let t = gdk::Texture::from_filename(&png).expect("PNG loads");
    let (w, h, px) = rgb_of(&t);
    assert_eq!(page.display().screen_size(), Some((w as i32, h as i32)));
    assert!(
        mean_diff(&px, &after) < 1.0,
        "saved screenshot is the screen"
    );

    // Send-key menu: Ctrl+Alt+Delete reaches the guest (SeaBIOS reboots: the screen
    // goes back to the boot prompt).
    page.activate_action("console.send-key", Some(&"ctrl-alt-del".to_variant()))
        .expect("send-key action");
    let start = Instant::now();
    loop {
        settle(300);
        let (_, _, now) = virsh_screenshot(&guest.0, "cad");
        if mean_diff(&now, &after) > 0.5 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "Ctrl+Alt+Delete changed nothing"
        );
    }
    f.close();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn vnc_reconnects_when_the_guest_starts_again() {
    let guest = Guest::define("restart", |n| guest_xml(n, "", "", VNC));
    virsh(&["start", &guest.0]).expect("guest starts");
    let f = Fixture::open("hangar-console-test-restart");
    f.show(&guest.0, "console");
    let page = f.console();
    wait_for("the console to connect", 60, || {
        page.state() == ConsoleState::Connected
    });
    wait_match(&page, &guest.0, 40, "first-boot");
    // QEMU announces extended desktop size: the toolbar offers "resize the guest".
    // (SeaBIOS's text screen cannot follow; a guest driver would.)
    wait_for("the resize-guest button", 10, || page.offers_resize_guest());
    virsh(&["destroy", &guest.0]).expect("guest destroyed");
    wait_for("the not-running page", 30, || {
        page.state() == ConsoleState::NotRunning
    });
    save_png(&page, "console-after-destroy");
    virsh(&["start", &guest.0]).expect("guest starts again");
    wait_for("the console to reconnect by itself", 60, || {
        page.state() == ConsoleState::Connected
    });
    wait_match(&page, &guest.0, 40, "second-boot");
    save_png(&page, "console-reconnected");

    // Detach: the console moves to a window of its own and back.
    // The toolbar's button, as a person moves the console to a window of its own.
    gui::click(&gui::button_labelled(&page, "Open in a New Window"));
    let win = {
        let mut found = None;
        wait_for("the console window", 10, || {
            found = gtk::Window::list_toplevels()
                .into_iter()
                .filter_map(|w| w.downcast::<gtk::Window>().ok())
                .find(|w| {
                    w.is_visible()
                        && w.upcast_ref::<gtk::Widget>() != f.win.upcast_ref::<gtk::Widget>()
                        && gui::find::<ConsolePage>(w).is_some()
                });
            found.is_some()
        });
        found.expect("found")
    };
    assert_eq!(page.state(), ConsoleState::Detached);
    save_png(&page, "console-detached");
    wait_for("the detached console to connect", 60, || {
        let mut found = None;
        let mut stack = vec![win.clone().upcast::<gtk::Widget>()];
        while let Some(w) = stack.pop() {
            if let Some(p) = w.downcast_ref::<ConsolePage>() {
                found = Some(p.clone());
            }
            let mut c = w.first_child();
            while let Some(ch) = c {
                c = ch.next_sibling();
                stack.push(ch);
            }
        }
        found.is_some_and(|p| p.state() == ConsoleState::Connected)
    });
    save_png(&win, "console-window");
    win.close();
    wait_for("the console back in the tab", 60, || {
        page.state() == ConsoleState::Connected
    });
    f.close();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn vnc_password_is_asked_and_checked() {
    init();
    keyring_home(); // the console looks for a remembered password first
    let guest = Guest::define("passwd", |n| {
        guest_xml(
            n,
            "",
            "",
            "<graphics type='vnc' listen='127.0.0.1' passwd='hangarpw'/>",
        )
    });
    virsh(&["start", &guest.0]).expect("guest starts");
    let f = Fixture::open("hangar-console-test-passwd");
    let page = f.console();
    // Over TCP, as for a remote hypervisor: the VNC server asks for the password.
    page.set_prefer_fd(false);
    f.show(&guest.0, "console");
    wait_for("the password prompt", 60, || {
        page.state() == ConsoleState::Password
    });
    save_png(&page, "console-password");
    type_password(&page, "wrong-password", false);
    wait_for("the refusal", 30, || !page.password_error().is_empty());
    wait_for("the prompt again", 30, || {
        page.state() == ConsoleState::Password
    });
    // QEMU's own words ("Authentication failed", sent with a NUL counted in its
    // length), read whole and without the NUL.
    assert_eq!(
        page.password_error(),
        "The password was not accepted: Authentication failed",
        "says the password was wrong, with the server's reason"
    );
    save_png(&page, "console-password-wrong");
    type_password(&page, "hangarpw", false);
    wait_for("the console to connect", 30, || {
        page.state() == ConsoleState::Connected
    });
    wait_match(&page, &guest.0, 40, "after-password");
    f.close();
}

/// gnome-keyring's Secret Service on this test's D-Bus session, unlocked, with its
/// files in a temporary home of its own; stopped on drop.
///
/// One per process, started before the first console asks for a password: libsecret
/// keeps its session with the first Secret Service it meets (else D-Bus would start
/// one in the real home, and a replacement later would not be seen).
struct Keyring {
    child: std::process::Child,
    home: std::path::PathBuf,
}

impl Keyring {
    fn start() -> Keyring {
        use std::io::Write;
        let home = std::env::temp_dir().join(format!("hangar-keyring-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        let run = home.join("run");
        std::fs::create_dir_all(&run).expect("keyring home");
        let _ = Command::new("chmod").arg("700").arg(&run).status();
        let mut child = Command::new("gnome-keyring-daemon")
            .args([
                "--foreground",
                "--replace",
                "--unlock",
                "--components=secrets",
            ])
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_RUNTIME_DIR", &run)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon runs (package gnome-keyring)");
        // The login keyring's password on stdin: the keyring is created and unlocked.
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"keyring-pw")
            .expect("unlock password written");
        drop(stdin);
        // Ready once it owns the Secret Service name on the bus.
        let bus = gio::bus_get_sync(gio::BusType::Session, None::<&gio::Cancellable>)
            .expect("a session bus (run under dbus-run-session)");
        wait_for("the Secret Service on the bus", 20, || {
            bus.call_sync(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "GetNameOwner",
                Some(&("org.freedesktop.secrets",).to_variant()),
                None,
                gio::DBusCallFlags::NONE,
                1000,
                None::<&gio::Cancellable>,
            )
            .is_ok()
                && std::fs::read_dir(home.join("data/keyrings"))
                    .map(|d| d.count() > 0)
                    .unwrap_or(false)
        });
        Keyring { child, home }
    }
}

thread_local! {
    static KEYRING: std::cell::OnceCell<Keyring> = const { std::cell::OnceCell::new() };
}

/// The process's keyring (started on first use); returns its home. Every test whose
/// code may reach the Secret Service calls it first (the SSH askpass test too).
pub(crate) fn keyring_home() -> std::path::PathBuf {
    KEYRING.with(|k| {
        k.get_or_init(|| {
            let started = Keyring::start();
            // A session libsecret opened with another service before is let go.
            libsecret::Service::disconnect();
            started
        })
        .home
        .clone()
    })
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// The keyring's password for the VM, through Hangar's own look-up.
fn keyring_lookup(uri: &str, uuid: &str) -> Option<String> {
    let out: std::rc::Rc<std::cell::RefCell<Option<Option<String>>>> = Default::default();
    let o = out.clone();
    let (uri, uuid) = (uri.to_string(), uuid.to_string());
    gtk::glib::spawn_future_local(async move {
        let r = hangar::ui::console::keyring::lookup(&uri, &uuid).await;
        o.replace(Some(r));
    });
    wait_for("the keyring look-up", 20, || out.borrow().is_some());
    out.take().flatten()
}

/// Files under `dir` changed since `since` that hold `needle` in plain.
fn files_holding(
    dir: &std::path::Path,
    needle: &[u8],
    since: std::time::SystemTime,
) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else if meta.is_file()
                && meta.len() < 16 << 20
                && meta.modified().map(|m| m >= since).unwrap_or(true)
            {
                if let Ok(data) = std::fs::read(e.path()) {
                    if data.windows(needle.len()).any(|w| w == needle) {
                        found.push(e.path().display().to_string());
                    }
                }
            }
        }
    }
    found
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn vnc_password_is_remembered_in_the_keyring_only_when_asked() {
    let since = std::time::SystemTime::now() - Duration::from_secs(2);
    init();
    let keyring = keyring_home();
    let password = "kr#47x9"; // VNC passwords are 8 characters at most
    let guest = Guest::define("keyring", |n| {
        guest_xml(
            n,
            "",
            "",
            &format!("<graphics type='vnc' listen='127.0.0.1' passwd='{password}'/>"),
        )
    });
    virsh(&["start", &guest.0]).expect("guest starts");
    let open = |title: &str| {
        let f = Fixture::open(title);
        let page = f.console();
        page.set_prefer_fd(false);
        f.show(&guest.0, "console");
        (f, page)
    };

    // 1. Not ticked: it connects, and the keyring stays empty.
    let (f, page) = open("hangar-console-test-keyring-1");
    wait_for("the password prompt", 60, || {
        page.state() == ConsoleState::Password
    });
    assert!(!page.remember_password_ticked(), "Remember starts unticked");
    save_png(&page, "console-password-remember");
    type_password(&page, password, false);
    wait_for("the console to connect", 30, || {
        page.state() == ConsoleState::Connected
    });
    let uri = f.conn().uri();
    let uuid = f.conn().find_vm(&guest.0).expect("guest").uuid();
    settle(500);
    assert_eq!(keyring_lookup(&uri, &uuid), None, "nothing kept unasked");
    f.close();

    // 2. Asked again (nothing remembered); ticked this time: kept in the keyring.
    let (f, page) = open("hangar-console-test-keyring-2");
    wait_for("the password prompt", 60, || {
        page.state() == ConsoleState::Password
    });
    type_password(&page, password, true);
    wait_for("the console to connect", 30, || {
        page.state() == ConsoleState::Connected
    });
    wait_for("the password in the keyring", 20, || {
        keyring_lookup(&uri, &uuid).as_deref() == Some(password)
    });
    f.close();

    // 3. A new console: connects with the keyring's password, no prompt.
    let (f, page) = open("hangar-console-test-keyring-3");
    wait_for("the console to connect", 60, || {
        page.state() == ConsoleState::Connected
    });
    assert_eq!(page.password_prompts(), 0, "never asked");
    wait_match(&page, &guest.0, 40, "keyring");
    f.close();

    // 4. A remembered password that no longer works: the person is asked, told why,
    //    and the new one (ticked) replaces it.
    let stored: std::rc::Rc<std::cell::Cell<bool>> = Default::default();
    let done = stored.clone();
    let (u, id) = (uri.clone(), uuid.clone());
    gtk::glib::spawn_future_local(async move {
        hangar::ui::console::keyring::store(&u, &id, "old", "stale-pw")
            .await
            .expect("stored");
        done.set(true);
    });
    wait_for("the stale password stored", 20, || stored.get());
    let (f, page) = open("hangar-console-test-keyring-4");
    wait_for("the password prompt", 60, || {
        page.state() == ConsoleState::Password
    });
    assert!(
        page.password_error()
            .starts_with("The password remembered in the keyring was not accepted"),
        "says the keyring's password failed: {}",
        page.password_error()
    );
    save_png(&page, "console-password-stale");
    type_password(&page, password, true);
    wait_for("the console to connect", 30, || {
        page.state() == ConsoleState::Connected
    });
    wait_for("the new password in the keyring", 20, || {
        keyring_lookup(&uri, &uuid).as_deref() == Some(password)
    });
    f.close();

    // Nowhere in plain: not in the keyring's own files (encrypted), not in anything
    // this process wrote under the user's config, data or cache directories.
    let mut leaks = files_holding(&keyring, password.as_bytes(), since);
    for dir in [
        gtk::glib::user_config_dir(),
        gtk::glib::user_data_dir(),
        gtk::glib::user_cache_dir(),
        std::env::temp_dir(),
    ] {
        leaks.extend(files_holding(&dir, password.as_bytes(), since));
    }
    assert!(leaks.is_empty(), "the password is in plain in {leaks:?}");
}

/// Click into the middle of the console's guest screen, through the X server.
pub(crate) fn click_into(page: &ConsolePage, title: &str) {
    let (x, y) = gui::screen_centre(page.display(), title);
    xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]);
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn vnc_grabs_the_pointer_of_a_guest_without_a_tablet() {
    // QEMU's default PS/2 mouse is relative: a click grabs, Ctrl+Alt lets go.
    let guest = Guest::define("mouse", |n| guest_xml(n, "", "", VNC));
    virsh(&["start", &guest.0]).expect("guest starts");
    let title = "hangar-console-test-mouse";
    let f = Fixture::open(title);
    f.show(&guest.0, "console");
    let page = f.console();
    wait_for("the console to connect", 60, || {
        page.state() == ConsoleState::Connected
    });
    settle(500);
    click_into(&page, title);
    wait_for("the pointer grab", 10, || page.display().pointer_grabbed());
    assert_eq!(
        page.grab_hint(),
        "Ctrl+Alt releases the pointer and keyboard"
    );
    save_png(&page, "console-pointer-grabbed");
    xdotool(&["key", "ctrl+alt"]);
    wait_for("the pointer to be let go", 10, || {
        !page.display().pointer_grabbed()
    });
    assert_eq!(page.grab_hint(), "Ctrl+Alt releases the keyboard");
    f.close();
    // (A USB tablet makes QEMU's pointer absolute only once the guest polls it, which
    // SeaBIOS never does; the absolute case is tested against the in-test server.)
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn serial_console_shows_seabios() {
    let guest = Guest::define("serial", |n| {
        guest_xml(
            n,
            "<bios useserial='yes'/>",
            "<serial type='pty'><target port='0'/></serial><console type='pty'/>",
            VNC,
        )
    });
    // Paused first, so the console is open before SeaBIOS writes its first line.
    virsh(&["start", "--paused", &guest.0]).expect("guest starts paused");
    let f = Fixture::open("hangar-console-test-serial");
    f.show(&guest.0, "serial");
    let serial = f.serial();
    wait_for("the serial console to open", 60, || serial.is_open());
    virsh(&["resume", &guest.0]).expect("guest resumes");
    wait_for("SeaBIOS on the serial console", 60, || {
        let t = serial.received_text();
        t.contains("SeaBIOS") || t.contains("Press ESC")
    });
    save_png(&serial, "serial-console");
    // Keys typed into the terminal reach the guest: Escape opens the boot menu.
    wait_for("the boot prompt", 60, || {
        serial.received_text().contains("Press ESC")
    });
    serial.terminal().feed_child(b"\x1b");
    wait_for("the boot menu on the serial console", 30, || {
        serial.received_text().contains("Select boot device")
    });
    save_png(&serial, "serial-console-menu");
    f.close();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn a_guest_without_vnc_shows_why() {
    let guest = Guest::define("novnc", |n| guest_xml(n, "", "", ""));
    virsh(&["start", &guest.0]).expect("guest starts");
    let f = Fixture::open("hangar-console-test-novnc");
    f.show(&guest.0, "console");
    let page = f.console();
    wait_for("the error page", 60, || page.state() == ConsoleState::Error);
    assert!(
        page.error_text().contains("VNC"),
        "says there is no VNC display: {}",
        page.error_text()
    );
    save_png(&page, "console-error");
    // Not an error: the serial tab says there is no serial device.
    f.show(&guest.0, "serial");
    let serial = f.serial();
    settle(500);
    assert!(!serial.is_open());
    save_png(&serial, "serial-console-none");
    f.close();
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn overview_thumbnail_shows_the_screen() {
    let guest = Guest::define("thumb", |n| guest_xml(n, "", "", VNC));
    virsh(&["start", &guest.0]).expect("guest starts");
    let f = Fixture::open("hangar-console-test-thumb");
    f.show(&guest.0, "overview");
    let thumb = f.win.thumbnail().expect("the Overview has a thumbnail");
    // No console is open: the picture comes from virDomainScreenshot.
    assert!(!f.console().display().is_open());
    wait_for("a thumbnail", 30, || thumb.has_picture());
    let (first, shown) = (thumb.screenshots(), thumb.updates());
    // It refreshes while on screen (a screen that did not change is not drawn again).
    wait_for("a refreshed thumbnail", 30, || thumb.screenshots() > first);
    assert!(thumb.has_picture() && thumb.updates() >= shown);
    save_png(&f.win, "overview-thumbnail");
    // A click opens the Console tab.
    let button = thumb
        .first_child()
        .and_downcast::<gtk::Button>()
        .expect("the thumbnail is a button");
    button.emit_clicked();
    settle(100);
    assert_eq!(f.win.vm_page().visible_page().as_deref(), Some("console"));
    wait_for("the console to connect", 60, || {
        f.console().state() == ConsoleState::Connected
    });
    f.close();
}

/// `img` (w×h) box-averaged down to `dw`×`dh`.
fn box_scale(w: usize, h: usize, img: &[[u8; 3]], dw: usize, dh: usize) -> Vec<[u8; 3]> {
    let mut out = Vec::with_capacity(dw * dh);
    for dy in 0..dh {
        let (y0, y1) = (dy * h / dh, ((dy + 1) * h / dh).max(dy * h / dh + 1));
        for dx in 0..dw {
            let (x0, x1) = (dx * w / dw, ((dx + 1) * w / dw).max(dx * w / dw + 1));
            let mut acc = [0u64; 3];
            for y in y0..y1 {
                for p in &img[y * w + x0..y * w + x1] {
                    for c in 0..3 {
                        acc[c] += p[c] as u64;
                    }
                }
            }
            let n = ((y1 - y0) * (x1 - x0)) as u64;
            out.push([(acc[0] / n) as u8, (acc[1] / n) as u8, (acc[2] / n) as u8]);
        }
    }
    out
}

/// The list row showing the VM called `name`, if the list view has made one.
fn row_of(win: &Window, name: &str) -> Option<hangar::ui::window::list_row::ListRow> {
    win.bound_rows()
        .into_iter()
        .find(|r| r.vm().is_some_and(|v| v.name() == name))
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn list_thumbnails_for_rows_in_view_only() {
    // Sorted by name: a running guest on top, 30 shut-off ones, and a running guest
    // below them, out of view (but bound: the list view makes rows ahead).
    let top = Guest::define("list-a", |n| guest_xml(n, "", "", VNC));
    let fillers: Vec<Guest> = (0..30)
        .map(|i| Guest::define(&format!("list-m{i:02}"), |n| guest_xml(n, "", "", VNC)))
        .collect();
    let below = Guest::define("list-z", |n| guest_xml(n, "", "", VNC));
    virsh(&["start", &top.0]).expect("guest starts");
    virsh(&["start", &below.0]).expect("guest starts");
    let f = Fixture::open("hangar-console-test-list-thumbnails");
    let settings = f.win.settings().clone();
    settings.set_string("sort-key", "name").expect("sort key");
    assert!(f.win.list_thumbnails(), "list thumbnails are on by default");
    let conn = f.conn();
    wait_for("all guests listed", 60, || {
        conn.find_vm(&below.0).is_some() && conn.find_vm(&top.0).is_some()
    });
    wait_for("the rows to be bound", 30, || {
        row_of(&f.win, &top.0).is_some() && row_of(&f.win, &below.0).is_some()
    });
    // In view by the next layout: rows the sort has just moved keep their old places
    // until then.
    wait_for(
        "the first guest's row in view, the last one's not",
        10,
        || {
            let (Some(top_row), Some(below_row)) =
                (row_of(&f.win, &top.0), row_of(&f.win, &below.0))
            else {
                return false;
            };
            let visible = f.win.visible_rows();
            visible.contains(&top_row) && !visible.contains(&below_row)
        },
    );
    let top_row = row_of(&f.win, &top.0).expect("top row");

    // The row in view gets the guest's screen, scaled down.
    wait_for("a thumbnail in the top row", 60, || {
        f.win.thumbnails_tick();
        settle(200);
        top_row.thumbnail().is_some_and(|t| t.has_picture())
    });
    let thumb = top_row.thumbnail().expect("thumbnail");
    let tex = thumb
        .paintable()
        .and_downcast::<gdk::Texture>()
        .expect("the picture is a texture");
    let (tw, th, mine) = rgb_of(&tex);
    let (tw_max, th_max) = hangar::ui::window::list_row::THUMBNAIL_SIZE;
    let sf = top_row.scale_factor() as usize;
    assert!(
        tw <= tw_max as usize * sf && th <= th_max as usize * sf && tw > 8 && th > 4,
        "the picture is scaled down to the row ({tw}×{th})"
    );
    let (gw, gh, shot) = virsh_screenshot(&top.0, "list");
    assert!(
        ((tw as f64 / th as f64) - (gw as f64 / gh as f64)).abs() < 0.1,
        "the guest's aspect ratio is kept ({tw}×{th} for {gw}×{gh})"
    );
    let expected = box_scale(gw, gh, &shot, tw, th);
    let blank = vec![[0u8; 3]; expected.len()];
    let content = mean_diff(&expected, &blank);
    let d = mean_diff(&mine, &expected);
    eprintln!("list thumbnail {tw}×{th}: vs screenshot {d:.2}, screenshot vs black {content:.2}");
    assert!(content > 0.5, "the guest screen is not blank");
    assert!(
        d < content * 0.25,
        "the thumbnail shows the guest's screen (difference {d:.2}, content {content:.2})"
    );
    assert!(thumb.screenshots() >= 1);

    // More ticks: the row out of view never costs a screenshot (counted by the window
    // per domain, since the list view may bind a row widget to another VM meanwhile;
    // and from now on, since the row may have been in view while the list loaded).
    let below_uuid = conn.find_vm(&below.0).expect("listed").uuid();
    let shots_below = |win: &Window| -> u64 { win.thumbnail_screenshots(&below_uuid) };
    let before = shots_below(&f.win);
    eprintln!("screenshots of the guest below before the check: {before}");
    for _ in 0..3 {
        f.win.thumbnails_tick();
        settle(300);
    }
    assert_eq!(
        shots_below(&f.win),
        before,
        "no screenshot of a guest whose row is out of view"
    );
    let below_row = row_of(&f.win, &below.0).expect("row below");
    assert!(!f.win.visible_rows().contains(&below_row));
    save_png(&f.win, "list-thumbnails");

    // A busy computer gets no backlog: while the background thread is held up, the
    // row asks for one screenshot, which waits there, and no more; once free, it goes on.
    let (release, held) = std::sync::mpsc::channel::<()>();
    gtk::glib::spawn_future_local(hangar::backend::background::run(move || held.recv()));
    settle(50);
    let before = thumb.screenshots();
    for _ in 0..4 {
        f.win.thumbnails_tick();
        settle(300);
    }
    let while_held = thumb.screenshots() - before;
    assert!(
        while_held <= 1,
        "{while_held} screenshots asked while the last waited to be decoded"
    );
    release.send(()).expect("the held job waits");
    settle(300);
    wait_for("screenshots again once the background is free", 30, || {
        f.win.thumbnails_tick();
        settle(300);
        thumb.screenshots() > before + while_held
    });

    // A hidden window asks for nothing.
    let before = thumb.screenshots();
    f.win.set_visible(false);
    settle(100);
    f.win.thumbnails_tick();
    settle(300);
    assert_eq!(thumb.screenshots(), before, "no screenshot while hidden");
    f.win.present();
    settle(300);

    // With the guest's console open, the picture comes from it: no libvirt call.
    f.show(&top.0, "console");
    wait_for("the console to connect", 60, || {
        f.console().state() == ConsoleState::Connected
    });
    settle(500);
    let (shots, updates) = (thumb.screenshots(), thumb.updates());
    wait_for("a thumbnail from the console", 30, || {
        f.win.thumbnails_tick();
        settle(200);
        thumb.updates() > updates
    });
    assert_eq!(
        thumb.screenshots(),
        shots,
        "the open console gave the picture"
    );

    // Scrolled into view, the last guest's row gets a fresh picture by itself (soon
    // after scrolling stops, or at the next tick).
    let below_before = shots_below(&f.win);
    let adj = f.win.list_view().vadjustment().expect("the list scrolls");
    adj.set_value(adj.upper());
    let start = Instant::now();
    loop {
        settle(1000);
        let row = row_of(&f.win, &below.0);
        let in_view = row
            .as_ref()
            .is_some_and(|r| f.win.visible_rows().contains(r));
        let picture = row
            .and_then(|r| r.thumbnail())
            .is_some_and(|t| t.has_picture());
        let shots = shots_below(&f.win);
        if in_view && picture && shots > below_before {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the scrolled-in row gets a picture (in view {in_view}, picture {picture}, \
             screenshots {shots})"
        );
    }
    save_png(&f.win, "list-thumbnails-scrolled");

    // The preference turns them off.
    settings
        .set_boolean("list-thumbnails", false)
        .expect("setting");
    settle(100);
    assert!(
        top_row.thumbnail().is_none(),
        "no thumbnail when turned off"
    );
    save_png(&f.win, "list-thumbnails-off");
    settings.reset("list-thumbnails");
    f.close();
    drop(fillers);
}

/// An sshd on the namespace's loopback, on a free port, with a host key, a client key
/// and an `authorized_keys` of its own (all in a temporary directory). The client's
/// known hosts go there too: `/etc/ssh/ssh_config` is bind-mounted over inside this
/// private mount namespace, so nothing is written to the machine's `~/.ssh`.
pub(crate) struct Sshd {
    dir: std::path::PathBuf,
    child: std::process::Child,
    port: u16,
}

impl Sshd {
    pub(crate) fn start() -> Sshd {
        let dir = std::env::temp_dir().join(format!("hangar-sshd-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("sshd dir");
        for key in ["host_key", "client_key"] {
            let st = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(dir.join(key))
                .status()
                .expect("ssh-keygen runs (package openssh-client)");
            assert!(st.success(), "ssh-keygen makes {key}");
        }
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys"))
            .expect("authorized_keys");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let d = dir.display();
        std::fs::write(
            dir.join("sshd_config"),
            format!(
                "ListenAddress 127.0.0.1:{port}\nHostKey {d}/host_key\n\
                 AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\n\
                 PermitRootLogin prohibit-password\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nUsePAM no\nPidFile none\n"
            ),
        )
        .expect("sshd_config");
        std::fs::write(
            dir.join("ssh_config"),
            format!(
                "Host *\n  UserKnownHostsFile {d}/known_hosts\n  GlobalKnownHostsFile /dev/null\n"
            ),
        )
        .expect("ssh_config");
        let st = Command::new("mount")
            .arg("--bind")
            .arg(dir.join("ssh_config"))
            .arg("/etc/ssh/ssh_config")
            .status()
            .expect("mount runs");
        assert!(
            st.success(),
            "ssh_config bind-mounted (needs the test namespace)"
        );
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        let child = Command::new("/usr/sbin/sshd")
            .arg("-D")
            .arg("-f")
            .arg(dir.join("sshd_config"))
            .arg("-E")
            .arg(dir.join("sshd.log"))
            .spawn()
            .expect("sshd runs (package openssh-server)");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "sshd listens: {}",
                std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Sshd { dir, child, port }
    }

    pub(crate) fn uri(&self) -> String {
        format!(
            "qemu+ssh://root@127.0.0.1:{}/system?keyfile={}/client_key&no_verify=1",
            self.port,
            self.dir.display()
        )
    }

    /// Refuse the client key from now on.
    fn revoke_key(&self) {
        std::fs::write(self.dir.join("authorized_keys"), "").expect("authorized_keys");
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("umount").arg("/etc/ssh/ssh_config").status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn vnc_over_an_ssh_tunnel() {
    let sshd = Sshd::start();
    let tcp = Guest::define("ssh-tcp", |n| guest_xml(n, "", "", VNC));
    // A display on a UNIX socket only: no way to it but through the tunnel.
    let unix = Guest::define("ssh-unix", |n| {
        guest_xml(
            n,
            "",
            "",
            "<graphics type='vnc'><listen type='socket'/></graphics>",
        )
    });
    virsh(&["start", &tcp.0]).expect("guest starts");
    virsh(&["start", &unix.0]).expect("guest starts");
    let f = Fixture::open_uri("hangar-console-test-ssh", &sshd.uri());
    assert!(
        f.conn().backend().uri().starts_with("qemu+ssh://"),
        "connected over SSH"
    );

    for (guest, tag) in [(&tcp, "ssh-tcp"), (&unix, "ssh-unix")] {
        f.show(&guest.0, "console");
        let page = f.console();
        wait_for("the console over SSH", 90, || {
            assert_ne!(
                page.state(),
                ConsoleState::Error,
                "{tag}: {} (sshd: {})",
                page.error_text(),
                sshd.log()
            );
            page.state() == ConsoleState::Connected
        });
        assert!(page.display().is_tunnelled(), "{tag}: through the tunnel");
        wait_match(&page, &guest.0, 60, tag);
        save_png(&f.win, &format!("console-{tag}"));
    }
    assert!(
        sshd.log().matches("Accepted publickey").count() >= 3,
        "libvirt and two tunnels logged in: {}",
        sshd.log()
    );

    // The key is refused from now on: the libvirt connection stays, the tunnel says why.
    sshd.revoke_key();
    let page = f.console();
    page.reconnect();
    wait_for("the tunnel's error", 90, || {
        page.state() == ConsoleState::Error
    });
    let text = page.error_text();
    assert!(
        text.contains("SSH") && text.contains("Permission denied"),
        "the error page shows ssh's reason: {text}"
    );
    save_png(&f.win, "console-ssh-error");
    f.close();
    assert!(
        !std::path::Path::new("/root/.ssh/known_hosts").exists()
            || std::fs::read_to_string("/root/.ssh/known_hosts")
                .is_ok_and(|k| !k.contains(&format!("127.0.0.1]:{}", sshd.port))),
        "nothing written to the machine's known hosts"
    );
}

/// Answer the console's password prompt as a person does: type into its field, tick
/// Remember or not, click Connect.
pub(crate) fn type_password(page: &ConsolePage, password: &str, remember: bool) {
    let entry = gui::find::<gtk::PasswordEntry>(page).expect("the password field");
    assert!(entry.is_mapped(), "the password field is on screen");
    entry.set_text(password);
    let check = gui::descendants::<gtk::CheckButton>(page)
        .into_iter()
        .find(|c| c.is_mapped())
        .expect("the Remember check box");
    check.set_active(remember);
    gui::click(&gui::button_labelled(page, "Connect"));
}
