//! Tests without a display or a daemon: the XML views and what Hangar writes, the
//! libvirt FFI wrappers and the backend on libvirt's test driver, and the checks of
//! the repository itself (translations list, install script). One test binary, so
//! that the suite links the application a few times rather than once a file.

#[path = "../common/mod.rs"]
mod common;

mod askpass;
mod backend_ffi;
mod backend_testdriver;
mod clone_plan;
mod create_express;
mod create_plan;
mod domain_xml;
mod install_deps;
mod networks_testdriver;
mod osinfo;
mod potfiles;
mod snapshot_testdriver;
mod spice_usb;
mod storage_testdriver;
