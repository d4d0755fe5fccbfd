//! Applying and reverting: the buttons' state, the plan of an Apply run on the worker,
//! adding and removing devices, and what the status line says.

use super::*;

impl HardwarePage {
    pub(super) fn update_buttons(&self) {
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
        self.set_verb_enabled("apply", dirty && !errors && !busy);
        self.set_verb_enabled("revert", dirty && !busy);
        // Adding or removing reloads the domain: edits are applied or reverted first.
        let device = matches!(imp.selected.get(), Some(Section::Device(_)));
        self.set_verb_enabled("add", !dirty && !busy && imp.doc.borrow().is_some());
        let can_remove = !dirty && !busy && device;
        self.set_verb_enabled("remove", can_remove);
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

    pub(super) fn window(&self) -> Option<gtk::Window> {
        self.root().and_downcast::<gtk::Window>()
    }

    /// What the last Apply did, in the status line beside Apply (a toast as well
    /// said it twice and covered Add Hardware and Remove).
    pub(super) fn say(&self, text: &str) {
        let imp = self.imp();
        imp.status.set_label(text);
        imp.base_status.replace(text.to_string());
        // Kept over the reload that follows.
        imp.said.replace(Some(text.to_string()));
    }

    pub(super) fn set_busy(&self, busy: bool) {
        let imp = self.imp();
        imp.busy.set(busy);
        self.update_buttons();
    }

    /// Apply the edits: live device updates where the domain runs, a new definition
    /// for everything else.
    pub fn apply(&self) {
        let imp = self.imp();
        let (Some((conn, vm)), Some(original), Some(doc)) = (
            imp.obj().current(),
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
    pub(super) fn open_add_dialog(&self) {
        let imp = self.imp();
        let Some(doc) = imp.doc.borrow().clone() else {
            return;
        };
        let base = doc.borrow().clone();
        let this = self.downgrade();
        let dialog = crate::ui::vm::hardware::add::AddHardwareDialog::new(
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
        if let Some((conn, _)) = imp.obj().current() {
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

    pub(super) fn device_op(&self, op: DeviceOp, xml: String) {
        let Some((conn, vm)) = self.current() else {
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
