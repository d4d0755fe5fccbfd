//! Following a VM and the connection of its display: when to connect, the state
//! pages, passwords (and the keyring), and starting the machine from the page.

use super::*;

impl ConsolePage {
    pub(super) fn set_state(&self, s: ConsoleState) {
        let imp = self.imp();
        imp.state.set(Some(s));
        imp.stack.set_visible_child_name(s.page_name());
        if s == ConsoleState::Connected {
            imp.display.grab_focus();
        }
    }

    /// Show the console of `vm` (or nothing).
    pub fn set_vm(&self, vm: Option<&Vm>) {
        let imp = self.imp();
        if imp.vm.borrow().as_ref() == vm {
            return;
        }
        if let Some(old) = imp.vm.take() {
            if let Some(h) = imp.vm_handler.take() {
                old.disconnect(h);
            }
        }
        if let Some(w) = imp.detached.take() {
            w.destroy();
        }
        self.stop();
        imp.clipboard_button.set_active(false);
        imp.display.set_clipboard_sharing(false);
        imp.stored_refused.set(false);
        imp.using_stored.set(false);
        imp.pending_password.replace(None);
        imp.remember_check.set_active(false);
        imp.want_protocol.set(None);
        imp.protocol.set(None);
        imp.offered.borrow_mut().clear();
        self.update_switch_button();
        self.notify("vm");
        let Some(vm) = vm else {
            self.set_state(ConsoleState::NoVm);
            return;
        };
        imp.vm.replace(Some(vm.clone()));
        self.sync_clipboard_sharing();
        let this = self.downgrade();
        let h = vm.connect_notify_local(Some("state"), move |_, _| {
            if let Some(this) = this.upgrade() {
                this.vm_state_changed();
            }
        });
        imp.vm_handler.replace(Some(h));
        imp.retries.set(0);
        self.vm_state_changed();
    }

    /// The machine shown and its connection.
    pub fn current(&self) -> Option<(Connection, Vm)> {
        let vm = self.imp().vm.borrow().clone()?;
        Some((Connection::of(&vm)?, vm))
    }

    pub(super) fn vm_state_changed(&self) {
        let Some((_, vm)) = self.current() else {
            return;
        };
        if self.state() == ConsoleState::Detached {
            return;
        }
        if vm.domain_state().is_active() {
            if !self.imp().display.is_open() {
                self.imp().retries.set(0);
                self.ensure_connected();
            }
        } else {
            self.stop();
            self.set_state(ConsoleState::NotRunning);
        }
    }

    /// Close the display and forget pending retries.
    pub(super) fn stop(&self) {
        let imp = self.imp();
        imp.attempt.set(imp.attempt.get() + 1);
        if let Some(s) = imp.retry_source.take() {
            s.remove();
        }
        imp.display.close();
    }

    /// Connect if the guest runs, the page is on screen and nothing is open yet.
    pub fn ensure_connected(&self) {
        let imp = self.imp();
        let Some((_, vm)) = self.current() else {
            return;
        };
        if !self.is_mapped() || imp.display.is_open() {
            return;
        }
        if matches!(
            self.state(),
            ConsoleState::Detached | ConsoleState::Connecting | ConsoleState::Password
        ) {
            return;
        }
        if !vm.domain_state().is_active() {
            self.set_state(ConsoleState::NotRunning);
            return;
        }
        self.connect_display();
    }

    /// Connect again now (the Reconnect and Try Again buttons).
    pub fn reconnect(&self) {
        self.stop();
        self.imp().retries.set(0);
        self.set_state(ConsoleState::Disconnected);
        self.connect_display();
    }

