//! UI tests under Xvfb: the real window on the libvirt test driver, driven through its
//! actions and widgets as a person would. Each test saves a PNG of what it shows into
//! `$HANGAR_SCREENSHOT_DIR` (default `target/screenshots`).

use std::time::Instant;

use adw::prelude::*;
use gtk::gio;

use hangar::backend::conn::uri::DEMO_URI;
use hangar::backend::domain::DomainState;
use hangar::model::{ConnStatus, Connection, Vm};
use hangar::ui::window::list::StateFilter;
use hangar::ui::Window;

use crate::common;
use crate::gui;
use common::TempDir;
use gui::{app, save_png, settle, wait_for};

fn init() {
    // SAFETY of the environment change: tests in this file run one at a time on one
    // thread (#[gtk::test]); nothing else reads the environment concurrently.
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    virt::error::clear_error_callback();
    gui::clean_desktop();
}

struct Fixture {
    app: hangar::application::Application,
    win: Window,
    store: gio::ListStore,
    _dir: Option<TempDir>,
}

fn node_file(n: usize) -> (TempDir, String) {
    let dir = TempDir::new("node");
    let mut xml = String::from("<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n");
    for i in 0..n {
        let state = if i % 2 == 0 { 1 } else { 5 };
        xml.push_str(&format!(
            "<domain type='test'><name>vm-{i:05}</name><uuid>00000000-0000-0000-0000-{:012}</uuid>\
             <title>Machine {i}</title><memory unit='MiB'>{}</memory><vcpu>{}</vcpu>\
             <os><type arch='x86_64'>hvm</type></os><test:runstate>{state}</test:runstate></domain>\n",
            i + 1,
            512 + (i % 4) * 256,
            1 + i % 4
        ));
    }
    xml.push_str("</node>\n");
    let path = dir.path().join("node.xml");
    std::fs::write(&path, xml).expect("node file");
    let uri = format!("test://{}", path.display());
    (dir, uri)
}

fn open(uri: &str, dir: Option<TempDir>) -> Fixture {
    init();
    let app = app();
    let settings = hangar::settings::settings();
    let store = gio::ListStore::new::<Connection>();
    let win = Window::new(&app, &settings, &store);
    win.set_default_size(1100, 720);
    win.present();
    let conn = Connection::new(uri, false, false);
    win.watch_connection(&conn);
    store.append(&conn);
    conn.connect_now();
    wait_for("the connection to load", 30, || conn.loaded());
    Fixture {
        app,
        win,
        store,
        _dir: dir,
    }
}

impl Fixture {
    fn conn(&self) -> Connection {
        self.store
            .item(0)
            .and_downcast::<Connection>()
            .expect("a connection")
    }

    fn vms(&self) -> Vec<Vm> {
        self.conn().domains().iter::<Vm>().flatten().collect()
    }

    fn vm(&self, name: &str) -> Vm {
        self.conn()
            .find_vm(name)
            .unwrap_or_else(|| panic!("no VM {name}"))
    }

    fn wait_details(&self) {
        let c = self.conn();
        wait_for("domain details", 30, || {
            c.domains().iter::<Vm>().flatten().all(|v| v.vcpus() > 0)
        });
    }

    fn activate(&self, action: &str) {
        let a = self
            .win
            .lookup_action(action)
            .unwrap_or_else(|| panic!("no action win.{action}"));
        assert!(a.is_enabled(), "win.{action} is disabled");
        a.activate(None);
    }

    fn close(self) {
        for c in self.store.iter::<Connection>().flatten() {
            c.backend().shutdown();
        }
        self.win.destroy();
        settle(50);
        drop(self.app);
    }
}

/// Accessible labels of the rows on screen (what AT-SPI sees for each row).
fn visible_row_labels(win: &Window) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![win.list_view().upcast::<gtk::Widget>()];
    while let Some(w) = stack.pop() {
        if let Some(row) = w.downcast_ref::<hangar::ui::window::list_row::ListRow>() {
            if row.is_mapped() {
                let name = row
                    .first_child()
                    .and_then(|c| c.next_sibling())
                    .and_downcast::<gtk::Label>()
                    .map(|l| l.label().to_string())
                    .unwrap_or_default();
                out.push(name);
            }
        }
        let mut c = w.first_child();
        while let Some(ch) = c {
            c = ch.next_sibling();
            stack.push(ch);
        }
    }
    out
}

