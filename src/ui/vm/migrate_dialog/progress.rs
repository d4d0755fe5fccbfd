//! The destination's side of the dialog (a network or pool there for each the guest
//! needs and it lacks, the copy's default), and the job's figures in words.

use super::*;
use crate::backend::migrate::job::JobFigures;

impl MigrateDialog {
    /// The destination read: the choices it needs, the copy's default, the checks.
    pub(super) fn show_dest(&self) {
        let guests = self.guests.borrow().clone();
        let Some(dest) = self.dest.borrow().clone() else {
            return;
        };
        let mut networks: Vec<String> = Vec::new();
        for n in guests.iter().flat_map(|g| g.networks.iter()) {
            if !networks.contains(n) {
                networks.push(n.clone());
            }
        }
        while let Some(row) = self.network_rows.borrow_mut().pop() {
            self.mappings.remove(&row.1);
        }
        while let Some(row) = self.pool_rows.borrow_mut().pop() {
            self.mappings.remove(&row.1);
        }
        let mut any = false;
        let w = self.downgrade();
        let recheck = move || {
            if let Some(w) = w.upgrade() {
                w.check();
            }
        };
        for n in networks.iter().filter(|n| !dest.networks.contains(n)) {
            if dest.networks.is_empty() {
                continue;
            }
            let names: Vec<&str> = dest.networks.iter().map(String::as_str).collect();
            let row = adw::ComboRow::builder()
                .title(gettext_f("Network for “{network}”", &[("network", n)]))
                .subtitle(gettext_f(
                    "{host} has no network of that name",
                    &[("host", &dest.hostname)],
                ))
                .model(&gtk::StringList::new(&names))
                .build();
            let r = recheck.clone();
            row.connect_selected_notify(move |_| r());
            self.mappings.add(&row);
            self.network_rows.borrow_mut().push((n.clone(), row));
            any = true;
        }
        let mut placed: Vec<_> = guests.iter().flat_map(|g| g.disks.clone()).collect();
        place_disks(&mut placed, &dest, &[]);
        let pools: Vec<&str> = dest.pools.iter().map(|p| p.name.as_str()).collect();
        for d in placed.iter().filter(|d| d.dest_pool.is_none()) {
            if pools.is_empty() {
                continue;
            }
            let row = adw::ComboRow::builder()
                .title(gettext_f("Pool for disk {disk}", &[("disk", &d.target)]))
                .subtitle(gettext_f(
                    "{host} has no pool in the folder of {path}",
                    &[("host", &dest.hostname), ("path", &d.source)],
                ))
                .model(&gtk::StringList::new(&pools))
                .build();
            let r = recheck.clone();
            row.connect_selected_notify(move |_| r());
            self.mappings.add(&row);
            self.pool_rows.borrow_mut().push((d.source.clone(), row));
            any = true;
        }
        self.mappings.set_visible(any);
        // Copy the disks unless the destination keeps them on shared storage (the
        // same file there), or there are none.
        let shared = placed.iter().all(|d| {
            dest.pools
                .iter()
                .find(|p| Some(&p.name) == d.dest_pool.as_ref())
                .is_some_and(|p| p.shared())
        });
        self.copy
            .set_selected(if placed.is_empty() || shared { 0 } else { 1 });
        self.check();
    }

    /// "1.2 GiB of 4.0 GiB · 95 MiB/s · 12 s left · pass 3 · 1 800 pages/s dirtied".
    pub fn describe(f: &JobFigures) -> String {
        let (done, total) = f.done_of_total();
        let mut parts = Vec::new();
        if total > 0 {
            parts.push(gettext_f(
                "{done} of {total}",
                &[
                    ("done", &format_bytes(done)),
                    ("total", &format_bytes(total)),
                ],
            ));
        } else {
            parts.push(gettext("Starting the transfer"));
        }
        let bps = f.mem_bps + f.disk_bps;
        if bps > 0 {
            parts.push(gettext_f("{speed}/s", &[("speed", &format_bytes(bps))]));
        }
        if let Some(s) = f.eta_secs() {
            parts.push(gettext_f("{secs} s left", &[("secs", &s.to_string())]));
        }
        if f.disk_total > 0 && f.data_total > 0 {
            parts.push(gettext_f(
                "disks {done} of {total}",
                &[
                    ("done", &format_bytes(f.disk_processed)),
                    ("total", &format_bytes(f.disk_total)),
                ],
            ));
        }
        if f.iteration > 0 {
            parts.push(gettext_f("pass {n}", &[("n", &f.iteration.to_string())]));
        }
        if f.dirty_rate > 0 {
            parts.push(gettext_f(
                "{rate} pages/s dirtied",
                &[("rate", &f.dirty_rate.to_string())],
            ));
        }
        parts.join(" · ")
    }
}
