//! What can go wrong talking to NetworkManager, in words, with the polkit permission
//! that was missing when it refused.

/// What can go wrong talking to NetworkManager.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// NetworkManager is not on the system bus.
    #[error("NetworkManager is not running on this computer")]
    NotRunning,
    /// The system bus itself cannot be reached.
    #[error("the system bus cannot be reached: {0}")]
    NoBus(String),
    /// polkit refused; `permission` is the action that was missing.
    #[error("NetworkManager refused: {message} (the permission {permission} is needed)")]
    PermissionDenied { permission: String, message: String },
    /// The change did not work and was rolled back.
    #[error("{0}")]
    RolledBack(String),
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// A D-Bus error from calling `method`.
    pub fn from_dbus(method: &str, e: &glib::Error) -> Error {
        let remote = gio::DBusError::remote_error(e)
            .map(|s| s.to_string())
            .unwrap_or_default();
        let mut stripped = e.clone();
        gio::DBusError::strip_remote_error(&mut stripped);
        let message = stripped.message().to_string();
        Self::classify(method, &remote, message)
    }

    /// Classify a remote error by its D-Bus name.
    pub fn classify(method: &str, remote: &str, message: String) -> Error {
        if remote.ends_with(".PermissionDenied") || remote.ends_with(".AccessDenied") {
            return Error::PermissionDenied {
                permission: permission_for(method).to_string(),
                message,
            };
        }
        if remote == "org.freedesktop.DBus.Error.ServiceUnknown"
            || remote == "org.freedesktop.DBus.Error.NameHasNoOwner"
        {
            return Error::NotRunning;
        }
        Error::Failed(message)
    }
}

/// The polkit action NetworkManager checks for a method.
pub fn permission_for(method: &str) -> &'static str {
    match method {
        "AddConnection" | "AddConnection2" | "Update" | "Update2" | "Delete" => {
            "org.freedesktop.NetworkManager.settings.modify.system"
        }
        "CheckpointCreate"
        | "CheckpointDestroy"
        | "CheckpointRollback"
        | "CheckpointAdjustRollbackTimeout" => "org.freedesktop.NetworkManager.checkpoint-rollback",
        _ => "org.freedesktop.NetworkManager.network-control",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polkit_refusals_name_the_missing_permission() {
        let e = Error::classify(
            "AddConnection",
            "org.freedesktop.NetworkManager.Settings.PermissionDenied",
            "Insufficient privileges".into(),
        );
        assert_eq!(
            e,
            Error::PermissionDenied {
                permission: "org.freedesktop.NetworkManager.settings.modify.system".into(),
                message: "Insufficient privileges".into()
            }
        );
        assert!(e.to_string().contains("settings.modify.system"));
        let e = Error::classify(
            "CheckpointCreate",
            "org.freedesktop.NetworkManager.PermissionDenied",
            "Not authorized".into(),
        );
        assert!(e.to_string().contains("checkpoint-rollback"), "{e}");
        assert_eq!(
            Error::classify(
                "GetAllDevices",
                "org.freedesktop.DBus.Error.ServiceUnknown",
                String::new()
            ),
            Error::NotRunning
        );
    }
}
