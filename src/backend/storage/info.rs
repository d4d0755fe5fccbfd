//! What the lists show of a storage pool, read on the connection's worker (the worker
//! sends the whole list after every pool event).

use virt::connect::Connect;
use virt::storage_pool::StoragePool;

use crate::backend::xml::{Document, Element};
use crate::backend::Result;

/// One pool as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoolInfo {
    pub uuid: String,
    pub name: String,
    /// `dir`, `fs`, `netfs`, `logical`, `disk`, `iscsi`…
    pub kind: String,
    pub active: bool,
    pub autostart: bool,
    pub persistent: bool,
    /// Bytes (0 while inactive: libvirt does not know).
    pub capacity: u64,
    pub allocation: u64,
    pub available: u64,
    /// `<target><path>`: where its volumes are (a directory, a VG's /dev path…).
    pub path: String,
    /// Where it comes from, in a few words: "nfs.example:/export", "/dev/sdb1"…
    pub source: String,
}

fn text_at(root: &Element, path: &[&str]) -> String {
    root.find(path)
        .map(|e| e.text().trim().to_string())
        .unwrap_or_default()
}

fn attr_at(root: &Element, path: &[&str], attr: &str) -> String {
    root.find(path)
        .and_then(|e| e.attr(attr))
        .unwrap_or_default()
        .to_string()
}

/// The kind, target path and source summary of a pool's XML.
pub fn parse_pool_xml(xml: &str) -> (String, String, String) {
    let Ok(doc) = Document::parse(xml) else {
        return Default::default();
    };
    let r = &doc.root;
    let kind = r.attr("type").unwrap_or_default().to_string();
    let path = text_at(r, &["target", "path"]);
    let host = attr_at(r, &["source", "host"], "name");
    let dir = attr_at(r, &["source", "dir"], "path");
    let device = attr_at(r, &["source", "device"], "path");
    let name = text_at(r, &["source", "name"]);
    let source = match (host.is_empty(), dir.is_empty(), device.is_empty()) {
        (false, false, _) => format!("{host}:{dir}"),
        (false, true, false) => format!("{host} {device}"),
        (false, true, true) if !name.is_empty() => format!("{host}/{name}"),
        (false, true, true) => host,
        (true, _, false) => device,
        _ => name,
    };
    (kind, path, source)
}

fn pool_info(p: &StoragePool) -> Result<PoolInfo> {
    let xml = p.xml_desc(0)?;
    let (kind, path, source) = parse_pool_xml(&xml);
    let active = p.is_active().unwrap_or(false);
    let (capacity, allocation, available) = match p.info() {
        Ok(i) if active => (i.capacity, i.allocation, i.available),
        _ => (0, 0, 0),
    };
    Ok(PoolInfo {
        uuid: p.uuid_string()?,
        name: p.name()?,
        kind,
        active,
        autostart: p.autostart().unwrap_or(false),
        persistent: p.is_persistent().unwrap_or(true),
        capacity,
        allocation,
        available,
        path,
        source,
    })
}

/// Every pool of the connection, by name.
pub fn list_pools(conn: &Connect) -> Result<Vec<PoolInfo>> {
    let mut out = Vec::new();
    for p in conn.list_all_storage_pools(0)? {
        match pool_info(&p) {
            Ok(i) => out.push(i),
            // Undefined between the list and the read: not there any more.
            Err(e) => tracing::debug!("pool read: {e}"),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// A pool by UUID.
pub fn lookup_pool(conn: &Connect, uuid: &str) -> Result<StoragePool> {
    Ok(conn.lookup_storage_pool_by_uuid_string(uuid)?)
}
