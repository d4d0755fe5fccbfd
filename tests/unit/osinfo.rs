//! The osinfo module against libosinfo 1.10 and Debian 12's osinfo-db, without GTK.
//!
//! - Detection: small bootable ISO images made with xorriso carry the identifiers the
//!   real install media of each OS carry (written down below with the image they come
//!   from); each must be detected as that OS, and as `osinfo-detect` (libosinfo's own
//!   tool) detects it. The expected OS comes from what the real media is, never from
//!   this module.
//! - Resources, devices and firmware are compared with what the database's XML says,
//!   read here with Hangar's XML parser, inheritance (`derives-from`) followed by the
//!   rules libosinfo documents.
//! - A user database directory (through `OSINFO_USER_DIR`, and through the default
//!   `$XDG_CONFIG_HOME/osinfo`) runs in a child process, since the environment is read
//!   at load time and changing it in a threaded test process is unsound.
//! - Express-install scripts are generated offline (run-tests.sh runs this inside a
//!   network namespace with no route out).
//! - Trees are read from a local `file://` directory only; nothing leaves the machine.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use gio::prelude::*;

use hangar::backend::osinfo::{
    fallback_for, generic_choices, search, DetectedMedia, ExpressConfig, InjectionMethod, OsinfoDb,
    OsinfoError, OsinfoWorker, ScriptRequest, ScriptTarget,
};
use hangar::backend::xml::{Document, Element};

const OSINFO_DIR: &str = "/usr/share/osinfo";

// ---------------------------------------------------------------------------------
// Fixtures

/// A temporary directory of its own, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hangar-osinfo-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The identifiers of an ISO 9660 primary volume descriptor.
#[derive(Clone, Copy, Default)]
struct Ids<'a> {
    volume: &'a str,
    system: Option<&'a str>,
    publisher: Option<&'a str>,
    application: Option<&'a str>,
}

/// Writes a small ISO (about 370 KiB) with these identifiers; with an El Torito boot
/// record (`-b boot.img -no-emul-boot`) when `bootable`, as every install disc has.
fn make_iso(dir: &Path, name: &str, ids: Ids, bootable: bool) -> PathBuf {
    let root = dir.join(format!("{name}.root"));
    std::fs::create_dir_all(&root).expect("iso root");
    std::fs::write(root.join("boot.img"), vec![0u8; 2048]).expect("boot image");
    let out = dir.join(format!("{name}.iso"));
    let mut cmd = Command::new("xorriso");
    cmd.args(["-as", "mkisofs", "-quiet", "-V", ids.volume]);
    if bootable {
        cmd.args(["-b", "boot.img", "-no-emul-boot", "-boot-load-size", "4"]);
    }
    cmd.arg("-o").arg(&out).arg(&root);
    let res = cmd
        .output()
        .expect("xorriso must be installed (build-aux/install-deps.sh --test)");
    assert!(
        res.status.success(),
        "xorriso failed: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    // xorriso writes system, publisher and application ids in upper case (ISO 9660's
    // a-characters); real discs carry mixed case ("SUSE LINUX GmbH", "FreeBSD"), and
    // libosinfo's rules are case-sensitive. Write them into the primary volume
    // descriptor as the real discs have them.
    if let Some(s) = ids.system {
        set_pvd_field(&out, 8, 32, s);
    }
    if let Some(p) = ids.publisher {
        set_pvd_field(&out, 318, 128, p);
    }
    if let Some(a) = ids.application {
        set_pvd_field(&out, 574, 128, a);
    }
    out
}

/// Writes `value`, padded with spaces to `len` bytes, at `offset` of the primary
/// volume descriptor (sector 16; ECMA-119 8.4: system id at 8, publisher at 318,
/// application at 574).
fn set_pvd_field(iso: &Path, offset: u64, len: usize, value: &str) {
    use std::io::{Read, Seek, SeekFrom, Write};
    const PVD: u64 = 16 * 2048;
    assert!(value.len() <= len);
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(iso)
        .expect("iso");
    let mut head = [0u8; 6];
    f.seek(SeekFrom::Start(PVD)).expect("seek");
    f.read_exact(&mut head).expect("read");
    assert_eq!(
        &head, b"\x01CD001",
        "a primary volume descriptor at sector 16"
    );
    let mut field = value.as_bytes().to_vec();
    field.resize(len, b' ');
    f.seek(SeekFrom::Start(PVD + offset)).expect("seek");
    f.write_all(&field).expect("write");
}

/// One worker for the whole test process: the database loads once (0.3 s).
fn worker() -> &'static OsinfoWorker {
    static W: OnceLock<OsinfoWorker> = OnceLock::new();
    W.get_or_init(OsinfoWorker::spawn)
}

fn detect(path: &Path) -> DetectedMedia {
    let p = path.to_path_buf();
    worker()
        .call_blocking(move |db| db.detect_media(&p, None))
        .expect("detection")
}

/// What libosinfo's own `osinfo-detect` says: the names it reports
/// (`Fedora Everything 37 (x86_64)`), empty when it finds no OS.
fn osinfo_detect(path: &Path) -> Vec<String> {
    let out = Command::new("osinfo-detect")
        .arg(path)
        .output()
        .expect("osinfo-detect must be installed (libosinfo-bin)");
    assert!(out.status.success(), "osinfo-detect failed: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split("for OS '").nth(1))
        .filter_map(|l| l.strip_suffix('\''))
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------------------------------
// The database's XML, read independently of libosinfo

struct OsXml {
    short_ids: Vec<String>,
    family: Option<String>,
    vendor: Option<String>,
    release_date: Option<String>,
    release_status: Option<String>,
    version: Option<String>,
    derives_from: Vec<String>,
    clones: Vec<String>,
    /// Every `<os>` element with this id: `win-10.xml` and the files of `win-10.d/`
    /// describe one OS, as libosinfo's loader merges them.
    els: Vec<Element>,
}

impl OsXml {
    /// The children `name` of every element of this OS.
    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.els.iter().flat_map(move |e| e.children_named(name))
    }
}

struct XmlDb {
    oses: BTreeMap<String, OsXml>,
    /// Device id → name.
    devices: BTreeMap<String, String>,
    /// Datamap id → (in → out).
    datamaps: BTreeMap<String, BTreeMap<String, String>>,
    /// Install script id → element.
    scripts: BTreeMap<String, Element>,
}

fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            xml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "xml") {
            out.push(p);
        }
    }
}

