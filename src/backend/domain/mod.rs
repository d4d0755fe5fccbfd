//! Domains: lifecycle actions and the summary the list shows (`lifecycle`),
//! statistics (`stats`), the host (`host`), and device edits and hardware limits
//! (`hardware`).

pub mod hardware;
pub mod host;
pub mod lifecycle;
pub mod stats;

pub use lifecycle::{parse_summary, Action, DomainInfo, DomainState, XmlSummary};
