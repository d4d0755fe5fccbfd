//! Unattended ("express") installation: which install scripts an OS or a disc has, and
//! the script text libosinfo generates from a person's answers. The templates are XSLT
//! inside osinfo-db's XML files: generation reads nothing from the network.

use std::path::PathBuf;

use super::db::OsinfoDb;
use super::error::{OsinfoError, Result};
use super::ffi;
use super::object::{EntityExt, InstallConfig, InstallScript};

/// How a generated script reaches the installer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InjectionMethod {
    /// On a CD-ROM (an ISO made for it).
    Cdrom,
    /// On a disk.
    Disk,
    /// On a floppy image (older Windows).
    Floppy,
    /// Inside the installer's initrd (direct kernel boot).
    Initrd,
    /// Fetched from a web server.
    Web,
}

impl InjectionMethod {
    /// Every method, in the order the wizard prefers them: a CD-ROM works with any
    /// boot, an initrd needs direct kernel boot.
    pub const ALL: [InjectionMethod; 5] = [
        InjectionMethod::Cdrom,
        InjectionMethod::Initrd,
        InjectionMethod::Floppy,
        InjectionMethod::Disk,
        InjectionMethod::Web,
    ];

    fn flag(self) -> u32 {
        match self {
            InjectionMethod::Cdrom => ffi::OSINFO_INSTALL_SCRIPT_INJECTION_METHOD_CDROM,
            InjectionMethod::Disk => ffi::OSINFO_INSTALL_SCRIPT_INJECTION_METHOD_DISK,
            InjectionMethod::Floppy => ffi::OSINFO_INSTALL_SCRIPT_INJECTION_METHOD_FLOPPY,
            InjectionMethod::Initrd => ffi::OSINFO_INSTALL_SCRIPT_INJECTION_METHOD_INITRD,
            InjectionMethod::Web => ffi::OSINFO_INSTALL_SCRIPT_INJECTION_METHOD_WEB,
        }
    }

    /// libosinfo's name: `cdrom`, `disk`, `floppy`, `initrd`, `web`.
    pub fn name(self) -> &'static str {
        match self {
            InjectionMethod::Cdrom => "cdrom",
            InjectionMethod::Disk => "disk",
            InjectionMethod::Floppy => "floppy",
            InjectionMethod::Initrd => "initrd",
            InjectionMethod::Web => "web",
        }
    }
}

/// A parameter an install script reads (`user-login`, `hostname`, `reg-product-key`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptParam {
    pub name: String,
    pub required: bool,
}

/// An install script as the wizard presents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallScriptInfo {
    /// `http://fedoraproject.org/fedora/kickstart/desktop`.
    pub id: String,
    /// `desktop` (a graphical system with a user) or `jeos` ("just enough OS").
    pub profile: String,
    pub injection_methods: Vec<InjectionMethod>,
    /// The file name the installer looks for (`fedora.ks`, `autounattend.xml`).
    pub expected_filename: Option<String>,
    /// `$$$$$-$$$$$-$$$$$-$$$$$-$$$$$` for Windows.
    pub product_key_format: Option<String>,
    /// The script requires a product key (`reg-product-key`).
    pub needs_product_key: bool,
    /// The installation downloads from the network.
    pub needs_internet: bool,
    /// Paths in the script are DOS paths (Windows).
    pub dos_paths: bool,
    pub can_pre_install_drivers: bool,
    pub can_post_install_drivers: bool,
    pub params: Vec<ScriptParam>,
}

impl InstallScriptInfo {
    /// Whether the script reads parameter `name` (e.g. `l10n-keyboard`: the Windows
    /// scripts read none, the keyboard follows the language there).
    pub fn takes(&self, name: &str) -> bool {
        self.params.iter().any(|p| p.name == name)
    }

    /// The method the wizard uses when the person does not choose:
    /// the first of [`InjectionMethod::ALL`] that the script supports.
    pub fn default_injection(&self) -> Option<InjectionMethod> {
        InjectionMethod::ALL
            .into_iter()
            .find(|m| self.injection_methods.contains(m))
    }
}

pub(crate) fn script_info(s: &InstallScript) -> InstallScriptInfo {
    let flags = s.injection_methods();
    let params: Vec<ScriptParam> = s
        .config_params()
        .into_iter()
        .map(|(name, required)| ScriptParam { name, required })
        .collect();
    InstallScriptInfo {
        id: s.id(),
        profile: s.profile().unwrap_or_default(),
        injection_methods: InjectionMethod::ALL
            .into_iter()
            .filter(|m| flags & m.flag() != 0)
            .collect(),
        expected_filename: s.expected_filename(),
        product_key_format: s.product_key_format(),
        needs_product_key: params
            .iter()
            .any(|p| p.name == "reg-product-key" && p.required),
        needs_internet: s.needs_internet(),
        dos_paths: s.dos_paths(),
        can_pre_install_drivers: s.can_pre_install_drivers(),
        can_post_install_drivers: s.can_post_install_drivers(),
        params,
    }
}

/// The person's answers for an express installation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpressConfig {
    /// The user's login name.
    pub user_login: String,
    /// The user's full name (optional).
    pub user_realname: Option<String>,
    pub user_password: String,
    /// The administrator's (root's) password; the wizard may reuse the user's.
    pub admin_password: String,
    pub hostname: String,
    /// An Olson time zone: `Europe/Berlin`.
    pub timezone: String,
    /// A keyboard locale (`de_CH`), mapped to the OS's layout name by osinfo-db's
    /// keyboard map (`ch`); the scripts that use X11 layouts also accept one (`de`).
    pub keyboard: String,
    /// A locale: `en_US`, `de_DE`.
    pub language: String,
    /// Required by Windows scripts.
    pub product_key: Option<String>,
    /// `x86_64`, `aarch64`…
    pub arch: String,
    /// The installation URL, for a network install.
    pub installation_url: Option<String>,
}

