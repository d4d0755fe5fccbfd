//! Plain data about domains, as the backend hands it to the models.

use quick_xml::events::Event as XmlEvent;
use quick_xml::Reader;

/// A domain's run state, as libvirt reports it (`virDomainState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DomainState {
    #[default]
    NoState,
    Running,
    Blocked,
    Paused,
    ShuttingDown,
    Shutoff,
    Crashed,
    PmSuspended,
}

impl DomainState {
    pub fn from_raw(v: i32) -> DomainState {
        match v {
            1 => DomainState::Running,
            2 => DomainState::Blocked,
            3 => DomainState::Paused,
            4 => DomainState::ShuttingDown,
            5 => DomainState::Shutoff,
            6 => DomainState::Crashed,
            7 => DomainState::PmSuspended,
            _ => DomainState::NoState,
        }
    }

    pub fn to_raw(self) -> i32 {
        match self {
            DomainState::NoState => 0,
            DomainState::Running => 1,
            DomainState::Blocked => 2,
            DomainState::Paused => 3,
            DomainState::ShuttingDown => 4,
            DomainState::Shutoff => 5,
            DomainState::Crashed => 6,
            DomainState::PmSuspended => 7,
        }
    }

    /// A guest that has a running QEMU process (and so uses CPU and memory).
    pub fn is_active(self) -> bool {
        !matches!(self, DomainState::Shutoff | DomainState::NoState) || self == DomainState::Crashed
    }

    pub fn is_running(self) -> bool {
        matches!(
            self,
            DomainState::Running | DomainState::Blocked | DomainState::ShuttingDown
        )
    }
}

/// What the list and the Overview need to know about a domain.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DomainInfo {
    pub uuid: String,
    pub name: String,
    /// Run-time ID, for active domains.
    pub id: Option<u32>,
    pub title: String,
    pub description: String,
    pub state: DomainState,
    pub reason: i32,
    pub vcpus: u32,
    pub memory_kib: u64,
    pub max_memory_kib: u64,
    pub os_type: String,
    /// libosinfo's id of its system, from the metadata virt-install and Hangar write
    /// (`http://debian.org/debian/11`), else empty.
    pub os_id: String,
    /// The `<domain type=…>`: kvm, qemu, test, xen…
    pub hypervisor: String,
    pub arch: String,
    pub persistent: bool,
    pub autostart: bool,
    pub has_managed_save: bool,
    /// Whether `DomainInfo` holds the XML-derived fields (title, vcpus, memory…) yet.
    pub detailed: bool,
}

/// The parts of `<domain>` XML the list and Overview show.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct XmlSummary {
    pub hypervisor: String,
    pub name: String,
    pub uuid: String,
    pub title: String,
    pub description: String,
    pub vcpus: u32,
    pub memory_kib: u64,
    pub current_memory_kib: u64,
    pub os_type: String,
    pub arch: String,
    /// See [`DomainInfo::os_id`].
    pub os_id: String,
}

fn to_kib(value: u64, unit: &str) -> u64 {
    let bytes: u128 = match unit {
        "b" | "bytes" => value as u128,
        "KB" => value as u128 * 1000,
        "k" | "KiB" | "" => value as u128 * 1024,
        "MB" => value as u128 * 1_000_000,
        "M" | "MiB" => value as u128 * 1024 * 1024,
        "GB" => value as u128 * 1_000_000_000,
        "G" | "GiB" => value as u128 * 1024 * 1024 * 1024,
        "TB" => value as u128 * 1_000_000_000_000,
        "T" | "TiB" => value as u128 * 1024 * 1024 * 1024 * 1024,
        _ => value as u128 * 1024,
    };
    (bytes / 1024).min(u64::MAX as u128) as u64
}

