//! The host's interfaces as Hangar shows them, and whether NetworkManager runs.

use super::nm::{NmDevice, Profile};
use crate::backend::network::check::HostAddr;

/// What kind of interface, as a person names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Ethernet,
    Wifi,
    Bridge,
    Bond,
    Vlan,
    /// One end of a virtual cable (containers; the test LAN's "NIC").
    Veth,
    Tap,
    Loopback,
    Other(String),
}

impl Kind {
    /// A wired interface a bridge can take as its port.
    pub fn is_wired(&self) -> bool {
        matches!(self, Kind::Ethernet | Kind::Veth | Kind::Bond | Kind::Vlan)
    }
}

/// An interface of the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Iface {
    pub name: String,
    pub kind: Kind,
    pub mac: String,
    pub up: bool,
    pub addrs: Vec<HostAddr>,
    /// The IPv4 default route goes out through it.
    pub default_route: bool,
    /// The bridge or bond it is a port of.
    pub master: Option<String>,
    /// Its ports, for a bridge or bond.
    pub ports: Vec<String>,
    /// NetworkManager's view, where it runs.
    pub nm: Option<NmDevice>,
}

/// Whether NetworkManager can be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NmStatus {
    Running { version: String },
    NotRunning,
    Unreachable(String),
}

/// The host's interfaces, NetworkManager's profiles and whether it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    pub ifaces: Vec<Iface>,
    pub profiles: Vec<Profile>,
    pub nm: NmStatus,
}

impl Inventory {
    pub fn iface(&self, name: &str) -> Option<&Iface> {
        self.ifaces.iter().find(|i| i.name == name)
    }
}
