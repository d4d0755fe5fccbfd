//! The source page's checks: the disc, disk, tree or cloud image chosen, and whether
//! QEMU's own user can read a file of this computer.

use super::*;
use crate::backend::create::access;

impl NewVmWizard {
    pub(super) fn check_source(&self) -> Option<(Option<adw::EntryRow>, String)> {
        let local = self.conn.backend().uri().starts_with("qemu:///")
            || self.conn.backend().uri().starts_with("test:///");
        if self.media.is_active() {
            let p = self.media_path.text().trim().to_string();
            if p.is_empty() {
                return Some((
                    Some(self.media_path.clone()),
                    gettext("Choose a disc image"),
                ));
            }
            if !p.starts_with('/') {
                return Some((
                    Some(self.media_path.clone()),
                    gettext("A full path, starting with “/”"),
                ));
            }
            if local && !std::path::Path::new(&p).is_file() {
                return Some((
                    Some(self.media_path.clone()),
                    gettext_f("There is no file {path}", &[("path", &p)]),
                ));
            }
            if let Some(why) = self.unreadable_for_qemu(&p) {
                return Some((Some(self.media_path.clone()), why));
            }
        }
        if self.import.is_active() {
            let p = self.disk_path.text().trim().to_string();
            if !p.starts_with('/') {
                return Some((
                    Some(self.disk_path.clone()),
                    gettext("The disk image’s full path"),
                ));
            }
            if local && !std::path::Path::new(&p).is_file() {
                return Some((
                    Some(self.disk_path.clone()),
                    gettext_f("There is no file {path}", &[("path", &p)]),
                ));
            }
            if let Some(why) = self.unreadable_for_qemu(&p) {
                return Some((Some(self.disk_path.clone()), why));
            }
        }
        if self.network_install.is_active() {
            let u = self.tree_url.text().trim().to_string();
            let ok = ["http://", "https://", "ftp://", "file:///"]
                .iter()
                .any(|p| u.starts_with(p));
            if !ok {
                return Some((
                    Some(self.tree_url.clone()),
                    gettext("An http://, https://, ftp:// or file:/// URL of an installation tree"),
                ));
            }
        }
        if self.cloud.is_active() {
            let p = self.cloud_image.text().trim().to_string();
            if !p.starts_with('/') || (local && !std::path::Path::new(&p).is_file()) {
                return Some((
                    Some(self.cloud_image.clone()),
                    gettext("The cloud image’s full path"),
                ));
            }
            if let Some(why) = self.unreadable_for_qemu(&p) {
                return Some((Some(self.cloud_image.clone()), why));
            }
            let init = self.cloud_init();
            if let Some((field, m)) = crate::backend::create::cloud::check_cloud(&init)
                .into_iter()
                .find(|(f, _)| *f != "hostname")
            {
                let row = if field == "user" {
                    &self.cloud_user
                } else {
                    &self.cloud_key
                };
                return Some((Some(row.clone()), m));
            }
        }
        None
    }

    /// What the cloud-init seed says: the user, the key, the machine's name as host.
    pub(super) fn cloud_init(&self) -> crate::backend::create::cloud::CloudInit {
        let name = self.name.text().trim().to_string();
        let mut host: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        host = host.trim_matches('-').chars().take(63).collect();
        if host.is_empty() {
            host = "cloud".into();
        }
        crate::backend::create::cloud::CloudInit {
            user: self.cloud_user.text().trim().to_string(),
            ssh_key: self.cloud_key.text().trim().to_string(),
            hostname: host,
        }
    }

    /// On the system connection of this computer QEMU runs as its own user: a file
    /// it cannot open is said before anything is made.
    fn unreadable_for_qemu(&self, path: &str) -> Option<String> {
        let uri = self.conn.backend().uri().to_string();
        if !uri.starts_with("qemu:///system") {
            return None;
        }
        let uid = self.conn.host_info().and_then(|h| h.qemu_uid);
        let why = access::qemu_cannot_read(std::path::Path::new(path), uid)?;
        // QEMU's user known: Hangar can let it in (an ACL entry per blocking folder).
        if uid.is_some() {
            self.grant_path.replace(Some(path.to_string()));
            self.grant.set_visible(true);
        }
        Some(why)
    }

    /// "Let QEMU Read It": ACL entries for QEMU's user on what blocks the file, then
    /// the page is checked again.
    pub(super) fn grant_access(&self) {
        let (Some(path), Some(uid)) = (
            self.grant_path.borrow().clone(),
            self.conn.host_info().and_then(|h| h.qemu_uid),
        ) else {
            return;
        };
        self.grant.set_sensitive(false);
        let w = self.downgrade();
        glib::spawn_future_local(async move {
            let p = path.clone();
            let r =
                gtk::gio::spawn_blocking(move || access::let_read(std::path::Path::new(&p), uid))
                    .await
                    .unwrap_or_else(|_| Err(gettext("setfacl stopped")));
            let Some(w) = w.upgrade() else { return };
            w.grant.set_sensitive(true);
            match r {
                Ok(_) => {
                    w.check();
                }
                Err(e) => w.say(&e, true),
            }
        });
    }
}
