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

/// Wrong access codes allowed per source address in a window.
pub const GUESSES_PER_SOURCE: u32 = 20;
/// Wrong access codes allowed from all sources together, per instance, in a window.
pub const GUESSES_ALL_SOURCES: u32 = 600;
pub const GUESS_WINDOW: Duration = Duration::from_secs(60);

/// The key under which every source's wrong codes are counted together.
const ALL_SOURCES: &str = "*";

/// Slows down guessing of access codes wherever a typed code is checked: wrong
/// codes count against their source and against all sources together.
///
/// The counts live in this process. A Lambda instance serves one request at a
/// time and instances share nothing, so "all sources" means all that reach this
/// instance: across the function, the bound is this limit times its reserved
/// concurrency, and API Gateway's stage throttle and WAF's per-address rule are
/// what hold the whole API (SECURITY.md works out the numbers).
pub struct GuessLimiter {
    per_source: RateLimiter,
    all_sources: RateLimiter,
}

impl Default for GuessLimiter {
    fn default() -> Self {
        Self::new(GUESSES_PER_SOURCE, GUESSES_ALL_SOURCES, GUESS_WINDOW)
    }
}

impl GuessLimiter {
    pub fn new(per_source: u32, all_sources: u32, window: Duration) -> Self {
        Self { per_source: RateLimiter::new(per_source, window), all_sources: RateLimiter::new(all_sources, window) }
    }

    /// `Some(wait)` when `source`, or all sources together, have used up their wrong codes.
    pub fn blocked_for(&self, source: &str, now: Instant) -> Option<Duration> {
        let mine = self.per_source.blocked_for(source, now);
        let everyone = self.all_sources.blocked_for(ALL_SOURCES, now);
        mine.max(everyone)
    }

    /// Counts one wrong code from `source`.
    pub fn record_failure(&self, source: &str, now: Instant) {
        self.per_source.record(source, now);
        self.all_sources.record(ALL_SOURCES, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_codes_from_many_sources_add_up_to_the_global_limit() {
        let guesses = GuessLimiter::new(2, 5, Duration::from_secs(60));
        let t0 = Instant::now();
        for source in ["a", "b", "c", "d", "e"] {
            assert_eq!(guesses.blocked_for(source, t0), None, "{source}");
            guesses.record_failure(source, t0);
        }
        assert_eq!(guesses.blocked_for("f", t0 + Duration::from_secs(1)), Some(Duration::from_secs(59)));
        assert_eq!(guesses.blocked_for("f", t0 + Duration::from_secs(60)), None);

        let guesses = GuessLimiter::new(2, 5, Duration::from_secs(60));
        guesses.record_failure("a", t0);
        guesses.record_failure("a", t0);
        assert_eq!(guesses.blocked_for("a", t0), Some(Duration::from_secs(60)));
        assert_eq!(guesses.blocked_for("b", t0), None);
    }

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
