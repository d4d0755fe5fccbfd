//! The XML editor view shared by the domain and network XML pages: GtkSourceView with
//! XML highlighting in the Adwaita scheme that follows the light or dark style.

use adw::prelude::*;
use gtk::glib;
use sourceview5::prelude::*;

/// A source view over a fresh XML buffer, named `label` for assistive technologies.
pub fn xml_source_view(label: &str) -> sourceview5::View {
    sourceview5::init();
    let buffer = sourceview5::Buffer::new(None);
    if let Some(lang) = sourceview5::LanguageManager::default().language("xml") {
        buffer.set_language(Some(&lang));
    }
    buffer.set_highlight_syntax(true);
    let style = adw::StyleManager::default();
    follow_style(&buffer, &style);
    let weak = buffer.downgrade();
    let handler = style.connect_dark_notify(move |style| {
        if let Some(buffer) = weak.upgrade() {
            follow_style(&buffer, style);
        }
    });
    // The style manager lives as long as the application: let go of the buffer's
    // handler when the buffer goes.
    let holder = std::cell::Cell::new(Some(handler));
    buffer.add_weak_ref_notify_local(move || {
        if let Some(h) = holder.take() {
            adw::StyleManager::default().disconnect(h);
        }
    });
    let view = sourceview5::View::with_buffer(&buffer);
    view.set_monospace(true);
    view.set_show_line_numbers(true);
    view.set_highlight_current_line(true);
    view.set_tab_width(2);
    view.set_insert_spaces_instead_of_tabs(true);
    view.set_auto_indent(true);
    view.set_top_margin(6);
    view.set_bottom_margin(6);
    view.update_property(&[gtk::accessible::Property::Label(label)]);
    view
}

fn follow_style(buffer: &sourceview5::Buffer, style: &adw::StyleManager) {
    let name = if style.is_dark() {
        "Adwaita-dark"
    } else {
        "Adwaita"
    };
    if let Some(s) = sourceview5::StyleSchemeManager::default().scheme(name) {
        buffer.set_style_scheme(Some(&s));
    }
}

/// The whole text of a view's buffer.
pub fn text_of(view: &sourceview5::View) -> glib::GString {
    let buffer = view.buffer();
    let (s, e) = buffer.bounds();
    buffer.text(&s, &e, false)
}
