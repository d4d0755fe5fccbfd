//! The models the lists are built on, as Fractal tests its own: what `items-changed`
//! a list view sees when a domain or network is defined, undefined or renamed, and when
//! the connection drops and comes back. A row that is removed and added again (instead
//! of being updated) loses its selection and its open page, so each change must be the
//! smallest one.

use std::cell::RefCell;
use std::rc::Rc;

use gtk::prelude::*;
use gtk::{gio, glib};
use hangar::backend::conn::uri::DEMO_URI;
use hangar::backend::conn::worker::{self, ConnState, Update};
use hangar::model::{ConnStatus, Connection, Network, Vm};

use crate::gui::{settle, wait_for};

/// Every `items-changed` of `model`, as (position, removed, added).
fn record(model: &impl IsA<gio::ListModel>) -> Rc<RefCell<Vec<(u32, u32, u32)>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    model.connect_items_changed(move |_, pos, removed, added| {
        s.borrow_mut().push((pos, removed, added));
    });
    seen
}

fn names(store: &gio::ListStore) -> Vec<String> {
    let mut v: Vec<String> = store.iter::<Vm>().flatten().map(|v| v.name()).collect();
    v.sort();
    v
}

/// A connection to the demo hypervisor whose updates pass through the test, which can
/// add its own (a connection loss the test driver cannot produce).
fn demo_with_tap() -> (Connection, async_channel::Sender<Update>) {
    virt::error::clear_error_callback();
    let (backend, from_worker) = worker::Connection::spawn(DEMO_URI);
    let (tx, rx) = async_channel::unbounded();
    let fwd = tx.clone();
    glib::spawn_future_local(async move {
        while let Ok(u) = from_worker.recv().await {
            if fwd.send(u).await.is_err() {
                break;
            }
        }
    });
    let conn = Connection::with_backend(DEMO_URI, false, false, backend, rx);
    conn.connect_now();
    wait_for("the demo connection to load", 30, || conn.loaded());
    (conn, tx)
}

#[gtk::test]
fn the_vm_list_changes_by_one_row_per_domain_event() {
    let _ = gtk::init();
    let (conn, _tap) = demo_with_tap();
    let store = conn.domains();
    let before = store.n_items();
    assert!(before >= 3, "the demo node has machines: {before}");
    let seen = record(&store);

    // Defined elsewhere (behind the model's back, on its own libvirt connection):
    // one row added at the end, nothing else touched.
    conn.backend()
        .call_blocking(|w| {
            w.conn()?.define_domain_xml(
                "<domain type='test'><name>model-new</name>\
                 <uuid>aaaaaaaa-0000-0000-0000-000000000001</uuid>\
                 <memory unit='MiB'>128</memory><vcpu>1</vcpu>\
                 <os><type arch='x86_64'>hvm</type></os></domain>",
            )?;
            Ok(())
        })
        .expect("define");
    wait_for("the new machine in the list", 10, || {
        conn.vm_by_uuid("aaaaaaaa-0000-0000-0000-000000000001")
            .is_some()
    });
    settle(200);
    assert_eq!(
        *seen.borrow(),
        vec![(before, 0, 1)],
        "one row added at the end"
    );
    let vm = conn
        .vm_by_uuid("aaaaaaaa-0000-0000-0000-000000000001")
        .unwrap();
    assert_eq!(vm.name(), "model-new");
    assert_eq!(
        Connection::of(&vm).as_ref(),
        Some(&conn),
        "the VM knows its host"
    );

    // Renamed: the same object, its name changed, no row removed or added.
    seen.borrow_mut().clear();
    let renamed = Rc::new(RefCell::new(0));
    let r = renamed.clone();
    vm.connect_notify_local(Some("name"), move |_, _| *r.borrow_mut() += 1);
    glib::MainContext::default()
        .block_on(conn.backend().rename(vm.uuid(), "model-renamed".into()))
        .expect("rename");
    wait_for("the new name", 10, || vm.name() == "model-renamed");
    settle(200);
    assert!(
        seen.borrow().is_empty(),
        "a rename moved rows: {:?}",
        seen.borrow()
    );
    assert!(*renamed.borrow() >= 1, "the name property notified");
    assert_eq!(
        conn.vm_by_uuid(&vm.uuid()).as_ref(),
        Some(&vm),
        "the same Vm object"
    );

    // Undefined elsewhere: exactly its row goes.
    let pos = store.find(&vm).expect("in the list");
    conn.backend()
        .call_blocking(|w| {
            w.conn()?
                .lookup_domain_by_uuid_string("aaaaaaaa-0000-0000-0000-000000000001")?
                .undefine()?;
            Ok(())
        })
        .expect("undefine");
    wait_for("the machine gone", 10, || store.find(&vm).is_none());
    settle(200);
    assert_eq!(
        *seen.borrow(),
        vec![(pos, 1, 0)],
        "one row removed, where it was"
    );
    assert_eq!(store.n_items(), before);
    assert!(conn.vm_by_uuid(&vm.uuid()).is_none());
    conn.backend().shutdown();
}

