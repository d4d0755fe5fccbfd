//! The SPICE extras of the toolbar: the USB devices of this computer to redirect to the
//! guest (when it has USB redirection channels) and the guest's sound (mute).

use super::*;
use crate::i18n::ngettext_f;
use crate::ui::console::display::UsbDevice;

impl ConsolePage {
    pub(super) fn build_media_buttons(&self, toolbar: &gtk::Box) {
        let imp = self.imp();
        let usb = &imp.usb_button;
        usb.set_icon_name("media-removable-symbolic");
        usb.add_css_class("flat");
        usb.set_tooltip_text(Some(&gettext("USB Devices")));
        usb.update_property(&[gtk::accessible::Property::Label(&gettext("USB Devices"))]);
        usb.set_visible(false);
        let popover = gtk::Popover::new();
        popover.set_child(Some(&imp.usb_list));
        imp.usb_list.set_orientation(gtk::Orientation::Vertical);
        imp.usb_list.set_spacing(6);
        let this = self.downgrade();
        popover.connect_show(move |_| {
            if let Some(this) = this.upgrade() {
                this.fill_usb_list(None);
            }
        });
        usb.set_popover(Some(&popover));
        toolbar.append(usb);

        let mute = &imp.mute_button;
        mute.set_icon_name("audio-volume-high-symbolic");
        mute.add_css_class("flat");
        mute.set_tooltip_text(Some(&gettext("Mute the Guest")));
        mute.update_property(&[gtk::accessible::Property::Label(&gettext("Mute the Guest"))]);
        mute.set_visible(false);
        let this = self.downgrade();
        mute.connect_toggled(move |b| {
            if let Some(this) = this.upgrade() {
                this.imp().display.set_audio_muted(b.is_active());
            }
            b.set_icon_name(if b.is_active() {
                "audio-volume-muted-symbolic"
            } else {
                "audio-volume-high-symbolic"
            });
        });
        toolbar.append(mute);

        let status = &imp.status_label;
        status.add_css_class("caption");
        status.set_ellipsize(gtk::pango::EllipsizeMode::End);
        status.set_visible(false);
        toolbar.append(status);
    }

    /// Say for a few seconds how the files dropped on the display went.
    pub(super) fn files_copied(&self, r: &Result<usize, String>) {
        let imp = self.imp();
        let (text, error) = match r {
            Ok(n) => (
                ngettext_f(
                    "Copied {n} file into the guest",
                    "Copied {n} files into the guest",
                    *n as u32,
                    &[("n", &n.to_string())],
                ),
                false,
            ),
            Err(e) if e.is_empty() => (
                gettext("The files could not be copied into the guest."),
                true,
            ),
            Err(e) => (e.clone(), true),
        };
        let l = &imp.status_label;
        l.set_label(&text);
        l.set_tooltip_text(Some(&text));
        if error {
            l.add_css_class("error");
        } else {
            l.remove_css_class("error");
        }
        l.set_visible(true);
        let this = self.downgrade();
        let id = glib::timeout_add_local_once(std::time::Duration::from_secs(8), move || {
            if let Some(this) = this.upgrade() {
                this.imp().status_timer.replace(None);
                this.imp().status_label.set_visible(false);
            }
        });
        if let Some(old) = imp.status_timer.replace(Some(id)) {
            old.remove();
        }
    }

    /// What the toolbar says for a moment (for tests), when it says something.
    pub fn status_text(&self) -> Option<String> {
        let l = &self.imp().status_label;
        l.is_visible().then(|| l.label().to_string())
    }

    /// Show the USB and sound buttons when the guest has the channels.
    pub(super) fn update_media_buttons(&self) {
        let imp = self.imp();
        imp.usb_button
            .set_visible(imp.display.has_usb_redirection());
        let audio = imp.display.has_audio();
        imp.mute_button.set_visible(audio);
        if audio {
            imp.display.set_audio_muted(imp.mute_button.is_active());
        }
    }

    /// The USB popover: a check button per host device, and what went wrong last.
    fn fill_usb_list(&self, status: Option<String>) {
        let imp = self.imp();
        let list = &imp.usb_list;
        while let Some(c) = list.first_child() {
            list.remove(&c);
        }
        let title = gtk::Label::new(Some(&gettext("Redirect to the Guest")));
        title.add_css_class("heading");
        title.set_halign(gtk::Align::Start);
        list.append(&title);
        match imp.display.usb_devices() {
            Ok(devices) if devices.is_empty() => {
                list.append(&dim_label(&gettext("No USB devices on this computer.")));
            }
            Ok(devices) => {
                for d in devices {
                    list.append(&self.usb_check(d));
                }
            }
            Err(e) => list.append(&dim_label(&gettext_f(
                "USB redirection is not available: {reason}",
                &[("reason", &e)],
            ))),
        }
        if let Some(s) = status {
            let l = gtk::Label::new(Some(&s));
            l.add_css_class("error");
            l.set_wrap(true);
            l.set_max_width_chars(40);
            list.append(&l);
        }
    }

    fn usb_check(&self, d: UsbDevice) -> gtk::CheckButton {
        let check = gtk::CheckButton::with_label(&d.label);
        check.set_active(d.redirected);
        let this = self.downgrade();
        check.connect_toggled(move |c| {
            let Some(this) = this.upgrade() else { return };
            let on = c.is_active();
            c.set_sensitive(false);
            let label = d.label.clone();
            let weak = this.downgrade();
            this.imp().display.redirect_usb(&d, on, move |r| {
                let Some(this) = weak.upgrade() else { return };
                let status = r.err().map(|reason| usb_error(&label, &reason));
                if let Some(s) = &status {
                    tracing::info!("usb redirection: {s}");
                }
                this.fill_usb_list(status);
            });
        });
        check
    }

    /// The USB button (for tests): shown, and the popover's texts once opened.
    pub fn usb_menu_texts(&self) -> Option<Vec<String>> {
        let imp = self.imp();
        if !imp.usb_button.is_visible() {
            return None;
        }
        let mut out = Vec::new();
        let mut c = imp.usb_list.first_child();
        while let Some(w) = c {
            if let Some(l) = w.downcast_ref::<gtk::Label>() {
                out.push(l.label().to_string());
            } else if let Some(b) = w.downcast_ref::<gtk::CheckButton>() {
                out.push(b.label().map(|s| s.to_string()).unwrap_or_default());
            }
            c = w.next_sibling();
        }
        Some(out)
    }

    /// Whether the toolbar offers muting the guest.
    pub fn offers_mute(&self) -> bool {
        self.imp().mute_button.is_visible()
    }
}

fn dim_label(text: &str) -> gtk::Label {
    let l = gtk::Label::new(Some(text));
    l.add_css_class("dim-label");
    l.set_wrap(true);
    l.set_max_width_chars(40);
    l.set_halign(gtk::Align::Start);
    l
}

/// What to say when a device could not be redirected: the host's refusal to let
/// Hangar open the device (no access to its node; polkit refused the ACL helper) is
/// said as such.
fn usb_error(device: &str, reason: &str) -> String {
    let r = reason.to_lowercase();
    if r.contains("denied") || r.contains("permission") || r.contains("not authorized") {
        gettext_f(
            "This computer does not let Hangar use “{device}”: {reason}",
            &[("device", device), ("reason", reason)],
        )
    } else {
        gettext_f(
            "“{device}” could not be redirected: {reason}",
            &[("device", device), ("reason", reason)],
        )
    }
}
