//! libvirt's messages in words people use. libvirt says "unsupported configuration:
//! Invalid address type 'pci' for the disk 'vda' with the bus type 'sata'"; a person
//! wants to know what is wrong with their machine and what to do. The known messages
//! are recognised by their stable English wording (libvirt's messages reach us
//! untranslated: Hangar clears libvirt's error callback and reads the C locale's
//! text); anything else keeps libvirt's own words, without the category prefix, as a
//! sentence. The raw message stays in the error's details.

use super::Error;
use crate::i18n::{gettext, gettext_f};

/// libvirt's category prefixes: the part before the first colon that says which kind
/// of error it was, not what happened.
const PREFIXES: &[&str] = &[
    "internal error: ",
    "unsupported configuration: ",
    "Requested operation is not valid: ",
    "operation failed: ",
    "XML error: ",
    "XML document failed to validate against schema: ",
    "invalid argument: ",
    "Operation not supported: ",
    "Timed out during operation: ",
    "Cannot access storage file ",
];

/// The text in the first pair of single quotes after `after` in `m`.
fn quoted_after<'a>(m: &'a str, after: &str) -> Option<&'a str> {
    let rest = &m[m.find(after)? + after.len()..];
    let start = rest.find('\'')? + 1;
    let len = rest[start..].find('\'')?;
    Some(&rest[start..start + len])
}

impl Error {
    /// One line that says what went wrong, in the person's language.
    pub fn summary(&self) -> String {
        match self {
            Error::InvalidUri { reason, .. } => {
                gettext_f("The address is not valid: {reason}", &[("reason", reason)])
            }
            Error::ConnectFailed { uri, message } => ssh_words(message)
                .unwrap_or_else(|| gettext_f("Could not connect to {uri}", &[("uri", uri)])),
            Error::AuthFailed { message, .. } => {
                ssh_words(message).unwrap_or_else(|| gettext("Authentication failed"))
            }
            Error::NotConnected => gettext("Not connected"),
            Error::ConnectionLost(_) => gettext("The connection was lost"),
            Error::NoSuchDomain(_) => gettext("The virtual machine no longer exists"),
            Error::InvalidState(m) => in_words(m),
            Error::Unsupported(m) if m.is_empty() => {
                gettext("The hypervisor does not support this")
            }
            Error::Unsupported(m) => in_words(m),
            Error::PermissionDenied(_) => gettext("Permission denied"),
            Error::InvalidInput(m) => m.clone(),
            Error::Libvirt { message, .. } => in_words(message),
            Error::WorkerGone => gettext("The connection has stopped"),
            Error::Io(m) => m.clone(),
        }
    }

    /// Everything known about the error, for the details pane.
    pub fn details(&self) -> String {
        match self {
            Error::ConnectFailed { message, .. } | Error::AuthFailed { message, .. } => {
                message.clone()
            }
            Error::Libvirt {
                code,
                domain,
                message,
            } => format!("{message}\n\n(libvirt error {code}, domain {domain})"),
            other => other.to_string(),
        }
    }
}

/// ssh's refusals, in plain words: a changed host key (never accepted by a click), a
/// host key not trusted, a login refused.
pub fn ssh_words(message: &str) -> Option<String> {
    if message.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        let host = message
            .split("Offending ")
            .nth(1)
            .and_then(|s| s.split(" in ").nth(1))
            .map(|s| s.split_whitespace().next().unwrap_or_default().to_string())
            .unwrap_or_default();
        return Some(if host.is_empty() {
            gettext(
                "The host’s SSH key has changed since the last connection. Someone may be intercepting it, or the host was reinstalled: Hangar does not connect. If you know why it changed, remove the old key (ssh-keygen -R HOST) and connect again.",
            )
        } else {
            gettext_f(
                "The host’s SSH key has changed since the last connection (the old one is {where}). Someone may be intercepting it, or the host was reinstalled: Hangar does not connect. If you know why it changed, remove the old key (ssh-keygen -R HOST) and connect again.",
                &[("where", &host)],
            )
        });
    }
    if message.contains("Host key verification failed") {
        return Some(gettext(
            "The host’s SSH key was not trusted, so Hangar did not connect.",
        ));
    }
    if message.contains("Permission denied (") {
        return Some(gettext(
            "The SSH server refused the login: the password or key was not accepted.",
        ));
    }
    None
}

