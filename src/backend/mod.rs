//! The GTK-free backend: libvirt connections on worker threads, events, statistics,
//! URIs and units. Everything here can be tested with `cargo test` and no display.

pub mod console;
pub mod demo;
pub mod domain;
pub mod domain_xml;
pub mod error;
pub mod error_words;
pub mod events;
pub mod hardware;
pub mod host;
pub mod keymap;
pub mod netcheck;
pub mod network;
pub mod network_form;
mod network_ops;
pub mod ssh_tunnel;
pub mod stats;
pub mod topology;
pub mod units;
pub mod uri;
pub mod worker;
pub mod xml;

pub use error::{Error, Result};
