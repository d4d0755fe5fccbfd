//! The main window: connections and their virtual machines on the left, the selected
//! VM's or host's page on the right.

pub mod actions;
pub mod add_connection;
pub mod askpass;
mod delete;
pub mod list;
pub mod list_row;
mod messages;
pub mod preferences;
mod stats;

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashSet;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib, CompositeTemplate};

use super::console::{ConsolePage, SerialPage, Thumbnail};
use crate::i18n::{gettext, ngettext_f};
use crate::model::{Connection, Vm};
use crate::ui::host::page::HostPage;
use crate::ui::vm::page::VmPage;

mod imp {
    use super::*;

    #[derive(Default, CompositeTemplate)]
    #[template(resource = "/io/github/hangar/Hangar/ui/window.ui")]
    pub struct Window {
        #[template_child]
        pub toast_overlay: TemplateChild<adw::ToastOverlay>,
        #[template_child]
        pub leaflet: TemplateChild<adw::Leaflet>,
        #[template_child]
        pub sidebar_title: TemplateChild<adw::WindowTitle>,
        #[template_child]
        pub search_bar: TemplateChild<gtk::SearchBar>,
        #[template_child]
        pub search_entry: TemplateChild<gtk::SearchEntry>,
        #[template_child]
        pub state_filter: TemplateChild<gtk::DropDown>,
        #[template_child]
        pub sidebar_stack: TemplateChild<gtk::Stack>,
        #[template_child]
        pub vm_list: TemplateChild<gtk::ListView>,
        #[template_child]
        pub back_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub content_title: TemplateChild<adw::WindowTitle>,
        #[template_child]
        pub vm_actions_box: TemplateChild<gtk::Box>,
        #[template_child]
        pub content_stack: TemplateChild<gtk::Stack>,
        #[template_child]
        pub multi_page: TemplateChild<adw::StatusPage>,
        #[template_child]
        pub none_page: TemplateChild<adw::StatusPage>,

        pub settings: OnceCell<gio::Settings>,
        pub connections: OnceCell<gio::ListStore>,
        pub tree: OnceCell<gtk::TreeListModel>,
        pub selection: OnceCell<gtk::MultiSelection>,
        pub filter: OnceCell<gtk::CustomFilter>,
        pub sorter: OnceCell<gtk::CustomSorter>,
        pub vm_page: OnceCell<VmPage>,
        pub host_page: OnceCell<HostPage>,
        /// Handlers on the selected VMs, to keep the actions' enabled state current.
        pub selection_handlers: RefCell<Vec<(Vm, glib::SignalHandlerId)>>,
        pub stats_source: RefCell<Option<glib::SourceId>>,
        pub sampling: RefCell<HashSet<String>>,
        pub stats_ticks: Cell<u64>,
        /// List-thumbnail screenshots asked, by domain UUID (for tests).
        pub thumbnail_shots: RefCell<std::collections::HashMap<String, u64>>,
        pub context_menu: OnceCell<gtk::PopoverMenu>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Window {
        const NAME: &'static str = "HangarWindow";
        type Type = super::Window;
        type ParentType = adw::ApplicationWindow;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for Window {
        fn constructed(&self) {
            self.parent_constructed();
            let obj = self.obj();
            if crate::config::is_devel() {
                obj.add_css_class("devel");
            }
        }

        fn dispose(&self) {
            if let Some(s) = self.stats_source.take() {
                s.remove();
            }
            if let Some(p) = self.context_menu.get() {
                p.unparent();
            }
        }
    }

    impl WidgetImpl for Window {}
    impl WindowImpl for Window {
        fn close_request(&self) -> glib::Propagation {
            let obj = self.obj();
            if let Some(s) = self.settings.get() {
                let (w, h) = obj.default_size();
                let _ = s.set_int("window-width", w);
                let _ = s.set_int("window-height", h);
                let _ = s.set_boolean("window-maximized", obj.is_maximized());
            }
            self.parent_close_request()
        }
    }
    impl ApplicationWindowImpl for Window {}
    impl AdwApplicationWindowImpl for Window {}
}

glib::wrapper! {
    pub struct Window(ObjectSubclass<imp::Window>)
        @extends adw::ApplicationWindow, gtk::ApplicationWindow, gtk::Window, gtk::Widget,
        @implements gio::ActionGroup, gio::ActionMap, gtk::Accessible, gtk::Buildable,
                    gtk::ConstraintTarget, gtk::Native, gtk::Root, gtk::ShortcutManager;
}

impl Window {
    /// The window over `connections` (a store of [`Connection`]).
    pub fn new(
        app: &impl IsA<gtk::Application>,
        settings: &gio::Settings,
        connections: &gio::ListStore,
    ) -> Window {
        let win: Window = glib::Object::builder().property("application", app).build();
        let imp = win.imp();
        let _ = imp.settings.set(settings.clone());
        let _ = imp.connections.set(connections.clone());
        win.set_default_size(
            settings.int("window-width").max(360),
            settings.int("window-height").max(400),
        );
        if settings.boolean("window-maximized") {
            win.maximize();
        }
        // The VM and host pages, with all their tabs, are built when first shown:
        // a start with a long list shows its first rows sooner without them.
        win.setup_list();
        win.setup_actions();
        win.setup_stats();
        let leaflet = imp.leaflet.get();
        imp.back_button.connect_clicked(move |_| {
            leaflet.navigate(adw::NavigationDirection::Back);
        });
        win.update_selection();
        win
    }

