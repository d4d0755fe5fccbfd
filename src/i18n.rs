//! Translation helpers: gettext with named placeholders.

pub use gettextrs::{gettext, ngettext};

/// `gettext_f("{name} is running", &[("name", n)])`.
pub fn gettext_f(msgid: &str, args: &[(&str, &str)]) -> String {
    fill(gettext(msgid), args)
}

/// Plural form with named placeholders; `{n}` is usually among `args`.
pub fn ngettext_f(single: &str, plural: &str, n: u32, args: &[(&str, &str)]) -> String {
    fill(ngettext(single, plural, n), args)
}

fn fill(mut s: String, args: &[(&str, &str)]) -> String {
    for (k, v) in args {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// Set up gettext for the process.
pub fn init() {
    use gettextrs::{
        bind_textdomain_codeset, bindtextdomain, setlocale, textdomain, LocaleCategory,
    };
    setlocale(LocaleCategory::LcAll, "");
    let _ = bindtextdomain(crate::config::GETTEXT_PACKAGE, crate::config::LOCALEDIR);
    let _ = bind_textdomain_codeset(crate::config::GETTEXT_PACKAGE, "UTF-8");
    let _ = textdomain(crate::config::GETTEXT_PACKAGE);
}

#[cfg(test)]
mod tests {
    #[test]
    fn fills_named_placeholders() {
        assert_eq!(
            super::fill("{a} and {b} and {a}".into(), &[("a", "x"), ("b", "y")]),
            "x and y and x"
        );
    }
}
