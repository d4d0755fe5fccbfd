//! The Networks tab: the connection's virtual networks in a list, the selected one's
//! details beside it (`details` adds those), and New Network….

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use super::interfaces::InterfacesView;
use super::labels::summary_line;
use super::wizard;
use crate::backend::network::{Lease, NetworkInfo};
use crate::i18n::gettext;
use crate::model::{Connection, Network};

/// What the details show now, so an update that changes nothing rebuilds nothing.
#[derive(Default)]
pub struct DetailState {
    pub shown: Option<(NetworkInfo, Vec<Lease>)>,
    pub leases: Option<(String, Vec<Lease>)>,
    /// A definition change waits for a restart of this network.
    pub pending_restart: Option<String>,
    /// The text each named field had when the details were built, and for which
    /// network they were built.
    pub built: Vec<(String, String)>,
    pub built_for: Option<String>,
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct NetworksPage {
        pub list: gtk::ListBox,
        pub details: gtk::Box,
        pub stack: gtk::Stack,
        pub current: RefCell<Option<Connection>>,
        pub handler: RefCell<Option<glib::SignalHandlerId>>,
        pub selected: RefCell<Option<String>>,
        pub new_button: gtk::Button,
        pub detail_state: RefCell<super::DetailState>,
        pub interfaces: super::InterfacesView,
        pub views: gtk::Stack,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for NetworksPage {
        const NAME: &'static str = "HangarNetworksPage";
        type Type = super::NetworksPage;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for NetworksPage {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
    }
    impl WidgetImpl for NetworksPage {}
    impl BoxImpl for NetworksPage {}
}

glib::wrapper! {
    pub struct NetworksPage(ObjectSubclass<imp::NetworksPage>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for NetworksPage {
    fn default() -> Self {
        glib::Object::builder()
            .property("orientation", gtk::Orientation::Vertical)
            .build()
    }
}

impl NetworksPage {
    pub fn new() -> NetworksPage {
        NetworksPage::default()
    }

    fn build(&self) {
        let imp = self.imp();
        let bar = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        bar.set_margin_top(6);
        bar.set_margin_start(12);
        bar.set_margin_end(12);
        imp.new_button.set_label(&gettext("_New Network…"));
        imp.new_button.set_use_underline(true);
        imp.new_button.add_css_class("suggested-action");
        let this = self.downgrade();
        imp.new_button.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                this.open_wizard();
            }
        });
        // Virtual networks, or the host's own interfaces.
        let switcher = gtk::StackSwitcher::new();
        switcher.set_stack(Some(&imp.views));
        switcher.set_hexpand(true);
        switcher.set_halign(gtk::Align::Start);
        bar.append(&switcher);
        bar.append(&imp.new_button);
        self.append(&bar);

        imp.list.set_selection_mode(gtk::SelectionMode::Single);
        imp.list.add_css_class("boxed-list");
        imp.list
            .update_property(&[gtk::accessible::Property::Label(&gettext(
                "Virtual networks",
            ))]);
        let this = self.downgrade();
        imp.list.connect_row_selected(move |_, row| {
            let Some(this) = this.upgrade() else { return };
            // A row that goes away with its network (or a list being rebound)
            // unselects: the selection then stays with the network chosen, by its
            // UUID, while that network is still there.
            let uuid = match row {
                Some(r) => Some(r.widget_name().to_string()),
                None => this.selected_network().map(|n| n.uuid()),
            };
            this.imp().selected.replace(uuid);
            this.show_details();
        });
        let list_scroller = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .child(&imp.list)
            .width_request(300)
            .margin_top(12)
            .margin_bottom(12)
            .margin_start(12)
            .build();
        imp.list.set_valign(gtk::Align::Start);
        imp.details.set_orientation(gtk::Orientation::Vertical);
        imp.details.set_spacing(18);
        imp.details.set_margin_top(12);
        imp.details.set_margin_bottom(24);
        imp.details.set_margin_start(12);
        imp.details.set_margin_end(12);
        let details_scroller = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .child(&imp.details)
            .hexpand(true)
            .build();
        let paned = gtk::Box::new(gtk::Orientation::Horizontal, 0);
        paned.append(&list_scroller);
        paned.append(&details_scroller);
        let empty = adw::StatusPage::builder()
            .icon_name("network-workgroup-symbolic")
            .title(gettext("No Virtual Networks"))
            .description(gettext(
                "Create one to give guests NAT, routed or isolated networking.",
            ))
            .build();
        imp.stack.add_named(&paned, Some("list"));
        imp.stack.add_named(&empty, Some("empty"));
        imp.stack.set_vexpand(true);
        imp.views.set_vexpand(true);
        imp.views
            .add_titled(&imp.stack, Some("virtual"), &gettext("Virtual Networks"));
        imp.views.add_titled(
            imp.interfaces.widget(),
            Some("interfaces"),
            &gettext("Host Interfaces"),
        );
        let button = imp.new_button.clone();
        imp.views.connect_visible_child_name_notify(move |v| {
            button.set_visible(v.visible_child_name().as_deref() == Some("virtual"));
        });
        self.append(&imp.views);
    }

    /// Show the virtual networks ("virtual") or the host's interfaces ("interfaces").
    pub fn show_view(&self, name: &str) {
        self.imp().views.set_visible_child_name(name);
    }

    /// Follow this connection (or none).
    pub fn set_connection(&self, conn: Option<&Connection>) {
        let imp = self.imp();
        if let (Some(old), Some(h)) = (imp.current.take(), imp.handler.take()) {
            old.disconnect(h);
        }
        imp.current.replace(conn.cloned());
        imp.interfaces.set_connection(conn);
        let Some(conn) = conn else {
            imp.list.bind_model(None::<&gtk::gio::ListModel>, |_| {
                gtk::Label::new(None).upcast()
            });
            return;
        };
        imp.list.bind_model(Some(&conn.networks()), |item| {
            let n = item
                .downcast_ref::<Network>()
                .expect("the store holds networks");
            network_row(n).upcast()
        });
        let this = self.downgrade();
        let h = conn.connect_local("networks-updated", false, move |_| {
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

    pub(super) fn after_update(&self) {
        let imp = self.imp();
        let Some(conn) = self.connection() else {
            return;
        };
        let n = conn.networks().n_items();
        imp.stack
            .set_visible_child_name(if n == 0 { "empty" } else { "list" });
        // Keep the selection on the same network; else the first.
        let want = imp.selected.borrow().clone();
        let pos = want
            .and_then(|u| {
                conn.networks()
                    .iter::<Network>()
                    .flatten()
                    .position(|x| x.uuid() == u)
            })
            .unwrap_or(0);
        if let Some(row) = imp.list.row_at_index(pos as i32) {
            if imp.list.selected_row().as_ref() != Some(&row) {
                imp.list.select_row(Some(&row));
            }
        }
        self.show_details();
    }

    /// Select a network by UUID (from the topology view).
    pub fn select_network(&self, uuid: &str) -> bool {
        let Some(conn) = self.connection() else {
            return false;
        };
        let Some(pos) = conn
            .networks()
            .iter::<Network>()
            .flatten()
            .position(|x| x.uuid() == uuid)
        else {
            return false;
        };
        self.imp().selected.replace(Some(uuid.to_string()));
        if let Some(row) = self.imp().list.row_at_index(pos as i32) {
            self.imp().list.select_row(Some(&row));
        }
        true
    }

    /// The selected network.
    pub fn selected_network(&self) -> Option<Network> {
        let uuid = self.imp().selected.borrow().clone()?;
        self.connection()?.network_by_uuid(&uuid)
    }

    /// Open the creation wizard for the current connection; the network it makes is
    /// selected once it is listed.
    pub(super) fn open_wizard(&self) {
        let Some(conn) = self.connection() else {
            return;
        };
        let parent = self.root().and_downcast::<gtk::Window>();
        let w = wizard::NetworkWizard::new(parent.as_ref(), &conn);
        let this = self.downgrade();
        w.connect_local("created", false, move |args| {
            let uuid = args.get(1).and_then(|v| v.get::<String>().ok());
            if let (Some(this), Some(uuid)) = (this.upgrade(), uuid) {
                this.imp().selected.replace(Some(uuid));
                this.after_update();
            }
            None
        });
        w.present();
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

fn network_row(n: &Network) -> gtk::ListBoxRow {
    let row = adw::ActionRow::builder()
        .title(n.name())
        .subtitle(summary_line(n))
        .subtitle_lines(3)
        .build();
    row.set_widget_name(&n.uuid());
    let dot = gtk::Image::new();
    crate::ui::components::state::show_active(&dot, n.active());
    row.add_prefix(&dot);
    if n.autostart() {
        let a = gtk::Image::from_icon_name("system-run-symbolic");
        a.set_tooltip_text(Some(&gettext("Starts with the host")));
        row.add_suffix(&a);
    }
    row.update_property(&[gtk::accessible::Property::Description(&row_description(n))]);
    // Rows follow their network.
    let r = row.downgrade();
    let d = dot.downgrade();
    let id: std::rc::Rc<RefCell<Option<glib::SignalHandlerId>>> = Default::default();
    let own = id.clone();
    let h = n.connect_notify_local(None, move |n, _| {
        match (r.upgrade(), d.upgrade()) {
            (Some(r), Some(d)) => {
                r.set_title(&n.name());
                r.set_subtitle(&summary_line(n));
                crate::ui::components::state::show_active(&d, n.active());
                r.update_property(&[gtk::accessible::Property::Description(&row_description(n))]);
            }
            // The row is gone (the list was rebuilt): stop following.
            _ => {
                if let Some(h) = own.take() {
                    n.disconnect(h);
                }
            }
        }
    });
    id.replace(Some(h));
    row.upcast()
}

/// What a screen reader says of a network's row after its name (the row's title):
/// its state and summary.
fn row_description(n: &Network) -> String {
    let state = if n.active() {
        gettext("active")
    } else {
        gettext("inactive")
    };
    format!("{state}, {}", summary_line(n))
}
