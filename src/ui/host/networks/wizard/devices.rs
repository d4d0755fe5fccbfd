//! The host's interfaces: the choice of device for each mode, and the addresses a new
//! network must not overlap.

use super::*;

impl NetworkWizard {
    /// Ask the host for its interfaces (device list, host address overlaps).
    pub(super) fn load_host(&self) {
        let backend = self.conn.backend().clone();
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = backend.host_interfaces().await;
            let Some(inner) = this.upgrade() else { return };
            let w = inner;
            match r {
                Ok(ifaces) => w.set_host_interfaces(ifaces),
                Err(e) => tracing::debug!("host interfaces: {e}"),
            }
        });
    }

    /// Use these host interfaces (for the device list and the overlap checks).
    pub fn set_host_interfaces(&self, ifaces: Vec<HostIface>) {
        let addrs: Vec<HostAddr> = ifaces.iter().flat_map(|i| i.addrs.clone()).collect();
        self.ctx.borrow_mut().host = addrs;
        self.ctx.borrow_mut().host_ifaces = ifaces.iter().map(|i| i.name.clone()).collect();
        self.host.replace(ifaces);
        let mode = self.mode();
        self.fill_devices(&mode);
        self.revalidate();
    }

    /// The wired interface a new host bridge would take: the one the default route
    /// leaves through first, then one with an address.
    pub(super) fn bridge_candidate(&self) -> String {
        let host = self.host.borrow();
        let default = if super::super::interfaces::is_local(&self.conn) {
            crate::backend::hostnet::kernel::local_default_route_ifaces()
        } else {
            Vec::new()
        };
        host.iter()
            .filter(|i| matches!(i.kind.as_str(), "ethernet" | "virtual") && i.master.is_none())
            .max_by_key(|i| {
                (
                    default.contains(&i.name),
                    i.addrs.iter().any(|a| a.addr.is_ipv4()),
                    i.kind == "ethernet",
                )
            })
            .map(|i| i.name.clone())
            .unwrap_or_else(|| "eth0".into())
    }

    pub(super) fn mode(&self) -> NetworkMode {
        MODES
            .get(self.mode.selected() as usize)
            .cloned()
            .unwrap_or_default()
    }

    pub(super) fn fill_devices(&self, mode: &NetworkMode) {
        let host = self.host.borrow();
        let libvirt_bridges = self.ctx.borrow().libvirt_bridges.clone();
        let mut names: Vec<Option<String>> = Vec::new();
        let mut labels: Vec<String> = Vec::new();
        match mode {
            NetworkMode::Nat | NetworkMode::Route | NetworkMode::Open => {
                names.push(None);
                labels.push(gettext("Any host interface"));
            }
            _ => {}
        }
        for i in host.iter() {
            let fits = match mode {
                NetworkMode::Bridge => i.kind == "bridge" && !libvirt_bridges.contains(&i.name),
                NetworkMode::Isolated => false,
                _ => {
                    !matches!(i.kind.as_str(), "loopback" | "tap")
                        && i.master.is_none()
                        && !libvirt_bridges.contains(&i.name)
                }
            };
            if fits {
                names.push(Some(i.name.clone()));
                let addr = i
                    .addrs
                    .iter()
                    .find(|a| a.addr.is_ipv4())
                    .map(|a| format!(" ({}/{})", a.addr, a.prefix))
                    .unwrap_or_default();
                labels.push(format!("{}{addr}", i.name));
            }
        }
        // Bridge mode with no host bridge: make one here (this computer), or say how.
        let show = matches!(mode, NetworkMode::Bridge) && names.is_empty();
        let local = super::super::interfaces::is_local(&self.conn);
        if show {
            let dev = self.bridge_candidate();
            if local {
                self.bridge_help.set_markup(&glib::markup_escape_text(&gettext_f(
                    "This host has no bridge. Hangar can make one from {dev}: the host keeps its address, and if anything goes wrong everything goes back as it was by itself.",
                    &[("dev", &dev)],
                )));
            } else {
                self.bridge_help.set_markup(&bridge_help_text(&dev));
            }
        }
        self.bridge_help.set_visible(show);
        self.bridge_make.set_visible(show && local);
        if names.is_empty() {
            names.push(None);
            labels.push(if matches!(mode, NetworkMode::Isolated) {
                gettext("None: isolated")
            } else {
                gettext("No suitable interface")
            });
        }
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        self.device.set_model(Some(&gtk::StringList::new(&refs)));
        self.device
            .set_sensitive(names.len() > 1 || names[0].is_some());
        self.device_names.replace(names);
    }
}
