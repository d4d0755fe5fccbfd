//! A live thumbnail of a running guest's screen, on the Overview and (small) in the VM
//! list rows: refreshed slowly and only while it is on screen, from the open console
//! when there is one (no libvirt call at all), otherwise through `virDomainScreenshot`
//! on the connection's worker. On the Overview a click opens the Console tab.
//!
//! A small thumbnail is refreshed by its owner (the window knows which list rows are in
//! the viewport), and its picture is decoded and scaled down on a thread of GIO's pool,
//! so a list full of them costs the renderer a few kilobytes each, not a full screen.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gdk, glib};

use super::display::GuestDisplay;
use crate::backend::background;
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
        /// The machine shown (its connection is `Connection::of` it).
        pub vm: RefCell<Option<Vm>>,
        pub source: RefCell<Option<glib::SourceId>>,
        /// A console display of the same VM whose frames can be used instead.
        pub display: glib::WeakRef<GuestDisplay>,
        pub busy: Cell<bool>,
        /// The generation whose screenshot waits for the background thread, if any: a
        /// refresh then asks for no other, so a busy computer gets no backlog.
        pub decoding: Cell<Option<u64>>,
        pub generation: Cell<u64>,
        /// Pictures shown so far (for tests).
        pub updates: Cell<u64>,
        /// A hash of the last screenshot shown: an unchanged screen is not decoded,
        /// scaled and drawn again (most guests' screens sit still most of the time).
        pub last_shot: Cell<Option<u64>>,
        /// Screenshots asked of libvirt so far, by domain UUID (for tests: a list row's
        /// thumbnail shows other VMs as the row is reused).
        pub screenshots: RefCell<std::collections::HashMap<String, u64>>,
        /// The device-pixel size a small thumbnail is scaled to; its owner refreshes it
        /// (no timer of its own). `None` for the Overview's.
        pub compact: Cell<Option<(i32, i32)>>,
        #[allow(clippy::type_complexity)]
        pub on_picture: RefCell<Vec<Box<dyn Fn(bool)>>>,
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
        vm_property!();

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
            if self.compact.get().is_none() {
                self.obj().restart();
            }
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

    /// A small thumbnail of `width`×`height` logical pixels, for a list row: not
    /// clickable (the row is), refreshed by [`Thumbnail::refresh_from`].
    pub fn new_compact(width: i32, height: i32) -> Thumbnail {
        let t = Thumbnail::default();
        let imp = t.imp();
        imp.compact.set(Some((width, height)));
        imp.picture.set_size_request(width, height);
        imp.button.set_can_target(false);
        imp.button.set_can_focus(false);
        imp.button.set_tooltip_text(None);
        imp.button.add_css_class("thumbnail-compact");
        t
    }

    fn build(&self) {
        let imp = self.imp();
        // The button says what it shows ("Guest Screen"); the picture inside is that.
        imp.picture
            .update_property(&[gtk::accessible::Property::Label(&gettext("Guest Screen"))]);
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
    pub fn set_display(&self, display: &GuestDisplay) {
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

    /// Screenshots asked of libvirt so far.
    pub fn screenshots(&self) -> u64 {
        self.imp().screenshots.borrow().values().sum()
    }

    /// Screenshots of the domain `uuid` asked of libvirt so far.
    pub fn screenshots_of(&self, uuid: &str) -> u64 {
        self.imp()
            .screenshots
            .borrow()
            .get(uuid)
            .copied()
            .unwrap_or(0)
    }

    /// The picture shown, if any.
    pub fn paintable(&self) -> Option<gdk::Paintable> {
        self.imp().picture.paintable()
    }

    /// Called with `true` when a picture shows, `false` when it goes.
    pub fn connect_picture_changed(&self, f: impl Fn(bool) + 'static) {
        self.imp().on_picture.borrow_mut().push(Box::new(f));
    }

    /// The VM shown, if any.
    pub fn vm(&self) -> Option<Vm> {
        self.imp().vm.borrow().clone()
    }

    pub fn set_vm(&self, vm: Option<&Vm>) {
        let imp = self.imp();
        if imp.vm.borrow().as_ref() == vm {
            return;
        }
        imp.generation.set(imp.generation.get() + 1);
        imp.vm.replace(vm.cloned());
        self.notify("vm");
        self.hide_picture();
        if imp.compact.get().is_none() {
            self.restart();
        }
    }

    /// The machine shown and its connection.
    pub fn current(&self) -> Option<(Connection, Vm)> {
        let vm = self.imp().vm.borrow().clone()?;
        Some((Connection::of(&vm)?, vm))
    }

    fn hide_picture(&self) {
        let imp = self.imp();
        imp.last_shot.set(None);
        imp.picture.set_paintable(None::<&gdk::Paintable>);
        if imp.button.is_visible() {
            imp.button.set_visible(false);
            for f in imp.on_picture.borrow().iter() {
                f(false);
            }
        }
    }

    /// Refresh now, from `display` when it is open on the same VM (a small thumbnail's
    /// owner calls this on its own schedule). True when a screenshot was asked of
    /// libvirt.
    pub fn refresh_from(&self, display: Option<&GuestDisplay>) -> bool {
        self.imp().display.set(display);
        let before = self.screenshots();
        self.refresh();
        self.screenshots() > before
    }

    fn restart(&self) {
        let imp = self.imp();
        if let Some(s) = imp.source.take() {
            s.remove();
        }
        if imp.vm.borrow().is_none() || !self.is_mapped() {
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
        let Some((conn, vm)) = imp.obj().current() else {
            return;
        };
        if !vm.domain_state().is_active() {
            self.hide_picture();
            return;
        }
        // An open console already has the picture.
        if let Some(d) = imp.display.upgrade().filter(|d| d.is_ready()) {
            if let Some(t) = d.current_texture() {
                imp.last_shot.set(None);
                self.show(t, imp.generation.get());
                return;
            }
        }
        if imp.decoding.get() == Some(imp.generation.get()) || imp.busy.replace(true) {
            return;
        }
        *imp.screenshots.borrow_mut().entry(vm.uuid()).or_default() += 1;
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
                Ok((_, bytes)) => {
                    imp.decoding.set(Some(generation));
                    let t = this.decode(bytes, generation).await;
                    if imp.decoding.get() == Some(generation) {
                        imp.decoding.set(None);
                    }
                    match t {
                        Some(Ok(t)) => this.show(t, generation),
                        Some(Err(e)) => tracing::debug!("thumbnail does not load: {e}"),
                        None => {}
                    }
                }
                // No screen (no graphics device, driver without screenshots): none.
                Err(e) => {
                    tracing::debug!("thumbnail of {}: {e}", vm.name());
                    this.hide_picture();
                }
            }
        });
    }

    /// The screenshot `bytes` as a texture, decoded in the background; None when the
    /// screen is unchanged (or the thumbnail shows another VM by now).
    async fn decode(
        &self,
        bytes: Vec<u8>,
        generation: u64,
    ) -> Option<Result<gdk::Texture, glib::Error>> {
        let imp = self.imp();
        // Hashing a whole screen is background work, not the main loop's.
        let (hash, bytes) = background::run(move || (screen_hash(&bytes), bytes)).await?;
        if imp.generation.get() != generation
            || imp.last_shot.replace(Some(hash)) == Some(hash) && self.has_picture()
        {
            return None;
        }
        let bytes = glib::Bytes::from_owned(bytes);
        // Decoded in the background too (a small one is then scaled there).
        background::run(move || gdk::Texture::from_bytes(&bytes)).await
    }

    fn show(&self, t: gdk::Texture, generation: u64) {
        let Some((w, h)) = self.imp().compact.get() else {
            self.set_picture(&t);
            return;
        };
        // Scale to the device pixels the row shows, off the main thread.
        let sf = self.scale_factor().max(1);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let small = background::run(move || scale_down(&t, w * sf, h * sf)).await;
            let Some(this) = this.upgrade() else { return };
            if this.imp().generation.get() != generation {
                return;
            }
            if let Some(small) = small {
                this.set_picture(&small);
            }
        });
    }

    fn set_picture(&self, t: &gdk::Texture) {
        let imp = self.imp();
        imp.picture.set_paintable(Some(t));
        imp.updates.set(imp.updates.get() + 1);
        if !imp.button.is_visible() {
            imp.button.set_visible(true);
            for f in imp.on_picture.borrow().iter() {
                f(true);
            }
        }
    }
}

