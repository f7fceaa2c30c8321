//! Offline sync, the part both sides share: the outbox of waiting mutations, the local copy of leads, and
//! the view the user sees (the server snapshot with the waiting mutations replayed on top). Plain Rust:
//! the browser keeps these in localStorage, the tests in memory; only storage and network differ.

use crate::domain::mutation::{Entity, FieldChange, Mutation, Op};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// At most this many mutations travel in one push.
pub const PUSH_BATCH: usize = 200;
/// At most this many leads come back from one pull.
pub const PULL_PAGE: usize = 500;
/// Recently opened leads (besides one's own) the browser keeps a copy of.
pub const RECENT_LEADS: usize = 100;
/// A fresh copy takes one's newest open leads up to this many (about 0.5 KB each in storage); later
/// changes to one's leads still arrive by the feed. See ARCHITECTURE.md for the storage budget.
pub const MAX_COPY: usize = 2_000;

// --- What travels between browser and server.

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub client_id: Uuid,
    /// In order of `seq`; the server stops at the first gap.
    pub mutations: Vec<Mutation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Applied,
    /// Applied before (a retried push); nothing changed now.
    Duplicate,
    /// Refused for good (not allowed, invalid, the lead is gone): never retried.
    Rejected {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    /// Every mutation up to this number is done (applied or rejected).
    pub last_applied: i64,
    /// What happened to each mutation of the batch that was reached, in order.
    pub outcomes: Vec<(i64, Outcome)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub client_id: Uuid,
    /// Feed position the local copy reflects; 0 for an empty copy.
    pub cursor: i64,
    /// While copying a fresh snapshot page by page: the last lead id received.
    pub resume: Option<Uuid>,
    /// Leads opened recently that the copy should keep besides one's own (at most `RECENT_LEADS`).
    pub extra: Vec<Uuid>,
    /// The oldest mutation still waiting here (0: none), so the server can say which of them it refused.
    pub first_waiting: i64,
}

/// One lead as the server holds it now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadCopy {
    pub id: Uuid,
    pub version: i64,
    /// Field values (canonical text) and the version each field had after its last change. A field left
    /// out is empty and untouched since the lead was made (version 1), which keeps the copy small.
    pub fields: BTreeMap<String, (String, i64)>,
    pub state: String,
    pub updated_at: i64,
}

impl LeadCopy {
    /// A field's version; one left out of the copy is at version 1 (see `fields`).
    pub fn version_of(&self, field: &str) -> i64 {
        self.fields.get(field).map(|(_, v)| *v).unwrap_or(1)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullPage {
    /// The request's cursor and resume point: a page only fits a copy still at that point.
    pub from: (i64, Option<Uuid>),
    pub leads: Vec<LeadCopy>,
    /// Leads to drop from the copy: deleted, or no longer in the user's reach or interest.
    pub removed: Vec<Uuid>,
    /// The cursor to ask from next time.
    pub cursor: i64,
    /// Set while a snapshot is being copied: ask again with this as `resume`.
    pub resume: Option<Uuid>,
    /// More changes are waiting: pull again at once.
    pub more: bool,
    /// The client's last mutation the server has finished, as of the same snapshot as `leads`.
    pub last_applied: i64,
    /// Of this client's mutations from `first_waiting` on, those refused, with the reason.
    pub rejected: Vec<(i64, String)>,
}

// --- The browser side.

/// Mutations waiting to reach the server, in the order they were made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    pub client_id: Uuid,
    pub next_seq: i64,
    pub waiting: Vec<Mutation>,
    /// Mutations the server refused, with its reason, until the user dismisses them.
    pub rejected: Vec<(Mutation, String)>,
}

impl Outbox {
    pub fn new(client_id: Uuid) -> Self {
        Outbox {
            client_id,
            next_seq: 1,
            waiting: Vec::new(),
            rejected: Vec::new(),
        }
    }

    /// Queues a change and returns it; the caller stores the outbox before showing the change.
    pub fn enqueue(&mut self, record_id: Uuid, op: Op) -> Mutation {
        self.enqueue_for(Entity::Lead, record_id, op)
    }

    pub fn enqueue_for(&mut self, entity: Entity, record_id: Uuid, op: Op) -> Mutation {
        let m = Mutation {
            entity,
            client_id: self.client_id,
            seq: self.next_seq,
            record_id,
            op,
        };
        self.next_seq += 1;
        self.waiting.push(m.clone());
        m
    }

