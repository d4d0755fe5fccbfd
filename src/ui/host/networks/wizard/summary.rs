//! The last step: what will be made, in words.

use super::*;

impl NetworkWizard {
    /// What will be made, one row a setting, in words.
    pub(super) fn show_summary(&self, spec: &NetworkSpec) {
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
        let mode = crate::ui::host::networks::mode_label(&spec.mode);
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
}
