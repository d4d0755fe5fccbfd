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
    icon: gtk::Image,
    name: gtk::Label,
    badge: gtk::Label,
    sub: gtk::Label,
    desc: gtk::Label,
}

fn make_row() -> gtk::Widget {
    let picture = gtk::Picture::builder()
        .content_fit(gtk::ContentFit::Contain)
        .width_request(96)
        .height_request(60)
        .can_shrink(true)
        .build();
    picture.add_css_class("card");
    let icon = gtk::Image::builder()
        .pixel_size(32)
        .width_request(96)
        .build();
    let name = gtk::Label::builder()
        .xalign(0.0)
        .ellipsize(gtk::pango::EllipsizeMode::End)
        .css_classes(["heading"])
        .build();
    let badge = gtk::Label::builder()
        .label(gettext("current"))
        .css_classes(["caption", "accent"])
        .visible(false)
        .build();
    let head = gtk::Box::new(gtk::Orientation::Horizontal, 6);
    head.append(&name);
    head.append(&badge);
    let sub = gtk::Label::builder()
        .xalign(0.0)
        .css_classes(["caption", "dim-label"])
        .build();
    let desc = gtk::Label::builder()
        .xalign(0.0)
        .wrap(true)
        .lines(2)
        .ellipsize(gtk::pango::EllipsizeMode::End)
        .css_classes(["caption"])
        .build();
    let texts = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(2)
        .valign(gtk::Align::Center)
        .hexpand(true)
        .build();
    texts.append(&head);
    texts.append(&sub);
    texts.append(&desc);
    let row = gtk::Box::builder()
        .spacing(12)
        .margin_top(6)
        .margin_bottom(6)
        .build();
    row.append(&picture);
    row.append(&icon);
    row.append(&texts);
    let expander = gtk::TreeExpander::new();
    expander.set_child(Some(&row));
    expander.upcast()
}

fn bind(p: &Parts, row: &gtk::TreeListRow, s: &Snapshot, uuid: Option<String>) {
    p.expander.set_list_row(Some(row));
    if s.is_now() {
        p.picture.set_visible(false);
        p.icon.set_visible(true);
        p.icon.set_icon_name(Some("media-record-symbolic"));
        p.name.set_label(&gettext("Now"));
        p.badge.set_visible(false);
        p.sub.set_label(&gettext(
            "The machine as it is, changed since the snapshot above",
        ));
        p.desc.set_visible(false);
        p.expander
            .update_property(&[gtk::accessible::Property::Label(&gettext("Now"))]);
        return;
    }
    let Some(info) = s.info() else { return };
    p.name.set_label(&info.name);
    p.badge.set_visible(info.current);
    p.sub.set_label(&subtitle(&info));
    p.desc.set_label(&info.description);
    p.desc.set_visible(!info.description.is_empty());
    let thumb = uuid
        .map(|u| crate::backend::snapshot::thumbs::path(&u, &info.name))
        .filter(|p| p.exists())
        .and_then(|path| gdk::Texture::from_filename(path).ok());
    p.picture.set_visible(thumb.is_some());
    p.icon.set_visible(thumb.is_none());
    p.icon.set_icon_name(Some(if info.was_active() {
        "computer-symbolic"
    } else {
        "system-shutdown-symbolic"
    }));
    p.picture.set_paintable(thumb.as_ref());
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
    let icon = picture.next_sibling()?.downcast::<gtk::Image>().ok()?;
    let texts = icon.next_sibling()?;
    let head = texts.first_child()?;
    let name = head.first_child()?.downcast::<gtk::Label>().ok()?;
    let badge = name.next_sibling()?.downcast::<gtk::Label>().ok()?;
    let sub = head.next_sibling()?.downcast::<gtk::Label>().ok()?;
    let desc = sub.next_sibling()?.downcast::<gtk::Label>().ok()?;
    Some(Parts {
        expander,
        picture,
        icon,
        name,
        badge,
        sub,
        desc,
    })
}
