//! The domain views on rich fixtures: lossless round trips, one-field edits that change
//! exactly one fact, schema validation of what Hangar writes (`virt-xml-validate`), and
//! a deterministic fuzz run showing the parser and views never panic.

use std::path::PathBuf;
use std::process::Command;

use hangar::backend::domain_xml::{
    canonical_facts, fact_diff, line_diff, validate_mac, CpuMode, DeviceKind, DiffLine, DiskView,
    DomainXml, FieldKind, Firmware, NewDevice, Section, ValidationContext,
};
use hangar::backend::xml::Document;

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The rich fixture without the one attribute only a newer libvirt would know, so the
/// schema of this libvirt accepts it.
fn rich_valid() -> String {
    fixture("domain-rich.xml").replace(" future-attr='kept'", "")
}

fn dom(xml: &str) -> DomainXml {
    DomainXml::parse(xml).expect("fixture parses")
}

fn device_index(d: &DomainXml, kind: DeviceKind, nth: usize) -> usize {
    d.devices()
        .into_iter()
        .filter(|e| e.kind == kind)
        .nth(nth)
        .unwrap_or_else(|| panic!("no {kind:?} #{nth}"))
        .index
}

/// Run virt-xml-validate on `xml`; the test fails with its output when it refuses.
fn assert_schema_valid(xml: &str, what: &str) {
    let dir = std::env::temp_dir().join(format!("hangar-xmlv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(format!(
        "{}.xml",
        what.replace(|c: char| !c.is_alphanumeric(), "_")
    ));
    std::fs::write(&file, xml).expect("write XML");
    let out = match Command::new("virt-xml-validate")
        .arg(&file)
        .arg("domain")
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!(
            "virt-xml-validate could not run ({e}): install libvirt-clients with \
             build-aux/install-deps.sh --test"
        ),
    };
    assert!(
        out.status.success(),
        "{what}: libvirt's schema refuses what Hangar wrote:\n{}{}\n{xml}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn unchanged_round_trip_is_exact_and_keeps_every_fact() {
    for name in ["domain-rich.xml", "domain-uefi.xml"] {
        let text = fixture(name);
        let d = dom(&text);
        assert_eq!(d.to_xml(), text, "{name} changed on a plain round trip");
        let again = dom(&d.to_xml());
        assert_eq!(
            canonical_facts(&again.doc),
            canonical_facts(&Document::parse(&text).unwrap())
        );
    }
}

#[test]
fn views_read_the_fixture() {
    let d = dom(&fixture("domain-rich.xml"));
    let g = d.general();
    assert_eq!(g.name, "rich");
    assert_eq!(g.title, "A rich machine");
    assert_eq!(g.description, "Fixture & friends: <everything>");
    let c = d.cpu();
    assert_eq!((c.max, c.current), (4, Some(2)));
    assert_eq!(c.mode, CpuMode::HostModel);
    assert_eq!(c.topology.map(|t| (t.cores, t.threads)), Some((2, 2)));
    let m = d.memory();
    assert_eq!(
        (m.max_kib, m.current_kib, m.shared),
        (2097152, Some(1048576), true)
    );
    let b = d.boot();
    assert_eq!(b.order, ["hd", "cdrom"]);
    assert!(b.menu);
    assert_eq!(b.firmware, Firmware::Bios);

    let u = dom(&fixture("domain-uefi.xml"));
    let b = u.boot();
    assert_eq!(b.firmware, Firmware::Uefi);
    assert!(b.secure_boot);
    assert_eq!(b.kernel.as_deref(), Some("/boot/vmlinuz"));
    assert_eq!(b.cmdline.as_deref(), Some("console=ttyS0 quiet"));
    assert_eq!(u.cpu().mode, CpuMode::Custom);
    assert_eq!(u.cpu().model.as_deref(), Some("Skylake-Client"));
    assert_eq!(u.memory().max_kib, 512 * 1024);
}

#[test]
fn devices_have_names_people_understand() {
    let d = dom(&fixture("domain-rich.xml"));
    let sizes = |p: &str| (p == "/var/lib/libvirt/images/rich.qcow2").then_some(20u64 << 30);
    let names: Vec<String> = d
        .devices_with_sizes(&sizes)
        .into_iter()
        .map(|e| e.name)
        .collect();
    for want in [
        "Disk 1 — 20 GiB qcow2",
        "CD-ROM 1 — debian.iso",
        "Network — default (virtio)",
        "Network — bridge br0 (e1000e)",
        "Display — SPICE",
        "Video — virtio",
        "Sound — ich9",
        "Tablet (USB)",
        "Serial 1 — pty",
        "Console — pty",
        "Channel — org.qemu.guest_agent.0",
        "Controller — USB 0 (qemu-xhci)",
        "USB Host Device — 046d:c52b",
        "PCI Host Device — 0000:06:00.0",
        "TPM — tpm-crb v2.0",
        "Random Number Generator — /dev/urandom",
        "Watchdog — i6300esb",
        "Filesystem — /srv/share → share",
        "Panic Notifier — isa",
        "Smartcard — passthrough",
        "USB Redirector — spicevmc",
        "Memory Balloon — virtio",
    ] {
        assert!(names.iter().any(|n| n == want), "no “{want}” in {names:#?}");
    }
    // Without a size the path shows.
    let plain: Vec<String> = d.devices().into_iter().map(|e| e.name).collect();
    assert!(plain.contains(&"Disk 1 — /var/lib/libvirt/images/rich.qcow2".to_string()));
    // <emulator> is not a device.
    assert!(!plain.iter().any(|n| n.contains("emulator")));
    let u = dom(&fixture("domain-uefi.xml"));
    let names: Vec<String> = u.devices().into_iter().map(|e| e.name).collect();
    assert!(names.contains(&"CD-ROM 1 — empty".to_string()), "{names:?}");
    assert!(
        names.contains(&"Network — user mode (default model)".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"Display — VNC".to_string()));
}

