//! A small, lossless XML document tree for libvirt's XML.
//!
//! libvirt's documents are larger than any page of Hangar models: a `<qemu:commandline>`,
//! `<metadata>` in a foreign namespace, comments, attributes of a newer libvirt. Typed
//! views read and change a [`Document`] in place; whatever they do not touch is written
//! back as it came: elements, attributes in their order, namespace declarations and
//! prefixes, text (whitespace included), comments, CDATA sections and processing
//! instructions. Only the spelling of the markup may change (`<a></a>` becomes `<a/>`,
//! attribute quotes become `'`, as libvirt writes them), never the information.

use std::fmt::Write as _;

use quick_xml::events::Event;
use quick_xml::Reader;

/// One node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Element(Element),
    /// Character data, unescaped.
    Text(String),
    /// The content of a `<![CDATA[…]]>` section.
    CData(String),
    /// The content of a `<!--…-->` comment.
    Comment(String),
    /// A processing instruction's content (`target data`), without `<?` and `?>`.
    Pi(String),
    /// A `<!DOCTYPE …>` declaration's content.
    DocType(String),
}

/// An element: its qualified name (`prefix:local` as written), attributes in document
/// order (namespace declarations included, as `xmlns`/`xmlns:p`), and children.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

/// A whole document: the XML declaration (if any), what comes before and after the
/// root element (comments, processing instructions, whitespace), and the root.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The declaration's content, e.g. `xml version="1.0"`.
    pub decl: Option<String>,
    pub before: Vec<Node>,
    pub root: Element,
    pub after: Vec<Node>,
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("malformed XML: {0}")]
pub struct XmlError(pub String);

fn utf8(bytes: &[u8]) -> Result<String, XmlError> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|e| XmlError(e.to_string()))
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

fn push_text(children: &mut Vec<Node>, s: &str) {
    if let Some(Node::Text(t)) = children.last_mut() {
        t.push_str(s);
    } else {
        children.push(Node::Text(s.to_string()));
    }
}

fn read_element_start(e: &quick_xml::events::BytesStart<'_>) -> Result<Element, XmlError> {
    let name = utf8(e.name().as_ref())?;
    let mut attrs = Vec::new();
    for a in e.attributes().with_checks(true) {
        let a = a.map_err(|e| XmlError(e.to_string()))?;
        let key = utf8(a.key.as_ref())?;
        let value = a
            .unescape_value()
            .map_err(|e| XmlError(e.to_string()))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
    })
}

