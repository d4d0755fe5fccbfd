//! A row of the Snapshots tab: the screen's picture, the name (the current snapshot
//! marked), when it was taken, the guest's state then, the kind, the description —
//! or, for the "now" node, the machine as it runs from the current snapshot.

use adw::prelude::*;
use gtk::{gdk, glib};

use crate::backend::snapshot::info::SnapshotInfo;
use crate::i18n::{gettext, gettext_f};
use crate::model::Snapshot;

/// Seconds since the epoch as local date and time.
pub fn format_time(secs: i64) -> String {
    glib::DateTime::from_unix_local(secs)
        .and_then(|d| d.format("%Y-%m-%d %H:%M:%S"))
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// The line under a snapshot's name.
pub fn subtitle(s: &SnapshotInfo) -> String {
    let mut parts = vec![format_time(s.created), s.state_label(), s.kind.label()];
    if s.has_memory {
        parts.push(gettext("with memory"));
    }
    if let Some(p) = &s.parent {
        parts.push(gettext_f("after “{name}”", &[("name", p)]));
    }
    parts.join(" · ")
}

struct Parts {
    expander: gtk::TreeExpander,
    picture: gtk::Picture,
    text: gtk::Label,
}

/// A row: the picture (or an icon), and one label of three lines (name with the
/// current mark, when/state/kind, description). GTK 4.8's list view makes up to 200
/// rows at once, so each is kept to a few widgets.
fn make_row() -> gtk::Widget {
    let picture = gtk::Picture::builder()
        .content_fit(gtk::ContentFit::Contain)
        .width_request(96)
        .height_request(60)
        .can_shrink(true)
        .build();
    let text = gtk::Label::builder()
        .xalign(0.0)
        // Each line ellipsized, none wrapped: no height-for-width measuring of 200
        // rows.
        .ellipsize(gtk::pango::EllipsizeMode::End)
        .valign(gtk::Align::Center)
        .hexpand(true)
        .build();
    let row = gtk::Box::builder()
        .spacing(12)
        .margin_top(6)
        .margin_bottom(6)
        .build();
    row.append(&picture);
    row.append(&text);
    let expander = gtk::TreeExpander::new();
    expander.set_child(Some(&row));
    expander.upcast()
}

/// The row's text as Pango markup.
fn markup(title: &str, mark: Option<&str>, sub: &str, desc: &str) -> String {
    let e = |t: &str| glib::markup_escape_text(t).to_string();
    let mut m = format!("<b>{}</b>", e(title));
    if let Some(mark) = mark {
        m.push_str(&format!(
            "  <span size='small' foreground='#1c71d8'>{}</span>",
            e(mark)
        ));
    }
    m.push_str(&format!(
        "\n<span size='small' alpha='60%'>{}</span>",
        e(sub)
    ));
    if !desc.is_empty() {
        m.push_str(&format!("\n<span size='small'>{}</span>", e(desc)));
    }
    m
}

fn icon(widget: &gtk::Picture, name: &str) -> Option<gdk::Paintable> {
    let theme = gtk::IconTheme::for_display(&widget.display());
    let p = theme.lookup_icon(
        name,
        &[],
        32,
        1,
        gtk::TextDirection::None,
        gtk::IconLookupFlags::empty(),
    );
    Some(p.upcast())
}

fn bind(p: &Parts, row: &gtk::TreeListRow, s: &Snapshot, uuid: Option<String>) {
    p.expander.set_list_row(Some(row));
    if s.is_now() {
        p.picture.set_content_fit(gtk::ContentFit::ScaleDown);
        p.picture
            .set_paintable(icon(&p.picture, "media-record-symbolic").as_ref());
        p.picture.remove_css_class("card");
        p.text.set_markup(&markup(
            &gettext("Now"),
            None,
            &gettext("The machine as it is, changed since the snapshot above"),
            "",
        ));
        p.expander
            .update_property(&[gtk::accessible::Property::Label(&gettext("Now"))]);
        return;
    }
    let Some(info) = s.info() else { return };
    let current = gettext("current");
    p.text.set_markup(&markup(
        &info.name,
        info.current.then_some(current.as_str()),
        &subtitle(&info),
        &info.description,
    ));
    let thumb = uuid
        .map(|u| crate::backend::snapshot::thumbs::path(&u, &info.name))
        .filter(|p| p.exists())
        .and_then(|path| gdk::Texture::from_filename(path).ok());
    match thumb {
        Some(t) => {
            p.picture.set_content_fit(gtk::ContentFit::Contain);
            p.picture.add_css_class("card");
            p.picture.set_paintable(Some(&t));
        }
        None => {
            let name = if info.was_active() {
                "computer-symbolic"
            } else {
                "system-shutdown-symbolic"
            };
            p.picture.set_content_fit(gtk::ContentFit::ScaleDown);
            p.picture.remove_css_class("card");
            p.picture.set_paintable(icon(&p.picture, name).as_ref());
        }
    }
    let label = if info.current {
        gettext_f("{name}, current snapshot", &[("name", &info.name)])
    } else {
        info.name.clone()
    };
    p.expander
        .update_property(&[gtk::accessible::Property::Label(&label)]);
}

/// The factory of the tab's list view; `uuid` tells the machine's UUID (where its
/// pictures are) when a row is bound.
pub fn factory(uuid: impl Fn() -> Option<String> + 'static) -> gtk::SignalListItemFactory {
    let f = gtk::SignalListItemFactory::new();
    f.connect_setup(|_, item| {
        let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
            return;
        };
        item.set_child(Some(&make_row()));
    });
    f.connect_bind(move |_, item| {
        let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
            return;
        };
        let (Some(row), Some(w)) = (item.item().and_downcast::<gtk::TreeListRow>(), item.child())
        else {
            return;
        };
        let Some(s) = row.item().and_downcast::<Snapshot>() else {
            return;
        };
        let uuid = uuid();
        if let Some(p) = parts_of(&w) {
            bind(&p, &row, &s, uuid);
        }
    });
    f
}

/// The parts of a row made by `make_row`, found again from its expander.
fn parts_of(w: &gtk::Widget) -> Option<Parts> {
    let expander = w.clone().downcast::<gtk::TreeExpander>().ok()?;
    let row = expander.child()?;
    let picture = row.first_child()?.downcast::<gtk::Picture>().ok()?;
    let text = picture.next_sibling()?.downcast::<gtk::Label>().ok()?;
    Some(Parts {
        expander,
        picture,
        text,
    })
}
