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

    /// Hang a branch (a line of snapshots) under this one.
    fn add_branch(&self, branch: &gio::ListStore) {
        let mut slot = self.imp().children.borrow_mut();
        let children = slot.get_or_insert_with(gio::ListStore::new::<Snapshot>);
        for s in branch.iter::<Snapshot>().flatten() {
            children.append(&s);
        }
    }
}

/// The tree's top level (branches attached as children) and the flat list in tree
/// order. A line of snapshots stays at one level, as a history reads: of a snapshot's
/// children, the one on the way to the current snapshot (else the newest) follows it
/// at its level, the others hang under it as branches. With `with_now`, a "now" node
/// follows the current snapshot (or ends the top level when there is none).
pub fn build_tree(items: &[SnapshotInfo], with_now: bool) -> (gio::ListStore, gio::ListStore) {
    let flat = gio::ListStore::new::<Snapshot>();
    let order = tree_order(items);
    let index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    // Children per parent (None: roots), in tree order (oldest first).
    let mut kids: HashMap<Option<usize>, Vec<usize>> = HashMap::new();
    for (i, _) in &order {
        let p = items[*i]
            .parent
            .as_deref()
            .and_then(|p| index.get(p).copied());
        kids.entry(p).or_default().push(*i);
    }
    // The snapshots on the way from a root to the current one.
    let mut on_path = vec![false; items.len()];
    let mut at = items.iter().position(|s| s.current);
    let current = at;
    while let Some(i) = at {
        on_path[i] = true;
        at = items[i]
            .parent
            .as_deref()
            .and_then(|p| index.get(p).copied());
    }
    let made: Vec<Snapshot> = items.iter().map(Snapshot::new).collect();
    for (i, _) in &order {
        flat.append(&made[*i]);
    }
    let top = gio::ListStore::new::<Snapshot>();
    // Lay out the line starting at `start` into `list`: each snapshot, then its
    // branches under it, then the line goes on with the chosen child.
    fn line(
        start: usize,
        list: &gio::ListStore,
        made: &[Snapshot],
        kids: &HashMap<Option<usize>, Vec<usize>>,
        on_path: &[bool],
        current: Option<usize>,
        with_now: bool,
    ) {
        let mut at = Some(start);
        while let Some(i) = at {
            list.append(&made[i]);
            let children = kids.get(&Some(i)).cloned().unwrap_or_default();
            let next = if Some(i) == current {
                None
            } else {
                children
                    .iter()
                    .copied()
                    .find(|c| on_path[*c])
                    .or_else(|| children.last().copied())
            };
            for c in children.iter().copied().filter(|c| Some(*c) != next) {
                let branch = gio::ListStore::new::<Snapshot>();
                line(c, &branch, made, kids, on_path, current, with_now);
                made[i].add_branch(&branch);
            }
            if Some(i) == current && with_now {
                list.append(&Snapshot::now());
            }
            at = next;
        }
    }
    let roots = kids.get(&None).cloned().unwrap_or_default();
    // The root on the way to the current snapshot is the main line; others follow.
    let main = roots.iter().copied().find(|r| on_path[*r]);
    for r in main
        .into_iter()
        .chain(roots.iter().copied().filter(|r| Some(*r) != main))
    {
        line(r, &top, &made, &kids, &on_path, current, with_now);
    }
    if with_now && current.is_none() {
        top.append(&Snapshot::now());
    }
    (top, flat)
}
