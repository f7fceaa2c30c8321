//! Turns what a person typed into the canonical stored text of a field, or says clearly what is wrong.
//! Canonical text: trimmed; "" means empty; money as `1234.50`; booleans `true`/`false`; choices as listed.

use super::fields::{FieldSpec, Kind, FIELDS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Checks one value against its field; returns the canonical text.
pub fn normalize(spec: &FieldSpec, raw: &str) -> Result<String, String> {
    let v = raw.trim();
    let chars = v.chars().count();
    if chars > spec.max_len {
        return Err(format!("At most {} characters (this has {chars}).", spec.max_len));
    }
    if v.is_empty() {
        return if spec.required {
            Err("Required.".into())
        } else {
            Ok(String::new())
        };
    }
    if v.chars()
        .any(|c| c.is_control() && !(spec.kind == Kind::LongText && (c == '\n' || c == '\r' || c == '\t')))
    {
        return Err("Contains characters that cannot be stored here.".into());
    }
    match spec.kind {
        Kind::Text | Kind::LongText => Ok(v.to_string()),
        Kind::Email => email(v).map(|()| v.to_string()),
        Kind::Phone => phone(v).map(|()| v.to_string()),
        Kind::Url => url(v).map(|()| v.to_string()),
        Kind::Int { max } => int(v, max).map(|n| n.to_string()),
        Kind::Money => money_cents(v).map(format_cents),
        Kind::Bool => match v.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" | "sí" | "si" => Ok("true".into()),
            "false" | "off" | "no" | "0" => Ok("false".into()),
            _ => Err("Choose yes or no.".into()),
        },
        Kind::Choice(options) => options
            .iter()
            .find(|o| o.eq_ignore_ascii_case(v))
            .map(|o| o.to_string())
            .ok_or_else(|| format!("Choose one of: {}.", options.join(", "))),
        Kind::User => uuid::Uuid::parse_str(v)
            .map(|u| u.to_string())
            .map_err(|_| "Choose a user from the list.".into()),
        Kind::Date => date(v).map(|()| v.to_string()),
        Kind::Keys => {
            let mut keys: Vec<&str> = v.split(',').map(str::trim).filter(|k| !k.is_empty()).collect();
            if keys.iter().any(|k| {
                !k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            }) {
                return Err("Only step keys (a-z, 0-9, _) separated by commas.".into());
            }
            keys.sort_unstable();
            keys.dedup();
            Ok(keys.join(","))
        }
    }
}

/// `YYYY-MM-DD`, a day that exists.
fn date(v: &str) -> Result<(), String> {
    let bad = || "Use a date like 2026-03-31.".to_string();
    let parts: Vec<&str> = v.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return Err(bad()) };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (y, m, d): (u32, u32, u32) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if !(1900..=2200).contains(&y) || d == 0 || d > days {
        return Err(bad());
    }
    Ok(())
}

/// Validates a set of raw values (only the keys given). Unknown keys are refused, not ignored.
pub fn normalize_all(raw: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Vec<FieldError>> {
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    for (key, value) in raw {
        match FIELDS.iter().find(|s| s.key == key) {
            None => errors.push(FieldError::new(key, "Unknown field.")),
            Some(spec) => match normalize(spec, value) {
                Ok(v) => {
                    out.insert(key.clone(), v);
                }
                Err(m) => errors.push(FieldError::new(key, m)),
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// For a new lead: every required field must be present.
pub fn check_required(values: &BTreeMap<String, String>) -> Vec<FieldError> {
    FIELDS
        .iter()
        .filter(|s| s.required && values.get(s.key).is_none_or(|v| v.trim().is_empty()))
        .map(|s| FieldError::new(s.key, "Required."))
        .collect()
}

fn email(v: &str) -> Result<(), String> {
    let bad = || Err("Enter an email address like name@example.com.".to_string());
    let Some((local, domain)) = v.rsplit_once('@') else {
        return bad();
    };
    let ok_chars = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c == '@' || c == ',' || c == ';');
    if !ok_chars(local)
        || !ok_chars(domain)
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return bad();
    }
    Ok(())
}

fn phone(v: &str) -> Result<(), String> {
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let allowed = v.chars().all(|c| c.is_ascii_digit() || " +-()./x".contains(c));
    if allowed && digits >= 3 {
        Ok(())
    } else {
        Err("Enter a phone number: digits, spaces and + - ( ) only.".into())
    }
}

fn url(v: &str) -> Result<(), String> {
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))
        .unwrap_or(v);
    let host = rest.split('/').next().unwrap_or("");
    if host.contains('.') && !v.chars().any(char::is_whitespace) && !host.starts_with('.') {
        Ok(())
    } else {
        Err("Enter a web address like example.com.".into())
    }
}

fn int(v: &str, max: i64) -> Result<i64, String> {
    let cleaned: String = v
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '.' | ',' | '\''))
        .collect();
    let msg = || format!("Enter a whole number from 0 to {max}.");
    if cleaned.is_empty() || !cleaned.chars().all(|c| c.is_ascii_digit()) {
        return Err(msg());
    }
    cleaned.parse::<i64>().ok().filter(|n| *n <= max).ok_or_else(msg)
}

