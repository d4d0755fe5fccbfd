//! Making a new virtual machine: the wizard (`wizard`, its pages in `wizard/pages.rs`).

pub mod wizard;

pub use wizard::NewVmWizard;
