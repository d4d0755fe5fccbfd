//! Making and undoing a host bridge so that the host is never cut off: everything runs
//! inside a NetworkManager checkpoint that rolls itself back after
//! [`ROLLBACK_SECONDS`](super::rules::ROLLBACK_SECONDS) unless Hangar destroys it. Hangar
//! destroys it only when the host has its address and default route back through the
//! new path *and* the person said "keep"; anything else (a failure, no address in
//! time, no answer, Hangar gone, the person's session cut) ends in a rollback.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::error::Error;
use super::kernel;
use super::nm::Nm;
use super::rules::{Plan, UndoPlan, CONFIRM_SECONDS};
use crate::i18n::gettext_f;

/// How long the new path has to get the host's address back.
pub const ADDRESS_WAIT: Duration = Duration::from_secs(45);

/// A change that is live but not kept yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub checkpoint: String,
    /// The interface that now carries the host's addresses.
    pub carrier: String,
    /// Profiles to delete once kept (undoing a bridge).
    pub delete_on_keep: Vec<String>,
}

/// Whether `iface` has every address in `expect` and, if asked, the default route.
pub fn carries(iface: &str, expect: &[IpAddr], default: bool) -> bool {
    let ifaces = kernel::interfaces();
    let Some(i) = ifaces.iter().find(|i| i.name == iface) else {
        return false;
    };
    let has_addrs = if expect.is_empty() {
        true
    } else {
        expect.iter().all(|e| i.addrs.iter().any(|a| a.addr == *e))
    };
    has_addrs && (!default || i.default_route)
}

async fn wait_for_carrier(
    iface: &str,
    expect: &[IpAddr],
    default: bool,
    port_of: Option<(&str, &str)>,
) -> Result<(), Error> {
    let start = Instant::now();
    loop {
        let port_ok = match port_of {
            None => true,
            Some((nic, br)) => kernel::interfaces()
                .iter()
                .any(|i| i.name == nic && i.master.as_deref() == Some(br)),
        };
        if port_ok && carries(iface, expect, default) {
            return Ok(());
        }
        if start.elapsed() > ADDRESS_WAIT {
            let what = expect
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Error::RolledBack(if what.is_empty() {
                gettext_f(
                    "{iface} did not come up within {secs} seconds. Everything was put back as it was.",
                    &[("iface", iface), ("secs", &ADDRESS_WAIT.as_secs().to_string())],
                )
            } else {
                gettext_f(
                    "{iface} did not get the host's address ({addrs}) and default route back within {secs} seconds. Everything was put back as it was.",
                    &[
                        ("iface", iface),
                        ("addrs", &what),
                        ("secs", &ADDRESS_WAIT.as_secs().to_string()),
                    ],
                )
            }));
        }
        glib::timeout_future(Duration::from_millis(200)).await;
    }
}

/// Roll back after a failure, and say so with the failure.
async fn undo_after(nm: &Nm, checkpoint: &str, e: Error) -> Error {
    let rolled = nm.rollback(checkpoint).await;
    match (e, rolled) {
        (e @ Error::RolledBack(_), _) => e,
        (e, Ok(())) => Error::RolledBack(gettext_f(
            "{error}. Everything was put back as it was.",
            &[("error", &e.to_string())],
        )),
        (e, Err(r)) => Error::Failed(gettext_f(
            "{error}. Rolling back failed too ({rollback}); NetworkManager rolls back by itself within two minutes.",
            &[("error", &e.to_string()), ("rollback", &r.to_string())],
        )),
    }
}

/// Make the bridge of `plan`; on success it is live and waits for [`keep`] or
/// [`revert`]. `step` hears each step's description.
pub async fn create(nm: &Nm, plan: &Plan, step: impl Fn(&str)) -> Result<Pending, Error> {
    step(&gettext_f(
        "Saving a checkpoint of the host's network…",
        &[],
    ));
    let cp = nm.checkpoint(super::rules::ROLLBACK_SECONDS).await?;
    let r = async {
        step(&gettext_f(
            "Creating the bridge {name}…",
            &[("name", &plan.bridge_name)],
        ));
        let bridge = nm.add_profile(&plan.bridge).await?;
        let port = nm.add_profile(&plan.port).await?;
        step(&gettext_f(
            "Moving {nic} onto {name}…",
            &[("nic", &plan.nic), ("name", &plan.bridge_name)],
        ));
        nm.activate(&bridge, "/").await?;
        nm.activate(&port, &plan.nic_device).await?;
        step(&gettext_f(
            "Waiting for {name} to get the host's address…",
            &[("name", &plan.bridge_name)],
        ));
        wait_for_carrier(
            &plan.bridge_name,
            &plan.expect,
            plan.expect_default,
            Some((&plan.nic, &plan.bridge_name)),
        )
        .await
    }
    .await;
    pending(nm, cp, r, &plan.bridge_name, Vec::new()).await
}

/// Undo the bridge of `plan`: the NIC back on its own profile. The bridge's profiles
/// are deleted only when the person keeps the change.
pub async fn undo(nm: &Nm, plan: &UndoPlan, step: impl Fn(&str)) -> Result<Pending, Error> {
    step(&gettext_f(
        "Saving a checkpoint of the host's network…",
        &[],
    ));
    let cp = nm.checkpoint(super::rules::ROLLBACK_SECONDS).await?;
    let r = async {
        let own = match &plan.own {
            Ok(path) => path.clone(),
            Err(settings) => nm.add_profile(settings).await?,
        };
        step(&gettext_f(
            "Moving {nic} off {name}…",
            &[("nic", &plan.nic), ("name", &plan.bridge_name)],
        ));
        nm.activate(&own, &plan.nic_device).await?;
        nm.deactivate(&plan.bridge_active).await?;
        step(&gettext_f(
            "Waiting for {nic} to get the host's address…",
            &[("nic", &plan.nic)],
        ));
        wait_for_carrier(&plan.nic, &plan.expect, plan.expect_default, None).await
    }
    .await;
    pending(nm, cp, r, &plan.nic, plan.delete.clone()).await
}

/// After the change: live and waiting for the person (NetworkManager's own rollback
/// moved to a little after the countdown), or rolled back with the reason.
async fn pending(
    nm: &Nm,
    checkpoint: String,
    r: Result<(), Error>,
    carrier: &str,
    delete_on_keep: Vec<String>,
) -> Result<Pending, Error> {
    match r {
        Ok(()) => {
            let _ = nm
                .extend_checkpoint(&checkpoint, CONFIRM_SECONDS + 15)
                .await;
            Ok(Pending {
                checkpoint,
                carrier: carrier.to_string(),
                delete_on_keep,
            })
        }
        Err(e) => Err(undo_after(nm, &checkpoint, e).await),
    }
}

/// The person keeps the change.
pub async fn keep(nm: &Nm, p: &Pending) -> Result<(), Error> {
    nm.destroy_checkpoint(&p.checkpoint).await?;
    for path in &p.delete_on_keep {
        nm.delete_profile(path).await?;
    }
    Ok(())
}

/// The person (or the countdown) takes the change back.
pub async fn revert(nm: &Nm, p: &Pending) -> Result<(), Error> {
    nm.rollback(&p.checkpoint).await
}
