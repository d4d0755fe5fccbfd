//! Typed errors of the backend. The UI turns them into human messages
//! (`Error::summary` / `Error::details`); nothing here knows about GTK.

use virt::sys;

/// What went wrong, classified so the UI can say something useful.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The URI the person typed does not parse.
    #[error("invalid connection URI “{uri}”: {reason}")]
    InvalidUri { uri: String, reason: String },
    /// The hypervisor could not be reached (daemon down, host unreachable, SSH failed).
    #[error("could not connect to {uri}: {message}")]
    ConnectFailed { uri: String, message: String },
    /// Authentication was refused or cancelled.
    #[error("authentication failed for {uri}: {message}")]
    AuthFailed { uri: String, message: String },
    /// The connection is not open (disconnected or lost).
    #[error("not connected")]
    NotConnected,
    /// The connection broke while a request was under way.
    #[error("the connection was lost: {0}")]
    ConnectionLost(String),
    /// The domain no longer exists (undefined between click and action).
    #[error("the virtual machine “{0}” no longer exists")]
    NoSuchDomain(String),
    /// The operation is not valid in the current state (e.g. pausing a shut-off VM).
    #[error("{0}")]
    InvalidState(String),
    /// The hypervisor does not support this operation.
    #[error("not supported by this hypervisor: {0}")]
    Unsupported(String),
    /// The person is not allowed to do this.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// Invalid input from the person (name, size, …).
    #[error("{0}")]
    InvalidInput(String),
    /// Any other libvirt error, with its code and message.
    #[error("{message}")]
    Libvirt {
        code: i32,
        domain: i32,
        message: String,
    },
    /// The worker thread is gone (only at shutdown).
    #[error("the connection worker has stopped")]
    WorkerGone,
    /// Reading or writing a local file failed.
    #[error("{0}")]
    Io(String),
}

impl Error {
    /// Classify a libvirt error.
    pub fn from_virt(e: &virt::error::Error) -> Error {
        let code = e.code().to_raw() as i32;
        let domain = e.domain().to_raw() as i32;
        let message = e.message().to_string();
        Self::from_code(code, domain, message)
    }

    /// Classify a libvirt error given its raw code (`virErrorNumber`).
    pub fn from_code(code: i32, domain: i32, message: String) -> Error {
        match code as u32 {
            sys::VIR_ERR_NO_DOMAIN => Error::NoSuchDomain(message),
            sys::VIR_ERR_OPERATION_INVALID => Error::InvalidState(message),
            sys::VIR_ERR_NO_SUPPORT | sys::VIR_ERR_OPERATION_UNSUPPORTED => {
                Error::Unsupported(message)
            }
            sys::VIR_ERR_AUTH_FAILED | sys::VIR_ERR_AUTH_CANCELLED => Error::AuthFailed {
                uri: String::new(),
                message,
            },
            sys::VIR_ERR_OPERATION_DENIED | sys::VIR_ERR_ACCESS_DENIED => {
                Error::PermissionDenied(message)
            }
            // Once the socket has closed, libvirt answers with an internal error.
            sys::VIR_ERR_SYSTEM_ERROR
            | sys::VIR_ERR_RPC
            | sys::VIR_ERR_NO_CONNECT
            | sys::VIR_ERR_INTERNAL_ERROR
                if is_connection_break(&message) =>
            {
                Error::ConnectionLost(message)
            }
            sys::VIR_ERR_INVALID_CONN => Error::ConnectionLost(message),
            _ => Error::Libvirt {
                code,
                domain,
                message,
            },
        }
    }

    /// True when this error means the connection itself is broken, so the caller
    /// should treat the connection as lost and reconnect.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, Error::ConnectionLost(_) | Error::WorkerGone)
    }
}

fn is_connection_break(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("connection reset")
        || m.contains("broken pipe")
        || m.contains("end of file")
        || m.contains("client socket is closed")
        || m.contains("is not open")
        || m.contains("connection closed")
}

impl From<virt::error::Error> for Error {
    fn from(e: virt::error::Error) -> Self {
        Error::from_virt(&e)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_missing_domain() {
        let e = Error::from_code(sys::VIR_ERR_NO_DOMAIN as i32, 10, "gone".into());
        assert!(matches!(e, Error::NoSuchDomain(ref m) if m == "gone"));
        assert!(!e.is_connection_lost());
    }

    #[test]
    fn classifies_broken_connection() {
        let e = Error::from_code(
            sys::VIR_ERR_SYSTEM_ERROR as i32,
            7,
            "Cannot recv data: Connection reset by peer".into(),
        );
        assert!(e.is_connection_lost());
        let closed = Error::from_code(
            sys::VIR_ERR_INTERNAL_ERROR as i32,
            7,
            "internal error: client socket is closed".into(),
        );
        assert!(closed.is_connection_lost());
        let other = Error::from_code(sys::VIR_ERR_SYSTEM_ERROR as i32, 7, "disk full".into());
        assert!(!other.is_connection_lost());
    }
}
