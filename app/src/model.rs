//! Data shapes that travel between server and browser. Times travel as UTC milliseconds plus the text
//! the server formatted in the user's time zone (so the browser bundle carries no time-zone database).

use crate::domain::{
    access::{Actor, Role},
    lead::LeadState,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub team_id: Uuid,
    pub team_name: String,
    pub time_zone: String,
    pub workspace: String,
}

/// A row of the lead list. It travels as an array, not an object: field names were a third of a page of rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadRow {
    pub id: Uuid,
    pub name: String,
    pub company: String,
    pub topic: String,
    pub status_reason: String,
    pub rating: String,
    pub owner_name: String,
    /// The times travel to the browser only as shown text, in the reader's zone: a list page then
    /// carries what it shows and no more.
    pub updated_at: i64,
    pub updated_shown: String,
    /// 0 when nothing was logged yet.
    pub last_activity_at: i64,
    pub last_activity_shown: String,
}

type LeadRowWire = (Uuid, String, String, String, String, String, String, String, String);

impl Serialize for LeadRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self;
        (
            &r.id,
            &r.name,
            &r.company,
            &r.topic,
            &r.status_reason,
            &r.rating,
            &r.owner_name,
            &r.updated_shown,
            &r.last_activity_shown,
        )
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for LeadRow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (id, name, company, topic, status_reason, rating, owner_name, updated_shown, last_activity_shown) =
            LeadRowWire::deserialize(d)?;
        Ok(LeadRow {
            id,
            name,
            company,
            topic,
            status_reason,
            rating,
            owner_name,
            updated_at: 0,
            updated_shown,
            last_activity_at: 0,
            last_activity_shown,
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadList {
    pub rows: Vec<LeadRow>,
    /// Matches counted, at most `domain::query::COUNT_CAP`; `more` when there are more than that.
    pub total: i64,
    pub more: bool,
    pub page: i64,
    pub pages: i64,
    /// The people the viewer may filter by (and pick as owner): sent with the page to save a request.
    pub owners: Vec<UserOption>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadDetail {
    pub id: Uuid,
    pub version: i64,
    pub state: LeadState,
    pub team_id: Uuid,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub created_shown: String,
    pub updated_shown: String,
    /// Canonical text of every field (see `domain::validate`).
    pub values: BTreeMap<String, String>,
    /// Each field's version: what an edit sends back as its base.
    pub versions: BTreeMap<String, i64>,
    pub can_edit: bool,
    pub can_reassign: bool,
    pub can_delete: bool,
    /// May qualify or disqualify it (when open) and reactivate it (when closed).
    #[serde(default)]
    pub can_decide: bool,
    /// When the lead entered its current stage, UTC ms.
    #[serde(default)]
    pub stage_since: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserOption {
    pub id: Uuid,
    pub name: String,
    pub team_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Saved {
    Applied {
        version: i64,
    },
    /// This exact mutation was applied before (a retry); nothing changed.
    Duplicate,
    /// Kept on this device (no network); it syncs later.
    Queued,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub team_id: Uuid,
    pub team_name: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub time_zone: String,
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            team_id: self.team_id,
            role: self.role,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
}

/// A value of yours that a later synced edit replaced, for the conflicts list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictItem {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub lead_name: String,
    pub company: String,
    pub field: String,
    pub label: String,
    /// Your value, which lost.
    pub yours: String,
    /// The value on the lead now, and who wrote it when.
    pub theirs: String,
    pub by_name: String,
    pub at: i64,
    pub at_shown: String,
}

/// A file attached to a note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    pub id: Uuid,
    pub name: String,
    pub size: i64,
}

/// One item of a lead's timeline as shown, with its replies when it is a post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineItem {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub kind: crate::domain::timeline::ItemKind,
    pub status: Option<crate::domain::timeline::Status>,
    pub author_id: Option<Uuid>,
    pub author_name: String,
    pub subject: String,
    /// For the app's events, the sentence describing them.
    pub body: String,
    pub details: BTreeMap<String, String>,
    /// People mentioned in the text, to show as links.
    pub mentions: Vec<(Uuid, String)>,
    pub created_at: i64,
    pub created_shown: String,
    /// Times in `details` (start, end, due) as the viewer reads them.
    pub times_shown: BTreeMap<String, String>,
    pub edited: bool,
    pub deleted: bool,
    pub can_edit: bool,
    pub can_change_status: bool,
    pub attachment: Option<AttachmentInfo>,
    pub replies: Vec<TimelineItem>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelinePage {
    pub items: Vec<TimelineItem>,
    /// Where the next (older) page starts; None at the end.
    pub next: Option<crate::domain::timeline::Cursor>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationItem {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub item_id: Uuid,
    pub lead_name: String,
    pub actor_name: String,
    pub excerpt: String,
    pub created_at: i64,
    pub created_shown: String,
    pub read: bool,
    /// False once the person can no longer read the lead: then nothing of the lead or the post is sent.
    pub can_open: bool,
}

/// A record the duplicate check found, with why it may be the same ("Same web domain", ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Similar<T> {
    pub record: T,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: Uuid,
    pub name: String,
    pub website: String,
    pub industry: String,
    pub phone: String,
    pub city: String,
    pub country: String,
    pub owner_name: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: Uuid,
    pub name: String,
    pub job_title: String,
    pub email: String,
    pub phone: String,
    pub account_id: Option<Uuid>,
    pub account_name: String,
}

/// What the Qualify dialog shows before anything is created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualifyPreview {
    pub mode: crate::domain::qualify::QualifyMode,
    pub accounts: Vec<Similar<AccountView>>,
    pub contacts: Vec<Similar<ContactView>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityView {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub account_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub account_name: String,
    pub contact_name: String,
    pub topic: String,
    pub estimated_value: String,
    pub budget_amount: String,
    /// open, won or lost.
    pub state: String,
    pub close_reason: String,
    pub process_id: String,
    pub stage: String,
    pub process_checks: String,
    pub customer_need: String,
    pub proposed_solution: String,
    pub decision_date: String,
    pub owner_name: String,
    pub version: i64,
    pub created_at: i64,
    /// When the opportunity last changed (its stage, for now), UTC ms.
    pub stage_since: i64,
    /// Each editable field's version (what an edit sends back as its base).
    #[serde(default)]
    pub versions: BTreeMap<String, i64>,
    /// Open, and the reader may edit it.
    #[serde(default)]
    pub can_edit: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityRow {
    pub id: Uuid,
    pub topic: String,
    pub account_name: String,
    pub estimated_value: String,
    pub stage: String,
    pub state: String,
    pub owner_name: String,
}

impl OpportunityView {
    pub fn row(&self) -> OpportunityRow {
        OpportunityRow {
            id: self.id,
            topic: self.topic.clone(),
            account_name: self.account_name.clone(),
            estimated_value: self.estimated_value.clone(),
            stage: self.stage.clone(),
            state: self.state.clone(),
            owner_name: self.owner_name.clone(),
        }
    }

    /// The values process conditions and steps read: the opportunity's own fields and its budget.
    pub fn values(&self) -> std::collections::BTreeMap<String, String> {
        [
            ("topic", &self.topic),
            ("estimated_value", &self.estimated_value),
            ("stage", &self.stage),
            ("process_checks", &self.process_checks),
            ("customer_need", &self.customer_need),
            ("proposed_solution", &self.proposed_solution),
            ("decision_date", &self.decision_date),
            ("budget_amount", &self.budget_amount),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakeholderView {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub name: String,
    pub email: String,
    pub job_title: String,
    /// One of `domain::opportunity::StakeholderRole`'s labels.
    pub role: String,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealCompetitorView {
    pub id: Uuid,
    pub competitor_id: Uuid,
    pub name: String,
    pub note: String,
}

/// The stakeholders and competitors of one lead or opportunity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealPeople {
    pub stakeholders: Vec<StakeholderView>,
    pub competitors: Vec<DealCompetitorView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompetitorView {
    pub id: Uuid,
    pub name: String,
    pub website: String,
    pub strengths: String,
    pub weaknesses: String,
}

/// An account or contact as its page shows it: the editable values with their versions, and what hangs on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPage {
    pub id: Uuid,
    pub values: BTreeMap<String, String>,
    pub versions: BTreeMap<String, i64>,
    pub can_edit: bool,
    /// An account's contacts (empty for a contact).
    pub contacts: Vec<ContactView>,
    pub opportunities: Vec<OpportunityRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lead_row_travels_as_an_array_of_what_the_list_shows() {
        let row = LeadRow {
            id: Uuid::nil(),
            name: "Ana \"La\" Pérez".into(),
            company: "Café <Sol>".into(),
            topic: "Espresso".into(),
            status_reason: "New".into(),
            rating: "Hot".into(),
            owner_name: "Marta".into(),
            updated_at: 1_790_000_000_000,
            updated_shown: "21 Sep 2026 16:13".into(),
            last_activity_at: 0,
            last_activity_shown: String::new(),
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(
            json,
            r#"["00000000-0000-0000-0000-000000000000","Ana \"La\" Pérez","Café <Sol>","Espresso","New","Hot","Marta","21 Sep 2026 16:13",""]"#
        );
        // The times in milliseconds stay on the server.
        let back: LeadRow = serde_json::from_str(&json).unwrap();
        assert_eq!(back, LeadRow { updated_at: 0, ..row });
        assert!(serde_json::from_str::<LeadRow>(r#"["00000000-0000-0000-0000-000000000000","Ana"]"#).is_err());
    }
}
