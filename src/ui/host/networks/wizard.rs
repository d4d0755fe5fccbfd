//! The creation wizard: an `AdwWindow` in three steps (name and mode; addresses;
//! DNS, static hosts and MTU) and a summary. Every field is checked as it is typed
//! (`backend::network::form::check_form`), the message shows under the field, and
//! Next and Create stay off until what they need is valid.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use crate::backend::network::check::HostAddr;
use crate::backend::network::form::{
    check_form, default_form, Field, FieldProblem, FormContext, NetworkForm,
};
use crate::backend::network::{HostIface, MacvtapMode, NetworkMode, NetworkSpec};
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Network};

mod steps;

mod summary;

mod devices;

const MODES: &[NetworkMode] = &[
    NetworkMode::Nat,
    NetworkMode::Route,
    NetworkMode::Open,
    NetworkMode::Isolated,
    NetworkMode::Bridge,
    NetworkMode::Macvtap(MacvtapMode::Bridge),
    NetworkMode::Macvtap(MacvtapMode::Vepa),
    NetworkMode::Macvtap(MacvtapMode::Private),
    NetworkMode::Macvtap(MacvtapMode::Passthrough),
];

/// Which fields each step holds (Next needs them valid).
fn step_fields(step: u32) -> &'static [Field] {
    match step {
        0 => &[Field::Name, Field::Device, Field::Bridge],
        1 => &[
            Field::Ipv4Net,
            Field::Ipv4Gateway,
            Field::Dhcp4,
            Field::Dhcp4End,
            Field::Ipv6Net,
            Field::Ipv6Gateway,
            Field::Dhcp6,
            Field::Dhcp6End,
        ],
        2 => &[Field::Domain, Field::Mtu, Field::Hosts, Field::DnsHosts],
        _ => &[],
    }
}

/// One text field: its widget, the label under it, whether it was touched.
struct Input {
    get: Box<dyn Fn() -> String>,
    set: Box<dyn Fn(&str)>,
    error: gtk::Label,
}

pub struct Inner {
    conn: Connection,
    stack: gtk::Stack,
    step: Cell<u32>,
    back: gtk::Button,
    next: gtk::Button,
    create: gtk::Button,
    inputs: RefCell<HashMap<Field, Input>>,
    touched: RefCell<std::collections::HashSet<Field>>,
    /// Fields the person typed in (not filled in by the wizard): a gateway or range
    /// typed by hand no longer follows the network.
    edited: RefCell<std::collections::HashSet<Field>>,
    /// Set while the wizard itself fills fields in.
    filling: Cell<bool>,
    mode: gtk::DropDown,
    device: gtk::DropDown,
    device_names: RefCell<Vec<Option<String>>>,
    ipv4: gtk::Switch,
    dhcp4: gtk::Switch,
    ipv6: gtk::Switch,
    dhcp6: gtk::Switch,
    autostart: gtk::Switch,
    ctx: RefCell<FormContext>,
    host: RefCell<Vec<HostIface>>,
    summary: gtk::TextView,
    /// The summary's rows: what will be made, in words.
    summary_rows: gtk::ListBox,
    bridge_help: gtk::Label,
    /// Make a bridge here (local connections): the safe way, not the commands.
    bridge_make: gtk::Button,
    problems: RefCell<Vec<FieldProblem>>,
    spec: RefCell<Option<NetworkSpec>>,
    step_titles: Vec<String>,
    title: adw::WindowTitle,
    busy: Cell<bool>,
}

mod imp {
    use std::cell::OnceCell;

    use adw::subclass::prelude::*;
    use gtk::glib;
    use gtk::prelude::*;

    #[derive(Default)]
    pub struct NetworkWizard {
        pub inner: OnceCell<super::Inner>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for NetworkWizard {
        const NAME: &'static str = "HangarNetworkWizard";
        type Type = super::NetworkWizard;
        type ParentType = adw::Window;
    }

    impl ObjectImpl for NetworkWizard {
        fn signals() -> &'static [glib::subclass::Signal] {
            static SIGNALS: std::sync::OnceLock<Vec<glib::subclass::Signal>> =
                std::sync::OnceLock::new();
            SIGNALS.get_or_init(|| {
                // The network was made: its UUID.
                vec![glib::subclass::Signal::builder("created")
                    .param_types([String::static_type()])
                    .build()]
            })
        }
    }
    impl WidgetImpl for NetworkWizard {}
    impl WindowImpl for NetworkWizard {}
    impl AdwWindowImpl for NetworkWizard {}
}

