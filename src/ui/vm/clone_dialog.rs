//! Clone…: the new name (suggested `name-clone`), per disk copy / share / new and
//! empty, then the copy with its progress and Cancel — which removes what was made.

use std::cell::RefCell;

use adw::prelude::*;
use gtk::glib;

use crate::backend::clone::job::{CloneJob, CloneOffer, CloneProgress, CloneSpec};
use crate::backend::clone::plan::{check_clone_name, new_volume_name, DiskAction, DiskPlan};
use crate::backend::units::format_bytes;
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Vm};
use crate::ui::components::form_dialog;

dialog_window!(
    /// The Clone dialog of a virtual machine.
    clone_imp,
    CloneDialog,
    "HangarCloneDialog",
    CloneParts
);

pub struct CloneParts {
    pub name: adw::EntryRow,
    pub disks: adw::PreferencesGroup,
    /// Per disk its choice (None: fixed to Share).
    pub choices: RefCell<Vec<(DiskPlan, Option<adw::ComboRow>)>>,
    pub message: gtk::Label,
    pub progress: gtk::ProgressBar,
    pub clone_button: gtk::Button,
    pub cancel: gtk::Button,
    offer: RefCell<Option<CloneOffer>>,
    job: RefCell<Option<CloneJob>>,
    conn: Connection,
    vm: Vm,
}

const ACTIONS: [DiskAction; 3] = [DiskAction::Copy, DiskAction::Share, DiskAction::Empty];