impl Document {
    /// Parse a document. Malformed XML is an error, never a panic.
    pub fn parse(xml: &str) -> Result<Document, XmlError> {
        let mut reader = Reader::from_str(xml);
        let config = reader.config_mut();
        config.trim_text(false);
        config.expand_empty_elements = false;
        config.check_end_names = true;
        let mut decl = None;
        let mut before = Vec::new();
        let mut after = Vec::new();
        let mut root: Option<Element> = None;
        // Open elements, innermost last.
        let mut stack: Vec<Element> = Vec::new();
        loop {
            let ev = reader
                .read_event()
                .map_err(|e| XmlError(format!("{e} at byte {}", reader.buffer_position())))?;
            // Where a non-element node goes: the open element, or around the root.
            macro_rules! sink {
                () => {
                    match stack.last_mut() {
                        Some(el) => &mut el.children,
                        None if root.is_some() => &mut after,
                        None => &mut before,
                    }
                };
            }
            match ev {
                Event::Eof => break,
                Event::Decl(d) => decl = Some(utf8(&d)?),
                Event::Start(e) => {
                    if stack.is_empty() && root.is_some() {
                        return Err(XmlError("more than one root element".into()));
                    }
                    stack.push(read_element_start(&e)?);
                }
                Event::Empty(e) => {
                    let el = read_element_start(&e)?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(el)),
                        None if root.is_none() => root = Some(el),
                        None => return Err(XmlError("more than one root element".into())),
                    }
                }
                Event::End(_) => {
                    let el = stack
                        .pop()
                        .ok_or_else(|| XmlError("closing tag without an open element".into()))?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(el)),
                        None => root = Some(el),
                    }
                }
                Event::Text(t) => {
                    let s = t.decode().map_err(|e| XmlError(e.to_string()))?;
                    if stack.is_empty() && !s.trim().is_empty() {
                        return Err(XmlError("text outside the root element".into()));
                    }
                    push_text(sink!(), &s);
                }
                Event::GeneralRef(r) => {
                    if stack.is_empty() {
                        return Err(XmlError("text outside the root element".into()));
                    }
                    let ch = match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => {
                            let name = utf8(&r)?;
                            predefined_entity(&name)
                                .ok_or_else(|| XmlError(format!("unknown entity &{name};")))?
                        }
                        Err(e) => return Err(XmlError(e.to_string())),
                    };
                    let mut buf = [0u8; 4];
                    push_text(sink!(), ch.encode_utf8(&mut buf));
                }
                Event::CData(c) => {
                    let s = utf8(&c)?;
                    sink!().push(Node::CData(s));
                }
                Event::Comment(c) => {
                    let s = utf8(&c)?;
                    sink!().push(Node::Comment(s));
                }
                Event::PI(p) => {
                    let s = utf8(&p)?;
                    sink!().push(Node::Pi(s));
                }
                Event::DocType(d) => {
                    let s = utf8(&d)?;
                    sink!().push(Node::DocType(s));
                }
            }
        }
        if !stack.is_empty() {
            return Err(XmlError("the document ends inside an element".into()));
        }
        let root = root.ok_or_else(|| XmlError("no root element".into()))?;
        Ok(Document {
            decl,
            before,
            root,
            after,
        })
    }

    /// A document made of one root element.
    pub fn new(root: Element) -> Document {
        Document {
            decl: None,
            before: Vec::new(),
            root,
            after: Vec::new(),
        }
    }

    /// Serialise the document.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        if let Some(d) = &self.decl {
            let _ = write!(out, "<?{d}?>");
        }
        for n in &self.before {
            write_node(&mut out, n);
        }
        write_element(&mut out, &self.root);
        for n in &self.after {
            write_node(&mut out, n);
        }
        out
    }

    /// The namespace URI of the element reached from the root by `path` (indices among
    /// each element's child *elements*), resolved through the declarations in scope.
    /// `None` when the path leads nowhere or the name has no namespace.
    pub fn namespace_of(&self, path: &[usize]) -> Option<String> {
        let mut scope: Vec<(String, String)> = Vec::new();
        let mut el = &self.root;
        scope.extend(el.namespace_declarations());
        for &i in path {
            el = el.elements().nth(i)?;
            scope.extend(el.namespace_declarations());
        }
        let prefix = el.prefix().unwrap_or("");
        scope
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, uri)| uri.clone())
            .filter(|u| !u.is_empty())
    }
}

fn escape_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

fn escape_attr(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}

fn write_node(out: &mut String, n: &Node) {
    match n {
        Node::Element(e) => write_element(out, e),
        Node::Text(t) => escape_text(out, t),
        Node::CData(c) => {
            // "]]>" cannot appear inside one section: split it across two.
            let _ = write!(out, "<![CDATA[{}]]>", c.replace("]]>", "]]]]><![CDATA[>"));
        }
        Node::Comment(c) => {
            let _ = write!(out, "<!--{c}-->");
        }
        Node::Pi(p) => {
            let _ = write!(out, "<?{p}?>");
        }
        Node::DocType(d) => {
            let _ = write!(out, "<!DOCTYPE {d}>");
        }
    }
}

fn write_element(out: &mut String, e: &Element) {
    out.push('<');
    out.push_str(&e.name);
    for (k, v) in &e.attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("='");
        escape_attr(out, v);
        out.push('\'');
    }
    if e.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for c in &e.children {
        write_node(out, c);
    }
    out.push_str("</");
    out.push_str(&e.name);
    out.push('>');
}

