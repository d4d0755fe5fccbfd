//! Input: keys as QEMU scancodes (keysym as the fallback), pointer, buttons, wheel, the
//! send-key combinations, and the window shortcuts switched off while the guest has
//! the keyboard.

use std::time::Duration;

use gtk::glib::translate::IntoGlib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gdk, glib};

use super::session::Pointer;
use super::GuestDisplay;
use crate::backend::console::keymap;

fn is_ctrl_or_alt(k: gdk::Key) -> bool {
    matches!(
        k,
        gdk::Key::Control_L | gdk::Key::Control_R | gdk::Key::Alt_L | gdk::Key::Alt_R
    )
}

impl GuestDisplay {
    /// Ctrl+Alt alone releases the keyboard: remember when both are down and nothing
    /// else was pressed with them (Ctrl+Alt+F2 still reaches the guest).
    fn track_release_combo(&self, keyval: gdk::Key, state: gdk::ModifierType) {
        let imp = self.imp();
        let ctrl = keyval == gdk::Key::Control_L
            || keyval == gdk::Key::Control_R
            || state.contains(gdk::ModifierType::CONTROL_MASK);
        let alt = keyval == gdk::Key::Alt_L
            || keyval == gdk::Key::Alt_R
            || state.contains(gdk::ModifierType::ALT_MASK);
        imp.release_combo.set(is_ctrl_or_alt(keyval) && ctrl && alt);
    }

    /// Give the keyboard back to the desktop: keys held are released in the guest and
    /// the focus leaves the display (window shortcuts work again).
    pub fn release_keyboard(&self) {
        self.ungrab_pointer();
        self.release_all();
        if let Some(root) = self.root() {
            root.set_focus(None::<&gtk::Widget>);
        }
    }

    pub(super) fn setup(&self) {
        self.set_focusable(true);
        self.set_focus_on_click(true);
        self.set_hexpand(true);
        self.set_vexpand(true);
        self.set_overflow(gtk::Overflow::Hidden);

        let key = gtk::EventControllerKey::new();
        let this = self.downgrade();
        key.connect_key_pressed(move |_, keyval, keycode, state| {
            if let Some(this) = this.upgrade() {
                if this.is_ready() {
                    this.track_release_combo(keyval, state);
                    this.send_key(true, keyval.into_glib(), keycode);
                    return glib::Propagation::Stop;
                }
            }
            glib::Propagation::Proceed
        });
        let this = self.downgrade();
        key.connect_key_released(move |_, keyval, keycode, _| {
            if let Some(this) = this.upgrade() {
                this.send_key(false, keyval.into_glib(), keycode);
                if this.imp().release_combo.replace(false) && is_ctrl_or_alt(keyval) {
                    // Ctrl+Alt pressed and let go with nothing else: the guest gives
                    // the keyboard back.
                    this.release_keyboard();
                }
            }
        });
        self.add_controller(key);

        let focus = gtk::EventControllerFocus::new();
        let this = self.downgrade();
        focus.connect_enter(move |_| {
            if let Some(this) = this.upgrade() {
                this.suspend_window_shortcuts(true);
                if let Some(top) = this
                    .native()
                    .and_then(|n| n.surface())
                    .and_downcast::<gdk::Toplevel>()
                {
                    top.inhibit_system_shortcuts(None::<&gdk::Event>);
                }
            }
        });
        let this = self.downgrade();
        focus.connect_leave(move |_| {
            if let Some(this) = this.upgrade() {
                this.ungrab_pointer();
                this.release_all();
                this.suspend_window_shortcuts(false);
                if let Some(top) = this
                    .native()
                    .and_then(|n| n.surface())
                    .and_downcast::<gdk::Toplevel>()
                {
                    top.restore_system_shortcuts();
                }
            }
        });
        self.add_controller(focus);

        let motion = gtk::EventControllerMotion::new();
        let this = self.downgrade();
        motion.connect_motion(move |_, x, y| {
            if let Some(this) = this.upgrade() {
                if !this.grabbed_motion(x, y) {
                    this.pointer_moved(x, y);
                }
            }
        });
        self.add_controller(motion);

        let buttons = gtk::EventControllerLegacy::new();
        let this = self.downgrade();
        buttons.connect_event(move |_, event| {
            let Some(this) = this.upgrade() else {
                return glib::Propagation::Proceed;
            };
            let pressed = match event.event_type() {
                gdk::EventType::ButtonPress => true,
                gdk::EventType::ButtonRelease => false,
                _ => return glib::Propagation::Proceed,
            };
            let Some(b) = event.downcast_ref::<gdk::ButtonEvent>() else {
                return glib::Propagation::Proceed;
            };
            if pressed && !this.has_focus() {
                this.grab_focus();
            }
            if pressed {
                // A guest without a tablet: a click into the console takes the pointer.
                this.grab_pointer();
            }
            this.button(b.button(), pressed);
            glib::Propagation::Stop
        });
        self.add_controller(buttons);

        let scroll = gtk::EventControllerScroll::new(gtk::EventControllerScrollFlags::BOTH_AXES);
        let this = self.downgrade();
        scroll.connect_scroll(move |_, dx, dy| {
            if let Some(this) = this.upgrade() {
                this.scrolled(dx, dy);
            }
            glib::Propagation::Stop
        });
        self.add_controller(scroll);

        // A safety net: should an update request get lost, ask again now and then.
        let this = self.downgrade();
        let id = glib::timeout_add_local(Duration::from_millis(500), move || {
            let Some(this) = this.upgrade() else {
                return glib::ControlFlow::Break;
            };
            let imp = this.imp();
            let stale = imp
                .last_request
                .get()
                .map_or(true, |t| t.elapsed() > Duration::from_millis(500));
            if stale && this.is_mapped() && !imp.tick_pending.get() {
                this.request_update(true);
            }
            glib::ControlFlow::Continue
        });
        self.imp().watchdog.replace(Some(id));
    }

