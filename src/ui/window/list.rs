//! The sidebar list: a tree of connections and their domains, filtered and sorted.

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::gio;

use super::Window;
use crate::backend::domain::DomainState;
use crate::model::{Connection, Vm};
use crate::ui::list_row::ListRow;

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

/// Does `vm` match the search text (name or title, any case)?
pub fn matches_search(vm: &Vm, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let needle = needle.to_lowercase();
    vm.name().to_lowercase().contains(&needle) || vm.title().to_lowercase().contains(&needle)
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
        factory.connect_bind(|_, item| {
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
        tree.connect_items_changed(move |_, _, _, _| {
            if let Some(this) = this.upgrade() {
                this.update_sidebar_page();
            }
        });

        // Search and state filter.
        imp.search_bar.connect_entry(&imp.search_entry.get());
        imp.search_bar.set_key_capture_widget(Some(self));
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