impl Element {
    pub fn new(name: &str) -> Element {
        Element {
            name: name.to_string(),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Builder: add an attribute.
    pub fn with_attr(mut self, key: &str, value: &str) -> Element {
        self.set_attr(key, value);
        self
    }

    /// Builder: add a child element.
    pub fn with_child(mut self, child: Element) -> Element {
        self.children.push(Node::Element(child));
        self
    }

    /// Builder: add text.
    pub fn with_text(mut self, text: &str) -> Element {
        self.children.push(Node::Text(text.to_string()));
        self
    }

    /// The part of the name after the prefix.
    pub fn local_name(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    pub fn prefix(&self) -> Option<&str> {
        self.name.split_once(':').map(|(p, _)| p)
    }

    /// `(prefix, uri)` for each namespace this element declares; `""` for the default.
    pub fn namespace_declarations(&self) -> Vec<(String, String)> {
        self.attrs
            .iter()
            .filter_map(|(k, v)| {
                if k == "xmlns" {
                    Some((String::new(), v.clone()))
                } else {
                    k.strip_prefix("xmlns:").map(|p| (p.to_string(), v.clone()))
                }
            })
            .collect()
    }

    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Set an attribute: in place when it exists (its position kept), else at the end.
    pub fn set_attr(&mut self, key: &str, value: &str) {
        match self.attrs.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value.to_string(),
            None => self.attrs.push((key.to_string(), value.to_string())),
        }
    }

    pub fn remove_attr(&mut self, key: &str) -> Option<String> {
        let i = self.attrs.iter().position(|(k, _)| k == key)?;
        Some(self.attrs.remove(i).1)
    }

    /// The child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    pub fn elements_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.children.iter_mut().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The child elements named `name` (qualified name as written).
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.name == name)
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    pub fn child_mut(&mut self, name: &str) -> Option<&mut Element> {
        self.elements_mut().find(|e| e.name == name)
    }

    /// The first child named `name`, appended when there is none.
    pub fn ensure_child(&mut self, name: &str) -> &mut Element {
        if self.child(name).is_none() {
            self.append_child(Element::new(name));
        }
        self.child_mut(name).expect("appended above")
    }

    /// Follow a path of child names (`["ip", "dhcp"]`), first match at each step.
    pub fn find(&self, path: &[&str]) -> Option<&Element> {
        let mut el = self;
        for p in path {
            el = el.child(p)?;
        }
        Some(el)
    }

    /// The text content of this element (text and CDATA children, concatenated).
    pub fn text(&self) -> String {
        let mut s = String::new();
        for c in &self.children {
            match c {
                Node::Text(t) | Node::CData(t) => s.push_str(t),
                _ => {}
            }
        }
        s
    }

    /// Replace the text and CDATA children by `text`; elements and comments stay.
    pub fn set_text(&mut self, text: &str) {
        let first = self
            .children
            .iter()
            .position(|c| matches!(c, Node::Text(_) | Node::CData(_)));
        self.children
            .retain(|c| !matches!(c, Node::Text(_) | Node::CData(_)));
        let at = first.unwrap_or(0).min(self.children.len());
        if !text.is_empty() {
            self.children.insert(at, Node::Text(text.to_string()));
        }
    }

    /// The whitespace that indents this element's children, and the whitespace before
    /// its closing tag, when it is laid out one child a line.
    fn layout(&self) -> Option<(String, String)> {
        let mut indent = None;
        for (i, c) in self.children.iter().enumerate() {
            if let Node::Element(_) = c {
                if let Some(Node::Text(t)) = i.checked_sub(1).and_then(|p| self.children.get(p)) {
                    if t.trim().is_empty() && t.contains('\n') {
                        indent = Some(t.clone());
                    }
                }
                break;
            }
        }
        let closing = match self.children.last() {
            Some(Node::Text(t)) if t.trim().is_empty() => t.clone(),
            _ => return None,
        };
        Some((indent?, closing))
    }

    /// Append a child element, following the indentation of its siblings.
    pub fn append_child(&mut self, child: Element) {
        match self.layout() {
            Some((indent, _closing)) => {
                let at = self.children.len() - 1;
                self.children.insert(at, Node::Element(child));
                self.children.insert(at, Node::Text(indent));
            }
            None => self.children.push(Node::Element(child)),
        }
    }

    /// Insert a child element before the first child element named `before` (or at the
    /// end when there is none), following the siblings' indentation.
    pub fn insert_child_before(&mut self, child: Element, before: &str) {
        let pos = self
            .children
            .iter()
            .position(|n| matches!(n, Node::Element(e) if e.name == before));
        let Some(pos) = pos else {
            self.append_child(child);
            return;
        };
        match self.layout() {
            Some((indent, _)) => {
                // [… indent OLD …] becomes [… indent NEW indent OLD …].
                self.children.insert(pos, Node::Text(indent));
                self.children.insert(pos, Node::Element(child));
            }
            None => self.children.insert(pos, Node::Element(child)),
        }
    }

    /// Remove the child elements for which `pred` holds, with the whitespace that
    /// indented them. Returns how many went.
    pub fn remove_children(&mut self, mut pred: impl FnMut(&Element) -> bool) -> usize {
        let mut removed = 0;
        let mut i = 0;
        while i < self.children.len() {
            let hit = matches!(&self.children[i], Node::Element(e) if pred(e));
            if hit {
                self.children.remove(i);
                removed += 1;
                if i > 0 && matches!(&self.children[i - 1], Node::Text(t) if t.trim().is_empty()) {
                    self.children.remove(i - 1);
                    i -= 1;
                }
            } else {
                i += 1;
            }
        }
        removed
    }

    /// Serialise this element alone.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        write_element(&mut out, self);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETWORK: &str = "<network connections='2' xmlns:hg='https://hangar.invalid/ns'>
  <name>default</name>
  <uuid>3e3fce45-4f53-4fa7-bb32-11f34168b82b</uuid>
  <!-- kept: a comment -->
  <forward mode='nat'>
    <nat>
      <port start='1024' end='65535'/>
    </nat>
  </forward>
  <bridge name='virbr0' stp='on' delay='0'/>
  <hg:note level='1'><![CDATA[a <raw> & section]]></hg:note>
  <future attr-b='2' attr-a='1'>text &amp; &lt;more&gt; &#233;</future>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
";

    #[test]
    fn unchanged_document_round_trips_exactly() {
        let doc = Document::parse(NETWORK).unwrap();
        let out = doc.to_xml();
        // The only change of spelling: &#233; is written as the character itself.
        assert_eq!(out, NETWORK.replace("&#233;", "é"));
        // And a second round gives the same document and the same text.
        let again = Document::parse(&out).unwrap();
        assert_eq!(again, doc);
        assert_eq!(again.to_xml(), out);
    }

    #[test]
    fn keeps_declaration_comments_pis_and_doctype_around_the_root() {
        let xml = "<?xml version=\"1.0\"?>\n<!-- head -->\n<?hangar keep?>\n<!DOCTYPE network>\n<network><name>x</name></network>\n<!-- tail -->";
        let doc = Document::parse(xml).unwrap();
        assert_eq!(doc.decl.as_deref(), Some("xml version=\"1.0\""));
        assert!(doc.before.contains(&Node::Comment(" head ".into())));
        assert!(doc.before.contains(&Node::Pi("hangar keep".into())));
        assert!(doc.before.contains(&Node::DocType("network".into())));
        assert!(doc.after.contains(&Node::Comment(" tail ".into())));
        assert_eq!(doc.to_xml(), xml);
    }

    #[test]
    fn attributes_keep_their_order_and_special_characters() {
        let xml = "<a z='1' b=\"x'y\" a='&lt;&amp;&quot;' nl='one&#10;two'/>";
        let doc = Document::parse(xml).unwrap();
        let keys: Vec<&str> = doc.root.attrs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["z", "b", "a", "nl"]);
        assert_eq!(doc.root.attr("b"), Some("x'y"));
        assert_eq!(doc.root.attr("a"), Some("<&\""));
        assert_eq!(doc.root.attr("nl"), Some("one\ntwo"));
        let again = Document::parse(&doc.to_xml()).unwrap();
        assert_eq!(again, doc);
    }

