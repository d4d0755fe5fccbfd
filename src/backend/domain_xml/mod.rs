//! Typed views over a domain's XML document: general facts, CPU, memory, boot and every
//! device kind. Each view is read from its element and written back into it in place:
//! a field that did not change is not touched, and whatever the views do not model
//! (addresses, `<qemu:commandline>`, `<cputune>`, foreign metadata, comments, attributes
//! of a newer libvirt) stays as it came.
//!
//! On top of the views sits a small form layer ([`DomainXml::form`],
//! [`DomainXml::set_field`], [`DomainXml::validate`]) that the Hardware page turns into
//! rows: it stays free of GTK so it can be tested here.
//!
//! The files build on each other in this order, never back: `tree`, `views`, `kinds`,
//! `config`, `document`, `boot`, `devices`, `validate`, `fields`, `device_form`,
//! `form`, `new_device`, `diff`, `plan`. This file only gathers what they offer.

mod boot;
mod config;
mod device_form;
mod devices;
mod diff;
mod document;
mod fields;
mod form;
mod kinds;
mod new_device;
pub mod plan;
mod tree;
mod validate;
mod views;

pub use config::*;
pub use device_form::*;
pub use diff::*;
pub use document::*;
pub use fields::*;
pub use kinds::*;
pub use new_device::*;
pub use validate::*;
pub use views::*;