    /// While the guest has the keyboard, the window's application accelerators (GTK
    /// runs them in the capture phase, before any widget) must not eat its keys:
    /// Delete, F2 or Ctrl+A belong to the guest then.
    pub(super) fn suspend_window_shortcuts(&self, suspend: bool) {
        let imp = self.imp();
        if suspend {
            let Some(root) = self.root() else { return };
            let list = root.observe_controllers();
            let mut out = Vec::new();
            for i in 0..list.n_items() {
                let Some(c) = list.item(i).and_downcast::<gtk::EventController>() else {
                    continue;
                };
                // The application's accelerators and the menu bar key: shortcut
                // controllers that run before the focus widget sees the key.
                if c.is::<gtk::ShortcutController>()
                    && c.propagation_phase() == gtk::PropagationPhase::Capture
                {
                    out.push((c.downgrade(), c.propagation_phase()));
                    c.set_propagation_phase(gtk::PropagationPhase::None);
                }
            }
            imp.suspended.borrow_mut().extend(out);
        } else {
            for (c, phase) in imp.suspended.take() {
                if let Some(c) = c.upgrade() {
                    c.set_propagation_phase(phase);
                }
            }
        }
    }

    pub(super) fn set_remote_cursor(&self, cursor: Option<&gvnc::Cursor>) {
        match cursor {
            Some(c) => self.set_cursor_rgba(
                c.width() as i32,
                c.height() as i32,
                c.hotx() as i32,
                c.hoty() as i32,
                c.data(),
            ),
            None => self.show_cursor(None),
        }
    }

    /// The guest's cursor shape: RGBA bytes (straight alpha), `w * h * 4` of them.
    pub(super) fn set_cursor_rgba(&self, w: i32, h: i32, hot_x: i32, hot_y: i32, rgba: &[u8]) {
        if w <= 0 || h <= 0 || w > 512 || h > 512 || rgba.len() < (w * h * 4) as usize {
            self.show_cursor(None);
            return;
        }
        let bytes = glib::Bytes::from(&rgba[..(w * h * 4) as usize]);
        let tex =
            gdk::MemoryTexture::new(w, h, gdk::MemoryFormat::R8g8b8a8, &bytes, w as usize * 4);
        let cur =
            gdk::Cursor::from_texture(&tex, hot_x.clamp(0, w - 1), hot_y.clamp(0, h - 1), None);
        self.show_cursor(Some(&cur));
    }

    /// The guest's cursor, kept hidden (for later) while the pointer is grabbed.
    pub(super) fn show_cursor(&self, cursor: Option<&gdk::Cursor>) {
        if self.imp().grabbed.get() {
            self.imp().saved_cursor.replace(cursor.cloned());
        } else {
            self.set_cursor(cursor);
        }
    }

    pub(super) fn send_key(&self, down: bool, keysym: u32, keycode: u32) {
        let scancode = keymap::xkb_to_qnum(keycode).unwrap_or(0);
        self.send_scancode(down, keysym, scancode);
    }

