//! Storage pools: what the Storage page lists, the form of a new pool per type (its
//! checks and its XML), and the pool operations, each on the connection's worker.

use virt::connect::Connect;
use virt::sys;

use super::info::{list_pools, lookup_pool, PoolInfo};
use crate::backend::conn::worker::{Connection, Worker};
use crate::backend::xml::{Document, Element};
use crate::backend::{Error, Result};
use crate::i18n::{gettext, gettext_f};

/// The pool types Hangar can make, in the order the form offers them, with what each
/// needs (see [`PoolSpec`]).
pub const POOL_KINDS: &[&str] = &[
    "dir", "fs", "netfs", "logical", "disk", "iscsi", "scsi", "mpath", "rbd", "gluster", "zfs",
];

/// What a person calls a pool type.
pub fn kind_label(kind: &str) -> String {
    match kind {
        "dir" => gettext("Directory"),
        "fs" => gettext("Pre-formatted block device"),
        "netfs" => gettext("Network file system (NFS)"),
        "logical" => gettext("LVM volume group"),
        "disk" => gettext("Physical disk"),
        "iscsi" => gettext("iSCSI target"),
        "scsi" => gettext("SCSI host adapter"),
        "mpath" => gettext("Multipath devices"),
        "rbd" => gettext("Ceph RBD"),
        "gluster" => gettext("Gluster"),
        "zfs" => gettext("ZFS pool"),
        other => other.to_string(),
    }
}

/// Which pool types this libvirt can run (`virConnectGetStoragePoolCapabilities`), or
/// `None` when the driver cannot say (the test driver): then the form offers every type
/// and libvirt's own answer decides.
pub fn supported_kinds(conn: &Connect) -> Option<Vec<String>> {
    // SAFETY: `conn` is an open connection; the returned string is owned by us and
    // freed with libc::free after it is copied.
    let xml = unsafe {
        let p = sys::virConnectGetStoragePoolCapabilities(conn.as_ptr(), 0);
        if p.is_null() {
            return None;
        }
        let s = std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned();
        libc::free(p as *mut libc::c_void);
        s
    };
    Some(parse_pool_capabilities(&xml))
}

/// The supported types of a `<storagepoolCapabilities>` document.
pub fn parse_pool_capabilities(xml: &str) -> Vec<String> {
    let Ok(doc) = Document::parse(xml) else {
        return Vec::new();
    };
    doc.root
        .children_named("pool")
        .filter(|p| p.attr("supported") == Some("yes"))
        .filter_map(|p| p.attr("type").map(str::to_string))
        .collect()
}

/// A new pool as the form has it. Which fields count depends on `kind`:
/// - `dir`: `target`;
/// - `fs`: `device`, `format` (auto, ext4, xfs…), `target`;
/// - `netfs`: `host`, `source_dir` (the export), `target`;
/// - `logical`: `source_name` (the volume group), `device` (optional PV to build on);
/// - `disk`: `device`, `format` (gpt, dos…), `target` (`/dev`);
/// - `iscsi`: `host`, `source_dir` = the IQN, `target` (`/dev/disk/by-path`);
/// - `scsi`: `source_name` = the adapter (`host0`);
/// - `mpath`: nothing but the target (`/dev/mapper`);
/// - `rbd`, `gluster`: `host`, `source_name` (pool / volume);
/// - `zfs`: `source_name` (the zpool).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolSpec {
    pub kind: String,
    pub name: String,
    pub target: String,
    pub host: String,
    pub source_dir: String,
    pub device: String,
    pub source_name: String,
    pub format: String,
}

/// The fields the form shows for `kind`, in order.
pub fn fields_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "dir" => &["target"],
        "fs" => &["device", "format", "target"],
        "netfs" => &["host", "source_dir", "target"],
        "logical" => &["source_name", "device"],
        "disk" => &["device", "format", "target"],
        "iscsi" => &["host", "source_dir", "target"],
        "scsi" => &["source_name", "target"],
        "mpath" => &["target"],
        "rbd" | "gluster" => &["host", "source_name"],
        "zfs" => &["source_name"],
        _ => &[],
    }
}

