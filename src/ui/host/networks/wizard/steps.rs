//! The wizard's steps: the form as the fields hold it, checked as typed, the buttons
//! that go on, and Create.

use super::*;

impl NetworkWizard {
    /// Put a form's values in the fields.
    pub fn fill(&self, f: &NetworkForm) {
        let was = self.filling.replace(true);
        let set = |field: Field, v: &str| {
            if let Some(i) = self.inputs.borrow().get(&field) {
                (i.set)(v);
            }
        };
        set(Field::Name, &f.name);
        set(Field::Bridge, &f.bridge);
        set(Field::Ipv4Net, &f.ipv4_net);
        set(Field::Ipv4Gateway, &f.ipv4_gateway);
        set(Field::Dhcp4, &f.dhcp4_start);
        set(Field::Dhcp4End, &f.dhcp4_end);
        set(Field::Ipv6Net, &f.ipv6_net);
        set(Field::Ipv6Gateway, &f.ipv6_gateway);
        set(Field::Dhcp6, &f.dhcp6_start);
        set(Field::Dhcp6End, &f.dhcp6_end);
        set(Field::Domain, &f.domain);
        set(Field::Mtu, &f.mtu);
        set(Field::Hosts, &f.hosts);
        set(Field::DnsHosts, &f.dns_hosts);
        self.ipv4.set_active(f.ipv4);
        self.dhcp4.set_active(f.dhcp4);
        self.ipv6.set_active(f.ipv6);
        self.dhcp6.set_active(f.dhcp6);
        if let Some(pos) = MODES.iter().position(|m| *m == f.mode) {
            self.mode.set_selected(pos as u32);
        }
        // Defaults are not the person's typing: no "Required" before they touch.
        self.touched.borrow_mut().clear();
        self.edited.borrow_mut().clear();
        self.filling.set(was);
        self.revalidate();
    }

    /// The form as the fields hold it now.
    pub fn form(&self) -> NetworkForm {
        let inputs = self.inputs.borrow();
        let get = |f: Field| inputs.get(&f).map(|i| (i.get)()).unwrap_or_default();
        let device = get(Field::Device);
        NetworkForm {
            name: get(Field::Name),
            mode: self.mode(),
            device: (!device.is_empty()).then_some(device),
            bridge: get(Field::Bridge),
            ipv4: self.ipv4.is_active(),
            ipv4_net: get(Field::Ipv4Net),
            ipv4_gateway: get(Field::Ipv4Gateway),
            dhcp4: self.dhcp4.is_active(),
            dhcp4_start: get(Field::Dhcp4),
            dhcp4_end: get(Field::Dhcp4End),
            ipv6: self.ipv6.is_active(),
            ipv6_net: get(Field::Ipv6Net),
            ipv6_gateway: get(Field::Ipv6Gateway),
            dhcp6: self.dhcp6.is_active(),
            dhcp6_start: get(Field::Dhcp6),
            dhcp6_end: get(Field::Dhcp6End),
            domain: get(Field::Domain),
            mtu: get(Field::Mtu),
            hosts: get(Field::Hosts),
            dns_hosts: get(Field::DnsHosts),
        }
    }

    /// Check everything; show each problem under its field; enable what may go on.
    pub(super) fn revalidate(&self) {
        let i = self;
        if i.inputs.borrow().is_empty() {
            return;
        }
        let form = self.form();
        let (problems, spec) = check_form(&form, &i.ctx.borrow());
        let touched = i.touched.borrow().clone();
        for (field, input) in i.inputs.borrow().iter() {
            let p = problems.iter().find(|p| p.field == *field);
            match p {
                // A required field left empty is only pointed at once touched.
                Some(p)
                    if touched.contains(field)
                        || p.problem != crate::backend::network::check::Problem::Empty =>
                {
                    input.error.set_label(&p.message());
                    input.error.set_visible(true);
                }
                _ => input.error.set_visible(false),
            }
        }
        if let Some(spec) = &spec {
            i.summary.buffer().set_text(&spec.to_xml());
            self.show_summary(spec);
        }
        i.spec.replace(spec);
        i.problems.replace(problems);
        self.update_buttons();
    }

    pub(super) fn step_valid(&self, step: u32) -> bool {
        let fields = step_fields(step);
        !self
            .problems
            .borrow()
            .iter()
            .any(|p| fields.contains(&p.field))
    }

    pub(super) fn update_buttons(&self) {
        let i = self;
        let step = i.step.get();
        i.back.set_visible(step > 0);
        i.next.set_visible(step < 3);
        i.next.set_sensitive(self.step_valid(step));
        i.create.set_visible(step == 3);
        i.create
            .set_sensitive(i.spec.borrow().is_some() && !i.busy.get());
    }

    /// Show a step (0–3). Going forward needs the steps before it valid.
    pub fn go_to(&self, step: u32) -> bool {
        let step = step.min(3);
        if (0..step).any(|s| !self.step_valid(s)) {
            return false;
        }
        // Addresses make no sense for bridge and macvtap modes: skip that step.
        let mode = self.mode();
        let skip = !mode.has_own_bridge() && (step == 1 || step == 2);
        let step = if skip {
            if step > self.step.get() {
                3
            } else {
                0
            }
        } else {
            step
        };
        self.step.set(step);
        self.stack.set_visible_child_name(&step.to_string());
        self.title.set_subtitle(&gettext_f(
            "Step {n} of 4: {title}",
            &[
                ("n", &(step + 1).to_string()),
                ("title", &self.step_titles[step as usize]),
            ],
        ));
        self.update_buttons();
        true
    }

    pub fn step(&self) -> u32 {
        self.step.get()
    }

    /// The message shown under a field, if one is shown.
    pub fn shown_error(&self, field: Field) -> Option<String> {
        let inputs = self.inputs.borrow();
        let i = inputs.get(&field)?;
        i.error.is_visible().then(|| i.error.label().to_string())
    }

    pub fn can_go_next(&self) -> bool {
        self.next.is_visible() && self.next.is_sensitive()
    }

    pub fn can_create(&self) -> bool {
        self.create.is_visible() && self.create.is_sensitive()
    }

    /// Define and start the network; the wizard closes when it worked.
    pub fn create(&self) {
        let Some(xml) = self.spec.borrow().as_ref().map(NetworkSpec::to_xml) else {
            return;
        };
        if self.busy.replace(true) {
            return;
        }
        self.update_buttons();
        let autostart = self.autostart.is_active();
        let backend = self.conn.backend().clone();
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = backend.create_network(xml, autostart).await;
            let Some(inner) = this.upgrade() else { return };
            inner.busy.set(false);
            match r {
                Ok(uuid) => {
                    inner.emit_by_name::<()>("created", &[&uuid]);
                    inner.close();
                }
                Err(e) => {
                    crate::ui::error::show_dialog(
                        inner.window(),
                        &gettext("Could not create the network"),
                        &e,
                    );
                    inner.update_buttons();
                }
            }
        });
    }
}
