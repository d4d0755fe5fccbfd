//! The sidebar list: a tree of connections and their domains, filtered and sorted.

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::gio;

use super::Window;
use crate::backend::domain::DomainState;
use crate::model::{Connection, Vm};
use crate::ui::window::list_row::ListRow;

/// The state filter's choices, in the order of the drop-down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    All,
    Running,
    Paused,
    Shutoff,
    Other,
}

impl StateFilter {
    pub fn from_index(i: u32) -> StateFilter {
        match i {
            1 => StateFilter::Running,
            2 => StateFilter::Paused,
            3 => StateFilter::Shutoff,
            4 => StateFilter::Other,
            _ => StateFilter::All,
        }
    }

    pub fn matches(self, s: DomainState) -> bool {
        match self {
            StateFilter::All => true,
            StateFilter::Running => s.is_running(),
            StateFilter::Paused => matches!(s, DomainState::Paused | DomainState::PmSuspended),
            StateFilter::Shutoff => s == DomainState::Shutoff,
            StateFilter::Other => matches!(s, DomainState::Crashed | DomainState::NoState),
        }
    }
}

/// The tags of a machine: the `#words` of its title and description (libvirt has no
/// tags; these travel with the machine's XML).
pub fn tags(title: &str, description: &str) -> Vec<String> {
    title
        .split_whitespace()
        .chain(description.split_whitespace())
        .filter_map(|w| w.strip_prefix('#'))
        .map(|t| {
            t.trim_end_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|t| !t.is_empty())
        .collect()
}

/// Does a machine match the search, across hosts? Every word must: a plain word
/// matches the name, title, system (libosinfo id) or a tag; `host:`,
/// `os:`, `tag:` and `state:` look at that alone. Any case. `host` gives the
/// machine's host (its connection's name and address), asked only when needed.
pub fn matches_terms(vm: &Vm, host: impl Fn() -> String, needle: &str) -> bool {
    let needle = needle.to_lowercase();
    let mut host_text: Option<String> = None;
    let mut host_of = || {
        host_text
            .get_or_insert_with(|| host().to_lowercase())
            .clone()
    };
    needle.split_whitespace().all(|word| {
        let (key, value) = match word.split_once(':') {
            Some((k, v)) if matches!(k, "host" | "os" | "tag" | "state") => (k, v),
            _ => ("", word),
        };
        if value.is_empty() {
            return true;
        }
        let os = || vm.os_id().to_lowercase();
        let tagged = || {
            tags(&vm.title(), &vm.description())
                .iter()
                .any(|t| t.contains(value))
        };
        match key {
            "host" => host_of().contains(value),
            "os" => os().contains(value),
            "tag" => tagged(),
            "state" => crate::ui::components::state::state_label(vm.domain_state())
                .to_lowercase()
                .contains(value),
            _ => {
                vm.name().to_lowercase().contains(value)
                    || vm.title().to_lowercase().contains(value)
                    || os().contains(value)
                    || tagged()
            }
        }
    })
}

/// Does `vm` match the search text? (See [`matches_terms`]; its host is its
/// connection's name and URI.)
pub fn matches_search(vm: &Vm, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    matches_terms(
        vm,
        || {
            crate::model::Connection::of(vm)
                .map(|c| format!("{} {}", c.label(), c.uri()))
                .unwrap_or_default()
        },
        needle,
    )
}

fn state_rank(s: DomainState) -> u8 {
    match s {
        DomainState::Running | DomainState::Blocked => 0,
        DomainState::ShuttingDown => 1,
        DomainState::Paused | DomainState::PmSuspended => 2,
        DomainState::Crashed => 3,
        DomainState::Shutoff => 4,
        DomainState::NoState => 5,
    }
}

/// Natural-ish name order: case-insensitive, then exact.
fn name_order(a: &Vm, b: &Vm) -> std::cmp::Ordering {
    a.sort_name().cmp(&b.sort_name())
}

pub fn compare(a: &Vm, b: &Vm, key: &str) -> std::cmp::Ordering {
    let primary = match key {
        "state" => state_rank(a.domain_state()).cmp(&state_rank(b.domain_state())),
        "cpu" => b
            .cpu_percent()
            .partial_cmp(&a.cpu_percent())
            .unwrap_or(std::cmp::Ordering::Equal),
        "memory" => b.memory_kib().cmp(&a.memory_kib()),
        _ => std::cmp::Ordering::Equal,
    };
    primary.then_with(|| name_order(a, b))
}

impl Window {
    pub(super) fn setup_list(&self) {
        let imp = self.imp();
        let settings = self.settings().clone();

        let filter = {
            let entry = imp.search_entry.get();
            let dropdown = imp.state_filter.get();
            gtk::CustomFilter::new(move |obj| {
                let Some(vm) = obj.downcast_ref::<Vm>() else {
                    return true;
                };
                StateFilter::from_index(dropdown.selected()).matches(vm.domain_state())
                    && matches_search(vm, entry.text().trim())
            })
        };
        // The key is read from GSettings once per change, not once per comparison.
        let sort_key = std::rc::Rc::new(std::cell::RefCell::new(
            settings.string("sort-key").to_string(),
        ));
        let sorter = {
            let key = sort_key.clone();
            gtk::CustomSorter::new(move |a, b| {
                match (a.downcast_ref::<Vm>(), b.downcast_ref::<Vm>()) {
                    (Some(a), Some(b)) => compare(a, b, &key.borrow()).into(),
                    _ => gtk::Ordering::Equal,
                }
            })
        };
        let tree = {
            let filter = filter.clone();
            let sorter = sorter.clone();
            gtk::TreeListModel::new(self.connections().clone(), false, true, move |item| {
                let conn = item.downcast_ref::<Connection>()?;
                let filtered =
                    gtk::FilterListModel::new(Some(conn.domains()), Some(filter.clone()));
                let sorted = gtk::SortListModel::new(Some(filtered), Some(sorter.clone()));
                Some(sorted.upcast::<gio::ListModel>())
            })
        };
        let selection = gtk::MultiSelection::new(Some(tree.clone()));

        let factory = gtk::SignalListItemFactory::new();
        factory.connect_setup(|_, item| {
            let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
                return;
            };
            let expander = gtk::TreeExpander::new();
            expander.set_child(Some(&ListRow::new()));
            item.set_child(Some(&expander));
        });
        let this = self.downgrade();
        factory.connect_bind(move |_, item| {
            let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
                return;
            };
            let Some(row) = item.item().and_downcast::<gtk::TreeListRow>() else {
                return;
            };
            let Some(expander) = item.child().and_downcast::<gtk::TreeExpander>() else {
                return;
            };
            expander.set_list_row(Some(&row));
            if let (Some(child), Some(obj)) =
                (expander.child().and_downcast::<ListRow>(), row.item())
            {
                if let Some(this) = this.upgrade() {
                    child.set_thumbnails(this.list_thumbnails());
                }
                child.bind(&obj);
            }
        });
        factory.connect_unbind(|_, item| {
            let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
                return;
            };
            if let Some(expander) = item.child().and_downcast::<gtk::TreeExpander>() {
                if let Some(child) = expander.child().and_downcast::<ListRow>() {
                    child.unbind();
                }
                expander.set_list_row(None);
            }
        });
        imp.vm_list.set_factory(Some(&factory));
        imp.vm_list.set_model(Some(&selection));
        imp.vm_list.set_enable_rubberband(true);
        // The model's first screenful at start is what this list shows at its height
        // (a row is 43 pixels, 48 with a thumbnail; counted at 44, and one more: the
        // host's header row takes the height of one).
        if let Some(adj) = imp.vm_list.vadjustment() {
            adj.connect_page_size_notify(|adj| {
                // Unallocated (a folded window showing details): the last height holds.
                if adj.page_size() > 0.0 {
                    let rows = (adj.page_size() / 44.0).ceil() as usize + 1;
                    crate::model::set_rows_on_screen(rows);
                }
            });
        }

        let this = self.downgrade();
        selection.connect_selection_changed(move |_, _, _| {
            if let Some(this) = this.upgrade() {
                this.update_selection();
            }
        });
        let this = self.downgrade();
        imp.vm_list.connect_activate(move |_, _| {
            if let Some(this) = this.upgrade() {
                this.imp()
                    .leaflet
                    .navigate(adw::NavigationDirection::Forward);
            }
        });
        let this = self.downgrade();
        self.connections().connect_items_changed(move |_, _, _, _| {
            if let Some(this) = this.upgrade() {
                this.update_selection();
            }
        });
        let this = self.downgrade();
        tree.connect_items_changed(move |_, _, _, _| {
            if let Some(this) = this.upgrade() {
                this.update_sidebar_page();
            }
        });

        self.setup_context_menu();

        // Search and state filter.
        imp.search_bar.connect_entry(&imp.search_entry.get());
        imp.search_bar.set_key_capture_widget(Some(self));
        crate::ui::components::a11y::present_open_search_bar_only(&imp.search_bar);
        crate::ui::components::a11y::present_shown_page_only(&imp.sidebar_stack);
        crate::ui::components::a11y::present_shown_page_only(&imp.content_stack);
        let f = filter.clone();
        imp.search_entry.connect_search_changed(move |_| {
            f.changed(gtk::FilterChange::Different);
        });
        let f = filter.clone();
        imp.state_filter.connect_selected_notify(move |_| {
            f.changed(gtk::FilterChange::Different);
        });
        let s = sorter.clone();
        settings.connect_changed(Some("sort-key"), move |settings, _| {
            sort_key.replace(settings.string("sort-key").to_string());
            s.changed(gtk::SorterChange::Different);
        });

        let _ = imp.filter.set(filter);
        let _ = imp.sorter.set(sorter);
        let _ = imp.tree.set(tree);
        let _ = imp.selection.set(selection);
        self.update_sidebar_page();
    }

    /// Right-click (or long-press) on a row: select it unless it is part of the
    /// selection already, then offer what can be done to it.
    fn setup_context_menu(&self) {
        let list = self.list_view();
        let vm_menu = gio::Menu::new();
        let run = gio::Menu::new();
        for (label, action) in [
            (crate::i18n::gettext("_Run"), "win.start"),
            (crate::i18n::gettext("_Pause"), "win.pause"),
            (crate::i18n::gettext("Res_ume"), "win.resume"),
            (crate::i18n::gettext("Shut Do_wn"), "win.shutdown"),
            (crate::i18n::gettext("Re_boot"), "win.reboot"),
            (crate::i18n::gettext("_Force Off"), "win.force-off"),
        ] {
            let item = list_menu_item(&label, action);
            item.set_attribute_value("hidden-when", Some(&"action-disabled".to_variant()));
            run.append_item(&item);
        }
        vm_menu.append_section(None, &run);
        let more = gio::Menu::new();
        for (label, action) in [
            (crate::i18n::gettext("_Save State"), "win.save"),
            (crate::i18n::gettext("Start at _Host Boot"), "win.autostart"),
            (crate::i18n::gettext("Re_name…"), "win.rename"),
            (crate::i18n::gettext("_Clone…"), "win.clone"),
            (crate::i18n::gettext("_Migrate…"), "win.migrate"),
            (crate::i18n::gettext("Take _Snapshot"), "win.take-snapshot"),
            (crate::i18n::gettext("_Delete…"), "win.delete"),
        ] {
            more.append_item(&list_menu_item(&label, action));
        }
        vm_menu.append_section(None, &more);
        let conn_menu = gio::Menu::new();
        conn_menu.append(
            Some(&crate::i18n::gettext("_New Virtual Machine…")),
            Some("win.new-vm"),
        );
        for (label, action) in [
            (crate::i18n::gettext("_Connect"), "win.connect"),
            (crate::i18n::gettext("_Disconnect"), "win.disconnect"),
        ] {
            let item = gio::MenuItem::new(Some(&label), Some(action));
            item.set_attribute_value("hidden-when", Some(&"action-disabled".to_variant()));
            conn_menu.append_item(&item);
        }
        conn_menu.append(
            Some(&crate::i18n::gettext("_Remove Connection")),
            Some("win.remove-connection"),
        );
        let popover = gtk::PopoverMenu::from_model(None::<&gio::MenuModel>);
        popover.set_parent(&list);
        popover.set_has_arrow(false);
        popover.set_halign(gtk::Align::Start);
        let click = gtk::GestureClick::new();
        click.set_button(gtk::gdk::BUTTON_SECONDARY);
        let this = self.downgrade();
        let popover_ref = popover.clone();
        click.connect_pressed(move |gesture, _, x, y| {
            let popover = &popover_ref;
            let Some(this) = this.upgrade() else { return };
            let list = this.list_view();
            let mut picked = list.pick(x, y, gtk::PickFlags::DEFAULT);
            let row = loop {
                match picked {
                    Some(w) => match w.downcast::<ListRow>() {
                        Ok(r) => break Some(r),
                        Err(w) => picked = w.parent(),
                    },
                    None => break None,
                }
            };
            let Some(row) = row else { return };
            let Some(item) = row.item() else { return };
            gesture.set_state(gtk::EventSequenceState::Claimed);
            let sel = this.selection();
            let already = (0..sel.n_items()).any(|p| {
                sel.is_selected(p)
                    && sel
                        .item(p)
                        .and_downcast::<gtk::TreeListRow>()
                        .and_then(|r| r.item())
                        .as_ref()
                        == Some(&item)
            });
            if !already {
                this.select_item(&item);
            }
            let menu = if item.is::<Vm>() {
                &vm_menu
            } else {
                &conn_menu
            };
            popover.set_menu_model(Some(menu));
            popover.set_pointing_to(Some(&gtk::gdk::Rectangle::new(x as i32, y as i32, 1, 1)));
            popover.popup();
        });
        list.add_controller(click);
        let _ = self.imp().context_menu.set(popover);
    }

    /// Re-sort after values the sort key depends on changed (CPU use at each tick).
    pub(super) fn resort_if(&self, keys: &[&str]) {
        let key = self.settings().string("sort-key");
        if keys.contains(&key.as_str()) {
            if let Some(s) = self.imp().sorter.get() {
                s.changed(gtk::SorterChange::Different);
            }
        }
    }

    /// Re-run the filter (a VM's state changed under a state filter).
    pub(super) fn refilter(&self) {
        if let Some(f) = self.imp().filter.get() {
            f.changed(gtk::FilterChange::Different);
        }
    }

    fn update_sidebar_page(&self) {
        let imp = self.imp();
        let page = if self.connections().n_items() == 0 {
            "no-connections"
        } else {
            let searching =
                !imp.search_entry.text().trim().is_empty() || imp.state_filter.selected() != 0;
            let tree = imp.tree.get();
            let shown = tree.map(|t| t.n_items()).unwrap_or(0);
            if searching && shown == self.connections().n_items() {
                "no-results"
            } else {
                "list"
            }
        };
        imp.sidebar_stack.set_visible_child_name(page);
    }

    /// The filter text and state, for tests.
    pub fn set_search(&self, text: &str, state: StateFilter) {
        let imp = self.imp();
        imp.search_bar.set_search_mode(!text.is_empty());
        imp.search_entry.set_text(text);
        let idx = match state {
            StateFilter::All => 0,
            StateFilter::Running => 1,
            StateFilter::Paused => 2,
            StateFilter::Shutoff => 3,
            StateFilter::Other => 4,
        };
        imp.state_filter.set_selected(idx);
        // search-changed is delayed; apply now.
        self.refilter();
    }

    /// The VMs the list shows now, in order (for tests and the search's empty state).
    pub fn visible_vms(&self) -> Vec<Vm> {
        let Some(tree) = self.imp().tree.get() else {
            return Vec::new();
        };
        (0..tree.n_items())
            .filter_map(|i| tree.item(i).and_downcast::<gtk::TreeListRow>())
            .filter_map(|r| r.item().and_downcast::<Vm>())
            .collect()
    }
}

/// A menu item of the VM list, showing the list's shortcut for it (the shortcuts live
/// on the list, not on the application, so menus do not learn them by themselves).
fn list_menu_item(label: &str, action: &str) -> gio::MenuItem {
    let item = gio::MenuItem::new(Some(label), Some(action));
    if let Some((_, accel)) = super::actions::LIST_ACCELS
        .iter()
        .find(|(a, _)| *a == action)
    {
        item.set_attribute_value("accel", Some(&accel.to_variant()));
    }
    item
}
