//! What a new password must be: long enough, not absurdly long, and not one of the passwords attackers
//! try first. Checked wherever a password is chosen (workspace set-up, a new user, a change, an admin's
//! reset); signing in with an older, weaker password still works.

/// At least this many characters.
pub const MIN_CHARS: usize = 10;

/// The common passwords of `MIN_CHARS` or more, one per line, lower case, after a few comment lines.
const COMMON: &str = include_str!("common_passwords.txt");

/// Why a new password cannot be used, or Ok. `email` is the person's own: their address is no password.
pub fn check_new(password: &str, email: &str) -> Result<(), &'static str> {
    if password.chars().count() < MIN_CHARS {
        return Err("Use at least 10 characters.");
    }
    if password.len() > super::sign_in::MAX_PASSWORD_LEN {
        return Err("Use at most 1,024 characters.");
    }
    let lower = password.trim().to_lowercase();
    if lower == email.trim().to_lowercase() {
        return Err("Your email address cannot be your password.");
    }
    if is_common(&lower) {
        return Err("This password is one of the most common ones; choose another.");
    }
    Ok(())
}

fn is_common(lower: &str) -> bool {
    COMMON.lines().filter(|l| !l.starts_with('#')).any(|l| l == lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_common_and_own_email_passwords_are_refused() {
        assert!(check_new("short", "a@b.example").is_err());
        assert!(check_new("123456789", "a@b.example")
            .unwrap_err()
            .contains("10 characters"));
        assert!(check_new("1234567890", "a@b.example")
            .unwrap_err()
            .contains("most common"));
        assert!(
            check_new("QwertyUIOP", "a@b.example")
                .unwrap_err()
                .contains("most common"),
            "case does not matter"
        );
        assert!(check_new("password123", "a@b.example").is_err());
        assert!(check_new("ana@b.example", "Ana@B.example").is_err());
        assert!(check_new(&"x".repeat(1025), "a@b.example").is_err());
        assert_eq!(check_new("correct horse 1", "a@b.example"), Ok(()));
        assert_eq!(
            check_new("ñandú café 2026", "a@b.example"),
            Ok(()),
            "any characters, counted as characters"
        );
    }

    #[test]
    fn the_list_is_lower_case_and_long_enough_to_matter() {
        let entries: Vec<&str> = COMMON.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(entries.len() > 1000, "{}", entries.len());
        assert!(entries
            .iter()
            .all(|e| e.chars().count() >= MIN_CHARS && *e == e.to_lowercase()));
    }
}
