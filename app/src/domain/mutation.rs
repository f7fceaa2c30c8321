//! The one shape every change to a record takes, and the per-field merge that decides what a change does.
//! Online saves and (later) replayed offline edits are both `Mutation`s decided by `store::write`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Which kind of record a mutation changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entity {
    #[default]
    Lead,
    /// An item on a lead's timeline (activity, note, post); its fields are `domain::timeline`'s.
    TimelineItem,
    /// A contact's role on a lead (see `domain::opportunity::check_stakeholder`).
    Stakeholder,
    /// A competitor linked to a lead, with a note.
    DealCompetitor,
    /// An entry of the shared competitor list.
    Competitor,
    /// An opportunity: field edits, stage moves, closing.
    Opportunity,
    /// An account (company), created or edited by hand.
    Account,
    /// A contact (person), created or edited by hand.
    Contact,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mutation {
    /// Absent in mutations queued before timelines existed: those are lead edits.
    #[serde(default)]
    pub entity: Entity,
    /// The browser (or tab, or tool) that made the change; minted once by the client.
    pub client_id: Uuid,
    /// Rises by one per mutation of that client; (client_id, seq) is applied at most once.
    pub seq: i64,
    pub record_id: Uuid,
    pub op: Op,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Create {
        fields: BTreeMap<String, String>,
    },
    Update {
        changes: Vec<FieldChange>,
    },
    Delete,
    /// Closes an open lead as qualified, creating (or linking) account, contact and opportunity.
    Qualify(super::qualify::QualifyOrder),
    /// Closes an open lead with one of `qualify::DISQUALIFY_REASONS` and an optional note.
    Disqualify {
        reason: String,
        note: String,
    },
    /// Opens a closed lead again (New), keeping everything it had.
    Reactivate,
    /// Closes an open opportunity as won, or lost with a reason and maybe the competitor who won.
    Close {
        won: bool,
        reason: String,
        winner: Option<Uuid>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub value: String,
    /// The field's version when the user started editing it.
    pub base_version: i64,
}

/// What the record holds for one field now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldState {
    pub value: String,
    pub version: i64,
    pub changed_by: Option<Uuid>,
    /// UTC milliseconds since 1970 (kept as a number so the browser build needs no date library).
    pub changed_at: Option<i64>,
}

/// Two people changed the same field: `theirs` is on the record, `yours` was just sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub field: String,
    pub yours: String,
    pub theirs: String,
    pub their_version: i64,
    pub changed_by: Option<Uuid>,
    pub changed_at: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictPolicy {
    /// An interactive save: apply nothing and let the person choose.
    Reject,
    /// A replayed offline edit: the later write wins per field, the losing value is kept as a conflict.
    LastWriteWins,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merge {
    pub apply: BTreeMap<String, String>,
    pub conflicts: Vec<Conflict>,
}

/// Decides, field by field, what an update does to the current state.
/// A field nobody touched since the base version takes the new value; a field changed meanwhile to the
/// same value is a no-op; a field changed meanwhile to another value is a conflict.
pub fn merge(current: &BTreeMap<String, FieldState>, changes: &[FieldChange], policy: ConflictPolicy) -> Merge {
    let mut out = Merge::default();
    for ch in changes {
        let (now_value, now_version) = current
            .get(&ch.field)
            .map(|s| (s.value.as_str(), s.version))
            .unwrap_or(("", 0));
        if now_value == ch.value {
            continue;
        }
        if ch.base_version >= now_version {
            out.apply.insert(ch.field.clone(), ch.value.clone());
            continue;
        }
        let state = current.get(&ch.field);
        out.conflicts.push(Conflict {
            field: ch.field.clone(),
            yours: ch.value.clone(),
            theirs: now_value.to_string(),
            their_version: now_version,
            changed_by: state.and_then(|s| s.changed_by),
            changed_at: state.and_then(|s| s.changed_at),
        });
        if policy == ConflictPolicy::LastWriteWins {
            out.apply.insert(ch.field.clone(), ch.value.clone());
        }
    }
    if policy == ConflictPolicy::Reject && !out.conflicts.is_empty() {
        out.apply.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(pairs: &[(&str, &str, i64)]) -> BTreeMap<String, FieldState> {
        pairs
            .iter()
            .map(|(k, v, ver)| {
                (
                    k.to_string(),
                    FieldState {
                        value: v.to_string(),
                        version: *ver,
                        changed_by: None,
                        changed_at: None,
                    },
                )
            })
            .collect()
    }
    fn ch(field: &str, value: &str, base: i64) -> FieldChange {
        FieldChange {
            field: field.into(),
            value: value.into(),
            base_version: base,
        }
    }

    #[test]
    fn edits_to_different_fields_both_apply() {
        // Ana saved the topic at version 2; Luis started from version 1 and changed the city.
        let cur = state(&[("topic", "Espresso bar", 2), ("city", "Madrid", 1)]);
        let m = merge(&cur, &[ch("city", "Sevilla", 1)], ConflictPolicy::Reject);
        assert_eq!(m.apply.get("city").map(String::as_str), Some("Sevilla"));
        assert!(m.conflicts.is_empty());
    }

    #[test]
    fn same_field_changed_meanwhile_is_a_conflict_and_nothing_applies() {
        let cur = state(&[("topic", "Espresso bar", 2), ("city", "Madrid", 1)]);
        let m = merge(
            &cur,
            &[ch("topic", "Vending", 1), ch("city", "Sevilla", 1)],
            ConflictPolicy::Reject,
        );
        assert!(m.apply.is_empty());
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(
            (m.conflicts[0].theirs.as_str(), m.conflicts[0].yours.as_str()),
            ("Espresso bar", "Vending")
        );
    }

    #[test]
    fn last_write_wins_applies_and_still_reports_the_loser() {
        let cur = state(&[("topic", "Espresso bar", 2)]);
        let m = merge(&cur, &[ch("topic", "Vending", 1)], ConflictPolicy::LastWriteWins);
        assert_eq!(m.apply.get("topic").map(String::as_str), Some("Vending"));
        assert_eq!(m.conflicts[0].theirs, "Espresso bar");
    }

    #[test]
    fn the_same_value_twice_is_no_change_and_no_conflict() {
        let cur = state(&[("topic", "Vending", 3)]);
        let m = merge(&cur, &[ch("topic", "Vending", 1)], ConflictPolicy::Reject);
        assert_eq!(m, Merge::default());
    }

    #[test]
    fn re_applying_on_top_of_the_current_version_wins() {
        // After seeing the conflict the person keeps their value: the client resends with the current version.
        let cur = state(&[("topic", "Espresso bar", 2)]);
        let m = merge(&cur, &[ch("topic", "Vending", 2)], ConflictPolicy::Reject);
        assert_eq!(m.apply.len(), 1);
    }
}
