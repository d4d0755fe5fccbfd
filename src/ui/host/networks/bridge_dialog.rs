//! The bridge dialog: make a host bridge from a NIC, or undo one, inside a
//! NetworkManager checkpoint; then "Keep this configuration?" with a countdown, as
//! the display settings ask. No answer, closing the window, or the host losing its
//! address: everything goes back as it was. Once kept, a bridge is offered as a
//! libvirt network and to guests; macvtap is explained as the no-bridge way.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use adw::prelude::*;
use gtk::glib;

use crate::backend::domain::hardware::DeviceOp;
use crate::backend::hostnet::bridge::{self, Pending};
use crate::backend::hostnet::rules::{self, BridgeRequest, CONFIRM_SECONDS};
use crate::backend::hostnet::{Inventory, Kind, Nm};
use crate::i18n::{gettext, gettext_f, ngettext_f};
use crate::model::{Connection, Vm};

/// What the dialog does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Create {
        nic: String,
    },
    /// `guests`: the running guests' names by their tap device.
    Undo {
        bridge: String,
        guests: Vec<(String, String)>,
    },
}

struct State {
    stack: gtk::Stack,
    step: gtk::Label,
    countdown: gtk::Label,
    confirm_text: gtk::Label,
    done: adw::StatusPage,
    done_box: gtk::Box,
    failed: adw::StatusPage,
    nm: Nm,
    conn: Connection,
    pending: RefCell<Option<Pending>>,
    left: Cell<u32>,
    timer: RefCell<Option<glib::SourceId>>,
    on_done: Box<dyn Fn()>,
}

fn wrap_label(text: &str) -> gtk::Label {
    let l = gtk::Label::new(Some(text));
    l.set_wrap(true);
    l.set_xalign(0.0);
    l.set_max_width_chars(60);
    l
}

