//! A small line graph of recent samples, drawn in one snapshot with no text churn, so
//! a list of running guests costs next to nothing while it updates.

use std::cell::{Cell, RefCell};

use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gdk, glib, graphene};

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct Graph {
        /// One or two series; values are drawn against `max` (or their own maximum).
        pub series: RefCell<Vec<Vec<f64>>>,
        pub capacity: Cell<usize>,
        /// Fixed top of the scale (100 for percentages); 0 means automatic.
        pub max: Cell<f64>,
        pub filled: Cell<bool>,
        /// Draw each series in a lane of its own (stacked) instead of overlaid.
        pub lanes: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Graph {
        const NAME: &'static str = "HangarGraph";
        type Type = super::Graph;
        type ParentType = gtk::Widget;

        fn class_init(klass: &mut Self::Class) {
            klass.set_css_name("graph");
            klass.set_accessible_role(gtk::AccessibleRole::Img);
        }
    }

    impl ObjectImpl for Graph {}

    impl WidgetImpl for Graph {
        fn snapshot(&self, snapshot: &gtk::Snapshot) {
            let widget = self.obj();
            let w = widget.width() as f64;
            let h = widget.height() as f64;
            if w <= 2.0 || h <= 2.0 {
                return;
            }
            let series = self.series.borrow();
            let cap = self.capacity.get().max(2);
            let mut max = self.max.get();
            if max <= 0.0 {
                max = series
                    .iter()
                    .flat_map(|s| s.iter().copied())
                    .fold(0.0, f64::max)
                    * 1.1;
            }
            if max <= 0.0 {
                max = 1.0;
            }
            #[allow(deprecated)]
            let fg = widget.style_context().color();
            let cr = snapshot.append_cairo(&graphene::Rect::new(0.0, 0.0, w as f32, h as f32));
            // Baseline.
            cr.set_source_rgba(fg.red() as f64, fg.green() as f64, fg.blue() as f64, 0.15);
            cr.rectangle(0.0, 0.0, w, h);
            let _ = cr.stroke();
            let colors = [
                gdk::RGBA::new(0.208, 0.518, 0.894, 1.0),
                gdk::RGBA::new(0.902, 0.380, 0.0, 1.0),
            ];
            let step = (w - 2.0) / (cap - 1) as f64;
            let lanes = if self.lanes.get() {
                series.len().max(1)
            } else {
                1
            };
            let lane_h = h / lanes as f64;
            if lanes > 1 {
                for k in 1..lanes {
                    cr.move_to(0.0, lane_h * k as f64);
                    cr.line_to(w, lane_h * k as f64);
                }
                let _ = cr.stroke();
            }
            for (i, values) in series.iter().enumerate() {
                if values.is_empty() {
                    continue;
                }
                let c = colors[i % colors.len()];
                let start = cap.saturating_sub(values.len());
                let (top, h) = if lanes > 1 {
                    (lane_h * i as f64, lane_h)
                } else {
                    (0.0, h)
                };
                let y = |v: f64| top + h - 1.0 - (v / max).clamp(0.0, 1.0) * (h - 2.0);
                let x = |k: usize| 1.0 + (start + k) as f64 * step;
                cr.move_to(x(0), y(values[0]));
                for (k, v) in values.iter().enumerate().skip(1) {
                    cr.line_to(x(k), y(*v));
                }
                if self.filled.get() && (i == 0 || lanes > 1) {
                    let path = cr.copy_path();
                    cr.line_to(x(values.len() - 1), top + h - 1.0);
                    cr.line_to(x(0), top + h - 1.0);
                    cr.close_path();
                    cr.set_source_rgba(c.red() as f64, c.green() as f64, c.blue() as f64, 0.25);
                    let _ = cr.fill();
                    if let Ok(p) = path {
                        cr.append_path(&p);
                    }
                }
                cr.set_source_rgba(c.red() as f64, c.green() as f64, c.blue() as f64, 1.0);
                cr.set_line_width(1.5);
                let _ = cr.stroke();
            }
        }

        fn measure(&self, orientation: gtk::Orientation, _for_size: i32) -> (i32, i32, i32, i32) {
            match orientation {
                gtk::Orientation::Horizontal => (24, 64, -1, -1),
                _ => (12, 24, -1, -1),
            }
        }
    }
}

glib::wrapper! {
    pub struct Graph(ObjectSubclass<imp::Graph>)
        @extends gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl Graph {
    /// A graph of `capacity` samples; `max` 0 scales to the data.
    pub fn new(capacity: usize, max: f64, filled: bool) -> Graph {
        let g: Graph = glib::Object::new();
        g.imp().capacity.set(capacity);
        g.imp().max.set(max);
        g.imp().filled.set(filled);
        g
    }

    /// Stack the series in lanes (CPU above memory in a list row).
    pub fn set_lanes(&self, lanes: bool) {
        self.imp().lanes.set(lanes);
        self.queue_draw();
    }

    pub fn set_series(&self, series: Vec<Vec<f64>>) {
        self.imp().series.replace(series);
        self.queue_draw();
    }

    pub fn clear(&self) {
        self.imp().series.borrow_mut().clear();
        self.queue_draw();
    }

    pub fn series(&self) -> Vec<Vec<f64>> {
        self.imp().series.borrow().clone()
    }
}
