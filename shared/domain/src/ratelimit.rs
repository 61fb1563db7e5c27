//! A fixed-window counter of attempts per source (a caller's address), to slow
//! down guessing and flooding. Callers decide what counts: code validation
//! records only failures, so a classroom behind one address that types the
//! right code is never held back.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    max_attempts: u32,
    window: Duration,
    sources: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(max_attempts: u32, window: Duration) -> Self {
        Self { max_attempts, window, sources: Mutex::new(HashMap::new()) }
    }

    /// `Some(wait)` when `source` has used up its attempts in the current window.
    pub fn blocked_for(&self, source: &str, now: Instant) -> Option<Duration> {
        let sources = self.sources.lock().expect("limiter lock");
        let (started, attempts) = sources.get(source)?;
        let elapsed = now.saturating_duration_since(*started);
        (elapsed < self.window && *attempts >= self.max_attempts).then(|| self.window - elapsed)
    }

    pub fn record(&self, source: &str, now: Instant) {
        let mut sources = self.sources.lock().expect("limiter lock");
        if sources.len() > 10_000 {
            sources.retain(|_, (started, _)| now.saturating_duration_since(*started) < self.window);
        }
        let entry = sources.entry(source.to_owned()).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_too_many_failures_until_the_window_ends() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.blocked_for("a", t0), None);
            limiter.record("a", t0);
        }
        assert_eq!(limiter.blocked_for("a", t0 + Duration::from_secs(10)), Some(Duration::from_secs(50)));
        assert_eq!(limiter.blocked_for("b", t0), None);
        assert_eq!(limiter.blocked_for("a", t0 + Duration::from_secs(60)), None);
        limiter.record("a", t0 + Duration::from_secs(61));
        assert_eq!(limiter.blocked_for("a", t0 + Duration::from_secs(61)), None);
    }
}
