//! Build-time configuration. Meson passes these in the environment of `cargo build`;
//! plain `cargo build` gets development fallbacks.

/// Without meson, a debug build is the development profile and a release build the
/// default one.
pub const APP_ID: &str = match option_env!("HANGAR_APP_ID") {
    Some(v) => v,
    None if cfg!(debug_assertions) => "io.github.hangar.Hangar.Devel",
    None => "io.github.hangar.Hangar",
};
pub const PROFILE: &str = match option_env!("HANGAR_PROFILE") {
    Some(v) => v,
    None if cfg!(debug_assertions) => "development",
    None => "default",
};
pub const VERSION: &str = match option_env!("HANGAR_VERSION") {
    Some(v) => v,
    None => env!("CARGO_PKG_VERSION"),
};
pub const LOCALEDIR: &str = match option_env!("HANGAR_LOCALEDIR") {
    Some(v) => v,
    None => "/usr/share/locale",
};
pub const GETTEXT_PACKAGE: &str = "hangar";
/// The GSettings schema id does not change with the profile.
pub const SCHEMA_ID: &str = "io.github.hangar.Hangar";
/// Where build.rs compiled the schema, for runs without an install.
pub const BUILD_SCHEMA_DIR: &str = concat!(env!("OUT_DIR"), "/schemas");

pub fn is_devel() -> bool {
    PROFILE == "development"
}
