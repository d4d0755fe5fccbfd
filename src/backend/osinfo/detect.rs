//! Which OS is on a disc image or behind an installation tree URL, by libosinfo's own
//! rules (`osinfo_db_identify_media` / `_tree`): nothing here matches anything itself.

use std::collections::BTreeSet;
use std::path::Path;

use super::db::{mtime, os_ref, OsRef, OsinfoDb};
use super::error::{OsinfoError, Result};
use super::object::{EntityExt, InstallScript, Media, Os, OsVariant, Tree};
use super::scripts::{script_info, InstallScriptInfo};

/// One database media (or tree) that matched, with its OS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaMatch {
    pub os: OsRef,
    /// The architecture of the matching media entry (`x86_64`…).
    pub architecture: Option<String>,
    /// The names of the editions it is (`Fedora Everything 37`).
    pub variants: Vec<String>,
}

/// What a disc image is, as libosinfo sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedMedia {
    /// The path given.
    pub path: String,
    /// The ISO's primary volume descriptor fields.
    pub volume_id: Option<String>,
    pub system_id: Option<String>,
    pub publisher_id: Option<String>,
    pub application_id: Option<String>,
    /// Whether it carries an El Torito (or PowerPC) boot record. libosinfo identifies
    /// bootable media only, as `osinfo-detect` does: a disc that cannot boot has no OS.
    pub bootable: bool,
    /// The OS libosinfo picks (its first match); `None` when the database knows no
    /// such media: then the wizard offers the list, with [`super::generic_choices`].
    pub os: Option<OsRef>,
    /// Every match, libosinfo's preferred ones first (the first is `os`). More than one
    /// when the database cannot tell them apart: Windows 10 and 11 install discs carry
    /// the same identifiers, and osinfo-db 20221130 has the same rule for both.
    pub candidates: Vec<MediaMatch>,
    /// From the matched media entry.
    pub architecture: Option<String>,
    pub variants: Vec<String>,
    pub live: bool,
    pub installer: bool,
    /// How many times the installer reboots (`None`: not said).
    pub installer_reboots: Option<u32>,
    pub eject_after_install: bool,
    /// Languages of the media (from its volume id, for Windows).
    pub languages: Vec<String>,
    /// Whether the media supports unattended installation, and the scripts it offers
    /// (the media's own list, else its OS's).
    pub supports_install_script: bool,
    pub install_scripts: Vec<InstallScriptInfo>,
    /// Paths inside the image of the installer's kernel and initrd (direct kernel boot,
    /// initrd injection).
    pub kernel_path: Option<String>,
    pub initrd_path: Option<String>,
}

/// What an installation tree is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedTree {
    /// The URL given.
    pub url: String,
    /// From its `.treeinfo`.
    pub treeinfo_family: Option<String>,
    pub treeinfo_version: Option<String>,
    pub treeinfo_arch: Option<String>,
    pub treeinfo_variant: Option<String>,
    pub os: Option<OsRef>,
    pub candidates: Vec<MediaMatch>,
    pub architecture: Option<String>,
    pub variants: Vec<String>,
    /// Relative to `url`: the installer's kernel, initrd and boot ISO.
    pub kernel_path: Option<String>,
    pub initrd_path: Option<String>,
    pub boot_iso_path: Option<String>,
    /// The kernel argument that points the installer at `url` (`inst.repo`…).
    pub kernel_url_argument: Option<String>,
}

impl DetectedTree {
    /// `url` joined with the kernel path: what to download for direct kernel boot.
    pub fn kernel_url(&self) -> Option<String> {
        self.kernel_path.as_deref().map(|p| join_url(&self.url, p))
    }

    pub fn initrd_url(&self) -> Option<String> {
        self.initrd_path.as_deref().map(|p| join_url(&self.url, p))
    }
}

fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

fn variant_names(list: &[OsVariant]) -> Vec<String> {
    list.iter()
        .filter_map(|v| v.name().or_else(|| Some(v.id())))
        .collect()
}

fn media_match(m: &Media) -> Option<MediaMatch> {
    Some(MediaMatch {
        os: os_ref(&m.os()?),
        architecture: m.architecture(),
        variants: variant_names(&m.os_variants()),
    })
}

fn tree_match(t: &Tree) -> Option<MediaMatch> {
    Some(MediaMatch {
        os: os_ref(&t.os()?),
        architecture: t.architecture(),
        variants: variant_names(&t.os_variants()),
    })
}

/// Keeps the first match of each OS (media of several architectures or variants of
/// one OS are one candidate).
fn dedup(matches: Vec<MediaMatch>) -> Vec<MediaMatch> {
    let mut seen = BTreeSet::new();
    matches
        .into_iter()
        .filter(|m| seen.insert(m.os.id.clone()))
        .collect()
}