#[gtk::test]
fn demo_lab_fills_the_window() {
    let f = open(DEMO_URI, None);
    f.wait_details();
    let vms = f.vms();
    assert!(vms.len() >= 10, "demo lab has {} domains", vms.len());
    let states: std::collections::HashSet<_> = vms.iter().map(|v| v.domain_state()).collect();
    assert!(
        states.len() >= 3,
        "demo lab shows several states: {states:?}"
    );
    assert_eq!(f.conn().status(), ConnStatus::Connected);
    // Rows on screen carry the domain names.
    settle(300);
    let labels = visible_row_labels(&f.win);
    let first = vms.iter().map(|v| v.name()).min().expect("a VM");
    assert!(
        labels.contains(&first),
        "row for {first} on screen; rows: {labels:?}"
    );
    // Sampling runs for the rows on screen: running guests get CPU history.
    let ticks = f.win.stats_ticks();
    for _ in 0..3 {
        f.win.stats_tick();
        settle(200);
    }
    assert!(f.win.stats_ticks() > ticks, "statistics replies applied");
    let running: Vec<&Vm> = vms
        .iter()
        .filter(|v| v.domain_state().is_running())
        .collect();
    assert!(!running.is_empty());
    assert!(
        running.iter().any(|v| !v.cpu_history().is_empty()),
        "a running VM on screen has CPU samples"
    );
    let shut: Vec<&Vm> = vms
        .iter()
        .filter(|v| v.domain_state() == DomainState::Shutoff)
        .collect();
    assert!(shut.iter().all(|v| v.cpu_history().is_empty()));
    let png = save_png(&f.win, "01-demo-window");
    assert!(png.exists());
    // The selected running VM's Overview.
    let vm = running[0].clone();
    assert!(f.win.select_item(vm.upcast_ref()));
    for _ in 0..3 {
        f.win.stats_tick();
        settle(150);
    }
    // At the default size the page sits beside the list: nothing forces the window
    // to fold to its sidebar (five tabs once did).
    assert!(
        f.win.vm_page().is_mapped(),
        "the VM page is on screen beside the list"
    );
    let series = f.win.vm_page().graph_series();
    assert_eq!(series.len(), 4, "four graphs: CPU, memory, disk, network");
    assert!(
        !series[0].is_empty() && !series[0][0].is_empty(),
        "CPU graph has data"
    );
    save_png(&f.win, "02-vm-overview");

    // Guest pictures in the rows: a running guest's picture stands for its state; a
    // paused or crashed one keeps its state icon, as a badge over the picture.
    let row_of = |name: &str| {
        gui::descendants::<hangar::ui::window::list_row::ListRow>(&f.win.list_view())
            .into_iter()
            .find(|r| r.vm().is_some_and(|v| v.name() == name))
            .unwrap_or_else(|| panic!("a row for {name}"))
    };
    let with_picture = |name: &str| row_of(name).thumbnail().is_some_and(|t| t.has_picture());
    wait_for("guest pictures in the rows", 30, || {
        with_picture("ci-runner-01") && with_picture("db-replica")
    });
    settle(100);
    assert!(
        !row_of("ci-runner-01").shows_state_icon(),
        "running: the picture says it"
    );
    assert!(
        row_of("db-replica").shows_state_icon(),
        "paused: the badge says it"
    );
    save_png(&f.win, "02b-list-state-badges");
    // A screen that did not change (the test driver's never does) is fetched again
    // but not decoded and drawn again.
    // (A tick while the last screenshot still waits for the background thread asks
    // for none: decoding takes up to a second in a debug build, behind the others.)
    let thumb = row_of("ci-runner-01").thumbnail().expect("a thumbnail");
    let (shots, shown) = (thumb.screenshots(), thumb.updates());
    for i in 1..=2 {
        wait_for("the screen fetched again", 30, || {
            f.win.thumbnails_tick();
            settle(300);
            thumb.screenshots() >= shots + i
        });
    }
    // Give a redraw that should not happen the time to happen.
    settle(3000);
    assert_eq!(
        thumb.updates(),
        shown,
        "the same picture is not drawn again"
    );
    f.close();
}

