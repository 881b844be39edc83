//! The render budget: how much of a VM's (so a worker's) time may go to
//! drawing cache misses, encoding included, so a flood of distinct names
//! cannot take the worker from the gateway's other routes.
//!
//! A token bucket of time: it refills at `rate` milliseconds per second of
//! wall-clock time, holds at most `burst` milliseconds, and each render is
//! charged what it took. A render may start while the bucket is above zero,
//! so one render can overdraw it; the debt is repaid before the next. Hits
//! and 304s never touch it.
//!
//! Units: the clock is the host's, in nanoseconds (any epoch, never assumed
//! monotonic: time that runs backwards refills nothing); the bucket is kept
//! in nanoseconds of render time.

/// A VM's render budget. `rate_ms_per_s` 0 turns it off.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Render time allowed per second of wall clock, in ms (0..=1000).
    rate_ms_per_s: u32,
    /// Most render time that can be saved up, in ns.
    burst_ns: i64,
    /// Render time available now, in ns; negative after an overdraw.
    tokens_ns: i64,
    /// The clock at the last refill; `None` before the first request.
    last_ns: Option<u64>,
    /// Renders refused since the VM started.
    pub refused: u64,
}

impl Budget {
    /// A full bucket.
    pub fn new(rate_ms_per_s: u32, burst_ms: u32) -> Budget {
        let burst_ns = i64::from(burst_ms).saturating_mul(1_000_000);
        Budget {
            rate_ms_per_s,
            burst_ns,
            tokens_ns: burst_ns,
            last_ns: None,
            refused: 0,
        }
    }

    pub fn is_on(&self) -> bool {
        self.rate_ms_per_s > 0
    }

    /// May a render start at `now_ns`? Counts a refusal when not.
    pub fn allow(&mut self, now_ns: u64) -> bool {
        if !self.is_on() {
            return true;
        }
        self.refill(now_ns);
        if self.tokens_ns > 0 {
            true
        } else {
            self.refused = self.refused.saturating_add(1);
            false
        }
    }

    /// Charges a render that took `spent_ns`. The debt is bounded by one
    /// burst, so a single pathological render cannot lock renders out for long.
    pub fn charge(&mut self, spent_ns: u64) {
        if !self.is_on() {
            return;
        }
        let spent = i64::try_from(spent_ns).unwrap_or(i64::MAX);
        self.tokens_ns = self
            .tokens_ns
            .saturating_sub(spent)
            .max(self.burst_ns.saturating_neg());
    }

    /// Time until the bucket is above zero again, in whole seconds (at
    /// least 1): the `Retry-After` of a refusal.
    pub fn retry_after_s(&self) -> u64 {
        let rate = i64::from(self.rate_ms_per_s.max(1));
        // ns of wall clock to earn the debt back: debt * 1000 / rate.
        let wait_ns = self
            .tokens_ns
            .saturating_neg()
            .max(0)
            .saturating_mul(1000)
            .checked_div(rate)
            .unwrap_or(0);
        u64::try_from(wait_ns / 1_000_000_000)
            .unwrap_or(0)
            .saturating_add(1)
    }

    fn refill(&mut self, now_ns: u64) {
        let elapsed = self.last_ns.map_or(0, |last| now_ns.saturating_sub(last));
        if self.last_ns.is_none_or(|last| now_ns > last) {
            self.last_ns = Some(now_ns);
        }
        // elapsed * rate / 1000 ns of render time; 128-bit, so no overflow
        // for any clock value.
        let earned = u128::from(elapsed).saturating_mul(u128::from(self.rate_ms_per_s)) / 1000;
        let earned = i64::try_from(earned).unwrap_or(i64::MAX);
        self.tokens_ns = self.tokens_ns.saturating_add(earned).min(self.burst_ns);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn off_allows_everything() {
        let mut b = Budget::new(0, 0);
        for t in 0..100 {
            assert!(b.allow(t));
            b.charge(10 * MS);
        }
        assert_eq!(b.refused, 0);
    }

    #[test]
    fn a_burst_then_the_rate() {
        // 100 ms per second, 50 ms of burst, renders of 10 ms.
        let mut b = Budget::new(100, 50);
        let mut now = 1_000 * MS;
        let mut rendered = 0;
        for _ in 0..10 {
            if b.allow(now) {
                b.charge(10 * MS);
                rendered += 1;
            }
        }
        assert_eq!(rendered, 5, "the burst");
        assert_eq!(b.refused, 5);
        // One second later: 100 ms earned, capped at the 50 ms burst.
        now += 1_000 * MS;
        let mut later = 0;
        for _ in 0..10 {
            if b.allow(now) {
                b.charge(10 * MS);
                later += 1;
            }
        }
        assert_eq!(later, 5);
        // Over ten seconds of steady requests every 10 ms: 10% of the time.
        let mut steady = 0u64;
        for _ in 0..1000 {
            now += 10 * MS;
            if b.allow(now) {
                b.charge(10 * MS);
                steady += 1;
            }
        }
        assert!((95..=105).contains(&steady), "{steady}");
    }

    #[test]
    fn an_expensive_render_is_charged_its_cost() {
        let mut b = Budget::new(100, 50);
        assert!(b.allow(0));
        b.charge(40 * MS);
        assert!(b.allow(0));
        b.charge(40 * MS);
        assert!(!b.allow(0), "overdrawn by 30 ms");
        // 30 ms of debt at 100 ms/s: 300 ms to repay.
        assert_eq!(b.retry_after_s(), 1);
        assert!(!b.allow(299 * MS));
        assert!(b.allow(301 * MS));
    }

    #[test]
    fn debt_is_bounded_and_the_clock_may_go_backwards() {
        let mut b = Budget::new(10, 100);
        assert!(b.allow(5_000 * MS));
        b.charge(u64::MAX);
        assert!(!b.allow(4_000 * MS), "backwards: nothing earned");
        // Debt is at most one burst (100 ms): 10 s at 10 ms/s, plus a little.
        assert!(!b.allow(15_000 * MS));
        assert!(b.allow(15_001 * MS));
        assert!(b.retry_after_s() >= 1);
    }
}
