//! Consoles of a domain: its graphics and text devices and the ways to reach them
//! (`devices`), the keymap from the keyboard to QEMU's scancodes (`keymap`), and the CA
//! a SPICE display's certificate is checked against (`tls`), and TLS made by Hangar for a
//! SPICE channel through a tunnel (`tls_bridge`).

pub mod devices;
pub mod keymap;
pub mod tls;
pub mod tls_bridge;

pub use devices::*;
