//! The application: command line, settings, remembered connections, app actions.

use std::cell::{OnceCell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use crate::backend::conn::uri::DEMO_URI;
use crate::cli::{self, Options};
use crate::config;
use crate::i18n::gettext;
use crate::model::{ConnStatus, Connection};
use crate::ui::Window;

/// Which URI answers first on a new machine: system, then session; none means demo.
fn probe_local() -> Option<String> {
    if crate::backend::conn::events::init_event_loop().is_err() {
        return None;
    }
    for uri in ["qemu:///system", "qemu:///session"] {
        if let Ok(c) = virt::connect::Connect::open(Some(uri)) {
            let c = std::mem::ManuallyDrop::new(c);
            // SAFETY: one reference owned by `c`, released here and never used again.
            unsafe {
                virt::sys::virConnectClose(c.as_ptr());
            }
            return Some(uri.to_string());
        }
    }
    None
}

thread_local! {
    /// A connection opened before the application started (`--connect`).
    static PRECONNECTED: RefCell<Option<(String, crate::backend::conn::worker::Connection, async_channel::Receiver<crate::backend::conn::worker::Update>)>> =
        const { RefCell::new(None) };
}

/// Spawn the worker for `uri` and start connecting, before the UI exists.
pub fn preconnect(uri: &str) {
    let (backend, updates) = crate::backend::conn::worker::Connection::spawn(uri);
    backend.connect();
    PRECONNECTED.with(|p| p.replace(Some((uri.to_string(), backend, updates))));
}

fn take_preconnected(
    uri: &str,
) -> Option<(
    crate::backend::conn::worker::Connection,
    async_channel::Receiver<crate::backend::conn::worker::Update>,
)> {
    PRECONNECTED.with(|p| {
        let mut p = p.borrow_mut();
        match p.take() {
            Some((u, b, r)) if u == uri => Some((b, r)),
            other => {
                *p = other;
                None
            }
        }
    })
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct Application {
        pub settings: OnceCell<gio::Settings>,
        pub connections: OnceCell<gio::ListStore>,
        pub window: RefCell<Option<Window>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Application {
        const NAME: &'static str = "HangarApplication";
        type Type = super::Application;
        type ParentType = adw::Application;
    }

    impl ObjectImpl for Application {}

    impl ApplicationImpl for Application {
        fn startup(&self) {
            self.parent_startup();
            crate::ui::components::a11y::install_accessible_name_fix();
            if let Some(socket) = std::env::var_os(crate::backend::conn::askpass::SOCKET_VAR) {
                if let Err(e) = crate::ui::window::askpass::start_service(socket.as_ref()) {
                    tracing::warn!("ssh cannot ask through Hangar: {e}");
                }
            }
            self.obj().setup();
        }

        fn activate(&self) {
            self.parent_activate();
            self.obj().main_window().present();
        }

        fn command_line(&self, cmd: &gio::ApplicationCommandLine) -> glib::ExitCode {
            let args: Vec<String> = cmd
                .arguments()
                .iter()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            match self.obj().handle_command_line(&args) {
                Ok(()) => glib::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("hangar: {e}");
                    glib::ExitCode::from(2)
                }
            }
        }

        fn shutdown(&self) {
            if let Some(socket) = std::env::var_os(crate::backend::conn::askpass::SOCKET_VAR) {
                crate::backend::conn::askpass::remove(socket.as_ref());
            }
            if let Some(store) = self.connections.get() {
                for c in store.iter::<Connection>().flatten() {
                    c.backend().shutdown();
                }
            }
            self.parent_shutdown();
        }
    }

    impl GtkApplicationImpl for Application {}
    impl AdwApplicationImpl for Application {}
}

glib::wrapper! {
    pub struct Application(ObjectSubclass<imp::Application>)
        @extends adw::Application, gtk::Application, gio::Application,
        @implements gio::ActionGroup, gio::ActionMap;
}

impl Application {
    pub fn new() -> Application {
        glib::Object::builder()
            .property("application-id", config::APP_ID)
            .property("flags", gio::ApplicationFlags::HANDLES_COMMAND_LINE)
            .property("resource-base-path", "/io/github/hangar/Hangar/")
            .build()
    }

    pub fn settings(&self) -> &gio::Settings {
        self.imp().settings.get_or_init(crate::settings::settings)
    }

    pub fn connections(&self) -> &gio::ListStore {
        self.imp()
            .connections
            .get_or_init(gio::ListStore::new::<Connection>)
    }

    fn setup(&self) {
        let style = adw::StyleManager::default();
        let apply_scheme = |s: &gio::Settings| {
            adw::StyleManager::default().set_color_scheme(
                match s.string("color-scheme").as_str() {
                    "light" => adw::ColorScheme::ForceLight,
                    "dark" => adw::ColorScheme::ForceDark,
                    _ => adw::ColorScheme::Default,
                },
            );
        };
        apply_scheme(self.settings());
        self.settings()
            .connect_changed(Some("color-scheme"), move |s, _| apply_scheme(s));
        let _ = style;

        // The display new machines get (the wizard's plan reads it).
        let new_vm_display = |s: &gio::Settings| {
            crate::backend::create::plan::set_new_vm_display(s.boolean("new-vm-spice"))
        };
        new_vm_display(self.settings());
        self.settings()
            .connect_changed(Some("new-vm-spice"), move |s, _| new_vm_display(s));

        // The app icons ship in the resources too, for runs without an install.
        if let Some(display) = gtk::gdk::Display::default() {
            gtk::IconTheme::for_display(&display)
                .add_resource_path("/io/github/hangar/Hangar/icons");
        }
        let css = gtk::CssProvider::new();
        css.load_from_resource("/io/github/hangar/Hangar/style.css");
        if let Some(display) = gtk::gdk::Display::default() {
            gtk::style_context_add_provider_for_display(
                &display,
                &css,
                gtk::STYLE_PROVIDER_PRIORITY_APPLICATION,
            );
        }

        let quit = gio::SimpleAction::new("quit", None);
        let app = self.downgrade();
        quit.connect_activate(move |_, _| {
            if let Some(app) = app.upgrade() {
                if let Some(w) = app.imp().window.borrow().as_ref() {
                    w.close();
                }
                app.quit();
            }
        });
        self.add_action(&quit);
        let prefs = gio::SimpleAction::new("preferences", None);
        let app = self.downgrade();
        prefs.connect_activate(move |_, _| {
            if let Some(app) = app.upgrade() {
                let w = app.main_window();
                crate::ui::window::preferences::window(&w, app.settings()).present();
            }
        });
        self.add_action(&prefs);
        let about = gio::SimpleAction::new("about", None);
        let app = self.downgrade();
        about.connect_activate(move |_, _| {
            if let Some(app) = app.upgrade() {
                app.show_about();
            }
        });
        self.add_action(&about);
        self.set_accels_for_action("app.quit", &["<Primary>q"]);
        self.set_accels_for_action("app.preferences", &["<Primary>comma"]);
        self.set_accels_for_action("win.show-help-overlay", &["<Primary>question"]);
        for (action, accels) in crate::ui::window::actions::ACCELS {
            self.set_accels_for_action(action, accels);
        }
    }

    fn show_about(&self) {
        let about = adw::AboutWindow::builder()
            .application_name(gettext("Hangar"))
            .application_icon(config::APP_ID)
            .developer_name(gettext("The Hangar developers"))
            .version(config::VERSION)
            .comments(gettext("Manage virtual machines on libvirt"))
            .license_type(gtk::License::Gpl30)
            .translator_credits(gettext("translator-credits"))
            .transient_for(&self.main_window())
            .modal(true)
            .build();
        about.present();
    }

    /// The window, created with the remembered connections on first use.
    pub fn main_window(&self) -> Window {
        if let Some(w) = self.imp().window.borrow().as_ref() {
            return w.clone();
        }
        tracing::debug!("building the window");
        let win = Window::new(self, self.settings(), self.connections());
        tracing::debug!("window built");
        self.imp().window.replace(Some(win.clone()));
        // Closed, it is gone: the next command line (`hangar --new-vm …` again) builds
        // a new one rather than present a destroyed window.
        let app = self.downgrade();
        win.connect_destroy(move |w| {
            if let Some(app) = app.upgrade() {
                let mut slot = app.imp().window.borrow_mut();
                if slot.as_ref() == Some(w) {
                    *slot = None;
                }
            }
        });
        win
    }

    fn add_connection(&self, uri: &str, autoconnect: bool, remembered: bool) -> Connection {
        let store = self.connections();
        if let Some(c) = store
            .iter::<Connection>()
            .flatten()
            .find(|c| c.uri() == uri)
        {
            return c;
        }
        let c = match take_preconnected(uri) {
            Some((backend, updates)) => {
                Connection::with_backend(uri, autoconnect, remembered, backend, updates)
            }
            None => Connection::new(uri, autoconnect, remembered),
        };
        self.main_window().watch_connection(&c);
        let settings = self.settings().clone();
        let s = store.clone();
        c.connect_autoconnect_notify(move |_| crate::settings::save_connections(&settings, &s));
        store.append(&c);
        c
    }

    /// Act on a command line (without the program name), as a launch or a second
    /// `hangar` invocation does; a command line that does not parse is returned as
    /// the message to print.
    pub fn handle_command_line(&self, args: &[String]) -> Result<(), String> {
        let o = cli::parse(args)?;
        self.handle_options(o);
        Ok(())
    }

    fn handle_options(&self, o: Options) {
        if o.debug {
            crate::init_logging(true);
        }
        let first_time = self.connections().n_items() == 0 && self.imp().window.borrow().is_none();
        let win = self.main_window();
        if first_time {
            for (uri, auto) in crate::settings::saved_connections(self.settings()) {
                let c = self.add_connection(&uri, auto, true);
                if auto {
                    c.connect_now();
                }
            }
        }
        for uri in &o.more_connections {
            let c = self.add_connection(uri, false, false);
            if c.status() != ConnStatus::Connected {
                c.connect_now();
            }
        }
        if let Some(uri) = &o.connect {
            let c = self.add_connection(uri, false, false);
            if c.status() != ConnStatus::Connected {
                c.connect_now();
            }
            self.show_requested(&c, &o);
        } else if first_time
            && self.connections().n_items() == 0
            && !self.settings().boolean("connections-initialized")
        {
            self.first_start();
        }
        win.present();
    }

    /// Nothing remembered yet: the system libvirt, else the session, else the demo.
    fn first_start(&self) {
        let app = self.downgrade();
        glib::spawn_future_local(async move {
            let (tx, rx) = async_channel::bounded(1);
            std::thread::spawn(move || {
                let _ = tx.send_blocking(probe_local());
            });
            let found = rx.recv().await.ok().flatten();
            let Some(app) = app.upgrade() else { return };
            let uri = found.unwrap_or_else(|| DEMO_URI.to_string());
            let c = app.add_connection(&uri, true, true);
            crate::settings::save_connections(app.settings(), app.connections());
            c.connect_now();
        });
    }

    /// `--show-domain-editor`, `--show-domain-performance`, `--show-domain-console`,
    /// `--show-host-summary`, `--new-vm`.
    fn show_requested(&self, conn: &Connection, o: &Options) {
        let win = self.main_window();
        if o.new_vm {
            let (iso, os) = (o.iso.clone(), o.os.clone());
            let w = win.clone();
            let open = move |c: &Connection| {
                w.open_new_vm(c, iso.clone(), os.clone());
            };
            if conn.status() == ConnStatus::Connected {
                open(conn);
            } else {
                // Once connected (a connection that fails says so itself).
                let handler: std::rc::Rc<RefCell<Option<glib::SignalHandlerId>>> =
                    Default::default();
                let h2 = handler.clone();
                let id = conn.connect_status_notify(move |c| {
                    if c.status() != ConnStatus::Connected {
                        return;
                    }
                    open(c);
                    if let Some(h) = h2.take() {
                        c.disconnect(h);
                    }
                });
                handler.replace(Some(id));
            }
        }
        if o.show_host_summary {
            win.select_item(conn.upcast_ref());
        }
        let Some(key) = o
            .show_domain_editor
            .clone()
            .or_else(|| o.show_domain_performance.clone())
            .or_else(|| o.show_domain_console.clone())
        else {
            return;
        };
        let console = o.show_domain_console.is_some();
        let editor = o.show_domain_editor.is_some();
        let select = {
            let win = win.clone();
            move |c: &Connection| -> bool {
                match c.find_vm(&key) {
                    Some(vm) => {
                        let page = if console {
                            Some("console")
                        } else if editor {
                            Some("hardware")
                        } else {
                            None
                        };
                        show_when_listed(&win, vm, page, 100);
                        true
                    }
                    None => false,
                }
            }
        };
        let not_found = |c: &Connection, key: &str| {
            crate::i18n::gettext_f(
                "No virtual machine “{name}” on {conn}",
                &[("name", key), ("conn", &c.label())],
            )
        };
        if conn.loaded() {
            if !select(conn) {
                win.toast(&not_found(conn, &key_text(o)));
            }
            return;
        }
        let handler: std::rc::Rc<RefCell<Option<glib::SignalHandlerId>>> = Default::default();
        let h2 = handler.clone();
        let win2 = win.clone();
        let key2 = key_text(o);
        let id = conn.connect_loaded_notify(move |c| {
            if !c.loaded() {
                return;
            }
            if !select(c) {
                win2.toast(&not_found(c, &key2));
            }
            if let Some(h) = h2.take() {
                c.disconnect(h);
            }
        });
        handler.replace(Some(id));
    }
}

/// Select `vm` in the window's list and show its `page`: the list may take a few main
/// loop turns to show a freshly loaded connection's VMs, so this tries again every
/// 50 ms, `tries` times.
fn show_when_listed(win: &Window, vm: crate::model::Vm, page: Option<&'static str>, tries: u32) {
    if win.select_item(vm.upcast_ref()) {
        if let Some(p) = page {
            win.vm_page().show_page(p);
        }
        return;
    }
    if tries == 0 {
        tracing::warn!("{} did not show up in the list", vm.name());
        return;
    }
    let win = win.clone();
    glib::timeout_add_local_once(std::time::Duration::from_millis(50), move || {
        show_when_listed(&win, vm, page, tries - 1);
    });
}

/// The VM named by `--show-domain-*`.
fn key_text(o: &Options) -> String {
    o.show_domain_editor
        .clone()
        .or_else(|| o.show_domain_performance.clone())
        .or_else(|| o.show_domain_console.clone())
        .unwrap_or_default()
}

impl Default for Application {
    fn default() -> Self {
        Self::new()
    }
}
