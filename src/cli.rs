//! The command line, with virt-manager's options where they make sense.

/// What the person asked for on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `-c/--connect URI`: open this connection for this run, without saving it.
    pub connect: Option<String>,
    /// More `--connect URI`s: every host of a fleet at once (the `--show-…` options
    /// and `--new-vm` go with the first).
    pub more_connections: Vec<String>,
    pub debug: bool,
    pub show_domain_editor: Option<String>,
    pub show_domain_performance: Option<String>,
    pub show_domain_console: Option<String>,
    pub show_host_summary: bool,
    /// `--new-vm`: open the New Virtual Machine wizard on the connection.
    pub new_vm: bool,
    /// `--iso PATH`: the wizard's disc image.
    pub iso: Option<String>,
    /// `--os ID`: the wizard's operating system (a libosinfo short or full id).
    pub os: Option<String>,
    pub help: bool,
    pub version: bool,
}

pub const USAGE: &str = "Usage: hangar [OPTION…]

Manage virtual machines on libvirt.

Options:
  -c, --connect URI                  Connect to this hypervisor (not remembered;
                                     repeat it for several)
      --debug                        Print debugging output
      --show-domain-editor NAME|ID|UUID
                                     Show the details of a virtual machine
      --show-domain-performance NAME|ID|UUID
                                     Show the performance of a virtual machine
      --show-domain-console NAME|ID|UUID
                                     Show the console of a virtual machine
      --show-host-summary            Show the host's summary
      --new-vm                       Open the New Virtual Machine wizard
      --iso PATH                     … with this disc image
      --os ID                        … with this operating system (e.g. debian11)
  -h, --help                         Show this help
      --version                      Show the version
";

/// Parse arguments (without the program name). Errors say what was wrong.
pub fn parse<I, S>(args: I) -> Result<Options, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut o = Options::default();
    let mut it = args.into_iter().map(|s| s.as_ref().to_string()).peekable();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone().or_else(|| it.next()) {
                Some(v) if !v.is_empty() => Ok(v),
                _ => Err(format!("option {name} needs a value")),
            }
        };
        match flag.as_str() {
            "-c" | "--connect" => {
                let uri = value("--connect")?;
                if o.connect.is_none() {
                    o.connect = Some(uri);
                } else {
                    o.more_connections.push(uri);
                }
            }
            "--debug" => o.debug = true,
            "--show-domain-editor" => o.show_domain_editor = Some(value(&flag)?),
            "--show-domain-performance" => o.show_domain_performance = Some(value(&flag)?),
            "--show-domain-console" => o.show_domain_console = Some(value(&flag)?),
            "--show-host-summary" => o.show_host_summary = true,
            "--new-vm" => o.new_vm = true,
            "--iso" => o.iso = Some(value(&flag)?),
            "--os" => o.os = Some(value(&flag)?),
            "-h" | "--help" => o.help = true,
            "--version" => o.version = true,
            "--no-fork" => {}
            other => return Err(format!("unknown option “{other}”")),
        }
    }
    if (o.show_domain_editor.is_some()
        || o.show_domain_performance.is_some()
        || o.show_domain_console.is_some()
        || o.show_host_summary)
        && o.connect.is_none()
    {
        return Err("--show-… options need --connect URI".into());
    }
    if (o.iso.is_some() || o.os.is_some()) && !o.new_vm {
        return Err("--iso and --os go with --new-vm".into());
    }
    if o.new_vm && o.connect.is_none() {
        return Err("--new-vm needs --connect URI".into());
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connects_to_several_hosts() {
        let o = parse(["-c", "qemu:///system", "--connect", "qemu+ssh://b/system"]).unwrap();
        assert_eq!(o.connect.as_deref(), Some("qemu:///system"));
        assert_eq!(o.more_connections, ["qemu+ssh://b/system"]);
        let o = parse(["--connect=a", "--connect=b", "--connect=c"]).unwrap();
        assert_eq!(o.more_connections, ["b", "c"]);
    }

    #[test]
    fn parses_the_new_vm_options() {
        let o = parse([
            "-c",
            "qemu:///system",
            "--new-vm",
            "--iso",
            "/i.iso",
            "--os=debian11",
        ])
        .unwrap();
        assert!(o.new_vm);
        assert_eq!(o.iso.as_deref(), Some("/i.iso"));
        assert_eq!(o.os.as_deref(), Some("debian11"));
        assert!(parse(["--new-vm"]).unwrap_err().contains("--connect"));
        assert!(parse(["-c", "x", "--iso", "/i.iso"])
            .unwrap_err()
            .contains("--new-vm"));
    }

    #[test]
    fn parses_virt_manager_options() {
        let o = parse(["-c", "qemu:///system", "--show-domain-editor", "web"]).unwrap();
        assert_eq!(o.connect.as_deref(), Some("qemu:///system"));
        assert_eq!(o.show_domain_editor.as_deref(), Some("web"));
        let o = parse([
            "--connect=test:///default",
            "--debug",
            "--show-host-summary",
        ])
        .unwrap();
        assert!(o.debug && o.show_host_summary);
        assert_eq!(o.connect.as_deref(), Some("test:///default"));
        assert!(parse(["--connect"]).unwrap_err().contains("needs a value"));
        assert!(parse(["--bogus"]).unwrap_err().contains("--bogus"));
        let o = parse(["-c", "qemu:///system", "--show-domain-console=web"]).unwrap();
        assert_eq!(o.show_domain_console.as_deref(), Some("web"));
        assert!(parse(["--show-domain-console", "web"])
            .unwrap_err()
            .contains("--connect"));
        assert!(parse(["--show-host-summary"])
            .unwrap_err()
            .contains("--connect"));
    }
}
