//! Snapshots of a domain: what one is (`info`: parsed from libvirt's XML, the tree
//! order), what kind fits a machine and what a person typed (`plan`, GTK-free checks),
//! the libvirt calls on the worker and the long ones on a thread of their own
//! (`ops`, `job`), and the pictures of the screen at each one (`thumbs`).

pub mod info;
pub mod job;
pub mod ops;
pub mod plan;
pub mod thumbs;
