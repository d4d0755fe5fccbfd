//! What screen readers hear: fixes for GTK 4.8's accessible names.

/// Work around two ways GTK 4.8 makes screen readers say a name twice, for every
/// widget of every window (libadwaita's dialogs too), as it is mapped and whenever its
/// label or tooltip changes afterwards:
/// - `gtk_button_set_label` puts the raw label ("_Apply") in the accessible label, and
///   the label inside the button, whose mnemonic widget the button is, names it again
///   ("Apply"): "_Apply Apply". The accessible label is reset, so the label names the
///   button once.
/// - every tooltip becomes the accessible description, said after the name: an icon
///   button named by its tooltip, or a label whose tooltip shows its own (ellipsized)
///   text, is heard twice. An icon-only button is named by its tooltip, without a
///   description; a label's tooltip that repeats its text is no description.
///
/// Installed once, at startup.
pub fn install_accessible_name_fix() {
    use gtk::glib::translate::{FromGlibPtrBorrow, IntoGlib};
    use gtk::prelude::*;

    static ONCE: std::sync::Once = std::sync::Once::new();

    fn fix(w: &gtk::Widget) {
        let tooltip = w.tooltip_text();
        if let Some(b) = w.downcast_ref::<gtk::Button>() {
            match b.label() {
                Some(l) if b.uses_underline() && l.contains('_') => {
                    b.reset_property(gtk::AccessibleProperty::Label);
                }
                None => {
                    if let Some(t) = &tooltip {
                        b.update_property(&[gtk::accessible::Property::Label(t)]);
                        b.reset_property(gtk::AccessibleProperty::Description);
                    }
                }
                _ => {}
            }
        } else if let Some(m) = w.downcast_ref::<gtk::MenuButton>() {
            if let (None, Some(t)) = (m.label(), &tooltip) {
                m.update_property(&[gtk::accessible::Property::Label(t)]);
                m.reset_property(gtk::AccessibleProperty::Description);
            }
        } else if let Some(l) = w.downcast_ref::<gtk::Label>() {
            if tooltip.is_some_and(|t| t == l.text()) {
                l.reset_property(gtk::AccessibleProperty::Description);
            }
        }
    }

    unsafe extern "C" fn on_map(
        _hint: *mut gtk::glib::gobject_ffi::GSignalInvocationHint,
        n_params: u32,
        params: *const gtk::glib::gobject_ffi::GValue,
        _data: gtk::glib::ffi::gpointer,
    ) -> gtk::glib::ffi::gboolean {
        if n_params == 0 || params.is_null() {
            return gtk::glib::ffi::GTRUE;
        }
        // SAFETY: GLib passes the emission's parameters, the first being the instance
        // (a GtkWidget for "map"), valid for the duration of the hook.
        let value = unsafe { gtk::glib::Value::from_glib_borrow(params) };
        let Ok(widget) = value.get::<gtk::Widget>() else {
            return gtk::glib::ffi::GTRUE;
        };
        let concerned = widget.is::<gtk::Button>()
            || widget.is::<gtk::MenuButton>()
            || (widget.is::<gtk::Label>() && widget.has_tooltip());
        if concerned {
            fix(&widget);
            // Follow later changes, once per widget.
            // SAFETY: the key is private to this function and only ever holds `()`.
            let seen = unsafe { widget.data::<()>("hangar-a11y-name").is_some() };
            if !seen {
                // SAFETY: as above.
                unsafe { widget.set_data("hangar-a11y-name", ()) };
                widget.connect_notify_local(Some("label"), |w, _| fix(w));
                widget.connect_notify_local(Some("tooltip-text"), |w, _| fix(w));
            }
        }
        gtk::glib::ffi::GTRUE
    }

    ONCE.call_once(|| {
        // SAFETY: "map" is a signal of GtkWidget without G_SIGNAL_NO_HOOKS; the hook is
        // a plain function that stays for the life of the process.
        unsafe {
            // The class must exist for its signals to be found (no widget may have
            // been made yet); it is kept for good.
            gtk::glib::gobject_ffi::g_type_class_ref(gtk::Widget::static_type().into_glib());
            let id = gtk::glib::gobject_ffi::g_signal_lookup(
                c"map".as_ptr(),
                gtk::Widget::static_type().into_glib(),
            );
            if id != 0 {
                gtk::glib::gobject_ffi::g_signal_add_emission_hook(
                    id,
                    0,
                    Some(on_map),
                    std::ptr::null_mut(),
                    None,
                );
            }
        }
    });
}

/// Show assistive technologies only the page of `stack` that is shown. GTK 4.8 presents
/// a stack's hidden pages too: a screen reader reads them out, and every walk of the
/// window's tree crosses them.
pub fn present_shown_page_only(stack: &gtk::Stack) {
    use gtk::prelude::*;
    fn sync(stack: &gtk::Stack) {
        let shown = stack.visible_child();
        let mut child = stack.first_child();
        while let Some(c) = child {
            c.update_state(&[gtk::accessible::State::Hidden(Some(&c) != shown.as_ref())]);
            child = c.next_sibling();
        }
    }
    sync(stack);
    stack.connect_visible_child_notify(sync);
}

/// The same for a search bar while it is closed (GTK 4.8 presents its hidden entry).
pub fn present_open_search_bar_only(bar: &gtk::SearchBar) {
    use gtk::prelude::*;
    fn sync(bar: &gtk::SearchBar) {
        bar.update_state(&[gtk::accessible::State::Hidden(!bar.is_search_mode())]);
    }
    sync(bar);
    bar.connect_search_mode_enabled_notify(sync);
}
