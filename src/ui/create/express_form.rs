//! The express installation form: who the installed system's user is, its password,
//! the machine's host name, a product key where the system asks for one, and the
//! language, keyboard and time zone (this computer's, unless changed). Each field says
//! what is wrong with it where it is typed.

use adw::prelude::*;
use gtk::glib;

use crate::backend::osinfo::{ExpressConfig, InstallScriptInfo};
use crate::i18n::{gettext, gettext_f};

/// The form's rows, in the page `page`.
pub struct ExpressForm {
    pub page: gtk::Box,
    /// Install automatically (on by default when the system can be).
    pub switch: gtk::Switch,
    pub realname: adw::EntryRow,
    pub user: adw::EntryRow,
    pub password: adw::PasswordEntryRow,
    pub hostname: adw::EntryRow,
    pub product_key: adw::EntryRow,
    pub language: adw::EntryRow,
    pub keyboard: adw::EntryRow,
    pub timezone: adw::EntryRow,
    /// How the script reaches the installer, said under the form.
    pub note: gtk::Label,
    fields: gtk::Box,
}

/// This computer's locale (`de_CH`) from the environment, else `en_US`.
fn host_locale() -> String {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|l| l.split(['.', '@']).next().unwrap_or_default().to_string())
        .find(|l| l.len() >= 5 && l.as_bytes()[2] == b'_')
        .unwrap_or_else(|| "en_US".into())
}

/// This computer's time zone (`Europe/Zurich`), else `UTC`.
fn host_timezone() -> String {
    if let Ok(tz) = std::env::var("TZ") {
        let tz = tz.trim_start_matches(':');
        if tz.contains('/') {
            return tz.to_string();
        }
    }
    if let Ok(t) = std::fs::read_to_string("/etc/timezone") {
        if !t.trim().is_empty() {
            return t.trim().to_string();
        }
    }
    std::fs::read_link("/etc/localtime")
        .ok()
        .and_then(|p| {
            let s = p.to_string_lossy().to_string();
            s.split_once("zoneinfo/").map(|(_, z)| z.to_string())
        })
        .unwrap_or_else(|| "UTC".into())
}

/// The person's login and full name, as the installed system's user.
fn who() -> (String, String) {
    let login = std::env::var("USER").unwrap_or_default();
    let login = if login.is_empty() || login == "root" {
        "user".to_string()
    } else {
        login
    };
    let real = glib::real_name().to_string_lossy().to_string();
    let real = if real == "Unknown" || real.is_empty() {
        String::new()
    } else {
        real
    };
    (login, real)
}

/// Whether `key` fits libosinfo's format (`$` any letter or digit, other characters
/// as they are).
pub fn fits_format(key: &str, format: &str) -> bool {
    key.chars().count() == format.chars().count()
        && key.chars().zip(format.chars()).all(|(k, f)| {
            if f == '$' {
                k.is_ascii_alphanumeric()
            } else {
                k.eq_ignore_ascii_case(&f)
            }
        })
}

