//! Everything a person can do from the window, as GActions: menus, buttons, shortcuts
//! and tests all go through these.

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use super::Window;
use crate::backend::domain::Action;
use crate::backend::Error;
use crate::i18n::{gettext, gettext_f};
use crate::model::{ConnStatus, Connection, Vm};
use crate::ui::error;

use super::messages::{action_label, confirm_body, confirm_heading, failed_many, failed_one, Op};

/// (action name, lifecycle action, settings key of its confirmation).
const LIFECYCLE: &[(&str, Action, Option<&str>)] = &[
    ("start", Action::Start, None),
    ("pause", Action::Pause, Some("confirm-pause")),
    ("resume", Action::Resume, None),
    ("shutdown", Action::Shutdown, Some("confirm-shutdown")),
    ("reboot", Action::Reboot, Some("confirm-reboot")),
    ("reset", Action::Reset, Some("confirm-reset")),
    ("force-off", Action::ForceOff, Some("confirm-force-off")),
    ("save", Action::Save, None),
    ("restore", Action::Restore, None),
    ("discard-save", Action::DiscardSave, None),
];

/// The accelerators that work anywhere in the window: none of them is a key a text
/// field needs.
pub const ACCELS: &[(&str, &[&str])] = &[
    ("win.search", &["<Primary>f"]),
    ("win.add-connection", &["<Primary><Shift>n"]),
    ("win.new-vm", &["<Primary>n"]),
];

/// The accelerators of the VM list: they act on the selected machines, so they work
/// only while the list has the keyboard focus. Window-wide, Delete typed in a text
/// field asked to delete the machine and Ctrl+A selected every machine.
pub const LIST_ACCELS: &[(&str, &str)] = &[
    ("win.start", "<Primary>Return"),
    ("win.pause", "<Primary>p"),
    ("win.resume", "<Primary><Shift>p"),
    ("win.shutdown", "<Primary><Shift>Return"),
    ("win.reboot", "<Primary><Shift>r"),
    ("win.force-off", "<Primary><Shift>Delete"),
    ("win.rename", "F2"),
    ("win.delete", "Delete"),
    ("win.select-all", "<Primary>a"),
];

impl Window {
    pub(super) fn setup_actions(&self) {
        for (name, action, confirm) in LIFECYCLE {
            let a = gio::SimpleAction::new(name, None);
            let this = self.downgrade();
            let (action, confirm) = (*action, *confirm);
            a.connect_activate(move |_, _| {
                if let Some(this) = this.upgrade() {
                    this.lifecycle(action, confirm);
                }
            });
            self.add_action(&a);
        }
        let autostart = gio::SimpleAction::new_stateful("autostart", None, &false.to_variant());
        let this = self.downgrade();
        autostart.connect_activate(move |a, _| {
            let Some(this) = this.upgrade() else { return };
            let on = !a.state().and_then(|v| v.get::<bool>()).unwrap_or(false);
            this.set_autostart(on);
        });
        self.add_action(&autostart);

        type Handler = fn(&Window);
        let entries: Vec<(&str, Handler)> = vec![
            ("rename", Window::rename_dialog),
            ("delete", Window::delete_dialog),
            ("clone", Window::clone_dialog),
            ("migrate", Window::migrate_dialog),
            ("take-snapshot", Window::take_snapshot),
            ("new-vm", Window::new_vm_wizard),
            ("add-connection", Window::add_connection_dialog),
            ("connect", Window::connect_selected),
            ("disconnect", Window::disconnect_selected),
            ("remove-connection", Window::remove_connection),
            ("search", Window::toggle_search),
            ("select-all", Window::select_all),
        ];
        for (name, f) in entries {
            let a = gio::SimpleAction::new(name, None);
            let this = self.downgrade();
            a.connect_activate(move |_, _| {
                if let Some(this) = this.upgrade() {
                    f(&this);
                }
            });
            self.add_action(&a);
        }
        self.add_action(&self.settings().create_action("sort-key"));
        self.setup_list_shortcuts();
    }

    /// [`LIST_ACCELS`] on the VM list, in its bubble phase: a key reaches them only
    /// from the list or one of its rows.
    fn setup_list_shortcuts(&self) {
        let controller = gtk::ShortcutController::new();
        controller.set_scope(gtk::ShortcutScope::Local);
        for (action, accel) in LIST_ACCELS {
            let trigger = gtk::ShortcutTrigger::parse_string(accel);
            let shortcut = gtk::Shortcut::new(trigger, Some(gtk::NamedAction::new(action)));
            controller.add_shortcut(shortcut);
        }
        self.list_view().add_controller(controller);
    }

