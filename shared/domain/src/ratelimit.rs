//! Fixed-window counters of attempts per source (a caller's address, an IPv6
//! one by its /64: `survey_http::source_ip`), to slow down guessing and flooding. Callers decide what counts: code validation
//! records only failures, so a classroom behind one address that types the
//! right code is never held back. [`RateLimiter`] counts in the process;
//! [`GuessLimiter`] counts wrong codes in a store that all instances share.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::code::CodeDigest;
use crate::keys::Keys;
use crate::store::{CodeCheckStore, CodeEntry, GuessCounterStore, StoreResult};

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
/// Wrong access codes allowed from all sources together in a window, across
/// every instance of validate-code and submit-response.
pub const GUESSES_ALL_SOURCES: u32 = 600;
pub const GUESS_WINDOW: Duration = Duration::from_secs(60);

/// Slows down guessing of access codes wherever a typed code is checked: wrong
/// codes count against their source and against all sources together, in a
/// [`GuessCounterStore`] that every instance of both functions shares, so the
/// limits hold for the whole API, not per Lambda instance.
///
/// Counts are kept per fixed window (a minute, counted from the Unix epoch
/// unless [`Self::windows_from`] says otherwise): the source's under
/// `source#{window}#{HMAC(HASH_KEY, address)}`, everyone's under
/// `all#{window}`, each kept one window past its end.
///
/// What it costs in DynamoDB: every checked code, right or wrong, reads both
/// counts in one `BatchGetItem` (eventually consistent, two small items: one
/// read unit, one round trip). A wrong code adds one conditional `ADD` to each
/// of the two items (two write units, sent together); a count stops at its
/// limit, so a flood writes nothing more.
#[derive(Debug, Clone)]
pub struct GuessLimiter {
    per_source: u32,
    all_sources: u32,
    window: Duration,
    /// The Unix second the windows are counted from.
    start: i64,
}

impl Default for GuessLimiter {
    fn default() -> Self {
        Self::new(GUESSES_PER_SOURCE, GUESSES_ALL_SOURCES, GUESS_WINDOW)
    }
}

impl GuessLimiter {
    pub fn new(per_source: u32, all_sources: u32, window: Duration) -> Self {
        Self { per_source, all_sources, window, start: 0 }
    }

    /// Windows counted from `start` instead of the Unix epoch, so that the
    /// first one runs a whole window from `start`. A test that must see its
    /// guesses counted together starts the windows with itself; every
    /// deployed instance counts from the epoch, so they share their windows.
    pub fn windows_from(self, start: OffsetDateTime) -> Self {
        Self { start: start.unix_timestamp(), ..self }
    }

    /// The current window's number and the time left in it.
    fn window_at(&self, now: OffsetDateTime) -> (i64, Duration) {
        let length = self.window.as_secs().max(1) as i64;
        let seconds = now.unix_timestamp() - self.start;
        let number = seconds.div_euclid(length);
        (number, Duration::from_secs(((number + 1) * length - seconds) as u64))
    }

    fn counter_keys(&self, keys: &Keys, source: &str, window: i64) -> [String; 2] {
        [format!("source#{window}#{}", keys.source_digest(source)), format!("all#{window}")]
    }

