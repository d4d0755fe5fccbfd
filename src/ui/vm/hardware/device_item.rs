//! `DeviceItem`: one row of the Hardware tab's list (the overview sections and each
//! device), as the list's model holds it.

use std::cell::RefCell;

use gtk::glib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;

mod imp {
    use super::*;

    #[derive(Default, glib::Properties)]
    #[properties(wrapper_type = super::DeviceItem)]
    pub struct DeviceItem {
        /// The symbolic icon of its kind.
        #[property(get, construct_only)]
        pub icon_name: RefCell<String>,
        /// The name people read ("Disk 1 (vda)").
        #[property(get, construct_only)]
        pub name: RefCell<String>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for DeviceItem {
        const NAME: &'static str = "HangarDeviceItem";
        type Type = super::DeviceItem;
    }

    #[glib::derived_properties]
    impl ObjectImpl for DeviceItem {}
}

glib::wrapper! {
    pub struct DeviceItem(ObjectSubclass<imp::DeviceItem>);
}

impl DeviceItem {
    pub fn new(icon_name: &str, name: &str) -> DeviceItem {
        glib::Object::builder()
            .property("icon-name", icon_name)
            .property("name", name)
            .build()
    }

    /// Whether this row shows `icon_name` and `name` already.
    pub fn shows(&self, icon_name: &str, name: &str) -> bool {
        let imp = self.imp();
        *imp.icon_name.borrow() == icon_name && *imp.name.borrow() == name
    }
}