    #[test]
    fn text_and_cdata_are_read_and_written_back() {
        let doc = Document::parse(NETWORK).unwrap();
        let future = doc.root.child("future").unwrap();
        assert_eq!(future.text(), "text & <more> é");
        let note = doc.root.child("hg:note").unwrap();
        assert_eq!(note.text(), "a <raw> & section");
        assert!(matches!(note.children[0], Node::CData(_)));
        // CDATA that contains its own terminator survives.
        let mut d = doc.clone();
        d.root.child_mut("hg:note").unwrap().children = vec![Node::CData("x]]>y".into())];
        let back = Document::parse(&d.to_xml()).unwrap();
        assert_eq!(back.root.child("hg:note").unwrap().text(), "x]]>y");
    }

    #[test]
    fn namespaces_resolve_through_declarations_in_scope() {
        let doc = Document::parse(NETWORK).unwrap();
        let idx = doc
            .root
            .elements()
            .position(|e| e.name == "hg:note")
            .unwrap();
        assert_eq!(doc.root.elements().nth(idx).unwrap().local_name(), "note");
        assert_eq!(
            doc.namespace_of(&[idx]).as_deref(),
            Some("https://hangar.invalid/ns")
        );
        assert_eq!(doc.namespace_of(&[0]), None, "<name> has no namespace");
        let inner = Document::parse(
            "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:commandline><qemu:arg value='-s'/></qemu:commandline></domain>",
        )
        .unwrap();
        assert_eq!(
            inner.namespace_of(&[0, 0]).as_deref(),
            Some("http://libvirt.org/schemas/domain/qemu/1.0")
        );
        assert_eq!(
            inner.root.namespace_declarations(),
            vec![(
                "qemu".to_string(),
                "http://libvirt.org/schemas/domain/qemu/1.0".to_string()
            )]
        );
        let default_ns = Document::parse("<a xmlns='urn:x'><b/></a>").unwrap();
        assert_eq!(default_ns.namespace_of(&[0]).as_deref(), Some("urn:x"));
    }