/// The text of the first child `name` without `xml:lang` (the untranslated one).
fn plain_child(el: &Element, name: &str) -> Option<String> {
    el.children_named(name)
        .find(|c| c.attr("xml:lang").is_none())
        .map(|c| c.text().trim().to_string())
        .filter(|t| !t.is_empty())
}

fn xml_db() -> &'static XmlDb {
    static DB: OnceLock<XmlDb> = OnceLock::new();
    DB.get_or_init(|| {
        let mut files = Vec::new();
        xml_files(Path::new(OSINFO_DIR), &mut files);
        assert!(files.len() > 500, "osinfo-db is installed: {}", files.len());
        let mut db = XmlDb {
            oses: BTreeMap::new(),
            devices: BTreeMap::new(),
            datamaps: BTreeMap::new(),
            scripts: BTreeMap::new(),
        };
        for f in files {
            let text = std::fs::read_to_string(&f).expect("db file");
            let doc = Document::parse(&text).expect("db XML");
            for el in doc.root.children_named("os") {
                let id = el.attr("id").expect("os id").to_string();
                let o = db.oses.entry(id).or_insert_with(|| OsXml {
                    short_ids: Vec::new(),
                    family: None,
                    vendor: None,
                    release_date: None,
                    release_status: None,
                    version: None,
                    derives_from: Vec::new(),
                    clones: Vec::new(),
                    els: Vec::new(),
                });
                for c in el.children_named("short-id") {
                    let s = c.text().trim().to_string();
                    if !o.short_ids.contains(&s) {
                        o.short_ids.push(s);
                    }
                }
                for (field, name) in [
                    (&mut o.family, "family"),
                    (&mut o.vendor, "vendor"),
                    (&mut o.release_date, "release-date"),
                    (&mut o.release_status, "release-status"),
                    (&mut o.version, "version"),
                ] {
                    if field.is_none() {
                        *field = plain_child(el, name);
                    }
                }
                for (list, name) in [
                    (&mut o.derives_from, "derives-from"),
                    (&mut o.clones, "clones"),
                ] {
                    for id in el.children_named(name).filter_map(|c| c.attr("id")) {
                        if !list.iter().any(|x| x == id) {
                            list.push(id.to_string());
                        }
                    }
                }
                o.els.push(el.clone());
            }
            for el in doc.root.children_named("device") {
                if let (Some(id), Some(name)) = (el.attr("id"), plain_child(el, "name")) {
                    db.devices.insert(id.to_string(), name);
                }
            }
            for el in doc.root.children_named("datamap") {
                let map = el
                    .children_named("entry")
                    .filter_map(|e| {
                        Some((e.attr("inval")?.to_string(), e.attr("outval")?.to_string()))
                    })
                    .collect();
                db.datamaps
                    .insert(el.attr("id").expect("datamap id").to_string(), map);
            }
            for el in doc.root.children_named("install-script") {
                db.scripts
                    .insert(el.attr("id").expect("script id").to_string(), el.clone());
            }
        }
        db
    })
}

impl XmlDb {
    fn by_short_id(&self, short: &str) -> (&str, &OsXml) {
        self.oses
            .iter()
            .find(|(_, o)| o.short_ids.iter().any(|s| s == short))
            .map(|(id, o)| (id.as_str(), o))
            .unwrap_or_else(|| panic!("{short} in the XML"))
    }

    /// `os` and the OSes it derives from or clones, depth first, as libosinfo's
    /// `osinfo_product_foreach_related` visits them.
    fn lineage(&self, os: &str) -> Vec<String> {
        let mut out = vec![os.to_string()];
        if let Some(o) = self.oses.get(os) {
            for parent in o.derives_from.iter().chain(&o.clones) {
                out.extend(self.lineage(parent));
            }
        }
        out
    }
}

/// (cpu, n-cpus, ram, storage); -1 when not said.
type Res = [i64; 4];

fn res_fields(el: &Element) -> Res {
    let v = |n: &str| {
        el.child(n)
            .and_then(|c| c.text().trim().parse::<i64>().ok())
            .unwrap_or(-1)
    };
    [v("cpu"), v("n-cpus"), v("ram"), v("storage")]
}

/// The `kind` (`minimum`, `recommended`…) resources of `os` per architecture, as
/// libosinfo documents them: the OS's own `<resources arch>` entries; one marked
/// `inherit="true"` fills each figure it lacks from the first OS in its lineage with a
/// figure for the same architecture.
fn expected_resources(db: &XmlDb, os: &str, kind: &str) -> BTreeMap<String, Res> {
    let own = |id: &str| -> Vec<(String, bool, Res)> {
        db.oses[id]
            .children("resources")
            .filter_map(|r| {
                let inherit = r.attr("inherit") == Some("true");
                let arch = r.attr("arch").unwrap_or("all").to_string();
                match r.child(kind) {
                    Some(k) => Some((arch, inherit, res_fields(k))),
                    None if inherit => Some((arch, inherit, [-1; 4])),
                    None => None,
                }
            })
            .collect()
    };
    let mut out = BTreeMap::new();
    for (arch, inherit, mut res) in own(os) {
        if inherit {
            for ancestor in db.lineage(os).iter().skip(1) {
                for (a, _, r) in own(ancestor) {
                    if a != arch {
                        continue;
                    }
                    for i in 0..4 {
                        if res[i] == -1 {
                            res[i] = r[i];
                        }
                    }
                }
            }
        }
        out.insert(arch, res);
    }
    out
}

