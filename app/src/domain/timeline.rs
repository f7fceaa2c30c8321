//! The lead timeline's rules: what each kind of item holds and how it is checked, who may change what,
//! the filter a person keeps, mentions, and how user text is shown (text, links, mentions, line breaks).

use super::validate::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Items per timeline page; older ones load as the person scrolls.
pub const PAGE: usize = 20;
/// Notes may carry one file up to this size.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
const MAX_SUBJECT: usize = 200;
const MAX_TEXT: usize = 10_000;
const MAX_SHORT: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ItemKind {
    PhoneCall,
    Appointment,
    Task,
    Email,
    Note,
    Post,
    /// Written by the app: lead created, owner changed, status changed, ...
    Event,
}

impl ItemKind {
    pub const ALL: [ItemKind; 7] = [
        ItemKind::PhoneCall,
        ItemKind::Appointment,
        ItemKind::Task,
        ItemKind::Email,
        ItemKind::Note,
        ItemKind::Post,
        ItemKind::Event,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::PhoneCall => "phone_call",
            ItemKind::Appointment => "appointment",
            ItemKind::Task => "task",
            ItemKind::Email => "email",
            ItemKind::Note => "note",
            ItemKind::Post => "post",
            ItemKind::Event => "event",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::PhoneCall => "Phone call",
            ItemKind::Appointment => "Appointment",
            ItemKind::Task => "Task",
            ItemKind::Email => "Email",
            ItemKind::Note => "Note",
            ItemKind::Post => "Post",
            ItemKind::Event => "Update",
        }
    }
    pub fn parse(s: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
    /// Activities have a status (open, completed, canceled); notes and posts do not.
    pub fn is_activity(self) -> bool {
        matches!(
            self,
            ItemKind::PhoneCall | ItemKind::Appointment | ItemKind::Task | ItemKind::Email
        )
    }
    /// The fields a person fills in for this kind, besides subject and body.
    pub fn detail_fields(self) -> &'static [&'static str] {
        match self {
            ItemKind::PhoneCall => &["direction", "phone", "duration", "outcome"],
            ItemKind::Appointment => &["start", "end", "location", "required", "optional"],
            ItemKind::Task => &["due", "priority"],
            ItemKind::Email => &["direction", "from", "to"],
            ItemKind::Note => &["attachment_id"],
            ItemKind::Post => &["parent_id"],
            ItemKind::Event => &[],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Open,
    Completed,
    Canceled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Completed => "completed",
            Status::Canceled => "canceled",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Open",
            Status::Completed => "Completed",
            Status::Canceled => "Canceled",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        [Status::Open, Status::Completed, Status::Canceled]
            .into_iter()
            .find(|x| x.as_str() == s.trim())
    }
}

/// A new item, checked and in canonical form. Times are UTC milliseconds as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub lead_id: Uuid,
    pub kind: ItemKind,
    pub parent_id: Option<Uuid>,
    pub status: Option<Status>,
    pub subject: String,
    pub body: String,
    pub details: BTreeMap<String, String>,
}

fn text(errors: &mut Vec<FieldError>, key: &str, v: &str, max: usize, required: bool) -> String {
    let v = v.trim();
    let n = v.chars().count();
    if n > max {
        errors.push(FieldError::new(
            key,
            format!("At most {max} characters (this has {n})."),
        ));
    } else if required && v.is_empty() {
        errors.push(FieldError::new(key, "Required."));
    } else if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        errors.push(FieldError::new(key, "Contains characters that cannot be stored here."));
    }
    v.replace("\r\n", "\n")
}

fn millis(errors: &mut Vec<FieldError>, key: &str, v: &str, required: bool) -> Option<i64> {
    let v = v.trim();
    if v.is_empty() {
        if required {
            errors.push(FieldError::new(key, "Required."));
        }
        return None;
    }
    match v.parse::<i64>() {
        // Between 1970 and 2200: anything else is a typing slip.
        Ok(ms) if (0..7_258_118_400_000).contains(&ms) => Some(ms),
        _ => {
            errors.push(FieldError::new(key, "Enter a date and time."));
            None
        }
    }
}

