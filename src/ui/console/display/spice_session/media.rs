//! USB redirection and audio of a SPICE session. USB: the session's device manager
//! lists the host's USB devices and redirects one to a free `usbredir` channel of the
//! guest (`<redirdev bus='usb' type='spicevmc'/>`); the channel asks for its socket
//! then (see `FdRequest`). Audio: spice-client-glib's GStreamer backend plays the
//! guest's playback channel and records into its record channel. Files dropped on the
//! display go to the guest through its agent.

use super::*;

impl SpiceSession {
    /// The session's USB device manager (made on first use).
    pub fn usb_manager(&self) -> Result<spice::UsbDeviceManager, String> {
        spice::UsbDeviceManager::get(&self.inner.session).map_err(|e| e.message().to_string())
    }

    /// Whether the guest has USB redirection channels (free or in use).
    pub fn has_usb_redirection(&self) -> bool {
        self.inner
            .channels
            .borrow()
            .iter()
            .any(|c| ChannelKind::of(c) == ChannelKind::Usbredir)
    }

    /// The host's USB devices and whether each is redirected to this guest.
    pub fn usb_devices(&self) -> Result<Vec<UsbDevice>, String> {
        let m = self.usb_manager()?;
        Ok(m.devices()
            .into_iter()
            .map(|mut d| {
                // "%s %s %s at %d-%d": manufacturer, product, IDs, bus and address.
                let label = d
                    .description(Some("%s %s (%s) at %d-%d"))
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                let redirected = m.is_device_connected(&d);
                UsbDevice {
                    device: d,
                    label,
                    redirected,
                }
            })
            .collect())
    }

    /// Redirect a device to the guest (`on`) or give it back; `done` hears how it went.
    pub fn redirect_usb(
        &self,
        device: &spice::UsbDevice,
        on: bool,
        done: impl FnOnce(Result<(), String>) + 'static,
    ) {
        let m = match self.usb_manager() {
            Ok(m) => m,
            Err(e) => return done(Err(e)),
        };
        if !on {
            m.disconnect_device_async(device, None::<&gio::Cancellable>, move |r| {
                done(r.map_err(|e| e.message().to_string()))
            });
            return;
        }
        if let Err(e) = m.can_redirect_device(device) {
            return done(Err(e.message().to_string()));
        }
        m.connect_device_async(device, None::<&gio::Cancellable>, move |r| {
            done(r.map_err(|e| e.message().to_string()))
        });
    }

    /// Start the audio backend: it connects the playback and record channels the guest
    /// has, now and later.
    pub(super) fn start_audio(&self) {
        // SAFETY: spice_audio_get returns the session's audio object (borrowed, owned
        // by the session) or NULL; the session pointer is valid while `self` lives.
        let audio = unsafe {
            spice::ffi::spice_audio_get(self.inner.session.to_glib_none().0, std::ptr::null_mut())
        };
        if audio.is_null() {
            tracing::info!("spice: no audio backend");
        }
    }

    fn playback(&self) -> Option<spice::PlaybackChannel> {
        self.inner
            .channels
            .borrow()
            .iter()
            .find_map(|c| c.clone().downcast::<spice::PlaybackChannel>().ok())
    }

    /// Whether the guest plays sound through this session.
    pub fn has_audio(&self) -> bool {
        self.playback().is_some()
    }

    /// Mute (or unmute) the guest's sound here (spice-client-glib's pipeline follows
    /// the playback channel's `mute`).
    pub fn set_muted(&self, mute: bool) {
        self.inner.muted.set(mute);
        if let Some(p) = self.playback() {
            p.set_mute(mute);
        }
    }

    pub fn is_muted(&self) -> bool {
        self.inner.muted.get()
    }

    /// Whether the guest plays sound now.
    pub fn is_playing(&self) -> bool {
        self.inner.playing.get()
    }
}

type CopyDone = Box<dyn FnOnce(Result<(), String>)>;

/// What the file copy's callback gets back: the caller's closure and what must live
/// until the copy ends.
struct CopyData {
    done: CopyDone,
    _files: Vec<gio::File>,
    _ptrs: Vec<*mut gio::ffi::GFile>,
}

unsafe extern "C" fn copy_ready(
    source: *mut glib::gobject_ffi::GObject,
    res: *mut gio::ffi::GAsyncResult,
    user: glib::ffi::gpointer,
) {
    // SAFETY: `user` is the box made in `copy_files`, given to this callback once.
    let data = unsafe { Box::from_raw(user as *mut CopyData) };
    let mut err: *mut glib::ffi::GError = std::ptr::null_mut();
    // SAFETY: `source` is the main channel the copy was started on, `res` its result.
    let ok = unsafe {
        spice::ffi::spice_main_channel_file_copy_finish(
            source as *mut spice::ffi::SpiceMainChannel,
            res,
            &mut err,
        )
    };
    let r = if ok != 0 {
        Ok(())
    } else if err.is_null() {
        Err(String::new())
    } else {
        // SAFETY: a GError we own (transfer full).
        let e: glib::Error = unsafe { glib::translate::from_glib_full(err) };
        Err(e.message().to_string())
    };
    (data.done)(r);
}

impl SpiceSession {
    /// Copy files into the guest through its agent (it saves them in the guest's
    /// download folder). False, and `done` is not called, without an agent.
    pub fn copy_files(
        &self,
        files: &[gio::File],
        done: impl FnOnce(Result<(), String>) + 'static,
    ) -> bool {
        let Some(main) = self.agent_main() else {
            return false;
        };
        if files.is_empty() {
            return false;
        }
        let files = files.to_vec();
        let mut ptrs: Vec<*mut gio::ffi::GFile> =
            files.iter().map(|f| f.to_glib_none().0).collect();
        ptrs.push(std::ptr::null_mut());
        let sources = ptrs.as_mut_ptr();
        let data = Box::new(CopyData {
            done: Box::new(done),
            _files: files,
            _ptrs: ptrs,
        });
        // The crate does not wrap this call (pointer arguments).
        // SAFETY: `sources` is a NULL-terminated array of GFiles kept alive (with the
        // array) in `data` until the callback, which frees `data` exactly once.
        unsafe {
            spice::ffi::spice_main_channel_file_copy_async(
                main.to_glib_none().0,
                sources,
                gio::ffi::G_FILE_COPY_NONE,
                std::ptr::null_mut(),
                None,
                std::ptr::null_mut(),
                Some(copy_ready),
                Box::into_raw(data) as glib::ffi::gpointer,
            );
        }
        true
    }
}
