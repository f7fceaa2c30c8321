//! Business process flows: ordered stages with steps, stages that appear only when a condition on the
//! record holds, the required-step check before "Next stage", moving back, and switching process while
//! keeping what was captured. Plain Rust; the store keeps definitions and each record's place in them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which record a stage belongs to: Qualify is the lead's, later stages the opportunity's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    Lead,
    Opportunity,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepKind {
    /// A field of the record (its key); filled when the field has a value.
    Field(String),
    /// A yes/no check kept with the process state; filled when ticked.
    Check,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub key: String,
    pub label: String,
    pub kind: StepKind,
    pub required: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
    IsSet,
    IsEmpty,
}

/// A condition over the record's fields (canonical text, see `domain::validate`): numbers compare as
/// numbers, anything else as text ignoring case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Condition {
    Compare { field: String, cmp: Cmp, value: String },
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

impl Condition {
    pub fn holds(&self, values: &BTreeMap<String, String>) -> bool {
        match self {
            Condition::All(cs) => cs.iter().all(|c| c.holds(values)),
            Condition::Any(cs) => cs.iter().any(|c| c.holds(values)),
            Condition::Compare { field, cmp, value } => {
                let v = values.get(field).map(|s| s.trim()).unwrap_or("");
                match cmp {
                    Cmp::IsSet => !v.is_empty(),
                    Cmp::IsEmpty => v.is_empty(),
                    _ if v.is_empty() => false,
                    _ => {
                        let order = match (v.parse::<f64>(), value.trim().parse::<f64>()) {
                            (Ok(a), Ok(b)) => a.partial_cmp(&b),
                            _ => Some(v.to_lowercase().cmp(&value.trim().to_lowercase())),
                        };
                        let Some(o) = order else { return false };
                        match cmp {
                            Cmp::Gt => o.is_gt(),
                            Cmp::Ge => o.is_ge(),
                            Cmp::Lt => o.is_lt(),
                            Cmp::Le => o.is_le(),
                            Cmp::Eq => o.is_eq(),
                            Cmp::Ne => o.is_ne(),
                            Cmp::IsSet | Cmp::IsEmpty => false,
                        }
                    }
                }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub key: String,
    pub name: String,
    pub record: Record,
    pub steps: Vec<Step>,
    /// The stage is part of the flow only while this holds (a branch); None: always.
    pub when: Option<Condition>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub key: String,
    pub name: String,
    pub stages: Vec<Stage>,
    pub retired: bool,
}

/// Why "Next stage" (or a move) was refused, in words for the seller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MoveError {
    /// Required steps still empty: their labels.
    Missing(Vec<String>),
    AtLastStage,
    AtFirstStage,
    /// The next stage belongs to the opportunity: qualify the lead to go on.
    NeedsOpportunity,
    UnknownStage,
}

impl std::fmt::Display for MoveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MoveError::Missing(l) => write!(f, "Fill in first: {}.", l.join(", ")),
            MoveError::AtLastStage => write!(f, "This is the last stage."),
            MoveError::AtFirstStage => write!(f, "This is the first stage."),
            MoveError::NeedsOpportunity => write!(f, "The next stage belongs to the opportunity: qualify the lead to continue."),
            MoveError::UnknownStage => write!(f, "That stage is not part of this process."),
        }
    }
}

/// Where a record stands: its process, current stage, when it entered each stage, and ticked checks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessState {
    pub process: String,
    pub stage: String,
    /// (stage, entered at, UTC ms), oldest first; moving back and forth adds entries.
    pub history: Vec<(String, i64)>,
    /// Check steps' values ("true"), kept across process switches.
    pub checks: BTreeMap<String, String>,
}

impl ProcessState {
    pub fn start(p: &Process, values: &BTreeMap<String, String>, now: i64) -> ProcessState {
        let first = p.flow(values).first().map(|s| s.key.clone()).unwrap_or_default();
        ProcessState { process: p.key.clone(), stage: first.clone(), history: vec![(first, now)], checks: BTreeMap::new() }
    }

    /// Time spent in the current stage so far.
    pub fn time_in_stage(&self, now: i64) -> i64 {
        self.history.last().map(|(_, at)| (now - at).max(0)).unwrap_or(0)
    }
}

