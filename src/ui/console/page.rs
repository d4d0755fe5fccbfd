//! The Console tab of a VM: the SPICE or VNC display with its toolbar, and a clear page
//! for every other state (not running, connecting, password, disconnected, error).

use std::cell::{Cell, RefCell};
use std::time::Duration;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use super::display::{DisplayEvent, GuestDisplay, Scaling};
use crate::backend::conn::worker::VncSocket;
use crate::backend::console::keymap::evdev;
use crate::backend::console::Protocol;
use crate::backend::domain::Action;
use crate::backend::Error;
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Vm};
use crate::ui::error;

mod actions;

mod session;

mod media;
mod spice;

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
        pub display: GuestDisplay,
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
        /// SPICE: the host's USB devices to redirect, and the guest's sound.
        pub usb_button: gtk::MenuButton,
        pub usb_list: gtk::Box,
        pub mute_button: gtk::ToggleButton,
        /// A passing word in the toolbar (files copied into the guest, or why not).
        pub status_label: gtk::Label,
        pub status_timer: RefCell<Option<glib::SourceId>>,
        /// Shows the guest's other display (VNC or SPICE) when it has both.
        pub switch_button: gtk::Button,
        pub error_switch_button: gtk::Button,
        /// The protocol asked for (the switch button), the one shown, those offered.
        pub want_protocol: Cell<Option<Protocol>>,
        pub protocol: Cell<Option<Protocol>>,
        pub offered: RefCell<Vec<Protocol>>,
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
        /// The machine shown (its connection is `Connection::of` it).
        pub vm: RefCell<Option<Vm>>,
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
        vm_property!();

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

    pub fn display(&self) -> &GuestDisplay {
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

        self.build_media_buttons(toolbar);

        let sw = &imp.switch_button;
        sw.set_icon_name("view-dual-symbolic");
        sw.add_css_class("flat");
        sw.set_action_name(Some("console.switch-display"));
        sw.set_visible(false);
        toolbar.append(sw);

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
            .update_property(&[gtk::accessible::Property::Label(&gettext(
                "Display Password",
            ))]);
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
        // A guest with both displays: the other one, when this one fails.
        let other = &imp.error_switch_button;
        other.set_action_name(Some("console.switch-display"));
        other.add_css_class("pill");
        other.set_halign(gtk::Align::Center);
        other.set_visible(false);
        let buttons = gtk::Box::new(gtk::Orientation::Vertical, 12);
        buttons.append(&retry);
        buttons.append(other);
        imp.error_page.set_child(Some(&buttons));
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
}