/// The device ids `os` supports: every supported link of its lineage, less the ones the
/// OS itself marks unsupported.
fn expected_devices(db: &XmlDb, os: &str) -> BTreeSet<String> {
    let links = |id: &str| -> Vec<(String, bool)> {
        db.oses[id]
            .children("devices")
            .flat_map(|d| d.children_named("device"))
            .filter_map(|d| {
                Some((
                    d.attr("id")?.to_string(),
                    d.attr("supported") != Some("false"),
                ))
            })
            .collect()
    };
    let mut set: BTreeSet<String> = db
        .lineage(os)
        .iter()
        .flat_map(|id| links(id))
        .filter(|(_, supported)| *supported)
        .map(|(id, _)| id)
        .collect();
    for (id, supported) in links(os) {
        if !supported {
            set.remove(&id);
        }
    }
    set
}

// ---------------------------------------------------------------------------------
// Detection

/// Identifiers of real install media (from the images named), and the OS each is.
struct RealMedia {
    image: &'static str,
    ids: Ids<'static>,
    os: &'static str,
    live: bool,
}

const REAL_MEDIA: &[RealMedia] = &[
    RealMedia {
        image: "Fedora-Everything-netinst-x86_64-37-1.7.iso",
        ids: Ids {
            volume: "Fedora-E-dvd-x86_64-37",
            system: Some("LINUX"),
            publisher: None,
            application: None,
        },
        os: "fedora37",
        live: false,
    },
    RealMedia {
        image: "debian-11.5.0-amd64-netinst.iso",
        ids: Ids {
            volume: "Debian 11.5.0 amd64 n",
            system: Some("LINUX"),
            publisher: None,
            application: None,
        },
        os: "debian11",
        live: false,
    },
    RealMedia {
        image: "ubuntu-22.04.1-desktop-amd64.iso",
        ids: Ids {
            volume: "Ubuntu 22.04.1 LTS amd64",
            system: None,
            publisher: None,
            application: None,
        },
        os: "ubuntu22.04",
        live: true,
    },
    RealMedia {
        image: "openSUSE-Leap-15.4-DVD-x86_64-Media.iso",
        ids: Ids {
            volume: "openSUSE-Leap-15.4-DVD-x86_64",
            system: Some("LINUX"),
            publisher: Some("SUSE LINUX GmbH"),
            application: None,
        },
        os: "opensuse15.4",
        live: false,
    },
    RealMedia {
        image: "Windows 10 Enterprise x64 (en-us)",
        ids: Ids {
            volume: "CENA_X64FREV_EN-US_DV5",
            system: None,
            publisher: Some("MICROSOFT CORPORATION"),
            application: Some("CDIMAGE 2.56 (01/01/2005 TM)"),
        },
        os: "win10",
        live: false,
    },
    RealMedia {
        image: "Win11_22H2_English_x64.iso",
        ids: Ids {
            volume: "CCCOMA_X64FRE_EN-US_DV9",
            system: None,
            publisher: Some("MICROSOFT CORPORATION"),
            application: Some("CDIMAGE 2.56 (01/01/2005 TM)"),
        },
        os: "win11",
        live: false,
    },
    RealMedia {
        image: "FreeBSD-13.1-RELEASE-amd64-disc1.iso",
        ids: Ids {
            volume: "13_1_RELEASE_AMD64_CD",
            system: Some("FreeBSD"),
            publisher: None,
            application: None,
        },
        os: "freebsd13.1",
        live: false,
    },
];

/// A bootable ISO with the identifiers of the real media of `os`.
fn real_iso(dir: &Path, os: &str) -> PathBuf {
    let m = REAL_MEDIA
        .iter()
        .find(|m| m.os == os)
        .unwrap_or_else(|| panic!("real media of {os}"));
    make_iso(dir, os, m.ids, true)
}

#[test]
fn real_media_identifiers_are_detected_as_their_os_and_as_osinfo_detect_says() {
    let dir = TempDir::new("real");
    for (i, m) in REAL_MEDIA.iter().enumerate() {
        let iso = make_iso(dir.path(), &format!("m{i}"), m.ids, true);
        let d = detect(&iso);
        let what = format!("{} ({})", m.image, m.ids.volume);
        assert!(d.bootable, "{what}: bootable");
        assert_eq!(
            d.volume_id.as_deref(),
            Some(m.ids.volume),
            "{what}: volume id read"
        );
        assert_eq!(
            d.publisher_id.as_deref(),
            m.ids.publisher,
            "{what}: publisher"
        );
        assert_eq!(
            d.application_id.as_deref(),
            m.ids.application,
            "{what}: application"
        );
        assert_eq!(d.system_id.as_deref(), m.ids.system, "{what}: system");
        let os =
            d.os.as_ref()
                .unwrap_or_else(|| panic!("{what}: not detected"));
        assert_eq!(os.short_id, m.os, "{what}: detected as {os:?}");
        assert_eq!(
            d.candidates.first().map(|c| c.os.short_id.as_str()),
            Some(m.os),
            "{what}: the first candidate is the detected OS"
        );
        assert_eq!(d.live, m.live, "{what}: live");
        assert_eq!(d.architecture.as_deref(), Some("x86_64"), "{what}: arch");
        // libosinfo's own tool, on the same file, names the same OS (or its variant).
        let detect_names = osinfo_detect(&iso);
        let ours = format!(
            "{} (x86_64)",
            d.variants
                .first()
                .cloned()
                .unwrap_or_else(|| os.name.clone())
        );
        assert_eq!(
            detect_names.first(),
            Some(&ours),
            "{what}: osinfo-detect says {detect_names:?}"
        );
    }
}

