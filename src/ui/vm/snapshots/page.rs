//! The Snapshots tab: a machine's snapshots as a tree (parent → children, the current
//! one marked, "now" after it) or a list, each with its picture; the verbs as
//! `snapshots.*` actions (`page/verbs.rs`), loading and watching (`page/load.rs`).

use std::cell::{Cell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib, CompositeTemplate};

use crate::backend::snapshot::info::SnapshotInfo;
use crate::backend::snapshot::ops::SnapshotList;
use crate::backend::snapshot::plan::{rename_refusal, revert_refusal};
use crate::i18n::gettext;
use crate::model::{build_tree, Connection, Snapshot, Vm};
use crate::ui::vm::snapshots::rows;

mod load;
mod verbs;

mod imp {
    use super::*;

    #[derive(Default, CompositeTemplate)]
    #[template(file = "page.ui")]
    pub struct SnapshotsPage {
        #[template_child]
        pub toolbar: TemplateChild<gtk::Box>,
        #[template_child]
        pub take_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub revert_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub delete_button: TemplateChild<gtk::MenuButton>,
        #[template_child]
        pub list_toggle: TemplateChild<gtk::ToggleButton>,
        #[template_child]
        pub progress_revealer: TemplateChild<gtk::Revealer>,
        #[template_child]
        pub progress_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub progress_bar: TemplateChild<gtk::ProgressBar>,
        #[template_child]
        pub note: TemplateChild<gtk::Label>,
        #[template_child]
        pub stack: TemplateChild<gtk::Stack>,
        #[template_child]
        pub view: TemplateChild<gtk::ListView>,
        /// The machine shown (its connection is `Connection::of` it).
        pub vm: RefCell<Option<Vm>>,
        pub watch: RefCell<Option<(Vm, glib::SignalHandlerId)>>,
        /// The snapshots as last read.
        pub list: RefCell<SnapshotList>,
        pub selection: RefCell<Option<gtk::SingleSelection>>,
        pub list_mode: Cell<bool>,
        /// Bumped by every load, so an old answer does not overwrite a newer one.
        pub loads: Cell<u64>,
        /// A long operation runs.
        pub busy: Cell<bool>,
        /// The Overview's row: how many snapshots, the newest one's time.
        pub overview: gtk::ListBox,
        pub overview_row: adw::ActionRow,
        pub loaded: RefCell<Vec<Box<dyn Fn()>>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for SnapshotsPage {
        const NAME: &'static str = "HangarSnapshotsPage";
        type Type = super::SnapshotsPage;
        type ParentType = gtk::Box;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            // The page's verbs (page/verbs.rs); buttons, menus and tests name them.
            klass.install_action("snapshots.take", None, |p, _, _| p.open_take());
            klass.install_action("snapshots.revert", None, |p, _, _| p.confirm_revert());
            klass.install_action(
                "snapshots.delete",
                Some(glib::VariantTy::STRING),
                |p, _, v| {
                    if let Some(which) = v.and_then(|v| v.get::<String>()) {
                        p.confirm_delete(&which);
                    }
                },
            );
            klass.install_action("snapshots.edit", None, |p, _, _| p.open_edit());
            klass.install_action("snapshots.compare", None, |p, _, _| p.open_compare());
            klass.install_property_action("snapshots.list-view", "list-view");
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for SnapshotsPage {
        fn properties() -> &'static [glib::ParamSpec] {
            static PROPS: std::sync::OnceLock<Vec<glib::ParamSpec>> = std::sync::OnceLock::new();
            PROPS.get_or_init(|| {
                vec![
                    glib::ParamSpecObject::builder::<Vm>("vm").build(),
                    glib::ParamSpecBoolean::builder("list-view").build(),
                ]
            })
        }

        fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
            match pspec.name() {
                "list-view" => {
                    let on = value.get::<bool>().unwrap_or(false);
                    if self.list_mode.replace(on) != on {
                        self.obj().show_list();
                    }
                }
                _ => {
                    let vm = value.get::<Option<Vm>>().ok().flatten();
                    self.obj().set_vm(vm.as_ref());
                }
            }
        }

        fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
            match pspec.name() {
                "list-view" => self.list_mode.get().to_value(),
                _ => self.vm.borrow().to_value(),
            }
        }

        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
    }
    impl WidgetImpl for SnapshotsPage {}
    impl BoxImpl for SnapshotsPage {}
}

