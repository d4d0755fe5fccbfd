//! The details' editors: settings typed in place with Apply, the DHCP range, static
//! hosts and DNS entries.

use super::*;

impl NetworksPage {
    /// An entry row for a setting of the definition, checked as typed, applied with a
    /// button; a running network then offers a restart.
    pub(super) fn config_entry(
        &self,
        info: &NetworkInfo,
        title: &str,
        value: String,
        check: fn(&str) -> check::Check<ConfigEdit>,
    ) -> EditRow {
        let e = EditRow::new(title, &value);
        let e2 = e.clone();
        e.row
            .connect_changed(move |r| e2.show(check(&r.text()).err()));
        let this = self.downgrade();
        let uuid = info.uuid.clone();
        let e3 = e.clone();
        e.row.connect_apply(move |r| {
            let Some(this) = this.upgrade() else { return };
            match check(&r.text()) {
                Ok(edit) => this.apply_config(uuid.clone(), edit),
                Err(p) => e3.show(Some(p)),
            }
        });
        e
    }

    /// A DHCP range of either family, edited live: the old range goes and the new one
    /// comes, through `virNetworkUpdate`, and the old one is put back if the new one is
    /// refused. `check` turns the typed text into the range's two ends.
    pub(super) fn range_entry(
        &self,
        info: &NetworkInfo,
        ip_index: usize,
        old: &crate::backend::network::DhcpRange,
        check: impl Fn(&str) -> check::Check<(String, String)> + 'static,
    ) -> EditRow {
        let e = EditRow::new(
            &gettext("DHCP Range"),
            &format!("{} – {}", old.start, old.end),
        );
        let check = std::rc::Rc::new(check);
        let (e2, c2) = (e.clone(), check.clone());
        e.row.connect_changed(move |r| e2.show(c2(&r.text()).err()));
        let this = self.downgrade();
        let uuid = info.uuid.clone();
        let old = old.clone();
        let e3 = e.clone();
        e.row.connect_apply(move |r| {
            let Some(this) = this.upgrade() else { return };
            let (start, end) = match check(&r.text()) {
                Ok(v) => v,
                Err(p) => return e3.show(Some(p)),
            };
            let new = crate::backend::network::DhcpRange { start, end };
            let old = old.clone();
            this.run(
                gettext("Could not change the DHCP range"),
                uuid.clone(),
                move |c, u| {
                    Box::pin(async move {
                        c.update_network(
                            u.clone(),
                            NetworkEdit::RemoveDhcpRange {
                                ip_index,
                                range: old.clone(),
                            },
                        )
                        .await?;
                        let added = c
                            .update_network(
                                u.clone(),
                                NetworkEdit::AddDhcpRange {
                                    ip_index,
                                    range: new,
                                },
                            )
                            .await;
                        if added.is_err() {
                            // Put the old range back rather than leave none.
                            let _ = c
                                .update_network(
                                    u,
                                    NetworkEdit::AddDhcpRange {
                                        ip_index,
                                        range: old,
                                    },
                                )
                                .await;
                        }
                        added
                    })
                },
            );
        });
        e
    }