#[test]
fn next_free_target_names() {
    let d = dom(&fixture("domain-rich.xml"));
    assert_eq!(d.next_target("virtio"), "vdb");
    assert_eq!(d.next_target("sata"), "sdb");
    assert_eq!(d.next_target("ide"), "hda");
    let u = dom(&fixture("domain-uefi.xml"));
    assert_eq!(u.next_target("scsi"), "sda");
    assert_eq!(u.next_target("ide"), "hda");
    let mut many = String::from("<domain type='qemu'><name>m</name><devices>");
    for i in 0..27 {
        let suffix = if i < 26 {
            ((b'a' + i as u8) as char).to_string()
        } else {
            "aa".into()
        };
        many.push_str(&format!(
            "<disk type='file' device='disk'><target dev='vd{suffix}' bus='virtio'/></disk>"
        ));
    }
    many.push_str("</devices></domain>");
    assert_eq!(dom(&many).next_target("virtio"), "vdab");
}

/// One edit and the facts it must change: (removed, added).
struct Edit {
    what: &'static str,
    section: fn(&DomainXml) -> Section,
    field: &'static str,
    value: &'static str,
    removed: &'static [&'static str],
    added: &'static [&'static str],
}

fn edits() -> Vec<Edit> {
    vec![
        Edit {
            what: "name",
            section: |_| Section::General,
            field: "name",
            value: "renamed",
            removed: &["/domain/name[1]#text=rich"],
            added: &["/domain/name[1]#text=renamed"],
        },
        Edit {
            what: "title",
            section: |_| Section::General,
            field: "title",
            value: "New title",
            removed: &["/domain/title[1]#text=A rich machine"],
            added: &["/domain/title[1]#text=New title"],
        },
        Edit {
            what: "current memory",
            section: |_| Section::Memory,
            field: "memory",
            value: "1536",
            removed: &["/domain/currentMemory[1]#text=1048576"],
            added: &["/domain/currentMemory[1]#text=1572864"],
        },
        Edit {
            what: "maximum memory",
            section: |_| Section::Memory,
            field: "max_memory",
            value: "4096",
            removed: &["/domain/memory[1]#text=2097152"],
            added: &["/domain/memory[1]#text=4194304"],
        },
        Edit {
            what: "vCPUs",
            section: |_| Section::Cpu,
            field: "vcpus",
            value: "3",
            removed: &["/domain/vcpu[1]@current=2"],
            added: &["/domain/vcpu[1]@current=3"],
        },
        Edit {
            what: "CPU mode",
            section: |_| Section::Cpu,
            field: "cpu_mode",
            value: "host-passthrough",
            removed: &["/domain/cpu[1]@mode=host-model"],
            added: &["/domain/cpu[1]@mode=host-passthrough"],
        },
        Edit {
            what: "boot menu",
            section: |_| Section::Boot,
            field: "boot_menu",
            value: "no",
            // Off in place: the timeout stays for when it is switched on again.
            removed: &["/domain/os[1]/bootmenu[1]@enable=yes"],
            added: &["/domain/os[1]/bootmenu[1]@enable=no"],
        },
        Edit {
            what: "disk cache",
            section: |d| Section::Device(device_index(d, DeviceKind::Disk, 0)),
            field: "cache",
            value: "writeback",
            removed: &["/domain/devices[1]/disk[1]/driver[1]@cache=none"],
            added: &["/domain/devices[1]/disk[1]/driver[1]@cache=writeback"],
        },
        Edit {
            what: "disk source",
            section: |d| Section::Device(device_index(d, DeviceKind::Disk, 0)),
            field: "source",
            value: "/var/lib/libvirt/images/other.qcow2",
            removed: &[
                "/domain/devices[1]/disk[1]/source[1]@file=/var/lib/libvirt/images/rich.qcow2",
            ],
            added: &[
                "/domain/devices[1]/disk[1]/source[1]@file=/var/lib/libvirt/images/other.qcow2",
            ],
        },
        Edit {
            what: "CD-ROM eject",
            section: |d| Section::Device(device_index(d, DeviceKind::Cdrom, 0)),
            field: "source",
            value: "",
            removed: &[
                "/domain/devices[1]/disk[2]/source[1]@file=/var/lib/libvirt/images/debian.iso",
            ],
            added: &[],
        },
        Edit {
            what: "disk read-only",
            section: |d| Section::Device(device_index(d, DeviceKind::Disk, 0)),
            field: "readonly",
            value: "yes",
            removed: &[],
            added: &[],
        },
        Edit {
            what: "NIC model",
            section: |d| Section::Device(device_index(d, DeviceKind::Interface, 0)),
            field: "model",
            value: "e1000e",
            removed: &["/domain/devices[1]/interface[1]/model[1]@type=virtio"],
            added: &["/domain/devices[1]/interface[1]/model[1]@type=e1000e"],
        },
        Edit {
            what: "NIC MAC",
            section: |d| Section::Device(device_index(d, DeviceKind::Interface, 0)),
            field: "mac",
            value: "52:54:00:AA:BB:CC",
            removed: &["/domain/devices[1]/interface[1]/mac[1]@address=52:54:00:12:34:56"],
            added: &["/domain/devices[1]/interface[1]/mac[1]@address=52:54:00:aa:bb:cc"],
        },
        Edit {
            what: "NIC link down",
            section: |d| Section::Device(device_index(d, DeviceKind::Interface, 0)),
            field: "link",
            value: "no",
            removed: &["/domain/devices[1]/interface[1]/link[1]@state=up"],
            added: &["/domain/devices[1]/interface[1]/link[1]@state=down"],
        },
        Edit {
            what: "NIC network",
            section: |d| Section::Device(device_index(d, DeviceKind::Interface, 0)),
            field: "source",
            value: "isolated",
            removed: &["/domain/devices[1]/interface[1]/source[1]@network=default"],
            added: &["/domain/devices[1]/interface[1]/source[1]@network=isolated"],
        },
        Edit {
            what: "graphics password",
            section: |d| Section::Device(device_index(d, DeviceKind::Graphics, 0)),
            field: "password",
            value: "changed",
            removed: &["/domain/devices[1]/graphics[1]@passwd=s3cret"],
            added: &["/domain/devices[1]/graphics[1]@passwd=changed"],
        },
        Edit {
            what: "graphics listen",
            section: |d| Section::Device(device_index(d, DeviceKind::Graphics, 0)),
            field: "listen",
            value: "0.0.0.0",
            removed: &["/domain/devices[1]/graphics[1]/listen[1]@address=127.0.0.1"],
            added: &["/domain/devices[1]/graphics[1]/listen[1]@address=0.0.0.0"],
        },
        Edit {
            what: "watchdog action",
            section: |d| Section::Device(device_index(d, DeviceKind::Watchdog, 0)),
            field: "action",
            value: "poweroff",
            removed: &["/domain/devices[1]/watchdog[1]@action=reset"],
            added: &["/domain/devices[1]/watchdog[1]@action=poweroff"],
        },
        Edit {
            what: "sound model",
            section: |d| Section::Device(device_index(d, DeviceKind::Sound, 0)),
            field: "model",
            value: "ich6",
            removed: &["/domain/devices[1]/sound[1]@model=ich9"],
            added: &["/domain/devices[1]/sound[1]@model=ich6"],
        },
        Edit {
            what: "video model",
            section: |d| Section::Device(device_index(d, DeviceKind::Video, 0)),
            field: "model",
            value: "qxl",
            removed: &["/domain/devices[1]/video[1]/model[1]@type=virtio"],
            added: &["/domain/devices[1]/video[1]/model[1]@type=qxl"],
        },
        Edit {
            what: "TPM version",
            section: |d| Section::Device(device_index(d, DeviceKind::Tpm, 0)),
            field: "model",
            value: "tpm-tis",
            removed: &["/domain/devices[1]/tpm[1]@model=tpm-crb"],
            added: &["/domain/devices[1]/tpm[1]@model=tpm-tis"],
        },
    ]
}

