//! spice-client-glib runs on the system's libusb: with `libusb-1.0-0-dev` missing at
//! build time, libusb1-sys (under the `spice-client-glib` crate) links a static libusb
//! of its own whose symbols interpose the system one, and USB redirection then fails
//! ("Error initializing LIBUSB support"). This fails when that regresses.

#[test]
fn spice_usb_redirection_initialises_libusb() {
    let session = spice::Session::new();
    let manager = spice::UsbDeviceManager::get(&session);
    assert!(
        manager.is_ok(),
        "spice-client-glib's USB device manager: {:?} (is libusb-1.0-0-dev installed?)",
        manager.err().map(|e| e.to_string())
    );
}
