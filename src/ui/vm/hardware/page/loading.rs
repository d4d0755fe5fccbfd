//! Following a VM: loading its definition, asking before leaving unapplied edits, and
//! noticing changes made outside Hangar.

use super::*;

impl HardwarePage {
    /// Show another VM (or none); unapplied edits of the one before are asked about.
    pub fn set_vm(&self, vm: Option<&Vm>) {
        let imp = self.imp();
        if imp.vm.borrow().as_ref() == vm {
            return;
        }
        if self.is_dirty() {
            self.ask_leave();
        }
        let this = self.downgrade();
        rewatch_config(&imp.watch, vm, move || {
            if let Some(this) = this.upgrade() {
                this.outside_change();
            }
        });
        imp.vm.replace(vm.cloned());
        self.notify("vm");
        imp.host_devices.replace(None);
        imp.host_devices_asked.set(false);
        imp.loaded_xml.replace(String::new());
        imp.original.replace(None);
        imp.doc.replace(None);
        imp.selected.set(None);
        self.reload();
    }

    /// The machine shown and its connection.
    pub fn current(&self) -> Option<(Connection, Vm)> {
        let vm = self.imp().vm.borrow().clone()?;
        Some((Connection::of(&vm)?, vm))
    }

    /// Unapplied edits of a VM being left: apply them or let them go.
    pub(super) fn ask_leave(&self) {
        let imp = self.imp();
        let (Some((conn, vm)), Some(doc)) = (imp.obj().current(), imp.doc.borrow().clone()) else {
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
        let Some((conn, vm)) = imp.obj().current() else {
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
    pub(super) fn check_outside(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = imp.obj().current() else {
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
            let is_current = imp.vm.borrow().as_ref() == Some(&vm);
            let pending_same = imp.pending.borrow().as_ref().is_some_and(|p| p.xml == xml);
            if is_current && xml != *imp.loaded_xml.borrow() && !pending_same {
                this.outside_change();
            }
        });
    }

    pub(super) fn show_fetched(&self, f: Fetched) {
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
        let Some((conn, vm)) = imp.obj().current() else {
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

    pub(super) fn show_outside(&self, f: Fetched) {
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
}