/// Read the summary fields of a domain's XML. Only direct children of `<domain>` (and
/// `<os><type>`) are read, so a `<title>` inside `<metadata>` is not taken for the
/// domain's. Malformed XML gives an error, never a panic.
pub fn parse_summary(xml: &str) -> Result<XmlSummary, String> {
    let mut reader = Reader::from_str(xml);
    let mut s = XmlSummary::default();
    let mut path: Vec<String> = Vec::new();
    let mut unit = String::new();
    loop {
        match reader.read_event() {
            Err(e) => return Err(e.to_string()),
            Ok(XmlEvent::Eof) => break,
            Ok(XmlEvent::Start(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                unit.clear();
                for a in e.attributes().flatten() {
                    let key = a.key.as_ref();
                    let val = a
                        .unescape_value()
                        .map(|v| v.into_owned())
                        .unwrap_or_default();
                    match (path.len(), name.as_str(), key) {
                        (0, "domain", b"type") => s.hypervisor = val,
                        (_, _, b"unit") => unit = val,
                        (2, "type", b"arch") if path[1] == "os" => s.arch = val,
                        _ => {}
                    }
                }
                path.push(name);
            }
            Ok(XmlEvent::Empty(e)) => {
                // <metadata><libosinfo:libosinfo><libosinfo:os id='…'/>
                if e.name().as_ref().ends_with(b":os") && path.len() == 3 && path[1] == "metadata" {
                    for a in e.attributes().flatten() {
                        if a.key.as_ref() == b"id" {
                            s.os_id = a
                                .unescape_value()
                                .map(|v| v.into_owned())
                                .unwrap_or_default();
                        }
                    }
                }
                if path.is_empty() {
                    let name = e.name();
                    if name.as_ref() == b"domain" {
                        for a in e.attributes().flatten() {
                            if a.key.as_ref() == b"type" {
                                s.hypervisor = a
                                    .unescape_value()
                                    .map(|v| v.into_owned())
                                    .unwrap_or_default();
                            }
                        }
                    }
                }
            }
            Ok(XmlEvent::End(_)) => {
                path.pop();
            }
            Ok(XmlEvent::Text(t)) => {
                let text = t.decode().map(|c| c.into_owned()).unwrap_or_default();
                let text = quick_xml::escape::unescape(&text)
                    .map(|c| c.into_owned())
                    .unwrap_or(text);
                let depth = path.len();
                if depth == 2 && path[0] == "domain" {
                    match path[1].as_str() {
                        "name" => s.name.push_str(&text),
                        "uuid" => s.uuid.push_str(text.trim()),
                        "title" => s.title.push_str(&text),
                        "description" => s.description.push_str(&text),
                        "vcpu" => s.vcpus = text.trim().parse().unwrap_or(0),
                        "memory" => s.memory_kib = to_kib(text.trim().parse().unwrap_or(0), &unit),
                        "currentMemory" => {
                            s.current_memory_kib = to_kib(text.trim().parse().unwrap_or(0), &unit)
                        }
                        _ => {}
                    }
                } else if depth == 3 && path[0] == "domain" && path[1] == "os" && path[2] == "type"
                {
                    s.os_type.push_str(text.trim());
                }
            }
            Ok(XmlEvent::GeneralRef(r)) => {
                // Entity references between text pieces (&amp; …) in quick-xml ≥ 0.38.
                let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                let ch = match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                };
                if path.len() == 2 && path[0] == "domain" {
                    match path[1].as_str() {
                        "title" => s.title.push_str(ch),
                        "description" => s.description.push_str(ch),
                        "name" => s.name.push_str(ch),
                        _ => {}
                    }
                }
            }
            Ok(_) => {}
        }
    }
    if !path.is_empty() {
        return Err("the document ends inside an element".into());
    }
    if s.current_memory_kib == 0 {
        s.current_memory_kib = s.memory_kib;
    }
    Ok(s)
}

