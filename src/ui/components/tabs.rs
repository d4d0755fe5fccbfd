//! Tabs above a page's view stack.

/// Tabs above a page's view stack, hidden while it holds only its Overview (the
/// `add_page` of the VM and host pages shows them).
pub(crate) fn setup_tabs(switcher: &adw::ViewSwitcher, stack: &adw::ViewStack) {
    use gtk::prelude::*;
    switcher.set_stack(Some(stack));
    // Narrow: icon above label. Five tabs side by side in the wide layout need
    // ~790 px, which folded the window to its sidebar at 1100 px.
    switcher.set_policy(adw::ViewSwitcherPolicy::Narrow);
    switcher.set_halign(gtk::Align::Center);
    switcher.set_margin_top(6);
    switcher.set_margin_bottom(6);
    switcher.set_visible(false);
}
