//! Small helpers over the element tree: paths to children, pruning empty ones,
//! inserting in schema order, and the binding of a view field to its attribute, flag or
//! text.

use crate::backend::xml::{Element, Node};

/// The element at `path` below `el` (first match at each step).
pub(super) fn at<'a>(el: &'a Element, path: &[&str]) -> Option<&'a Element> {
    el.find(path)
}

/// The element at `path`, created (appended) where missing.
pub(super) fn at_mut_create<'a>(el: &'a mut Element, path: &[&str]) -> &'a mut Element {
    let mut cur = el;
    for p in path {
        cur = cur.ensure_child(p);
    }
    cur
}

pub(super) fn at_mut<'a>(el: &'a mut Element, path: &[&str]) -> Option<&'a mut Element> {
    let mut cur = el;
    for p in path {
        cur = cur.child_mut(p)?;
    }
    Some(cur)
}

pub(super) fn is_empty_element(e: &Element) -> bool {
    e.attrs.is_empty()
        && e.children
            .iter()
            .all(|c| matches!(c, Node::Text(t) if t.trim().is_empty()))
}

/// Remove the elements of `path` that became empty, innermost first.
pub(super) fn prune(el: &mut Element, path: &[&str]) {
    for depth in (1..=path.len()).rev() {
        let (parent_path, last) = path[..depth].split_at(depth - 1);
        let Some(parent) = at_mut(el, parent_path) else {
            continue;
        };
        let name = last[0];
        let mut seen = false;
        parent.remove_children(|c| {
            if !seen && c.name == name {
                seen = true;
                is_empty_element(c)
            } else {
                false
            }
        });
    }
}

/// Insert `child` right after the first child element named `after` (or append).
pub(super) fn insert_after(parent: &mut Element, child: Element, after: &[&str]) {
    let pos = parent
        .children
        .iter()
        .rposition(|n| matches!(n, Node::Element(e) if after.contains(&e.name.as_str())));
    let Some(pos) = pos else {
        parent.append_child(child);
        return;
    };
    // The whitespace before the anchor indents the new sibling too.
    let indent = match pos.checked_sub(1).and_then(|i| parent.children.get(i)) {
        Some(Node::Text(t)) if t.trim().is_empty() => Some(t.clone()),
        _ => None,
    };
    match indent {
        Some(i) => {
            parent.children.insert(pos + 1, Node::Element(child));
            parent.children.insert(pos + 1, Node::Text(i));
        }
        None => parent.children.insert(pos + 1, Node::Element(child)),
    }
}

/// How a view field is stored in its element.
#[derive(Debug, Clone, Copy)]
pub(super) enum Bind {
    /// An attribute of the element at a path.
    Attr(&'static [&'static str], &'static str),
    /// The text of the element at a path.
    Text(&'static [&'static str]),
    /// The presence of an empty element (`<readonly/>`): "yes" or absent.
    Flag(&'static [&'static str]),
}

pub(super) fn get(el: &Element, b: Bind) -> Option<String> {
    match b {
        Bind::Attr(p, a) => at(el, p)?.attr(a).map(str::to_string),
        Bind::Text(p) => {
            let t = at(el, p)?.text();
            Some(t.trim().to_string()).filter(|t| !t.is_empty())
        }
        Bind::Flag(p) => at(el, p).map(|_| "yes".to_string()),
    }
}

/// Write one field; nothing happens when the value is what the element holds already.
pub(super) fn put(el: &mut Element, b: Bind, value: Option<&str>) {
    if get(el, b).as_deref() == value {
        return;
    }
    match (b, value) {
        (Bind::Attr(p, a), Some(v)) => at_mut_create(el, p).set_attr(a, v),
        (Bind::Attr(p, a), None) => {
            if let Some(e) = at_mut(el, p) {
                e.remove_attr(a);
            }
            prune(el, p);
        }
        (Bind::Text(p), Some(v)) => at_mut_create(el, p).set_text(v),
        (Bind::Text(p), None) => {
            if let Some(e) = at_mut(el, p) {
                e.set_text("");
            }
            prune(el, p);
        }
        (Bind::Flag(p), Some(_)) => {
            at_mut_create(el, p);
        }
        (Bind::Flag(p), None) => {
            if p.is_empty() {
                return;
            }
            let (parent, last) = p.split_at(p.len() - 1);
            if let Some(parent) = at_mut(el, parent) {
                parent.remove_children(|c| c.name == last[0]);
            }
        }
    }
}
