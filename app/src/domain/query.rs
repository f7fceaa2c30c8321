//! A lead list request: view, search, filters, sort and page. It lives in the URL, so a link or the back
//! button restores it; parsing is forgiving (unknown values fall back to defaults) and never fails.

use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: i64 = 25;
/// Lists count matches up to this many (or to the page asked for, if further) and then say "more than":
/// counting every one of 100,000 matches would cost more than rendering the page.
pub const COUNT_CAP: i64 = 1_000;
pub const MAX_SEARCH_LEN: usize = 100;
/// The status reasons a list filters by.
pub const STATUSES: &[&str] = &[
    "New",
    "Contacted",
    "Qualified",
    "Lost",
    "Cannot Contact",
    "No Longer Interested",
    "Canceled",
];
/// The deepest page a list goes to (10,000 leads in): paging walks the index up to the page, so every
/// request walks at most this far, and a page asked for far past the end cannot make the database walk a
/// whole team of a hundred thousand to find it empty. Further on, a search or a filter finds faster.
pub const MAX_PAGE: i64 = 400;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum View {
    #[default]
    Mine,
    Team,
    Closed,
}

impl View {
    pub const ALL: [View; 3] = [View::Mine, View::Team, View::Closed];
    pub fn slug(self) -> &'static str {
        match self {
            View::Mine => "mine",
            View::Team => "team",
            View::Closed => "closed",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            View::Mine => "My open leads",
            View::Team => "All open leads",
            View::Closed => "Closed leads",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    Name,
    Company,
    Topic,
    Status,
    Source,
    Rating,
    Owner,
    Email,
    City,
    Budget,
    Created,
    #[default]
    Updated,
    /// When the lead's timeline last gained an activity, note or post.
    LastActivity,
}

impl SortKey {
    pub const ALL: [SortKey; 13] = [
        SortKey::Name,
        SortKey::Company,
        SortKey::Topic,
        SortKey::Status,
        SortKey::Source,
        SortKey::Rating,
        SortKey::Owner,
        SortKey::Email,
        SortKey::City,
        SortKey::Budget,
        SortKey::Created,
        SortKey::Updated,
        SortKey::LastActivity,
    ];
    pub fn slug(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Company => "company",
            SortKey::Topic => "topic",
            SortKey::Status => "status",
            SortKey::Source => "source",
            SortKey::Rating => "rating",
            SortKey::Owner => "owner",
            SortKey::Email => "email",
            SortKey::City => "city",
            SortKey::Budget => "budget",
            SortKey::Created => "created",
            SortKey::Updated => "updated",
            SortKey::LastActivity => "activity",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "Name",
            SortKey::Company => "Company",
            SortKey::Topic => "Topic",
            SortKey::Status => "Status",
            SortKey::Source => "Source",
            SortKey::Rating => "Rating",
            SortKey::Owner => "Owner",
            SortKey::Email => "Email",
            SortKey::City => "City",
            SortKey::Budget => "Budget",
            SortKey::Created => "Created",
            SortKey::Updated => "Updated",
            SortKey::LastActivity => "Last activity",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeadQuery {
    pub view: View,
    pub q: String,
    pub status: String,
    pub source: String,
    pub rating: String,
    /// Owner's user id, or "" for any owner.
    pub owner: String,
    pub sort: SortKey,
    pub desc: bool,
    /// 1-based.
    pub page: i64,
}

/// My open leads, most recently updated first, first page.
impl Default for LeadQuery {
    fn default() -> Self {
        LeadQuery {
            view: View::default(),
            q: String::new(),
            status: String::new(),
            source: String::new(),
            rating: String::new(),
            owner: String::new(),
            sort: SortKey::default(),
            desc: true,
            page: 1,
        }
    }
}

impl LeadQuery {
    /// Reads a query from URL parameters via `get`.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        let pick = |name: &str, options: &[&str]| {
            get(name).and_then(|v| {
                options
                    .iter()
                    .find(|o| o.eq_ignore_ascii_case(v.trim()))
                    .map(|o| o.to_string())
            })
        };
        let sort = get("sort").and_then(|s| SortKey::ALL.into_iter().find(|k| k.slug() == s));
        LeadQuery {
            view: get("view")
                .and_then(|v| View::ALL.into_iter().find(|x| x.slug() == v))
                .unwrap_or_default(),
            q: get("q")
                .map(|q| q.trim().chars().take(MAX_SEARCH_LEN).collect())
                .unwrap_or_default(),
            status: pick("status", STATUSES).unwrap_or_default(),
            source: pick("source", super::fields::SOURCES).unwrap_or_default(),
            rating: pick("rating", super::fields::RATINGS).unwrap_or_default(),
            owner: get("owner")
                .and_then(|o| uuid::Uuid::parse_str(&o).ok())
                .map(|u| u.to_string())
                .unwrap_or_default(),
            desc: match get("dir").as_deref() {
                Some("asc") => false,
                Some("desc") => true,
                _ => sort.is_none(),
            },
            sort: sort.unwrap_or_default(),
            page: get("page")
                .and_then(|p| p.parse::<i64>().ok())
                .filter(|p| *p >= 1)
                .map(|p| p.min(MAX_PAGE))
                .unwrap_or(1),
        }
    }

