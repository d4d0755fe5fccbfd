//! Host Interfaces: this computer's NICs, bridges, bonds and VLANs with their state,
//! addresses and default route, live (NetworkManager's signals and a netlink socket
//! for what it does not manage); the selected one's details with Make Bridge… or
//! Undo Bridge…, the reason where Hangar will not, and the commands when
//! NetworkManager is not there. Remote hosts: libvirt's view, read only.

use std::cell::{Cell, RefCell};
use std::os::fd::{AsRawFd, OwnedFd};
use std::rc::{Rc, Weak};
use std::time::Duration;

use adw::prelude::*;
use gtk::glib;

use super::bridge_dialog::{self, Mode};
use crate::backend::conn::uri::{classify, UriLabel};
use crate::backend::hostnet::{kernel, rules, Iface, Inventory, Kind, Nm, NmStatus};
use crate::i18n::{gettext, gettext_f};
use crate::model::Connection;

pub struct Inner {
    pub root: gtk::Box,
    list: gtk::ListBox,
    details: gtk::Box,
    note: gtk::Label,
    conn: RefCell<Option<Connection>>,
    inventory: RefCell<Option<Inventory>>,
    nm: RefCell<Option<Nm>>,
    selected: RefCell<Option<String>>,
    subscription: RefCell<Option<Vec<gtk::gio::SignalSubscription>>>,
    netlink: RefCell<Option<(glib::SourceId, Rc<OwnedFd>)>>,
    generation: Cell<u64>,
    queued: Cell<bool>,
}

/// The Host Interfaces view; cheap to clone.
#[derive(Clone)]
pub struct InterfacesView(Rc<Inner>);

fn kind_label(k: &Kind) -> String {
    match k {
        Kind::Ethernet => gettext("Ethernet"),
        Kind::Wifi => gettext("Wi-Fi"),
        Kind::Bridge => gettext("Bridge"),
        Kind::Bond => gettext("Bond"),
        Kind::Vlan => gettext("VLAN"),
        Kind::Veth => gettext("Virtual Ethernet"),
        Kind::Tap => gettext("Guest tap"),
        Kind::Loopback => gettext("Loopback"),
        Kind::Other(s) => s.clone(),
    }
}

fn kind_icon(k: &Kind) -> &'static str {
    match k {
        Kind::Wifi => "network-wireless-symbolic",
        Kind::Bridge | Kind::Bond => "network-workgroup-symbolic",
        _ => "network-wired-symbolic",
    }
}