    /// Enable exactly the actions that fit the selection.
    pub(super) fn update_actions(&self) {
        let vms = self.selected_vms();
        let enable = |name: &str, on: bool| {
            if let Some(a) = self.lookup_action(name).and_downcast::<gio::SimpleAction>() {
                a.set_enabled(on);
            }
        };
        for (name, action, _) in LIFECYCLE {
            let on = vms.iter().any(|(_, v)| {
                !v.busy() && action.applies_to(v.domain_state(), v.has_managed_save())
            });
            enable(name, on);
        }
        let persistent: Vec<&Vm> = vms
            .iter()
            .map(|(_, v)| v)
            .filter(|v| v.persistent())
            .collect();
        enable("autostart", !persistent.is_empty());
        if let Some(a) = self
            .lookup_action("autostart")
            .and_downcast::<gio::SimpleAction>()
        {
            let all_on = !persistent.is_empty() && persistent.iter().all(|v| v.autostart());
            a.set_state(&all_on.to_variant());
        }
        enable("rename", vms.len() == 1 && vms[0].1.persistent());
        enable("delete", !vms.is_empty());
        enable("clone", vms.len() == 1 && vms[0].1.persistent());
        enable("migrate", !vms.is_empty());
        enable(
            "take-snapshot",
            vms.len() == 1 && vms[0].1.persistent() && !vms[0].1.busy(),
        );
        let conns = self.selected_connections();
        let conn = conns.first();
        let status = conn.map(|c| c.status());
        enable(
            "connect",
            matches!(
                status,
                Some(ConnStatus::Disconnected | ConnStatus::Failed | ConnStatus::Lost)
            ),
        );
        enable(
            "disconnect",
            matches!(
                status,
                Some(ConnStatus::Connected | ConnStatus::Connecting | ConnStatus::Lost)
            ),
        );
        enable("remove-connection", conn.is_some());
    }

    fn toggle_search(&self) {
        let bar = &self.imp().search_bar;
        let on = !bar.is_search_mode();
        bar.set_search_mode(on);
        if on {
            self.imp().search_entry.grab_focus();
        }
    }

    fn select_all(&self) {
        self.selection().select_all();
    }

    /// Run `action` on every selected VM it applies to, asking first when the
    /// preferences say so.
    fn lifecycle(&self, action: Action, confirm_key: Option<&str>) {
        let targets: Vec<(Connection, Vm)> = self
            .selected_vms()
            .into_iter()
            .filter(|(_, v)| !v.busy() && action.applies_to(v.domain_state(), v.has_managed_save()))
            .collect();
        if targets.is_empty() {
            return;
        }
        let ask = confirm_key
            .map(|k| self.settings().boolean(k))
            .unwrap_or(false);
        if !ask {
            self.run_lifecycle(targets, action);
            return;
        }
        let names: Vec<String> = targets.iter().map(|(_, v)| v.name()).collect();
        let heading = confirm_heading(action, &names);
        let dialog =
            adw::MessageDialog::new(Some(self), Some(&heading), Some(&confirm_body(action)));
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("ok", &action_label(action));
        let destructive = matches!(action, Action::ForceOff | Action::Reset);
        dialog.set_response_appearance(
            "ok",
            if destructive {
                adw::ResponseAppearance::Destructive
            } else {
                adw::ResponseAppearance::Suggested
            },
        );
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        let this = self.downgrade();
        dialog.connect_response(None, move |_, r| {
            if r == "ok" {
                if let Some(this) = this.upgrade() {
                    this.run_lifecycle(targets.clone(), action);
                }
            }
        });
        dialog.present();
    }