impl Process {
    /// The stages in order as they apply to this record now (branches whose condition fails are left out).
    pub fn flow(&self, values: &BTreeMap<String, String>) -> Vec<&Stage> {
        self.stages.iter().filter(|s| s.when.as_ref().is_none_or(|c| c.holds(values))).collect()
    }

    pub fn stage(&self, key: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.key == key)
    }

    /// Whether a step is filled, from the record's fields and the state's checks.
    pub fn filled(step: &Step, values: &BTreeMap<String, String>, checks: &BTreeMap<String, String>) -> bool {
        match &step.kind {
            StepKind::Field(f) => values.get(f).is_some_and(|v| !v.trim().is_empty()),
            StepKind::Check => checks.get(&step.key).is_some_and(|v| v == "true"),
        }
    }

    /// The labels of required steps of a stage that are still empty.
    pub fn missing(&self, stage: &str, values: &BTreeMap<String, String>, checks: &BTreeMap<String, String>) -> Vec<String> {
        self.stage(stage)
            .map(|s| s.steps.iter().filter(|st| st.required && !Self::filled(st, values, checks)).map(|st| st.label.clone()).collect())
            .unwrap_or_default()
    }

    /// "Next stage": refused with the missing required steps; the lead's process cannot leave the lead's
    /// stages (that is what qualifying does).
    pub fn next(&self, state: &ProcessState, record: Record, values: &BTreeMap<String, String>, now: i64) -> Result<ProcessState, MoveError> {
        let flow = self.flow(values);
        let i = flow.iter().position(|s| s.key == state.stage).ok_or(MoveError::UnknownStage)?;
        let missing = self.missing(&state.stage, values, &state.checks);
        if !missing.is_empty() {
            return Err(MoveError::Missing(missing));
        }
        let next = flow.get(i + 1).ok_or(MoveError::AtLastStage)?;
        if record == Record::Lead && next.record == Record::Opportunity {
            return Err(MoveError::NeedsOpportunity);
        }
        Ok(state.moved_to(&next.key, now))
    }

    /// Back one stage: always allowed (nothing captured is lost).
    pub fn back(&self, state: &ProcessState, record: Record, values: &BTreeMap<String, String>, now: i64) -> Result<ProcessState, MoveError> {
        let flow = self.flow(values);
        let i = flow.iter().position(|s| s.key == state.stage).ok_or(MoveError::UnknownStage)?;
        if i == 0 {
            return Err(MoveError::AtFirstStage);
        }
        let prev = flow[i - 1];
        if record == Record::Opportunity && prev.record == Record::Lead {
            return Err(MoveError::AtFirstStage);
        }
        Ok(state.moved_to(&prev.key, now))
    }

    /// Switches a record to this process, keeping every check and field: the same stage when this process
    /// has it (and it applies), otherwise this process's first stage for the record.
    pub fn switch_to(&self, state: &ProcessState, record: Record, values: &BTreeMap<String, String>, now: i64) -> ProcessState {
        let flow = self.flow(values);
        let stage = flow
            .iter()
            .find(|s| s.key == state.stage)
            .or_else(|| flow.iter().find(|s| s.record == record))
            .map(|s| s.key.clone())
            .unwrap_or_default();
        let mut s = ProcessState { process: self.key.clone(), ..state.clone() };
        if s.stage != stage {
            s = s.moved_to(&stage, now);
        }
        s
    }
}

impl ProcessState {
    fn moved_to(&self, stage: &str, now: i64) -> ProcessState {
        let mut s = self.clone();
        s.stage = stage.to_string();
        s.history.push((stage.to_string(), now));
        s
    }
}

fn field(key: &str, label: &str, field: &str, required: bool) -> Step {
    Step { key: key.into(), label: label.into(), kind: StepKind::Field(field.into()), required }
}

fn check(key: &str, label: &str, required: bool) -> Step {
    Step { key: key.into(), label: label.into(), kind: StepKind::Check, required }
}

fn stage(key: &str, name: &str, record: Record, steps: Vec<Step>) -> Stage {
    Stage { key: key.into(), name: name.into(), record, steps, when: None }
}

/// Budgets above this add an executive review before Propose.
pub const EXECUTIVE_REVIEW_ABOVE: &str = "50000";