/// What the script is generated for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptTarget {
    /// An OS chosen from the list (full or short id).
    Os(String),
    /// A disc image: its edition and languages reach the script too (the Windows
    /// scripts read the edition).
    Media(PathBuf),
}

/// A request to generate a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptRequest {
    pub target: ScriptTarget,
    /// `desktop` or `jeos`.
    pub profile: String,
    /// `None`: [`InstallScriptInfo::default_injection`].
    pub injection: Option<InjectionMethod>,
    /// Install from the network (the script then says so to the installer).
    pub network_install: bool,
    pub config: ExpressConfig,
}

/// A generated script, ready to be put where `injection` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedScript {
    pub script_id: String,
    pub profile: String,
    /// The file name the installer looks for.
    pub filename: String,
    pub injection: InjectionMethod,
    pub text: String,
    /// Kernel arguments that point the installer at the script (for direct kernel
    /// boot), when the script has them.
    pub command_line: Option<String>,
}

/// The config parameters an [`ExpressConfig`] fills, by libosinfo's names.
fn config_values(c: &ExpressConfig) -> Vec<(&'static str, Option<&str>)> {
    fn opt(s: &str) -> Option<&str> {
        Some(s).filter(|s| !s.is_empty())
    }
    vec![
        ("user-login", opt(&c.user_login)),
        ("user-realname", c.user_realname.as_deref().and_then(opt)),
        ("user-password", opt(&c.user_password)),
        ("admin-password", opt(&c.admin_password)),
        ("hostname", opt(&c.hostname)),
        ("l10n-timezone", opt(&c.timezone)),
        ("l10n-keyboard", opt(&c.keyboard)),
        ("l10n-language", opt(&c.language)),
        ("reg-product-key", c.product_key.as_deref().and_then(opt)),
        ("hardware-arch", opt(&c.arch)),
        (
            "installation-url",
            c.installation_url.as_deref().and_then(opt),
        ),
    ]
}

impl OsinfoDb {
    /// The install scripts of `os` (full or short id).
    pub fn install_scripts(&self, os: &str) -> Result<Vec<InstallScriptInfo>> {
        let o = self.lookup(os)?;
        Ok(o.install_script_list().iter().map(script_info).collect())
    }

    /// Generates the install script of `request.profile` for the OS or disc, with the
    /// person's answers. Refuses when a parameter the script requires is empty.
    pub fn generate_script(
        &self,
        request: &ScriptRequest,
        cancellable: Option<&gio::Cancellable>,
    ) -> Result<GeneratedScript> {
        let (os, media) = match &request.target {
            ScriptTarget::Os(id) => (self.lookup(id)?, None),
            ScriptTarget::Media(path) => {
                let media = self.media_for(path, cancellable)?;
                let os = media.os().ok_or_else(|| OsinfoError::NotIdentified {
                    path: path.to_string_lossy().to_string(),
                })?;
                (os, Some(media))
            }
        };
        let mut scripts: Vec<InstallScript> = media
            .as_ref()
            .map(|m| m.install_script_list())
            .unwrap_or_default();
        if scripts.is_empty() {
            scripts = os.install_script_list();
        }
        let os_name = super::object::ProductExt::name(&os).unwrap_or_else(|| os.id());
        let script = scripts
            .into_iter()
            .find(|s| s.profile().as_deref() == Some(request.profile.as_str()))
            .ok_or_else(|| OsinfoError::NoInstallScript {
                os: os_name,
                profile: request.profile.clone(),
            })?;
        let info = script_info(&script);
        let injection = match request.injection {
            Some(m) if info.injection_methods.contains(&m) => m,
            Some(m) => {
                return Err(OsinfoError::InjectionUnsupported {
                    script: info.id,
                    method: m.name().into(),
                })
            }
            None => info
                .default_injection()
                .ok_or_else(|| OsinfoError::InjectionUnsupported {
                    script: info.id.clone(),
                    method: "any".into(),
                })?,
        };
        let values = config_values(&request.config);
        for p in info.params.iter().filter(|p| p.required) {
            if let Some((_, None)) = values.iter().find(|(name, _)| *name == p.name) {
                return Err(OsinfoError::MissingParameter(p.name.clone()));
            }
        }
        let config = InstallConfig::new("http://hangar.invalid/install-config");
        for (name, value) in values {
            if let Some(v) = value {
                config.set_param(name, v);
            }
        }
        // The script object belongs to the database: set both every time, so one
        // request never inherits another's choice.
        script.set_preferred_injection_method(injection.flag());
        script.set_installation_source_network(request.network_install);
        let generated = match &media {
            Some(m) => script.generate_for_media(m, &config, cancellable),
            None => script.generate(&os, &config, cancellable),
        };
        let text = generated.map_err(|e| {
            if e.matches(gio::IOErrorEnum::Cancelled) {
                OsinfoError::Cancelled
            } else {
                OsinfoError::Generate(e.message().to_string())
            }
        })?;
        let command_line = match &media {
            Some(m) => script.command_line_for_media(m, &config),
            None => script.command_line(&os, &config),
        }
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
        Ok(GeneratedScript {
            script_id: info.id,
            profile: info.profile,
            filename: info
                .expected_filename
                .unwrap_or_else(|| "install-script".into()),
            injection,
            text,
            command_line,
        })
    }
}
