//! GObject models on the main thread, updated by the backend's replies and events.

mod connection;
mod history;
mod network;
mod vm;

pub use connection::{ConnStatus, Connection};
pub use history::History;
pub use network::Network;
pub use vm::Vm;
