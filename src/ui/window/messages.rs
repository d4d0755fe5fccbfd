//! Whole sentences for each action, so translations never glue a verb into a sentence.

use crate::backend::domain::Action;
use crate::i18n::{gettext, gettext_f, ngettext_f};

/// What was being done when something failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lifecycle(Action),
    Autostart,
    Rename,
    Delete,
}

/// The label of an action's button.
pub fn action_label(a: Action) -> String {
    match a {
        Action::Start => gettext("Run"),
        Action::Pause => gettext("Pause"),
        Action::Resume => gettext("Resume"),
        Action::Shutdown => gettext("Shut Down"),
        Action::Reboot => gettext("Reboot"),
        Action::Reset => gettext("Force Reset"),
        Action::ForceOff => gettext("Force Off"),
        Action::Save => gettext("Save State"),
        Action::Restore => gettext("Restore Saved State"),
        Action::DiscardSave => gettext("Discard Saved State"),
    }
}

/// The question before an action that asks first.
pub fn confirm_heading(a: Action, names: &[String]) -> String {
    let n = names.len();
    let count = n.to_string();
    if let [name] = names {
        let args = [("name", name.as_str())];
        match a {
            Action::ForceOff => gettext_f("Force “{name}” Off?", &args),
            Action::Reset => gettext_f("Force “{name}” to Reset?", &args),
            Action::Shutdown => gettext_f("Shut Down “{name}”?", &args),
            Action::Reboot => gettext_f("Reboot “{name}”?", &args),
            Action::Pause => gettext_f("Pause “{name}”?", &args),
            _ => gettext_f("Change “{name}”?", &args),
        }
    } else {
        let args = [("n", count.as_str())];
        let n = n as u32;
        match a {
            Action::ForceOff => ngettext_f(
                "Force {n} Virtual Machine Off?",
                "Force {n} Virtual Machines Off?",
                n,
                &args,
            ),
            Action::Reset => ngettext_f(
                "Force {n} Virtual Machine to Reset?",
                "Force {n} Virtual Machines to Reset?",
                n,
                &args,
            ),
            Action::Shutdown => ngettext_f(
                "Shut Down {n} Virtual Machine?",
                "Shut Down {n} Virtual Machines?",
                n,
                &args,
            ),
            Action::Reboot => ngettext_f(
                "Reboot {n} Virtual Machine?",
                "Reboot {n} Virtual Machines?",
                n,
                &args,
            ),
            Action::Pause => ngettext_f(
                "Pause {n} Virtual Machine?",
                "Pause {n} Virtual Machines?",
                n,
                &args,
            ),
            _ => ngettext_f(
                "Change {n} Virtual Machine?",
                "Change {n} Virtual Machines?",
                n,
                &args,
            ),
        }
    }
}

/// The body of that question: what the action does to the guest.
pub fn confirm_body(a: Action) -> String {
    match a {
        Action::ForceOff => gettext(
            "This is like pulling the power cord: the guest loses what it has not written to disk.",
        ),
        Action::Reset => gettext(
            "This is like pressing the reset button: the guest loses what it has not written to disk.",
        ),
        Action::Shutdown => gettext("The guest is asked to shut down."),
        Action::Reboot => gettext("The guest is asked to restart."),
        Action::Pause => gettext("The guest stops running until it is resumed."),
        _ => String::new(),
    }
}

/// The heading when `op` failed for one virtual machine.
pub fn failed_one(op: Op, name: &str) -> String {
    let args = [("name", name)];
    match op {
        Op::Lifecycle(Action::Start) => gettext_f("Could Not Run “{name}”", &args),
        Op::Lifecycle(Action::Pause) => gettext_f("Could Not Pause “{name}”", &args),
        Op::Lifecycle(Action::Resume) => gettext_f("Could Not Resume “{name}”", &args),
        Op::Lifecycle(Action::Shutdown) => gettext_f("Could Not Shut Down “{name}”", &args),
        Op::Lifecycle(Action::Reboot) => gettext_f("Could Not Reboot “{name}”", &args),
        Op::Lifecycle(Action::Reset) => gettext_f("Could Not Reset “{name}”", &args),
        Op::Lifecycle(Action::ForceOff) => gettext_f("Could Not Force “{name}” Off", &args),
        Op::Lifecycle(Action::Save) => gettext_f("Could Not Save the State of “{name}”", &args),
        Op::Lifecycle(Action::Restore) => {
            gettext_f("Could Not Restore the Saved State of “{name}”", &args)
        }
        Op::Lifecycle(Action::DiscardSave) => {
            gettext_f("Could Not Discard the Saved State of “{name}”", &args)
        }
        Op::Autostart => gettext_f(
            "Could Not Change Whether “{name}” Starts at Host Boot",
            &args,
        ),
        Op::Rename => gettext_f("Could Not Rename “{name}”", &args),
        Op::Delete => gettext_f("Could Not Delete “{name}”", &args),
    }
}

/// The heading when `op` failed for `n` virtual machines.
pub fn failed_many(op: Op, n: usize) -> String {
    let count = n.to_string();
    let args = [("n", count.as_str())];
    let n = n as u32;
    match op {
        Op::Delete => ngettext_f(
            "Could Not Delete {n} Virtual Machine",
            "Could Not Delete {n} Virtual Machines",
            n,
            &args,
        ),
        Op::Autostart => ngettext_f(
            "Could Not Change Autostart of {n} Virtual Machine",
            "Could Not Change Autostart of {n} Virtual Machines",
            n,
            &args,
        ),
        _ => ngettext_f(
            "The Action Failed for {n} Virtual Machine",
            "The Action Failed for {n} Virtual Machines",
            n,
            &args,
        ),
    }
}
