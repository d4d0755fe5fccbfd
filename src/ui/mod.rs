//! The user interface: one room a capability. `window` (the main window, its list and
//! actions, connections and preferences), `vm` (a machine's page and its tabs:
//! overview, hardware, XML), `console` (graphical and serial consoles), `create` (the new-machine wizard), `host` (a
//! connection's page: overview, networks, topology), `components` (small widgets
//! several rooms use), and `error` (the one path errors take to people).

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

/// The `vm` property of a page that shows one virtual machine (inside its
/// `impl ObjectImpl`): set, it calls the page's `set_vm`; read, it is the machine
/// shown. The VM page binds its own `vm` to each of its pages once.
macro_rules! vm_property {
    () => {
        fn properties() -> &'static [gtk::glib::ParamSpec] {
            static PROPS: std::sync::OnceLock<Vec<gtk::glib::ParamSpec>> =
                std::sync::OnceLock::new();
            PROPS.get_or_init(|| {
                vec![gtk::glib::ParamSpecObject::builder::<crate::model::Vm>("vm").build()]
            })
        }

        fn set_property(
            &self,
            _id: usize,
            value: &gtk::glib::Value,
            _pspec: &gtk::glib::ParamSpec,
        ) {
            let vm = value.get::<Option<crate::model::Vm>>().ok().flatten();
            gtk::subclass::prelude::ObjectSubclassExt::obj(self).set_vm(vm.as_ref());
        }

        fn property(&self, _id: usize, _pspec: &gtk::glib::ParamSpec) -> gtk::glib::Value {
            gtk::glib::value::ToValue::to_value(&*self.vm.borrow())
        }
    };
}

pub mod components;
pub mod console;
pub mod create;
pub mod error;
pub mod host;
pub mod vm;
pub mod window;

pub use window::Window;
