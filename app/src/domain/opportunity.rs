//! Opportunities and the people around a deal: stakeholder roles, and closing an opportunity as won or
//! lost (lost needs a reason; the competitor who won, when known, must be one of the deal's competitors).

use serde::{Deserialize, Serialize};
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
        StakeholderRole::ALL.into_iter().find(|r| r.label().eq_ignore_ascii_case(s.trim()))
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

pub fn check_close(open: bool, outcome: Outcome, reason: &str, winner: Option<Uuid>, competitors: &[Uuid]) -> Result<Close, String> {
    if !open {
        return Err("This opportunity is already closed.".into());
    }
    match outcome {
        Outcome::Won => Ok(Close { outcome, reason: None, winner: None }),
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
            Ok(Close { outcome, reason: Some(reason), winner })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stakeholder_roles_read_back_from_their_labels() {
        for r in StakeholderRole::ALL {
            assert_eq!(StakeholderRole::parse(r.label()), Some(r));
        }
        assert_eq!(StakeholderRole::parse("decision MAKER"), Some(StakeholderRole::DecisionMaker));
        assert_eq!(StakeholderRole::parse("Boss"), None);
    }

    #[test]
    fn closing_lost_needs_a_reason_and_a_known_winner() {
        let rival = Uuid::now_v7();
        assert_eq!(check_close(true, Outcome::Won, "", None, &[]).unwrap().reason, None);
        assert!(check_close(true, Outcome::Lost, "", None, &[rival]).unwrap_err().contains("Choose why"));
        let c = check_close(true, Outcome::Lost, "lost to a competitor", Some(rival), &[rival]).unwrap();
        assert_eq!((c.reason, c.winner), (Some("Lost to a competitor"), Some(rival)));
        assert!(check_close(true, Outcome::Lost, "No budget", Some(Uuid::now_v7()), &[rival]).is_err());
        assert!(check_close(false, Outcome::Won, "", None, &[]).is_err());
    }
}
