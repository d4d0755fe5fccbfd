//! "Resize the guest to the window": the RFB extended desktop size extension
//! (SetDesktopSize), or over SPICE the agent's monitor configuration. Offered only once the server has announced the extension; the
//! request goes out when the widget's size has stayed put for a moment, so dragging a
//! window edge sends one request, not one per pixel.

use std::time::Duration;

use gtk::glib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;

use super::{DisplayEvent, GuestDisplay, Scaling};

/// How long the widget's size must stay the same before the guest is asked to follow.
pub const RESIZE_DEBOUNCE: Duration = Duration::from_millis(300);

/// How many framebuffer updates of a connection may show the server's announcement.
const PROBES: u32 = 64;

impl GuestDisplay {
    /// Whether the server can resize its screen on request (extended desktop size).
    pub fn can_resize_guest(&self) -> bool {
        self.imp().resize_supported.get()
    }

    /// A new connection: nothing known yet.
    pub(super) fn reset_guest_resize(&self) {
        let imp = self.imp();
        imp.resize_supported.set(false);
        imp.resize_probes.set(0);
        imp.resize_asked.set(None);
        if let Some(id) = imp.resize_timer.take() {
            id.remove();
        }
    }

    /// Has the server announced the extension yet? gvnc keeps that to itself, but its
    /// `set_size` answers "unsupported" without sending anything until then. Once it is
    /// supported, the probe is a request for the current size, which changes nothing.
    pub(super) fn probe_guest_resize(&self, c: &gvnc::Connection) {
        let imp = self.imp();
        if imp.resize_supported.get() || imp.resize_probes.get() >= PROBES {
            return;
        }
        imp.resize_probes.set(imp.resize_probes.get() + 1);
        let (w, h) = (c.width(), c.height());
        if w <= 0 || h <= 0 {
            return;
        }
        if c.set_size(w as u32, h as u32) == gvnc::ConnectionResizeStatus::Unsupported {
            return;
        }
        tracing::debug!("vnc: the server resizes its screen on request");
        imp.resize_supported.set(true);
        imp.resize_asked.set(Some((w as u32, h as u32)));
        self.emit(DisplayEvent::GuestResizeAvailable);
        self.queue_resize();
        self.schedule_guest_resize();
    }

    /// The widget's size changed: ask the guest to follow once it stays put.
    pub(super) fn schedule_guest_resize(&self) {
        let imp = self.imp();
        if imp.scaling.get() != Scaling::Resize || !imp.resize_supported.get() {
            return;
        }
        if let Some(id) = imp.resize_timer.take() {
            id.remove();
        }
        let this = self.downgrade();
        let id = glib::timeout_add_local_once(RESIZE_DEBOUNCE, move || {
            if let Some(this) = this.upgrade() {
                this.imp().resize_timer.replace(None);
                this.resize_guest_now();
            }
        });
        imp.resize_timer.replace(Some(id));
    }

    fn resize_guest_now(&self) {
        let imp = self.imp();
        if imp.scaling.get() != Scaling::Resize || !self.is_ready() {
            return;
        }
        let conn = imp.conn.borrow().clone();
        // One guest pixel per device pixel.
        let sf = self.scale_factor().max(1);
        let (w, h) = (self.width() * sf, self.height() * sf);
        if w < 16 || h < 16 {
            return;
        }
        let want = (w as u32, h as u32);
        if self.screen_size() == Some((w, h)) || imp.resize_asked.get() == Some(want) {
            return;
        }
        imp.resize_asked.set(Some(want));
        if self.is_spice() {
            let sent = self.spice_guest_size(w, h);
            tracing::debug!("spice: asked the guest for {w}×{h}: {sent}");
            return;
        }
        let Some(c) = conn else { return };
        match c.set_size(want.0, want.1) {
            gvnc::ConnectionResizeStatus::Unsupported => {
                imp.resize_supported.set(false);
                self.queue_resize();
            }
            s => tracing::debug!("vnc: asked the guest for {}×{}: {s:?}", want.0, want.1),
        }
    }
}
