//! A new machine's XML from libosinfo's facts, checked by libvirt's schema: a Linux
//! guest on virtio with the disc booted first, Windows 11 on UEFI with Secure Boot and
//! a TPM on emulated devices, and names made unique.

use std::process::Command;

use hangar::backend::create::plan::{check_vm_name, suggest_vm_name, DiskChoice, Source, VmPlan};
use hangar::backend::osinfo::OsinfoWorker;
use hangar::backend::xml::Document;

use crate::common::TempDir;

fn validate(xml: &str, what: &str) {
    let dir = TempDir::new("newvm");
    let f = dir.path().join(format!("{what}.xml"));
    std::fs::write(&f, xml).unwrap();
    let out = Command::new("virt-xml-validate")
        .arg(&f)
        .arg("domain")
        .output()
        .expect("virt-xml-validate runs");
    assert!(
        out.status.success(),
        "{what}: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn plan_for(os: &str, db: &OsinfoWorker) -> VmPlan {
    let id = os.to_string();
    let (full, devices, platform) = db
        .call_blocking(move |db| {
            let full = db.full_id(&id).expect("known to osinfo-db");
            let d = db.devices(&full)?;
            let p = d.platform("x86_64");
            Ok((full, d, p))
        })
        .expect("osinfo");
    VmPlan {
        name: format!("{os}-vm"),
        os_id: Some(full),
        memory_bytes: 2 << 30,
        vcpus: 2,
        arch: "x86_64".into(),
        source: Source::Media {
            path: "/isos/install.iso".into(),
        },
        disk: DiskChoice::Existing {
            path: "/pool/disk.qcow2".into(),
            format: "qcow2".into(),
        },
        network: Some("default".into()),
        devices: Some(devices),
        platform: Some(platform),
        unattended: None,
        accelerated: false,
        machine: None,
    }
}

#[test]
fn a_linux_guest_gets_virtio_and_boots_its_disc_first() {
    let db = OsinfoWorker::spawn();
    let plan = plan_for("debian11", &db);
    // The first boot installs: the disc in its drive, booted first.
    let install = plan.install_xml();
    validate(&install, "debian11-install");
    let doc = Document::parse(&install).unwrap();
    assert_eq!(
        doc.root.find(&["os", "boot"]).and_then(|b| b.attr("dev")),
        Some("cdrom")
    );
    assert!(install.contains("/isos/install.iso"));
    // Then it boots its disk; the drive stays, empty.
    let xml = plan.to_xml();
    validate(&xml, "debian11");
    let doc = Document::parse(&xml).unwrap();
    let r = &doc.root;
    let boots: Vec<&str> = r
        .find(&["os"])
        .unwrap()
        .children_named("boot")
        .filter_map(|b| b.attr("dev"))
        .collect();
    assert_eq!(boots, vec!["hd"]);
    assert!(
        !xml.contains("/isos/install.iso"),
        "the drive is empty after install"
    );
    assert!(xml.contains("cdrom"));
    assert!(
        xml.contains("bus=\"virtio\"") || xml.contains("bus='virtio'"),
        "{xml}"
    );
    assert!(
        xml.contains("debian.org/debian/11"),
        "the OS is recorded: {xml}"
    );
    assert_eq!(
        r.find(&["devices", "interface", "model"])
            .and_then(|m| m.attr("type")),
        Some("virtio")
    );
    assert!(
        r.find(&["os"]).and_then(|o| o.attr("firmware")).is_none(),
        "BIOS"
    );
    // SPICE with the agent's channel by default (what the console supports best).
    assert_eq!(
        r.find(&["devices", "graphics"])
            .and_then(|g| g.attr("type")),
        Some("spice")
    );
    assert_eq!(
        r.find(&["devices", "channel", "target"])
            .and_then(|t| t.attr("name")),
        Some("com.redhat.spice.0")
    );
}

#[test]
fn windows_11_gets_uefi_secure_boot_a_tpm_and_emulated_devices() {
    let db = OsinfoWorker::spawn();
    let xml = plan_for("win11", &db).to_xml();
    validate(&xml, "win11");
    let doc = Document::parse(&xml).unwrap();
    let r = &doc.root;
    assert_eq!(
        r.find(&["os"]).and_then(|o| o.attr("firmware")),
        Some("efi")
    );
    assert!(xml.contains("secure-boot"), "{xml}");
    assert!(r.find(&["devices", "tpm"]).is_some(), "a TPM 2.0");
    assert!(
        r.find(&["features", "smm"]).is_some(),
        "SMM for Secure Boot"
    );
    let bus = r
        .find(&["devices", "disk", "target"])
        .and_then(|t| t.attr("bus"))
        .unwrap_or_default()
        .to_string();
    assert_eq!(bus, "sata", "no virtio driver on the install disc");
    assert_eq!(
        r.find(&["clock"]).and_then(|c| c.attr("offset")),
        Some("localtime")
    );
}

#[test]
fn a_new_machine_gets_a_name_no_machine_has() {
    let taken = vec!["debian11".to_string(), "debian11-2".to_string()];
    assert_eq!(suggest_vm_name(Some("debian11"), &taken), "debian11-3");
    assert_eq!(suggest_vm_name(None, &taken), "vm");
    assert_eq!(suggest_vm_name(Some("win11"), &taken), "win11");
    assert!(check_vm_name("debian11", &taken)
        .unwrap()
        .contains("debian11"));
    assert!(check_vm_name(" ", &taken).is_some());
    assert_eq!(check_vm_name("web", &taken), None);
}

#[test]
fn a_file_qemu_cannot_open_is_said_with_the_folder_to_blame() {
    use hangar::backend::create::access::others_cannot_read;
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("access");
    let private = dir.path().join("home");
    std::fs::create_dir(&private).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let iso = private.join("disc.iso");
    std::fs::write(&iso, b"x").unwrap();
    std::fs::set_permissions(&iso, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let why = others_cannot_read(&iso).expect("a private folder is refused");
    assert!(why.contains(private.to_str().unwrap()), "{why}");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o711)).unwrap();
    assert_eq!(others_cannot_read(&iso), None, "passable and readable");
    std::fs::set_permissions(&iso, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(others_cannot_read(&iso).unwrap().contains("chmod o+r"));
}

#[test]
fn customize_first_keeps_the_install_xml_marked_and_begin_leaves_the_final_one() {
    use hangar::backend::create::begin::{final_xml, waits_for_install};
    let db = OsinfoWorker::spawn();
    let plan = plan_for("debian11", &db);
    let marked = plan.install_xml_marked(&[]);
    validate(&marked, "debian11-marked");
    assert!(waits_for_install(&marked));
    assert!(!waits_for_install(&plan.install_xml()));
    let after = final_xml(&marked).expect("final");
    validate(&after, "debian11-after");
    assert!(!waits_for_install(&after), "the mark is gone");
    assert!(
        after.contains("debian.org/debian/11"),
        "the OS stays in the metadata"
    );
    assert!(!after.contains("/isos/install.iso"), "the drive is empty");
    let doc = Document::parse(&after).unwrap();
    let boots: Vec<&str> = doc
        .root
        .find(&["os"])
        .unwrap()
        .children_named("boot")
        .filter_map(|b| b.attr("dev"))
        .collect();
    assert_eq!(boots, vec!["hd"]);
}

#[test]
fn a_cloud_init_seed_carries_the_user_the_key_and_the_host_name() {
    use hangar::backend::create::cloud::{build_seed, check_cloud, CloudInit};
    let c = CloudInit {
        user: "ada".into(),
        ssh_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHangarTestKey ada@host".into(),
        hostname: "web-1".into(),
    };
    assert!(check_cloud(&c).is_empty(), "{:?}", check_cloud(&c));
    let bad = CloudInit {
        user: "Ada Lovelace".into(),
        ssh_key: "not a key".into(),
        hostname: "web_1!".into(),
    };
    let fields: Vec<&str> = check_cloud(&bad).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, vec!["user", "ssh_key", "hostname"]);
    let dir = TempDir::new("seed");
    let iso = build_seed(&c, "web-1", dir.path()).expect("xorriso makes the seed");
    // The volume label cloud-init looks for, and the files it reads.
    let label = Command::new("xorriso")
        .args(["-indev"])
        .arg(&iso)
        .args(["-pvd_info"])
        .output()
        .expect("xorriso");
    let info = String::from_utf8_lossy(&label.stdout).to_string()
        + &String::from_utf8_lossy(&label.stderr);
    assert!(info.contains("cidata"), "{info}");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let x = Command::new("xorriso")
        .args(["-osirrox", "on", "-indev"])
        .arg(&iso)
        .args(["-extract", "/", out.to_str().unwrap()])
        .output()
        .expect("xorriso");
    assert!(x.status.success(), "{}", String::from_utf8_lossy(&x.stderr));
    let user_data = std::fs::read_to_string(out.join("user-data")).unwrap();
    assert!(user_data.starts_with("#cloud-config\n"));
    assert!(user_data.contains("name: ada") && user_data.contains("HangarTestKey"));
    assert!(user_data.contains("hostname: web-1"));
    let meta = std::fs::read_to_string(out.join("meta-data")).unwrap();
    assert!(meta.contains("instance-id: web-1"));
    assert!(out.join("network-config").is_file());
}

