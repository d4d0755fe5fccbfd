//! Making a new virtual machine: the wizard (`wizard`, its pages in `wizard/pages.rs`),
//! its express installation form (`express_form`), and the Begin Installation bar of a
//! machine customized first (`begin_bar`).

pub mod begin_bar;
pub mod express_form;
pub mod wizard;

pub use wizard::NewVmWizard;
