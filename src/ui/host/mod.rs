//! A connection's page (`page`: the host's overview), its Networks and Topology tabs
//! (`networks`) and its Storage tab (`storage`).

pub mod networks;
pub mod page;
pub mod storage;

pub use page::HostPage;
