//! Cloud images with cloud-init: the machine's disk is a copy-on-write overlay over the
//! image, and a NoCloud seed (an ISO labelled `cidata` holding `user-data`, `meta-data`
//! and `network-config`) gives it its user, SSH key and host name on first boot.

use std::path::{Path, PathBuf};

use crate::i18n::gettext;

/// What the seed tells the guest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CloudInit {
    pub user: String,
    /// One OpenSSH public key line (`ssh-ed25519 AAAA… me@host`).
    pub ssh_key: String,
    pub hostname: String,
}

/// Why a field is wrong, by field (`user`, `ssh_key`, `hostname`).
pub fn check_cloud(c: &CloudInit) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let user_ok = !c.user.is_empty()
        && c.user.len() <= 32
        && c.user
            .chars()
            .next()
            .is_some_and(|ch| ch.is_ascii_lowercase() || ch == '_')
        && c.user
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || ch == '-');
    if !user_ok {
        out.push((
            "user",
            gettext("A user name: lower-case letters, digits, “-” and “_”, starting with a letter"),
        ));
    }
    let key = c.ssh_key.trim();
    let kinds = [
        "ssh-ed25519 ",
        "ssh-rsa ",
        "ecdsa-sha2-",
        "sk-ssh-ed25519@",
        "sk-ecdsa-",
    ];
    if !kinds.iter().any(|k| key.starts_with(k)) || key.contains('\n') {
        out.push((
            "ssh_key",
            gettext("One OpenSSH public key, as in ~/.ssh/id_ed25519.pub"),
        ));
    }
    let host_ok = !c.hostname.is_empty()
        && c.hostname.len() <= 63
        && c.hostname
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        && !c.hostname.starts_with('-');
    if !host_ok {
        out.push((
            "hostname",
            gettext("A host name: letters, digits and “-”, at most 63"),
        ));
    }
    out
}

/// The `#cloud-config` user-data: the user with sudo and the key, no password login.
pub fn user_data(c: &CloudInit) -> String {
    format!(
        "#cloud-config\nhostname: {host}\nusers:\n  - name: {user}\n    sudo: ALL=(ALL) NOPASSWD:ALL\n    shell: /bin/bash\n    lock_passwd: true\n    ssh_authorized_keys:\n      - {key}\nssh_pwauth: false\n",
        host = c.hostname,
        user = c.user,
        key = c.ssh_key.trim(),
    )
}

pub fn meta_data(c: &CloudInit, instance_id: &str) -> String {
    format!(
        "instance-id: {instance_id}\nlocal-hostname: {}\n",
        c.hostname
    )
}

/// DHCP on every Ethernet card, whatever the guest names it.
pub fn network_config() -> String {
    "version: 2\nethernets:\n  all:\n    match:\n      name: \"e*\"\n    dhcp4: true\n".into()
}

/// Write the seed ISO into `dir`; its path.
pub fn build_seed(c: &CloudInit, instance_id: &str, dir: &Path) -> Result<PathBuf, String> {
    let root = dir.join("cidata");
    std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    for (name, text) in [
        ("user-data", user_data(c)),
        ("meta-data", meta_data(c, instance_id)),
        ("network-config", network_config()),
    ] {
        std::fs::write(root.join(name), text).map_err(|e| e.to_string())?;
    }
    let out = dir.join("seed.iso");
    super::inject::make_iso(&root, "cidata", &out)?;
    Ok(out)
}

/// The person's SSH public keys (`~/.ssh/*.pub`), newest kind first.
pub fn ssh_public_keys() -> Vec<String> {
    let Some(home) = std::env::var_os("HOME") else {
        return Vec::new();
    };
    let mut keys: Vec<(PathBuf, String)> = std::fs::read_dir(Path::new(&home).join(".ssh"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pub"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            let line = text.lines().next()?.trim().to_string();
            Some((p, line))
        })
        .collect();
    keys.sort_by_key(|(p, _)| !p.to_string_lossy().contains("ed25519"));
    keys.into_iter().map(|(_, k)| k).collect()
}