#[test]
fn each_one_field_edit_changes_exactly_that_field() {
    let original = dom(&fixture("domain-rich.xml"));
    for e in edits() {
        let mut d = original.clone();
        let section = (e.section)(&d);
        d.set_field(section, e.field, e.value)
            .unwrap_or_else(|m| panic!("{}: {m}", e.what));
        let after = dom(&d.to_xml());
        let (removed, added) = fact_diff(&original.doc, &after.doc);
        if e.what == "disk read-only" {
            // A new empty element is an element fact, not an attribute: check the tree.
            assert!(removed.is_empty(), "{}: removed {removed:?}", e.what);
            let idx = device_index(&after, DeviceKind::Disk, 0);
            assert!(after.device(idx).unwrap().child("readonly").is_some());
            let mut back = after.clone();
            back.set_field(section, "readonly", "no").unwrap();
            assert_eq!(back.to_xml(), original.to_xml(), "read-only off restores");
            continue;
        }
        assert_eq!(removed, e.removed, "{}: removed facts", e.what);
        assert_eq!(added, e.added, "{}: added facts", e.what);
        // Whatever Hangar does not model is untouched.
        let text = after.to_xml();
        for kept in [
            "<qemu:arg value='device.video0.xres=1920'/>",
            "<hg:note xmlns:hg='https://hangar.invalid/ns/1' level='2'>keep me<hg:inner a='b'/></hg:note>",
            "<vcpupin vcpu='1' cpuset='1'/>",
            "<memory mode='strict' nodeset='0'/>",
            "<seclabel type='dynamic' model='dac' relabel='yes'/>",
            "<!-- the CPU as the person chose it -->",
            "future-attr='kept'",
            "<address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>",
        ] {
            assert!(text.contains(kept), "{}: lost {kept}", e.what);
        }
        // The text outside the edit is the same, byte for byte.
        let changed_lines = line_diff(&original.to_xml(), &text)
            .into_iter()
            .filter(|l| !matches!(l, DiffLine::Same(_)))
            .count();
        assert!(
            changed_lines <= 6,
            "{}: {changed_lines} lines changed",
            e.what
        );
    }
}

