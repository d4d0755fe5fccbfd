//! The device list: entries in the order people read them, spliced in place and built
//! in steps, and selection.

use super::*;

impl HardwarePage {
    pub(super) fn entries(&self) -> Vec<(Section, &'static str, String)> {
        let imp = self.imp();
        let Some(doc) = imp.doc.borrow().clone() else {
            return Vec::new();
        };
        let sizes = imp.sizes.borrow();
        let d = doc.borrow();
        let mut out = vec![
            (
                Section::General,
                "document-properties-symbolic",
                gettext("Overview"),
            ),
            (Section::Cpu, "system-run-symbolic", gettext("CPUs")),
            (
                Section::Memory,
                "drive-multidisk-symbolic",
                gettext("Memory"),
            ),
            (
                Section::Boot,
                "system-reboot-symbolic",
                gettext("Boot Options"),
            ),
        ];
        out.extend(
            d.devices_with_sizes(&|p| sizes.get(p).copied())
                .into_iter()
                .map(|DeviceEntry { index, kind, name }| {
                    (Section::Device(index), kind.icon_name(), name)
                }),
        );
        out
    }

    pub(super) fn fill_list(&self) {
        self.set_list(self.entries());
    }

    pub(super) fn set_list(&self, entries: Vec<(Section, &'static str, String)>) {
        let imp = self.imp();
        imp.labels.replace(
            entries
                .iter()
                .map(|(_, icon, name)| (*icon, name.clone()))
                .collect(),
        );
        imp.sections
            .replace(entries.iter().map(|(s, _, _)| *s).collect());
        let sel_pos = imp
            .selected
            .get()
            .and_then(|s| imp.sections.borrow().iter().position(|x| *x == s));
        imp.syncing_list.set(true);
        let more = self.sync_model(sel_pos.map_or(0, |p| p + 1));
        if let (Some(p), Some(sel)) = (sel_pos, imp.selection.get()) {
            if sel.selected() != p as u32 {
                sel.set_selected(p as u32);
            }
        }
        imp.syncing_list.set(false);
        if more && imp.sync_source.borrow().is_none() {
            let this = self.downgrade();
            let id = glib::idle_add_local(move || {
                let Some(this) = this.upgrade() else {
                    return glib::ControlFlow::Break;
                };
                this.imp().syncing_list.set(true);
                let more = this.sync_model(0);
                this.imp().syncing_list.set(false);
                if more {
                    glib::ControlFlow::Continue
                } else {
                    this.imp().sync_source.replace(None);
                    glib::ControlFlow::Break
                }
            });
            imp.sync_source.replace(Some(id));
        }
    }

    /// Bring the list's model closer to `labels`: only what differs is spliced (an
    /// edit renames one row; a reload of the same domain changes nothing), and a
    /// long run of new rows goes in `FIRST_ROWS` at a time, at least the first
    /// `min` at once, so the first screenful shows before the rest is built. True
    /// while more remains.
    pub(super) fn sync_model(&self, min: usize) -> bool {
        const FIRST_ROWS: usize = 40;
        let imp = self.imp();
        let model = self.device_model();
        let want = imp.labels.borrow();
        let have = model.n_items() as usize;
        let same = |m: usize, w: usize| {
            model
                .item(m as u32)
                .and_downcast::<DeviceItem>()
                .is_some_and(|d| d.shows(want[w].0, &want[w].1))
        };
        let mut p = 0;
        while p < have && p < want.len() && same(p, p) {
            p += 1;
        }
        let mut q = 0;
        while q < have - p && q < want.len() - p && same(have - 1 - q, want.len() - 1 - q) {
            q += 1;
        }
        let (removed, added) = (have - p - q, want.len() - p - q);
        if removed == 0 && added == 0 {
            return false;
        }
        let limit = FIRST_ROWS.max(min.saturating_sub(p));
        if added <= limit {
            let new: Vec<DeviceItem> = want[p..p + added]
                .iter()
                .map(|(i, n)| DeviceItem::new(i, n))
                .collect();
            model.splice(p as u32, removed as u32, &new);
            return false;
        }
        // Many new rows: drop the old ones after the common start, put in the first.
        let new: Vec<DeviceItem> = want[p..p + limit]
            .iter()
            .map(|(i, n)| DeviceItem::new(i, n))
            .collect();
        model.splice(p as u32, (have - p) as u32, &new);
        true
    }

    /// The list's model, of `DeviceItem`s.
    pub(super) fn device_model(&self) -> gio::ListStore {
        self.imp()
            .names
            .get_or_init(gio::ListStore::new::<DeviceItem>)
            .clone()
    }

    /// Update the names in the list after an edit (sizes and models show there).
    pub(super) fn refresh_names(&self) {
        self.set_list(self.entries());
    }

    /// Select a section in the list and show its editor.
    pub fn select(&self, s: Section) {
        let imp = self.imp();
        let pos = imp.sections.borrow().iter().position(|x| *x == s);
        if let Some(p) = pos {
            // A row still to come (the list is built in steps) goes in now.
            imp.syncing_list.set(true);
            while p as u32 >= self.device_model().n_items() && self.sync_model(p + 1) {}
            imp.syncing_list.set(false);
        }
        if let (Some(p), Some(sel)) = (pos, imp.selection.get()) {
            imp.syncing_list.set(true);
            sel.set_selected(p as u32);
            imp.syncing_list.set(false);
            imp.list
                .activate_action("list.scroll-to-item", Some(&(p as u32).to_variant()))
                .ok();
        }
        if imp.selected.get() != Some(s) {
            self.show_section(s);
        }
    }

    /// The name a section has in the list.
    pub(super) fn row_name(&self, s: Section) -> String {
        let imp = self.imp();
        let pos = imp.sections.borrow().iter().position(|x| *x == s);
        pos.and_then(|p| imp.labels.borrow().get(p).map(|(_, name)| name.clone()))
            .unwrap_or_default()
    }

    /// The sections in list order, with their names (for tests).
    pub fn list_names(&self) -> Vec<(Section, String)> {
        self.entries().into_iter().map(|(s, _, n)| (s, n)).collect()
    }

    pub(super) fn clear_editor(&self) {
        let imp = self.imp();
        for (_, page, _) in imp.pages.take() {
            imp.stack.remove(&page);
        }
        imp.form.replace(None);
    }
}
