//! GObject models on the main thread, updated by the backend's replies and events.

mod connection;
mod history;
mod network;
mod pool;
mod snapshot;
mod vm;
mod volume;

pub use connection::{set_rows_on_screen, ConnStatus, Connection};
pub use history::History;
pub use network::Network;
pub use pool::Pool;
pub use snapshot::{build_tree, Snapshot};
pub use vm::Vm;
pub use volume::Volume;
