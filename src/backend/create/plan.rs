//! A new machine as the wizard settles it, and its domain XML: devices chosen for the
//! OS (virtio where it has drivers, else emulated ones), firmware as it needs (UEFI
//! with Secure Boot and a TPM for Windows 11), a SPICE display with the agent's channel
//! (or VNC, as the person prefers: [`set_new_vm_display`]), the install media on a
//! CD-ROM booted first.

use crate::backend::osinfo::{InjectionMethod, OsDevices, PlatformNeeds};
use crate::backend::xml::{Document, Element};
use crate::i18n::{gettext, gettext_f};

/// New machines get a SPICE display (and the SPICE agent's channel) unless the person
/// prefers VNC (Preferences; set by the application at start and on change).
static NEW_VM_SPICE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// The display new machines get: SPICE (`true`, the default) or VNC.
pub fn set_new_vm_display(spice: bool) {
    NEW_VM_SPICE.store(spice, std::sync::atomic::Ordering::Relaxed);
}

/// Where the new machine's disk comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskChoice {
    /// A new qcow2 volume of this many bytes in the pool named.
    New { pool: String, bytes: u64 },
    /// An existing file or volume path, used as it is (import).
    Existing { path: String, format: String },
    /// No disk (live media, or added later).
    None,
}

/// How the machine starts its installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A disc image (a local file or a volume path) on a CD-ROM, booted first.
    Media { path: String },
    /// Boot the disk it already has.
    Import,
    /// Nothing: the person adds media later.
    Manual,
    /// A network install: the tree's kernel and initrd (URLs in the wizard's plan, the
    /// paths of their volumes once fetched) booted with `cmdline` for the first boot.
    Url {
        url: String,
        kernel: String,
        initrd: String,
        cmdline: String,
    },
    /// A cloud image under a copy-on-write overlay, told who it is by a cloud-init
    /// seed (`seed`: the seed volume's path once it is made).
    Cloud {
        image: String,
        init: super::cloud::CloudInit,
        seed: String,
    },
}

/// An express installation: the script libosinfo generated from the person's answers
/// and how it reaches the installer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unattended {
    /// The file name the installer looks for (`preseed.cfg`, `autounattend.xml`).
    pub filename: String,
    pub text: String,
    /// [`InjectionMethod::Initrd`] (a direct kernel boot) or
    /// [`InjectionMethod::Cdrom`] (a disc of its own).
    pub injection: InjectionMethod,
    /// Kernel arguments that point the installer at the script.
    pub cmdline: Option<String>,
    /// A disc install's kernel and initrd, as paths inside the disc.
    pub media_kernel: Option<String>,
    pub media_initrd: Option<String>,
    /// The disc's volume label (an Anaconda installer booted directly finds its disc
    /// by it).
    pub media_label: Option<String>,
    /// Once made: the volumes of the kernel and initrd (a disc install injected into
    /// its initrd) or of the script's disc.
    pub kernel: String,
    pub initrd: String,
    pub config_disc: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmPlan {
    pub name: String,
    /// The libosinfo full id, kept in the domain's metadata as virt-install does.
    pub os_id: Option<String>,
    pub memory_bytes: u64,
    pub vcpus: u32,
    pub arch: String,
    pub source: Source,
    pub disk: DiskChoice,
    /// Where the network card goes: a libvirt network's name, `bridge:BR` (a host
    /// bridge: the guest is on the LAN), `macvtap:DEV` (directly on a host NIC; the
    /// host and the guest cannot reach each other), or None for no card.
    pub network: Option<String>,
    pub devices: Option<OsDevices>,
    pub platform: Option<PlatformNeeds>,
    /// An express installation, or None to install by hand.
    pub unattended: Option<Unattended>,
    /// The host runs this architecture with KVM (else QEMU emulates it, TCG).
    pub accelerated: bool,
    /// A machine type from the host's list, or None for the usual one (q35 or pc for
    /// x86 by what the OS supports, `virt` for Arm and RISC-V…).
    pub machine: Option<String>,
}

/// The name a new machine gets from the OS's short id (`debian11`), made unique.
pub fn suggest_vm_name(short_id: Option<&str>, taken: &[String]) -> String {
    let base = short_id
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
                "-",
            )
        })
        .unwrap_or_else(|| "vm".into());
    let mut name = base.clone();
    let mut i = 2;
    while taken.contains(&name) {
        name = format!("{base}-{i}");
        i += 1;
    }
    name
}

