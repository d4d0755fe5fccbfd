//! The editor of the selected section: its rows, kept for the last sections shown, and
//! what some sections add below them (host devices, disk sources, eject, addresses);
//! the keyboard focus kept across a rebuild.

use super::*;

impl HardwarePage {
    /// Build the editor of `s` anew (its rows depend on values that changed).
    pub(super) fn rebuild_section(&self, s: Section) {
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
    pub(super) fn focused_field(&self) -> Option<String> {
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
    pub(super) fn focus_field(&self, name: &str) {
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

    pub(super) fn show_section(&self, s: Section) {
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
            self.set_verb_enabled("remove", matches!(s, Section::Device(_)) && !imp.busy.get());
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
        self.set_verb_enabled("remove", matches!(s, Section::Device(_)) && !imp.busy.get());
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
    pub(super) fn host_device_picker(
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
                if let Some((conn, _)) = imp.obj().current() {
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
    pub(super) fn source_buttons(
        &self,
        doc: &Rc<RefCell<DomainXml>>,
        s: Section,
    ) -> Option<gtk::Box> {
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
        let (conn, _) = self.current()?;
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
    pub(super) fn eject_button(
        &self,
        doc: &Rc<RefCell<DomainXml>>,
        s: Section,
    ) -> Option<gtk::Button> {
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
    pub(super) fn addresses_group(&self, mac: &str) -> adw::PreferencesGroup {
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

    pub(super) fn track_errors(&self) {
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
}
