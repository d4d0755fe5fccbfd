//! What the host can give a new machine's platform, from libvirt's domain
//! capabilities for its architecture and machine type: UEFI firmware (from the
//! host's firmware descriptors: Debian's `ovmf`), Secure Boot, and an emulated TPM
//! (`swtpm`). A machine that needs one the host lacks is refused before anything is
//! made, with what to install.

use crate::backend::conn::worker::{Connection, Worker};
use crate::backend::xml::Document;
use crate::backend::Result;
use crate::i18n::{gettext, gettext_f};

use super::plan::VmPlan;

/// The firmware and TPM a host offers for one architecture and machine type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformSupport {
    /// UEFI firmware is installed (`<os><enum name='firmware'>` has `efi`, or a
    /// loader is listed).
    pub efi: bool,
    /// A Secure Boot capable build of it.
    pub secure_boot: bool,
    /// An emulated TPM (swtpm) can be given.
    pub tpm_emulator: bool,
}

fn values(parent: Option<&crate::backend::xml::Element>, name: &str) -> Vec<String> {
    parent
        .into_iter()
        .flat_map(|p| p.children_named("enum"))
        .filter(|e| e.attr("name") == Some(name))
        .flat_map(|e| {
            e.children_named("value")
                .map(|v| v.text().trim().to_string())
        })
        .collect()
}

/// Read a `virConnectGetDomainCapabilities` document.
pub fn parse_domain_capabilities(xml: &str) -> PlatformSupport {
    let Ok(doc) = Document::parse(xml) else {
        return PlatformSupport::default();
    };
    let os = doc.root.child("os");
    let loader = os.and_then(|o| o.child("loader"));
    let loaders = loader.map_or(0, |l| l.children_named("value").count());
    let efi = values(os, "firmware").iter().any(|v| v == "efi") || loaders > 0;
    let secure_boot = efi && values(loader, "secure").iter().any(|v| v == "yes");
    let tpm = doc.root.child("devices").and_then(|d| d.child("tpm"));
    let tpm_emulator = tpm.is_some_and(|t| t.attr("supported") == Some("yes"))
        && values(tpm, "backendModel").iter().any(|v| v == "emulator");
    PlatformSupport {
        efi,
        secure_boot,
        tpm_emulator,
    }
}

/// Why the host cannot run `plan`'s platform, and what to do; None when it can.
pub fn check_platform(plan: &VmPlan, host: &PlatformSupport) -> Option<String> {
    let p = plan.platform.unwrap_or_default();
    let uefi = p.requires_uefi || plan.arch == "aarch64";
    if uefi && !host.efi {
        return Some(gettext(
            "This machine needs UEFI firmware, and the host has none for it: install it on the host (Debian and Ubuntu: apt install ovmf; for Arm: qemu-efi-aarch64), or choose BIOS",
        ));
    }
    if uefi && p.secure_boot && !host.secure_boot {
        return Some(gettext(
            "This system needs Secure Boot, and the host’s UEFI firmware has no Secure Boot build: install ovmf on the host",
        ));
    }
    if p.tpm2 && !host.tpm_emulator && (plan.arch == "x86_64" || plan.arch == "i686") {
        return Some(gettext_f(
            "{os} needs a TPM 2.0, and the host cannot emulate one: install swtpm on the host (apt install swtpm swtpm-tools)",
            &[(
                "os",
                plan.os_id
                    .as_deref()
                    .and_then(|id| id.rsplit('/').next())
                    .unwrap_or("This system"),
            )],
        ));
    }
    None
}

/// The host's support for `plan`'s architecture and machine type; None when the
/// driver cannot say (the test driver), which refuses nothing.
pub fn platform_support(w: &mut Worker, plan: &VmPlan) -> Result<Option<PlatformSupport>> {
    let conn = w.conn()?;
    let virttype = if plan.accelerated { "kvm" } else { "qemu" };
    // The machine type matters: Secure Boot builds need q35's SMM.
    let machine = plan.machine_type();
    match conn.domain_capabilities(None, Some(&plan.arch), Some(&machine), Some(virttype), 0) {
        Ok(xml) => Ok(Some(parse_domain_capabilities(&xml))),
        Err(e) => {
            let err = crate::backend::Error::from_virt(&e);
            if err.is_connection_lost() {
                return Err(err);
            }
            Ok(None)
        }
    }
}

impl Connection {
    /// See [`platform_support`].
    pub async fn platform_support(&self, plan: VmPlan) -> Result<Option<PlatformSupport>> {
        self.call(move |w| platform_support(w, &plan)).await
    }
}
