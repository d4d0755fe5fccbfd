//! The new machine made on the connection's worker: the default pool created at
//! /var/lib/libvirt/images when the disk goes there and it is missing (as virt-install
//! does), the network started when it is not running, the disk volume made, the domain
//! defined and started. A failure after the disk was made removes the disk.

use std::path::Path;

use super::inject;
use super::plan::{DiskChoice, Source, VmPlan};
use crate::backend::conn::worker::{Connection, Worker};
use crate::backend::osinfo::InjectionMethod;
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
    /// The default NAT network was made (its IPv4 network, e.g. 192.168.122.0/24).
    pub created_network: Option<String>,
    /// The other volumes made for it: a cloud-init seed, a kernel and initrd, an
    /// express install's script disc.
    pub extra: Vec<String>,
}

/// libvirt's usual `default` network — NAT on 192.168.122.0/24, or the first
/// 192.168.X.0/24 (X from 122 up) that no network of this host and no interface of
/// this computer uses — defined, started, and started with the host; its network.
pub fn make_default_network(conn: &virt::connect::Connect, local: bool) -> Result<String> {
    let mut used: Vec<u8> = Vec::new();
    let mut octet = |addr: &str| {
        let parts: Vec<&str> = addr.split('.').collect();
        if parts.len() == 4 && parts[0] == "192" && parts[1] == "168" {
            if let Ok(x) = parts[2].parse::<u8>() {
                used.push(x);
            }
        }
    };
    for n in crate::backend::network::list_networks(conn, &[])? {
        if let Some(ip) = n.ipv4() {
            octet(&ip.address);
        }
    }
    if local {
        for iface in crate::backend::network::local_interfaces() {
            for a in iface.addrs {
                octet(&a.addr.to_string());
            }
        }
    }
    let x = (122..=254u8).find(|x| !used.contains(x)).ok_or_else(|| {
        crate::backend::Error::InvalidState(crate::i18n::gettext(
            "Every 192.168.X.0/24 network is in use here: make a network on the Networks tab",
        ))
    })?;
    let xml = format!(
        "<network><name>default</name><forward mode='nat'/>\
         <ip address='192.168.{x}.1' netmask='255.255.255.0'>\
         <dhcp><range start='192.168.{x}.2' end='192.168.{x}.254'/></dhcp></ip></network>"
    );
    let n = conn.define_network_xml(&xml)?;
    if let Err(e) = n.create() {
        let _ = n.undefine();
        return Err(e.into());
    }
    let _ = n.set_autostart(true);
    Ok(format!("192.168.{x}.0/24"))
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

/// The `default` pool's UUID, made at /var/lib/libvirt/images when missing.
fn default_pool(w: &mut Worker, made: &mut Made) -> Result<String> {
    let pools = list_pools(w.conn()?)?;
    match pools.iter().find(|p| p.name == "default") {
        Some(p) => Ok(p.uuid.clone()),
        None => {
            made.created_default_pool = true;
            create_pool(w, &default_pool_spec(), true, true)
        }
    }
}

/// A cloud image's machine: the overlay over the image (its own disk, as big as the
/// image says) and the cloud-init seed, built here and uploaded into the default pool
/// (so it works on remote connections too). Their paths.
fn make_cloud_disks(
    w: &mut Worker,
    plan: &VmPlan,
    image: &str,
    init: &super::cloud::CloudInit,
    made: &mut Made,
) -> Result<(String, String)> {
    let err = |m: String| crate::backend::Error::InvalidInput(m);
    // What the image is, as an upload reads it (a qcow2 header names its size).
    let (kind, file_size) = crate::backend::storage::transfer::image_kind(Path::new(image))
        .map_err(|e| err(format!("{image}: {e}")))?;
    let (format, capacity) = match kind {
        crate::backend::storage::transfer::Kind::Qcow2 { virtual_size } => ("qcow2", virtual_size),
        _ => ("raw", file_size),
    };
    let pool = default_pool(w, made)?;
    let name = free_volume_name(w, &pool, plan.name.trim())?;
    let disk = create_volume(
        w,
        &pool,
        &VolumeSpec {
            name,
            format: "qcow2".into(),
            capacity,
            backing: image.to_string(),
            backing_format: format.into(),
            ..Default::default()
        },
    )?;
    made.disk = Some(disk.clone());
    let dir = std::env::temp_dir().join(format!("hangar-seed-{}", std::process::id()));
    let seed_file = super::cloud::build_seed(init, plan.name.trim(), &dir).map_err(err)?;
    let bytes = std::fs::read(&seed_file).map_err(|e| err(e.to_string()))?;
    let _ = std::fs::remove_dir_all(&dir);
    let seed_name = format!("{}-cidata.iso", plan.name.trim());
    let seed = upload_bytes(w, &pool, &seed_name, &bytes)?;
    made.extra.push(seed.clone());
    Ok((disk, seed))
}

/// Put `bytes` into the pool as the raw volume `name` (replacing one of that name
/// made by an earlier attempt); its path. Through a stream: remote pools too.
fn upload_bytes(w: &mut Worker, pool: &str, name: &str, bytes: &[u8]) -> Result<String> {
    let conn = w.conn()?;
    let p = lookup_pool(conn, pool)?;
    if let Ok(old) = p.lookup_storage_vol_by_name(name) {
        let _ = old.delete(0);
    }
    let xml = format!(
        "<volume><name>{name}</name><capacity unit='bytes'>{}</capacity>\
         <target><format type='raw'/></target></volume>",
        bytes.len()
    );
    let v = virt::storage_vol::StorageVol::create_xml(&p, &xml, 0)?;
    let stream = virt::stream::Stream::new(conn, 0)?;
    v.upload(&stream, 0, bytes.len() as u64, 0)?;
    if !crate::backend::storage::transfer::send_all(&stream, bytes)? {
        let _ = v.delete(0);
        return Err(crate::backend::Error::InvalidState(crate::i18n::gettext(
            "The pool stopped taking the upload",
        )));
    }
    stream.finish()?;
    Ok(v.path()?)
}

/// The bytes at `url`: a `file://` path read here, else fetched through GIO.
fn fetch(url: &str) -> std::result::Result<Vec<u8>, String> {
    if let Some(path) = url.strip_prefix("file://") {
        return std::fs::read(path).map_err(|e| format!("{path}: {e}"));
    }
    use gio::prelude::FileExtManual;
    let f = gio::File::for_uri(url);
    f.load_contents(None::<&gio::Cancellable>)
        .map(|(b, _)| b.to_vec())
        .map_err(|e| format!("{url}: {e}"))
}

/// The script of an express install that goes into the initrd, as files for it.
fn initrd_files(plan: &VmPlan) -> Vec<(&str, &[u8])> {
    plan.unattended
        .iter()
        .filter(|u| u.injection == InjectionMethod::Initrd)
        .map(|u| (u.filename.as_str(), u.text.as_bytes()))
        .collect()
}

/// A kernel and an initrd (with the express install's script appended to it) put
/// into the default pool, where libvirt boots them from on any host; their paths.
fn upload_boot_files(
    w: &mut Worker,
    plan: &VmPlan,
    kernel: &[u8],
    initrd: &[u8],
    made: &mut Made,
) -> Result<(String, String)> {
    let files = initrd_files(plan);
    let initrd = if files.is_empty() {
        initrd.to_vec()
    } else {
        inject::append_to_initrd(initrd, &files)
    };
    let pool = default_pool(w, made)?;
    let name = plan.name.trim().to_string();
    let k = upload_bytes(w, &pool, &format!("{name}-vmlinuz"), kernel)?;
    made.extra.push(k.clone());
    let i = upload_bytes(w, &pool, &format!("{name}-initrd.img"), &initrd)?;
    made.extra.push(i.clone());
    Ok((k, i))
}

/// Put the express install's script where the installer reads it: into the initrd
/// of the disc's own installer (read out of the disc image; a direct kernel boot), or
/// on a disc of its own. A network install's initrd gets it when it is fetched.
fn place_script(w: &mut Worker, plan: &mut VmPlan, made: &mut Made) -> Result<()> {
    let err = crate::backend::Error::InvalidInput;
    let Some(mut u) = plan.unattended.clone() else {
        return Ok(());
    };
    let dir = std::env::temp_dir().join(format!("hangar-script-{}", std::process::id()));
    match (u.injection, &plan.source) {
        (InjectionMethod::Initrd, Source::Media { path }) => {
            let (Some(k), Some(i)) = (&u.media_kernel, &u.media_initrd) else {
                return Err(err(crate::i18n::gettext(
                    "libosinfo does not know where this disc keeps its installer: install without express installation",
                )));
            };
            let iso = Path::new(path);
            let kernel = inject::read_from_iso(iso, k, &dir).map_err(err);
            let initrd = inject::read_from_iso(iso, i, &dir).map_err(err);
            let _ = std::fs::remove_dir_all(&dir);
            let (kv, iv) = upload_boot_files(w, plan, &kernel?, &initrd?, made)?;
            u.kernel = kv;
            u.initrd = iv;
        }
        (InjectionMethod::Initrd, _) => {}
        (_, _) => {
            let disc = inject::build_config_disc(&u.filename, &u.text, &dir).map_err(err);
            let bytes = disc.and_then(|d| std::fs::read(d).map_err(|e| err(e.to_string())));
            let _ = std::fs::remove_dir_all(&dir);
            let pool = default_pool(w, made)?;
            let name = format!("{}-install-script.iso", plan.name.trim());
            u.config_disc = upload_bytes(w, &pool, &name, &bytes?)?;
            made.extra.push(u.config_disc.clone());
        }
    }
    plan.unattended = Some(u);
    Ok(())
}

/// Remove what was made for a machine that could not be made.
fn remove_made(conn: &virt::connect::Connect, made: &Made) {
    for path in made.disk.iter().chain(&made.extra) {
        if let Ok(v) = conn.lookup_storage_vol_by_path(path) {
            let _ = v.delete(0);
        }
    }
}

pub fn make_vm(w: &mut Worker, plan: &VmPlan, start: bool) -> Result<Made> {
    let mut made = Made::default();
    let r = make_vm_steps(w, plan, start, &mut made);
    if r.is_err() {
        // Nothing half-made: the volumes made for it go with the failure.
        if let Ok(conn) = w.conn() {
            remove_made(conn, &made);
        }
    }
    r.map(|()| made)
}

fn make_vm_steps(w: &mut Worker, plan: &VmPlan, start: bool, made: &mut Made) -> Result<()> {
    if let Some(net) = plan
        .network
        .as_ref()
        .filter(|n| !n.starts_with("bridge:") && !n.starts_with("macvtap:"))
    {
        match w.conn()?.lookup_network_by_name(net) {
            Ok(n) => {
                if !n.is_active()? {
                    n.create()?;
                    made.started_network = true;
                }
            }
            Err(_) if net == "default" => {
                let local = w.is_local();
                made.created_network = Some(make_default_network(w.conn()?, local)?);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut plan = plan.clone();
    if let Source::Url {
        url,
        kernel,
        initrd,
        cmdline,
    } = plan.source.clone()
    {
        let err = crate::backend::Error::InvalidInput;
        let kernel = fetch(&kernel).map_err(err)?;
        let initrd = fetch(&initrd).map_err(err)?;
        let (k, i) = upload_boot_files(w, &plan, &kernel, &initrd, made)?;
        plan.source = Source::Url {
            url,
            kernel: k,
            initrd: i,
            cmdline,
        };
    }
    place_script(w, &mut plan, made)?;
    if let Source::Cloud { image, init, .. } = plan.source.clone() {
        let (disk, seed) = make_cloud_disks(w, &plan, &image, &init, made)?;
        plan.source = Source::Cloud { image, init, seed };
        plan.disk = DiskChoice::Existing {
            path: disk,
            format: "qcow2".into(),
        };
    }
    if let DiskChoice::New { pool, bytes } = &plan.disk {
        let pools = list_pools(w.conn()?)?;
        let uuid = match pools.iter().find(|p| &p.name == pool) {
            Some(p) => p.uuid.clone(),
            None if pool == "default" => default_pool(w, made)?,
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
    let media = matches!(plan.source, Source::Media { .. } | Source::Url { .. });
    // Started from media: the first boot runs the install XML (the disc in, booted
    // first) as a transient domain, and the final definition (booting the disk, the
    // drive empty) takes over from the next start on — as virt-install does. To be
    // customized first, the definition is the install one, marked with what was made
    // for it (Discard removes exactly that).
    let d = if start && media {
        let d = conn.create_domain_xml(&plan.install_xml(), 0)?;
        // The same machine from now on: its UUID in the definition.
        let uuid = d.uuid_string()?;
        let final_xml =
            plan.to_xml()
                .replacen("</name>", &format!("</name><uuid>{uuid}</uuid>"), 1);
        if let Err(e) = conn.define_domain_xml(&final_xml) {
            // No definition, no machine: the install run stops too.
            let _ = d.destroy();
            return Err(e.into());
        }
        d
    } else if media {
        let made_paths: Vec<String> = made.disk.iter().chain(&made.extra).cloned().collect();
        conn.define_domain_xml(&plan.install_xml_marked(&made_paths))?
    } else {
        conn.define_domain_xml(&plan.to_xml())?
    };
    made.uuid = d.uuid_string()?;
    if start && !media {
        if let Err(e) = d.create() {
            let _ = d.undefine_flags(virt::sys::VIR_DOMAIN_UNDEFINE_NVRAM);
            return Err(e.into());
        }
    }
    made.started = start;
    w.refresh(&made.uuid.clone());
    w.queue_pools();
    w.queue_networks();
    Ok(())
}

impl Connection {
    /// Make the machine of `plan` (see [`make_vm`]); start it unless it is to be
    /// customized first.
    pub async fn make_vm(&self, plan: VmPlan, start: bool) -> Result<Made> {
        self.call(move |w| make_vm(w, &plan, start)).await
    }
}
