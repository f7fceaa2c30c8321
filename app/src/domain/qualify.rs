//! Deciding a lead: qualify (what to create, given the workspace setting and the duplicates found),
//! disqualify (with a reason, not while an open opportunity came from the lead) and reactivate.

use super::lead::LeadState;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The workspace setting: create account, contact and opportunity at once, or let the seller choose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum QualifyMode {
    #[default]
    Automatic,
    SellerChooses,
}

/// For the account and the contact: make a new one, use an existing one, or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pick {
    New,
    Existing(Uuid),
    Skip,
}

/// What the seller asked for (in automatic mode only duplicates need an answer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualifyRequest {
    pub account: Option<Pick>,
    pub contact: Option<Pick>,
    pub opportunity: Option<bool>,
}

/// A qualify as the browser sends it: the seller's answers, and ids for whatever gets created (minted by
/// the browser, so a queued qualify replays to the same records and the page can go to the opportunity).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualifyOrder {
    pub request: QualifyRequest,
    pub account_id: Uuid,
    pub contact_id: Uuid,
    pub opportunity_id: Uuid,
}

impl QualifyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            QualifyMode::Automatic => "automatic",
            QualifyMode::SellerChooses => "choose",
        }
    }
    pub fn parse(s: &str) -> QualifyMode {
        if s == "choose" {
            QualifyMode::SellerChooses
        } else {
            QualifyMode::Automatic
        }
    }
}

/// What qualifying will do, decided before anything is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub account: Pick,
    pub contact: Pick,
    pub opportunity: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QualifyError {
    /// Only open leads can be qualified.
    NotOpen,
    /// Possible duplicates were found and the seller has not said what to do with them.
    Choose { accounts: Vec<Uuid>, contacts: Vec<Uuid> },
    /// The picked record is not among those offered (or not visible to the seller).
    UnknownPick,
    /// An opportunity needs an account or a contact to belong to.
    OpportunityNeedsCustomer,
}

impl std::fmt::Display for QualifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QualifyError::NotOpen => write!(f, "Only open leads can be qualified."),
            QualifyError::Choose { .. } => write!(f, "These may already exist: pick one or create new ones anyway."),
            QualifyError::UnknownPick => write!(f, "That record is no longer available; choose again."),
            QualifyError::OpportunityNeedsCustomer => write!(f, "An opportunity needs an account or a contact."),
        }
    }
}

/// Decides what qualifying does. `accounts` and `contacts` are the possible duplicates found.
pub fn plan(
    state: LeadState,
    mode: QualifyMode,
    req: &QualifyRequest,
    accounts: &[Uuid],
    contacts: &[Uuid],
) -> Result<Plan, QualifyError> {
    if state != LeadState::Open {
        return Err(QualifyError::NotOpen);
    }
    let decide = |asked: Option<Pick>, found: &[Uuid]| -> Result<Option<Pick>, ()> {
        match asked {
            Some(Pick::Existing(id)) if !found.contains(&id) => Err(()),
            Some(p) => Ok(Some(p)),
            // Nothing asked: new when nothing similar exists; otherwise the seller must choose.
            None if found.is_empty() => Ok(Some(Pick::New)),
            None => Ok(None),
        }
    };
    let (account, contact) = match mode {
        QualifyMode::Automatic => (decide(req.account, accounts), decide(req.contact, contacts)),
        // Choosing mode: nothing is created unless asked for.
        QualifyMode::SellerChooses => (
            decide(Some(req.account.unwrap_or(Pick::Skip)), accounts),
            decide(Some(req.contact.unwrap_or(Pick::Skip)), contacts),
        ),
    };
    let (Ok(account), Ok(contact)) = (account, contact) else {
        return Err(QualifyError::UnknownPick);
    };
    let (Some(account), Some(contact)) = (account, contact) else {
        return Err(QualifyError::Choose {
            accounts: accounts.to_vec(),
            contacts: contacts.to_vec(),
        });
    };
    let opportunity = match mode {
        QualifyMode::Automatic => req.opportunity.unwrap_or(true),
        QualifyMode::SellerChooses => req.opportunity.unwrap_or(false),
    };
    if opportunity && account == Pick::Skip && contact == Pick::Skip {
        return Err(QualifyError::OpportunityNeedsCustomer);
    }
    Ok(Plan {
        account,
        contact,
        opportunity,
    })
}

/// Why a lead is disqualified.
pub const DISQUALIFY_REASONS: &[&str] = &["Lost", "Cannot Contact", "No Longer Interested", "Canceled"];

