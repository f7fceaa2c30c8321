//! Timeline items, attachments, mentions' notifications and the filter each person keeps.
//! Items are written by `apply_item`, inside the same transaction and mutation log as lead edits.

use super::live::LiveEvent;
use super::sql::{bind_all, insert_rows, opt_uuid_col, placeholders, uuid_col, Engine, Val};
use super::{ids, now_ms, Db};
use crate::domain::access::{self, Actor, LeadRef, Role};
use crate::domain::mutation::{Mutation, Op};
use crate::domain::timeline::{self, Cursor, Filter, ItemKind, Status, PAGE};
use crate::error::{AppError, AppResult};
use crate::model::{AttachmentInfo, NotificationItem, TimelineItem, TimelinePage};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

struct LeadFacts {
    r: LeadRef,
}

async fn lead_facts(tx: &mut Transaction<'_, Any>, actor: &Actor, lead_id: Uuid) -> AppResult<LeadFacts> {
    let row = sqlx::query("SELECT team_id, owner_id FROM leads WHERE id = $1")
        .bind(lead_id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else { return Err(AppError::NotFound) };
    let r = LeadRef {
        team_id: uuid_col(&row, "team_id")?,
        owner_id: uuid_col(&row, "owner_id")?,
    };
    // Someone who cannot read the lead learns nothing about it, not even that it exists.
    if !access::can_read(actor, r) {
        return Err(AppError::NotFound);
    }
    Ok(LeadFacts { r })
}

/// The people who may read a lead of this team (its team and the admins), for mentions.
async fn readers(tx: &mut Transaction<'_, Any>, lead: LeadRef) -> AppResult<Vec<(Uuid, String)>> {
    let rows = sqlx::query("SELECT id, name, team_id, role FROM users WHERE active = 1")
        .fetch_all(&mut **tx)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let a = Actor {
            user_id: uuid_col(&r, "id")?,
            team_id: uuid_col(&r, "team_id")?,
            role: Role::parse(&r.try_get::<String, _>("role")?).unwrap_or(Role::Seller),
        };
        if access::can_read(&a, lead) {
            out.push((a.user_id, r.try_get("name")?));
        }
    }
    Ok(out)
}

/// Applies one timeline mutation inside the caller's transaction; checks come before any write, so a
/// refusal leaves nothing. Returns what to tell live listeners once committed.
pub(crate) async fn apply_item(
    tx: &mut Transaction<'_, Any>,
    kind: Engine,
    actor: &Actor,
    m: &Mutation,
    now: i64,
) -> AppResult<Vec<LiveEvent>> {
    match &m.op {
        Op::Create { fields } => create(tx, kind, actor, m.record_id, fields, now).await,
        Op::Update { changes } => {
            let changes: BTreeMap<String, String> =
                changes.iter().map(|c| (c.field.clone(), c.value.clone())).collect();
            update(tx, actor, m.record_id, &changes, now).await
        }
        Op::Delete => delete(tx, actor, m.record_id, now).await,
        Op::Qualify(_) | Op::Disqualify { .. } | Op::Reactivate | Op::Close { .. } => Err(AppError::BadRequest(
            "Timeline items are not qualified or disqualified.".into(),
        )),
    }
}

