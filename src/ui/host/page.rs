//! The page of a connection: its host, versions, and live host usage.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use crate::backend::units::format_kib;
use crate::i18n::{gettext, gettext_f};
use crate::model::{ConnStatus, Connection};
use crate::ui::components::state::conn_status_icon;
use crate::ui::vm::page::GraphCard;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct HostPage {
        pub status_page: adw::StatusPage,
        pub status_button: gtk::Button,
        pub stack: gtk::Stack,
        pub rows: RefCell<Vec<(String, adw::ActionRow)>>,
        pub connect_switch: gtk::Switch,
        pub autoconnect_switch: gtk::Switch,
        pub cards: RefCell<Vec<GraphCard>>,
        pub current: RefCell<Option<Connection>>,
        pub handlers: RefCell<Vec<glib::SignalHandlerId>>,
        pub store_handler: RefCell<Option<(gtk::gio::ListStore, glib::SignalHandlerId)>>,
        pub pages: adw::ViewStack,
        pub switcher: adw::ViewSwitcher,
        #[allow(clippy::type_complexity)]
        pub listeners: RefCell<Vec<Box<dyn Fn(Option<&Connection>)>>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for HostPage {
        const NAME: &'static str = "HangarHostPage";
        type Type = super::HostPage;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for HostPage {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
    }
    impl WidgetImpl for HostPage {}
    impl BoxImpl for HostPage {}
}

glib::wrapper! {
    pub struct HostPage(ObjectSubclass<imp::HostPage>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for HostPage {
    fn default() -> Self {
        glib::Object::builder()
            .property("orientation", gtk::Orientation::Vertical)
            .build()
    }
}

const ROWS: &[&str] = &[
    "uri", "hostname", "driver", "libvirt", "cpu", "memory", "domains",
];

impl HostPage {
    pub fn new() -> HostPage {
        HostPage::default()
    }

    fn build(&self) {
        let imp = self.imp();
        imp.stack.set_vexpand(true);
        // Not connected / lost / failed.
        imp.status_button.set_halign(gtk::Align::Center);
        imp.status_button.add_css_class("pill");
        imp.status_button.add_css_class("suggested-action");
        imp.status_button.set_label(&gettext("_Connect"));
        imp.status_button.set_use_underline(true);
        imp.status_button.set_action_name(Some("win.connect"));
        imp.status_page.set_child(Some(&imp.status_button));
        imp.stack.add_named(&imp.status_page, Some("status"));

        let body = gtk::Box::new(gtk::Orientation::Vertical, 24);
        body.set_margin_top(24);
        body.set_margin_bottom(24);
        body.set_margin_start(12);
        body.set_margin_end(12);
        let conn_group = adw::PreferencesGroup::builder()
            .title(gettext("Connection"))
            .build();
        let connected_row = adw::ActionRow::builder()
            .title(gettext("Connected"))
            .build();
        imp.connect_switch.set_valign(gtk::Align::Center);
        connected_row.add_suffix(&imp.connect_switch);
        connected_row.set_activatable_widget(Some(&imp.connect_switch));
        let this = self.downgrade();
        imp.connect_switch.connect_state_set(move |_, on| {
            if let Some(this) = this.upgrade() {
                if let Some(c) = this.imp().current.borrow().as_ref() {
                    let connected =
                        matches!(c.status(), ConnStatus::Connected | ConnStatus::Connecting);
                    if on && !connected {
                        c.connect_now();
                    } else if !on && connected {
                        c.disconnect_now();
                    }
                }
            }
            glib::Propagation::Proceed
        });
        conn_group.add(&connected_row);
        let auto_row = adw::ActionRow::builder()
            .title(gettext("Connect at Start"))
            .build();
        imp.autoconnect_switch.set_valign(gtk::Align::Center);
        auto_row.add_suffix(&imp.autoconnect_switch);
        auto_row.set_activatable_widget(Some(&imp.autoconnect_switch));
        let this = self.downgrade();
        imp.autoconnect_switch.connect_active_notify(move |s| {
            let Some(this) = this.upgrade() else { return };
            let current = this.imp().current.borrow().clone();
            if let Some(c) = current {
                if c.autoconnect() != s.is_active() {
                    c.set_autoconnect(s.is_active());
                }
            }
        });
        auto_row.set_activatable_widget(Some(&imp.autoconnect_switch));
        conn_group.add(&auto_row);
        let remove = gtk::Button::builder()
            .label(gettext("_Remove Connection"))
            .use_underline(true)
            .action_name("win.remove-connection")
            .halign(gtk::Align::Start)
            .margin_top(12)
            .css_classes(["destructive-action"])
            .build();
        let host_group = adw::PreferencesGroup::builder()
            .title(gettext("Host"))
            .build();
        let titles = [
            gettext("Address"),
            gettext("Host Name"),
            gettext("Hypervisor"),
            gettext("libvirt"),
            gettext("Processor"),
            gettext("Memory"),
            gettext("Virtual Machines"),
        ];
        let mut rows = Vec::new();
        for (key, title) in ROWS.iter().zip(titles) {
            let r = adw::ActionRow::builder().title(title).build();
            r.add_css_class("property");
            if *key == "uri" {
                conn_group.add(&r);
            } else {
                host_group.add(&r);
            }
            rows.push((key.to_string(), r));
        }
        imp.rows.replace(rows);
        body.append(&conn_group);
        body.append(&host_group);
        let usage = adw::PreferencesGroup::builder()
            .title(gettext("Host Usage"))
            .build();
        let grid = gtk::Grid::builder()
            .column_spacing(12)
            .column_homogeneous(true)
            .build();
        let cards = vec![
            GraphCard::new(&gettext("CPU"), 100.0, false),
            GraphCard::new(&gettext("Memory"), 100.0, false),
        ];
        grid.attach(&cards[0].root, 0, 0, 1, 1);
        grid.attach(&cards[1].root, 1, 0, 1, 1);
        usage.add(&grid);
        body.append(&usage);
        body.append(&remove);
        imp.cards.replace(cards);
        let clamp = adw::Clamp::builder().maximum_size(720).child(&body).build();
        let scroller = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .child(&clamp)
            .build();
        let page = imp
            .pages
            .add_titled(&scroller, Some("overview"), &gettext("Overview"));
        page.set_icon_name(Some("computer-symbolic"));
        imp.pages.set_vexpand(true);
        crate::ui::components::tabs::setup_tabs(&imp.switcher, &imp.pages);
        let details = gtk::Box::new(gtk::Orientation::Vertical, 0);
        details.append(&imp.switcher);
        details.append(&imp.pages);
        imp.stack.add_named(&details, Some("details"));
        self.append(&imp.stack);
    }

    /// Add a page beside the host Overview (networks, storage…). The page learns which
    /// connection to show through [`HostPage::connect_connection_changed`].
    pub fn add_page(&self, child: &impl IsA<gtk::Widget>, name: &str, title: &str, icon: &str) {
        let imp = self.imp();
        let page = imp.pages.add_titled(child, Some(name), title);
        page.set_icon_name(Some(icon));
        imp.switcher.set_visible(true);
    }

    /// Called with the shown connection (or `None`) each time it changes.
    pub fn connect_connection_changed(&self, f: impl Fn(Option<&Connection>) + 'static) {
        self.imp().listeners.borrow_mut().push(Box::new(f));
    }

    /// Show one of the pages by name ("overview", …).
    pub fn show_page(&self, name: &str) {
        self.imp().pages.set_visible_child_name(name);
    }

    fn notify_listeners(&self) {
        let imp = self.imp();
        let current = imp.current.borrow().clone();
        for f in imp.listeners.borrow().iter() {
            f(current.as_ref());
        }
    }

    pub fn set_connection(&self, conn: Option<&Connection>) {
        let imp = self.imp();
        if let Some(old) = imp.current.take() {
            for h in imp.handlers.take() {
                old.disconnect(h);
            }
            old.unwatch_host();
        }
        if let Some((store, h)) = imp.store_handler.take() {
            store.disconnect(h);
        }
        let Some(conn) = conn else {
            self.notify_listeners();
            return;
        };
        conn.watch_host();
        imp.current.replace(Some(conn.clone()));
        let this = self.downgrade();
        let h1 = conn.connect_notify_local(None, move |c, _| {
            if let Some(this) = this.upgrade() {
                this.sync(c);
            }
        });
        let this = self.downgrade();
        let h2 = conn.connect_local("host-updated", false, move |args| {
            if let (Some(this), Ok(c)) = (this.upgrade(), args[0].get::<Connection>()) {
                this.sync(&c);
            }
            None
        });
        imp.handlers.replace(vec![h1, h2]);
        let this = self.downgrade();
        let store = conn.domains();
        let h3 = store.connect_items_changed(move |_, _, _, _| {
            if let Some(this) = this.upgrade() {
                if let Some(c) = this.imp().current.borrow().clone() {
                    this.sync(&c);
                }
            }
        });
        imp.store_handler.replace(Some((store, h3)));
        // Set before the switch's handler can see a mismatch: it writes only changes.
        imp.autoconnect_switch.set_active(conn.autoconnect());
        self.sync(conn);
        self.notify_listeners();
    }

    fn set_row(&self, key: &str, value: &str) {
        if let Some((_, r)) = self.imp().rows.borrow().iter().find(|(k, _)| k == key) {
            r.set_subtitle(value);
        }
    }

    fn sync(&self, c: &Connection) {
        let imp = self.imp();
        let status = c.status();
        let connected = status == ConnStatus::Connected;
        imp.connect_switch.set_active(matches!(
            status,
            ConnStatus::Connected | ConnStatus::Connecting
        ));
        if !connected {
            let (title, desc) = match status {
                ConnStatus::Connecting => (gettext("Connecting…"), c.uri()),
                ConnStatus::Lost => (gettext("Connection Lost"), c.status_message()),
                ConnStatus::Failed => (gettext("Could Not Connect"), c.status_message()),
                _ => (
                    gettext("Not Connected"),
                    gettext_f(
                        "Connect to see the virtual machines on {name}.",
                        &[("name", &c.label())],
                    ),
                ),
            };
            imp.status_page
                .set_icon_name(Some(conn_status_icon(status)));
            imp.status_page.set_title(&title);
            imp.status_page
                .set_description(Some(&glib::markup_escape_text(&desc)));
            imp.status_button
                .set_visible(status != ConnStatus::Connecting);
            imp.status_button.set_label(&if status == ConnStatus::Lost {
                gettext("_Reconnect Now")
            } else {
                gettext("_Connect")
            });
            imp.stack.set_visible_child_name("status");
            return;
        }
        imp.stack.set_visible_child_name("details");
        self.set_row("uri", &c.uri());
        let n = c.domains().n_items();
        let running = c
            .domains()
            .iter::<crate::model::Vm>()
            .flatten()
            .filter(|v| v.domain_state().is_running())
            .count();
        self.set_row(
            "domains",
            &if n == 0 {
                gettext("None yet")
            } else {
                gettext_f(
                    "{n} ({running} running)",
                    &[("n", &n.to_string()), ("running", &running.to_string())],
                )
            },
        );
        if let Some(h) = c.host_info() {
            self.set_row("hostname", &h.hostname);
            let hv = match &h.hypervisor_version {
                Some(v) => format!("{} {v}", h.driver),
                None => h.driver.clone(),
            };
            self.set_row("driver", &hv);
            self.set_row("libvirt", &h.libvirt_version);
            let arch = h
                .arch
                .clone()
                .filter(|a| *a != h.cpu_model)
                .unwrap_or_default();
            let cpu = format!("{} × {} {arch}", h.cpus, h.cpu_model);
            let cpu = if h.mhz > 0 {
                format!("{} ({} MHz)", cpu.trim_end(), h.mhz)
            } else {
                cpu.trim_end().to_string()
            };
            self.set_row("cpu", &cpu);
            self.set_row("memory", &format_kib(h.memory_kib));
        }
        let cards = imp.cards.borrow();
        cards[0]
            .graph
            .set_series(vec![c.host_cpu_history().values().collect()]);
        cards[0]
            .value
            .set_label(&match c.host_cpu_history().last() {
                Some(v) => format!("{v:.0} %"),
                None => "—".into(),
            });
        cards[1]
            .graph
            .set_series(vec![c.host_memory_history().values().collect()]);
        let (used, total) = c.host_memory_kib();
        cards[1].value.set_label(&if total > 0 {
            format!("{} / {}", format_kib(used), format_kib(total))
        } else {
            "—".into()
        });
    }
}
