//! The one path by which errors reach people: a translated summary, a toast for
//! passing trouble, a dialog with copyable details for failures that need reading.

use adw::prelude::*;
use gtk::glib;

use crate::backend::Error;
use crate::i18n::gettext;

/// Show a failure that needs reading: heading, summary, and details that can be copied.
pub fn show_dialog(parent: &impl IsA<gtk::Window>, heading: &str, e: &Error) {
    let dialog = adw::MessageDialog::new(Some(parent), Some(heading), Some(&e.summary()));
    let text = e.details();
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

/// A toast over the page that `widget` is on (the window's toast overlay), for news
/// that passes. Pages need not know the window for it.
pub fn toast_near(widget: &impl IsA<gtk::Widget>, text: &str) {
    match widget
        .as_ref()
        .ancestor(adw::ToastOverlay::static_type())
        .and_downcast::<adw::ToastOverlay>()
    {
        Some(o) => toast(&o, text),
        None => tracing::info!("{text}"),
    }
}

/// A toast for trouble that passes.
pub fn toast(overlay: &adw::ToastOverlay, text: &str) {
    let t = adw::Toast::new(&glib::markup_escape_text(text));
    t.set_timeout(5);
    overlay.add_toast(t);
}
