//! The Storage tab on the test driver, as a person uses it: pools listed with their
//! space, the missing default pool offered, New Volume and New Pool checked as typed,
//! pools and volumes made and deleted through their buttons and confirmations.

use adw::prelude::*;
use gtk::gio;
use hangar::model::{Connection, Pool};
use hangar::ui::host::storage::pool_dialog::NewPoolDialog;
use hangar::ui::host::storage::volume_dialog::NewVolumeDialog;
use hangar::ui::host::storage::StoragePage;
use hangar::ui::Window;

use crate::gui::{self, app, save_png, settle, wait_for};

struct Fixture {
    win: Window,
    conn: Connection,
    page: StoragePage,
}

fn open() -> Fixture {
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    virt::error::clear_error_callback();
    gui::clean_desktop();
    let app = app();
    let settings = hangar::settings::settings();
    let store = gio::ListStore::new::<Connection>();
    let win = Window::new(&app, &settings, &store);
    win.set_default_size(1200, 800);
    win.set_title(Some(&format!("hangar-storage-{}", std::process::id())));
    win.present();
    let conn = Connection::new("test:///default", false, false);
    win.watch_connection(&conn);
    store.append(&conn);
    conn.connect_now();
    wait_for("the connection to load", 30, || conn.loaded());
    wait_for("the pools", 30, || conn.pools_loaded());
    assert!(win.select_item(conn.upcast_ref()));
    win.host_page().show_page("storage");
    let page = win.storage_page().expect("a Storage tab");
    settle(200);
    Fixture { win, conn, page }
}

fn pool_names(conn: &Connection) -> Vec<String> {
    conn.pools()
        .iter::<Pool>()
        .flatten()
        .map(|p| p.name())
        .collect()
}

/// The message under a dialog's form (the last wrapped caption label shown).
fn form_message(root: &impl IsA<gtk::Widget>) -> String {
    gui::descendants::<gtk::Label>(root)
        .into_iter()
        .filter(|l| l.is_mapped() && l.has_css_class("caption"))
        .map(|l| l.label().to_string())
        .next_back()
        .unwrap_or_default()
}

fn create_button(root: &impl IsA<gtk::Widget>) -> gtk::Button {
    gui::button_labelled(root, "Create")
}

