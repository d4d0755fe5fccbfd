//! An upload or download on the Storage tab: choosing the file, and the row that shows
//! the copy (progress bar, rate, time left, Cancel) while the window stays usable.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use crate::backend::storage::transfer::{
    remaining_secs, Direction, Progress, Transfer, TransferSpec,
};
use crate::backend::units::format_bytes;
use crate::i18n::{gettext, gettext_f};
use crate::model::{Connection, Pool};

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct TransferRow {
        pub title: gtk::Label,
        pub bar: gtk::ProgressBar,
        pub detail: gtk::Label,
        pub cancel: gtk::Button,
        pub transfer: RefCell<Option<Transfer>>,
        pub done: Cell<u64>,
        pub total: Cell<u64>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for TransferRow {
        const NAME: &'static str = "HangarTransferRow";
        type Type = super::TransferRow;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for TransferRow {}
    impl WidgetImpl for TransferRow {}
    impl BoxImpl for TransferRow {}
}

glib::wrapper! {
    pub struct TransferRow(ObjectSubclass<imp::TransferRow>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl TransferRow {
    /// Start the copy and show it; `ended` gets the sentence to say when it is over.
    pub fn start(spec: TransferSpec, ended: impl Fn(String) + 'static) -> TransferRow {
        let row: TransferRow = glib::Object::builder()
            .property("orientation", gtk::Orientation::Horizontal)
            .property("spacing", 12)
            .build();
        row.set_margin_top(6);
        row.set_margin_start(12);
        row.set_margin_end(12);
        let imp = row.imp();
        let file = spec
            .local
            .file_name()
            .map(|f| f.to_string_lossy().to_string())
            .unwrap_or_default();
        let title = match spec.direction {
            Direction::Upload => gettext_f(
                "Uploading {file} to {pool}",
                &[("file", &file), ("pool", &spec.pool)],
            ),
            Direction::Download => gettext_f(
                "Downloading {volume} to {file}",
                &[("volume", &spec.volume), ("file", &file)],
            ),
        };
        imp.title.set_label(&title);
        imp.title.set_xalign(0.0);
        imp.title.set_ellipsize(gtk::pango::EllipsizeMode::Middle);
        imp.detail.set_xalign(0.0);
        imp.detail.add_css_class("caption");
        imp.detail.add_css_class("dim-label");
        imp.detail.add_css_class("numeric");
        imp.detail.set_label(&gettext("Starting…"));
        imp.bar
            .update_property(&[gtk::accessible::Property::Label(&title)]);
        let texts = gtk::Box::new(gtk::Orientation::Vertical, 4);
        texts.set_hexpand(true);
        texts.append(&imp.title);
        texts.append(&imp.bar);
        texts.append(&imp.detail);
        row.append(&texts);
        imp.cancel.set_label(&gettext("_Cancel"));
        imp.cancel.set_use_underline(true);
        imp.cancel.set_valign(gtk::Align::Center);
        row.append(&imp.cancel);
        let (transfer, rx) = Transfer::start(spec.clone());
        imp.transfer.replace(Some(transfer));
        let weak = row.downgrade();
        imp.cancel.connect_clicked(move |b| {
            if let Some(row) = weak.upgrade() {
                if let Some(t) = row.imp().transfer.borrow().as_ref() {
                    t.cancel();
                }
                b.set_sensitive(false);
                row.imp().detail.set_label(&gettext("Cancelling…"));
            }
        });
        let weak = row.downgrade();
        glib::spawn_future_local(async move {
            while let Ok(p) = rx.recv().await {
                let Some(row) = weak.upgrade() else { return };
                if let Some(end) = row.show(&p, &spec) {
                    row.imp().transfer.replace(None);
                    ended(end);
                    return;
                }
            }
        });
        row
    }

    /// Show one progress report; the closing sentence when it is the last.
    fn show(&self, p: &Progress, spec: &TransferSpec) -> Option<String> {
        let imp = self.imp();
        let name = match spec.direction {
            Direction::Upload => spec.volume.clone(),
            Direction::Download => spec.local.display().to_string(),
        };
        match p {
            Progress::Started { total } => {
                imp.total.set(*total);
                imp.bar.set_fraction(0.0);
                None
            }
            Progress::Bytes {
                done,
                total,
                bytes_per_sec,
            } => {
                imp.done.set(*done);
                imp.total.set(*total);
                if *total > 0 {
                    imp.bar
                        .set_fraction((*done as f64 / *total as f64).min(1.0));
                }
                let left = remaining_secs(*done, *total, *bytes_per_sec)
                    .map(format_duration)
                    .unwrap_or_default();
                imp.detail.set_label(&gettext_f(
                    "{done} of {total} · {rate}/s · {left} left",
                    &[
                        ("done", &format_bytes(*done)),
                        ("total", &format_bytes(*total)),
                        ("rate", &format_bytes(*bytes_per_sec as u64)),
                        ("left", &left),
                    ],
                ));
                None
            }
            Progress::Finished { bytes } => Some(gettext_f(
                "{name} is copied ({size})",
                &[("name", &name), ("size", &format_bytes(*bytes))],
            )),
            Progress::Failed(why) => Some(why.clone()),
            Progress::Cancelled => Some(gettext_f(
                "The copy of {name} was cancelled; nothing of it was kept",
                &[("name", &name)],
            )),
        }
    }

    /// The fraction shown (for tests and screen readers).
    pub fn fraction(&self) -> f64 {
        self.imp().bar.fraction()
    }

    pub fn detail(&self) -> String {
        self.imp().detail.label().to_string()
    }

    pub fn cancel_button(&self) -> gtk::Button {
        self.imp().cancel.clone()
    }
}

/// "1 min 05 s", "12 s".
fn format_duration(secs: u64) -> String {
    if secs >= 3600 {
        gettext_f(
            "{h} h {m} min",
            &[
                ("h", &(secs / 3600).to_string()),
                ("m", &format!("{:02}", secs % 3600 / 60)),
            ],
        )
    } else if secs >= 60 {
        gettext_f(
            "{m} min {s} s",
            &[
                ("m", &(secs / 60).to_string()),
                ("s", &format!("{:02}", secs % 60)),
            ],
        )
    } else {
        gettext_f("{s} s", &[("s", &secs.to_string())])
    }
}

/// The volume name an uploaded file gets: its file name.
pub fn upload_spec(conn: &Connection, pool: &Pool, path: PathBuf) -> TransferSpec {
    let volume = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_else(|| "upload".into());
    TransferSpec {
        uri: conn.backend().uri().to_string(),
        pool: pool.name(),
        volume,
        local: path,
        direction: Direction::Upload,
        create: true,
    }
}

pub fn download_spec(conn: &Connection, pool: &Pool, volume: &str, path: PathBuf) -> TransferSpec {
    TransferSpec {
        uri: conn.backend().uri().to_string(),
        pool: pool.name(),
        volume: volume.to_string(),
        local: path,
        direction: Direction::Download,
        create: false,
    }
}

/// Ask for a file to upload (the desktop's file chooser), then `chosen`.
pub fn choose_upload(parent: Option<&gtk::Window>, chosen: impl Fn(PathBuf) + 'static) {
    let chooser = gtk::FileChooserNative::new(
        Some(&gettext("Upload a File to the Pool")),
        parent,
        gtk::FileChooserAction::Open,
        Some(&gettext("_Upload")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    let keep = RefCell::new(Some(chooser.clone()));
    chooser.connect_response(move |c, r| {
        if r == gtk::ResponseType::Accept {
            if let Some(p) = c.file().and_then(|f: gio::File| f.path()) {
                chosen(p);
            }
        }
        keep.replace(None);
    });
    chooser.show();
}

/// Ask where to save a volume. An existing file is replaced only after the chooser's
/// own question; it is removed here, before the copy (which never overwrites).
pub fn choose_download(
    parent: Option<&gtk::Window>,
    volume: &str,
    chosen: impl Fn(PathBuf) + 'static,
) {
    let chooser = gtk::FileChooserNative::new(
        Some(&gettext("Download the Volume")),
        parent,
        gtk::FileChooserAction::Save,
        Some(&gettext("_Save")),
        Some(&gettext("_Cancel")),
    );
    chooser.set_modal(true);
    chooser.set_current_name(volume);
    let keep = RefCell::new(Some(chooser.clone()));
    chooser.connect_response(move |c, r| {
        if r == gtk::ResponseType::Accept {
            if let Some(p) = c.file().and_then(|f: gio::File| f.path()) {
                if p.is_file() {
                    let _ = std::fs::remove_file(&p);
                }
                chosen(p);
            }
        }
        keep.replace(None);
    });
    chooser.show();
}