async fn create(
    tx: &mut Transaction<'_, Any>,
    kind: Engine,
    actor: &Actor,
    id: Uuid,
    fields: &BTreeMap<String, String>,
    now: i64,
) -> AppResult<Vec<LiveEvent>> {
    let mut d = timeline::check_new(fields).map_err(AppError::Invalid)?;
    let lead = lead_facts(tx, actor, d.lead_id).await?;
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM timeline_items WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    if exists.is_some() {
        return Err(AppError::BadRequest("This was already saved.".into()));
    }
    ids::ensure_new(tx, id).await?;
    if let Some(parent) = d.parent_id {
        let row = sqlx::query("SELECT lead_id, kind, parent_id FROM timeline_items WHERE id = $1")
            .bind(parent.to_string())
            .fetch_optional(&mut **tx)
            .await?;
        let Some(row) = row else {
            return Err(AppError::BadRequest("The post you reply to no longer exists.".into()));
        };
        if row.try_get::<String, _>("lead_id")? != d.lead_id.to_string()
            || row.try_get::<String, _>("kind")? != ItemKind::Post.as_str()
        {
            return Err(AppError::BadRequest("Replies go under a post of the same lead.".into()));
        }
        // A reply to a reply joins the same thread.
        if let Some(top) = opt_uuid_col(&row, "parent_id")? {
            d.parent_id = Some(top);
        }
    }
    if let Some(a) = d.details.get("attachment_id") {
        let row = sqlx::query("SELECT lead_id, uploaded_by FROM attachments WHERE id = $1")
            .bind(a)
            .fetch_optional(&mut **tx)
            .await?;
        let ok = row.is_some_and(|r| {
            r.try_get::<String, _>("lead_id").ok() == Some(d.lead_id.to_string())
                && r.try_get::<String, _>("uploaded_by").ok() == Some(actor.user_id.to_string())
        });
        if !ok {
            return Err(AppError::BadRequest(
                "The attached file is missing; attach it again.".into(),
            ));
        }
        sqlx::query("UPDATE attachments SET linked = 1 WHERE id = $1")
            .bind(a)
            .execute(&mut **tx)
            .await?;
    }
    let mut events = vec![LiveEvent::Timeline {
        lead_id: d.lead_id,
        item_id: id,
    }];
    let mut notify = Vec::new();
    if d.kind == ItemKind::Post {
        let people = readers(tx, lead.r).await?;
        let named = timeline::mentions(&d.body, &people);
        if !named.is_empty() {
            d.details.insert(
                "mentions".into(),
                named.iter().map(Uuid::to_string).collect::<Vec<_>>().join(","),
            );
        }
        notify = named.into_iter().filter(|u| *u != actor.user_id).collect();
    }
    let row = ItemRow {
        id,
        lead_id: d.lead_id,
        parent_id: d.parent_id,
        kind: d.kind,
        status: d.status.map(|s| s.as_str()).unwrap_or(""),
        author: actor.user_id,
        subject: &d.subject,
        body: &d.body,
        details: &d.details,
        at: now,
        searchable: true,
    }
    .vals();
    insert_rows(tx, kind, ITEM_COLS, vec![row]).await?;
    sqlx::query("UPDATE leads SET last_activity_at = $1 WHERE id = $2")
        .bind(now)
        .bind(d.lead_id.to_string())
        .execute(&mut **tx)
        .await?;
    for user in notify {
        sqlx::query("INSERT INTO notifications (id, user_id, lead_id, item_id, actor_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(Uuid::now_v7().to_string())
            .bind(user.to_string())
            .bind(d.lead_id.to_string())
            .bind(id.to_string())
            .bind(actor.user_id.to_string())
            .bind(now)
            .execute(&mut **tx)
            .await?;
        events.push(LiveEvent::Notify { user_id: user });
    }
    Ok(events)
}

const ITEM_COLS: &str = "timeline_items (id, lead_id, parent_id, kind, status, author_id, subject, body, details, search_text, created_at, updated_at)";

/// A new row of `timeline_items`, whoever writes it: a person (`create`), the app (`event_row`), or seeded
/// data (`seed_items`). `vals` gives its values in `ITEM_COLS` order.
struct ItemRow<'a> {
    id: Uuid,
    lead_id: Uuid,
    parent_id: Option<Uuid>,
    kind: ItemKind,
    status: &'a str,
    author: Uuid,
    subject: &'a str,
    body: &'a str,
    details: &'a BTreeMap<String, String>,
    at: i64,
    /// Found by timeline search (the app's events are found by kind, never by words).
    searchable: bool,
}

