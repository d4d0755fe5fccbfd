//! The frame of Hangar's form dialogs (new pool, new volume, clone, take snapshot,
//! migrate): a header with Cancel at the start and the suggested action at the end
//! and no title buttons, and the form in a column under it.

use adw::prelude::*;

use crate::i18n::gettext;

/// The header, its Cancel button and its action button (`action`, a mnemonic label,
/// styled as the suggested action).
pub fn header(action: &str) -> (adw::HeaderBar, gtk::Button, gtk::Button) {
    let header = adw::HeaderBar::builder()
        .show_end_title_buttons(false)
        .build();
    let cancel = gtk::Button::with_mnemonic(&gettext("_Cancel"));
    let go = gtk::Button::with_mnemonic(action);
    go.add_css_class("suggested-action");
    header.pack_start(&cancel);
    header.pack_end(&go);
    (header, cancel, go)
}

/// The form's column, with the dialogs' margins.
pub fn body(spacing: i32) -> gtk::Box {
    gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(spacing)
        .margin_top(18)
        .margin_bottom(18)
        .margin_start(12)
        .margin_end(12)
        .build()
}

/// The window's content: `header` above `child`.
pub fn set_content(
    window: &impl IsA<adw::Window>,
    header: &adw::HeaderBar,
    child: &impl IsA<gtk::Widget>,
) {
    let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
    content.append(header);
    content.append(child);
    window.set_content(Some(&content));
}
