//! Compare: the machine's configuration kept in one snapshot against another's or
//! against the configuration it has now, as a line diff (changed lines with a little
//! context), so a person sees what changed in the hardware.

use std::cell::RefCell;

use adw::prelude::*;
use gtk::glib;

use crate::backend::domain_xml::{line_diff, DiffLine};
use crate::i18n::{gettext, gettext_f, ngettext_f};
use crate::model::{Connection, Vm};

dialog_window!(
    /// The Compare dialog of a machine's snapshots.
    compare_imp,
    CompareDialog,
    "HangarCompareSnapshotsDialog",
    CompareParts
);

pub struct CompareParts {
    pub left: gtk::DropDown,
    pub right: gtk::DropDown,
    pub summary: gtk::Label,
    pub text: gtk::TextView,
    names: Vec<String>,
    conn: Connection,
    vm: Vm,
    loads: std::cell::Cell<u64>,
    /// The last diff shown: (changed lines, removed, added).
    last: RefCell<(usize, Vec<String>, Vec<String>)>,
}

/// Lines of unchanged context kept around each change.
const CONTEXT: usize = 2;

impl CompareDialog {
    pub fn new(
        parent: Option<&gtk::Window>,
        conn: &Connection,
        vm: &Vm,
        names: &[String],
        chosen: &str,
    ) -> CompareDialog {
        let window = CompareDialog::bare();
        window.set_modal(true);
        window.set_title(Some(&gettext_f(
            "Compare Snapshots of {name}",
            &[("name", &vm.name())],
        )));
        window.set_default_size(760, 560);
        window.set_transient_for(parent);
        let header = adw::HeaderBar::new();
        let left_names: Vec<&str> = names.iter().map(String::as_str).collect();
        let left = gtk::DropDown::from_strings(&left_names);
        left.update_property(&[gtk::accessible::Property::Label(&gettext("Snapshot"))]);
        let current = gettext("Current configuration");
        let mut right_names = vec![current.as_str()];
        right_names.extend(left_names.iter().copied());
        let right = gtk::DropDown::from_strings(&right_names);
        right.update_property(&[gtk::accessible::Property::Label(&gettext("Compared with"))]);
        left.set_selected(names.iter().position(|n| n == chosen).unwrap_or(0) as u32);
        right.set_selected(0);
        let pickers = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        pickers.append(&left);
        pickers.append(&gtk::Label::new(Some(&gettext("against"))));
        pickers.append(&right);
        let summary = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["caption"])
            .build();
        let text = gtk::TextView::builder()
            .editable(false)
            .monospace(true)
            .cursor_visible(false)
            .top_margin(6)
            .left_margin(6)
            .build();
        text.update_property(&[gtk::accessible::Property::Label(&gettext("Differences"))]);
        let buffer = text.buffer();
        buffer.create_tag(
            Some("added"),
            &[("background", &"#c8f0c8"), ("foreground", &"#0b3d0b")],
        );
        buffer.create_tag(
            Some("removed"),
            &[("background", &"#f6cccc"), ("foreground", &"#5c0b0b")],
        );
        buffer.create_tag(Some("gap"), &[("foreground", &"#888888")]);
        let scroller = gtk::ScrolledWindow::builder()
            .child(&text)
            .vexpand(true)
            .build();
        scroller.add_css_class("card");
        let body = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(12)
            .margin_top(12)
            .margin_bottom(12)
            .margin_start(12)
            .margin_end(12)
            .build();
        body.append(&pickers);
        body.append(&summary);
        body.append(&scroller);
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&body);
        window.set_content(Some(&content));
        window.set_parts(CompareParts {
            left,
            right,
            summary,
            text,
            names: names.to_vec(),
            conn: conn.clone(),
            vm: vm.clone(),
            loads: Default::default(),
            last: Default::default(),
        });
        let d = window;
        for dd in [&d.left, &d.right] {
            let w = d.downgrade();
            dd.connect_selected_notify(move |_| {
                if let Some(w) = w.upgrade() {
                    w.load();
                }
            });
        }
        d.load();
        d
    }

    /// Compare snapshot `left` with `right` (`None`: the current configuration).
    pub fn choose(&self, left: &str, right: Option<&str>) {
        let pos = |n: &str| self.names.iter().position(|x| x == n);
        if let Some(l) = pos(left) {
            self.left.set_selected(l as u32);
        }
        self.right
            .set_selected(right.and_then(pos).map(|p| p as u32 + 1).unwrap_or(0));
    }

    fn load(&self) {
        let Some(left) = self.names.get(self.left.selected() as usize).cloned() else {
            return;
        };
        let right = match self.right.selected() {
            0 => None,
            i => self.names.get(i as usize - 1).cloned(),
        };
        let load = self.loads.get() + 1;
        self.loads.set(load);
        self.summary.set_label(&gettext("Reading…"));
        let (conn, uuid) = (self.conn.clone(), self.vm.uuid());
        let w = self.downgrade();
        glib::spawn_future_local(async move {
            let a = conn
                .backend()
                .snapshot_config(uuid.clone(), Some(left))
                .await;
            let b = conn.backend().snapshot_config(uuid, right).await;
            let Some(w) = w.upgrade() else { return };
            if w.loads.get() != load {
                return;
            }
            match (a, b) {
                (Ok(a), Ok(b)) => w.show_diff(&a, &b),
                (Err(e), _) | (_, Err(e)) => w.summary.set_label(&e.summary()),
            }
        });
    }

    fn show_diff(&self, a: &str, b: &str) {
        let diff = line_diff(a, b);
        let changed: Vec<bool> = diff
            .iter()
            .map(|d| !matches!(d, DiffLine::Same(_)))
            .collect();
        let near = |i: usize| {
            let lo = i.saturating_sub(CONTEXT);
            let hi = (i + CONTEXT + 1).min(changed.len());
            changed[lo..hi].iter().any(|c| *c)
        };
        let buffer = self.text.buffer();
        buffer.set_text("");
        let mut removed = Vec::new();
        let mut added = Vec::new();
        let mut skipped = false;
        for (i, line) in diff.iter().enumerate() {
            let (prefix, text, tag) = match line {
                DiffLine::Same(t) => ("  ", t, None),
                DiffLine::Removed(t) => {
                    removed.push(t.clone());
                    ("- ", t, Some("removed"))
                }
                DiffLine::Added(t) => {
                    added.push(t.clone());
                    ("+ ", t, Some("added"))
                }
            };
            if tag.is_none() && !near(i) {
                skipped = true;
                continue;
            }
            let mut end = buffer.end_iter();
            if skipped {
                buffer.insert_with_tags_by_name(&mut end, "  …\n", &["gap"]);
                skipped = false;
            }
            let s = format!("{prefix}{text}\n");
            match tag {
                Some(t) => buffer.insert_with_tags_by_name(&mut end, &s, &[t]),
                None => buffer.insert(&mut end, &s),
            }
        }
        if skipped {
            buffer.insert_with_tags_by_name(&mut buffer.end_iter(), "  …\n", &["gap"]);
        }
        let n = removed.len() + added.len();
        self.summary.set_label(&if n == 0 {
            gettext("The two configurations are the same.")
        } else {
            ngettext_f(
                "{n} line differs: “-” in the first, “+” in the second.",
                "{n} lines differ: “-” in the first, “+” in the second.",
                n as u32,
                &[("n", &n.to_string())],
            )
        });
        self.last.replace((n, removed, added));
    }

    /// The lines only in the first and only in the second configuration (for tests).
    pub fn differences(&self) -> (Vec<String>, Vec<String>) {
        let l = self.last.borrow();
        (l.1.clone(), l.2.clone())
    }

    pub fn summary_text(&self) -> String {
        self.summary.label().to_string()
    }
}
