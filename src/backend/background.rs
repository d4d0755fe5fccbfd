//! Work nobody waits for (decoding and scaling guests' screenshots): one thread at
//! background priority, one job at a time. GIO's thread pool would run such jobs side
//! by side, and twenty running guests coming into view together then fill every core
//! while the window draws its first rows and answers assistive technologies; here they
//! take one core at most, and only what the rest leaves.

use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

static QUEUE: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();

/// Lower this thread's CPU priority (nice 10, for good: going back needs privilege).
pub fn lower_priority() {
    // SAFETY: gettid has no preconditions; setpriority on our own thread id only
    // changes this thread's nice value (raising it needs no privilege).
    let r = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10)
    };
    if r != 0 {
        tracing::debug!(
            "thread stays at normal priority: {}",
            std::io::Error::last_os_error()
        );
    }
}

fn queue() -> &'static Mutex<mpsc::Sender<Job>> {
    QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("hangar-background".into())
            .spawn(move || {
                lower_priority();
                for job in rx {
                    // A job that panics answers None; the thread goes on.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            });
        if let Err(e) = spawned {
            // The jobs' senders see a closed queue and answer None.
            tracing::warn!("no thread for background work: {e}");
        }
        Mutex::new(tx)
    })
}

/// Run `f` on the background thread, after the jobs queued before it; its result, or
/// None when it could not run (no thread, or `f` panicked).
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = async_channel::bounded(1);
    let job: Job = Box::new(move || {
        let _ = tx.send_blocking(f());
    });
    let sent = queue()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job)
        .is_ok();
    if !sent {
        return None;
    }
    rx.recv().await.ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn jobs_run_in_order_on_one_lowered_thread() {
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let futures: Vec<_> = (0..4)
            .map(|i| {
                let order = order.clone();
                super::run(move || {
                    order.lock().unwrap().push(i);
                    let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
                    (std::thread::current().name().map(String::from), nice)
                })
            })
            .collect();
        let results: Vec<_> = futures.into_iter().map(block_on).collect();
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3]);
        for r in results {
            let (name, nice) = r.expect("the job ran");
            assert_eq!(name.as_deref(), Some("hangar-background"));
            assert!(
                nice >= 10,
                "background jobs run at nice 10 or lower, got {nice}"
            );
        }
    }

    #[test]
    fn a_panicking_job_answers_none_and_the_thread_goes_on() {
        let failed = block_on(super::run(|| -> i32 { panic!("on purpose") }));
        assert_eq!(failed, None);
        assert_eq!(block_on(super::run(|| 7)), Some(7));
    }

    use std::sync::Mutex;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        glib::MainContext::new().block_on(f)
    }
}
