//! The Console tab of a VM: the VNC display with its toolbar, and a clear page for
//! every other state (not running, connecting, password, disconnected, error).

use std::cell::{Cell, RefCell};
use std::time::Duration;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use super::display::{DisplayEvent, Scaling, VncDisplay};
use crate::backend::conn::worker::VncSocket;
use crate::backend::console::keymap::evdev;
use crate::backend::domain::Action;
use crate::backend::Error;
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Vm};
use crate::ui::error;

/// The state the page shows, by stack page name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleState {
    NoVm,
    NotRunning,
    Connecting,
    Password,
    Connected,
    Disconnected,
    Error,
    Detached,
}

impl ConsoleState {
    pub fn page_name(self) -> &'static str {
        match self {
            ConsoleState::NoVm => "none",
            ConsoleState::NotRunning => "stopped",
            ConsoleState::Connecting => "connecting",
            ConsoleState::Password => "password",
            ConsoleState::Connected => "display",
            ConsoleState::Disconnected => "disconnected",
            ConsoleState::Error => "error",
            ConsoleState::Detached => "detached",
        }
    }
}

/// The settings key listing the VMs (by UUID) that share the clipboard.
const CLIPBOARD_KEY: &str = "console-clipboard-vms";

/// How long the VNC handshake may take before the page gives up.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);

