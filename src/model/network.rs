//! `Network`: one virtual network as the UI sees it.

use std::cell::{Cell, RefCell};

use gtk::glib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;

use crate::backend::network::NetworkInfo;

mod imp {
    use super::*;

    #[derive(Default, glib::Properties)]
    #[properties(wrapper_type = super::Network)]
    pub struct Network {
        #[property(get, construct_only)]
        pub uuid: RefCell<String>,
        #[property(get, set)]
        pub name: RefCell<String>,
        #[property(get, set)]
        pub active: Cell<bool>,
        #[property(get, set)]
        pub autostart: Cell<bool>,
        #[property(get, set)]
        pub persistent: Cell<bool>,
        /// The mode's key: nat, route, open, isolated, bridge, macvtap-vepa…
        #[property(get, set)]
        pub mode: RefCell<String>,
        #[property(get, set)]
        pub bridge: RefCell<String>,
        /// The IPv4 network in CIDR notation, or "".
        #[property(get, set)]
        pub ipv4: RefCell<String>,
        #[property(get, set)]
        pub ipv6: RefCell<String>,
        /// The DHCP ranges, `start – end`, comma-separated.
        #[property(get, set)]
        pub dhcp: RefCell<String>,
        /// How many guests have a NIC on it.
        #[property(get, set)]
        pub guest_count: Cell<u32>,
        pub info: RefCell<NetworkInfo>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Network {
        const NAME: &'static str = "HangarNetwork";
        type Type = super::Network;
    }

    #[glib::derived_properties]
    impl ObjectImpl for Network {}
}

glib::wrapper! {
    pub struct Network(ObjectSubclass<imp::Network>);
}

impl Network {
    pub fn new(info: &NetworkInfo) -> Network {
        let n: Network = glib::Object::builder().property("uuid", &info.uuid).build();
        n.update(info);
        n
    }

    /// Take the new state; only properties that changed notify.
    pub fn update(&self, info: &NetworkInfo) {
        fn set_s(n: &Network, prop: &str, cur: String, v: &str) {
            if cur != v {
                n.set_property(prop, v);
            }
        }
        set_s(self, "name", self.name(), &info.name);
        set_s(self, "mode", self.mode(), &info.mode.key());
        set_s(
            self,
            "bridge",
            self.bridge(),
            info.bridge.as_deref().unwrap_or(""),
        );
        set_s(
            self,
            "ipv4",
            self.ipv4(),
            &info.ipv4().map(|i| i.cidr()).unwrap_or_default(),
        );
        set_s(
            self,
            "ipv6",
            self.ipv6(),
            &info.ipv6().map(|i| i.cidr()).unwrap_or_default(),
        );
        let dhcp = info
            .ips
            .iter()
            .flat_map(|i| i.ranges.iter())
            .map(|r| format!("{} – {}", r.start, r.end))
            .collect::<Vec<_>>()
            .join(", ");
        set_s(self, "dhcp", self.dhcp(), &dhcp);
        // The info first, so handlers of the notifications below see it.
        self.imp().info.replace(info.clone());
        if self.active() != info.active {
            self.set_active(info.active);
        }
        if self.autostart() != info.autostart {
            self.set_autostart(info.autostart);
        }
        if self.persistent() != info.persistent {
            self.set_persistent(info.persistent);
        }
        let guests = info.guests.len() as u32;
        if self.guest_count() != guests {
            self.set_guest_count(guests);
        }
    }

    /// Everything known about the network.
    pub fn info(&self) -> NetworkInfo {
        self.imp().info.borrow().clone()
    }
}
