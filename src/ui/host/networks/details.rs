//! The selected network's details: lifecycle, settings, static DHCP hosts, DNS hosts,
//! leases, guests and XML. Live changes go through `virNetworkUpdate`; settings of the
//! definition say that they apply when the network restarts, with a restart button.

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use super::labels::mode_label;
use super::page::NetworksPage;
use crate::backend::network::check;
use crate::backend::network::{
    ConfigEdit, DhcpHost, DnsHost, Lease, NetworkEdit, NetworkInfo, NetworkMode,
};
use crate::i18n::{gettext, gettext_f};
use crate::model::Network;

mod changes;

mod editors;

/// The fields of the details that keep what is typed into them (named `net-…`).
fn named_editables(root: &gtk::Box) -> Vec<gtk::Editable> {
    let mut out = Vec::new();
    let mut stack = vec![root.clone().upcast::<gtk::Widget>()];
    while let Some(w) = stack.pop() {
        if w.widget_name().starts_with("net-") {
            if let Some(e) = w.dynamic_cast_ref::<gtk::Editable>() {
                out.push(e.clone());
                continue;
            }
        }
        let mut c = w.first_child();
        while let Some(ch) = c {
            c = ch.next_sibling();
            stack.push(ch);
        }
    }
    out
}

fn group(title: &str) -> adw::PreferencesGroup {
    adw::PreferencesGroup::builder().title(title).build()
}

fn property_row(title: &str, value: &str) -> adw::ActionRow {
    let r = adw::ActionRow::builder()
        .title(title)
        .subtitle(if value.is_empty() { "—" } else { value })
        .build();
    r.add_css_class("property");
    r
}

fn error_label() -> gtk::Label {
    let l = gtk::Label::builder()
        .xalign(0.0)
        .wrap(true)
        .visible(false)
        .css_classes(["error", "caption"])
        .build();
    l.set_accessible_role(gtk::AccessibleRole::Alert);
    l
}

/// A setting typed into an entry row of a group, with Apply. A problem marks the row
/// and shows under the group's list, prefixed with the field's name.
#[derive(Clone)]
struct EditRow {
    row: adw::EntryRow,
    title: String,
    problem: gtk::Label,
}

impl EditRow {
    fn new(title: &str, value: &str) -> EditRow {
        let row = adw::EntryRow::builder()
            .title(title)
            .text(value)
            .show_apply_button(true)
            .build();
        // Named, so what is typed in it survives the details being built again.
        row.set_widget_name(&format!("net-edit-{title}"));
        let problem = error_label();
        problem.set_margin_top(6);
        problem.set_margin_start(6);
        EditRow {
            row,
            title: title.to_string(),
            problem,
        }
    }

    fn show(&self, problem: Option<check::Problem>) {
        match problem {
            None => {
                self.row.remove_css_class("error");
                self.problem.set_visible(false);
            }
            Some(p) => {
                self.row.add_css_class("error");
                self.problem.set_label(&gettext_f(
                    "{field}: {problem}",
                    &[("field", &self.title), ("problem", &p.message())],
                ));
                self.problem.set_visible(true);
            }
        }
    }

    /// The row into the group's list; its problem label kept for under the list.
    fn add_to(self, group: &adw::PreferencesGroup, problems: &mut Vec<gtk::Label>) {
        group.add(&self.row);
        problems.push(self.problem);
    }
}

/// Check `entries` as they are typed: `check` decides; its problem shows in `err` once
/// anything is typed, and `button` is on only while everything is valid.
fn check_as_typed<T: 'static>(
    entries: &[&gtk::Entry],
    check: std::rc::Rc<impl Fn() -> check::Check<T> + 'static>,
    err: &gtk::Label,
    button: &gtk::Button,
) {
    let all: Vec<gtk::Entry> = entries.iter().map(|e| (*e).clone()).collect();
    for e in entries {
        let (check, err, button, all) = (check.clone(), err.clone(), button.clone(), all.clone());
        e.connect_changed(move |_| {
            let empty = all.iter().all(|e| e.text().is_empty());
            match check() {
                Ok(_) => {
                    err.set_visible(false);
                    button.set_sensitive(true);
                }
                Err(p) => {
                    err.set_label(&p.message());
                    err.set_visible(!empty);
                    button.set_sensitive(false);
                }
            }
        });
    }
}

