//! The Add Hardware dialog: a kind of device on the left, its settings on the right,
//! with defaults that fit the domain (bus, model, next free target name). Add stays off
//! while a field is wrong.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;

use super::form::Form;
use crate::backend::domain::hardware::HostDevice;
use crate::backend::domain_xml::{DomainXml, NewDevice, Section, ValidationContext};
use crate::i18n::gettext;

dialog_window!(
    /// The dialog; `AddHardwareDialog::new` builds it, `present` shows it.
    imp,
    AddHardwareDialog,
    "HangarAddHardwareDialog",
    Parts
);

pub struct Parts {
    pub list: gtk::ListBox,
    pub add: gtk::Button,
    state: Rc<State>,
}

struct State {
    base: DomainXml,
    ctx: ValidationContext,
    doc: RefCell<Option<(Rc<RefCell<DomainXml>>, usize)>>,
    form: RefCell<Option<Rc<Form>>>,
    editor: gtk::Box,
    add: gtk::Button,
    /// The host's USB and PCI devices, once known.
    host_devices: RefCell<Vec<HostDevice>>,
    kind: std::cell::Cell<Option<NewDevice>>,
    /// The connection, for the disk source buttons, and whether it is local.
    conn: RefCell<Option<(crate::model::Connection, bool)>>,
}

impl State {
    fn choose(self: &Rc<Self>, kind: NewDevice) {
        let mut d = self.base.clone();
        let index = d.add_device(kind.element(&self.base));
        let doc = Rc::new(RefCell::new(d));
        while let Some(c) = self.editor.first_child() {
            self.editor.remove(&c);
        }
        self.kind.set(Some(kind));
        let host_kind = match kind {
            NewDevice::UsbHost => Some("usb"),
            NewDevice::PciHost => Some("pci"),
            _ => None,
        };
        if let Some(hk) = host_kind {
            self.host_picker(hk, &doc, index);
        }
        let weak = Rc::downgrade(self);
        let form = Form::new(
            doc.clone(),
            Section::Device(index),
            &kind.label(),
            self.ctx.clone(),
            move |_| {
                if let Some(s) = weak.upgrade() {
                    s.update();
                }
            },
        );
        self.editor.append(&form.group);
        if matches!(kind, NewDevice::Disk | NewDevice::Cdrom) {
            self.source_buttons(kind, &doc, index);
        }
        self.doc.replace(Some((doc, index)));
        self.form.replace(Some(form));
        self.update();
    }

    /// Browse Volumes…, Choose File… and (for a disk) New Volume… under the form.
    fn source_buttons(
        self: &Rc<Self>,
        kind: NewDevice,
        doc: &Rc<RefCell<DomainXml>>,
        index: usize,
    ) {
        let Some((conn, local)) = self.conn.borrow().clone() else {
            return;
        };
        let s = Section::Device(index);
        let new_name = (kind == NewDevice::Disk).then(|| {
            let d = doc.borrow();
            let target = d
                .device(index)
                .map(crate::backend::domain_xml::DiskView::read)
                .and_then(|v| v.target)
                .unwrap_or_else(|| "disk".into());
            format!("{}-{target}.qcow2", self.base.general().name)
        });
        let weak = Rc::downgrade(self);
        let doc2 = doc.clone();
        let on_source: crate::ui::components::volumes::OnSource = Rc::new(move |path, format| {
            {
                let mut d = doc2.borrow_mut();
                let _ = d.set_field(s, "source", &path);
                if let (Some(f @ ("qcow2" | "raw")), NewDevice::Disk) = (format.as_deref(), kind) {
                    let _ = d.set_field(s, "format", f);
                }
            }
            let Some(st) = weak.upgrade() else { return };
            // Show the new source: a fresh form in the old one's place.
            let Some(old) = st.form.borrow().clone() else {
                return;
            };
            let w = Rc::downgrade(&st);
            let form = Form::new(doc2.clone(), s, &kind.label(), st.ctx.clone(), move |_| {
                if let Some(st) = w.upgrade() {
                    st.update();
                }
            });
            st.editor.insert_child_after(&form.group, Some(&old.group));
            st.editor.remove(&old.group);
            st.form.replace(Some(form));
            st.update();
        });
        let buttons =
            crate::ui::components::volumes::source_buttons(&conn, local, new_name, on_source);
        buttons.set_margin_top(12);
        self.editor.append(&buttons);
    }