    /// The next batch to send: the oldest waiting mutations, in order.
    pub fn batch(&self) -> Vec<Mutation> {
        self.waiting.iter().take(PUSH_BATCH).cloned().collect()
    }

    /// Takes in the server's answer to a push: refused mutations move to `rejected`; the rest stay waiting
    /// until a pull shows their effect (see `settle`), so the view never flickers back to an old value.
    pub fn record_outcomes(&mut self, outcomes: &[(i64, Outcome)]) {
        for (seq, o) in outcomes {
            if let Outcome::Rejected { reason } = o {
                if let Some(i) = self.waiting.iter().position(|m| m.seq == *seq) {
                    let m = self.waiting.remove(i);
                    self.rejected.push((m, reason.clone()));
                }
            }
        }
    }

    /// After a pull: the mutations the server has finished leave the outbox, refused ones (even when the
    /// push answer was lost) move to `rejected`.
    pub fn settle(&mut self, last_applied: i64, rejected: &[(i64, String)]) {
        self.record_outcomes(
            &rejected
                .iter()
                .map(|(n, r)| (*n, Outcome::Rejected { reason: r.clone() }))
                .collect::<Vec<_>>(),
        );
        self.waiting.retain(|m| m.seq > last_applied);
    }

    pub fn first_waiting(&self) -> i64 {
        self.waiting.first().map(|m| m.seq).unwrap_or(0)
    }
}

/// The local copy of leads as of `cursor`, without waiting changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replica {
    pub cursor: i64,
    /// Set while a fresh snapshot is still being copied.
    pub resume: Option<Uuid>,
    pub leads: BTreeMap<Uuid, LeadCopy>,
    /// Recently opened leads, newest first.
    pub recent: Vec<Uuid>,
}

impl Replica {
    pub fn request(&self, outbox: &Outbox) -> PullRequest {
        PullRequest {
            client_id: outbox.client_id,
            cursor: self.cursor,
            resume: self.resume,
            extra: self.recent.clone(),
            first_waiting: outbox.first_waiting(),
        }
    }

    /// Takes in one pulled page; then `outbox.settle` keeps the view whole. A page that answers an older
    /// request (a late or repeated answer) is ignored: false. Applying it could bring back a removed lead.
    pub fn apply(&mut self, page: &PullPage) -> bool {
        if page.from != (self.cursor, self.resume) {
            return false;
        }
        for id in &page.removed {
            self.leads.remove(id);
        }
        for l in &page.leads {
            // An older copy never replaces a newer one (a delayed answer).
            if self.leads.get(&l.id).is_none_or(|have| have.version <= l.version) {
                self.leads.insert(l.id, l.clone());
            }
        }
        self.cursor = page.cursor;
        // A full copy stops at MAX_COPY leads; from here on the feed keeps it current.
        self.resume = page.resume.filter(|_| self.leads.len() < MAX_COPY);
        true
    }

    /// Remembers a lead the user opened, keeping the newest `RECENT_LEADS`.
    pub fn opened(&mut self, lead: LeadCopy) {
        self.recent.retain(|id| *id != lead.id);
        self.recent.insert(0, lead.id);
        self.recent.truncate(RECENT_LEADS);
        if self.leads.get(&lead.id).is_none_or(|have| have.version <= lead.version) {
            self.leads.insert(lead.id, lead);
        }
    }

