//! The network requests of a connection's worker: each runs on the worker thread
//! (`Connection::call`), never on the main thread, and the network list follows with an
//! [`Update::Networks`](crate::backend::conn::worker::Update::Networks) after every change.

use std::collections::HashMap;

use crate::backend::conn::worker::Connection;
use crate::backend::network::{
    self, dhcp_leases, lookup, ConfigEdit, HostIface, Lease, NetworkEdit, NetworkInfo, Topology,
};
use crate::backend::{Error, Result};

impl Connection {
    /// Every network, with the guests attached to each.
    pub async fn networks(&self) -> Result<Vec<NetworkInfo>> {
        self.call(|w| {
            let guests = w.guest_nics()?;
            network::list_networks(w.conn()?, &guests)
        })
        .await
    }

    /// Domain XMLs read so far to tell which guests use which network (each domain's
    /// is kept until an event says it changed).
    pub async fn nic_xml_reads(&self) -> Result<u64> {
        self.call(|w| Ok(w.nic_xml_reads())).await
    }

    /// A network's XML: the persistent definition with `inactive`, else the live one.
    pub async fn network_xml(&self, uuid: String, inactive: bool) -> Result<String> {
        self.call(move |w| {
            let n = lookup(w.conn()?, &uuid)?;
            if inactive {
                network::inactive_xml(&n)
            } else {
                Ok(n.xml_desc(0)?)
            }
        })
        .await
    }

    /// Define (or redefine) a network from XML; its UUID.
    pub async fn define_network(&self, xml: String) -> Result<String> {
        self.call(move |w| {
            let n = w.conn()?.define_network_xml(&xml)?;
            let uuid = n.uuid_string()?;
            w.queue_networks();
            Ok(uuid)
        })
        .await
    }

    /// Define a network, then start it and set it to start with the host. When a step
    /// after the definition fails, the network is stopped and undefined again: a
    /// failed create leaves nothing behind (a second try must not find it "exists").
    pub async fn create_network(&self, xml: String, autostart: bool) -> Result<String> {
        self.call(move |w| {
            let n = w.conn()?.define_network_xml(&xml)?;
            let uuid = n.uuid_string()?;
            w.queue_networks();
            let started = n.create().and_then(|_| {
                if autostart {
                    n.set_autostart(true)?;
                }
                Ok(())
            });
            if let Err(e) = started {
                if n.is_active().unwrap_or(false) {
                    let _ = n.destroy();
                }
                if let Err(u) = n.undefine() {
                    tracing::warn!("could not undefine the network that failed to start: {u}");
                }
                return Err(e.into());
            }
            Ok(uuid)
        })
        .await
    }

    pub async fn start_network(&self, uuid: String) -> Result<()> {
        self.network_op(uuid, |n| Ok(n.create()?)).await
    }

    pub async fn stop_network(&self, uuid: String) -> Result<()> {
        self.network_op(uuid, |n| Ok(n.destroy()?)).await
    }

    /// Stop and start again, so settings of the persistent definition apply.
    pub async fn restart_network(&self, uuid: String) -> Result<()> {
        self.network_op(uuid, |n| {
            if n.is_active()? {
                n.destroy()?;
            }
            Ok(n.create()?)
        })
        .await
    }

    pub async fn set_network_autostart(&self, uuid: String, on: bool) -> Result<()> {
        self.network_op(uuid, move |n| Ok(n.set_autostart(on)?))
            .await
    }

    /// Stop the network if it runs and remove its definition.
    pub async fn delete_network(&self, uuid: String) -> Result<()> {
        self.network_op(uuid, |n| {
            let persistent = n.is_persistent().unwrap_or(true);
            if n.is_active()? {
                n.destroy()?;
            }
            if persistent {
                n.undefine()?;
            }
            Ok(())
        })
        .await
    }

    /// A live (and persistent) change through `virNetworkUpdate`.
    pub async fn update_network(&self, uuid: String, edit: NetworkEdit) -> Result<()> {
        self.network_op(uuid, move |n| network::apply_edit(n, &edit))
            .await
    }

    /// Change settings of the persistent definition (they apply at the next start).
    /// Returns whether the network runs, so the page can offer a restart.
    pub async fn edit_network_config(&self, uuid: String, edit: ConfigEdit) -> Result<bool> {
        self.call(move |w| {
            let conn = w.conn()?;
            let n = lookup(conn, &uuid)?;
            let xml = network::inactive_xml(&n)?;
            let new = edit
                .apply(&xml)
                .map_err(|e| Error::InvalidInput(e.to_string()))?;
            conn.define_network_xml(&new)?;
            let active = n.is_active()?;
            w.queue_networks();
            Ok(active)
        })
        .await
    }

    /// The DHCP leases of a network, each with the guest whose NIC has its MAC.
    pub async fn network_leases(&self, uuid: String) -> Result<Vec<Lease>> {
        self.call(move |w| {
            let guests = w.guest_nics().unwrap_or_default();
            let n = lookup(w.conn()?, &uuid)?;
            let mut leases = dhcp_leases(&n)?;
            let by_mac: HashMap<&str, &str> = guests
                .iter()
                .flat_map(|g| {
                    g.nics
                        .iter()
                        .map(move |nic| (nic.mac.as_str(), g.name.as_str()))
                })
                .collect();
            for l in &mut leases {
                l.guest = by_mac.get(l.mac.as_str()).map(|s| s.to_string());
            }
            Ok(leases)
        })
        .await
    }

    /// The host's interfaces with their addresses.
    pub async fn host_interfaces(&self) -> Result<Vec<HostIface>> {
        self.call(|w| {
            let local = w.is_local();
            let conn = w.conn()?;
            Ok(if local {
                network::local_interfaces()
            } else {
                network::libvirt_interfaces(conn)
            })
        })
        .await
    }

    /// Everything the topology view draws.
    pub async fn topology(&self) -> Result<Topology> {
        self.call(|w| {
            let local = w.is_local();
            let guests = w.guest_nics()?;
            let mut t = network::topology(w.conn()?, local, guests)?;
            // Guests on a host bridge or macvtap get their address from the LAN: from
            // the host's neighbour table and the guest agent.
            let neighbours = if local {
                network::local_neighbours()
            } else {
                Vec::new()
            };
            for g in &mut t.guests {
                for nic in g.nics.iter_mut().filter(|n| n.ip.is_none()) {
                    nic.ip = neighbours
                        .iter()
                        .find(|(mac, _)| mac.eq_ignore_ascii_case(&nic.mac))
                        .map(|(_, ip)| ip.clone());
                }
                if g.nics.iter().all(|n| n.ip.is_some()) {
                    continue;
                }
                let Ok(found) = crate::backend::domain::hardware::guest_addresses(w, &g.uuid)
                else {
                    continue;
                };
                for nic in g.nics.iter_mut().filter(|n| n.ip.is_none()) {
                    nic.ip = found
                        .iter()
                        .find(|(mac, _)| mac.eq_ignore_ascii_case(&nic.mac))
                        .and_then(|(_, a)| {
                            a.iter()
                                .find(|x| !x.contains(':'))
                                .or(a.first())
                                .map(|x| x.split('/').next().unwrap_or(x).to_string())
                        });
                }
            }
            Ok(t)
        })
        .await
    }

    async fn network_op(
        &self,
        uuid: String,
        f: impl FnOnce(&virt::network::Network) -> Result<()> + Send + 'static,
    ) -> Result<()> {
        self.call(move |w| {
            let n = lookup(w.conn()?, &uuid)?;
            let r = f(&n);
            w.queue_networks();
            r
        })
        .await
    }
}
