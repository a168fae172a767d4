//! Reconnect delays: exponential backoff (1 s doubling to 30 s by default) with ±20 % jitter
//! from a small seedable generator, so tests can pin the sequence.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Exponential backoff with jitter.
///
/// The n-th delay (n from 0) is `min(initial · 2ⁿ, max)` scaled by a random factor in
/// `[1 - jitter, 1 + jitter]`, and never above `max`. [`Backoff::reset`] starts over after a
/// connection went live.
#[derive(Clone, Debug)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    jitter: f64,
    attempt: u32,
    rng: SplitMix64,
}

impl Backoff {
    /// A backoff from `initial` doubling to `max`, with ±`jitter` (0 to 1), seeded from the
    /// clock.
    pub fn new(initial: Duration, max: Duration, jitter: f64) -> Backoff {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5eed)
            ^ (std::process::id() as u64).rotate_left(32);
        Backoff::with_seed(initial, max, jitter, seed)
    }

    /// The same with a fixed seed: the sequence of delays is reproducible.
    pub fn with_seed(initial: Duration, max: Duration, jitter: f64, seed: u64) -> Backoff {
        let initial = initial.max(Duration::from_millis(1));
        Backoff {
            initial,
            max: max.max(initial),
            jitter: if jitter.is_finite() {
                jitter.clamp(0.0, 1.0)
            } else {
                0.0
            },
            attempt: 0,
            rng: SplitMix64(seed),
        }
    }

    /// The backoff a network output's options describe (seeded when they give a seed).
    pub(crate) fn from_options(opts: &super::RtmpOptions) -> Backoff {
        match opts.backoff_seed {
            Some(seed) => Backoff::with_seed(
                opts.backoff_initial,
                opts.backoff_max,
                opts.backoff_jitter,
                seed,
            ),
            None => Backoff::new(opts.backoff_initial, opts.backoff_max, opts.backoff_jitter),
        }
    }

    /// The delay before the next attempt; advances the attempt count.
    pub fn next_delay(&mut self) -> Duration {
        let nominal = self
            .initial
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let factor = 1.0 + self.jitter * (2.0 * self.rng.next_f64() - 1.0);
        nominal.mul_f64(factor).min(self.max)
    }

    /// Attempts made since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Starts over from the initial delay.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

impl Default for Backoff {
    /// 1 s doubling to 30 s with ±20 % jitter.
    fn default() -> Backoff {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(30), 0.2)
    }
}

/// SplitMix64: tiny, good enough for jitter, and deterministic for a seed.
#[derive(Clone, Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn doubles_to_the_cap_within_jitter() {
        let mut b = Backoff::with_seed(S, 30 * S, 0.2, 42);
        let nominal = [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0];
        for (n, want) in nominal.iter().enumerate() {
            let d = b.next_delay().as_secs_f64();
            assert!(
                d >= want * 0.8 - 1e-9 && d <= (want * 1.2).min(30.0) + 1e-9,
                "attempt {n}: {d} s, nominal {want} s"
            );
        }
        assert_eq!(b.attempts(), 8);
        b.reset();
        assert!(b.next_delay() <= S.mul_f64(1.2));
    }

    #[test]
    fn same_seed_same_delays_and_jitter_varies() {
        let run = |seed| {
            let mut b = Backoff::with_seed(S, 30 * S, 0.2, seed);
            (0..10).map(|_| b.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let d = run(7);
        assert!(d.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn no_jitter_is_exact_and_never_overflows() {
        let mut b = Backoff::with_seed(S, 30 * S, 0.0, 1);
        let got: Vec<u64> = (0..6).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(got, [1, 2, 4, 8, 16, 30]);
        for _ in 0..100 {
            assert_eq!(b.next_delay(), 30 * S);
        }
    }
}