pub fn check_disqualify(state: LeadState, reason: &str, open_opportunity: bool) -> Result<&'static str, String> {
    if state != LeadState::Open {
        return Err("Only open leads can be disqualified.".into());
    }
    if open_opportunity {
        return Err("An open opportunity was created from this lead: close it first.".into());
    }
    DISQUALIFY_REASONS
        .iter()
        .find(|r| r.eq_ignore_ascii_case(reason.trim()))
        .copied()
        .ok_or_else(|| format!("Choose a reason: {}.", DISQUALIFY_REASONS.join(", ")))
}

/// Reactivating brings a closed lead back to Open (New); an open one stays as it is.
pub fn check_reactivate(state: LeadState) -> Result<(), String> {
    if state == LeadState::Open {
        Err("This lead is already open.".into())
    } else {
        Ok(())
    }
}

/// An opportunity's estimated value from the lead's budget (canonical money text), in cents.
pub fn estimated_value_cents(budget: &str) -> Option<i64> {
    super::validate::money_cents(budget).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(account: Option<Pick>, contact: Option<Pick>, opportunity: Option<bool>) -> QualifyRequest {
        QualifyRequest {
            account,
            contact,
            opportunity,
        }
    }

    #[test]
    fn automatic_mode_creates_all_three_unless_duplicates_need_a_choice() {
        let none = req(None, None, None);
        assert_eq!(
            plan(LeadState::Open, QualifyMode::Automatic, &none, &[], &[]),
            Ok(Plan {
                account: Pick::New,
                contact: Pick::New,
                opportunity: true
            })
        );
        let dup = Uuid::now_v7();
        assert_eq!(
            plan(LeadState::Open, QualifyMode::Automatic, &none, &[dup], &[]),
            Err(QualifyError::Choose {
                accounts: vec![dup],
                contacts: vec![]
            })
        );
        let picked = req(Some(Pick::Existing(dup)), None, None);
        assert_eq!(
            plan(LeadState::Open, QualifyMode::Automatic, &picked, &[dup], &[])
                .unwrap()
                .account,
            Pick::Existing(dup)
        );
        let anyway = req(Some(Pick::New), None, None);
        assert_eq!(
            plan(LeadState::Open, QualifyMode::Automatic, &anyway, &[dup], &[])
                .unwrap()
                .account,
            Pick::New,
            "create anyway"
        );
        let forged = req(Some(Pick::Existing(Uuid::now_v7())), None, None);
        assert_eq!(
            plan(LeadState::Open, QualifyMode::Automatic, &forged, &[dup], &[]),
            Err(QualifyError::UnknownPick)
        );
    }

    #[test]
    fn choosing_mode_creates_only_what_the_seller_asks() {
        let only_account = req(Some(Pick::New), None, None);
        assert_eq!(
            plan(LeadState::Open, QualifyMode::SellerChooses, &only_account, &[], &[]),
            Ok(Plan {
                account: Pick::New,
                contact: Pick::Skip,
                opportunity: false
            })
        );
        let opp_alone = req(None, None, Some(true));
        assert_eq!(
            plan(LeadState::Open, QualifyMode::SellerChooses, &opp_alone, &[], &[]),
            Err(QualifyError::OpportunityNeedsCustomer)
        );
        let nothing = req(None, None, None);
        assert!(
            !plan(LeadState::Open, QualifyMode::SellerChooses, &nothing, &[], &[])
                .unwrap()
                .opportunity,
            "qualified without an opportunity"
        );
        assert_eq!(
            plan(LeadState::Qualified, QualifyMode::Automatic, &nothing, &[], &[]),
            Err(QualifyError::NotOpen)
        );
    }

    #[test]
    fn disqualify_needs_a_reason_and_no_open_opportunity_and_reactivate_reopens() {
        assert_eq!(
            check_disqualify(LeadState::Open, "cannot contact", false),
            Ok("Cannot Contact")
        );
        assert!(check_disqualify(LeadState::Open, "bored", false)
            .unwrap_err()
            .contains("Choose a reason"));
        assert!(check_disqualify(LeadState::Open, "Lost", true)
            .unwrap_err()
            .contains("open opportunity"));
        assert!(check_disqualify(LeadState::Disqualified, "Lost", false).is_err());
        assert!(check_reactivate(LeadState::Disqualified).is_ok());
        assert!(check_reactivate(LeadState::Open).is_err());
        assert_eq!(estimated_value_cents("12500.50"), Some(1_250_050));
    }
}