glib::wrapper! {
    pub struct SnapshotsPage(ObjectSubclass<imp::SnapshotsPage>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for SnapshotsPage {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl SnapshotsPage {
    pub fn new() -> SnapshotsPage {
        SnapshotsPage::default()
    }

    fn build(&self) {
        let imp = self.imp();
        let this = self.downgrade();
        imp.view.set_factory(Some(&rows::factory(move || {
            let this = this.upgrade()?;
            let vm = this.imp().vm.borrow().clone()?;
            Some(vm.uuid())
        })));
        imp.overview_row.set_title(&gettext("Snapshots"));
        imp.overview_row.set_activatable(true);
        imp.overview_row
            .add_suffix(&gtk::Image::from_icon_name("go-next-symbolic"));
        imp.overview.add_css_class("boxed-list");
        imp.overview.set_selection_mode(gtk::SelectionMode::None);
        imp.overview.append(&imp.overview_row);
        self.update_actions();
        self.watch_outside();
    }

    /// The Overview's box with the snapshot count and the newest one's time.
    pub fn overview_widget(&self) -> gtk::Widget {
        self.imp().overview.clone().upcast()
    }

    /// Call `f` when a person activates the Overview's snapshot row.
    pub fn connect_overview_activated(&self, f: impl Fn() + 'static) {
        self.imp().overview_row.connect_activated(move |_| f());
    }

    /// Call `f` after every load of the list (tests wait on it).
    pub fn connect_loaded(&self, f: impl Fn() + 'static) {
        self.imp().loaded.borrow_mut().push(Box::new(f));
    }

    /// The machine shown and its connection.
    pub fn current(&self) -> Option<(Connection, Vm)> {
        let vm = self.imp().vm.borrow().clone()?;
        Some((Connection::of(&vm)?, vm))
    }

    /// The snapshots as last read.
    pub fn snapshots(&self) -> SnapshotList {
        self.imp().list.borrow().clone()
    }

    /// Show `list`: the tree (or the list), the Overview row, the verbs.
    fn show(&self, list: SnapshotList) {
        let imp = self.imp();
        let n = list.items.len();
        imp.list.replace(list);
        self.show_list();
        imp.stack
            .set_visible_child_name(if n == 0 { "empty" } else { "snapshots" });
        self.update_overview();
        for f in imp.loaded.borrow().iter() {
            f();
        }
    }

    /// (Re)build the view's model from the list as last read.
    fn show_list(&self) {
        let imp = self.imp();
        let selected = self.selected().map(|s| s.name);
        let list = imp.list.borrow().clone();
        let root: gio::ListModel = if imp.list_mode.get() {
            let mut items = list.items.clone();
            items.sort_by(|a, b| (b.created, &b.name).cmp(&(a.created, &a.name)));
            let store = gio::ListStore::new::<Snapshot>();
            for i in &items {
                store.append(&Snapshot::new(i));
            }
            store.upcast()
        } else {
            let (roots, _) = build_tree(&list.items, !list.items.is_empty());
            roots.upcast()
        };
        let tree = gtk::TreeListModel::new(root, false, true, |item| {
            item.downcast_ref::<Snapshot>()
                .and_then(|s| s.children())
                .map(|c| c.upcast())
        });
        let selection = gtk::SingleSelection::new(Some(tree));
        selection.set_autoselect(false);
        selection.set_can_unselect(true);
        let this = self.downgrade();
        selection.connect_selected_notify(move |_| {
            if let Some(this) = this.upgrade() {
                this.update_actions();
            }
        });
        imp.view.set_model(Some(&selection));
        imp.selection.replace(Some(selection));
        if let Some(name) = selected {
            self.select(&name);
        }
        self.update_actions();
    }

    /// The items shown, in order: (name, depth); the "now" node is "" .
    pub fn shown(&self) -> Vec<(String, usize)> {
        let Some(sel) = self.imp().selection.borrow().clone() else {
            return Vec::new();
        };
        (0..sel.n_items())
            .filter_map(|i| sel.item(i).and_downcast::<gtk::TreeListRow>())
            .filter_map(|r| {
                let s = r.item().and_downcast::<Snapshot>()?;
                Some((s.name(), r.depth() as usize))
            })
            .collect()
    }

    /// Choose the snapshot `name` (as a click on its row does).
    pub fn select(&self, name: &str) -> bool {
        let Some(sel) = self.imp().selection.borrow().clone() else {
            return false;
        };
        for i in 0..sel.n_items() {
            let s = sel
                .item(i)
                .and_downcast::<gtk::TreeListRow>()
                .and_then(|r| r.item())
                .and_downcast::<Snapshot>();
            if s.is_some_and(|s| !s.is_now() && s.name() == name) {
                sel.set_selected(i);
                return true;
            }
        }
        false
    }

    /// The chosen snapshot (not the "now" node).
    pub fn selected(&self) -> Option<SnapshotInfo> {
        let sel = self.imp().selection.borrow().clone()?;
        sel.selected_item()
            .and_downcast::<gtk::TreeListRow>()?
            .item()
            .and_downcast::<Snapshot>()?
            .info()
    }

    /// Enable the verbs that fit the chosen snapshot; say why one is not offered.
    fn update_actions(&self) {
        let imp = self.imp();
        let busy = imp.busy.get();
        let have_vm = imp.vm.borrow().is_some();
        let chosen = self.selected();
        let facts = imp.list.borrow().facts.clone();
        self.action_set_enabled("snapshots.take", have_vm && !busy);
        let revert_why = chosen
            .as_ref()
            .and_then(|s| revert_refusal(s.kind, facts.libvirt_version, &facts.driver));
        self.action_set_enabled(
            "snapshots.revert",
            !busy && chosen.is_some() && revert_why.is_none(),
        );
        self.action_set_enabled("snapshots.delete", !busy && chosen.is_some());
        self.action_set_enabled("snapshots.edit", !busy && chosen.is_some());
        self.action_set_enabled("snapshots.compare", !busy && chosen.is_some());
        imp.revert_button.set_tooltip_text(revert_why.as_deref());
        let note = revert_why.map(|w| format!("{} {w}", gettext("Revert is not offered:")));
        imp.note.set_visible(note.is_some());
        imp.note.set_label(note.as_deref().unwrap_or(""));
    }

    /// The reason shown beside the verbs ("" when none).
    pub fn note_text(&self) -> String {
        let n = &self.imp().note;
        if n.is_visible() {
            n.label().to_string()
        } else {
            String::new()
        }
    }
}
