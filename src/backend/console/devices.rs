//! What the consoles need from libvirt, GTK-free: the graphics devices and text consoles
//! of a domain's live XML, and a serial console stream pumped by threads of its own.

use std::sync::Arc;

use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::Reader;
use virt::stream::Stream;
use virt::sys;

/// The kind of a `<graphics>` device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphicsKind {
    Vnc,
    Spice,
    Other(String),
}

/// One `<graphics>` device of a running domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graphics {
    pub kind: GraphicsKind,
    /// The TCP port QEMU listens on (`port`, filled in by libvirt when `autoport`);
    /// `None` when it listens on a UNIX socket only or not at all.
    pub port: Option<u16>,
    /// SPICE's TLS port (`tlsPort`), when it has one.
    pub tls_port: Option<u16>,
    /// The address it listens on (`listen` or `<listen address=…>`).
    pub listen: Option<String>,
    /// A UNIX socket path (`<listen type='socket' socket=…>`).
    pub socket: Option<String>,
    /// SPICE: some channel must be encrypted (`defaultMode='secure'`, or a
    /// `<channel mode='secure'>`).
    pub secure: bool,
}

impl Graphics {
    /// A SPICE display that takes some channel over TLS only: spice-client-glib must
    /// connect to it itself, since it never speaks TLS on a socket handed to it
    /// (libvirt's, an SSH tunnel's).
    pub fn needs_tls(&self) -> bool {
        self.kind == GraphicsKind::Spice
            && self.tls_port.is_some()
            && (self.secure || self.port.is_none())
    }
}

/// A graphics protocol the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Vnc,
    Spice,
}

/// How to reach a VNC server from this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VncTarget {
    /// Through `virDomainOpenGraphicsFD` (local connections).
    Fd,
    Tcp {
        host: String,
        port: u16,
    },
}

/// The graphics and text consoles of a domain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleDevices {
    pub graphics: Vec<Graphics>,
    /// Alias names of `<serial>` and `<console>` devices that `virDomainOpenConsole`
    /// can open (pty-backed), in document order, without duplicates.
    pub text: Vec<String>,
}

impl ConsoleDevices {
    /// The index (for `virDomainOpenGraphicsFD`) and device of the first VNC display.
    pub fn vnc(&self) -> Option<(usize, &Graphics)> {
        self.graphics
            .iter()
            .enumerate()
            .find(|(_, g)| g.kind == GraphicsKind::Vnc)
    }

    pub fn has_spice(&self) -> bool {
        self.graphics.iter().any(|g| g.kind == GraphicsKind::Spice)
    }

    /// The protocols of the displays the console can show, SPICE first.
    pub fn protocols(&self) -> Vec<Protocol> {
        let mut v = Vec::new();
        if self.has_spice() {
            v.push(Protocol::Spice);
        }
        if self.vnc().is_some() {
            v.push(Protocol::Vnc);
        }
        v
    }

    /// The display to show: the first of protocol `want` when the guest has one, else
    /// SPICE (what virt-manager gives new guests, with the agent's features), else VNC.
    /// With its index for `virDomainOpenGraphicsFD`.
    pub fn pick(&self, want: Option<Protocol>) -> Option<(usize, &Graphics, Protocol)> {
        let of = |p: Protocol| {
            let kind = match p {
                Protocol::Vnc => GraphicsKind::Vnc,
                Protocol::Spice => GraphicsKind::Spice,
            };
            self.graphics
                .iter()
                .enumerate()
                .find(|(_, g)| g.kind == kind)
                .map(|(i, g)| (i, g, p))
        };
        want.and_then(of)
            .or_else(|| of(Protocol::Spice))
            .or_else(|| of(Protocol::Vnc))
    }
}