    /// What the user sees: the copy with the waiting mutations replayed in order.
    pub fn view(&self, outbox: &Outbox) -> BTreeMap<Uuid, LocalLead> {
        let mut out: BTreeMap<Uuid, LocalLead> = self
            .leads
            .values()
            .map(|l| {
                (
                    l.id,
                    LocalLead {
                        id: l.id,
                        values: l.fields.iter().map(|(k, (v, _))| (k.clone(), v.clone())).collect(),
                        state: l.state.clone(),
                        waiting: BTreeSet::new(),
                        updated_at: l.updated_at,
                    },
                )
            })
            .collect();
        // Timeline items are shown by the timeline, not replayed onto leads.
        for m in outbox.waiting.iter().filter(|m| m.entity == Entity::Lead) {
            match &m.op {
                Op::Create { fields } => {
                    out.entry(m.record_id).or_insert_with(|| LocalLead {
                        id: m.record_id,
                        values: fields.clone(),
                        state: "open".into(),
                        waiting: fields.keys().cloned().collect(),
                        updated_at: 0,
                    });
                }
                Op::Update { changes } => {
                    if let Some(l) = out.get_mut(&m.record_id) {
                        for c in changes {
                            l.values.insert(c.field.clone(), c.value.clone());
                            l.waiting.insert(c.field.clone());
                        }
                    }
                }
                Op::Delete => {
                    out.remove(&m.record_id);
                }
                // Decisions show at once on this device; the server may still refuse them.
                Op::Close { .. } => {}
                Op::Qualify(_) | Op::Disqualify { .. } | Op::Reactivate => {
                    if let Some(l) = out.get_mut(&m.record_id) {
                        let (state, status) = match &m.op {
                            Op::Qualify(_) => ("qualified", "Qualified".to_string()),
                            Op::Disqualify { reason, .. } => ("disqualified", reason.clone()),
                            _ => ("open", "New".to_string()),
                        };
                        l.state = state.into();
                        l.values.insert("status_reason".into(), status);
                        l.waiting.insert("status_reason".into());
                    }
                }
            }
        }
        out
    }

    /// An edit of some fields, with the base versions of the copy (what the user saw when editing).
    /// Fields whose value does not change are left out; None when nothing changes.
    pub fn edit(&self, outbox: &Outbox, id: Uuid, values: &BTreeMap<String, String>) -> Option<Op> {
        let view = self.view(outbox);
        let now = view.get(&id)?;
        let base = self.leads.get(&id);
        let changes: Vec<FieldChange> = values
            .iter()
            .filter(|(k, v)| now.values.get(*k).map(String::as_str).unwrap_or("") != v.as_str())
            .map(|(k, v)| FieldChange {
                field: k.clone(),
                value: v.clone(),
                base_version: base.map(|b| b.version_of(k)).unwrap_or(0),
            })
            .collect();
        (!changes.is_empty()).then_some(Op::Update { changes })
    }
}

/// A lead as the user sees it on this device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalLead {
    pub id: Uuid,
    pub values: BTreeMap<String, String>,
    pub state: String,
    /// Fields with a change not yet on the server.
    pub waiting: BTreeSet<String>,
    pub updated_at: i64,
}

impl LocalLead {
    pub fn value(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }

