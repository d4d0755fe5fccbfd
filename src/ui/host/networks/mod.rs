//! The Networks page of a connection: the list of virtual networks, and the selected
//! one's details with its lifecycle, settings, static hosts, DNS entries, leases,
//! guests and XML. Plus the creation wizard, the topology view, and the host's own
//! interfaces with host bridges made and undone safely.

pub mod bridge_dialog;
mod details;
pub mod interfaces;
mod labels;
pub mod page;
pub mod topology;
pub mod wizard;

pub use interfaces::InterfacesView;
pub use labels::{mode_label, summary_line};
pub use page::NetworksPage;
pub use topology::TopologyView;
pub use wizard::NetworkWizard;