    /// A row to choose one of the host's devices, which fills in its IDs or address.
    fn host_picker(self: &Rc<Self>, kind: &str, doc: &Rc<RefCell<DomainXml>>, index: usize) {
        let devices: Vec<HostDevice> = self
            .host_devices
            .borrow()
            .iter()
            .filter(|d| d.kind == kind)
            .cloned()
            .collect();
        let group = adw::PreferencesGroup::new();
        if devices.is_empty() {
            let row = adw::ActionRow::builder()
                .title(gettext("Host Device"))
                .subtitle(gettext("No such device found on the host"))
                .build();
            group.add(&row);
            self.editor.append(&group);
            return;
        }
        let labels: Vec<&str> = devices.iter().map(|d| d.label.as_str()).collect();
        let model = gtk::StringList::new(&labels);
        let row = adw::ComboRow::builder()
            .title(gettext("Host Device"))
            .model(&model)
            .selected(gtk::INVALID_LIST_POSITION)
            .build();
        row.update_property(&[gtk::accessible::Property::Label(&gettext("Host Device"))]);
        group.add(&row);
        self.editor.append(&group);
        let doc = doc.clone();
        let weak = Rc::downgrade(self);
        row.connect_selected_notify(move |r| {
            let Some(dev) = devices.get(r.selected() as usize) else {
                return;
            };
            let fields: &[&str] = if dev.kind == "usb" {
                &["vendor", "product"]
            } else {
                &["pci_domain", "pci_bus", "pci_slot", "pci_function"]
            };
            {
                let mut d = doc.borrow_mut();
                for (f, v) in fields.iter().zip(&dev.ids) {
                    let _ = d.set_field(Section::Device(index), f, v);
                }
            }
            let Some(s) = weak.upgrade() else { return };
            // Show the new values: rebuild the form below the picker.
            if let Some(old) = s.form.borrow_mut().take() {
                s.editor.remove(&old.group);
            }
            let weak = Rc::downgrade(&s);
            let title = s.kind.get().map(|k| k.label()).unwrap_or_default();
            let form = Form::new(
                doc.clone(),
                Section::Device(index),
                &title,
                s.ctx.clone(),
                move |_| {
                    if let Some(s) = weak.upgrade() {
                        s.update();
                    }
                },
            );
            s.editor.append(&form.group);
            s.form.replace(Some(form));
            s.update();
        });
    }

    fn update(&self) {
        let ok = self.form.borrow().as_ref().is_some_and(|f| !f.has_errors());
        self.add.set_sensitive(ok);
    }

    fn element_xml(&self) -> Option<String> {
        let doc = self.doc.borrow();
        let (d, i) = doc.as_ref()?;
        let d = d.borrow();
        d.device(*i).map(|e| e.to_xml())
    }
}

