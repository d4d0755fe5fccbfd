//! Cloning a virtual machine: the plan (`plan`: name, what becomes of each disk, the
//! clone's XML) and the copy itself on a thread of its own (`job`).

pub mod job;
pub mod plan;
