//! `Pool`: one storage pool as the Storage page sees it.

use std::cell::{Cell, RefCell};

use gtk::glib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;

use crate::backend::storage::PoolInfo;

mod imp {
    use super::*;

    #[derive(Default, glib::Properties)]
    #[properties(wrapper_type = super::Pool)]
    pub struct Pool {
        #[property(get, construct_only)]
        pub uuid: RefCell<String>,
        #[property(get, set)]
        pub name: RefCell<String>,
        /// dir, fs, netfs, logical…
        #[property(get, set)]
        pub kind: RefCell<String>,
        #[property(get, set)]
        pub active: Cell<bool>,
        #[property(get, set)]
        pub autostart: Cell<bool>,
        #[property(get, set)]
        pub capacity: Cell<u64>,
        #[property(get, set)]
        pub allocation: Cell<u64>,
        #[property(get, set)]
        pub available: Cell<u64>,
        #[property(get, set)]
        pub path: RefCell<String>,
        #[property(get, set)]
        pub source: RefCell<String>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Pool {
        const NAME: &'static str = "HangarPool";
        type Type = super::Pool;
    }

    #[glib::derived_properties]
    impl ObjectImpl for Pool {}
}

glib::wrapper! {
    pub struct Pool(ObjectSubclass<imp::Pool>);
}

pub(super) fn set_if<T: PartialEq + Into<glib::Value>>(
    o: &impl IsA<glib::Object>,
    prop: &str,
    cur: T,
    v: T,
) {
    if cur != v {
        o.set_property(prop, v);
    }
}

impl Pool {
    pub fn new(info: &PoolInfo) -> Pool {
        let p: Pool = glib::Object::builder().property("uuid", &info.uuid).build();
        p.update(info);
        p
    }

    /// Take the new state; only properties that changed notify.
    pub fn update(&self, i: &PoolInfo) {
        set_if(self, "name", self.name(), i.name.clone());
        set_if(self, "kind", self.kind(), i.kind.clone());
        set_if(self, "path", self.path(), i.path.clone());
        set_if(self, "source", self.source(), i.source.clone());
        set_if(self, "capacity", self.capacity(), i.capacity);
        set_if(self, "allocation", self.allocation(), i.allocation);
        set_if(self, "available", self.available(), i.available);
        set_if(self, "autostart", self.autostart(), i.autostart);
        set_if(self, "active", self.active(), i.active);
    }
}
