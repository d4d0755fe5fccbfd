//! A live thumbnail of a running guest's screen, on the Overview: refreshed slowly and
//! only while it is on screen, from the open console when there is one (no libvirt
//! call at all), otherwise through `virDomainScreenshot` on the connection's worker.
//! A click opens the Console tab.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gdk, glib};

use super::display::VncDisplay;
use crate::i18n::gettext;
use crate::model::{Connection, Vm};

/// How often a visible thumbnail is refreshed.
const REFRESH: Duration = Duration::from_secs(3);

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct Thumbnail {
        pub picture: gtk::Picture,
        pub button: gtk::Button,
        pub current: RefCell<Option<(Connection, Vm)>>,
        pub source: RefCell<Option<glib::SourceId>>,
        /// A console display of the same VM whose frames can be used instead.
        pub display: glib::WeakRef<VncDisplay>,
        pub busy: Cell<bool>,
        pub generation: Cell<u64>,
        /// Pictures shown so far (for tests).
        pub updates: Cell<u64>,
        #[allow(clippy::type_complexity)]
        pub on_click: RefCell<Vec<Box<dyn Fn()>>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Thumbnail {
        const NAME: &'static str = "HangarThumbnail";
        type Type = super::Thumbnail;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for Thumbnail {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
        fn dispose(&self) {
            if let Some(s) = self.source.take() {
                s.remove();
            }
        }
    }
    impl WidgetImpl for Thumbnail {
        fn map(&self) {
            self.parent_map();
            self.obj().restart();
        }
        fn unmap(&self) {
            if let Some(s) = self.source.take() {
                s.remove();
            }
            self.parent_unmap();
        }
    }
    impl BoxImpl for Thumbnail {}
}

glib::wrapper! {
    pub struct Thumbnail(ObjectSubclass<imp::Thumbnail>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for Thumbnail {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl Thumbnail {
    pub fn new() -> Thumbnail {
        Thumbnail::default()
    }

    fn build(&self) {
        let imp = self.imp();
        imp.picture.set_can_shrink(true);
        imp.picture.set_content_fit(gtk::ContentFit::Contain);
        imp.picture.set_size_request(320, 180);
        imp.button.set_child(Some(&imp.picture));
        imp.button.add_css_class("card");
        imp.button.set_halign(gtk::Align::Center);
        imp.button
            .set_tooltip_text(Some(&gettext("Open the Console")));
        imp.button
            .update_property(&[gtk::accessible::Property::Label(&gettext("Guest Screen"))]);
        let this = self.downgrade();
        imp.button.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                for f in this.imp().on_click.borrow().iter() {
                    f();
                }
            }
        });
        imp.button.set_visible(false);
        self.append(&imp.button);
    }

    /// Use the frames of this console display when it shows the same VM.
    pub fn set_display(&self, display: &VncDisplay) {
        self.imp().display.set(Some(display));
    }

    /// Called when the thumbnail is clicked (the window opens the Console tab).
    pub fn connect_clicked(&self, f: impl Fn() + 'static) {
        self.imp().on_click.borrow_mut().push(Box::new(f));
    }

    /// Whether a picture shows.
    pub fn has_picture(&self) -> bool {
        self.imp().button.is_visible() && self.imp().picture.paintable().is_some()
    }

    /// Pictures shown so far.
    pub fn updates(&self) -> u64 {
        self.imp().updates.get()
    }

    pub fn set_vm(&self, target: Option<(&Connection, &Vm)>) {
        let imp = self.imp();
        imp.generation.set(imp.generation.get() + 1);
        imp.current
            .replace(target.map(|(c, v)| (c.clone(), v.clone())));
        imp.picture.set_paintable(None::<&gdk::Paintable>);
        imp.button.set_visible(false);
        self.restart();
    }

    fn restart(&self) {
        let imp = self.imp();
        if let Some(s) = imp.source.take() {
            s.remove();
        }
        if imp.current.borrow().is_none() || !self.is_mapped() {
            return;
        }
        self.refresh();
        let this = self.downgrade();
        let id = glib::timeout_add_local(REFRESH, move || {
            let Some(this) = this.upgrade() else {
                return glib::ControlFlow::Break;
            };
            this.refresh();
            glib::ControlFlow::Continue
        });
        imp.source.replace(Some(id));
    }

    fn refresh(&self) {
        let imp = self.imp();
        let Some((conn, vm)) = imp.current.borrow().clone() else {
            return;
        };
        if !vm.domain_state().is_active() {
            imp.button.set_visible(false);
            return;
        }
        // An open console already has the picture.
        if let Some(d) = imp.display.upgrade().filter(|d| d.is_ready()) {
            if let Some(t) = d.current_texture() {
                self.show(&t);
                return;
            }
        }
        if imp.busy.replace(true) {
            return;
        }
        let generation = imp.generation.get();
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().screenshot(vm.uuid()).await;
            let Some(this) = this.upgrade() else { return };
            let imp = this.imp();
            imp.busy.set(false);
            if imp.generation.get() != generation {
                return;
            }
            match r {
                Ok((_, bytes)) => match gdk::Texture::from_bytes(&glib::Bytes::from_owned(bytes)) {
                    Ok(t) => this.show(&t),
                    Err(e) => tracing::debug!("thumbnail does not load: {e}"),
                },
                // No screen (no graphics device, driver without screenshots): none.
                Err(e) => {
                    tracing::debug!("thumbnail of {}: {e}", vm.name());
                    imp.button.set_visible(false);
                }
            }
        });
    }

    fn show(&self, t: &gdk::Texture) {
        let imp = self.imp();
        imp.picture.set_paintable(Some(t));
        imp.updates.set(imp.updates.get() + 1);
        imp.button.set_visible(true);
    }
}
