//! One row of the sidebar list: a connection header or a virtual machine.

use std::cell::RefCell;

use gtk::glib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;

use crate::backend::domain::DomainState;
use crate::i18n::gettext;
use crate::model::{ConnStatus, Connection, Vm};
use crate::ui::components::graph::Graph;
use crate::ui::components::state::{conn_status_icon, state_css, state_icon, state_label};
use crate::ui::console::{GuestDisplay, Thumbnail};

/// The size of a guest screen in a row, in logical pixels: 16:10, as tall as the name
/// and the subtitle together, so rows do not grow.
pub const THUMBNAIL_SIZE: (i32, i32) = (56, 35);

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct ListRow {
        pub icon: gtk::Image,
        pub name: gtk::Label,
        pub subtitle: gtk::Label,
        /// Created the first time something is busy: most rows never need one.
        pub spinner: RefCell<Option<gtk::Spinner>>,
        /// CPU (upper lane) and memory (lower lane) of a running guest.
        pub graph: RefCell<Option<Graph>>,
        pub item: RefCell<Option<glib::Object>>,
        /// The guest screen of a running VM, when list thumbnails are on.
        pub thumbnail: RefCell<Option<Thumbnail>>,
        /// Signal handlers on the shown item (or on objects it owns).
        pub handlers: RefCell<Vec<(glib::Object, glib::SignalHandlerId)>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ListRow {
        const NAME: &'static str = "HangarListRow";
        type Type = super::ListRow;
        type ParentType = gtk::Widget;

        fn class_init(klass: &mut Self::Class) {
            // Few widgets per row: GTK builds ~200 rows ahead of what it shows.
            klass.set_layout_manager_type::<gtk::GridLayout>();
            klass.set_css_name("listrow");
        }
    }

    impl ObjectImpl for ListRow {
        fn constructed(&self) {
            self.parent_constructed();
            let obj = self.obj();
            let layout = obj
                .layout_manager()
                .and_downcast::<gtk::GridLayout>()
                .expect("grid layout");
            layout.set_column_spacing(10);
            obj.set_hexpand(true);
            self.icon.set_valign(gtk::Align::Center);
            self.name.set_xalign(0.0);
            self.name.set_hexpand(true);
            self.name.set_ellipsize(gtk::pango::EllipsizeMode::End);
            // A long name or URI asks for no more width than this: the sidebar keeps
            // its width whatever the page beside it needs (the Topology's picture
            // took it from the sidebar, the Overview gave it back).
            self.name.set_max_width_chars(18);
            self.name.add_css_class("vm-name");
            self.subtitle.set_xalign(0.0);
            self.subtitle.set_ellipsize(gtk::pango::EllipsizeMode::End);
            self.subtitle.set_max_width_chars(18);
            self.subtitle.add_css_class("dim-label");
            self.subtitle.add_css_class("vm-subtitle");
            self.icon.set_parent(&*obj);
            self.name.set_parent(&*obj);
            self.subtitle.set_parent(&*obj);
            let place = |w: &gtk::Widget, col: i32, row: i32, rows: i32| {
                if let Some(c) = layout
                    .layout_child(w)
                    .downcast_ref::<gtk::GridLayoutChild>()
                {
                    c.set_column(col);
                    c.set_row(row);
                    c.set_row_span(rows);
                }
            };
            place(self.icon.upcast_ref(), 0, 0, 2);
            place(self.name.upcast_ref(), 1, 0, 1);
            place(self.subtitle.upcast_ref(), 1, 1, 1);
            let graph = Graph::new(30, 100.0, true);
            graph.set_lanes(true);
            graph.set_size_request(56, 30);
            graph.set_valign(gtk::Align::Center);
            graph.set_tooltip_text(Some(&gettext("CPU (top) and memory (bottom) usage")));
            graph.update_property(&[gtk::accessible::Property::Label(&gettext(
                "CPU and memory usage",
            ))]);
            graph.set_parent(&*obj);
            place(graph.upcast_ref(), 3, 0, 2);
            self.graph.replace(Some(graph));
        }

        fn dispose(&self) {
            while let Some(child) = self.obj().first_child() {
                child.unparent();
            }
        }
    }

    impl WidgetImpl for ListRow {}
}