    /// Run without asking (also the entry point for tests).
    pub fn run_lifecycle(&self, targets: Vec<(Connection, Vm)>, action: Action) {
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let mut failures: Vec<(String, Error)> = Vec::new();
            for (conn, vm) in &targets {
                vm.set_busy(true);
                let r = conn.backend().action(vm.uuid(), action).await;
                vm.set_busy(false);
                if let Err(e) = r {
                    failures.push((vm.name(), e));
                }
            }
            let Some(this) = this.upgrade() else { return };
            this.report_failures(Op::Lifecycle(action), failures);
        });
    }

    /// Say what failed: one failure in a dialog with details; several in one dialog.
    pub(super) fn report_failures(&self, op: Op, failures: Vec<(String, Error)>) {
        match failures.len() {
            0 => {}
            1 => {
                let (name, e) = &failures[0];
                error::show_dialog(self, &failed_one(op, name), e);
            }
            n => {
                let text: Vec<String> = failures
                    .iter()
                    .map(|(name, e)| format!("{name}: {}", e.summary()))
                    .collect();
                error::show_dialog(
                    self,
                    &failed_many(op, n),
                    &Error::InvalidInput(text.join("\n")),
                );
            }
        }
    }

    fn set_autostart(&self, on: bool) {
        let targets: Vec<(Connection, Vm)> = self
            .selected_vms()
            .into_iter()
            .filter(|(_, v)| v.persistent())
            .collect();
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let mut failures = Vec::new();
            for (conn, vm) in &targets {
                if let Err(e) = conn.backend().set_autostart(vm.uuid(), on).await {
                    failures.push((vm.name(), e));
                }
            }
            if let Some(this) = this.upgrade() {
                this.report_failures(Op::Autostart, failures);
            }
        });
    }

    fn rename_dialog(&self) {
        let Some((conn, vm)) = self.selected_vms().into_iter().next() else {
            return;
        };
        let dialog = adw::MessageDialog::new(
            Some(self),
            Some(&gettext_f("Rename “{name}”", &[("name", &vm.name())])),
            None,
        );
        let entry = gtk::Entry::builder()
            .text(vm.name())
            .activates_default(true)
            .build();
        entry.update_property(&[gtk::accessible::Property::Label(&gettext("New name"))]);
        let hint = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["error", "caption"])
            .visible(false)
            .build();
        let content = gtk::Box::new(gtk::Orientation::Vertical, 6);
        content.append(&entry);
        content.append(&hint);
        dialog.set_extra_child(Some(&content));
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("rename", &gettext("_Rename"));
        dialog.set_response_appearance("rename", adw::ResponseAppearance::Suggested);
        dialog.set_default_response(Some("rename"));
        dialog.set_close_response("cancel");
        if vm.domain_state().is_active() {
            dialog.set_body(&gettext(
                "libvirt can only rename a virtual machine that is shut off.",
            ));
            dialog.set_response_enabled("rename", false);
            entry.set_sensitive(false);
        }
        let validate = {
            let dialog = dialog.clone();
            let hint = hint.clone();
            let conn = conn.clone();
            let vm = vm.clone();
            move |text: &str| {
                let t = text.trim();
                let why = if t.is_empty() {
                    Some(gettext("Enter a name."))
                } else if t.contains('/') {
                    Some(gettext("A name cannot contain “/”."))
                } else if t != vm.name() && conn.find_vm(t).is_some_and(|o| o.uuid() != vm.uuid()) {
                    Some(gettext_f("“{name}” is already taken.", &[("name", t)]))
                } else {
                    None
                };
                hint.set_visible(why.is_some());
                hint.set_label(why.as_deref().unwrap_or(""));
                if !vm.domain_state().is_active() {
                    dialog.set_response_enabled("rename", why.is_none() && t != vm.name());
                }
            }
        };
        validate(&vm.name());
        entry.connect_changed(move |e| validate(&e.text()));
        let this = self.downgrade();
        dialog.connect_response(None, move |_, r| {
            if r != "rename" {
                return;
            }
            let new_name = entry.text().trim().to_string();
            let (conn, vm, this) = (conn.clone(), vm.clone(), this.clone());
            glib::spawn_future_local(async move {
                let r = conn.backend().rename(vm.uuid(), new_name).await;
                if let (Err(e), Some(this)) = (r, this.upgrade()) {
                    this.report_failures(Op::Rename, vec![(vm.name(), e)]);
                }
            });
        });
        dialog.present();
    }

    /// New Virtual Machine on the chosen connection: the selected one, the selected
    /// machine's, else the first connected.
    fn new_vm_wizard(&self) {
        let conn = self
            .selected_connections()
            .into_iter()
            .next()
            .or_else(|| self.selected_vms().into_iter().next().map(|(c, _)| c))
            .filter(|c| c.status() == ConnStatus::Connected)
            .or_else(|| {
                self.connections()
                    .iter::<Connection>()
                    .flatten()
                    .find(|c| c.status() == ConnStatus::Connected)
            });
        let Some(conn) = conn else {
            self.toast(&gettext(
                "Connect to a hypervisor first, then make a machine on it",
            ));
            return;
        };
        self.open_new_vm(&conn, None, None);
    }

    /// The New Virtual Machine wizard on `conn`, with a disc image and an OS (a short
    /// or full libosinfo id) filled in when given (`hangar --new-vm --iso --os`).
    pub fn open_new_vm(&self, conn: &Connection, iso: Option<String>, os: Option<String>) {
        let conn = conn.clone();
        let wizard = crate::ui::create::NewVmWizard::new(Some(self.upcast_ref()), &conn);
        wizard.prefill(iso.as_deref(), os.as_deref());
        let this = self.downgrade();
        let c = conn.clone();
        wizard.connect_made(move |made, customize| {
            let Some(this) = this.upgrade() else { return };
            let uuid = made.uuid.clone();
            let c = c.clone();
            // Shown once the list has it: its hardware to customize, else its console.
            let mut waits = 0;
            glib::timeout_add_local(std::time::Duration::from_millis(50), move || {
                waits += 1;
                let Some(vm) = c.vm_by_uuid(&uuid) else {
                    return if waits < 200 {
                        glib::ControlFlow::Continue
                    } else {
                        glib::ControlFlow::Break
                    };
                };
                this.select_item(vm.upcast_ref());
                this.vm_page()
                    .show_page(if customize { "hardware" } else { "console" });
                glib::ControlFlow::Break
            });
        });
        wizard.present();
    }

    /// Clone… for the selected machine (the dialog says when it must be shut off).
    fn clone_dialog(&self) {
        let Some((conn, vm)) = self.selected_vms().into_iter().next() else {
            return;
        };
        crate::ui::vm::clone_dialog::CloneDialog::new(Some(self.upcast_ref()), &conn, &vm)
            .present();
    }

    /// Migrate… for the selected machines (those on the first one's host), to one of
    /// the other connected hosts.
    fn migrate_dialog(&self) {
        let selected = self.selected_vms();
        let Some((conn, _)) = selected.first().cloned() else {
            return;
        };
        let vms: Vec<Vm> = selected
            .into_iter()
            .filter(|(c, _)| *c == conn)
            .map(|(_, v)| v)
            .collect();
        let dests: Vec<Connection> = self
            .connections()
            .iter::<Connection>()
            .flatten()
            .filter(|c| *c != conn && c.status() == ConnStatus::Connected)
            .collect();
        let dialog = crate::ui::vm::migrate_dialog::MigrateDialog::new(
            Some(self.upcast_ref()),
            &conn,
            &vms,
            dests,
        );
        // The machine stays in view: shown on the destination once listed there.
        let this = self.downgrade();
        dialog.connect_moved(move |dest, uuid| {
            let (this, dest, uuid) = (this.clone(), dest.clone(), uuid.to_string());
            let mut waits = 0;
            glib::timeout_add_local(std::time::Duration::from_millis(50), move || {
                waits += 1;
                let (Some(this), Some(vm)) = (this.upgrade(), dest.vm_by_uuid(&uuid)) else {
                    return if waits < 200 {
                        glib::ControlFlow::Continue
                    } else {
                        glib::ControlFlow::Break
                    };
                };
                this.select_item(vm.upcast_ref());
                glib::ControlFlow::Break
            });
        });
        dialog.present();
    }

    /// Take Snapshot in one click for the selected machine; a toast says how it went.
    fn take_snapshot(&self) {
        let Some((conn, vm)) = self.selected_vms().into_iter().next() else {
            return;
        };
        let this = self.downgrade();
        let name = vm.name();
        crate::ui::vm::snapshots::quick::take_now(&conn, &vm, move |r| {
            let Some(this) = this.upgrade() else { return };
            match r {
                Ok(snap) => this.toast(&gettext_f(
                    "Snapshot “{snapshot}” of {name} taken",
                    &[("snapshot", &snap), ("name", &name)],
                )),
                Err(e) => error::show_dialog(
                    &this,
                    &gettext_f("Could not take a snapshot of {name}", &[("name", &name)]),
                    &e,
                ),
            }
        });
    }

    fn add_connection_dialog(&self) {
        let dialog = crate::ui::window::add_connection::AddConnectionDialog::new(self);
        let this = self.downgrade();
        dialog.connect_done(move |uri, autoconnect| {
            let Some(this) = this.upgrade() else { return };
            this.add_connection(&uri, autoconnect);
        });
        dialog.present();
    }

    /// Add (or, when it is known already, select) a connection and connect to it.
    pub fn add_connection(&self, uri: &str, autoconnect: bool) {
        let store = self.connections();
        if let Some(existing) = store
            .iter::<Connection>()
            .flatten()
            .find(|c| c.uri() == uri)
        {
            if existing.status() != ConnStatus::Connected {
                existing.connect_now();
            }
            self.select_item(existing.upcast_ref());
            return;
        }
        let conn = Connection::new(uri, autoconnect, true);
        self.watch_connection(&conn);
        store.append(&conn);
        crate::settings::save_connections(self.settings(), store);
        conn.connect_now();
        self.select_item(conn.upcast_ref());
    }

    fn connect_selected(&self) {
        for c in self.selected_connections() {
            c.connect_now();
        }
    }

    fn disconnect_selected(&self) {
        for c in self.selected_connections() {
            c.disconnect_now();
        }
    }

    fn remove_connection(&self) {
        let conns = self.selected_connections();
        let store = self.connections();
        for c in conns {
            c.disconnect_now();
            c.backend().shutdown();
            if let Some(pos) = store.find(&c) {
                store.remove(pos);
            }
        }
        crate::settings::save_connections(self.settings(), store);
        self.update_selection();
    }

    /// Follow a connection: credentials, failures, domain changes.
    pub fn watch_connection(&self, conn: &Connection) {
        let this = self.downgrade();
        conn.connect_local("auth-requested", false, move |args| {
            let this = this.upgrade()?;
            let req = args[1].get::<glib::BoxedAnyObject>().ok()?;
            this.ask_credentials(req);
            None
        });
        let this = self.downgrade();
        conn.connect_status_notify(move |c| {
            let Some(this) = this.upgrade() else { return };
            if c.status() == ConnStatus::Failed {
                let e = Error::ConnectFailed {
                    uri: c.uri(),
                    message: c.status_message(),
                };
                this.toast(&crate::i18n::gettext_f(
                    "Could not connect to {name}: {reason}",
                    &[("name", &c.label()), ("reason", &c.status_message())],
                ));
                tracing::info!("{}", e.details());
            }
            this.update_actions();
        });
        let this = self.downgrade();
        conn.connect_local("domains-updated", false, move |_| {
            if let Some(this) = this.upgrade() {
                if this.imp().state_filter.selected() != 0 {
                    this.refilter();
                }
                this.resort_if(&["state", "memory"]);
                this.update_actions();
            }
            None
        });
    }

    fn ask_credentials(&self, req: glib::BoxedAnyObject) {
        let (uri, fields, reply) = {
            let r = req.borrow::<crate::backend::conn::worker::AuthRequest>();
            (r.uri.clone(), r.fields.clone(), r.reply.clone())
        };
        let dialog = adw::MessageDialog::new(
            Some(self),
            Some(&gettext("Authentication Required")),
            Some(&gettext_f("{uri} asks for credentials.", &[("uri", &uri)])),
        );
        let content = gtk::Box::new(gtk::Orientation::Vertical, 6);
        let mut editables: Vec<gtk::Editable> = Vec::new();
        for f in &fields {
            let label = gtk::Label::builder().label(&f.prompt).xalign(0.0).build();
            content.append(&label);
            let e: gtk::Editable = if f.secret {
                gtk::PasswordEntry::builder()
                    .show_peek_icon(true)
                    .activates_default(true)
                    .build()
                    .upcast()
            } else {
                gtk::Entry::builder()
                    .text(&f.default)
                    .activates_default(true)
                    .build()
                    .upcast()
            };
            e.update_property(&[gtk::accessible::Property::Label(&f.prompt)]);
            content.append(&e);
            editables.push(e);
        }
        dialog.set_extra_child(Some(&content));
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("ok", &gettext("_Connect"));
        dialog.set_response_appearance("ok", adw::ResponseAppearance::Suggested);
        dialog.set_default_response(Some("ok"));
        dialog.set_close_response("cancel");
        dialog.connect_response(None, move |_, r| {
            let answer =
                (r == "ok").then(|| editables.iter().map(|e| e.text().to_string()).collect());
            let _ = reply.try_send(answer);
        });
        dialog.present();
    }
}
