//! Frames: the one image per frame-clock tick made of the framebuffer for the
//! renderer, and the screen as a texture.

use std::time::Instant;

use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gdk, glib};

use super::fb::*;
use super::GuestDisplay;

impl GuestDisplay {
    /// The guest screen as it is now, as a texture (for screenshots).
    pub fn current_texture(&self) -> Option<gdk::Texture> {
        let fb = self.imp().fb.borrow();
        let fb = fb.as_ref()?;
        let bytes = glib::Bytes::from_owned(Pixels(fb.opaque_copy()?));
        let t = gdk::MemoryTexture::new(
            fb.width,
            fb.height,
            memory_format(),
            &bytes,
            fb.width as usize * 4,
        );
        Some(t.upcast())
    }

    pub(super) fn install_framebuffer(
        &self,
        c: &gvnc::Connection,
        w: i32,
        h: i32,
        remote: &gvnc::PixelFormat,
    ) -> bool {
        let Some(fb) = Fb::new(w, h, remote) else {
            return false;
        };
        let installed = match fb.obj.as_ref() {
            Some(o) => c.set_framebuffer(o).is_ok(),
            None => false,
        };
        if !installed {
            return false;
        }
        let imp = self.imp();
        imp.fb.replace(Some(fb));
        imp.dirty.set(true);
        true
    }

    /// Ask the server for the next update of the whole screen.
    pub(super) fn request_update(&self, incremental: bool) {
        let imp = self.imp();
        if !imp.initialized.get() {
            return;
        }
        let conn = imp.conn.borrow().clone();
        let Some(c) = conn else { return };
        let (w, h) = (
            c.width().clamp(0, u16::MAX as i32),
            c.height().clamp(0, u16::MAX as i32),
        );
        if c.framebuffer_update_request(incremental, 0, 0, w as u16, h as u16)
            .is_ok()
        {
            imp.last_request.set(Some(Instant::now()));
        }
    }

    /// Make a texture at the next frame-clock tick, whatever arrives until then.
    pub(super) fn schedule_frame(&self) {
        let imp = self.imp();
        if imp.tick_pending.get() || !imp.dirty.get() {
            return;
        }
        imp.tick_pending.set(true);
        self.add_tick_callback(|this, _| {
            let imp = this.imp();
            imp.tick_pending.set(false);
            if imp.dirty.get() {
                this.build_texture();
                this.queue_draw();
            }
            this.request_update(true);
            glib::ControlFlow::Break
        });
    }

    /// One frame of the framebuffer as it is now: for the cairo renderer the surface
    /// over the framebuffer itself, else a single copy.
    pub(super) fn build_texture(&self) {
        let imp = self.imp();
        if !imp.dirty.replace(false) {
            return;
        }
        let fb = imp.fb.borrow();
        let Some(fb) = fb.as_ref() else { return };
        let stride = fb.width as usize * 4;
        let frame = if imp.cairo.get() {
            let Some(surface) = fb.surface.as_ref() else {
                return;
            };
            // gvnc wrote behind cairo's back: detach the last frame's snapshot, then
            // tell cairo the pixels changed.
            surface.flush();
            surface.mark_dirty();
            Frame::Surface(surface.clone())
        } else {
            let Some(pixels) = fb.opaque_copy() else {
                return;
            };
            let bytes = glib::Bytes::from_owned(Pixels(pixels));
            let tex = gdk::MemoryTexture::new(fb.width, fb.height, memory_format(), &bytes, stride);
            Frame::Texture(tex.upcast())
        };
        imp.frame.replace(Some(frame));
        imp.frames.set(imp.frames.get() + 1);
    }
}