/// Largest amount accepted: a trillion, well inside i64 cents.
const MAX_CENTS: i64 = 100_000_000_000_000;

/// Parses amounts as people type them in English or Spanish: `12500`, `12,500.50`, `12.500,50`, `€ 99,9`.
pub fn money_cents(v: &str) -> Result<i64, String> {
    let msg = || "Enter an amount like 12500 or 12,500.50.".to_string();
    let s: String = v
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '€' | '$' | '£' | '\''))
        .collect();
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
        return Err(msg());
    }
    // The decimal separator is the last '.' or ',' followed by one or two digits; every other one groups thousands.
    let decimal_at = s.rfind(['.', ',']).filter(|&i| {
        let tail = s.len() - i - 1;
        let sep = s.as_bytes()[i];
        (1..=2).contains(&tail) || (tail != 3 && s.bytes().filter(|&b| b == sep).count() == 1 && tail > 0)
    });
    let (whole, frac) = match decimal_at {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s.as_str(), ""),
    };
    if frac.len() > 2 {
        return Err("At most two decimals.".into());
    }
    let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| msg())?
    };
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| msg())?;
    whole
        .checked_mul(100)
        .and_then(|c| c.checked_add(frac))
        .filter(|c| *c <= MAX_CENTS)
        .ok_or_else(|| "That amount is too large.".to_string())
}

pub fn format_cents(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fields::spec;

    fn n(key: &str, v: &str) -> Result<String, String> {
        normalize(spec(key).unwrap(), v)
    }

    #[test]
    fn required_and_lengths() {
        assert_eq!(n("topic", "  "), Err("Required.".into()));
        assert_eq!(n("first_name", "  "), Ok(String::new()));
        let long = "x".repeat(201);
        assert_eq!(n("topic", &long), Err("At most 200 characters (this has 201).".into()));
        assert_eq!(n("topic", &"ñ".repeat(200)).map(|s| s.chars().count()), Ok(200));
    }

    #[test]
    fn emails() {
        assert!(n("email", "ana.garcia@cafes.es").is_ok());
        for bad in [
            "ana",
            "ana@",
            "@cafes.es",
            "ana@cafes",
            "ana garcia@cafes.es",
            "a@b@c.es",
            "ana@.es",
        ] {
            assert!(n("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_and_money() {
        assert_eq!(n("employees", "1.200"), Ok("1200".into()));
        assert!(n("employees", "-4").is_err());
        assert!(n("employees", "20000000").is_err());
        assert_eq!(money_cents("12500"), Ok(1_250_000));
        assert_eq!(money_cents("12,500.50"), Ok(1_250_050));
        assert_eq!(money_cents("12.500,50"), Ok(1_250_050));
        assert_eq!(money_cents("€ 99,9"), Ok(9_990));
        assert_eq!(money_cents("1.500"), Ok(150_000));
        assert_eq!(money_cents("1,5"), Ok(150));
        assert!(money_cents("12a").is_err());
        assert!(money_cents("99999999999999999").is_err());
        assert_eq!(n("budget_amount", "25.000"), Ok("25000.00".into()));
    }

    #[test]
    fn choices_bools_and_users() {
        assert_eq!(n("rating", "hot"), Ok("Hot".into()));
        assert_eq!(n("rating", "Boiling"), Err("Choose one of: Hot, Warm, Cold.".into()));
        assert_eq!(n("decision_maker", "on"), Ok("true".into()));
        assert!(n("owner_id", "not-a-uuid").is_err());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let raw = BTreeMap::from([("evil; DROP".to_string(), "x".to_string())]);
        assert_eq!(normalize_all(&raw).unwrap_err()[0].message, "Unknown field.");
    }

    #[test]
    fn missing_required_fields_are_listed() {
        let v = BTreeMap::from([("topic".to_string(), "Coffee".to_string())]);
        let keys: Vec<_> = check_required(&v).into_iter().map(|e| e.field).collect();
        assert_eq!(keys, ["last_name", "company_name"]);
    }

    #[test]
    fn dates_must_exist() {
        let spec = crate::domain::opportunity::spec("decision_date").unwrap();
        assert_eq!(normalize(spec, " 2028-02-29 ").as_deref(), Ok("2028-02-29"));
        for bad in ["2027-02-29", "2026-13-01", "26-01-01", "2026-1-1", "tomorrow"] {
            assert!(normalize(spec, bad).is_err(), "{bad}");
        }
    }
}
