//! The console in a window of its own: the same page, with fullscreen, and in
//! fullscreen a toolbar that slides in when the pointer reaches the top edge.

use super::page::ConsolePage;
use crate::i18n::gettext_f;
use crate::model::{Connection, Vm};
use adw::prelude::*;

/// Move the console of `page` into a window of its own; `page` says where it went
/// and takes it back when the window closes. The window, shown.
pub fn detach(page: &ConsolePage) -> Option<gtk::Window> {
    let (conn, vm) = page.current()?;
    let win = console_window(&conn, &vm, page.root().and_downcast_ref());
    page.set_detached(&win);
    win.present();
    Some(win)
}

/// A window showing the console of `vm`.
pub fn console_window(conn: &Connection, vm: &Vm, parent: Option<&gtk::Window>) -> gtk::Window {
    let page = ConsolePage::new_standalone();
    let title = gettext_f("{name} — Console", &[("name", &vm.name())]);
    let header = adw::HeaderBar::new();
    header.set_title_widget(Some(&adw::WindowTitle::new(&title, &conn.label())));
    let revealer = gtk::Revealer::builder()
        .child(&header)
        .reveal_child(true)
        .transition_type(gtk::RevealerTransitionType::SlideDown)
        .valign(gtk::Align::Start)
        .build();
    let body = gtk::Box::new(gtk::Orientation::Vertical, 0);
    body.append(&page);
    let overlay = gtk::Overlay::new();
    overlay.set_child(Some(&body));
    // In a window the header bar sits above the console; in fullscreen it floats over
    // it and shows only near the top edge.
    let top = gtk::Box::new(gtk::Orientation::Vertical, 0);
    top.append(&revealer);
    top.append(&overlay);
    let win = adw::Window::builder()
        .title(&title)
        .default_width(1024)
        .default_height(700)
        .content(&top)
        .build();
    if let Some(p) = parent {
        if let Some(app) = p.application() {
            win.set_application(Some(&app));
        }
    }
    let motion = gtk::EventControllerMotion::new();
    motion.set_propagation_phase(gtk::PropagationPhase::Capture);
    let r = revealer.clone();
    let w = win.downgrade();
    motion.connect_motion(move |_, _, y| {
        if w.upgrade().is_some_and(|w| w.is_fullscreen()) {
            if y < 4.0 {
                r.set_reveal_child(true);
            } else if y > 64.0 {
                r.set_reveal_child(false);
            }
        }
    });
    win.add_controller(motion);
    let (r, t, o) = (revealer.clone(), top.clone(), overlay.clone());
    win.connect_fullscreened_notify(move |w| {
        // Moving the bar, not just hiding it: revealed in fullscreen over a box it
        // would shrink the console (and resize a guest that follows the window).
        let full = w.is_fullscreen();
        let in_overlay = r
            .parent()
            .is_some_and(|p| p != t.clone().upcast::<gtk::Widget>());
        if full && !in_overlay {
            t.remove(&r);
            o.add_overlay(&r);
        } else if !full && in_overlay {
            o.remove_overlay(&r);
            t.prepend(&r);
        }
        r.set_reveal_child(!full);
    });
    page.set_vm(Some(vm));
    let weak = page.downgrade();
    win.connect_destroy(move |_| {
        if let Some(p) = weak.upgrade() {
            p.set_vm(None);
        }
    });
    win.upcast()
}
