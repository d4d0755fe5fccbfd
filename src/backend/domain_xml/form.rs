//! The form of each section (the rows the Hardware page shows), setting one field from
//! what was typed, and validating a section or the whole domain.

use crate::backend::xml::Element;
use crate::i18n::{gettext, gettext_f};

use super::{
    config::*, device_form::*, document::*, fields::*, kinds::*, tree::*, validate::*, views::*,
};

impl DomainXml {
    /// The fields of a section, with their current values.
    pub fn form(&self, section: Section) -> Vec<FieldSpec> {
        match section {
            Section::General => {
                let g = self.general();
                vec![
                    spec("name", gettext("Name"), FieldKind::Text, g.name),
                    spec("title", gettext("Title"), FieldKind::Text, g.title),
                    spec(
                        "description",
                        gettext("Description"),
                        FieldKind::LongText,
                        g.description,
                    ),
                    spec(
                        "uuid",
                        "UUID".to_string(),
                        FieldKind::ReadOnly,
                        self.uuid().unwrap_or_default(),
                    ),
                ]
            }
            Section::Cpu => {
                let c = self.cpu();
                let t = c.topology.unwrap_or_default();
                let mut f = vec![
                    spec(
                        "vcpus",
                        gettext("Virtual CPUs"),
                        FieldKind::Number { min: 1, max: 4096 },
                        c.current.unwrap_or(c.max).to_string(),
                    ),
                    spec(
                        "max_vcpus",
                        gettext("Maximum Virtual CPUs"),
                        FieldKind::Number { min: 1, max: 4096 },
                        c.max.to_string(),
                    ),
                    spec(
                        "cpu_mode",
                        gettext("CPU Model"),
                        FieldKind::Choice(vec![
                            ("default".into(), gettext("Hypervisor Default")),
                            ("host-passthrough".into(), gettext("Host Passthrough")),
                            ("host-model".into(), gettext("Host Model")),
                            ("maximum".into(), gettext("Maximum")),
                            ("custom".into(), gettext("Named Model")),
                        ]),
                        c.mode.id(),
                    ),
                    spec(
                        "cpu_model",
                        gettext("Named Model"),
                        FieldKind::Text,
                        c.model.unwrap_or_default(),
                    ),
                    spec(
                        "topology",
                        gettext("Manual Topology"),
                        FieldKind::Toggle,
                        yes(c.topology.is_some()),
                    ),
                ];
                if c.mode != CpuMode::Custom {
                    f.retain(|s| s.id != "cpu_model");
                }
                if c.topology.is_some() {
                    for (id, label, v) in [
                        ("sockets", gettext("Sockets"), t.sockets),
                        ("cores", gettext("Cores"), t.cores),
                        ("threads", gettext("Threads"), t.threads),
                    ] {
                        f.push(spec(
                            id,
                            label,
                            FieldKind::Number { min: 1, max: 4096 },
                            v.to_string(),
                        ));
                    }
                }
                f
            }
            Section::Memory => {
                let m = self.memory();
                vec![
                    spec(
                        "memory",
                        gettext("Current Memory (MiB)"),
                        FieldKind::Number {
                            min: 1,
                            max: u64::MAX / MIB,
                        },
                        (m.current_kib.unwrap_or(m.max_kib) / MIB).to_string(),
                    ),
                    spec(
                        "max_memory",
                        gettext("Maximum Memory (MiB)"),
                        FieldKind::Number {
                            min: 1,
                            max: u64::MAX / MIB,
                        },
                        (m.max_kib / MIB).to_string(),
                    ),
                    spec(
                        "shared",
                        gettext("Shared Memory (for virtiofs)"),
                        FieldKind::Toggle,
                        yes(m.shared),
                    ),
                ]
            }
            Section::Boot => {
                let b = self.boot();
                let entries = self.boot_entries();
                vec![
                    spec(
                        "firmware",
                        gettext("Firmware"),
                        FieldKind::Choice(vec![
                            ("bios".into(), "BIOS".into()),
                            ("uefi".into(), "UEFI".into()),
                        ]),
                        match b.firmware {
                            Firmware::Bios => "bios",
                            Firmware::Uefi => "uefi",
                        },
                    ),
                    // Secure boot is a UEFI feature: with BIOS the row says so, unless
                    // the definition has it on anyway (then it can be switched off).
                    if b.firmware == Firmware::Bios && !b.secure_boot {
                        spec(
                            "secure_boot",
                            gettext("Secure Boot"),
                            FieldKind::ReadOnly,
                            gettext("Only with UEFI firmware"),
                        )
                    } else {
                        spec(
                            "secure_boot",
                            gettext("Secure Boot"),
                            FieldKind::Toggle,
                            yes(b.secure_boot),
                        )
                    },
                    spec(
                        "boot_order",
                        gettext("Boot Order"),
                        FieldKind::BootOrder(entries.clone()),
                        boot_order_value(&entries),
                    ),
                    spec(
                        "boot_menu",
                        gettext("Boot Menu"),
                        FieldKind::Toggle,
                        yes(b.menu),
                    ),
                    spec(
                        "boot_menu_timeout",
                        gettext("Boot Menu Timeout (seconds)"),
                        FieldKind::Number { min: 0, max: 65 },
                        b.menu_timeout_ms
                            .map(|t| (t / 1000).to_string())
                            .unwrap_or_default(),
                    ),
                    spec(
                        "kernel",
                        gettext("Kernel Path"),
                        FieldKind::Text,
                        b.kernel.unwrap_or_default(),
                    ),
                    spec(
                        "initrd",
                        gettext("Initrd Path"),
                        FieldKind::Text,
                        b.initrd.unwrap_or_default(),
                    ),
                    spec(
                        "cmdline",
                        gettext("Kernel Arguments"),
                        FieldKind::Text,
                        b.cmdline.unwrap_or_default(),
                    ),
                ]
            }
            Section::Device(i) => match self.device(i) {
                Some(el) => device_form(el),
                None => Vec::new(),
            },
        }
    }

