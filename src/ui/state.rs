//! Words and icons for domain states.

use crate::backend::domain::{state_reason, DomainState};
use crate::i18n::gettext;

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
        Some(r) => format!("{} ({})", state_label(s), gettext(r)),
        None => state_label(s),
    }
}