#[test]
fn what_hangar_writes_validates_against_libvirts_schema() {
    let base = dom(&rich_valid());
    assert_schema_valid(&base.to_xml(), "unchanged");
    for e in edits() {
        let mut d = base.clone();
        let section = (e.section)(&d);
        d.set_field(section, e.field, e.value).unwrap();
        assert_schema_valid(&d.to_xml(), e.what);
    }
    // Domain-wide changes with more to them.
    let mut d = base.clone();
    d.set_field(Section::Boot, "firmware", "uefi").unwrap();
    d.set_field(Section::Boot, "secure_boot", "yes").unwrap();
    d.set_field(Section::Boot, "kernel", "/boot/vmlinuz")
        .unwrap();
    d.set_field(Section::Boot, "initrd", "/boot/initrd.img")
        .unwrap();
    d.set_field(Section::Boot, "cmdline", "console=ttyS0")
        .unwrap();
    let cdrom = device_index(&d, DeviceKind::Cdrom, 0);
    let disk = device_index(&d, DeviceKind::Disk, 0);
    let nic = device_index(&d, DeviceKind::Interface, 0);
    d.set_field(
        Section::Boot,
        "boot_order",
        &format!("{cdrom},{disk},{nic}"),
    )
    .unwrap();
    assert!(
        d.boot().order.is_empty(),
        "per-device order replaces <os><boot>"
    );
    let on: Vec<usize> = d
        .boot_entries()
        .iter()
        .filter(|e| e.enabled)
        .map(|e| e.index)
        .collect();
    assert_eq!(on, [cdrom, disk, nic]);
    assert!(d.boot().secure_boot);
    assert_schema_valid(&d.to_xml(), "UEFI, secure boot, direct kernel boot");
    let mut d = base.clone();
    d.set_field(Section::Cpu, "cpu_mode", "custom").unwrap();
    d.set_field(Section::Cpu, "cpu_model", "Haswell").unwrap();
    d.set_field(Section::Cpu, "max_vcpus", "8").unwrap();
    d.set_field(Section::Cpu, "sockets", "2").unwrap();
    assert_schema_valid(&d.to_xml(), "named CPU model and topology");
    let mut d = base.clone();
    d.set_field(Section::Cpu, "cpu_mode", "default").unwrap();
    d.set_field(Section::Cpu, "topology", "no").unwrap();
    assert!(!d.to_xml().contains("<cpu "), "{}", d.to_xml());
    assert!(d
        .to_xml()
        .contains("<!-- the CPU as the person chose it -->"));
    assert_schema_valid(&d.to_xml(), "hypervisor default CPU");
    let mut d = base.clone();
    d.set_field(Section::Memory, "shared", "no").unwrap();
    d.set_field(Section::General, "description", "").unwrap();
    assert_schema_valid(&d.to_xml(), "no shared memory, no description");
    // Every kind of new device, with its defaults, and every removal.
    let mut without = base.clone();
    for kind in ["watchdog", "tpm"] {
        let i = without
            .devices()
            .into_iter()
            .find(|e| without.device(e.index).unwrap().name == kind)
            .unwrap()
            .index;
        without.remove_device(i);
    }
    for kind in NewDevice::ALL {
        let base = if kind.allowed(&base) {
            base.clone()
        } else {
            assert!(kind.allowed(&without));
            without.clone()
        };
        let mut d = base.clone();
        let mut el = kind.element(&d);
        if el.name == "disk" && el.attr("device") == Some("disk") {
            el.child_mut("source")
                .unwrap()
                .set_attr("file", "/var/lib/libvirt/images/new.qcow2");
        }
        let i = d.add_device(el);
        assert!(d.device(i).is_some());
        assert_schema_valid(&d.to_xml(), &format!("add {kind:?}"));
    }
    for entry in base.devices() {
        let mut d = base.clone();
        let gone = d.remove_device(entry.index).expect("removed");
        assert_eq!(d.devices().len(), base.devices().len() - 1, "{gone:?}");
        assert_schema_valid(&d.to_xml(), &format!("remove {}", entry.name));
    }
    let mut u = dom(&fixture("domain-uefi.xml"));
    u.set_field(Section::Boot, "firmware", "bios").unwrap();
    u.set_field(Section::Boot, "kernel", "").unwrap();
    assert_schema_valid(&u.to_xml(), "back to BIOS");
}

#[test]
fn new_spice_devices() {
    let d = dom(&fixture("domain-uefi.xml"));
    // The SPICE display comes first; VNC stays on offer.
    let g = NewDevice::Graphics.element(&d);
    assert_eq!(
        (g.name.as_str(), g.attr("type")),
        ("graphics", Some("spice"))
    );
    assert_eq!(NewDevice::VncGraphics.element(&d).attr("type"), Some("vnc"));
    let v = NewDevice::Video.element(&d);
    assert_eq!(v.child("model").and_then(|m| m.attr("type")), Some("qxl"));
    let c = NewDevice::SpiceChannel.element(&d);
    assert_eq!(c.attr("type"), Some("spicevmc"));
    assert_eq!(
        c.child("target").and_then(|t| t.attr("name")),
        Some("com.redhat.spice.0")
    );
    let r = NewDevice::Redirdev.element(&d);
    assert_eq!(
        (r.attr("bus"), r.attr("type")),
        (Some("usb"), Some("spicevmc"))
    );
}

#[test]
fn new_devices_fit_the_domain() {
    let d = dom(&fixture("domain-rich.xml"));
    let disk = NewDevice::Disk.element(&d);
    let target = disk.child("target").unwrap();
    assert_eq!(target.attr("dev"), Some("vdb"));
    assert_eq!(target.attr("bus"), Some("virtio"));
    let cd = NewDevice::Cdrom.element(&d);
    assert_eq!(
        cd.child("target").unwrap().attr("bus"),
        Some("sata"),
        "q35 has no IDE"
    );
    assert_eq!(cd.child("target").unwrap().attr("dev"), Some("sdb"));
    let wd = NewDevice::Watchdog.element(&d);
    assert_eq!(
        wd.attr("model"),
        Some("i6300esb"),
        "libvirt 9.0 knows no itco"
    );
    // Added after the last of its kind, indented like its siblings.
    let mut d2 = d.clone();
    let i = d2.add_device(NewDevice::Interface.element(&d));
    assert_eq!(d2.device(i).unwrap().name, "interface");
    assert_eq!(d2.device(i - 1).unwrap().name, "interface");
    assert!(d2
        .to_xml()
        .contains("</interface>\n    <interface type='network'>"));
}

