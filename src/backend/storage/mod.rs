//! Storage: pools (`info` as listed, `pools` made and changed), their volumes
//! (`volumes`), and copying files into and out of them (`transfer`).

pub mod info;
pub mod pools;
pub mod transfer;
pub mod volumes;

pub use info::{list_pools, lookup_pool, PoolInfo};
