//! The pointer grab for guests without a tablet (relative pointer). GTK 4 has no grab
//! API, so on X11 the display grabs the pointer itself (XGrabPointer, confined to the
//! window), hides the cursor and warps it back to the middle of the guest screen after
//! each motion; the distance moved is what the guest gets. A click into the console
//! grabs, Ctrl+Alt (or focus leaving) lets go.
//!
//! Elsewhere (Wayland) there is no grab: motion inside the widget still reaches the
//! guest as relative movement, without confinement.

use std::ffi::{c_int, c_uint, c_ulong, c_void};

use gtk::glib::translate::ToGlibPtr;
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gdk, graphene};

use super::{DisplayEvent, GuestDisplay};

type XDisplay = c_void;
type XWindow = c_ulong;

const GRAB_SUCCESS: c_int = 0;
const GRAB_MODE_ASYNC: c_int = 1;
const CURRENT_TIME: c_ulong = 0;
const BUTTON_PRESS_MASK: c_uint = 1 << 2;
const BUTTON_RELEASE_MASK: c_uint = 1 << 3;
const POINTER_MOTION_MASK: c_uint = 1 << 6;

#[link(name = "X11")]
extern "C" {
    fn XGrabPointer(
        display: *mut XDisplay,
        grab_window: XWindow,
        owner_events: c_int,
        event_mask: c_uint,
        pointer_mode: c_int,
        keyboard_mode: c_int,
        confine_to: XWindow,
        cursor: c_ulong,
        time: c_ulong,
    ) -> c_int;
    fn XUngrabPointer(display: *mut XDisplay, time: c_ulong) -> c_int;
    #[allow(clippy::too_many_arguments)]
    fn XWarpPointer(
        display: *mut XDisplay,
        src_w: XWindow,
        dest_w: XWindow,
        src_x: c_int,
        src_y: c_int,
        src_width: c_uint,
        src_height: c_uint,
        dest_x: c_int,
        dest_y: c_int,
    ) -> c_int;
    fn XFlush(display: *mut XDisplay) -> c_int;
}

/// The X display and window of the widget's toplevel, when it runs on X11.
fn x11_target(w: &gtk::Widget) -> Option<(*mut XDisplay, XWindow)> {
    let surface = w.native()?.surface()?;
    let xsurface = surface.downcast_ref::<gdk_x11::X11Surface>()?;
    let xdisplay = surface.display().downcast::<gdk_x11::X11Display>().ok()?;
    // SAFETY: the display is an X11 display (checked by the downcast) and lives as
    // long as the process's GDK display.
    let dpy = unsafe { gdk_x11::ffi::gdk_x11_display_get_xdisplay(xdisplay.to_glib_none().0) };
    if dpy.is_null() {
        return None;
    }
    Some((dpy as *mut XDisplay, xsurface.xid()))
}

impl GuestDisplay {
    /// Whether the pointer is grabbed (relative pointer, X11).
    pub fn pointer_grabbed(&self) -> bool {
        self.imp().grabbed.get()
    }

    /// The middle of the widget, in widget coordinates.
    fn centre(&self) -> (f64, f64) {
        ((self.width() / 2) as f64, (self.height() / 2) as f64)
    }

    /// The middle of the widget in the toplevel surface's coordinates (device pixels
    /// for X), where the pointer is put back after each motion.
    fn centre_in_surface(&self) -> Option<(i32, i32)> {
        let native = self.native()?;
        let (cx, cy) = self.centre();
        let p = self.compute_point(&native, &graphene::Point::new(cx as f32, cy as f32))?;
        let (ox, oy) = native.surface_transform();
        let sf = self.scale_factor().max(1) as f64;
        Some((
            ((p.x() as f64 + ox) * sf) as i32,
            ((p.y() as f64 + oy) * sf) as i32,
        ))
    }

    /// Grab the pointer for a guest with a relative pointer (a click into the display).
    pub(super) fn grab_pointer(&self) {
        let imp = self.imp();
        if imp.grabbed.get() || imp.absolute.get() || !self.is_ready() {
            return;
        }
        let Some((dpy, win)) = x11_target(self.upcast_ref()) else {
            return; // not X11: relative motion without a grab
        };
        // SAFETY: dpy and win come from GDK for a realized toplevel of this process.
        let r = unsafe {
            XGrabPointer(
                dpy,
                win,
                1,
                BUTTON_PRESS_MASK | BUTTON_RELEASE_MASK | POINTER_MOTION_MASK,
                GRAB_MODE_ASYNC,
                GRAB_MODE_ASYNC,
                win,
                0,
                CURRENT_TIME,
            )
        };
        if r != GRAB_SUCCESS {
            tracing::info!("vnc: the pointer grab was refused ({r})");
            return;
        }
        imp.grabbed.set(true);
        imp.saved_cursor.replace(self.cursor());
        self.set_cursor_from_name(Some("none"));
        self.warp_to_centre();
        self.emit(DisplayEvent::PointerGrab(true));
    }

    /// Let the pointer go (Ctrl+Alt, focus leaving, disconnection).
    pub fn ungrab_pointer(&self) {
        let imp = self.imp();
        if !imp.grabbed.replace(false) {
            return;
        }
        if let Some((dpy, _)) = x11_target(self.upcast_ref()) {
            // SAFETY: as in grab_pointer.
            unsafe {
                XUngrabPointer(dpy, CURRENT_TIME);
                XFlush(dpy);
            }
        }
        let cursor: Option<gdk::Cursor> = imp.saved_cursor.take();
        self.set_cursor(cursor.as_ref());
        imp.last_pos.set(None);
        self.emit(DisplayEvent::PointerGrab(false));
    }

    fn warp_to_centre(&self) {
        let Some((cx, cy)) = self.centre_in_surface() else {
            return;
        };
        if let Some((dpy, win)) = x11_target(self.upcast_ref()) {
            // SAFETY: as in grab_pointer.
            unsafe {
                XWarpPointer(dpy, 0, win, 0, 0, 0, 0, cx, cy);
                XFlush(dpy);
            }
            self.imp().last_pos.set(Some(self.centre()));
        }
    }

    /// Motion while grabbed: the distance from the middle goes to the guest, and the
    /// pointer goes back to the middle. Returns false when not grabbed.
    pub(super) fn grabbed_motion(&self, x: f64, y: f64) -> bool {
        if !self.imp().grabbed.get() {
            return false;
        }
        let (cx, cy) = self.centre();
        if (x - cx).abs() < 0.5 && (y - cy).abs() < 0.5 {
            return true; // the warp's own echo
        }
        self.imp().last_pos.set(Some((x, y)));
        self.send_pointer(Some((cx, cy)));
        self.warp_to_centre();
        true
    }
}