#[test]
fn a_card_on_a_host_bridge_or_macvtap_is_written_as_libvirt_has_it() {
    let db = OsinfoWorker::spawn();
    let mut plan = plan_for("debian11", &db);
    plan.network = Some("bridge:br0".into());
    let xml = plan.to_xml();
    validate(&xml, "bridge");
    let doc = Document::parse(&xml).unwrap();
    let i = doc.root.find(&["devices", "interface"]).unwrap();
    assert_eq!(i.attr("type"), Some("bridge"));
    assert_eq!(
        i.child("source").and_then(|s| s.attr("bridge")),
        Some("br0")
    );
    plan.network = Some("macvtap:enp3s0".into());
    let xml = plan.to_xml();
    validate(&xml, "macvtap");
    let doc = Document::parse(&xml).unwrap();
    let i = doc.root.find(&["devices", "interface"]).unwrap();
    assert_eq!(i.attr("type"), Some("direct"));
    let src = i.child("source").unwrap();
    assert_eq!(
        (src.attr("dev"), src.attr("mode")),
        (Some("enp3s0"), Some("bridge"))
    );
}

#[test]
fn a_network_install_boots_the_kernel_once_and_the_disk_after() {
    use hangar::backend::create::begin::final_xml;
    let db = OsinfoWorker::spawn();
    let mut plan = plan_for("fedora37", &db);
    plan.source = Source::Url {
        url: "http://mirror.invalid/fedora/37/Everything/x86_64/os".into(),
        kernel: "/pool/f37-vmlinuz".into(),
        initrd: "/pool/f37-initrd.img".into(),
        cmdline: "inst.repo=http://mirror.invalid/fedora/37/Everything/x86_64/os".into(),
    };
    let install = plan.install_xml_marked(&[]);
    validate(&install, "netinst");
    assert!(
        install.contains("<kernel>/pool/f37-vmlinuz</kernel>"),
        "{install}"
    );
    assert!(install.contains("<cmdline>inst.repo="), "{install}");
    let after = final_xml(&install).unwrap();
    validate(&after, "netinst-after");
    assert!(
        !after.contains("<kernel>") && !after.contains("<initrd>") && !after.contains("<cmdline>")
    );
    assert!(
        !plan.to_xml().contains("<kernel>"),
        "the final definition boots the disk"
    );
}