    /// The Networks and Topology tabs of the host page, following its connection.
    fn add_network_pages(&self, host_page: &HostPage) {
        use crate::backend::network::topology::Target;
        use crate::ui::host::networks::{NetworksPage, TopologyView};
        let networks = NetworksPage::new();
        host_page.add_page(
            &networks,
            "networks",
            &gettext("Networks"),
            "network-workgroup-symbolic",
        );
        let topology = TopologyView::new();
        host_page.add_page(
            &topology,
            "topology",
            &gettext("Topology"),
            "network-wired-symbolic",
        );
        let storage = crate::ui::host::storage::StoragePage::new();
        host_page.add_page(
            &storage,
            "storage",
            &gettext("Storage"),
            "drive-harddisk-symbolic",
        );
        let s = storage.downgrade();
        host_page.connect_connection_changed(move |c| {
            if let Some(s) = s.upgrade() {
                s.set_connection(c);
            }
        });
        let (n, t) = (networks.downgrade(), topology.downgrade());
        host_page.connect_connection_changed(move |c| {
            if let Some(n) = n.upgrade() {
                n.set_connection(c);
            }
            if let Some(t) = t.upgrade() {
                t.set_connection(c);
            }
        });
        // Clicking a guest selects it; clicking a network shows it on the Networks tab.
        let this = self.downgrade();
        let n = networks.downgrade();
        let hp = host_page.downgrade();
        topology.connect_target_activated(move |target| {
            let Some(this) = this.upgrade() else { return };
            match target {
                Target::Vm(uuid) => {
                    let conn = n.upgrade().and_then(|n| n.connection());
                    if let Some(vm) = conn.and_then(|c| c.vm_by_uuid(uuid)) {
                        this.select_item(vm.upcast_ref());
                    }
                }
                Target::Network(uuid) => {
                    if let (Some(n), Some(hp)) = (n.upgrade(), hp.upgrade()) {
                        hp.show_page("networks");
                        n.select_network(uuid);
                    }
                }
            }
        });
    }

    /// The Networks tab of the host page.
    pub fn networks_page(&self) -> Option<crate::ui::host::networks::NetworksPage> {
        find_child::<crate::ui::host::networks::NetworksPage>(self.host_page().upcast_ref())
    }

    /// The Storage tab of the host page.
    pub fn storage_page(&self) -> Option<crate::ui::host::storage::StoragePage> {
        find_child::<crate::ui::host::storage::StoragePage>(self.host_page().upcast_ref())
    }

    /// The Topology tab of the host page.
    pub fn topology_view(&self) -> Option<crate::ui::host::networks::TopologyView> {
        find_child::<crate::ui::host::networks::TopologyView>(self.host_page().upcast_ref())
    }

    pub fn settings(&self) -> &gio::Settings {
        self.imp().settings.get().expect("settings set in new()")
    }

    pub fn connections(&self) -> &gio::ListStore {
        self.imp().connections.get().expect("set in new()")
    }

    pub fn toast(&self, text: &str) {
        crate::ui::error::toast(&self.imp().toast_overlay, text);
    }

    pub fn list_view(&self) -> gtk::ListView {
        self.imp().vm_list.get()
    }

    pub fn selection(&self) -> &gtk::MultiSelection {
        self.imp().selection.get().expect("set in setup_list()")
    }

    /// The page of a VM, built with its tabs on first use.
    pub fn vm_page(&self) -> &VmPage {
        let imp = self.imp();
        if imp.vm_page.get().is_none() {
            let vm_page = VmPage::new();
            imp.content_stack.add_named(&vm_page, Some("vm"));
            // Tabs in the order people reach for them: Console, then Hardware and XML.
            self.add_console_pages(&vm_page);
            crate::ui::vm::tabs::attach(&vm_page);
            let _ = imp.vm_page.set(vm_page);
        }
        imp.vm_page.get().expect("set just above")
    }