glib::wrapper! {
    pub struct ListRow(ObjectSubclass<imp::ListRow>)
        @extends gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
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
        if let Some(t) = imp.thumbnail.borrow().as_ref() {
            if t.vm().as_ref() != item.downcast_ref::<Vm>() {
                t.set_vm(None);
            }
        }
        self.sync_icon_slot();
        if let Some(vm) = item.downcast_ref::<Vm>() {
            thread_local!(static FIRST: std::cell::Cell<bool> = const { std::cell::Cell::new(true) });
            if FIRST.with(|f| f.replace(false)) {
                crate::bench_mark(&format!("first row bound: {}", vm.name()));
                // And when it is on screen: the next frame painted after it.
                if std::env::var_os("HANGAR_BENCH_LOG").is_some() {
                    let w = self.downgrade();
                    glib::idle_add_local_once(move || {
                        let Some(fc) = w.upgrade().and_then(|w| w.frame_clock()) else {
                            return;
                        };
                        let id: std::rc::Rc<std::cell::Cell<Option<glib::SignalHandlerId>>> =
                            Default::default();
                        let own = id.clone();
                        let h = fc.connect_after_paint(move |fc| {
                            crate::bench_mark("first row painted");
                            if let Some(h) = own.take() {
                                fc.disconnect(h);
                            }
                        });
                        id.set(Some(h));
                    });
                }
            }
            self.remove_css_class("connection-row");
            self.add_css_class("vm-row");
            if let Some(g) = imp.graph.borrow().as_ref() {
                g.set_visible(true);
            }
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
            if let Some(g) = imp.graph.borrow().as_ref() {
                g.set_visible(false);
            }
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

    /// Show live guest screens (the window turns this on and off for every row).
    pub fn set_thumbnails(&self, on: bool) {
        let imp = self.imp();
        if on == imp.thumbnail.borrow().is_some() {
            return;
        }
        if on {
            let (w, h) = THUMBNAIL_SIZE;
            let t = Thumbnail::new_compact(w, h);
            t.set_valign(gtk::Align::Center);
            t.set_halign(gtk::Align::Center);
            t.set_parent(self);
            if let Some(c) = self
                .layout_manager()
                .and_then(|l| l.layout_child(&t).downcast::<gtk::GridLayoutChild>().ok())
            {
                c.set_column(0);
                c.set_row(0);
                c.set_row_span(2);
            }
            let this = self.downgrade();
            t.connect_picture_changed(move |_| {
                if let Some(this) = this.upgrade() {
                    this.sync_icon_slot();
                }
            });
            imp.thumbnail.replace(Some(t));
        } else if let Some(t) = imp.thumbnail.take() {
            t.unparent();
        }
        self.sync_icon_slot();
    }

    /// The row's thumbnail, when thumbnails are on.
    pub fn thumbnail(&self) -> Option<Thumbnail> {
        self.imp().thumbnail.borrow().clone()
    }

    /// Fetch the guest screen again (the window calls this for the rows in view): from
    /// `display` when it is an open console of this VM, else a screenshot of its
    /// connection (then true).
    pub fn refresh_thumbnail(&self, display: Option<&GuestDisplay>) -> bool {
        let Some(vm) = self.vm() else { return false };
        let Some(t) = self.thumbnail() else {
            return false;
        };
        if t.vm().as_ref() != Some(&vm) {
            t.set_vm(Some(&vm));
        }
        t.refresh_from(display)
    }

    /// VM rows keep the first column as wide as a thumbnail while thumbnails are on, so
    /// names line up; the state icon shows there until a picture does. Over a picture
    /// of a guest that is not simply running (paused, crashed…) the state icon stays, as
    /// a badge in the picture's corner, so the list still tells states apart at a glance.
    fn sync_icon_slot(&self) {
        let imp = self.imp();
        let thumb = imp.thumbnail.borrow();
        let vm = self.vm();
        let is_vm = vm.is_some();
        let picture = thumb.as_ref().is_some_and(|t| t.has_picture());
        let running = vm.is_some_and(|v| v.domain_state() == DomainState::Running);
        let badge = is_vm && picture && !running;
        imp.icon.set_visible(!(is_vm && picture) || badge);
        if badge {
            imp.icon.set_size_request(-1, -1);
            imp.icon.set_halign(gtk::Align::End);
            imp.icon.set_valign(gtk::Align::End);
            imp.icon.add_css_class("thumbnail-badge");
            // Drawn after (over) the picture.
            if let Some(t) = thumb.as_ref() {
                imp.icon.insert_after(self, Some(t));
            }
        } else {
            let width = if is_vm && thumb.is_some() {
                THUMBNAIL_SIZE.0
            } else {
                -1
            };
            imp.icon.set_size_request(width, -1);
            imp.icon.set_halign(gtk::Align::Fill);
            imp.icon.set_valign(gtk::Align::Center);
            imp.icon.remove_css_class("thumbnail-badge");
        }
        if let Some(t) = thumb.as_ref() {
            t.set_visible(is_vm);
        }
    }

    /// Whether the state icon is on screen: beside the name, or as a badge over the
    /// guest's picture.
    pub fn shows_state_icon(&self) -> bool {
        self.imp().icon.is_visible()
    }

    /// Show a spinner at the end of the row while something is under way.
    fn set_busy(&self, busy: bool) {
        let imp = self.imp();
        if !busy && imp.spinner.borrow().is_none() {
            return;
        }
        let mut slot = imp.spinner.borrow_mut();
        let spinner = slot.get_or_insert_with(|| {
            let s = gtk::Spinner::new();
            s.set_valign(gtk::Align::Center);
            s.set_parent(self);
            if let Some(c) = self
                .layout_manager()
                .and_then(|l| l.layout_child(&s).downcast::<gtk::GridLayoutChild>().ok())
            {
                c.set_column(2);
                c.set_row(0);
                c.set_row_span(2);
            }
            s
        });
        spinner.set_visible(busy);
        spinner.set_spinning(busy);
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
        self.set_busy(vm.busy());
        if let Some(g) = imp.graph.borrow().as_ref() {
            g.set_opacity(if state.is_active() { 1.0 } else { 0.35 });
        }
        if !state.is_active() {
            if let Some(t) = imp.thumbnail.borrow().as_ref() {
                t.set_vm(None);
            }
        }
        self.sync_icon_slot();
        self.update_property(&[gtk::accessible::Property::Label(&name)]);
    }

    fn sync_graphs(&self, vm: &Vm) {
        let imp = self.imp();
        if let Some(g) = imp.graph.borrow().as_ref() {
            g.set_series(vec![
                vm.cpu_history().values().collect(),
                vm.memory_history().values().collect(),
            ]);
        }
    }

    fn sync_connection(&self, c: &Connection) {
        let imp = self.imp();
        let label = c.label();
        imp.name.set_label(&label);
        // The icon says the state, and so does its accessible name (the subtitle of a
        // connected host is its URI).
        let (state, sub) = match c.status() {
            ConnStatus::Connected => {
                let n = c.domains().n_items();
                (
                    gettext("Connected"),
                    if c.loaded() && n == 0 {
                        gettext("No virtual machines")
                    } else {
                        c.uri()
                    },
                )
            }
            ConnStatus::Connecting => (gettext("Connecting"), gettext("Connecting…")),
            ConnStatus::Disconnected => (gettext("Not connected"), gettext("Not connected")),
            ConnStatus::Lost => (gettext("Connection lost"), c.status_message()),
            ConnStatus::Failed => (gettext("Could not connect"), c.status_message()),
        };
        imp.icon.set_icon_name(Some(conn_status_icon(c.status())));
        imp.icon
            .update_property(&[gtk::accessible::Property::Label(&state)]);
        imp.subtitle.set_label(&sub);
        imp.subtitle.set_tooltip_text(Some(&sub));
        self.set_busy(c.status() == ConnStatus::Connecting);
        self.update_property(&[gtk::accessible::Property::Label(&label)]);
    }
}
