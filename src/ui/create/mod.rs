//! Making a new virtual machine: the wizard (`wizard`, its pages in `wizard/pages.rs`),
//! and the Begin Installation bar of a machine customized first (`begin_bar`).

pub mod begin_bar;
pub mod wizard;

pub use wizard::NewVmWizard;