    /// The Console and Serial Console tabs and the Overview's screen thumbnail,
    /// following the shown VM.
    fn add_console_pages(&self, vm_page: &VmPage) {
        let console = ConsolePage::new();
        console.connect_local("detach-requested", false, |args| {
            if let Some(page) = args.first().and_then(|v| v.get::<ConsolePage>().ok()) {
                crate::ui::console::window::detach(&page);
            }
            None
        });
        vm_page.add_page(
            &console,
            "console",
            &gettext("Console"),
            "computer-symbolic",
        );
        let serial = SerialPage::new();
        vm_page.add_page(
            &serial,
            "serial",
            &gettext("Serial Console"),
            "utilities-terminal-symbolic",
        );
        let thumbnail = Thumbnail::new();
        thumbnail.set_display(console.display());
        vm_page.add_overview_widget(&thumbnail);
        let page = vm_page.downgrade();
        thumbnail.connect_clicked(move || {
            if let Some(p) = page.upgrade() {
                p.show_page("console");
            }
        });
        // One VM for all of them: the VM page's, bound once.
        vm_page
            .bind_property("vm", &console, "vm")
            .sync_create()
            .build();
        vm_page
            .bind_property("vm", &serial, "vm")
            .sync_create()
            .build();
        vm_page
            .bind_property("vm", &thumbnail, "vm")
            .sync_create()
            .build();
        let begin = crate::ui::create::begin_bar::BeginInstallBar::new();
        vm_page.add_top_widget(&begin);
        vm_page
            .bind_property("vm", &begin, "vm")
            .sync_create()
            .build();
    }

    /// The Console tab of the VM page.
    pub fn console_page(&self) -> Option<ConsolePage> {
        self.vm_page().page("console").and_downcast()
    }

    /// The screen thumbnail on the VM page's Overview.
    pub fn thumbnail(&self) -> Option<Thumbnail> {
        let top = self.vm_page().imp().overview_top.clone();
        let mut c = top.first_child();
        while let Some(w) = c {
            if let Ok(t) = w.clone().downcast::<Thumbnail>() {
                return Some(t);
            }
            c = w.next_sibling();
        }
        None
    }

    /// The Serial Console tab of the VM page.
    pub fn serial_page(&self) -> Option<SerialPage> {
        self.vm_page().page("serial").and_downcast()
    }

    /// The page of a connection, built with its tabs on first use.
    pub fn host_page(&self) -> &HostPage {
        let imp = self.imp();
        if imp.host_page.get().is_none() {
            let host_page = HostPage::new();
            imp.content_stack.add_named(&host_page, Some("host"));
            self.add_network_pages(&host_page);
            let _ = imp.host_page.set(host_page);
        }
        imp.host_page.get().expect("set just above")
    }

    /// Let the VM page (if built) show nothing.
    fn clear_vm_page(&self) {
        if let Some(p) = self.imp().vm_page.get() {
            p.set_vm(None);
        }
    }

    /// Let the host page (if built) show nothing.
    fn clear_host_page(&self) {
        if let Some(p) = self.imp().host_page.get() {
            p.set_connection(None);
        }
    }

    /// The selected virtual machines with their connections, in list order.
    pub fn selected_vms(&self) -> Vec<(Connection, Vm)> {
        let sel = self.selection();
        let set = sel.selection();
        let mut out = Vec::new();
        let n = set.size();
        for i in 0..n {
            let pos = set.nth(i as u32);
            let Some(row) = sel.item(pos).and_downcast::<gtk::TreeListRow>() else {
                continue;
            };
            let Some(vm) = row.item().and_downcast::<Vm>() else {
                continue;
            };
            let conn = row
                .parent()
                .and_then(|p| p.item())
                .and_downcast::<Connection>();
            if let Some(conn) = conn {
                out.push((conn, vm));
            }
        }
        out
    }

    /// The selected connection rows.
    pub fn selected_connections(&self) -> Vec<Connection> {
        let sel = self.selection();
        let set = sel.selection();
        (0..set.size())
            .filter_map(|i| {
                sel.item(set.nth(i as u32))
                    .and_downcast::<gtk::TreeListRow>()
                    .and_then(|r| r.item())
                    .and_downcast::<Connection>()
            })
            .collect()
    }