#[test]
fn windows_10_and_11_discs_are_ambiguous_in_this_database_and_both_are_offered() {
    // Consumer Windows 10 and 11 discs both carry CCCOMA_X64FRE_…; osinfo-db 20221130
    // has the same volume-id rule for both. libosinfo's first match (Windows 11) is
    // detected, and Windows 10 is offered beside it.
    let dir = TempDir::new("win");
    let iso = real_iso(dir.path(), "win11");
    let d = detect(&iso);
    let candidates: Vec<&str> = d
        .candidates
        .iter()
        .map(|c| c.os.short_id.as_str())
        .collect();
    assert_eq!(candidates, ["win11", "win10"]);
    let win11 = xml_db().by_short_id("win11").1;
    let win10 = xml_db().by_short_id("win10").1;
    let rule = |os: &OsXml| -> BTreeSet<String> {
        os.children("media")
            .filter(|m| m.attr("arch") == Some("x86_64") && m.child("variant").is_none())
            .filter_map(|m| m.find(&["iso", "volume-id"]).map(|v| v.text()))
            .collect()
    };
    assert_eq!(rule(win11), rule(win10), "the XML has one rule for both");
    assert!(
        !d.supports_install_script,
        "win11 has no install script in this db"
    );
}

#[test]
fn an_unknown_disc_is_not_detected_and_a_disc_that_cannot_boot_neither() {
    let dir = TempDir::new("unknown");
    let unknown = make_iso(
        dir.path(),
        "unknown",
        Ids {
            volume: "HANGAR_NOTHING_KNOWN_1",
            ..Ids::default()
        },
        true,
    );
    let d = detect(&unknown);
    assert!(d.bootable);
    assert_eq!(d.os, None);
    assert!(d.candidates.is_empty());
    assert!(!d.installer && !d.live && d.install_scripts.is_empty());
    assert!(osinfo_detect(&unknown).is_empty(), "osinfo-detect agrees");

    // The Fedora identifiers without an El Torito record: libosinfo identifies
    // bootable media only.
    let fedora = REAL_MEDIA
        .iter()
        .find(|m| m.os == "fedora37")
        .expect("fedora");
    let flat = make_iso(dir.path(), "flat", fedora.ids, false);
    let d = detect(&flat);
    assert!(!d.bootable);
    assert_eq!(d.volume_id.as_deref(), Some(fedora.ids.volume));
    assert_eq!(d.os, None);
}

#[test]
fn missing_files_and_files_that_are_no_disc_image_are_refused_with_the_reason() {
    let dir = TempDir::new("bad");
    let missing = dir.path().join("missing.iso");
    let p = missing.clone();
    let err = worker()
        .call_blocking(move |db| db.detect_media(&p, None))
        .expect_err("missing");
    assert_eq!(
        err,
        OsinfoError::MediaNotFound {
            path: missing.to_string_lossy().into()
        }
    );
    let text = dir.path().join("notes.iso");
    std::fs::write(&text, "not a disc image\n".repeat(4000)).expect("write");
    let p = text.clone();
    let err = worker()
        .call_blocking(move |db| db.detect_media(&p, None))
        .expect_err("not an ISO");
    assert!(matches!(err, OsinfoError::NotAnIso { .. }), "{err:?}");
    assert!(err.to_string().contains("notes.iso"), "{err}");
}

#[test]
fn a_cancelled_detection_says_cancelled() {
    let dir = TempDir::new("cancel");
    let iso = real_iso(dir.path(), "fedora37");
    let cancellable = gio::Cancellable::new();
    cancellable.cancel();
    let err = worker()
        .call_blocking(move |db| db.detect_media(&iso, Some(&cancellable)))
        .expect_err("cancelled");
    assert_eq!(err, OsinfoError::Cancelled);
}