/// Open the dialog over `parent`. `on_done` runs whenever the host's network changed
/// or went back.
pub fn open(
    parent: Option<&gtk::Window>,
    conn: &Connection,
    mode: Mode,
    inv: Inventory,
    nm: Nm,
    on_done: impl Fn() + 'static,
) {
    let window = adw::Window::builder()
        .modal(true)
        .default_width(560)
        .default_height(560)
        .title(match &mode {
            Mode::Create { .. } => gettext("Make a Bridge"),
            Mode::Undo { .. } => gettext("Undo Bridge"),
        })
        .build();
    window.set_transient_for(parent);
    let header = adw::HeaderBar::new();
    let cancel = gtk::Button::with_mnemonic(&gettext("_Cancel"));
    header.pack_start(&cancel);
    let go = gtk::Button::with_mnemonic(&match &mode {
        Mode::Create { .. } => gettext("_Create Bridge"),
        Mode::Undo { .. } => gettext("_Undo Bridge"),
    });
    go.add_css_class(match &mode {
        Mode::Create { .. } => "suggested-action",
        Mode::Undo { .. } => "destructive-action",
    });
    header.pack_end(&go);
    let stack = gtk::Stack::new();
    stack.set_vexpand(true);

    // The form.
    let form = gtk::Box::new(gtk::Orientation::Vertical, 18);
    form.set_margin_top(18);
    form.set_margin_bottom(18);
    form.set_margin_start(18);
    form.set_margin_end(18);
    let group = adw::PreferencesGroup::new();
    let nic_row = adw::ComboRow::builder()
        .title(gettext("Network Interface"))
        .build();
    let candidates: Vec<String> = inv
        .ifaces
        .iter()
        .filter(|i| i.kind.is_wired() || i.kind == Kind::Wifi)
        .filter(|i| i.kind != Kind::Bridge)
        .map(|i| i.name.clone())
        .collect();
    let names: Vec<&str> = candidates.iter().map(String::as_str).collect();
    nic_row.set_model(Some(&gtk::StringList::new(&names)));
    let name_row = adw::EntryRow::builder()
        .title(gettext("Bridge Name"))
        .build();
    name_row.set_text(&rules::suggest_name(&inv));
    let stp = gtk::Switch::new();
    stp.set_valign(gtk::Align::Center);
    let stp_row = adw::ActionRow::builder()
        .title(gettext("Spanning Tree Protocol"))
        .subtitle(gettext("Only where the LAN could loop through this host"))
        .build();
    stp_row.add_suffix(&stp);
    stp_row.set_activatable_widget(Some(&stp));
    let delay = gtk::SpinButton::with_range(0.0, 30.0, 1.0);
    delay.set_valign(gtk::Align::Center);
    let delay_row = adw::ActionRow::builder()
        .title(gettext("Forward Delay"))
        .subtitle(gettext("Seconds a new port listens before it forwards"))
        .build();
    delay_row.add_suffix(&delay);
    group.add(&nic_row);
    group.add(&name_row);
    group.add(&stp_row);
    group.add(&delay_row);
    let error = wrap_label("");
    error.set_visible(false);
    error.set_widget_name("bridge-error");
    error.add_css_class("error");
    let explain = wrap_label("");
    explain.add_css_class("dim-label");
    match &mode {
        Mode::Create { nic } => {
            if let Some(pos) = candidates.iter().position(|c| c == nic) {
                nic_row.set_selected(pos as u32);
            }
            explain.set_label(&gettext_f(
                "The host's address and routes move from the interface to the bridge, and guests on the bridge get addresses from your network's router. If the host does not get its address back, or you do not confirm within {secs} seconds, everything goes back as it was by itself — also if you lose your connection to this computer.",
                &[("secs", &CONFIRM_SECONDS.to_string())],
            ));
            form.append(&group);
        }
        Mode::Undo { bridge, guests } => {
            let text = match rules::plan_undo(&inv, bridge) {
                Ok(p) => {
                    let own = match &p.own {
                        Ok(path) => inv
                            .profiles
                            .iter()
                            .find(|x| &x.path == path)
                            .map(|x| x.id())
                            .unwrap_or_default(),
                        Err(_) => p.nic.clone(),
                    };
                    let mut t = gettext_f(
                        "{nic} goes back to its own connection “{own}” with the host's address, and {bridge} is deleted once you keep the change. If the host does not get its address back, or you do not confirm within {secs} seconds, everything goes back as it was.",
                        &[
                            ("nic", &p.nic),
                            ("own", &own),
                            ("bridge", bridge),
                            ("secs", &CONFIRM_SECONDS.to_string()),
                        ],
                    );
                    if !p.guests.is_empty() {
                        // "name (tap)" where the guest is known, the tap alone where not.
                        let named: Vec<String> = p
                            .guests
                            .iter()
                            .map(|tap| match guests.iter().find(|(t, _)| t == tap) {
                                Some((_, name)) => format!("{name} ({tap})"),
                                None => tap.clone(),
                            })
                            .collect();
                        t.push_str("\n\n");
                        t.push_str(&ngettext_f(
                            "A guest is on {bridge} and loses its network: {guests}.",
                            "{n} guests are on {bridge} and lose their network: {guests}.",
                            p.guests.len() as u32,
                            &[
                                ("bridge", bridge),
                                ("guests", &named.join(", ")),
                                ("n", &p.guests.len().to_string()),
                            ],
                        ));
                    }
                    t
                }
                Err(why) => {
                    go.set_sensitive(false);
                    why
                }
            };
            explain.set_label(&text);
            explain.remove_css_class("dim-label");
        }
    }
    form.append(&error);
    form.append(&explain);
    stack.add_named(&form, Some("form"));

    // Working.
    let working = gtk::Box::new(gtk::Orientation::Vertical, 12);
    working.set_valign(gtk::Align::Center);
    let spinner = gtk::Spinner::new();
    spinner.set_size_request(32, 32);
    spinner.start();
    let step = wrap_label("");
    step.set_xalign(0.5);
    step.set_justify(gtk::Justification::Center);
    working.append(&spinner);
    working.append(&step);
    stack.add_named(&working, Some("working"));

    // Keep this configuration?
    let confirm = gtk::Box::new(gtk::Orientation::Vertical, 18);
    confirm.set_valign(gtk::Align::Center);
    confirm.set_margin_start(24);
    confirm.set_margin_end(24);
    let title = gtk::Label::new(Some(&gettext("Keep This Configuration?")));
    title.add_css_class("title-2");
    let confirm_text = wrap_label("");
    confirm_text.set_xalign(0.5);
    confirm_text.set_justify(gtk::Justification::Center);
    let countdown = gtk::Label::new(None);
    countdown.set_widget_name("countdown");
    countdown.add_css_class("title-4");
    let buttons = gtk::Box::new(gtk::Orientation::Horizontal, 12);
    buttons.set_halign(gtk::Align::Center);
    let revert = gtk::Button::with_mnemonic(&gettext("_Revert"));
    revert.add_css_class("pill");
    let keep = gtk::Button::with_mnemonic(&gettext("_Keep Changes"));
    keep.add_css_class("pill");
    keep.add_css_class("suggested-action");
    buttons.append(&revert);
    buttons.append(&keep);
    confirm.append(&title);
    confirm.append(&confirm_text);
    confirm.append(&countdown);
    confirm.append(&buttons);
    stack.add_named(&confirm, Some("confirm"));

    let done_box = gtk::Box::new(gtk::Orientation::Vertical, 12);
    done_box.set_halign(gtk::Align::Center);
    let done = adw::StatusPage::builder()
        .icon_name("emblem-ok-symbolic")
        .child(&done_box)
        .build();
    stack.add_named(&done, Some("done"));
    let failed = adw::StatusPage::builder()
        .icon_name("dialog-warning-symbolic")
        .build();
    stack.add_named(&failed, Some("failed"));

    let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
    content.append(&header);
    content.append(&stack);
    window.set_content(Some(&content));

    let st = Rc::new(State {
        stack,
        step,
        countdown,
        confirm_text,
        done,
        done_box,
        failed,
        nm,
        conn: conn.clone(),
        pending: RefCell::new(None),
        left: Cell::new(0),
        timer: RefCell::new(None),
        on_done: Box::new(on_done),
    });

    // Check where the person chooses.
    let check = {
        let inv = inv.clone();
        let nic_row = nic_row.clone();
        let name_row = name_row.clone();
        let error = error.clone();
        let go = go.clone();
        let candidates = candidates.clone();
        let mode = mode.clone();
        move || {
            if !matches!(mode, Mode::Create { .. }) {
                return;
            }
            let nic = candidates
                .get(nic_row.selected() as usize)
                .cloned()
                .unwrap_or_default();
            let r = rules::check_nic(&inv, &nic)
                .and_then(|_| rules::check_name(&inv, &name_row.text()));
            match r {
                Ok(()) => {
                    error.set_visible(false);
                    name_row.remove_css_class("error");
                    go.set_sensitive(true);
                }
                Err(why) => {
                    error.set_label(&why);
                    error.set_visible(true);
                    if rules::check_nic(&inv, &nic).is_ok() {
                        name_row.add_css_class("error");
                    }
                    go.set_sensitive(false);
                }
            }
        }
    };
    let check = Rc::new(check);
    check();
    let c = check.clone();
    nic_row.connect_selected_notify(move |_| c());
    let c = check.clone();
    name_row.connect_changed(move |_| c());
    let d = delay.clone();
    stp.connect_active_notify(move |s| {
        if s.is_active() && d.value() < 2.0 {
            d.set_value(15.0);
        }
    });

    let w = window.downgrade();
    cancel.connect_clicked(move |_| {
        if let Some(w) = w.upgrade() {
            w.close();
        }
    });
    // Closing while the change waits for an answer takes it back.
    let s = Rc::downgrade(&st);
    window.connect_close_request(move |_| {
        if let Some(s) = s.upgrade() {
            if s.pending.borrow().is_some() {
                finish(&s, false);
            }
        }
        glib::Propagation::Proceed
    });
    let s = Rc::downgrade(&st);
    revert.connect_clicked(move |_| {
        if let Some(s) = s.upgrade() {
            finish(&s, false);
        }
    });
    let s = Rc::downgrade(&st);
    keep.connect_clicked(move |_| {
        if let Some(s) = s.upgrade() {
            finish(&s, true);
        }
    });
    let st2 = st.clone();
    go.connect_clicked(move |go| {
        let st = st2.clone();
        let work = match &mode {
            Mode::Create { .. } => {
                let req = BridgeRequest {
                    nic: candidates
                        .get(nic_row.selected() as usize)
                        .cloned()
                        .unwrap_or_default(),
                    name: name_row.text().to_string(),
                    stp: stp.is_active(),
                    forward_delay: delay.value() as u32,
                };
                match rules::plan(&inv, &req) {
                    Ok(p) => Work::Create(p),
                    Err(why) => {
                        error.set_label(&why);
                        error.set_visible(true);
                        return;
                    }
                }
            }
            Mode::Undo { bridge, .. } => match rules::plan_undo(&inv, bridge) {
                Ok(p) => Work::Undo(p),
                Err(why) => {
                    explain.set_label(&why);
                    return;
                }
            },
        };
        go.set_visible(false);
        cancel.set_visible(false);
        st.stack.set_visible_child_name("working");
        glib::spawn_future_local(async move {
            let s = st.clone();
            let stepper = move |t: &str| s.step.set_label(t);
            let (r, carrier, what) = match &work {
                Work::Create(p) => (
                    bridge::create(&st.nm, p, stepper).await,
                    p.bridge_name.clone(),
                    p.expect.clone(),
                ),
                Work::Undo(p) => (
                    bridge::undo(&st.nm, p, stepper).await,
                    p.nic.clone(),
                    p.expect.clone(),
                ),
            };
            (st.on_done)();
            match r {
                Ok(pending) => {
                    st.pending.replace(Some(pending));
                    let addrs = what
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", ");
                    st.confirm_text.set_label(&if addrs.is_empty() {
                        gettext_f(
                            "{iface} is up. If you lost your connection to this computer, do nothing: it goes back as it was.",
                            &[("iface", &carrier)],
                        )
                    } else {
                        gettext_f(
                            "{iface} has the host's address {addrs} and its default route. If you lost your connection to this computer, do nothing: it goes back as it was.",
                            &[("iface", &carrier), ("addrs", &addrs)],
                        )
                    });
                    st.left.set(CONFIRM_SECONDS);
                    show_countdown(&st);
                    st.stack.set_visible_child_name("confirm");
                    let s = Rc::downgrade(&st);
                    let id = glib::timeout_add_local(Duration::from_secs(1), move || {
                        let Some(s) = s.upgrade() else {
                            return glib::ControlFlow::Break;
                        };
                        let left = s.left.get().saturating_sub(1);
                        s.left.set(left);
                        show_countdown(&s);
                        if left == 0 {
                            s.timer.replace(None);
                            finish(&s, false);
                            return glib::ControlFlow::Break;
                        }
                        glib::ControlFlow::Continue
                    });
                    st.timer.replace(Some(id));
                    st.work_kind(&work);
                }
                Err(e) => {
                    st.failed.set_title(&gettext("Nothing Was Changed"));
                    st.failed.set_description(Some(&e.to_string()));
                    st.stack.set_visible_child_name("failed");
                }
            }
        });
    });
    window.present();
}