glib::wrapper! {
    /// The wizard: a window that GTK keeps alive while it is shown, whoever opened it
    /// (the page's button drops its handle at once).
    pub struct NetworkWizard(ObjectSubclass<imp::NetworkWizard>)
        @extends adw::Window, gtk::Window, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Native,
                    gtk::Root, gtk::ShortcutManager;
}

impl std::ops::Deref for NetworkWizard {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        self.imp()
            .inner
            .get()
            .expect("the wizard's state is set in new")
    }
}

fn field_box(
    title: &str,
    widget: &impl IsA<gtk::Widget>,
    hint: Option<&str>,
) -> (gtk::Box, gtk::Label) {
    let b = gtk::Box::new(gtk::Orientation::Vertical, 4);
    let l = gtk::Label::builder()
        .label(title)
        .xalign(0.0)
        .css_classes(["heading"])
        .build();
    // A text view in a scrolled window is the field itself.
    match widget
        .dynamic_cast_ref::<gtk::ScrolledWindow>()
        .and_then(|s| s.child())
    {
        Some(inner) => l.set_mnemonic_widget(Some(&inner)),
        None => l.set_mnemonic_widget(Some(widget)),
    }
    b.append(&l);
    b.append(widget);
    if let Some(h) = hint {
        b.append(
            &gtk::Label::builder()
                .label(h)
                .xalign(0.0)
                .wrap(true)
                .css_classes(["dim-label", "caption"])
                .build(),
        );
    }
    let err = gtk::Label::builder()
        .xalign(0.0)
        .wrap(true)
        .visible(false)
        .css_classes(["error", "caption"])
        .build();
    err.set_accessible_role(gtk::AccessibleRole::Alert);
    b.append(&err);
    (b, err)
}

fn switch_row(title: &str, active: bool) -> (gtk::Box, gtk::Switch) {
    let b = gtk::Box::new(gtk::Orientation::Horizontal, 12);
    let l = gtk::Label::builder()
        .label(title)
        .xalign(0.0)
        .hexpand(true)
        .build();
    let s = gtk::Switch::builder()
        .active(active)
        .valign(gtk::Align::Center)
        .build();
    s.update_property(&[gtk::accessible::Property::Label(title)]);
    b.append(&l);
    b.append(&s);
    (b, s)
}

fn page() -> gtk::Box {
    let b = gtk::Box::new(gtk::Orientation::Vertical, 14);
    b.set_margin_top(18);
    b.set_margin_bottom(18);
    b.set_margin_start(24);
    b.set_margin_end(24);
    b
}

