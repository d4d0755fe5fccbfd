//! The Snapshots tab on the test driver, as a person uses it: the empty tab, Take
//! Snapshot with its suggested name and the kind explained, a name that exists said
//! under the name, a revert and a branch (the tree with the "now" node), the list
//! view, Compare showing the memory changed between two snapshots, one-click Take
//! Snapshot from the window, and the Overview's newest snapshot. Screenshots of the
//! tree, the take dialog and the compare view go to `$HANGAR_SCREENSHOT_DIR`.

use adw::prelude::*;

use hangar::ui::vm::snapshots::compare::CompareDialog;
use hangar::ui::vm::snapshots::take_dialog::TakeDialog;
use hangar::ui::vm::snapshots::SnapshotsPage;

use crate::common::{block_on, TempDir};
use crate::gui::{self, save_png, settle, wait_for};

fn init() {
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    let _ = adw::init();
    hangar::init_resources();
    gui::clean_desktop();
}

fn node(dir: &TempDir) -> String {
    let xml = "<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <domain type='test'><name>snappy</name><uuid>5a5a0000-0000-4000-8000-0000000000aa</uuid>
    <memory unit='KiB'>65536</memory><currentMemory unit='KiB'>65536</currentMemory>
    <os><type>hvm</type></os>
    <devices><disk type='file' device='disk'><source file='/guest/snappy.qcow2'/>
      <target dev='vda' bus='virtio'/></disk></devices>
    <test:runstate>5</test:runstate></domain>
</node>";
    let path = dir.path().join("node.xml");
    std::fs::write(&path, xml).unwrap();
    format!("test://{}", path.display())
}

fn page(f: &gui::AppWindow) -> SnapshotsPage {
    f.win
        .vm_page()
        .page("snapshots")
        .and_downcast::<SnapshotsPage>()
        .expect("a Snapshots tab")
}

fn names(p: &SnapshotsPage) -> Vec<String> {
    let mut v = p.snapshots().names();
    v.sort();
    v
}

/// Press a confirmation's button, as a person does (the dialog closes, and the test
/// lets go of it as the app does).
fn answer(dialog: adw::MessageDialog, label: &str) {
    let dialog = &dialog;
    // libadwaita lays the buttons out twice (side by side, stacked); one is shown.
    let shown = || {
        gui::descendants::<gtk::Button>(dialog)
            .into_iter()
            .find(|b| b.is_mapped() && b.label().is_some_and(|l| l.replace('_', "") == label))
    };
    wait_for("the dialog on screen", 5, || shown().is_some());
    gui::click(&shown().expect("shown"));
    wait_for("the dialog to close", 5, || !dialog.is_visible());
}

/// Take a snapshot through the dialog, as a person does: the button, a name, Take.
fn take(p: &SnapshotsPage, name: &str, shot: Option<&str>) {
    let d: TakeDialog = gui::opened_by("the Take Snapshot dialog", || {
        gui::click(&gui::button_labelled(p, "Take Snapshot…"))
    });
    wait_for("the offer", 10, || d.ready());
    assert!(!d.name.text().is_empty(), "a name is suggested");
    assert!(d.kind_text().contains("Internal"), "{}", d.kind_text());
    if let Some(existing) = p.snapshots().names().first() {
        d.name.set_text(existing);
        assert!(
            d.name_error_text().contains("exists"),
            "{}",
            d.name_error_text()
        );
        assert!(
            !d.take_button.is_sensitive(),
            "Take is off for a name that exists"
        );
    }
    d.name.set_text(name);
    d.description
        .set_text(&format!("{name}, taken by the test"));
    assert!(d.name_error_text().is_empty());
    if let Some(shot) = shot {
        settle(100);
        save_png(&d, shot);
    }
    let before = p.snapshots().items.len();
    gui::click(&d.take_button);
    wait_for("the snapshot in the tab", 20, || {
        p.snapshots().items.len() == before + 1
    });
}

