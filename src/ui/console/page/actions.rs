//! What the console's toolbar and menus do: scaling, resizing the guest, clipboard
//! sharing, screenshots, and moving the console to a window of its own and back.

use super::*;

impl ConsolePage {
    pub(super) fn ask_screenshot(&self) {
        let Some(texture) = self.imp().display.current_texture() else {
            return;
        };
        let win = self.root().and_downcast::<gtk::Window>();
        let chooser = gtk::FileChooserNative::new(
            Some(&gettext("Save Screenshot")),
            win.as_ref(),
            gtk::FileChooserAction::Save,
            Some(&gettext("_Save")),
            Some(&gettext("_Cancel")),
        );
        let name = self
            .current()
            .map(|(_, v)| v.name())
            .unwrap_or_else(|| "console".into());
        let stamp = glib::DateTime::now_local()
            .and_then(|d| d.format("%Y-%m-%d %H-%M-%S"))
            .map(|s| s.to_string())
            .unwrap_or_default();
        chooser.set_current_name(&format!("{name} {stamp}.png"));
        let this = self.downgrade();
        chooser.connect_response(move |c, r| {
            if r == gtk::ResponseType::Accept {
                if let (Some(path), Some(this)) = (c.file().and_then(|f| f.path()), this.upgrade())
                {
                    if let Err(e) = texture.save_to_png(&path) {
                        if let Some(win) = this.root().and_downcast::<gtk::Window>() {
                            error::show_dialog(
                                &win,
                                &gettext("Could not save the screenshot"),
                                &Error::Io(e.to_string()),
                            );
                        }
                    }
                }
            }
            c.destroy();
        });
        chooser.show();
    }

    /// Save the guest screen as PNG (the screenshot action without the file dialog).
    pub fn save_screenshot(&self, path: &std::path::Path) -> Result<(), String> {
        let t = self
            .imp()
            .display
            .current_texture()
            .ok_or_else(|| gettext("The console shows no screen"))?;
        t.save_to_png(path).map_err(|e| e.to_string())
    }

    /// The console went to a window of its own (`win`): this page says where it
    /// went, and takes the console back when that window closes.
    pub(crate) fn set_detached(&self, win: &gtk::Window) {
        self.stop();
        self.set_state(ConsoleState::Detached);
        let this = self.downgrade();
        win.connect_close_request(move |_| {
            if let Some(this) = this.upgrade() {
                this.imp().detached.replace(None);
                this.attach();
            }
            glib::Propagation::Proceed
        });
        self.imp().detached.replace(Some(win.clone()));
    }

    pub(super) fn attach(&self) {
        if self.state() == ConsoleState::Detached {
            self.set_state(ConsoleState::Disconnected);
            self.imp().retries.set(0);
            self.vm_state_changed();
            if self.imp().display.is_open() {
                return;
            }
            if self
                .current()
                .is_some_and(|(_, v)| v.domain_state().is_active())
            {
                self.connect_display();
            }
        }
    }

    /// The detached window, if any.
    pub fn detached_window(&self) -> Option<gtk::Window> {
        self.imp().detached.borrow().clone()
    }

    pub(super) fn setup_actions(&self) {
        let group = gio::SimpleActionGroup::new();
        let send = gio::SimpleAction::new("send-key", Some(glib::VariantTy::STRING));
        let this = self.downgrade();
        send.connect_activate(move |_, p| {
            let (Some(this), Some(id)) = (this.upgrade(), p.and_then(|p| p.str())) else {
                return;
            };
            if let Some((_, _, keys)) = send_key_combos().into_iter().find(|(i, _, _)| i == id) {
                this.imp().display.send_keys(&keys);
            }
        });
        group.add_action(&send);
        let shot = gio::SimpleAction::new("screenshot", None);
        let this = self.downgrade();
        shot.connect_activate(move |_, _| {
            if let Some(this) = this.upgrade() {
                this.ask_screenshot();
            }
        });
        group.add_action(&shot);
        let detach = gio::SimpleAction::new("detach", None);
        let this = self.downgrade();
        detach.connect_activate(move |_, _| {
            if let Some(this) = this.upgrade() {
                this.emit_by_name::<()>("detach-requested", &[]);
            }
        });
        group.add_action(&detach);
        let switch = gio::SimpleAction::new("switch-display", None);
        let this = self.downgrade();
        switch.connect_activate(move |_, _| {
            if let Some(this) = this.upgrade() {
                this.switch_protocol();
            }
        });
        group.add_action(&switch);
        let fs = gio::SimpleAction::new("fullscreen", None);
        let this = self.downgrade();
        fs.connect_activate(move |_, _| {
            if let Some(win) = this
                .upgrade()
                .and_then(|t| t.root())
                .and_downcast::<gtk::Window>()
            {
                win.set_fullscreened(!win.is_fullscreen());
            }
        });
        group.add_action(&fs);
        self.insert_action_group("console", Some(&group));
    }

