//! `Snapshot`: one snapshot of a machine as the Snapshots tab shows it, with its
//! children for the tree. The tab's "now" node (where the machine runs from, after
//! the current snapshot) is a `Snapshot` too, with `is-now` set.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gio, glib};

use crate::backend::snapshot::info::{tree_order, SnapshotInfo};

mod imp {
    use super::*;

    #[derive(Default, glib::Properties)]
    #[properties(wrapper_type = super::Snapshot)]
    pub struct Snapshot {
        #[property(get, construct_only)]
        pub name: RefCell<String>,
        #[property(get, construct_only)]
        pub is_now: Cell<bool>,
        pub info: RefCell<Option<SnapshotInfo>>,
        pub children: RefCell<Option<gio::ListStore>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Snapshot {
        const NAME: &'static str = "HangarSnapshot";
        type Type = super::Snapshot;
    }

    #[glib::derived_properties]
    impl ObjectImpl for Snapshot {}
}

glib::wrapper! {
    pub struct Snapshot(ObjectSubclass<imp::Snapshot>);
}

impl Snapshot {
    pub fn new(info: &SnapshotInfo) -> Snapshot {
        let s: Snapshot = glib::Object::builder()
            .property("name", &info.name)
            .property("is-now", false)
            .build();
        s.imp().info.replace(Some(info.clone()));
        s
    }

    /// The "now" node: the machine as it runs, after the current snapshot.
    pub fn now() -> Snapshot {
        glib::Object::builder()
            .property("name", "")
            .property("is-now", true)
            .build()
    }

    /// The snapshot (`None` for the "now" node).
    pub fn info(&self) -> Option<SnapshotInfo> {
        self.imp().info.borrow().clone()
    }

    /// Its children in the tree (`None` when it has none).
    pub fn children(&self) -> Option<gio::ListStore> {
        self.imp().children.borrow().clone()
    }

    fn add_child(&self, child: &Snapshot) {
        let mut slot = self.imp().children.borrow_mut();
        slot.get_or_insert_with(gio::ListStore::new::<Snapshot>)
            .append(child);
    }
}

/// The tree's roots (with children attached) and the flat list (tree order), with a
/// "now" node after the current snapshot (a root when there is none) when `with_now`.
pub fn build_tree(items: &[SnapshotInfo], with_now: bool) -> (gio::ListStore, gio::ListStore) {
    let roots = gio::ListStore::new::<Snapshot>();
    let flat = gio::ListStore::new::<Snapshot>();
    let mut made: HashMap<String, Snapshot> = HashMap::new();
    let mut current = None;
    for (i, _depth) in tree_order(items) {
        let info = &items[i];
        let s = Snapshot::new(info);
        match info.parent.as_ref().and_then(|p| made.get(p)) {
            Some(parent) => parent.add_child(&s),
            None => roots.append(&s),
        }
        flat.append(&s);
        if info.current {
            current = Some(s.clone());
        }
        made.insert(info.name.clone(), s);
    }
    if with_now {
        let now = Snapshot::now();
        match current {
            Some(c) => c.add_child(&now),
            None => roots.append(&now),
        }
    }
    (roots, flat)
}
