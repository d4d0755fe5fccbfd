//! Consoles of a domain: its graphics and text devices and the ways to reach them
//! (`devices`), and the keymap from the keyboard to QEMU's scancodes (`keymap`).

pub mod devices;
pub mod keymap;

pub use devices::*;
