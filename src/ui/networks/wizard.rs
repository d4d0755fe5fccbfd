//! The creation wizard: an `AdwWindow` in three steps (name and mode; addresses;
//! DNS, static hosts and MTU) and a summary. Every field is checked as it is typed
//! (`backend::network_form::check_form`), the message shows under the field, and
//! Next and Create stay off until what they need is valid.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use adw::prelude::*;
use gtk::glib;

use crate::backend::netcheck::HostAddr;
use crate::backend::network::{HostIface, MacvtapMode, NetworkMode};
use crate::backend::network_form::{
    check_form, default_form, Field, FieldProblem, FormContext, NetworkForm,
};
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
            Field::Ipv6Net,
            Field::Ipv6Gateway,
            Field::Dhcp6,
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

struct Inner {
    window: adw::Window,
    conn: Connection,
    stack: gtk::Stack,
    step: Cell<u32>,
    back: gtk::Button,
    next: gtk::Button,
    create: gtk::Button,
    inputs: RefCell<HashMap<Field, Input>>,
    touched: RefCell<std::collections::HashSet<Field>>,
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
    dhcp4_end: RefCell<Option<gtk::Entry>>,
    bridge_help: gtk::Label,
    dhcp6_end: RefCell<Option<gtk::Entry>>,
    problems: RefCell<Vec<FieldProblem>>,
    spec_xml: RefCell<Option<String>>,
    step_titles: Vec<String>,
    title: adw::WindowTitle,
    busy: Cell<bool>,
}