/// The send-key menu: label and evdev codes pressed in order.
fn send_key_combos() -> Vec<(String, String, Vec<u32>)> {
    let mut v = vec![
        (
            "ctrl-alt-del".to_string(),
            gettext("Ctrl+Alt+Delete"),
            vec![evdev::LEFTCTRL, evdev::LEFTALT, evdev::DELETE],
        ),
        (
            "ctrl-alt-backspace".to_string(),
            gettext("Ctrl+Alt+Backspace"),
            vec![evdev::LEFTCTRL, evdev::LEFTALT, evdev::BACKSPACE],
        ),
    ];
    for n in 1..=12u32 {
        if let Some(f) = evdev::function_key(n) {
            v.push((
                format!("ctrl-alt-f{n}"),
                gettext_f("Ctrl+Alt+F{n}", &[("n", &n.to_string())]),
                vec![evdev::LEFTCTRL, evdev::LEFTALT, f],
            ));
        }
    }
    v.push((
        "print".to_string(),
        gettext("Print Screen"),
        vec![evdev::SYSRQ],
    ));
    v
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct ConsolePage {
        pub stack: gtk::Stack,
        pub display: VncDisplay,
        pub scroller: gtk::ScrolledWindow,
        pub toolbar: gtk::Box,
        pub fit_button: gtk::ToggleButton,
        pub clipboard_button: gtk::ToggleButton,
        pub resize_button: gtk::ToggleButton,
        /// Says how to get the keyboard (and pointer) back while the guest has them.
        pub grab_hint: gtk::Label,
        pub settings: RefCell<Option<gio::Settings>>,
        pub fullscreen_button: gtk::Button,
        pub detach_button: gtk::Button,
        pub stopped_page: adw::StatusPage,
        pub connecting_page: adw::StatusPage,
        pub password_page: adw::StatusPage,
        pub password_entry: gtk::PasswordEntry,
        pub password_error: gtk::Label,
        pub remember_check: gtk::CheckButton,
        /// The password typed and whether to remember it, until the server answers.
        pub pending_password: RefCell<Option<(String, bool)>>,
        /// The password sent came from the keyring.
        pub using_stored: Cell<bool>,
        /// The keyring's password was refused for this VM: ask the person instead.
        pub stored_refused: Cell<bool>,
        /// A keyring look-up is under way (the handshake waits for it, not the timer).
        pub looking_up: Cell<bool>,
        /// How often the password prompt was shown (for tests).
        pub prompts: Cell<u32>,
        pub disconnected_page: adw::StatusPage,
        pub error_page: adw::StatusPage,
        pub detached_page: adw::StatusPage,
        pub current: RefCell<Option<(Connection, Vm)>>,
        pub vm_handler: RefCell<Option<glib::SignalHandlerId>>,
        pub state: Cell<Option<ConsoleState>>,
        /// Bumped at each connection attempt, so late answers of an old one are dropped.
        pub attempt: Cell<u64>,
        /// How long a handshake may take ([`HANDSHAKE_TIMEOUT`]; tests shorten it).
        pub handshake_timeout: Cell<Option<Duration>>,
        pub retries: Cell<u32>,
        pub retry_source: RefCell<Option<glib::SourceId>>,
        /// The reason of the last failure, kept for the disconnected page.
        pub last_error: RefCell<Option<String>>,
        pub auth_failed: Cell<bool>,
        /// Ask libvirt for the socket (no password) when the connection is local.
        pub prefer_fd: Cell<bool>,
        pub detached: RefCell<Option<gtk::Window>>,
        /// This page lives in a window of its own (detached): offer fullscreen.
        pub standalone: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ConsolePage {
        const NAME: &'static str = "HangarConsolePage";
        type Type = super::ConsolePage;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for ConsolePage {
        fn signals() -> &'static [glib::subclass::Signal] {
            static SIGNALS: std::sync::OnceLock<Vec<glib::subclass::Signal>> =
                std::sync::OnceLock::new();
            // "Open in a New Window": whoever placed this page moves its console to a
            // window of its own (`console::window::detach`).
            SIGNALS
                .get_or_init(|| vec![glib::subclass::Signal::builder("detach-requested").build()])
        }

        fn constructed(&self) {
            self.parent_constructed();
            self.prefer_fd.set(true);
            self.obj().build();
        }

        fn dispose(&self) {
            self.obj().set_vm(None);
            if let Some(w) = self.detached.take() {
                w.destroy();
            }
        }
    }
    impl WidgetImpl for ConsolePage {
        fn map(&self) {
            self.parent_map();
            self.obj().ensure_connected();
        }
    }
    impl BoxImpl for ConsolePage {}
}

glib::wrapper! {
    pub struct ConsolePage(ObjectSubclass<imp::ConsolePage>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for ConsolePage {
    fn default() -> Self {
        glib::Object::builder()
            .property("orientation", gtk::Orientation::Vertical)
            .build()
    }
}

fn status_page(icon: &str, title: &str) -> adw::StatusPage {
    adw::StatusPage::builder()
        .icon_name(icon)
        .title(title)
        .vexpand(true)
        .build()
}

fn pill(label: &str, action: impl Fn() + 'static) -> gtk::Button {
    let b = gtk::Button::builder()
        .label(label)
        .use_underline(true)
        .halign(gtk::Align::Center)
        .css_classes(["pill", "suggested-action"])
        .build();
    b.connect_clicked(move |_| action());
    b
}

fn icon_button(icon: &str, tooltip: &str) -> gtk::Button {
    let b = gtk::Button::builder()
        .icon_name(icon)
        .tooltip_text(tooltip)
        .css_classes(["flat"])
        .build();
    b.update_property(&[gtk::accessible::Property::Label(tooltip)]);
    b
}

impl ConsolePage {
    pub fn new() -> ConsolePage {
        ConsolePage::default()
    }

    /// A page for a window of its own (no Detach button, a Fullscreen one).
    pub fn new_standalone() -> ConsolePage {
        let p = ConsolePage::new();
        p.imp().standalone.set(true);
        p.imp().detach_button.set_visible(false);
        p.imp().fullscreen_button.set_visible(true);
        p
    }

    pub fn display(&self) -> &VncDisplay {
        &self.imp().display
    }

    /// Use libvirt's socket (skipping VNC authentication) on local connections: on by
    /// default; off, the page connects over TCP like a remote one (and may ask for the
    /// VNC password).
    pub fn set_prefer_fd(&self, on: bool) {
        self.imp().prefer_fd.set(on);
    }

    pub fn state(&self) -> ConsoleState {
        self.imp().state.get().unwrap_or(ConsoleState::NoVm)
    }

    /// The page shown for a state (for tests and screenshots).
    pub fn password_entry(&self) -> &gtk::PasswordEntry {
        &self.imp().password_entry
    }

    pub fn password_error(&self) -> String {
        self.imp().password_error.label().to_string()
    }

    /// How long the VNC handshake may take before the page gives up (20 s unless set).
    pub fn set_handshake_timeout(&self, timeout: Duration) {
        self.imp().handshake_timeout.set(Some(timeout));
    }

    pub fn error_text(&self) -> String {
        self.imp()
            .error_page
            .description()
            .map(|s| s.to_string())
            .unwrap_or_default()
    }

    fn build(&self) {
        let imp = self.imp();
        self.update_property(&[gtk::accessible::Property::Label(&gettext("Console"))]);

        // Toolbar of the display.
        let toolbar = &imp.toolbar;
        toolbar.set_orientation(gtk::Orientation::Horizontal);
        toolbar.set_spacing(6);
        toolbar.set_margin_start(6);
        toolbar.set_margin_end(6);
        toolbar.set_margin_top(3);
        toolbar.set_margin_bottom(3);

        let send_menu = gio::Menu::new();
        for (id, label, _) in send_key_combos() {
            send_menu.append(Some(&label), Some(&format!("console.send-key::{id}")));
        }
        let send = gtk::MenuButton::builder()
            .icon_name("input-keyboard-symbolic")
            .tooltip_text(gettext("Send Key"))
            .menu_model(&send_menu)
            .css_classes(["flat"])
            .build();
        send.update_property(&[gtk::accessible::Property::Label(&gettext("Send Key"))]);
        toolbar.append(&send);

        imp.fit_button.set_icon_name("zoom-fit-best-symbolic");
        imp.fit_button.set_active(true);
        imp.fit_button.add_css_class("flat");
        imp.fit_button
            .set_tooltip_text(Some(&gettext("Scale to Window")));
        imp.fit_button
            .update_property(&[gtk::accessible::Property::Label(&gettext(
                "Scale to Window",
            ))]);
        let this = self.downgrade();
        imp.fit_button.connect_toggled(move |_| {
            if let Some(this) = this.upgrade() {
                this.apply_scaling();
            }
        });
        toolbar.append(&imp.fit_button);

        // Offered once the guest's display says it can follow the window's size.
        let rs = &imp.resize_button;
        rs.set_icon_name("video-display-symbolic");
        rs.add_css_class("flat");
        rs.set_visible(false);
        rs.set_tooltip_text(Some(&gettext("Resize the Guest to the Window")));
        rs.update_property(&[gtk::accessible::Property::Label(&gettext(
            "Resize the Guest to the Window",
        ))]);
        let this = self.downgrade();
        rs.connect_toggled(move |_| {
            if let Some(this) = this.upgrade() {
                this.apply_scaling();
            }
        });
        toolbar.append(rs);

        // Clipboard sharing, per VM, off until the person turns it on.
        let clip = &imp.clipboard_button;
        clip.set_icon_name("edit-paste-symbolic");
        clip.add_css_class("flat");
        clip.set_tooltip_text(Some(&gettext("Share Clipboard With the Guest")));
        clip.update_property(&[gtk::accessible::Property::Label(&gettext(
            "Share Clipboard With the Guest",
        ))]);
        let this = self.downgrade();
        clip.connect_toggled(move |b| {
            if let Some(this) = this.upgrade() {
                this.set_clipboard_sharing(b.is_active());
            }
        });
        toolbar.append(clip);

        let shot = icon_button("camera-photo-symbolic", &gettext("Save Screenshot"));
        shot.set_action_name(Some("console.screenshot"));
        toolbar.append(&shot);

        let spacer = gtk::Box::new(gtk::Orientation::Horizontal, 0);
        spacer.set_hexpand(true);
        toolbar.append(&spacer);

        // While the guest has the keyboard, say how to get it back.
        let hint = &imp.grab_hint;
        hint.set_label(&gettext("Ctrl+Alt releases the keyboard"));
        hint.add_css_class("dim-label");
        hint.add_css_class("caption");
        hint.set_visible(false);
        imp.display
            .bind_property("has-focus", hint, "visible")
            .sync_create()
            .build();
        toolbar.append(hint);

        let fs = &imp.fullscreen_button;
        fs.set_icon_name("view-fullscreen-symbolic");
        fs.add_css_class("flat");
        fs.set_tooltip_text(Some(&gettext("Fullscreen")));
        fs.update_property(&[gtk::accessible::Property::Label(&gettext("Fullscreen"))]);
        fs.set_action_name(Some("console.fullscreen"));
        fs.set_visible(false);
        toolbar.append(fs);

        let det = &imp.detach_button;
        det.set_icon_name("window-new-symbolic");
        det.add_css_class("flat");
        det.set_tooltip_text(Some(&gettext("Open in a New Window")));
        det.update_property(&[gtk::accessible::Property::Label(&gettext(
            "Open in a New Window",
        ))]);
        det.set_action_name(Some("console.detach"));
        toolbar.append(det);

        imp.display
            .update_property(&[gtk::accessible::Property::Label(&gettext("Guest Screen"))]);
        imp.scroller.set_child(Some(&imp.display));
        imp.scroller.set_vexpand(true);
        imp.scroller.set_hexpand(true);
        imp.scroller
            .set_policy(gtk::PolicyType::Never, gtk::PolicyType::Never);
        let display_box = gtk::Box::new(gtk::Orientation::Vertical, 0);
        display_box.append(toolbar);
        display_box.append(&gtk::Separator::new(gtk::Orientation::Horizontal));
        display_box.append(&imp.scroller);
        let this = self.downgrade();
        imp.display.connect_event(move |_, e| {
            if let Some(this) = this.upgrade() {
                this.on_display_event(e);
            }
        });

        // The state pages.
        let stack = &imp.stack;
        stack.set_vexpand(true);
        stack.add_named(
            &status_page("computer-symbolic", &gettext("No Virtual Machine")),
            Some("none"),
        );

        imp.stopped_page
            .set_icon_name(Some("system-shutdown-symbolic"));
        imp.stopped_page
            .set_title(&gettext("The Virtual Machine Is Not Running"));
        imp.stopped_page.set_vexpand(true);
        let this = self.downgrade();
        let run = pill(&gettext("_Run"), move || {
            if let Some(this) = this.upgrade() {
                this.start_vm();
            }
        });
        run.update_property(&[gtk::accessible::Property::Label(&gettext("Run"))]);
        imp.stopped_page.set_child(Some(&run));
        stack.add_named(&imp.stopped_page, Some("stopped"));

        imp.connecting_page.set_title(&gettext("Connecting…"));
        imp.connecting_page.set_vexpand(true);
        // Spins only while its page shows: a spinning spinner keeps the frame clock
        // running (and the main thread busy) even on a hidden page.
        let spinner = gtk::Spinner::builder()
            .spinning(false)
            .width_request(32)
            .height_request(32)
            .halign(gtk::Align::Center)
            .build();
        spinner.update_property(&[gtk::accessible::Property::Label(&gettext("Connecting"))]);
        imp.connecting_page.set_child(Some(&spinner));
        stack.add_named(&imp.connecting_page, Some("connecting"));
        let sp = spinner.clone();
        stack.connect_visible_child_name_notify(move |st| {
            sp.set_spinning(st.visible_child_name().as_deref() == Some("connecting"));
        });

        imp.password_page
            .set_icon_name(Some("dialog-password-symbolic"));
        imp.password_page.set_title(&gettext("Password Required"));
        imp.password_page.set_description(Some(&gettext(
            "The display of this virtual machine is protected by a password.",
        )));
        imp.password_page.set_vexpand(true);
        let form = gtk::Box::new(gtk::Orientation::Vertical, 12);
        form.set_halign(gtk::Align::Center);
        form.set_width_request(300);
        imp.password_entry.set_show_peek_icon(true);
        imp.password_entry.set_activates_default(false);
        imp.password_entry
            .update_property(&[gtk::accessible::Property::Label(&gettext("VNC Password"))]);
        let this = self.downgrade();
        imp.password_entry.connect_activate(move |_| {
            if let Some(this) = this.upgrade() {
                this.submit_password();
            }
        });
        imp.password_error.add_css_class("error");
        imp.password_error.set_wrap(true);
        // Wrapped to the form's width, not one long line that widens it.
        imp.password_error.set_max_width_chars(40);
        imp.password_error.set_justify(gtk::Justification::Center);
        imp.password_error.set_visible(false);
        let this = self.downgrade();
        let connect = pill(&gettext("_Connect"), move || {
            if let Some(this) = this.upgrade() {
                this.submit_password();
            }
        });
        connect.update_property(&[gtk::accessible::Property::Label(&gettext("Connect"))]);
        imp.remember_check
            .set_label(Some(&gettext("_Remember the password in the keyring")));
        imp.remember_check.set_use_underline(true);
        imp.remember_check.set_active(false);
        form.append(&imp.password_entry);
        form.append(&imp.remember_check);
        form.append(&imp.password_error);
        form.append(&connect);
        imp.password_page.set_child(Some(&form));
        stack.add_named(&imp.password_page, Some("password"));

        stack.add_named(&display_box, Some("display"));

        imp.disconnected_page
            .set_icon_name(Some("network-offline-symbolic"));
        imp.disconnected_page.set_title(&gettext("Disconnected"));
        imp.disconnected_page.set_vexpand(true);
        let this = self.downgrade();
        let again = pill(&gettext("_Reconnect"), move || {
            if let Some(this) = this.upgrade() {
                this.reconnect();
            }
        });
        again.update_property(&[gtk::accessible::Property::Label(&gettext("Reconnect"))]);
        imp.disconnected_page.set_child(Some(&again));
        stack.add_named(&imp.disconnected_page, Some("disconnected"));

        imp.error_page.set_icon_name(Some("dialog-error-symbolic"));
        imp.error_page
            .set_title(&gettext("The Console Is Not Available"));
        imp.error_page.set_vexpand(true);
        let this = self.downgrade();
        let retry = pill(&gettext("_Try Again"), move || {
            if let Some(this) = this.upgrade() {
                this.reconnect();
            }
        });
        retry.update_property(&[gtk::accessible::Property::Label(&gettext("Try Again"))]);
        imp.error_page.set_child(Some(&retry));
        stack.add_named(&imp.error_page, Some("error"));

        imp.detached_page.set_icon_name(Some("window-new-symbolic"));
        imp.detached_page
            .set_title(&gettext("The Console Is in Its Own Window"));
        imp.detached_page.set_vexpand(true);
        let this = self.downgrade();
        let back = pill(&gettext("_Bring Back"), move || {
            if let Some(this) = this.upgrade() {
                if let Some(w) = this.imp().detached.take() {
                    w.destroy();
                }
                this.attach();
            }
        });
        back.update_property(&[gtk::accessible::Property::Label(&gettext("Bring Back"))]);
        imp.detached_page.set_child(Some(&back));
        stack.add_named(&imp.detached_page, Some("detached"));

        self.append(stack);
        self.setup_actions();
        self.set_state(ConsoleState::NoVm);
    }

    fn setup_actions(&self) {
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
    fn set_clipboard_sharing(&self, on: bool) {
        let imp = self.imp();
        imp.display.set_clipboard_sharing(on);
        let Some((_, vm)) = self.vm() else { return };
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

    fn settings(&self) -> gio::Settings {
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
    fn sync_clipboard_sharing(&self) {
        let Some((_, vm)) = self.vm() else { return };
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
    fn apply_scaling(&self) {
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

    fn set_scaling(&self, s: Scaling) {
        let imp = self.imp();
        imp.display.set_scaling(s);
        let p = match s {
            Scaling::Fit | Scaling::Resize => gtk::PolicyType::Never,
            Scaling::Original => gtk::PolicyType::Automatic,
        };
        imp.scroller.set_policy(p, p);
    }

    fn set_state(&self, s: ConsoleState) {
        let imp = self.imp();
        imp.state.set(Some(s));
        imp.stack.set_visible_child_name(s.page_name());
        if s == ConsoleState::Connected {
            imp.display.grab_focus();
        }
    }

    /// Show the console of `vm` (or nothing).
    pub fn set_vm(&self, target: Option<(&Connection, &Vm)>) {
        let imp = self.imp();
        let same = match (imp.current.borrow().as_ref(), target) {
            (Some((c, v)), Some((c2, v2))) => c == c2 && v == v2,
            (None, None) => true,
            _ => false,
        };
        if same {
            return;
        }
        if let Some((_, old)) = imp.current.take() {
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
        let Some((conn, vm)) = target else {
            self.set_state(ConsoleState::NoVm);
            return;
        };
        imp.current.replace(Some((conn.clone(), vm.clone())));
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

    /// The connection and VM shown.
    pub fn vm(&self) -> Option<(Connection, Vm)> {
        self.imp().current.borrow().clone()
    }

    fn vm_state_changed(&self) {
        let Some((_, vm)) = self.vm() else { return };
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
    fn stop(&self) {
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
        let Some((_, vm)) = self.vm() else { return };
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

    fn connect_display(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = self.vm() else { return };
        let attempt = imp.attempt.get() + 1;
        imp.attempt.set(attempt);
        imp.last_error.replace(None);
        imp.auth_failed.set(false);
        self.set_state(ConsoleState::Connecting);
        let prefer_fd = imp.prefer_fd.get();
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().open_vnc(vm.uuid(), prefer_fd).await;
            let Some(this) = this.upgrade() else { return };
            let imp = this.imp();
            if imp.attempt.get() != attempt {
                return; // superseded (another VM, closed, reconnecting)
            }
            let opened = match r {
                Ok(VncSocket::Fd(fd)) => imp.display.open_fd(fd),
                Ok(VncSocket::Tcp { host, port }) => imp.display.open_host(&host, port),
                Ok(VncSocket::Ssh(spec)) => {
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
                Ok(VncSocket::NoDisplay { spice }) => {
                    this.show_error(&if spice {
                        gettext(
                            "This virtual machine has a SPICE display only. Add a VNC \
                             display to its hardware to see it here.",
                        )
                    } else {
                        gettext("This virtual machine has no VNC display.")
                    });
                    return;
                }
                Ok(VncSocket::Unreachable) => {
                    this.show_error(&gettext(
                        "The VNC display listens only where Hangar cannot reach it.",
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

    fn show_error(&self, reason: &str) {
        let imp = self.imp();
        imp.display.close();
        imp.error_page.set_description(Some(reason));
        self.set_state(ConsoleState::Error);
    }

    fn on_display_event(&self, e: &DisplayEvent) {
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
                self.set_state(ConsoleState::Connected);
            }
            DisplayEvent::Resized { .. } => {}
            DisplayEvent::GuestResizeAvailable => imp.resize_button.set_visible(true),
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

    fn disconnected(&self) {
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
            let Some((_, vm)) = this.vm() else { return };
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

    fn show_password_prompt(&self) {
        let imp = self.imp();
        imp.password_entry.set_text("");
        imp.prompts.set(imp.prompts.get() + 1);
        self.set_state(ConsoleState::Password);
        imp.password_entry.grab_focus();
    }

    /// Answer the server with the password remembered in the keyring, if there is one;
    /// else ask. The look-up is asynchronous; the page shows "Connecting" meanwhile.
    fn try_stored_password(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = self.vm() else { return };
        let attempt = imp.attempt.get();
        imp.looking_up.set(true);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let pw = super::keyring::lookup(&conn.uri(), &vm.uuid()).await;
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
    fn remember_password(&self, pw: String) {
        let Some((conn, vm)) = self.vm() else { return };
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = super::keyring::store(&conn.uri(), &vm.uuid(), &vm.name(), &pw).await;
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

    fn submit_password(&self) {
        let imp = self.imp();
        let pw = imp.password_entry.text().to_string();
        imp.pending_password
            .replace(Some((pw.clone(), imp.remember_check.is_active())));
        imp.using_stored.set(false);
        imp.password_error.set_visible(false);
        self.set_state(ConsoleState::Connecting);
        imp.display.set_credentials(None, &pw);
    }

    fn start_vm(&self) {
        let Some((conn, vm)) = self.vm() else { return };
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

    fn ask_screenshot(&self) {
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
            .vm()
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

    fn attach(&self) {
        if self.state() == ConsoleState::Detached {
            self.set_state(ConsoleState::Disconnected);
            self.imp().retries.set(0);
            self.vm_state_changed();
            if self.imp().display.is_open() {
                return;
            }
            if self.vm().is_some_and(|(_, v)| v.domain_state().is_active()) {
                self.connect_display();
            }
        }
    }

    /// The detached window, if any.
    pub fn detached_window(&self) -> Option<gtk::Window> {
        self.imp().detached.borrow().clone()
    }
}
