//! Moving a machine to another host: the person's options as libvirt's flags and
//! parameters (`options`), what the destination must have first — networks, pools,
//! memory, a compatible CPU, a free name — and the disks to make there (`check`), and
//! the migration itself on a thread of its own with progress from the domain's job and
//! Cancel (`job`).

pub mod check;
pub mod job;
pub mod options;