impl OsinfoDb {
    /// Reads the disc image at `path` and asks the database which OS it is.
    pub fn detect_media(
        &self,
        path: &Path,
        cancellable: Option<&gio::Cancellable>,
    ) -> Result<DetectedMedia> {
        let location = path.to_string_lossy().to_string();
        let media = Media::create_from_location(&location, cancellable)
            .map_err(|e| OsinfoError::from_media(&location, &e))?;
        let bootable = media.is_bootable();
        // libosinfo's first match fills the media (OS, variants, scripts, paths); every
        // match is asked only then, for the candidates (no second pass over the whole
        // database for media it does not know).
        let identified = bootable && self.db.identify_media(&media);
        let candidates = if identified {
            dedup(
                self.db
                    .identify_medialist(&media)
                    .iter()
                    .filter_map(media_match)
                    .collect(),
            )
        } else {
            Vec::new()
        };
        let os: Option<Os> = if identified { media.os() } else { None };
        let mut scripts: Vec<InstallScript> = media.install_script_list();
        if scripts.is_empty() {
            if let Some(os) = &os {
                scripts = os.install_script_list();
            }
        }
        let supports_install_script = identified && media.supports_installer_script();
        let detected = DetectedMedia {
            path: location,
            volume_id: media.volume_id(),
            system_id: media.system_id(),
            publisher_id: media.publisher_id(),
            application_id: media.application_id(),
            bootable,
            os: os.as_ref().map(os_ref),
            candidates,
            architecture: if identified {
                media.architecture()
            } else {
                None
            },
            variants: variant_names(&media.os_variants()),
            live: identified && media.live(),
            installer: identified && media.installer(),
            installer_reboots: if identified {
                u32::try_from(media.installer_reboots()).ok()
            } else {
                None
            },
            eject_after_install: identified && media.eject_after_install(),
            languages: media.languages(),
            supports_install_script,
            install_scripts: if supports_install_script {
                scripts.iter().map(script_info).collect()
            } else {
                Vec::new()
            },
            kernel_path: media.kernel_path(),
            initrd_path: media.initrd_path(),
        };
        if identified {
            *self.last_media.borrow_mut() = Some((path.to_path_buf(), mtime(path), media));
        }
        Ok(detected)
    }

    /// Reads `url/.treeinfo` (or `url/treeinfo`) and asks the database which OS it
    /// is. `url` is `http(s)://`, `ftp://` or `file://`. This fetches from the network
    /// for a remote URL: call it from the worker, with a cancellable.
    pub fn detect_tree(
        &self,
        url: &str,
        cancellable: Option<&gio::Cancellable>,
    ) -> Result<DetectedTree> {
        let tree = Tree::create_from_location(url, cancellable)
            .map_err(|e| OsinfoError::from_tree(url, &e))?;
        // Before identification: libosinfo then replaces the tree's fields with the
        // database entry's (its URL too).
        let treeinfo_family = tree.treeinfo_family();
        let treeinfo_version = tree.treeinfo_version();
        let treeinfo_arch = tree.treeinfo_arch();
        let treeinfo_variant = tree.treeinfo_variant();
        let candidates = dedup(
            self.db
                .identify_treelist(&tree)
                .iter()
                .filter_map(tree_match)
                .collect(),
        );
        let identified = self.db.identify_tree(&tree);
        let os = if identified { tree.os() } else { None };
        Ok(DetectedTree {
            url: url.to_string(),
            treeinfo_family,
            treeinfo_version,
            treeinfo_arch: treeinfo_arch.clone(),
            treeinfo_variant,
            kernel_url_argument: os.as_ref().and_then(Os::kernel_url_argument),
            os: os.as_ref().map(os_ref),
            candidates: if identified { candidates } else { Vec::new() },
            architecture: tree.architecture().or(treeinfo_arch),
            variants: variant_names(&tree.os_variants()),
            kernel_path: tree.kernel_path(),
            initrd_path: tree.initrd_path(),
            boot_iso_path: tree.boot_iso_path(),
        })
    }

    /// libosinfo's media object for `path` if it is the last one identified and the
    /// file has not changed since, else identifies it again.
    pub(crate) fn media_for(
        &self,
        path: &Path,
        cancellable: Option<&gio::Cancellable>,
    ) -> Result<Media> {
        if let Some((p, t, m)) = self.last_media.borrow().as_ref() {
            if p == path && *t == mtime(path) {
                return Ok(m.clone());
            }
        }
        let detected = self.detect_media(path, cancellable)?;
        let cached = self.last_media.borrow();
        match (detected.os, cached.as_ref()) {
            (Some(_), Some((p, _, m))) if p == path => Ok(m.clone()),
            _ => Err(OsinfoError::NotIdentified {
                path: detected.path,
            }),
        }
    }
}
