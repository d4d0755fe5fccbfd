//! Which certificate authority a SPICE display's TLS certificate is checked against.

use std::path::{Path, PathBuf};

/// libvirt's client CA (`/etc/pki/CA/cacert.pem`, what `qemu+tls://` trusts); for a
/// display of this machine's own QEMU (`host` is `None`, a local connection, or a
/// loopback name) first the CA of its SPICE certificates, found as libvirt finds them
/// (see [`spice_cert_dirs`]). `None` when none of them exists.
pub fn spice_ca_file(host: Option<&str>) -> Option<PathBuf> {
    let local = host.map_or(true, is_loopback);
    let mut candidates = Vec::new();
    if local {
        // Readable only where qemu.conf is (root's, or a copy a person made readable);
        // else libvirt's defaults are tried.
        let conf = std::fs::read_to_string("/etc/libvirt/qemu.conf").unwrap_or_default();
        for dir in spice_cert_dirs(&conf, |d| Path::new(d).is_dir()) {
            candidates.push(Path::new(&dir).join("ca-cert.pem"));
        }
    }
    candidates.push(PathBuf::from("/etc/pki/CA/cacert.pem"));
    candidates.into_iter().find(|p| p.is_file())
}

/// This machine itself, by name or address (`qemu+ssh://localhost/system`).
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Where libvirt's QEMU driver takes SPICE's certificates from, given qemu.conf's text:
/// `spice_tls_x509_cert_dir`, else `/etc/pki/libvirt-spice` when it `exists`, else
/// `default_tls_x509_cert_dir` (itself `/etc/pki/qemu` by default).
pub fn spice_cert_dirs(qemu_conf: &str, exists: impl Fn(&str) -> bool) -> Vec<String> {
    if let Some(dir) = conf_string(qemu_conf, "spice_tls_x509_cert_dir") {
        return vec![dir];
    }
    if exists("/etc/pki/libvirt-spice") {
        return vec!["/etc/pki/libvirt-spice".into()];
    }
    vec![conf_string(qemu_conf, "default_tls_x509_cert_dir")
        .unwrap_or_else(|| "/etc/pki/qemu".into())]
}

/// A string setting of a libvirt configuration file (`key = "value"`, `#` comments).
fn conf_string(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.trim();
        let (k, v) = line.split_once('=')?;
        if k.trim() != key {
            return None;
        }
        let v = v.trim();
        let v = v.strip_prefix('"')?;
        let end = v.find('"')?;
        Some(v[..end].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_this_machine() {
        for h in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["hangar-host-b", "10.77.0.2", "localhost.example", "::2"] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn the_spice_directory_is_found_as_libvirt_finds_it() {
        let none = |_: &str| false;
        let conf = "# spice_tls_x509_cert_dir = \"/commented\"\n\
                    spice_tls_x509_cert_dir = \"/srv/spice-pki\" # ours\n\
                    default_tls_x509_cert_dir = \"/srv/pki\"\n";
        assert_eq!(spice_cert_dirs(conf, none), ["/srv/spice-pki"]);
        let conf = "default_tls_x509_cert_dir=\"/srv/pki\"\n";
        assert_eq!(spice_cert_dirs(conf, none), ["/srv/pki"]);
        assert_eq!(
            spice_cert_dirs(conf, |d| d == "/etc/pki/libvirt-spice"),
            ["/etc/pki/libvirt-spice"]
        );
        assert_eq!(spice_cert_dirs("", none), ["/etc/pki/qemu"]);
        // A commented line is not a setting.
        let conf = "#spice_tls_x509_cert_dir = \"/x\"\n";
        assert_eq!(spice_cert_dirs(conf, none), ["/etc/pki/qemu"]);
    }
}