#[test]
fn a_local_installation_tree_is_detected_from_its_treeinfo() {
    // The .treeinfo of Fedora 37's Everything tree (productmd format), in a local
    // directory: only file:// is read in tests.
    let dir = TempDir::new("tree");
    std::fs::write(
        dir.path().join(".treeinfo"),
        "[header]\ntype = productmd.treeinfo\nversion = 1.2\n\n\
         [release]\nname = Fedora\nshort = Fedora\nversion = 37\n\n\
         [general]\narch = x86_64\nfamily = Fedora\nname = Fedora 37\n\
         platforms = x86_64,xen\nvariant = Everything\nversion = 37\n\n\
         [images-x86_64]\ninitrd = images/pxeboot/initrd.img\n\
         kernel = images/pxeboot/vmlinuz\nboot.iso = images/boot.iso\n",
    )
    .expect("treeinfo");
    let url = format!("file://{}", dir.path().display());
    let u = url.clone();
    let t = worker()
        .call_blocking(move |db| db.detect_tree(&u, None))
        .expect("tree");
    assert_eq!(t.url, url);
    assert_eq!(t.os.as_ref().map(|o| o.short_id.as_str()), Some("fedora37"));
    assert_eq!(t.treeinfo_variant.as_deref(), Some("Everything"));
    assert_eq!(t.kernel_path.as_deref(), Some("images/pxeboot/vmlinuz"));
    assert_eq!(
        t.initrd_url(),
        Some(format!("{url}/images/pxeboot/initrd.img"))
    );
    assert_eq!(t.kernel_url_argument.as_deref(), Some("inst.repo"));

    let empty = TempDir::new("notree");
    let u = format!("file://{}", empty.path().display());
    let err = worker()
        .call_blocking(move |db| db.detect_tree(&u, None))
        .expect_err("no treeinfo");
    assert!(matches!(err, OsinfoError::Tree { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------
// The OS list

#[test]
fn the_list_has_every_os_of_the_xml_and_searches_by_text() {
    let list = worker().call_blocking(|db| Ok(db.os_list())).expect("list");
    let xml = xml_db();
    let ids: BTreeSet<&str> = list.iter().map(|e| e.id.as_str()).collect();
    let xml_ids: BTreeSet<&str> = xml.oses.keys().map(String::as_str).collect();
    assert_eq!(ids, xml_ids);
    let f37 = list
        .iter()
        .find(|e| e.short_id == "fedora37")
        .expect("fedora37");
    let (_, x) = xml.by_short_id("fedora37");
    assert_eq!(f37.release_date, x.release_date);
    assert_eq!(f37.family, x.family);
    assert!(f37.media_architectures.contains(&"x86_64".to_string()));
    assert!(f37.has_install_scripts);
    assert_eq!(
        search(&list, "fedora 37")
            .first()
            .map(|e| e.short_id.as_str()),
        Some("fedora37")
    );
    assert_eq!(
        search(&list, "Windows 11")
            .first()
            .map(|e| e.short_id.as_str()),
        Some("win11")
    );
    assert!(search(&list, "no such system anywhere").is_empty());
    // This database knows no Debian 12.
    assert!(search(&list, "debian 12").is_empty());
}

#[test]
fn each_family_has_a_generic_choice_from_the_database() {
    let list = worker().call_blocking(|db| Ok(db.os_list())).expect("list");
    let choices = generic_choices(&list);
    let xml = xml_db();
    // Linux: the newest of libosinfo's own generic entries (vendor Libosinfo).
    let newest_generic_linux = xml
        .oses
        .values()
        .filter(|o| {
            o.vendor.as_deref() == Some("Libosinfo") && o.family.as_deref() == Some("linux")
        })
        .max_by_key(|o| o.release_date.clone())
        .expect("generic linux entries");
    let linux = choices.iter().find(|c| c.family == "linux").expect("linux");
    assert_eq!(linux.os.short_id, newest_generic_linux.short_ids[0]);
    assert!(linux.generic);
    // Windows: no generic entry, the newest released NT.
    let newest_nt = xml
        .oses
        .values()
        .filter(|o| o.family.as_deref() == Some("winnt") && o.release_status.is_none())
        .max_by_key(|o| o.release_date.clone())
        .expect("winnt");
    let nt = choices.iter().find(|c| c.family == "winnt").expect("winnt");
    assert_eq!(nt.os.short_id, newest_nt.short_ids[0]);
    // Fedora newer than 37: the entry whose media rules match future releases.
    let f = fallback_for(&list, "linux", Some("fedora")).expect("fedora");
    let x = &xml.oses[&f.id];
    assert_eq!(x.version.as_deref(), Some("unknown"));
    assert!(f.newer_than_list);
}

// ---------------------------------------------------------------------------------
// Resources, devices, firmware

#[test]
fn resources_follow_the_xml_with_inheritance() {
    let xml = xml_db();
    for short in ["win11", "linux2022", "debian11", "fedora37", "win10"] {
        let (id, _) = xml.by_short_id(short);
        let s = short.to_string();
        let got = worker()
            .call_blocking(move |db| db.resources(&s))
            .expect("resources");
        assert_eq!(got.os_id, id);
        for kind in ["minimum", "recommended", "maximum"] {
            let want = expected_resources(xml, id, kind);
            for (arch, w) in &want {
                let r = got
                    .per_arch
                    .iter()
                    .find(|r| &r.arch == arch)
                    .unwrap_or_else(|| panic!("{short} {arch}"));
                let f = match kind {
                    "minimum" => r.minimum,
                    "recommended" => r.recommended,
                    _ => r.maximum,
                };
                let to = |v: Option<u64>| v.map_or(-1, |v| v as i64);
                let have = [
                    to(f.cpu_hz),
                    f.n_cpus.map_or(-1, i64::from),
                    to(f.ram),
                    to(f.storage),
                ];
                assert_eq!(&have, w, "{short} {kind} {arch}");
            }
            let listed = got
                .per_arch
                .iter()
                .filter(|r| {
                    let f = match kind {
                        "minimum" => r.minimum,
                        "recommended" => r.recommended,
                        _ => r.maximum,
                    };
                    !f.is_empty()
                })
                .count();
            assert_eq!(
                listed,
                want.values().filter(|w| **w != [-1; 4]).count(),
                "{short} {kind}"
            );
        }
    }
    // linux2022 says nothing but `inherit="true"`: its figures are Ubuntu 22.04's.
    let l = worker()
        .call_blocking(|db| db.resources("linux2022"))
        .expect("linux2022");
    let u = worker()
        .call_blocking(|db| db.resources("ubuntu22.04"))
        .expect("ubuntu");
    assert_eq!(
        l.for_arch("x86_64").recommended,
        u.for_arch("x86_64").recommended
    );
    assert!(l.for_arch("x86_64").recommended.ram.is_some());
    // Windows 11's minimum is what the wizard must not go below.
    let (id, _) = xml.by_short_id("win11");
    let min = expected_resources(xml, id, "minimum")["x86_64"];
    let s = worker()
        .call_blocking(|db| db.resources("win11"))
        .expect("win11")
        .suggest("x86_64", false);
    assert_eq!(s.min_memory, Some(min[2] as u64));
    assert!(s.memory >= min[2] as u64 && s.storage >= min[3] as u64);
}

#[test]
fn devices_and_firmware_follow_the_xml() {
    let xml = xml_db();
    for short in [
        "fedora37",
        "ubuntu22.04",
        "linux2022",
        "win10",
        "win11",
        "debian11",
    ] {
        let (id, _) = xml.by_short_id(short);
        let s = short.to_string();
        let got = worker()
            .call_blocking(move |db| db.devices(&s))
            .expect("devices");
        let have: BTreeSet<String> = got.devices.iter().map(|d| d.id.clone()).collect();
        let want = expected_devices(xml, id);
        assert_eq!(have, want, "{short}");
        let names: BTreeSet<&str> = want.iter().map(|d| xml.devices[d].as_str()).collect();
        assert_eq!(
            got.virtio_disk,
            names.contains("virtio-block") || names.contains("virtio1.0-block"),
            "{short}"
        );
        assert_eq!(got.q35, names.contains("qemu-x86-q35"), "{short}");
        assert_eq!(got.virtio_gpu, names.contains("virtio1.0-gpu"), "{short}");
    }
    // Ubuntu 22.04 marks virtio-gpu unsupported, linux2022 (derived from it) adds it back.
    let gpu = |short: &str| {
        let (_, o) = xml_db().by_short_id(short);
        o.children("devices")
            .flat_map(|d| d.children_named("device"))
            .find(|d| {
                d.attr("id").is_some_and(|i| {
                    xml_db().devices.get(i).map(String::as_str) == Some("virtio1.0-gpu")
                })
            })
            .and_then(|d| d.attr("supported").map(str::to_string))
    };
    assert_eq!(gpu("ubuntu22.04").as_deref(), Some("false"));
    let u = worker()
        .call_blocking(|db| db.devices("ubuntu22.04"))
        .expect("ubuntu");
    assert!(!u.virtio_gpu);
    assert_eq!(u.video_model(false), "vga");
    let l = worker()
        .call_blocking(|db| db.devices("linux2022"))
        .expect("linux2022");
    assert!(l.virtio_gpu && l.virtio_disk && l.virtio_net && l.q35);
    assert_eq!(
        (l.disk_bus(), l.net_model(), l.video_model(true)),
        ("virtio", "virtio", "virtio")
    );
    // Windows has no virtio drivers on its disc: SATA and an emulated card.
    let w = worker()
        .call_blocking(|db| db.devices("win11"))
        .expect("win11");
    assert!(!w.virtio_disk && !w.virtio_net);
    assert_eq!(w.disk_bus(), "sata");
    assert_ne!(w.net_model(), "virtio");

    // Firmware: Windows 11's XML says EFI and no BIOS on x86_64.
    let (_, win11) = xml_db().by_short_id("win11");
    let fw: Vec<(String, bool)> = win11
        .children("firmware")
        .filter(|f| f.attr("arch") == Some("x86_64"))
        .map(|f| {
            (
                f.attr("type").unwrap_or("").to_string(),
                f.attr("supported") != Some("false"),
            )
        })
        .collect();
    assert!(fw.contains(&("efi".into(), true)) && fw.contains(&("bios".into(), false)));
    let p = w.platform("x86_64");
    assert!(p.requires_uefi && p.tpm2 && p.secure_boot);
    assert_eq!((p.efi, p.bios), (Some(true), Some(false)));
    let f = worker()
        .call_blocking(|db| db.devices("fedora37"))
        .expect("fedora37");
    assert!(!f.platform("x86_64").requires_uefi);
}

// ---------------------------------------------------------------------------------
// Express install

fn express() -> ExpressConfig {
    ExpressConfig {
        user_login: "alice".into(),
        user_realname: Some("Alice Liddell".into()),
        user_password: "Tea-party-6".into(),
        admin_password: "Queen-of-hearts-7".into(),
        hostname: "wonderland".into(),
        timezone: "Europe/Zurich".into(),
        keyboard: "de_CH".into(),
        language: "de_DE".into(),
        product_key: None,
        arch: "x86_64".into(),
        installation_url: None,
    }
}

/// The layout osinfo-db maps a keyboard locale to (`de_CH` → `ch`).
fn keyboard_layout(locale: &str) -> String {
    xml_db().datamaps["http://x.org/x11-keyboard"][locale].clone()
}

/// Whether some line mentioning the keyboard names `layout` as a word of its own.
fn names_layout(text: &str, layout: &str) -> bool {
    text.lines().any(|l| {
        l.to_lowercase().contains("keyboard")
            && l.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == layout)
    })
}

fn generate(
    os: &str,
    config: ExpressConfig,
) -> hangar::backend::osinfo::Result<hangar::backend::osinfo::GeneratedScript> {
    let request = ScriptRequest {
        target: ScriptTarget::Os(os.into()),
        profile: "desktop".into(),
        injection: None,
        network_install: false,
        config,
    };
    worker().call_blocking(move |db| db.generate_script(&request, None))
}

#[test]
fn fedora_and_debian_express_scripts_carry_the_user_hostname_and_keyboard() {
    let layout = keyboard_layout("de_CH");
    for os in ["fedora37", "debian11"] {
        let g = generate(os, express()).expect("generated");
        let all = format!("{}\n{}", g.text, g.command_line.clone().unwrap_or_default());
        assert!(g.text.contains("alice"), "{os}: user in\n{}", g.text);
        assert!(
            g.text.contains("wonderland"),
            "{os}: hostname in\n{}",
            g.text
        );
        assert!(g.text.contains("Europe/Zurich"), "{os}: time zone");
        assert!(
            names_layout(&all, &layout),
            "{os}: keyboard {layout} in\n{all}"
        );
        assert_eq!(g.profile, "desktop");
        let script = &xml_db().scripts[&g.script_id];
        assert_eq!(
            Some(g.filename.as_str()),
            script
                .child("expected-filename")
                .map(|e| e.text())
                .as_deref()
                .map(str::trim)
        );
    }
    // Debian's preseed goes into the initrd: the only injection its script offers.
    let d = generate("debian11", express()).expect("debian");
    assert_eq!(d.injection, InjectionMethod::Initrd);
    // A required parameter left empty is refused, not generated.
    let mut no_user = express();
    no_user.user_login.clear();
    assert_eq!(
        generate("fedora37", no_user).expect_err("no user"),
        OsinfoError::MissingParameter("user-login".into())
    );
}

#[test]
fn the_windows_express_script_carries_user_hostname_language_and_product_key() {
    let mut config = express();
    // Windows 10's unattend script requires a product key.
    assert_eq!(
        generate("win10", config.clone()).expect_err("no key"),
        OsinfoError::MissingParameter("reg-product-key".into())
    );
    config.product_key = Some("ABCDE-FGHIJ-KLMNO-PQRST-UVWXY".into());
    let g = generate("win10", config).expect("generated");
    assert_eq!(g.filename, "autounattend.xml");
    let doc = Document::parse(&g.text).expect("the script is XML");
    assert_eq!(doc.root.local_name(), "unattend");
    assert!(g.text.contains("<Name>alice</Name>"), "{}", g.text);
    assert!(g.text.contains("<ComputerName>wonderland</ComputerName>"));
    assert!(g.text.contains("ABCDE-FGHIJ-KLMNO-PQRST-UVWXY"));
    // The Windows scripts of this database take no keyboard parameter: the input
    // locale follows the language, mapped by osinfo-db (de_DE → DE-DE).
    let script = &xml_db().scripts[&g.script_id];
    let params: Vec<&str> = script
        .child("config")
        .expect("config")
        .children_named("param")
        .filter_map(|p| p.attr("name"))
        .collect();
    assert!(!params.contains(&"l10n-keyboard") && params.contains(&"l10n-language"));
    let lang = &xml_db().datamaps["http://microsoft.com/win/8/l10n-language-reverse"]["de_DE"];
    assert!(
        g.text
            .contains(&format!("<SystemLocale>{lang}</SystemLocale>")),
        "{}",
        g.text
    );
    assert!(g.text.contains(&format!("<UserLocale>{lang}</UserLocale>")));
    assert_eq!(g.command_line, None, "no kernel command line for Windows");
    let info = worker()
        .call_blocking(|db| db.install_scripts("win10"))
        .expect("scripts");
    let unattend = info.iter().find(|s| s.id == g.script_id).expect("listed");
    assert!(unattend.needs_product_key && !unattend.takes("l10n-keyboard"));
    assert!(unattend.injection_methods.contains(&InjectionMethod::Cdrom));
}

#[test]
fn a_script_for_a_detected_disc_uses_the_disc() {
    let dir = TempDir::new("script-media");
    let iso = real_iso(dir.path(), "fedora37");
    let d = detect(&iso);
    let desktop = d
        .install_scripts
        .iter()
        .find(|s| s.profile == "desktop")
        .expect("the Everything disc offers a desktop script");
    let request = ScriptRequest {
        target: ScriptTarget::Media(iso.clone()),
        profile: desktop.profile.clone(),
        injection: Some(InjectionMethod::Initrd),
        network_install: false,
        config: express(),
    };
    let g = worker()
        .call_blocking(move |db| db.generate_script(&request, None))
        .expect("generated");
    assert_eq!(g.injection, InjectionMethod::Initrd);
    assert!(g.text.contains("alice") && g.text.contains("wonderland"));
    let cmdline = g
        .command_line
        .expect("a kernel command line for initrd injection");
    assert!(cmdline.contains(&g.filename), "{cmdline}");
    // An injection method the script does not offer is refused.
    let request = ScriptRequest {
        target: ScriptTarget::Media(iso),
        profile: "desktop".into(),
        injection: Some(InjectionMethod::Web),
        network_install: false,
        config: express(),
    };
    let err = worker()
        .call_blocking(move |db| db.generate_script(&request, None))
        .expect_err("web");
    assert!(
        matches!(err, OsinfoError::InjectionUnsupported { .. }),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------
// Loading: the worker, user databases

#[test]
fn the_worker_answers_futures_and_plain_threads() {
    let w = worker().clone();
    let ctx = glib::MainContext::new();
    let n = ctx
        .block_on(w.call(|db| Ok(db.info().os_count)))
        .expect("future");
    assert_eq!(n, xml_db().oses.len());
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let w = worker().clone();
            std::thread::spawn(move || w.call_blocking(|db| db.os("win11").map(|o| o.name)))
        })
        .collect();
    for h in handles {
        assert_eq!(
            h.join().expect("thread").expect("win11"),
            "Microsoft Windows 11"
        );
    }
    let info = worker()
        .call_blocking(|db| Ok(db.info().clone()))
        .expect("info");
    assert!(info.system_version.is_some());
    assert_eq!(
        worker()
            .call_blocking(|db| db.os("no-such-os"))
            .expect_err("unknown"),
        OsinfoError::UnknownOs("no-such-os".into())
    );
}

/// A database file of one OS, derived from Fedora 37, with media of its own.
const USER_OS: &str = r#"<?xml version="1.0"?>
<libosinfo version="0.0.1">
  <os id="http://hangar.test/hangaros/1">
    <short-id>hangaros1</short-id>
    <name>HangarOS 1</name>
    <version>1</version>
    <vendor>Hangar tests</vendor>
    <family>linux</family>
    <distro>hangaros</distro>
    <derives-from id="http://fedoraproject.org/fedora/37"/>
    <release-date>2030-01-01</release-date>
    <media arch="x86_64">
      <iso>
        <volume-id>^HANGAROS-1-x86_64$</volume-id>
      </iso>
    </media>
    <resources arch="x86_64">
      <minimum>
        <n-cpus>3</n-cpus>
        <ram>3221225472</ram>
      </minimum>
    </resources>
  </os>
</libosinfo>
"#;

const CHILD_ENV: &str = "HANGAR_OSINFO_TEST_CHILD";

/// Runs this test binary's test `name` in a child process with `env` set (and the
/// `OSINFO_*` variables of this process removed), and checks it passed its checks.
fn run_child(name: &str, mode: &str, env: &[(&str, &Path)]) {
    let exe = std::env::current_exe().expect("test binary");
    let mut cmd = Command::new(exe);
    // Tests are modules of the `unit` binary: this one's path is `osinfo::NAME`.
    let path = format!(
        "{}::{name}",
        module_path!().rsplit("::").next().unwrap_or("osinfo")
    );
    cmd.args(["--exact", &path, "--nocapture", "--test-threads", "1"]);
    for v in [
        "OSINFO_USER_DIR",
        "OSINFO_LOCAL_DIR",
        "OSINFO_SYSTEM_DIR",
        "OSINFO_DATA_DIR",
    ] {
        cmd.env_remove(v);
    }
    cmd.env(CHILD_ENV, mode);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("child test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(&format!("child checks passed: {mode}")),
        "child {mode} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn user_db(dir: &Path) -> PathBuf {
    let db = dir.join("db");
    std::fs::create_dir_all(db.join("os/hangar.test")).expect("user db");
    std::fs::write(db.join("os/hangar.test/hangaros-1.xml"), USER_OS).expect("user os");
    db
}

/// The checks made in the child, on a database loaded from the environment it was
/// given: the user's OS is listed and detected, with inherited devices.
fn check_user_os(iso: &Path) {
    let w = OsinfoWorker::spawn();
    let list = w.call_blocking(|db| Ok(db.os_list())).expect("list");
    let mine = list
        .iter()
        .find(|e| e.short_id == "hangaros1")
        .expect("the user's OS is listed");
    assert_eq!(mine.name, "HangarOS 1");
    assert!(search(&list, "hangaros").iter().any(|e| e.id == mine.id));
    let p = iso.to_path_buf();
    let d = w
        .call_blocking(move |db| db.detect_media(&p, None))
        .expect("detect");
    assert_eq!(d.os.map(|o| o.short_id).as_deref(), Some("hangaros1"));
    let r = w
        .call_blocking(|db| db.resources("hangaros1"))
        .expect("resources");
    assert_eq!(r.for_arch("x86_64").minimum.ram, Some(3 << 30));
    let mine = w
        .call_blocking(|db| db.devices("hangaros1"))
        .expect("devices");
    let fedora = w
        .call_blocking(|db| db.devices("fedora37"))
        .expect("devices");
    assert_eq!(
        mine.devices, fedora.devices,
        "devices inherited from Fedora 37"
    );
}

#[test]
fn a_user_database_directory_is_honoured_in_the_list_and_in_detection() {
    match std::env::var(CHILD_ENV).as_deref() {
        Ok("user-dir") | Ok("xdg") => {
            let iso = PathBuf::from(std::env::var("HANGAR_OSINFO_TEST_ISO").expect("iso"));
            check_user_os(&iso);
            let mode = std::env::var(CHILD_ENV).unwrap_or_default();
            println!("child checks passed: {mode}");
            return;
        }
        Ok(other) => panic!("unexpected child mode {other}"),
        Err(_) => {}
    }
    let dir = TempDir::new("userdb");
    let db = user_db(dir.path());
    let iso = make_iso(
        dir.path(),
        "hangaros",
        Ids {
            volume: "HANGAROS-1-x86_64",
            ..Ids::default()
        },
        true,
    );
    // The parent's database does not know it.
    assert_eq!(detect(&iso).os, None);
    run_child(
        "a_user_database_directory_is_honoured_in_the_list_and_in_detection",
        "user-dir",
        &[("OSINFO_USER_DIR", &db), ("HANGAR_OSINFO_TEST_ISO", &iso)],
    );
    // The default place, ~/.config/osinfo, through XDG_CONFIG_HOME.
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("config");
    std::fs::rename(&db, config.join("osinfo")).expect("move");
    run_child(
        "a_user_database_directory_is_honoured_in_the_list_and_in_detection",
        "xdg",
        &[
            ("XDG_CONFIG_HOME", &config),
            ("HANGAR_OSINFO_TEST_ISO", &iso),
        ],
    );
}

#[test]
fn a_broken_user_database_still_loads_the_system_one_and_says_why() {
    match std::env::var(CHILD_ENV).as_deref() {
        Ok("broken") => {
            let db = OsinfoDb::load_default().expect("the system database still loads");
            let warning = db.info().warning.clone().expect("a warning");
            assert!(
                warning.contains("broken.xml") || warning.contains("parse"),
                "{warning}"
            );
            assert_eq!(db.info().os_count, xml_db().oses.len());
            assert!(db.os("fedora37").is_ok());
            println!("child checks passed: broken");
            return;
        }
        Ok(other) => panic!("unexpected child mode {other}"),
        Err(_) => {}
    }
    let dir = TempDir::new("broken");
    let os = dir.path().join("os/hangar.test");
    std::fs::create_dir_all(&os).expect("dir");
    std::fs::write(os.join("broken.xml"), "<libosinfo><os id=").expect("broken");
    run_child(
        "a_broken_user_database_still_loads_the_system_one_and_says_why",
        "broken",
        &[("OSINFO_USER_DIR", dir.path())],
    );
}