    pub(super) fn send_scancode(&self, down: bool, keysym: u32, scancode: u16) {
        let imp = self.imp();
        let Some(c) = self.input_session() else {
            return;
        };
        if !imp.initialized.get() {
            return;
        }
        {
            let mut held = imp.held.borrow_mut();
            if down {
                held.insert((keysym, scancode));
            } else if !held.remove(&(keysym, scancode)) {
                // A release whose press we never sent (focus came in with it held).
                if !held.iter().any(|(_, s)| *s == scancode && scancode != 0) {
                    return;
                }
                held.retain(|(_, s)| *s != scancode);
            }
        }
        c.key(down, keysym, scancode);
    }

    /// Release every key held, so none sticks in the guest when focus leaves.
    pub fn release_all(&self) {
        let held: Vec<(u32, u16)> = self.imp().held.borrow().iter().copied().collect();
        for (sym, sc) in held.into_iter().rev() {
            self.send_scancode(false, sym, sc);
        }
    }

    /// Press the keys (evdev codes) in order and release them in reverse: the send-key
    /// menu's combinations.
    pub fn send_keys(&self, evdev: &[u32]) {
        for &k in evdev {
            let sc = keymap::evdev_to_qnum(k).unwrap_or(0);
            self.send_scancode(true, keymap::keysym_of_evdev(k), sc);
        }
        for &k in evdev.iter().rev() {
            let sc = keymap::evdev_to_qnum(k).unwrap_or(0);
            self.send_scancode(false, keymap::keysym_of_evdev(k), sc);
        }
    }

    pub(super) fn to_guest(&self, x: f64, y: f64) -> Option<(u16, u16)> {
        let (fw, fh) = self.screen_size()?;
        let (ox, oy, s) = self.placement()?;
        let gx = ((x - ox) / s).floor().clamp(0.0, (fw - 1) as f64);
        let gy = ((y - oy) / s).floor().clamp(0.0, (fh - 1) as f64);
        Some((gx as u16, gy as u16))
    }

    pub(super) fn pointer_moved(&self, x: f64, y: f64) {
        let imp = self.imp();
        let last = imp.last_pos.replace(Some((x, y)));
        if !self.is_ready() {
            return;
        }
        self.send_pointer(last);
    }

    pub(super) fn send_pointer(&self, last: Option<(f64, f64)>) {
        let imp = self.imp();
        let Some(c) = self.input_session() else {
            return;
        };
        let Some((x, y)) = imp.last_pos.get() else {
            return;
        };
        if imp.absolute.get() {
            if let Some((gx, gy)) = self.to_guest(x, y) {
                c.pointer(imp.buttons.get(), Pointer::Absolute(gx, gy));
            }
        } else {
            let (lx, ly) = last.unwrap_or((x, y));
            let s = self.placement().map(|p| p.2).unwrap_or(1.0);
            let dx = ((x - lx) / s).round().clamp(-0x7000 as f64, 0x7000 as f64) as i32;
            let dy = ((y - ly) / s).round().clamp(-0x7000 as f64, 0x7000 as f64) as i32;
            c.pointer(imp.buttons.get(), Pointer::Relative(dx, dy));
        }
    }

    pub(super) fn button(&self, button: u32, pressed: bool) {
        let bit = match button {
            1 => 1u8,
            2 => 2,
            3 => 4,
            _ => return,
        };
        let imp = self.imp();
        let mask = if pressed {
            imp.buttons.get() | bit
        } else {
            imp.buttons.get() & !bit
        };
        imp.buttons.set(mask);
        if self.is_ready() {
            let last = imp.last_pos.get();
            self.send_pointer(last);
        }
    }

    pub(super) fn scrolled(&self, dx: f64, dy: f64) {
        let imp = self.imp();
        let (mut ax, mut ay) = imp.scroll.get();
        ax += dx;
        ay += dy;
        let mut clicks: Vec<u8> = Vec::new();
        while ay >= 1.0 {
            clicks.push(16); // wheel down (button 5)
            ay -= 1.0;
        }
        while ay <= -1.0 {
            clicks.push(8); // wheel up (button 4)
            ay += 1.0;
        }
        while ax >= 1.0 {
            clicks.push(64); // right (button 7)
            ax -= 1.0;
        }
        while ax <= -1.0 {
            clicks.push(32); // left (button 6)
            ax += 1.0;
        }
        imp.scroll.set((ax, ay));
        if !self.is_ready() {
            return;
        }
        for bit in clicks {
            let base = imp.buttons.get();
            imp.buttons.set(base | bit);
            let last = imp.last_pos.get();
            self.send_pointer(last);
            imp.buttons.set(base);
            self.send_pointer(last);
        }
    }
}