impl AddHardwareDialog {
    /// A dialog over `parent` adding to `base`; `on_add` gets the new device's XML.
    pub fn new(
        parent: Option<&gtk::Window>,
        base: DomainXml,
        ctx: ValidationContext,
        on_add: impl Fn(String) + 'static,
    ) -> AddHardwareDialog {
        let window = AddHardwareDialog::bare();
        window.set_modal(true);
        window.set_title(Some(&gettext("Add Hardware")));
        window.set_default_size(760, 520);
        if let Some(p) = parent {
            window.set_transient_for(Some(p));
        }
        let header = adw::HeaderBar::new();
        let cancel = gtk::Button::with_mnemonic(&gettext("_Cancel"));
        let add = gtk::Button::with_mnemonic(&gettext("_Add"));
        add.add_css_class("suggested-action");
        header.pack_start(&cancel);
        header.pack_end(&add);
        let list = gtk::ListBox::new();
        list.add_css_class("navigation-sidebar");
        list.update_property(&[gtk::accessible::Property::Label(&gettext("Device Kinds"))]);
        for kind in NewDevice::ALL {
            let b = gtk::Box::new(gtk::Orientation::Horizontal, 8);
            b.append(&gtk::Image::from_icon_name(kind.icon_name()));
            b.append(
                &gtk::Label::builder()
                    .label(kind.label())
                    .xalign(0.0)
                    .build(),
            );
            let row = gtk::ListBoxRow::builder().child(&b).build();
            row.update_property(&[gtk::accessible::Property::Label(&kind.label())]);
            // One watchdog, one TPM: a second is not offered.
            row.set_sensitive(kind.allowed(&base));
            list.append(&row);
        }
        let editor = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .margin_top(18)
            .margin_bottom(18)
            .margin_start(12)
            .margin_end(12)
            .build();
        let left = gtk::ScrolledWindow::builder()
            .child(&list)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .width_request(240)
            .build();
        let right = gtk::ScrolledWindow::builder()
            .child(
                &adw::Clamp::builder()
                    .maximum_size(520)
                    .child(&editor)
                    .build(),
            )
            .hexpand(true)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build();
        let body = gtk::Box::new(gtk::Orientation::Horizontal, 0);
        body.append(&left);
        body.append(&gtk::Separator::new(gtk::Orientation::Vertical));
        body.append(&right);
        body.set_vexpand(true);
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&body);
        window.set_content(Some(&content));

        let state = Rc::new(State {
            base,
            ctx,
            doc: RefCell::new(None),
            form: RefCell::new(None),
            editor,
            add: add.clone(),
            host_devices: RefCell::new(Vec::new()),
            kind: std::cell::Cell::new(None),
            conn: RefCell::new(None),
        });
        let s = state.clone();
        list.connect_row_selected(move |_, row| {
            if let Some(kind) = row.and_then(|r| NewDevice::ALL.get(r.index() as usize)) {
                s.choose(*kind);
            }
        });
        let w = window.downgrade();
        cancel.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.close();
            }
        });
        let w = window.downgrade();
        let s = state.clone();
        add.connect_clicked(move |_| {
            if let (Some(xml), Some(w)) = (s.element_xml(), w.upgrade()) {
                on_add(xml);
                w.close();
            }
        });
        if let Some(first) = list.row_at_index(0) {
            list.select_row(Some(&first));
        }
        window.set_parts(Parts { list, add, state });
        window
    }

    /// The host's devices arrived: offer them for passthrough.
    pub fn set_host_devices(&self, devices: Vec<HostDevice>) {
        self.state.host_devices.replace(devices);
        if let Some(k @ (NewDevice::UsbHost | NewDevice::PciHost)) = self.state.kind.get() {
            self.state.choose(k);
        }
    }

    /// The connection the device goes to: disks get buttons to choose or make
    /// their source there.
    pub fn set_connection(&self, conn: &crate::model::Connection, local: bool) {
        self.state.conn.replace(Some((conn.clone(), local)));
        if let Some(k @ (NewDevice::Disk | NewDevice::Cdrom)) = self.state.kind.get() {
            self.state.choose(k);
        }
    }

    /// Choose a kind, as a click on its row does.
    pub fn choose(&self, kind: NewDevice) {
        if let Some(i) = NewDevice::ALL.iter().position(|k| *k == kind) {
            if let Some(row) = self.list.row_at_index(i as i32) {
                self.list.select_row(Some(&row));
            }
        }
    }

    /// The form of the chosen kind (for tests).
    pub fn form(&self) -> Option<Rc<Form>> {
        self.state.form.borrow().clone()
    }
}