    pub(super) fn connect_display(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = self.current() else {
            return;
        };
        let attempt = imp.attempt.get() + 1;
        imp.attempt.set(attempt);
        imp.last_error.replace(None);
        imp.auth_failed.set(false);
        self.set_state(ConsoleState::Connecting);
        let prefer_fd = imp.prefer_fd.get();
        let want = imp.want_protocol.get();
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn
                .backend()
                .open_display(vm.uuid(), prefer_fd, want)
                .await;
            let Some(this) = this.upgrade() else { return };
            let imp = this.imp();
            if imp.attempt.get() != attempt {
                return; // superseded (another VM, closed, reconnecting)
            }
            let r = r.map(|way| {
                imp.protocol.set(Some(way.protocol));
                imp.offered.replace(way.offered);
                this.update_switch_button();
                let tls = super::spice::SpiceTls {
                    port: way.tls_port,
                    ca: way.tls_ca,
                    needed: way.needs_tls,
                    tunnel: way.tls_tunnel,
                };
                (way.protocol, way.index, way.socket, tls)
            });
            let opened = match r {
                Ok((
                    Protocol::Spice,
                    index,
                    socket @ (VncSocket::Fd(_) | VncSocket::Tcp { .. } | VncSocket::Ssh(_)),
                    tls,
                )) => this.open_spice(&conn, &vm, index, socket, tls),
                Ok((_, _, VncSocket::Fd(fd), _)) => imp.display.open_fd(fd),
                Ok((_, _, VncSocket::Tcp { host, port }, _)) => imp.display.open_host(&host, port),
                Ok((_, _, VncSocket::Ssh(spec), _)) => {
                    // ssh connects and authenticates on a thread of its own.
                    let r = gio::spawn_blocking(move || spec.open()).await;
                    if imp.attempt.get() != attempt {
                        return;
                    }
                    match r {
                        Ok(Ok(tunnel)) => imp.display.open_tunnel(tunnel),
                        Ok(Err(reason)) => Err(gettext_f(
                            "The SSH tunnel to the display failed: {reason}",
                            &[("reason", &reason)],
                        )),
                        Err(_) => Err(gettext("The SSH tunnel to the display failed.")),
                    }
                }
                Ok((_, _, VncSocket::NoDisplay { .. }, _)) => {
                    this.show_error(&gettext(
                        "This virtual machine has no display. Add a SPICE or VNC display \
                         to its hardware to see it here.",
                    ));
                    return;
                }
                Ok((_, _, VncSocket::Unreachable, _)) => {
                    this.show_error(&gettext(
                        "The display listens only where Hangar cannot reach it.",
                    ));
                    return;
                }
                Err(Error::InvalidState(_)) | Err(Error::NoSuchDomain(_))
                    if !vm.domain_state().is_active() =>
                {
                    this.set_state(ConsoleState::NotRunning);
                    return;
                }
                Err(e) => {
                    this.show_error(&e.summary());
                    return;
                }
            };
            if let Err(e) = opened {
                this.show_error(&e);
                return;
            }
            // A server that accepts and then says nothing must not leave a spinner
            // forever.
            let weak = this.downgrade();
            let timeout = this
                .imp()
                .handshake_timeout
                .get()
                .unwrap_or(HANDSHAKE_TIMEOUT);
            glib::timeout_add_local_once(timeout, move || {
                if let Some(this) = weak.upgrade() {
                    if this.imp().attempt.get() == attempt
                        && this.state() == ConsoleState::Connecting
                        && !this.imp().looking_up.get()
                    {
                        this.show_error(&gettext("The display did not answer."));
                    }
                }
            });
        });
    }

    pub(super) fn show_error(&self, reason: &str) {
        let imp = self.imp();
        imp.display.close();
        imp.error_page.set_description(Some(reason));
        self.set_state(ConsoleState::Error);
    }

    pub(super) fn on_display_event(&self, e: &DisplayEvent) {
        let imp = self.imp();
        match e {
            DisplayEvent::Connected => {}
            DisplayEvent::AuthRequired { .. } => {
                if imp.stored_refused.get() {
                    self.show_password_prompt();
                } else {
                    self.try_stored_password();
                }
            }
            DisplayEvent::AuthFailed(reason) => {
                imp.auth_failed.set(true);
                imp.pending_password.replace(None);
                let msg = if imp.using_stored.replace(false) {
                    imp.stored_refused.set(true);
                    gettext_f(
                        "The password remembered in the keyring was not accepted: {reason}",
                        &[("reason", reason)],
                    )
                } else if reason.is_empty() {
                    gettext("The password was not accepted.")
                } else {
                    gettext_f(
                        "The password was not accepted: {reason}",
                        &[("reason", reason)],
                    )
                };
                imp.password_error.set_label(&msg);
                imp.password_error.set_visible(true);
            }
            DisplayEvent::AuthUnsupported => {
                imp.last_error.replace(Some(gettext(
                    "The display asks for an authentication method Hangar does not support.",
                )));
            }
            DisplayEvent::Initialized { .. } => {
                imp.retries.set(0);
                imp.resize_button
                    .set_visible(imp.display.can_resize_guest());
                imp.password_error.set_visible(false);
                imp.using_stored.set(false);
                if let Some((pw, true)) = imp.pending_password.take() {
                    self.remember_password(pw);
                }
                self.update_media_buttons();
                self.set_state(ConsoleState::Connected);
            }
            DisplayEvent::Resized { .. } => {}
            DisplayEvent::GuestResizeAvailable => imp.resize_button.set_visible(true),
            DisplayEvent::FeaturesChanged => self.update_media_buttons(),
            DisplayEvent::FilesCopied(r) => self.files_copied(r),
            DisplayEvent::PointerGrab(on) => imp.grab_hint.set_label(&if *on {
                gettext("Ctrl+Alt releases the pointer and keyboard")
            } else {
                gettext("Ctrl+Alt releases the keyboard")
            }),
            DisplayEvent::Error(m) => {
                imp.last_error.replace(Some(m.clone()));
            }
            DisplayEvent::Disconnected => self.disconnected(),
        }
    }

    pub(super) fn disconnected(&self) {
        let imp = self.imp();
        if imp.auth_failed.get() {
            // Ask again; the server closes after a refused password.
            imp.auth_failed.set(false);
            let this = self.downgrade();
            glib::timeout_add_local_once(Duration::from_millis(200), move || {
                if let Some(this) = this.upgrade() {
                    this.connect_display();
                }
            });
            return;
        }
        let reason = imp.last_error.borrow().clone();
        let state = self.state();
        let (title, desc) = match &reason {
            Some(r) => (gettext("Disconnected"), Some(r.clone())),
            None => (
                gettext("Disconnected"),
                Some(gettext("The display closed the connection.")),
            ),
        };
        if state == ConsoleState::Connecting || state == ConsoleState::Password {
            // Never got the screen: a handshake that failed is an error with its reason.
            if imp.retries.get() >= 2 {
                self.show_error(&desc.unwrap_or_default());
                return;
            }
        }
        imp.disconnected_page.set_title(&title);
        imp.disconnected_page.set_description(desc.as_deref());
        self.set_state(ConsoleState::Disconnected);
        // The guest may be rebooting, stopping or restarting: look again shortly.
        let n = imp.retries.get();
        imp.retries.set(n + 1);
        let delay = [300u64, 1000, 2000, 4000, 8000][(n as usize).min(4)];
        let this = self.downgrade();
        let id = glib::timeout_add_local_once(Duration::from_millis(delay), move || {
            let Some(this) = this.upgrade() else { return };
            this.imp().retry_source.replace(None);
            let Some((_, vm)) = this.current() else {
                return;
            };
            if this.state() != ConsoleState::Disconnected {
                return;
            }
            if !vm.domain_state().is_active() {
                this.set_state(ConsoleState::NotRunning);
            } else if this.imp().retries.get() <= 5 {
                this.connect_display();
            }
        });
        if let Some(old) = imp.retry_source.replace(Some(id)) {
            old.remove();
        }
    }

    pub(super) fn show_password_prompt(&self) {
        let imp = self.imp();
        imp.password_entry.set_text("");
        imp.prompts.set(imp.prompts.get() + 1);
        self.set_state(ConsoleState::Password);
        imp.password_entry.grab_focus();
    }

    /// Answer the server with the password remembered in the keyring, if there is one;
    /// else ask. The look-up is asynchronous; the page shows "Connecting" meanwhile.
    pub(super) fn try_stored_password(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = self.current() else {
            return;
        };
        let attempt = imp.attempt.get();
        imp.looking_up.set(true);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let pw = crate::ui::console::keyring::lookup(&conn.uri(), &vm.uuid()).await;
            let Some(this) = this.upgrade() else { return };
            let imp = this.imp();
            imp.looking_up.set(false);
            if imp.attempt.get() != attempt || !imp.display.is_open() {
                return;
            }
            match pw {
                Some(pw) => {
                    imp.using_stored.set(true);
                    imp.display.set_credentials(None, &pw);
                }
                None => this.show_password_prompt(),
            }
        });
    }

    /// The typed password worked and the person asked to remember it.
    pub(super) fn remember_password(&self, pw: String) {
        let Some((conn, vm)) = self.current() else {
            return;
        };
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r =
                crate::ui::console::keyring::store(&conn.uri(), &vm.uuid(), &vm.name(), &pw).await;
            let Some(this) = this.upgrade() else { return };
            match r {
                Ok(()) => this.imp().stored_refused.set(false),
                Err(e) => {
                    tracing::warn!("could not store the VNC password: {e}");
                    if let Some(win) = this.root().and_downcast::<gtk::Window>() {
                        error::show_dialog(
                            &win,
                            &gettext("Could not remember the password"),
                            &Error::Io(e),
                        );
                    }
                }
            }
        });
    }

    /// Whether "Remember the password" is ticked.
    pub fn remember_password_ticked(&self) -> bool {
        self.imp().remember_check.is_active()
    }

    /// How often the password prompt was shown since the page was made.
    pub fn password_prompts(&self) -> u32 {
        self.imp().prompts.get()
    }

    pub(super) fn submit_password(&self) {
        let imp = self.imp();
        let pw = imp.password_entry.text().to_string();
        imp.pending_password
            .replace(Some((pw.clone(), imp.remember_check.is_active())));
        imp.using_stored.set(false);
        imp.password_error.set_visible(false);
        self.set_state(ConsoleState::Connecting);
        imp.display.set_credentials(None, &pw);
    }

    pub(super) fn start_vm(&self) {
        let Some((conn, vm)) = self.current() else {
            return;
        };
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            vm.set_busy(true);
            let r = conn.backend().action(vm.uuid(), Action::Start).await;
            vm.set_busy(false);
            if let (Err(e), Some(this)) = (r, this.upgrade()) {
                if let Some(win) = this.root().and_downcast::<gtk::Window>() {
                    error::show_dialog(
                        &win,
                        &gettext_f("Could not run “{name}”", &[("name", &vm.name())]),
                        &e,
                    );
                }
            }
        });
    }
}