/// The shipped "Lead to opportunity sales process": Qualify → Develop → (Executive review) → Propose → Close.
pub fn lead_to_opportunity() -> Process {
    let mut review = stage("executive_review", "Executive review", Record::Opportunity, vec![check("review_approved", "Executive approval", true)]);
    review.when = Some(Condition::Compare { field: "budget_amount".into(), cmp: Cmp::Gt, value: EXECUTIVE_REVIEW_ABOVE.into() });
    Process {
        key: "lead_to_opportunity".into(),
        name: "Lead to opportunity sales process".into(),
        retired: false,
        stages: vec![
            stage(
                "qualify",
                "Qualify",
                Record::Lead,
                vec![
                    check("existing_contact", "Existing contact?", false),
                    check("existing_account", "Existing account?", false),
                    field("purchase_timeframe", "Purchase timeframe", "purchase_timeframe", true),
                    field("budget", "Estimated budget", "budget_amount", true),
                    field("purchase_process", "Purchase process", "purchase_process", false),
                    field("decision_maker", "Identify decision maker", "decision_maker", true),
                    field("summary", "Capture summary", "description", false),
                ],
            ),
            stage(
                "develop",
                "Develop",
                Record::Opportunity,
                vec![
                    field("customer_need", "Customer need", "customer_need", true),
                    field("proposed_solution", "Proposed solution", "proposed_solution", true),
                    check("stakeholders", "Identify stakeholders", false),
                    check("competitors", "Identify competitors", false),
                ],
            ),
            review,
            stage(
                "propose",
                "Propose",
                Record::Opportunity,
                vec![
                    check("sales_team", "Identify sales team", false),
                    check("develop_proposal", "Develop proposal", true),
                    check("internal_review", "Complete internal review", false),
                    check("present_proposal", "Present proposal", true),
                ],
            ),
            stage(
                "close",
                "Close",
                Record::Opportunity,
                vec![
                    check("final_proposal", "Complete final proposal", true),
                    check("present_final", "Present final proposal", true),
                    field("decision_date", "Confirm decision date", "decision_date", true),
                    check("thank_you", "Send thank-you note", false),
                    check("debrief", "File de-brief", false),
                ],
            ),
        ],
    }
}

/// The shorter process for trade-show leads: qualify on the spot, then straight to a proposal.
pub fn trade_show() -> Process {
    Process {
        key: "trade_show".into(),
        name: "Trade show follow-up".into(),
        retired: false,
        stages: vec![
            stage(
                "qualify",
                "Qualify",
                Record::Lead,
                vec![
                    field("purchase_timeframe", "Purchase timeframe", "purchase_timeframe", true),
                    field("decision_maker", "Identify decision maker", "decision_maker", false),
                    field("summary", "Capture summary", "description", true),
                ],
            ),
            stage("propose", "Propose", Record::Opportunity, vec![check("present_proposal", "Present proposal", true)]),
            stage("close", "Close", Record::Opportunity, vec![field("decision_date", "Confirm decision date", "decision_date", true)]),
        ],
    }
}

