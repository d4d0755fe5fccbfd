//! A connection's page (`page`: the host's overview) and its Networks and Topology
//! tabs (`networks`).

pub mod networks;
pub mod page;

pub use page::HostPage;