impl ExpressForm {
    pub fn new() -> ExpressForm {
        let page = gtk::Box::new(gtk::Orientation::Vertical, 12);
        let switch = gtk::Switch::builder()
            .active(true)
            .valign(gtk::Align::Center)
            .build();
        let row = adw::ActionRow::builder()
            .title(gettext("_Install automatically"))
            .use_underline(true)
            .subtitle(gettext(
                "The installer runs by itself with these answers: no typing in the console",
            ))
            .build();
        row.add_suffix(&switch);
        row.set_activatable_widget(Some(&switch));
        let top = adw::PreferencesGroup::new();
        top.add(&row);
        page.append(&top);

        let (login, real) = who();
        let entry = |title: &str, text: &str| {
            let r = adw::EntryRow::builder().title(title).build();
            r.set_text(text);
            r
        };
        let realname = entry(&gettext("Full name"), &real);
        let user = entry(&gettext("User name"), &login);
        let password = adw::PasswordEntryRow::builder()
            .title(gettext("Password (also the administrator’s)"))
            .build();
        let hostname = entry(&gettext("Host name"), "");
        let product_key = entry(&gettext("Product key"), "");
        product_key.set_visible(false);
        let account = adw::PreferencesGroup::builder()
            .title(gettext("Account"))
            .build();
        for r in [&realname, &user] {
            account.add(r);
        }
        account.add(&password);
        account.add(&hostname);
        account.add(&product_key);
        let locale = host_locale();
        let language = entry(&gettext("Language"), &locale);
        let keyboard = entry(&gettext("Keyboard"), &locale);
        let timezone = entry(&gettext("Time zone"), &host_timezone());
        let region = adw::PreferencesGroup::builder()
            .title(gettext("Language and region"))
            .description(gettext("This computer’s, unless changed"))
            .build();
        for r in [&language, &keyboard, &timezone] {
            region.add(r);
        }
        let fields = gtk::Box::new(gtk::Orientation::Vertical, 12);
        fields.append(&account);
        fields.append(&region);
        let note = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["caption", "dim-label"])
            .build();
        fields.append(&note);
        page.append(&fields);
        let f = fields.clone();
        switch.connect_active_notify(move |s| f.set_sensitive(s.is_active()));
        ExpressForm {
            page,
            switch,
            realname,
            user,
            password,
            hostname,
            product_key,
            language,
            keyboard,
            timezone,
            note,
            fields,
        }
    }

    /// Every row that can be typed in, for the wizard to check after each change.
    pub fn editables(&self) -> Vec<gtk::Widget> {
        vec![
            self.realname.clone().upcast(),
            self.user.clone().upcast(),
            self.password.clone().upcast(),
            self.hostname.clone().upcast(),
            self.product_key.clone().upcast(),
            self.language.clone().upcast(),
            self.keyboard.clone().upcast(),
            self.timezone.clone().upcast(),
        ]
    }

    /// Show the rows `script` reads; the product key's format as its title.
    pub fn show_script(&self, script: &InstallScriptInfo) {
        self.product_key
            .set_visible(script.takes("reg-product-key"));
        if let Some(f) = &script.product_key_format {
            self.product_key
                .set_title(&gettext_f("Product key ({format})", &[("format", f)]));
        }
        self.keyboard.set_visible(script.takes("l10n-keyboard"));
        self.timezone.set_visible(script.takes("l10n-timezone"));
        self.realname.set_visible(script.takes("user-realname"));
    }

    /// The row that is wrong, and why; `None` when the answers are complete.
    pub fn check(&self, script: &InstallScriptInfo) -> Option<(adw::EntryRow, String)> {
        for r in self.editables() {
            r.remove_css_class("error");
        }
        if !self.switch.is_active() {
            return None;
        }
        let user = self.user.text();
        let u = user.trim();
        let login_ok = u
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && u.len() <= 32
            && u.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        let dos = script.dos_paths;
        if !dos && !login_ok {
            return Some((
                self.user.clone().upcast(),
                gettext(
                    "A user name: lower-case letters, digits, “-” and “_”, starting with a letter",
                ),
            ));
        }
        if dos && (u.is_empty() || u.chars().any(|c| "\"/\\[]:;|=,+*?<>@".contains(c))) {
            return Some((
                self.user.clone().upcast(),
                gettext("A user name without any of \" / \\ [ ] : ; | = , + * ? < > @"),
            ));
        }
        let required = |p: &str| script.params.iter().any(|x| x.name == p && x.required);
        if self.password.text().is_empty()
            && (required("user-password") || required("admin-password"))
        {
            return Some((
                self.password.clone().upcast(),
                gettext("This system’s installer needs a password"),
            ));
        }
        let host = self.hostname.text();
        let h = host.trim();
        let max = if dos { 15 } else { 63 };
        if !h.is_empty()
            && (h.len() > max
                || h.starts_with('-')
                || !h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Some((
                self.hostname.clone().upcast(),
                gettext_f(
                    "A host name: letters, digits and “-”, at most {max}",
                    &[("max", &max.to_string())],
                ),
            ));
        }
        if self.product_key.is_visible() {
            let key = self.product_key.text();
            let key = key.trim();
            let bad = match &script.product_key_format {
                Some(f) => !fits_format(key, f),
                None => key.is_empty(),
            };
            if bad && (required("reg-product-key") || !key.is_empty()) {
                return Some((
                    self.product_key.clone().upcast(),
                    match &script.product_key_format {
                        Some(f) => gettext_f(
                            "The product key, as {format} (letters and digits)",
                            &[("format", f)],
                        ),
                        None => gettext("This system’s installer needs its product key"),
                    },
                ));
            }
        }
        for r in [&self.language, &self.keyboard] {
            let t = r.text();
            let t = t.trim();
            let ok = t.len() >= 2
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if r.is_visible() && !ok {
                return Some((
                    r.clone().upcast(),
                    gettext("A locale such as en_US or de_CH"),
                ));
            }
        }
        let tz = self.timezone.text();
        let tz = tz.trim();
        let zone_ok = tz == "UTC"
            || std::path::Path::new("/usr/share/zoneinfo")
                .join(tz)
                .is_file()
            || !std::path::Path::new("/usr/share/zoneinfo").is_dir() && tz.contains('/');
        if self.timezone.is_visible() && (tz.is_empty() || tz.contains("..") || !zone_ok) {
            return Some((
                self.timezone.clone().upcast(),
                gettext("A time zone such as Europe/Zurich or America/New_York"),
            ));
        }
        None
    }

    /// The answers as libosinfo takes them; `hostname` when the row is empty.
    pub fn config(&self, arch: &str, hostname: &str) -> ExpressConfig {
        let text = |r: &adw::EntryRow| r.text().trim().to_string();
        let host = text(&self.hostname);
        let password = self.password.text().to_string();
        let key = text(&self.product_key);
        ExpressConfig {
            user_login: text(&self.user),
            user_realname: Some(text(&self.realname)).filter(|s| !s.is_empty()),
            user_password: password.clone(),
            admin_password: password,
            hostname: if host.is_empty() {
                hostname.to_string()
            } else {
                host
            },
            timezone: text(&self.timezone),
            keyboard: text(&self.keyboard),
            language: text(&self.language),
            product_key: Some(key).filter(|k| !k.is_empty()),
            arch: arch.to_string(),
            installation_url: None,
        }
    }

    /// Whether the rows are in use (the switch on).
    pub fn is_on(&self) -> bool {
        self.switch.is_active() && self.fields.is_sensitive()
    }
}

impl Default for ExpressForm {
    fn default() -> Self {
        ExpressForm::new()
    }
}