fn choice(errors: &mut Vec<FieldError>, key: &str, v: &str, options: &[&str], default: &str) -> String {
    let v = v.trim();
    if v.is_empty() {
        return default.to_string();
    }
    match options.iter().find(|o| o.eq_ignore_ascii_case(v)) {
        Some(o) => o.to_string(),
        None => {
            errors.push(FieldError::new(key, format!("Choose one of: {}.", options.join(", "))));
            default.to_string()
        }
    }
}

fn ids(errors: &mut Vec<FieldError>, key: &str, v: &str) -> String {
    let mut out = Vec::new();
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match Uuid::parse_str(part) {
            Ok(id) if !out.contains(&id) => out.push(id),
            Ok(_) => {}
            Err(_) => errors.push(FieldError::new(key, "Choose people from the list.")),
        }
    }
    out.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",")
}

/// Checks the fields of a new item (as typed or replayed from a device). Unknown fields are refused.
pub fn check_new(fields: &BTreeMap<String, String>) -> Result<Draft, Vec<FieldError>> {
    let mut errors = Vec::new();
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    let lead_id = Uuid::parse_str(get("lead_id").trim()).ok();
    if lead_id.is_none() {
        errors.push(FieldError::new("lead_id", "Which lead is this for?"));
    }
    let kind = ItemKind::parse(get("kind")).filter(|k| *k != ItemKind::Event);
    let Some(kind) = kind else {
        errors.push(FieldError::new(
            "kind",
            "Choose what to log: phone call, appointment, task, email, note or post.",
        ));
        return Err(errors);
    };
    for key in fields.keys() {
        let known = ["lead_id", "kind", "subject", "body", "status"].contains(&key.as_str())
            || kind.detail_fields().contains(&key.as_str());
        if !known {
            errors.push(FieldError::new(key, "Unknown field."));
        }
    }
    let subject_required = kind.is_activity();
    let subject = if kind.is_activity() {
        text(&mut errors, "subject", get("subject"), MAX_SUBJECT, subject_required)
    } else {
        String::new()
    };
    let body = text(
        &mut errors,
        "body",
        get("body"),
        MAX_TEXT,
        matches!(kind, ItemKind::Post | ItemKind::Note) && get("attachment_id").trim().is_empty(),
    );
    let status = if kind.is_activity() {
        let s = get("status");
        match s.trim() {
            "" => Some(Status::Open),
            other => match Status::parse(other) {
                Some(st) => Some(st),
                None => {
                    errors.push(FieldError::new("status", "Choose open, completed or canceled."));
                    Some(Status::Open)
                }
            },
        }
    } else {
        None
    };
    let mut details = BTreeMap::new();
    let mut parent_id = None;
    match kind {
        ItemKind::PhoneCall => {
            details.insert(
                "direction".into(),
                choice(
                    &mut errors,
                    "direction",
                    get("direction"),
                    &["outgoing", "incoming"],
                    "outgoing",
                ),
            );
            details.insert("phone".into(), text(&mut errors, "phone", get("phone"), 50, false));
            let d = get("duration").trim();
            if !d.is_empty() {
                match d.parse::<u32>() {
                    Ok(n) if n <= 24 * 60 => {
                        details.insert("duration".into(), n.to_string());
                    }
                    _ => errors.push(FieldError::new("duration", "Minutes, a whole number up to 1440.")),
                }
            }
            details.insert(
                "outcome".into(),
                text(&mut errors, "outcome", get("outcome"), MAX_SHORT, false),
            );
        }
        ItemKind::Appointment => {
            let start = millis(&mut errors, "start", get("start"), true);
            let end = millis(&mut errors, "end", get("end"), false);
            if let (Some(s), Some(e)) = (start, end) {
                if e < s {
                    errors.push(FieldError::new("end", "Ends before it starts."));
                }
            }
            if let Some(s) = start {
                details.insert("start".into(), s.to_string());
            }
            if let Some(e) = end {
                details.insert("end".into(), e.to_string());
            }
            details.insert(
                "location".into(),
                text(&mut errors, "location", get("location"), MAX_SHORT, false),
            );
            details.insert("required".into(), ids(&mut errors, "required", get("required")));
            details.insert("optional".into(), ids(&mut errors, "optional", get("optional")));
        }
        ItemKind::Task => {
            if let Some(d) = millis(&mut errors, "due", get("due"), false) {
                details.insert("due".into(), d.to_string());
            }
            details.insert(
                "priority".into(),
                choice(
                    &mut errors,
                    "priority",
                    get("priority"),
                    &["low", "normal", "high"],
                    "normal",
                ),
            );
        }
        ItemKind::Email => {
            details.insert(
                "direction".into(),
                choice(
                    &mut errors,
                    "direction",
                    get("direction"),
                    &["outgoing", "incoming"],
                    "outgoing",
                ),
            );
            details.insert("from".into(), text(&mut errors, "from", get("from"), MAX_SHORT, false));
            details.insert("to".into(), text(&mut errors, "to", get("to"), MAX_SHORT, false));
        }
        ItemKind::Note => {
            let a = get("attachment_id").trim();
            if !a.is_empty() {
                match Uuid::parse_str(a) {
                    Ok(id) => {
                        details.insert("attachment_id".into(), id.to_string());
                    }
                    Err(_) => errors.push(FieldError::new(
                        "attachment_id",
                        "The attached file is missing; attach it again.",
                    )),
                }
            }
        }
        ItemKind::Post => {
            let p = get("parent_id").trim();
            if !p.is_empty() {
                match Uuid::parse_str(p) {
                    Ok(id) => parent_id = Some(id),
                    Err(_) => errors.push(FieldError::new("parent_id", "The post you reply to is missing.")),
                }
            }
        }
        ItemKind::Event => {}
    }
    details.retain(|_, v| !v.is_empty());
    match (errors.is_empty(), lead_id) {
        (true, Some(lead_id)) => Ok(Draft {
            lead_id,
            kind,
            parent_id,
            status,
            subject,
            body,
            details,
        }),
        _ => Err(errors),
    }
}

