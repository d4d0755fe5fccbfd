//! The document: a domain's XML with typed access to its general facts, CPU and memory,
//! read and changed in place.

use crate::backend::xml::{Document, Element, XmlError};

use super::{config::*, tree::*};

/// A domain's XML with typed access. Clone it to keep an original for Revert.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainXml {
    pub doc: Document,
}

/// A problem with one field, shown under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub(super) fn new(field: &str, message: String) -> FieldError {
        FieldError {
            field: field.to_string(),
            message,
        }
    }
}

/// What validation needs to know about the host and connection.
#[derive(Debug, Clone, Default)]
pub struct ValidationContext {
    pub host_memory_kib: Option<u64>,
    pub max_vcpus: Option<u32>,
    /// The connection is on this machine, so paths can be checked.
    pub local: bool,
}

impl DomainXml {
    pub fn parse(xml: &str) -> Result<DomainXml, XmlError> {
        let doc = Document::parse(xml)?;
        if doc.root.name != "domain" {
            return Err(XmlError(format!(
                "the root element is <{}>, not <domain>",
                doc.root.name
            )));
        }
        Ok(DomainXml { doc })
    }

    pub fn to_xml(&self) -> String {
        self.doc.to_xml()
    }

    pub(super) fn root(&self) -> &Element {
        &self.doc.root
    }

    pub(super) fn root_mut(&mut self) -> &mut Element {
        &mut self.doc.root
    }

    pub fn uuid(&self) -> Option<String> {
        self.root()
            .child("uuid")
            .map(|u| u.text().trim().to_string())
    }

    pub fn domain_type(&self) -> String {
        self.root().attr("type").unwrap_or("").to_string()
    }

    pub fn machine(&self) -> String {
        at(self.root(), &["os", "type"])
            .and_then(|t| t.attr("machine"))
            .unwrap_or("")
            .to_string()
    }

    pub fn is_q35(&self) -> bool {
        self.machine().contains("q35")
    }

    // -- General --------------------------------------------------------------------

    pub fn general(&self) -> General {
        let t = |n: &str| self.root().child(n).map(|e| e.text()).unwrap_or_default();
        General {
            name: t("name").trim().to_string(),
            title: t("title"),
            description: t("description"),
        }
    }

    pub fn set_general(&mut self, g: &General) {
        let old = self.general();
        let root = self.root_mut();
        if old.name != g.name {
            root.ensure_child("name").set_text(&g.name);
        }
        for (name, old, new, after) in [
            ("title", &old.title, &g.title, &["name", "uuid"][..]),
            (
                "description",
                &old.description,
                &g.description,
                &["name", "uuid", "title"][..],
            ),
        ] {
            if old == new {
                continue;
            }
            if new.is_empty() {
                root.remove_children(|c| c.name == name);
            } else if let Some(e) = root.child_mut(name) {
                e.set_text(new);
            } else {
                insert_after(root, Element::new(name).with_text(new), after);
            }
        }
    }

    // -- CPU ------------------------------------------------------------------------

    pub fn cpu(&self) -> CpuConfig {
        let root = self.root();
        let vcpu = root.child("vcpu");
        let max = vcpu.and_then(|v| v.text().trim().parse().ok()).unwrap_or(1);
        let current = vcpu
            .and_then(|v| v.attr("current"))
            .and_then(|c| c.parse().ok());
        let cpu = root.child("cpu");
        let model = cpu
            .and_then(|c| c.child("model"))
            .map(|m| m.text().trim().to_string())
            .filter(|m| !m.is_empty());
        let mode = match cpu.and_then(|c| c.attr("mode")) {
            Some("host-passthrough") => CpuMode::HostPassthrough,
            Some("host-model") => CpuMode::HostModel,
            Some("maximum") => CpuMode::Maximum,
            Some("custom") | None if model.is_some() => CpuMode::Custom,
            _ => CpuMode::HypervisorDefault,
        };
        let topology = cpu.and_then(|c| c.child("topology")).map(|t| {
            let n = |a: &str| t.attr(a).and_then(|v| v.parse().ok()).unwrap_or(1);
            Topology {
                sockets: n("sockets"),
                dies: n("dies"),
                cores: n("cores"),
                threads: n("threads"),
            }
        });
        CpuConfig {
            max,
            current,
            mode,
            model,
            topology,
        }
    }

