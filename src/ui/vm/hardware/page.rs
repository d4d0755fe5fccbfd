//! The Hardware page of a VM: the device list on the left, the selected section's
//! editor on the right, Apply and Revert below.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use super::device_item::DeviceItem;
use super::form::Form;
use crate::backend::conn::uri::LibvirtUri;
use crate::backend::domain::hardware::{Applied, DeviceOp};
use crate::backend::domain_xml::plan::ApplyPlan;
use crate::backend::domain_xml::{
    DeviceEntry, DiskView, DomainXml, InterfaceView, Section, ValidationContext,
};
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Vm};
use crate::ui::vm::edits::{
    applied_message, check_while_mapped, outside_change_banner, rewatch_config,
};

mod apply;

mod sections;

mod loading;

mod list;

/// The domain as read from libvirt, ready to show.
pub(crate) struct Fetched {
    xml: String,
    doc: DomainXml,
    ctx: ValidationContext,
    active: bool,
    sizes: HashMap<String, u64>,
    addresses: Vec<(String, Vec<String>)>,
}

async fn fetch(conn: &Connection, vm: &Vm) -> Result<Fetched, String> {
    let backend = conn.backend().clone();
    let r = backend.editable_domain(vm.uuid()).await;
    let limits = backend.hardware_limits(vm.hypervisor()).await;
    let e = r.map_err(|e| e.summary())?;
    let addresses = if e.active {
        backend.guest_addresses(vm.uuid()).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let ctx = ValidationContext {
        host_memory_kib: limits.as_ref().ok().map(|l| l.host_memory_kib),
        max_vcpus: limits.as_ref().ok().and_then(|l| l.max_vcpus),
        local: is_local(&conn.uri()),
    };
    let doc = DomainXml::parse(&e.xml)
        .map_err(|err| gettext_f("The XML does not parse: {error}", &[("error", &err.0)]))?;
    Ok(Fetched {
        xml: e.xml,
        doc,
        ctx,
        active: e.active,
        sizes: e.disk_sizes.into_iter().collect(),
        addresses,
    })
}

/// What applying current memory or vCPUs to a running machine did, in words.
/// `others_wait`: other changes were saved for after shutdown.
pub fn live_message(
    live: &[crate::backend::domain::hardware::LiveChange],
    others_wait: bool,
) -> String {
    if let Some(reason) = live.iter().find_map(|c| c.refused.as_deref()) {
        return gettext_f(
            "The running machine could not take the change now ({reason}); it takes effect after shutdown",
            &[("reason", reason)],
        );
    }
    if others_wait {
        gettext("Memory and vCPUs applied now; the other changes take effect after the virtual machine shuts down")
    } else {
        gettext("Changes applied now")
    }
}

fn is_local(uri: &str) -> bool {
    LibvirtUri::parse(uri)
        .map(|u| !u.is_remote())
        .unwrap_or(false)
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct HardwarePage {
        pub list: gtk::ListView,
        /// The list's model, of `DeviceItem`s.
        pub names: std::cell::OnceCell<gio::ListStore>,
        /// What the model is brought to, in steps (see `sync_model`): icon and name.
        pub labels: RefCell<Vec<(&'static str, String)>>,
        pub sync_source: RefCell<Option<glib::SourceId>>,
        pub selection: std::cell::OnceCell<gtk::SingleSelection>,
        /// Set while the list changes under the selection.
        pub syncing_list: Cell<bool>,
        pub editor: gtk::Box,
        pub apply: gtk::Button,
        pub revert: gtk::Button,
        pub remove: gtk::Button,
        pub add: gtk::Button,
        /// The page's verbs (`hardware.apply`, `.revert`, `.add`, `.remove`).
        pub verbs: std::cell::OnceCell<gio::SimpleActionGroup>,
        pub status: gtk::Label,
        /// The machine shown (its connection is `Connection::of` it).
        pub vm: RefCell<Option<Vm>>,
        pub original: RefCell<Option<DomainXml>>,
        pub doc: RefCell<Option<Rc<RefCell<DomainXml>>>>,
        pub active: Cell<bool>,
        pub sizes: RefCell<HashMap<String, u64>>,
        pub ctx: RefCell<ValidationContext>,
        pub sections: RefCell<Vec<Section>>,
        pub selected: Cell<Option<Section>>,
        pub form: RefCell<Option<Rc<Form>>>,
        pub forms_with_errors: RefCell<std::collections::HashSet<Section>>,
        pub applied: RefCell<Vec<Box<dyn Fn()>>>,
        pub loading: Cell<u64>,
        /// A reload is under way (checks for outside changes wait for it).
        pub reloading: Cell<bool>,
        pub busy: Cell<bool>,
        pub said: RefCell<Option<String>>,
        /// The status line when there are no edits.
        pub base_status: RefCell<String>,
        /// Why Add Hardware and Remove are off, shown under them.
        pub buttons_hint: gtk::Label,
        /// How many validation errors the domain had as loaded.
        pub original_errors: Cell<usize>,
        /// The running guest's addresses by MAC address.
        pub addresses: RefCell<Vec<(String, Vec<String>)>>,
        /// The VM's config-changed handler.
        pub watch: RefCell<Option<(Vm, glib::SignalHandlerId)>>,
        /// The XML as last read from libvirt.
        pub loaded_xml: RefCell<String>,
        /// A definition changed outside Hangar while edits were open.
        pub(super) pending: RefCell<Option<super::Fetched>>,
        pub banner: std::cell::OnceCell<gtk::InfoBar>,
        /// The host's USB and PCI devices, read once a host device is shown.
        pub host_devices: RefCell<Option<Vec<crate::backend::domain::hardware::HostDevice>>>,
        pub host_devices_asked: Cell<bool>,
        /// The editors of sections shown lately, kept (in `stack`) so going back to
        /// one is instant; the most recent last.
        pub pages: RefCell<Vec<(Section, gtk::Box, Rc<Form>)>>,
        pub stack: gtk::Stack,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for HardwarePage {
        const NAME: &'static str = "HangarHardwarePage";
        type Type = super::HardwarePage;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for HardwarePage {
        vm_property!();

        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
    }
    impl WidgetImpl for HardwarePage {}
    impl BoxImpl for HardwarePage {}
}

glib::wrapper! {
    pub struct HardwarePage(ObjectSubclass<imp::HardwarePage>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for HardwarePage {
    fn default() -> Self {
        glib::Object::builder()
            .property("orientation", gtk::Orientation::Vertical)
            .build()
    }
}

fn button(b: &gtk::Button, label: &str, icon: Option<&str>) {
    b.set_use_underline(true);
    match icon {
        Some(i) => {
            let content = adw::ButtonContent::builder()
                .label(label)
                .icon_name(i)
                .use_underline(true)
                .build();
            b.set_child(Some(&content));
        }
        None => b.set_label(label),
    }
}

impl HardwarePage {
    pub fn new() -> HardwarePage {
        HardwarePage::default()
    }

    fn build(&self) {
        let imp = self.imp();
        // A recycling list: a domain with hundreds of devices builds only the rows
        // on screen.
        let factory = gtk::SignalListItemFactory::new();
        factory.connect_setup(|_, item| {
            let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
                return;
            };
            let b = gtk::Box::new(gtk::Orientation::Horizontal, 8);
            b.append(&gtk::Image::new());
            // An inscription measures cheaply: a list of hundreds of devices builds
            // its rows (GTK 4.8's list view makes up to 200 at once) fast.
            b.append(
                &gtk::Inscription::builder()
                    .xalign(0.0)
                    .hexpand(true)
                    // One line, ellipsized: given the row's height it would wrap.
                    .valign(gtk::Align::Center)
                    .text_overflow(gtk::InscriptionOverflow::EllipsizeEnd)
                    .build(),
            );
            item.set_child(Some(&b));
        });
        factory.connect_bind(move |_, item| {
            let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
                return;
            };
            let Some(row) = item.item().and_downcast::<DeviceItem>() else {
                return;
            };
            let name = row.name();
            let Some(b) = item.child() else { return };
            if let Some(img) = b.first_child().and_downcast::<gtk::Image>() {
                img.set_icon_name(Some(&row.icon_name()));
            }
            if let Some(l) = b.last_child().and_downcast::<gtk::Inscription>() {
                l.set_text(Some(&name));
            }
            b.update_property(&[gtk::accessible::Property::Label(&name)]);
        });
        let selection = gtk::SingleSelection::builder()
            .model(imp.names.get_or_init(gio::ListStore::new::<DeviceItem>))
            .autoselect(false)
            .can_unselect(false)
            .build();
        imp.list.set_model(Some(&selection));
        imp.list.set_factory(Some(&factory));
        imp.list.add_css_class("navigation-sidebar");
        imp.list
            .update_property(&[gtk::accessible::Property::Label(&gettext("Devices"))]);
        let this = self.downgrade();
        selection.connect_selected_notify(move |sel| {
            let Some(this) = this.upgrade() else { return };
            if this.imp().syncing_list.get() {
                return;
            }
            let section = this
                .imp()
                .sections
                .borrow()
                .get(sel.selected() as usize)
                .copied();
            if let Some(s) = section {
                if this.imp().selected.get() != Some(s) {
                    this.show_section(s);
                }
            }
        });
        let _ = imp.selection.set(selection);
        let list_scroller = gtk::ScrolledWindow::builder()
            .child(&imp.list)
            .vexpand(true)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build();
        button(
            &imp.add,
            &gettext("_Add Hardware"),
            Some("list-add-symbolic"),
        );
        button(
            &imp.remove,
            &gettext("_Remove"),
            Some("list-remove-symbolic"),
        );
        imp.add.set_action_name(Some("hardware.add"));
        imp.remove.set_action_name(Some("hardware.remove"));
        let left_buttons = gtk::Box::builder()
            .spacing(6)
            .margin_top(6)
            .margin_bottom(6)
            .margin_start(6)
            .margin_end(6)
            .homogeneous(true)
            .build();
        left_buttons.append(&imp.add);
        left_buttons.append(&imp.remove);
        imp.buttons_hint
            .set_label(&gettext("Apply or revert the changes first"));
        imp.buttons_hint.set_wrap(true);
        imp.buttons_hint.set_xalign(0.0);
        imp.buttons_hint.set_margin_start(8);
        imp.buttons_hint.set_margin_end(8);
        imp.buttons_hint.set_margin_bottom(6);
        imp.buttons_hint.add_css_class("caption");
        imp.buttons_hint.add_css_class("dim-label");
        imp.buttons_hint.set_visible(false);
        let left = gtk::Box::new(gtk::Orientation::Vertical, 0);
        left.append(&list_scroller);
        left.append(&left_buttons);
        left.append(&imp.buttons_hint);
        left.set_size_request(260, -1);

        imp.editor.set_orientation(gtk::Orientation::Vertical);
        imp.editor.set_spacing(12);
        imp.editor.set_margin_top(18);
        imp.editor.set_margin_bottom(18);
        imp.editor.set_margin_start(12);
        imp.editor.set_margin_end(12);
        imp.stack.set_hhomogeneous(false);
        imp.stack.set_vhomogeneous(false);
        imp.editor.append(&imp.stack);
        let clamp = adw::Clamp::builder()
            .maximum_size(640)
            .child(&imp.editor)
            .build();
        let editor_scroller = gtk::ScrolledWindow::builder()
            .child(&clamp)
            .hexpand(true)
            .vexpand(true)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build();

        let paned = gtk::Paned::builder()
            .orientation(gtk::Orientation::Horizontal)
            .start_child(&left)
            .end_child(&editor_scroller)
            .shrink_start_child(false)
            .resize_start_child(false)
            // The editor may be narrower than its rows would like rather than force
            // its width on the whole window (which then folds to the list alone).
            .shrink_end_child(true)
            .vexpand(true)
            .build();

        imp.status.set_xalign(0.0);
        imp.status.set_hexpand(true);
        imp.status.set_ellipsize(gtk::pango::EllipsizeMode::End);
        imp.status.add_css_class("dim-label");
        button(&imp.revert, &gettext("Re_vert"), None);
        button(&imp.apply, &gettext("_Apply"), None);
        imp.apply.add_css_class("suggested-action");
        imp.apply.set_action_name(Some("hardware.apply"));
        imp.revert.set_action_name(Some("hardware.revert"));
        self.install_verbs();
        let bar = gtk::ActionBar::new();
        bar.pack_start(&imp.status);
        bar.pack_end(&imp.apply);
        bar.pack_end(&imp.revert);

        let this = self.downgrade();
        let banner = outside_change_banner(move || {
            if let Some(this) = this.upgrade() {
                this.take_outside_change();
            }
        });
        self.append(&banner);
        let _ = imp.banner.set(banner);
        let this = self.downgrade();
        check_while_mapped(self, move || {
            if let Some(this) = this.upgrade() {
                this.check_outside();
            }
        });
        self.append(&paned);
        self.append(&bar);
    }

    /// The page's verbs, as actions in the `hardware` group, so that its buttons, its
    /// shortcut (Ctrl+S applies) and tests trigger the same thing. Each starts off;
    /// `update_buttons` turns on what can be done now.
    fn install_verbs(&self) {
        let group = gio::SimpleActionGroup::new();
        type Verb = fn(&HardwarePage);
        let verbs: [(&str, Verb); 4] = [
            ("apply", |p| p.apply()),
            ("revert", |p| p.revert()),
            ("add", |p| p.open_add_dialog()),
            ("remove", |p| {
                let _ = p.confirm_remove();
            }),
        ];
        for (name, verb) in verbs {
            let action = gio::SimpleAction::new(name, None);
            action.set_enabled(false);
            let this = self.downgrade();
            action.connect_activate(move |_, _| {
                if let Some(this) = this.upgrade() {
                    verb(&this);
                }
            });
            group.add_action(&action);
        }
        self.insert_action_group("hardware", Some(&group));
        let _ = self.imp().verbs.set(group);
        let keys = gtk::ShortcutController::new();
        keys.set_scope(gtk::ShortcutScope::Managed);
        keys.add_shortcut(gtk::Shortcut::new(
            gtk::ShortcutTrigger::parse_string("<Primary>s"),
            Some(gtk::NamedAction::new("hardware.apply")),
        ));
        self.add_controller(keys);
    }

    /// Turn the verb `name` (`apply`, `revert`, `add`, `remove`) on or off; its button
    /// and shortcut follow.
    pub(super) fn set_verb_enabled(&self, name: &str, on: bool) {
        if let Some(a) = self
            .imp()
            .verbs
            .get()
            .and_then(|g| g.lookup_action(name))
            .and_downcast::<gio::SimpleAction>()
        {
            a.set_enabled(on);
        }
    }

    /// Called after this page applied a change.
    pub fn connect_applied(&self, f: impl Fn() + 'static) {
        self.imp().applied.borrow_mut().push(Box::new(f));
    }

    fn notify_applied(&self) {
        for f in self.imp().applied.borrow().iter() {
            f();
        }
    }

    /// Whether there are edits not applied yet.
    pub fn is_dirty(&self) -> bool {
        let imp = self.imp();
        match (imp.original.borrow().as_ref(), imp.doc.borrow().as_ref()) {
            (Some(o), Some(d)) => *o != *d.borrow(),
            _ => false,
        }
    }

    /// The editor of the selected section (for tests).
    pub fn form(&self) -> Option<Rc<Form>> {
        self.imp().form.borrow().clone()
    }

    pub fn apply_button(&self) -> gtk::Button {
        self.imp().apply.clone()
    }

    pub fn status_text(&self) -> String {
        self.imp().status.label().to_string()
    }
}
