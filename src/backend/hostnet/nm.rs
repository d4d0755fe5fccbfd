//! NetworkManager over the system D-Bus (gio, asynchronous: nothing here blocks the
//! thread that awaits it). Only what the host-interfaces page and the bridge procedure
//! use: devices, active connections, connection settings, activation and checkpoints.
//! Settings travel as NetworkManager's own `a{sa{sv}}` dictionaries, kept whole, so a
//! connection's settings Hangar does not know are carried over as they are.

use std::collections::BTreeMap;

use glib::variant::ObjectPath;
use glib::variant::ToVariant;
use glib::{Variant, VariantTy};

use super::error::Error;

const NM: &str = "org.freedesktop.NetworkManager";
const NM_PATH: &str = "/org/freedesktop/NetworkManager";
const SETTINGS_PATH: &str = "/org/freedesktop/NetworkManager/Settings";
const PROPS: &str = "org.freedesktop.DBus.Properties";

/// One connection profile's settings: setting name → property → value.
pub type Settings = BTreeMap<String, BTreeMap<String, Variant>>;

/// `NM_DEVICE_TYPE_*` values Hangar tells apart.
pub mod device_type {
    pub const ETHERNET: u32 = 1;
    pub const WIFI: u32 = 2;
    pub const BOND: u32 = 10;
    pub const VLAN: u32 = 11;
    pub const BRIDGE: u32 = 13;
    pub const TUN: u32 = 16;
    pub const VETH: u32 = 20;
    pub const MACVLAN: u32 = 21;
    pub const WIFI_P2P: u32 = 30;
    pub const LOOPBACK: u32 = 32;
}

/// `NM_DEVICE_STATE_*`.
pub mod device_state {
    pub const UNMANAGED: u32 = 10;
    pub const UNAVAILABLE: u32 = 20;
    pub const DISCONNECTED: u32 = 30;
    pub const ACTIVATED: u32 = 100;
    pub const FAILED: u32 = 120;
}

/// `NM_CHECKPOINT_CREATE_FLAG_*`: on rollback, delete the connections made since and
/// take down devices that appeared since (the new bridge).
const CHECKPOINT_DELETE_NEW_CONNECTIONS: u32 = 0x02;
const CHECKPOINT_DISCONNECT_NEW_DEVICES: u32 = 0x04;

/// A device as NetworkManager sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NmDevice {
    pub path: String,
    pub iface: String,
    pub device_type: u32,
    pub state: u32,
    pub managed: bool,
    pub hw_address: String,
    /// The active connection on it, if any.
    pub active: Option<ActiveConn>,
    /// Interface names of its ports (bridges, bonds).
    pub ports: Vec<String>,
}

/// An active connection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActiveConn {
    pub path: String,
    /// The settings connection (profile) it runs.
    pub connection: String,
    pub id: String,
    pub uuid: String,
    pub kind: String,
    /// It carries the IPv4 default route.
    pub default4: bool,
    /// Its controller's device path when it is a port ("/" otherwise).
    pub controller: String,
}

/// A connection profile with its settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profile {
    pub path: String,
    pub settings: Settings,
}

impl Profile {
    pub fn get(&self, setting: &str, key: &str) -> Option<&Variant> {
        self.settings.get(setting)?.get(key)
    }
    pub fn string(&self, setting: &str, key: &str) -> Option<String> {
        self.get(setting, key)?.str().map(str::to_string)
    }
    pub fn id(&self) -> String {
        self.string("connection", "id").unwrap_or_default()
    }
    pub fn uuid(&self) -> String {
        self.string("connection", "uuid").unwrap_or_default()
    }
    pub fn kind(&self) -> String {
        self.string("connection", "type").unwrap_or_default()
    }
    pub fn interface_name(&self) -> Option<String> {
        self.string("connection", "interface-name")
    }
    /// The controller (bridge or bond) it is a port of, by name or UUID.
    pub fn controller(&self) -> Option<String> {
        self.string("connection", "master")
            .or_else(|| self.string("connection", "controller"))
            .filter(|s| !s.is_empty())
    }
}

/// The session with NetworkManager on the system bus.
#[derive(Clone, Debug)]
pub struct Nm {
    bus: gio::DBusConnection,
}

fn obj(path: &str) -> Variant {
    ObjectPath::try_from(path.to_string())
        .map(|p| p.to_variant())
        .unwrap_or_else(|_| ObjectPath::try_from("/".to_string()).unwrap().to_variant())
}

fn paths(v: &Variant) -> Vec<String> {
    v.iter()
        .filter_map(|p| p.str().map(str::to_string))
        .filter(|p| p != "/")
        .collect()
}

/// `a{sa{sv}}` into settings.
pub fn settings_from(v: &Variant) -> Settings {
    let mut out = Settings::new();
    for entry in v.iter() {
        let Some(name) = entry.child_value(0).str().map(str::to_string) else {
            continue;
        };
        let mut props = BTreeMap::new();
        for p in entry.child_value(1).iter() {
            if let (Some(k), Some(val)) = (p.child_value(0).str(), p.child_value(1).as_variant()) {
                props.insert(k.to_string(), val);
            }
        }
        out.insert(name, props);
    }
    out
}

