//! Opportunities and the people around a deal: stakeholder roles, and closing an opportunity as won or
//! lost (lost needs a reason; the competitor who won, when known, must be one of the deal's competitors).

use super::fields::{FieldSpec, Group, Kind};
use super::validate::{normalize, FieldError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StakeholderRole {
    DecisionMaker,
    EconomicBuyer,
    TechnicalBuyer,
    Influencer,
    Legal,
    ProjectManager,
    BoardMember,
    Other,
}

impl StakeholderRole {
    pub const ALL: [StakeholderRole; 8] = [
        StakeholderRole::DecisionMaker,
        StakeholderRole::EconomicBuyer,
        StakeholderRole::TechnicalBuyer,
        StakeholderRole::Influencer,
        StakeholderRole::Legal,
        StakeholderRole::ProjectManager,
        StakeholderRole::BoardMember,
        StakeholderRole::Other,
    ];
    pub fn label(self) -> &'static str {
        match self {
            StakeholderRole::DecisionMaker => "Decision maker",
            StakeholderRole::EconomicBuyer => "Economic buyer",
            StakeholderRole::TechnicalBuyer => "Technical buyer",
            StakeholderRole::Influencer => "Influencer",
            StakeholderRole::Legal => "Legal",
            StakeholderRole::ProjectManager => "Project manager",
            StakeholderRole::BoardMember => "Board member",
            StakeholderRole::Other => "Other",
        }
    }
    pub fn parse(s: &str) -> Option<StakeholderRole> {
        StakeholderRole::ALL
            .into_iter()
            .find(|r| r.label().eq_ignore_ascii_case(s.trim()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Won,
    Lost,
}

/// Why a deal was lost.
pub const LOST_REASONS: &[&str] = &["Lost to a competitor", "No budget", "No decision", "Canceled", "Other"];

/// A checked close: the outcome, the reason (lost only) and the winning competitor (lost only, optional).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Close {
    pub outcome: Outcome,
    pub reason: Option<&'static str>,
    pub winner: Option<Uuid>,
}

pub fn check_close(
    open: bool,
    outcome: Outcome,
    reason: &str,
    winner: Option<Uuid>,
    competitors: &[Uuid],
) -> Result<Close, String> {
    if !open {
        return Err("This opportunity is already closed.".into());
    }
    match outcome {
        Outcome::Won => Ok(Close {
            outcome,
            reason: None,
            winner: None,
        }),
        Outcome::Lost => {
            let reason = LOST_REASONS
                .iter()
                .find(|r| r.eq_ignore_ascii_case(reason.trim()))
                .copied()
                .ok_or_else(|| format!("Choose why it was lost: {}.", LOST_REASONS.join(", ")))?;
            if let Some(w) = winner {
                if !competitors.contains(&w) {
                    return Err("Pick the winner from this deal's competitors (add it first if missing).".into());
                }
            }
            Ok(Close {
                outcome,
                reason: Some(reason),
                winner,
            })
        }
    }
}

/// Who a stakeholder is: a contact already known, or one made in place (its id minted by the browser).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactPick {
    Existing(Uuid),
    New {
        id: Uuid,
        first_name: String,
        last_name: String,
        email: String,
        job_title: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StakeholderDraft {
    pub lead_id: Uuid,
    pub contact: ContactPick,
    pub role: StakeholderRole,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompetitorDraft {
    pub name: String,
    pub website: String,
    pub strengths: String,
    pub weaknesses: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DealCompetitorDraft {
    pub lead_id: Uuid,
    pub competitor_id: Uuid,
    pub note: String,
}

const fn text(key: &'static str, label: &'static str, kind: Kind, max_len: usize, required: bool) -> FieldSpec {
    FieldSpec {
        key,
        label,
        kind,
        max_len,
        required,
        group: Group::Lead,
    }
}
const NOTE: FieldSpec = text("note", "Note", Kind::LongText, 1000, false);

/// The opportunity's editable fields (its process steps point at some of them).
pub const FIELDS: &[FieldSpec] = &[
    text("topic", "Topic", Kind::Text, 200, true),
    text("estimated_value", "Estimated value", Kind::Money, 20, false),
    text("customer_need", "Customer need", Kind::LongText, 2000, false),
    text("proposed_solution", "Proposed solution", Kind::LongText, 2000, false),
    text("decision_date", "Decision date", Kind::Date, 10, false),
    text("stage", "Stage", Kind::Text, 60, false),
    text("process_checks", "Checked steps", Kind::Keys, 2000, false),
];

pub fn spec(key: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|s| s.key == key)
}

/// Validates an edit of an opportunity: known fields only, each checked like a lead's.
pub fn normalize_edit(raw: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Vec<FieldError>> {
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    for (k, v) in raw {
        match spec(k).map(|s| normalize(s, v)) {
            None => errors.push(FieldError::new(k, "Unknown field.")),
            Some(Ok(v)) => {
                out.insert(k.clone(), v);
            }
            Some(Err(m)) => errors.push(FieldError::new(k, m)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
const FIRST: FieldSpec = text("first_name", "First name", Kind::Text, 100, false);
const LAST: FieldSpec = text("last_name", "Last name", Kind::Text, 100, true);
const EMAIL: FieldSpec = text("email", "Email", Kind::Email, 254, false);
const TITLE: FieldSpec = text("job_title", "Job title", Kind::Text, 100, false);
const NAME: FieldSpec = text("name", "Name", Kind::Text, 120, true);
const WEBSITE: FieldSpec = text("website", "Website", Kind::Url, 200, false);
const STRENGTHS: FieldSpec = text("strengths", "Strengths", Kind::LongText, 2000, false);
const WEAKNESSES: FieldSpec = text("weaknesses", "Weaknesses", Kind::LongText, 2000, false);

/// Reads the given fields, refusing any other key; every message names its field.
struct Form<'a> {
    fields: &'a BTreeMap<String, String>,
    errors: Vec<FieldError>,
}

impl<'a> Form<'a> {
    fn new(fields: &'a BTreeMap<String, String>, allowed: &[&str]) -> Self {
        let errors = fields
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .map(|k| FieldError::new(k, "Unknown field."))
            .collect();
        Form { fields, errors }
    }
    fn text(&mut self, spec: &FieldSpec) -> String {
        match normalize(spec, self.fields.get(spec.key).map(String::as_str).unwrap_or("")) {
            Ok(v) => v,
            Err(m) => {
                self.errors.push(FieldError::new(spec.key, m));
                String::new()
            }
        }
    }
    fn id(&mut self, key: &str, message: &str) -> Uuid {
        match self.fields.get(key).and_then(|v| Uuid::parse_str(v.trim()).ok()) {
            Some(id) => id,
            None => {
                self.errors.push(FieldError::new(key, message));
                Uuid::nil()
            }
        }
    }
    fn role(&mut self) -> StakeholderRole {
        let raw = self.fields.get("role").map(String::as_str).unwrap_or("");
        StakeholderRole::parse(raw).unwrap_or_else(|| {
            self.errors
                .push(FieldError::new("role", "Choose a role from the list."));
            StakeholderRole::Other
        })
    }
    fn done<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.errors)
        }
    }
}

/// A new stakeholder: `lead_id`, a role, a note, and either `contact_id` or a new contact's fields
/// (`new_contact_id`, `last_name`, optional `first_name`, `email`, `job_title`).
pub fn check_stakeholder(fields: &BTreeMap<String, String>) -> Result<StakeholderDraft, Vec<FieldError>> {
    let mut f = Form::new(
        fields,
        &[
            "lead_id",
            "contact_id",
            "new_contact_id",
            "first_name",
            "last_name",
            "email",
            "job_title",
            "role",
            "note",
        ],
    );
    let lead_id = f.id("lead_id", "Unknown lead.");
    let contact = if fields.get("contact_id").is_some_and(|c| !c.trim().is_empty()) {
        ContactPick::Existing(f.id("contact_id", "Pick a contact from the list."))
    } else {
        ContactPick::New {
            id: f.id("new_contact_id", "The form is out of date; reload the page."),
            first_name: f.text(&FIRST),
            last_name: f.text(&LAST),
            email: f.text(&EMAIL),
            job_title: f.text(&TITLE),
        }
    };
    let role = f.role();
    let note = f.text(&NOTE);
    f.done(StakeholderDraft {
        lead_id,
        contact,
        role,
        note,
    })
}

/// A change to a stakeholder: its role and/or note.
pub fn check_stakeholder_edit(
    fields: &BTreeMap<String, String>,
) -> Result<(Option<StakeholderRole>, Option<String>), Vec<FieldError>> {
    let mut f = Form::new(fields, &["role", "note"]);
    let role = fields.contains_key("role").then(|| f.role());
    let note = fields.contains_key("note").then(|| f.text(&NOTE));
    f.done((role, note))
}

/// A competitor of the shared list (new, or all its fields when edited).
pub fn check_competitor(fields: &BTreeMap<String, String>) -> Result<CompetitorDraft, Vec<FieldError>> {
    let mut f = Form::new(fields, &["name", "website", "strengths", "weaknesses"]);
    let d = CompetitorDraft {
        name: f.text(&NAME),
        website: f.text(&WEBSITE),
        strengths: f.text(&STRENGTHS),
        weaknesses: f.text(&WEAKNESSES),
    };
    f.done(d)
}

/// A competitor linked to a deal: `lead_id`, `competitor_id`, a note.
pub fn check_deal_competitor(fields: &BTreeMap<String, String>) -> Result<DealCompetitorDraft, Vec<FieldError>> {
    let mut f = Form::new(fields, &["lead_id", "competitor_id", "note"]);
    let d = DealCompetitorDraft {
        lead_id: f.id("lead_id", "Unknown lead."),
        competitor_id: f.id("competitor_id", "Pick a competitor from the list."),
        note: f.text(&NOTE),
    };
    f.done(d)
}

/// A change to a linked competitor: its note only.
pub fn check_deal_competitor_edit(fields: &BTreeMap<String, String>) -> Result<String, Vec<FieldError>> {
    let mut f = Form::new(fields, &["note"]);
    let note = f.text(&NOTE);
    f.done(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stakeholder_roles_read_back_from_their_labels() {
        for r in StakeholderRole::ALL {
            assert_eq!(StakeholderRole::parse(r.label()), Some(r));
        }
        assert_eq!(
            StakeholderRole::parse("decision MAKER"),
            Some(StakeholderRole::DecisionMaker)
        );
        assert_eq!(StakeholderRole::parse("Boss"), None);
    }

    #[test]
    fn closing_lost_needs_a_reason_and_a_known_winner() {
        let rival = Uuid::now_v7();
        assert_eq!(check_close(true, Outcome::Won, "", None, &[]).unwrap().reason, None);
        assert!(check_close(true, Outcome::Lost, "", None, &[rival])
            .unwrap_err()
            .contains("Choose why"));
        let c = check_close(true, Outcome::Lost, "lost to a competitor", Some(rival), &[rival]).unwrap();
        assert_eq!((c.reason, c.winner), (Some("Lost to a competitor"), Some(rival)));
        assert!(check_close(true, Outcome::Lost, "No budget", Some(Uuid::now_v7()), &[rival]).is_err());
        assert!(check_close(false, Outcome::Won, "", None, &[]).is_err());
    }

    fn f(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn stakeholders_pick_a_contact_or_make_one_and_need_a_known_role() {
        let lead = Uuid::now_v7().to_string();
        let c = Uuid::now_v7();
        let d = check_stakeholder(&f(&[
            ("lead_id", &lead),
            ("contact_id", &c.to_string()),
            ("role", "economic buyer"),
            ("note", " Signs the cheques "),
        ]))
        .unwrap();
        assert_eq!(
            (d.contact, d.role, d.note.as_str()),
            (
                ContactPick::Existing(c),
                StakeholderRole::EconomicBuyer,
                "Signs the cheques"
            )
        );
        let n = Uuid::now_v7();
        let d = check_stakeholder(&f(&[
            ("lead_id", &lead),
            ("new_contact_id", &n.to_string()),
            ("last_name", "Ruiz"),
            ("email", "r@bar.es"),
            ("role", "Legal"),
        ]))
        .unwrap();
        assert!(matches!(d.contact, ContactPick::New { id, ref last_name, .. } if id == n && last_name == "Ruiz"));
        let errors = check_stakeholder(&f(&[
            ("lead_id", &lead),
            ("new_contact_id", &n.to_string()),
            ("email", "nope"),
            ("role", "Boss"),
            ("shoe", "9"),
        ]))
        .unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(keys, ["shoe", "last_name", "email", "role"]);
        assert_eq!(
            check_stakeholder_edit(&f(&[("role", "Influencer")])).unwrap(),
            (Some(StakeholderRole::Influencer), None)
        );
    }

    #[test]
    fn competitors_need_a_name_and_links_need_both_ids() {
        assert_eq!(
            check_competitor(&f(&[("name", " Cafés Rival "), ("website", "rival.es")]))
                .unwrap()
                .name,
            "Cafés Rival"
        );
        assert_eq!(
            check_competitor(&f(&[("website", "rival.es")])).unwrap_err()[0].field,
            "name"
        );
        let link =
            check_deal_competitor(&f(&[("lead_id", &Uuid::now_v7().to_string()), ("competitor_id", "x")])).unwrap_err();
        assert_eq!(link[0].field, "competitor_id");
        assert!(check_deal_competitor_edit(&f(&[("note", &"x".repeat(1001))])).is_err());
    }
}