#[test]
fn forms_cover_every_device_and_take_their_own_values_back() {
    let d = dom(&fixture("domain-rich.xml"));
    let mut sections = vec![
        Section::General,
        Section::Cpu,
        Section::Memory,
        Section::Boot,
    ];
    sections.extend(d.devices().iter().map(|e| Section::Device(e.index)));
    for s in sections {
        let form = d.form(s);
        assert!(!form.is_empty(), "{s:?} has no fields");
        for f in form {
            assert!(!f.label.is_empty());
            if let FieldKind::Choice(c) = &f.kind {
                assert!(
                    f.value.is_empty() || c.iter().any(|(v, _)| *v == f.value),
                    "{s:?}/{}: value {} not among choices",
                    f.id,
                    f.value
                );
            }
            if f.kind == FieldKind::ReadOnly {
                continue;
            }
            // Setting a field to the value it shows changes nothing.
            let mut e = d.clone();
            e.set_field(s, &f.id, &f.value).unwrap();
            assert_eq!(e.to_xml(), d.to_xml(), "{s:?}/{} = {:?}", f.id, f.value);
        }
    }
}

#[test]
fn validation_ties_errors_to_fields() {
    let ctx = ValidationContext {
        host_memory_kib: Some(8 << 20),
        max_vcpus: Some(16),
        local: true,
    };
    let d = dom(&fixture("domain-rich.xml"));
    let fields = |d: &DomainXml, s: Section| -> Vec<String> {
        d.validate(s, &ctx).into_iter().map(|e| e.field).collect()
    };
    assert!(fields(&d, Section::Cpu).is_empty());
    assert!(fields(&d, Section::Memory).is_empty());

    let mut m = d.clone();
    m.set_field(Section::Memory, "max_memory", "65536").unwrap();
    assert_eq!(
        fields(&m, Section::Memory),
        ["max_memory"],
        "beyond the host"
    );
    let mut m = d.clone();
    m.set_field(Section::Memory, "memory", "4096").unwrap();
    assert_eq!(fields(&m, Section::Memory), ["memory"], "current above max");

    let mut c = d.clone();
    c.set_field(Section::Cpu, "vcpus", "9").unwrap();
    assert_eq!(fields(&c, Section::Cpu), ["vcpus"]);
    let mut c = d.clone();
    c.set_field(Section::Cpu, "topology", "no").unwrap();
    c.set_field(Section::Cpu, "max_vcpus", "64").unwrap();
    assert_eq!(
        fields(&c, Section::Cpu),
        ["max_vcpus"],
        "beyond the hypervisor"
    );
    assert!(
        c.set_field(Section::Cpu, "vcpus", "four").is_err(),
        "not a number"
    );

    let nic = Section::Device(device_index(&d, DeviceKind::Interface, 0));
    let mut n = d.clone();
    n.set_field(nic, "mac", "52:54:00:zz:00:01").unwrap();
    assert_eq!(fields(&n, nic), ["mac"]);
    assert!(validate_mac("52:54:00:12:34:56").is_ok());
    assert!(validate_mac("01:00:5e:00:00:01").is_err(), "multicast");
    assert!(validate_mac("52:54:00:12:34").is_err());
    assert!(validate_mac("52-54-00-12-34-56").is_err());

    let disk0 = Section::Device(device_index(&d, DeviceKind::Disk, 0));
    let mut t = d.clone();
    t.set_field(disk0, "target", "sda").unwrap();
    assert!(
        fields(&t, disk0).contains(&"target".to_string()),
        "duplicate target"
    );
    // The fixture's paths do not exist here: local connections say so.
    assert!(fields(&d, disk0).contains(&"source".to_string()));
    let remote = ValidationContext {
        local: false,
        ..ctx.clone()
    };
    assert!(
        d.validate(disk0, &remote).is_empty(),
        "remote paths are not checked"
    );
    let mut ok = d.clone();
    ok.set_field(disk0, "source", env!("CARGO_MANIFEST_DIR"))
        .unwrap();
    assert!(!fields(&ok, disk0).contains(&"source".to_string()));

    let mut g = d.clone();
    g.set_field(Section::General, "name", "a/b").unwrap();
    assert_eq!(fields(&g, Section::General), ["name"]);
    let gfx = Section::Device(device_index(&d, DeviceKind::Graphics, 0));
    let mut p = d.clone();
    p.set_field(gfx, "autoport", "no").unwrap();
    p.set_field(gfx, "port", "80").unwrap();
    assert_eq!(fields(&p, gfx), ["port"]);
    let fs = Section::Device(device_index(&d, DeviceKind::Filesystem, 0));
    let mut s = d.clone();
    s.set_field(Section::Memory, "shared", "no").unwrap();
    assert!(
        fields(&s, fs).contains(&"driver".to_string()),
        "virtiofs needs shared memory"
    );
    assert_eq!(d.validate_all(&remote), vec![]);
    // A shared folder's directory must exist on a local host.
    assert!(
        fields(&d, fs).contains(&"source".to_string()),
        "/srv/share is not here"
    );
    let mut here = d.clone();
    here.set_field(fs, "source", env!("CARGO_MANIFEST_DIR"))
        .unwrap();
    assert!(fields(&here, fs).is_empty(), "{:?}", fields(&here, fs));
}

