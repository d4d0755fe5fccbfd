//! The Hardware tab: the device list and editor (`page`), the rows of one section
//! (`form`) and the Add Hardware dialog (`add`).

pub mod add;
pub mod form;
pub mod page;

pub use page::*;
