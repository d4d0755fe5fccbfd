//! New Virtual Machine: source, operating system (detected by libosinfo from the disc,
//! or chosen by search), memory and CPUs (the OS's recommendation, within the host),
//! storage (a new qcow2 volume in the default pool, sized for the OS), and name,
//! network and "customize before install" — then the machine is made and started.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gtk::glib;

use crate::backend::create::firmware::check_platform;
use crate::backend::create::make::Made;
use crate::backend::create::plan::{check_vm_name, suggest_vm_name, DiskChoice, Source, VmPlan};
use crate::backend::domain::host::GuestArch;
use crate::backend::osinfo::{search, InstallScriptInfo, OsEntry, OsinfoWorker};
use crate::backend::units::{format_bytes, parse_size};
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Network, Vm};
use crate::ui::create::express_form::ExpressForm;

mod arch;
mod express;
mod pages;
mod source;

/// libosinfo's thread, one for the process, started with the first wizard.
fn osinfo() -> OsinfoWorker {
    thread_local! {
        static WORKER: OsinfoWorker = OsinfoWorker::spawn();
    }
    WORKER.with(|w| w.clone())
}

dialog_window!(
    /// The New Virtual Machine wizard (an `adw::Window`, kept alive by GTK while shown).
    wizard_imp,
    NewVmWizard,
    "HangarNewVmWizard",
    WizardParts
);

const STEPS: [&str; 6] = ["source", "os", "resources", "storage", "express", "finish"];
/// The last step's index.
const FINISH: usize = 5;

/// Where a disc keeps its installer, as libosinfo knows it.
#[derive(Debug, Clone, Default)]
struct MediaBoot {
    kernel: Option<String>,
    initrd: Option<String>,
    label: Option<String>,
}

type OnMade = Rc<RefCell<Vec<Box<dyn Fn(&Made, bool)>>>>;

pub struct WizardParts {
    pub network_install: gtk::CheckButton,
    pub tree_url: adw::EntryRow,
    pub kernel_args: adw::EntryRow,
    /// The detected tree's kernel and initrd URLs.
    tree_files: RefCell<Option<(String, String)>>,
    pub cloud: gtk::CheckButton,
    pub cloud_image: adw::EntryRow,
    pub cloud_user: adw::EntryRow,
    pub cloud_key: adw::EntryRow,
    pub stack: gtk::Stack,
    pub back: gtk::Button,
    pub next: gtk::Button,
    pub create: gtk::Button,
    pub message: gtk::Label,
    /// "Let QEMU Read It", for the file in `grant_path`.
    pub grant: gtk::Button,
    grant_path: RefCell<Option<String>>,
    // Source
    pub media: gtk::CheckButton,
    pub import: gtk::CheckButton,
    pub manual: gtk::CheckButton,
    pub media_path: adw::EntryRow,
    pub disk_path: adw::EntryRow,
    pub arch_options: adw::ExpanderRow,
    pub arch: adw::ComboRow,
    pub machine: adw::ComboRow,
    /// The guest architectures of the host, in the order of `arch`'s list.
    guests: RefCell<Vec<GuestArch>>,
    // OS
    pub detected: gtk::Label,
    pub os_search: gtk::SearchEntry,
    pub os_list: gtk::ListBox,
    // Resources
    pub memory: adw::EntryRow,
    pub vcpus: gtk::SpinButton,
    pub host_note: gtk::Label,
    // Storage
    pub new_disk: gtk::CheckButton,
    pub no_disk: gtk::CheckButton,
    pub disk_size: adw::EntryRow,
    // Express installation
    pub express: ExpressForm,
    /// The chosen system's install scripts.
    scripts: RefCell<Vec<InstallScriptInfo>>,
    /// The detected disc's installer kernel and initrd (paths inside it) and label.
    media_boot: RefCell<Option<MediaBoot>>,
    // Finish
    pub name: adw::EntryRow,
    pub network: adw::ComboRow,
    /// Automatic (as the OS needs), BIOS, or UEFI.
    pub firmware: adw::ComboRow,
    pub customize: gtk::CheckButton,
    pub summary: gtk::Label,
    // State
    os_entries: RefCell<Vec<OsEntry>>,
    /// An OS asked for on the command line, chosen once the list is read.
    wanted_os: RefCell<Option<String>>,
    chosen_os: RefCell<Option<OsEntry>>,
    networks: RefCell<Vec<String>>,
    /// `bridge:BR` and `macvtap:NIC` choices from the host's interfaces.
    host_choices: RefCell<Vec<String>>,
    conn: Connection,
    on_made: OnMade,
}

