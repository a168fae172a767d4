//! Media time: integer nanoseconds ([`Nanos`]). Every timestamp is converted once from its
//! own timescale (`pts * 1e9 / timescale`, in 128-bit arithmetic, rounded) and never summed in
//! floating point, so an hour of 29.97 fps video ends where it should.

/// Media or scene time in nanoseconds.
pub type Nanos = i64;

/// Nanoseconds in a second.
pub const NANOS_PER_SECOND: Nanos = 1_000_000_000;

/// `value / timescale` seconds as nanoseconds, rounded to the nearest (0 for a zero
/// timescale; saturating at the ends of `i64`).
pub fn nanos_from_ticks(value: i64, timescale: u64) -> Nanos {
    if timescale == 0 {
        return 0;
    }
    let n = value as i128 * NANOS_PER_SECOND as i128;
    let d = timescale as i128;
    let q = if n >= 0 {
        (n + d / 2) / d
    } else {
        -((-n + d / 2) / d)
    };
    q.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// Seconds as nanoseconds, rounded; NaN is 0, infinities saturate.
pub fn nanos_from_secs(secs: f64) -> Nanos {
    if secs.is_nan() {
        0
    } else {
        (secs * NANOS_PER_SECOND as f64).round() as i64
    }
}

/// Nanoseconds as seconds.
pub fn secs_from_nanos(n: Nanos) -> f64 {
    n as f64 / NANOS_PER_SECOND as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_convert_exactly_and_round() {
        assert_eq!(nanos_from_ticks(1001, 30000), 33_366_667);
        assert_eq!(nanos_from_ticks(90000, 90000), NANOS_PER_SECOND);
        assert_eq!(nanos_from_ticks(-1, 3), -333_333_333);
        assert_eq!(nanos_from_ticks(5, 0), 0);
        assert_eq!(nanos_from_ticks(i64::MAX, 1), i64::MAX);
        // An hour of NTSC frames, each converted from its own index: no drift.
        assert_eq!(nanos_from_ticks(107_892 * 1001, 30000), 3_599_996_400_000);
    }

    #[test]
    fn seconds_at_the_edges() {
        assert_eq!(nanos_from_secs(f64::NAN), 0);
        assert_eq!(nanos_from_secs(1e308), i64::MAX);
        assert_eq!(nanos_from_secs(-1e308), i64::MIN);
        assert_eq!(nanos_from_secs(-0.0), 0);
        assert_eq!(nanos_from_secs(1e-308), 0);
        assert_eq!(nanos_from_secs(2.5), 2_500_000_000);
    }
}
