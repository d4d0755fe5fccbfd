//! What can go wrong when asking libosinfo, in words a person can act on.

/// An error of the osinfo module. The UI turns it into a message where the person
/// chose the file or typed the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OsinfoError {
    /// Not even the system database could be read.
    #[error("the operating system database could not be read: {0}")]
    Load(String),
    /// The disc image does not exist.
    #[error("“{path}” does not exist")]
    MediaNotFound { path: String },
    /// The disc image exists but cannot be read (permissions, I/O error).
    #[error("“{path}” cannot be read: {message}")]
    MediaUnreadable { path: String, message: String },
    /// The file is not an ISO 9660 image (no volume descriptors). `message` is
    /// libosinfo's, for the details.
    #[error("“{path}” is not a CD/DVD image (ISO 9660)")]
    NotAnIso { path: String, message: String },
    /// No OS of the database matches the disc image.
    #[error("no operating system in the database matches “{path}”")]
    NotIdentified { path: String },
    /// The installation tree's `.treeinfo` could not be fetched or parsed.
    #[error("no installation tree could be read at {url}: {message}")]
    Tree { url: String, message: String },
    /// No OS of that id or short id in the loaded database.
    #[error("the operating system “{0}” is not in the database")]
    UnknownOs(String),
    /// The OS has no install script of that profile (or no script at all).
    #[error("{os} has no {profile} install script")]
    NoInstallScript { os: String, profile: String },
    /// The script does not offer the asked injection method.
    #[error("the install script {script} cannot be injected by {method}")]
    InjectionUnsupported { script: String, method: String },
    /// A parameter the script requires was left empty.
    #[error("the install script needs a value for “{0}”")]
    MissingParameter(String),
    /// libosinfo's template processing failed.
    #[error("the install script could not be generated: {0}")]
    Generate(String),
    /// The person cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The osinfo worker thread is gone (only at shutdown, or after a panic in it).
    #[error("the operating system database worker has stopped")]
    WorkerGone,
}

impl OsinfoError {
    /// Classifies a GError from reading a disc image.
    pub(crate) fn from_media(path: &str, e: &glib::Error) -> OsinfoError {
        let path = path.to_string();
        let message = e.message().to_string();
        if e.matches(gio::IOErrorEnum::Cancelled) {
            OsinfoError::Cancelled
        } else if e.matches(gio::IOErrorEnum::NotFound) {
            OsinfoError::MediaNotFound { path }
        } else if e.domain() == glib::Quark::from_str("osinfo-media-error") {
            OsinfoError::NotAnIso { path, message }
        } else {
            OsinfoError::MediaUnreadable { path, message }
        }
    }

    /// Classifies a GError from reading an installation tree.
    pub(crate) fn from_tree(url: &str, e: &glib::Error) -> OsinfoError {
        if e.matches(gio::IOErrorEnum::Cancelled) {
            OsinfoError::Cancelled
        } else {
            OsinfoError::Tree {
                url: url.to_string(),
                message: e.message().to_string(),
            }
        }
    }
}

pub type Result<T> = std::result::Result<T, OsinfoError>;