/// What a field is called in the form of `kind`.
pub fn field_label(kind: &str, field: &str) -> String {
    match (kind, field) {
        (_, "target") => gettext("Target path"),
        ("iscsi", "source_dir") => gettext("Target IQN"),
        (_, "source_dir") => gettext("Exported directory"),
        (_, "host") => gettext("Host"),
        ("logical", "device") => gettext("Physical volume (optional)"),
        (_, "device") => gettext("Device"),
        ("logical", "source_name") => gettext("Volume group"),
        ("scsi", "source_name") => gettext("Adapter"),
        ("rbd", "source_name") => gettext("Ceph pool"),
        ("gluster", "source_name") => gettext("Gluster volume"),
        ("zfs", "source_name") => gettext("ZFS pool"),
        (_, "source_name") => gettext("Source name"),
        ("disk", "format") => gettext("Partition table"),
        (_, "format") => gettext("File system"),
        _ => field.to_string(),
    }
}

/// What a field starts with for `kind` (the form's defaults, as virt-manager's).
pub fn field_default(kind: &str, field: &str, name: &str) -> String {
    match (kind, field) {
        ("dir" | "fs" | "netfs", "target") => format!("/var/lib/libvirt/images/{name}"),
        ("disk", "target") => "/dev".into(),
        ("iscsi", "target") => "/dev/disk/by-path".into(),
        ("scsi", "target") => "/dev/disk/by-path".into(),
        ("mpath", "target") => "/dev/mapper".into(),
        ("fs", "format") => "auto".into(),
        ("disk", "format") => "gpt".into(),
        _ => String::new(),
    }
}

/// A pool name libvirt and file systems take: not empty, no `/`, not taken.
pub fn check_pool_name(name: &str, taken: &[String]) -> Option<String> {
    let n = name.trim();
    if n.is_empty() {
        return Some(gettext("The pool needs a name"));
    }
    if n.contains('/') || n == "." || n == ".." {
        return Some(gettext("A pool name cannot contain “/”"));
    }
    if n.chars().any(char::is_whitespace) {
        return Some(gettext("A pool name cannot contain spaces"));
    }
    if taken.iter().any(|t| t == n) {
        return Some(gettext_f(
            "A pool named “{name}” exists already",
            &[("name", n)],
        ));
    }
    None
}

/// Why a field of the form is wrong, as typed; `None` when it is fine.
pub fn check_field(kind: &str, field: &str, value: &str) -> Option<String> {
    let v = value.trim();
    let optional = kind == "logical" && field == "device";
    if v.is_empty() {
        if optional || (field == "format" && kind == "fs") {
            return None;
        }
        return Some(gettext_f(
            "{field} is needed",
            &[("field", &field_label(kind, field))],
        ));
    }
    match field {
        "target" | "device" if !v.starts_with('/') => Some(gettext_f(
            "{field} must be an absolute path (starting with “/”)",
            &[("field", &field_label(kind, field))],
        )),
        "source_dir" if kind == "netfs" && !v.starts_with('/') => Some(gettext(
            "The export is a path on the server, starting with “/”",
        )),
        "source_dir" if kind == "iscsi" && !v.starts_with("iqn.") && !v.starts_with("eui.") => {
            Some(gettext("An iSCSI name starts with “iqn.” or “eui.”"))
        }
        "host" if v.contains(char::is_whitespace) || v.contains('/') => {
            Some(gettext("A host name or address, without spaces or “/”"))
        }
        "source_name" if v.contains(char::is_whitespace) => Some(gettext("A name without spaces")),
        _ => None,
    }
}

/// Every problem of the form, field by field (`name` included).
pub fn check_spec(spec: &PoolSpec, taken: &[String]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(e) = check_pool_name(&spec.name, taken) {
        out.push(("name", e));
    }
    for f in fields_of(&spec.kind) {
        if let Some(e) = check_field(&spec.kind, f, spec.value(f)) {
            out.push((f, e));
        }
    }
    out
}

impl PoolSpec {
    pub fn value(&self, field: &str) -> &str {
        match field {
            "name" => &self.name,
            "target" => &self.target,
            "host" => &self.host,
            "source_dir" => &self.source_dir,
            "device" => &self.device,
            "source_name" => &self.source_name,
            "format" => &self.format,
            _ => "",
        }
    }

    pub fn set(&mut self, field: &str, v: &str) {
        let v = v.trim().to_string();
        match field {
            "name" => self.name = v,
            "target" => self.target = v,
            "host" => self.host = v,
            "source_dir" => self.source_dir = v,
            "device" => self.device = v,
            "source_name" => self.source_name = v,
            "format" => self.format = v,
            _ => {}
        }
    }

