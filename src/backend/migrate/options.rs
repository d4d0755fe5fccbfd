//! A migration's options, as libvirt's `VIR_MIGRATE_*` flags and typed parameters.

use virt::domain::MigrateParameters;
use virt::sys;

/// Copying the disks with the guest (non-shared storage).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CopyStorage {
    /// The disks are on storage both hosts see.
    #[default]
    None,
    /// Every block of each disk (`VIR_MIGRATE_NON_SHARED_DISK`).
    Full,
    /// Only what the top image holds, its backing chain already there
    /// (`VIR_MIGRATE_NON_SHARED_INC`).
    Incremental,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateOptions {
    /// A running guest moves live; a shut-off one moves its definition (offline).
    pub live: bool,
    pub copy_storage: CopyStorage,
    /// Defined on the destination (on by default, as virt-manager).
    pub persist: bool,
    /// Undefined here once it runs there (on by default).
    pub undefine_source: bool,
    /// The source's libvirtd talks to the destination's (it needs its own access).
    pub peer_to_peer: bool,
    /// The data goes through libvirt's connection (peer to peer only).
    pub tunnelled: bool,
    /// Even when libvirt thinks the guest's disks could be corrupted (caches).
    pub unsafe_migration: bool,
    pub compressed: bool,
    pub auto_converge: bool,
    /// Switch to post-copy when pre-copy does not converge (libvirt starts it on
    /// request: `virDomainMigrateStartPostCopy`).
    pub postcopy: bool,
    /// MiB/s; None: as fast as it goes.
    pub bandwidth_mib: Option<u64>,
    /// The longest pause allowed at the switch, in milliseconds.
    pub max_downtime_ms: Option<u64>,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            live: true,
            copy_storage: CopyStorage::None,
            persist: true,
            undefine_source: true,
            peer_to_peer: false,
            tunnelled: false,
            unsafe_migration: false,
            compressed: false,
            auto_converge: false,
            postcopy: false,
            bandwidth_mib: None,
            max_downtime_ms: None,
        }
    }
}

impl MigrateOptions {
    pub fn flags(&self) -> u32 {
        let mut f = 0;
        if self.live {
            f |= sys::VIR_MIGRATE_LIVE;
            match self.copy_storage {
                CopyStorage::None => {}
                CopyStorage::Full => f |= sys::VIR_MIGRATE_NON_SHARED_DISK,
                CopyStorage::Incremental => f |= sys::VIR_MIGRATE_NON_SHARED_INC,
            }
            if self.compressed {
                f |= sys::VIR_MIGRATE_COMPRESSED;
            }
            if self.auto_converge {
                f |= sys::VIR_MIGRATE_AUTO_CONVERGE;
            }
            if self.postcopy {
                f |= sys::VIR_MIGRATE_POSTCOPY;
            }
        } else {
            // A shut-off guest: its definition moves, and must stay there.
            f |= sys::VIR_MIGRATE_OFFLINE | sys::VIR_MIGRATE_PERSIST_DEST;
        }
        if self.persist {
            f |= sys::VIR_MIGRATE_PERSIST_DEST;
        }
        if self.undefine_source {
            f |= sys::VIR_MIGRATE_UNDEFINE_SOURCE;
        }
        if self.peer_to_peer {
            f |= sys::VIR_MIGRATE_PEER2PEER;
            if self.tunnelled {
                f |= sys::VIR_MIGRATE_TUNNELLED;
            }
        }
        if self.unsafe_migration {
            f |= sys::VIR_MIGRATE_UNSAFE;
        }
        f
    }

    /// The typed parameters: where QEMU sends the data (`tcp://HOST` of the
    /// destination, when its URI names one), the destination's XML (disks at their
    /// new paths, networks mapped), the disks to copy, the bandwidth.
    pub fn parameters(
        &self,
        migrate_host: Option<&str>,
        dest_xml: Option<&str>,
        persist_xml: Option<&str>,
        disks: &[String],
    ) -> MigrateParameters {
        let mut p = MigrateParameters::default();
        if !self.tunnelled || !self.peer_to_peer {
            p.uri = migrate_host.map(|h| format!("tcp://{h}"));
        }
        p.dest_xml = dest_xml.map(str::to_string);
        if self.persist || !self.live {
            p.persist_xml = persist_xml.map(str::to_string);
        }
        if self.live && self.copy_storage != CopyStorage::None {
            p.migrate_disks = disks.to_vec();
        }
        p.bandwidth = self.bandwidth_mib;
        p
    }
}

/// The host part of a libvirt URI (`qemu+ssh://root@10.0.0.2:2222/system` →
/// `10.0.0.2`), None for a local one.
pub fn uri_host(uri: &str) -> Option<String> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default()
    };
    (!host.is_empty()).then(|| host.to_string())
}
