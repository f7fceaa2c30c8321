//! Slowing down password guessing: a few free tries, then a wait that doubles with each failure. Counted
//! per email (someone guessing one person's password) and per client address (someone trying many emails).
//! Every try is counted before the password is checked, so tries sent at once cannot all pass as the first.

use std::net::IpAddr;

/// Emails longer than this are refused before anything is stored (RFC 5321 allows 254).
pub const MAX_EMAIL_LEN: usize = 254;
/// Passwords longer than this are refused before they are hashed.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// How many failures a key may have before it must wait, and for how long failures are remembered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub free_tries: i64,
    pub window_ms: i64,
    pub max_wait_s: i64,
}

/// One person's password: five tries, then 5 s, 10 s, ... up to 5 minutes.
pub const PER_EMAIL: Limit = Limit {
    free_tries: 5,
    window_ms: 15 * 60 * 1000,
    max_wait_s: 300,
};
/// One client address: room for a trade-show stand of sellers behind one address mistyping now and then.
pub const PER_ADDRESS: Limit = Limit {
    free_tries: 30,
    window_ms: 15 * 60 * 1000,
    max_wait_s: 300,
};

/// The longest window of any limit: throttle rows older than this are forgotten and may be purged.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

impl Limit {
    /// The failure count that still counts at `now` (0 once the window has passed).
    pub fn live_failures(self, failures: i64, last_failure_at: i64, now: i64) -> i64 {
        if now - last_failure_at > self.window_ms {
            0
        } else {
            failures
        }
    }

    /// Seconds the key must wait before the next try, if any.
    pub fn wait_seconds(self, failures: i64, last_failure_at: i64, now: i64) -> Option<i64> {
        let failures = self.live_failures(failures, last_failure_at, now);
        if failures < self.free_tries {
            return None;
        }
        let wait_ms = (5_i64 << (failures - self.free_tries).min(10)).min(self.max_wait_s) * 1000;
        let left = last_failure_at + wait_ms - now;
        (left > 0).then(|| (left + 999) / 1000)
    }
}

/// The throttle key of an email, as typed (trimmed, lower case).
pub fn email_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

/// The throttle key of a client address. IPv6 counts by /64: one household or phone gets a whole /64.
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("addr:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("addr:{v4}"),
            None => {
                let s = v6.segments();
                format!("addr:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Whether a sign-in is worth checking at all: an oversized email or password is refused before anything
/// is stored or hashed.
pub fn plausible(email: &str, password: &str) -> bool {
    email.len() <= MAX_EMAIL_LEN && password.len() <= MAX_PASSWORD_LEN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_tries_then_doubling_waits() {
        let t = 1_000_000;
        let l = PER_EMAIL;
        assert_eq!(l.wait_seconds(4, t, t), None);
        assert_eq!(l.wait_seconds(5, t, t), Some(5));
        assert_eq!(l.wait_seconds(6, t, t), Some(10));
        assert_eq!(l.wait_seconds(6, t, t + 9_500), Some(1));
        assert_eq!(l.wait_seconds(6, t, t + 10_000), None);
        assert_eq!(l.wait_seconds(40, t, t), Some(l.max_wait_s));
        assert_eq!(PER_ADDRESS.wait_seconds(29, t, t), None, "an address has more room");
        assert_eq!(PER_ADDRESS.wait_seconds(30, t, t), Some(5));
    }

    #[test]
    fn old_failures_are_forgotten() {
        assert_eq!(PER_EMAIL.live_failures(9, 0, WINDOW_MS + 1), 0);
        assert_eq!(PER_EMAIL.wait_seconds(9, 0, WINDOW_MS + 1), None);
    }

    #[test]
    fn keys_name_an_email_or_an_address() {
        assert_eq!(email_key("  Ana@Example.COM "), "email:ana@example.com");
        assert_eq!(address_key("203.0.113.7".parse().unwrap()), "addr:203.0.113.7");
        assert_eq!(address_key("::ffff:203.0.113.7".parse().unwrap()), "addr:203.0.113.7");
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1".parse().unwrap()),
            address_key("2001:db8:1:2:bbbb::9".parse().unwrap())
        );
        assert_eq!(
            address_key("2001:db8:1:2::1".parse().unwrap()),
            "addr:2001:db8:1:2::/64"
        );
    }

    #[test]
    fn oversized_input_is_not_worth_checking() {
        assert!(plausible("ana@example.com", "correct horse"));
        assert!(!plausible(&format!("{}@example.com", "a".repeat(250)), "x"));
        assert!(!plausible("ana@example.com", &"x".repeat(1025)));
    }
}
