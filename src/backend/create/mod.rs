//! Making a new virtual machine: the plan and its XML (`plan`), whether QEMU can read
//! a file of this computer (`access`), Begin Installation after customizing
//! (`begin`), cloud images and their cloud-init seed (`cloud`), whether the host has
//! the UEFI firmware and TPM a machine needs (`firmware`), an express install's
//! script put where the installer finds it (`inject`), and the steps on the
//! connection's worker that make it real (`make`: the default pool and network when
//! missing, the disk, the definition, the first start).

pub mod access;
pub mod begin;
pub mod cloud;
pub mod firmware;
pub mod inject;
pub mod make;
pub mod plan;