    #[test]
    fn changing_one_field_changes_only_that_field() {
        let mut doc = Document::parse(NETWORK).unwrap();
        doc.root
            .child_mut("bridge")
            .unwrap()
            .set_attr("name", "virbr9");
        let out = doc.to_xml();
        let expected = NETWORK
            .replace("&#233;", "é")
            .replace("name='virbr0'", "name='virbr9'");
        assert_eq!(out, expected);
        // The changed attribute stays in its place.
        let bridge = Document::parse(&out).unwrap();
        let keys: Vec<String> = bridge
            .root
            .child("bridge")
            .unwrap()
            .attrs
            .iter()
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(keys, ["name", "stp", "delay"]);
    }

    #[test]
    fn appended_children_follow_the_indentation() {
        let mut doc = Document::parse(NETWORK).unwrap();
        doc.root
            .append_child(Element::new("mtu").with_attr("size", "9000"));
        let out = doc.to_xml();
        assert!(
            out.contains("  </ip>\n  <mtu size='9000'/>\n</network>"),
            "{out}"
        );
        let mut flat = Document::parse("<a><b/></a>").unwrap();
        flat.root.append_child(Element::new("c"));
        assert_eq!(flat.to_xml(), "<a><b/><c/></a>");
        let mut before = Document::parse(NETWORK).unwrap();
        before
            .root
            .insert_child_before(Element::new("mtu").with_attr("size", "1400"), "ip");
        let out = before.to_xml();
        assert!(out.contains("<mtu size='1400'/>\n  <ip "), "{out}");
        let names: Vec<&str> = before.root.elements().map(|e| e.name.as_str()).collect();
        let mtu = names.iter().position(|n| *n == "mtu").unwrap();
        assert_eq!(names[mtu + 1], "ip");
    }

    #[test]
    fn removing_children_takes_their_indentation() {
        let mut doc = Document::parse(NETWORK).unwrap();
        let n = doc.root.remove_children(|e| e.name == "future");
        assert_eq!(n, 1);
        let out = doc.to_xml();
        assert!(!out.contains("future"));
        assert!(out.contains("</hg:note>\n  <ip "), "{out}");
        // The comment is still there.
        assert!(out.contains("<!-- kept: a comment -->"));
    }

    #[test]
    fn set_text_keeps_elements_and_comments() {
        let mut doc = Document::parse("<a>old<!--c--><b/></a>").unwrap();
        doc.root.set_text("new & <x>");
        assert_eq!(doc.to_xml(), "<a>new &amp; &lt;x&gt;<!--c--><b/></a>");
        doc.root.set_text("");
        assert_eq!(doc.to_xml(), "<a><!--c--><b/></a>");
    }

    #[test]
    fn builders_make_elements() {
        let e = Element::new("host")
            .with_attr("mac", "52:54:00:00:00:01")
            .with_attr("ip", "10.0.0.5")
            .with_child(Element::new("hostname").with_text("db"));
        assert_eq!(
            e.to_xml(),
            "<host mac='52:54:00:00:00:01' ip='10.0.0.5'><hostname>db</hostname></host>"
        );
        assert_eq!(
            Element::new("a").with_text("x").find(&[]).map(|e| e.text()),
            Some("x".into())
        );
    }

    #[test]
    fn malformed_xml_is_an_error() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "</a>",
            "<a/><b/>",
            "text<a/>",
            "<a>&bogus;</a>",
            "<a x='1' x='2'/>",
        ] {
            assert!(Document::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn find_follows_paths() {
        let doc = Document::parse(NETWORK).unwrap();
        let range = doc.root.find(&["ip", "dhcp", "range"]).unwrap();
        assert_eq!(range.attr("start"), Some("192.168.122.2"));
        assert!(doc.root.find(&["ip", "nope"]).is_none());
        assert_eq!(doc.root.children_named("ip").count(), 1);
    }
}
