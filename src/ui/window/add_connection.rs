//! “Add Connection”: hypervisor, optional SSH host, autoconnect, and the resulting
//! URI shown live. Bad input is explained under the field, and Connect stays off.

use std::cell::RefCell;

use adw::prelude::*;
use gtk::glib;

use crate::backend::conn::uri::{build_uri, Hypervisor, SshTarget};
use crate::i18n::gettext;

type DoneFn = Box<dyn Fn(String, bool)>;

dialog_window!(
    /// The dialog: a window of its own, alive while it is shown.
    imp,
    AddConnectionDialog,
    "HangarAddConnectionDialog",
    Fields
);

pub struct Fields {
    hypervisor: adw::ComboRow,
    custom: adw::EntryRow,
    remote: adw::ExpanderRow,
    user: adw::EntryRow,
    host: adw::EntryRow,
    port: adw::EntryRow,
    autoconnect: gtk::Switch,
    uri_label: gtk::Label,
    error_label: gtk::Label,
    connect_button: gtk::Button,
    done: RefCell<Option<DoneFn>>,
}

fn hypervisor_at(i: u32) -> Hypervisor {
    match i {
        1 => Hypervisor::QemuSession,
        2 => Hypervisor::Demo,
        3 => Hypervisor::Custom,
        _ => Hypervisor::QemuSystem,
    }
}

impl AddConnectionDialog {
    pub fn new(parent: &impl IsA<gtk::Window>) -> AddConnectionDialog {
        let window = AddConnectionDialog::bare();
        window.set_modal(true);
        window.set_transient_for(Some(parent));
        window.set_title(Some(&gettext("Add Connection")));
        window.set_default_size(460, -1);
        window.set_destroy_with_parent(true);
        let header = adw::HeaderBar::builder()
            .show_end_title_buttons(false)
            .show_start_title_buttons(false)
            .build();
        let cancel = gtk::Button::with_mnemonic(&gettext("_Cancel"));
        let connect_button = gtk::Button::with_mnemonic(&gettext("C_onnect"));
        connect_button.add_css_class("suggested-action");
        header.pack_start(&cancel);
        header.pack_end(&connect_button);

        let hypervisor = adw::ComboRow::builder()
            .title(gettext("Hypervisor"))
            .model(&gtk::StringList::new(&[
                &gettext("QEMU/KVM"),
                &gettext("QEMU/KVM User Session"),
                &gettext("Demo Hypervisor"),
                &gettext("Custom URI"),
            ]))
            .build();
        let custom = adw::EntryRow::builder()
            .title(gettext("URI"))
            .visible(false)
            .build();
        let remote = adw::ExpanderRow::builder()
            .title(gettext("Connect to a Remote Host over SSH"))
            .show_enable_switch(true)
            .enable_expansion(false)
            .build();
        let user = adw::EntryRow::builder().title(gettext("User Name")).build();
        let host = adw::EntryRow::builder().title(gettext("Host")).build();
        let port = adw::EntryRow::builder()
            .title(gettext("Port (optional)"))
            .input_purpose(gtk::InputPurpose::Digits)
            .build();
        remote.add_row(&user);
        remote.add_row(&host);
        remote.add_row(&port);
        let autoconnect = gtk::Switch::builder()
            .valign(gtk::Align::Center)
            .active(true)
            .build();
        autoconnect.update_property(&[gtk::accessible::Property::Label(&gettext(
            "Connect at Start",
        ))]);
        let auto_row = adw::ActionRow::builder()
            .title(gettext("Connect at Start"))
            .activatable_widget(&autoconnect)
            .build();
        auto_row.add_suffix(&autoconnect);

        let group = adw::PreferencesGroup::new();
        group.add(&hypervisor);
        group.add(&custom);
        group.add(&remote);
        group.add(&auto_row);

        let uri_label = gtk::Label::builder()
            .xalign(0.0)
            .selectable(true)
            .wrap(true)
            .css_classes(["monospace"])
            .build();
        let uri_caption = gtk::Label::builder()
            .label(gettext("Generated URI"))
            .xalign(0.0)
            .css_classes(["caption-heading", "dim-label"])
            .build();
        let error_label = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["error"])
            .visible(false)
            .build();
        let body = gtk::Box::new(gtk::Orientation::Vertical, 12);
        body.set_margin_top(12);
        body.set_margin_bottom(18);
        body.set_margin_start(12);
        body.set_margin_end(12);
        body.append(&group);
        body.append(&uri_caption);
        body.append(&uri_label);
        body.append(&error_label);
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&body);
        window.set_content(Some(&content));

        window.set_parts(Fields {
            hypervisor,
            custom,
            remote,
            user,
            host,
            port,
            autoconnect,
            uri_label,
            error_label,
            connect_button,
            done: RefCell::new(None),
        });
        let d = window;
        let refresh = {
            let d = d.downgrade();
            move || {
                if let Some(d) = d.upgrade() {
                    d.update();
                }
            }
        };
        let r = refresh.clone();
        d.hypervisor.connect_selected_notify(move |_| r());
        for e in [&d.custom, &d.user, &d.host, &d.port] {
            let r = refresh.clone();
            e.connect_changed(move |_| r());
        }
        let r = refresh.clone();
        d.remote.connect_enable_expansion_notify(move |_| r());
        let w = d.downgrade();
        cancel.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.close();
            }
        });
        let this = d.downgrade();
        d.connect_button.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                this.finish();
            }
        });
        let esc = gtk::EventControllerKey::new();
        let w = d.downgrade();
        esc.connect_key_pressed(move |_, key, _, _| {
            if key == gtk::gdk::Key::Escape {
                if let Some(w) = w.upgrade() {
                    w.close();
                }
                return glib::Propagation::Stop;
            }
            glib::Propagation::Proceed
        });
        d.add_controller(esc);
        d.update();
        d
    }

    fn finish(&self) {
        let Ok(uri) = self.uri() else { return };
        if let Some(f) = self.done.borrow().as_ref() {
            f(uri, self.autoconnect.is_active());
        }
        self.close();
    }

    pub fn connect_done(&self, f: impl Fn(String, bool) + 'static) {
        self.done.replace(Some(Box::new(f)));
    }

    /// The URI shown (what Connect would add).
    pub fn shown_uri(&self) -> String {
        self.uri_label.label().to_string()
    }

    /// The message shown under the fields, if one is shown.
    pub fn shown_error(&self) -> Option<String> {
        self.error_label
            .is_visible()
            .then(|| self.error_label.label().to_string())
    }
}

