//! The architecture and machine type of the new machine, from the host's
//! capabilities: the host's own architecture first (with KVM when it has it), the
//! others emulated by QEMU (TCG, many times slower). The machine type is automatic unless
//! the person picks one of the host's list.

use super::*;

impl NewVmWizard {
    /// Fill the architecture list from the host's facts (x86_64 when they are not
    /// known yet).
    pub(super) fn load_arches(&self) {
        let host = self.conn.host_info();
        let native = host
            .as_ref()
            .and_then(|h| h.arch.clone())
            .unwrap_or_else(|| "x86_64".into());
        let mut guests = host.map(|h| h.guests).unwrap_or_default();
        if guests.is_empty() {
            guests.push(GuestArch {
                arch: native.clone(),
                ..Default::default()
            });
        }
        // The host's own first, then x86_64, then by name.
        guests.sort_by_key(|g| (g.arch != native, g.arch != "x86_64", g.arch.clone()));
        let labels: Vec<String> = guests
            .iter()
            .map(|g| {
                if g.accelerated() {
                    gettext_f("{arch} (KVM)", &[("arch", &g.arch)])
                } else {
                    gettext_f("{arch} (emulated)", &[("arch", &g.arch)])
                }
            })
            .collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        self.guests.replace(guests);
        self.arch.set_model(Some(&gtk::StringList::new(&labels)));
        self.arch.set_selected(0);
        self.fill_machines();
    }

    /// The chosen architecture's machine types, "Automatic" first.
    pub(super) fn fill_machines(&self) {
        let g = self.guest_arch();
        let mut labels = vec![gettext("Automatic")];
        labels.extend(g.machines.iter().cloned());
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        self.machine.set_model(Some(&gtk::StringList::new(&labels)));
        self.machine.set_selected(0);
        self.show_arch_choice();
        // Another architecture: the OS's recommendation for it.
        let chosen = self.chosen_os.borrow().clone();
        if let Some(e) = chosen {
            self.apply_os_defaults(&e);
        }
    }

    /// The choice in the expander's subtitle, so it shows while folded.
    pub(super) fn show_arch_choice(&self) {
        let g = self.guest_arch();
        let machine = self
            .chosen_machine()
            .unwrap_or_else(|| gettext("automatic machine type"));
        self.arch_options
            .set_subtitle(&format!("{} · {machine}", g.arch));
    }

    /// The chosen architecture.
    pub(super) fn guest_arch(&self) -> GuestArch {
        self.guests
            .borrow()
            .get(self.arch.selected() as usize)
            .cloned()
            .unwrap_or_else(|| GuestArch {
                arch: "x86_64".into(),
                ..Default::default()
            })
    }

    /// The machine type picked, or None for the usual one.
    pub(super) fn chosen_machine(&self) -> Option<String> {
        let i = self.machine.selected() as usize;
        if i == 0 {
            return None;
        }
        self.guest_arch().machines.get(i - 1).cloned()
    }
}
