//! Virtual networks: what libvirt says of them and their XML (`info`), the creation
//! form (`form`) and the checks of what is typed (`check`), the worker's network
//! calls (`ops`), and the topology of host, networks and guests (`topology`).

pub mod calls;
pub mod check;
pub mod form;
pub mod guests;
pub mod host;
pub mod info;
mod ops;
pub mod spec;
pub mod topology;

pub use calls::*;
pub use guests::*;
pub use host::*;
pub use info::*;
pub use spec::*;
