//! The one path by which errors reach people: a translated summary, a toast for
//! passing trouble, a dialog with copyable details for failures that need reading.

use adw::prelude::*;
use gtk::glib;

use crate::backend::error_words::in_words;
use crate::backend::Error;
use crate::i18n::{gettext, gettext_f};

/// One line that says what went wrong, in the person's language.
pub fn summary(e: &Error) -> String {
    match e {
        Error::InvalidUri { reason, .. } => {
            gettext_f("The address is not valid: {reason}", &[("reason", reason)])
        }
        Error::ConnectFailed { uri, .. } => {
            gettext_f("Could not connect to {uri}", &[("uri", uri)])
        }
        Error::AuthFailed { .. } => gettext("Authentication failed"),
        Error::NotConnected => gettext("Not connected"),
        Error::ConnectionLost(_) => gettext("The connection was lost"),
        Error::NoSuchDomain(_) => gettext("The virtual machine no longer exists"),
        Error::InvalidState(m) => in_words(m),
        Error::Unsupported(m) if m.is_empty() => gettext("The hypervisor does not support this"),
        Error::Unsupported(m) => in_words(m),
        Error::PermissionDenied(_) => gettext("Permission denied"),
        Error::InvalidInput(m) => m.clone(),
        Error::Libvirt { message, .. } => in_words(message),
        Error::WorkerGone => gettext("The connection has stopped"),
        Error::Io(m) => m.clone(),
    }
}

/// Everything known about the error, for the details pane.
pub fn details(e: &Error) -> String {
    match e {
        Error::ConnectFailed { message, .. } | Error::AuthFailed { message, .. } => message.clone(),
        Error::Libvirt {
            code,
            domain,
            message,
        } => format!("{message}\n\n(libvirt error {code}, domain {domain})"),
        other => other.to_string(),
    }
}

/// Show a failure that needs reading: heading, summary, and details that can be copied.
pub fn show_dialog(parent: &impl IsA<gtk::Window>, heading: &str, e: &Error) {
    let dialog = adw::MessageDialog::new(Some(parent), Some(heading), Some(&summary(e)));
    let text = details(e);
    let view = gtk::TextView::builder()
        .editable(false)
        .wrap_mode(gtk::WrapMode::WordChar)
        .monospace(true)
        .top_margin(6)
        .bottom_margin(6)
        .left_margin(6)
        .right_margin(6)
        .build();
    view.buffer().set_text(&text);
    view.update_property(&[gtk::accessible::Property::Label(&gettext("Error details"))]);
    let scroller = gtk::ScrolledWindow::builder()
        .child(&view)
        .min_content_height(80)
        .max_content_height(240)
        .propagate_natural_height(true)
        .build();
    let expander = gtk::Expander::builder()
        .label(gettext("Details"))
        .child(&scroller)
        .build();
    dialog.set_extra_child(Some(&expander));
    dialog.add_response("copy", &gettext("_Copy Details"));
    dialog.add_response("close", &gettext("_Close"));
    dialog.set_default_response(Some("close"));
    dialog.set_close_response("close");
    dialog.connect_response(None, move |d, r| {
        if r == "copy" {
            d.clipboard().set_text(&text);
        }
    });
    dialog.present();
}

/// A toast for trouble that passes.
pub fn toast(overlay: &adw::ToastOverlay, text: &str) {
    let t = adw::Toast::new(&glib::markup_escape_text(text));
    t.set_timeout(5);
    overlay.add_toast(t);
}