/// Settings into `a{sa{sv}}`.
pub fn settings_variant(s: &Settings) -> Variant {
    let outer: Vec<Variant> = s
        .iter()
        .map(|(name, props)| {
            let inner: Vec<Variant> = props
                .iter()
                .map(|(k, v)| Variant::from_dict_entry(&k.to_variant(), &Variant::from_variant(v)))
                .collect();
            let inner = Variant::array_from_iter_with_type(VariantTy::new("{sv}").unwrap(), inner);
            Variant::from_dict_entry(&name.to_variant(), &inner)
        })
        .collect();
    Variant::array_from_iter_with_type(VariantTy::new("{sa{sv}}").unwrap(), outer)
}

impl Nm {
    /// Reach NetworkManager on the system bus.
    pub async fn connect() -> Result<Nm, Error> {
        let bus = gio::bus_get_future(gio::BusType::System)
            .await
            .map_err(|e| Error::NoBus(e.message().to_string()))?;
        let owner = bus
            .call_future(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "NameHasOwner",
                Some(&(NM,).to_variant()),
                Some(VariantTy::new("(b)").unwrap()),
                gio::DBusCallFlags::NONE,
                10_000,
            )
            .await
            .map_err(|e| Error::NoBus(e.message().to_string()))?;
        if !owner.child_value(0).get::<bool>().unwrap_or(false) {
            return Err(Error::NotRunning);
        }
        Ok(Nm { bus })
    }

    async fn call(
        &self,
        path: &str,
        iface: &str,
        method: &str,
        args: Option<Variant>,
    ) -> Result<Variant, Error> {
        self.bus
            .call_future(
                Some(NM),
                path,
                iface,
                method,
                args.as_ref(),
                None,
                gio::DBusCallFlags::NONE,
                60_000,
            )
            .await
            .map_err(|e| Error::from_dbus(method, &e))
    }

    async fn props(&self, path: &str, iface: &str) -> Result<BTreeMap<String, Variant>, Error> {
        let v = self
            .call(path, PROPS, "GetAll", Some((iface,).to_variant()))
            .await?;
        let mut out = BTreeMap::new();
        for e in v.child_value(0).iter() {
            if let (Some(k), Some(val)) = (e.child_value(0).str(), e.child_value(1).as_variant()) {
                out.insert(k.to_string(), val);
            }
        }
        Ok(out)
    }

    pub async fn version(&self) -> String {
        self.props(NM_PATH, NM)
            .await
            .ok()
            .and_then(|p| p.get("Version").and_then(|v| v.str().map(str::to_string)))
            .unwrap_or_default()
    }

    /// Every device, with its active connection.
    pub async fn devices(&self) -> Result<Vec<NmDevice>, Error> {
        let v = self.call(NM_PATH, NM, "GetAllDevices", None).await?;
        let mut out = Vec::new();
        for path in paths(&v.child_value(0)) {
            // A device can go between the list and its properties.
            let Ok(p) = self
                .props(&path, "org.freedesktop.NetworkManager.Device")
                .await
            else {
                continue;
            };
            let s = |k: &str| {
                p.get(k)
                    .and_then(|v| v.str().map(str::to_string))
                    .unwrap_or_default()
            };
            let u = |k: &str| p.get(k).and_then(|v| v.get::<u32>()).unwrap_or(0);
            let ports_paths = p.get("Ports").map(paths).unwrap_or_default();
            let active_path = s("ActiveConnection");
            let active = if active_path.is_empty() || active_path == "/" {
                None
            } else {
                self.active_conn(&active_path).await.ok()
            };
            out.push(NmDevice {
                iface: s("Interface"),
                device_type: u("DeviceType"),
                state: u("State"),
                managed: p
                    .get("Managed")
                    .and_then(|v| v.get::<bool>())
                    .unwrap_or(false),
                hw_address: s("HwAddress"),
                active,
                ports: ports_paths,
                path,
            });
        }
        // Ports by interface name.
        let names: BTreeMap<String, String> = out
            .iter()
            .map(|d| (d.path.clone(), d.iface.clone()))
            .collect();
        for d in &mut out {
            d.ports = d
                .ports
                .iter()
                .filter_map(|p| names.get(p).cloned())
                .collect();
        }
        Ok(out)
    }

    async fn active_conn(&self, path: &str) -> Result<ActiveConn, Error> {
        let p = self
            .props(path, "org.freedesktop.NetworkManager.Connection.Active")
            .await?;
        let s = |k: &str| {
            p.get(k)
                .and_then(|v| v.str().map(str::to_string))
                .unwrap_or_default()
        };
        Ok(ActiveConn {
            path: path.to_string(),
            connection: s("Connection"),
            id: s("Id"),
            uuid: s("Uuid"),
            kind: s("Type"),
            default4: p
                .get("Default")
                .and_then(|v| v.get::<bool>())
                .unwrap_or(false),
            controller: {
                let c = s("Controller");
                if c.is_empty() {
                    s("Master")
                } else {
                    c
                }
            },
        })
    }

