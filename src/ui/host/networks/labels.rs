//! Words for networks: a mode's name, and one line that sums a network up.

use crate::backend::network::NetworkMode;
use crate::i18n::{gettext, gettext_f, ngettext_f};
use crate::model::Network;

/// The translated name of a mode.
pub fn mode_label(mode: &NetworkMode) -> String {
    use crate::backend::network::MacvtapMode::*;
    match mode {
        NetworkMode::Nat => gettext("NAT"),
        NetworkMode::Route => gettext("Routed"),
        NetworkMode::Open => gettext("Open"),
        NetworkMode::Isolated => gettext("Isolated"),
        NetworkMode::Bridge => gettext("Host bridge"),
        NetworkMode::Macvtap(Bridge) => gettext("macvtap (bridge)"),
        NetworkMode::Macvtap(Vepa) => gettext("macvtap (VEPA)"),
        NetworkMode::Macvtap(Private) => gettext("macvtap (private)"),
        NetworkMode::Macvtap(Passthrough) => gettext("macvtap (passthrough)"),
        NetworkMode::Hostdev => gettext("PCI passthrough"),
        NetworkMode::Other(s) => s.clone(),
    }
}

/// One line about a network: mode, bridge, addresses, DHCP, guests.
pub fn summary_line(n: &Network) -> String {
    let info = n.info();
    let mut parts = vec![mode_label(&info.mode)];
    if let Some(dev) = &info.forward_dev {
        parts.push(gettext_f("via {dev}", &[("dev", dev)]));
    }
    if !n.bridge().is_empty() {
        parts.push(n.bridge());
    }
    if !n.ipv4().is_empty() {
        parts.push(n.ipv4());
    }
    if !n.ipv6().is_empty() {
        parts.push(n.ipv6());
    }
    if !n.dhcp().is_empty() {
        parts.push(gettext_f("DHCP {range}", &[("range", &n.dhcp())]));
    }
    let g = n.guest_count();
    parts.push(ngettext_f(
        "{n} guest",
        "{n} guests",
        g,
        &[("n", &g.to_string())],
    ));
    parts.join(" · ")
}
