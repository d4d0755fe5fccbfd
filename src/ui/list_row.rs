//! One row of the sidebar list: a connection header or a virtual machine.

use std::cell::RefCell;

use gtk::glib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;

use super::graph::Graph;
use super::state::{state_css, state_icon, state_label};
use crate::i18n::gettext;
use crate::model::{ConnStatus, Connection, Vm};

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct ListRow {
        pub icon: gtk::Image,
        pub name: gtk::Label,
        pub subtitle: gtk::Label,
        pub spinner: gtk::Spinner,
        pub cpu: RefCell<Option<Graph>>,
        pub mem: RefCell<Option<Graph>>,
        pub graphs: gtk::Box,
        pub item: RefCell<Option<glib::Object>>,
        /// Signal handlers on the shown item (or on objects it owns).
        pub handlers: RefCell<Vec<(glib::Object, glib::SignalHandlerId)>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ListRow {
        const NAME: &'static str = "HangarListRow";
        type Type = super::ListRow;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for ListRow {
        fn constructed(&self) {
            self.parent_constructed();
            let obj = self.obj();
            obj.set_spacing(10);
            self.icon.set_valign(gtk::Align::Center);
            let texts = gtk::Box::new(gtk::Orientation::Vertical, 2);
            texts.set_hexpand(true);
            texts.set_valign(gtk::Align::Center);
            self.name.set_xalign(0.0);
            self.name.set_ellipsize(gtk::pango::EllipsizeMode::End);
            self.name.add_css_class("vm-name");
            self.subtitle.set_xalign(0.0);
            self.subtitle.set_ellipsize(gtk::pango::EllipsizeMode::End);
            self.subtitle.add_css_class("dim-label");
            self.subtitle.add_css_class("vm-subtitle");
            texts.append(&self.name);
            texts.append(&self.subtitle);
            obj.append(&self.icon);
            obj.append(&texts);
            obj.append(&self.spinner);
            self.graphs.set_orientation(gtk::Orientation::Vertical);
            self.graphs.set_spacing(2);
            self.graphs.set_valign(gtk::Align::Center);
            let cpu = Graph::new(30, 100.0, true);
            cpu.set_size_request(56, 14);
            cpu.set_tooltip_text(Some(&gettext("CPU usage")));
            cpu.update_property(&[gtk::accessible::Property::Label(&gettext("CPU usage"))]);
            let mem = Graph::new(30, 100.0, true);
            mem.set_size_request(56, 14);
            mem.set_tooltip_text(Some(&gettext("Memory usage")));
            mem.update_property(&[gtk::accessible::Property::Label(&gettext("Memory usage"))]);
            self.graphs.append(&cpu);
            self.graphs.append(&mem);
            obj.append(&self.graphs);
            self.cpu.replace(Some(cpu));
            self.mem.replace(Some(mem));
        }
    }

    impl WidgetImpl for ListRow {}
    impl BoxImpl for ListRow {}
}

glib::wrapper! {
    pub struct ListRow(ObjectSubclass<imp::ListRow>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for ListRow {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl ListRow {
    pub fn new() -> ListRow {
        ListRow::default()
    }

    /// Show `item` (a `Vm` or a `Connection`).
    pub fn bind(&self, item: &glib::Object) {
        self.unbind();
        let imp = self.imp();
        imp.item.replace(Some(item.clone()));
        if let Some(vm) = item.downcast_ref::<Vm>() {
            self.remove_css_class("connection-row");
            self.add_css_class("vm-row");
            imp.graphs.set_visible(true);
            let mut hs = Vec::new();
            let this = self.downgrade();
            hs.push((
                vm.clone().upcast(),
                vm.connect_notify_local(None, move |vm, p| {
                    let Some(this) = this.upgrade() else { return };
                    match p.name() {
                        "cpu-percent" | "memory-percent" => {}
                        _ => this.sync_vm(vm),
                    }
                }),
            ));
            let this = self.downgrade();
            hs.push((
                vm.clone().upcast(),
                vm.connect_local("stats-updated", false, move |args| {
                    if let (Some(this), Ok(vm)) = (this.upgrade(), args[0].get::<Vm>()) {
                        this.sync_graphs(&vm);
                    }
                    None
                }),
            ));
            imp.handlers.replace(hs);
            self.sync_vm(vm);
            self.sync_graphs(vm);
        } else if let Some(conn) = item.downcast_ref::<Connection>() {
            self.remove_css_class("vm-row");
            self.add_css_class("connection-row");
            imp.graphs.set_visible(false);
            let this = self.downgrade();
            let h = conn.connect_notify_local(None, move |c, _| {
                if let Some(this) = this.upgrade() {
                    this.sync_connection(c);
                }
            });
            // “No virtual machines” follows the list too.
            let this = self.downgrade();
            let c = conn.downgrade();
            let store = conn.domains();
            let h2 = store.connect_items_changed(move |_, _, _, _| {
                if let (Some(this), Some(c)) = (this.upgrade(), c.upgrade()) {
                    this.sync_connection(&c);
                }
            });
            imp.handlers
                .replace(vec![(conn.clone().upcast(), h), (store.upcast(), h2)]);
            self.sync_connection(conn);
        }
    }

    pub fn unbind(&self) {
        let imp = self.imp();
        imp.item.take();
        for (obj, h) in imp.handlers.take() {
            obj.disconnect(h);
        }
    }

    /// The object this row shows (a `Vm` or a `Connection`).
    pub fn item(&self) -> Option<glib::Object> {
        self.imp().item.borrow().clone()
    }

    /// The VM this row shows, if it shows one.
    pub fn vm(&self) -> Option<Vm> {
        self.imp().item.borrow().clone().and_downcast::<Vm>()
    }

    fn sync_vm(&self, vm: &Vm) {
        let imp = self.imp();
        let state = vm.domain_state();
        let name = vm.name();
        imp.name.set_label(&name);
        let title = vm.title();
        let state_text = state_label(state);
        let sub = if title.trim().is_empty() {
            state_text.clone()
        } else {
            format!("{state_text} · {title}")
        };
        imp.subtitle.set_label(&sub);
        imp.icon.set_icon_name(Some(state_icon(state)));
        for c in ["state-running", "state-paused", "state-crashed"] {
            imp.icon.remove_css_class(c);
        }
        if let Some(c) = state_css(state) {
            imp.icon.add_css_class(c);
        }
        imp.icon
            .update_property(&[gtk::accessible::Property::Label(&state_text)]);
        imp.spinner.set_visible(vm.busy());
        imp.spinner.set_spinning(vm.busy());
        imp.graphs
            .set_opacity(if state.is_active() { 1.0 } else { 0.35 });
        self.update_property(&[gtk::accessible::Property::Label(&name)]);
    }

    fn sync_graphs(&self, vm: &Vm) {
        let imp = self.imp();
        if let Some(g) = imp.cpu.borrow().as_ref() {
            g.set_series(vec![vm.cpu_history().values().collect()]);
        }
        if let Some(g) = imp.mem.borrow().as_ref() {
            g.set_series(vec![vm.memory_history().values().collect()]);
        }
    }

    fn sync_connection(&self, c: &Connection) {
        let imp = self.imp();
        let label = c.label();
        imp.name.set_label(&label);
        let (icon, sub) = match c.status() {
            ConnStatus::Connected => {
                let n = c.domains().n_items();
                (
                    "network-server-symbolic",
                    if c.loaded() && n == 0 {
                        gettext("No virtual machines")
                    } else {
                        c.uri()
                    },
                )
            }
            ConnStatus::Connecting => ("network-server-symbolic", gettext("Connecting…")),
            ConnStatus::Disconnected => ("network-offline-symbolic", gettext("Not connected")),
            ConnStatus::Lost => ("network-error-symbolic", c.status_message()),
            ConnStatus::Failed => ("dialog-warning-symbolic", c.status_message()),
        };
        imp.icon.set_icon_name(Some(icon));
        imp.subtitle.set_label(&sub);
        imp.subtitle.set_tooltip_text(Some(&sub));
        let busy = c.status() == ConnStatus::Connecting;
        imp.spinner.set_visible(busy);
        imp.spinner.set_spinning(busy);
        self.update_property(&[gtk::accessible::Property::Label(&label)]);
    }
}
