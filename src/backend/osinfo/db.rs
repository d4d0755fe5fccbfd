//! Loading libosinfo's database the way libosinfo does by default, and the OS list as
//! plain data.
//!
//! [`OsinfoDb`] is bound to the thread that loaded it (`!Send`): use it inside
//! [`super::OsinfoWorker`], or on any one thread of your own.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::error::{OsinfoError, Result};
use super::object::{Db, EntityExt, Loader, Media, Os, ProductExt};

/// Where libosinfo 1.10 reads its database, in loading order (a later directory's
/// entries replace an earlier one's with the same id). Read from the same environment
/// variables and defaults as `osinfo_loader_process_default_path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbDirs {
    /// `$OSINFO_SYSTEM_DIR`, else `/usr/share/osinfo` (the `osinfo-db` package).
    /// `$OSINFO_DATA_DIR`, deprecated, wins over both (libosinfo warns on stderr).
    pub system: PathBuf,
    /// `$OSINFO_LOCAL_DIR`, else `/etc/osinfo` (else the old `/etc/libosinfo/db`).
    pub local: PathBuf,
    /// `$OSINFO_USER_DIR`, else `$XDG_CONFIG_HOME/osinfo` (`~/.config/osinfo`; else the
    /// old `~/.config/libosinfo/db`). Where a person puts a newer database.
    pub user: PathBuf,
}

impl DbDirs {
    /// The directories as libosinfo would choose them now, in this process.
    pub fn from_env() -> DbDirs {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let system = var("OSINFO_DATA_DIR")
            .or_else(|| var("OSINFO_SYSTEM_DIR"))
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/share/osinfo"));
        let local = var("OSINFO_LOCAL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let new = PathBuf::from("/etc/osinfo");
                let old = PathBuf::from("/etc/libosinfo/db");
                if !new.is_dir() && old.is_dir() {
                    old
                } else {
                    new
                }
            });
        let user = var("OSINFO_USER_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let config = glib::user_config_dir();
                let new = config.join("osinfo");
                let old = config.join("libosinfo").join("db");
                if !new.is_dir() && old.is_dir() {
                    old
                } else {
                    new
                }
            });
        DbDirs {
            system,
            local,
            user,
        }
    }
}

/// What was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbInfo {
    pub dirs: DbDirs,
    /// The system database's release (`VERSION` in its directory: `20221130` for
    /// Debian 12's osinfo-db), when it says.
    pub system_version: Option<String>,
    pub os_count: usize,
    /// Set when the local or user database could not be read: then only the system
    /// database was loaded, and this says why (for a note in the wizard).
    pub warning: Option<String>,
}

/// `OsinfoReleaseStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReleaseStatus {
    Released,
    /// A development snapshot (Fedora Rawhide, Debian testing…).
    Snapshot,
    Prerelease,
    /// Always the newest (openSUSE Tumbleweed, Arch Linux…).
    Rolling,
}

impl ReleaseStatus {
    fn from_raw(v: i32) -> ReleaseStatus {
        use super::ffi::*;
        match v {
            OSINFO_RELEASE_STATUS_SNAPSHOT => ReleaseStatus::Snapshot,
            OSINFO_RELEASE_STATUS_PRERELEASE => ReleaseStatus::Prerelease,
            OSINFO_RELEASE_STATUS_ROLLING => ReleaseStatus::Rolling,
            _ => ReleaseStatus::Released,
        }
    }
}

/// A short handle on an OS, as detection results and choices carry it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OsRef {
    /// The full id, a URI: `http://fedoraproject.org/fedora/37`.
    pub id: String,
    /// `fedora37` (what `virt-install --osinfo` takes).
    pub short_id: String,
    /// `Fedora Linux 37`.
    pub name: String,
}