#[gtk::test]
fn snapshots_are_taken_reverted_branched_and_compared_in_the_tab() {
    init();
    let dir = TempDir::new("snapui");
    let f = gui::AppWindow::open("hangar-snapshots-test", &node(&dir));
    f.show("snappy", "snapshots");
    let p = page(&f);
    wait_for("the empty tab", 10, || {
        gui::label_texts(&p, true)
            .iter()
            .any(|t| t == "No Snapshots")
    });
    assert!(
        !gui::button_labelled(&p, "Revert…").is_sensitive(),
        "nothing to revert to"
    );
    take(&p, "one", None);
    // The memory changes between two snapshots (as Hardware would change it).
    let conn = f.conn();
    let vm = conn.find_vm("snappy").unwrap();
    let xml = block_on(conn.backend().domain_xml(vm.uuid(), true)).unwrap();
    block_on(
        conn.backend()
            .define_xml(xml.replace(">65536<", ">131072<")),
    )
    .expect("redefined");
    take(&p, "two", Some("snapshots-take-dialog"));
    // Back to "one", then a branch from there.
    assert!(p.select("one"));
    let confirm: adw::MessageDialog = gui::opened_by("the revert confirmation", || {
        gui::click(&gui::button_labelled(&p, "Revert…"))
    });
    let body = confirm.body().to_string();
    assert!(body.contains("“two”") && body.contains("lost"), "{body}");
    answer(confirm, "Revert");
    wait_for("“one” current", 20, || {
        p.snapshots().current().is_some_and(|s| s.name == "one")
    });
    take(&p, "branch", None);
    // A line reads as a history at one level: "one", "branch" (current) and "now"
    // after it; "two" hangs under "one" as the branch left behind.
    wait_for("the tree", 10, || {
        p.shown()
            == [
                ("one".to_string(), 0),
                ("two".to_string(), 1),
                ("branch".to_string(), 0),
                (String::new(), 0),
            ]
    });
    assert!(
        p.overview_text().contains("3 snapshots"),
        "{}",
        p.overview_text()
    );
    settle(200);
    save_png(&p, "snapshots-tree");
    // The list view: every snapshot at the top level, newest first, no "now".
    p.activate_action("snapshots.list-view", None).unwrap();
    wait_for("the list view", 5, || {
        p.shown().iter().all(|(_, d)| *d == 0)
    });
    assert_eq!(p.shown().len(), 3);
    p.activate_action("snapshots.list-view", None).unwrap();
    wait_for("the tree again", 5, || p.shown().len() == 4);
    // Compare “one” (64 MiB) with “two” (128 MiB): the memory lines differ.
    assert!(p.select("one"));
    let cmp: CompareDialog = gui::opened_by("the Compare dialog", || {
        gui::click(&gui::button_labelled(&p, "Compare…"))
    });
    cmp.choose("one", Some("two"));
    wait_for("the diff", 10, || !cmp.differences().0.is_empty());
    let (removed, added) = cmp.differences();
    assert!(
        removed
            .iter()
            .any(|l| l.contains("<memory") && l.contains("65536")),
        "{removed:?}"
    );
    assert!(
        added
            .iter()
            .any(|l| l.contains("<memory") && l.contains("131072")),
        "{added:?}"
    );
    settle(200);
    save_png(&cmp, "snapshots-compare");
    cmp.close();
    drop(cmp);
    // Edit: the test driver keeps snapshots as metadata, so "two" can be renamed; a
    // name that exists is said under the name and keeps Save off.
    assert!(p.select("two"));
    let edit: adw::MessageDialog = gui::opened_by("the Edit dialog", || {
        gui::click(&gui::button_labelled(&p, "Edit…"))
    });
    let entries = gui::descendants::<gtk::Entry>(&edit);
    let name = entries
        .iter()
        .find(|e| e.text() == "two")
        .expect("the name entry");
    let desc = entries
        .iter()
        .find(|e| e != &name)
        .expect("the description entry");
    name.set_text("branch");
    settle(100);
    assert!(gui::label_texts(&edit, true)
        .iter()
        .any(|t| t.contains("exists")));
    assert!(!edit.is_response_enabled("save"));
    name.set_text("doubled");
    assert!(edit.is_response_enabled("save"));
    desc.set_text("memory doubled");
    answer(edit, "Save");
    wait_for("the new name and description", 10, || {
        p.snapshots()
            .items
            .iter()
            .any(|s| s.name == "doubled" && s.description == "memory doubled")
    });
    assert_eq!(names(&p), ["branch", "doubled", "one"]);
    // Delete the middle of one → branch/two: its children move up.
    assert!(p.select("one"));
    let confirm: adw::MessageDialog = gui::opened_by("the delete confirmation", || {
        p.activate_action("snapshots.delete", Some(&"one".to_variant()))
            .unwrap()
    });
    answer(confirm, "Delete");
    wait_for("“one” gone", 20, || names(&p) == ["branch", "doubled"]);
    assert!(p.snapshots().items.iter().all(|s| s.parent.is_none()));
    // One click from the window: a snapshot with the suggested name.
    WidgetExt::activate_action(&f.win, "win.take-snapshot", None).unwrap();
    wait_for("the one-click snapshot", 20, || {
        p.snapshots().items.len() == 3
    });
    f.close();
}