/// Names of widgets that keep the keyboard focus when the details are built again:
/// after a static host is added, the focus goes back to the new host's MAC field,
/// not to the first control of the page (the Active switch, where a Space would stop
/// the network).
const ADD_HOST_MAC: &str = "net-add-host-mac";
const ADD_HOST_BUTTON: &str = "net-add-host-add";

/// An entry whose label stands above it ([`labelled_fields`]); `_name` is that label,
/// for the reader of the code: the accessible name comes from the label itself (a
/// label property as well would make screen readers say it twice).
fn entry(placeholder: &str, _name: &str) -> gtk::Entry {
    gtk::Entry::builder()
        .placeholder_text(placeholder)
        .hexpand(true)
        .build()
}

/// Fields side by side, each with its label above it (the label names the field for
/// screen readers too), and a button at the end of the row.
fn labelled_fields(fields: &[(String, &gtk::Entry)], button: &gtk::Button) -> gtk::Grid {
    let grid = gtk::Grid::builder()
        .column_spacing(6)
        .row_spacing(2)
        .margin_top(6)
        .build();
    for (col, (title, e)) in fields.iter().enumerate() {
        let l = gtk::Label::builder()
            .label(title.as_str())
            .xalign(0.0)
            .css_classes(["caption-heading"])
            .build();
        l.set_mnemonic_widget(Some(*e));
        grid.attach(&l, col as i32, 0, 1, 1);
        grid.attach(*e, col as i32, 1, 1, 1);
    }
    button.set_valign(gtk::Align::End);
    grid.attach(button, fields.len() as i32, 1, 1, 1);
    grid
}

fn icon_button(icon: &str, label: &str) -> gtk::Button {
    let b = gtk::Button::from_icon_name(icon);
    b.set_valign(gtk::Align::Center);
    b.add_css_class("flat");
    b.set_tooltip_text(Some(label));
    b.update_property(&[gtk::accessible::Property::Label(label)]);
    b
}

impl NetworksPage {
    pub(super) fn show_details(&self) {
        let imp = self.imp();
        let net = self.selected_network();
        let Some(net) = net else {
            while let Some(c) = imp.details.first_child() {
                imp.details.remove(&c);
            }
            imp.detail_state.borrow_mut().shown = None;
            return;
        };
        let info = net.info();
        let leases = imp
            .detail_state
            .borrow()
            .leases
            .as_ref()
            .filter(|(u, _)| *u == info.uuid)
            .map(|(_, l)| l.clone())
            .unwrap_or_default();
        let key = (info.clone(), leases.clone());
        if imp.detail_state.borrow().shown.as_ref() == Some(&key) {
            return;
        }
        let same_network =
            imp.detail_state.borrow().built_for.as_deref() == Some(info.uuid.as_str());
        imp.detail_state.borrow_mut().shown = Some(key);
        // What the person typed and has not applied yet, and where the keyboard is,
        // stay when the same network's details are built again (leases arriving, a
        // host added, the network started elsewhere).
        let typed = if same_network {
            self.typed_details()
        } else {
            Vec::new()
        };
        let focus = self.focused_detail();
        while let Some(c) = imp.details.first_child() {
            imp.details.remove(&c);
        }
        self.build_details(&net, &info, &leases);
        let built = named_editables(&imp.details)
            .into_iter()
            .map(|e| (e.widget_name().to_string(), e.text().to_string()))
            .collect();
        imp.detail_state.borrow_mut().built = built;
        imp.detail_state.borrow_mut().built_for = Some(info.uuid.clone());
        for e in named_editables(&imp.details) {
            if let Some((_, t)) = typed.iter().find(|(n, _)| *n == e.widget_name()) {
                e.set_text(t);
            }
        }
        if let Some(name) = focus {
            self.restore_focus(&name);
        }
    }