/// One operating system of the database, as the wizard's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsEntry {
    /// The full id, a URI: `http://fedoraproject.org/fedora/37`.
    pub id: String,
    /// The first short id: `fedora37`.
    pub short_id: String,
    /// Every short id (`ubuntu22.04`, `ubuntu-lts-latest`).
    pub short_ids: Vec<String>,
    /// In the process's language where the database has it.
    pub name: String,
    pub vendor: Option<String>,
    /// `linux`, `winnt`, `freebsd`…
    pub family: Option<String>,
    /// `fedora`, `debian`, `win`…
    pub distro: Option<String>,
    pub version: Option<String>,
    pub codename: Option<String>,
    /// `YYYY-MM-DD`.
    pub release_date: Option<String>,
    /// `YYYY-MM-DD`: end of life.
    pub eol_date: Option<String>,
    pub release_status: ReleaseStatus,
    /// The entry stands for releases newer than the database knows: a generic entry
    /// of libosinfo's own (`linux2022`), a distribution's `…-unknown` entry whose media
    /// rules match future versions (`fedora-unknown` matches Fedora 38 and later), or
    /// a rolling release.
    pub newer_than_list: bool,
    /// A generic entry of libosinfo's own (vendor "Libosinfo": `linux2016`…
    /// `linux2022`), not a particular distribution.
    pub generic: bool,
    /// The architectures of its known media, sorted (`aarch64`, `x86_64`…).
    pub media_architectures: Vec<String>,
    /// The architectures of its known installation trees, sorted.
    pub tree_architectures: Vec<String>,
    /// It has unattended-install scripts (express install is possible).
    pub has_install_scripts: bool,
    /// The kernel argument that points its installer at a tree URL (`inst.repo`…).
    pub kernel_url_argument: Option<String>,
    /// The full ids of the OSes it derives from.
    pub derives_from: Vec<String>,
}

impl OsEntry {
    pub fn to_ref(&self) -> OsRef {
        OsRef {
            id: self.id.clone(),
            short_id: self.short_id.clone(),
            name: self.name.clone(),
        }
    }

    /// Past its end of life on `today` (`YYYY-MM-DD`).
    pub fn is_eol(&self, today: &str) -> bool {
        self.eol_date.as_deref().is_some_and(|d| d < today)
    }
}

/// The loaded database, bound to the thread that loaded it.
pub struct OsinfoDb {
    // Keeps the database alive (the db belongs to the loader).
    _loader: Loader,
    pub(crate) db: Db,
    info: DbInfo,
    /// Short id (every one of each OS) → full id.
    short_ids: HashMap<String, String>,
    /// The last disc image identified (path and modification time): script generation
    /// for that media needs libosinfo's media object, not only the plain data.
    pub(crate) last_media: RefCell<Option<(PathBuf, Option<std::time::SystemTime>, Media)>>,
}

impl OsinfoDb {
    /// Loads the database as libosinfo does by default: the system directory, then
    /// `/etc/osinfo`, then `~/.config/osinfo`, each overridable by its `OSINFO_*`
    /// variable ([`DbDirs`]). When the local or user part is broken, loads the system
    /// database alone and says so in [`DbInfo::warning`].
    pub fn load_default() -> Result<OsinfoDb> {
        let dirs = DbDirs::from_env();
        let loader = Loader::new();
        let (loader, warning) = match loader.process_default_path() {
            Ok(()) => (loader, None),
            Err(e) => {
                let system = Loader::new();
                system.process_system_path().map_err(|e2| {
                    OsinfoError::Load(format!("{} ({})", e2.message(), dirs.system.display()))
                })?;
                let warning = format!(
                    "{}; only the system database ({}) was loaded",
                    e.message(),
                    dirs.system.display()
                );
                (system, Some(warning))
            }
        };
        Self::finish(loader, dirs, warning)
    }

    /// The system database only, ignoring `/etc/osinfo` and `~/.config/osinfo`.
    pub fn load_system() -> Result<OsinfoDb> {
        let dirs = DbDirs::from_env();
        let loader = Loader::new();
        loader
            .process_system_path()
            .map_err(|e| OsinfoError::Load(e.message().to_string()))?;
        Self::finish(loader, dirs, None)
    }