impl ItemRow<'_> {
    fn vals(&self) -> Vec<Val> {
        // What timeline search matches: the words and the kind-specific fields, lower-cased.
        let details: Vec<&str> = self.details.values().map(String::as_str).collect();
        let search = if self.searchable {
            format!("{} {} {}", self.subject, self.body, details.join(" ")).to_lowercase()
        } else {
            String::new()
        };
        // A map of strings always serializes; the fallback is never taken.
        let details_json = serde_json::to_string(self.details).unwrap_or_else(|_| "{}".into());
        vec![
            Val::Text(self.id.to_string()),
            Val::Text(self.lead_id.to_string()),
            Val::Text(self.parent_id.map(|p| p.to_string()).unwrap_or_default()),
            Val::Text(self.kind.as_str().into()),
            Val::Text(self.status.into()),
            Val::Text(self.author.to_string()),
            Val::Text(self.subject.into()),
            Val::Text(self.body.into()),
            Val::Text(details_json),
            Val::Text(search),
            Val::Int(Some(self.at)),
            Val::Int(Some(self.at)),
        ]
    }
}

struct Stored {
    lead_id: Uuid,
    kind: ItemKind,
    author: Option<Uuid>,
    deleted: bool,
    details: BTreeMap<String, String>,
}

async fn stored(tx: &mut Transaction<'_, Any>, id: Uuid) -> AppResult<Stored> {
    let row = sqlx::query("SELECT lead_id, kind, author_id, deleted, details FROM timeline_items WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else { return Err(AppError::NotFound) };
    Ok(Stored {
        lead_id: uuid_col(&row, "lead_id")?,
        kind: ItemKind::parse(&row.try_get::<String, _>("kind")?)
            .ok_or_else(|| AppError::internal("unknown timeline kind"))?,
        author: opt_uuid_col(&row, "author_id")?,
        deleted: row.try_get::<i64, _>("deleted")? != 0,
        details: serde_json::from_str(&row.try_get::<String, _>("details")?).unwrap_or_default(),
    })
}

async fn update(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    id: Uuid,
    changes: &BTreeMap<String, String>,
    now: i64,
) -> AppResult<Vec<LiveEvent>> {
    let s = stored(tx, id).await?;
    let lead = lead_facts(tx, actor, s.lead_id).await?;
    let clean = timeline::check_edit(s.kind, changes).map_err(AppError::Invalid)?;
    let status_only = clean.keys().all(|k| k == "status");
    if !timeline::may_edit(
        s.kind,
        s.author,
        actor.user_id,
        access::can_edit(actor, lead.r),
        status_only,
    ) {
        return Err(AppError::Forbidden);
    }
    if s.deleted {
        return Err(AppError::BadRequest("This was deleted.".into()));
    }
    for (k, v) in &clean {
        // Column names come from `check_edit`'s short list, never from the request.
        let col = match k.as_str() {
            "status" => "status",
            "subject" => "subject",
            _ => "body",
        };
        sqlx::query(&format!("UPDATE timeline_items SET {col} = $1 WHERE id = $2"))
            .bind(v)
            .bind(id.to_string())
            .execute(&mut **tx)
            .await?;
    }
    let edited = if status_only { 0 } else { 1 };
    sqlx::query("UPDATE timeline_items SET updated_at = $1, version = version + 1, edited = CASE WHEN $2 = 1 THEN 1 ELSE edited END WHERE id = $3")
        .bind(now)
        .bind(edited as i64)
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(vec![LiveEvent::Timeline {
        lead_id: s.lead_id,
        item_id: id,
    }])
}

async fn delete(tx: &mut Transaction<'_, Any>, actor: &Actor, id: Uuid, now: i64) -> AppResult<Vec<LiveEvent>> {
    let s = stored(tx, id).await?;
    lead_facts(tx, actor, s.lead_id).await?;
    if !matches!(s.kind, ItemKind::Note | ItemKind::Post) || s.author != Some(actor.user_id) {
        return Err(AppError::Forbidden);
    }
    // The row stays so a thread keeps its shape ("deleted" where the post was); its words go.
    sqlx::query("UPDATE timeline_items SET deleted = 1, body = '', subject = '', search_text = '', updated_at = $1, version = version + 1 WHERE id = $2")
        .bind(now)
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    if let Some(a) = s.details.get("attachment_id") {
        sqlx::query("DELETE FROM attachments WHERE id = $1")
            .bind(a)
            .execute(&mut **tx)
            .await?;
    }
    Ok(vec![LiveEvent::Timeline {
        lead_id: s.lead_id,
        item_id: id,
    }])
}

/// An event the app writes itself (lead created, owner or status changed, an opportunity's stage or
/// close), inserted with the writes that caused it (see `working_set::WorkingSet`).
pub(crate) struct Event {
    pub lead_id: Uuid,
    pub item_id: Uuid,
    row: Vec<Val>,
}

impl Event {
    /// The news for live listeners once it is committed.
    pub(crate) fn live(&self) -> LiveEvent {
        LiveEvent::Timeline {
            lead_id: self.lead_id,
            item_id: self.item_id,
        }
    }
}

pub(crate) fn event(lead_id: Uuid, actor: Uuid, details: &BTreeMap<String, String>, now: i64) -> Event {
    let item_id = Uuid::now_v7();
    let row = ItemRow {
        id: item_id,
        lead_id,
        parent_id: None,
        kind: ItemKind::Event,
        status: "",
        author: actor,
        subject: "",
        body: "",
        details,
        at: now,
        searchable: false,
    }
    .vals();
    Event { lead_id, item_id, row }
}

pub(crate) async fn insert_events(tx: &mut Transaction<'_, Any>, kind: Engine, events: Vec<Event>) -> AppResult<()> {
    insert_items(tx, kind, events.into_iter().map(|e| e.row).collect()).await
}

/// Timeline rows (`ItemRow::vals`), 300 per statement.
async fn insert_items(tx: &mut Transaction<'_, Any>, kind: Engine, rows: Vec<Vec<Val>>) -> AppResult<()> {
    for chunk in rows.chunks(300) {
        insert_rows(tx, kind, ITEM_COLS, chunk.to_vec()).await?;
    }
    Ok(())
}

const SELECT_ITEM: &str = "SELECT t.id, t.lead_id, t.parent_id, t.kind, t.status, t.author_id, t.subject, t.body, t.details, t.created_at, t.edited, t.deleted, COALESCE(u.name, '') AS author_name FROM timeline_items t LEFT JOIN users u ON u.id = t.author_id";

/// One page of a lead's timeline, newest first, for someone who can read the lead. Posts come with their
/// replies (oldest first). Deleted items are left out unless a reply still hangs under them.
pub async fn page(
    db: &Db,
    actor: &Actor,
    lead_id: Uuid,
    filter: &Filter,
    after: Option<Cursor>,
) -> AppResult<TimelinePage> {
    let mut tx = db.pool.begin().await?;
    let lead = lead_facts(&mut tx, actor, lead_id).await?;
    let mut sql = format!("{SELECT_ITEM} WHERE t.lead_id = $1 AND t.parent_id = ''");
    let mut binds = vec![Val::Text(lead_id.to_string())];
    let arg = |binds: &mut Vec<Val>, v: Val| {
        binds.push(v);
        format!("${}", binds.len())
    };
    if let Some(c) = after {
        let (a, b) = (
            arg(&mut binds, Val::Int(Some(c.at))),
            arg(&mut binds, Val::Text(c.id.to_string())),
        );
        sql.push_str(&format!(
            " AND (t.created_at < {a} OR (t.created_at = {a} AND t.id < {b}))"
        ));
    }
    if !filter.kinds.is_empty() {
        let list: Vec<String> = filter
            .kinds
            .iter()
            .map(|k| arg(&mut binds, Val::Text(k.as_str().into())))
            .collect();
        sql.push_str(&format!(" AND t.kind IN ({})", list.join(", ")));
    }
    if let Some(s) = filter.status {
        let p = arg(&mut binds, Val::Text(s.as_str().into()));
        sql.push_str(&format!(" AND t.status = {p}"));
    }
    if let Some(from) = filter.from {
        let p = arg(&mut binds, Val::Int(Some(from)));
        sql.push_str(&format!(" AND t.created_at >= {p}"));
    }
    if let Some(to) = filter.to {
        let p = arg(&mut binds, Val::Int(Some(to)));
        sql.push_str(&format!(" AND t.created_at < {p}"));
    }
    let q = filter.q.trim().to_lowercase();
    if !q.is_empty() {
        // A match in a reply finds its post too.
        let p = arg(&mut binds, Val::Text(format!("%{}%", super::like_escape(&q))));
        sql.push_str(&format!(
            " AND (t.search_text LIKE {p} ESCAPE '\\' OR EXISTS (SELECT 1 FROM timeline_items r WHERE r.lead_id = t.lead_id AND r.parent_id = t.id AND r.deleted = 0 AND r.search_text LIKE {p} ESCAPE '\\'))"
        ));
    }
    sql.push_str(" AND (t.deleted = 0 OR EXISTS (SELECT 1 FROM timeline_items r WHERE r.lead_id = t.lead_id AND r.parent_id = t.id AND r.deleted = 0))");
    sql.push_str(&format!(" ORDER BY t.created_at DESC, t.id DESC LIMIT {}", PAGE + 1));
    let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&mut *tx).await?;
    let can_edit_lead = access::can_edit(actor, lead.r);
    let mut items = rows
        .iter()
        .map(|r| item_of(r, actor, can_edit_lead))
        .collect::<AppResult<Vec<_>>>()?;
    let next = if items.len() > PAGE {
        items.truncate(PAGE);
        items.last().map(|i| Cursor {
            at: i.created_at,
            id: i.id,
        })
    } else {
        None
    };
    let posts: Vec<Val> = items
        .iter()
        .filter(|i| i.kind == ItemKind::Post)
        .map(|i| Val::Text(i.id.to_string()))
        .collect();
    if !posts.is_empty() {
        let sql = format!(
            "{SELECT_ITEM} WHERE t.lead_id = $1 AND t.parent_id IN ({}) AND t.deleted = 0 ORDER BY t.created_at, t.id",
            placeholders(1, posts.len())
        );
        let mut binds = vec![Val::Text(lead_id.to_string())];
        binds.extend(posts);
        let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&mut *tx).await?;
        let mut by_parent: HashMap<Uuid, Vec<TimelineItem>> = HashMap::new();
        for r in &rows {
            let it = item_of(r, actor, can_edit_lead)?;
            if let Some(p) = it.parent_id {
                by_parent.entry(p).or_default().push(it);
            }
        }
        for it in &mut items {
            it.replies = by_parent.remove(&it.id).unwrap_or_default();
        }
    }
    resolve_names(&mut tx, &mut items).await?;
    tx.commit().await?;
    Ok(TimelinePage { items, next })
}

