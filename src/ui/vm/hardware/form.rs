//! libadwaita rows for one section of a domain (general, CPU, memory, boot or a device),
//! built from the backend's form description. Every change goes straight into the
//! shared [`DomainXml`]; text that cannot be taken (not a number) and validation errors
//! show on their row as typed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use adw::prelude::*;

use crate::backend::domain_xml::{DomainXml, FieldKind, FieldSpec, Section, ValidationContext};

/// Shared state of one form.
pub struct Form {
    pub group: adw::PreferencesGroup,
    doc: Rc<RefCell<DomainXml>>,
    section: Section,
    ctx: ValidationContext,
    rows: RefCell<Vec<(String, gtk::Widget)>>,
    /// Text a field could not take, by field id.
    parse_errors: RefCell<HashMap<String, String>>,
    errors_label: gtk::Label,
    /// Called after every accepted change, with whether the form shape changed.
    on_change: Box<dyn Fn(bool)>,
}

impl Form {
    /// Rows for `section` of `doc`, titled `title`.
    pub fn new(
        doc: Rc<RefCell<DomainXml>>,
        section: Section,
        title: &str,
        ctx: ValidationContext,
        on_change: impl Fn(bool) + 'static,
    ) -> Rc<Form> {
        let group = adw::PreferencesGroup::builder().title(title).build();
        let errors_label = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["error", "caption"])
            .margin_top(6)
            .visible(false)
            .build();
        let form = Rc::new(Form {
            group,
            doc,
            section,
            ctx,
            rows: RefCell::new(Vec::new()),
            parse_errors: RefCell::new(HashMap::new()),
            errors_label,
            on_change: Box::new(on_change),
        });
        let specs = form.doc.borrow().form(section);
        for spec in specs {
            let row = form.row(&spec);
            // Named, so the keyboard focus finds its way back to it when the section
            // is built again (a choice that changes the form's shape).
            row.set_widget_name(&format!("field:{}", spec.id));
            form.group.add(&row);
            form.rows.borrow_mut().push((spec.id.clone(), row));
        }
        form.group.add(&form.errors_label);
        form.show_errors();
        form
    }

    pub fn section(&self) -> Section {
        self.section
    }

    /// Whether some text could not be taken or the section does not validate.
    pub fn has_errors(&self) -> bool {
        !self.parse_errors.borrow().is_empty()
            || !self
                .doc
                .borrow()
                .validate(self.section, &self.ctx)
                .is_empty()
    }

    /// The editor row of a field (for tests and focus).
    pub fn row_widget(&self, id: &str) -> Option<gtk::Widget> {
        self.rows
            .borrow()
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, w)| w.clone())
    }

    fn row(self: &Rc<Self>, spec: &FieldSpec) -> gtk::Widget {
        let id = spec.id.clone();
        let weak = Rc::downgrade(self);
        let label = spec.label.as_str();
        match &spec.kind {
            FieldKind::Text | FieldKind::Number { .. } => {
                let row = adw::EntryRow::builder().title(label).build();
                row.set_text(&spec.value);
                row.connect_changed(move |r| {
                    if let Some(f) = weak.upgrade() {
                        f.set(&id, &r.text(), false);
                    }
                });
                row.upcast()
            }
            FieldKind::Choice(choices) => {
                let labels: Vec<&str> = choices.iter().map(|(_, l)| l.as_str()).collect();
                let model = gtk::StringList::new(&labels);
                let row = adw::ComboRow::builder().title(label).model(&model).build();
                let pos = choices
                    .iter()
                    .position(|(v, _)| *v == spec.value)
                    .unwrap_or(0);
                row.set_selected(pos as u32);
                let values: Vec<String> = choices.iter().map(|(v, _)| v.clone()).collect();
                row.connect_selected_notify(move |r| {
                    let Some(f) = weak.upgrade() else { return };
                    if let Some(v) = values.get(r.selected() as usize) {
                        f.set(&id, v, true);
                    }
                });
                row.upcast()
            }
            FieldKind::Toggle => {
                let sw = gtk::Switch::builder()
                    .valign(gtk::Align::Center)
                    .active(spec.value == "yes")
                    .build();
                let row = adw::ActionRow::builder()
                    .title(label)
                    .activatable_widget(&sw)
                    .build();
                row.add_suffix(&sw);
                sw.connect_active_notify(move |s| {
                    if let Some(f) = weak.upgrade() {
                        f.set(&id, if s.is_active() { "yes" } else { "no" }, true);
                    }
                });
                row.upcast()
            }
            FieldKind::LongText => {
                // Several lines, as typed: a description is prose, not a field.
                let view = gtk::TextView::builder()
                    .wrap_mode(gtk::WrapMode::WordChar)
                    .accepts_tab(false)
                    .top_margin(6)
                    .bottom_margin(6)
                    .left_margin(6)
                    .right_margin(6)
                    .height_request(72)
                    .css_classes(["card"])
                    .build();
                view.buffer().set_text(&spec.value);
                let title = gtk::Label::builder()
                    .label(label)
                    .xalign(0.0)
                    .css_classes(["caption", "dim-label"])
                    .build();
                title.set_mnemonic_widget(Some(&view));
                let b = gtk::Box::builder()
                    .orientation(gtk::Orientation::Vertical)
                    .spacing(6)
                    .margin_top(8)
                    .margin_bottom(12)
                    .margin_start(12)
                    .margin_end(12)
                    .build();
                b.append(&title);
                b.append(&view);
                let row = adw::PreferencesRow::builder()
                    .title(label)
                    .activatable(false)
                    .child(&b)
                    .build();
                view.buffer().connect_changed(move |buf| {
                    if let Some(f) = weak.upgrade() {
                        let text = buf.text(&buf.start_iter(), &buf.end_iter(), false);
                        f.set(&id, &text, false);
                    }
                });
                row.upcast()
            }
            FieldKind::BootOrder(entries) => self.boot_order_row(&id, label, entries),
            FieldKind::ReadOnly => {
                let row = adw::ActionRow::builder()
                    .title(label)
                    .subtitle(&spec.value)
                    .build();
                row.add_css_class("property");
                row.upcast()
            }
        }
    }

    /// The boot order: the bootable devices, each switched on or off, moved earlier
    /// or later with buttons (the keyboard reaches every one).
    fn boot_order_row(
        self: &Rc<Self>,
        id: &str,
        label: &str,
        entries: &[crate::backend::domain_xml::BootEntry],
    ) -> gtk::Widget {
        use crate::backend::domain_xml::boot_order_value;
        use crate::i18n::{gettext, gettext_f};
        let on: Vec<&str> = entries
            .iter()
            .filter(|e| e.enabled)
            .map(|e| e.name.as_str())
            .collect();
        let summary = if on.is_empty() {
            gettext("No device: the firmware decides")
        } else {
            on.join(" → ")
        };
        let row = adw::ExpanderRow::builder()
            .title(label)
            .subtitle(summary)
            .expanded(true)
            .build();
        if entries.is_empty() {
            row.add_row(
                &adw::ActionRow::builder()
                    .title(gettext("This machine has no disk, CD-ROM or network card"))
                    .build(),
            );
        }
        for (pos, e) in entries.iter().enumerate() {
            let item = adw::ActionRow::builder().title(e.name.as_str()).build();
            let check = gtk::CheckButton::builder()
                .active(e.enabled)
                .valign(gtk::Align::Center)
                .build();
            check.set_widget_name(&format!("field:{id}:{}:on", e.index));
            item.add_prefix(&check);
            item.set_activatable_widget(Some(&check));
            let up = gtk::Button::from_icon_name("go-up-symbolic");
            let down = gtk::Button::from_icon_name("go-down-symbolic");
            for (b, tip, dir, ok) in [
                // The devices switched on come first, in their order; the others
                // are only listed, to be switched on.
                (&up, gettext("Boot Earlier"), "up", e.enabled && pos > 0),
                (
                    &down,
                    gettext("Boot Later"),
                    "down",
                    e.enabled && entries.get(pos + 1).is_some_and(|x| x.enabled),
                ),
            ] {
                b.add_css_class("flat");
                b.set_valign(gtk::Align::Center);
                b.set_tooltip_text(Some(&gettext_f(
                    "{action}: {device}",
                    &[("action", &tip), ("device", &e.name)],
                )));
                b.set_sensitive(ok);
                b.set_widget_name(&format!("field:{id}:{}:{dir}", e.index));
                item.add_suffix(b);
            }
            row.add_row(&item);
            let value_with = {
                let entries = entries.to_vec();
                move |f: &dyn Fn(&mut Vec<crate::backend::domain_xml::BootEntry>)| {
                    let mut v = entries.clone();
                    f(&mut v);
                    boot_order_value(&v)
                }
            };
            let weak = Rc::downgrade(self);
            let id2 = id.to_string();
            let vw = value_with.clone();
            check.connect_toggled(move |c| {
                let Some(f) = weak.upgrade() else { return };
                let active = c.is_active();
                let v = vw(&|v| v[pos].enabled = active);
                f.set(&id2, &v, true);
            });
            let weak = Rc::downgrade(self);
            let id2 = id.to_string();
            let vw = value_with.clone();
            up.connect_clicked(move |_| {
                let Some(f) = weak.upgrade() else { return };
                let v = vw(&|v| v.swap(pos, pos - 1));
                f.set(&id2, &v, true);
            });
            let weak = Rc::downgrade(self);
            let id2 = id.to_string();
            down.connect_clicked(move |_| {
                let Some(f) = weak.upgrade() else { return };
                let v = value_with(&|v| v.swap(pos, pos + 1));
                f.set(&id2, &v, true);
            });
        }
        row.upcast()
    }

    fn set(&self, id: &str, value: &str, reshape: bool) {
        let r = self.doc.borrow_mut().set_field(self.section, id, value);
        match r {
            Ok(()) => {
                self.parse_errors.borrow_mut().remove(id);
            }
            Err(m) => {
                self.parse_errors.borrow_mut().insert(id.to_string(), m);
            }
        }
        self.show_errors();
        (self.on_change)(reshape);
    }

    /// Mark the rows with errors and list the messages under the group.
    pub fn show_errors(&self) {
        let mut errors: Vec<(String, String)> = self
            .parse_errors
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        errors.extend(
            self.doc
                .borrow()
                .validate(self.section, &self.ctx)
                .into_iter()
                .map(|e| (e.field, e.message)),
        );
        for (id, row) in self.rows.borrow().iter() {
            let msg: Vec<&str> = errors
                .iter()
                .filter(|(f, _)| f == id)
                .map(|(_, m)| m.as_str())
                .collect();
            if msg.is_empty() {
                row.remove_css_class("error");
                row.set_tooltip_text(None);
            } else {
                row.add_css_class("error");
                row.set_tooltip_text(Some(&msg.join("\n")));
                row.update_property(&[gtk::accessible::Property::Description(&msg.join(" "))]);
            }
        }
        let text: Vec<String> = errors.iter().map(|(_, m)| format!("• {m}")).collect();
        self.errors_label.set_label(&text.join("\n"));
        self.errors_label.set_visible(!text.is_empty());
    }
}
