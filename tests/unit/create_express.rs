//! Express installation's plumbing: the script appended to an initrd as a cpio archive
//! the kernel reads, the script's own disc (read back with xorriso), and the XML of
//! the first boot — a direct kernel boot with the script's arguments, or the script's
//! disc attached — which the final definition leaves behind.

use std::process::Command;

use hangar::backend::create::begin::{final_xml, made_volumes};
use hangar::backend::create::inject::{
    append_to_initrd, appended_at, build_config_disc, cpio_files, cpio_newc, read_from_iso,
    CONFIG_DISC_LABEL,
};
use hangar::backend::create::plan::{DiskChoice, Source, Unattended, VmPlan};
use hangar::backend::osinfo::InjectionMethod;

use crate::common::TempDir;

fn plan(os_id: &str, source: Source, u: Unattended) -> VmPlan {
    VmPlan {
        name: "express".into(),
        os_id: Some(os_id.into()),
        memory_bytes: 2 << 30,
        vcpus: 2,
        arch: "x86_64".into(),
        source,
        disk: DiskChoice::Existing {
            path: "/pool/express.qcow2".into(),
            format: "qcow2".into(),
        },
        network: None,
        devices: None,
        platform: None,
        unattended: Some(u),
        accelerated: false,
        machine: None,
    }
}

fn unattended(injection: InjectionMethod) -> Unattended {
    Unattended {
        filename: "fedora.ks".into(),
        text: "user --name=alice\n".into(),
        injection,
        cmdline: Some("inst.ks=file:/fedora.ks".into()),
        media_kernel: Some("images/pxeboot/vmlinuz".into()),
        media_initrd: Some("images/pxeboot/initrd.img".into()),
        media_label: Some("Fedora-E-dvd-x86_64-37".into()),
        kernel: String::new(),
        initrd: String::new(),
        config_disc: String::new(),
    }
}

#[test]
fn the_script_rides_on_the_initrd_as_a_cpio_archive_the_kernel_reads() {
    let one = cpio_newc(&[("preseed.cfg", b"d-i passwd/username string alice\n")]);
    assert_eq!(&one[..6], b"070701", "the new ASCII format");
    assert_eq!(one.len() % 4, 0, "archives end on four bytes");
    let files = cpio_files(&one).expect("an archive");
    assert_eq!(
        files,
        vec![(
            "preseed.cfg".to_string(),
            b"d-i passwd/username string alice\n".to_vec()
        )]
    );
    // After an initrd of an odd length: the archive starts on the next four bytes,
    // with zeros between (the kernel skips them), and the initrd is unchanged.
    let initrd = b"\x1f\x8b compressed initrd.".to_vec();
    let joined = append_to_initrd(&initrd, &[("/preseed.cfg", b"x"), ("b.txt", b"")]);
    assert_eq!(&joined[..initrd.len()], &initrd[..]);
    let at = appended_at(initrd.len());
    assert_eq!(at % 4, 0);
    assert!(joined[initrd.len()..at].iter().all(|b| *b == 0));
    let files = cpio_files(&joined[at..]).expect("the appended archive");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["preseed.cfg", "b.txt"], "names without a leading /");
    // The system's cpio reads it the same way.
    let dir = TempDir::new("cpio");
    let f = dir.path().join("a.cpio");
    std::fs::write(&f, &joined[at..]).unwrap();
    let out = Command::new("cpio")
        .args(["-t", "--quiet", "-F"])
        .arg(&f)
        .output()
        .expect("cpio (build-aux/install-deps.sh --test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "preseed.cfg\nb.txt\n");
    // Not an archive: said, not misread.
    assert_eq!(cpio_files(b"070702 not this"), None);
}

#[test]
fn the_script_disc_holds_the_file_and_the_installers_are_read_out_of_a_disc() {
    let dir = TempDir::new("config-disc");
    let disc = build_config_disc("autounattend.xml", "<unattend>alice</unattend>", dir.path())
        .expect("made");
    let label = Command::new("xorriso")
        .args(["-indev"])
        .arg(&disc)
        .args(["-pvd_info"])
        .output()
        .expect("xorriso");
    assert!(
        String::from_utf8_lossy(&label.stdout).contains(CONFIG_DISC_LABEL),
        "{}",
        String::from_utf8_lossy(&label.stdout)
    );
    let back = read_from_iso(&disc, "autounattend.xml", &dir.path().join("out")).expect("read");
    assert_eq!(back, b"<unattend>alice</unattend>");
    let missing = read_from_iso(&disc, "install.amd/vmlinuz", &dir.path().join("out"))
        .expect_err("not on the disc");
    assert!(missing.contains("install.amd/vmlinuz"), "{missing}");
}