#[gtk::test]
fn pools_and_volumes_are_made_checked_and_deleted_from_the_storage_tab() {
    let f = open();
    wait_for("the pool row", 10, || {
        gui::label_texts(&f.page, true)
            .iter()
            .any(|t| t == "default-pool")
    });
    // The test driver's pool is chosen and shown with its space; no pool is named
    // "default", so the page offers to make it.
    assert!(f
        .page
        .selected_pool()
        .is_some_and(|p| p.name() == "default-pool"));
    let texts = gui::label_texts(&f.page, true);
    assert!(
        texts.iter().any(|t| t.contains("free of")),
        "the pool's space is shown: {texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("no storage pool named “default”")),
        "the missing default pool is offered"
    );
    save_png(&f.win, "storage-01-pools");

    // New Volume…: a name with "/" is refused where it is typed.
    let d = gui::opened_by::<NewVolumeDialog>("the New Volume dialog", || {
        gui::click(&gui::button_labelled(&f.page, "New Volume…"))
    });
    gui::type_into_row(&d, "Name", "vm/disk");
    assert!(form_message(&d).contains('/'), "{}", form_message(&d));
    assert!(d.name.has_css_class("error"));
    assert!(!create_button(&d).is_sensitive());
    save_png(&d, "storage-02-volume-bad-name");
    gui::type_into_row(&d, "Name", "web.qcow2");
    gui::type_into_row(&d, "Size (for example 20 GiB)", "lots");
    assert!(d.size.has_css_class("error"), "a size that is not one");
    gui::type_into_row(&d, "Size (for example 20 GiB)", "8 GiB");
    assert!(create_button(&d).is_sensitive(), "{}", form_message(&d));
    save_png(&d, "storage-03-new-volume");
    gui::click(&create_button(&d));
    wait_for("the new volume listed", 10, || {
        f.page.volumes().iter().any(|v| v.name() == "web.qcow2")
    });
    wait_for("the dialog to close", 5, || !d.is_visible());
    let v = f
        .page
        .volumes()
        .into_iter()
        .find(|v| v.name() == "web.qcow2")
        .unwrap();
    assert_eq!(v.capacity(), 8 << 30);
    assert_eq!(v.format(), "qcow2");
    settle(200);
    save_png(&f.win, "storage-04-volume-listed");

    // The same name again: refused, naming it.
    let d = gui::opened_by::<NewVolumeDialog>("the New Volume dialog", || {
        gui::click(&gui::button_labelled(&f.page, "New Volume…"))
    });
    gui::type_into_row(&d, "Name", "web.qcow2");
    assert!(
        form_message(&d).contains("web.qcow2"),
        "{}",
        form_message(&d)
    );
    assert!(!create_button(&d).is_sensitive());
    d.close();

    // New Pool…: a relative path is refused under the form, then a directory pool
    // is made and chosen.
    let p = gui::opened_by::<NewPoolDialog>("the New Pool dialog", || {
        gui::click(&gui::button_labelled(&f.page, "New Pool…"))
    });
    gui::type_into_row(&p, "Name", "isos");
    gui::type_into_row(&p, "Target path", "isos");
    assert!(
        form_message(&p).contains("absolute"),
        "{}",
        form_message(&p)
    );
    assert!(!create_button(&p).is_sensitive());
    save_png(&p, "storage-05-pool-bad-path");
    // A network share needs its server: the form changes with the type.
    p.choose_kind("netfs");
    settle(50);
    assert!(p.field_row("host").is_some() && p.field_row("source_dir").is_some());
    assert!(!create_button(&p).is_sensitive(), "no server yet");
    // Looking for exports needs the server: said where the person looks.
    gui::click(&gui::button_labelled(&p, "Look for Sources"));
    assert!(form_message(&p).contains("server"), "{}", form_message(&p));
    save_png(&p, "storage-06-pool-netfs");
    p.choose_kind("dir");
    gui::type_into_row(&p, "Name", "isos");
    gui::type_into_row(&p, "Target path", "/srv/isos");
    assert!(create_button(&p).is_sensitive(), "{}", form_message(&p));
    gui::click(&create_button(&p));
    wait_for("the pool listed and chosen", 10, || {
        f.page.selected_pool().is_some_and(|x| x.name() == "isos")
    });
    assert_eq!(pool_names(&f.conn), vec!["default-pool", "isos"]);

    // The default pool, from the offer.
    gui::click(&gui::button_labelled(&f.page, "Create It"));
    wait_for("the default pool, chosen", 10, || {
        f.page
            .selected_pool()
            .is_some_and(|p| p.name() == "default")
    });
    wait_for("the offer gone once the pool exists", 5, || {
        !gui::label_texts(&f.page, true)
            .iter()
            .any(|t| t.contains("no storage pool named “default”"))
    });

    // Delete the "isos" pool: the confirmation names the choice of keeping files.
    assert!(f.page.select_pool("isos"));
    settle(100);
    let ask = gui::opened_by::<adw::MessageDialog>("the delete confirmation", || {
        gui::click(&gui::button_labelled(&f.page, "Delete…"))
    });
    assert!(ask.has_response("undefine") && ask.has_response("destroy"));
    assert!(ask.body().contains("/srv/isos"), "{}", ask.body());
    save_png(&ask, "storage-07-delete-pool");
    ask.response("undefine");
    wait_for("the pool gone", 10, || {
        !pool_names(&f.conn).contains(&"isos".into())
    });

    // Delete the volume from its menu's action.
    assert!(f.page.select_pool("default-pool"));
    wait_for("its volumes", 10, || !f.page.volumes().is_empty());
    let ask = gui::opened_by::<adw::MessageDialog>("the volume delete confirmation", || {
        f.page
            .activate_action("storage.delete-volume", Some(&"web.qcow2".to_variant()))
            .expect("the action exists");
    });
    assert!(ask.heading().is_some_and(|h| h.contains("web.qcow2")));
    ask.response("delete");
    wait_for("the volume gone", 10, || f.page.volumes().is_empty());
    f.conn.backend().shutdown();
    f.win.destroy();
}
