//! Minimum, recommended and maximum resources of an OS per architecture, with
//! libosinfo's inheritance (an entry marked `inherit="true"` takes what it lacks from
//! the OS it derives from: `linux2022` from Ubuntu 22.04).

use super::db::OsinfoDb;
use super::error::Result;
use super::object::{EntityExt, Resources};

const GIB: u64 = 1024 * 1024 * 1024;

/// CPU, memory and storage figures; `None` where the database does not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub n_cpus: Option<u32>,
    /// CPU speed in Hz.
    pub cpu_hz: Option<u64>,
    /// Bytes.
    pub ram: Option<u64>,
    /// Bytes.
    pub storage: Option<u64>,
}

impl Figures {
    fn from(r: &Resources) -> Figures {
        let pos = |v: i64| u64::try_from(v).ok().filter(|v| *v > 0);
        Figures {
            n_cpus: u32::try_from(r.n_cpus()).ok().filter(|n| *n > 0),
            cpu_hz: pos(r.cpu()),
            ram: pos(r.ram()),
            storage: pos(r.storage()),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Figures::default()
    }
}

/// The figures of one architecture (`x86_64`, or `all` for every architecture).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchResources {
    pub arch: String,
    pub minimum: Figures,
    pub recommended: Figures,
    pub maximum: Figures,
    /// What a network installation needs (more memory, for the installer's download).
    pub network_install: Figures,
}

/// Every architecture's figures of one OS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsResources {
    pub os_id: String,
    pub per_arch: Vec<ArchResources>,
}

/// What the wizard proposes: memory and vCPUs on the Memory page, the disk size on the
/// Storage page, before limiting them to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suggestion {
    pub memory: u64,
    pub vcpus: u32,
    pub storage: u64,
    /// The OS's minimum, to refuse less (`None`: the database says none).
    pub min_memory: Option<u64>,
    pub min_vcpus: Option<u32>,
    pub min_storage: Option<u64>,
}

impl OsResources {
    /// The figures for `arch`: for each of minimum, recommended, maximum and network
    /// install, the entry of `arch` when the database has one, else the `all` entry.
    pub fn for_arch(&self, arch: &str) -> ArchResources {
        let pick = |f: &dyn Fn(&ArchResources) -> Figures| {
            self.per_arch
                .iter()
                .find(|r| r.arch == arch && !f(r).is_empty())
                .or_else(|| {
                    self.per_arch
                        .iter()
                        .find(|r| r.arch == "all" && !f(r).is_empty())
                })
                .map(f)
                .unwrap_or_default()
        };
        ArchResources {
            arch: arch.to_string(),
            minimum: pick(&|r| r.minimum),
            recommended: pick(&|r| r.recommended),
            maximum: pick(&|r| r.maximum),
            network_install: pick(&|r| r.network_install),
        }
    }

    /// The wizard's starting values: the recommended memory and vCPUs, else twice the
    /// minimum, else 2 GiB and 2 vCPUs; the recommended storage, else 20 GiB (never
    /// less than the minimum). A network install gets at least its own memory figure.
    pub fn suggest(&self, arch: &str, network_install: bool) -> Suggestion {
        let r = self.for_arch(arch);
        let mut memory = r
            .recommended
            .ram
            .or(r.minimum.ram.map(|m| m.saturating_mul(2)))
            .unwrap_or(2 * GIB);
        if network_install {
            if let Some(n) = r.network_install.ram {
                memory = memory.max(n);
            }
        }
        let vcpus = r
            .recommended
            .n_cpus
            .or(r.minimum.n_cpus.map(|n| n.saturating_mul(2)))
            .unwrap_or(2);
        let storage = r
            .recommended
            .storage
            .unwrap_or(20 * GIB)
            .max(r.minimum.storage.unwrap_or(0));
        Suggestion {
            memory,
            vcpus,
            storage,
            min_memory: r.minimum.ram,
            min_vcpus: r.minimum.n_cpus,
            min_storage: r.minimum.storage,
        }
    }
}

fn by_arch(list: &[Resources]) -> Vec<(String, Figures)> {
    list.iter()
        .map(|r| {
            (
                r.architecture().unwrap_or_else(|| "all".into()),
                Figures::from(r),
            )
        })
        .collect()
}

impl OsinfoDb {
    /// The resources of `os` (full or short id) for every architecture the database
    /// lists, inheritance applied by libosinfo.
    pub fn resources(&self, os: &str) -> Result<OsResources> {
        let o = self.lookup(os)?;
        let lists = [
            by_arch(&o.minimum_resources()),
            by_arch(&o.recommended_resources()),
            by_arch(&o.maximum_resources()),
            by_arch(&o.network_install_resources()),
        ];
        let mut per_arch: Vec<ArchResources> = Vec::new();
        for (kind, list) in lists.iter().enumerate() {
            for (arch, figures) in list {
                let i = match per_arch.iter().position(|r| &r.arch == arch) {
                    Some(i) => i,
                    None => {
                        per_arch.push(ArchResources {
                            arch: arch.clone(),
                            ..Default::default()
                        });
                        per_arch.len() - 1
                    }
                };
                let slot = match kind {
                    0 => &mut per_arch[i].minimum,
                    1 => &mut per_arch[i].recommended,
                    2 => &mut per_arch[i].maximum,
                    _ => &mut per_arch[i].network_install,
                };
                *slot = *figures;
            }
        }
        per_arch.sort_by(|a, b| a.arch.cmp(&b.arch));
        Ok(OsResources {
            os_id: o.id(),
            per_arch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(cpus: u32, ram_gib: u64, storage_gib: u64) -> Figures {
        Figures {
            n_cpus: Some(cpus),
            cpu_hz: None,
            ram: Some(ram_gib * GIB),
            storage: Some(storage_gib * GIB),
        }
    }

    #[test]
    fn the_architecture_entry_wins_over_all_and_recommended_over_minimum() {
        let r = OsResources {
            os_id: "x".into(),
            per_arch: vec![
                ArchResources {
                    arch: "all".into(),
                    minimum: figures(1, 1, 10),
                    recommended: figures(2, 2, 20),
                    ..Default::default()
                },
                ArchResources {
                    arch: "x86_64".into(),
                    minimum: figures(2, 4, 64),
                    ..Default::default()
                },
            ],
        };
        let s = r.suggest("x86_64", false);
        // x86_64 has only a minimum: the `all` entry's recommendation applies.
        assert_eq!((s.memory, s.vcpus, s.storage), (2 * GIB, 2, 64 * GIB));
        assert_eq!(s.min_memory, Some(4 * GIB));
        let s = r.suggest("aarch64", false);
        assert_eq!((s.memory, s.vcpus, s.storage), (2 * GIB, 2, 20 * GIB));
    }

    #[test]
    fn without_a_recommendation_twice_the_minimum_else_the_defaults() {
        let only_min = OsResources {
            os_id: "x".into(),
            per_arch: vec![ArchResources {
                arch: "x86_64".into(),
                minimum: figures(1, 3, 30),
                ..Default::default()
            }],
        };
        let s = only_min.suggest("x86_64", false);
        assert_eq!((s.memory, s.vcpus, s.storage), (6 * GIB, 2, 30 * GIB));
        let s = OsResources::default().suggest("x86_64", false);
        assert_eq!((s.memory, s.vcpus, s.storage), (2 * GIB, 2, 20 * GIB));
        assert_eq!(s.min_memory, None);
    }
}
