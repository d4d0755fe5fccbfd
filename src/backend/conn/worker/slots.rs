//! How many connections open at once. Opening can be heavy on this computer (the test
//! driver parses its node file in-process; TLS and SSH handshakes): ten hosts opened
//! together on two cores all finish late, and the first row waits for all of them.
//! So as many open at once as there are cores — but one that waits more than a moment
//! goes anyway, so a slow host (a network round trip, a password dialog) never holds
//! up the others for long.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

static USED: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

/// A place among the connections opening; given back when dropped.
pub struct Slot(bool);

/// Wait for a place, at most `max_wait`.
pub fn take(max_wait: Duration) -> Slot {
    let limit = std::thread::available_parallelism().map_or(2, |n| n.get());
    let deadline = Instant::now() + max_wait;
    let mut used = USED.lock().unwrap_or_else(|e| e.into_inner());
    while *used >= limit {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Slot(false);
        }
        used = FREED
            .wait_timeout(used, left)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    *used += 1;
    Slot(true)
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.0 {
            let mut used = USED.lock().unwrap_or_else(|e| e.into_inner());
            *used = used.saturating_sub(1);
            FREED.notify_one();
        }
    }
}
