//! Preferences: style, statistics, confirmations — all bound to GSettings.

use adw::prelude::*;
use gtk::gio;

use crate::i18n::gettext;

fn switch_row(settings: &gio::Settings, key: &str, title: &str, subtitle: &str) -> adw::ActionRow {
    let sw = gtk::Switch::builder().valign(gtk::Align::Center).build();
    settings.bind(key, &sw, "active").build();
    let row = adw::ActionRow::builder()
        .title(title)
        .activatable_widget(&sw)
        .build();
    if !subtitle.is_empty() {
        row.set_subtitle(subtitle);
    }
    row.add_suffix(&sw);
    row
}

pub fn window(parent: &impl IsA<gtk::Window>, settings: &gio::Settings) -> adw::PreferencesWindow {
    let win = adw::PreferencesWindow::builder()
        .transient_for(parent)
        .modal(true)
        .search_enabled(false)
        .build();
    let page = adw::PreferencesPage::builder()
        .title(gettext("General"))
        .icon_name("preferences-system-symbolic")
        .build();

    let style = adw::PreferencesGroup::builder()
        .title(gettext("Appearance"))
        .build();
    let scheme = adw::ComboRow::builder()
        .title(gettext("Style"))
        .model(&gtk::StringList::new(&[
            &gettext("Follow System"),
            &gettext("Light"),
            &gettext("Dark"),
        ]))
        .build();
    scheme.set_selected(match settings.string("color-scheme").as_str() {
        "light" => 1,
        "dark" => 2,
        _ => 0,
    });
    let s = settings.clone();
    scheme.connect_selected_notify(move |r| {
        let v = match r.selected() {
            1 => "light",
            2 => "dark",
            _ => "default",
        };
        let _ = s.set_string("color-scheme", v);
    });
    style.add(&scheme);
    style.add(&switch_row(
        settings,
        "list-thumbnails",
        &gettext("Guest Screens in the List"),
        &gettext("A small picture of each running guest, refreshed every few seconds"),
    ));
    page.add(&style);

    let stats = adw::PreferencesGroup::builder()
        .title(gettext("Statistics"))
        .description(gettext(
            "Usage is sampled only for the virtual machines on screen, and not at all while the window is hidden.",
        ))
        .build();
    let interval = gtk::SpinButton::with_range(1.0, 60.0, 1.0);
    interval.set_valign(gtk::Align::Center);
    interval.update_property(&[gtk::accessible::Property::Label(&gettext(
        "Update interval in seconds",
    ))]);
    interval.set_value(settings.uint("stats-interval") as f64);
    let s = settings.clone();
    interval.connect_value_changed(move |b| {
        let _ = s.set_uint("stats-interval", b.value() as u32);
    });
    let interval_row = adw::ActionRow::builder()
        .title(gettext("Update Interval"))
        .subtitle(gettext("Seconds between two samples"))
        .build();
    interval_row.add_suffix(&interval);
    stats.add(&interval_row);
    stats.add(&switch_row(
        settings,
        "stats-cpu",
        &gettext("CPU Usage"),
        "",
    ));
    stats.add(&switch_row(
        settings,
        "stats-memory",
        &gettext("Memory Usage"),
        "",
    ));
    stats.add(&switch_row(
        settings,
        "stats-disk",
        &gettext("Disk I/O"),
        "",
    ));
    stats.add(&switch_row(
        settings,
        "stats-network",
        &gettext("Network I/O"),
        "",
    ));
    page.add(&stats);

    let new_vm = adw::PreferencesGroup::builder()
        .title(gettext("New Virtual Machines"))
        .build();
    new_vm.add(&switch_row(
        settings,
        "new-vm-spice",
        &gettext("SPICE Display"),
        &gettext(
            "With clipboard sharing and resizing through the guest's agent; off, a VNC display",
        ),
    ));
    page.add(&new_vm);

    let confirm = adw::PreferencesGroup::builder()
        .title(gettext("Confirmations"))
        .description(gettext("Ask before these actions"))
        .build();
    for (key, title) in [
        ("confirm-force-off", gettext("Force Off")),
        ("confirm-reset", gettext("Force Reset")),
        ("confirm-shutdown", gettext("Shut Down")),
        ("confirm-reboot", gettext("Reboot")),
        ("confirm-pause", gettext("Pause")),
        ("confirm-delete", gettext("Delete")),
    ] {
        confirm.add(&switch_row(settings, key, &title, ""));
    }
    page.add(&confirm);
    win.add(&page);
    win
}