    /// Share the clipboard with the current VM's guest, and remember it for that VM.
    pub(super) fn set_clipboard_sharing(&self, on: bool) {
        let imp = self.imp();
        imp.display.set_clipboard_sharing(on);
        let Some((_, vm)) = self.current() else {
            return;
        };
        let settings = self.settings();
        let uuid = vm.uuid();
        let mut vms: Vec<String> = settings
            .strv(CLIPBOARD_KEY)
            .iter()
            .map(|s| s.to_string())
            .collect();
        if vms.contains(&uuid) == on {
            return;
        }
        vms.retain(|u| *u != uuid);
        if on {
            vms.push(uuid);
        }
        if let Err(e) = settings.set_strv(CLIPBOARD_KEY, vms) {
            tracing::warn!("could not remember clipboard sharing: {e}");
        }
    }

    pub(super) fn settings(&self) -> gio::Settings {
        self.imp()
            .settings
            .borrow_mut()
            .get_or_insert_with(|| {
                let s = crate::settings::settings();
                // The same VM's console in another window may switch it.
                let this = self.downgrade();
                s.connect_changed(Some(CLIPBOARD_KEY), move |_, _| {
                    if let Some(this) = this.upgrade() {
                        this.sync_clipboard_sharing();
                    }
                });
                s
            })
            .clone()
    }

    /// Show and apply what is remembered for the current VM.
    pub(super) fn sync_clipboard_sharing(&self) {
        let Some((_, vm)) = self.current() else {
            return;
        };
        let uuid = vm.uuid();
        let shared = self
            .settings()
            .strv(CLIPBOARD_KEY)
            .iter()
            .any(|u| *u == uuid);
        let imp = self.imp();
        imp.display.set_clipboard_sharing(shared);
        if imp.clipboard_button.is_active() != shared {
            imp.clipboard_button.set_active(shared);
        }
    }

    /// Whether the clipboard is shared with the current VM's guest.
    pub fn clipboard_sharing(&self) -> bool {
        self.imp().clipboard_button.is_active()
    }

    /// Turn clipboard sharing on or off as the toolbar button does (for tests).
    pub fn toggle_clipboard_sharing(&self, on: bool) {
        self.imp().clipboard_button.set_active(on);
    }

    /// The scaling the toolbar asks for: the guest follows the window when that is on
    /// (the display draws as "fit" until the guest can), else fit or 1:1.
    pub(super) fn apply_scaling(&self) {
        let imp = self.imp();
        let s = if imp.resize_button.is_active() {
            Scaling::Resize
        } else if imp.fit_button.is_active() {
            Scaling::Fit
        } else {
            Scaling::Original
        };
        imp.fit_button.set_sensitive(s != Scaling::Resize);
        self.set_scaling(s);
    }

    /// Resize the guest to the window (the toolbar button; for tests).
    pub fn set_resize_guest(&self, on: bool) {
        self.imp().resize_button.set_active(on);
    }

    /// The hint shown while the guest has the keyboard (and maybe the pointer).
    pub fn grab_hint(&self) -> String {
        self.imp().grab_hint.label().to_string()
    }

    /// Whether the toolbar offers resizing the guest.
    pub fn offers_resize_guest(&self) -> bool {
        self.imp().resize_button.is_visible()
    }

    pub(super) fn set_scaling(&self, s: Scaling) {
        let imp = self.imp();
        imp.display.set_scaling(s);
        let p = match s {
            Scaling::Fit | Scaling::Resize => gtk::PolicyType::Never,
            Scaling::Original => gtk::PolicyType::Automatic,
        };
        imp.scroller.set_policy(p, p);
    }
}
