//! Making a new virtual machine: the plan and its XML (`plan`), and the steps on the
//! connection's worker that make it real (`make`: the default pool and network when
//! missing, the disk, the definition, the first start).

pub mod make;
pub mod plan;