impl NewVmWizard {
    pub fn new(parent: Option<&gtk::Window>, conn: &Connection) -> NewVmWizard {
        let window = NewVmWizard::bare();
        window.set_modal(true);
        window.set_title(Some(&gettext_f(
            "New Virtual Machine on {host}",
            &[("host", &conn.label())],
        )));
        window.set_default_size(620, 640);
        window.set_transient_for(parent);
        let parts = window.build_parts(conn);
        window.set_parts(parts);
        let w = window;
        w.wire();
        w.show_step(0);
        w.load_arches();
        w.load_os_list();
        w.load_host_choices();
        w
    }

    /// Fill in a disc image and an OS (short or full libosinfo id), as
    /// `hangar --new-vm --iso PATH --os ID` asks.
    pub fn prefill(&self, iso: Option<&str>, os: Option<&str>) {
        if let Some(p) = iso {
            self.media.set_active(true);
            self.media_path.set_text(p);
        }
        if let Some(id) = os {
            self.wanted_os.replace(Some(id.to_string()));
            self.choose_wanted();
        }
    }

    /// Choose the OS asked for, when the list has it.
    fn choose_wanted(&self) {
        let Some(want) = self.wanted_os.borrow().clone() else {
            return;
        };
        let found = self
            .os_entries
            .borrow()
            .iter()
            .find(|e| e.id == want || e.short_ids.contains(&want))
            .map(|e| e.id.clone());
        if let Some(id) = found {
            self.wanted_os.replace(None);
            self.choose_os(&id);
        } else if !self.os_entries.borrow().is_empty() {
            self.wanted_os.replace(None);
            self.say(
                &gettext_f("“{os}” is not in libosinfo’s list", &[("os", &want)]),
                true,
            );
        }
    }

    /// Called with what was made and whether the person wants to customize it first.
    pub fn connect_made(&self, f: impl Fn(&Made, bool) + 'static) {
        self.on_made.borrow_mut().push(Box::new(f));
    }

    fn step(&self) -> usize {
        let name = self.stack.visible_child_name().unwrap_or_default();
        STEPS.iter().position(|s| *s == name).unwrap_or(0)
    }

    /// The steps this source goes through (an imported disk needs no storage step;
    /// express installation only where the system's installer can take a script).
    fn steps(&self) -> Vec<usize> {
        let storage = !(self.import.is_active() || self.cloud.is_active());
        let express = self.express_method().is_some();
        (0..=FINISH)
            .filter(|s| (*s != 3 || storage) && (*s != 4 || express))
            .collect()
    }

    pub fn show_step(&self, i: usize) {
        self.stack.set_visible_child_name(STEPS[i]);
        let last = i == FINISH;
        self.back.set_visible(i > 0);
        self.next.set_visible(!last);
        self.create.set_visible(last);
        if i == 1 {
            self.detect();
        }
        if i == 4 {
            self.show_express();
        }
        if i == FINISH {
            self.fill_finish();
        }
        self.check();
    }

    /// Next, as its button does.
    pub fn go_next(&self) {
        if !self.check() {
            return;
        }
        let steps = self.steps();
        let cur = self.step();
        if let Some(n) = steps.iter().find(|s| **s > cur) {
            self.show_step(*n);
        }
    }

    pub fn go_back(&self) {
        let steps = self.steps();
        let cur = self.step();
        if let Some(p) = steps.iter().rev().find(|s| **s < cur) {
            self.show_step(*p);
        }
    }

    fn say(&self, text: &str, error: bool) {
        self.message.set_label(text);
        if error {
            self.message.add_css_class("error");
        } else {
            self.message.remove_css_class("error");
        }
    }

