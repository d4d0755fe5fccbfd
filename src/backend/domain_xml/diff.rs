//! Comparing documents: as sorted facts (what information changed) and as lines (what
//! the XML editor shows).

use std::collections::HashSet;

use crate::backend::xml::{Document, Element, Node};

/// A document as a sorted list of facts (`/domain/devices/disk[1]/target@dev=vda`),
/// blind to layout: two documents with the same facts hold the same information.
pub fn canonical_facts(doc: &Document) -> Vec<String> {
    fn walk(el: &Element, path: &str, out: &mut Vec<String>) {
        for (k, v) in &el.attrs {
            out.push(format!("{path}@{k}={v}"));
        }
        let mut counts: std::collections::HashMap<&str, usize> = Default::default();
        let mut text = String::new();
        for (i, c) in el.children.iter().enumerate() {
            match c {
                Node::Element(e) => {
                    let n = counts.entry(e.name.as_str()).or_insert(0);
                    *n += 1;
                    walk(e, &format!("{path}/{}[{}]", e.name, n), out);
                }
                Node::Text(t) | Node::CData(t) => text.push_str(t),
                Node::Comment(t) => out.push(format!("{path}/#comment[{i}]={}", t.trim())),
                Node::Pi(t) => out.push(format!("{path}/#pi={t}")),
                Node::DocType(t) => out.push(format!("{path}/#doctype={t}")),
            }
        }
        if !text.trim().is_empty() {
            out.push(format!("{path}#text={}", text.trim()));
        }
    }
    let mut out = Vec::new();
    walk(&doc.root, &format!("/{}", doc.root.name), &mut out);
    // Comment positions shift when siblings come and go; keep their text only.
    for f in &mut out {
        if let Some(i) = f.find("/#comment[") {
            if let Some(j) = f[i..].find("]=") {
                f.replace_range(i..i + j + 1, "/#comment");
            }
        }
    }
    out.sort();
    out
}

/// Facts only in `a` and facts only in `b`.
pub fn fact_diff(a: &Document, b: &Document) -> (Vec<String>, Vec<String>) {
    let fa = canonical_facts(a);
    let fb = canonical_facts(b);
    let sa: HashSet<&String> = fa.iter().collect();
    let sb: HashSet<&String> = fb.iter().collect();
    (
        fa.iter().filter(|f| !sb.contains(f)).cloned().collect(),
        fb.iter().filter(|f| !sa.contains(f)).cloned().collect(),
    )
}

/// One line of a text diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

/// A line diff of two texts (longest common subsequence after trimming the common
/// head and tail, so a small change in a big document stays cheap).
pub fn line_diff(a: &str, b: &str) -> Vec<DiffLine> {
    let la: Vec<&str> = a.lines().collect();
    let lb: Vec<&str> = b.lines().collect();
    let head = la.iter().zip(&lb).take_while(|(x, y)| x == y).count();
    let tail = la[head..]
        .iter()
        .rev()
        .zip(lb[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let ma = &la[head..la.len() - tail];
    let mb = &lb[head..lb.len() - tail];
    let mut out: Vec<DiffLine> = la[..head]
        .iter()
        .map(|l| DiffLine::Same(l.to_string()))
        .collect();
    if ma.len().saturating_mul(mb.len()) > 4_000_000 {
        // Too big to align: show it as replaced.
        out.extend(ma.iter().map(|l| DiffLine::Removed(l.to_string())));
        out.extend(mb.iter().map(|l| DiffLine::Added(l.to_string())));
    } else {
        let (n, m) = (ma.len(), mb.len());
        let mut lcs = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * (m + 1) + j] = if ma[i] == mb[j] {
                    lcs[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    lcs[(i + 1) * (m + 1) + j].max(lcs[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && ma[i] == mb[j] {
                out.push(DiffLine::Same(ma[i].to_string()));
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]) {
                out.push(DiffLine::Removed(ma[i].to_string()));
                i += 1;
            } else {
                out.push(DiffLine::Added(mb[j].to_string()));
                j += 1;
            }
        }
    }
    out.extend(
        la[la.len() - tail..]
            .iter()
            .map(|l| DiffLine::Same(l.to_string())),
    );
    out
}
