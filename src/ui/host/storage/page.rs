//! The Storage tab: the connection's storage pools in a list (live on pool events), the
//! chosen pool's state, usage and volumes beside it (`page/details.rs`), and its verbs as
//! `storage.*` actions (`page/verbs.rs`).

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib, CompositeTemplate};

use crate::backend::storage::pools::{kind_label, PoolOp};
use crate::backend::units::format_bytes;
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Pool, Volume};
use crate::ui::host::storage::transfer::TransferRow;

mod details;
mod verbs;

/// An upload or download under way, with the row that shows it.
pub struct Running {
    pub row: TransferRow,
}

mod imp {
    use super::*;

    #[derive(Default, CompositeTemplate)]
    #[template(file = "page.ui")]
    pub struct StoragePage {
        #[template_child]
        pub default_banner: TemplateChild<gtk::InfoBar>,
        #[template_child]
        pub new_pool_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub stack: TemplateChild<gtk::Stack>,
        #[template_child]
        pub pool_list: TemplateChild<gtk::ListBox>,
        #[template_child]
        pub details: TemplateChild<gtk::Box>,
        pub current: RefCell<Option<Connection>>,
        pub handler: RefCell<Option<glib::SignalHandlerId>>,
        /// The chosen pool, by UUID (it survives the list being rebuilt).
        pub selected: RefCell<Option<String>>,
        /// The chosen pool's volumes, as last read.
        pub volumes: RefCell<Option<gio::ListStore>>,
        /// What the details were built for (pool UUID), so updates refresh in place.
        pub built_for: RefCell<Option<String>>,
        /// The running upload or download, with its progress row.
        pub transfer: RefCell<Option<super::Running>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for StoragePage {
        const NAME: &'static str = "HangarStoragePage";
        type Type = super::StoragePage;
        type ParentType = gtk::Box;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            // The page's verbs (page/verbs.rs); buttons and menus name them.
            klass.install_action("storage.new-pool", None, |p, _, _| p.open_new_pool());
            klass.install_action("storage.create-default", None, |p, _, _| {
                p.create_default_pool()
            });
            klass.install_action("storage.start-pool", None, |p, _, _| {
                p.run_pool_op(PoolOp::Start)
            });
            klass.install_action("storage.stop-pool", None, |p, _, _| {
                p.run_pool_op(PoolOp::Stop)
            });
            klass.install_action("storage.refresh-pool", None, |p, _, _| {
                p.run_pool_op(PoolOp::Refresh)
            });
            klass.install_action(
                "storage.pool-autostart",
                Some(glib::VariantTy::BOOLEAN),
                |p, _, v| {
                    if let Some(on) = v.and_then(|v| v.get::<bool>()) {
                        if p.selected_pool().is_some_and(|x| x.autostart() != on) {
                            p.run_pool_op(PoolOp::Autostart(on));
                        }
                    }
                },
            );
            klass.install_action("storage.delete-pool", None, |p, _, _| {
                let _ = p.confirm_delete_pool();
            });
            klass.install_action("storage.new-volume", None, |p, _, _| p.open_new_volume());
            klass.install_action("storage.upload", None, |p, _, _| p.choose_upload());
            klass.install_action(
                "storage.download",
                Some(glib::VariantTy::STRING),
                |p, _, v| {
                    if let Some(name) = v.and_then(|v| v.get::<String>()) {
                        p.choose_download(&name);
                    }
                },
            );
            klass.install_action(
                "storage.delete-volume",
                Some(glib::VariantTy::STRING),
                |p, _, v| {
                    if let Some(name) = v.and_then(|v| v.get::<String>()) {
                        let _ = p.confirm_delete_volume(&name);
                    }
                },
            );
            klass.install_action(
                "storage.wipe-volume",
                Some(glib::VariantTy::STRING),
                |p, _, v| {
                    if let Some(name) = v.and_then(|v| v.get::<String>()) {
                        let _ = p.confirm_wipe_volume(&name);
                    }
                },
            );
            klass.install_action(
                "storage.resize-volume",
                Some(glib::VariantTy::STRING),
                |p, _, v| {
                    if let Some(name) = v.and_then(|v| v.get::<String>()) {
                        let _ = p.open_resize(&name);
                    }
                },
            );
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for StoragePage {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
    }
    impl WidgetImpl for StoragePage {}
    impl BoxImpl for StoragePage {}
}

glib::wrapper! {
    pub struct StoragePage(ObjectSubclass<imp::StoragePage>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for StoragePage {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl StoragePage {
    pub fn new() -> StoragePage {
        StoragePage::default()
    }

    fn build(&self) {
        let imp = self.imp();
        let this = self.downgrade();
        imp.pool_list.connect_row_selected(move |_, row| {
            let Some(this) = this.upgrade() else { return };
            // A row that goes away with its pool unselects: the choice stays with the
            // pool, by UUID, while it is there.
            if let Some(r) = row {
                this.imp()
                    .selected
                    .replace(Some(r.widget_name().to_string()));
            }
            this.show_details();
        });
        imp.stack.set_visible_child_name("loading");
        self.update_verbs();
    }

    /// Follow this connection (or none).
    pub fn set_connection(&self, conn: Option<&Connection>) {
        let imp = self.imp();
        if let (Some(old), Some(h)) = (imp.current.take(), imp.handler.take()) {
            old.disconnect(h);
        }
        imp.current.replace(conn.cloned());
        imp.built_for.replace(None);
        let Some(conn) = conn else {
            imp.pool_list
                .bind_model(None::<&gio::ListModel>, |_| gtk::Label::new(None).upcast());
            return;
        };
        imp.pool_list.bind_model(Some(&conn.pools()), |item| {
            let p = item.downcast_ref::<Pool>().expect("the store holds pools");
            pool_row(p).upcast()
        });
        let this = self.downgrade();
        let h = conn.connect_local("pools-updated", false, move |_| {
            if let Some(this) = this.upgrade() {
                this.after_update();
            }
            None
        });
        imp.handler.replace(Some(h));
        self.after_update();
    }

    pub fn connection(&self) -> Option<Connection> {
        self.imp().current.borrow().clone()
    }

    /// The pool list changed (or arrived): the empty page or the list, the banner, the
    /// selection kept on the same pool, the details refreshed.
    pub(super) fn after_update(&self) {
        let imp = self.imp();
        let Some(conn) = self.connection() else {
            return;
        };
        if !conn.pools_loaded() {
            imp.stack.set_visible_child_name("loading");
            return;
        }
        let pools = conn.pools();
        let n = pools.n_items();
        imp.stack
            .set_visible_child_name(if n == 0 { "empty" } else { "list" });
        imp.default_banner
            .set_revealed(n > 0 && conn.pool_by_name("default").is_none());
        let want = imp.selected.borrow().clone();
        let pos = want
            .and_then(|u| pools.iter::<Pool>().flatten().position(|p| p.uuid() == u))
            .unwrap_or(0);
        if let Some(row) = imp.pool_list.row_at_index(pos as i32) {
            if imp.pool_list.selected_row().as_ref() != Some(&row) {
                imp.pool_list.select_row(Some(&row));
            }
        }
        self.show_details();
    }

    /// The chosen pool.
    pub fn selected_pool(&self) -> Option<Pool> {
        let uuid = self.imp().selected.borrow().clone()?;
        self.connection()?.pool_by_uuid(&uuid)
    }

    /// Choose a pool by name (as a person clicks its row).
    pub fn select_pool(&self, name: &str) -> bool {
        let Some(conn) = self.connection() else {
            return false;
        };
        let Some(pos) = conn
            .pools()
            .iter::<Pool>()
            .flatten()
            .position(|p| p.name() == name)
        else {
            return false;
        };
        match self.imp().pool_list.row_at_index(pos as i32) {
            Some(row) => {
                self.imp().pool_list.select_row(Some(&row));
                true
            }
            None => false,
        }
    }

    /// The chosen pool's volumes as last read (empty before).
    pub fn volumes(&self) -> Vec<Volume> {
        self.imp()
            .volumes
            .borrow()
            .as_ref()
            .map(|s| s.iter::<Volume>().flatten().collect())
            .unwrap_or_default()
    }

    pub(super) fn window(&self) -> Option<gtk::Window> {
        self.root().and_downcast::<gtk::Window>()
    }

    pub(super) fn toast(&self, text: &str) {
        crate::ui::error::toast_near(self, text);
    }

    pub(super) fn fail(&self, heading: &str, e: &crate::backend::Error) {
        match self.window() {
            Some(w) => crate::ui::error::show_dialog(&w, heading, e),
            None => tracing::warn!("{heading}: {e}"),
        }
    }
}

/// "Directory · 12.3 GB free of 100 GB", or "Directory · inactive".
pub fn pool_summary(p: &Pool) -> String {
    let kind = kind_label(&p.kind());
    if !p.active() {
        return gettext_f("{kind} · inactive", &[("kind", &kind)]);
    }
    gettext_f(
        "{kind} · {free} free of {size}",
        &[
            ("kind", &kind),
            ("free", &format_bytes(p.available())),
            ("size", &format_bytes(p.capacity())),
        ],
    )
}

/// The fraction of a pool in use (0 when it says nothing).
pub fn pool_fill(p: &Pool) -> f64 {
    if p.capacity() == 0 {
        0.0
    } else {
        (p.allocation() as f64 / p.capacity() as f64).clamp(0.0, 1.0)
    }
}

fn pool_row(p: &Pool) -> gtk::ListBoxRow {
    let row = adw::ActionRow::builder()
        .title(p.name())
        .subtitle(pool_summary(p))
        .build();
    row.set_widget_name(&p.uuid());
    let dot = gtk::Image::new();
    crate::ui::components::state::show_active(&dot, p.active());
    row.add_prefix(&dot);
    let bar = gtk::LevelBar::builder()
        .min_value(0.0)
        .max_value(1.0)
        .value(pool_fill(p))
        .valign(gtk::Align::Center)
        .width_request(60)
        .build();
    bar.update_property(&[gtk::accessible::Property::Label(&gettext("Space used"))]);
    bar.set_visible(p.active());
    row.add_suffix(&bar);
    if p.autostart() {
        let a = gtk::Image::from_icon_name("system-run-symbolic");
        a.set_tooltip_text(Some(&gettext("Starts with the host")));
        row.add_suffix(&a);
    }
    // Rows follow their pool (a weak reference each way: the row may go first).
    let r = row.downgrade();
    let d = dot.downgrade();
    let b = bar.downgrade();
    let id: std::rc::Rc<RefCell<Option<glib::SignalHandlerId>>> = Default::default();
    let own = id.clone();
    let h = p.connect_notify_local(None, move |p, _| {
        match (r.upgrade(), d.upgrade(), b.upgrade()) {
            (Some(r), Some(d), Some(b)) => {
                r.set_title(&p.name());
                r.set_subtitle(&pool_summary(p));
                crate::ui::components::state::show_active(&d, p.active());
                b.set_value(pool_fill(p));
                b.set_visible(p.active());
            }
            _ => {
                if let Some(h) = own.take() {
                    p.disconnect(h);
                }
            }
        }
    });
    id.replace(Some(h));
    row.upcast()
}