    /// Check the step shown; Next (or Create) is on only when it is complete. The
    /// reason is shown under the form and the field turns red.
    pub fn check(&self) -> bool {
        for r in [
            &self.media_path,
            &self.disk_path,
            &self.memory,
            &self.disk_size,
            &self.name,
            &self.cloud_image,
            &self.cloud_user,
            &self.cloud_key,
        ] {
            r.remove_css_class("error");
        }
        self.grant.set_visible(false);
        self.firmware.remove_css_class("error");
        let problem: Option<(Option<adw::EntryRow>, String)> = match self.step() {
            0 => self.check_source(),
            1 if self.network_install.is_active() && self.tree_files.borrow().is_none() => Some((
                None,
                gettext("No installation tree was found at this URL yet"),
            )),
            1 => self.chosen_os.borrow().is_none().then(|| {
                (
                    None,
                    gettext("Choose the operating system, or a generic one"),
                )
            }),
            2 => match parse_size(&self.memory.text()) {
                Err(e) => Some((Some(self.memory.clone()), e.summary())),
                Ok(b) if b < 128 << 20 => {
                    Some((Some(self.memory.clone()), gettext("At least 128 MiB")))
                }
                Ok(b) => {
                    let host = self.conn.host_info().map_or(0, |h| h.memory_kib * 1024);
                    (host > 0 && b > host).then(|| {
                        (
                            Some(self.memory.clone()),
                            gettext_f(
                                "The host has {size} of memory",
                                &[("size", &format_bytes(host))],
                            ),
                        )
                    })
                }
            },
            3 if self.new_disk.is_active() => match parse_size(&self.disk_size.text()) {
                Err(e) => Some((Some(self.disk_size.clone()), e.summary())),
                Ok(0) => Some((
                    Some(self.disk_size.clone()),
                    gettext("The size must be more than nothing"),
                )),
                Ok(b) => {
                    // The disk is sparse: bigger than the pool's free space is allowed,
                    // and said.
                    let free = self.conn.pool_by_name("default").map(|p| p.available());
                    match free {
                        Some(f) if f > 0 && b > f => self.say(
                            &gettext_f(
                                "Only {free} are free in the default pool: the guest can fill it before it fills this disk",
                                &[("free", &format_bytes(f))],
                            ),
                            false,
                        ),
                        _ => {}
                    }
                    None
                }
            },
            4 => self.check_express(),
            FINISH => check_vm_name(&self.name.text(), &self.taken_names())
                .map(|m| (Some(self.name.clone()), m)),
            _ => None,
        };
        let ok = problem.is_none();
        match problem {
            Some((field, m)) => {
                if let Some(f) = field {
                    f.add_css_class("error");
                }
                self.say(&m, true);
            }
            None => {
                if self.message.has_css_class("error") {
                    self.say("", false);
                }
            }
        }
        self.next.set_sensitive(ok);
        self.create.set_sensitive(ok);
        ok
    }

    fn taken_names(&self) -> Vec<String> {
        self.conn
            .domains()
            .iter::<Vm>()
            .flatten()
            .map(|v| v.name())
            .collect()
    }

    /// The host's bridges and physical NICs, for a card on the LAN.
    fn load_host_choices(&self) {
        let w = self.downgrade();
        let conn = self.conn.clone();
        glib::spawn_future_local(async move {
            let Ok(ifaces) = conn.backend().host_interfaces().await else {
                return;
            };
            let Some(w) = w.upgrade() else { return };
            let mut out = Vec::new();
            for i in &ifaces {
                if i.kind == "bridge" && !i.name.starts_with("virbr") {
                    out.push(format!("bridge:{}", i.name));
                }
            }
            for i in &ifaces {
                if i.kind == "ethernet" && i.master.is_none() {
                    out.push(format!("macvtap:{}", i.name));
                }
            }
            w.host_choices.replace(out);
        });
    }

    fn load_os_list(&self) {
        let w = self.downgrade();
        glib::spawn_future_local(async move {
            let r = osinfo().call(|db| Ok(db.os_list())).await;
            let Some(w) = w.upgrade() else { return };
            match r {
                Ok(list) => {
                    w.os_entries.replace(list);
                    w.filter_os();
                    w.choose_wanted();
                }
                Err(e) => w.say(&e.to_string(), true),
            }
        });
    }