    fn finish(loader: Loader, dirs: DbDirs, warning: Option<String>) -> Result<OsinfoDb> {
        let db = loader.db();
        let oses: Vec<Os> = db.os_list();
        if oses.is_empty() {
            return Err(OsinfoError::Load(format!(
                "no operating systems in {} (is the osinfo-db package installed?)",
                dirs.system.display()
            )));
        }
        let mut short_ids = HashMap::new();
        for os in &oses {
            let id = os.id();
            for s in os.short_ids() {
                short_ids.entry(s).or_insert_with(|| id.clone());
            }
        }
        let system_version = std::fs::read_to_string(dirs.system.join("VERSION"))
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let info = DbInfo {
            dirs,
            system_version,
            os_count: oses.len(),
            warning,
        };
        Ok(OsinfoDb {
            _loader: loader,
            db,
            info,
            short_ids,
            last_media: RefCell::new(None),
        })
    }

    pub fn info(&self) -> &DbInfo {
        &self.info
    }

    /// Every OS of the database, sorted by name.
    pub fn os_list(&self) -> Vec<OsEntry> {
        let mut list: Vec<OsEntry> = self.db.os_list().iter().map(os_entry).collect();
        list.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        list
    }

    /// One OS by full id (`http://…`) or any of its short ids (`fedora37`).
    pub fn os(&self, id: &str) -> Result<OsEntry> {
        self.lookup(id).map(|os| os_entry(&os))
    }

    /// The full id for a full id or short id.
    pub fn full_id(&self, id: &str) -> Option<String> {
        self.lookup(id).ok().map(|os| os.id())
    }

    pub(crate) fn lookup(&self, id: &str) -> Result<Os> {
        let full = self.short_ids.get(id).map(String::as_str).unwrap_or(id);
        self.db
            .os(full)
            .ok_or_else(|| OsinfoError::UnknownOs(id.to_string()))
    }
}

pub(crate) fn os_ref(os: &Os) -> OsRef {
    OsRef {
        id: os.id(),
        short_id: os.short_id().unwrap_or_default(),
        name: os.name().unwrap_or_else(|| os.id()),
    }
}

pub(crate) fn os_entry(os: &Os) -> OsEntry {
    let id = os.id();
    let short_ids = os.short_ids();
    let short_id = os
        .short_id()
        .or_else(|| short_ids.first().cloned())
        .unwrap_or_default();
    let vendor = os.vendor();
    let version = os.version();
    let release_status = ReleaseStatus::from_raw(os.release_status());
    let generic = vendor.as_deref() == Some("Libosinfo") && os.family().is_some();
    let newer_than_list = generic
        || version.as_deref() == Some("unknown")
        || short_id.ends_with("-unknown")
        || release_status == ReleaseStatus::Rolling;
    let media_architectures: BTreeSet<String> = os
        .media_list()
        .iter()
        .filter_map(Media::architecture)
        .collect();
    let tree_architectures: BTreeSet<String> = os
        .tree_list()
        .iter()
        .filter_map(|t| t.architecture())
        .collect();
    let derives_from = os.derives_from().iter().map(|e| e.id()).collect();
    OsEntry {
        name: os.name().unwrap_or_else(|| short_id.clone()),
        id,
        short_id,
        short_ids,
        vendor,
        family: os.family(),
        distro: os.distro(),
        version,
        codename: os.codename(),
        release_date: os.release_date(),
        eol_date: os.eol_date(),
        release_status,
        newer_than_list,
        generic,
        media_architectures: media_architectures.into_iter().collect(),
        tree_architectures: tree_architectures.into_iter().collect(),
        has_install_scripts: !os.install_script_list().is_empty(),
        kernel_url_argument: os.kernel_url_argument(),
        derives_from,
    }
}

/// The modification time of a file, to tell a replaced ISO from the one identified.
pub(crate) fn mtime(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}
