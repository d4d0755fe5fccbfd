//! Words and icons for domain states, and the icon of a connection's state.

use gtk::prelude::*;

use crate::backend::domain::DomainState;
use crate::i18n::gettext;
use crate::model::ConnStatus;

pub fn state_label(s: DomainState) -> String {
    match s {
        DomainState::Running | DomainState::Blocked => gettext("Running"),
        DomainState::Paused => gettext("Paused"),
        DomainState::ShuttingDown => gettext("Shutting Down"),
        DomainState::Shutoff => gettext("Shut Off"),
        DomainState::Crashed => gettext("Crashed"),
        DomainState::PmSuspended => gettext("Suspended"),
        DomainState::NoState => gettext("Unknown"),
    }
}

pub fn state_icon(s: DomainState) -> &'static str {
    match s {
        DomainState::Running | DomainState::Blocked => "media-playback-start-symbolic",
        DomainState::Paused | DomainState::PmSuspended => "media-playback-pause-symbolic",
        DomainState::ShuttingDown => "system-shutdown-symbolic",
        DomainState::Shutoff | DomainState::NoState => "media-playback-stop-symbolic",
        DomainState::Crashed => "dialog-error-symbolic",
    }
}

/// The icon of a connection's state (a host's row in the list, its page).
pub fn conn_status_icon(s: ConnStatus) -> &'static str {
    match s {
        ConnStatus::Connected | ConnStatus::Connecting => "network-server-symbolic",
        ConnStatus::Disconnected => "network-offline-symbolic",
        ConnStatus::Lost => "network-error-symbolic",
        ConnStatus::Failed => "dialog-warning-symbolic",
    }
}

pub fn state_css(s: DomainState) -> Option<&'static str> {
    match s {
        DomainState::Running | DomainState::Blocked => Some("state-running"),
        DomainState::Paused | DomainState::PmSuspended => Some("state-paused"),
        DomainState::Crashed => Some("state-crashed"),
        _ => None,
    }
}

/// “Shut Off (forced off)”.
pub fn state_with_reason(s: DomainState, reason: i32) -> String {
    match state_reason(s, reason) {
        Some(r) => format!("{} ({r})", state_label(s)),
        None => state_label(s),
    }
}

/// Why a domain is in its state: libvirt's per-state reason codes, in words.
pub fn state_reason(state: DomainState, reason: i32) -> Option<String> {
    use DomainState::*;
    let r = match (state, reason) {
        (Running, 1) => gettext("booted"),
        (Running, 2) => gettext("migrated"),
        (Running, 3) => gettext("restored"),
        (Running, 4) => gettext("restored from a snapshot"),
        (Running, 5) => gettext("unpaused"),
        (Running, 6) => gettext("migration was cancelled"),
        (Running, 7) => gettext("a save was cancelled"),
        (Running, 8) => gettext("woken up"),
        (Running, 9) => gettext("crashed"),
        (Running, 10) => gettext("resumed after post-copy"),
        (Paused, 1) => gettext("paused by the user"),
        (Paused, 2) => gettext("paused for migration"),
        (Paused, 3) => gettext("paused while saving"),
        (Paused, 4) => gettext("paused while dumping"),
        (Paused, 5) => gettext("paused by an I/O error"),
        (Paused, 6) => gettext("paused by the watchdog"),
        (Paused, 7) => gettext("paused after restoring a snapshot"),
        (Paused, 8) => gettext("paused while shutting down"),
        (Paused, 9) => gettext("paused while taking a snapshot"),
        (Paused, 10) => gettext("paused after a crash"),
        (Paused, 11) => gettext("paused at start-up"),
        (Paused, 12) => gettext("paused during post-copy"),
        (Paused, 13) => gettext("paused after post-copy failed"),
        (ShuttingDown, 1) => gettext("shutting down at the user's request"),
        (Shutoff, 1) => gettext("shut down normally"),
        (Shutoff, 2) => gettext("forced off"),
        (Shutoff, 3) => gettext("crashed"),
        (Shutoff, 4) => gettext("migrated away"),
        (Shutoff, 5) => gettext("saved"),
        (Shutoff, 6) => gettext("failed to start"),
        (Shutoff, 7) => gettext("restored from a snapshot"),
        (Shutoff, 8) => gettext("stopped for a daemon restart"),
        (Crashed, 1) => gettext("the guest panicked"),
        _ => return None,
    };
    Some(r)
}

/// The state dot of a network's or a pool's row: running or stopped, with a tooltip
/// saying which.
pub fn show_active(dot: &gtk::Image, active: bool) {
    if active {
        dot.set_icon_name(Some("media-playback-start-symbolic"));
        dot.set_tooltip_text(Some(&gettext("Active")));
        dot.remove_css_class("dim-label");
        dot.add_css_class("success");
    } else {
        dot.set_icon_name(Some("media-playback-stop-symbolic"));
        dot.set_tooltip_text(Some(&gettext("Inactive")));
        dot.remove_css_class("success");
        dot.add_css_class("dim-label");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_in_words() {
        assert_eq!(
            state_reason(DomainState::Shutoff, 2).as_deref(),
            Some("forced off")
        );
        assert_eq!(state_reason(DomainState::Running, 99), None);
        assert_eq!(
            state_with_reason(DomainState::Paused, 1),
            "Paused (paused by the user)"
        );
    }
}