    /// Show the OSes matching the search (newest first), at most 60.
    pub fn filter_os(&self) {
        while let Some(c) = self.os_list.first_child() {
            self.os_list.remove(&c);
        }
        let entries = self.os_entries.borrow();
        let q = self.os_search.text().to_string();
        for e in search(&entries, &q).into_iter().take(60) {
            let row = adw::ActionRow::builder()
                .title(&e.name)
                .subtitle(if e.newer_than_list {
                    gettext("generic: for releases newer than this list")
                } else {
                    e.short_id.clone()
                })
                .activatable(true)
                .build();
            row.set_widget_name(&e.id);
            self.os_list.append(&row);
        }
    }

    /// Choose the OS of full id `id` (as a click on its row does).
    pub fn choose_os(&self, id: &str) {
        let found = self
            .os_entries
            .borrow()
            .iter()
            .find(|e| e.id == id)
            .cloned();
        if let Some(e) = found {
            self.detected
                .set_label(&gettext_f("Chosen: {os}", &[("os", &e.name)]));
            self.chosen_os.replace(Some(e.clone()));
            self.apply_os_defaults(&e);
        }
        self.check();
    }

    /// Ask libvirt's disc image which OS it holds (libosinfo reads it).
    fn detect(&self) {
        if self.network_install.is_active() {
            self.detect_tree();
            return;
        }
        if !self.media.is_active() || self.chosen_os.borrow().is_some() {
            return;
        }
        let path = self.media_path.text().trim().to_string();
        self.detected
            .set_label(&gettext("Detecting the operating system…"));
        let w = self.downgrade();
        glib::spawn_future_local(async move {
            let p = std::path::PathBuf::from(&path);
            let r = osinfo().call(move |db| db.detect_media(&p, None)).await;
            let Some(w) = w.upgrade() else { return };
            let media = r.ok();
            w.media_boot.replace(media.as_ref().map(|m| MediaBoot {
                kernel: m.kernel_path.clone(),
                initrd: m.initrd_path.clone(),
                label: m.volume_id.clone(),
            }));
            match media.and_then(|m| m.os) {
                Some(os) => {
                    w.detected
                        .set_label(&gettext_f("Detected: {os}", &[("os", &os.name)]));
                    let entry = w.os_entries.borrow().iter().find(|e| e.id == os.id).cloned();
                    if let Some(e) = entry {
                        w.chosen_os.replace(Some(e.clone()));
                        w.apply_os_defaults(&e);
                    }
                    w.check();
                }
                None => w.detected.set_label(&gettext(
                    "The operating system on this disc is not in this computer’s list (it may be newer). Choose it below, or the generic entry of its family.",
                )),
            }
        });
    }

    /// Read the tree's .treeinfo (libosinfo): its OS, its kernel and initrd, and the
    /// kernel argument that points the installer at the tree.
    fn detect_tree(&self) {
        let url = self
            .tree_url
            .text()
            .trim()
            .trim_end_matches('/')
            .to_string();
        self.detected
            .set_label(&gettext("Reading the installation tree…"));
        self.tree_files.replace(None);
        let w = self.downgrade();
        glib::spawn_future_local(async move {
            let u = url.clone();
            let r = osinfo().call(move |db| db.detect_tree(&u, None)).await;
            let Some(w) = w.upgrade() else { return };
            match r {
                Ok(t) => {
                    if let (Some(k), Some(i)) = (t.kernel_url(), t.initrd_url()) {
                        w.tree_files.replace(Some((k, i)));
                    }
                    if w.kernel_args.text().is_empty() {
                        if let Some(arg) = &t.kernel_url_argument {
                            w.kernel_args.set_text(&format!("{arg}={url}"));
                        }
                    }
                    match t.os {
                        Some(os) => {
                            w.detected
                                .set_label(&gettext_f("Detected: {os}", &[("os", &os.name)]));
                            let entry = w
                                .os_entries
                                .borrow()
                                .iter()
                                .find(|e| e.id == os.id)
                                .cloned();
                            if let Some(e) = entry {
                                w.chosen_os.replace(Some(e.clone()));
                                w.apply_os_defaults(&e);
                            }
                        }
                        None => w.detected.set_label(&gettext(
                            "The tree’s system is not in this computer’s list: choose it below.",
                        )),
                    }
                }
                Err(e) => w.detected.set_label(&e.to_string()),
            }
            w.check();
        });
    }