#[gtk::test]
fn a_lost_connection_keeps_the_rows_and_a_reconnection_changes_only_what_changed() {
    let _ = gtk::init();
    let (conn, tap) = demo_with_tap();
    let store = conn.domains();
    let objects: Vec<Vm> = store.iter::<Vm>().flatten().collect();
    let before = names(&store);
    let seen = record(&store);

    // The host stops answering: the rows stay (with their selection and pages), the
    // status says why.
    tap.send_blocking(Update::State(ConnState::Lost {
        reason: "end of file from server".into(),
        retry_in: 5,
    }))
    .unwrap();
    wait_for("the lost state", 5, || conn.status() == ConnStatus::Lost);
    settle(100);
    assert!(
        seen.borrow().is_empty(),
        "rows changed on a loss: {:?}",
        seen.borrow()
    );
    assert_eq!(names(&store), before);
    assert!(conn.status_message().contains("end of file from server"));

    // It answers again, one machine fewer than before (undefined while away): one
    // removal, and every other row is the object it was.
    let gone = objects[0].clone();
    let infos: Vec<_> = conn
        .backend()
        .call_blocking(|w| {
            let mut v = Vec::new();
            for d in w.conn()?.list_all_domains(0)? {
                v.push(w.read_info(&d.uuid_string()?)?);
            }
            Ok(v)
        })
        .expect("the domains")
        .into_iter()
        .filter(|i| i.uuid != gone.uuid())
        .collect();
    let pos = store.find(&gone).expect("listed");
    tap.send_blocking(Update::State(ConnState::Connected))
        .unwrap();
    tap.send_blocking(Update::Domains(infos)).unwrap();
    wait_for("the machine gone", 5, || store.find(&gone).is_none());
    settle(100);
    assert_eq!(*seen.borrow(), vec![(pos, 1, 0)]);
    for vm in objects.iter().skip(1) {
        assert!(store.find(vm).is_some(), "{} kept its object", vm.name());
    }

    // A person disconnects: nothing of a closed connection stays listed.
    seen.borrow_mut().clear();
    let n = store.n_items();
    conn.disconnect_now();
    wait_for("the list emptied", 10, || store.n_items() == 0);
    assert_eq!(
        *seen.borrow(),
        vec![(0, n, 0)],
        "one change empties the list"
    );
    conn.backend().shutdown();
}

#[gtk::test]
fn the_network_list_changes_by_one_row_per_network() {
    let _ = gtk::init();
    let (conn, _tap) = demo_with_tap();
    wait_for("the networks", 30, || conn.networks_loaded());
    let store = conn.networks();
    let list = |s: &gio::ListStore| -> Vec<String> {
        s.iter::<Network>().flatten().map(|n| n.name()).collect()
    };
    let before = list(&store);
    assert!(!before.is_empty(), "the demo node has networks");
    let kept: Vec<Network> = store.iter::<Network>().flatten().collect();
    let seen = record(&store);

    // Defined: inserted in name order, one change.
    let ctx = glib::MainContext::default();
    let uuid = ctx
        .block_on(
            conn.backend().define_network(
                "<network><name>aaa-model</name><bridge name='virbr77'/>\
             <ip address='192.168.177.1' netmask='255.255.255.0'/></network>"
                    .into(),
            ),
        )
        .expect("define");
    wait_for("the new network listed", 10, || {
        conn.network_by_uuid(&uuid).is_some()
    });
    settle(200);
    assert_eq!(*seen.borrow(), vec![(0, 0, 1)], "one row, first by name");
    assert_eq!(list(&store)[0], "aaa-model");
    for n in &kept {
        assert!(store.find(n).is_some(), "{} kept its object", n.name());
    }

    // Undefined: that row only.
    seen.borrow_mut().clear();
    ctx.block_on(conn.backend().delete_network(uuid.clone()))
        .expect("delete");
    wait_for("the network gone", 10, || {
        conn.network_by_uuid(&uuid).is_none()
    });
    settle(200);
    assert_eq!(*seen.borrow(), vec![(0, 1, 0)]);
    assert_eq!(list(&store), before);
    conn.backend().shutdown();
}
