//! How far a transfer is and how fast it goes, and when that is worth saying: the
//! first figure at once, then at most one every [`TICK`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// At most this often a figure.
pub const TICK: Duration = Duration::from_millis(100);
/// The rate is measured over about this long.
const RATE_WINDOW: Duration = Duration::from_secs(3);

/// One figure: `done` of `total` bytes at `bytes_per_sec`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub done: u64,
    pub total: u64,
    pub bytes_per_sec: f64,
}

/// Counts progress and says when to report it.
pub struct Meter {
    total: u64,
    last: Option<Instant>,
    /// (when, done) of the figures given over the last [`RATE_WINDOW`].
    samples: VecDeque<(Instant, u64)>,
}

impl Meter {
    pub fn new(total: u64) -> Meter {
        let mut samples = VecDeque::new();
        samples.push_back((Instant::now(), 0));
        Meter {
            total,
            last: None,
            samples,
        }
    }

    fn rate(&mut self, now: Instant, done: u64) -> f64 {
        while self.samples.len() > 1 && now.duration_since(self.samples[1].0) >= RATE_WINDOW {
            self.samples.pop_front();
        }
        self.samples.push_back((now, done));
        let (t0, d0) = self.samples[0];
        let secs = now.duration_since(t0).as_secs_f64();
        if secs <= 0.0 {
            0.0
        } else {
            done.saturating_sub(d0) as f64 / secs
        }
    }

    /// A figure when one is due.
    pub fn tick(&mut self, done: u64) -> Option<Sample> {
        let now = Instant::now();
        if self.last.is_some_and(|l| now.duration_since(l) < TICK) {
            return None;
        }
        self.last = Some(now);
        let bytes_per_sec = self.rate(now, done);
        Some(Sample {
            done,
            total: self.total.max(done),
            bytes_per_sec,
        })
    }

    /// The last figure, always given; the total grows to `done` if it was short.
    pub fn last(&mut self, done: u64) -> Sample {
        self.total = self.total.max(done);
        let bytes_per_sec = self.rate(Instant::now(), done);
        Sample {
            done,
            total: self.total,
            bytes_per_sec,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_figure_at_once_then_throttled() {
        let mut m = Meter::new(10);
        assert_eq!(m.tick(1).map(|s| (s.done, s.total)), Some((1, 10)));
        assert!(m.tick(2).is_none(), "not again within a tick");
        std::thread::sleep(TICK);
        let s = m.tick(5).expect("due after a tick");
        assert!(s.bytes_per_sec > 0.0);
        let last = m.last(12);
        assert_eq!((last.done, last.total), (12, 12));
    }
}
