//! The page of one virtual machine. Overview now; the console, hardware, snapshots and
//! XML pages join the view stack as their issues land.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use crate::backend::units::{format_kib, format_rate};
use crate::i18n::gettext;
use crate::model::{Connection, Vm};
use crate::ui::components::graph::Graph;
use crate::ui::components::state::state_with_reason;

/// A titled graph with its current value.
#[derive(Clone)]
pub struct GraphCard {
    pub root: gtk::Box,
    pub value: gtk::Label,
    pub graph: Graph,
}

impl GraphCard {
    pub fn new(title: &str, max: f64, two_series: bool) -> GraphCard {
        let root = gtk::Box::new(gtk::Orientation::Vertical, 6);
        root.add_css_class("card");
        root.add_css_class("graph-card");
        let head = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        let t = gtk::Label::builder()
            .label(title)
            .xalign(0.0)
            .hexpand(true)
            .css_classes(["heading"])
            .build();
        let value = gtk::Label::builder()
            .xalign(1.0)
            .css_classes(["dim-label", "graph-value", "caption"])
            .build();
        head.append(&t);
        head.append(&value);
        let graph = Graph::new(60, max, !two_series);
        graph.set_size_request(-1, 72);
        graph.update_property(&[gtk::accessible::Property::Label(title)]);
        root.append(&head);
        root.append(&graph);
        GraphCard { root, value, graph }
    }
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct VmPage {
        pub stack: adw::ViewStack,
        pub name_row: adw::ActionRow,
        pub title_row: adw::EntryRow,
        pub description: gtk::TextView,
        pub description_apply: gtk::Button,
        pub uuid_row: adw::ActionRow,
        pub state_row: adw::ActionRow,
        pub vcpus_row: adw::ActionRow,
        pub memory_row: adw::ActionRow,
        pub os_row: adw::ActionRow,
        pub hypervisor_row: adw::ActionRow,
        pub autostart_row: adw::ActionRow,
        pub autostart_switch: gtk::Switch,
        pub cards: RefCell<Vec<GraphCard>>,
        /// The machine shown (its connection is `Connection::of` it).
        pub vm: RefCell<Option<Vm>>,
        pub handlers: RefCell<Vec<glib::SignalHandlerId>>,
        pub syncing: std::cell::Cell<bool>,
        pub switcher: adw::ViewSwitcher,
        #[allow(clippy::type_complexity)]
        /// Widgets other pages put at the top of the Overview (the screen thumbnail).
        pub overview_top: gtk::Box,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for VmPage {
        const NAME: &'static str = "HangarVmPage";
        type Type = super::VmPage;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for VmPage {
        vm_property!();

        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
    }
    impl WidgetImpl for VmPage {}
    impl BoxImpl for VmPage {}
}

glib::wrapper! {
    pub struct VmPage(ObjectSubclass<imp::VmPage>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for VmPage {
    fn default() -> Self {
        glib::Object::builder()
            .property("orientation", gtk::Orientation::Vertical)
            .build()
    }
}

impl VmPage {
    pub fn new() -> VmPage {
        VmPage::default()
    }

    fn build(&self) {
        let imp = self.imp();
        crate::ui::components::tabs::setup_tabs(&imp.switcher, &imp.stack);
        imp.stack.set_vexpand(true);

        let body = gtk::Box::new(gtk::Orientation::Vertical, 24);
        body.set_margin_top(24);
        body.set_margin_bottom(24);
        body.set_margin_start(12);
        body.set_margin_end(12);

        // General.
        let general = adw::PreferencesGroup::builder()
            .title(gettext("General"))
            .build();
        imp.name_row.set_title(&gettext("Name"));
        imp.name_row.add_css_class("property");
        let rename = gtk::Button::builder()
            .icon_name("document-edit-symbolic")
            .valign(gtk::Align::Center)
            .action_name("win.rename")
            .tooltip_text(gettext("Rename"))
            .css_classes(["flat"])
            .build();
        rename.update_property(&[gtk::accessible::Property::Label(&gettext("Rename"))]);
        imp.name_row.add_suffix(&rename);
        general.add(&imp.name_row);
        imp.title_row.set_title(&gettext("Title"));
        imp.title_row.set_show_apply_button(true);
        let this = self.downgrade();
        imp.title_row.connect_apply(move |_| {
            if let Some(this) = this.upgrade() {
                this.save_metadata();
            }
        });
        general.add(&imp.title_row);
        imp.uuid_row.set_title("UUID");
        imp.uuid_row.add_css_class("property");
        let copy = gtk::Button::builder()
            .icon_name("edit-copy-symbolic")
            .valign(gtk::Align::Center)
            .tooltip_text(gettext("Copy UUID"))
            .css_classes(["flat"])
            .build();
        copy.update_property(&[gtk::accessible::Property::Label(&gettext("Copy UUID"))]);
        let this = self.downgrade();
        copy.connect_clicked(move |b| {
            if let Some(this) = this.upgrade() {
                if let Some(vm) = this.imp().vm.borrow().as_ref() {
                    b.clipboard().set_text(&vm.uuid());
                }
            }
        });
        imp.uuid_row.add_suffix(&copy);
        general.add(&imp.uuid_row);
        imp.overview_top.set_orientation(gtk::Orientation::Vertical);
        imp.overview_top.set_spacing(12);
        body.append(&imp.overview_top);
        body.append(&general);

        let desc_group = adw::PreferencesGroup::builder()
            .title(gettext("Description"))
            .build();
        imp.description.set_wrap_mode(gtk::WrapMode::WordChar);
        imp.description.set_top_margin(8);
        imp.description.set_bottom_margin(8);
        imp.description.set_left_margin(8);
        imp.description.set_right_margin(8);
        imp.description
            .update_property(&[gtk::accessible::Property::Label(&gettext("Description"))]);
        let frame = gtk::Frame::builder()
            .child(&imp.description)
            .height_request(72)
            .build();
        frame.add_css_class("view");
        desc_group.add(&frame);
        imp.description_apply
            .set_label(&gettext("_Save Description"));
        imp.description_apply.set_use_underline(true);
        imp.description_apply.set_halign(gtk::Align::End);
        imp.description_apply.set_margin_top(6);
        imp.description_apply.set_sensitive(false);
        let this = self.downgrade();
        imp.description_apply.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                this.save_metadata();
            }
        });
        desc_group.add(&imp.description_apply);
        let apply = imp.description_apply.clone();
        let this = self.downgrade();
        imp.description.buffer().connect_changed(move |_| {
            if let Some(this) = this.upgrade() {
                if !this.imp().syncing.get() {
                    apply.set_sensitive(true);
                }
            }
        });
        body.append(&desc_group);

        // Status.
        let status = adw::PreferencesGroup::builder()
            .title(gettext("Status"))
            .build();
        for (row, title) in [
            (&imp.state_row, gettext("State")),
            (&imp.vcpus_row, gettext("Virtual CPUs")),
            (&imp.memory_row, gettext("Memory")),
            (&imp.os_row, gettext("Operating System Type")),
            (&imp.hypervisor_row, gettext("Hypervisor")),
        ] {
            row.set_title(&title);
            row.add_css_class("property");
            status.add(row);
        }
        imp.autostart_row.set_title(&gettext("Start at Host Boot"));
        imp.autostart_row
            .set_subtitle(&gettext("Run when the host starts"));
        imp.autostart_switch.set_valign(gtk::Align::Center);
        imp.autostart_switch.set_action_name(Some("win.autostart"));
        imp.autostart_row.add_suffix(&imp.autostart_switch);
        imp.autostart_row
            .set_activatable_widget(Some(&imp.autostart_switch));
        status.add(&imp.autostart_row);
        body.append(&status);

        // Performance.
        let perf = adw::PreferencesGroup::builder()
            .title(gettext("Performance"))
            .build();
        let grid = gtk::Grid::builder()
            .row_spacing(12)
            .column_spacing(12)
            .column_homogeneous(true)
            .build();
        let cards = vec![
            GraphCard::new(&gettext("CPU"), 100.0, false),
            GraphCard::new(&gettext("Memory"), 100.0, false),
            GraphCard::new(&gettext("Disk I/O"), 0.0, true),
            GraphCard::new(&gettext("Network I/O"), 0.0, true),
        ];
        for (i, c) in cards.iter().enumerate() {
            grid.attach(&c.root, (i % 2) as i32, (i / 2) as i32, 1, 1);
        }
        perf.add(&grid);
        body.append(&perf);
        imp.cards.replace(cards);

        let clamp = adw::Clamp::builder().maximum_size(720).child(&body).build();
        let scroller = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .child(&clamp)
            .build();
        let page = imp
            .stack
            .add_titled(&scroller, Some("overview"), &gettext("Overview"));
        page.set_icon_name(Some("view-grid-symbolic"));
        self.append(&imp.switcher);
        self.append(&imp.stack);
    }

    /// Add a page beside the Overview (console, hardware, snapshots, XML…). The page
    /// learns which VM to show through a binding to the `vm` property.
    pub fn add_page(&self, child: &impl IsA<gtk::Widget>, name: &str, title: &str, icon: &str) {
        let imp = self.imp();
        let page = imp.stack.add_titled(child, Some(name), title);
        page.set_icon_name(Some(icon));
        imp.switcher.set_visible(true);
    }

    /// Put a widget above the page switcher (a bar about the whole machine).
    pub fn add_top_widget(&self, child: &impl IsA<gtk::Widget>) {
        self.prepend(child);
    }

    /// Put a widget at the top of the Overview page.
    pub fn add_overview_widget(&self, child: &impl IsA<gtk::Widget>) {
        self.imp().overview_top.append(child);
    }

    /// Show one of the pages by name ("overview", …).
    pub fn show_page(&self, name: &str) {
        self.imp().stack.set_visible_child_name(name);
    }

    /// A page by the name it was added with.
    pub fn page(&self, name: &str) -> Option<gtk::Widget> {
        self.imp().stack.child_by_name(name)
    }

    pub fn visible_page(&self) -> Option<String> {
        self.imp().stack.visible_child_name().map(|s| s.to_string())
    }

    /// Show `vm` (or nothing): its pages follow through their bound `vm` property.
    pub fn set_vm(&self, vm: Option<&Vm>) {
        let imp = self.imp();
        if imp.vm.borrow().as_ref() == vm {
            return;
        }
        if let Some(old) = imp.vm.take() {
            for h in imp.handlers.take() {
                old.disconnect(h);
            }
            old.unwatch();
        }
        let Some(vm) = vm else {
            self.notify("vm");
            return;
        };
        vm.watch();
        imp.vm.replace(Some(vm.clone()));
        let this = self.downgrade();
        let h1 = vm.connect_notify_local(None, move |vm, p| {
            if matches!(p.name(), "cpu-percent" | "memory-percent" | "busy") {
                return;
            }
            if let Some(this) = this.upgrade() {
                this.sync(vm, p.name() == "description" || p.name() == "title");
            }
        });
        let this = self.downgrade();
        let h2 = vm.connect_local("stats-updated", false, move |args| {
            if let (Some(this), Ok(vm)) = (this.upgrade(), args[0].get::<Vm>()) {
                this.sync_graphs(&vm);
            }
            None
        });
        imp.handlers.replace(vec![h1, h2]);
        self.sync(vm, true);
        self.sync_graphs(vm);
        self.notify("vm");
    }

    /// The machine shown and its connection.
    pub fn current(&self) -> Option<(Connection, Vm)> {
        let vm = self.imp().vm.borrow().clone()?;
        Some((Connection::of(&vm)?, vm))
    }

    pub fn vm(&self) -> Option<Vm> {
        self.imp().vm.borrow().clone()
    }

    fn sync(&self, vm: &Vm, texts: bool) {
        let imp = self.imp();
        imp.name_row.set_subtitle(&vm.name());
        imp.uuid_row.set_subtitle(&vm.uuid());
        imp.state_row
            .set_subtitle(&state_with_reason(vm.domain_state(), vm.reason()));
        imp.vcpus_row.set_subtitle(&vm.vcpus().to_string());
        let mem = if vm.max_memory_kib() > vm.memory_kib() {
            format!(
                "{} (max. {})",
                format_kib(vm.memory_kib()),
                format_kib(vm.max_memory_kib())
            )
        } else {
            format_kib(vm.memory_kib())
        };
        imp.memory_row.set_subtitle(&mem);
        let os = match (vm.os_type().as_str(), vm.arch().as_str()) {
            ("hvm", a) => format!("{} {a}", gettext("Full virtualization (HVM)")),
            ("", _) => gettext("Unknown"),
            (t, a) => format!("{t} {a}"),
        };
        imp.os_row.set_subtitle(os.trim());
        imp.hypervisor_row.set_subtitle(&vm.hypervisor());
        imp.autostart_row.set_sensitive(vm.persistent());
        if texts {
            imp.syncing.set(true);
            imp.title_row.set_text(&vm.title());
            imp.description.buffer().set_text(&vm.description());
            imp.description_apply.set_sensitive(false);
            imp.syncing.set(false);
        }
    }

    fn sync_graphs(&self, vm: &Vm) {
        let imp = self.imp();
        let cards = imp.cards.borrow();
        let u = vm.last_usage();
        let active = vm.domain_state().is_active();
        cards[0]
            .graph
            .set_series(vec![vm.cpu_history().values().collect()]);
        cards[0].value.set_label(&if active {
            format!("{:.0} %", u.cpu_percent)
        } else {
            "—".into()
        });
        cards[1]
            .graph
            .set_series(vec![vm.memory_history().values().collect()]);
        cards[1]
            .value
            .set_label(&match (u.memory_used_kib, u.memory_total_kib) {
                (Some(used), Some(total)) if active => {
                    format!("{} / {}", format_kib(used), format_kib(total))
                }
                _ => "—".into(),
            });
        {
            let (r, w) = vm.disk_histories();
            cards[2]
                .graph
                .set_series(vec![r.values().collect(), w.values().collect()]);
        }
        cards[2].value.set_label(&if active {
            format!(
                "↓ {}  ↑ {}",
                format_rate(u.disk_read_bps.unwrap_or(0.0)),
                format_rate(u.disk_write_bps.unwrap_or(0.0))
            )
        } else {
            "—".into()
        });
        {
            let (rx, tx) = vm.net_histories();
            cards[3]
                .graph
                .set_series(vec![rx.values().collect(), tx.values().collect()]);
        }
        cards[3].value.set_label(&if active {
            format!(
                "↓ {}  ↑ {}",
                format_rate(u.net_rx_bps.unwrap_or(0.0)),
                format_rate(u.net_tx_bps.unwrap_or(0.0))
            )
        } else {
            "—".into()
        });
    }

    /// Write the edited title and description.
    fn save_metadata(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = imp.obj().current() else {
            return;
        };
        let title = imp.title_row.text().to_string();
        let buffer = imp.description.buffer();
        let desc = buffer
            .text(&buffer.start_iter(), &buffer.end_iter(), false)
            .to_string();
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn
                .backend()
                .set_title_description(vm.uuid(), title, desc)
                .await;
            let Some(this) = this.upgrade() else { return };
            match r {
                Ok(()) => this.imp().description_apply.set_sensitive(false),
                Err(e) => {
                    if let Some(win) = this.root().and_downcast::<gtk::Window>() {
                        crate::ui::error::show_dialog(
                            &win,
                            &gettext("Could not save the title and description"),
                            &e,
                        );
                    }
                }
            }
        });
    }

    /// The title and description as typed (for tests).
    pub fn edit_metadata(&self, title: &str, description: &str) {
        let imp = self.imp();
        imp.title_row.set_text(title);
        imp.description.buffer().set_text(description);
        self.save_metadata();
    }

    /// The graph cards: CPU, memory, disk, network (for tests).
    pub fn graph_series(&self) -> Vec<Vec<Vec<f64>>> {
        self.imp()
            .cards
            .borrow()
            .iter()
            .map(|c| c.graph.series())
            .collect()
    }
}