enum Work {
    Create(rules::Plan),
    Undo(rules::UndoPlan),
}

impl State {
    /// Remember what the done page offers.
    fn work_kind(&self, work: &Work) {
        let (title, offer) = match work {
            Work::Create(p) => (
                gettext_f("{name} Is Ready", &[("name", &p.bridge_name)]),
                Some(p.bridge_name.clone()),
            ),
            Work::Undo(p) => (
                gettext_f("{nic} Is on Its Own Again", &[("nic", &p.nic)]),
                None,
            ),
        };
        self.done.set_title(&title);
        self.done.set_widget_name(offer.as_deref().unwrap_or(""));
    }
}

fn show_countdown(s: &State) {
    let n = s.left.get();
    s.countdown.set_label(&ngettext_f(
        "Going back in {n} second",
        "Going back in {n} seconds",
        n,
        &[("n", &n.to_string())],
    ));
}

/// Keep or take back the pending change.
fn finish(s: &Rc<State>, keep: bool) {
    if let Some(id) = s.timer.take() {
        id.remove();
    }
    let Some(p) = s.pending.take() else { return };
    s.step.set_label(&if keep {
        gettext("Keeping the new configuration…")
    } else {
        gettext("Putting everything back…")
    });
    s.stack.set_visible_child_name("working");
    let s = s.clone();
    glib::spawn_future_local(async move {
        let r = if keep {
            bridge::keep(&s.nm, &p).await
        } else {
            bridge::revert(&s.nm, &p).await
        };
        (s.on_done)();
        match (r, keep) {
            (Ok(()), true) => {
                show_done(&s);
                s.stack.set_visible_child_name("done");
            }
            (Ok(()), false) => {
                s.failed.set_title(&gettext("Put Back as It Was"));
                s.failed
                    .set_description(Some(&gettext("The host's network is as it was before.")));
                s.stack.set_visible_child_name("failed");
            }
            (Err(e), _) => {
                s.failed.set_title(&gettext("Something Went Wrong"));
                s.failed.set_description(Some(&e.to_string()));
                s.stack.set_visible_child_name("failed");
            }
        }
    });
}

