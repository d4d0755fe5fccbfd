//! The user interface: window, pages, dialogs.

/// A dialog that is an `AdwWindow` subclass owning its parts: GTK keeps a shown
/// window alive, so whoever opened it may drop its handle at once and every handler
/// inside still works (a dialog that was an `Rc` struct with weak handlers died when
/// the button that opened it returned). `$parts` is the struct of its widgets and
/// state; the dialog dereferences to it. `$imp` names the module of the subclass.
macro_rules! dialog_window {
    ($(#[$meta:meta])* $imp:ident, $name:ident, $gtype:literal, $parts:ident) => {
        mod $imp {
            use adw::subclass::prelude::*;
            use gtk::glib;

            #[derive(Default)]
            pub struct $name {
                pub parts: std::cell::OnceCell<super::$parts>,
            }

            #[glib::object_subclass]
            impl ObjectSubclass for $name {
                const NAME: &'static str = $gtype;
                type Type = super::$name;
                type ParentType = adw::Window;
            }

            impl ObjectImpl for $name {}
            impl WidgetImpl for $name {}
            impl WindowImpl for $name {}
            impl AdwWindowImpl for $name {}
        }

        gtk::glib::wrapper! {
            $(#[$meta])*
            pub struct $name(ObjectSubclass<$imp::$name>)
                @extends adw::Window, gtk::Window, gtk::Widget,
                @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget,
                            gtk::Native, gtk::Root, gtk::ShortcutManager;
        }

        impl std::ops::Deref for $name {
            type Target = $parts;

            fn deref(&self) -> &$parts {
                use gtk::subclass::prelude::ObjectSubclassIsExt;
                self.imp().parts.get().expect("a dialog's parts are set when it is made")
            }
        }

        impl $name {
            /// An empty dialog window; [`Self::set_parts`] completes it.
            fn bare() -> Self {
                gtk::glib::Object::new()
            }

            fn set_parts(&self, parts: $parts) {
                use gtk::subclass::prelude::ObjectSubclassIsExt;
                if self.imp().parts.set(parts).is_err() {
                    unreachable!("a dialog's parts are set once");
                }
            }
        }
    };
}

pub mod add_connection;
pub mod console;
pub mod error;
pub mod graph;
pub mod hardware;
pub mod hardware_add;
pub mod hardware_form;
pub mod host_page;
pub mod list_row;
pub mod networks;
pub mod preferences;
pub mod state;
pub mod vm_page;
pub mod volumes;
pub mod window;
pub mod xml_page;
pub mod xml_view;

pub use window::Window;

/// Tabs above a page's view stack, hidden while it holds only its Overview (the
/// `add_page` of the VM and host pages shows them).
pub(crate) fn setup_tabs(switcher: &adw::ViewSwitcher, stack: &adw::ViewStack) {
    use gtk::prelude::*;
    switcher.set_stack(Some(stack));
    // Narrow: icon above label. Five tabs side by side in the wide layout need
    // ~790 px, which folded the window to its sidebar at 1100 px.
    switcher.set_policy(adw::ViewSwitcherPolicy::Narrow);
    switcher.set_halign(gtk::Align::Center);
    switcher.set_margin_top(6);
    switcher.set_margin_bottom(6);
    switcher.set_visible(false);
}

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
