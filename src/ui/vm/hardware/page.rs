//! The Hardware page of a VM: the device list on the left, the selected section's
//! editor on the right, Apply and Revert below.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

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

/// A list entry as the model holds it: the icon name and the name people read.
fn row_text(icon: &str, name: &str) -> String {
    format!("{icon}\u{1f}{name}")
}

fn split_row_text(text: &str) -> (&str, &str) {
    text.split_once('\u{1f}').unwrap_or(("", text))
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
        /// The list's model: each entry is "icon-name\u{1f}name" (see [`row_text`]).
        pub names: RefCell<gtk::StringList>,
        /// What the model is brought to, in steps (see `sync_model`).
        pub labels: RefCell<Vec<String>>,
        pub sync_source: RefCell<Option<glib::SourceId>>,
        pub selection: std::cell::OnceCell<gtk::SingleSelection>,
        /// Set while the list changes under the selection.
        pub syncing_list: Cell<bool>,
        pub editor: gtk::Box,
        pub apply: gtk::Button,
        pub revert: gtk::Button,
        pub remove: gtk::Button,
        pub add: gtk::Button,
        pub status: gtk::Label,
        pub current: RefCell<Option<(Connection, Vm)>>,
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
            let text = item
                .item()
                .and_downcast::<gtk::StringObject>()
                .map(|o| o.string())
                .unwrap_or_default();
            let (icon, name) = split_row_text(&text);
            let Some(b) = item.child() else { return };
            if let Some(img) = b.first_child().and_downcast::<gtk::Image>() {
                img.set_icon_name(Some(icon));
            }
            if let Some(l) = b.last_child().and_downcast::<gtk::Inscription>() {
                l.set_text(Some(name));
            }
            b.update_property(&[gtk::accessible::Property::Label(name)]);
        });
        let selection = gtk::SingleSelection::builder()
            .model(&*imp.names.borrow())
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
        let this = self.downgrade();
        imp.add.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                this.open_add_dialog();
            }
        });
        let this = self.downgrade();
        imp.remove.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                let _ = this.confirm_remove();
            }
        });
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
        imp.apply.set_sensitive(false);
        imp.revert.set_sensitive(false);
        let this = self.downgrade();
        imp.apply.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                this.apply();
            }
        });
        let this = self.downgrade();
        imp.revert.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                this.revert();
            }
        });
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

    /// Show another VM (or none); unapplied edits of the one before are asked about.
    pub fn set_vm(&self, sel: Option<(Connection, Vm)>) {
        let imp = self.imp();
        let same = match (imp.current.borrow().as_ref(), sel.as_ref()) {
            (Some((_, a)), Some((_, b))) => a == b,
            (None, None) => true,
            _ => false,
        };
        if same {
            return;
        }
        if self.is_dirty() {
            self.ask_leave();
        }
        let this = self.downgrade();
        rewatch_config(&imp.watch, sel.as_ref().map(|(_, vm)| vm), move || {
            if let Some(this) = this.upgrade() {
                this.outside_change();
            }
        });
        imp.current.replace(sel);
        imp.host_devices.replace(None);
        imp.host_devices_asked.set(false);
        imp.loaded_xml.replace(String::new());
        imp.original.replace(None);
        imp.doc.replace(None);
        imp.selected.set(None);
        self.reload();
    }

    /// Unapplied edits of a VM being left: apply them or let them go.
    fn ask_leave(&self) {
        let imp = self.imp();
        let (Some((conn, vm)), Some(doc)) =
            (imp.current.borrow().clone(), imp.doc.borrow().clone())
        else {
            return;
        };
        let has_errors = !imp.forms_with_errors.borrow().is_empty();
        let Some(win) = self.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let dialog = adw::MessageDialog::new(
            Some(&win),
            Some(&gettext_f(
                "Apply the changes to {name}?",
                &[("name", &vm.name())],
            )),
            Some(&gettext(
                "The hardware of this virtual machine was changed and not applied.",
            )),
        );
        dialog.add_response("discard", &gettext("_Discard"));
        dialog.set_response_appearance("discard", adw::ResponseAppearance::Destructive);
        if !has_errors {
            dialog.add_response("apply", &gettext("_Apply"));
            dialog.set_response_appearance("apply", adw::ResponseAppearance::Suggested);
            dialog.set_default_response(Some("apply"));
        }
        dialog.set_close_response("discard");
        let xml = doc.borrow().to_xml();
        let win2 = win.clone();
        dialog.connect_response(None, move |_, r| {
            if r != "apply" {
                return;
            }
            let (conn, uuid, xml, win) = (conn.clone(), vm.uuid(), xml.clone(), win2.clone());
            glib::spawn_future_local(async move {
                if let Err(e) = conn.backend().define_edited(uuid, xml).await {
                    crate::ui::error::show_dialog(
                        &win,
                        &gettext("Could not apply the changes"),
                        &e,
                    );
                }
            });
        });
        dialog.present();
    }

    /// Read the domain again from libvirt (edits are dropped).
    pub fn reload(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = imp.current.borrow().clone() else {
            self.set_list(Vec::new());
            self.clear_editor();
            imp.status.set_label("");
            return;
        };
        let ticket = imp.loading.get() + 1;
        imp.loading.set(ticket);
        imp.reloading.set(true);
        imp.status.set_label(&gettext("Loading…"));
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = fetch(&conn, &vm).await;
            let Some(this) = this.upgrade() else { return };
            if this.imp().loading.get() != ticket {
                return;
            }
            this.imp().reloading.set(false);
            match r {
                Ok(f) => this.show_fetched(f),
                Err(text) => this.imp().status.set_label(&text),
            }
        });
    }

    /// Compare libvirt's XML with the one shown; read it all again when it differs.
    fn check_outside(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = imp.current.borrow().clone() else {
            return;
        };
        if imp.loaded_xml.borrow().is_empty() || imp.busy.get() {
            return;
        }
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let Ok(xml) = conn.backend().editable_xml(vm.uuid()).await else {
                return;
            };
            let Some(this) = this.upgrade() else { return };
            let imp = this.imp();
            let is_current = imp.current.borrow().as_ref().map(|(_, v)| v) == Some(&vm);
            let pending_same = imp.pending.borrow().as_ref().is_some_and(|p| p.xml == xml);
            if is_current && xml != *imp.loaded_xml.borrow() && !pending_same {
                this.outside_change();
            }
        });
    }

    fn show_fetched(&self, f: Fetched) {
        let imp = self.imp();
        imp.loaded_xml.replace(f.xml.clone());
        imp.sizes.replace(f.sizes);
        imp.active.set(f.active);
        imp.addresses.replace(f.addresses);
        self.load(f.doc, f.ctx);
    }

    /// libvirt says the domain changed (perhaps by `virsh edit`, another client or
    /// Hangar itself): read it again. Without edits the page shows the new definition
    /// in place, keeping the selected device; with edits it keeps them and offers to
    /// reload.
    pub fn outside_change(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = imp.current.borrow().clone() else {
            return;
        };
        if imp.reloading.get() {
            // The reload under way reads the new definition.
            return;
        }
        let ticket = imp.loading.get();
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = fetch(&conn, &vm).await;
            let Some(this) = this.upgrade() else { return };
            let imp = this.imp();
            if imp.reloading.get() || imp.loading.get() != ticket {
                return;
            }
            let Ok(f) = r else {
                // Gone or unreadable: the model removes it or the next event retries.
                return;
            };
            let same =
                imp.original.borrow().as_ref() == Some(&f.doc) && imp.active.get() == f.active;
            if same {
                return;
            }
            if this.is_dirty() || imp.busy.get() {
                imp.pending.replace(Some(f));
                if let Some(b) = imp.banner.get() {
                    b.set_revealed(true);
                }
            } else {
                this.show_outside(f);
            }
        });
    }

    /// Drop the edits and show the definition changed outside Hangar.
    pub fn take_outside_change(&self) {
        if let Some(f) = self.imp().pending.take() {
            self.show_outside(f);
        }
    }

    /// Whether the page offers to reload a definition changed outside Hangar.
    pub fn outside_change_offered(&self) -> bool {
        self.imp().banner.get().is_some_and(|b| b.is_revealed())
    }

    fn show_outside(&self, f: Fetched) {
        let imp = self.imp();
        let keep = match (imp.selected.get(), imp.original.borrow().as_ref()) {
            (Some(Section::Device(i)), Some(old)) => {
                crate::backend::domain_xml::plan::follow_device(old, &f.doc, i)
                    .map(Section::Device)
                    .or(Some(Section::General))
            }
            (s, _) => s,
        };
        imp.selected.set(keep);
        self.show_fetched(f);
    }

    /// Show a parsed domain (also used by tests and the benchmark, without libvirt).
    pub fn load(&self, d: DomainXml, ctx: ValidationContext) {
        let imp = self.imp();
        imp.original_errors.set(d.validate_all(&ctx).len());
        imp.ctx.replace(ctx);
        imp.original.replace(Some(d.clone()));
        imp.doc.replace(Some(Rc::new(RefCell::new(d))));
        imp.forms_with_errors.borrow_mut().clear();
        imp.pending.replace(None);
        if let Some(b) = imp.banner.get() {
            b.set_revealed(false);
        }
        let status = if let Some(said) = imp.said.take() {
            said
        } else if imp.active.get() {
            gettext("Running: some changes apply only after shutdown")
        } else {
            String::new()
        };
        imp.status.set_label(&status);
        imp.base_status.replace(status);
        let keep = imp.selected.get();
        imp.selected.set(None);
        // The editors kept belong to the document before.
        self.clear_editor();
        self.fill_list();
        let sections = imp.sections.borrow().clone();
        let s = keep
            .filter(|s| sections.contains(s))
            .unwrap_or(Section::General);
        self.select(s);
        self.update_buttons();
    }

    fn entries(&self) -> Vec<(Section, &'static str, String)> {
        let imp = self.imp();
        let Some(doc) = imp.doc.borrow().clone() else {
            return Vec::new();
        };
        let sizes = imp.sizes.borrow();
        let d = doc.borrow();
        let mut out = vec![
            (
                Section::General,
                "document-properties-symbolic",
                gettext("Overview"),
            ),
            (Section::Cpu, "system-run-symbolic", gettext("CPUs")),
            (
                Section::Memory,
                "drive-multidisk-symbolic",
                gettext("Memory"),
            ),
            (
                Section::Boot,
                "system-reboot-symbolic",
                gettext("Boot Options"),
            ),
        ];
        out.extend(
            d.devices_with_sizes(&|p| sizes.get(p).copied())
                .into_iter()
                .map(|DeviceEntry { index, kind, name }| {
                    (Section::Device(index), kind.icon_name(), name)
                }),
        );
        out
    }

    fn fill_list(&self) {
        self.set_list(self.entries());
    }

    fn set_list(&self, entries: Vec<(Section, &'static str, String)>) {
        let imp = self.imp();
        imp.labels.replace(
            entries
                .iter()
                .map(|(_, icon, name)| row_text(icon, name))
                .collect(),
        );
        imp.sections
            .replace(entries.iter().map(|(s, _, _)| *s).collect());
        let sel_pos = imp
            .selected
            .get()
            .and_then(|s| imp.sections.borrow().iter().position(|x| *x == s));
        imp.syncing_list.set(true);
        let more = self.sync_model(sel_pos.map_or(0, |p| p + 1));
        if let (Some(p), Some(sel)) = (sel_pos, imp.selection.get()) {
            if sel.selected() != p as u32 {
                sel.set_selected(p as u32);
            }
        }
        imp.syncing_list.set(false);
        if more && imp.sync_source.borrow().is_none() {
            let this = self.downgrade();
            let id = glib::idle_add_local(move || {
                let Some(this) = this.upgrade() else {
                    return glib::ControlFlow::Break;
                };
                this.imp().syncing_list.set(true);
                let more = this.sync_model(0);
                this.imp().syncing_list.set(false);
                if more {
                    glib::ControlFlow::Continue
                } else {
                    this.imp().sync_source.replace(None);
                    glib::ControlFlow::Break
                }
            });
            imp.sync_source.replace(Some(id));
        }
    }

    /// Bring the list's model closer to `labels`: only what differs is spliced (an
    /// edit renames one row; a reload of the same domain changes nothing), and a
    /// long run of new rows goes in `FIRST_ROWS` at a time, at least the first
    /// `min` at once, so the first screenful shows before the rest is built. True
    /// while more remains.
    fn sync_model(&self, min: usize) -> bool {
        const FIRST_ROWS: usize = 40;
        let imp = self.imp();
        let model = imp.names.borrow().clone();
        let want = imp.labels.borrow();
        let have = model.n_items() as usize;
        let same = |m: usize, w: usize| model.string(m as u32).as_deref() == Some(want[w].as_str());
        let mut p = 0;
        while p < have && p < want.len() && same(p, p) {
            p += 1;
        }
        let mut q = 0;
        while q < have - p && q < want.len() - p && same(have - 1 - q, want.len() - 1 - q) {
            q += 1;
        }
        let (removed, added) = (have - p - q, want.len() - p - q);
        if removed == 0 && added == 0 {
            return false;
        }
        let limit = FIRST_ROWS.max(min.saturating_sub(p));
        if added <= limit {
            let new: Vec<&str> = want[p..p + added].iter().map(String::as_str).collect();
            model.splice(p as u32, removed as u32, &new);
            return false;
        }
        // Many new rows: drop the old ones after the common start, put in the first.
        let new: Vec<&str> = want[p..p + limit].iter().map(String::as_str).collect();
        model.splice(p as u32, (have - p) as u32, &new);
        true
    }

    /// Update the names in the list after an edit (sizes and models show there).
    fn refresh_names(&self) {
        self.set_list(self.entries());
    }

    /// Select a section in the list and show its editor.
    pub fn select(&self, s: Section) {
        let imp = self.imp();
        let pos = imp.sections.borrow().iter().position(|x| *x == s);
        if let Some(p) = pos {
            // A row still to come (the list is built in steps) goes in now.
            imp.syncing_list.set(true);
            while p as u32 >= imp.names.borrow().n_items() && self.sync_model(p + 1) {}
            imp.syncing_list.set(false);
        }
        if let (Some(p), Some(sel)) = (pos, imp.selection.get()) {
            imp.syncing_list.set(true);
            sel.set_selected(p as u32);
            imp.syncing_list.set(false);
            imp.list
                .activate_action("list.scroll-to-item", Some(&(p as u32).to_variant()))
                .ok();
        }
        if imp.selected.get() != Some(s) {
            self.show_section(s);
        }
    }

    /// The name a section has in the list.
    fn row_name(&self, s: Section) -> String {
        let imp = self.imp();
        let pos = imp.sections.borrow().iter().position(|x| *x == s);
        pos.and_then(|p| {
            imp.labels
                .borrow()
                .get(p)
                .map(|t| split_row_text(t).1.to_string())
        })
        .unwrap_or_default()
    }

    /// The sections in list order, with their names (for tests).
    pub fn list_names(&self) -> Vec<(Section, String)> {
        self.entries().into_iter().map(|(s, _, n)| (s, n)).collect()
    }

    fn clear_editor(&self) {
        let imp = self.imp();
        for (_, page, _) in imp.pages.take() {
            imp.stack.remove(&page);
        }
        imp.form.replace(None);
    }

    /// Build the editor of `s` anew (its rows depend on values that changed).
    fn rebuild_section(&self, s: Section) {
        let imp = self.imp();
        // Where the keyboard was: it goes back to the same field of the new rows
        // (a choice picked from a drop-down kept the focus on its row, not on the
        // first text field with its text selected).
        let focus = self.focused_field();
        let old = {
            let mut pages = imp.pages.borrow_mut();
            let i = pages.iter().position(|(x, _, _)| *x == s);
            i.map(|i| pages.remove(i))
        };
        if let Some((_, page, _)) = old {
            imp.stack.remove(&page);
        }
        self.show_section(s);
        if let Some(name) = focus {
            self.focus_field(&name);
        }
    }

    /// The name (`field:…`) of the editor's widget that holds the keyboard focus.
    fn focused_field(&self) -> Option<String> {
        let mut w = self.root()?.focus()?;
        if !w.is_ancestor(&self.imp().stack) {
            return None;
        }
        loop {
            if w.widget_name().starts_with("field:") {
                return Some(w.widget_name().to_string());
            }
            w = w.parent()?;
        }
    }

    /// Focus the shown editor's widget of that name; when it cannot take the focus
    /// (a Boot Earlier button of what is now the first device), the nearest named
    /// widget it belongs to (`field:boot_order:3:up` → `field:boot_order:3:on` →
    /// `field:boot_order`).
    fn focus_field(&self, name: &str) {
        let Some(page) = self.imp().stack.visible_child() else {
            return;
        };
        let mut named = std::collections::HashMap::new();
        let mut stack = vec![page];
        while let Some(w) = stack.pop() {
            let n = w.widget_name();
            if n.starts_with("field:") {
                named.insert(n.to_string(), w.clone());
            }
            let mut c = w.first_child();
            while let Some(ch) = c {
                c = ch.next_sibling();
                stack.push(ch);
            }
        }
        let mut tries = vec![name.to_string()];
        if let Some((base, _)) = name.rsplit_once(':') {
            tries.push(format!("{base}:on"));
        }
        let mut n = name;
        while let Some((base, _)) = n.rsplit_once(':') {
            tries.push(base.to_string());
            n = base;
        }
        for t in tries {
            if let Some(w) = named.get(&t) {
                if w.is_sensitive() && w.grab_focus() {
                    return;
                }
            }
        }
    }

    fn show_section(&self, s: Section) {
        const KEEP: usize = 24;
        let imp = self.imp();
        let Some(doc) = imp.doc.borrow().clone() else {
            return;
        };
        imp.selected.set(Some(s));
        let cached = {
            let mut pages = imp.pages.borrow_mut();
            let i = pages.iter().position(|(x, _, _)| *x == s);
            i.map(|i| {
                let e = pages.remove(i);
                pages.push(e.clone());
                e
            })
        };
        if let Some((_, page, form)) = cached {
            imp.stack.set_visible_child(&page);
            form.group.set_title(&self.row_name(s));
            form.show_errors();
            imp.form.replace(Some(form));
            imp.remove
                .set_sensitive(matches!(s, Section::Device(_)) && !imp.busy.get());
            self.track_errors();
            self.update_buttons();
            return;
        }
        let editor = gtk::Box::new(gtk::Orientation::Vertical, 12);
        let title = self.row_name(s);
        let this = self.downgrade();
        let form = Form::new(
            doc.clone(),
            s,
            &title,
            imp.ctx.borrow().clone(),
            move |reshape| {
                let Some(this) = this.upgrade() else { return };
                this.refresh_names();
                this.track_errors();
                this.update_buttons();
                if reshape {
                    // The set of rows depends on the values (topology, connection type):
                    // rebuild once the signal that got us here is over.
                    let this = this.downgrade();
                    glib::idle_add_local_once(move || {
                        if let Some(this) = this.upgrade() {
                            if let Some(sel) = this.imp().selected.get() {
                                this.rebuild_section(sel);
                            }
                        }
                    });
                }
            },
        );
        editor.append(&form.group);
        if let Some(picker) = self.host_device_picker(&doc, s) {
            editor.append(&picker);
        }
        if let Some(eject) = self.eject_button(&doc, s) {
            editor.append(&eject);
        }
        if let Some(buttons) = self.source_buttons(&doc, s) {
            editor.append(&buttons);
        }
        if let Section::Device(i) = s {
            let mac = doc
                .borrow()
                .device(i)
                .filter(|e| e.name == "interface")
                .map(|e| {
                    InterfaceView::read(e)
                        .mac
                        .unwrap_or_default()
                        .to_ascii_lowercase()
                });
            if let (Some(mac), true) = (mac, imp.active.get()) {
                editor.append(&self.addresses_group(&mac));
            }
        }
        let note = match s {
            Section::Memory => Some(gettext(
                "Running: the current allocation applies now; the maximum after shutdown.",
            )),
            Section::Cpu => Some(gettext(
                "Running: the current vCPU count applies now; the maximum, topology and model after shutdown.",
            )),
            _ => None,
        };
        if let (Some(text), true) = (note, imp.active.get()) {
            let note = gtk::Label::builder()
                .label(text)
                .wrap(true)
                .xalign(0.0)
                .css_classes(["dim-label", "caption"])
                .build();
            editor.append(&note);
        }
        if matches!(s, Section::Device(_)) && imp.active.get() {
            let note = gtk::Label::builder()
                .label(gettext("Changes Hangar cannot make to the running machine take effect after it shuts down."))
                .wrap(true)
                .xalign(0.0)
                .css_classes(["dim-label", "caption"])
                .build();
            editor.append(&note);
        }
        imp.stack.add_child(&editor);
        imp.stack.set_visible_child(&editor);
        {
            let mut pages = imp.pages.borrow_mut();
            pages.push((s, editor, form.clone()));
            while pages.len() > KEEP {
                let (_, old, _) = pages.remove(0);
                imp.stack.remove(&old);
            }
        }
        imp.form.replace(Some(form));
        imp.remove
            .set_sensitive(matches!(s, Section::Device(_)) && !imp.busy.get());
        self.track_errors();
        self.update_buttons();
    }

    /// The host's devices to pass through (tests give them without libvirt).
    pub fn set_host_devices(&self, devices: Vec<crate::backend::domain::hardware::HostDevice>) {
        let imp = self.imp();
        imp.host_devices.replace(Some(devices));
        imp.host_devices_asked.set(true);
        if let Some(s @ Section::Device(_)) = imp.selected.get() {
            self.clear_editor();
            self.show_section(s);
        }
    }

    /// For a USB or PCI host device: a row to choose another of the host's devices,
    /// which changes the source (vendor and product, or the PCI address) alone.
    fn host_device_picker(
        &self,
        doc: &Rc<RefCell<DomainXml>>,
        s: Section,
    ) -> Option<adw::PreferencesGroup> {
        use crate::backend::domain_xml::HostdevView;
        let Section::Device(i) = s else { return None };
        let (kind, current) = {
            let d = doc.borrow();
            let el = d.device(i).filter(|e| e.name == "hostdev")?;
            let v = HostdevView::read(el);
            let kind = v.kind.clone()?;
            let norm = |x: &Option<String>| {
                let t = x.as_deref().unwrap_or("0").trim_start_matches("0x");
                u32::from_str_radix(t, 16).unwrap_or(0)
            };
            let current: Vec<u32> = match kind.as_str() {
                "usb" => vec![norm(&v.vendor), norm(&v.product)],
                "pci" => vec![
                    norm(&v.pci_domain),
                    norm(&v.pci_bus),
                    norm(&v.pci_slot),
                    norm(&v.pci_function),
                ],
                _ => return None,
            };
            (kind, current)
        };
        let imp = self.imp();
        let group = adw::PreferencesGroup::new();
        let Some(all) = imp.host_devices.borrow().clone() else {
            if !imp.host_devices_asked.replace(true) {
                if let Some((conn, _)) = imp.current.borrow().clone() {
                    let this = self.downgrade();
                    glib::spawn_future_local(async move {
                        let found = conn.backend().host_devices().await.unwrap_or_default();
                        if let Some(this) = this.upgrade() {
                            this.set_host_devices(found);
                        }
                    });
                }
            }
            let row = adw::ActionRow::builder()
                .title(gettext("Host Device"))
                .subtitle(gettext("Looking for the host’s devices…"))
                .build();
            group.add(&row);
            return Some(group);
        };
        let devices: Vec<_> = all.into_iter().filter(|d| d.kind == kind).collect();
        if devices.is_empty() {
            let row = adw::ActionRow::builder()
                .title(gettext("Host Device"))
                .subtitle(gettext(
                    "No such device found on the host; the IDs below can be typed",
                ))
                .build();
            group.add(&row);
            return Some(group);
        }
        let ids = |d: &crate::backend::domain::hardware::HostDevice| -> Vec<u32> {
            d.ids
                .iter()
                .map(|x| u32::from_str_radix(x.trim_start_matches("0x"), 16).unwrap_or(0))
                .collect()
        };
        let labels: Vec<&str> = devices.iter().map(|d| d.label.as_str()).collect();
        let model = gtk::StringList::new(&labels);
        let pos = devices.iter().position(|d| ids(d) == current);
        let row = adw::ComboRow::builder()
            .title(gettext("Host Device"))
            .model(&model)
            .selected(pos.map_or(gtk::INVALID_LIST_POSITION, |p| p as u32))
            .build();
        if pos.is_none() {
            row.set_subtitle(&gettext("The device below is not among the host’s"));
        }
        row.update_property(&[gtk::accessible::Property::Label(&gettext("Host Device"))]);
        group.add(&row);
        let doc = doc.clone();
        let this = self.downgrade();
        row.connect_selected_notify(move |r| {
            let Some(dev) = devices.get(r.selected() as usize) else {
                return;
            };
            {
                let mut d = doc.borrow_mut();
                if dev.kind == "usb" {
                    for (f, v) in ["vendor", "product"].iter().zip(&dev.ids) {
                        let _ = d.set_field(s, f, v);
                    }
                } else {
                    let n = ids(dev);
                    if let [dom, bus, slot, func] = n[..] {
                        let addr = format!("{dom:04x}:{bus:02x}:{slot:02x}.{func:x}");
                        let _ = d.set_field(s, "address", &addr);
                    }
                }
            }
            let Some(this) = this.upgrade() else { return };
            this.refresh_names();
            this.update_buttons();
            // Show the new source in the rows below once this signal is over.
            let this = this.downgrade();
            glib::idle_add_local_once(move || {
                if let Some(this) = this.upgrade() {
                    if this.imp().selected.get() == Some(s) {
                        this.rebuild_section(s);
                    }
                }
            });
        });
        Some(group)
    }

    /// For a disk or CD-ROM: Browse Volumes… (any connection) and Choose File… (a
    /// local one) to change its source; a volume's format comes along for a disk.
    fn source_buttons(&self, doc: &Rc<RefCell<DomainXml>>, s: Section) -> Option<gtk::Box> {
        let Section::Device(i) = s else { return None };
        let cdrom = {
            let d = doc.borrow();
            let el = d.device(i).filter(|e| e.name == "disk")?;
            let v = DiskView::read(el);
            if v.source_type.as_deref().is_some_and(|t| t != "file") {
                // Block devices, network disks: their source is typed.
                return None;
            }
            v.is_cdrom()
        };
        let (conn, _) = self.imp().current.borrow().clone()?;
        let local = self.imp().ctx.borrow().local;
        let doc = doc.clone();
        let this = self.downgrade();
        let on_source: crate::ui::components::volumes::OnSource = Rc::new(move |path, format| {
            {
                let mut d = doc.borrow_mut();
                let _ = d.set_field(s, "source", &path);
                if let (Some(f @ ("qcow2" | "raw")), false) = (format.as_deref(), cdrom) {
                    let _ = d.set_field(s, "format", f);
                }
            }
            if let Some(this) = this.upgrade() {
                this.refresh_names();
                if this.imp().selected.get() == Some(s) {
                    this.rebuild_section(s);
                }
            }
        });
        Some(crate::ui::components::volumes::source_buttons(
            &conn, local, None, on_source,
        ))
    }

    /// For a CD-ROM or floppy with a medium: a button that ejects it (Apply then
    /// changes the medium of a running machine at once).
    fn eject_button(&self, doc: &Rc<RefCell<DomainXml>>, s: Section) -> Option<gtk::Button> {
        let Section::Device(i) = s else { return None };
        let has_medium = {
            let d = doc.borrow();
            let el = d.device(i)?;
            el.name == "disk" && DiskView::read(el).is_cdrom() && DiskView::source(el).is_some()
        };
        if !has_medium {
            return None;
        }
        let b = gtk::Button::builder()
            .label(gettext("_Eject Medium"))
            .use_underline(true)
            .halign(gtk::Align::Start)
            .build();
        let doc = doc.clone();
        let this = self.downgrade();
        b.connect_clicked(move |_| {
            let _ = doc.borrow_mut().set_field(s, "source", "");
            if let Some(this) = this.upgrade() {
                this.refresh_names();
                this.rebuild_section(s);
            }
        });
        Some(b)
    }

    /// The guest's addresses on the interface with `mac`.
    fn addresses_group(&self, mac: &str) -> adw::PreferencesGroup {
        let group = adw::PreferencesGroup::builder()
            .title(gettext("Guest Addresses"))
            .build();
        let addrs = self
            .imp()
            .addresses
            .borrow()
            .iter()
            .find(|(m, _)| m == mac)
            .map(|(_, a)| a.clone())
            .unwrap_or_default();
        if addrs.is_empty() {
            let row = adw::ActionRow::builder()
                .title(gettext("None known"))
                .subtitle(gettext("The guest has no address from DHCP or ARP yet"))
                .build();
            group.add(&row);
        }
        for a in addrs {
            let row = adw::ActionRow::builder().title(&a).build();
            row.add_css_class("property");
            group.add(&row);
        }
        group
    }

    fn track_errors(&self) {
        let imp = self.imp();
        if let Some(f) = imp.form.borrow().as_ref() {
            let mut set = imp.forms_with_errors.borrow_mut();
            if f.has_errors() {
                set.insert(f.section());
            } else {
                set.remove(&f.section());
            }
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

    fn update_buttons(&self) {
        let imp = self.imp();
        let dirty = self.is_dirty();
        // Errors already in the domain as libvirt has it do not block unrelated edits;
        // new ones do. Only a changed document is validated whole.
        let errors = !imp.forms_with_errors.borrow().is_empty()
            || (dirty
                && imp.doc.borrow().as_ref().is_some_and(|d| {
                    d.borrow().validate_all(&imp.ctx.borrow()).len() > imp.original_errors.get()
                }));
        let busy = imp.busy.get();
        imp.apply.set_sensitive(dirty && !errors && !busy);
        imp.revert.set_sensitive(dirty && !busy);
        // Adding or removing reloads the domain: edits are applied or reverted first.
        let device = matches!(imp.selected.get(), Some(Section::Device(_)));
        imp.add
            .set_sensitive(!dirty && !busy && imp.doc.borrow().is_some());
        let can_remove = !dirty && !busy && device;
        imp.remove.set_sensitive(can_remove);
        // Red only when it can be clicked: a greyed-out red button still shouts.
        if can_remove {
            imp.remove.add_css_class("destructive-action");
        } else {
            imp.remove.remove_css_class("destructive-action");
        }
        // Why Add and Remove are off, where it can be read (not only on hover).
        imp.buttons_hint.set_visible(dirty);
        // The status line says what is true now: edits waiting, or what the last
        // Apply did, or the running machine's note.
        let status = if dirty {
            gettext("Changes not applied yet")
        } else {
            imp.base_status.borrow().clone()
        };
        imp.status.set_label(&status);
    }

    /// Drop the edits.
    pub fn revert(&self) {
        let imp = self.imp();
        let Some(o) = imp.original.borrow().clone() else {
            return;
        };
        let ctx = imp.ctx.borrow().clone();
        self.load(o, ctx);
    }

    fn window(&self) -> Option<gtk::Window> {
        self.root().and_downcast::<gtk::Window>()
    }

    /// What the last Apply did, in the status line beside Apply (a toast as well
    /// said it twice and covered Add Hardware and Remove).
    fn say(&self, text: &str) {
        let imp = self.imp();
        imp.status.set_label(text);
        imp.base_status.replace(text.to_string());
        // Kept over the reload that follows.
        imp.said.replace(Some(text.to_string()));
    }

    fn set_busy(&self, busy: bool) {
        let imp = self.imp();
        imp.busy.set(busy);
        self.update_buttons();
    }

    /// Apply the edits: live device updates where the domain runs, a new definition
    /// for everything else.
    pub fn apply(&self) {
        let imp = self.imp();
        let (Some((conn, vm)), Some(original), Some(doc)) = (
            imp.current.borrow().clone(),
            imp.original.borrow().clone(),
            imp.doc.borrow().clone(),
        ) else {
            return;
        };
        let edited = doc.borrow().clone();
        let active = imp.active.get();
        let ApplyPlan {
            device_updates: updates,
            define: rest_changed,
            live_memory,
            live_vcpus,
            others_wait,
        } = ApplyPlan::of(&original, &edited, active);
        self.set_busy(true);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let backend = conn.backend().clone();
            let mut result: Result<Applied, crate::backend::Error> = Ok(Applied::Saved);
            let mut devices_wait = false;
            if active && !updates.is_empty() {
                let mut worst = Applied::Now;
                let mut define = rest_changed;
                for xml in updates {
                    match backend.device_op(vm.uuid(), DeviceOp::Update, xml).await {
                        Ok(Applied::AfterShutdown) => worst = Applied::AfterShutdown,
                        Ok(_) => {}
                        // A driver without live device updates: the definition
                        // carries the change, for the next start.
                        Err(crate::backend::Error::Unsupported(_)) => {
                            worst = Applied::AfterShutdown;
                            define = true;
                        }
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                devices_wait = worst == Applied::AfterShutdown;
                if result.is_ok() {
                    result = Ok(worst);
                }
                if result.is_ok() && define {
                    result = backend.define_edited(vm.uuid(), edited.to_xml()).await;
                }
            } else {
                result = backend.define_edited(vm.uuid(), edited.to_xml()).await;
            }
            let mut live = Vec::new();
            if result.is_ok() {
                if let Some(kib) = live_memory {
                    match backend.set_current_memory(vm.uuid(), kib).await {
                        Ok(c) => live.push(c),
                        Err(e) => result = Err(e),
                    }
                }
            }
            if result.is_ok() {
                if let Some(n) = live_vcpus {
                    match backend.set_current_vcpus(vm.uuid(), n).await {
                        Ok(c) => live.push(c),
                        Err(e) => result = Err(e),
                    }
                }
            }
            let Some(this) = this.upgrade() else { return };
            this.set_busy(false);
            match result {
                Ok(a) => {
                    let text = if live.is_empty() {
                        applied_message(a)
                    } else {
                        live_message(&live, others_wait || devices_wait)
                    };
                    this.say(&text);
                    this.reload();
                    this.notify_applied();
                }
                Err(e) => {
                    this.imp().status.set_label(&e.summary());
                    if let Some(w) = this.window() {
                        crate::ui::error::show_dialog(
                            &w,
                            &gettext("Could not apply the changes"),
                            &e,
                        );
                    }
                }
            }
        });
    }

    /// Open the Add Hardware dialog.
    fn open_add_dialog(&self) {
        let imp = self.imp();
        let Some(doc) = imp.doc.borrow().clone() else {
            return;
        };
        let base = doc.borrow().clone();
        let this = self.downgrade();
        let dialog = super::add::AddHardwareDialog::new(
            self.window().as_ref(),
            base,
            imp.ctx.borrow().clone(),
            move |xml| {
                if let Some(this) = this.upgrade() {
                    this.device_op(DeviceOp::Attach, xml);
                }
            },
        );
        dialog.present();
        if let Some((conn, _)) = imp.current.borrow().clone() {
            dialog.set_connection(&conn, imp.ctx.borrow().local);
            let d = dialog.downgrade();
            glib::spawn_future_local(async move {
                // Without them the picker says none were found; IDs can still be typed.
                let devices = conn.backend().host_devices().await.unwrap_or_default();
                if let Some(d) = d.upgrade().filter(|d| d.is_visible()) {
                    d.set_host_devices(devices);
                }
            });
        }
    }

    fn device_op(&self, op: DeviceOp, xml: String) {
        let Some((conn, vm)) = self.imp().current.borrow().clone() else {
            return;
        };
        self.set_busy(true);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().device_op(vm.uuid(), op, xml).await;
            let Some(this) = this.upgrade() else { return };
            this.set_busy(false);
            match r {
                Ok(a) => {
                    this.say(&applied_message(a));
                    this.imp().selected.set(None);
                    this.reload();
                    this.notify_applied();
                }
                Err(e) => {
                    if let Some(w) = this.window() {
                        let heading = match op {
                            DeviceOp::Attach => gettext("Could not add the device"),
                            DeviceOp::Detach => gettext("Could not remove the device"),
                            DeviceOp::Update => gettext("Could not change the device"),
                        };
                        crate::ui::error::show_dialog(&w, &heading, &e);
                    }
                }
            }
        });
    }

    /// Ask before removing the selected device (the dialog is returned for tests).
    pub fn confirm_remove(&self) -> Option<adw::MessageDialog> {
        let imp = self.imp();
        let Some(Section::Device(i)) = imp.selected.get() else {
            return None;
        };
        // Remove the device as libvirt has it, not as edited.
        let original = imp.original.borrow().clone()?;
        let el = original.device(i).cloned()?;
        let name = self.row_name(Section::Device(i));
        let win = self.window()?;
        let body = if el.name == "disk" {
            gettext("The disk’s file is kept: only the device leaves the virtual machine.")
        } else {
            gettext("The device leaves the virtual machine.")
        };
        let dialog = adw::MessageDialog::new(
            Some(&win),
            Some(&gettext_f("Remove {name}?", &[("name", &name)])),
            Some(&body),
        );
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("remove", &gettext("_Remove"));
        dialog.set_response_appearance("remove", adw::ResponseAppearance::Destructive);
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        let this = self.downgrade();
        let xml = el.to_xml();
        dialog.connect_response(None, move |_, r| {
            if r == "remove" {
                if let Some(this) = this.upgrade() {
                    this.device_op(DeviceOp::Detach, xml.clone());
                }
            }
        });
        dialog.present();
        Some(dialog)
    }
}