#[test]
fn guest_architectures_come_from_the_capabilities() {
    use hangar::backend::domain::host::guest_arches_from_capabilities;
    let caps = "<capabilities><host><cpu><arch>x86_64</arch></cpu></host>\
        <guest><os_type>hvm</os_type><arch name='x86_64'><wordsize>64</wordsize>\
        <emulator>/usr/bin/qemu-system-x86_64</emulator>\
        <machine maxCpus='255'>pc-i440fx-7.2</machine>\
        <machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>\
        <machine maxCpus='288'>pc-q35-7.2</machine>\
        <machine canonical='pc-q35-7.2' maxCpus='288'>q35</machine>\
        <domain type='qemu'/><domain type='kvm'/></arch></guest>\
        <guest><os_type>hvm</os_type><arch name='aarch64'><wordsize>64</wordsize>\
        <machine maxCpus='512'>virt-7.2</machine>\
        <machine canonical='virt-7.2' maxCpus='512'>virt</machine>\
        <domain type='qemu'/></arch></guest>\
        <guest><os_type>xen</os_type><arch name='i686'><domain type='xen'/></arch></guest>\
        </capabilities>";
    let g = guest_arches_from_capabilities(caps);
    let names: Vec<&str> = g.iter().map(|a| a.arch.as_str()).collect();
    assert_eq!(names, ["x86_64", "aarch64"], "hvm guests only");
    assert_eq!(g[0].machines, ["pc", "q35", "pc-i440fx-7.2", "pc-q35-7.2"]);
    assert!(g[0].accelerated() && !g[1].accelerated());
    assert_eq!(g[1].machines, ["virt", "virt-7.2"]);
    assert!(guest_arches_from_capabilities("not xml").is_empty());
}

