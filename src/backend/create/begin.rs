//! Customize before install: the machine is defined with its install configuration and
//! a mark in its metadata; Begin Installation starts it so (the disc booted first) and
//! leaves the final definition behind (the disk booted, the drive empty, no mark), as
//! a machine started by the wizard has.

use virt::sys;

use crate::backend::conn::worker::{Connection, Worker};
use crate::backend::xml::{Document, Element};
use crate::backend::{Error, Result};

/// The namespace of Hangar's mark in a domain's `<metadata>`.
pub const INSTALL_NS: &str = "https://hangar.gitlab.io/xmlns/install/1.0";

/// The alias of an express install's script disc: only the first boot has it.
pub const SCRIPT_DISC_ALIAS: &str = "ua-hangar-install-script";

/// The mark: the machine waits for Begin Installation; `made` are the volumes made
/// for it, which Discard removes.
pub fn install_mark(made: &[String]) -> Element {
    let mut mark = Element::new("hangar:install").with_attr("xmlns:hangar", INSTALL_NS);
    for path in made {
        mark.append_child(Element::new("hangar:made").with_attr("path", path));
    }
    mark
}

/// The volumes the mark says were made for the machine.
pub fn made_volumes(xml: &str) -> Vec<String> {
    let Ok(doc) = Document::parse(xml) else {
        return Vec::new();
    };
    let Some(mark) = doc
        .root
        .child("metadata")
        .and_then(|m| m.elements().find(|e| e.local_name() == "install"))
    else {
        return Vec::new();
    };
    mark.elements()
        .filter(|e| e.local_name() == "made")
        .filter_map(|e| e.attr("path").map(str::to_string))
        .collect()
}

/// Whether the domain XML carries the mark.
pub fn waits_for_install(xml: &str) -> bool {
    xml.contains(INSTALL_NS)
}

/// The final definition from the install one: no CD-ROM boot, the drives empty, no
/// mark. Everything else (what the person customized) stays as it is.
pub fn final_xml(install: &str) -> std::result::Result<String, String> {
    let mut doc = Document::parse(install).map_err(|e| e.0)?;
    let root = &mut doc.root;
    if let Some(os) = root.child_mut("os") {
        os.remove_children(|e| e.local_name() == "boot" && e.attr("dev") == Some("cdrom"));
        // A network install's kernel and initrd were for the first boot only.
        os.remove_children(|e| matches!(e.local_name(), "kernel" | "initrd" | "cmdline"));
        if os.child("boot").is_none() && !has_boot_order(root_devices_xml(install)) {
            os.append_child(Element::new("boot").with_attr("dev", "hd"));
        }
    }
    if let Some(md) = root.child_mut("metadata") {
        md.remove_children(|e| e.local_name() == "install");
    }
    if let Some(devices) = root.child_mut("devices") {
        devices.remove_children(|d| {
            d.local_name() == "disk"
                && d.child("alias").and_then(|a| a.attr("name")) == Some(SCRIPT_DISC_ALIAS)
        });
        for d in devices.elements_mut() {
            if d.local_name() == "disk" && d.attr("device") == Some("cdrom") {
                d.remove_children(|e| e.local_name() == "source");
            }
        }
    }
    Ok(doc.to_xml())
}

/// The devices part of the XML (per-device boot order excludes `<os><boot>`).
fn root_devices_xml(xml: &str) -> &str {
    xml.find("<devices").map_or("", |i| &xml[i..])
}

fn has_boot_order(devices: &str) -> bool {
    devices.contains("<boot order")
}

/// Begin Installation: start the machine as it is defined (the disc first), then
/// define its final configuration for every later start.
pub fn begin_installation(w: &mut Worker, uuid: &str) -> Result<()> {
    let d = w.domain(uuid)?;
    let xml = d.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)?;
    if !waits_for_install(&xml) {
        return Err(Error::InvalidState(crate::i18n::gettext(
            "This machine is not waiting for its installation",
        )));
    }
    let after = final_xml(&xml).map_err(Error::InvalidInput)?;
    d.create()?;
    w.conn()?.define_domain_xml(&after)?;
    w.refresh(uuid);
    Ok(())
}

/// Discard a machine that waits for its installation: it is undefined (with its
/// firmware variables and TPM state) and the volumes made for it are deleted; nothing
/// else is touched (an imported disk stays). The paths deleted.
pub fn discard_installation(w: &mut Worker, uuid: &str) -> Result<Vec<String>> {
    let d = w.domain(uuid)?;
    let xml = d.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)?;
    if !waits_for_install(&xml) {
        return Err(Error::InvalidState(crate::i18n::gettext(
            "This machine is not waiting for its installation",
        )));
    }
    if d.is_active()? {
        d.destroy()?;
    }
    d.undefine_flags(
        sys::VIR_DOMAIN_UNDEFINE_NVRAM
            | sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
            | sys::VIR_DOMAIN_UNDEFINE_TPM,
    )
    .or_else(|_| d.undefine())?;
    let conn = w.conn()?;
    let mut deleted = Vec::new();
    for path in made_volumes(&xml) {
        if let Ok(v) = conn.lookup_storage_vol_by_path(&path) {
            if v.delete(0).is_ok() {
                deleted.push(path);
            }
        }
    }
    w.queue_pools();
    Ok(deleted)
}

impl Connection {
    /// See [`discard_installation`].
    pub async fn discard_installation(&self, uuid: String) -> Result<Vec<String>> {
        self.call(move |w| discard_installation(w, &uuid)).await
    }

    pub async fn begin_installation(&self, uuid: String) -> Result<()> {
        self.call(move |w| begin_installation(w, &uuid)).await
    }
}