    /// The named fields of the details whose text is not what the details put there.
    fn typed_details(&self) -> Vec<(String, String)> {
        let imp = self.imp();
        let state = imp.detail_state.borrow();
        named_editables(&imp.details)
            .into_iter()
            .filter_map(|e| {
                let name = e.widget_name().to_string();
                let text = e.text().to_string();
                let built = state
                    .built
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, t)| t.as_str())
                    .unwrap_or("");
                (text != built).then_some((name, text))
            })
            .collect()
    }

    /// The name of the named widget in the details that has the keyboard focus (or
    /// holds the widget that has it, as an entry holds its text).
    fn focused_detail(&self) -> Option<String> {
        let details = self.imp().details.clone().upcast::<gtk::Widget>();
        let mut w = self.root()?.focus()?;
        if !w.is_ancestor(&details) {
            return None;
        }
        loop {
            let name = w.widget_name();
            if name.starts_with("net-") {
                return Some(name.to_string());
            }
            w = w.parent()?;
            if w == details {
                return None;
            }
        }
    }

    /// Give the focus back to the widget of that name in the rebuilt details. Add is
    /// off once its host is added (the fields are empty again): the MAC field then.
    fn restore_focus(&self, name: &str) {
        let name = if name == ADD_HOST_BUTTON {
            ADD_HOST_MAC
        } else {
            name
        };
        let mut stack = vec![self.imp().details.clone().upcast::<gtk::Widget>()];
        while let Some(w) = stack.pop() {
            if w.widget_name() == name {
                w.grab_focus();
                return;
            }
            let mut c = w.first_child();
            while let Some(ch) = c {
                c = ch.next_sibling();
                stack.push(ch);
            }
        }
    }

    /// Fetch the leases of the selected network (when it runs) and show them.
    pub(super) fn refresh_leases(&self, uuid: String) {
        let Some(conn) = self.connection() else {
            return;
        };
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().network_leases(uuid.clone()).await;
            let Some(this) = this.upgrade() else { return };
            let leases = match r {
                Ok(l) => l,
                Err(e) => {
                    tracing::debug!("leases of {uuid}: {e}");
                    Vec::new()
                }
            };
            this.imp().detail_state.borrow_mut().leases = Some((uuid, leases));
            this.show_details();
        });
    }

    fn build_details(&self, net: &Network, info: &NetworkInfo, leases: &[Lease]) {
        let imp = self.imp();
        let d = &imp.details;
        let title = gtk::Label::builder()
            .label(&info.name)
            .xalign(0.0)
            .css_classes(["title-2"])
            .build();
        d.append(&title);

        // A definition change waits for a restart.
        if imp.detail_state.borrow().pending_restart.as_deref() == Some(info.uuid.as_str())
            && info.active
        {
            let bar = gtk::Box::new(gtk::Orientation::Horizontal, 12);
            bar.add_css_class("card");
            let l = gtk::Label::builder()
                .label(gettext("Changes apply when the network restarts."))
                .wrap(true)
                .xalign(0.0)
                .hexpand(true)
                .margin_start(12)
                .margin_top(8)
                .margin_bottom(8)
                .build();
            let b = gtk::Button::with_mnemonic(&gettext("_Restart Now"));
            b.set_valign(gtk::Align::Center);
            b.set_margin_end(12);
            let this = self.downgrade();
            let uuid = info.uuid.clone();
            b.connect_clicked(move |_| {
                if let Some(this) = this.upgrade() {
                    this.imp().detail_state.borrow_mut().pending_restart = None;
                    this.run(
                        gettext("Could not restart the network"),
                        uuid.clone(),
                        |c, u| Box::pin(async move { c.restart_network(u).await }),
                    );
                }
            });
            bar.append(&l);
            bar.append(&b);
            d.append(&bar);
        }

        // Lifecycle.
        let g = group(&gettext("State"));
        let running = adw::ActionRow::builder().title(gettext("Active")).build();
        let sw = gtk::Switch::builder()
            .active(info.active)
            .valign(gtk::Align::Center)
            .build();
        running.add_suffix(&sw);
        running.set_activatable_widget(Some(&sw));
        let this = self.downgrade();
        let uuid = info.uuid.clone();
        sw.connect_state_set(move |_, on| {
            if let Some(this) = this.upgrade() {
                let u = uuid.clone();
                if on {
                    this.run(gettext("Could not start the network"), u, |c, u| {
                        Box::pin(async move { c.start_network(u).await })
                    });
                } else {
                    this.run(gettext("Could not stop the network"), u, |c, u| {
                        Box::pin(async move { c.stop_network(u).await })
                    });
                }
            }
            glib::Propagation::Stop
        });
        g.add(&running);
        let auto = adw::ActionRow::builder()
            .title(gettext("Start with the Host"))
            .build();
        let asw = gtk::Switch::builder()
            .active(info.autostart)
            .valign(gtk::Align::Center)
            .sensitive(info.persistent)
            .build();
        auto.add_suffix(&asw);
        auto.set_activatable_widget(Some(&asw));
        let this = self.downgrade();
        let uuid = info.uuid.clone();
        asw.connect_state_set(move |_, on| {
            if let Some(this) = this.upgrade() {
                this.run(
                    gettext("Could not change autostart"),
                    uuid.clone(),
                    move |c, u| Box::pin(async move { c.set_network_autostart(u, on).await }),
                );
            }
            glib::Propagation::Stop
        });
        g.add(&auto);
        let del = gtk::Button::with_mnemonic(&gettext("_Delete Network…"));
        del.add_css_class("destructive-action");
        del.set_halign(gtk::Align::Start);
        del.set_margin_top(6);
        let this = self.downgrade();
        let n = net.clone();
        del.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                this.confirm_delete(&n);
            }
        });
        d.append(&g);

        // Settings.
        let g = group(&gettext("Settings"));
        // What is wrong with a typed setting shows under the group, naming the field.
        let mut problems: Vec<gtk::Label> = Vec::new();
        g.add(&property_row(&gettext("Mode"), &mode_label(&info.mode)));
        if matches!(
            info.mode,
            NetworkMode::Nat | NetworkMode::Route | NetworkMode::Open
        ) {
            self.config_entry(
                info,
                &gettext("Forward Device (empty: any)"),
                info.forward_dev.clone().unwrap_or_default(),
                |text| {
                    if text.trim().is_empty() {
                        Ok(ConfigEdit {
                            forward_dev: Some(None),
                            ..Default::default()
                        })
                    } else {
                        check::check_device_name(text).map(|d| ConfigEdit {
                            forward_dev: Some(Some(d)),
                            ..Default::default()
                        })
                    }
                },
            )
            .add_to(&g, &mut problems);
        } else if let Some(dev) = &info.forward_dev {
            g.add(&property_row(&gettext("Device"), dev));
        } else if matches!(info.mode, NetworkMode::Nat | NetworkMode::Route) {
            g.add(&property_row(
                &gettext("Device"),
                &gettext("Any host interface"),
            ));
        }
        g.add(&property_row(
            &gettext("Bridge"),
            info.bridge.as_deref().unwrap_or(""),
        ));
        for ip in &info.ips {
            let t = if ip.v6 {
                gettext("IPv6 Network")
            } else {
                gettext("IPv4 Network")
            };
            let v = gettext_f(
                "{net}, gateway {gw}",
                &[("net", &ip.cidr()), ("gw", &ip.address)],
            );
            g.add(&property_row(&t, &v));
            for r in &ip.ranges {
                let entry = match ip.net() {
                    Some(check::IpNet::V4(net)) => {
                        let gw = ip.address.parse().ok();
                        self.range_entry(info, ip.index, r, move |t| {
                            check::check_ipv4_range_text(t, &net, gw)
                                .map(|(s, e)| (s.to_string(), e.to_string()))
                        })
                    }
                    Some(check::IpNet::V6(net)) => {
                        let gw = ip.address.parse().ok();
                        self.range_entry(info, ip.index, r, move |t| {
                            check::check_ipv6_range_text(t, &net, gw)
                                .map(|(s, e)| (s.to_string(), e.to_string()))
                        })
                    }
                    None => {
                        g.add(&property_row(
                            &gettext("DHCP Range"),
                            &format!("{} – {}", r.start, r.end),
                        ));
                        continue;
                    }
                };
                entry.add_to(&g, &mut problems);
            }
        }
        if info.mode.has_own_bridge() {
            self.config_entry(
                info,
                &gettext("MTU"),
                info.mtu.map(|m| m.to_string()).unwrap_or_default(),
                |text| {
                    if text.trim().is_empty() {
                        Ok(ConfigEdit {
                            mtu: Some(None),
                            ..Default::default()
                        })
                    } else {
                        check::check_mtu(text).map(|v| ConfigEdit {
                            mtu: Some(Some(v)),
                            ..Default::default()
                        })
                    }
                },
            )
            .add_to(&g, &mut problems);
            self.config_entry(
                info,
                &gettext("DNS Domain"),
                info.domain.clone().unwrap_or_default(),
                |text| {
                    if text.trim().is_empty() {
                        Ok(ConfigEdit {
                            domain: Some(None),
                            ..Default::default()
                        })
                    } else {
                        check::check_domain_name(text).map(|v| ConfigEdit {
                            domain: Some(Some(v)),
                            ..Default::default()
                        })
                    }
                },
            )
            .add_to(&g, &mut problems);
        }
        for p in problems {
            g.add(&p);
        }
        d.append(&g);

        if let Some(v4) = info.ipv4() {
            d.append(&self.dhcp_hosts_group(info, v4.index, v4));
        }
        if info.mode.has_own_bridge() {
            d.append(&self.dns_hosts_group(info));
        }

        // Leases.
        let g = group(&gettext("DHCP Leases"));
        let refresh = icon_button("view-refresh-symbolic", &gettext("Refresh Leases"));
        let this = self.downgrade();
        let uuid = info.uuid.clone();
        refresh.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                this.refresh_leases(uuid.clone());
            }
        });
        refresh.set_sensitive(info.active);
        g.set_header_suffix(Some(&refresh));
        if leases.is_empty() {
            g.add(&property_row(
                &if info.active {
                    gettext("No leases")
                } else {
                    gettext("The network is not running")
                },
                "",
            ));
        }
        for l in leases {
            let expiry = glib::DateTime::from_unix_local(l.expiry)
                .ok()
                .and_then(|t| t.format("%x %X").ok())
                .map(|s| s.to_string())
                .unwrap_or_default();
            let mut sub = vec![l.mac.clone()];
            if !l.hostname.is_empty() {
                sub.push(l.hostname.clone());
            }
            if let Some(gname) = &l.guest {
                sub.push(gettext_f("guest {name}", &[("name", gname)]));
            }
            sub.push(gettext_f("until {time}", &[("time", &expiry)]));
            g.add(&property_row(
                &format!("{}/{}", l.ip, l.prefix),
                &sub.join(" · "),
            ));
        }
        d.append(&g);

        // Guests.
        let g = group(&gettext("Guests"));
        if info.guests.is_empty() {
            g.add(&property_row(&gettext("No guest uses this network"), ""));
        }
        for name in &info.guests {
            g.add(&adw::ActionRow::builder().title(name).build());
        }
        d.append(&g);

        // XML: edited as text and defined as a whole (what is not understood is kept,
        // since it is the person's text).
        let g = group(&gettext("XML"));
        let view = crate::ui::components::xml_view::xml_source_view(&gettext("Network XML"));
        view.set_wrap_mode(gtk::WrapMode::WordChar);
        view.buffer().set_text(&info.xml);
        let scroller = gtk::ScrolledWindow::builder()
            .child(&view)
            .min_content_height(160)
            .max_content_height(360)
            .propagate_natural_height(true)
            .css_classes(["card"])
            .build();
        let expander = gtk::Expander::builder()
            .label(gettext("Show XML"))
            .child(&scroller)
            .build();
        g.add(&expander);
        let apply = gtk::Button::with_mnemonic(&gettext("_Apply XML"));
        apply.set_halign(gtk::Align::Start);
        apply.set_margin_top(6);
        let this = self.downgrade();
        let uuid = info.uuid.clone();
        apply.connect_clicked(move |_| {
            let Some(this) = this.upgrade() else { return };
            let xml = crate::ui::components::xml_view::text_of(&view).to_string();
            if let Err(err) = crate::backend::xml::Document::parse(&xml) {
                this.fail(
                    &gettext("The XML is not valid"),
                    &crate::backend::Error::InvalidInput(err.to_string()),
                );
                return;
            }
            this.imp().detail_state.borrow_mut().pending_restart = Some(uuid.clone());
            this.run(
                gettext("Could not save the XML"),
                uuid.clone(),
                move |c, _| Box::pin(async move { c.define_network(xml).await.map(|_| ()) }),
            );
        });
        g.add(&apply);
        d.append(&g);
        d.append(&del);

        // Leases load when a running network is first shown.
        let has = imp
            .detail_state
            .borrow()
            .leases
            .as_ref()
            .is_some_and(|(u, _)| *u == info.uuid);
        if info.active && !has {
            imp.detail_state.borrow_mut().leases = Some((info.uuid.clone(), Vec::new()));
            self.refresh_leases(info.uuid.clone());
        }
    }
}