impl NetworkWizard {
    pub fn new(parent: Option<&gtk::Window>, conn: &Connection) -> NetworkWizard {
        let window: NetworkWizard = glib::Object::builder()
            .property("modal", true)
            .property("default-width", 560)
            .property("default-height", 640)
            .property("title", gettext("New Virtual Network"))
            .build();
        if let Some(p) = parent {
            window.set_transient_for(Some(p));
        }
        let mut ctx = FormContext::default();
        for n in conn.networks().iter::<Network>().flatten() {
            let info = n.info();
            ctx.names.push(info.name.clone());
            ctx.nets.push((info.name.clone(), info.nets()));
            if let Some(b) = &info.bridge {
                ctx.libvirt_bridges.push(b.clone());
            }
        }
        let labels: Vec<String> = MODES.iter().map(super::labels::mode_label).collect();
        let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let mode = gtk::DropDown::from_strings(&label_refs);
        let device = gtk::DropDown::from_strings(&[]);
        let title = adw::WindowTitle::new(&gettext("New Virtual Network"), "");
        let inner = Inner {
            conn: conn.clone(),
            stack: gtk::Stack::builder()
                .transition_type(gtk::StackTransitionType::SlideLeftRight)
                .vexpand(true)
                .build(),
            step: Cell::new(0),
            back: gtk::Button::with_mnemonic(&gettext("_Back")),
            next: gtk::Button::with_mnemonic(&gettext("_Next")),
            create: gtk::Button::with_mnemonic(&gettext("C_reate")),
            inputs: RefCell::new(HashMap::new()),
            touched: RefCell::new(Default::default()),
            edited: RefCell::new(Default::default()),
            filling: Cell::new(false),
            mode,
            device,
            device_names: RefCell::new(vec![None]),
            ipv4: gtk::Switch::new(),
            dhcp4: gtk::Switch::new(),
            ipv6: gtk::Switch::new(),
            dhcp6: gtk::Switch::new(),
            autostart: gtk::Switch::new(),
            ctx: RefCell::new(ctx),
            host: RefCell::new(Vec::new()),
            summary: gtk::TextView::builder()
                .editable(false)
                .monospace(true)
                .wrap_mode(gtk::WrapMode::WordChar)
                .top_margin(6)
                .left_margin(6)
                .right_margin(6)
                .bottom_margin(6)
                .build(),
            summary_rows: gtk::ListBox::builder()
                .selection_mode(gtk::SelectionMode::None)
                .css_classes(["boxed-list"])
                .build(),
            bridge_make: gtk::Button::builder()
                .label(gettext("_Make a Bridge…"))
                .use_underline(true)
                .halign(gtk::Align::Start)
                .visible(false)
                .css_classes(["pill"])
                .build(),
            bridge_help: gtk::Label::builder()
                .xalign(0.0)
                .wrap(true)
                .selectable(true)
                .visible(false)
                .css_classes(["caption"])
                .build(),
            problems: RefCell::new(Vec::new()),
            spec: RefCell::new(None),
            step_titles: vec![
                gettext("Name and Mode"),
                gettext("Addresses"),
                gettext("DNS and Hosts"),
                gettext("Summary"),
            ],
            title,
            busy: Cell::new(false),
        };
        let w = window;
        if w.imp().inner.set(inner).is_err() {
            unreachable!("a new wizard has no state yet");
        }
        w.build();
        w.fill(&default_form(&w.ctx.borrow()));
        w.load_host();
        w.go_to(0);
        w
    }

    pub fn window(&self) -> &adw::Window {
        self.upcast_ref()
    }

    fn add_entry(
        &self,
        parent: &gtk::Box,
        field: Field,
        title: &str,
        hint: Option<&str>,
    ) -> gtk::Entry {
        // Named by its label (the label's mnemonic widget); a label property as well
        // would make screen readers say the name twice.
        let e = gtk::Entry::new();
        let (b, err) = field_box(title, &e, hint);
        parent.append(&b);
        let this = self.downgrade();
        e.connect_changed(move |_| {
            if let Some(inner) = this.upgrade() {
                inner.typed(field);
            }
        });
        let (g, s) = (e.clone(), e.clone());
        self.inputs.borrow_mut().insert(
            field,
            Input {
                get: Box::new(move || g.text().to_string()),
                set: Box::new(move |t| s.set_text(t)),
                error: err,
            },
        );
        e
    }

    fn add_text(&self, parent: &gtk::Box, field: Field, title: &str, hint: &str) {
        let v = gtk::TextView::builder()
            .monospace(true)
            .top_margin(6)
            .bottom_margin(6)
            .left_margin(6)
            .right_margin(6)
            .build();
        let sc = gtk::ScrolledWindow::builder()
            .child(&v)
            .min_content_height(70)
            .css_classes(["card"])
            .build();
        let (b, err) = field_box(title, &sc, Some(hint));
        parent.append(&b);
        let this = self.downgrade();
        v.buffer().connect_changed(move |_| {
            if let Some(inner) = this.upgrade() {
                inner.typed(field);
            }
        });
        let (g, s) = (v.buffer(), v.buffer());
        self.inputs.borrow_mut().insert(
            field,
            Input {
                get: Box::new(move || {
                    let (a, b) = g.bounds();
                    g.text(&a, &b, false).to_string()
                }),
                set: Box::new(move |t| s.set_text(t)),
                error: err,
            },
        );
    }