/// Which shipped process a new lead starts in: trade-show leads get the short one.
pub fn default_for(source: &str) -> Process {
    if source.eq_ignore_ascii_case("Trade Show") {
        trade_show()
    } else {
        lead_to_opportunity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn keys(p: &Process, v: &BTreeMap<String, String>) -> Vec<String> {
        p.flow(v).iter().map(|s| s.key.clone()).collect()
    }

    #[test]
    fn stages_come_in_order_and_a_large_budget_adds_a_review() {
        let p = lead_to_opportunity();
        assert_eq!(keys(&p, &vals(&[("budget_amount", "12000.00")])), ["qualify", "develop", "propose", "close"]);
        assert_eq!(keys(&p, &vals(&[("budget_amount", "75000.00")])), ["qualify", "develop", "executive_review", "propose", "close"]);
        assert_eq!(keys(&p, &vals(&[])), ["qualify", "develop", "propose", "close"], "no budget, no branch");
        // Numbers compare as numbers, not text ("9" > "50000" as text).
        assert_eq!(keys(&p, &vals(&[("budget_amount", "9")])).len(), 4);
    }

    #[test]
    fn conditions_combine_and_compare_text_without_case() {
        let c = Condition::All(vec![
            Condition::Compare { field: "source".into(), cmp: Cmp::Eq, value: "trade show".into() },
            Condition::Any(vec![
                Condition::Compare { field: "rating".into(), cmp: Cmp::Eq, value: "Hot".into() },
                Condition::Compare { field: "email".into(), cmp: Cmp::IsEmpty, value: String::new() },
            ]),
        ]);
        assert!(c.holds(&vals(&[("source", "Trade Show"), ("rating", "hot")])));
        assert!(c.holds(&vals(&[("source", "Trade Show"), ("rating", "Cold")])));
        assert!(!c.holds(&vals(&[("source", "Trade Show"), ("rating", "Cold"), ("email", "a@b.es")])));
        assert!(!c.holds(&vals(&[("source", "Web")])));
    }

    #[test]
    fn next_stage_lists_what_is_missing_and_stops_at_the_lead_boundary() {
        let p = lead_to_opportunity();
        let mut v = vals(&[("budget_amount", "12000.00")]);
        let s = ProcessState::start(&p, &v, 1_000);
        assert_eq!(s.stage, "qualify");
        assert_eq!(p.next(&s, Record::Lead, &v, 2_000), Err(MoveError::Missing(vec!["Purchase timeframe".into(), "Identify decision maker".into()])));
        v.insert("purchase_timeframe".into(), "This Quarter".into());
        v.insert("decision_maker".into(), "true".into());
        assert_eq!(p.next(&s, Record::Lead, &v, 2_000), Err(MoveError::NeedsOpportunity), "qualifying moves the lead on");
        // On the opportunity: Develop needs its fields, then Propose needs its checks.
        let on_opp = ProcessState { stage: "develop".into(), ..s.clone() };
        assert!(matches!(p.next(&on_opp, Record::Opportunity, &v, 3_000), Err(MoveError::Missing(m)) if m == ["Customer need", "Proposed solution"]));
        v.insert("customer_need".into(), "Three cafés".into());
        v.insert("proposed_solution".into(), "Leasing".into());
        let propose = p.next(&on_opp, Record::Opportunity, &v, 3_000).unwrap();
        assert_eq!(propose.stage, "propose");
        assert_eq!(propose.time_in_stage(5_000), 2_000);
        let mut ticked = propose.clone();
        ticked.checks.insert("develop_proposal".into(), "true".into());
        ticked.checks.insert("present_proposal".into(), "true".into());
        assert_eq!(p.next(&ticked, Record::Opportunity, &v, 4_000).unwrap().stage, "close");
    }

    #[test]
    fn a_stage_can_be_moved_back_but_not_past_the_start() {
        let p = lead_to_opportunity();
        let v = vals(&[("budget_amount", "90000")]);
        let s = ProcessState { process: p.key.clone(), stage: "propose".into(), history: vec![("propose".into(), 0)], checks: BTreeMap::new() };
        assert_eq!(p.back(&s, Record::Opportunity, &v, 10).unwrap().stage, "executive_review", "the branch applies going back too");
        let d = ProcessState { stage: "develop".into(), ..s.clone() };
        assert_eq!(p.back(&d, Record::Opportunity, &v, 10), Err(MoveError::AtFirstStage), "the opportunity cannot go back into the lead");
        let q = ProcessState { stage: "qualify".into(), ..s };
        assert_eq!(p.back(&q, Record::Lead, &v, 10), Err(MoveError::AtFirstStage));
    }

    #[test]
    fn switching_process_keeps_what_was_captured() {
        let long = lead_to_opportunity();
        let short = trade_show();
        let v = vals(&[("description", "Met at the fair")]);
        let mut s = ProcessState::start(&long, &v, 0);
        s.checks.insert("existing_account".into(), "true".into());
        let switched = short.switch_to(&s, Record::Lead, &v, 5);
        assert_eq!((switched.process.as_str(), switched.stage.as_str()), ("trade_show", "qualify"));
        assert_eq!(switched.checks, s.checks, "checks survive the switch");
        assert_eq!(switched.history.len(), 1, "same stage: no new history entry");
        // Back to the long one later: nothing was lost.
        let again = long.switch_to(&switched, Record::Lead, &v, 9);
        assert_eq!(again.checks["existing_account"], "true");
        // A stage the other process lacks falls back to its first stage for the record.
        let in_develop = ProcessState { stage: "develop".into(), ..s };
        assert_eq!(short.switch_to(&in_develop, Record::Opportunity, &v, 9).stage, "propose");
        assert_eq!(default_for("Trade Show").key, "trade_show");
        assert_eq!(default_for("Web").key, "lead_to_opportunity");
    }
}