fn item_of(r: &AnyRow, actor: &Actor, can_edit_lead: bool) -> AppResult<TimelineItem> {
    let kind =
        ItemKind::parse(&r.try_get::<String, _>("kind")?).ok_or_else(|| AppError::internal("unknown timeline kind"))?;
    let author_id = opt_uuid_col(r, "author_id")?;
    let deleted = r.try_get::<i64, _>("deleted")? != 0;
    let details: BTreeMap<String, String> =
        serde_json::from_str(&r.try_get::<String, _>("details")?).unwrap_or_default();
    let attachment = None;
    Ok(TimelineItem {
        id: uuid_col(r, "id")?,
        lead_id: uuid_col(r, "lead_id")?,
        parent_id: opt_uuid_col(r, "parent_id")?,
        kind,
        status: Status::parse(&r.try_get::<String, _>("status")?),
        author_id,
        author_name: r.try_get("author_name")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        details,
        mentions: Vec::new(),
        created_at: r.try_get("created_at")?,
        created_shown: String::new(),
        times_shown: BTreeMap::new(),
        edited: r.try_get::<i64, _>("edited")? != 0,
        deleted,
        can_edit: !deleted && timeline::may_edit(kind, author_id, actor.user_id, can_edit_lead, false),
        can_change_status: !deleted
            && kind.is_activity()
            && timeline::may_edit(kind, author_id, actor.user_id, can_edit_lead, true),
        attachment,
        replies: Vec::new(),
    })
}

