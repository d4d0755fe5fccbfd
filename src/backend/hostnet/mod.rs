//! The host's own network interfaces, and host bridges made and undone through
//! NetworkManager inside a checkpoint that rolls itself back:
//!
//! - `nm`: NetworkManager over the system D-Bus (devices, profiles, activation,
//!   checkpoints, change signals);
//! - `kernel`: what the kernel says (addresses, ports, default route, device kinds),
//!   and a netlink socket that wakes the page when anything changes;
//! - `rules`: which NIC can become a bridge port and under what name, the reason when
//!   not, and the profiles a bridge is made of (pure, unit-tested);
//! - `bridge`: the procedure: checkpoint, profiles, activation, the check that the host
//!   has its address and default route back, then keep or roll back.

pub mod bridge;
mod error;
pub mod kernel;
pub mod nm;
pub mod rules;
mod types;

pub use error::{permission_for, Error};
pub use nm::{Nm, NmDevice, Profile};
pub use types::{Iface, Inventory, Kind, NmStatus};

/// This computer's interfaces, from the kernel and NetworkManager together.
pub async fn local_inventory() -> (Inventory, Option<Nm>) {
    let (status, nm, devices, profiles) = match Nm::connect().await {
        Ok(nm) => {
            let version = nm.version().await;
            let devices = nm.devices().await.unwrap_or_default();
            let profiles = nm.profiles().await.unwrap_or_default();
            (NmStatus::Running { version }, Some(nm), devices, profiles)
        }
        Err(Error::NotRunning) => (NmStatus::NotRunning, None, Vec::new(), Vec::new()),
        Err(e) => (
            NmStatus::Unreachable(e.to_string()),
            None,
            Vec::new(),
            Vec::new(),
        ),
    };
    let ifaces = kernel::merge(kernel::interfaces(), devices);
    (
        Inventory {
            ifaces,
            profiles,
            nm: status,
        },
        nm,
    )
}
