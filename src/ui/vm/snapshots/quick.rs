//! Take Snapshot in one click (the VM list's menu, the header): the suggested name,
//! the memory of a running machine when its kind keeps it, no questions; what keeps
//! a machine from having a snapshot is said instead.

use gtk::glib;

use crate::backend::snapshot::job::SnapshotOp;
use crate::backend::snapshot::plan::TakeSpec;
use crate::backend::Error;
use crate::model::{Connection, Vm};

/// Take a snapshot of `vm` now; `done` gets the snapshot's name or the error.
pub fn take_now(conn: &Connection, vm: &Vm, done: impl FnOnce(Result<String, Error>) + 'static) {
    let (conn, vm) = (conn.clone(), vm.clone());
    let now = glib::DateTime::now_local()
        .and_then(|t| t.format("%Y-%m-%d %H:%M:%S"))
        .map(|s| s.to_string())
        .unwrap_or_default();
    glib::spawn_future_local(async move {
        vm.set_busy(true);
        let r = async {
            let offer = conn.backend().snapshot_offer(vm.uuid(), now).await?;
            if let Some(why) = offer.blocked {
                return Err(Error::InvalidInput(why));
            }
            let spec = TakeSpec {
                name: offer.suggested_name,
                description: String::new(),
                memory: offer.facts.active(),
                disk_only: false,
                quiesce: false,
            };
            conn.backend()
                .snapshot_op(vm.uuid(), SnapshotOp::Take(spec))
                .await
        }
        .await;
        vm.set_busy(false);
        done(r);
    });
}
