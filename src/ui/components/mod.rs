//! Small widgets and helpers that several rooms of the UI use.

pub mod a11y;
pub mod form_dialog;
pub mod graph;
pub mod state;
pub mod tabs;
pub mod volumes;
pub mod xml_view;
