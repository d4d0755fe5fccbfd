//! The lists the worker sends whole (networks and storage pools): each reloaded once
//! after the jobs already queued, however many events asked for it.

use super::*;

impl Worker {
    /// Reload the storage pools and send them, once, after the jobs already queued.
    pub fn queue_pools(&mut self) {
        if self.pools_queued {
            return;
        }
        self.pools_queued = true;
        let generation = self.generation;
        let _ = self.tx.send(Msg::Job(Box::new(move |w: &mut Worker| {
            w.pools_queued = false;
            if w.generation != generation || w.conn.is_none() {
                return;
            }
            match w.conn().and_then(crate::backend::storage::list_pools) {
                Ok(list) => w.send(Update::Pools(list)),
                Err(e) if e.is_connection_lost() => w.lost(e.to_string()),
                Err(Error::Unsupported(_)) => w.send(Update::Pools(Vec::new())),
                Err(e) => tracing::warn!("listing storage pools on {} failed: {e}", w.uri),
            }
        })));
    }

    /// Reload the networks (with the guests on each) and send them, once, after the
    /// jobs already queued.
    pub fn queue_networks(&mut self) {
        if self.networks_queued {
            return;
        }
        self.networks_queued = true;
        let generation = self.generation;
        let _ = self.tx.send(Msg::Job(Box::new(move |w: &mut Worker| {
            w.networks_queued = false;
            if w.generation != generation || w.conn.is_none() {
                return;
            }
            let listed = w
                .guest_nics()
                .and_then(|guests| crate::backend::network::list_networks(w.conn()?, &guests));
            match listed {
                Ok(list) => w.send(Update::Networks(list)),
                Err(e) if e.is_connection_lost() => w.lost(e.to_string()),
                // A driver without networks has none to show.
                Err(Error::Unsupported(_)) => w.send(Update::Networks(Vec::new())),
                Err(e) => tracing::warn!("listing networks on {} failed: {e}", w.uri),
            }
        })));
    }
}
