//! Migrate…: the destination among the other connected hosts; live (running) or
//! offline (shut off); the disks copied or not (copied by default unless the
//! destination keeps them on shared storage); kept there and removed here (both on,
//! as virt-manager); the rest under Advanced. What the destination lacks is said
//! before anything moves, with a choice where one helps (a network or pool there for
//! each one it lacks). Then the move, with the job's figures and Cancel.

use std::cell::RefCell;

use adw::prelude::*;
use gtk::glib;

use crate::backend::migrate::check::{place_disks, problems, DestFacts, GuestFacts};
use crate::backend::migrate::job::{MigrateJob, MigrateProgress, MigrateSpec};
use crate::backend::migrate::options::{CopyStorage, MigrateOptions};
use crate::backend::units::format_bytes;
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Vm};
use crate::ui::components::form_dialog;

mod progress;

dialog_window!(
    /// The Migrate dialog of a virtual machine.
    migrate_imp,
    MigrateDialog,
    "HangarMigrateDialog",
    MigrateParts
);

type OnMoved = Box<dyn Fn(&Connection, &str)>;

pub struct MigrateParts {
    pub host: adw::ComboRow,
    pub copy: adw::ComboRow,
    pub persist: gtk::Switch,
    pub undefine: gtk::Switch,
    pub p2p: gtk::Switch,
    pub tunnelled: gtk::Switch,
    pub compressed: gtk::Switch,
    pub auto_converge: gtk::Switch,
    pub postcopy: gtk::Switch,
    pub unsafe_migration: gtk::Switch,
    pub bandwidth: adw::EntryRow,
    pub downtime: adw::EntryRow,
    /// The choices the destination needs: a network or pool there per missing one.
    pub mappings: adw::PreferencesGroup,
    pub message: gtk::Label,
    pub progress: gtk::ProgressBar,
    pub figures: gtk::Label,
    /// Switch to post-copy (shown while a move that allows it runs).
    pub postcopy_now: gtk::Button,
    pub migrate: gtk::Button,
    pub cancel: gtk::Button,
    /// The other connected hosts, in the order of `host`'s list.
    dests: Vec<Connection>,
    /// The machines to move (all on `conn`), read.
    guests: RefCell<Vec<GuestFacts>>,
    /// The one moving now, when several move one after another.
    current: std::cell::Cell<usize>,
    dest: RefCell<Option<DestFacts>>,
    /// Guest network → destination network row; disk path here → pool row.
    network_rows: RefCell<Vec<(String, adw::ComboRow)>>,
    pool_rows: RefCell<Vec<(String, adw::ComboRow)>>,
    job: RefCell<Option<MigrateJob>>,
    /// Called with the destination and the machine's UUID once it is there.
    on_moved: RefCell<Vec<OnMoved>>,
    /// The form, insensitive while the machine moves.
    form: gtk::Box,
    conn: Connection,
    vms: Vec<Vm>,
}

fn switch_row(group: &impl IsA<gtk::Widget>, title: &str, subtitle: &str, on: bool) -> gtk::Switch {
    let s = gtk::Switch::builder()
        .active(on)
        .valign(gtk::Align::Center)
        .build();
    let row = adw::ActionRow::builder()
        .title(title)
        .use_underline(true)
        .subtitle(subtitle)
        .build();
    row.add_suffix(&s);
    row.set_activatable_widget(Some(&s));
    if let Some(g) = group.dynamic_cast_ref::<adw::PreferencesGroup>() {
        g.add(&row);
    } else if let Some(e) = group.dynamic_cast_ref::<adw::ExpanderRow>() {
        e.add_row(&row);
    }
    s
}

