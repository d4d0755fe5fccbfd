//! A thread of its own for libosinfo: it loads the database once, then runs requests
//! one at a time and hands back plain data. libosinfo's objects never leave it.
//!
//! ```no_run
//! # use hangar::backend::osinfo::OsinfoWorker;
//! let worker = OsinfoWorker::spawn();
//! // In the UI: glib::spawn_future_local(async move { worker.call(|db| …).await });
//! let oses = worker.call_blocking(|db| Ok(db.os_list())).expect("osinfo");
//! ```

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;

use super::db::OsinfoDb;
use super::error::{OsinfoError, Result};

type Job = Box<dyn FnOnce(std::result::Result<&OsinfoDb, &OsinfoError>) + Send>;

/// A handle on the osinfo thread; clones share the thread, which ends when the last
/// handle is dropped.
#[derive(Clone)]
pub struct OsinfoWorker {
    tx: mpsc::Sender<Job>,
}

impl OsinfoWorker {
    /// Starts the thread and loads the default database there
    /// ([`OsinfoDb::load_default`]): the first call waits for the load (0.3 s here).
    pub fn spawn() -> OsinfoWorker {
        Self::spawn_with(OsinfoDb::load_default)
    }

    /// Starts the thread with a database of `load`'s making (run on the thread).
    pub fn spawn_with(load: fn() -> Result<OsinfoDb>) -> OsinfoWorker {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = thread::Builder::new()
            .name("hangar-osinfo".into())
            .spawn(move || {
                // libosinfo's synchronous calls spin a main loop on the thread-default
                // context: give this thread one of its own, for its whole life.
                let ctx = glib::MainContext::new();
                let _ = ctx.with_thread_default(|| {
                    let db = load();
                    while let Ok(job) = rx.recv() {
                        // One failing request must not take the others down.
                        let _ = catch_unwind(AssertUnwindSafe(|| job(db.as_ref())));
                    }
                });
            });
        if let Err(e) = spawned {
            tracing::error!("could not start the osinfo thread: {e}");
        }
        OsinfoWorker { tx }
    }

    fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&OsinfoDb) -> Result<T> + Send + 'static,
    ) -> async_channel::Receiver<Result<T>> {
        let (reply, rx) = async_channel::bounded(1);
        let job: Job = Box::new(move |db| {
            let out = match db {
                Ok(db) => f(db),
                Err(e) => Err(e.clone()),
            };
            let _ = reply.send_blocking(out);
        });
        // When the thread is gone the job is dropped with its sender, and the receiver
        // reports the worker gone.
        let _ = self.tx.send(job);
        rx
    }

    /// Runs `f` on the osinfo thread; await the result (from the GTK main loop with
    /// `glib::spawn_future_local`, or any executor). Never blocks the caller.
    pub fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&OsinfoDb) -> Result<T> + Send + 'static,
    ) -> impl Future<Output = Result<T>> {
        let rx = self.submit(f);
        async move { rx.recv().await.unwrap_or(Err(OsinfoError::WorkerGone)) }
    }

    /// Runs `f` on the osinfo thread and waits for it (tests, benchmarks, other worker
    /// threads; never the GTK main thread).
    pub fn call_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&OsinfoDb) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.submit(f)
            .recv_blocking()
            .unwrap_or(Err(OsinfoError::WorkerGone))
    }
}
