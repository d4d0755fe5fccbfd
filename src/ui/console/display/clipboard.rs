//! The clipboard, both ways, through RFB cut text or the SPICE agent — only while the
//! person has switched sharing on for this display. Text only; RFB carries Latin-1, so
//! what Latin-1 cannot hold is dropped on the way to a VNC guest (SPICE carries UTF-8).

use gtk::glib::translate::ToGlibPtr;
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gdk, glib};

use super::spice_session::Event;
use super::text::{latin1_to_string, string_arg, string_to_latin1};
use super::GuestDisplay;

impl GuestDisplay {
    /// Share the clipboard with the guest (off until switched on).
    pub fn set_clipboard_sharing(&self, on: bool) {
        let imp = self.imp();
        if imp.clipboard_sharing.replace(on) == on {
            return;
        }
        if on {
            // What the desktop holds now is what the guest pastes next.
            self.send_clipboard();
        }
    }

    pub fn clipboard_sharing(&self) -> bool {
        self.imp().clipboard_sharing.get()
    }

    /// A new connection is ready: the guest gets what the desktop holds.
    pub(super) fn connected_clipboard(&self) {
        self.imp().clipboard_from_guest.replace(None);
        self.send_clipboard();
    }

    /// Watch the desktop's clipboard for as long as the display lives.
    pub(super) fn setup_clipboard(&self) {
        let clipboard = self.clipboard();
        let this = self.downgrade();
        let id = clipboard.connect_changed(move |_| {
            if let Some(this) = this.upgrade() {
                this.send_clipboard();
            }
        });
        self.imp().clipboard_handler.replace(Some((clipboard, id)));
    }

    pub(super) fn teardown_clipboard(&self) {
        if let Some((c, id)) = self.imp().clipboard_handler.take() {
            c.disconnect(id);
        }
    }

    /// Listen to the guest's cut text on a new connection.
    pub(super) fn watch_server_cut_text(&self, conn: &gvnc::Connection) {
        let this = self.downgrade();
        // The text is Latin-1: read it as bytes (gvnc's bindings would take it for
        // UTF-8 unchecked).
        conn.connect_local("vnc-server-cut-text", false, move |args| {
            if let (Some(this), Some(v)) = (this.upgrade(), args.get(1)) {
                this.server_cut_text(&latin1_to_string(&string_arg(v)));
            }
            None
        });
    }

    /// The SPICE agent's side of the clipboard.
    pub(super) fn spice_clipboard(&self, e: &Event) {
        let imp = self.imp();
        let Some(s) = imp.spice.borrow().clone() else {
            return;
        };
        match e {
            Event::AgentConnected(true) => self.connected_clipboard(),
            Event::ClipboardGrabbed { text: true } if imp.clipboard_sharing.get() => {
                s.clipboard_request()
            }
            Event::ClipboardText(text) => self.server_cut_text(text),
            Event::ClipboardRequested => {
                // Answered in any case (the agent waits); with the text only when shared.
                let clipboard = self.clipboard();
                let shared = imp.clipboard_sharing.get();
                glib::spawn_future_local(async move {
                    let text = if shared {
                        clipboard.read_text_future().await.ok().flatten()
                    } else {
                        None
                    };
                    s.clipboard_notify(text.as_deref().unwrap_or(""));
                });
            }
            _ => {}
        }
    }

    fn server_cut_text(&self, text: &str) {
        let imp = self.imp();
        if !imp.clipboard_sharing.get() || !self.is_ready() {
            return;
        }
        tracing::debug!("vnc: the guest copied {} characters", text.chars().count());
        // Remember it, so the change it makes to our clipboard is not sent back.
        imp.clipboard_from_guest.replace(Some(text.to_string()));
        self.clipboard().set_text(text);
    }

    /// Send the desktop clipboard's text to the guest, if sharing is on.
    fn send_clipboard(&self) {
        if !self.imp().clipboard_sharing.get() || !self.is_ready() {
            return;
        }
        let clipboard: gdk::Clipboard = self.clipboard();
        let formats = clipboard.formats();
        let text = formats.contains_type(glib::Type::STRING)
            || formats.contain_mime_type("text/plain;charset=utf-8")
            || formats.contain_mime_type("text/plain");
        if !text {
            return;
        }
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let text = clipboard.read_text_future().await;
            let Some(this) = this.upgrade() else { return };
            let Ok(Some(text)) = text else { return };
            let imp = this.imp();
            if !imp.clipboard_sharing.get() {
                return;
            }
            if imp.clipboard_from_guest.borrow().as_deref() == Some(text.as_str()) {
                return; // our own echo of the guest's text
            }
            imp.clipboard_from_guest.replace(None);
            let spice = imp.spice.borrow().clone();
            match spice {
                // The guest asks for the text when something is pasted there.
                Some(s) => {
                    s.clipboard_grab();
                }
                None => this.client_cut_text(&text),
            }
        });
    }

    /// ClientCutText with `text` as Latin-1 (gvnc's own binding sends UTF-8 with the
    /// NUL counted in).
    fn client_cut_text(&self, text: &str) {
        let Some(c) = self.imp().conn.borrow().clone() else {
            return;
        };
        if !self.is_ready() {
            return;
        }
        let mut bytes = string_to_latin1(text);
        tracing::debug!("vnc: sending {} bytes of cut text", bytes.len());
        // SAFETY: the connection is alive (we hold a reference); gvnc copies `bytes`
        // into its output buffer before returning.
        unsafe {
            gvnc::ffi::vnc_connection_client_cut_text(
                c.to_glib_none().0,
                bytes.as_mut_ptr() as *mut std::ffi::c_void,
                bytes.len(),
            );
        }
    }
}
