//! The built-in demo hypervisor: libvirt's test driver on a node file shipped inside
//! the binary, so a newcomer without libvirt sees a populated window at once.

use std::path::PathBuf;

use crate::backend::conn::uri::DEMO_URI;
use crate::backend::{Error, Result};

/// The demo lab: a dozen domains in every state, two networks, a pool, snapshots.
pub const DEMO_NODE_XML: &str = include_str!("../../../data/demo/demo-node.xml");

/// Write the node file where the test driver can read it and return its path. The file
/// is rewritten only when its content differs, so several Hangar processes agree.
pub fn node_file() -> Result<PathBuf> {
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .unwrap_or_else(std::env::temp_dir)
        .join("hangar");
    std::fs::create_dir_all(&dir).map_err(|e| Error::Io(format!("{}: {e}", dir.display())))?;
    let path = dir.join("demo-node.xml");
    let current = std::fs::read_to_string(&path).ok();
    if current.as_deref() != Some(DEMO_NODE_XML) {
        let tmp = dir.join(format!("demo-node.xml.{}", std::process::id()));
        std::fs::write(&tmp, DEMO_NODE_XML)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
    }
    Ok(path)
}

/// The URI libvirt is given for a remembered URI: the demo pseudo-URI becomes the
/// test driver on the demo node file; anything else is passed through.
pub fn libvirt_uri(uri: &str) -> Result<String> {
    if uri == DEMO_URI {
        Ok(format!("test://{}", node_file()?.display()))
    } else {
        Ok(uri.to_string())
    }
}
