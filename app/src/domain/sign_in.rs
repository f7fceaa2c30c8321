//! Slowing down password guessing: a few free tries, then a wait that doubles with each failure.

/// Failures older than this are forgotten.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const FREE_TRIES: i64 = 5;
pub const MAX_WAIT_S: i64 = 300;

/// The failure count that still counts at `now` (0 once the window has passed).
pub fn live_failures(failures: i64, last_failure_at: i64, now: i64) -> i64 {
    if now - last_failure_at > WINDOW_MS { 0 } else { failures }
}

/// Seconds the person must wait before the next try, if any.
pub fn wait_seconds(failures: i64, last_failure_at: i64, now: i64) -> Option<i64> {
    let failures = live_failures(failures, last_failure_at, now);
    if failures < FREE_TRIES {
        return None;
    }
    let wait_ms = (5_i64 << (failures - FREE_TRIES).min(10)).min(MAX_WAIT_S) * 1000;
    let left = last_failure_at + wait_ms - now;
    (left > 0).then(|| (left + 999) / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_tries_then_doubling_waits() {
        let t = 1_000_000;
        assert_eq!(wait_seconds(4, t, t), None);
        assert_eq!(wait_seconds(5, t, t), Some(5));
        assert_eq!(wait_seconds(6, t, t), Some(10));
        assert_eq!(wait_seconds(6, t, t + 9_500), Some(1));
        assert_eq!(wait_seconds(6, t, t + 10_000), None);
        assert_eq!(wait_seconds(40, t, t), Some(MAX_WAIT_S));
    }

    #[test]
    fn old_failures_are_forgotten() {
        assert_eq!(live_failures(9, 0, WINDOW_MS + 1), 0);
        assert_eq!(wait_seconds(9, 0, WINDOW_MS + 1), None);
    }
}
