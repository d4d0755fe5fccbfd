//! The new machine made on the connection's worker: the default pool created at
//! /var/lib/libvirt/images when the disk goes there and it is missing (as virt-install
//! does), the network started when it is not running, the disk volume made, the domain
//! defined and started. A failure after the disk was made removes the disk.

use super::plan::{DiskChoice, VmPlan};
use crate::backend::conn::worker::{Connection, Worker};
use crate::backend::storage::pools::{create_pool, default_pool_spec};
use crate::backend::storage::volumes::{create_volume, Preallocation, VolumeSpec};
use crate::backend::storage::{list_pools, lookup_pool};
use crate::backend::Result;

/// What making the machine did, for the wizard to say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Made {
    pub uuid: String,
    pub disk: Option<String>,
    pub started: bool,
    pub created_default_pool: bool,
    pub started_network: bool,
}

/// A volume name in the pool: `name.qcow2`, else `name-2.qcow2`…
fn free_volume_name(w: &mut Worker, pool_uuid: &str, name: &str) -> Result<String> {
    let p = lookup_pool(w.conn()?, pool_uuid)?;
    let mut candidate = format!("{name}.qcow2");
    let mut i = 2;
    while p.lookup_storage_vol_by_name(&candidate).is_ok() {
        candidate = format!("{name}-{i}.qcow2");
        i += 1;
    }
    Ok(candidate)
}

pub fn make_vm(w: &mut Worker, plan: &VmPlan, start: bool) -> Result<Made> {
    let mut made = Made::default();
    if let Some(net) = &plan.network {
        let n = w.conn()?.lookup_network_by_name(net)?;
        if !n.is_active()? {
            n.create()?;
            made.started_network = true;
        }
    }
    let mut plan = plan.clone();
    if let DiskChoice::New { pool, bytes } = &plan.disk {
        let pools = list_pools(w.conn()?)?;
        let uuid = match pools.iter().find(|p| &p.name == pool) {
            Some(p) => p.uuid.clone(),
            None if pool == "default" => {
                made.created_default_pool = true;
                create_pool(w, &default_pool_spec(), true, true)?
            }
            None => {
                return Err(crate::backend::Error::InvalidInput(crate::i18n::gettext_f(
                    "There is no storage pool “{pool}”",
                    &[("pool", pool)],
                )))
            }
        };
        let name = free_volume_name(w, &uuid, plan.name.trim())?;
        let path = create_volume(
            w,
            &uuid,
            &VolumeSpec {
                name,
                format: "qcow2".into(),
                capacity: *bytes,
                preallocation: Preallocation::Off,
                ..Default::default()
            },
        )?;
        made.disk = Some(path.clone());
        plan = plan.with_new_disk(&path);
    }
    let conn = w.conn()?;
    let media = matches!(plan.source, super::plan::Source::Media { .. });
    // Started from media: the first boot runs the install XML (the disc in, booted
    // first) as a transient domain, and the final definition (booting the disk, the
    // drive empty) takes over from the next start on — as virt-install does. To be
    // customized first, the definition is the install one.
    let result = if start && media {
        conn.create_domain_xml(&plan.install_xml(), 0)
            .and_then(|d| {
                // The same machine from now on: its UUID in the definition.
                let uuid = d.uuid_string()?;
                let final_xml =
                    plan.to_xml()
                        .replacen("</name>", &format!("</name><uuid>{uuid}</uuid>"), 1);
                if let Err(e) = conn.define_domain_xml(&final_xml) {
                    // No definition, no machine: the install run stops too.
                    let _ = d.destroy();
                    return Err(e);
                }
                Ok(d)
            })
    } else if media {
        conn.define_domain_xml(&plan.install_xml())
    } else {
        conn.define_domain_xml(&plan.to_xml())
    };
    let d = match result {
        Ok(d) => d,
        Err(e) => {
            // Nothing half-made: the disk made for it goes with the failure.
            if let Some(path) = &made.disk {
                if let Ok(v) = conn.lookup_storage_vol_by_path(path) {
                    let _ = v.delete(0);
                }
            }
            return Err(e.into());
        }
    };
    made.uuid = d.uuid_string()?;
    if start && !media {
        d.create()?;
    }
    made.started = start;
    w.refresh(&made.uuid.clone());
    w.queue_pools();
    w.queue_networks();
    Ok(made)
}

impl Connection {
    /// Make the machine of `plan` (see [`make_vm`]); start it unless it is to be
    /// customized first.
    pub async fn make_vm(&self, plan: VmPlan, start: bool) -> Result<Made> {
        self.call(move |w| make_vm(w, &plan, start)).await
    }
}
