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

    /// What will be made, one row a setting, in words.
    fn show_summary(&self, spec: &NetworkSpec) {
        let rows = &self.summary_rows;
        while let Some(c) = rows.first_child() {
            rows.remove(&c);
        }
        let yes_no = |b: bool| if b { gettext("Yes") } else { gettext("No") };
        // As the network's details show settings: the name of each above its value.
        let add = |title: String, value: String| {
            let row = adw::ActionRow::builder()
                .title(title)
                .subtitle(value)
                .css_classes(["property"])
                .build();
            rows.append(&row);
        };
        add(gettext("Name"), spec.name.clone());
        let mode = super::labels::mode_label(&spec.mode);
        let mode = match (&spec.device, &spec.mode) {
            (Some(d), NetworkMode::Bridge) => {
                gettext_f("{mode}: {dev}", &[("mode", &mode), ("dev", d)])
            }
            (Some(d), _) => gettext_f("{mode} through {dev}", &[("mode", &mode), ("dev", d)]),
            (None, NetworkMode::Nat | NetworkMode::Route | NetworkMode::Open) => {
                gettext_f("{mode} through any host interface", &[("mode", &mode)])
            }
            (None, _) => mode,
        };
        add(gettext("Mode"), mode);
        if spec.mode.has_own_bridge() {
            add(
                gettext("Bridge"),
                spec.bridge
                    .clone()
                    .unwrap_or_else(|| gettext("Chosen by libvirt (virbrN)")),
            );
            for (family, ip) in [(gettext("IPv4"), &spec.ipv4), (gettext("IPv6"), &spec.ipv6)] {
                let Some(ip) = ip else {
                    add(family, gettext("Off"));
                    continue;
                };
                add(
                    family,
                    gettext_f(
                        "{address}/{prefix}, the host’s address on it",
                        &[
                            ("address", &ip.address.to_string()),
                            ("prefix", &ip.prefix.to_string()),
                        ],
                    ),
                );
                let dhcp = match ip.dhcp {
                    Some((s, e)) => format!("{s} – {e}"),
                    None => gettext("Off"),
                };
                let title = if ip.address.is_ipv6() {
                    gettext("DHCPv6")
                } else {
                    gettext("DHCPv4")
                };
                add(title, dhcp);
                if !ip.hosts.is_empty() {
                    add(gettext("Static DHCP Hosts"), ip.hosts.len().to_string());
                }
            }
            if let Some(d) = &spec.domain {
                add(gettext("DNS Domain"), d.clone());
            }
            if !spec.dns_hosts.is_empty() {
                add(
                    gettext("DNS Host Entries"),
                    spec.dns_hosts.len().to_string(),
                );
            }
            if let Some(m) = spec.mtu {
                add(gettext("MTU"), m.to_string());
            }
        }
        add(
            gettext("Start with the Host"),
            yes_no(self.autostart.is_active()),
        );
    }

    /// Ask the host for its interfaces (device list, host address overlaps).
    fn load_host(&self) {
        let backend = self.conn.backend().clone();
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = backend.host_interfaces().await;
            let Some(inner) = this.upgrade() else { return };
            let w = inner;
            match r {
                Ok(ifaces) => w.set_host_interfaces(ifaces),
                Err(e) => tracing::debug!("host interfaces: {e}"),
            }
        });
    }

    /// Use these host interfaces (for the device list and the overlap checks).
    pub fn set_host_interfaces(&self, ifaces: Vec<HostIface>) {
        let addrs: Vec<HostAddr> = ifaces.iter().flat_map(|i| i.addrs.clone()).collect();
        self.ctx.borrow_mut().host = addrs;
        self.ctx.borrow_mut().host_ifaces = ifaces.iter().map(|i| i.name.clone()).collect();
        self.host.replace(ifaces);
        let mode = self.mode();
        self.fill_devices(&mode);
        self.revalidate();
    }

    fn mode(&self) -> NetworkMode {
        MODES
            .get(self.mode.selected() as usize)
            .cloned()
            .unwrap_or_default()
    }

    fn fill_devices(&self, mode: &NetworkMode) {
        let host = self.host.borrow();
        let libvirt_bridges = self.ctx.borrow().libvirt_bridges.clone();
        let mut names: Vec<Option<String>> = Vec::new();
        let mut labels: Vec<String> = Vec::new();
        match mode {
            NetworkMode::Nat | NetworkMode::Route | NetworkMode::Open => {
                names.push(None);
                labels.push(gettext("Any host interface"));
            }
            _ => {}
        }
        for i in host.iter() {
            let fits = match mode {
                NetworkMode::Bridge => i.kind == "bridge" && !libvirt_bridges.contains(&i.name),
                NetworkMode::Isolated => false,
                _ => {
                    !matches!(i.kind.as_str(), "loopback" | "tap")
                        && i.master.is_none()
                        && !libvirt_bridges.contains(&i.name)
                }
            };
            if fits {
                names.push(Some(i.name.clone()));
                let addr = i
                    .addrs
                    .iter()
                    .find(|a| a.addr.is_ipv4())
                    .map(|a| format!(" ({}/{})", a.addr, a.prefix))
                    .unwrap_or_default();
                labels.push(format!("{}{addr}", i.name));
            }
        }
        // Bridge mode with no host bridge: say how to make one.
        let show = matches!(mode, NetworkMode::Bridge) && names.is_empty();
        if show {
            let dev = host
                .iter()
                .find(|i| i.kind == "ethernet" && i.master.is_none())
                .map(|i| i.name.clone())
                .unwrap_or_else(|| "eth0".into());
            self.bridge_help.set_markup(&bridge_help_text(&dev));
        }
        self.bridge_help.set_visible(show);
        if names.is_empty() {
            names.push(None);
            labels.push(if matches!(mode, NetworkMode::Isolated) {
                gettext("None: isolated")
            } else {
                gettext("No suitable interface")
            });
        }
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        self.device.set_model(Some(&gtk::StringList::new(&refs)));
        self.device
            .set_sensitive(names.len() > 1 || names[0].is_some());
        self.device_names.replace(names);
    }

    /// Put a form's values in the fields.
    pub fn fill(&self, f: &NetworkForm) {
        let was = self.filling.replace(true);
        let set = |field: Field, v: &str| {
            if let Some(i) = self.inputs.borrow().get(&field) {
                (i.set)(v);
            }
        };
        set(Field::Name, &f.name);
        set(Field::Bridge, &f.bridge);
        set(Field::Ipv4Net, &f.ipv4_net);
        set(Field::Ipv4Gateway, &f.ipv4_gateway);
        set(Field::Dhcp4, &f.dhcp4_start);
        set(Field::Dhcp4End, &f.dhcp4_end);
        set(Field::Ipv6Net, &f.ipv6_net);
        set(Field::Ipv6Gateway, &f.ipv6_gateway);
        set(Field::Dhcp6, &f.dhcp6_start);
        set(Field::Dhcp6End, &f.dhcp6_end);
        set(Field::Domain, &f.domain);
        set(Field::Mtu, &f.mtu);
        set(Field::Hosts, &f.hosts);
        set(Field::DnsHosts, &f.dns_hosts);
        self.ipv4.set_active(f.ipv4);
        self.dhcp4.set_active(f.dhcp4);
        self.ipv6.set_active(f.ipv6);
        self.dhcp6.set_active(f.dhcp6);
        if let Some(pos) = MODES.iter().position(|m| *m == f.mode) {
            self.mode.set_selected(pos as u32);
        }
        // Defaults are not the person's typing: no "Required" before they touch.
        self.touched.borrow_mut().clear();
        self.edited.borrow_mut().clear();
        self.filling.set(was);
        self.revalidate();
    }

    /// The form as the fields hold it now.
    pub fn form(&self) -> NetworkForm {
        let inputs = self.inputs.borrow();
        let get = |f: Field| inputs.get(&f).map(|i| (i.get)()).unwrap_or_default();
        let device = get(Field::Device);
        NetworkForm {
            name: get(Field::Name),
            mode: self.mode(),
            device: (!device.is_empty()).then_some(device),
            bridge: get(Field::Bridge),
            ipv4: self.ipv4.is_active(),
            ipv4_net: get(Field::Ipv4Net),
            ipv4_gateway: get(Field::Ipv4Gateway),
            dhcp4: self.dhcp4.is_active(),
            dhcp4_start: get(Field::Dhcp4),
            dhcp4_end: get(Field::Dhcp4End),
            ipv6: self.ipv6.is_active(),
            ipv6_net: get(Field::Ipv6Net),
            ipv6_gateway: get(Field::Ipv6Gateway),
            dhcp6: self.dhcp6.is_active(),
            dhcp6_start: get(Field::Dhcp6),
            dhcp6_end: get(Field::Dhcp6End),
            domain: get(Field::Domain),
            mtu: get(Field::Mtu),
            hosts: get(Field::Hosts),
            dns_hosts: get(Field::DnsHosts),
        }
    }

    /// Check everything; show each problem under its field; enable what may go on.
    fn revalidate(&self) {
        let i = self;
        if i.inputs.borrow().is_empty() {
            return;
        }
        let form = self.form();
        let (problems, spec) = check_form(&form, &i.ctx.borrow());
        let touched = i.touched.borrow().clone();
        for (field, input) in i.inputs.borrow().iter() {
            let p = problems.iter().find(|p| p.field == *field);
            match p {
                // A required field left empty is only pointed at once touched.
                Some(p)
                    if touched.contains(field)
                        || p.problem != crate::backend::network::check::Problem::Empty =>
                {
                    input.error.set_label(&p.message());
                    input.error.set_visible(true);
                }
                _ => input.error.set_visible(false),
            }
        }
        if let Some(spec) = &spec {
            i.summary.buffer().set_text(&spec.to_xml());
            self.show_summary(spec);
        }
        i.spec.replace(spec);
        i.problems.replace(problems);
        self.update_buttons();
    }

    fn step_valid(&self, step: u32) -> bool {
        let fields = step_fields(step);
        !self
            .problems
            .borrow()
            .iter()
            .any(|p| fields.contains(&p.field))
    }

    fn update_buttons(&self) {
        let i = self;
        let step = i.step.get();
        i.back.set_visible(step > 0);
        i.next.set_visible(step < 3);
        i.next.set_sensitive(self.step_valid(step));
        i.create.set_visible(step == 3);
        i.create
            .set_sensitive(i.spec.borrow().is_some() && !i.busy.get());
    }

    /// Show a step (0–3). Going forward needs the steps before it valid.
    pub fn go_to(&self, step: u32) -> bool {
        let step = step.min(3);
        if (0..step).any(|s| !self.step_valid(s)) {
            return false;
        }
        // Addresses make no sense for bridge and macvtap modes: skip that step.
        let mode = self.mode();
        let skip = !mode.has_own_bridge() && (step == 1 || step == 2);
        let step = if skip {
            if step > self.step.get() {
                3
            } else {
                0
            }
        } else {
            step
        };
        self.step.set(step);
        self.stack.set_visible_child_name(&step.to_string());
        self.title.set_subtitle(&gettext_f(
            "Step {n} of 4: {title}",
            &[
                ("n", &(step + 1).to_string()),
                ("title", &self.step_titles[step as usize]),
            ],
        ));
        self.update_buttons();
        true
    }

    pub fn step(&self) -> u32 {
        self.step.get()
    }

    /// The message shown under a field, if one is shown.
    pub fn shown_error(&self, field: Field) -> Option<String> {
        let inputs = self.inputs.borrow();
        let i = inputs.get(&field)?;
        i.error.is_visible().then(|| i.error.label().to_string())
    }

    pub fn can_go_next(&self) -> bool {
        self.next.is_visible() && self.next.is_sensitive()
    }

    pub fn can_create(&self) -> bool {
        self.create.is_visible() && self.create.is_sensitive()
    }

    /// Define and start the network; the wizard closes when it worked.
    pub fn create(&self) {
        let Some(xml) = self.spec.borrow().as_ref().map(NetworkSpec::to_xml) else {
            return;
        };
        if self.busy.replace(true) {
            return;
        }
        self.update_buttons();
        let autostart = self.autostart.is_active();
        let backend = self.conn.backend().clone();
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = backend.create_network(xml, autostart).await;
            let Some(inner) = this.upgrade() else { return };
            inner.busy.set(false);
            match r {
                Ok(uuid) => {
                    inner.emit_by_name::<()>("created", &[&uuid]);
                    inner.close();
                }
                Err(e) => {
                    crate::ui::error::show_dialog(
                        inner.window(),
                        &gettext("Could not create the network"),
                        &e,
                    );
                    inner.update_buttons();
                }
            }
        });
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
