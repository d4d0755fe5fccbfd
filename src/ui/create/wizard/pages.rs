//! The wizard's pages, built once, and their signals.

use super::*;

fn page(title: &str, description: &str) -> (gtk::Box, gtk::Box) {
    let outer = gtk::Box::new(gtk::Orientation::Vertical, 12);
    outer.set_margin_top(18);
    outer.set_margin_bottom(18);
    outer.set_margin_start(18);
    outer.set_margin_end(18);
    let t = gtk::Label::builder()
        .label(title)
        .xalign(0.0)
        .css_classes(["title-2"])
        .build();
    let d = gtk::Label::builder()
        .label(description)
        .xalign(0.0)
        .wrap(true)
        .css_classes(["dim-label"])
        .build();
    outer.append(&t);
    outer.append(&d);
    let body = gtk::Box::new(gtk::Orientation::Vertical, 12);
    body.set_vexpand(true);
    outer.append(&body);
    (outer, body)
}

fn radio(label: &str, group: Option<&gtk::CheckButton>) -> gtk::CheckButton {
    let b = gtk::CheckButton::with_mnemonic(label);
    if let Some(g) = group {
        b.set_group(Some(g));
    }
    b
}

impl NewVmWizard {
    /// The pages and the header, set as the window's content; their parts.
    pub(super) fn build_parts(&self, conn: &Connection) -> WizardParts {
        let window = self;
        // The host under the title: a long connection name never hides the title.
        let header = adw::HeaderBar::builder()
            .show_end_title_buttons(false)
            .title_widget(&adw::WindowTitle::new(
                &gettext("New Virtual Machine"),
                &conn.label(),
            ))
            .build();
        let cancel = gtk::Button::with_mnemonic(&gettext("_Cancel"));
        let back = gtk::Button::with_mnemonic(&gettext("_Back"));
        let next = gtk::Button::with_mnemonic(&gettext("_Next"));
        next.add_css_class("suggested-action");
        let create = gtk::Button::with_mnemonic(&gettext("C_reate"));
        create.add_css_class("suggested-action");
        header.pack_start(&cancel);
        header.pack_start(&back);
        header.pack_end(&create);
        header.pack_end(&next);
        let w = window.downgrade();
        cancel.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.close();
            }
        });
        let stack = gtk::Stack::builder()
            .transition_type(gtk::StackTransitionType::SlideLeftRight)
            .vexpand(true)
            .build();

        // 1. Source
        let (p, body) = page(
            &gettext("How will the system be installed?"),
            &gettext("From a disc image, from a disk that already has a system, or later."),
        );
        let media = radio(&gettext("From a _disc image (ISO)"), None);
        let import = radio(&gettext("_Import an existing disk image"), Some(&media));
        let manual = radio(&gettext("_Manual: no media now"), Some(&media));
        let network_install = radio(
            &gettext("From an installation tree on the _network (URL)"),
            Some(&media),
        );
        let cloud = radio(
            &gettext("From a c_loud image (cloud-init: user and SSH key)"),
            Some(&media),
        );
        media.set_active(true);
        let media_path = adw::EntryRow::builder()
            .title(gettext("Disc image"))
            .build();
        let browse = gtk::Button::builder()
            .icon_name("document-open-symbolic")
            .valign(gtk::Align::Center)
            .tooltip_text(gettext("Choose a file"))
            .css_classes(["flat"])
            .build();
        media_path.add_suffix(&browse);
        let disk_path = adw::EntryRow::builder()
            .title(gettext("Disk image"))
            .visible(false)
            .build();
        // A volume of any pool, on remote connections too.
        for row in [&media_path, &disk_path] {
            let volumes = gtk::Button::builder()
                .icon_name("drive-multidisk-symbolic")
                .valign(gtk::Align::Center)
                .tooltip_text(gettext("Choose a volume of a storage pool"))
                .css_classes(["flat"])
                .build();
            row.add_suffix(&volumes);
            let entry = row.clone();
            let c = conn.clone();
            volumes.connect_clicked(move |btn| {
                let parent = btn.root().and_downcast::<gtk::Window>();
                let entry = entry.clone();
                let pick: crate::ui::components::volumes::OnSource =
                    std::rc::Rc::new(move |path, _format| entry.set_text(&path));
                let browser =
                    crate::ui::components::volumes::VolumeBrowser::new(parent.as_ref(), pick);
                browser.load(&c);
                browser.present();
            });
        }
        let g = adw::PreferencesGroup::new();
        g.add(&media_path);
        g.add(&disk_path);
        for b in [&media, &network_install, &import, &manual, &cloud] {
            body.append(b);
        }
        let tree_url = adw::EntryRow::builder()
            .title(gettext("Tree URL"))
            .visible(false)
            .build();
        let kernel_args = adw::EntryRow::builder()
            .title(gettext("Kernel arguments"))
            .visible(false)
            .build();
        let cloud_image = adw::EntryRow::builder()
            .title(gettext("Cloud image"))
            .visible(false)
            .build();
        let cloud_user = adw::EntryRow::builder()
            .title(gettext("User"))
            .visible(false)
            .build();
        let who = std::env::var("USER").unwrap_or_default();
        let valid =
            crate::backend::create::cloud::check_cloud(&crate::backend::create::cloud::CloudInit {
                user: who.clone(),
                ssh_key: "ssh-ed25519 x".into(),
                hostname: "h".into(),
            })
            .is_empty();
        cloud_user.set_text(if valid && who != "root" { &who } else { "user" });
        let cloud_key = adw::EntryRow::builder()
            .title(gettext("SSH public key"))
            .visible(false)
            .build();
        if let Some(k) = crate::backend::create::cloud::ssh_public_keys().first() {
            cloud_key.set_text(k);
        }
        g.add(&tree_url);
        g.add(&kernel_args);
        g.add(&cloud_image);
        g.add(&cloud_user);
        g.add(&cloud_key);
        body.append(&g);
        // The architecture and machine type, from the host's capabilities.
        let arch = adw::ComboRow::builder()
            .title(gettext("Architecture"))
            .build();
        let machine = adw::ComboRow::builder()
            .title(gettext("Machine type"))
            .build();
        let arch_options = adw::ExpanderRow::builder()
            .title(gettext("_Architecture options"))
            .use_underline(true)
            .build();
        arch_options.add_row(&arch);
        arch_options.add_row(&machine);
        let g = adw::PreferencesGroup::new();
        g.add(&arch_options);
        body.append(&g);
        stack.add_named(&p, Some("source"));

        // 2. OS
        let (p, body) = page(
            &gettext("Operating system"),
            &gettext("Its recommended memory, disk and devices come from libosinfo’s list."),
        );
        let detected = gtk::Label::builder().xalign(0.0).wrap(true).build();
        let os_search = gtk::SearchEntry::builder()
            .placeholder_text(gettext("Search: debian, fedora 37, windows…"))
            .build();
        os_search.update_property(&[gtk::accessible::Property::Label(&gettext(
            "Search operating systems",
        ))]);
        let os_list = gtk::ListBox::builder()
            .css_classes(["boxed-list"])
            .selection_mode(gtk::SelectionMode::Single)
            .build();
        os_list.update_property(&[gtk::accessible::Property::Label(&gettext(
            "Operating systems",
        ))]);
        let scroller = gtk::ScrolledWindow::builder()
            .child(&os_list)
            .vexpand(true)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build();
        body.append(&detected);
        body.append(&os_search);
        body.append(&scroller);
        stack.add_named(&p, Some("os"));

        // 3. Resources
        let (p, body) = page(
            &gettext("Memory and processors"),
            &gettext("What the operating system recommends, within what this host has."),
        );
        let memory = adw::EntryRow::builder().title(gettext("Memory")).build();
        memory.set_text("2 GiB");
        let vcpus = gtk::SpinButton::with_range(1.0, 512.0, 1.0);
        vcpus.set_value(2.0);
        vcpus.set_valign(gtk::Align::Center);
        let cpu_row = adw::ActionRow::builder()
            .title(gettext("Virtual CPUs"))
            .build();
        cpu_row.add_suffix(&vcpus);
        cpu_row.set_activatable_widget(Some(&vcpus));
        let g = adw::PreferencesGroup::new();
        g.add(&memory);
        g.add(&cpu_row);
        let host_note = gtk::Label::builder()
            .xalign(0.0)
            .css_classes(["caption", "dim-label"])
            .build();
        if let Some(h) = conn.host_info() {
            host_note.set_label(&gettext_f(
                "This host: {memory} of memory, {cpus} CPUs",
                &[
                    ("memory", &format_bytes(h.memory_kib * 1024)),
                    ("cpus", &h.cpus.to_string()),
                ],
            ));
            vcpus.set_range(1.0, h.cpus.max(1) as f64);
        }
        body.append(&g);
        body.append(&host_note);
        stack.add_named(&p, Some("resources"));

        // 4. Storage
        let (p, body) = page(
            &gettext("Storage"),
            &gettext("A new disk grows as the guest writes, up to its size."),
        );
        let new_disk = radio(&gettext("Create a _disk in the default pool"), None);
        let no_disk = radio(
            &gettext("_No disk (live system, or added later)"),
            Some(&new_disk),
        );
        new_disk.set_active(true);
        let disk_size = adw::EntryRow::builder().title(gettext("Size")).build();
        disk_size.set_text("20 GiB");
        let g = adw::PreferencesGroup::new();
        g.add(&disk_size);
        body.append(&new_disk);
        body.append(&g);
        body.append(&no_disk);
        stack.add_named(&p, Some("storage"));

        // 5. Express installation
        let (p, body) = page(
            &gettext("Express installation"),
            &gettext("Answer now, and the system installs without you."),
        );
        let express = ExpressForm::new();
        body.append(&express.page);
        let scroller = gtk::ScrolledWindow::builder()
            .child(&p)
            .vexpand(true)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build();
        stack.add_named(&scroller, Some("express"));

        // 6. Finish
        let (p, body) = page(
            &gettext("Ready to create"),
            &gettext("Name it, choose its network, and look it over first if you like."),
        );
        let name = adw::EntryRow::builder().title(gettext("Name")).build();
        let network = adw::ComboRow::builder().title(gettext("Network")).build();
        let firmware = adw::ComboRow::builder()
            .title(gettext("Firmware"))
            .subtitle(gettext(
                "Automatic: UEFI with Secure Boot and a TPM where the system needs them",
            ))
            .model(&gtk::StringList::new(&[
                &gettext("Automatic"),
                &gettext("BIOS"),
                &gettext("UEFI"),
            ]))
            .build();
        let g = adw::PreferencesGroup::new();
        g.add(&name);
        g.add(&network);
        g.add(&firmware);
        let customize = gtk::CheckButton::with_mnemonic(&gettext(
            "_Customize the hardware before the first start",
        ));
        let summary = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["dim-label"])
            .build();
        body.append(&g);
        body.append(&customize);
        body.append(&summary);
        stack.add_named(&p, Some("finish"));

        let message = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .margin_start(18)
            .margin_end(18)
            .margin_bottom(12)
            .css_classes(["caption"])
            .build();
        let grant = gtk::Button::builder()
            .label(gettext("_Let QEMU Read It"))
            .use_underline(true)
            .tooltip_text(gettext(
                "Give QEMU’s user passage through the folders and read access to the file (ACL entries), and nothing more",
            ))
            .halign(gtk::Align::End)
            .margin_end(18)
            .margin_bottom(12)
            .visible(false)
            .build();
        // Below the message (a wrapping label beside a button asks GTK for a height
        // it cannot give).
        let footer = gtk::Box::new(gtk::Orientation::Vertical, 0);
        footer.append(&message);
        footer.append(&grant);
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&stack);
        content.append(&footer);
        window.set_content(Some(&content));

        let b = browse.clone();
        let entry = media_path.clone();
        let win = window.downgrade();
        b.connect_clicked(move |_| {
            let entry = entry.clone();
            let parent = win.upgrade().map(|w| w.upcast::<gtk::Window>());
            crate::ui::host::storage::transfer::choose_upload(parent.as_ref(), move |p| {
                entry.set_text(&p.display().to_string());
            });
        });

        WizardParts {
            network_install,
            tree_url,
            kernel_args,
            tree_files: RefCell::new(None),
            cloud,
            cloud_image,
            cloud_user,
            cloud_key,
            stack,
            back,
            next,
            create,
            message,
            grant,
            grant_path: RefCell::new(None),
            media,
            import,
            manual,
            media_path,
            disk_path,
            detected,
            os_search,
            os_list,
            memory,
            vcpus,
            host_note,
            new_disk,
            no_disk,
            disk_size,
            arch_options,
            arch,
            machine,
            guests: RefCell::new(Vec::new()),
            express,
            scripts: RefCell::new(Vec::new()),
            media_boot: RefCell::new(None),
            name,
            network,
            firmware,
            customize,
            summary,
            os_entries: RefCell::new(Vec::new()),
            wanted_os: RefCell::new(None),
            chosen_os: RefCell::new(None),
            networks: RefCell::new(Vec::new()),
            host_choices: RefCell::new(Vec::new()),
            conn: conn.clone(),
            on_made: Rc::default(),
        }
    }

    /// The signals of the pages: each change checks the step again.
    pub(super) fn wire(&self) {
        let w = self.downgrade();
        self.next.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.go_next();
            }
        });
        let w = self.downgrade();
        self.back.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.go_back();
            }
        });
        let w = self.downgrade();
        self.create.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.run();
            }
        });
        for b in [
            &self.media,
            &self.import,
            &self.manual,
            &self.cloud,
            &self.network_install,
        ] {
            let w = self.downgrade();
            b.connect_toggled(move |_| {
                if let Some(w) = w.upgrade() {
                    w.media_path.set_visible(w.media.is_active());
                    w.disk_path.set_visible(w.import.is_active());
                    let u = w.network_install.is_active();
                    w.tree_url.set_visible(u);
                    w.kernel_args.set_visible(u);
                    let c = w.cloud.is_active();
                    for r in [&w.cloud_image, &w.cloud_user, &w.cloud_key] {
                        r.set_visible(c);
                    }
                    // Another source: detect again.
                    w.chosen_os.replace(None);
                    w.check();
                }
            });
        }
        for e in [
            &self.media_path,
            &self.disk_path,
            &self.memory,
            &self.disk_size,
            &self.name,
            &self.cloud_image,
            &self.cloud_user,
            &self.cloud_key,
            &self.tree_url,
        ] {
            let w = self.downgrade();
            e.connect_changed(move |_| {
                if let Some(w) = w.upgrade() {
                    w.check();
                }
            });
        }
        for e in self.express.editables() {
            let w = self.downgrade();
            e.downcast::<gtk::Editable>()
                .expect("an entry row")
                .connect_changed(move |_| {
                    if let Some(w) = w.upgrade() {
                        w.check();
                    }
                });
        }
        let w = self.downgrade();
        self.express.switch.connect_active_notify(move |_| {
            if let Some(w) = w.upgrade() {
                w.check();
            }
        });
        let w = self.downgrade();
        self.media_path.connect_changed(move |_| {
            if let Some(w) = w.upgrade() {
                w.chosen_os.replace(None);
            }
        });
        for b in [&self.new_disk, &self.no_disk] {
            let w = self.downgrade();
            b.connect_toggled(move |_| {
                if let Some(w) = w.upgrade() {
                    w.disk_size.set_sensitive(w.new_disk.is_active());
                    w.check();
                }
            });
        }
        let w = self.downgrade();
        self.firmware.connect_selected_notify(move |_| {
            if let Some(w) = w.upgrade() {
                w.check();
            }
        });
        let w = self.downgrade();
        self.grant.connect_clicked(move |_| {
            if let Some(w) = w.upgrade() {
                w.grant_access();
            }
        });
        let w = self.downgrade();
        self.arch.connect_selected_notify(move |_| {
            if let Some(w) = w.upgrade() {
                w.fill_machines();
            }
        });
        let w = self.downgrade();
        self.machine.connect_selected_notify(move |_| {
            if let Some(w) = w.upgrade() {
                w.show_arch_choice();
            }
        });
        let w = self.downgrade();
        self.os_search.connect_search_changed(move |_| {
            if let Some(w) = w.upgrade() {
                w.filter_os();
            }
        });
        let w = self.downgrade();
        self.os_list.connect_row_activated(move |_, row| {
            if let Some(w) = w.upgrade() {
                w.choose_os(&row.widget_name());
            }
        });
    }
}