/// A hash of a screenshot's bytes, to tell an unchanged screen.
fn screen_hash(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// `t` made to fit `max_w`×`max_h` keeping its aspect ratio, each target pixel the
/// average of the source pixels it covers (a box filter: no aliasing of text).
pub fn scale_down(t: &gdk::Texture, max_w: i32, max_h: i32) -> gdk::Texture {
    let (sw, sh) = (t.width().max(1) as usize, t.height().max(1) as usize);
    let s = (max_w.max(1) as f64 / sw as f64).min(max_h.max(1) as f64 / sh as f64);
    if s >= 1.0 {
        return t.clone();
    }
    let dw = ((sw as f64 * s).round() as usize).max(1);
    let dh = ((sh as f64 * s).round() as usize).max(1);
    let stride = sw * 4;
    let mut src = vec![0u8; stride * sh];
    // GDK's default layout: B8G8R8A8 premultiplied, which averages correctly.
    t.download(&mut src, stride);
    let mut out = vec![0u8; dw * dh * 4];
    for dy in 0..dh {
        let (y0, y1) = (dy * sh / dh, ((dy + 1) * sh / dh).max(dy * sh / dh + 1));
        for dx in 0..dw {
            let (x0, x1) = (dx * sw / dw, ((dx + 1) * sw / dw).max(dx * sw / dw + 1));
            let mut acc = [0u32; 4];
            for y in y0..y1 {
                let row = &src[y * stride..(y + 1) * stride];
                for px in row[x0 * 4..x1 * 4].chunks_exact(4) {
                    for c in 0..4 {
                        acc[c] += px[c] as u32;
                    }
                }
            }
            let n = ((y1 - y0) * (x1 - x0)) as u32;
            let o = (dy * dw + dx) * 4;
            for c in 0..4 {
                out[o + c] = (acc[c] / n) as u8;
            }
        }
    }
    let bytes = glib::Bytes::from_owned(out);
    gdk::MemoryTexture::new(
        dw as i32,
        dh as i32,
        gdk::MemoryFormat::B8g8r8a8Premultiplied,
        &bytes,
        dw * 4,
    )
    .upcast()
}