/// Names for mentions and events, attachment facts for notes: one query each for the whole page.
async fn resolve_names(tx: &mut Transaction<'_, Any>, items: &mut [TimelineItem]) -> AppResult<()> {
    let rows = sqlx::query("SELECT id, name FROM users").fetch_all(&mut **tx).await?;
    let names: HashMap<String, String> = rows
        .iter()
        .filter_map(|r| Some((r.try_get::<String, _>("id").ok()?, r.try_get::<String, _>("name").ok()?)))
        .collect();
    let mut attachments = Vec::new();
    let mut visit = |it: &mut TimelineItem| {
        if let Some(m) = it.details.get("mentions") {
            it.mentions = m
                .split(',')
                .filter_map(|id| Some((Uuid::parse_str(id).ok()?, names.get(id)?.clone())))
                .collect();
        }
        if it.kind == ItemKind::Event {
            it.body = timeline::event_text(&it.details, |id| {
                names.get(id).cloned().unwrap_or_else(|| "someone".into())
            });
        }
        if let Some(a) = it.details.get("attachment_id") {
            attachments.push(a.clone());
        }
    };
    for it in items.iter_mut() {
        visit(it);
        for r in it.replies.iter_mut() {
            visit(r);
        }
    }
    if attachments.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT id, name, size FROM attachments WHERE id IN ({})",
        placeholders(0, attachments.len())
    );
    let binds: Vec<Val> = attachments.into_iter().map(Val::Text).collect();
    let rows = bind_all(sqlx::query(&sql), &binds).fetch_all(&mut **tx).await?;
    let mut found = HashMap::new();
    for r in rows {
        let id: String = r.try_get("id")?;
        found.insert(
            id.clone(),
            AttachmentInfo {
                id: uuid_col(&r, "id")?,
                name: r.try_get("name")?,
                size: r.try_get("size")?,
            },
        );
    }
    for it in items.iter_mut() {
        if let Some(a) = it.details.get("attachment_id") {
            it.attachment = found.get(a).cloned();
        }
    }
    Ok(())
}

