//! ssh's questions in Hangar's own dialogs (see `backend::conn::askpass`): a password
//! or key passphrase (remembered in the desktop keyring only when the person asks),
//! and an unknown host key with its fingerprint, trusted by a click and then kept in
//! `known_hosts` by ssh itself. A changed host key is never asked about: ssh refuses
//! it, and the connection says why.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::{gio, glib};

use crate::backend::conn::askpass::{classify, reply, Prompt};
use crate::i18n::{gettext, gettext_f};

const SCHEMA: &str = "io.github.hangar.Hangar.SshPassword";

thread_local! {
    /// When each account's password was last given, and whether from the keyring:
    /// asked again soon after, that password was refused.
    static ANSWERED: RefCell<HashMap<String, (Instant, bool)>> = RefCell::new(HashMap::new());
    /// The running service (kept alive).
    static SERVICE: RefCell<Option<gio::SocketService>> = const { RefCell::new(None) };
}

fn schema() -> libsecret::Schema {
    let attrs = HashMap::from([("account", libsecret::SchemaAttributeType::String)]);
    libsecret::Schema::new(SCHEMA, libsecret::SchemaFlags::NONE, attrs)
}

async fn keyring_lookup(account: &str) -> Option<String> {
    let s = schema();
    libsecret::password_lookup_future(Some(&s), HashMap::from([("account", account)]))
        .await
        .ok()
        .flatten()
        .map(|p| p.to_string())
}

async fn keyring_store(account: &str, password: &str) {
    let s = schema();
    let label = gettext_f("SSH password of {account}", &[("account", account)]);
    if let Err(e) = libsecret::password_store_future(
        Some(&s),
        HashMap::from([("account", account)]),
        None,
        &label,
        password,
    )
    .await
    {
        tracing::info!("could not remember the SSH password: {e}");
    }
}

async fn keyring_clear(account: &str) {
    let s = schema();
    let _ = libsecret::password_clear_future(Some(&s), HashMap::from([("account", account)])).await;
}

/// Listen at `socket` for ssh's questions (the askpass clients Hangar's ssh runs).
pub fn start_service(socket: &Path) -> Result<(), glib::Error> {
    let _ = std::fs::remove_file(socket);
    let service = gio::SocketService::new();
    let address = gio::UnixSocketAddress::new(socket);
    service.add_address(
        &address,
        gio::SocketType::Stream,
        gio::SocketProtocol::Default,
        None::<&glib::Object>,
    )?;
    // Only this user talks to it.
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600));
    }
    service.connect_incoming(|_, connection, _| {
        let connection = connection.clone();
        glib::spawn_future_local(async move {
            answer(connection).await;
        });
        true
    });
    service.start();
    SERVICE.with(|s| s.replace(Some(service)));
    Ok(())
}

async fn answer(connection: gio::SocketConnection) {
    let input = connection.input_stream();
    let mut prompt = Vec::new();
    loop {
        let buf = vec![0u8; 4096];
        match input.read_future(buf, glib::Priority::DEFAULT).await {
            Ok((b, 0)) => {
                drop(b);
                break;
            }
            Ok((b, n)) => prompt.extend_from_slice(&b[..n]),
            Err(_) => return,
        }
        if prompt.len() > 64 * 1024 {
            return;
        }
    }
    let prompt = String::from_utf8_lossy(&prompt).to_string();
    let text = ask(&classify(&prompt)).await;
    let out = connection.output_stream();
    let _ = out
        .write_all_future(reply(text.as_deref()).into_bytes(), glib::Priority::DEFAULT)
        .await;
    let _ = connection.close_future(glib::Priority::DEFAULT).await;
}

/// The answer to ssh's question, or None when the person cancels.
async fn ask(prompt: &Prompt) -> Option<String> {
    let Prompt::Password { account } = prompt else {
        return dialog(prompt, false).await;
    };
    let last = ANSWERED.with(|m| m.borrow_mut().remove(account));
    let answer = match last {
        Some((when, from_keyring)) if when.elapsed() < Duration::from_secs(30) => {
            // Refused: a remembered one is forgotten, and the person asked.
            if from_keyring {
                keyring_clear(account).await;
            }
            dialog(prompt, true).await
        }
        _ => match keyring_lookup(account).await {
            Some(p) => {
                ANSWERED.with(|m| {
                    m.borrow_mut()
                        .insert(account.clone(), (Instant::now(), true))
                });
                return Some(p);
            }
            None => dialog(prompt, false).await,
        },
    };
    if answer.is_some() {
        // (Remembered ones were marked as from the keyring by the dialog.)
        ANSWERED.with(|m| {
            m.borrow_mut()
                .entry(account.clone())
                .or_insert((Instant::now(), false));
        });
    }
    answer
}