impl Fields {
    /// The URI for the current fields, or why there is none.
    pub fn uri(&self) -> Result<String, String> {
        let hv = hypervisor_at(self.hypervisor.selected());
        let remote = self.remote.enables_expansion()
            && matches!(hv, Hypervisor::QemuSystem | Hypervisor::QemuSession);
        let port_text = self.port.text();
        let port = if port_text.trim().is_empty() || !remote {
            None
        } else {
            match port_text.trim().parse::<u16>() {
                Ok(p) if p > 0 => Some(p),
                _ => return Err(gettext("The port must be a number from 1 to 65535.")),
            }
        };
        let ssh = SshTarget {
            user: Some(self.user.text().to_string()),
            host: self.host.text().to_string(),
            port,
        };
        build_uri(hv, remote.then_some(&ssh), &self.custom.text()).map_err(|e| e.summary())
    }

    fn update(&self) {
        let hv = hypervisor_at(self.hypervisor.selected());
        self.custom.set_visible(hv == Hypervisor::Custom);
        self.remote.set_sensitive(matches!(
            hv,
            Hypervisor::QemuSystem | Hypervisor::QemuSession
        ));
        match self.uri() {
            Ok(u) => {
                self.uri_label.set_label(&u);
                self.error_label.set_visible(false);
                self.connect_button.set_sensitive(true);
                for e in [&self.custom, &self.host, &self.port] {
                    e.remove_css_class("error");
                }
            }
            Err(why) => {
                self.uri_label.set_label("—");
                // Say nothing about fields the person has not typed in yet.
                let untouched = (hv == Hypervisor::Custom && self.custom.text().is_empty())
                    || (self.remote.enables_expansion()
                        && self.host.text().is_empty()
                        && self.port.text().is_empty());
                self.error_label.set_label(&why);
                self.error_label.set_visible(!untouched);
                self.connect_button.set_sensitive(false);
                let field = if hv == Hypervisor::Custom {
                    &self.custom
                } else if !self.port.text().is_empty() && why.contains("port") {
                    &self.port
                } else {
                    &self.host
                };
                if !untouched {
                    field.add_css_class("error");
                }
            }
        }
    }
}
