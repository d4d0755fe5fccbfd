//! The Snapshots tab of a machine (`page`, its rows in `rows`), the Take Snapshot
//! dialog (`take_dialog`), Compare (`compare`) and the one-click snapshot (`quick`).

pub mod compare;
pub mod page;
pub mod quick;
pub mod rows;
pub mod take_dialog;

pub use page::SnapshotsPage;