#[test]
fn disk_views_read_and_write_sources() {
    let d = dom(&fixture("domain-uefi.xml"));
    let block = d.device(device_index(&d, DeviceKind::Disk, 0)).unwrap();
    assert_eq!(DiskView::source(block).as_deref(), Some("/dev/vg0/uefi"));
    let mut d2 = d.clone();
    let cd = Section::Device(device_index(&d, DeviceKind::Cdrom, 0));
    d2.set_field(cd, "source", "/srv/iso/new.iso").unwrap();
    let text = d2.to_xml();
    assert!(
        text.contains("<source file='/srv/iso/new.iso'/>\n      <target dev='hdc' bus='ide'/>"),
        "{text}"
    );
    assert_schema_valid(&text, "CD-ROM inserted");
}

#[test]
fn line_diff_shows_changes() {
    let a = "a\nb\nc\nd\n";
    let b = "a\nB\nc\nd\ne\n";
    assert_eq!(
        line_diff(a, b),
        vec![
            DiffLine::Same("a".into()),
            DiffLine::Removed("b".into()),
            DiffLine::Added("B".into()),
            DiffLine::Same("c".into()),
            DiffLine::Same("d".into()),
            DiffLine::Added("e".into()),
        ]
    );
    assert!(line_diff(a, a)
        .iter()
        .all(|l| matches!(l, DiffLine::Same(_))));
}

/// xorshift64*: deterministic, so a failure can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Exercise everything a parsed document offers; it must not panic.
fn exercise(xml: &str) {
    let _ = Document::parse(xml).map(|d| d.to_xml());
    let Ok(mut d) = DomainXml::parse(xml) else {
        return;
    };
    let ctx = ValidationContext::default();
    let mut sections = vec![
        Section::General,
        Section::Cpu,
        Section::Memory,
        Section::Boot,
    ];
    sections.extend(d.devices().iter().map(|e| Section::Device(e.index)));
    for s in sections {
        for f in d.form(s) {
            let _ = d.clone().set_field(s, &f.id, "1");
            let _ = d.clone().set_field(s, &f.id, "");
        }
        let _ = d.validate(s, &ctx);
    }
    let _ = d.next_target("virtio");
    let _ = d.add_device(NewDevice::Disk.element(&d));
    let _ = d.remove_device(0);
    let out = d.to_xml();
    assert!(
        Document::parse(&out).is_ok(),
        "Hangar wrote XML it cannot read: {out}"
    );
}

#[test]
fn fuzzed_input_gives_errors_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let seeds = [fixture("domain-rich.xml"), fixture("domain-uefi.xml")];
    let alphabet = b"<>/='\"&;!-?[]:x \n#CDATA";
    // Random byte strings, decoded lossily (the parser takes &str).
    for _ in 0..3000 {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(2) == 0 {
                    alphabet[rng.below(alphabet.len())]
                } else {
                    rng.next() as u8
                }
            })
            .collect();
        exercise(&String::from_utf8_lossy(&bytes));
    }
    // Mutated real documents.
    let mut parsed_ok = 0;
    for i in 0..4000 {
        let mut b = seeds[i % 2].as_bytes().to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(b.len());
            match rng.below(5) {
                0 => {
                    let end = (at + rng.below(40)).min(b.len());
                    b.drain(at..end);
                }
                1 => b.insert(at, alphabet[rng.below(alphabet.len())]),
                2 => {
                    let end = (at + rng.below(80)).min(b.len());
                    let chunk = b[at..end].to_vec();
                    let to = rng.below(b.len());
                    b.splice(to..to, chunk);
                }
                3 => b[at] = rng.next() as u8,
                _ => {
                    let other = rng.below(b.len());
                    b.swap(at, other);
                }
            }
        }
        let text = String::from_utf8_lossy(&b);
        if DomainXml::parse(&text).is_ok() {
            parsed_ok += 1;
        }
        exercise(&text);
    }
    assert!(
        parsed_ok > 100,
        "mutations too destructive: {parsed_ok} parsed"
    );
}

/// The text of the first element of `xml` that starts with `start`, up to its `end`:
/// (before, element, after).
fn split_at_element<'a>(xml: &'a str, start: &str, end: &str) -> (&'a str, &'a str, &'a str) {
    let a = xml.find(start).unwrap_or_else(|| panic!("no {start}"));
    let b = a + xml[a..].find(end).unwrap_or_else(|| panic!("no {end}")) + end.len();
    (&xml[..a], &xml[a..b], &xml[b..])
}