/// The done page: for a new bridge, a libvirt network on it, guests on it, and the
/// word on macvtap.
fn show_done(s: &Rc<State>) {
    let bridge = s.done.widget_name().to_string();
    while let Some(c) = s.done_box.first_child() {
        s.done_box.remove(&c);
    }
    if bridge.is_empty() {
        s.done.set_description(Some(&gettext(
            "The bridge and its connections are deleted.",
        )));
        return;
    }
    s.done.set_description(Some(&gettext_f(
        "Guests plugged into {bridge} are on your network and get their addresses from its router.",
        &[("bridge", &bridge)],
    )));
    let net = gtk::Button::with_mnemonic(&gettext("New _Virtual Network on It"));
    net.add_css_class("pill");
    let guests = gtk::Button::with_mnemonic(&gettext("Put _Guests on It…"));
    guests.add_css_class("pill");
    guests.add_css_class("suggested-action");
    let macvtap = wrap_label(&gettext(
        "Without a bridge, a guest can also use macvtap on a wired interface (Hardware → NIC → macvtap): it reaches the network the same way, but the host and that guest cannot talk to each other.",
    ));
    macvtap.add_css_class("dim-label");
    let conn = s.conn.clone();
    let b = bridge.clone();
    net.connect_clicked(move |btn| {
        let name = unique_network_name(&conn, &b);
        let xml = format!(
            "<network><name>{name}</name><forward mode='bridge'/><bridge name='{b}'/></network>"
        );
        let conn = conn.clone();
        let btn = btn.clone();
        btn.set_sensitive(false);
        glib::spawn_future_local(async move {
            match conn.backend().create_network(xml, true).await {
                Ok(_) => crate::ui::error::toast_near(
                    &btn,
                    &gettext_f("Virtual network “{name}” created", &[("name", &name)]),
                ),
                Err(e) => {
                    btn.set_sensitive(true);
                    if let Some(w) = btn.root().and_downcast::<gtk::Window>() {
                        crate::ui::error::show_dialog(
                            &w,
                            &gettext("Could Not Create the Network"),
                            &e,
                        );
                    }
                }
            }
        });
    });
    let conn = s.conn.clone();
    guests.connect_clicked(move |b| open_guests(b, &conn, &bridge));
    s.done_box.append(&guests);
    s.done_box.append(&net);
    s.done_box.append(&macvtap);
}

