//! The backend against a real libvirtd with real QEMU guests (software emulation), run
//! by `build-aux/run-tests.sh` inside a network namespace of its own. Without it they
//! are ignored (`cargo test` lists them), never passed. GTK-free: libvirt's event loop
//! runs on a thread of its own here, which a GTK test process cannot have.

#[path = "../common/mod.rs"]
mod common;
#[path = "../daemon/mod.rs"]
mod daemon;

mod backend_libvirtd;
mod clone_libvirtd;
mod details_libvirtd;
mod migrate_libvirtd;
mod networks_libvirtd;
mod snapshot_libvirtd;
mod storage_libvirtd;
mod storage_pools_libvirtd;
mod storage_transfer;