    /// The pool's XML, as libvirt's schema (storagepool.rng) has it.
    pub fn to_xml(&self) -> String {
        let k = self.kind.as_str();
        let mut pool = Element::new("pool").with_attr("type", k);
        pool.append_child(Element::new("name").with_text(self.name.trim()));
        let mut source = Element::new("source");
        let has = |f: &str| fields_of(k).contains(&f) && !self.value(f).is_empty();
        if has("host") {
            source.append_child(Element::new("host").with_attr("name", &self.host));
        }
        if has("device") {
            source.append_child(Element::new("device").with_attr("path", &self.device));
        }
        if has("source_dir") {
            if k == "iscsi" {
                source.append_child(Element::new("device").with_attr("path", &self.source_dir));
            } else {
                source.append_child(Element::new("dir").with_attr("path", &self.source_dir));
            }
        }
        if has("source_name") {
            if k == "scsi" {
                source.append_child(
                    Element::new("adapter")
                        .with_attr("type", "scsi_host")
                        .with_attr("name", &self.source_name),
                );
            } else {
                source.append_child(Element::new("name").with_text(&self.source_name));
            }
        }
        if k == "netfs" {
            source.append_child(Element::new("format").with_attr("type", "nfs"));
        } else if has("format") {
            source.append_child(Element::new("format").with_attr("type", &self.format));
        }
        if k != "dir" && k != "mpath" {
            pool.append_child(source);
        }
        let target_path = if k == "logical" {
            // libvirt puts a volume group's volumes under /dev/<vg>.
            format!("/dev/{}", self.source_name)
        } else {
            self.target.clone()
        };
        if fields_of(k).contains(&"target") || k == "logical" {
            pool.append_child(
                Element::new("target").with_child(Element::new("path").with_text(&target_path)),
            );
        }
        Document::new(pool).to_xml()
    }

    /// Whether building this pool formats or partitions a device (the form warns).
    pub fn build_destroys_data(&self) -> bool {
        matches!(self.kind.as_str(), "fs" | "disk")
            || (self.kind == "logical" && !self.device.is_empty())
    }
}

/// Define a pool from `spec`, build it when asked (a directory is made; a device is
/// formatted only with `build` — the form says so), start it and set autostart. On a
/// failure after the definition, the definition is taken back: nothing half-made stays.
pub fn create_pool(
    w: &mut Worker,
    spec: &PoolSpec,
    build: bool,
    autostart: bool,
) -> Result<String> {
    let conn = w.conn()?;
    let taken: Vec<String> = list_pools(conn)?.into_iter().map(|p| p.name).collect();
    if let Some((_, why)) = check_spec(spec, &taken).into_iter().next() {
        return Err(Error::InvalidInput(why));
    }
    let pool = conn.define_storage_pool_xml(&spec.to_xml(), 0)?;
    let finish = || -> Result<()> {
        if spec.kind == "dir" {
            pool.build(0)?;
        } else if build {
            // Format or partition only what holds nothing: a device with a file system
            // or a volume group on it is refused by libvirt, not overwritten.
            pool.build(sys::VIR_STORAGE_POOL_BUILD_NO_OVERWRITE)?;
        }
        pool.create(0)?;
        if autostart {
            pool.set_autostart(true)?;
        }
        Ok(())
    };
    if let Err(e) = finish() {
        let _ = pool.destroy();
        let _ = pool.undefine();
        return Err(e);
    }
    Ok(pool.uuid_string()?)
}

/// The pool virt-install and virt-manager use when nothing else is said: `default`, a
/// directory at /var/lib/libvirt/images.
pub fn default_pool_spec() -> PoolSpec {
    PoolSpec {
        kind: "dir".into(),
        name: "default".into(),
        target: "/var/lib/libvirt/images".into(),
        ..Default::default()
    }
}

/// What an operation on a pool does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolOp {
    Start,
    Stop,
    Refresh,
    Autostart(bool),
    /// Undefine (stopped first); the contents stay.
    Undefine,
    /// Delete what the pool holds on disk (`virStoragePoolDelete`: the directory, the
    /// VG…), stop it and undefine it. Only behind a confirmation naming it.
    DeleteWithContents,
}

pub fn pool_op(w: &mut Worker, uuid: &str, op: PoolOp) -> Result<()> {
    let p = lookup_pool(w.conn()?, uuid)?;
    match op {
        PoolOp::Start => p.create(0)?,
        PoolOp::Stop => p.destroy()?,
        PoolOp::Refresh => p.refresh(0)?,
        PoolOp::Autostart(on) => {
            p.set_autostart(on)?;
        }
        PoolOp::Undefine => {
            if p.is_active().unwrap_or(false) {
                p.destroy()?;
            }
            p.undefine()?;
        }
        PoolOp::DeleteWithContents => {
            if p.is_active().unwrap_or(false) {
                // Its volumes first: a directory with files in it is not removed.
                for v in p.list_all_volumes(0)? {
                    v.delete(0)?;
                }
                p.destroy()?;
            }
            p.delete(0)?;
            p.undefine()?;
        }
    }
    Ok(())
}

