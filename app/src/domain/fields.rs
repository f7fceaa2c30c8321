//! The lead's editable fields, described once. Forms, validation, mutations and storage all read this table,
//! so adding a field is one line here plus a column in the migrations.

/// How a field's value is entered, checked and stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    LongText,
    Email,
    Phone,
    Url,
    /// A whole number within 0..=max.
    Int {
        max: i64,
    },
    /// An amount of money, stored in cents.
    Money,
    Bool,
    Choice(&'static [&'static str]),
    /// A user id (the owner); changing it is a reassignment.
    User,
    /// A set of keys (a-z, 0-9, _), kept sorted and comma-separated.
    Keys,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Lead,
    Person,
    Company,
    Address,
    Qualification,
    /// The lead's place in its business process, shown by the stage bar rather than the form.
    Process,
    /// Written by qualify and disqualify, never edited directly.
    Closing,
}

impl Group {
    /// The groups the lead form shows.
    pub const ALL: [Group; 5] = [
        Group::Lead,
        Group::Person,
        Group::Company,
        Group::Address,
        Group::Qualification,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Group::Lead => "Lead",
            Group::Person => "Contact",
            Group::Company => "Company",
            Group::Address => "Address",
            Group::Qualification => "Qualification",
            Group::Process => "Process",
            Group::Closing => "Closing",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// Stable name: the form key, the mutation key and the database column.
    pub key: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    /// Longest accepted text, in characters.
    pub max_len: usize,
    pub required: bool,
    pub group: Group,
}

pub const SOURCES: &[&str] = &[
    "Advertisement",
    "Employee Referral",
    "External Referral",
    "Partner",
    "Public Relations",
    "Seminar",
    "Trade Show",
    "Web",
    "Word of Mouth",
    "Other",
];
pub const RATINGS: &[&str] = &["Hot", "Warm", "Cold"];
pub const TIMEFRAMES: &[&str] = &["Immediate", "This Quarter", "Next Quarter", "This Year", "Unknown"];
pub const PURCHASE_PROCESSES: &[&str] = &["Individual", "Committee", "Unknown"];
/// Status reasons a user may pick while the lead is open; closing reasons come with qualify/disqualify.
pub const OPEN_STATUS_REASONS: &[&str] = &["New", "Contacted"];

const fn f(key: &'static str, label: &'static str, kind: Kind, max_len: usize, group: Group) -> FieldSpec {
    FieldSpec {
        key,
        label,
        kind,
        max_len,
        required: false,
        group,
    }
}
const fn req(key: &'static str, label: &'static str, kind: Kind, max_len: usize, group: Group) -> FieldSpec {
    FieldSpec {
        key,
        label,
        kind,
        max_len,
        required: true,
        group,
    }
}

use Group::*;
use Kind::*;

pub const FIELDS: &[FieldSpec] = &[
    req("topic", "Topic", Text, 200, Lead),
    f("status_reason", "Status", Choice(OPEN_STATUS_REASONS), 40, Lead),
    f("source", "Lead source", Choice(SOURCES), 40, Lead),
    f("rating", "Rating", Choice(RATINGS), 10, Lead),
    f("owner_id", "Owner", User, 36, Lead),
    f("first_name", "First name", Text, 100, Person),
    req("last_name", "Last name", Text, 100, Person),
    f("job_title", "Job title", Text, 100, Person),
    f("email", "Email", Email, 254, Person),
    f("business_phone", "Business phone", Phone, 50, Person),
    f("mobile_phone", "Mobile phone", Phone, 50, Person),
    req("company_name", "Company", Text, 160, Company),
    f("website", "Website", Url, 200, Company),
    f("industry", "Industry", Text, 100, Company),
    f("employees", "Employees", Int { max: 10_000_000 }, 12, Company),
    f("annual_revenue", "Annual revenue", Money, 20, Company),
    f("sic_code", "SIC code", Text, 20, Company),
    f("street", "Street", Text, 200, Address),
    f("city", "City", Text, 100, Address),
    f("state_province", "State/Province", Text, 100, Address),
    f("postal_code", "Postal code", Text, 20, Address),
    f("country", "Country", Text, 100, Address),
    f("budget_amount", "Budget amount", Money, 20, Qualification),
    f(
        "purchase_timeframe",
        "Purchase timeframe",
        Choice(TIMEFRAMES),
        20,
        Qualification,
    ),
    f(
        "purchase_process",
        "Purchase process",
        Choice(PURCHASE_PROCESSES),
        20,
        Qualification,
    ),
    f("decision_maker", "Decision maker identified", Bool, 5, Qualification),
    f("description", "Description", LongText, 4000, Qualification),
    f("process_id", "Process", Text, 60, Process),
    f("stage", "Stage", Text, 60, Process),
    f("process_checks", "Checked steps", Keys, 2000, Process),
    f("closed_note", "Closing note", LongText, 2000, Closing),
];

pub fn spec(key: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|s| s.key == key)
}

pub fn in_group(group: Group) -> impl Iterator<Item = &'static FieldSpec> {
    FIELDS.iter().filter(move |s| s.group == group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_column_safe() {
        for (i, a) in FIELDS.iter().enumerate() {
            assert!(a.key.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{}", a.key);
            assert!(FIELDS[i + 1..].iter().all(|b| b.key != a.key), "duplicate {}", a.key);
        }
    }

    #[test]
    fn the_three_required_fields() {
        let required: Vec<_> = FIELDS.iter().filter(|s| s.required).map(|s| s.key).collect();
        assert_eq!(required, ["topic", "last_name", "company_name"]);
    }
}
