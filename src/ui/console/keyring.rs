//! VNC passwords in the desktop keyring, through the Secret Service (libsecret), and
//! only when the person ticks "Remember" in the password prompt. Nothing is ever
//! written to a plain file. Every call is asynchronous: the main thread never waits on
//! D-Bus or on an unlock prompt.
//!
//! An item is found by the libvirt connection URI and the domain UUID.

use std::collections::HashMap;

use libsecret::{Schema, SchemaAttributeType, SchemaFlags};

use crate::i18n::gettext_f;

const SCHEMA: &str = "io.github.hangar.Hangar.VncPassword";

fn schema() -> Schema {
    let mut attrs = HashMap::new();
    attrs.insert("uri", SchemaAttributeType::String);
    attrs.insert("uuid", SchemaAttributeType::String);
    Schema::new(SCHEMA, SchemaFlags::NONE, attrs)
}

fn attributes<'a>(uri: &'a str, uuid: &'a str) -> HashMap<&'a str, &'a str> {
    HashMap::from([("uri", uri), ("uuid", uuid)])
}

/// The password remembered for this VM's display, if any. A keyring that is missing
/// or refuses counts as "none" (logged): the person is asked instead.
pub async fn lookup(uri: &str, uuid: &str) -> Option<String> {
    let s = schema();
    match libsecret::password_lookup_future(Some(&s), attributes(uri, uuid)).await {
        Ok(p) => p.map(|p| p.to_string()),
        Err(e) => {
            tracing::info!("no VNC password from the keyring: {e}");
            None
        }
    }
}

/// Remember `password` for this VM's display in the default keyring.
pub async fn store(uri: &str, uuid: &str, vm_name: &str, password: &str) -> Result<(), String> {
    let s = schema();
    let label = gettext_f(
        "VNC password of “{name}” on {uri}",
        &[("name", vm_name), ("uri", uri)],
    );
    libsecret::password_store_future(Some(&s), attributes(uri, uuid), None, &label, password)
        .await
        .map_err(|e| e.to_string())
}

/// Forget the password remembered for this VM's display (it was refused).
pub async fn clear(uri: &str, uuid: &str) {
    let s = schema();
    if let Err(e) = libsecret::password_clear_future(Some(&s), attributes(uri, uuid)).await {
        tracing::info!("could not forget the VNC password: {e}");
    }
}