    /// The same query as `from_params` would have read it: a query that arrives whole (a server function's
    /// argument) gets the URL parser's limits too, so an oversized search, an unknown filter value or a
    /// page beyond `MAX_PAGE` cannot reach the database. (In place: the list asks this on every request.)
    pub fn sanitized(mut self) -> Self {
        if self.q.len() > MAX_SEARCH_LEN || self.q.trim().len() != self.q.len() {
            self.q = self.q.trim().chars().take(MAX_SEARCH_LEN).collect();
        }
        let canonical = |v: &str, options: &[&str]| {
            options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(v.trim()))
                .map(|o| o.to_string())
                .unwrap_or_default()
        };
        for (value, options) in [
            (&mut self.status, STATUSES),
            (&mut self.source, super::fields::SOURCES),
            (&mut self.rating, super::fields::RATINGS),
        ] {
            if !value.is_empty() {
                *value = canonical(value, options);
            }
        }
        if !self.owner.is_empty() {
            self.owner = uuid::Uuid::parse_str(&self.owner)
                .map(|u| u.to_string())
                .unwrap_or_default();
        }
        self.page = self.page.clamp(1, MAX_PAGE);
        self
    }

    /// The URL query string (without '?') that `from_params` reads back; defaults are left out.
    pub fn to_query_string(&self) -> String {
        // Written into one buffer: the list page writes fifteen of these links.
        let mut out = String::with_capacity(64);
        let mut add = |k: &str, v: &str| {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(k);
            out.push('=');
            encode_into(v, &mut out);
        };
        add("view", self.view.slug());
        for (k, v) in [
            ("q", &self.q),
            ("status", &self.status),
            ("source", &self.source),
            ("rating", &self.rating),
            ("owner", &self.owner),
        ] {
            if !v.is_empty() {
                add(k, v);
            }
        }
        if self.sort != SortKey::default() || !self.desc {
            add("sort", self.sort.slug());
            add("dir", if self.desc { "desc" } else { "asc" });
        }
        if self.page() > 1 {
            add("page", &self.page().to_string());
        }
        out
    }

    /// The same query sorted by `key`: a second click on the current column flips the direction.
    pub fn sorted_by(&self, key: SortKey) -> Self {
        let desc = if self.sort == key {
            !self.desc
        } else {
            matches!(
                key,
                SortKey::Created | SortKey::Updated | SortKey::Budget | SortKey::LastActivity
            )
        };
        LeadQuery {
            sort: key,
            desc,
            page: 1,
            ..self.clone()
        }
    }

    pub fn at_page(&self, page: i64) -> Self {
        LeadQuery {
            page: page.clamp(1, MAX_PAGE),
            ..self.clone()
        }
    }

    /// The page, counting from 1 (a default query, page 0, is the first page), at most `MAX_PAGE`.
    pub fn page(&self) -> i64 {
        self.page.clamp(1, MAX_PAGE)
    }

    pub fn offset(&self) -> i64 {
        (self.page() - 1) * PAGE_SIZE
    }

    /// How far to count matches: the cap, or further when the page asked for lies beyond it.
    pub fn count_limit(&self) -> i64 {
        COUNT_CAP.max(self.offset() + PAGE_SIZE)
    }
}

