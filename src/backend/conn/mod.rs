//! A connection to a hypervisor: its worker thread (which owns the `virt::Connect`),
//! libvirt's event loop and events, libvirt URIs, the SSH tunnel to remote consoles,
//! Hangar as ssh's askpass, and the demo hypervisor.

pub mod askpass;
pub mod demo;
pub mod events;
pub mod ssh_tunnel;
pub mod uri;
pub mod worker;
