//! The user interface: window, pages, dialogs.

pub mod add_connection;
pub mod console;
pub mod error;
pub mod graph;
pub mod host_page;
pub mod list_row;
pub mod preferences;
pub mod state;
pub mod vm_page;
pub mod window;

pub use window::Window;
