//! The Storage tab of a host: pools and their volumes (`page`), New Pool
//! (`pool_dialog`), New Volume (`volume_dialog`), and upload and download
//! (`transfer`).

pub mod page;
pub mod pool_dialog;
pub mod transfer;
pub mod volume_dialog;

pub use page::StoragePage;