    fn build(&self) {
        let i = self;
        // Step 1: name, mode, device, bridge.
        let p = page();
        self.add_entry(&p, Field::Name, &gettext("Name"), None);
        let (mb, _) = field_box(&gettext("Mode"), &i.mode, None);
        p.append(&mb);
        let mode_hint = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["dim-label", "caption"])
            .build();
        mb.append(&mode_hint);
        let (db, derr) = field_box(&gettext("Host Interface"), &i.device, None);
        p.append(&db);
        db.append(&i.bridge_help);
        db.append(&i.bridge_make);
        let this = self.downgrade();
        i.bridge_make.connect_clicked(move |b| {
            let Some(w) = this.upgrade() else { return };
            let nic = w.bridge_candidate();
            let parent = b.root().and_downcast::<gtk::Window>();
            let again = w.downgrade();
            super::interfaces::open_make_bridge(parent.as_ref(), &w.conn, nic, move || {
                if let Some(w) = again.upgrade() {
                    w.load_host();
                }
            });
        });
        // The device's problem shows under the dropdown.
        let dd = i.device.clone();
        let names = self.downgrade();
        i.inputs.borrow_mut().insert(
            Field::Device,
            Input {
                get: Box::new(move || {
                    names
                        .upgrade()
                        .and_then(|n| {
                            n.device_names
                                .borrow()
                                .get(dd.selected() as usize)
                                .cloned()
                                .flatten()
                        })
                        .unwrap_or_default()
                }),
                set: Box::new(|_| {}),
                error: derr,
            },
        );
        let bridge_entry = self.add_entry(
            &p,
            Field::Bridge,
            &gettext("Bridge Name"),
            Some(&gettext("Leave empty and libvirt picks virbrN.")),
        );
        let (ab, asw) = switch_row(&gettext("Start with the Host"), true);
        i.autostart.set_active(asw.is_active());
        asw.bind_property("active", &i.autostart, "active").build();
        let this = self.downgrade();
        i.autostart.connect_active_notify(move |_| {
            if let Some(inner) = this.upgrade() {
                inner.revalidate();
            }
        });
        p.append(&ab);
        i.stack.add_named(&p, Some("0"));
        let this = self.downgrade();
        let hint = mode_hint.clone();
        i.mode.connect_selected_notify(move |d| {
            let Some(inner) = this.upgrade() else { return };
            let mode = MODES
                .get(d.selected() as usize)
                .cloned()
                .unwrap_or_default();
            hint.set_label(&mode_hint_text(&mode));
            // Only the modes where libvirt makes the bridge ask for its name.
            if let Some(b) = bridge_entry.parent() {
                b.set_visible(mode.has_own_bridge());
            }
            let w = inner;
            w.fill_devices(&mode);
            w.revalidate();
        });
        let this = self.downgrade();
        i.device.connect_selected_notify(move |_| {
            if let Some(inner) = this.upgrade() {
                inner.touched.borrow_mut().insert(Field::Device);
                inner.revalidate();
            }
        });
        mode_hint.set_label(&mode_hint_text(&NetworkMode::Nat));

        // Step 2: addresses. A part switched off hides its fields.
        let p = page();
        let (b, s) = switch_row(&gettext("IPv4"), true);
        s.bind_property("active", &i.ipv4, "active")
            .bidirectional()
            .sync_create()
            .build();
        p.append(&b);
        let v4 = page_box();
        v4.set_spacing(14);
        self.add_entry(
            &v4,
            Field::Ipv4Net,
            &gettext("IPv4 Network"),
            Some(&gettext("In CIDR notation, e.g. 192.168.100.0/24.")),
        );
        self.add_entry(&v4, Field::Ipv4Gateway, &gettext("Gateway"), None);
        let (b, s) = switch_row(&gettext("DHCPv4"), true);
        s.bind_property("active", &i.dhcp4, "active")
            .bidirectional()
            .sync_create()
            .build();
        v4.append(&b);
        let range = self.range_row(Field::Dhcp4, Field::Dhcp4End, "DHCP");
        i.dhcp4
            .bind_property("active", &range, "visible")
            .sync_create()
            .build();
        v4.append(&range);
        i.ipv4
            .bind_property("active", &v4, "visible")
            .sync_create()
            .build();
        p.append(&v4);
        let (b, s) = switch_row(&gettext("IPv6"), false);
        s.bind_property("active", &i.ipv6, "active")
            .bidirectional()
            .sync_create()
            .build();
        p.append(&b);
        let v6 = page_box();
        v6.set_spacing(14);
        self.add_entry(
            &v6,
            Field::Ipv6Net,
            &gettext("IPv6 Network"),
            Some(&gettext("e.g. fd00:100::/64")),
        );
        self.add_entry(&v6, Field::Ipv6Gateway, &gettext("IPv6 Gateway"), None);
        let (b, s) = switch_row(&gettext("DHCPv6"), false);
        s.bind_property("active", &i.dhcp6, "active")
            .bidirectional()
            .sync_create()
            .build();
        v6.append(&b);
        let range6 = self.range_row(Field::Dhcp6, Field::Dhcp6End, "DHCPv6");
        i.dhcp6
            .bind_property("active", &range6, "visible")
            .sync_create()
            .build();
        v6.append(&range6);
        i.ipv6
            .bind_property("active", &v6, "visible")
            .sync_create()
            .build();
        p.append(&v6);
        for s in [&i.ipv4, &i.dhcp4, &i.ipv6, &i.dhcp6] {
            let this = self.downgrade();
            s.connect_active_notify(move |_| {
                if let Some(inner) = this.upgrade() {
                    inner.revalidate();
                }
            });
        }
        let sc = gtk::ScrolledWindow::builder()
            .child(&p)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build();
        i.stack.add_named(&sc, Some("1"));

