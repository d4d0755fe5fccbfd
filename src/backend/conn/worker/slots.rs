//! How many connections open at once. Opening can be heavy on this computer (the test
//! driver parses its node file in-process; TLS and SSH handshakes): ten hosts opened
//! together on two cores all finish late, and the first row waits for all of them.
//! So as many open at once as there are cores — but one that waits more than a moment
//! goes anyway, so a slow host (a network round trip, a password dialog) never holds
//! up the others for long — unless every place is taken by a test-driver open: those
//! are all CPU and always finish, and going anyway would put every parse on the cores
//! at once, beside the main thread drawing the first rows.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Places taken: by any open, and by in-process (test-driver) opens.
struct Used {
    all: usize,
    in_process: usize,
}

static USED: Mutex<Used> = Mutex::new(Used {
    all: 0,
    in_process: 0,
});
static FREED: Condvar = Condvar::new();

/// A place among the connections opening; given back when dropped.
pub struct Slot {
    taken: bool,
    in_process: bool,
    /// Whether other opens held places when this one got its own.
    pub shared: bool,
}

/// Wait for a place, at most `max_wait` while some place is held by an open that may
/// wait on something else than this computer's CPU.
pub fn take(max_wait: Duration, in_process: bool) -> Slot {
    let limit = std::thread::available_parallelism().map_or(2, |n| n.get());
    let deadline = Instant::now() + max_wait;
    let mut used = USED.lock().unwrap_or_else(|e| e.into_inner());
    while used.all >= limit {
        if used.in_process == used.all {
            used = FREED.wait(used).unwrap_or_else(|e| e.into_inner());
            continue;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Slot {
                taken: false,
                in_process,
                shared: true,
            };
        }
        used = FREED
            .wait_timeout(used, left.min(Duration::from_millis(100)))
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    let shared = used.all > 0;
    used.all += 1;
    used.in_process += usize::from(in_process);
    Slot {
        taken: true,
        in_process,
        shared,
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.taken {
            let mut used = USED.lock().unwrap_or_else(|e| e.into_inner());
            used.all = used.all.saturating_sub(1);
            used.in_process = used.in_process.saturating_sub(usize::from(self.in_process));
            FREED.notify_one();
        }
    }
}
