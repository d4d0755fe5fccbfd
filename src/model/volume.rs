//! `Volume`: one volume of a storage pool, as the Storage page lists it.

use std::cell::{Cell, RefCell};

use gtk::glib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;

use super::pool::set_if;
use crate::backend::storage::volumes;

mod imp {
    use super::*;

    #[derive(Default, glib::Properties)]
    #[properties(wrapper_type = super::Volume)]
    pub struct Volume {
        #[property(get, construct_only)]
        pub name: RefCell<String>,
        #[property(get, set)]
        pub path: RefCell<String>,
        #[property(get, set)]
        pub format: RefCell<String>,
        #[property(get, set)]
        pub capacity: Cell<u64>,
        #[property(get, set)]
        pub allocation: Cell<u64>,
        #[property(get, set)]
        pub backing: RefCell<String>,
        /// The names of the domains that use it, comma-separated ("" for none).
        #[property(get, set)]
        pub used_by: RefCell<String>,
        pub info: RefCell<volumes::Volume>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Volume {
        const NAME: &'static str = "HangarVolume";
        type Type = super::Volume;
    }

    #[glib::derived_properties]
    impl ObjectImpl for Volume {}
}

glib::wrapper! {
    pub struct Volume(ObjectSubclass<imp::Volume>);
}

impl Volume {
    pub fn new(info: &volumes::Volume) -> Volume {
        let v: Volume = glib::Object::builder().property("name", &info.name).build();
        v.update(info);
        v
    }

    pub fn update(&self, i: &volumes::Volume) {
        self.imp().info.replace(i.clone());
        set_if(self, "path", self.path(), i.path.clone());
        set_if(self, "format", self.format(), i.format.clone());
        set_if(self, "capacity", self.capacity(), i.capacity);
        set_if(self, "allocation", self.allocation(), i.allocation);
        set_if(self, "backing", self.backing(), i.backing.clone());
        let users = i
            .used_by
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        set_if(self, "used-by", self.used_by(), users);
    }

    /// Everything known about the volume (its users with their run state).
    pub fn info(&self) -> volumes::Volume {
        self.imp().info.borrow().clone()
    }
}