#[test]
fn pci_host_device_source_managed_and_rom_bar_change_alone() {
    let text = rich_valid();
    let mut d = dom(&text);
    let i = device_index(&d, DeviceKind::HostdevPci, 0);
    let s = Section::Device(i);
    let form = d.form(s);
    let kind = |id: &str| form.iter().find(|f| f.id == id).map(|f| f.kind.clone());
    assert_eq!(
        kind("address"),
        Some(FieldKind::Text),
        "the address is editable"
    );
    assert_eq!(kind("managed"), Some(FieldKind::Toggle));
    assert_eq!(kind("rom_bar"), Some(FieldKind::Toggle));

    // Bad addresses are refused where typed and change nothing.
    for bad in ["0000:06:00", "zz:00.0", "0000:06:20.0", "0000:06:00.8", ""] {
        assert!(d.set_field(s, "address", bad).is_err(), "{bad:?} refused");
    }
    assert_eq!(d.to_xml(), text, "refused input changed nothing");

    d.set_field(s, "address", "0000:07:01.2").unwrap();
    d.set_field(s, "managed", "no").unwrap();
    d.set_field(s, "rom_bar", "no").unwrap();
    let out = d.to_xml();
    let pci = "<hostdev mode='subsystem' type='pci'";
    let (before_a, _, after_a) = split_at_element(&text, pci, "</hostdev>");
    let (before_b, el, after_b) = split_at_element(&out, pci, "</hostdev>");
    assert_eq!(
        before_a, before_b,
        "everything before the device is byte-exact"
    );
    assert_eq!(
        after_a, after_b,
        "everything after the device is byte-exact"
    );
    let el = Document::parse(el).expect("the device parses").root;
    assert_eq!(el.attr("managed"), Some("no"));
    let addr = el.find(&["source", "address"]).expect("an address");
    let attrs: Vec<(&str, &str)> = ["domain", "bus", "slot", "function"]
        .into_iter()
        .map(|a| (a, addr.attr(a).unwrap_or("")))
        .collect();
    assert_eq!(
        attrs,
        [
            ("domain", "0x0000"),
            ("bus", "0x07"),
            ("slot", "0x01"),
            ("function", "0x2")
        ]
    );
    assert_eq!(el.find(&["rom"]).and_then(|r| r.attr("bar")), Some("off"));
    let form = d.form(s);
    let value = |id: &str| form.iter().find(|f| f.id == id).map(|f| f.value.clone());
    assert_eq!(value("address").as_deref(), Some("0000:07:01.2"));
    assert_eq!(value("rom_bar").as_deref(), Some("no"));
    assert_schema_valid(&out, "edited PCI host device");

    // The ROM back on: bar='on' where the element is now; the short form of an
    // address means domain 0.
    d.set_field(s, "rom_bar", "yes").unwrap();
    d.set_field(s, "address", "06:00.0").unwrap();
    d.set_field(s, "managed", "yes").unwrap();
    let back = d.to_xml();
    assert!(back.contains("<rom bar='on'/>"), "{back}");
    assert_eq!(back.replace("\n      <rom bar='on'/>", ""), text, "{back}");
}

#[test]
fn a_reload_follows_the_selected_device_and_live_targets_are_the_current_values() {
    use hangar::backend::domain_xml::plan::{follow_device, live_targets, only_current_changed};
    let text = rich_valid();
    let old = dom(&text);
    let nic = device_index(&old, DeviceKind::Interface, 1);
    // A device added before it (as `virsh attach-device --config` would, here at the
    // start of <devices>): the same device is found at its new place.
    let mut new = dom(&text);
    let mut added = new.clone();
    let devices = added.doc.root.child_mut("devices").expect("devices");
    let extra = Document::parse("<shmem name='extra'/>").unwrap().root;
    devices
        .children
        .insert(0, hangar::backend::xml::Node::Element(extra));
    let moved = follow_device(&old, &added, nic).expect("still there");
    assert_ne!(moved, nic, "it moved");
    assert_eq!(added.device(moved), old.device(nic));
    // Changed in place: the same position still holds an interface.
    new.set_field(Section::Device(nic), "model", "rtl8139")
        .unwrap();
    assert_eq!(follow_device(&old, &new, nic), Some(nic));

    // Only the current values go to the running machine.
    let mut e = dom(&text);
    assert_eq!(live_targets(&old, &e), (None, None));
    e.set_field(Section::Memory, "memory", "768").unwrap();
    e.set_field(Section::Cpu, "vcpus", "3").unwrap();
    assert_eq!(live_targets(&old, &e), (Some(768 * 1024), Some(3)));
    assert!(only_current_changed(&old, &e));
    e.set_field(Section::Cpu, "max_vcpus", "6").unwrap();
    assert!(
        !only_current_changed(&old, &e),
        "a new maximum waits for shutdown"
    );
}

#[test]
fn pci_addresses_and_new_volumes_are_checked_as_typed() {
    use hangar::backend::domain::hardware::{check_new_volume, PoolVolumes, VolumeInfo};
    use hangar::backend::domain_xml::parse_pci_address;
    assert_eq!(
        parse_pci_address(" 0000:0a:1f.7 ").unwrap(),
        ["0x0000", "0x0a", "0x1f", "0x7"]
    );
    assert_eq!(parse_pci_address("3:00.1").unwrap()[1], "0x03");
    for bad in ["", "0a:1f", "0000:100:00.0", "g0:00.0", "0000:00:00.0.0"] {
        assert!(parse_pci_address(bad).is_err(), "{bad:?}");
    }
    let pool = PoolVolumes {
        name: "default".into(),
        active: true,
        available: 10 << 30,
        kind: "dir".into(),
        volumes: vec![VolumeInfo {
            name: "a.qcow2".into(),
            path: "/p/a.qcow2".into(),
            capacity: 1 << 30,
            allocation: 0,
            format: "qcow2".into(),
        }],
    };
    assert_eq!(check_new_volume(&pool, "b.qcow2", 10 << 30), None);
    assert!(check_new_volume(&pool, "b.qcow2", (10 << 30) + 1).is_some());
    assert!(check_new_volume(&pool, "b.qcow2", 0).is_some());
    assert!(check_new_volume(&pool, "a.qcow2", 1).is_some(), "taken");
    assert!(check_new_volume(&pool, "x/y", 1).is_some());
    assert!(check_new_volume(&pool, "  ", 1).is_some());
    let off = PoolVolumes {
        active: false,
        ..pool.clone()
    };
    assert!(check_new_volume(&off, "b.qcow2", 1).is_some());
}

