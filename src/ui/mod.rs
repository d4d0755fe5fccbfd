//! The user interface: window, pages, dialogs.

pub mod add_connection;
pub mod error;
pub mod graph;
pub mod hardware;
pub mod hardware_add;
pub mod hardware_form;
pub mod host_page;
pub mod list_row;
pub mod preferences;
pub mod state;
pub mod vm_page;
pub mod window;
pub mod xml_page;

pub use window::Window;