impl MigrateDialog {
    /// `vms`: the machines to move, all on `conn`; `dests`: the other connected hosts.
    pub fn new(
        parent: Option<&gtk::Window>,
        conn: &Connection,
        vms: &[Vm],
        dests: Vec<Connection>,
    ) -> MigrateDialog {
        let window = MigrateDialog::bare();
        window.set_modal(true);
        let what = match vms {
            [vm] => gettext_f("Migrate {name}", &[("name", &vm.name())]),
            _ => gettext_f("Migrate {n} Machines", &[("n", &vms.len().to_string())]),
        };
        window.set_title(Some(&what));
        window.set_default_size(600, 700);
        window.set_transient_for(parent);
        let (header, cancel, migrate) = form_dialog::header(&gettext("_Migrate"));
        header.set_title_widget(Some(&adw::WindowTitle::new(
            &what,
            &gettext_f("from {host}", &[("host", &conn.label())]),
        )));
        migrate.set_sensitive(false);

        let labels: Vec<String> = dests.iter().map(|c| c.label()).collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        let host = adw::ComboRow::builder()
            .title(gettext("_Destination"))
            .use_underline(true)
            .model(&gtk::StringList::new(&labels))
            .build();
        let top = adw::PreferencesGroup::new();
        top.add(&host);
        let how = adw::PreferencesGroup::builder()
            .title(gettext("How"))
            .build();
        let copy = adw::ComboRow::builder()
            .title(gettext("_Copy the disks"))
            .use_underline(true)
            .subtitle(gettext(
                "Off when both hosts see the disks on shared storage",
            ))
            .model(&gtk::StringList::new(&[
                &gettext("No: shared storage"),
                &gettext("Whole disks"),
                &gettext("Only the top images (backing files are there)"),
            ]))
            .build();
        how.add(&copy);
        let persist = switch_row(&how, &gettext("_Keep it defined there"), "", true);
        let undefine = switch_row(
            &how,
            &gettext("_Remove it from this host"),
            &gettext("Once it runs there"),
            true,
        );
        let advanced = adw::ExpanderRow::builder()
            .title(gettext("_Advanced"))
            .use_underline(true)
            .build();
        let more = adw::PreferencesGroup::new();
        more.add(&advanced);
        let p2p = switch_row(
            &advanced,
            &gettext("_Peer to peer"),
            &gettext("This host’s libvirt talks to the destination’s itself"),
            false,
        );
        let tunnelled = switch_row(
            &advanced,
            &gettext("_Tunnelled"),
            &gettext("The data goes through libvirt’s connection (peer to peer only)"),
            false,
        );
        tunnelled.set_sensitive(false);
        let compressed = switch_row(&advanced, &gettext("C_ompress"), "", false);
        let auto_converge = switch_row(
            &advanced,
            &gettext("_Auto-converge"),
            &gettext("Slow the guest down when its memory changes faster than it moves"),
            false,
        );
        let postcopy = switch_row(
            &advanced,
            &gettext("Allow _post-copy"),
            &gettext("Switch over first, then move the rest of the memory"),
            false,
        );
        let bandwidth = adw::EntryRow::builder()
            .title(gettext("Bandwidth limit (MiB/s, empty: none)"))
            .build();
        let downtime = adw::EntryRow::builder()
            .title(gettext(
                "Longest pause at the switch (ms, empty: libvirt’s)",
            ))
            .build();
        advanced.add_row(&bandwidth);
        advanced.add_row(&downtime);
        let unsafe_migration = switch_row(
            &advanced,
            &gettext("_Unsafe"),
            &gettext(
                "Move even when libvirt warns the disks could be corrupted (a disk cache that is not safe for migration)",
            ),
            false,
        );
        let mappings = adw::PreferencesGroup::builder()
            .title(gettext("On the destination"))
            .visible(false)
            .build();
        let message = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["caption"])
            .label(gettext("Reading the machine…"))
            .build();
        let progress = gtk::ProgressBar::builder().visible(false).build();
        progress.update_property(&[gtk::accessible::Property::Label(&gettext(
            "Migration progress",
        ))]);
        let figures = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .visible(false)
            .css_classes(["caption", "numeric"])
            .build();
        let body = form_dialog::body(18);
        let postcopy_now = gtk::Button::builder()
            .label(gettext("Switch to _Post-Copy"))
            .use_underline(true)
            .tooltip_text(gettext(
                "Run it on the destination now; the rest of its memory follows as it needs it",
            ))
            .halign(gtk::Align::Start)
            .visible(false)
            .build();
        // The move's progress on top (in view while it runs), and what the checks or the
        // move's end say (in view after a failure, however far the form was scrolled),
        // then the form.
        body.append(&progress);
        body.append(&figures);
        body.append(&postcopy_now);
        body.append(&message);
        let form = gtk::Box::new(gtk::Orientation::Vertical, 18);
        for w in [
            top.upcast_ref::<gtk::Widget>(),
            how.upcast_ref(),
            mappings.upcast_ref(),
            more.upcast_ref(),
        ] {
            form.append(w);
        }
        body.append(&form);
        let scroller = gtk::ScrolledWindow::builder()
            .child(&adw::Clamp::builder().maximum_size(640).child(&body).build())
            .vexpand(true)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build();
        form_dialog::set_content(&window, &header, &scroller);
        window.set_parts(MigrateParts {
            host,
            copy,
            persist,
            undefine,
            p2p,
            tunnelled,
            compressed,
            auto_converge,
            postcopy,
            unsafe_migration,
            bandwidth,
            downtime,
            mappings,
            message,
            progress,
            figures,
            postcopy_now,
            migrate,
            cancel,
            dests,
            guests: RefCell::new(Vec::new()),
            current: std::cell::Cell::new(0),
            dest: RefCell::new(None),
            network_rows: RefCell::new(Vec::new()),
            pool_rows: RefCell::new(Vec::new()),
            job: RefCell::new(None),
            on_moved: RefCell::new(Vec::new()),
            form,
            conn: conn.clone(),
            vms: vms.to_vec(),
        });
        window.wire();
        window.load_guest();
        window
    }

    fn wire(&self) {
        let w = self.downgrade();
        self.cancel.connect_clicked(move |_| {
            let Some(w) = w.upgrade() else { return };
            let moving = w.job.borrow().as_ref().map(MigrateJob::cancel).is_some();
            if moving {
                w.say(
                    &gettext("Stopping; the machine stays on this host, whole…"),
                    false,
                );
            } else {
                w.close();
            }
        });
        let w = self.downgrade();
        self.postcopy_now.connect_clicked(move |b| {
            let Some(w) = w.upgrade() else { return };
            let Some(uuid) = w.guests.borrow().get(w.current.get()).map(|g| g.uuid.clone()) else {
                return;
            };
            b.set_sensitive(false);
            let conn = w.conn.clone();
            let w = w.downgrade();
            glib::spawn_future_local(async move {
                let r = conn.backend().start_postcopy(uuid).await;
                let Some(w) = w.upgrade() else { return };
                match r {
                    Ok(()) => w.say(
                        &gettext("Post-copy: it runs on the destination, which fetches the rest of its memory."),
                        false,
                    ),
                    Err(e) => {
                        w.postcopy_now.set_sensitive(true);
                        w.say(&e.summary(), true);
                    }
                }
            });
        });
        let w = self.downgrade();
        self.migrate.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.run();
            }
        });
        let w = self.downgrade();
        self.host.connect_selected_notify(move |_| {
            if let Some(w) = w.upgrade() {
                w.load_dest();
            }
        });
        let w = self.downgrade();
        self.p2p.connect_active_notify(move |s| {
            if let Some(w) = w.upgrade() {
                w.tunnelled.set_sensitive(s.is_active());
                if !s.is_active() {
                    w.tunnelled.set_active(false);
                }
            }
        });
        let w = self.downgrade();
        self.copy.connect_selected_notify(move |_| {
            if let Some(w) = w.upgrade() {
                w.check();
            }
        });
        for e in [&self.bandwidth, &self.downtime] {
            let w = self.downgrade();
            e.connect_changed(move |_| {
                if let Some(w) = w.upgrade() {
                    w.check();
                }
            });
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

    fn dest_conn(&self) -> Option<Connection> {
        self.dests.get(self.host.selected() as usize).cloned()
    }

    fn load_guest(&self) {
        if self.dests.is_empty() {
            self.say(
                &gettext("Connect to another host first (main menu → Add Connection…)"),
                true,
            );
            return;
        }
        let w = self.downgrade();
        let conn = self.conn.clone();
        let uuids: Vec<String> = self.vms.iter().map(|v| v.uuid()).collect();
        glib::spawn_future_local(async move {
            let mut guests = Vec::new();
            for uuid in uuids {
                match conn.backend().guest_facts(uuid).await {
                    Ok(g) => guests.push(g),
                    Err(e) => {
                        if let Some(w) = w.upgrade() {
                            w.say(&e.summary(), true);
                        }
                        return;
                    }
                }
            }
            let Some(w) = w.upgrade() else { return };
            w.guests.replace(guests);
            w.load_dest();
        });
    }

    /// Read what the chosen destination has.
    fn load_dest(&self) {
        let Some(dest) = self.dest_conn() else { return };
        if self.guests.borrow().is_empty() {
            return;
        }
        // The first CPU model among them to compare (emulated guests name none).
        let cpu = self.guests.borrow().iter().find_map(|g| g.cpu_xml.clone());
        self.dest.replace(None);
        self.migrate.set_sensitive(false);
        self.say(
            &gettext_f("Asking {host}…", &[("host", &dest.label())]),
            false,
        );
        let w = self.downgrade();
        glib::spawn_future_local(async move {
            let r = dest.backend().dest_facts(cpu).await;
            let Some(w) = w.upgrade() else { return };
            match r {
                Ok(f) => {
                    w.dest.replace(Some(f));
                    w.show_dest();
                }
                Err(e) => w.say(&e.summary(), true),
            }
        });
    }

    /// The options as chosen; None when a number is not one.
    pub fn options(&self) -> Option<MigrateOptions> {
        let number = |r: &adw::EntryRow| -> Option<Option<u64>> {
            let t = r.text();
            let t = t.trim();
            if t.is_empty() {
                return Some(None);
            }
            t.parse::<u64>().ok().filter(|n| *n > 0).map(Some)
        };
        Some(MigrateOptions {
            // Each job moves a running guest live and a shut-off one offline.
            live: true,
            copy_storage: match self.copy.selected() {
                1 => CopyStorage::Full,
                2 => CopyStorage::Incremental,
                _ => CopyStorage::None,
            },
            persist: self.persist.is_active(),
            undefine_source: self.undefine.is_active(),
            peer_to_peer: self.p2p.is_active(),
            tunnelled: self.tunnelled.is_active(),
            unsafe_migration: self.unsafe_migration.is_active(),
            compressed: self.compressed.is_active(),
            auto_converge: self.auto_converge.is_active(),
            postcopy: self.postcopy.is_active(),
            bandwidth_mib: number(&self.bandwidth)?,
            max_downtime_ms: number(&self.downtime)?,
        })
    }

    /// The disks placed and the networks mapped as chosen, and what is still in the
    /// way; Migrate only when nothing is.
    pub fn check(&self) -> bool {
        for r in [&self.bandwidth, &self.downtime] {
            r.remove_css_class("error");
        }
        let Some(options) = self.options() else {
            for r in [&self.bandwidth, &self.downtime] {
                let t = r.text();
                if !t.trim().is_empty() && t.trim().parse::<u64>().map_or(true, |n| n == 0) {
                    r.add_css_class("error");
                }
            }
            self.say(&gettext("A whole number above 0, or nothing"), true);
            self.migrate.set_sensitive(false);
            return false;
        };
        let guests = self.guests.borrow().clone();
        let Some(dest) = self.dest.borrow().clone() else {
            self.migrate.set_sensitive(false);
            return false;
        };
        if guests.is_empty() {
            self.migrate.set_sensitive(false);
            return false;
        }
        let chosen = self.chosen_pools();
        let copy = options.copy_storage != CopyStorage::None;
        let several = guests.len() > 1;
        let mut found = Vec::new();
        let mut disks = 0u64;
        for mut g in guests.iter().cloned() {
            place_disks(&mut g.disks, &dest, &chosen);
            disks += g.disks.iter().map(|d| d.capacity).sum::<u64>();
            for p in problems(&g, &dest, copy, &self.network_map()) {
                found.push(if several {
                    format!("{}: {p}", g.name)
                } else {
                    p
                });
            }
        }
        let ok = found.is_empty();
        if ok {
            let what = if several {
                gettext("They move one after another: running ones live, shut-off ones with their definitions.")
            } else if guests[0].running {
                gettext("It moves while it runs; the pause at the switch is short.")
            } else {
                gettext("It is shut off: its definition moves, and its disks when copied.")
            };
            let sized = if copy && disks > 0 {
                format!(
                    "{what} {}",
                    gettext_f(
                        "Up to {size} of disks to copy.",
                        &[("size", &format_bytes(disks))]
                    )
                )
            } else {
                what
            };
            self.say(&sized, false);
        } else {
            self.say(&found.join("\n"), true);
        }
        self.migrate
            .set_sensitive(ok && self.job.borrow().is_none());
        ok
    }

    pub(super) fn network_map(&self) -> Vec<(String, String)> {
        self.network_rows
            .borrow()
            .iter()
            .filter_map(|(from, row)| {
                let to = row
                    .selected_item()
                    .and_downcast::<gtk::StringObject>()?
                    .string()
                    .to_string();
                Some((from.clone(), to))
            })
            .collect()
    }

    fn chosen_pools(&self) -> Vec<(String, String)> {
        self.pool_rows
            .borrow()
            .iter()
            .filter_map(|(target, row)| {
                let to = row
                    .selected_item()
                    .and_downcast::<gtk::StringObject>()?
                    .string()
                    .to_string();
                Some((target.clone(), to))
            })
            .collect()
    }

    /// The spec of moving machine `i` as chosen.
    fn spec(&self, i: usize) -> Option<MigrateSpec> {
        let options = self.options()?;
        let dest = self.dest_conn()?;
        let mut guest = self.guests.borrow().get(i).cloned()?;
        let facts = self.dest.borrow().clone()?;
        place_disks(&mut guest.disks, &facts, &self.chosen_pools());
        Some(MigrateSpec {
            source_uri: self.conn.backend().uri().to_string(),
            dest_uri: dest.backend().uri().to_string(),
            uuid: guest.uuid,
            options,
            disks: guest.disks,
            network_map: self.network_map(),
        })
    }

    fn run(&self) {
        if !self.check() {
            return;
        }
        self.migrate.set_sensitive(false);
        self.cancel.set_label(&gettext("_Stop"));
        self.progress.set_visible(true);
        self.figures.set_visible(true);
        self.form.set_sensitive(false);
        self.start_one(0);
    }

    /// Move machine `i`; the next one follows when it is there.
    fn start_one(&self, i: usize) {
        let Some(spec) = self.spec(i) else { return };
        self.current.set(i);
        self.postcopy_now.set_visible(false);
        self.postcopy_now.set_sensitive(true);
        let (job, rx) = MigrateJob::start(spec);
        self.job.replace(Some(job));
        self.progress.set_fraction(0.0);
        self.say(&self.moving_words(&gettext("Starting…")), false);
        let w = self.downgrade();
        glib::spawn_future_local(async move {
            while let Ok(p) = rx.recv().await {
                let Some(w) = w.upgrade() else { return };
                if w.show_progress(&p) {
                    return;
                }
            }
        });
    }

    /// "2 of 3, web-1: Moving…" when several move, else `what`.
    fn moving_words(&self, what: &str) -> String {
        let n = self.guests.borrow().len();
        if n < 2 {
            return what.to_string();
        }
        let i = self.current.get();
        let name = self
            .guests
            .borrow()
            .get(i)
            .map(|g| g.name.clone())
            .unwrap_or_default();
        gettext_f(
            "{i} of {n}, {name}: {what}",
            &[
                ("i", &(i + 1).to_string()),
                ("n", &n.to_string()),
                ("name", &name),
                ("what", what),
            ],
        )
    }

    /// Show one report; true at the end.
    fn show_progress(&self, p: &MigrateProgress) -> bool {
        match p {
            MigrateProgress::Step { what, done, total } => {
                self.say(&self.moving_words(what), false);
                if *total > 0 {
                    self.progress.set_fraction(*done as f64 / *total as f64);
                    self.figures.set_label(&gettext_f(
                        "{done} of {total}",
                        &[
                            ("done", &format_bytes(*done)),
                            ("total", &format_bytes(*total)),
                        ],
                    ));
                } else {
                    self.progress.pulse();
                }
                false
            }
            MigrateProgress::Job(f) => {
                let running = self
                    .guests
                    .borrow()
                    .get(self.current.get())
                    .is_some_and(|g| g.running);
                self.postcopy_now
                    .set_visible(running && self.postcopy.is_active() && f.data_total > 0);
                self.say(&self.moving_words(&gettext("Moving…")), false);
                self.progress.set_fraction(f.fraction());
                self.figures
                    .set_label(&self.moving_words(&Self::describe(f)));
                false
            }
            MigrateProgress::Finished { dest_uuid } => {
                self.job.replace(None);
                let next = self.current.get() + 1;
                if next < self.guests.borrow().len() {
                    self.start_one(next);
                    return true;
                }
                if let Some(dest) = self.dest_conn() {
                    for f in self.on_moved.borrow().iter() {
                        f(&dest, dest_uuid);
                    }
                }
                self.close();
                true
            }
            MigrateProgress::Cancelled => {
                self.end(&gettext(
                    "Stopped: the machine is still on this host, and nothing was left on the destination.",
                ));
                true
            }
            MigrateProgress::Failed(m) => {
                self.end(&gettext_f(
                    "The migration failed: {reason}. The machine is still on this host.",
                    &[("reason", m)],
                ));
                true
            }
        }
    }

    /// Called with the destination and the machine's UUID there once it has moved.
    pub fn connect_moved(&self, f: impl Fn(&Connection, &str) + 'static) {
        self.on_moved.borrow_mut().push(Box::new(f));
    }

    fn end(&self, m: &str) {
        if let Some(s) = self
            .message
            .ancestor(gtk::ScrolledWindow::static_type())
            .and_downcast::<gtk::ScrolledWindow>()
        {
            s.vadjustment().set_value(0.0);
        }
        self.job.replace(None);
        self.postcopy_now.set_visible(false);
        self.form.set_sensitive(true);
        self.progress.set_visible(false);
        self.cancel.set_label(&gettext("_Close"));
        self.figures.set_label("");
        // The checks first (they say their own line), so the reason is what stays.
        self.check();
        self.say(m, true);
    }

    /// The figures shown last (tests read them).
    pub fn figures_text(&self) -> String {
        self.figures.label().to_string()
    }

    /// Whether a move is under way.
    pub fn is_moving(&self) -> bool {
        self.job.borrow().is_some()
    }
}
