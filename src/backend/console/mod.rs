//! Consoles of a domain: its graphics and text devices and the ways to reach them
//! (`devices`), the keymap from the keyboard to QEMU's scancodes (`keymap`), and the CA
//! a SPICE display's certificate is checked against (`tls`).

pub mod devices;
pub mod keymap;
pub mod tls;

pub use devices::*;
