//! Hangar starts whatever thread reaches GLib's default main context first.
//!
//! libvirt's event loop iterates the default main context on a thread of its own. When
//! it started before `g_application_run` (a connection opening while GTK starts), it held
//! the context and the application refused to run. `hangar::own_default_main_context`,
//! called first by `hangar::run`, settles who owns it: the GTK thread, whose main loop
//! then dispatches libvirt's events, with no event thread at all. A process of its own (this test
//! binary) because ownership lasts for the process.

use std::time::Duration;

use gtk::gio;
use gtk::prelude::*;

#[test]
fn the_application_runs_though_libvirts_event_thread_started_first() {
    assert!(
        hangar::own_default_main_context(),
        "this thread owns the context"
    );
    hangar::backend::conn::events::init_event_loop().expect("libvirt's event loop starts");
    assert!(
        !hangar::backend::conn::events::event_thread_running(),
        "no thread of ours competes with GTK for the context"
    );

    let app = gtk::Application::new(None::<&str>, gio::ApplicationFlags::NON_UNIQUE);
    let ran = std::rc::Rc::new(std::cell::Cell::new(false));
    let r = ran.clone();
    app.connect_activate(move |app| {
        r.set(true);
        app.quit();
    });
    let code = app.run_with_args::<&str>(&[]);
    assert_eq!(code, gtk::glib::ExitCode::SUCCESS);
    assert!(ran.get(), "the application ran");

    // libvirt's timers still fire: GTK's loop dispatches them on this thread now.
    let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let f = fired.clone();
    let watch = virt::event::event_add_timeout(
        10,
        move |_, _| f.store(true, std::sync::atomic::Ordering::SeqCst),
        std::ptr::null_mut(),
    )
    .expect("a libvirt timer");
    let ctx = gtk::glib::MainContext::default();
    let start = std::time::Instant::now();
    while !fired.load(std::sync::atomic::Ordering::SeqCst) {
        ctx.iteration(false);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "libvirt's timer never fired"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = watch.event_remove_timeout();
}