fn attr(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// Read the console devices from a domain's XML. Malformed XML is an error.
pub fn parse_devices(xml: &str) -> std::result::Result<ConsoleDevices, String> {
    let mut reader = Reader::from_str(xml);
    let mut out = ConsoleDevices::default();
    let mut path: Vec<String> = Vec::new();
    // The text device being read: (type, alias).
    let mut text_dev: Option<(String, Option<String>)> = None;
    loop {
        let (e, empty) = match reader.read_event() {
            Err(e) => return Err(e.to_string()),
            Ok(XmlEvent::Eof) => break,
            Ok(XmlEvent::Start(e)) => (e, false),
            Ok(XmlEvent::Empty(e)) => (e, true),
            Ok(XmlEvent::End(_)) => {
                if let Some(name) = path.pop() {
                    if path.len() == 2 && (name == "serial" || name == "console") {
                        finish_text(&mut out, text_dev.take());
                    }
                }
                continue;
            }
            Ok(_) => continue,
        };
        let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
        let in_devices = path.len() == 2 && path[0] == "domain" && path[1] == "devices";
        if in_devices && name == "graphics" {
            let kind = match attr(&e, b"type").as_deref() {
                Some("vnc") => GraphicsKind::Vnc,
                Some("spice") => GraphicsKind::Spice,
                other => GraphicsKind::Other(other.unwrap_or_default().to_string()),
            };
            let port_of = |name: &[u8]| {
                attr(&e, name)
                    .and_then(|p| p.parse::<i32>().ok())
                    .filter(|p| *p > 0 && *p <= u16::MAX as i32)
                    .map(|p| p as u16)
            };
            out.graphics.push(Graphics {
                kind,
                port: port_of(b"port"),
                tls_port: port_of(b"tlsPort"),
                listen: attr(&e, b"listen").filter(|l| !l.is_empty()),
                socket: attr(&e, b"socket"),
                secure: attr(&e, b"defaultMode").as_deref() == Some("secure"),
            });
        } else if path.len() == 3 && path[2] == "graphics" && name == "channel" {
            if let Some(g) = out.graphics.last_mut() {
                g.secure |= attr(&e, b"mode").as_deref() == Some("secure");
            }
        } else if path.len() == 3 && path[2] == "graphics" && name == "listen" {
            if let Some(g) = out.graphics.last_mut() {
                match attr(&e, b"type").as_deref() {
                    Some("socket") => g.socket = g.socket.take().or(attr(&e, b"socket")),
                    _ => g.listen = g.listen.take().or(attr(&e, b"address")),
                }
            }
        } else if in_devices && (name == "serial" || name == "console") {
            let t = attr(&e, b"type").unwrap_or_default();
            if empty {
                finish_text(&mut out, Some((t, None)));
            } else {
                text_dev = Some((t, None));
            }
        } else if path.len() == 3
            && (path[2] == "serial" || path[2] == "console")
            && name == "alias"
        {
            if let Some((_, alias)) = text_dev.as_mut() {
                *alias = attr(&e, b"name");
            }
        }
        if !empty {
            path.push(name);
        }
    }
    Ok(out)
}

fn finish_text(out: &mut ConsoleDevices, dev: Option<(String, Option<String>)>) {
    let Some((t, alias)) = dev else { return };
    // Only pty-backed devices can be opened as a console stream.
    if t != "pty" {
        return;
    }
    let alias = alias.unwrap_or_else(|| format!("serial{}", out.text.len()));
    if !out.text.contains(&alias) {
        out.text.push(alias);
    }
}

/// Where to connect for `g`, seen from a client of the connection `uri`: `None` when
/// the display cannot be reached over TCP (UNIX socket only, no port).
pub fn tcp_target(g: &Graphics, uri_host: Option<&str>) -> Option<VncTarget> {
    let port = g.port?;
    let listen = g.listen.clone().unwrap_or_else(|| "127.0.0.1".into());
    let wildcard = matches!(listen.as_str(), "0.0.0.0" | "::" | "[::]" | "");
    let host = match uri_host {
        // A remote hypervisor: a wildcard or its own loopback means the host itself.
        Some(h) if wildcard || listen.starts_with("127.") || listen == "::1" => h.to_string(),
        _ if wildcard => "127.0.0.1".into(),
        _ => listen,
    };
    Some(VncTarget::Tcp { host, port })
}

/// Where the display listens as seen from the hypervisor's host itself (the far end of
/// an SSH tunnel): its TCP port, else its UNIX socket; `None` when it listens nowhere.
pub fn tunnel_target(g: &Graphics) -> Option<crate::backend::conn::ssh_tunnel::TunnelTarget> {
    use crate::backend::conn::ssh_tunnel::TunnelTarget;
    if let Some(VncTarget::Tcp { host, port }) = tcp_target(g, None) {
        return Some(TunnelTarget::Tcp { host, port });
    }
    g.socket.clone().map(TunnelTarget::Unix)
}

/// A text console: bytes from the guest arrive on `output` (closed when the console
/// ends); what is written with [`SerialConsole::write`] goes to the guest. Two threads
/// of its own do the blocking stream calls, never the caller's.
pub struct SerialConsole {
    input: std::sync::mpsc::Sender<Vec<u8>>,
    pub output: async_channel::Receiver<std::result::Result<Vec<u8>, String>>,
}

impl SerialConsole {
    /// Pump `stream` (already opened on a console) until it ends or this is dropped.
    pub fn start(stream: Stream) -> SerialConsole {
        let stream = Arc::new(stream);
        let (in_tx, in_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let (out_tx, out_rx) = async_channel::unbounded();
        let reader = stream.clone();
        let _ = std::thread::Builder::new()
            .name("console read".into())
            .spawn(move || {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match reader.recv(&mut buf) {
                        Ok(0) => break,
                        Ok(n) if n > 0 => {
                            if out_tx
                                .send_blocking(Ok(buf[..n as usize].to_vec()))
                                .is_err()
                            {
                                break;
                            }
                        }
                        Ok(_) => continue,
                        Err(e) => {
                            let _ = out_tx.send_blocking(Err(e.message().to_string()));
                            break;
                        }
                    }
                }
            });
        let _ = std::thread::Builder::new()
            .name("console write".into())
            .spawn(move || {
                while let Ok(data) = in_rx.recv() {
                    let mut rest = &data[..];
                    while !rest.is_empty() {
                        match stream.send(rest) {
                            Ok(n) if n > 0 => rest = &rest[n as usize..],
                            _ => break,
                        }
                    }
                }
                // The console is closed: end the stream, which also wakes the reader.
                // SAFETY: the stream pointer is valid while `stream` lives; abort on a
                // stream that already ended only returns an error.
                unsafe {
                    sys::virStreamAbort(stream.as_ptr());
                }
            });
        SerialConsole {
            input: in_tx,
            output: out_rx,
        }
    }

    /// Send bytes to the guest (never blocks).
    pub fn write(&self, data: &[u8]) {
        let _ = self.input.send(data.to_vec());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = "<domain type='qemu' id='3'>
  <name>g</name>
  <devices>
    <serial type='pty'>
      <source path='/dev/pts/4'/>
      <target type='isa-serial' port='0'/>
      <alias name='serial0'/>
    </serial>
    <console type='pty' tty='/dev/pts/4'>
      <target type='serial' port='0'/>
      <alias name='serial0'/>
    </console>
    <serial type='file'><source path='/tmp/x'/><alias name='serial1'/></serial>
    <graphics type='spice' port='5901' tlsPort='5902' autoport='yes'/>
    <graphics type='vnc' port='5900' autoport='yes' listen='127.0.0.1'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
    <video><model type='vga'/></video>
  </devices>
</domain>";

    #[test]
    fn reads_graphics_and_text_consoles() {
        let d = parse_devices(XML).unwrap();
        assert_eq!(d.graphics.len(), 2);
        assert!(d.has_spice());
        let (idx, vnc) = d.vnc().unwrap();
        assert_eq!(idx, 1);
        assert_eq!(vnc.port, Some(5900));
        assert_eq!(vnc.listen.as_deref(), Some("127.0.0.1"));
        assert_eq!(d.text, vec!["serial0".to_string()]);
        // SPICE is preferred; VNC when asked for.
        assert_eq!(d.protocols(), vec![Protocol::Spice, Protocol::Vnc]);
        let (i, g, p) = d.pick(None).unwrap();
        assert_eq!((i, g.port, p), (0, Some(5901), Protocol::Spice));
        assert_eq!(g.tls_port, Some(5902));
        let (i, _, p) = d.pick(Some(Protocol::Vnc)).unwrap();
        assert_eq!((i, p), (1, Protocol::Vnc));
        // Both ports, every channel as the client likes: no TLS needed.
        assert!(!g.needs_tls());
    }

    #[test]
    fn a_spice_display_that_must_be_encrypted_is_told_apart() {
        let spice = |attrs: &str, inner: &str| {
            let xml = format!(
                "<domain><devices><graphics type='spice' {attrs}>{inner}</graphics>\
                 </devices></domain>"
            );
            parse_devices(&xml).unwrap().graphics[0].needs_tls()
        };
        assert!(spice("port='-1' tlsPort='5901' defaultMode='secure'", ""));
        // No plain port at all, whatever the modes say.
        assert!(spice("tlsPort='5901'", ""));
        assert!(spice(
            "port='5900' tlsPort='5901'",
            "<channel name='main' mode='secure'/><channel name='inputs' mode='insecure'/>"
        ));
        assert!(!spice(
            "port='5900' tlsPort='5901'",
            "<channel name='inputs' mode='insecure'/>"
        ));
        // Without a TLS port nothing can be encrypted (libvirt without spice_tls).
        assert!(!spice("port='5900' defaultMode='secure'", ""));
    }

    #[test]
    fn listen_element_and_socket() {
        let d = parse_devices(
            "<domain><devices><graphics type='vnc' port='-1' autoport='yes'>\
             <listen type='socket' socket='/run/vnc.sock'/></graphics>\
             <graphics type='vnc' port='5902'><listen type='address' address='0.0.0.0'/>\
             </graphics></devices></domain>",
        )
        .unwrap();
        assert_eq!(d.graphics[0].port, None);
        assert_eq!(d.graphics[0].socket.as_deref(), Some("/run/vnc.sock"));
        assert_eq!(tcp_target(&d.graphics[0], None), None);
        assert_eq!(d.graphics[1].listen.as_deref(), Some("0.0.0.0"));
        assert_eq!(
            tcp_target(&d.graphics[1], Some("kvm.example")),
            Some(VncTarget::Tcp {
                host: "kvm.example".into(),
                port: 5902
            })
        );
        assert_eq!(
            tcp_target(&d.graphics[1], None),
            Some(VncTarget::Tcp {
                host: "127.0.0.1".into(),
                port: 5902
            })
        );
    }

    #[test]
    fn tunnel_targets_are_seen_from_the_host() {
        use crate::backend::conn::ssh_tunnel::TunnelTarget;
        let d = parse_devices(
            "<domain><devices><graphics type='vnc' port='5903' listen='0.0.0.0'/>\
             <graphics type='vnc' port='-1'><listen type='socket' socket='/run/v.sock'/>\
             </graphics><graphics type='vnc' port='5904' listen='192.0.2.7'/>\
             <graphics type='vnc' port='-1'/></devices></domain>",
        )
        .unwrap();
        let t: Vec<_> = d.graphics.iter().map(tunnel_target).collect();
        assert_eq!(
            t[0],
            Some(TunnelTarget::Tcp {
                host: "127.0.0.1".into(),
                port: 5903
            })
        );
        assert_eq!(t[1], Some(TunnelTarget::Unix("/run/v.sock".into())));
        assert_eq!(
            t[2],
            Some(TunnelTarget::Tcp {
                host: "192.0.2.7".into(),
                port: 5904
            })
        );
        assert_eq!(t[3], None);
    }

    #[test]
    fn no_devices_and_bad_xml() {
        let d = parse_devices("<domain><devices/></domain>").unwrap();
        assert!(d.vnc().is_none() && d.text.is_empty());
        assert!(d.pick(Some(Protocol::Spice)).is_none() && d.protocols().is_empty());
        assert!(parse_devices("<domain><devices><graphics").is_err());
    }
}