    pub(super) fn apply_config(&self, uuid: String, edit: ConfigEdit) {
        let Some(conn) = self.connection() else {
            return;
        };
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().edit_network_config(uuid.clone(), edit).await;
            let Some(this) = this.upgrade() else { return };
            match r {
                Ok(active) => {
                    if active {
                        this.imp().detail_state.borrow_mut().pending_restart = Some(uuid);
                        this.imp().detail_state.borrow_mut().shown = None;
                        this.show_details();
                    } else {
                        this.toast(&gettext("Saved"));
                    }
                }
                Err(e) => this.fail(&gettext("Could not change the network"), &e),
            }
        });
    }

    pub(super) fn dhcp_hosts_group(
        &self,
        info: &NetworkInfo,
        ip_index: usize,
        v4: &crate::backend::network::IpConfig,
    ) -> adw::PreferencesGroup {
        let g = group(&gettext("Static DHCP Hosts"));
        g.set_description(Some(&gettext("Applied at once, without a restart.")));
        for h in &v4.hosts {
            let title = h.name.clone().or_else(|| h.mac.clone()).unwrap_or_default();
            let sub = [h.mac.clone().unwrap_or_default(), h.ip.clone()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" → ");
            let row = adw::ActionRow::builder().title(title).subtitle(sub).build();
            let rm = icon_button("user-trash-symbolic", &gettext("Remove Host"));
            let this = self.downgrade();
            let uuid = info.uuid.clone();
            let host = h.clone();
            rm.connect_clicked(move |_| {
                if let Some(this) = this.upgrade() {
                    let edit = NetworkEdit::RemoveDhcpHost {
                        ip_index,
                        host: host.clone(),
                    };
                    this.edit(gettext("Could not remove the host"), uuid.clone(), edit);
                }
            });
            row.add_suffix(&rm);
            g.add(&row);
        }
        let net = v4.net().and_then(|n| match n {
            check::IpNet::V4(n) => Some(n),
            _ => None,
        });
        // A new host: three labelled fields, wide enough for what goes in them (a MAC
        // address is 17 characters), and Add.
        let mac = entry("52:54:00:12:34:56", &gettext("MAC Address"));
        mac.set_width_chars(17);
        mac.set_widget_name(ADD_HOST_MAC);
        let name = entry(&gettext("optional"), &gettext("Host Name"));
        name.set_width_chars(10);
        name.set_widget_name("net-add-host-name");
        let ip = entry(&gettext("e.g. 192.168.100.10"), &gettext("Address"));
        ip.set_width_chars(15);
        ip.set_widget_name("net-add-host-ip");
        let btn = gtk::Button::with_mnemonic(&gettext("_Add"));
        btn.set_widget_name(ADD_HOST_BUTTON);
        btn.set_sensitive(false);
        let add = labelled_fields(
            &[
                (gettext("MAC Address"), &mac),
                (gettext("Host Name"), &name),
                (gettext("Address"), &ip),
            ],
            &btn,
        );
        let err = error_label();
        let taken: Vec<(String, String)> = v4
            .hosts
            .iter()
            .map(|h| (h.mac.clone().unwrap_or_default(), h.ip.clone()))
            .collect();
        let check = {
            let (mac, name, ip) = (mac.clone(), name.clone(), ip.clone());
            move || -> check::Check<DhcpHost> {
                let Some(net) = net else {
                    return Err(check::Problem::Empty);
                };
                let (m, n, a) =
                    check::check_dhcp_host(&mac.text(), &name.text(), &ip.text(), &net, &taken)?;
                Ok(DhcpHost {
                    mac: m,
                    name: n,
                    ip: a.to_string(),
                })
            }
        };
        let check = std::rc::Rc::new(check);
        check_as_typed(&[&mac, &name, &ip], check.clone(), &err, &btn);
        let this = self.downgrade();
        let uuid = info.uuid.clone();
        btn.connect_clicked(move |_| {
            let Some(this) = this.upgrade() else { return };
            if let Ok(host) = check() {
                this.edit_then(
                    gettext("Could not add the host"),
                    uuid.clone(),
                    NetworkEdit::AddDhcpHost { ip_index, host },
                    &[ADD_HOST_MAC, "net-add-host-name", "net-add-host-ip"],
                );
            }
        });
        let b = gtk::Box::new(gtk::Orientation::Vertical, 4);
        b.append(&add);
        b.append(&err);
        g.add(&b);
        g
    }

    pub(super) fn dns_hosts_group(&self, info: &NetworkInfo) -> adw::PreferencesGroup {
        let g = group(&gettext("DNS Hosts"));
        for h in &info.dns_hosts {
            let row = adw::ActionRow::builder()
                .title(h.hostnames.join(", "))
                .subtitle(&h.ip)
                .build();
            let rm = icon_button("user-trash-symbolic", &gettext("Remove DNS Entry"));
            let this = self.downgrade();
            let uuid = info.uuid.clone();
            let host = h.clone();
            rm.connect_clicked(move |_| {
                if let Some(this) = this.upgrade() {
                    this.edit(
                        gettext("Could not remove the DNS entry"),
                        uuid.clone(),
                        NetworkEdit::RemoveDnsHost(host.clone()),
                    );
                }
            });
            row.add_suffix(&rm);
            g.add(&row);
        }
        let name = entry(&gettext("e.g. db"), &gettext("Host Name"));
        name.set_width_chars(12);
        name.set_widget_name("net-add-dns-name");
        let ip = entry(&gettext("e.g. 192.168.100.10"), &gettext("Address"));
        ip.set_width_chars(15);
        ip.set_widget_name("net-add-dns-ip");
        let btn = gtk::Button::with_mnemonic(&gettext("A_dd"));
        btn.set_widget_name("net-add-dns-add");
        btn.set_sensitive(false);
        let add = labelled_fields(
            &[(gettext("Host Name"), &name), (gettext("Address"), &ip)],
            &btn,
        );
        let err = error_label();
        let nets: Vec<check::IpNet> = info.nets();
        let check = {
            let (name, ip) = (name.clone(), ip.clone());
            move || -> check::Check<DnsHost> {
                let n = check::check_hostname(&name.text())?;
                let a: std::net::IpAddr = ip
                    .text()
                    .trim()
                    .parse()
                    .map_err(|_| check::Problem::NotAddress(ip.text().to_string()))?;
                if !nets.is_empty() && !nets.iter().any(|x| x.contains(a)) {
                    return Err(check::Problem::OutsideNetwork {
                        what: check::Subject::Address,
                        net: nets
                            .iter()
                            .map(|n| n.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                Ok(DnsHost {
                    ip: a.to_string(),
                    hostnames: vec![n],
                })
            }
        };
        let check = std::rc::Rc::new(check);
        check_as_typed(&[&name, &ip], check.clone(), &err, &btn);
        let this = self.downgrade();
        let uuid = info.uuid.clone();
        btn.connect_clicked(move |_| {
            let Some(this) = this.upgrade() else { return };
            if let Ok(h) = check() {
                this.edit_then(
                    gettext("Could not add the DNS entry"),
                    uuid.clone(),
                    NetworkEdit::AddDnsHost(h),
                    &["net-add-dns-name", "net-add-dns-ip"],
                );
            }
        });
        let b = gtk::Box::new(gtk::Orientation::Vertical, 4);
        b.append(&add);
        b.append(&err);
        g.add(&b);
        g
    }
}