/// Percent-encodes a URL query value.
fn encode_into(v: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.extend(['%', HEX[usize::from(b >> 4)] as char, HEX[usize::from(b & 15)] as char]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(qs: &[(&str, &str)]) -> LeadQuery {
        let m: HashMap<_, _> = qs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        LeadQuery::from_params(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_and_forgiving_parsing() {
        let q = parse(&[("view", "bogus"), ("page", "-3"), ("rating", "warm"), ("owner", "x")]);
        assert_eq!(q.view, View::Mine);
        assert_eq!(q.page, 1);
        assert_eq!(q.rating, "Warm");
        assert_eq!(q.owner, "");
        assert_eq!((q.sort, q.desc), (SortKey::Updated, true));
    }

    #[test]
    fn round_trips_through_the_url() {
        let q = LeadQuery {
            view: View::Team,
            q: "café & co".into(),
            source: "Trade Show".into(),
            sort: SortKey::Company,
            desc: false,
            page: 3,
            ..Default::default()
        };
        let s = q.to_query_string();
        assert_eq!(
            s,
            "view=team&q=caf%C3%A9%20%26%20co&source=Trade%20Show&sort=company&dir=asc&page=3"
        );
        let decoded: Vec<(String, String)> = s
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_string(), percent_decode(v))
            })
            .collect();
        let back = LeadQuery::from_params(|k| decoded.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()));
        assert_eq!(back, q);
    }

    #[test]
    fn a_default_query_is_the_first_page() {
        let q = LeadQuery {
            page: 0,
            ..LeadQuery::default()
        };
        assert_eq!((q.page(), q.offset()), (1, 0));
        assert_eq!(LeadQuery::default().to_query_string(), "view=mine");
        assert_eq!(q.at_page(3).offset(), 50);
    }

    #[test]
    fn counting_reaches_at_least_the_page_asked_for() {
        let q = LeadQuery::default();
        assert_eq!(q.count_limit(), COUNT_CAP);
        assert_eq!(q.at_page(300).count_limit(), 300 * PAGE_SIZE);
        assert_eq!(
            q.at_page(4000).count_limit(),
            MAX_PAGE * PAGE_SIZE,
            "never past the deepest page"
        );
    }

    #[test]
    fn a_query_sent_whole_gets_the_limits_of_the_url() {
        let wild = LeadQuery {
            view: View::Team,
            q: "x".repeat(100_000),
            status: "Boiling".into(),
            source: "web".into(),
            owner: "'; DROP TABLE leads; --".into(),
            sort: SortKey::City,
            desc: false,
            page: i64::MAX,
            ..Default::default()
        };
        let q = wild.sanitized();
        assert_eq!(q.q.chars().count(), MAX_SEARCH_LEN);
        assert_eq!(
            (q.status.as_str(), q.source.as_str(), q.owner.as_str()),
            ("", "Web", "")
        );
        assert_eq!(
            (q.view, q.sort, q.desc, q.page),
            (View::Team, SortKey::City, false, MAX_PAGE)
        );
        assert_eq!(q.offset(), (MAX_PAGE - 1) * PAGE_SIZE, "no overflow");
        let negative = LeadQuery {
            page: i64::MIN,
            ..Default::default()
        };
        assert_eq!((negative.offset(), negative.sanitized().page), (0, 1));
        let fine = LeadQuery {
            q: "café central".into(),
            status: "lost".into(),
            owner: uuid::Uuid::nil().to_string(),
            ..Default::default()
        };
        assert_eq!(
            fine.clone().sanitized(),
            LeadQuery {
                status: "Lost".into(),
                ..fine
            },
            "a query within its limits stays as it is"
        );
    }

    #[test]
    fn sorting_flips_on_second_click_and_resets_page() {
        let q = LeadQuery {
            page: 4,
            ..Default::default()
        }
        .sorted_by(SortKey::Name);
        assert_eq!((q.sort, q.desc, q.page), (SortKey::Name, false, 1));
        assert!(q.sorted_by(SortKey::Name).desc);
    }

    fn percent_decode(v: &str) -> String {
        let b = v.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
}