/// Refuses a file of `size` bytes more when the person's files would pass `quota` bytes.
pub async fn check_quota(db: &Db, actor: &Actor, size: i64, quota: i64) -> AppResult<()> {
    let used: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments WHERE uploaded_by = $1")
            .bind(actor.user_id.to_string())
            .fetch_one(&db.pool)
            .await?;
    if used + size > quota {
        return Err(AppError::BadRequest(format!(
            "Your files use all of the {} MB you have; delete notes with files you no longer need, or ask your admin.",
            quota / (1024 * 1024)
        )));
    }
    Ok(())
}

/// Keeps a file for a note about to be written; the note's mutation refers to it by id. A file no note
/// refers to a day later is removed (`purge_unlinked_files`).
pub async fn add_attachment(
    db: &Db,
    actor: &Actor,
    lead_id: Uuid,
    name: &str,
    content_type: &str,
    data: &[u8],
    quota: i64,
) -> AppResult<Uuid> {
    if data.len() > timeline::MAX_ATTACHMENT_BYTES {
        return Err(AppError::BadRequest(format!(
            "Files can be at most {} MB.",
            timeline::MAX_ATTACHMENT_BYTES / (1024 * 1024)
        )));
    }
    check_quota(db, actor, data.len() as i64, quota).await?;
    let name: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"'))
        .take(200)
        .collect();
    let name = if name.is_empty() { "file".to_string() } else { name };
    // The check reads in its own transaction and the insert is one statement: a transaction that reads
    // and then writes can be refused at once by SQLite ("database is locked") when another write
    // committed in between, instead of waiting its turn.
    let mut check = db.pool.begin().await?;
    lead_facts(&mut check, actor, lead_id).await?;
    check.commit().await?;
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO attachments (id, lead_id, uploaded_by, name, content_type, size, data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(id.to_string())
        .bind(lead_id.to_string())
        .bind(actor.user_id.to_string())
        .bind(&name)
        .bind(content_type.chars().take(100).collect::<String>())
        .bind(data.len() as i64)
        .bind(data.to_vec())
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
    Ok(id)
}

/// A stored file for someone who can read its lead: (name, content type, bytes).
pub async fn attachment(db: &Db, actor: &Actor, id: Uuid) -> AppResult<(String, String, Vec<u8>)> {
    let mut tx = db.pool.begin().await?;
    let row = sqlx::query("SELECT lead_id, name, content_type, data FROM attachments WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else { return Err(AppError::NotFound) };
    lead_facts(&mut tx, actor, uuid_col(&row, "lead_id")?).await?;
    Ok((row.try_get("name")?, row.try_get("content_type")?, row.try_get("data")?))
}

/// Removes files uploaded more than a day before `now` that no note ever referred to.
pub async fn purge_unlinked_files(db: &Db, now: i64) -> AppResult<u64> {
    Ok(
        sqlx::query("DELETE FROM attachments WHERE linked = 0 AND created_at < $1")
            .bind(now - 24 * 3_600_000)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}

/// Can this person see the lead's timeline at all? (For the live stream.)
pub async fn check_readable(db: &Db, actor: &Actor, lead_id: Uuid) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    lead_facts(&mut tx, actor, lead_id).await.map(|_| ())
}

/// The person's notifications, newest first. One about a lead they can no longer read (moved to another
/// team, say) says only that: neither the lead's name nor the post's words are sent.
pub async fn notifications(db: &Db, actor: &Actor) -> AppResult<Vec<NotificationItem>> {
    let user_id = actor.user_id;
    let rows = sqlx::query(
        "SELECT n.id, n.lead_id, n.item_id, n.created_at, n.read_at, COALESCE(u.name, '') AS actor_name,
                COALESCE(l.first_name, '') AS first_name, COALESCE(l.last_name, '') AS last_name, COALESCE(l.company_name, '') AS company,
                COALESCE(l.team_id, '') AS team_id, COALESCE(l.owner_id, '') AS owner_id, COALESCE(t.body, '') AS body
         FROM notifications n LEFT JOIN users u ON u.id = n.actor_id LEFT JOIN leads l ON l.id = n.lead_id
         LEFT JOIN timeline_items t ON t.id = n.item_id
         WHERE n.user_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT 50",
    )
    .bind(user_id.to_string())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let lead = match (opt_uuid_col(r, "team_id")?, opt_uuid_col(r, "owner_id")?) {
                (Some(team_id), Some(owner_id)) => Some(LeadRef { team_id, owner_id }),
                _ => None,
            };
            let can_open = lead.is_some_and(|l| access::can_read(actor, l));
            let mut n = NotificationItem {
                id: uuid_col(r, "id")?,
                lead_id: Uuid::nil(),
                item_id: Uuid::nil(),
                lead_name: "a lead you can no longer open".into(),
                actor_name: r.try_get("actor_name")?,
                excerpt: String::new(),
                created_at: r.try_get("created_at")?,
                created_shown: String::new(),
                read: r.try_get::<i64, _>("read_at")? != 0,
                can_open,
            };
            if can_open {
                let body: String = r.try_get("body")?;
                let (first, last, company): (String, String, String) =
                    (r.try_get("first_name")?, r.try_get("last_name")?, r.try_get("company")?);
                n.lead_id = uuid_col(r, "lead_id")?;
                n.item_id = uuid_col(r, "item_id")?;
                n.lead_name = format!("{} ({company})", crate::domain::lead::full_name(&first, &last));
                n.excerpt = if body.chars().count() > 120 {
                    format!("{}…", body.chars().take(120).collect::<String>())
                } else {
                    body
                };
            }
            Ok(n)
        })
        .collect()
}

