//! The fleet: two hosts in one list (two test-driver node files), one search across
//! them — by name, system, host, tag and state — and one selection across them that
//! one action starts.

use adw::prelude::*;
use gtk::gio;
use hangar::backend::domain::DomainState;
use hangar::model::{Connection, Vm};
use hangar::ui::window::list::StateFilter;
use hangar::ui::Window;

use crate::common::TempDir;
use crate::gui::{self, app, save_png, settle, wait_for};

/// A node file of `host` with its machines: (name, libosinfo id, description, running).
fn rack(host: &str, vms: &[(&str, &str, &str, bool)]) -> (TempDir, String) {
    let dir = TempDir::new(host);
    let mut xml = String::from("<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n");
    for (i, (name, os, description, running)) in vms.iter().enumerate() {
        xml.push_str(&format!(
            "<domain type='test'><name>{name}</name>\
             <uuid>{:08x}-0000-0000-0000-{:012}</uuid>\
             <description>{description}</description>\
             <metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>\
             <libosinfo:os id='{os}'/></libosinfo:libosinfo></metadata>\
             <memory unit='MiB'>512</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os><test:runstate>{}</test:runstate></domain>\n",
            host.len(),
            i + 1,
            if *running { 1 } else { 5 }
        ));
    }
    xml.push_str("</node>\n");
    let path = dir.path().join(format!("{host}.xml"));
    std::fs::write(&path, xml).unwrap();
    (dir, format!("test://{}", path.display()))
}

fn names(win: &Window) -> Vec<String> {
    let mut n: Vec<String> = win.visible_vms().iter().map(|v| v.name()).collect();
    n.sort();
    n
}

#[gtk::test]
fn one_list_one_search_one_selection_across_hosts() {
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    virt::error::clear_error_callback();
    gui::clean_desktop();
    let (_da, rack_a) = rack(
        "rack-a",
        &[
            (
                "web-1",
                "http://debian.org/debian/11",
                "front end #web",
                true,
            ),
            (
                "db-1",
                "http://fedoraproject.org/fedora/37",
                "#db primary",
                false,
            ),
            ("build", "http://microsoft.com/win/10", "", false),
        ],
    );
    let (_db, rack_b) = rack(
        "rack-b-longer",
        &[
            ("web-2", "http://debian.org/debian/11", "#web", false),
            (
                "db-2",
                "http://fedoraproject.org/fedora/37",
                "replica #db",
                true,
            ),
        ],
    );
    let app = app();
    let settings = hangar::settings::settings();
    let store = gio::ListStore::new::<Connection>();
    let win = Window::new(&app, &settings, &store);
    win.set_default_size(1100, 720);
    win.present();
    let conns: Vec<Connection> = [&rack_a, &rack_b]
        .iter()
        .map(|uri| {
            let c = Connection::new(uri, false, false);
            win.watch_connection(&c);
            store.append(&c);
            c.connect_now();
            c
        })
        .collect();
    wait_for("both hosts listed", 30, || {
        conns.iter().all(|c| c.loaded())
            && conns
                .iter()
                .flat_map(|c| c.domains().iter::<Vm>().flatten().collect::<Vec<_>>())
                .all(|v| v.vcpus() > 0)
    });
    assert_eq!(names(&win).len(), 5);
    let search = |text: &str| {
        win.set_search(text, StateFilter::All);
        settle(50);
        names(&win)
    };
    assert_eq!(search("web"), ["web-1", "web-2"], "by name, on both hosts");
    assert_eq!(search("os:fedora"), ["db-1", "db-2"]);
    assert_eq!(search("tag:db"), ["db-1", "db-2"]);
    assert_eq!(
        search("debian"),
        ["web-1", "web-2"],
        "a plain word finds the system"
    );
    assert_eq!(search("host:rack-b"), ["db-2", "web-2"]);
    assert_eq!(
        search("host:rack-b tag:web"),
        ["web-2"],
        "every word must match"
    );
    assert_eq!(search("state:running"), ["db-2", "web-1"]);
    assert_eq!(search("os:win"), ["build"]);
    save_png(&win, "fleet-01-search");
    search("");

    // Shut-off machines of both hosts selected together, started by one action.
    let sel = win.selection();
    let targets: Vec<Vm> = [("db-1", 0usize), ("web-2", 1)]
        .iter()
        .map(|(n, c)| conns[*c].find_vm(n).unwrap())
        .collect();
    for (i, vm) in targets.iter().enumerate() {
        let pos = (0..sel.n_items())
            .find(|p| {
                sel.item(*p)
                    .and_downcast::<gtk::TreeListRow>()
                    .and_then(|r| r.item())
                    .as_ref()
                    == Some(vm.upcast_ref())
            })
            .expect("row");
        sel.select_item(pos, i == 0);
    }
    settle(50);
    assert_eq!(win.selected_vms().len(), 2);
    let start = win.lookup_action("start").expect("win.start");
    assert!(start.is_enabled());
    start.activate(None);
    wait_for("both started", 20, || {
        targets
            .iter()
            .all(|v| v.domain_state() == DomainState::Running)
    });
    assert_eq!(
        conns[0].find_vm("build").unwrap().domain_state(),
        DomainState::Shutoff,
        "others untouched"
    );
    settle(200);
    save_png(&win, "fleet-02-selection");
    for c in &conns {
        c.backend().shutdown();
    }
    win.destroy();
}
