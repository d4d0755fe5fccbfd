//! A virtual machine's page and its tabs: the overview (`page`), the hardware editor
//! (`hardware`) and the XML editor (`xml`), what those two share (`edits`) and how
//! they join the page (`tabs`). The consoles are in `ui::console`.

pub mod clone_dialog;
pub mod edits;
pub mod hardware;
pub mod migrate_dialog;
pub mod page;
pub mod snapshots;
pub mod tabs;
pub mod xml;

pub use page::VmPage;