    /// Set one field from its text. An error means the text cannot be taken at all
    /// (not a number…); the document is then unchanged.
    pub fn set_field(&mut self, section: Section, id: &str, value: &str) -> Result<(), String> {
        match section {
            Section::General => {
                let mut g = self.general();
                match id {
                    "name" => g.name = value.trim().to_string(),
                    "title" => g.title = value.to_string(),
                    "description" => g.description = value.to_string(),
                    _ => return Ok(()),
                }
                self.set_general(&g);
            }
            Section::Cpu => {
                let mut c = self.cpu();
                match id {
                    "vcpus" => {
                        let n = parse_num(value)? as u32;
                        c.current = Some(n).filter(|n| *n != c.max);
                    }
                    "max_vcpus" => {
                        // Without `current` all vCPUs are plugged, and stay so.
                        c.max = parse_num(value)? as u32;
                        c.current = c.current.filter(|n| *n != c.max);
                        if let Some(t) = c.topology.as_mut() {
                            // Keep the topology consistent where it is simple to.
                            if t.sockets == 1 && t.dies == 1 && t.threads == 1 {
                                t.cores = c.max;
                            }
                        }
                    }
                    "cpu_mode" => {
                        c.mode =
                            CpuMode::from_id(value).ok_or_else(|| gettext("Unknown CPU mode"))?
                    }
                    "cpu_model" => c.model = opt(value),
                    "topology" => {
                        c.topology = (value == "yes").then_some(c.topology.unwrap_or(Topology {
                            sockets: 1,
                            dies: 1,
                            cores: c.max,
                            threads: 1,
                        }))
                    }
                    "sockets" | "cores" | "threads" => {
                        let n = parse_num(value)? as u32;
                        let t = c.topology.get_or_insert(Topology {
                            sockets: 1,
                            dies: 1,
                            cores: 1,
                            threads: 1,
                        });
                        match id {
                            "sockets" => t.sockets = n,
                            "cores" => t.cores = n,
                            _ => t.threads = n,
                        }
                    }
                    _ => return Ok(()),
                }
                self.set_cpu(&c);
            }
            Section::Memory => {
                let mut m = self.memory();
                match id {
                    "memory" => {
                        let k = parse_num(value)?.saturating_mul(MIB);
                        let had = m.current_kib.is_some();
                        m.current_kib = Some(k).filter(|k| had || *k != m.max_kib);
                    }
                    "max_memory" => {
                        let had = m.current_kib.is_some();
                        let cur = m.current_kib.unwrap_or(m.max_kib);
                        m.max_kib = parse_num(value)?.saturating_mul(MIB);
                        m.current_kib = had.then_some(cur);
                    }
                    "shared" => m.shared = value == "yes",
                    _ => return Ok(()),
                }
                self.set_memory(&m);
            }
            Section::Boot => {
                let mut b = self.boot();
                match id {
                    "firmware" => {
                        b.firmware = if value == "uefi" {
                            Firmware::Uefi
                        } else {
                            Firmware::Bios
                        }
                    }
                    "secure_boot" => b.secure_boot = value == "yes",
                    "boot_order" => {
                        let on: Vec<usize> = value
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.starts_with('-'))
                            .filter_map(|s| s.parse().ok())
                            .collect();
                        // The same order written back changes nothing (an old-style
                        // <os><boot> list stays as it is until the order changes).
                        let now: Vec<usize> = self
                            .boot_entries()
                            .iter()
                            .filter(|e| e.enabled)
                            .map(|e| e.index)
                            .collect();
                        if now != on {
                            self.set_boot_entries(&on);
                        }
                        return Ok(());
                    }
                    "boot_menu" => b.menu = value == "yes",
                    "boot_menu_timeout" => {
                        b.menu_timeout_ms = if value.trim().is_empty() {
                            None
                        } else {
                            let secs = parse_num(value)?;
                            if secs > 65 {
                                return Err(gettext("The boot menu waits at most 65 seconds"));
                            }
                            Some(secs as u32 * 1000)
                        }
                    }
                    "kernel" => b.kernel = opt(value),
                    "initrd" => b.initrd = opt(value),
                    "cmdline" => b.cmdline = opt(value),
                    _ => return Ok(()),
                }
                self.set_boot(&b);
            }
            Section::Device(i) => {
                let old_bus = self
                    .device(i)
                    .filter(|e| e.name == "disk")
                    .and_then(|e| DiskView::read(e).bus);
                let Some(el) = self.device_mut(i) else {
                    return Ok(());
                };
                set_device_field(el, id, value)?;
                if id == "bus" && old_bus.is_some() && old_bus.as_deref() != Some(value) {
                    self.move_disk_to_bus(i, value);
                }
            }
        }
        Ok(())
    }

    /// A disk moved to another bus: its `<address>` belonged to the old one (a PCI
    /// slot for virtio; libvirt refuses it for SATA), so it goes and libvirt assigns a
    /// new one; and its target name follows the bus (`vda` on virtio becomes the next
    /// free `sdX` on SATA or SCSI).
    pub(super) fn move_disk_to_bus(&mut self, index: usize, bus: &str) {
        let target = self
            .device(index)
            .map(DiskView::read)
            .and_then(|v| v.target)
            .unwrap_or_default();
        let retarget = !target.starts_with(target_prefix(bus));
        let new_target = retarget.then(|| self.next_target(bus));
        let Some(el) = self.device_mut(index) else {
            return;
        };
        el.remove_children(|c| c.name == "address");
        if let Some(t) = new_target {
            let mut v = DiskView::read(el);
            v.target = Some(t);
            v.write(el);
        }
    }

    /// Everything wrong with a section as it stands.
    pub fn validate(&self, section: Section, ctx: &ValidationContext) -> Vec<FieldError> {
        match section {
            Section::General => validate_name(&self.general().name)
                .map(|m| vec![FieldError::new("name", m)])
                .unwrap_or_default(),
            Section::Cpu => validate_cpu(&self.cpu(), ctx.max_vcpus),
            Section::Memory => validate_memory(&self.memory(), ctx.host_memory_kib),
            Section::Boot => {
                let b = self.boot();
                let mut out = Vec::new();
                if b.secure_boot && b.firmware != Firmware::Uefi {
                    out.push(FieldError::new(
                        "secure_boot",
                        gettext("Secure boot needs UEFI firmware"),
                    ));
                }
                if ctx.local {
                    for (id, p) in [("kernel", &b.kernel), ("initrd", &b.initrd)] {
                        if let Some(p) = p.as_deref().filter(|p| !path_exists(p)) {
                            out.push(FieldError::new(
                                id,
                                gettext_f("“{path}” does not exist", &[("path", p)]),
                            ));
                        }
                    }
                }
                out
            }
            Section::Device(i) => match self.device(i) {
                Some(el) => self.validate_device(i, el, ctx),
                None => Vec::new(),
            },
        }
    }

    /// Every error of every section.
    pub fn validate_all(&self, ctx: &ValidationContext) -> Vec<(Section, FieldError)> {
        let mut sections = vec![
            Section::General,
            Section::Cpu,
            Section::Memory,
            Section::Boot,
        ];
        sections.extend(self.device_indices().into_iter().map(Section::Device));
        sections
            .into_iter()
            .flat_map(|s| self.validate(s, ctx).into_iter().map(move |e| (s, e)))
            .collect()
    }

    fn validate_device(
        &self,
        index: usize,
        el: &Element,
        ctx: &ValidationContext,
    ) -> Vec<FieldError> {
        let mut out = Vec::new();
        match el.name.as_str() {
            "disk" => {
                let v = DiskView::read(el);
                match v.target.as_deref() {
                    None | Some("") => out.push(FieldError::new(
                        "target",
                        gettext("Every disk needs a target name"),
                    )),
                    Some(t) => {
                        let dup = self
                            .devices_el()
                            .map(|d| {
                                d.elements().enumerate().any(|(j, e)| {
                                    j != index
                                        && e.name == "disk"
                                        && at(e, &["target"]).and_then(|x| x.attr("dev")) == Some(t)
                                })
                            })
                            .unwrap_or(false);
                        if dup {
                            out.push(FieldError::new(
                                "target",
                                gettext_f("Another disk already uses “{target}”", &[("target", t)]),
                            ));
                        }
                    }
                }
                let source = DiskView::source(el);
                if source.is_none() && !v.is_cdrom() && v.source_type.as_deref() != Some("network")
                {
                    out.push(FieldError::new(
                        "source",
                        gettext("A disk needs a file or device"),
                    ));
                }
                if ctx.local
                    && matches!(
                        v.source_type.as_deref(),
                        Some("file") | Some("block") | None
                    )
                {
                    if let Some(p) = source.filter(|p| !path_exists(p)) {
                        out.push(FieldError::new(
                            "source",
                            gettext_f("“{path}” does not exist", &[("path", &p)]),
                        ));
                    }
                }
            }
            "interface" => {
                if let Some(mac) = InterfaceView::read(el).mac {
                    if let Err(m) = validate_mac(&mac) {
                        out.push(FieldError::new("mac", m));
                    }
                }
                let v = InterfaceView::read(el);
                if matches!(
                    v.kind.as_deref(),
                    Some("network") | Some("bridge") | Some("direct")
                ) && InterfaceView::source(el).is_none()
                {
                    out.push(FieldError::new(
                        "source",
                        gettext("Choose what the interface connects to"),
                    ));
                }
            }
            "graphics" => {
                let v = GraphicsView::read(el);
                if v.autoport.as_deref() != Some("yes") {
                    if let Some(p) = v.port.as_deref() {
                        match p.parse::<i64>() {
                            Ok(-1) => {}
                            Ok(n) if (5900..=65535).contains(&n) => {}
                            _ => out.push(FieldError::new(
                                "port",
                                gettext("The port must be between 5900 and 65535"),
                            )),
                        }
                    }
                }
            }
            "filesystem" => {
                let v = FilesystemView::read(el);
                if v.target.as_deref().unwrap_or("").is_empty() {
                    out.push(FieldError::new("target", gettext("A mount tag is needed")));
                }
                if ctx.local {
                    if let Some(p) = v.source.as_deref().filter(|p| !path_exists(p)) {
                        out.push(FieldError::new(
                            "source",
                            gettext_f("“{path}” does not exist", &[("path", p)]),
                        ));
                    }
                }
                if v.driver.as_deref() == Some("virtiofs") && !self.memory().shared {
                    out.push(FieldError::new(
                        "driver",
                        gettext("virtiofs needs shared memory (see Memory)"),
                    ));
                }
            }
            _ => {}
        }
        out
    }
}