#[test]
fn a_disc_install_boots_its_own_kernel_once_with_the_scripts_arguments() {
    let mut u = unattended(InjectionMethod::Initrd);
    u.kernel = "/pool/express-vmlinuz".into();
    u.initrd = "/pool/express-initrd.img".into();
    let p = plan(
        "http://fedoraproject.org/fedora/37",
        Source::Media {
            path: "/isos/Fedora 37.iso".into(),
        },
        u,
    );
    let install = p.install_xml();
    assert!(
        install.contains("<kernel>/pool/express-vmlinuz</kernel>"),
        "{install}"
    );
    assert!(install.contains("<initrd>/pool/express-initrd.img</initrd>"));
    // Anaconda finds its disc by its label, then the kickstart in its initrd.
    assert!(
        install.contains(
            "<cmdline>inst.stage2=hd:LABEL=Fedora-E-dvd-x86_64-37 inst.ks=file:/fedora.ks</cmdline>"
        ),
        "{install}"
    );
    assert!(
        !install.contains("<boot dev='cdrom'/>"),
        "the kernel, not the disc"
    );
    assert!(
        install.contains("/isos/Fedora 37.iso"),
        "the disc stays in for its packages"
    );
    let marked =
        p.install_xml_marked(&["/pool/express.qcow2".into(), "/pool/express-vmlinuz".into()]);
    assert_eq!(
        made_volumes(&marked),
        ["/pool/express.qcow2", "/pool/express-vmlinuz"]
    );
    for after in [p.to_xml(), final_xml(&marked).unwrap()] {
        assert!(
            !after.contains("<kernel>") && !after.contains("<cmdline>"),
            "{after}"
        );
        assert!(made_volumes(&after).is_empty());
    }
    // Not Anaconda: only the script's arguments.
    let mut u = unattended(InjectionMethod::Initrd);
    u.kernel = "/pool/k".into();
    u.initrd = "/pool/i".into();
    u.cmdline = Some("auto=true priority=critical".into());
    let d = plan(
        "http://debian.org/debian/11",
        Source::Media {
            path: "/isos/d.iso".into(),
        },
        u,
    );
    assert!(d
        .install_xml()
        .contains("<cmdline>auto=true priority=critical</cmdline>"));
    // A network install: the tree's argument, then the script's.
    let n = plan(
        "http://fedoraproject.org/fedora/37",
        Source::Url {
            url: "http://mirror/f37".into(),
            kernel: "/pool/k".into(),
            initrd: "/pool/i".into(),
            cmdline: "inst.repo=http://mirror/f37".into(),
        },
        unattended(InjectionMethod::Initrd),
    );
    assert!(n
        .install_xml()
        .contains("<cmdline>inst.repo=http://mirror/f37 inst.ks=file:/fedora.ks</cmdline>"));
}

#[test]
fn windows_setup_gets_the_script_on_a_disc_of_its_own_for_the_first_boot_only() {
    let mut u = unattended(InjectionMethod::Cdrom);
    u.filename = "autounattend.xml".into();
    u.cmdline = None;
    u.config_disc = "/pool/express-install-script.iso".into();
    let p = plan(
        "http://microsoft.com/win/10",
        Source::Media {
            path: "/isos/win10.iso".into(),
        },
        u,
    );
    let install = p.install_xml();
    assert!(
        install.contains("/pool/express-install-script.iso"),
        "{install}"
    );
    assert!(install.contains("<alias name='ua-hangar-install-script'/>"));
    assert!(
        install.contains("<boot dev='cdrom'/>"),
        "Setup boots from its disc"
    );
    assert!(!install.contains("<kernel>"));
    let after = final_xml(&p.install_xml_marked(&[])).unwrap();
    assert!(
        !after.contains("install-script"),
        "the drive is gone: {after}"
    );
    assert!(!p.to_xml().contains("install-script"));
    // The install disc's drive stays, empty.
    assert_eq!(after.matches("device='cdrom'").count(), 1, "{after}");
}

#[test]
fn what_the_host_lacks_for_a_machine_is_said_before_it_is_made() {
    use hangar::backend::create::firmware::{check_platform, parse_domain_capabilities};
    use hangar::backend::osinfo::PlatformNeeds;
    // libvirt 9.0's domain capabilities on a host with OVMF and swtpm (abridged).
    let full = "<domainCapabilities><path>/usr/bin/qemu-system-x86_64</path>\
        <domain>qemu</domain><machine>pc-q35-7.2</machine><arch>x86_64</arch>\
        <os supported='yes'><enum name='firmware'><value>efi</value></enum>\
        <loader supported='yes'><value>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</value>\
        <enum name='type'><value>rom</value><value>pflash</value></enum>\
        <enum name='secure'><value>yes</value><value>no</value></enum></loader></os>\
        <devices><tpm supported='yes'><enum name='model'><value>tpm-tis</value>\
        <value>tpm-crb</value></enum><enum name='backendModel'><value>passthrough</value>\
        <value>emulator</value></enum></tpm></devices></domainCapabilities>";
    let all = parse_domain_capabilities(full);
    assert!(all.efi && all.secure_boot && all.tpm_emulator, "{all:?}");
    // Without OVMF and swtpm.
    let bare = "<domainCapabilities><os supported='yes'><enum name='firmware'/>\
        <loader supported='yes'><enum name='secure'><value>no</value></enum></loader></os>\
        <devices><tpm supported='yes'><enum name='backendModel'><value>passthrough</value>\
        </enum></tpm></devices></domainCapabilities>";
    let none = parse_domain_capabilities(bare);
    assert!(
        !none.efi && !none.secure_boot && !none.tpm_emulator,
        "{none:?}"
    );
    let mut win11 = plan(
        "http://microsoft.com/win/11",
        Source::Media {
            path: "/isos/win11.iso".into(),
        },
        unattended(InjectionMethod::Cdrom),
    );
    win11.platform = Some(PlatformNeeds {
        requires_uefi: true,
        secure_boot: true,
        tpm2: true,
        ..Default::default()
    });
    assert_eq!(check_platform(&win11, &all), None);
    let why = check_platform(&win11, &none).expect("refused");
    assert!(
        why.contains("apt install ovmf") && why.contains("BIOS"),
        "{why}"
    );
    let no_tpm = hangar::backend::create::firmware::PlatformSupport {
        tpm_emulator: false,
        ..all.clone()
    };
    let why = check_platform(&win11, &no_tpm).expect("refused");
    assert!(why.contains("11") && why.contains("swtpm"), "{why}");
    // BIOS chosen: no firmware needed, the TPM still is.
    let mut bios = win11.clone();
    bios.platform = Some(PlatformNeeds {
        requires_uefi: false,
        secure_boot: false,
        tpm2: false,
        ..Default::default()
    });
    assert_eq!(check_platform(&bios, &none), None);
}