        // Step 3: DNS, static hosts, MTU.
        let p = page();
        self.add_entry(
            &p,
            Field::Domain,
            &gettext("DNS Domain"),
            Some(&gettext(
                "Optional, e.g. lab.example: guests resolve each other’s names in it.",
            )),
        );
        self.add_text(
            &p,
            Field::Hosts,
            &gettext("Static DHCP Hosts"),
            &gettext("One per line: MAC address or name, then the address. E.g. 52:54:00:12:34:56 192.168.100.10"),
        );
        self.add_text(
            &p,
            Field::DnsHosts,
            &gettext("DNS Host Entries"),
            &gettext("One per line: address, then one or more host names."),
        );
        self.add_entry(
            &p,
            Field::Mtu,
            &gettext("MTU"),
            Some(&gettext("Optional, in bytes.")),
        );
        let sc = gtk::ScrolledWindow::builder()
            .child(&p)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build();
        i.stack.add_named(&sc, Some("2"));

        // Step 4: summary, in words; the XML for those who want it.
        let p = page();
        p.append(
            &gtk::Label::builder()
                .label(gettext("Hangar will define this network and start it:"))
                .xalign(0.0)
                .wrap(true)
                .build(),
        );
        i.summary_rows
            .update_property(&[gtk::accessible::Property::Label(&gettext("Summary"))]);
        p.append(&i.summary_rows);
        i.summary
            .update_property(&[gtk::accessible::Property::Label(&gettext("Network XML"))]);
        let sc = gtk::ScrolledWindow::builder()
            .child(&i.summary)
            .min_content_height(160)
            .css_classes(["card"])
            .build();
        let xml = gtk::Expander::builder()
            .label(gettext("_XML"))
            .use_underline(true)
            .child(&sc)
            .build();
        p.append(&xml);
        let sc = gtk::ScrolledWindow::builder()
            .child(&p)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .vexpand(true)
            .build();
        i.stack.add_named(&sc, Some("3"));

