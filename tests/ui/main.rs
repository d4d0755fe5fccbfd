//! The user interface under Xvfb, on libvirt's test driver: the main window, the
//! Hardware and XML tabs, the Networks and Topology tabs, and the console display
//! against in-test VNC servers. Each test drives the real window as a person does and
//! saves screenshots into `$HANGAR_SCREENSHOT_DIR` (default `target/screenshots`).

#[path = "../common/mod.rs"]
mod common;
#[path = "../gui/mod.rs"]
mod gui;

mod console_display;
mod console_spice_display;
mod details_ui;
mod fleet;
mod model;
mod networks_ui;
mod new_vm_ui;
mod snapshots_ui;
mod storage_ui;
mod window;