impl CloneDialog {
    pub fn new(parent: Option<&gtk::Window>, conn: &Connection, vm: &Vm) -> CloneDialog {
        let window = CloneDialog::bare();
        window.set_modal(true);
        window.set_title(Some(&gettext_f("Clone {name}", &[("name", &vm.name())])));
        window.set_default_size(560, -1);
        window.set_transient_for(parent);
        let (header, cancel, clone_button) = form_dialog::header(&gettext("C_lone"));
        clone_button.set_sensitive(false);
        let name = adw::EntryRow::builder()
            .title(gettext("_Name"))
            .use_underline(true)
            .build();
        let top = adw::PreferencesGroup::new();
        top.add(&name);
        let disks = adw::PreferencesGroup::builder()
            .title(gettext("Disks"))
            .description(gettext(
                "The clone gets a new identity and new network addresses; each disk is copied, shared with the original, or made anew and empty.",
            ))
            .build();
        let message = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["caption"])
            .label(gettext("Reading the machine…"))
            .build();
        let progress = gtk::ProgressBar::builder().visible(false).build();
        progress.update_property(&[gtk::accessible::Property::Label(&gettext("Clone progress"))]);
        let body = form_dialog::body(12);
        body.append(&top);
        body.append(&disks);
        body.append(&progress);
        body.append(&message);
        form_dialog::set_content(&window, &header, &body);
        window.set_parts(CloneParts {
            name,
            disks,
            choices: RefCell::new(Vec::new()),
            message,
            progress,
            clone_button,
            cancel,
            offer: RefCell::new(None),
            job: RefCell::new(None),
            conn: conn.clone(),
            vm: vm.clone(),
        });
        let d = window;
        let w = d.downgrade();
        d.cancel.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                match w.job.borrow().as_ref() {
                    Some(job) => {
                        job.cancel();
                        w.message.set_label(&gettext(
                            "Cancelling after the disk being copied; what was made will be removed…",
                        ));
                    }
                    None => w.close(),
                }
            }
        });
        let w = d.downgrade();
        d.name.connect_changed(move |_| {
            if let Some(w) = w.upgrade() {
                w.check();
            }
        });
        let w = d.downgrade();
        d.clone_button.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.run();
            }
        });
        let w = d.downgrade();
        let (conn, uuid) = (conn.clone(), vm.uuid());
        glib::spawn_future_local(async move {
            let r = conn.backend().clone_offer(uuid).await;
            let Some(w) = w.upgrade() else { return };
            match r {
                Ok(offer) => w.show_offer(offer),
                Err(e) => {
                    w.refuse(&e.summary());
                }
            }
        });
        d
    }

    fn show_offer(&self, offer: CloneOffer) {
        self.name.set_text(&offer.suggested_name);
        let mut choices = Vec::new();
        for plan in &offer.disks {
            let title = plan.target.clone();
            let size = if plan.allocation > 0 {
                format!("{} ({})", plan.path, format_bytes(plan.allocation))
            } else {
                plan.path.clone()
            };
            if plan.can_copy() && plan.device == "disk" {
                let row = adw::ComboRow::builder()
                    .title(&title)
                    .subtitle(&size)
                    .model(&gtk::StringList::new(&[
                        &gettext("Copy"),
                        &gettext("Share with the original"),
                        &gettext("New and empty"),
                    ]))
                    .build();
                row.set_selected(ACTIONS.iter().position(|a| *a == plan.action).unwrap_or(0) as u32);
                self.disks.add(&row);
                choices.push((plan.clone(), Some(row)));
            } else {
                let why = if plan.fixed_reason.is_empty() {
                    gettext("shared with the original")
                } else {
                    plan.fixed_reason.clone()
                };
                let row = adw::ActionRow::builder()
                    .title(&title)
                    .subtitle(&why)
                    .build();
                self.disks.add(&row);
                choices.push((plan.clone(), None));
            }
        }
        if offer.disks.is_empty() {
            self.disks
                .add(&adw::ActionRow::builder().title(gettext("No disks")).build());
        }
        self.choices.replace(choices);
        let blocked = offer.blocked.clone();
        self.offer.replace(Some(offer));
        if !blocked.is_empty() {
            self.refuse(&blocked);
            return;
        }
        self.check();
    }

    fn refuse(&self, m: &str) -> bool {
        self.message.add_css_class("error");
        self.message.set_label(m);
        self.clone_button.set_sensitive(false);
        false
    }

    /// Check as typed: the name, and that the machine holds still.
    pub fn check(&self) -> bool {
        let offer = self.offer.borrow();
        let Some(offer) = offer.as_ref() else {
            return false;
        };
        if !offer.blocked.is_empty() {
            return self.refuse(&offer.blocked);
        }
        self.name.remove_css_class("error");
        if let Some(m) = check_clone_name(&self.name.text(), &offer.taken) {
            self.name.add_css_class("error");
            return self.refuse(&m);
        }
        self.message.remove_css_class("error");
        self.message.set_label("");
        self.clone_button.set_sensitive(true);
        true
    }

    /// The disks as chosen, their new volumes named after the new name.
    fn plans(&self, new_name: &str) -> Vec<DiskPlan> {
        let mut plans: Vec<DiskPlan> = self
            .choices
            .borrow()
            .iter()
            .map(|(p, row)| {
                let mut p = p.clone();
                if let Some(r) = row {
                    p.action = ACTIONS[r.selected() as usize % ACTIONS.len()];
                }
                p
            })
            .collect();
        // Two new volumes never share a name: named after their targets then.
        let several = plans
            .iter()
            .filter(|p| p.action != DiskAction::Share)
            .count()
            > 1;
        for p in &mut plans {
            if let Some((_, vol)) = &p.pool {
                p.new_volume = new_volume_name(new_name, &p.target, vol, several);
            }
        }
        plans
    }

    /// Choose what becomes of the disk `target` (as a person picks it).
    pub fn choose(&self, target: &str, action: DiskAction) {
        for (p, row) in self.choices.borrow().iter() {
            if p.target == target {
                if let Some(r) = row {
                    r.set_selected(ACTIONS.iter().position(|a| *a == action).unwrap_or(0) as u32);
                }
            }
        }
    }

    pub fn run(&self) {
        if !self.check() {
            return;
        }
        let new_name = self.name.text().trim().to_string();
        let spec = CloneSpec {
            uri: self.conn.backend().uri().to_string(),
            source_uuid: self.vm.uuid(),
            new_name: new_name.clone(),
            disks: self.plans(&new_name),
        };
        self.clone_button.set_sensitive(false);
        self.name.set_sensitive(false);
        self.disks.set_sensitive(false);
        self.progress.set_visible(true);
        self.message.set_label(&gettext("Cloning…"));
        let (job, rx) = CloneJob::start(spec);
        self.job.replace(Some(job));
        let w = self.downgrade();
        glib::spawn_future_local(async move {
            while let Ok(p) = rx.recv().await {
                let Some(w) = w.upgrade() else { return };
                match p {
                    CloneProgress::Disk {
                        index,
                        count,
                        volume,
                        done_bytes,
                        total_bytes,
                    } => {
                        if total_bytes > 0 {
                            w.progress
                                .set_fraction(done_bytes as f64 / total_bytes as f64);
                        } else {
                            w.progress.pulse();
                        }
                        w.message.set_label(&gettext_f(
                            "Copying disk {i} of {n}: {volume}",
                            &[
                                ("i", &index.to_string()),
                                ("n", &count.to_string()),
                                ("volume", &volume),
                            ],
                        ));
                    }
                    CloneProgress::Finished { .. } => {
                        w.job.replace(None);
                        crate::ui::error::toast_near(
                            &w.vm_parent(),
                            &gettext_f("{name} is cloned", &[("name", &new_name)]),
                        );
                        w.close();
                        return;
                    }
                    CloneProgress::Cancelled => {
                        w.job.replace(None);
                        w.close();
                        return;
                    }
                    CloneProgress::Failed(m) => {
                        w.job.replace(None);
                        w.progress.set_visible(false);
                        w.name.set_sensitive(true);
                        w.disks.set_sensitive(true);
                        w.refuse(&m);
                        w.clone_button.set_sensitive(true);
                        return;
                    }
                }
            }
        });
    }

    fn vm_parent(&self) -> gtk::Widget {
        self.transient_for()
            .map(|w| w.upcast::<gtk::Widget>())
            .unwrap_or_else(|| self.clone().upcast())
    }
}