/// Why a name cannot be a new machine's.
pub fn check_vm_name(name: &str, taken: &[String]) -> Option<String> {
    let n = name.trim();
    if n.is_empty() {
        return Some(gettext("The machine needs a name"));
    }
    if n.contains('/') {
        return Some(gettext("A name cannot contain “/”"));
    }
    if taken.iter().any(|t| t == n) {
        return Some(gettext_f(
            "A virtual machine named “{name}” exists already",
            &[("name", n)],
        ));
    }
    None
}

fn el(name: &str) -> Element {
    Element::new(name)
}

impl VmPlan {
    fn bus(&self) -> &'static str {
        self.devices.as_ref().map_or("virtio", |d| d.disk_bus())
    }

    fn q35(&self) -> bool {
        self.devices.as_ref().map_or(true, |d| d.q35 || d.virtio1)
    }

    /// A PC (x86_64 or i686): the devices libosinfo lists fit it.
    fn pc(&self) -> bool {
        matches!(self.arch.as_str(), "x86_64" | "i686")
    }

    /// The machine type: the person's, else the usual one of the architecture.
    pub fn machine_type(&self) -> String {
        if let Some(m) = self.machine.as_ref().filter(|m| !m.is_empty()) {
            return m.clone();
        }
        match self.arch.as_str() {
            "x86_64" | "i686" if self.q35() => "q35",
            "x86_64" | "i686" => "pc",
            "ppc64" | "ppc64le" => "pseries",
            "s390x" => "s390-ccw-virtio",
            _ => "virt",
        }
        .into()
    }

    fn uefi(&self) -> bool {
        // 64-bit Arm machines boot UEFI only.
        self.arch == "aarch64" || self.platform.as_ref().is_some_and(|p| p.requires_uefi)
    }

    /// The bus of CD-ROM drives: SATA on a PC, SCSI (virtio-scsi) elsewhere.
    fn cdrom_bus(&self) -> &'static str {
        if self.pc() {
            "sata"
        } else {
            "scsi"
        }
    }

    /// The domain XML as it stays (what `virsh define` takes): booting its disk, the
    /// install disc's drive kept but empty, as virt-install leaves it.
    pub fn to_xml(&self) -> String {
        self.xml(false)
    }

    /// The XML of the first boot, which installs: the disc in its drive, booted first.
    pub fn install_xml(&self) -> String {
        self.xml(true)
    }

    /// The install XML marked as waiting for Begin Installation (customize first),
    /// with the volumes made for it (`made`: what discarding it removes).
    pub fn install_xml_marked(&self, made: &[String]) -> String {
        let mut doc = Document::parse(&self.install_xml()).expect("Hangar's own XML parses");
        doc.root
            .ensure_child("metadata")
            .append_child(super::begin::install_mark(made));
        // <metadata> belongs before <memory> in libvirt's order; ensure_child appended it.
        let md = doc.root.child("metadata").cloned();
        if let Some(md) = md {
            doc.root.remove_children(|e| e.local_name() == "metadata");
            doc.root.insert_child_before(md, "memory");
        }
        doc.to_xml()
    }

    fn xml(&self, install: bool) -> String {
        let mut d = el("domain").with_attr("type", if self.accelerated { "kvm" } else { "qemu" });
        d.append_child(el("name").with_text(self.name.trim()));
        if let Some(id) = &self.os_id {
            let mut md = el("metadata");
            md.append_child(
                el("libosinfo:libosinfo")
                    .with_attr(
                        "xmlns:libosinfo",
                        "http://libosinfo.org/xmlns/libvirt/domain/1.0",
                    )
                    .with_child(el("libosinfo:os").with_attr("id", id)),
            );
            d.append_child(md);
        }
        let kib = (self.memory_bytes / 1024).to_string();
        d.append_child(el("memory").with_attr("unit", "KiB").with_text(&kib));
        d.append_child(el("currentMemory").with_attr("unit", "KiB").with_text(&kib));
        d.append_child(el("vcpu").with_text(&self.vcpus.max(1).to_string()));
        let mut os = el("os");
        if self.uefi() {
            os.set_attr("firmware", "efi");
        }
        let machine = self.machine_type();
        os.append_child(
            el("type")
                .with_attr("arch", &self.arch)
                .with_attr("machine", &machine)
                .with_text("hvm"),
        );
        if self.pc() && self.uefi() && self.platform.as_ref().is_some_and(|p| p.secure_boot) {
            os.append_child(
                el("firmware")
                    .with_child(
                        el("feature")
                            .with_attr("enabled", "yes")
                            .with_attr("name", "secure-boot"),
                    )
                    .with_child(
                        el("feature")
                            .with_attr("enabled", "yes")
                            .with_attr("name", "enrolled-keys"),
                    ),
            );
        }
        let kernel_boot = if install { self.kernel_boot() } else { None };
        if let Some((kernel, initrd, cmdline)) = &kernel_boot {
            os.append_child(el("kernel").with_text(kernel));
            os.append_child(el("initrd").with_text(initrd));
            if !cmdline.trim().is_empty() {
                os.append_child(el("cmdline").with_text(cmdline.trim()));
            }
        }
        let media_first =
            install && kernel_boot.is_none() && matches!(self.source, Source::Media { .. });
        if media_first {
            os.append_child(el("boot").with_attr("dev", "cdrom"));
        }
        os.append_child(el("boot").with_attr("dev", "hd"));
        d.append_child(os);
        let mut features = el("features");
        if self.pc() {
            features.append_child(el("acpi"));
            features.append_child(el("apic"));
            if self.uefi() {
                features.append_child(el("smm").with_attr("state", "on"));
            }
        } else if self.arch == "aarch64" {
            features.append_child(el("acpi"));
        }
        if features.elements().next().is_some() {
            d.append_child(features);
        }
        // With KVM the guest sees the host's CPU; emulated, the most QEMU can do
        // (the default for a PC).
        if self.accelerated {
            d.append_child(el("cpu").with_attr("mode", "host-passthrough"));
        } else if !self.pc() {
            d.append_child(el("cpu").with_attr("mode", "maximum"));
        }
        d.append_child(el("clock").with_attr(
            "offset",
            if self.is_windows() {
                "localtime"
            } else {
                "utc"
            },
        ));
        d.append_child(el("on_reboot").with_text("restart"));

        let mut dev = el("devices");
        let bus = self.bus();
        if let Some((path, format)) = self.disk_path() {
            dev.append_child(
                el("disk")
                    .with_attr("type", "file")
                    .with_attr("device", "disk")
                    .with_child(
                        el("driver")
                            .with_attr("name", "qemu")
                            .with_attr("type", &format),
                    )
                    .with_child(el("source").with_attr("file", &path))
                    .with_child(
                        el("target")
                            .with_attr("dev", if bus == "virtio" { "vda" } else { "sda" })
                            .with_attr("bus", bus),
                    ),
            );
        }
        if let Source::Cloud { seed, .. } = &self.source {
            if !seed.is_empty() {
                dev.append_child(
                    el("disk")
                        .with_attr("type", "file")
                        .with_attr("device", "cdrom")
                        .with_child(
                            el("driver")
                                .with_attr("name", "qemu")
                                .with_attr("type", "raw"),
                        )
                        .with_child(el("source").with_attr("file", seed))
                        .with_child(
                            el("target")
                                .with_attr("dev", "sdb")
                                .with_attr("bus", self.cdrom_bus()),
                        )
                        .with_child(el("readonly")),
                );
            }
        }
        if let Source::Media { path } = &self.source {
            let mut cd = el("disk")
                .with_attr("type", "file")
                .with_attr("device", "cdrom")
                .with_child(
                    el("driver")
                        .with_attr("name", "qemu")
                        .with_attr("type", "raw"),
                );
            if install {
                cd.append_child(el("source").with_attr("file", path));
            }
            cd.append_child(
                el("target")
                    .with_attr("dev", "sdb")
                    .with_attr("bus", self.cdrom_bus()),
            );
            cd.append_child(el("readonly"));
            dev.append_child(cd);
        }
        if let Some(u) = self
            .unattended
            .as_ref()
            .filter(|u| install && !u.config_disc.is_empty())
        {
            dev.append_child(
                el("disk")
                    .with_attr("type", "file")
                    .with_attr("device", "cdrom")
                    .with_child(
                        el("driver")
                            .with_attr("name", "qemu")
                            .with_attr("type", "raw"),
                    )
                    .with_child(el("source").with_attr("file", &u.config_disc))
                    .with_child(
                        el("target")
                            .with_attr("dev", "sdc")
                            .with_attr("bus", self.cdrom_bus()),
                    )
                    .with_child(el("readonly"))
                    .with_child(el("alias").with_attr("name", super::begin::SCRIPT_DISC_ALIAS)),
            );
        }
        if let Some(net) = &self.network {
            let model = self.devices.as_ref().map_or("virtio", |d| d.net_model());
            let iface = if let Some(br) = net.strip_prefix("bridge:") {
                el("interface")
                    .with_attr("type", "bridge")
                    .with_child(el("source").with_attr("bridge", br))
            } else if let Some(nic) = net.strip_prefix("macvtap:") {
                el("interface").with_attr("type", "direct").with_child(
                    el("source")
                        .with_attr("dev", nic)
                        .with_attr("mode", "bridge"),
                )
            } else {
                el("interface")
                    .with_attr("type", "network")
                    .with_child(el("source").with_attr("network", net))
            };
            dev.append_child(iface.with_child(el("model").with_attr("type", model)));
        }
        if !self.pc()
            && dev
                .children_named("disk")
                .any(|d| d.attr("device") == Some("cdrom"))
        {
            dev.append_child(
                el("controller")
                    .with_attr("type", "scsi")
                    .with_attr("model", "virtio-scsi"),
            );
        }
        if self.arch != "s390x" {
            dev.append_child(
                el("input")
                    .with_attr("type", "tablet")
                    .with_attr("bus", "usb"),
            );
        }
        let spice = NEW_VM_SPICE.load(std::sync::atomic::Ordering::Relaxed);
        dev.append_child(
            el("graphics")
                .with_attr("type", if spice { "spice" } else { "vnc" })
                .with_attr("autoport", "yes")
                .with_attr("listen", "127.0.0.1"),
        );
        if spice {
            // spice-vdagent's channel: clipboard and resizing with the window.
            dev.append_child(
                el("channel").with_attr("type", "spicevmc").with_child(
                    el("target")
                        .with_attr("type", "virtio")
                        .with_attr("name", "com.redhat.spice.0"),
                ),
            );
        }
        let video = self
            .devices
            .as_ref()
            .filter(|_| self.pc())
            .map_or("virtio", |d| d.video_model(spice));
        dev.append_child(el("video").with_child(el("model").with_attr("type", video)));
        dev.append_child(
            el("console")
                .with_attr("type", "pty")
                .with_child(el("target").with_attr("type", "serial")),
        );
        if self.devices.as_ref().map_or(true, |d| d.virtio_rng) {
            dev.append_child(
                el("rng").with_attr("model", "virtio").with_child(
                    el("backend")
                        .with_attr("model", "random")
                        .with_text("/dev/urandom"),
                ),
            );
        }
        if self.pc() && self.platform.as_ref().is_some_and(|p| p.tpm2) {
            dev.append_child(
                el("tpm").with_attr("model", "tpm-crb").with_child(
                    el("backend")
                        .with_attr("type", "emulator")
                        .with_attr("version", "2.0"),
                ),
            );
        }
        d.append_child(dev);
        Document::new(d).to_xml()
    }

    /// The first boot's kernel, initrd and arguments: a network install's, or a disc's
    /// own with an express install's script in its initrd.
    fn kernel_boot(&self) -> Option<(String, String, String)> {
        let script_args = self
            .unattended
            .as_ref()
            .and_then(|u| u.cmdline.clone())
            .unwrap_or_default();
        let join = |a: &str, b: &str| {
            [a.trim(), b.trim()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        match &self.source {
            Source::Url {
                kernel,
                initrd,
                cmdline,
                ..
            } => Some((kernel.clone(), initrd.clone(), join(cmdline, &script_args))),
            Source::Media { .. } => {
                let u = self.unattended.as_ref()?;
                if u.injection != InjectionMethod::Initrd || u.kernel.is_empty() {
                    return None;
                }
                // Anaconda booted without its disc's boot menu is told where its
                // second stage is (the disc, by its label; spaces as \x20).
                let stage2 = match (&u.media_label, self.anaconda()) {
                    (Some(label), true) => {
                        format!("inst.stage2=hd:LABEL={}", label.replace(' ', "\\x20"))
                    }
                    _ => String::new(),
                };
                Some((
                    u.kernel.clone(),
                    u.initrd.clone(),
                    join(&stage2, &script_args),
                ))
            }
            _ => None,
        }
    }

    /// The OS installs with Anaconda (Fedora, RHEL and their rebuilds).
    fn anaconda(&self) -> bool {
        self.os_id.as_deref().is_some_and(|id| {
            [
                "fedoraproject.org",
                "redhat.com",
                "centos.org",
                "rockylinux.org",
                "almalinux.org",
                "oraclelinux",
            ]
            .iter()
            .any(|d| id.contains(d))
        })
    }

    fn is_windows(&self) -> bool {
        self.os_id
            .as_deref()
            .is_some_and(|id| id.contains("microsoft.com/win"))
    }

    /// The disk's path and format once it exists (a new volume's path is known only
    /// after it is made: see [`VmPlan::with_new_disk`]).
    pub fn disk_path(&self) -> Option<(String, String)> {
        match &self.disk {
            DiskChoice::Existing { path, format } => Some((path.clone(), format.clone())),
            _ => None,
        }
    }

    /// The plan with its new volume made at `path`.
    pub fn with_new_disk(&self, path: &str) -> VmPlan {
        let mut p = self.clone();
        p.disk = DiskChoice::Existing {
            path: path.to_string(),
            format: "qcow2".into(),
        };
        p
    }
}
