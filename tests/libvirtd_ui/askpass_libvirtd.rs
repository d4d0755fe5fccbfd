//! ssh's questions in Hangar's own dialogs, against the second test host's sshd (a
//! root password of its own, its own host key): an unknown host key shown with its
//! fingerprint and trusted by a click, a wrong password said so, the right one
//! connects; a changed host key is refused in plain words, never asked about.

use std::path::Path;
use std::process::Command;

use adw::prelude::*;
use hangar::model::{ConnStatus, Connection};

use crate::common::TempDir;
use crate::daemon::host_b_dir;
use crate::gui::{self, settle, wait_for};

const URI: &str = "qemu+ssh://root@10.77.0.2/system";

/// This test's ssh settings (bound over /etc/ssh/ssh_config in the test namespace):
/// its own known_hosts, password logins only. Unbound when dropped.
struct SshConfig(TempDir);

impl SshConfig {
    fn new() -> SshConfig {
        let dir = TempDir::new("askpass");
        let d = dir.path().display();
        std::fs::write(
            dir.path().join("ssh_config"),
            format!(
                "Host *\n  UserKnownHostsFile {d}/known_hosts\n  GlobalKnownHostsFile /dev/null\n  \
                 PubkeyAuthentication no\n  PreferredAuthentications password\n"
            ),
        )
        .unwrap();
        let st = Command::new("mount")
            .arg("--bind")
            .arg(dir.path().join("ssh_config"))
            .arg("/etc/ssh/ssh_config")
            .status()
            .unwrap();
        assert!(st.success(), "ssh_config bound (the test namespace)");
        SshConfig(dir)
    }

    fn known_hosts(&self) -> std::path::PathBuf {
        self.0.path().join("known_hosts")
    }
}

impl Drop for SshConfig {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("/etc/ssh/ssh_config").status();
    }
}

/// The next askpass dialog whose heading starts with `heading`.
fn askpass_dialog(heading: &str) -> adw::MessageDialog {
    let mut found = None;
    wait_for(heading, 60, || {
        found = gtk::Window::list_toplevels()
            .into_iter()
            .filter(|w| w.is_visible() && w.widget_name() == "hangar-askpass")
            .filter_map(|w| w.downcast::<adw::MessageDialog>().ok())
            .find(|d| d.heading().is_some_and(|h| h.starts_with(heading)));
        found.is_some()
    });
    settle(200);
    found.unwrap()
}

/// Click the dialog's button `label`; the dialog goes.
fn respond(d: &adw::MessageDialog, label: &str) {
    gui::click(&gui::button_labelled(d, label));
    wait_for("the dialog closed", 10, || !d.is_visible());
}

fn connect(app: &gui::AppWindow) -> Connection {
    let c = Connection::new(URI, false, false);
    app.win.watch_connection(&c);
    app.store.append(&c);
    c.connect_now();
    c
}

#[gtk::test]
#[ignore = "needs libvirtd: run through build-aux/run-tests.sh"]
fn ssh_asks_in_hangars_own_dialogs() {
    let _ = adw::init();
    hangar::init_resources();
    // The askpass service looks for remembered passwords: the tests' own keyring.
    crate::console_libvirtd::keyring_home();
    let b = host_b_dir();
    let password = std::fs::read_to_string(b.join("password")).unwrap();
    let config = SshConfig::new();
    // As `hangar` does at its start: ssh asks through the hangar binary, which talks
    // to this process's service.
    let socket = config.0.path().join("askpass.sock");
    hangar::backend::conn::askpass::install_env(Path::new(env!("CARGO_BIN_EXE_hangar")), &socket);
    hangar::ui::window::askpass::start_service(&socket).expect("the askpass service");
    let app = gui::AppWindow::open(
        &format!("hangar-askpass-{}", std::process::id()),
        &crate::daemon::test_uri(),
    );
    let conn = connect(&app);

    // 1. The unknown host key, with its fingerprint.
    let d = askpass_dialog("Trust 10.77.0.2");
    let fp = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(b.join("host_key.pub"))
        .output()
        .unwrap();
    let fp = String::from_utf8_lossy(&fp.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let body = d.body().to_string();
    assert!(body.contains(&fp), "the fingerprint {fp} in: {body}");
    gui::save_png(&d, "askpass-01-host-key");
    respond(&d, "Trust and Connect");

    // 2. A wrong password, then the right one.
    let d = askpass_dialog("Password for root@10.77.0.2");
    gui::type_into_row(&d, "Password", "not the password");
    gui::save_png(&d, "askpass-02-password");
    respond(&d, "Connect");
    let d = askpass_dialog("Password for root@10.77.0.2");
    assert!(
        d.body().contains("not accepted"),
        "the refusal said: {}",
        d.body()
    );
    gui::save_png(&d, "askpass-03-not-accepted");
    gui::type_into_row(&d, "Password", &password);
    respond(&d, "Connect");
    wait_for("connected to host B", 60, || conn.loaded());
    assert_eq!(conn.status(), ConnStatus::Connected);
    let known = std::fs::read_to_string(config.known_hosts()).unwrap_or_default();
    assert!(known.contains("10.77.0.2"), "trusted, kept by ssh: {known}");
    conn.backend().shutdown();

    // 3. The key changed (another key in known_hosts): refused, not asked.
    let other = config.0.path().join("other_key");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap();
    assert!(st.success());
    let pubkey = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let key = pubkey
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    std::fs::write(config.known_hosts(), format!("10.77.0.2 {key}\n")).unwrap();
    let again = connect(&app);
    wait_for("the connection refused", 60, || {
        again.status() == ConnStatus::Failed
    });
    let why = again.status_message();
    assert!(why.contains("changed"), "said plainly: {why}");
    assert!(
        !gtk::Window::list_toplevels()
            .iter()
            .any(|w| w.is_visible() && w.widget_name() == "hangar-askpass"),
        "never asked about"
    );
    settle(300);
    gui::save_png(&app.win, "askpass-04-changed-key");
    again.backend().shutdown();
    app.conn().backend().shutdown();
    app.win.destroy();
}