pub async fn unread_count(db: &Db, user_id: Uuid) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at = 0")
            .bind(user_id.to_string())
            .fetch_one(&db.pool)
            .await?,
    )
}

/// Marks one notification (or all, with None) as read.
pub async fn mark_read(db: &Db, user_id: Uuid, id: Option<Uuid>) -> AppResult<()> {
    let now = now_ms();
    match id {
        Some(id) => {
            sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND id = $3 AND read_at = 0")
                .bind(now)
                .bind(user_id.to_string())
                .bind(id.to_string())
                .execute(&db.pool)
                .await?
        }
        None => {
            sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at = 0")
                .bind(now)
                .bind(user_id.to_string())
                .execute(&db.pool)
                .await?
        }
    };
    Ok(())
}

const FILTER_KEY: &str = "timeline_filter";

pub async fn saved_filter(db: &Db, user_id: Uuid) -> AppResult<Filter> {
    let v: Option<String> = sqlx::query_scalar("SELECT value FROM user_settings WHERE user_id = $1 AND key = $2")
        .bind(user_id.to_string())
        .bind(FILTER_KEY)
        .fetch_optional(&db.pool)
        .await?;
    Ok(v.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default())
}

pub async fn save_filter(db: &Db, user_id: Uuid, f: &Filter) -> AppResult<()> {
    let v = serde_json::to_string(f).map_err(AppError::internal)?;
    sqlx::query("INSERT INTO user_settings (user_id, key, value) VALUES ($1, $2, $3) ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value")
        .bind(user_id.to_string())
        .bind(FILTER_KEY)
        .bind(v)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The people who can read a lead (its team and the admins): whom a post may mention or an appointment
/// invite. Not found for someone who cannot read it either.
pub async fn people_for(db: &Db, actor: &Actor, lead_id: Uuid) -> AppResult<Vec<(Uuid, String)>> {
    let mut tx = db.pool.begin().await?;
    let lead = lead_facts(&mut tx, actor, lead_id).await?;
    let mut people = readers(&mut tx, lead.r).await?;
    people.sort_by_key(|p| p.1.to_lowercase());
    Ok(people)
}

/// Writes `n` items straight onto a lead's timeline, one minute apart from `start` (demo data and the
/// benchmark; people's items go through `save`). Kinds rotate: calls, notes, posts, tasks.
pub async fn seed_items(db: &Db, lead_id: Uuid, author: Uuid, n: usize, start: i64) -> AppResult<()> {
    let kinds = [ItemKind::PhoneCall, ItemKind::Note, ItemKind::Post, ItemKind::Task];
    let none = BTreeMap::new();
    let mut tx = db.pool.begin().await?;
    let rows: Vec<Vec<Val>> = (0..n)
        .map(|i| {
            let kind = kinds[i % kinds.len()];
            let status = if kind.is_activity() {
                if i % 3 == 0 {
                    "completed"
                } else {
                    "open"
                }
            } else {
                ""
            };
            let subject = if kind.is_activity() {
                format!("{} {i}", kind.label())
            } else {
                String::new()
            };
            let body = format!("Item {i}: talked about grinders, milk frothers and service contracts.");
            let at = start + i as i64 * 60_000;
            ItemRow {
                id: Uuid::now_v7(),
                lead_id,
                parent_id: None,
                kind,
                status,
                author,
                subject: &subject,
                body: &body,
                details: &none,
                at,
                searchable: true,
            }
            .vals()
        })
        .collect();
    insert_items(&mut tx, db.kind, rows).await?;
    sqlx::query("UPDATE leads SET last_activity_at = $1 WHERE id = $2")
        .bind(start + n as i64 * 60_000)
        .bind(lead_id.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