    /// Search within the copy: every word must appear in name, company, email or topic.
    pub fn matches(&self, q: &str) -> bool {
        let hay = ["first_name", "last_name", "company_name", "email", "topic"]
            .map(|k| self.value(k).to_lowercase())
            .join(" ");
        q.to_lowercase().split_whitespace().all(|w| hay.contains(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(id: Uuid, version: i64, fields: &[(&str, &str, i64)]) -> LeadCopy {
        LeadCopy {
            id,
            version,
            fields: fields
                .iter()
                .map(|(k, v, n)| (k.to_string(), (v.to_string(), *n)))
                .collect(),
            state: "open".into(),
            updated_at: 0,
        }
    }

    fn page(from: i64, leads: Vec<LeadCopy>, cursor: i64, last_applied: i64) -> PullPage {
        PullPage {
            from: (from, None),
            leads,
            cursor,
            last_applied,
            ..Default::default()
        }
    }

    #[test]
    fn numbers_rise_by_one_and_batches_keep_order() {
        let mut o = Outbox::new(Uuid::now_v7());
        let a = o.enqueue(Uuid::now_v7(), Op::Delete);
        let b = o.enqueue(Uuid::now_v7(), Op::Delete);
        assert_eq!((a.seq, b.seq), (1, 2));
        assert_eq!(o.batch().iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn waiting_edits_stay_on_top_of_pulled_data_until_the_server_has_them() {
        let id = Uuid::now_v7();
        let mut r = Replica::default();
        r.apply(&page(
            0,
            vec![copy(id, 1, &[("topic", "Coffee", 1), ("city", "Lyon", 1)])],
            10,
            0,
        ));
        let mut o = Outbox::new(Uuid::now_v7());
        let op = r
            .edit(
                &o,
                id,
                &BTreeMap::from([
                    ("city".to_string(), "Paris".to_string()),
                    ("topic".to_string(), "Coffee".to_string()),
                ]),
            )
            .unwrap();
        let Op::Update { changes } = &op else { panic!() };
        assert_eq!(changes.len(), 1, "an unchanged field is not sent");
        assert_eq!(changes[0].base_version, 1);
        o.enqueue(id, op);
        // Someone else changes the topic; the pull brings it, the waiting city stays.
        r.apply(&page(
            10,
            vec![copy(id, 2, &[("topic", "Espresso", 2), ("city", "Lyon", 1)])],
            11,
            0,
        ));
        o.settle(0, &[]);
        let v = &r.view(&o)[&id];
        assert_eq!((v.value("topic"), v.value("city")), ("Espresso", "Paris"));
        assert!(v.waiting.contains("city"));
        // The push answers applied, but the view keeps Paris until a pull shows it.
        o.record_outcomes(&[(1, Outcome::Applied)]);
        assert_eq!(r.view(&o)[&id].value("city"), "Paris");
        r.apply(&page(
            11,
            vec![copy(id, 3, &[("topic", "Espresso", 2), ("city", "Paris", 3)])],
            12,
            1,
        ));
        o.settle(1, &[]);
        assert!(o.waiting.is_empty());
        assert!(r.view(&o)[&id].waiting.is_empty());
    }

    #[test]
    fn a_refused_mutation_is_kept_with_its_reason_and_not_resent() {
        let mut o = Outbox::new(Uuid::now_v7());
        o.enqueue(Uuid::now_v7(), Op::Delete);
        o.record_outcomes(&[(
            1,
            Outcome::Rejected {
                reason: "Not allowed".into(),
            },
        )]);
        assert!(o.batch().is_empty());
        assert_eq!(o.rejected[0].1, "Not allowed");
    }

    #[test]
    fn a_refusal_learnt_from_a_pull_is_kept_too() {
        let mut o = Outbox::new(Uuid::now_v7());
        o.enqueue(Uuid::now_v7(), Op::Delete);
        o.enqueue(Uuid::now_v7(), Op::Delete);
        o.settle(2, &[(2, "Gone".into())]);
        assert!(o.waiting.is_empty());
        assert_eq!(o.rejected.len(), 1);
        assert_eq!(o.rejected[0].0.seq, 2);
    }

    #[test]
    fn a_late_answer_is_ignored_and_cannot_bring_back_a_removed_lead() {
        let id = Uuid::now_v7();
        let mut r = Replica::default();
        let early = page(0, vec![copy(id, 1, &[("topic", "Old", 1)])], 20, 0);
        assert!(r.apply(&early));
        assert!(r.apply(&PullPage {
            from: (20, None),
            removed: vec![id],
            cursor: 30,
            ..Default::default()
        }));
        assert!(!r.apply(&early), "the same answer again");
        assert!(
            !r.apply(&page(20, vec![copy(id, 1, &[])], 25, 0)),
            "an answer to an older request"
        );
        assert!(r.leads.is_empty());
        assert_eq!(r.cursor, 30);
    }

    #[test]
    fn created_offline_shows_at_once_and_search_finds_it() {
        let r = Replica::default();
        let mut o = Outbox::new(Uuid::now_v7());
        let id = Uuid::now_v7();
        o.enqueue(
            id,
            Op::Create {
                fields: BTreeMap::from([
                    ("last_name".into(), "García".into()),
                    ("company_name".into(), "Hotel Sol".into()),
                ]),
            },
        );
        let v = r.view(&o);
        assert!(v[&id].matches("garcía hotel"));
        assert!(!v[&id].matches("lyon"));
    }

    #[test]
    fn a_fresh_copy_stops_at_its_bound() {
        let mut r = Replica::default();
        let leads: Vec<LeadCopy> = (0..MAX_COPY).map(|_| copy(Uuid::now_v7(), 1, &[])).collect();
        assert!(r.apply(&PullPage {
            leads,
            cursor: 7,
            resume: Some(Uuid::now_v7()),
            more: true,
            ..Default::default()
        }));
        assert_eq!(
            (r.resume, r.cursor),
            (None, 7),
            "no more snapshot pages; the feed takes over"
        );
    }

    #[test]
    fn recent_leads_are_bounded() {
        let mut r = Replica::default();
        for _ in 0..RECENT_LEADS + 5 {
            r.opened(copy(Uuid::now_v7(), 1, &[]));
        }
        assert_eq!(r.recent.len(), RECENT_LEADS);
    }
}
