//! Connection URIs: parse what a person typed, build one from the Add Connection
//! dialog's fields, and name a connection the way people think of it.

use crate::backend::{Error, Result};

/// The pseudo-URI under which the built-in demo hypervisor is remembered.
pub const DEMO_URI: &str = "hangar:demo";

/// The parts of a libvirt URI: `driver[+transport]://[user@][host][:port]/path[?query]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibvirtUri {
    pub driver: String,
    pub transport: Option<String>,
    pub user: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub path: String,
    pub query: Option<String>,
}

impl LibvirtUri {
    /// Parse a libvirt URI, with a clear reason when it does not parse.
    pub fn parse(uri: &str) -> Result<LibvirtUri> {
        let bad = |reason: &str| Error::InvalidUri {
            uri: uri.to_string(),
            reason: reason.to_string(),
        };
        let uri_t = uri.trim();
        if uri_t.is_empty() {
            return Err(bad("it is empty"));
        }
        if uri_t.chars().any(char::is_whitespace) {
            return Err(bad("it contains spaces"));
        }
        let (scheme, rest) = uri_t
            .split_once("://")
            .ok_or_else(|| bad("it has no “://” (for example qemu:///system)"))?;
        if scheme.is_empty() {
            return Err(bad("the hypervisor name before “://” is missing"));
        }
        let (driver, transport) = match scheme.split_once('+') {
            Some((d, t)) => (d, Some(t)),
            None => (scheme, None),
        };
        let valid_word = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if !valid_word(driver) {
            return Err(bad(
                "the hypervisor name may only hold letters, digits, “-” and “_”",
            ));
        }
        if let Some(t) = transport {
            if !valid_word(t) {
                return Err(bad("the transport after “+” is not valid"));
            }
        }
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q.to_string())),
            None => (rest, None),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, String::new()),
        };
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => {
                if u.is_empty() {
                    return Err(bad("the user name before “@” is empty"));
                }
                (Some(u.to_string()), h)
            }
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport).map_err(|r| bad(&r))?;
        if user.is_some() && host.is_none() {
            return Err(bad("a user name needs a host"));
        }
        if transport.is_some() && host.is_none() && transport != Some("unix") {
            return Err(bad("a remote transport needs a host name"));
        }
        Ok(LibvirtUri {
            driver: driver.to_string(),
            transport: transport.map(str::to_string),
            user,
            host,
            port,
            path,
            query,
        })
    }

    /// True when the URI reaches another machine.
    pub fn is_remote(&self) -> bool {
        match &self.host {
            Some(h) => !matches!(h.as_str(), "localhost" | "127.0.0.1" | "::1"),
            None => false,
        }
    }

    pub fn to_uri_string(&self) -> String {
        let mut s = self.driver.clone();
        if let Some(t) = &self.transport {
            s.push('+');
            s.push_str(t);
        }
        s.push_str("://");
        if let Some(u) = &self.user {
            s.push_str(u);
            s.push('@');
        }
        if let Some(h) = &self.host {
            if h.contains(':') {
                s.push('[');
                s.push_str(h);
                s.push(']');
            } else {
                s.push_str(h);
            }
        }
        if let Some(p) = self.port {
            s.push(':');
            s.push_str(&p.to_string());
        }
        s.push_str(&self.path);
        if let Some(q) = &self.query {
            s.push('?');
            s.push_str(q);
        }
        s
    }
}

fn split_host_port(s: &str) -> std::result::Result<(Option<String>, Option<u16>), String> {
    if s.is_empty() {
        return Ok((None, None));
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| "an IPv6 address misses its closing “]”".to_string())?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err("unexpected text after the IPv6 address".into()),
        };
        (h.to_string(), port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (s.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err("the host name is empty".into());
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '%'))
    {
        return Err(format!("“{host}” is not a valid host name"));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(format!("“{p}” is not a valid port (1–65535)")),
            Ok(n) => Some(n),
        },
    };
    Ok((Some(host), port))
}

/// Which hypervisor a new connection talks to (the Add Connection dialog's choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hypervisor {
    QemuSystem,
    QemuSession,
    Demo,
    Custom,
}

/// Remote access over SSH.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

/// Build the URI for the Add Connection dialog's fields. `custom` is only read for
/// [`Hypervisor::Custom`]; `ssh` is ignored for the demo and custom choices.
pub fn build_uri(hv: Hypervisor, ssh: Option<&SshTarget>, custom: &str) -> Result<String> {
    let path = match hv {
        Hypervisor::Demo => return Ok(DEMO_URI.to_string()),
        Hypervisor::Custom => {
            return LibvirtUri::parse(custom).map(|u| u.to_uri_string());
        }
        Hypervisor::QemuSystem => "/system",
        Hypervisor::QemuSession => "/session",
    };
    let uri = match ssh {
        None => LibvirtUri {
            driver: "qemu".into(),
            transport: None,
            user: None,
            host: None,
            port: None,
            path: path.into(),
            query: None,
        },
        Some(t) => {
            let host = t.host.trim();
            if host.is_empty() {
                return Err(Error::InvalidUri {
                    uri: String::new(),
                    reason: "enter the host name to connect to".into(),
                });
            }
            let user = t
                .user
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string);
            LibvirtUri {
                driver: "qemu".into(),
                transport: Some("ssh".into()),
                user,
                host: Some(host.to_string()),
                port: t.port,
                path: path.into(),
                query: None,
            }
        }
    };
    // Round-trip through the parser so bad host names are refused here.
    let s = uri.to_uri_string();
    LibvirtUri::parse(&s)?;
    Ok(s)
}

