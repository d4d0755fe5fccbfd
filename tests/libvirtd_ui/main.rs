//! The user interface against a real libvirtd with real QEMU guests: consoles of
//! running guests, the Hardware tab of real domains. Run by `build-aux/run-tests.sh`
//! inside its network namespace, under Xvfb; ignored without it, never passed.

#[path = "../common/mod.rs"]
mod common;
#[path = "../daemon/mod.rs"]
mod daemon;
#[path = "../gui/mod.rs"]
mod gui;

mod askpass_libvirtd;
mod bridges_ui_libvirtd;
mod console_libvirtd;
mod console_spice_libvirtd;
mod details_ui_libvirtd;
mod migrate_ui_libvirtd;
mod new_vm_express_libvirtd;
mod new_vm_libvirtd;
mod snapshots_ui_libvirtd;
mod storage_ui_libvirtd;
