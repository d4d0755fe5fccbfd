//! Hangar's GSettings: the schema (installed, or compiled by `build.rs` for a plain
//! `cargo run`) and the remembered connections. The application, the window and the
//! tests read them from here.

use gtk::gio;
use gtk::prelude::*;

use crate::config;
use crate::model::Connection;

/// The settings, from the installed schema or, for `cargo run`, the one build.rs compiled.
pub fn settings() -> gio::Settings {
    let default = gio::SettingsSchemaSource::default();
    if let Some(schema) = default
        .as_ref()
        .and_then(|s| s.lookup(config::SCHEMA_ID, true))
    {
        return gio::Settings::new_full(&schema, None::<&gio::SettingsBackend>, None);
    }
    let source = gio::SettingsSchemaSource::from_directory(
        config::BUILD_SCHEMA_DIR,
        default.as_ref(),
        false,
    )
    .expect("the schema compiled by build.rs is readable");
    let schema = source
        .lookup(config::SCHEMA_ID, false)
        .expect("the schema compiled by build.rs holds io.github.hangar.Hangar");
    gio::Settings::new_full(&schema, None::<&gio::SettingsBackend>, None)
}

/// Remembered connections as (URI, autoconnect).
pub fn saved_connections(settings: &gio::Settings) -> Vec<(String, bool)> {
    settings
        .value("connections")
        .get::<Vec<(String, bool)>>()
        .unwrap_or_default()
}

/// Write the remembered connections of `store` (those not opened by `--connect` only).
pub fn save_connections(settings: &gio::Settings, store: &gio::ListStore) {
    let list: Vec<(String, bool)> = store
        .iter::<Connection>()
        .flatten()
        .filter(|c| c.remembered())
        .map(|c| (c.uri(), c.autoconnect()))
        .collect();
    if let Err(e) = settings.set_value("connections", &list.to_variant()) {
        tracing::warn!("could not save connections: {e}");
    }
    let _ = settings.set_boolean("connections-initialized", true);
}