    /// The OS's recommended memory, vCPUs and disk size, within the host.
    fn apply_os_defaults(&self, e: &OsEntry) {
        self.load_scripts(&e.id);
        let id = e.id.clone();
        let arch = self.guest_arch().arch;
        let w = self.downgrade();
        glib::spawn_future_local(async move {
            let r = osinfo()
                .call(move |db| Ok(db.resources(&id)?.suggest(&arch, false)))
                .await;
            let Some(w) = w.upgrade() else { return };
            let Ok(s) = r else { return };
            let (host_mem, host_cpus) = w.conn.host_info().map_or((u64::MAX, u32::MAX), |h| {
                (h.memory_kib * 1024, h.cpus.max(1))
            });
            // Never more than half the host's memory by default.
            let memory = s.memory.min(host_mem / 2).max(256 << 20);
            w.memory.set_text(&format_bytes(memory));
            w.vcpus.set_value(s.vcpus.min(host_cpus).max(1) as f64);
            w.disk_size.set_text(&format_bytes(s.storage));
        });
    }

    fn fill_finish(&self) {
        if self.name.text().is_empty() {
            let short = self.chosen_os.borrow().as_ref().map(|e| e.short_id.clone());
            self.name
                .set_text(&suggest_vm_name(short.as_deref(), &self.taken_names()));
        }
        let nets: Vec<Network> = self.conn.networks().iter::<Network>().flatten().collect();
        let mut names: Vec<String> = nets.iter().map(|n| n.name()).collect();
        // No default network: offered anyway, made when the machine is.
        let missing_default = !names.iter().any(|n| n == "default");
        if missing_default {
            names.insert(0, "default".into());
        }
        let default = names.iter().position(|n| n == "default").unwrap_or(0);
        // The host's bridges and NICs, as read when the wizard opened.
        names.extend(self.host_choices.borrow().iter().cloned());
        names.push(String::new());
        let labels: Vec<String> = names
            .iter()
            .map(|n| {
                if let Some(br) = n.strip_prefix("bridge:") {
                    gettext_f("Host bridge {bridge} (on the LAN)", &[("bridge", br)])
                } else if let Some(nic) = n.strip_prefix("macvtap:") {
                    gettext_f(
                        "Macvtap on {nic} (on the LAN; the host cannot reach it)",
                        &[("nic", nic)],
                    )
                } else if n.is_empty() {
                    gettext("No network")
                } else if n == "default" && missing_default {
                    gettext("default — a NAT network, made now")
                } else {
                    n.clone()
                }
            })
            .collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        self.network.set_model(Some(&gtk::StringList::new(&labels)));
        self.network.set_selected(default as u32);
        self.networks.replace(names);
        if let Ok(plan) = self.plan() {
            let disk = match &plan.disk {
                DiskChoice::New { bytes, .. } => gettext_f(
                    "a new {size} disk in the default pool",
                    &[("size", &format_bytes(*bytes))],
                ),
                DiskChoice::Existing { path, .. } => path.clone(),
                DiskChoice::None if self.cloud.is_active() => {
                    gettext("a copy-on-write disk over the cloud image")
                }
                DiskChoice::None => gettext("no disk"),
            };
            let os = self
                .chosen_os
                .borrow()
                .as_ref()
                .map(|e| e.name.clone())
                .unwrap_or_default();
            self.summary.set_label(&gettext_f(
                "{os} · {memory} of memory · {cpus} vCPUs · {disk}",
                &[
                    ("os", &os),
                    ("memory", &format_bytes(plan.memory_bytes)),
                    ("cpus", &plan.vcpus.to_string()),
                    ("disk", &disk),
                ],
            ));
        }
    }

