//! The editing tabs of a VM page: Hardware and XML, each reloading after the other
//! applied something; and Snapshots, with its row on the Overview.

use adw::prelude::*;

use crate::i18n::gettext;
use crate::ui::vm::hardware::HardwarePage;
use crate::ui::vm::page::VmPage;
use crate::ui::vm::snapshots::SnapshotsPage;
use crate::ui::vm::xml::XmlPage;

/// Add the Hardware, Snapshots and XML pages to `vm_page`.
pub fn attach(vm_page: &VmPage) {
    let hw = HardwarePage::new();
    vm_page.add_page(
        &hw,
        "hardware",
        &gettext("Hardware"),
        "drive-harddisk-symbolic",
    );
    let snapshots = SnapshotsPage::new();
    vm_page.add_page(
        &snapshots,
        "snapshots",
        &gettext("Snapshots"),
        "camera-photo-symbolic",
    );
    vm_page
        .bind_property("vm", &snapshots, "vm")
        .sync_create()
        .build();
    vm_page.add_overview_widget(&snapshots.overview_widget());
    let page = vm_page.downgrade();
    snapshots.connect_overview_activated(move || {
        if let Some(p) = page.upgrade() {
            p.show_page("snapshots");
        }
    });
    let xml = XmlPage::new();
    vm_page.add_page(&xml, "xml", &gettext("XML"), "text-x-generic-symbolic");
    vm_page.bind_property("vm", &hw, "vm").sync_create().build();
    vm_page
        .bind_property("vm", &xml, "vm")
        .sync_create()
        .build();
    // Each page reloads after the other applied something.
    let xml3 = xml.downgrade();
    hw.connect_applied(move || {
        if let Some(x) = xml3.upgrade() {
            x.reload();
        }
    });
    let hw3 = hw.downgrade();
    xml.connect_applied(move || {
        if let Some(h) = hw3.upgrade() {
            h.reload();
        }
    });
}
