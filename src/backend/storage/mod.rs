//! Storage: pools (`info` as listed, `pools` made and changed), their volumes
//! (`volumes`), copying files into and out of them (`transfer`), and deleting a
//! machine's disks with it (`disposal`).

pub mod disposal;
pub mod info;
pub mod pools;
pub mod transfer;
pub mod volumes;

pub use info::{list_pools, lookup_pool, PoolInfo};