    /// The machine as chosen.
    pub fn plan(&self) -> Result<VmPlan, String> {
        let source = if self.media.is_active() {
            Source::Media {
                path: self.media_path.text().trim().to_string(),
            }
        } else if self.import.is_active() {
            Source::Import
        } else if self.network_install.is_active() {
            let (kernel, initrd) = self.tree_files.borrow().clone().unwrap_or_default();
            Source::Url {
                url: self.tree_url.text().trim().to_string(),
                kernel,
                initrd,
                cmdline: self.kernel_args.text().trim().to_string(),
            }
        } else if self.cloud.is_active() {
            Source::Cloud {
                image: self.cloud_image.text().trim().to_string(),
                init: self.cloud_init(),
                seed: String::new(),
            }
        } else {
            Source::Manual
        };
        let disk = if self.cloud.is_active() {
            // The overlay over the image is made with the machine.
            DiskChoice::None
        } else if self.import.is_active() {
            DiskChoice::Existing {
                path: self.disk_path.text().trim().to_string(),
                format: if self.disk_path.text().ends_with(".qcow2") {
                    "qcow2".into()
                } else {
                    "raw".into()
                },
            }
        } else if self.new_disk.is_active() {
            DiskChoice::New {
                pool: "default".into(),
                bytes: parse_size(&self.disk_size.text()).map_err(|e| e.summary())?,
            }
        } else {
            DiskChoice::None
        };
        let network = self
            .networks
            .borrow()
            .get(self.network.selected() as usize)
            .filter(|n| !n.is_empty())
            .cloned();
        Ok(VmPlan {
            name: self.name.text().trim().to_string(),
            os_id: self.chosen_os.borrow().as_ref().map(|e| e.id.clone()),
            memory_bytes: parse_size(&self.memory.text()).map_err(|e| e.summary())?,
            vcpus: self.vcpus.value() as u32,
            arch: self.guest_arch().arch,
            source,
            disk,
            network,
            devices: None,
            platform: None,
            unattended: None,
            accelerated: self.guest_arch().accelerated(),
            machine: self.chosen_machine(),
        })
    }

    /// Make the machine: the devices and firmware its OS needs are read from
    /// libosinfo first; then the connection makes the disk, defines and starts it.
    pub fn run(&self) {
        if !self.check() {
            return;
        }
        let Ok(mut plan) = self.plan() else { return };
        let customize = self.customize.is_active();
        let firmware = self.firmware.selected();
        self.create.set_sensitive(false);
        self.say(&gettext("Making the virtual machine…"), false);
        let w = self.downgrade();
        let conn = self.conn.clone();
        glib::spawn_future_local(async move {
            if let Some(id) = plan.os_id.clone() {
                let arch = plan.arch.clone();
                let r = osinfo()
                    .call(move |db| {
                        let d = db.devices(&id)?;
                        let p = d.platform(&arch);
                        Ok((d, p))
                    })
                    .await;
                if let Ok((d, p)) = r {
                    plan.devices = Some(d);
                    plan.platform = Some(p);
                }
            }
            // The person's choice over the OS's needs: BIOS, or UEFI (Secure Boot and
            // the TPM stay for the OSes that need them).
            match firmware {
                1 => {
                    let p = plan.platform.get_or_insert_with(Default::default);
                    p.requires_uefi = false;
                    p.secure_boot = false;
                }
                2 => {
                    plan.platform
                        .get_or_insert_with(Default::default)
                        .requires_uefi = true;
                }
                _ => {}
            }
            // What the host lacks for it (UEFI firmware, a TPM), refused on the
            // Firmware row before anything is made.
            let support = conn.backend().platform_support(plan.clone()).await;
            let lacking = match &support {
                Ok(Some(s)) => check_platform(&plan, s),
                _ => None,
            };
            if let (Some(why), Some(wz)) = (lacking, w.upgrade()) {
                wz.firmware.add_css_class("error");
                wz.say(&why, true);
                wz.create.set_sensitive(true);
                return;
            }
            if let Some(wz) = w.upgrade() {
                match wz.unattended(&plan).await {
                    Ok(u) => plan.unattended = u,
                    Err(m) => {
                        wz.say(&m, true);
                        wz.create.set_sensitive(true);
                        return;
                    }
                }
            }
            let r = conn.backend().make_vm(plan, !customize).await;
            let Some(w) = w.upgrade() else { return };
            match r {
                Ok(made) => {
                    for f in w.on_made.borrow().iter() {
                        f(&made, customize);
                    }
                    w.close();
                }
                Err(e) => {
                    w.say(&e.summary(), true);
                    w.create.set_sensitive(true);
                }
            }
        });
    }
}
