//! The clipboard through the SPICE agent (spice-vdagent in the guest): text only, the
//! CLIPBOARD selection only. The guest announces what it holds (grab), either side
//! asks the other for the data (request) and gets it (selection / notify).
//!
//! Two of the main channel's signals carry C pointers, so the crate does not wrap
//! them: they are connected by name and their arguments read here.

use super::*;

/// `VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD` (spice-protocol vd_agent.h).
const SELECTION_CLIPBOARD: u32 = 0;
/// `VD_AGENT_CLIPBOARD_UTF8_TEXT`.
const UTF8_TEXT: u32 = 1;
/// Larger clipboards are not taken from the guest.
const MAX_TEXT: usize = 16 << 20;

impl Inner {
    pub(super) fn watch_clipboard(this: &Rc<Inner>, main: &spice::MainChannel) {
        // (selection, types: *const u32, ntypes) -> handled
        let w = Rc::downgrade(this);
        main.connect_local("main-clipboard-selection-grab", false, move |args| {
            let selection = args.get(1).and_then(|v| v.get::<u32>().ok());
            let types = args.get(2).and_then(|v| v.get::<glib::Pointer>().ok());
            let n = args.get(3).and_then(|v| v.get::<u32>().ok()).unwrap_or(0);
            let text = match types {
                // SAFETY: spice-client-glib passes `ntypes` guint32s for the length of
                // the emission.
                Some(p) if !p.is_null() && n > 0 && n < 64 => unsafe {
                    std::slice::from_raw_parts(p as *const u32, n as usize).contains(&UTF8_TEXT)
                },
                _ => false,
            };
            if let (Some(inner), Some(SELECTION_CLIPBOARD)) = (w.upgrade(), selection) {
                inner.emit(Event::ClipboardGrabbed { text });
            }
            Some(true.to_value())
        });
        // (selection, type, data: *const u8, size)
        let w = Rc::downgrade(this);
        main.connect_local("main-clipboard-selection", false, move |args| {
            let selection = args.get(1).and_then(|v| v.get::<u32>().ok());
            let kind = args.get(2).and_then(|v| v.get::<u32>().ok());
            let data = args.get(3).and_then(|v| v.get::<glib::Pointer>().ok());
            let size = args.get(4).and_then(|v| v.get::<u32>().ok()).unwrap_or(0) as usize;
            let inner = w.upgrade()?;
            if selection != Some(SELECTION_CLIPBOARD) || kind != Some(UTF8_TEXT) {
                return None;
            }
            let bytes = match data {
                // SAFETY: `size` bytes at `data`, valid during the emission; copied.
                Some(p) if !p.is_null() && size <= MAX_TEXT => unsafe {
                    std::slice::from_raw_parts(p as *const u8, size).to_vec()
                },
                _ => return None,
            };
            let text = String::from_utf8_lossy(&bytes)
                .trim_end_matches('\0')
                .to_string();
            inner.emit(Event::ClipboardText(text));
            None
        });
        let w = Rc::downgrade(this);
        main.connect_main_clipboard_selection_request(move |_, selection, kind| {
            let Some(inner) = w.upgrade() else {
                return false;
            };
            if selection != SELECTION_CLIPBOARD || kind != UTF8_TEXT {
                return false;
            }
            inner.emit(Event::ClipboardRequested);
            true
        });
        let w = Rc::downgrade(this);
        main.connect_main_clipboard_selection_release(move |_, selection| {
            if let (Some(inner), SELECTION_CLIPBOARD) = (w.upgrade(), selection) {
                inner.emit(Event::ClipboardGrabbed { text: false });
            }
        });
    }
}

impl SpiceSession {
    pub(super) fn agent_main(&self) -> Option<spice::MainChannel> {
        self.main_channel().filter(|m| m.is_agent_connected())
    }

    /// Tell the guest that the desktop's clipboard holds text (it asks for it when
    /// something is pasted there). False without an agent.
    pub fn clipboard_grab(&self) -> bool {
        let Some(m) = self.agent_main() else {
            return false;
        };
        m.clipboard_selection_grab(SELECTION_CLIPBOARD, &[UTF8_TEXT]);
        true
    }

    /// Answer [`Event::ClipboardRequested`] with the desktop's text.
    pub fn clipboard_notify(&self, text: &str) {
        if let Some(m) = self.agent_main() {
            m.clipboard_selection_notify(SELECTION_CLIPBOARD, UTF8_TEXT, text.as_bytes());
        }
    }

    /// Ask the guest for the text it announced ([`Event::ClipboardGrabbed`]); it comes
    /// as [`Event::ClipboardText`].
    pub fn clipboard_request(&self) {
        if let Some(m) = self.agent_main() {
            m.clipboard_selection_request(SELECTION_CLIPBOARD, UTF8_TEXT);
        }
    }
}
