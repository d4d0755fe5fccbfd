//! po/POTFILES.in must list exactly the files that have translatable strings: a file
//! missing from it is never translated, a stale entry breaks `meson compile hangar-pot`.
//!
//! Rust sources count when they call one of the gettext helpers with a string literal;
//! GtkBuilder files when a property is marked `translatable="yes"`; the desktop file,
//! metainfo and GSettings templates always.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Calls that xgettext extracts (po/meson.build passes the same keywords).
const RUST_KEYWORDS: &[&str] = &[
    "gettext",
    "ngettext",
    "pgettext",
    "npgettext",
    "gettext_f",
    "ngettext_f",
    "i18n",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir`, depth first, in a stable order.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The path relative to the repository, with forward slashes, as POTFILES.in has it.
fn relative(path: &Path) -> String {
    let rel = path.strip_prefix(root()).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether Rust source calls a gettext keyword with a string literal as its first
/// argument. Comment lines (`//`, `///`, `//!`) are skipped, so documentation examples
/// do not count, and neither do definitions (`fn gettext_f(`) or calls on a variable.
fn rust_has_translatable(source: &str) -> bool {
    let code: String = source
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("//") {
                ""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n");

    for keyword in RUST_KEYWORDS {
        let pattern = format!("{keyword}(");
        let mut from = 0;
        while let Some(pos) = code[from..].find(&pattern) {
            let start = from + pos;
            from = start + pattern.len();
            let before = code[..start].chars().next_back();
            if before.is_some_and(is_ident_char) {
                continue; // `my_gettext(`, or `ngettext(` found while looking for `gettext(`
            }
            if code[..start].trim_end().ends_with("fn") {
                continue; // the helper's own definition
            }
            let args = code[from..].trim_start();
            if args.starts_with('"') || args.starts_with("r\"") || args.starts_with("r#") {
                return true;
            }
        }
    }
    false
}

fn ui_has_translatable(source: &str) -> bool {
    source.contains("translatable=\"yes\"") || source.contains("translatable='yes'")
}

/// The files that have translatable strings, found by reading `src/` and `data/`.
fn translatable_files() -> BTreeSet<String> {
    let mut found = BTreeSet::new();

    let mut rust = Vec::new();
    walk(&root().join("src"), &mut rust);
    for path in rust
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
    {
        let source = fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        if rust_has_translatable(&source) {
            found.insert(relative(path));
        }
    }
    // Templates beside their widgets (`#[template(file = "page.ui")]`).
    for path in rust
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "ui"))
    {
        let source = fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        if ui_has_translatable(&source) {
            found.insert(relative(path));
        }
    }

    let mut data = Vec::new();
    walk(&root().join("data"), &mut data);
    for path in &data {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".in.in") || name.ends_with(".gschema.xml") {
            found.insert(relative(path));
        } else if name.ends_with(".ui") {
            let source = fs::read_to_string(path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            if ui_has_translatable(&source) {
                found.insert(relative(path));
            }
        }
    }
    found
}

/// The entries of po/POTFILES.in, without comments and blank lines.
fn listed_files() -> Vec<String> {
    let path = root().join("po").join("POTFILES.in");
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn potfiles_lists_exactly_the_translatable_files() {
    let found = translatable_files();
    let listed: BTreeSet<String> = listed_files().into_iter().collect();

    let missing: Vec<&String> = found.difference(&listed).collect();
    let stale: Vec<&String> = listed.difference(&found).collect();
    let mut report = String::new();
    if !missing.is_empty() {
        report.push_str("\nmissing from po/POTFILES.in (they have translatable strings):\n");
        for f in &missing {
            report.push_str(&format!("    {f}\n"));
        }
    }
    if !stale.is_empty() {
        report.push_str("\nstale in po/POTFILES.in (gone, or no translatable strings):\n");
        for f in &stale {
            report.push_str(&format!("    {f}\n"));
        }
    }
    assert!(report.is_empty(), "po/POTFILES.in is out of date:{report}");
}

#[test]
fn potfiles_entries_exist_once() {
    let listed = listed_files();
    let absent: Vec<&String> = listed
        .iter()
        .filter(|f| !root().join(f.as_str()).is_file())
        .collect();
    assert!(
        absent.is_empty(),
        "po/POTFILES.in lists files that do not exist: {absent:?}"
    );
    let unique: BTreeSet<&String> = listed.iter().collect();
    assert_eq!(
        unique.len(),
        listed.len(),
        "po/POTFILES.in lists a file twice"
    );
}

#[test]
fn detects_rust_calls_but_not_comments_or_definitions() {
    assert!(rust_has_translatable(r#"let s = gettext("Hello");"#));
    assert!(rust_has_translatable(
        "let s = gettext_f(\n    \"{name} is running\",\n    &[(\"name\", n)],\n);"
    ));
    assert!(rust_has_translatable(r#"ngettext("One", "Many", n)"#));
    assert!(rust_has_translatable(r#"i18n::gettext("Hi")"#));
    assert!(!rust_has_translatable(
        r#"/// gettext_f("{name} is running", &[("name", n)])"#
    ));
    assert!(!rust_has_translatable(
        "pub fn gettext_f(msgid: &str) -> String { fill(gettext(msgid)) }"
    ));
    assert!(!rust_has_translatable(
        "use gettextrs::{gettext, ngettext};"
    ));
    assert!(!rust_has_translatable(r#"my_gettext("not ours")"#));
    assert!(ui_has_translatable(
        r#"<property name="title" translatable="yes">Hangar</property>"#
    ));
    assert!(!ui_has_translatable(
        r#"<property name="icon-name">go-next</property>"#
    ));
}