fn parent() -> Option<gtk::Window> {
    gio::Application::default()
        .and_downcast::<gtk::Application>()
        .and_then(|a| a.active_window())
}

/// Ask in a dialog. `refused`: the last answer for this account was not accepted.
async fn dialog(prompt: &Prompt, refused: bool) -> Option<String> {
    let (heading, body, secret, ok_label) = match prompt {
        Prompt::Password { account } => (
            gettext_f("Password for {account}", &[("account", account)]),
            if refused {
                gettext("The password was not accepted. Try again.")
            } else {
                gettext("Hangar connects over SSH.")
            },
            true,
            gettext("_Connect"),
        ),
        Prompt::Passphrase { key } => (
            gettext("Passphrase of an SSH key"),
            gettext_f("The key {key} is locked.", &[("key", key)]),
            true,
            gettext("_Unlock"),
        ),
        Prompt::HostKey {
            host,
            kind,
            fingerprint,
        } => (
            gettext_f("Trust {host}?", &[("host", host)]),
            gettext_f(
                "Hangar has never connected to {host}. Its {kind} key’s fingerprint is\n\n{fingerprint}\n\nCompare it with the one the host shows (ssh-keygen -lf on its key) before you trust it: once trusted, it is kept in known_hosts.",
                &[("host", host), ("kind", kind), ("fingerprint", fingerprint)],
            ),
            false,
            gettext("_Trust and Connect"),
        ),
        Prompt::Other(text) => (gettext("SSH asks"), text.clone(), true, gettext("_Answer")),
    };
    let d = adw::MessageDialog::new(parent().as_ref(), Some(&heading), Some(&body));
    d.set_widget_name("hangar-askpass");
    d.add_response("cancel", &gettext("_Cancel"));
    d.add_response("ok", &ok_label);
    d.set_response_appearance(
        "ok",
        if secret {
            adw::ResponseAppearance::Suggested
        } else {
            adw::ResponseAppearance::Destructive
        },
    );
    d.set_default_response(Some(if secret { "ok" } else { "cancel" }));
    d.set_close_response("cancel");
    let entry = adw::PasswordEntryRow::builder()
        .title(match prompt {
            Prompt::Passphrase { .. } => gettext("Passphrase"),
            _ => gettext("Password"),
        })
        .activates_default(true)
        .build();
    let remember = gtk::CheckButton::with_mnemonic(&gettext("_Remember in the keyring"));
    if secret {
        let list = gtk::ListBox::builder()
            .css_classes(["boxed-list"])
            .selection_mode(gtk::SelectionMode::None)
            .build();
        list.append(&entry);
        let b = gtk::Box::new(gtk::Orientation::Vertical, 12);
        b.append(&list);
        if matches!(prompt, Prompt::Password { .. }) {
            b.append(&remember);
        }
        d.set_extra_child(Some(&b));
    }
    // What was typed is read as the button is clicked: the dialog goes right after.
    let (tx, rx) = async_channel::bounded::<(String, String, bool)>(1);
    let (e, r) = (entry.clone(), remember.clone());
    d.connect_response(None, move |_, response| {
        let _ = tx.try_send((response.to_string(), e.text().to_string(), r.is_active()));
    });
    d.present();
    let (response, text, keep) = rx.recv().await.unwrap_or_default();
    if response != "ok" {
        return None;
    }
    if !secret {
        return Some("yes".into());
    }
    if let (Prompt::Password { account }, true) = (prompt, keep) {
        keyring_store(account, &text).await;
        ANSWERED.with(|m| {
            m.borrow_mut()
                .insert(account.clone(), (Instant::now(), true))
        });
    }
    Some(text)
}
