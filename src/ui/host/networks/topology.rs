//! The topology view: a drawn picture of a connection's networking, live. It reloads
//! (on the worker) when networks or domains change, draws the
//! [`backend::network::topology`](crate::backend::network::topology) layout with cairo, goes to a guest's
//! or a network's page on click, and exports PNG and SVG.

use std::cell::{Cell, RefCell};
use std::path::Path;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{cairo, glib};

use crate::backend::network::topology::{layout, Layout, NodeKind, Target};
use crate::backend::network::Topology;
use crate::i18n::{gettext, gettext_f};
use crate::model::Connection;

type TargetHandler = Box<dyn Fn(&Target)>;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct TopologyView {
        pub area: gtk::DrawingArea,
        pub status: gtk::Label,
        pub current: RefCell<Option<Connection>>,
        pub handlers: RefCell<Vec<glib::SignalHandlerId>>,
        pub topology: RefCell<Option<Topology>>,
        pub layout: RefCell<Layout>,
        pub pending: Cell<bool>,
        /// Bumped by each reload; answers of older reloads are dropped.
        pub generation: Cell<u64>,
        pub loads: Cell<u64>,
        pub on_target: RefCell<Option<TargetHandler>>,
        pub chooser: RefCell<Option<gtk::FileChooserNative>>,
        /// The node chosen with the keyboard (index into the layout's nodes).
        pub focus: Cell<Option<usize>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for TopologyView {
        const NAME: &'static str = "HangarTopologyView";
        type Type = super::TopologyView;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for TopologyView {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
    }
    impl WidgetImpl for TopologyView {}
    impl BoxImpl for TopologyView {}
}

glib::wrapper! {
    pub struct TopologyView(ObjectSubclass<imp::TopologyView>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for TopologyView {
    fn default() -> Self {
        glib::Object::builder()
            .property("orientation", gtk::Orientation::Vertical)
            .build()
    }
}

/// Colours: (fill, stroke) per kind, light theme.
fn colours(kind: NodeKind) -> ((f64, f64, f64), (f64, f64, f64)) {
    match kind {
        NodeKind::Host => ((0.87, 0.87, 0.90), (0.36, 0.36, 0.42)),
        NodeKind::Iface => ((0.90, 0.93, 0.97), (0.30, 0.45, 0.65)),
        NodeKind::Router => ((0.99, 0.93, 0.82), (0.78, 0.50, 0.10)),
        NodeKind::Switch => ((0.86, 0.94, 0.99), (0.11, 0.44, 0.85)),
        NodeKind::Guest => ((0.88, 0.97, 0.89), (0.15, 0.55, 0.25)),
    }
}

fn rounded(cr: &cairo::Context, x: f64, y: f64, w: f64, h: f64, r: f64) {
    cr.new_sub_path();
    cr.arc(x + w - r, y + r, r, -std::f64::consts::FRAC_PI_2, 0.0);
    cr.arc(x + w - r, y + h - r, r, 0.0, std::f64::consts::FRAC_PI_2);
    cr.arc(
        x + r,
        y + h - r,
        r,
        std::f64::consts::FRAC_PI_2,
        std::f64::consts::PI,
    );
    cr.arc(
        x + r,
        y + r,
        r,
        std::f64::consts::PI,
        3.0 * std::f64::consts::FRAC_PI_2,
    );
    cr.close_path();
}

/// The line under the picture, in words; counts of nothing are not said.
fn status_text(t: &Topology) -> String {
    use crate::i18n::ngettext_f;
    let active = t.networks.iter().filter(|n| n.active).count();
    let nics: usize = t.guests.iter().map(|g| g.nics.len()).sum();
    let n = t.networks.len();
    let mut parts = vec![if n == 0 {
        gettext("No virtual networks")
    } else {
        ngettext_f(
            "{n} virtual network, {active} active",
            "{n} virtual networks, {active} active",
            n as u32,
            &[("n", &n.to_string()), ("active", &active.to_string())],
        )
    }];
    let g = t.guests.len();
    parts.push(match (g, nics) {
        (0, _) => gettext("no guest running"),
        (g, 0) => ngettext_f(
            "{n} running guest without a network card",
            "{n} running guests without network cards",
            g as u32,
            &[("n", &g.to_string())],
        ),
        (g, nics) => gettext_f(
            "{guests} with {cards}",
            &[
                (
                    "guests",
                    &ngettext_f(
                        "{n} running guest",
                        "{n} running guests",
                        g as u32,
                        &[("n", &g.to_string())],
                    ),
                ),
                (
                    "cards",
                    &ngettext_f(
                        "{n} network card",
                        "{n} network cards",
                        nics as u32,
                        &[("n", &nics.to_string())],
                    ),
                ),
            ],
        ),
    });
    parts.join(" · ")
}

/// Cut `s` to fit `width` at the current font, with an ellipsis.
fn fit(cr: &cairo::Context, s: &str, width: f64) -> String {
    let w = |t: &str| cr.text_extents(t).map(|e| e.x_advance()).unwrap_or(0.0);
    if w(s) <= width {
        return s.to_string();
    }
    let mut chars: Vec<char> = s.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let t: String = chars.iter().collect::<String>() + "…";
        if w(&t) <= width {
            return t;
        }
    }
    String::new()
}

/// Draw a layout (on screen, and into PNG and SVG surfaces).
pub fn draw_layout(cr: &cairo::Context, l: &Layout, dark: bool) -> Result<(), cairo::Error> {
    let (bg, fg, line) = if dark {
        ((0.14, 0.14, 0.15), (0.95, 0.95, 0.95), (0.65, 0.65, 0.70))
    } else {
        ((1.0, 1.0, 1.0), (0.12, 0.12, 0.14), (0.45, 0.45, 0.50))
    };
    cr.set_source_rgb(bg.0, bg.1, bg.2);
    cr.paint()?;
    cr.set_line_width(1.5);
    for e in &l.edges {
        let Some((x0, y0)) = e.points.first() else {
            continue;
        };
        cr.set_source_rgba(line.0, line.1, line.2, if e.active { 1.0 } else { 0.4 });
        if e.active {
            cr.set_dash(&[], 0.0);
        } else {
            cr.set_dash(&[5.0, 4.0], 0.0);
        }
        cr.move_to(*x0, *y0);
        for (x, y) in &e.points[1..] {
            cr.line_to(*x, *y);
        }
        cr.stroke()?;
    }
    cr.set_dash(&[], 0.0);
    cr.select_font_face("Sans", cairo::FontSlant::Normal, cairo::FontWeight::Normal);
    for n in &l.nodes {
        let (mut fill, stroke) = colours(n.kind);
        if dark {
            fill = (fill.0 * 0.35, fill.1 * 0.35, fill.2 * 0.35);
        }
        let alpha = if n.active { 1.0 } else { 0.45 };
        rounded(cr, n.x, n.y, n.w, n.h, 8.0);
        cr.set_source_rgba(fill.0, fill.1, fill.2, alpha);
        cr.fill_preserve()?;
        cr.set_source_rgba(stroke.0, stroke.1, stroke.2, alpha);
        cr.set_line_width(if n.kind == NodeKind::Guest { 1.2 } else { 2.0 });
        cr.stroke()?;
        // Kind marker: a strip on the left.
        cr.rectangle(n.x + 1.0, n.y + 8.0, 4.0, n.h - 16.0);
        cr.fill()?;
        cr.set_source_rgba(fg.0, fg.1, fg.2, alpha);
        cr.select_font_face("Sans", cairo::FontSlant::Normal, cairo::FontWeight::Bold);
        cr.set_font_size(13.0);
        let title = fit(cr, &n.title, n.w - 20.0);
        cr.move_to(n.x + 12.0, n.y + 19.0);
        cr.show_text(&title)?;
        cr.select_font_face("Sans", cairo::FontSlant::Normal, cairo::FontWeight::Normal);
        cr.set_font_size(11.0);
        for (k, s) in n.lines.iter().enumerate() {
            let t = fit(cr, s, n.w - 20.0);
            cr.move_to(n.x + 12.0, n.y + 35.0 + k as f64 * 14.0);
            cr.show_text(&t)?;
        }
    }
    Ok(())
}

impl TopologyView {
    pub fn new() -> TopologyView {
        TopologyView::default()
    }

    fn build(&self) {
        let imp = self.imp();
        let bar = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        bar.set_margin_top(6);
        bar.set_margin_start(12);
        bar.set_margin_end(12);
        let refresh = gtk::Button::from_icon_name("view-refresh-symbolic");
        refresh.set_tooltip_text(Some(&gettext("Refresh")));
        refresh.update_property(&[gtk::accessible::Property::Label(&gettext("Refresh"))]);
        let this = self.downgrade();
        refresh.connect_clicked(move |_| {
            if let Some(this) = this.upgrade() {
                this.reload();
            }
        });
        bar.append(&refresh);
        imp.status.set_xalign(0.0);
        imp.status.set_hexpand(true);
        imp.status.add_css_class("dim-label");
        bar.append(&imp.status);
        for (label, svg) in [
            (gettext("Export _PNG…"), false),
            (gettext("Export _SVG…"), true),
        ] {
            let b = gtk::Button::with_mnemonic(&label);
            let this = self.downgrade();
            b.connect_clicked(move |_| {
                if let Some(this) = this.upgrade() {
                    this.choose_export(svg);
                }
            });
            bar.append(&b);
        }
        self.append(&bar);
        imp.area
            .update_property(&[gtk::accessible::Property::Label(&gettext(
                "Network topology",
            ))]);
        imp.area.set_focusable(true);
        let this = self.downgrade();
        imp.area.set_draw_func(move |area, cr, _, _| {
            let Some(this) = this.upgrade() else { return };
            let dark = adw::StyleManager::default().is_dark();
            let l = this.imp().layout.borrow().clone();
            if let Err(e) = draw_layout(cr, &l, dark) {
                tracing::debug!("drawing the topology: {e}");
            }
            // The keyboard focus: a ring around the chosen node.
            if let Some(n) = this.imp().focus.get().and_then(|i| l.nodes.get(i)) {
                if area.has_focus() {
                    cr.set_source_rgb(0.21, 0.52, 0.89);
                    cr.set_line_width(3.0);
                    rounded(cr, n.x - 4.0, n.y - 4.0, n.w + 8.0, n.h + 8.0, 10.0);
                    let _ = cr.stroke();
                }
            }
        });
        let click = gtk::GestureClick::new();
        let this = self.downgrade();
        click.connect_released(move |_, _, x, y| {
            let Some(this) = this.upgrade() else { return };
            let target = this
                .imp()
                .layout
                .borrow()
                .hit(x, y)
                .and_then(|n| n.target.clone());
            if let Some(t) = target {
                this.activate_target(&t);
            }
        });
        imp.area.add_controller(click);
        // Keyboard: arrows move between guests and networks, Enter opens one.
        let keys = gtk::EventControllerKey::new();
        let this = self.downgrade();
        keys.connect_key_pressed(move |_, key, _, _| {
            let Some(this) = this.upgrade() else {
                return glib::Propagation::Proceed;
            };
            use gtk::gdk::Key;
            match key {
                Key::Right | Key::Down => this.move_focus(1),
                Key::Left | Key::Up => this.move_focus(-1),
                Key::Return | Key::KP_Enter | Key::space => {
                    let t = this.focused_node().and_then(|n| n.target);
                    match t {
                        Some(t) => this.activate_target(&t),
                        None => return glib::Propagation::Proceed,
                    }
                }
                _ => return glib::Propagation::Proceed,
            }
            glib::Propagation::Stop
        });
        imp.area.add_controller(keys);
        let a = imp.area.clone();
        imp.area.connect_has_focus_notify(move |_| a.queue_draw());
        imp.area.set_has_tooltip(true);
        let this = self.downgrade();
        imp.area.connect_query_tooltip(move |_, x, y, _, tip| {
            let Some(this) = this.upgrade() else {
                return false;
            };
            let l = this.imp().layout.borrow();
            let Some(n) = l.hit(x as f64, y as f64) else {
                return false;
            };
            let mut text = n.title.clone();
            for line in &n.lines {
                text.push('\n');
                text.push_str(line);
            }
            tip.set_text(Some(&text));
            true
        });
        let scroller = gtk::ScrolledWindow::builder()
            .child(&imp.area)
            .vexpand(true)
            .hexpand(true)
            .build();
        self.append(&scroller);
        // Reload when shown: nothing is fetched for a page nobody looks at.
        self.connect_map(|this| this.reload());
    }

    /// Follow a connection (or none).
    pub fn set_connection(&self, conn: Option<&Connection>) {
        let imp = self.imp();
        if let Some(old) = imp.current.take() {
            for h in imp.handlers.take() {
                old.disconnect(h);
            }
        }
        imp.topology.replace(None);
        imp.layout.replace(Layout::default());
        imp.current.replace(conn.cloned());
        if let Some(conn) = conn {
            let mut hs = Vec::new();
            for sig in ["networks-updated", "domains-updated"] {
                let this = self.downgrade();
                hs.push(conn.connect_local(sig, false, move |_| {
                    if let Some(this) = this.upgrade() {
                        this.schedule_reload();
                    }
                    None
                }));
            }
            imp.handlers.replace(hs);
        }
        if self.is_mapped() {
            self.reload();
        } else {
            imp.area.queue_draw();
        }
    }

    /// Called with the guest or network clicked.
    pub fn connect_target_activated(&self, f: impl Fn(&Target) + 'static) {
        self.imp().on_target.replace(Some(Box::new(f)));
    }

    pub fn activate_target(&self, t: &Target) {
        if let Some(f) = self.imp().on_target.borrow().as_ref() {
            f(t);
        }
    }

    /// Events come in bursts (a guest starting changes several things): reload once,
    /// shortly after the first.
    fn schedule_reload(&self) {
        let imp = self.imp();
        if imp.pending.replace(true) || !self.is_mapped() {
            if !self.is_mapped() {
                imp.pending.set(false);
            }
            return;
        }
        let this = self.downgrade();
        glib::timeout_add_local_once(std::time::Duration::from_millis(250), move || {
            if let Some(this) = this.upgrade() {
                this.imp().pending.set(false);
                this.reload();
            }
        });
    }

    /// The node chosen with the keyboard.
    pub fn focused_node(&self) -> Option<crate::backend::network::topology::LNode> {
        let i = self.imp().focus.get()?;
        self.imp().layout.borrow().nodes.get(i).cloned()
    }

    /// Move the keyboard choice to the next (or previous) node that leads somewhere,
    /// and tell assistive technologies what it is.
    pub fn move_focus(&self, step: i32) {
        let imp = self.imp();
        let l = imp.layout.borrow();
        let targets: Vec<usize> = l
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.target.is_some())
            .map(|(i, _)| i)
            .collect();
        if targets.is_empty() {
            return;
        }
        let pos = imp
            .focus
            .get()
            .and_then(|f| targets.iter().position(|t| *t == f));
        let next = match pos {
            None => 0,
            Some(p) => (p as i32 + step).rem_euclid(targets.len() as i32) as usize,
        };
        let idx = targets[next];
        imp.focus.set(Some(idx));
        let n = &l.nodes[idx];
        let mut text = n.title.clone();
        for line in &n.lines {
            text.push_str(", ");
            text.push_str(line);
        }
        imp.area
            .update_property(&[gtk::accessible::Property::Description(&text)]);
        imp.area.set_tooltip_text(Some(&text));
        imp.area.queue_draw();
    }

    /// Fetch the topology (on the worker) and redraw.
    pub fn reload(&self) {
        let imp = self.imp();
        let Some(conn) = imp.current.borrow().clone() else {
            return;
        };
        if conn.status() != crate::model::ConnStatus::Connected {
            return;
        }
        let generation = imp.generation.get() + 1;
        imp.generation.set(generation);
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = conn.backend().topology().await;
            let Some(this) = this.upgrade() else { return };
            if this.imp().generation.get() != generation {
                return;
            }
            match r {
                Ok(t) => this.set_topology(t),
                Err(e) => this.imp().status.set_label(&e.summary()),
            }
        });
    }

    /// Show this topology (tests can give one directly).
    pub fn set_topology(&self, t: Topology) {
        let imp = self.imp();
        let l = layout(&t);
        imp.area.set_content_width(l.width.ceil() as i32);
        imp.area.set_content_height(l.height.ceil() as i32);
        imp.status.set_label(&status_text(&t));
        imp.area
            .update_property(&[gtk::accessible::Property::Description(&imp.status.label())]);
        // The keyboard choice stays on the same node when it is still there.
        let focused = imp.focus.get().and_then(|i| {
            imp.layout
                .borrow()
                .nodes
                .get(i)
                .map(|n| (n.kind, n.title.clone()))
        });
        imp.focus.set(
            focused.and_then(|(k, title)| {
                l.nodes.iter().position(|n| n.kind == k && n.title == title)
            }),
        );
        imp.layout.replace(l);
        imp.topology.replace(Some(t));
        imp.loads.set(imp.loads.get() + 1);
        imp.area.queue_draw();
    }

    /// The last topology shown.
    pub fn topology(&self) -> Option<Topology> {
        self.imp().topology.borrow().clone()
    }

    pub fn layout(&self) -> Layout {
        self.imp().layout.borrow().clone()
    }

    /// How many topologies were shown (tests wait on it).
    pub fn loads(&self) -> u64 {
        self.imp().loads.get()
    }

    /// Write the picture as PNG.
    pub fn export_png(&self, path: &Path) -> crate::backend::Result<()> {
        let l = self.imp().layout.borrow().clone();
        let io = |e: String| crate::backend::Error::Io(format!("{}: {e}", path.display()));
        let surface = cairo::ImageSurface::create(
            cairo::Format::ARgb32,
            l.width.ceil().max(1.0) as i32,
            l.height.ceil().max(1.0) as i32,
        )
        .map_err(|e| io(e.to_string()))?;
        {
            let cr = cairo::Context::new(&surface).map_err(|e| io(e.to_string()))?;
            draw_layout(&cr, &l, false).map_err(|e| io(e.to_string()))?;
        }
        let mut f = std::fs::File::create(path).map_err(|e| io(e.to_string()))?;
        surface.write_to_png(&mut f).map_err(|e| io(e.to_string()))
    }

    /// Write the picture as SVG.
    pub fn export_svg(&self, path: &Path) -> crate::backend::Result<()> {
        let l = self.imp().layout.borrow().clone();
        let io = |e: String| crate::backend::Error::Io(format!("{}: {e}", path.display()));
        let surface =
            cairo::SvgSurface::for_stream(l.width.max(1.0), l.height.max(1.0), Vec::<u8>::new())
                .map_err(|e| io(e.to_string()))?;
        {
            let cr = cairo::Context::new(&surface).map_err(|e| io(e.to_string()))?;
            draw_layout(&cr, &l, false).map_err(|e| io(e.to_string()))?;
        }
        let out = surface
            .finish_output_stream()
            .map_err(|e| io(e.to_string()))?;
        let bytes = out
            .downcast::<Vec<u8>>()
            .map_err(|_| io("no SVG output".into()))?;
        std::fs::write(path, *bytes).map_err(|e| io(e.to_string()))
    }

    fn choose_export(&self, svg: bool) {
        let parent = self.root().and_downcast::<gtk::Window>();
        let (title, ext) = if svg {
            (gettext("Export Topology as SVG"), "svg")
        } else {
            (gettext("Export Topology as PNG"), "png")
        };
        let chooser = gtk::FileChooserNative::new(
            Some(&title),
            parent.as_ref(),
            gtk::FileChooserAction::Save,
            Some(&gettext("_Export")),
            Some(&gettext("_Cancel")),
        );
        chooser.set_current_name(&format!("topology.{ext}"));
        let this = self.downgrade();
        chooser.connect_response(move |c, r| {
            let Some(this) = this.upgrade() else { return };
            if r != gtk::ResponseType::Accept {
                return;
            }
            let Some(path) = c.file().and_then(|f| f.path()) else {
                return;
            };
            let res = if svg {
                this.export_svg(&path)
            } else {
                this.export_png(&path)
            };
            match res {
                Ok(()) => {
                    crate::ui::error::toast_near(
                        &this,
                        &gettext_f("Saved {file}", &[("file", &path.display().to_string())]),
                    );
                }
                Err(e) => {
                    if let Some(w) = this.root().and_downcast::<gtk::Window>() {
                        crate::ui::error::show_dialog(&w, &gettext("Could not export"), &e);
                    }
                }
            }
        });
        chooser.show();
        // The chooser must outlive this call.
        self.imp().chooser.replace(Some(chooser));
    }
}
