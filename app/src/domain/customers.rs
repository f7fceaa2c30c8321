//! Accounts (companies) and contacts (people): their editable fields, described once like the lead's.

use super::fields::{FieldSpec, Group, Kind};
use super::validate::{normalize, FieldError};
use std::collections::BTreeMap;

const fn f(key: &'static str, label: &'static str, kind: Kind, max_len: usize, required: bool) -> FieldSpec {
    FieldSpec {
        key,
        label,
        kind,
        max_len,
        required,
        group: Group::Company,
    }
}

pub const ACCOUNT_FIELDS: &[FieldSpec] = &[
    f("name", "Account name", Kind::Text, 160, true),
    f("website", "Website", Kind::Url, 200, false),
    f("industry", "Industry", Kind::Text, 100, false),
    f("phone", "Phone", Kind::Phone, 50, false),
    f("city", "City", Kind::Text, 100, false),
    f("country", "Country", Kind::Text, 100, false),
];

pub const CONTACT_FIELDS: &[FieldSpec] = &[
    f("first_name", "First name", Kind::Text, 100, false),
    f("last_name", "Last name", Kind::Text, 100, true),
    f("job_title", "Job title", Kind::Text, 100, false),
    f("email", "Email", Kind::Email, 254, false),
    f("phone", "Phone", Kind::Phone, 50, false),
];

/// Checks the given values against a field table: unknown keys refused, each value made canonical.
/// With `new`, required fields must be present.
pub fn normalize_with(
    specs: &'static [FieldSpec],
    raw: &BTreeMap<String, String>,
    new: bool,
) -> Result<BTreeMap<String, String>, Vec<FieldError>> {
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    for (k, v) in raw {
        match specs.iter().find(|s| s.key == k).map(|s| normalize(s, v)) {
            None => errors.push(FieldError::new(k, "Unknown field.")),
            Some(Ok(v)) => {
                out.insert(k.clone(), v);
            }
            Some(Err(m)) => errors.push(FieldError::new(k, m)),
        }
    }
    if new {
        for s in specs
            .iter()
            .filter(|s| s.required && out.get(s.key).is_none_or(|v| v.is_empty()))
        {
            if !errors.iter().any(|e| e.field == s.key) {
                errors.push(FieldError::new(s.key, "Required."));
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_records_need_their_required_fields_and_nothing_unknown() {
        let raw: BTreeMap<String, String> = [
            ("name".to_string(), " Café Central ".to_string()),
            ("website".to_string(), "cafecentral.es".to_string()),
        ]
        .into();
        assert_eq!(
            normalize_with(ACCOUNT_FIELDS, &raw, true).unwrap()["name"],
            "Café Central"
        );
        let raw: BTreeMap<String, String> = [
            ("email".to_string(), "nope".to_string()),
            ("shoe".to_string(), "9".to_string()),
        ]
        .into();
        let keys: Vec<String> = normalize_with(CONTACT_FIELDS, &raw, true)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(keys, ["email", "shoe", "last_name"]);
        // An edit may leave out required fields it does not change.
        let raw: BTreeMap<String, String> = [("job_title".to_string(), "Owner".to_string())].into();
        assert!(normalize_with(CONTACT_FIELDS, &raw, false).is_ok());
    }
}