/// A message for people, for libvirt's `message`.
pub fn in_words(message: &str) -> String {
    let m = message.trim();
    if m.contains("Invalid address type") && m.contains("for the disk") {
        let disk = quoted_after(m, "for the disk").unwrap_or("?");
        let bus = quoted_after(m, "bus type").unwrap_or("?");
        return gettext_f(
            "The disk {disk} still has the address of its old bus, which a {bus} disk cannot use. Remove the address in the XML or choose the bus again.",
            &[("disk", disk), ("bus", bus)],
        );
    }
    if m.contains("cannot acquire state change lock") {
        return gettext(
            "The virtual machine is busy with another operation. Try again in a moment.",
        );
    }
    if m.contains("domain is not running") {
        return gettext("The virtual machine is not running.");
    }
    if m.contains("domain is already running") {
        return gettext("The virtual machine is already running.");
    }
    if m.contains("already exists with uuid") || m.contains("already exists with UUID") {
        let name = quoted_after(m, "domain").unwrap_or("?");
        return gettext_f(
            "A virtual machine named “{name}” exists already.",
            &[("name", name)],
        );
    }
    if m.contains("no network with matching name") {
        let name = quoted_after(m, "matching name").unwrap_or("?");
        return gettext_f(
            "There is no virtual network “{name}” on this host.",
            &[("name", name)],
        );
    }
    if m.contains("network") && m.contains("is not active") {
        return gettext("The virtual network is not active: start it first.");
    }
    if m.contains("Cannot access storage file") || m.contains("No such file or directory") {
        let path = quoted_after(m, "storage file")
            .or_else(|| quoted_after(m, "file"))
            .unwrap_or("");
        if m.contains("Permission denied") {
            return gettext_f(
                "QEMU may not read “{path}”: give libvirt’s QEMU user access to it, or move it into a storage pool.",
                &[("path", path)],
            );
        }
        if !path.is_empty() {
            return gettext_f("“{path}” does not exist.", &[("path", path)]);
        }
    }
    if let Some(rest) =
        m.strip_prefix("internal error: process exited while connecting to monitor: ")
    {
        return gettext_f(
            "QEMU stopped while starting the machine: {reason}",
            &[("reason", rest.trim())],
        );
    }
    if m.contains("Cannot get interface MTU on") {
        let iface = quoted_after(m, "MTU on").unwrap_or("?");
        return gettext_f(
            "The host has no network interface “{iface}”.",
            &[("iface", iface)],
        );
    }
    if m.contains("error creating bridge interface") && m.contains("File exists") {
        return gettext(
            "The host has an interface of that name already: choose another bridge name.",
        );
    }
    if m.starts_with("this function is not supported by the connection driver") {
        return gettext("This hypervisor cannot do this.");
    }
    // Unknown: libvirt's words, without the category, as a sentence.
    let mut rest = m;
    loop {
        let before = rest;
        for p in PREFIXES {
            if let Some(r) = rest.strip_prefix(p) {
                rest = r;
            }
        }
        if rest == before {
            break;
        }
    }
    sentence(rest)
}

fn sentence(s: &str) -> String {
    let s = s.trim();
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().collect();
    out.push_str(chars.as_str());
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_disk_address_is_explained() {
        let w = in_words("unsupported configuration: Invalid address type 'pci' for the disk 'vda' with the bus type 'sata'");
        assert!(
            w.contains("vda") && w.contains("sata") && w.contains("old bus"),
            "{w}"
        );
        assert!(!w.contains("unsupported configuration"));
    }

    #[test]
    fn known_messages_say_what_to_do() {
        assert!(in_words("Timed out during operation: cannot acquire state change lock (held by monitor=remoteDispatchDomainSuspend)").contains("busy"));
        assert_eq!(
            in_words("Requested operation is not valid: domain is not running"),
            "The virtual machine is not running."
        );
        assert!(
            in_words("operation failed: domain 'web' already exists with uuid 1234")
                .contains("“web”")
        );
        assert!(
            in_words("Network not found: no network with matching name 'lab'").contains("“lab”")
        );
        assert!(
            in_words("Cannot access storage file '/srv/x.qcow2': No such file or directory")
                .contains("“/srv/x.qcow2” does not exist")
        );
        assert!(in_words(
            "Cannot access storage file '/home/a/x.iso' (as uid:64055, gid:108): Permission denied"
        )
        .contains("may not read"));
        assert!(in_words("internal error: process exited while connecting to monitor: qemu: could not load PC BIOS").starts_with("QEMU stopped"));
    }

    #[test]
    fn unknown_messages_lose_their_category_only() {
        assert_eq!(
            in_words("internal error: unexpected address type for usb disk"),
            "Unexpected address type for usb disk."
        );
        assert_eq!(in_words("some new problem."), "Some new problem.");
        assert_eq!(
            in_words("this function is not supported by the connection driver: virDomainUpdateDeviceFlags"),
            "This hypervisor cannot do this."
        );
    }
}