    pub fn set_cpu(&mut self, c: &CpuConfig) {
        let old = self.cpu();
        let root = self.root_mut();
        if old.max != c.max || old.current != c.current {
            let v = root.ensure_child("vcpu");
            if old.max != c.max {
                v.set_text(&c.max.to_string());
            }
            match c.current.filter(|n| *n != c.max) {
                Some(n) => v.set_attr("current", &n.to_string()),
                None => {
                    v.remove_attr("current");
                }
            }
        }
        if old.mode != c.mode || old.model != c.model {
            match c.mode {
                CpuMode::HypervisorDefault => {
                    if let Some(cpu) = root.child_mut("cpu") {
                        cpu.remove_attr("mode");
                        cpu.remove_attr("match");
                        cpu.remove_attr("check");
                        cpu.remove_children(|e| e.name == "model");
                    }
                    prune(root, &["cpu"]);
                }
                CpuMode::Custom => {
                    let cpu = root.ensure_child("cpu");
                    if old.mode != CpuMode::Custom {
                        cpu.set_attr("mode", "custom");
                        if cpu.attr("match").is_none() {
                            cpu.set_attr("match", "exact");
                        }
                    }
                    match c.model.as_deref() {
                        Some(m) => match cpu.child_mut("model") {
                            Some(e) => e.set_text(m),
                            None => cpu.insert_child_before(
                                Element::new("model")
                                    .with_attr("fallback", "allow")
                                    .with_text(m),
                                "topology",
                            ),
                        },
                        None => {
                            cpu.remove_children(|e| e.name == "model");
                        }
                    }
                }
                mode => {
                    let cpu = root.ensure_child("cpu");
                    cpu.set_attr("mode", mode.id());
                    cpu.remove_attr("match");
                    cpu.remove_children(|e| e.name == "model");
                }
            }
        }
        if old.topology != c.topology {
            match c.topology {
                Some(t) => {
                    let cpu = root.ensure_child("cpu");
                    let topo = cpu.ensure_child("topology");
                    for (k, v) in [
                        ("sockets", t.sockets),
                        ("dies", t.dies),
                        ("cores", t.cores),
                        ("threads", t.threads),
                    ] {
                        if topo.attr(k) != Some(&v.to_string()) {
                            topo.set_attr(k, &v.to_string());
                        }
                    }
                }
                None => {
                    if let Some(cpu) = root.child_mut("cpu") {
                        cpu.remove_children(|e| e.name == "topology");
                    }
                    prune(root, &["cpu"]);
                }
            }
        }
    }

    // -- Memory ---------------------------------------------------------------------

    pub fn memory(&self) -> MemoryConfig {
        let root = self.root();
        let max_kib = root.child("memory").and_then(read_kib).unwrap_or(0);
        let current_kib = root.child("currentMemory").and_then(read_kib);
        let shared =
            at(root, &["memoryBacking", "access"]).and_then(|a| a.attr("mode")) == Some("shared");
        MemoryConfig {
            max_kib,
            current_kib,
            shared,
        }
    }

    pub fn set_memory(&mut self, m: &MemoryConfig) {
        let old = self.memory();
        let root = self.root_mut();
        if old.max_kib != m.max_kib {
            write_kib(root.ensure_child("memory"), m.max_kib);
        }
        if old.current_kib != m.current_kib {
            match m.current_kib {
                Some(k) => match root.child_mut("currentMemory") {
                    Some(e) => write_kib(e, k),
                    None => insert_after(
                        root,
                        Element::new("currentMemory")
                            .with_attr("unit", "KiB")
                            .with_text(&k.to_string()),
                        &["memory"],
                    ),
                },
                None => {
                    root.remove_children(|c| c.name == "currentMemory");
                }
            }
        }
        if old.shared != m.shared {
            if m.shared {
                let mb = match root.child_mut("memoryBacking") {
                    Some(mb) => mb,
                    None => {
                        insert_after(
                            root,
                            Element::new("memoryBacking"),
                            &["currentMemory", "memory"],
                        );
                        root.ensure_child("memoryBacking")
                    }
                };
                if mb.child("source").is_none() {
                    mb.append_child(Element::new("source").with_attr("type", "memfd"));
                }
                mb.ensure_child("access").set_attr("mode", "shared");
            } else {
                put(root, Bind::Attr(&["memoryBacking", "access"], "mode"), None);
            }
        }
    }
}