fn unique_network_name(conn: &Connection, bridge: &str) -> String {
    let base = format!("host-{bridge}");
    (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|n| conn.network_by_name(n).is_none())
        .unwrap_or(base)
}

/// A domain XML's first NIC moved onto `bridge` (the element to update), or a new
/// NIC on it (to attach) when it has none.
pub fn bridged_nic(domain_xml: &str, bridge: &str) -> Option<(DeviceOp, String)> {
    use crate::backend::domain_xml::InterfaceView;
    use crate::backend::xml::{Document, Element};
    let doc = Document::parse(domain_xml).ok()?;
    let devices = doc.root.child("devices")?;
    match devices.child("interface") {
        Some(nic) => {
            let mut nic = nic.clone();
            InterfaceView::set_kind_and_source(&mut nic, "bridge", Some(bridge));
            Some((DeviceOp::Update, nic.to_xml()))
        }
        None => {
            let nic = Element::new("interface")
                .with_attr("type", "bridge")
                .with_child(Element::new("source").with_attr("bridge", bridge))
                .with_child(Element::new("model").with_attr("type", "virtio"));
            Some((DeviceOp::Attach, nic.to_xml()))
        }
    }
}

/// Choose guests and put their first NIC (or a new one) on `bridge`.
pub fn open_guests(from: &impl IsA<gtk::Widget>, conn: &Connection, bridge: &str) {
    let window = adw::Window::builder()
        .modal(true)
        .default_width(440)
        .default_height(480)
        .title(gettext_f("Guests on {bridge}", &[("bridge", bridge)]))
        .build();
    window.set_transient_for(from.root().and_downcast::<gtk::Window>().as_ref());
    let header = adw::HeaderBar::new();
    let cancel = gtk::Button::with_mnemonic(&gettext("_Cancel"));
    let apply = gtk::Button::with_mnemonic(&gettext("_Move"));
    apply.add_css_class("suggested-action");
    apply.set_sensitive(false);
    header.pack_start(&cancel);
    header.pack_end(&apply);
    let list = gtk::ListBox::new();
    list.add_css_class("boxed-list");
    list.set_selection_mode(gtk::SelectionMode::None);
    let mut checks: Vec<(gtk::CheckButton, Vm)> = Vec::new();
    for vm in conn.domains().iter::<Vm>().flatten() {
        let check = gtk::CheckButton::new();
        let row = adw::ActionRow::builder()
            .title(vm.name().as_str())
            .subtitle(gettext(
                "Its first network card moves to the bridge; one is added if it has none",
            ))
            .build();
        row.add_prefix(&check);
        row.set_activatable_widget(Some(&check));
        list.append(&row);
        let a = apply.clone();
        check.connect_toggled(move |_| a.set_sensitive(true));
        checks.push((check, vm));
    }
    let body = gtk::Box::new(gtk::Orientation::Vertical, 12);
    body.set_margin_top(18);
    body.set_margin_bottom(18);
    body.set_margin_start(18);
    body.set_margin_end(18);
    body.append(&list);
    let scroller = gtk::ScrolledWindow::builder()
        .child(&body)
        .vexpand(true)
        .build();
    let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
    content.append(&header);
    content.append(&scroller);
    window.set_content(Some(&content));
    let w = window.downgrade();
    cancel.connect_clicked(move |_| {
        if let Some(w) = w.upgrade() {
            w.close();
        }
    });
    let conn = conn.clone();
    let bridge = bridge.to_string();
    let anchor = from.as_ref().clone();
    let w = window.downgrade();
    apply.connect_clicked(move |_| {
        let chosen: Vec<Vm> = checks
            .iter()
            .filter(|(c, _)| c.is_active())
            .map(|(_, v)| v.clone())
            .collect();
        let conn = conn.clone();
        let bridge = bridge.clone();
        let anchor = anchor.clone();
        glib::spawn_future_local(async move {
            for vm in chosen {
                let b = conn.backend();
                let r = async {
                    let xml = b.editable_xml(vm.uuid()).await?;
                    let Some((op, nic)) = bridged_nic(&xml, &bridge) else {
                        return Err(crate::backend::Error::InvalidInput(gettext(
                            "The machine's definition could not be read.",
                        )));
                    };
                    b.device_op(vm.uuid(), op, nic).await
                }
                .await;
                match r {
                    Ok(applied) => crate::ui::error::toast_near(
                        &anchor,
                        &match applied {
                            crate::backend::domain::hardware::Applied::AfterShutdown => gettext_f(
                                "{vm} moves to {bridge} when it next starts",
                                &[("vm", &vm.name()), ("bridge", &bridge)],
                            ),
                            _ => gettext_f(
                                "{vm} is on {bridge}",
                                &[("vm", &vm.name()), ("bridge", &bridge)],
                            ),
                        },
                    ),
                    Err(e) => {
                        if let Some(w) = anchor.root().and_downcast::<gtk::Window>() {
                            crate::ui::error::show_dialog(
                                &w,
                                &gettext_f("Could Not Move {vm}", &[("vm", &vm.name())]),
                                &e,
                            );
                        }
                    }
                }
            }
        });
        if let Some(w) = w.upgrade() {
            w.close();
        }
    });
    window.present();
}
