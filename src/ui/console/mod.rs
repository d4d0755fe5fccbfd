//! Consoles: the display widget of our own (SPICE on spice-client-glib, VNC on gvnc),
//! the Console tab with its state pages, the detached console window, the serial
//! console on VTE, and the live screen thumbnail of the Overview.

pub mod display;
pub mod keyring;
pub mod page;
pub mod serial;
pub mod thumbnail;
pub mod window;

pub use display::{DisplayEvent, GuestDisplay, Scaling};
pub use page::{ConsolePage, ConsoleState};
pub use serial::SerialPage;
pub use thumbnail::Thumbnail;
