//! What Hangar knows about operating systems, from libosinfo 1.10 (the library behind
//! virt-manager, virt-install and GNOME Boxes) and its database osinfo-db: the OS
//! list, which OS a disc image or installation tree holds, resources, devices and
//! firmware per OS, and unattended-install scripts. GTK-free.
//!
//! - `ffi` declares the C functions used; `object` wraps libosinfo's GObjects safely
//!   (`glib::wrapper!`). Both stay inside this module.
//! - [`OsinfoDb`] loads the database as libosinfo does by default ([`DbDirs`]) and
//!   answers with plain data: [`OsEntry`], [`DetectedMedia`], [`DetectedTree`],
//!   [`OsResources`], [`OsDevices`], [`InstallScriptInfo`], [`GeneratedScript`]. It
//!   is bound to the thread that made it.
//! - [`OsinfoWorker`] is that thread: `call` returns a future, so the UI awaits it
//!   with `glib::spawn_future_local` and never blocks.
//! - [`search`], [`generic_choices`] and [`fallback_for`] work on the plain OS list on
//!   any thread: the chooser's search, and a safe entry when the database is older than
//!   the media (Debian 12's osinfo-db is from 2022-11-30: no Debian 12 in it).
//!
//! Nothing here matches media itself: libosinfo's rules decide.

mod catalog;
mod db;
mod detect;
mod devices;
mod error;
mod ffi;
mod object;
mod resources;
mod scripts;
mod worker;

pub use catalog::{fallback_for, generic_choices, search, GenericChoice};
pub use db::{DbDirs, DbInfo, OsEntry, OsRef, OsinfoDb, ReleaseStatus};
pub use detect::{DetectedMedia, DetectedTree, MediaMatch};
pub use devices::{DeviceInfo, FirmwareInfo, OsDevices, PlatformNeeds};
pub use error::{OsinfoError, Result};
pub use resources::{ArchResources, Figures, OsResources, Suggestion};
pub use scripts::{
    ExpressConfig, GeneratedScript, InjectionMethod, InstallScriptInfo, ScriptParam, ScriptRequest,
    ScriptTarget,
};
pub use worker::OsinfoWorker;