        // Header bar with Back / Next / Create.
        let header = adw::HeaderBar::new();
        header.set_title_widget(Some(&i.title));
        header.set_show_end_title_buttons(false);
        let cancel = gtk::Button::with_mnemonic(&gettext("_Cancel"));
        let win = i.window().clone();
        cancel.connect_clicked(move |_| win.close());
        header.pack_start(&cancel);
        i.create.add_css_class("suggested-action");
        i.next.add_css_class("suggested-action");
        header.pack_end(&i.create);
        header.pack_end(&i.next);
        header.pack_end(&i.back);
        let this = self.downgrade();
        i.back.connect_clicked(move |_| {
            if let Some(inner) = this.upgrade() {
                let s = inner.step.get().saturating_sub(1);
                inner.go_to(s);
            }
        });
        let this = self.downgrade();
        i.next.connect_clicked(move |_| {
            if let Some(inner) = this.upgrade() {
                let s = inner.step.get() + 1;
                inner.go_to(s);
            }
        });
        let this = self.downgrade();
        i.create.connect_clicked(move |_| {
            if let Some(inner) = this.upgrade() {
                inner.create();
            }
        });
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        let clamp = adw::Clamp::builder()
            .maximum_size(560)
            .child(&i.stack)
            .vexpand(true)
            .build();
        content.append(&clamp);
        i.window().set_content(Some(&content));
        self.fill_devices(&NetworkMode::Nat);
    }

    /// Two fields side by side for a range's start and end, each with its own message.
    fn range_row(&self, start: Field, end: Field, family: &str) -> gtk::Box {
        let range = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        range.set_homogeneous(true);
        let rs = page_box();
        let re = page_box();
        let (start_title, end_title) = if family == "DHCPv6" {
            (gettext("DHCPv6 Start"), gettext("DHCPv6 End"))
        } else {
            (gettext("DHCP Start"), gettext("DHCP End"))
        };
        self.add_entry(&rs, start, &start_title, None);
        self.add_entry(&re, end, &end_title, None);
        range.append(&rs);
        range.append(&re);
        range
    }

    /// A field changed: the person's typing (marked, so a gateway typed by hand stays)
    /// or the wizard's own filling in.
    fn typed(&self, field: Field) {
        if !self.filling.get() {
            self.touched.borrow_mut().insert(field);
            self.edited.borrow_mut().insert(field);
            self.follow_network(field);
        }
        self.revalidate();
    }

    /// A network typed anew moves its gateway and DHCP range into it, unless the
    /// person typed those themselves.
    fn follow_network(&self, field: Field) {
        let text = self.field_text(field);
        let values = match field {
            Field::Ipv4Net => crate::backend::network::check::check_ipv4_cidr(&text)
                .ok()
                .and_then(|n| crate::backend::network::check::suggest_ipv4_addresses(&n))
                .map(|(g, s, e)| {
                    [
                        (Field::Ipv4Gateway, g.to_string()),
                        (Field::Dhcp4, s.to_string()),
                        (Field::Dhcp4End, e.to_string()),
                    ]
                }),
            Field::Ipv6Net => crate::backend::network::check::check_ipv6_cidr(&text)
                .ok()
                .and_then(|n| crate::backend::network::check::suggest_ipv6_addresses(&n))
                .map(|(g, s, e)| {
                    [
                        (Field::Ipv6Gateway, g.to_string()),
                        (Field::Dhcp6, s.to_string()),
                        (Field::Dhcp6End, e.to_string()),
                    ]
                }),
            _ => None,
        };
        let Some(values) = values else { return };
        let was = self.filling.replace(true);
        for (f, v) in values {
            if self.edited.borrow().contains(&f) {
                continue;
            }
            if let Some(i) = self.inputs.borrow().get(&f) {
                (i.set)(&v);
            }
        }
        self.filling.set(was);
    }

    fn field_text(&self, field: Field) -> String {
        self.inputs
            .borrow()
            .get(&field)
            .map(|i| (i.get)())
            .unwrap_or_default()
    }
}

fn page_box() -> gtk::Box {
    gtk::Box::new(gtk::Orientation::Vertical, 0)
}

fn mode_hint_text(mode: &NetworkMode) -> String {
    match mode {
        NetworkMode::Nat => gettext("Guests reach out through the host’s address; nothing reaches in."),
        NetworkMode::Route => gettext("Guests’ addresses are routed; the LAN needs a route back to them."),
        NetworkMode::Open => gettext("Routed, and libvirt adds no firewall rules."),
        NetworkMode::Isolated => gettext("Guests reach each other and the host only."),
        NetworkMode::Bridge => gettext("Guests join an existing host bridge, as machines on the LAN."),
        NetworkMode::Macvtap(_) => gettext("Guests share a host interface directly (macvtap); the host cannot reach them through it."),
        _ => String::new(),
    }
}

/// How to make a host bridge where none exists (Pango markup): the NetworkManager commands, for the
/// person to run (Hangar does not change the host's networking behind their back).
fn bridge_help_text(dev: &str) -> String {
    let commands = format!(
        "nmcli connection add type bridge ifname br0 con-name br0\n\
         nmcli connection add type bridge-slave ifname {dev} master br0\n\
         nmcli connection up br0"
    );
    // Markup: the commands in a fixed-width face, to copy as they are.
    format!(
        "{}\n<tt>{}</tt>\n{}",
        glib::markup_escape_text(&gettext_f(
            "This host has no bridge. With NetworkManager, one that takes over {dev} is made with:",
            &[("dev", dev)],
        )),
        glib::markup_escape_text(&commands),
        glib::markup_escape_text(&gettext_f(
            "The host loses its network connection for a moment, and for good if {dev} is how you reach it and the bridge gets no address: do it from a console.",
            &[("dev", dev)],
        ))
    )
}

/// Whether the help about making a host bridge is shown (tests).
impl NetworkWizard {
    pub fn shows_bridge_help(&self) -> bool {
        self.bridge_help.is_visible()
    }
}