/// The wizard. Cheap to clone.
#[derive(Clone)]
pub struct NetworkWizard(Rc<Inner>);

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
    l.set_mnemonic_widget(Some(widget));
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
        let window = adw::Window::builder()
            .modal(true)
            .default_width(560)
            .default_height(640)
            .title(gettext("New Virtual Network"))
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
        let labels: Vec<String> = MODES.iter().map(super::mode_label).collect();
        let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let mode = gtk::DropDown::from_strings(&label_refs);
        mode.update_property(&[gtk::accessible::Property::Label(&gettext("Mode"))]);
        let device = gtk::DropDown::from_strings(&[]);
        device.update_property(&[gtk::accessible::Property::Label(&gettext("Host interface"))]);
        let title = adw::WindowTitle::new(&gettext("New Virtual Network"), "");
        let inner = Inner {
            window,
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
            dhcp4_end: RefCell::new(None),
            bridge_help: gtk::Label::builder()
                .xalign(0.0)
                .wrap(true)
                .selectable(true)
                .visible(false)
                .css_classes(["caption"])
                .build(),
            dhcp6_end: RefCell::new(None),
            problems: RefCell::new(Vec::new()),
            spec_xml: RefCell::new(None),
            step_titles: vec![
                gettext("Name and Mode"),
                gettext("Addresses"),
                gettext("DNS and Hosts"),
                gettext("Summary"),
            ],
            title,
            busy: Cell::new(false),
        };
        let w = NetworkWizard(Rc::new(inner));
        w.build();
        w.fill(&default_form(&w.0.ctx.borrow()));
        w.load_host();
        w.go_to(0);
        w
    }

    pub fn window(&self) -> &adw::Window {
        &self.0.window
    }

    pub fn present(&self) {
        self.0.window.present();
    }

    fn add_entry(
        &self,
        parent: &gtk::Box,
        field: Field,
        title: &str,
        hint: Option<&str>,
    ) -> gtk::Entry {
        let e = gtk::Entry::new();
        e.update_property(&[gtk::accessible::Property::Label(title)]);
        let (b, err) = field_box(title, &e, hint);
        parent.append(&b);
        let this = Rc::downgrade(&self.0);
        e.connect_changed(move |_| {
            if let Some(inner) = this.upgrade() {
                inner.touched.borrow_mut().insert(field);
                NetworkWizard(inner).revalidate();
            }
        });
        let (g, s) = (e.clone(), e.clone());
        self.0.inputs.borrow_mut().insert(
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
        v.update_property(&[gtk::accessible::Property::Label(title)]);
        let sc = gtk::ScrolledWindow::builder()
            .child(&v)
            .min_content_height(70)
            .css_classes(["card"])
            .build();
        let (b, err) = field_box(title, &sc, Some(hint));
        parent.append(&b);
        let this = Rc::downgrade(&self.0);
        v.buffer().connect_changed(move |_| {
            if let Some(inner) = this.upgrade() {
                inner.touched.borrow_mut().insert(field);
                NetworkWizard(inner).revalidate();
            }
        });
        let (g, s) = (v.buffer(), v.buffer());
        self.0.inputs.borrow_mut().insert(
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
        let i = &self.0;
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
        let names = Rc::downgrade(&self.0);
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
        p.append(&ab);
        i.stack.add_named(&p, Some("0"));
        let this = Rc::downgrade(&self.0);
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
            let w = NetworkWizard(inner);
            w.fill_devices(&mode);
            w.revalidate();
        });
        let this = Rc::downgrade(&self.0);
        i.device.connect_selected_notify(move |_| {
            if let Some(inner) = this.upgrade() {
                inner.touched.borrow_mut().insert(Field::Device);
                NetworkWizard(inner).revalidate();
            }
        });
        mode_hint.set_label(&mode_hint_text(&NetworkMode::Nat));

        // Step 2: addresses.
        let p = page();
        let (b, s) = switch_row(&gettext("IPv4"), true);
        s.bind_property("active", &i.ipv4, "active")
            .bidirectional()
            .sync_create()
            .build();
        p.append(&b);
        let v4a = self.add_entry(
            &p,
            Field::Ipv4Net,
            &gettext("IPv4 Network"),
            Some(&gettext("In CIDR notation, e.g. 192.168.100.0/24.")),
        );
        let v4b = self.add_entry(&p, Field::Ipv4Gateway, &gettext("Gateway"), None);
        let (b, s) = switch_row(&gettext("DHCPv4"), true);
        s.bind_property("active", &i.dhcp4, "active")
            .bidirectional()
            .sync_create()
            .build();
        p.append(&b);
        let range = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        range.set_homogeneous(true);
        let rs = page_box();
        let re = page_box();
        let d4a = self.add_entry(&rs, Field::Dhcp4, &gettext("DHCP Start"), None);
        // The end shares the range's message; its own label stays hidden.
        let e = gtk::Entry::new();
        e.update_property(&[gtk::accessible::Property::Label(&gettext("DHCP End"))]);
        let (eb, _) = field_box(&gettext("DHCP End"), &e, None);
        re.append(&eb);
        range.append(&rs);
        range.append(&re);
        p.append(&range);
        let this = Rc::downgrade(&self.0);
        e.connect_changed(move |_| {
            if let Some(inner) = this.upgrade() {
                inner.touched.borrow_mut().insert(Field::Dhcp4);
                NetworkWizard(inner).revalidate();
            }
        });
        self.0.dhcp4_end.replace(Some(e.clone()));
        let (b, s) = switch_row(&gettext("IPv6"), false);
        s.bind_property("active", &i.ipv6, "active")
            .bidirectional()
            .sync_create()
            .build();
        p.append(&b);
        let v6a = self.add_entry(
            &p,
            Field::Ipv6Net,
            &gettext("IPv6 Network"),
            Some(&gettext("e.g. fd00:100::/64")),
        );
        let v6b = self.add_entry(&p, Field::Ipv6Gateway, &gettext("IPv6 Gateway"), None);
        let (b, s) = switch_row(&gettext("DHCPv6"), false);
        s.bind_property("active", &i.dhcp6, "active")
            .bidirectional()
            .sync_create()
            .build();
        p.append(&b);
        let range6 = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        range6.set_homogeneous(true);
        let rs6 = page_box();
        let re6 = page_box();
        let d6a = self.add_entry(&rs6, Field::Dhcp6, &gettext("DHCPv6 Start"), None);
        let e6 = gtk::Entry::new();
        e6.update_property(&[gtk::accessible::Property::Label(&gettext("DHCPv6 End"))]);
        let (eb6, _) = field_box(&gettext("DHCPv6 End"), &e6, None);
        re6.append(&eb6);
        range6.append(&rs6);
        range6.append(&re6);
        p.append(&range6);
        let this = Rc::downgrade(&self.0);
        e6.connect_changed(move |_| {
            if let Some(inner) = this.upgrade() {
                inner.touched.borrow_mut().insert(Field::Dhcp6);
                NetworkWizard(inner).revalidate();
            }
        });
        // Fields of a switched-off part cannot be typed in.
        for (sw, entries) in [
            (&i.ipv4, vec![v4a, v4b]),
            (&i.dhcp4, vec![d4a, e.clone()]),
            (&i.ipv6, vec![v6a, v6b]),
            (&i.dhcp6, vec![d6a, e6.clone()]),
        ] {
            for en in entries {
                sw.bind_property("active", &en, "sensitive")
                    .sync_create()
                    .build();
            }
        }
        self.0.dhcp6_end.replace(Some(e6));
        for s in [&i.ipv4, &i.dhcp4, &i.ipv6, &i.dhcp6] {
            let this = Rc::downgrade(&self.0);
            s.connect_active_notify(move |_| {
                if let Some(inner) = this.upgrade() {
                    NetworkWizard(inner).revalidate();
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

        // Step 4: summary.
        let p = page();
        p.append(
            &gtk::Label::builder()
                .label(gettext("Hangar will define this network and start it:"))
                .xalign(0.0)
                .wrap(true)
                .build(),
        );
        i.summary
            .update_property(&[gtk::accessible::Property::Label(&gettext("Network XML"))]);
        let sc = gtk::ScrolledWindow::builder()
            .child(&i.summary)
            .vexpand(true)
            .css_classes(["card"])
            .build();
        p.append(&sc);
        i.stack.add_named(&p, Some("3"));

        // Header bar with Back / Next / Create.
        let header = adw::HeaderBar::new();
        header.set_title_widget(Some(&i.title));
        header.set_show_end_title_buttons(false);
        let cancel = gtk::Button::with_mnemonic(&gettext("_Cancel"));
        let win = i.window.clone();
        cancel.connect_clicked(move |_| win.close());
        header.pack_start(&cancel);
        i.create.add_css_class("suggested-action");
        i.next.add_css_class("suggested-action");
        header.pack_end(&i.create);
        header.pack_end(&i.next);
        header.pack_end(&i.back);
        let this = Rc::downgrade(&self.0);
        i.back.connect_clicked(move |_| {
            if let Some(inner) = this.upgrade() {
                let s = inner.step.get().saturating_sub(1);
                NetworkWizard(inner).go_to(s);
            }
        });
        let this = Rc::downgrade(&self.0);
        i.next.connect_clicked(move |_| {
            if let Some(inner) = this.upgrade() {
                let s = inner.step.get() + 1;
                NetworkWizard(inner).go_to(s);
            }
        });
        let this = Rc::downgrade(&self.0);
        i.create.connect_clicked(move |_| {
            if let Some(inner) = this.upgrade() {
                NetworkWizard(inner).create();
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
        i.window.set_content(Some(&content));
        self.fill_devices(&NetworkMode::Nat);
    }

    /// Ask the host for its interfaces (device list, host address overlaps).
    fn load_host(&self) {
        let backend = self.0.conn.backend().clone();
        let this = Rc::downgrade(&self.0);
        glib::spawn_future_local(async move {
            let r = backend.host_interfaces().await;
            let Some(inner) = this.upgrade() else { return };
            let w = NetworkWizard(inner);
            match r {
                Ok(ifaces) => w.set_host_interfaces(ifaces),
                Err(e) => tracing::debug!("host interfaces: {e}"),
            }
        });
    }

    /// Use these host interfaces (for the device list and the overlap checks).
    pub fn set_host_interfaces(&self, ifaces: Vec<HostIface>) {
        let addrs: Vec<HostAddr> = ifaces.iter().flat_map(|i| i.addrs.clone()).collect();
        self.0.ctx.borrow_mut().host = addrs;
        self.0.host.replace(ifaces);
        let mode = self.mode();
        self.fill_devices(&mode);
        self.revalidate();
    }

    fn mode(&self) -> NetworkMode {
        MODES
            .get(self.0.mode.selected() as usize)
            .cloned()
            .unwrap_or_default()
    }

    fn fill_devices(&self, mode: &NetworkMode) {
        let host = self.0.host.borrow();
        let libvirt_bridges = self.0.ctx.borrow().libvirt_bridges.clone();
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
            self.0.bridge_help.set_markup(&bridge_help_text(&dev));
        }
        self.0.bridge_help.set_visible(show);
        if names.is_empty() {
            names.push(None);
            labels.push(if matches!(mode, NetworkMode::Isolated) {
                gettext("None: isolated")
            } else {
                gettext("No suitable interface")
            });
        }
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        self.0.device.set_model(Some(&gtk::StringList::new(&refs)));
        self.0
            .device
            .set_sensitive(names.len() > 1 || names[0].is_some());
        self.0.device_names.replace(names);
    }

    /// Put a form's values in the fields.
    pub fn fill(&self, f: &NetworkForm) {
        let set = |field: Field, v: &str| {
            if let Some(i) = self.0.inputs.borrow().get(&field) {
                (i.set)(v);
            }
        };
        set(Field::Name, &f.name);
        set(Field::Bridge, &f.bridge);
        set(Field::Ipv4Net, &f.ipv4_net);
        set(Field::Ipv4Gateway, &f.ipv4_gateway);
        set(Field::Dhcp4, &f.dhcp4_start);
        if let Some(e) = self.0.dhcp4_end.borrow().as_ref() {
            e.set_text(&f.dhcp4_end);
        }
        set(Field::Ipv6Net, &f.ipv6_net);
        set(Field::Ipv6Gateway, &f.ipv6_gateway);
        set(Field::Dhcp6, &f.dhcp6_start);
        if let Some(e) = self.0.dhcp6_end.borrow().as_ref() {
            e.set_text(&f.dhcp6_end);
        }
        set(Field::Domain, &f.domain);
        set(Field::Mtu, &f.mtu);
        set(Field::Hosts, &f.hosts);
        set(Field::DnsHosts, &f.dns_hosts);
        self.0.ipv4.set_active(f.ipv4);
        self.0.dhcp4.set_active(f.dhcp4);
        self.0.ipv6.set_active(f.ipv6);
        self.0.dhcp6.set_active(f.dhcp6);
        if let Some(pos) = MODES.iter().position(|m| *m == f.mode) {
            self.0.mode.set_selected(pos as u32);
        }
        // Defaults are not the person's typing: no "Required" before they touch.
        self.0.touched.borrow_mut().clear();
        self.revalidate();
    }

    /// The form as the fields hold it now.
    pub fn form(&self) -> NetworkForm {
        let inputs = self.0.inputs.borrow();
        let get = |f: Field| inputs.get(&f).map(|i| (i.get)()).unwrap_or_default();
        let device = get(Field::Device);
        NetworkForm {
            name: get(Field::Name),
            mode: self.mode(),
            device: (!device.is_empty()).then_some(device),
            bridge: get(Field::Bridge),
            ipv4: self.0.ipv4.is_active(),
            ipv4_net: get(Field::Ipv4Net),
            ipv4_gateway: get(Field::Ipv4Gateway),
            dhcp4: self.0.dhcp4.is_active(),
            dhcp4_start: get(Field::Dhcp4),
            dhcp4_end: self
                .0
                .dhcp4_end
                .borrow()
                .as_ref()
                .map(|e| e.text().to_string())
                .unwrap_or_default(),
            ipv6: self.0.ipv6.is_active(),
            ipv6_net: get(Field::Ipv6Net),
            ipv6_gateway: get(Field::Ipv6Gateway),
            dhcp6: self.0.dhcp6.is_active(),
            dhcp6_start: get(Field::Dhcp6),
            dhcp6_end: self
                .0
                .dhcp6_end
                .borrow()
                .as_ref()
                .map(|e| e.text().to_string())
                .unwrap_or_default(),
            domain: get(Field::Domain),
            mtu: get(Field::Mtu),
            hosts: get(Field::Hosts),
            dns_hosts: get(Field::DnsHosts),
        }
    }

    /// Check everything; show each problem under its field; enable what may go on.
    fn revalidate(&self) {
        let i = &self.0;
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
                        || p.problem != crate::backend::netcheck::Problem::Empty =>
                {
                    input.error.set_label(&p.message());
                    input.error.set_visible(true);
                }
                _ => input.error.set_visible(false),
            }
        }
        i.spec_xml.replace(spec.as_ref().map(|s| s.to_xml()));
        if let Some(x) = &*i.spec_xml.borrow() {
            i.summary.buffer().set_text(x);
        }
        i.problems.replace(problems);
        self.update_buttons();
    }

    fn step_valid(&self, step: u32) -> bool {
        let fields = step_fields(step);
        !self
            .0
            .problems
            .borrow()
            .iter()
            .any(|p| fields.contains(&p.field))
    }

    fn update_buttons(&self) {
        let i = &self.0;
        let step = i.step.get();
        i.back.set_visible(step > 0);
        i.next.set_visible(step < 3);
        i.next.set_sensitive(self.step_valid(step));
        i.create.set_visible(step == 3);
        i.create
            .set_sensitive(i.spec_xml.borrow().is_some() && !i.busy.get());
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
            if step > self.0.step.get() {
                3
            } else {
                0
            }
        } else {
            step
        };
        self.0.step.set(step);
        self.0.stack.set_visible_child_name(&step.to_string());
        self.0.title.set_subtitle(&gettext_f(
            "Step {n} of 4: {title}",
            &[
                ("n", &(step + 1).to_string()),
                ("title", &self.0.step_titles[step as usize]),
            ],
        ));
        self.update_buttons();
        true
    }

    pub fn step(&self) -> u32 {
        self.0.step.get()
    }

    /// Type into a field as a person would (tests).
    pub fn set_text(&self, field: Field, text: &str) {
        if let Some(i) = self.0.inputs.borrow().get(&field) {
            (i.set)(text);
        }
    }

    pub fn set_dhcp_end(&self, text: &str) {
        if let Some(e) = self.0.dhcp4_end.borrow().as_ref() {
            e.set_text(text);
        }
    }

    pub fn set_mode(&self, mode: &NetworkMode) {
        if let Some(pos) = MODES.iter().position(|m| m == mode) {
            self.0.mode.set_selected(pos as u32);
        }
    }

    /// The message shown under a field, if one is shown.
    pub fn shown_error(&self, field: Field) -> Option<String> {
        let inputs = self.0.inputs.borrow();
        let i = inputs.get(&field)?;
        i.error.is_visible().then(|| i.error.label().to_string())
    }

    pub fn can_go_next(&self) -> bool {
        self.0.next.is_visible() && self.0.next.is_sensitive()
    }

    pub fn can_create(&self) -> bool {
        self.0.create.is_visible() && self.0.create.is_sensitive()
    }

    /// Define and start the network; the wizard closes when it worked.
    pub fn create(&self) {
        let Some(xml) = self.0.spec_xml.borrow().clone() else {
            return;
        };
        if self.0.busy.replace(true) {
            return;
        }
        self.update_buttons();
        let autostart = self.0.autostart.is_active();
        let backend = self.0.conn.backend().clone();
        let this = Rc::downgrade(&self.0);
        glib::spawn_future_local(async move {
            let r = backend.create_network(xml, autostart).await;
            let Some(inner) = this.upgrade() else { return };
            inner.busy.set(false);
            match r {
                Ok(_) => inner.window.close(),
                Err(e) => {
                    crate::ui::error::show_dialog(
                        &inner.window,
                        &gettext("Could not create the network"),
                        &e,
                    );
                    NetworkWizard(inner).update_buttons();
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
        self.0.bridge_help.is_visible()
    }
}