/// What an edit of an existing item may change, checked. Only `status` (activities), `subject` and `body`.
pub fn check_edit(
    kind: ItemKind,
    changes: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out = BTreeMap::new();
    for (k, v) in changes {
        match k.as_str() {
            "status" if kind.is_activity() => match Status::parse(v) {
                Some(s) => {
                    out.insert(k.clone(), s.as_str().to_string());
                }
                None => errors.push(FieldError::new(k, "Choose open, completed or canceled.")),
            },
            "subject" if kind.is_activity() => {
                out.insert(k.clone(), text(&mut errors, k, v, MAX_SUBJECT, true));
            }
            "body" if kind != ItemKind::Event => {
                out.insert(
                    k.clone(),
                    text(&mut errors, k, v, MAX_TEXT, matches!(kind, ItemKind::Post)),
                );
            }
            _ => errors.push(FieldError::new(k, "This cannot be changed here.")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Who may do what to an item, given that they can read its lead (nobody else sees it at all).
/// Notes and posts are their author's to edit or delete; an activity's status may be changed by its
/// author or by anyone who may edit the lead; the app's own events are never edited.
pub fn may_edit(
    kind: ItemKind,
    author: Option<Uuid>,
    me: Uuid,
    can_edit_lead: bool,
    changes_status_only: bool,
) -> bool {
    match kind {
        ItemKind::Event => false,
        ItemKind::Note | ItemKind::Post => author == Some(me),
        _ if changes_status_only => author == Some(me) || can_edit_lead,
        _ => author == Some(me),
    }
}

/// The timeline filter a person keeps: kinds shown (empty: all), status, a date range, and a search.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub kinds: Vec<ItemKind>,
    pub status: Option<Status>,
    /// UTC milliseconds, inclusive start and exclusive end.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub q: String,
}

impl Filter {
    /// The filter within its limits, whatever was sent: a search of at most 100 characters, each kind once.
    pub fn sanitized(&self) -> Filter {
        let mut kinds = Vec::new();
        for k in &self.kinds {
            if !kinds.contains(k) {
                kinds.push(*k);
            }
        }
        Filter {
            kinds,
            status: self.status,
            from: self.from,
            to: self.to,
            q: self.q.trim().chars().take(super::query::MAX_SEARCH_LEN).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
            && self.status.is_none()
            && self.from.is_none()
            && self.to.is_none()
            && self.q.trim().is_empty()
    }
    pub fn shows(&self, kind: ItemKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

/// Where the next page starts: after the item with this time and id (newest first, ties broken by id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub at: i64,
    pub id: Uuid,
}

/// The people named in a text as `@Name`, longest names first so "@Ana María" beats "@Ana".
pub fn mentions(body: &str, people: &[(Uuid, String)]) -> Vec<Uuid> {
    let mut sorted: Vec<&(Uuid, String)> = people.iter().filter(|(_, n)| !n.trim().is_empty()).collect();
    sorted.sort_by_key(|(_, n)| std::cmp::Reverse(n.chars().count()));
    let lower = body.to_lowercase();
    let mut found = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for (id, name) in sorted {
        let needle = format!("@{}", name.to_lowercase());
        let mut start = 0;
        while let Some(pos) = lower[start..].find(&needle) {
            let at = start + pos;
            let end = at + needle.len();
            let boundary = lower[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
            if boundary && !taken.iter().any(|(a, b)| at < *b && *a < end) {
                taken.push((at, end));
                if !found.contains(id) {
                    found.push(*id);
                }
            }
            start = end;
        }
    }
    found
}

/// A piece of user text as shown: never markup, so `<script>` shows as those characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Link(String),
    Mention { id: Uuid, name: String },
    Break,
}

/// Splits text into plain runs, web links, mentions of the given people and line breaks.
pub fn pieces(body: &str, mentioned: &[(Uuid, String)]) -> Vec<Piece> {
    let mut out = Vec::new();
    for (i, line) in body.split('\n').enumerate() {
        if i > 0 {
            out.push(Piece::Break);
        }
        let mut rest = line;
        let mut plain = String::new();
        while !rest.is_empty() {
            if rest.starts_with("http://") || rest.starts_with("https://") {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                // Trailing punctuation ends a sentence, not the link.
                let link = rest[..end].trim_end_matches(['.', ',', ')', ';', ':', '!', '?']);
                if link.len() > "https://".len() {
                    if !plain.is_empty() {
                        out.push(Piece::Text(std::mem::take(&mut plain)));
                    }
                    out.push(Piece::Link(link.to_string()));
                    rest = &rest[link.len()..];
                    continue;
                }
            }
            if let Some(after) = rest.strip_prefix('@') {
                let hit = mentioned
                    .iter()
                    .filter(|(_, n)| {
                        after
                            .get(..n.len())
                            .is_some_and(|s| s.eq_ignore_ascii_case(n) || s.to_lowercase() == n.to_lowercase())
                            && after[n.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric())
                    })
                    .max_by_key(|(_, n)| n.len());
                if let Some((id, name)) = hit {
                    if !plain.is_empty() {
                        out.push(Piece::Text(std::mem::take(&mut plain)));
                    }
                    out.push(Piece::Mention {
                        id: *id,
                        name: name.clone(),
                    });
                    rest = &after[name.len()..];
                    continue;
                }
            }
            let Some(c) = rest.chars().next() else { break };
            plain.push(c);
            rest = &rest[c.len_utf8()..];
        }
        if !plain.is_empty() {
            out.push(Piece::Text(plain));
        }
    }
    out
}

/// The word being typed at the end of a text when it starts with `@`: what to suggest colleagues for.
pub fn mention_prefix(text: &str) -> Option<&str> {
    let at = text.rfind('@')?;
    let after = &text[at + 1..];
    let before_ok = text[..at].chars().next_back().is_none_or(char::is_whitespace);
    // Names have at most one space typed so far ("@Ana Ma"); a line break ends the mention.
    (before_ok && !after.contains('\n') && after.matches(' ').count() <= 1 && after.chars().count() <= 40)
        .then_some(after)
}

/// Replaces the `@prefix` being typed with the chosen person's full name.
pub fn complete_mention(text: &str, name: &str) -> String {
    match text.rfind('@') {
        Some(at) => format!("{}@{} ", &text[..at], name),
        None => text.to_string(),
    }
}

/// The sentence for one of the app's events, from its details (`event`, `from`, `to`) and people's names.
pub fn event_text(details: &BTreeMap<String, String>, name_of: impl Fn(&str) -> String) -> String {
    let get = |k: &str| details.get(k).map(String::as_str).unwrap_or("");
    match get("event") {
        "created" => "Lead created.".into(),
        "owner" => format!("Owner changed from {} to {}.", name_of(get("from")), name_of(get("to"))),
        "status" => format!(
            "Status changed from {} to {}.",
            or_none(get("from")),
            or_none(get("to"))
        ),
        "stage" => format!("Stage moved from {} to {}.", or_none(get("from")), or_none(get("to"))),
        "process" => format!(
            "Process switched from {} to {}.",
            or_none(get("from")),
            or_none(get("to"))
        ),
        "qualified" if details.contains_key("opportunity") => {
            "Qualified: account, contact and opportunity are ready.".into()
        }
        "qualified" => "Qualified, without an opportunity.".into(),
        "disqualified" if get("note").is_empty() => format!("Disqualified: {}.", get("reason")),
        "disqualified" => format!("Disqualified: {}. {}", get("reason"), get("note")),
        "reactivated" => "Reactivated: the lead is open again.".into(),
        "won" => "Opportunity won.".into(),
        "lost" if get("winner").is_empty() => format!("Opportunity lost: {}.", get("reason")),
        "lost" => format!("Opportunity lost: {} (to {}).", get("reason"), get("winner")),
        other => format!("Lead updated ({other})."),
    }
}

fn or_none(s: &str) -> &str {
    if s.is_empty() {
        "(none)"
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }
    const LEAD: &str = "0190a0c0-0000-7000-8000-000000000001";

    #[test]
    fn a_phone_call_is_checked_and_normalised() {
        let d = check_new(&fields(&[
            ("lead_id", LEAD),
            ("kind", "phone_call"),
            ("subject", " Intro call "),
            ("direction", "Incoming"),
            ("duration", "15"),
            ("body", "Line 1\r\nLine 2"),
        ]))
        .unwrap();
        assert_eq!(d.kind, ItemKind::PhoneCall);
        assert_eq!(d.status, Some(Status::Open));
        assert_eq!(d.subject, "Intro call");
        assert_eq!(d.body, "Line 1\nLine 2");
        assert_eq!(d.details["direction"], "incoming");
        assert_eq!(d.details["duration"], "15");
        let e = check_new(&fields(&[
            ("lead_id", LEAD),
            ("kind", "phone_call"),
            ("duration", "many"),
        ]))
        .unwrap_err();
        let keys: Vec<_> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(keys, ["subject", "duration"]);
    }

    #[test]
    fn appointments_need_a_start_and_cannot_end_before_it() {
        let e = check_new(&fields(&[
            ("lead_id", LEAD),
            ("kind", "appointment"),
            ("subject", "Visit"),
        ]))
        .unwrap_err();
        assert_eq!(e[0].field, "start");
        let e = check_new(&fields(&[
            ("lead_id", LEAD),
            ("kind", "appointment"),
            ("subject", "Visit"),
            ("start", "2000"),
            ("end", "1000"),
        ]))
        .unwrap_err();
        assert_eq!(e[0].field, "end");
        let other = Uuid::now_v7();
        let d = check_new(&fields(&[
            ("lead_id", LEAD),
            ("kind", "appointment"),
            ("subject", "Visit"),
            ("start", "1000"),
            ("end", "2000"),
            ("required", &format!("{other}, {other}")),
        ]))
        .unwrap();
        assert_eq!(d.details["required"], other.to_string(), "attendees are deduplicated");
    }

    #[test]
    fn posts_and_notes_need_text_and_unknown_or_app_only_things_are_refused() {
        assert_eq!(
            check_new(&fields(&[("lead_id", LEAD), ("kind", "post"), ("body", "  ")])).unwrap_err()[0].field,
            "body"
        );
        assert!(
            check_new(&fields(&[("lead_id", LEAD), ("kind", "event"), ("body", "x")])).is_err(),
            "people cannot write the app's events"
        );
        assert_eq!(
            check_new(&fields(&[
                ("lead_id", LEAD),
                ("kind", "post"),
                ("body", "x"),
                ("colour", "red")
            ]))
            .unwrap_err()[0]
                .field,
            "colour"
        );
        assert_eq!(
            check_new(&fields(&[("lead_id", "nope"), ("kind", "post"), ("body", "x")])).unwrap_err()[0].field,
            "lead_id"
        );
        let long = "x".repeat(MAX_TEXT + 1);
        assert!(
            check_new(&fields(&[("lead_id", LEAD), ("kind", "note"), ("body", &long)])).unwrap_err()[0]
                .message
                .contains("At most")
        );
        let reply = check_new(&fields(&[
            ("lead_id", LEAD),
            ("kind", "post"),
            ("body", "Yes"),
            ("parent_id", LEAD),
        ]))
        .unwrap();
        assert_eq!(reply.parent_id.map(|p| p.to_string()).as_deref(), Some(LEAD));
    }

    #[test]
    fn edits_are_limited_to_what_each_kind_allows() {
        assert!(check_edit(ItemKind::Task, &fields(&[("status", "completed")])).is_ok());
        assert!(check_edit(ItemKind::Post, &fields(&[("status", "completed")])).is_err());
        assert!(check_edit(ItemKind::Event, &fields(&[("body", "x")])).is_err());
        assert!(check_edit(ItemKind::Task, &fields(&[("status", "done")])).is_err());
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        assert!(may_edit(ItemKind::Post, Some(me), me, false, false));
        assert!(
            !may_edit(ItemKind::Post, Some(other), me, true, false),
            "a manager does not edit someone's post"
        );
        assert!(
            may_edit(ItemKind::Task, Some(other), me, true, true),
            "a lead's editor completes a colleague's task"
        );
        assert!(!may_edit(ItemKind::Task, Some(other), me, false, true));
        assert!(!may_edit(ItemKind::Event, None, me, true, true));
    }

    #[test]
    fn mentions_find_the_longest_matching_name() {
        let ana = Uuid::now_v7();
        let ana_maria = Uuid::now_v7();
        let people = vec![(ana, "Ana".to_string()), (ana_maria, "Ana María".to_string())];
        assert_eq!(mentions("Hi @Ana María, and @ana too", &people), vec![ana_maria, ana]);
        assert_eq!(mentions("mail ana@example.com or @Anabel", &people), Vec::<Uuid>::new());
    }

    #[test]
    fn text_is_split_into_text_links_mentions_and_breaks() {
        let ana = Uuid::now_v7();
        let p = pieces(
            "<script>x</script> see https://example.com/a.\n@Ana ok",
            &[(ana, "Ana".into())],
        );
        assert_eq!(
            p,
            vec![
                Piece::Text("<script>x</script> see ".into()),
                Piece::Link("https://example.com/a".into()),
                Piece::Text(".".into()),
                Piece::Break,
                Piece::Mention {
                    id: ana,
                    name: "Ana".into()
                },
                Piece::Text(" ok".into()),
            ]
        );
    }

    #[test]
    fn events_read_as_sentences() {
        let d = fields(&[("event", "owner"), ("from", "a"), ("to", "b")]);
        assert_eq!(event_text(&d, |id| id.to_uppercase()), "Owner changed from A to B.");
        assert_eq!(
            event_text(
                &fields(&[("event", "status"), ("from", "New"), ("to", "Contacted")]),
                |x| x.into()
            ),
            "Status changed from New to Contacted."
        );
    }

    #[test]
    fn typing_at_suggests_and_completes_names() {
        assert_eq!(mention_prefix("Has anyone @Jav"), Some("Jav"));
        assert_eq!(mention_prefix("mail me@x"), None);
        assert_eq!(mention_prefix("@"), Some(""));
        assert_eq!(
            complete_mention("Has anyone @Jav", "Javier Ruiz"),
            "Has anyone @Javier Ruiz "
        );
    }
}
