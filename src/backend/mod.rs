//! The GTK-free backend: libvirt on worker threads, events, statistics, the lossless
//! XML tree and typed views of it, URIs, units and checks. Everything here can be
//! tested with `cargo test` and no display. One room per capability:
//!
//! - `background`: work nobody waits for, one job at a time at low priority;
//! - `clone`: cloning a machine with its disks;
//! - `conn`: a connection's worker thread, libvirt's events, URIs, the SSH tunnel,
//!   the demo hypervisor;
//! - `domain`: domains' lifecycle and summaries, statistics, the host, device edits;
//! - `xml` (the lossless tree) and `domain_xml` (the domain's typed views, a file a
//!   kind of device);
//! - `network`: virtual networks, the creation form and its checks, the topology;
//! - `hostnet`: the host's own interfaces, and host bridges through NetworkManager;
//! - `create`: a new machine, planned and made;
//! - `console`: graphics and text consoles of a domain, the keymap;
//! - `osinfo`: operating systems from libosinfo (detection, resources, scripts);
//! - `storage`: storage pools and volumes, upload and download;
//! - `migrate`: moving a machine to another host, with its disks;
//! - `snapshot`: snapshots of a domain, their tree, kinds and thumbnails;
//! - `thread_job`: a long operation on a thread of its own, with a stop flag.

pub mod background;
pub mod clone;
pub mod conn;
pub mod console;
pub mod create;
pub mod domain;
pub mod domain_xml;
pub mod error;
pub mod error_words;
pub mod hostnet;
pub mod migrate;
pub mod network;
pub mod osinfo;
pub mod snapshot;
pub mod storage;
pub mod thread_job;
pub mod units;
pub mod xml;

pub use error::{Error, Result};