    /// `Some(wait)` when `source`, or all sources together, have used up their
    /// wrong codes in the current window.
    pub async fn blocked_for<S: GuessCounterStore>(
        &self,
        store: &S,
        keys: &Keys,
        source: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Duration>> {
        let (window, left) = self.window_at(now);
        let counts = store.guess_counts(&self.counter_keys(keys, source, window)).await?;
        Ok(self.over(&counts).then_some(left))
    }

    /// [`Self::blocked_for`] and the entry of the code `digest`, in one read.
    pub async fn blocked_with_code<S: CodeCheckStore>(
        &self,
        store: &S,
        keys: &Keys,
        source: &str,
        digest: Option<&CodeDigest>,
        now: OffsetDateTime,
    ) -> StoreResult<(Option<Duration>, Option<CodeEntry>)> {
        let (window, left) = self.window_at(now);
        let (counts, entry) = store.guesses_and_code(&self.counter_keys(keys, source, window), digest).await?;
        Ok((self.over(&counts).then_some(left), entry))
    }

    fn over(&self, counts: &[u32]) -> bool {
        counts.first().is_some_and(|n| *n >= self.per_source) || counts.get(1).is_some_and(|n| *n >= self.all_sources)
    }

    /// Counts one wrong code from `source`.
    pub async fn record_failure<S: GuessCounterStore>(
        &self,
        store: &S,
        keys: &Keys,
        source: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let (window, left) = self.window_at(now);
        let expires_at = now + left + self.window;
        let [mine, everyone] = self.counter_keys(keys, source, window);
        let (mine, everyone) = tokio::join!(
            store.add_guess(&mine, self.per_source, expires_at),
            store.add_guess(&everyone, self.all_sources, expires_at)
        );
        mine.and(everyone).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    #[tokio::test]
    async fn wrong_codes_from_many_sources_add_up_to_the_global_limit() {
        let (store, keys) = (MemoryStore::new(), Keys::new(b"test"));
        let guesses = GuessLimiter::new(2, 5, Duration::from_secs(60));
        let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        for source in ["a", "b", "c", "d", "e"] {
            assert_eq!(guesses.blocked_for(&store, &keys, source, t0).await.unwrap(), None, "{source}");
            guesses.record_failure(&store, &keys, source, t0).await.unwrap();
        }
        let later = t0 + Duration::from_secs(1);
        assert_eq!(guesses.blocked_for(&store, &keys, "f", later).await.unwrap(), Some(Duration::from_secs(59)));
        let next_window = t0 + Duration::from_secs(60);
        assert_eq!(guesses.blocked_for(&store, &keys, "f", next_window).await.unwrap(), None);

        let store = MemoryStore::new();
        guesses.record_failure(&store, &keys, "a", t0).await.unwrap();
        guesses.record_failure(&store, &keys, "a", t0).await.unwrap();
        assert_eq!(guesses.blocked_for(&store, &keys, "a", t0).await.unwrap(), Some(Duration::from_secs(60)));
        assert_eq!(guesses.blocked_for(&store, &keys, "b", t0).await.unwrap(), None);
    }

    /// Guesses either side of a minute's end fall in two windows counted from
    /// the epoch, and in one counted from the first guess.
    #[tokio::test]
    async fn windows_counted_from_a_start_run_a_whole_window_from_it() {
        let keys = Keys::new(b"test");
        let before_the_minute = OffsetDateTime::from_unix_timestamp(1_800_000_059).unwrap();
        let after_it = before_the_minute + Duration::from_secs(2);
        let from_epoch = GuessLimiter::new(2, 100, Duration::from_secs(60));
        let from_start = from_epoch.clone().windows_from(before_the_minute);
        for (limiter, blocked) in [(from_epoch, None), (from_start, Some(Duration::from_secs(58)))] {
            let store = MemoryStore::new();
            limiter.record_failure(&store, &keys, "a", before_the_minute).await.unwrap();
            limiter.record_failure(&store, &keys, "a", after_it).await.unwrap();
            assert_eq!(limiter.blocked_for(&store, &keys, "a", after_it).await.unwrap(), blocked);
        }
    }

    #[tokio::test]
    async fn counters_hold_no_address_and_stop_at_their_limit() {
        let (store, keys) = (MemoryStore::new(), Keys::new(b"test"));
        let guesses = GuessLimiter::new(2, 5, Duration::from_secs(60));
        let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        for _ in 0..4 {
            guesses.record_failure(&store, &keys, "198.51.100.7", t0).await.unwrap();
        }
        let [mine, everyone] = guesses.counter_keys(&keys, "198.51.100.7", 1_800_000_000 / 60);
        assert!(!mine.contains("198.51.100.7") && mine.len() > 64, "{mine}");
        assert_eq!(store.guess_counts(&[mine, everyone]).await.unwrap(), [2, 4], "the source stops at 2");
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