#[gtk::test]
fn search_and_state_filter_narrow_the_list() {
    let (dir, uri) = node_file(60);
    let f = open(&uri, Some(dir));
    f.wait_details();
    assert_eq!(f.win.visible_vms().len(), 60);
    f.win.set_search("vm-0001", StateFilter::All);
    settle(50);
    let shown: Vec<String> = f.win.visible_vms().iter().map(|v| v.name()).collect();
    assert_eq!(shown.len(), 10, "vm-00010…vm-00019: {shown:?}");
    assert!(shown.iter().all(|n| n.starts_with("vm-0001")));
    // Titles match too, case-insensitively.
    f.win.set_search("MACHINE 42", StateFilter::All);
    settle(50);
    let shown: Vec<String> = f.win.visible_vms().iter().map(|v| v.name()).collect();
    assert_eq!(shown, vec!["vm-00042".to_string()]);
    f.win.set_search("", StateFilter::Running);
    settle(50);
    let shown = f.win.visible_vms();
    assert_eq!(shown.len(), 30);
    assert!(shown.iter().all(|v| v.domain_state().is_running()));
    f.win.set_search("vm-0001", StateFilter::Shutoff);
    settle(50);
    let shown: Vec<String> = f.win.visible_vms().iter().map(|v| v.name()).collect();
    assert_eq!(shown.len(), 5, "odd ones are shut off: {shown:?}");
    save_png(&f.win, "03-search-filter");
    f.win.set_search("no such machine", StateFilter::All);
    settle(50);
    assert!(f.win.visible_vms().is_empty());
    save_png(&f.win, "04-search-no-results");
    // Sorting by state puts running guests first; by name restores the order.
    f.win.set_search("", StateFilter::All);
    f.win.settings().set_string("sort-key", "state").unwrap();
    settle(50);
    let order = f.win.visible_vms();
    let first_off = order
        .iter()
        .position(|v| !v.domain_state().is_running())
        .expect("some are off");
    assert!(order[first_off..]
        .iter()
        .all(|v| !v.domain_state().is_running()));
    f.win.settings().set_string("sort-key", "name").unwrap();
    settle(50);
    let names: Vec<String> = f.win.visible_vms().iter().map(|v| v.name()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    f.close();
}

#[gtk::test]
fn run_and_force_off_from_the_window() {
    let (dir, uri) = node_file(6);
    let f = open(&uri, Some(dir));
    f.wait_details();
    let vm = f.vm("vm-00001");
    assert_eq!(vm.domain_state(), DomainState::Shutoff);
    assert!(f.win.select_item(vm.upcast_ref()));
    settle(50);
    assert!(
        f.win
            .lookup_action("pause")
            .is_some_and(|a| !a.is_enabled()),
        "pause is off for a shut-off VM"
    );
    f.activate("start");
    wait_for("vm-00001 to run", 20, || {
        vm.domain_state() == DomainState::Running
    });
    save_png(&f.win, "05-vm-started");
    // Force off asks first (default preference); confirm through the dialog.
    f.activate("force-off");
    settle(100);
    let dialog = gtk::Window::list_toplevels()
        .into_iter()
        .find_map(|w| w.downcast::<adw::MessageDialog>().ok())
        .expect("a confirmation dialog");
    assert!(dialog.heading().unwrap_or_default().contains("vm-00001"));
    save_png(&dialog, "06-confirm-force-off");
    assert_eq!(
        vm.domain_state(),
        DomainState::Running,
        "nothing happens before the answer"
    );
    dialog.response("ok");
    // The dialog closes itself on a response; keep no reference past its parent.
    drop(dialog);
    wait_for("vm-00001 to stop", 20, || {
        vm.domain_state() == DomainState::Shutoff
    });
    f.close();
}

#[gtk::test]
fn several_selected_vms_are_acted_on_together() {
    let (dir, uri) = node_file(8);
    let f = open(&uri, Some(dir));
    f.wait_details();
    let sel = f.win.selection();
    let targets: Vec<Vm> = ["vm-00001", "vm-00003", "vm-00005"]
        .iter()
        .map(|n| f.vm(n))
        .collect();
    for (i, vm) in targets.iter().enumerate() {
        let pos = (0..sel.n_items())
            .find(|p| {
                sel.item(*p)
                    .and_downcast::<gtk::TreeListRow>()
                    .and_then(|r| r.item())
                    .as_ref()
                    == Some(vm.upcast_ref())
            })
            .expect("row");
        sel.select_item(pos, i == 0);
    }
    settle(50);
    assert_eq!(f.win.selected_vms().len(), 3);
    save_png(&f.win, "07-multi-selection");
    f.activate("start");
    wait_for("three VMs to run", 20, || {
        targets
            .iter()
            .all(|v| v.domain_state() == DomainState::Running)
    });
    assert_eq!(
        f.vm("vm-00007").domain_state(),
        DomainState::Shutoff,
        "others untouched"
    );
    f.close();
}

#[gtk::test]
fn title_and_description_are_saved() {
    let (dir, uri) = node_file(3);
    let f = open(&uri, Some(dir));
    f.wait_details();
    let vm = f.vm("vm-00002");
    assert!(f.win.select_item(vm.upcast_ref()));
    f.win
        .vm_page()
        .edit_metadata("Build box", "Runs the nightly builds.\nAsk Sam.");
    wait_for("the new title", 20, || vm.title() == "Build box");
    assert_eq!(vm.description(), "Runs the nightly builds.\nAsk Sam.");
    f.close();
}

#[gtk::test]
fn add_connection_dialog_explains_bad_input() {
    use hangar::ui::window::add_connection::AddConnectionDialog;
    init();
    let app = app();
    let settings = hangar::settings::settings();
    let store = gio::ListStore::new::<Connection>();
    let win = Window::new(&app, &settings, &store);
    win.present();
    settle(100);
    save_png(&win, "08-no-connections");
    // The empty window's own button, as a person opens it.
    let d = gui::opened_by::<AddConnectionDialog>("the Add Connection dialog", || {
        gui::click(&gui::button_labelled(&win, "Add Connection…"))
    });
    settle(100);
    let connect = gui::button_labelled(&d, "Connect");
    assert_eq!(d.shown_uri(), "qemu:///system");
    assert!(connect.is_sensitive());
    let remote = gui::descendants::<adw::ExpanderRow>(&d)
        .into_iter()
        .next()
        .expect("the remote host switch");
    remote.set_enable_expansion(true);
    remote.set_expanded(true);
    settle(100);
    gui::pick_in_row(&d, "Hypervisor", "QEMU/KVM User Session");
    gui::type_into_row(&d, "User Name", "alice");
    gui::type_into_row(&d, "Host", "lab1.example.org");
    gui::type_into_row(&d, "Port (optional)", "2222");
    assert_eq!(
        d.shown_uri(),
        "qemu+ssh://alice@lab1.example.org:2222/session"
    );
    gui::pick_in_row(&d, "Hypervisor", "QEMU/KVM");
    gui::type_into_row(&d, "Host", "lab1");
    gui::type_into_row(&d, "Port (optional)", "99999");
    assert!(!connect.is_sensitive());
    let err = d.shown_error().expect("an error is shown");
    assert!(err.contains("port"), "{err}");
    save_png(&d, "09-add-connection-bad-port");
    remote.set_enable_expansion(false);
    gui::pick_in_row(&d, "Hypervisor", "Custom URI");
    gui::type_into_row(&d, "URI", "not a uri");
    assert!(!connect.is_sensitive());
    assert!(d.shown_error().is_some());
    gui::pick_in_row(&d, "Hypervisor", "Demo Hypervisor");
    assert_eq!(d.shown_uri(), DEMO_URI);
    assert!(connect.is_sensitive());
    save_png(&d, "10-add-connection-demo");
    // Connect adds the connection and closes the dialog.
    gui::click(&connect);
    drop(d);
    wait_for("the demo connection", 10, || {
        store
            .iter::<Connection>()
            .flatten()
            .any(|c| c.uri() == DEMO_URI)
    });
    wait_for("the dialog to close", 10, || {
        gui::toplevel::<AddConnectionDialog>().is_none()
    });
    for c in store.iter::<Connection>().flatten() {
        c.backend().shutdown();
    }
    win.destroy();
}

#[gtk::test]
fn host_page_shows_the_host() {
    let (dir, uri) = node_file(4);
    let f = open(&uri, Some(dir));
    f.wait_details();
    let conn = f.conn();
    wait_for("host info", 10, || conn.host_info().is_some());
    assert!(f.win.select_item(conn.upcast_ref()));
    for _ in 0..2 {
        f.win.stats_tick();
        settle(150);
    }
    assert!(
        conn.is_host_watched(),
        "the host page asks for host samples"
    );
    let info = conn.host_info().expect("host info");
    assert!(!info.hostname.is_empty());
    assert!(info.cpus > 0 && info.memory_kib > 0);
    save_png(&f.win, "11-host-page");
    // Disconnecting empties the list and says so.
    conn.disconnect_now();
    wait_for("disconnected", 10, || {
        conn.status() == ConnStatus::Disconnected
    });
    assert_eq!(conn.domains().n_items(), 0);
    save_png(&f.win, "12-disconnected");
    f.close();
}

/// The list's first rows at start are a screenful of the list as it is sized: enough to
/// fill it while the rest waits, hardly more (each costs GTK a row, and a screen reader
/// its objects), and a shorter window gets fewer.
#[gtk::test]
fn the_first_rows_fill_the_list_at_its_height_and_no_more() {
    let (_dir, uri) = node_file(300);
    init();
    let app = app();
    let settings = hangar::settings::settings();
    let store = gio::ListStore::new::<Connection>();
    let win = Window::new(&app, &settings, &store);
    let conn = Connection::new(&uri, false, false);
    win.watch_connection(&conn);
    store.append(&conn);
    let mut firsts = Vec::new();
    for height in [760, 420] {
        win.set_default_size(1100, height);
        win.present();
        let adj = win.list_view().vadjustment().expect("the list scrolls");
        wait_for("the list to take the window's height", 10, || {
            adj.page_size() > 0.0 && (adj.page_size() - (height - 60) as f64).abs() < 40.0
        });
        conn.connect_now();
        wait_for("the first rows", 30, || conn.domains().n_items() > 0);
        let first = conn.domains().n_items() as usize;
        wait_for("the whole list", 30, || conn.loaded());
        assert_eq!(conn.domains().n_items(), 300);
        settle(200);
        let shown = win
            .visible_rows()
            .iter()
            .filter(|r| r.vm().is_some())
            .count();
        eprintln!("window {height} px high: {first} rows first, {shown} rows on screen");
        assert!(
            first >= shown && first * 4 <= shown * 5 + 8,
            "{first} rows came first where the list shows {shown}"
        );
        save_png(&win, &format!("02c-first-rows-{height}"));
        firsts.push(first);
        conn.disconnect_now();
        wait_for("disconnected", 10, || {
            conn.status() == ConnStatus::Disconnected && conn.domains().n_items() == 0
        });
    }
    assert!(
        firsts[1] < firsts[0],
        "a shorter list starts with fewer rows"
    );
    win.close();
}

#[gtk::test]
fn a_thousand_domains_load_into_the_list() {
    let (dir, uri) = node_file(1000);
    let start = Instant::now();
    let f = open(&uri, Some(dir));
    let listed = start.elapsed();
    // `loaded` is set once every domain is in the list (they arrive in steps).
    assert_eq!(f.conn().domains().n_items(), 1000);
    f.wait_details();
    eprintln!(
        "1000 domains: listed after {:.0} ms, detailed after {:.0} ms",
        listed.as_secs_f64() * 1000.0,
        start.elapsed().as_secs_f64() * 1000.0
    );
    // Only the rows on screen are watched (and so sampled).
    settle(200);
    let on_screen = f.win.vms_on_screen();
    assert!(
        on_screen.len() > 5 && on_screen.len() < 30,
        "{} rows on screen",
        on_screen.len()
    );
    assert!(on_screen.iter().any(|v| v.name() == "vm-00000"));
    // A tick samples only those: VMs far down the list get nothing.
    for _ in 0..2 {
        f.win.stats_tick();
        settle(150);
    }
    let far = f.vm("vm-00900");
    assert!(far.domain_state().is_running());
    assert!(
        far.cpu_history().is_empty(),
        "off-screen VMs are not sampled"
    );
    assert!(on_screen
        .iter()
        .filter(|v| v.domain_state().is_running())
        .all(|v| !v.cpu_history().is_empty()));
    save_png(&f.win, "13-thousand-domains");
    f.close();
}

#[gtk::test]
fn preferences_and_shortcuts_windows_open() {
    init();
    let app = app();
    let settings = hangar::settings::settings();
    // Preferences, as the main menu (and Ctrl+,) open them: the app's action.
    let prefs = gui::opened_by::<adw::PreferencesWindow>("the Preferences window", || {
        app.activate_action("preferences", None)
    });
    prefs.set_default_size(640, 720);
    settle(200);
    // Every switch is bound to its key: flipping a key flips exactly one switch.
    let count_active = || {
        gui::descendants::<gtk::Switch>(&prefs)
            .iter()
            .filter(|s| s.is_active())
            .count() as i32
    };
    let before = count_active();
    let was = settings.boolean("confirm-force-off");
    settings.set_boolean("confirm-force-off", !was).unwrap();
    settle(50);
    let after = count_active();
    assert_eq!((after - before).abs(), 1, "{before} → {after}");
    settings.set_boolean("confirm-force-off", was).unwrap();
    settle(50);
    // And a switch flipped by a person writes its key.
    let sw = gui::switch_of_row(&prefs, "Force Off");
    gui::flip(&sw);
    assert_eq!(settings.boolean("confirm-force-off"), !was);
    gui::flip(&sw);
    assert_eq!(settings.boolean("confirm-force-off"), was);
    save_png(&prefs, "14-preferences");
    prefs.close();
    drop(prefs);
    // The keyboard shortcuts, from the window's action (the main menu's item).
    let win = app.main_window();
    win.present();
    let help = gui::opened_by::<gtk::ShortcutsWindow>("the Keyboard Shortcuts window", || {
        gtk::prelude::WidgetExt::activate_action(&win, "win.show-help-overlay", None)
            .expect("the help overlay action")
    });
    settle(200);
    let titles = gui::descendants::<gtk::ShortcutsShortcut>(&help)
        .iter()
        .map(|s| s.property::<String>("title"))
        .collect::<Vec<_>>();
    assert!(titles.iter().any(|t| t == "Delete"), "{titles:?}");
    help.close();
    win.close();
}

/// Every message dialog among the toplevels (what a person would see pop up).
fn message_dialogs() -> Vec<adw::MessageDialog> {
    gtk::Window::list_toplevels()
        .into_iter()
        .filter_map(|w| w.downcast::<adw::MessageDialog>().ok())
        .filter(|d| d.is_visible())
        .collect()
}

#[gtk::test]
fn list_shortcuts_never_take_keys_from_text_fields() {
    let f = open(DEMO_URI, None);
    f.wait_details();
    let title = format!("hangar-keys-test-{}", std::process::id());
    f.win.set_title(Some(&title));
    let vm = f.vm("web-frontend");
    assert!(f.win.select_item(vm.upcast_ref()));
    f.win.vm_page().show_page("overview");
    settle(300);
    // The description: a text view on the Overview. A person clicks into it.
    let text = gui::descendants::<gtk::TextView>(f.win.vm_page())
        .into_iter()
        .find(|t| t.is_mapped() && t.is_editable())
        .expect("the description's text view on screen");
    gui::raise(&title);
    let (x, y) = gui::screen_centre(&text, &title);
    gui::xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]);
    wait_for("the description to have the keyboard", 5, || {
        text.has_focus()
    });
    let before = {
        let b = text.buffer();
        b.text(&b.start_iter(), &b.end_iter(), false).to_string()
    };
    assert!(!before.is_empty(), "the demo VM has a description");
    // Ctrl+A selects the text (not every VM), Delete deletes it (asks nothing),
    // F2 and Ctrl+Return do nothing to the VM.
    gui::xdotool(&["key", "ctrl+a"]);
    settle(200);
    assert_eq!(f.win.selected_vms().len(), 1, "Ctrl+A stayed in the field");
    gui::xdotool(&["key", "Delete"]);
    settle(300);
    let after = {
        let b = text.buffer();
        b.text(&b.start_iter(), &b.end_iter(), false).to_string()
    };
    assert_eq!(after, "", "Delete deleted the selected text");
    gui::xdotool(&["key", "F2", "ctrl+Return"]);
    settle(300);
    assert!(
        message_dialogs().is_empty(),
        "no dialog (delete, rename) opened from keys typed into a field"
    );
    assert_eq!(f.win.selected_vms().len(), 1);
    save_png(&f.win, "15-keys-stay-in-the-field");

    // In the list the same keys act on the selection: Delete asks to delete the VM.
    let row = gui::descendants::<hangar::ui::window::list_row::ListRow>(&f.win.list_view())
        .into_iter()
        .find(|r| r.vm().is_some_and(|v| v.name() == "web-frontend"))
        .expect("the VM's row");
    let (x, y) = gui::screen_centre(&row, &title);
    gui::xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]);
    wait_for("the list to have the keyboard", 5, || {
        f.win.list_view().focus_child().is_some() || f.win.list_view().has_focus()
    });
    gui::xdotool(&["key", "Delete"]);
    wait_for("the delete confirmation", 5, || {
        !message_dialogs().is_empty()
    });
    let dialog = message_dialogs().remove(0);
    assert!(
        dialog
            .heading()
            .unwrap_or_default()
            .contains("web-frontend"),
        "{:?}",
        dialog.heading()
    );
    dialog.response("cancel");
    drop(dialog);
    settle(100);
    assert!(
        f.conn().find_vm("web-frontend").is_some(),
        "nothing deleted"
    );
    f.close();
}