#[test]
fn the_boot_menu_keeps_its_timeout_when_switched_off_and_on() {
    let mut d = dom(&rich_valid());
    assert_eq!(d.boot().menu_timeout_ms, Some(3000));
    d.set_field(Section::Boot, "boot_menu", "no").unwrap();
    d.set_field(Section::Boot, "boot_menu", "yes").unwrap();
    assert!(
        d.to_xml()
            .contains("<bootmenu enable='yes' timeout='3000'/>"),
        "{}",
        d.to_xml()
    );
    // The timeout is shown and edited in seconds.
    let spec = d
        .form(Section::Boot)
        .into_iter()
        .find(|f| f.id == "boot_menu_timeout")
        .expect("a timeout field");
    assert_eq!(spec.value, "3");
    d.set_field(Section::Boot, "boot_menu_timeout", "10")
        .unwrap();
    assert_eq!(d.boot().menu_timeout_ms, Some(10000));
    assert!(d
        .set_field(Section::Boot, "boot_menu_timeout", "90")
        .is_err());
    assert_schema_valid(&d.to_xml(), "boot menu timeout");
}

#[test]
fn the_boot_order_is_a_list_of_the_machines_devices() {
    let mut d = dom(&rich_valid());
    // <boot dev='hd'/><boot dev='cdrom'/>: the first disk, then the first CD-ROM,
    // then every other bootable device, off.
    let entries = d.boot_entries();
    let disk = device_index(&d, DeviceKind::Disk, 0);
    let cdrom = device_index(&d, DeviceKind::Cdrom, 0);
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.enabled)
            .map(|e| e.index)
            .collect::<Vec<_>>(),
        [disk, cdrom]
    );
    assert!(entries[0].name.starts_with("Disk 1"), "{:?}", entries[0]);
    assert!(entries
        .iter()
        .any(|e| e.kind == DeviceKind::Interface && !e.enabled));
    let spec = d
        .form(Section::Boot)
        .into_iter()
        .find(|f| f.id == "boot_order")
        .expect("a boot order field");
    assert!(matches!(spec.kind, FieldKind::BootOrder(ref e) if *e == entries));
    // Reordered and a NIC switched on: per-device <boot order>, nothing in <os>.
    let nic = device_index(&d, DeviceKind::Interface, 0);
    d.set_field(
        Section::Boot,
        "boot_order",
        &format!("{cdrom},{nic},-{disk}"),
    )
    .unwrap();
    let xml = d.to_xml();
    assert!(!xml.contains("<boot dev="), "{xml}");
    let on: Vec<usize> = d
        .boot_entries()
        .iter()
        .filter(|e| e.enabled)
        .map(|e| e.index)
        .collect();
    assert_eq!(on, [cdrom, nic]);
    assert_eq!(
        d.device(cdrom)
            .and_then(|e| e.child("boot"))
            .and_then(|b| b.attr("order")),
        Some("1")
    );
    assert!(d.device(disk).and_then(|e| e.child("boot")).is_none());
    assert_schema_valid(&xml, "per-device boot order");
}

#[test]
fn a_disk_moved_to_another_bus_loses_its_address_and_takes_a_fitting_name() {
    let xml = "<domain type='kvm'><name>m</name><memory>1</memory><os><type>hvm</type></os><devices>\
        <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/a.qcow2'/>\
        <target dev='vda' bus='virtio'/><address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/></disk>\
        <disk type='file' device='disk'><source file='/b.qcow2'/><target dev='sda' bus='sata'/></disk>\
        </devices></domain>";
    let mut d = dom(xml);
    let i = device_index(&d, DeviceKind::Disk, 0);
    d.set_field(Section::Device(i), "bus", "sata").unwrap();
    let v = DiskView::read(d.device(i).unwrap());
    assert_eq!(v.bus.as_deref(), Some("sata"));
    assert_eq!(v.target.as_deref(), Some("sdb"), "the next free SATA name");
    assert!(
        d.device(i).unwrap().child("address").is_none(),
        "the PCI address of the virtio disk is gone"
    );
    // Back to virtio: a vd name again.
    d.set_field(Section::Device(i), "bus", "virtio").unwrap();
    assert_eq!(
        DiskView::read(d.device(i).unwrap()).target.as_deref(),
        Some("vda")
    );
}

#[test]
fn an_apply_plan_updates_devices_in_place_and_defines_the_rest() {
    use hangar::backend::domain_xml::plan::ApplyPlan;
    let original = dom(&rich_valid());
    // A NIC's model: a live device update, nothing else.
    let mut d = original.clone();
    let nic = device_index(&d, DeviceKind::Interface, 0);
    d.set_field(Section::Device(nic), "model", "e1000e")
        .unwrap();
    let p = ApplyPlan::of(&original, &d, true);
    assert_eq!(p.device_updates.len(), 1);
    assert!(p.device_updates[0].contains("e1000e"));
    assert!(!p.define && !p.others_wait);
    // The boot order alone: the definition, no device update (QEMU cannot reorder
    // booting while it runs), waiting for the next start.
    let mut d = original.clone();
    let cdrom = device_index(&d, DeviceKind::Cdrom, 0);
    let disk = device_index(&d, DeviceKind::Disk, 0);
    d.set_field(Section::Boot, "boot_order", &format!("{cdrom},{disk}"))
        .unwrap();
    let p = ApplyPlan::of(&original, &d, true);
    assert!(p.device_updates.is_empty(), "{:?}", p.device_updates);
    assert!(p.define && p.others_wait);
    // Current memory on a running machine: set now, nothing waits.
    let mut d = original.clone();
    d.set_field(Section::Memory, "memory", "1536").unwrap();
    let p = ApplyPlan::of(&original, &d, true);
    assert_eq!(p.live_memory, Some(1536 * 1024));
    assert!(!p.others_wait);
    // Shut off: nothing is live.
    let p = ApplyPlan::of(&original, &d, false);
    assert_eq!((p.live_memory, p.others_wait), (None, false));
    assert!(p.define);
}