fn addresses(i: &Iface) -> String {
    i.addrs
        .iter()
        .map(|a| format!("{}/{}", a.addr, a.prefix))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line: kind, state, addresses, default route, port of.
pub fn summary(i: &Iface) -> String {
    let mut parts = vec![kind_label(&i.kind)];
    parts.push(if i.up { gettext("up") } else { gettext("down") });
    let a = addresses(i);
    if !a.is_empty() {
        parts.push(a);
    }
    if i.default_route {
        parts.push(gettext("default route"));
    }
    if let Some(m) = &i.master {
        parts.push(gettext_f("port of {bridge}", &[("bridge", m)]));
    }
    parts.join(" · ")
}

/// Whether the connection's host is this computer (its bridges can be made here).
pub fn is_local(c: &Connection) -> bool {
    matches!(
        classify(&c.uri()),
        UriLabel::QemuSystem { host: None } | UriLabel::QemuSession { host: None }
    )
}

/// Open the bridge dialog for `nic` on a fresh look at this computer; `on_done` after
/// any change. Where NetworkManager cannot be used, the dialog says why.
pub fn open_make_bridge(
    parent: Option<&gtk::Window>,
    conn: &Connection,
    nic: String,
    on_done: impl Fn() + 'static,
) {
    let conn = conn.clone();
    let parent = parent.cloned();
    glib::spawn_future_local(async move {
        let (inv, nm) = crate::backend::hostnet::local_inventory().await;
        match nm {
            Some(nm) => bridge_dialog::open(
                parent.as_ref(),
                &conn,
                Mode::Create { nic },
                inv,
                nm,
                on_done,
            ),
            None => {
                let why = rules::check_nic(&inv, &nic).err().unwrap_or_default();
                if let Some(p) = parent {
                    crate::ui::error::show_dialog(
                        &p,
                        &gettext("Cannot Make a Bridge"),
                        &crate::backend::Error::InvalidState(why),
                    );
                }
            }
        }
    });
}

impl Default for InterfacesView {
    fn default() -> Self {
        Self::new()
    }
}

impl InterfacesView {
    pub fn new() -> InterfacesView {
        let root = gtk::Box::new(gtk::Orientation::Vertical, 0);
        root.set_widget_name("host-interfaces");
        let list = gtk::ListBox::new();
        list.add_css_class("boxed-list");
        list.set_valign(gtk::Align::Start);
        list.update_property(&[gtk::accessible::Property::Label(&gettext(
            "Host interfaces",
        ))]);
        let note = gtk::Label::new(None);
        note.set_wrap(true);
        note.set_xalign(0.0);
        note.add_css_class("dim-label");
        note.set_visible(false);
        let left = gtk::Box::new(gtk::Orientation::Vertical, 12);
        left.append(&list);
        left.append(&note);
        let list_scroller = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .child(&left)
            .width_request(320)
            .margin_top(12)
            .margin_bottom(12)
            .margin_start(12)
            .build();
        let details = gtk::Box::new(gtk::Orientation::Vertical, 18);
        details.set_margin_top(12);
        details.set_margin_bottom(24);
        details.set_margin_start(12);
        details.set_margin_end(12);
        let details_scroller = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .child(&details)
            .hexpand(true)
            .build();
        let paned = gtk::Box::new(gtk::Orientation::Horizontal, 0);
        paned.set_vexpand(true);
        paned.append(&list_scroller);
        paned.append(&details_scroller);
        root.append(&paned);
        let inner = Rc::new(Inner {
            root,
            list,
            details,
            note,
            conn: Default::default(),
            inventory: Default::default(),
            nm: Default::default(),
            selected: Default::default(),
            subscription: Default::default(),
            netlink: Default::default(),
            generation: Cell::new(0),
            queued: Cell::new(false),
        });
        let weak = Rc::downgrade(&inner);
        inner.list.connect_row_selected(move |_, row| {
            let Some(inner) = weak.upgrade() else { return };
            if let Some(r) = row {
                inner.selected.replace(Some(r.widget_name().to_string()));
            }
            InterfacesView(inner).show_details();
        });
        // Reload while shown, stop listening while not.
        let weak = Rc::downgrade(&inner);
        inner.root.connect_map(move |_| {
            if let Some(inner) = weak.upgrade() {
                InterfacesView(inner).start_watching();
            }
        });
        let weak = Rc::downgrade(&inner);
        inner.root.connect_unmap(move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.subscription.replace(None);
                if let Some((id, _)) = inner.netlink.take() {
                    id.remove();
                }
            }
        });
        InterfacesView(inner)
    }

    pub fn widget(&self) -> &gtk::Box {
        &self.0.root
    }

    pub fn set_connection(&self, conn: Option<&Connection>) {
        self.0.conn.replace(conn.cloned());
        self.0.inventory.replace(None);
        if self.0.root.is_mapped() {
            self.reload();
        }
    }

    fn is_local(&self) -> bool {
        self.0.conn.borrow().as_ref().is_some_and(is_local)
    }

    fn start_watching(&self) {
        self.reload();
        if !self.is_local() {
            return;
        }
        if self.0.netlink.borrow().is_none() {
            if let Ok(fd) = kernel::watch_socket() {
                let fd = Rc::new(fd);
                let weak = Rc::downgrade(&self.0);
                let held = fd.clone();
                let id =
                    glib::unix_fd_add_local(fd.as_raw_fd(), glib::IOCondition::IN, move |_, _| {
                        kernel::drain(&held);
                        match weak.upgrade() {
                            Some(inner) => {
                                InterfacesView(inner).queue_reload();
                                glib::ControlFlow::Continue
                            }
                            None => glib::ControlFlow::Break,
                        }
                    });
                self.0.netlink.replace(Some((id, fd)));
            }
        }
    }

    /// Reload soon, once for a burst of changes.
    pub fn queue_reload(&self) {
        if self.0.queued.replace(true) {
            return;
        }
        let weak = Rc::downgrade(&self.0);
        glib::timeout_add_local_once(Duration::from_millis(300), move || {
            if let Some(inner) = weak.upgrade() {
                inner.queued.set(false);
                InterfacesView(inner).reload();
            }
        });
    }

    pub fn reload(&self) {
        let Some(conn) = self.0.conn.borrow().clone() else {
            return;
        };
        let gen = self.0.generation.get() + 1;
        self.0.generation.set(gen);
        let local = self.is_local();
        let weak: Weak<Inner> = Rc::downgrade(&self.0);
        glib::spawn_future_local(async move {
            let (inv, nm) = if local {
                crate::backend::hostnet::local_inventory().await
            } else {
                let list = conn.backend().host_interfaces().await.unwrap_or_default();
                let ifaces = list
                    .into_iter()
                    .map(|h| Iface {
                        kind: match h.kind.as_str() {
                            "bridge" => Kind::Bridge,
                            "bond" => Kind::Bond,
                            "vlan" => Kind::Vlan,
                            "ethernet" => Kind::Ethernet,
                            other => Kind::Other(other.to_string()),
                        },
                        name: h.name,
                        mac: h.mac,
                        up: h.up,
                        addrs: h.addrs,
                        default_route: false,
                        master: h.master,
                        ports: Vec::new(),
                        nm: None,
                    })
                    .collect();
                (
                    Inventory {
                        ifaces,
                        profiles: Vec::new(),
                        nm: NmStatus::Unreachable(String::new()),
                    },
                    None,
                )
            };
            let Some(inner) = weak.upgrade() else { return };
            if inner.generation.get() != gen {
                return;
            }
            let this = InterfacesView(inner);
            if let Some(nm) = &nm {
                if this.0.subscription.borrow().is_none() && this.0.root.is_mapped() {
                    let weak = Rc::downgrade(&this.0);
                    let sub = nm.watch(move || {
                        if let Some(inner) = weak.upgrade() {
                            InterfacesView(inner).queue_reload();
                        }
                    });
                    this.0.subscription.replace(Some(sub));
                }
            }
            this.0.nm.replace(nm);
            this.show(inv, local);
        });
    }

    fn show(&self, inv: Inventory, local: bool) {
        let inner = &self.0;
        if inner.inventory.borrow().as_ref() == Some(&inv) {
            return;
        }
        let shown: Vec<Iface> = inv
            .ifaces
            .iter()
            .filter(|i| i.kind != Kind::Loopback)
            .cloned()
            .collect();
        while let Some(r) = inner.list.first_child() {
            inner.list.remove(&r);
        }
        for i in &shown {
            let row = adw::ActionRow::builder()
                .title(i.name.as_str())
                .subtitle(summary(i))
                .subtitle_lines(2)
                .build();
            row.set_widget_name(&i.name);
            row.add_prefix(&gtk::Image::from_icon_name(kind_icon(&i.kind)));
            inner.list.append(&row);
        }
        let note = match (&inv.nm, local) {
            (_, false) => Some(gettext(
                "Read through libvirt. Hangar makes bridges on this computer only: on a remote host, use its own tools.",
            )),
            (NmStatus::NotRunning, true) => Some(gettext(
                "NetworkManager is not running on this computer: Hangar shows the interfaces but cannot make bridges safely.",
            )),
            (NmStatus::Unreachable(e), true) => Some(gettext_f(
                "NetworkManager cannot be reached ({error}): Hangar shows the interfaces but cannot make bridges safely.",
                &[("error", e)],
            )),
            _ => None,
        };
        inner.note.set_visible(note.is_some());
        inner.note.set_label(&note.unwrap_or_default());
        inner.inventory.replace(Some(inv));
        // The same interface stays selected; else the one with the default route.
        let want = inner
            .selected
            .borrow()
            .clone()
            .filter(|n| shown.iter().any(|i| &i.name == n));
        let want = want.or_else(|| {
            shown
                .iter()
                .find(|i| i.default_route)
                .or(shown.first())
                .map(|i| i.name.clone())
        });
        let mut idx = 0;
        while let Some(row) = inner.list.row_at_index(idx) {
            if Some(row.widget_name().to_string()) == want {
                inner.list.select_row(Some(&row));
                break;
            }
            idx += 1;
        }
        self.show_details();
    }

    fn show_details(&self) {
        let inner = &self.0;
        while let Some(c) = inner.details.first_child() {
            inner.details.remove(&c);
        }
        let inv = inner.inventory.borrow().clone();
        let Some(inv) = inv else { return };
        let name = inner.selected.borrow().clone();
        let Some(i) = name.and_then(|n| inv.iface(&n).cloned()) else {
            return;
        };
        let local = self.is_local();
        let group = adw::PreferencesGroup::builder()
            .title(i.name.as_str())
            .description(kind_label(&i.kind))
            .build();
        let row = |title: &str, value: &str| {
            let r = adw::ActionRow::builder()
                .title(title)
                .subtitle(value)
                .build();
            r.add_css_class("property");
            group.add(&r);
        };
        let state = match (&i.nm, i.up) {
            (Some(d), _) if d.state == crate::backend::hostnet::nm::device_state::ACTIVATED => {
                gettext("Connected")
            }
            (Some(d), _) if !d.managed => {
                if i.up {
                    gettext("Up, not managed by NetworkManager")
                } else {
                    gettext("Down, not managed by NetworkManager")
                }
            }
            (_, true) => gettext("Up"),
            (_, false) => gettext("Down"),
        };
        row(&gettext("State"), &state);
        if !i.mac.is_empty() {
            row(&gettext("MAC Address"), &i.mac);
        }
        let a = addresses(&i);
        row(
            &gettext("Addresses"),
            &if a.is_empty() { gettext("None") } else { a },
        );
        if i.default_route {
            row(
                &gettext("Default Route"),
                &gettext("The host's traffic to other networks leaves here"),
            );
        }
        if let Some(m) = &i.master {
            row(&gettext("Port Of"), m);
        }
        if !i.ports.is_empty() {
            row(&gettext("Ports"), &i.ports.join(", "));
        }
        if let Some(a) = i.nm.as_ref().and_then(|d| d.active.as_ref()) {
            row(&gettext("NetworkManager Connection"), &a.id);
        }
        inner.details.append(&group);
        if !local {
            return;
        }
        // What can be done with it, or why not, right here.
        let actions = gtk::Box::new(gtk::Orientation::Vertical, 12);
        let reason = gtk::Label::new(None);
        reason.set_widget_name("bridge-refusal");
        reason.set_wrap(true);
        reason.set_xalign(0.0);
        reason.add_css_class("dim-label");
        let candidate = i.kind.is_wired() || i.kind == Kind::Wifi;
        if candidate {
            let make = gtk::Button::with_mnemonic(&gettext("_Make Bridge…"));
            make.set_halign(gtk::Align::Start);
            make.add_css_class("pill");
            match rules::check_nic(&inv, &i.name) {
                Ok(()) => make.add_css_class("suggested-action"),
                Err(why) => {
                    make.set_sensitive(false);
                    reason.set_label(&why);
                }
            }
            let this = Rc::downgrade(&self.0);
            let nic = i.name.clone();
            make.connect_clicked(move |_| {
                if let Some(inner) = this.upgrade() {
                    InterfacesView(inner).open_dialog(Mode::Create { nic: nic.clone() });
                }
            });
            actions.append(&make);
        }
        if i.kind == Kind::Bridge && i.nm.as_ref().is_some_and(|d| d.active.is_some()) {
            let buttons = gtk::Box::new(gtk::Orientation::Horizontal, 12);
            let undo = gtk::Button::with_mnemonic(&gettext("_Undo Bridge…"));
            undo.add_css_class("pill");
            let this = Rc::downgrade(&self.0);
            let br = i.name.clone();
            undo.connect_clicked(move |_| {
                if let Some(inner) = this.upgrade() {
                    InterfacesView(inner).open_dialog(Mode::Undo {
                        bridge: br.clone(),
                        guests: Vec::new(),
                    });
                }
            });
            if let Err(why) = rules::plan_undo(&inv, &i.name) {
                undo.set_sensitive(false);
                reason.set_label(&why);
            }
            let guests = gtk::Button::with_mnemonic(&gettext("Put _Guests on It…"));
            guests.add_css_class("pill");
            let this = Rc::downgrade(&self.0);
            let br = i.name.clone();
            guests.connect_clicked(move |b| {
                if let Some(inner) = this.upgrade() {
                    if let Some(conn) = inner.conn.borrow().clone() {
                        bridge_dialog::open_guests(b, &conn, &br);
                    }
                }
            });
            buttons.append(&guests);
            buttons.append(&undo);
            actions.append(&buttons);
        }
        if !reason.label().is_empty() {
            actions.append(&reason);
        }
        if candidate && matches!(inv.nm, NmStatus::NotRunning | NmStatus::Unreachable(_)) {
            let commands = gtk::Label::new(Some(&rules::manual_commands(
                &i.name,
                &rules::suggest_name(&inv),
            )));
            commands.set_selectable(true);
            commands.set_wrap(true);
            commands.set_wrap_mode(gtk::pango::WrapMode::WordChar);
            commands.set_xalign(0.0);
            commands.add_css_class("monospace");
            commands.set_margin_top(12);
            commands.set_margin_bottom(12);
            commands.set_margin_start(12);
            commands.set_margin_end(12);
            commands.set_widget_name("bridge-commands");
            let card = gtk::Box::new(gtk::Orientation::Vertical, 0);
            card.add_css_class("card");
            card.append(&commands);
            actions.append(&card);
        }
        inner.details.append(&actions);
    }

    /// Open the bridge dialog on a fresh look at the host (not the last one shown).
    fn open_dialog(&self, mode: Mode) {
        if let Mode::Create { nic } = &mode {
            let Some(conn) = self.0.conn.borrow().clone() else {
                return;
            };
            let parent = self.0.root.root().and_downcast::<gtk::Window>();
            let weak = Rc::downgrade(&self.0);
            open_make_bridge(parent.as_ref(), &conn, nic.clone(), move || {
                if let Some(inner) = weak.upgrade() {
                    InterfacesView(inner).reload();
                }
            });
            return;
        }
        let Some(conn) = self.0.conn.borrow().clone() else {
            return;
        };
        let parent = self.0.root.root().and_downcast::<gtk::Window>();
        let weak = Rc::downgrade(&self.0);
        glib::spawn_future_local(async move {
            let (inv, nm) = crate::backend::hostnet::local_inventory().await;
            // The guests that would lose their network, by name.
            let mode = match mode {
                Mode::Undo { bridge, .. } => {
                    let guests = conn
                        .backend()
                        .topology()
                        .await
                        .map(|t| {
                            t.guests
                                .into_iter()
                                .flat_map(|g| {
                                    g.nics
                                        .into_iter()
                                        .filter_map(|n| n.target)
                                        .map(move |tap| (tap, g.name.clone()))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Mode::Undo { bridge, guests }
                }
                other => other,
            };
            let Some(nm) = nm else {
                if let Some(inner) = weak.upgrade() {
                    InterfacesView(inner).reload();
                }
                return;
            };
            bridge_dialog::open(parent.as_ref(), &conn, mode, inv, nm, move || {
                if let Some(inner) = weak.upgrade() {
                    InterfacesView(inner).reload();
                }
            });
        });
    }
}