/// A screen reader hears what is on screen: the closed search bar and the pages of the
/// window's stacks that are not shown stay out of the accessible tree (GTK 4.8 presents
/// them), and the search entry joins it when the search opens.
#[gtk::test]
fn a_screen_reader_meets_the_list_first_and_nothing_hidden() {
    let (dir, uri) = node_file(3);
    let f = open(&uri, Some(dir));
    let title = format!("hangar-a11y-hidden-{}", std::process::id());
    f.win.set_title(Some(&title));
    settle(200);
    let names = |tree: &[gui::AccessibleNode]| -> Vec<String> {
        tree.iter().map(|n| n.name.clone()).collect()
    };
    let tree = names(&gui::presented_tree(&title));
    let at = |name: &str| tree.iter().position(|n| n == name);
    let (Some(row), Some(details)) = (at("vm-00000"), at("No Virtual Machine Selected")) else {
        panic!("the list and the details pane are read: {tree:?}");
    };
    // In the order they are seen: the sidebar's list, then the pane beside it.
    assert!(
        row < details,
        "the details are read before the list: {tree:?}"
    );
    // Every picture in the list says what it shows, not which GTK class it is.
    for class in ["GtkImage", "GtkPicture"] {
        assert!(
            !tree.iter().any(|n| n == class),
            "a picture is read as “{class}”: {tree:?}"
        );
    }
    for hidden in [
        "Search virtual machines",
        "No Results",
        "The actions in the header bar apply to every selected virtual machine.",
    ] {
        assert!(
            !tree.iter().any(|n| n == hidden),
            "“{hidden}” read out while hidden"
        );
    }
    gui::click(
        &gui::descendants::<gtk::ToggleButton>(&f.win)
            .into_iter()
            .find(|b| b.tooltip_text().is_some_and(|t| t.starts_with("Search")))
            .expect("the Search button"),
    );
    settle(200);
    let tree = names(&gui::presented_tree(&title));
    assert!(
        tree.iter().any(|n| n == "Search virtual machines"),
        "the open search is read: {tree:?}"
    );
    f.close();
}