    /// The connection a selection belongs to: the selected connection row, or the
    /// connection of the first selected VM.
    pub fn current_connection(&self) -> Option<Connection> {
        self.selected_connections()
            .into_iter()
            .next()
            .or_else(|| self.selected_vms().into_iter().next().map(|(c, _)| c))
    }

    /// Select exactly this item (a `Vm` or a `Connection`), scrolling it into view.
    pub fn select_item(&self, item: &glib::Object) -> bool {
        let sel = self.selection();
        for pos in 0..sel.n_items() {
            let Some(row) = sel.item(pos).and_downcast::<gtk::TreeListRow>() else {
                continue;
            };
            if row.item().as_ref() == Some(item) {
                sel.select_item(pos, true);
                self.list_view()
                    .activate_action("list.scroll-to-item", Some(&pos.to_variant()))
                    .ok();
                return true;
            }
        }
        false
    }

    /// Show the page that fits the selection.
    pub fn update_selection(&self) {
        let imp = self.imp();
        let vms = self.selected_vms();
        let conns = self.selected_connections();
        // Follow the selected VMs' state so actions stay right.
        for (vm, h) in imp.selection_handlers.take() {
            vm.disconnect(h);
        }
        let mut handlers = Vec::new();
        for (_, vm) in &vms {
            let this = self.downgrade();
            let h = vm.connect_notify_local(None, move |_, p| {
                if matches!(
                    p.name(),
                    "state" | "has-managed-save" | "autostart" | "name" | "busy"
                ) {
                    if let Some(this) = this.upgrade() {
                        this.update_actions();
                        this.update_title();
                    }
                }
            });
            handlers.push((vm.clone(), h));
        }
        imp.selection_handlers.replace(handlers);

        if vms.len() == 1 && conns.is_empty() {
            let (_, vm) = &vms[0];
            self.vm_page().set_vm(Some(vm));
            self.clear_host_page();
            imp.content_stack.set_visible_child_name("vm");
        } else if vms.len() > 1 {
            self.clear_vm_page();
            self.clear_host_page();
            imp.multi_page.set_title(&ngettext_f(
                "{n} Virtual Machine Selected",
                "{n} Virtual Machines Selected",
                vms.len() as u32,
                &[("n", &vms.len().to_string())],
            ));
            imp.content_stack.set_visible_child_name("multi");
        } else if let Some(conn) = conns.first() {
            self.clear_vm_page();
            self.host_page().set_connection(Some(conn));
            imp.content_stack.set_visible_child_name("host");
        } else {
            self.clear_vm_page();
            self.clear_host_page();
            if self.connections().n_items() == 0 {
                imp.none_page.set_icon_name(Some(crate::config::APP_ID));
                imp.none_page.set_title(&gettext("Welcome to Hangar"));
                imp.none_page.set_description(Some(&gettext(
                    "Your virtual machines appear here once Hangar is connected to a hypervisor.",
                )));
            } else {
                imp.none_page.set_icon_name(Some("computer-symbolic"));
                imp.none_page
                    .set_title(&gettext("No Virtual Machine Selected"));
                imp.none_page.set_description(Some(&gettext(
                    "Select a virtual machine or a connection in the list.",
                )));
            }
            imp.content_stack.set_visible_child_name("none");
        }
        imp.vm_actions_box.set_visible(!vms.is_empty());
        self.update_title();
        self.update_actions();
    }

    fn update_title(&self) {
        let imp = self.imp();
        let vms = self.selected_vms();
        let conns = self.selected_connections();
        if vms.len() == 1 && conns.is_empty() {
            let (conn, vm) = &vms[0];
            imp.content_title.set_title(&vm.name());
            imp.content_title.set_subtitle(&conn.label());
        } else if let Some(c) = conns.first().filter(|_| vms.is_empty()) {
            imp.content_title.set_title(&c.label());
            imp.content_title.set_subtitle(&c.uri());
        } else if vms.len() > 1 {
            imp.content_title
                .set_title(&gettext("Several Virtual Machines"));
            imp.content_title.set_subtitle("");
        } else {
            imp.content_title.set_title("");
            imp.content_title.set_subtitle("");
        }
    }
}

/// The first descendant of `root` of type `T`.
fn find_child<T: IsA<gtk::Widget>>(root: &gtk::Widget) -> Option<T> {
    let mut stack = vec![root.clone()];
    while let Some(w) = stack.pop() {
        if let Ok(t) = w.clone().downcast::<T>() {
            return Some(t);
        }
        let mut c = w.first_child();
        while let Some(ch) = c {
            c = ch.next_sibling();
            stack.push(ch);
        }
    }
    None
}
