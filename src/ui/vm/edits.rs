//! What the Hardware and XML tabs share: the words for what an Apply did, the bar
//! that says the machine changed outside Hangar, and the watches that notice it.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gtk::glib;

use crate::backend::domain::hardware::Applied;
use crate::i18n::gettext;
use crate::model::Vm;

/// What a change did, in words.
pub fn applied_message(a: Applied) -> String {
    match a {
        Applied::Saved => gettext("Changes saved"),
        Applied::Now => gettext("Changes applied"),
        Applied::AfterShutdown => {
            gettext("Changes saved; they take effect after the virtual machine shuts down")
        }
    }
}

/// The bar that says the machine was changed outside Hangar while edits were open,
/// with a button that drops the edits and shows the new definition (the way GNOME
/// apps offer to reload a file changed on disk). Hidden until needed.
pub fn outside_change_banner(on_reload: impl Fn() + 'static) -> gtk::InfoBar {
    let bar = gtk::InfoBar::builder()
        .message_type(gtk::MessageType::Warning)
        .revealed(false)
        .build();
    let label = gtk::Label::builder()
        .label(gettext("This machine was changed outside Hangar"))
        .xalign(0.0)
        .wrap(true)
        .hexpand(true)
        .build();
    bar.add_child(&label);
    let reload = gtk::Button::builder()
        .label(gettext("_Reload"))
        .use_underline(true)
        .tooltip_text(gettext(
            "Discard your changes and show the machine as it is now",
        ))
        .build();
    bar.add_action_widget(&reload, gtk::ResponseType::Accept);
    bar.connect_response(move |_, r| {
        if r == gtk::ResponseType::Accept {
            on_reload();
        }
    });
    bar
}

/// Call `f` whenever `vm`'s definition or run state may have changed (libvirt's
/// defined/updated, started/stopped and device added/removed events), instead of
/// following the VM `slot` held so far (none for `None`).
pub fn rewatch_config(
    slot: &RefCell<Option<(Vm, glib::SignalHandlerId)>>,
    vm: Option<&Vm>,
    f: impl Fn() + 'static,
) {
    if let Some((old, id)) = slot.take() {
        old.disconnect(id);
    }
    if let Some(vm) = vm {
        let id = vm.connect_local("config-changed", false, move |_| {
            f();
            None
        });
        slot.replace(Some((vm.clone(), id)));
    }
}

/// libvirt sends no event when only the persistent definition of a domain changes
/// through some calls (`virsh attach-device --config`, `setmaxmem --config` on the
/// QEMU driver), so while `page` is on screen the XML it shows is compared with
/// libvirt's every two seconds (one `virDomainGetXMLDesc` of one domain), and once when
/// it comes on screen. `check` does the comparing.
pub fn check_while_mapped(page: &impl IsA<gtk::Widget>, check: impl Fn() + 'static) {
    let check = Rc::new(check);
    let timer: Rc<RefCell<Option<glib::SourceId>>> = Default::default();
    let (c, t) = (check.clone(), timer.clone());
    page.connect_map(move |_| {
        c();
        let c = c.clone();
        let id = glib::timeout_add_seconds_local(2, move || {
            c();
            glib::ControlFlow::Continue
        });
        if let Some(old) = t.replace(Some(id)) {
            old.remove();
        }
    });
    page.connect_unmap(move |_| {
        if let Some(id) = timer.take() {
            id.remove();
        }
    });
}