/// A source libvirt found for a pool type: what fills the form's fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FoundSource {
    pub host: String,
    pub source_dir: String,
    pub source_name: String,
    pub device: String,
    pub format: String,
}

impl FoundSource {
    /// How the list of found sources shows it.
    pub fn label(&self) -> String {
        match (
            self.host.is_empty(),
            self.source_dir.is_empty(),
            self.source_name.is_empty(),
        ) {
            (false, false, _) => format!("{}:{}", self.host, self.source_dir),
            (_, _, false) if !self.device.is_empty() => {
                format!("{} ({})", self.source_name, self.device)
            }
            (_, _, false) => self.source_name.clone(),
            _ => self.device.clone(),
        }
    }
}

/// The `<sources>` document `virConnectFindStoragePoolSources` answers.
pub fn parse_found_sources(xml: &str) -> Vec<FoundSource> {
    let Ok(doc) = Document::parse(xml) else {
        return Vec::new();
    };
    doc.root
        .children_named("source")
        .map(|s| FoundSource {
            host: s
                .child("host")
                .and_then(|h| h.attr("name"))
                .unwrap_or_default()
                .into(),
            source_dir: s
                .child("dir")
                .and_then(|d| d.attr("path"))
                .unwrap_or_default()
                .into(),
            source_name: s
                .child("name")
                .map(|n| n.text().trim().to_string())
                .unwrap_or_default(),
            device: s
                .children_named("device")
                .filter_map(|d| d.attr("path"))
                .collect::<Vec<_>>()
                .join(", "),
            format: s
                .child("format")
                .and_then(|f| f.attr("type"))
                .unwrap_or_default()
                .into(),
        })
        .collect()
}

/// Which pool types libvirt can look for sources of, and what it needs to be told.
pub fn discovers(kind: &str) -> Option<&'static str> {
    match kind {
        // The NFS server's exports (it needs the host).
        "netfs" => Some("host"),
        // The volume groups this host has.
        "logical" => Some(""),
        _ => None,
    }
}

/// Ask libvirt for the sources of `kind` (for `netfs`, on `host`).
pub fn find_sources(conn: &Connect, kind: &str, host: &str) -> Result<Vec<FoundSource>> {
    let spec = (kind == "netfs").then(|| {
        Document::new(
            Element::new("source").with_child(Element::new("host").with_attr("name", host)),
        )
        .to_xml()
    });
    let xml = conn.find_storage_pool_sources(kind, spec.as_deref(), 0)?;
    Ok(parse_found_sources(&xml))
}

impl Connection {
    /// The sources libvirt finds for a pool type (NFS exports of a host, volume groups).
    pub async fn find_pool_sources(&self, kind: String, host: String) -> Result<Vec<FoundSource>> {
        self.call(move |w| find_sources(w.conn()?, &kind, &host))
            .await
    }

    /// Every storage pool.
    pub async fn pools(&self) -> Result<Vec<PoolInfo>> {
        self.call(|w| list_pools(w.conn()?)).await
    }

    /// The pool types this libvirt supports (`None`: it cannot say).
    pub async fn supported_pool_kinds(&self) -> Result<Option<Vec<String>>> {
        self.call(|w| Ok(supported_kinds(w.conn()?))).await
    }

    /// Make a pool (see [`create_pool`]); its UUID. The pool list follows.
    pub async fn create_pool(
        &self,
        spec: PoolSpec,
        build: bool,
        autostart: bool,
    ) -> Result<String> {
        self.call(move |w| {
            let r = create_pool(w, &spec, build, autostart);
            w.queue_pools();
            r
        })
        .await
    }

    /// Start, stop, refresh, autostart or delete a pool. The pool list follows.
    pub async fn pool_op(&self, uuid: String, op: PoolOp) -> Result<()> {
        self.call(move |w| {
            let r = pool_op(w, &uuid, op);
            w.queue_pools();
            r
        })
        .await
    }

    /// A pool's XML.
    pub async fn pool_xml(&self, uuid: String) -> Result<String> {
        self.call(move |w| Ok(lookup_pool(w.conn()?, &uuid)?.xml_desc(0)?))
            .await
    }
}
