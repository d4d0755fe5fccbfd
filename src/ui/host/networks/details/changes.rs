//! Changes to a network from its details: live edits, edits of the definition, and
//! deleting it (asked first).

use super::*;

impl NetworksPage {
    /// A live edit; the list reloads after it (and the details with it).
    pub fn edit(&self, heading: String, uuid: String, edit: NetworkEdit) {
        self.edit_then(heading, uuid, edit, &[]);
    }

    /// A live edit that empties the named fields once it is made (the fields of a new
    /// entry, ready for the next one); when it fails they keep what was typed.
    pub(super) fn edit_then(
        &self,
        heading: String,
        uuid: String,
        edit: NetworkEdit,
        clear: &[&str],
    ) {
        let clear: Vec<String> = clear.iter().map(|s| s.to_string()).collect();
        let this = self.downgrade();
        self.run(heading, uuid, move |c, u| {
            Box::pin(async move {
                c.update_network(u, edit).await?;
                if let Some(this) = this.upgrade() {
                    for e in named_editables(&this.imp().details) {
                        if clear.iter().any(|n| *n == e.widget_name()) {
                            e.set_text("");
                        }
                    }
                }
                Ok(())
            })
        });
    }

    /// Run a request on the connection; failures reach the person in a dialog.
    pub(super) fn run<F>(&self, heading: String, uuid: String, f: F)
    where
        F: FnOnce(
                crate::backend::conn::worker::Connection,
                String,
            ) -> std::pin::Pin<
                Box<dyn std::future::Future<Output = crate::backend::Result<()>>>,
            > + 'static,
    {
        let Some(conn) = self.connection() else {
            return;
        };
        let this = self.downgrade();
        glib::spawn_future_local(async move {
            let r = f(conn.backend().clone(), uuid).await;
            let Some(this) = this.upgrade() else { return };
            if let Err(e) = r {
                this.fail(&heading, &e);
                // Switches go back to the truth (what was typed stays).
                this.imp().detail_state.borrow_mut().shown = None;
                this.show_details();
            }
        });
    }

    /// Ask before deleting, naming the guests that use the network.
    pub fn confirm_delete(&self, net: &Network) -> Option<adw::MessageDialog> {
        let info = net.info();
        let body = if info.guests.is_empty() {
            gettext("No guest uses this network.")
        } else {
            gettext_f(
                "These guests have a network card on it and will lose their network: {guests}.",
                &[("guests", &info.guests.join(", "))],
            )
        };
        let dialog = adw::MessageDialog::new(
            self.window().as_ref(),
            Some(&gettext_f(
                "Delete the network “{name}”?",
                &[("name", &info.name)],
            )),
            Some(&body),
        );
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("delete", &gettext("_Delete"));
        dialog.set_response_appearance("delete", adw::ResponseAppearance::Destructive);
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        let this = self.downgrade();
        let uuid = info.uuid.clone();
        dialog.connect_response(None, move |_, r| {
            if r != "delete" {
                return;
            }
            if let Some(this) = this.upgrade() {
                this.run(
                    gettext("Could not delete the network"),
                    uuid.clone(),
                    |c, u| Box::pin(async move { c.delete_network(u).await }),
                );
            }
        });
        dialog.present();
        Some(dialog)
    }
}
