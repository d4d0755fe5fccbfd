//! Domains: lifecycle actions and the summary the list shows (`lifecycle`),
//! statistics (`stats`), the host (`host`), device edits and hardware limits
//! (`hardware`), and the counters of a domain's current job (`job`).

pub mod hardware;
pub mod host;
pub mod job;
pub mod lifecycle;
pub mod stats;

pub use lifecycle::{parse_summary, Action, DomainInfo, DomainState, XmlSummary};
