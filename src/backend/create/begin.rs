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

/// The mark: the machine waits for Begin Installation.
pub fn install_mark() -> Element {
    Element::new("hangar:install").with_attr("xmlns:hangar", INSTALL_NS)
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

impl Connection {
    pub async fn begin_installation(&self, uuid: String) -> Result<()> {
        self.call(move |w| begin_installation(w, &uuid)).await
    }
}
