//! The Hardware tab: the device list and editor (`page`), the rows of one section
//! (`form`), the list's rows (`device_item`) and the Add Hardware dialog (`add`).

pub mod add;
pub mod device_item;
pub mod form;
pub mod page;

pub use page::*;