    /// Every connection profile, with its settings (no secrets).
    pub async fn profiles(&self) -> Result<Vec<Profile>, Error> {
        let v = self
            .call(
                SETTINGS_PATH,
                "org.freedesktop.NetworkManager.Settings",
                "ListConnections",
                None,
            )
            .await?;
        let mut out = Vec::new();
        for path in paths(&v.child_value(0)) {
            if let Ok(p) = self.profile(&path).await {
                out.push(p);
            }
        }
        Ok(out)
    }

    pub async fn profile(&self, path: &str) -> Result<Profile, Error> {
        let v = self
            .call(
                path,
                "org.freedesktop.NetworkManager.Settings.Connection",
                "GetSettings",
                None,
            )
            .await?;
        Ok(Profile {
            path: path.to_string(),
            settings: settings_from(&v.child_value(0)),
        })
    }

    /// Save a new profile to disk; its path.
    pub async fn add_profile(&self, s: &Settings) -> Result<String, Error> {
        let v = self
            .call(
                SETTINGS_PATH,
                "org.freedesktop.NetworkManager.Settings",
                "AddConnection",
                Some(Variant::tuple_from_iter([settings_variant(s)])),
            )
            .await?;
        Ok(v.child_value(0).str().unwrap_or_default().to_string())
    }

    pub async fn delete_profile(&self, path: &str) -> Result<(), Error> {
        self.call(
            path,
            "org.freedesktop.NetworkManager.Settings.Connection",
            "Delete",
            None,
        )
        .await
        .map(|_| ())
    }

    /// Activate a profile on a device ("/" lets NetworkManager choose, or create a
    /// software device such as a bridge).
    pub async fn activate(&self, profile: &str, device: &str) -> Result<String, Error> {
        let v = self
            .call(
                NM_PATH,
                NM,
                "ActivateConnection",
                Some(Variant::tuple_from_iter([
                    obj(profile),
                    obj(device),
                    obj("/"),
                ])),
            )
            .await?;
        Ok(v.child_value(0).str().unwrap_or_default().to_string())
    }

    pub async fn deactivate(&self, active: &str) -> Result<(), Error> {
        self.call(
            NM_PATH,
            NM,
            "DeactivateConnection",
            Some(Variant::tuple_from_iter([obj(active)])),
        )
        .await
        .map(|_| ())
    }

    /// A checkpoint of every managed device, rolled back by NetworkManager itself
    /// after `timeout` seconds unless destroyed first.
    pub async fn checkpoint(&self, timeout: u32) -> Result<String, Error> {
        let none: Vec<ObjectPath> = Vec::new();
        let v = self
            .call(
                NM_PATH,
                NM,
                "CheckpointCreate",
                Some(
                    (
                        none,
                        timeout,
                        CHECKPOINT_DELETE_NEW_CONNECTIONS | CHECKPOINT_DISCONNECT_NEW_DEVICES,
                    )
                        .to_variant(),
                ),
            )
            .await?;
        Ok(v.child_value(0).str().unwrap_or_default().to_string())
    }

    /// Roll back to the checkpoint now.
    pub async fn rollback(&self, checkpoint: &str) -> Result<(), Error> {
        self.call(
            NM_PATH,
            NM,
            "CheckpointRollback",
            Some(Variant::tuple_from_iter([obj(checkpoint)])),
        )
        .await
        .map(|_| ())
    }

    /// Keep what was done since the checkpoint.
    pub async fn destroy_checkpoint(&self, checkpoint: &str) -> Result<(), Error> {
        self.call(
            NM_PATH,
            NM,
            "CheckpointDestroy",
            Some(Variant::tuple_from_iter([obj(checkpoint)])),
        )
        .await
        .map(|_| ())
    }

    /// Roll back `seconds` from now instead.
    pub async fn extend_checkpoint(&self, checkpoint: &str, seconds: u32) -> Result<(), Error> {
        self.call(
            NM_PATH,
            NM,
            "CheckpointAdjustRollbackTimeout",
            Some(Variant::tuple_from_iter([
                obj(checkpoint),
                seconds.to_variant(),
            ])),
        )
        .await
        .map(|_| ())
    }

    /// Call `f` whenever NetworkManager says something changed (devices, their state,
    /// active connections, profiles) or stops or starts. Dropping the subscriptions
    /// stops it.
    pub fn watch(&self, f: impl Fn() + 'static) -> Vec<gio::SignalSubscription> {
        let f = std::rc::Rc::new(f);
        let g = f.clone();
        vec![
            self.bus.subscribe_to_signal(
                Some(NM),
                None,
                None,
                None,
                None,
                gio::DBusSignalFlags::NONE,
                move |_| f(),
            ),
            self.bus.subscribe_to_signal(
                Some("org.freedesktop.DBus"),
                Some("org.freedesktop.DBus"),
                Some("NameOwnerChanged"),
                Some("/org/freedesktop/DBus"),
                Some(NM),
                gio::DBusSignalFlags::NONE,
                move |_| g(),
            ),
        ]
    }
}
