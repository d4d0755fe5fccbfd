//! A short ring of recent samples for the small graphs.

use std::collections::VecDeque;

/// The last `capacity` values of one measure.
#[derive(Debug, Clone)]
pub struct History {
    values: VecDeque<f64>,
    capacity: usize,
}

impl History {
    pub fn new(capacity: usize) -> History {
        History {
            values: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    pub fn push(&mut self, v: f64) {
        if self.values.len() == self.capacity {
            self.values.pop_front();
        }
        self.values.push_back(if v.is_finite() { v } else { 0.0 });
    }

    pub fn clear(&mut self) {
        self.values.clear();
    }

    pub fn values(&self) -> impl ExactSizeIterator<Item = f64> + '_ {
        self.values.iter().copied()
    }

    pub fn last(&self) -> Option<f64> {
        self.values.back().copied()
    }

    pub fn max(&self) -> f64 {
        self.values.iter().copied().fold(0.0, f64::max)
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl Default for History {
    fn default() -> Self {
        History::new(60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest() {
        let mut h = History::new(3);
        for v in [1.0, 2.0, f64::NAN, 4.0] {
            h.push(v);
        }
        assert_eq!(h.values().collect::<Vec<_>>(), vec![2.0, 0.0, 4.0]);
        assert_eq!(h.max(), 4.0);
        assert_eq!(h.last(), Some(4.0));
    }
}
