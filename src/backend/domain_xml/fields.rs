//! The form layer's vocabulary: the sections of the Hardware list, the kinds of fields,
//! and the helpers that parse what is typed.

use crate::i18n::{gettext, gettext_f};

use super::config::*;

/// Which page of the Hardware list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    General,
    Cpu,
    Memory,
    Boot,
    Device(usize),
}

/// How a field is edited.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    Text,
    /// Text of several lines (a description).
    LongText,
    /// One of these `(value, label)` pairs.
    Choice(Vec<(String, String)>),
    Toggle,
    Number {
        min: u64,
        max: u64,
    },
    ReadOnly,
    /// The devices to boot from, in order, each on or off; the value is
    /// [`boot_order_value`].
    BootOrder(Vec<BootEntry>),
}

/// One row of a form.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    pub id: String,
    pub label: String,
    pub kind: FieldKind,
    /// The value as text ("yes"/"no" for toggles, "" for none).
    pub value: String,
}

pub(super) fn choice(values: &[&str]) -> FieldKind {
    FieldKind::Choice(
        values
            .iter()
            .map(|v| {
                let label = if v.is_empty() {
                    gettext("Default")
                } else {
                    (*v).to_string()
                };
                ((*v).to_string(), label)
            })
            .collect(),
    )
}

pub(super) fn spec(
    id: &str,
    label: String,
    kind: FieldKind,
    value: impl Into<String>,
) -> FieldSpec {
    FieldSpec {
        id: id.to_string(),
        label,
        kind,
        value: value.into(),
    }
}

pub(super) fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

pub(super) fn opt(v: &str) -> Option<String> {
    let t = v.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

pub(super) fn parse_num(v: &str) -> Result<u64, String> {
    v.trim()
        .parse()
        .map_err(|_| gettext_f("“{value}” is not a whole number", &[("value", v.trim())]))
}

pub(super) const MIB: u64 = 1024;