#[test]
fn other_architectures_get_their_machine_firmware_and_buses() {
    let db = OsinfoWorker::spawn();
    let mut arm = plan_for("fedora37", &db);
    arm.arch = "aarch64".into();
    arm.platform = None;
    let xml = arm.install_xml();
    validate(&xml, "aarch64");
    assert!(xml.contains("arch='aarch64' machine='virt'"), "{xml}");
    assert!(xml.contains("firmware='efi'"), "Arm boots UEFI: {xml}");
    assert!(xml.contains("<cpu mode='maximum'/>"), "emulated: {xml}");
    assert!(!xml.contains("<apic/>"), "a PC's: {xml}");
    assert!(xml.contains("bus='scsi'") && xml.contains("model='virtio-scsi'"));
    assert!(!xml.contains("sata"), "no SATA on a virt machine: {xml}");
    let mut riscv = arm.clone();
    riscv.arch = "riscv64".into();
    let xml = riscv.to_xml();
    validate(&xml, "riscv64");
    assert!(xml.contains("arch='riscv64' machine='virt'") && !xml.contains("efi"));
    let mut pc32 = plan_for("fedora37", &db);
    pc32.arch = "i686".into();
    pc32.machine = Some("pc-i440fx-7.2".into());
    let xml = pc32.to_xml();
    validate(&xml, "i686");
    assert!(xml.contains("arch='i686' machine='pc-i440fx-7.2'"), "{xml}");
    assert!(xml.contains("<apic/>") && !xml.contains("<cpu"), "{xml}");
    let mut kvm = plan_for("fedora37", &db);
    kvm.accelerated = true;
    let xml = kvm.to_xml();
    validate(&xml, "kvm");
    assert!(xml.starts_with("<domain type='kvm'>"), "{xml}");
    assert!(xml.contains("<cpu mode='host-passthrough'/>"), "{xml}");
}

#[test]
fn qemus_user_is_let_in_by_acl_entries_and_nobody_else() {
    use hangar::backend::create::access::{
        blocked, let_read, qemu_cannot_read, qemu_uid_from_capabilities, Blocked,
    };
    use std::os::unix::fs::PermissionsExt;
    let caps = "<capabilities><host><secmodel><model>none</model><doi>0</doi></secmodel>\
        <secmodel><model>dac</model><doi>0</doi>\
        <baselabel type='kvm'>+64055:+994</baselabel>\
        <baselabel type='qemu'>+64055:+994</baselabel></secmodel></host></capabilities>";
    assert_eq!(qemu_uid_from_capabilities(caps), Some(64055));
    assert_eq!(qemu_uid_from_capabilities("<capabilities/>"), None);
    let dir = TempDir::new("acl");
    let outer = dir.path().join("home");
    let inner = outer.join("isos");
    std::fs::create_dir_all(&inner).unwrap();
    let iso = inner.join("disc.iso");
    std::fs::write(&iso, b"disc").unwrap();
    for (p, mode) in [(&outer, 0o700), (&inner, 0o750), (&iso, 0o600)] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let uid = 64055;
    assert_eq!(blocked(&iso, Some(uid)), Some(Blocked::Dir(outer.clone())));
    assert!(qemu_cannot_read(&iso, Some(uid))
        .unwrap()
        .contains("Let QEMU read it"));
    let changed = let_read(&iso, uid).expect("setfacl (the acl package)");
    assert_eq!(changed, [outer.clone(), inner.clone(), iso.clone()]);
    assert_eq!(blocked(&iso, Some(uid)), None, "QEMU's user gets through");
    assert_eq!(
        blocked(&iso, None),
        Some(Blocked::Dir(outer.clone())),
        "and nobody else"
    );
    assert_eq!(
        std::fs::metadata(&outer).unwrap().permissions().mode() & 0o007,
        0,
        "the mode bits stay"
    );
    assert_eq!(let_read(&iso, uid), Ok(Vec::new()), "nothing more to do");
}
