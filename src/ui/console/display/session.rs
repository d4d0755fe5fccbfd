//! The protocol beneath the display: what differs between VNC (gvnc) and SPICE
//! (spice-client-glib) once connected. Everything above it — the frame path, scaling,
//! the keymap and send-keys, the pointer grab, screenshots and thumbnails — is one
//! code path in the widget.

use super::spice_session::{self, SpiceSession};

/// Where the pointer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pointer {
    /// At this guest pixel (a tablet: VNC's absolute pointer, SPICE's client mode).
    Absolute(u16, u16),
    /// By this many guest pixels (a mouse).
    Relative(i32, i32),
}

/// The input side of a protocol session.
pub trait Session {
    /// A key as a QEMU key number (PC set 1, 0x80 added for 0xE0 keys) from our keymap;
    /// `keysym` for servers that only know those (VNC without the QEMU extension).
    fn key(&self, down: bool, keysym: u32, qnum: u16);
    /// The pointer moved (or buttons changed): buttons held in RFB's mask layout
    /// (1 left, 2 middle, 4 right, 8/16 wheel up/down, 32/64 wheel left/right).
    fn pointer(&self, buttons: u8, at: Pointer);
}

impl Session for gvnc::Connection {
    fn key(&self, down: bool, keysym: u32, qnum: u16) {
        let _ = self.key_event(down, keysym, qnum);
    }

    fn pointer(&self, buttons: u8, at: Pointer) {
        let (x, y) = match at {
            Pointer::Absolute(x, y) => (x, y),
            // QEMU takes 0x7FFF + delta as a movement in relative mode.
            Pointer::Relative(dx, dy) => (
                (0x7fff + dx.clamp(-0x7000, 0x7000)) as u16,
                (0x7fff + dy.clamp(-0x7000, 0x7000)) as u16,
            ),
        };
        let _ = self.pointer_event(buttons, x, y);
    }
}

impl Session for SpiceSession {
    fn key(&self, down: bool, _keysym: u32, qnum: u16) {
        // SPICE carries scancodes only: a key our table does not know cannot be sent.
        if qnum != 0 {
            SpiceSession::key(self, qnum, down);
        }
    }

    fn pointer(&self, buttons: u8, at: Pointer) {
        match at {
            Pointer::Absolute(x, y) => self.pointer_absolute(x as i32, y as i32),
            Pointer::Relative(dx, dy) => self.pointer_relative(dx, dy),
        }
        self.buttons_mask(buttons);
    }
}

/// How a SPICE session reaches its server: libvirt's socket per channel, an SSH tunnel
/// per channel, or TCP.
pub type SpiceTarget = spice_session::Target;
pub use spice_session::{FdRequest, FdSource};