/// A short, human name for a connection URI (“QEMU/KVM”, “QEMU/KVM User Session on host”…).
/// The words are English here; the UI layer translates the known patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UriLabel {
    Demo,
    QemuSystem {
        host: Option<String>,
    },
    QemuSession {
        host: Option<String>,
    },
    Test,
    Other {
        driver: String,
        host: Option<String>,
    },
}

pub fn classify(uri: &str) -> UriLabel {
    if uri == DEMO_URI {
        return UriLabel::Demo;
    }
    let Ok(u) = LibvirtUri::parse(uri) else {
        return UriLabel::Other {
            driver: uri.to_string(),
            host: None,
        };
    };
    let host = u.host.clone().filter(|_| u.is_remote());
    match (u.driver.as_str(), u.path.as_str()) {
        ("qemu", "/system") => UriLabel::QemuSystem { host },
        ("qemu", "/session") => UriLabel::QemuSession { host },
        ("test", _) => UriLabel::Test,
        _ => UriLabel::Other {
            driver: u.driver,
            host,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_local_and_remote() {
        let u = LibvirtUri::parse("qemu:///system").unwrap();
        assert_eq!(u.driver, "qemu");
        assert_eq!(u.host, None);
        assert_eq!(u.path, "/system");
        assert!(!u.is_remote());

        let u =
            LibvirtUri::parse("qemu+ssh://root@kvm.example.org:2222/system?keyfile=/k").unwrap();
        assert_eq!(u.transport.as_deref(), Some("ssh"));
        assert_eq!(u.user.as_deref(), Some("root"));
        assert_eq!(u.host.as_deref(), Some("kvm.example.org"));
        assert_eq!(u.port, Some(2222));
        assert_eq!(u.query.as_deref(), Some("keyfile=/k"));
        assert!(u.is_remote());
        assert_eq!(
            u.to_uri_string(),
            "qemu+ssh://root@kvm.example.org:2222/system?keyfile=/k"
        );
    }

    #[test]
    fn parses_test_driver_file_and_ipv6() {
        let u = LibvirtUri::parse("test:///tmp/node.xml").unwrap();
        assert_eq!(u.path, "/tmp/node.xml");
        let u = LibvirtUri::parse("qemu+tcp://[fe80::1]:16509/system").unwrap();
        assert_eq!(u.host.as_deref(), Some("fe80::1"));
        assert_eq!(u.port, Some(16509));
        assert_eq!(u.to_uri_string(), "qemu+tcp://[fe80::1]:16509/system");
    }

    #[test]
    fn refuses_bad_uris_with_reasons() {
        for (bad, why) in [
            ("", "empty"),
            ("qemu", "://"),
            ("qemu:// /system", "spaces"),
            ("q!emu:///system", "letters"),
            ("qemu+ssh:///system", "host"),
            ("qemu+ssh://host:99999/system", "port"),
            ("qemu+ssh://host:0/system", "port"),
            ("qemu+ssh://@host/system", "user"),
            ("qemu+ssh://ho$t/system", "valid host"),
            ("qemu+ssh://[::1/system", "]"),
        ] {
            match LibvirtUri::parse(bad) {
                Err(Error::InvalidUri { reason, .. }) => {
                    assert!(reason.contains(why), "{bad}: {reason}")
                }
                other => panic!("{bad} parsed: {other:?}"),
            }
        }
    }

    #[test]
    fn builds_uris_from_dialog_fields() {
        assert_eq!(
            build_uri(Hypervisor::QemuSystem, None, "").unwrap(),
            "qemu:///system"
        );
        assert_eq!(
            build_uri(Hypervisor::QemuSession, None, "").unwrap(),
            "qemu:///session"
        );
        assert_eq!(build_uri(Hypervisor::Demo, None, "").unwrap(), DEMO_URI);
        let ssh = SshTarget {
            user: Some("alice".into()),
            host: "lab1".into(),
            port: Some(2200),
        };
        assert_eq!(
            build_uri(Hypervisor::QemuSystem, Some(&ssh), "").unwrap(),
            "qemu+ssh://alice@lab1:2200/system"
        );
        let no_user = SshTarget {
            user: Some("  ".into()),
            host: "lab1".into(),
            port: None,
        };
        assert_eq!(
            build_uri(Hypervisor::QemuSession, Some(&no_user), "").unwrap(),
            "qemu+ssh://lab1/session"
        );
        assert!(build_uri(Hypervisor::QemuSystem, Some(&SshTarget::default()), "").is_err());
        let bad_host = SshTarget {
            user: None,
            host: "a b".into(),
            port: None,
        };
        assert!(build_uri(Hypervisor::QemuSystem, Some(&bad_host), "").is_err());
        assert_eq!(
            build_uri(Hypervisor::Custom, None, "xen:///").unwrap(),
            "xen:///"
        );
        assert!(build_uri(Hypervisor::Custom, None, "nonsense").is_err());
    }

    #[test]
    fn classifies_uris() {
        assert_eq!(classify(DEMO_URI), UriLabel::Demo);
        assert_eq!(
            classify("qemu:///system"),
            UriLabel::QemuSystem { host: None }
        );
        assert_eq!(
            classify("qemu+ssh://u@h/session"),
            UriLabel::QemuSession {
                host: Some("h".into())
            }
        );
        assert_eq!(classify("test:///default"), UriLabel::Test);
    }
}