impl DomainInfo {
    /// Fill the XML-derived fields from a summary.
    pub fn apply_summary(&mut self, s: XmlSummary) {
        self.title = s.title;
        self.description = s.description;
        if s.vcpus > 0 {
            self.vcpus = s.vcpus;
        }
        if s.current_memory_kib > 0 {
            self.memory_kib = s.current_memory_kib;
        }
        if s.memory_kib > 0 {
            self.max_memory_kib = s.memory_kib;
        }
        self.os_type = s.os_type;
        self.os_id = s.os_id;
        self.hypervisor = s.hypervisor;
        self.arch = s.arch;
        self.detailed = true;
    }
}

/// The lifecycle actions a person can run on domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Start,
    Pause,
    Resume,
    Shutdown,
    Reboot,
    Reset,
    ForceOff,
    Save,
    /// Start from the managed save image (libvirt does this on start; kept separate
    /// so the UI can say “Restore”).
    Restore,
    /// Drop the managed save image.
    DiscardSave,
}

impl Action {
    /// Whether the action makes sense for a domain in `state`.
    pub fn applies_to(self, state: DomainState, has_managed_save: bool) -> bool {
        use DomainState::*;
        match self {
            Action::Start => matches!(state, Shutoff | Crashed | NoState) && !has_managed_save,
            Action::Restore => matches!(state, Shutoff | NoState) && has_managed_save,
            Action::DiscardSave => has_managed_save && !state.is_active(),
            Action::Pause => matches!(state, Running | Blocked),
            Action::Resume => matches!(state, Paused | PmSuspended),
            Action::Shutdown | Action::Reboot => matches!(state, Running | Blocked),
            Action::Reset => matches!(state, Running | Blocked | Paused | Crashed),
            Action::ForceOff => {
                matches!(
                    state,
                    Running | Blocked | Paused | ShuttingDown | Crashed | PmSuspended
                )
            }
            Action::Save => matches!(state, Running | Blocked | Paused),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_summary_and_ignores_nested_titles() {
        let xml = r#"<domain type='kvm' xmlns:my='urn:x'>
  <name>web &amp; db</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <title>Web server</title>
  <description>Line one
line two &lt;3</description>
  <metadata><my:x><title>not this</title></my:x></metadata>
  <memory unit='GiB'>4</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>4</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
</domain>"#;
        let s = parse_summary(xml).unwrap();
        assert_eq!(s.hypervisor, "kvm");
        assert_eq!(s.name, "web & db");
        assert_eq!(s.title, "Web server");
        assert_eq!(s.description, "Line one\nline two <3");
        assert_eq!(s.memory_kib, 4 * 1024 * 1024);
        assert_eq!(s.current_memory_kib, 2 * 1024 * 1024);
        assert_eq!(s.vcpus, 4);
        assert_eq!(s.os_type, "hvm");
        assert_eq!(s.arch, "x86_64");
    }

    #[test]
    fn bad_xml_is_an_error_not_a_panic() {
        assert!(parse_summary("<domain><name>x</domain>").is_err());
        assert!(parse_summary("<domain>").is_err());
        assert!(parse_summary("").map(|s| s.name.is_empty()).unwrap_or(true));
    }

    #[test]
    fn actions_fit_states() {
        use DomainState::*;
        assert!(Action::Start.applies_to(Shutoff, false));
        assert!(!Action::Start.applies_to(Shutoff, true));
        assert!(Action::Restore.applies_to(Shutoff, true));
        assert!(!Action::Start.applies_to(Running, false));
        assert!(Action::Pause.applies_to(Running, false));
        assert!(!Action::Pause.applies_to(Paused, false));
        assert!(Action::Resume.applies_to(Paused, false));
        assert!(Action::ForceOff.applies_to(Paused, false));
        assert!(!Action::ForceOff.applies_to(Shutoff, false));
        assert!(!Action::Shutdown.applies_to(Paused, false));
    }

    #[test]
    fn state_codes_round_trip() {
        for v in 0..8 {
            assert_eq!(DomainState::from_raw(v).to_raw(), v);
        }
        assert_eq!(DomainState::from_raw(99), DomainState::NoState);
    }
}
