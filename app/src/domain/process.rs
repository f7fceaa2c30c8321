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
    /// The fields the condition reads.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Condition::Compare { field, .. } => vec![field.as_str()],
            Condition::All(cs) | Condition::Any(cs) => cs.iter().flat_map(Condition::fields).collect(),
        }
    }

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
    /// The process was retired: records already in it go on, none can switch to it.
    Retired,
}

impl std::fmt::Display for MoveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MoveError::Missing(l) => write!(f, "Fill in first: {}.", l.join(", ")),
            MoveError::AtLastStage => write!(f, "This is the last stage."),
            MoveError::AtFirstStage => write!(f, "This is the first stage."),
            MoveError::NeedsOpportunity => write!(
                f,
                "The next stage belongs to the opportunity: qualify the lead to continue."
            ),
            MoveError::UnknownStage => write!(f, "That stage is not part of this process."),
            MoveError::Retired => write!(f, "This process was retired; choose another one."),
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
        ProcessState {
            process: p.key.clone(),
            stage: first.clone(),
            history: vec![(first, now)],
            checks: BTreeMap::new(),
        }
    }

    /// Time spent in the current stage so far.
    pub fn time_in_stage(&self, now: i64) -> i64 {
        self.history.last().map(|(_, at)| (now - at).max(0)).unwrap_or(0)
    }
}

impl Process {
    /// The stages in order as they apply to this record now (branches whose condition fails are left out).
    pub fn flow(&self, values: &BTreeMap<String, String>) -> Vec<&Stage> {
        self.stages
            .iter()
            .filter(|s| s.when.as_ref().is_none_or(|c| c.holds(values)))
            .collect()
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
    pub fn missing(
        &self,
        stage: &str,
        values: &BTreeMap<String, String>,
        checks: &BTreeMap<String, String>,
    ) -> Vec<String> {
        self.stage(stage)
            .map(|s| {
                s.steps
                    .iter()
                    .filter(|st| st.required && !Self::filled(st, values, checks))
                    .map(|st| st.label.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// "Next stage": refused with the missing required steps; the lead's process cannot leave the lead's
    /// stages (that is what qualifying does).
    pub fn next(
        &self,
        state: &ProcessState,
        record: Record,
        values: &BTreeMap<String, String>,
        now: i64,
    ) -> Result<ProcessState, MoveError> {
        let flow = self.flow(values);
        let i = flow
            .iter()
            .position(|s| s.key == state.stage)
            .ok_or(MoveError::UnknownStage)?;
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
    pub fn back(
        &self,
        state: &ProcessState,
        record: Record,
        values: &BTreeMap<String, String>,
        now: i64,
    ) -> Result<ProcessState, MoveError> {
        let flow = self.flow(values);
        let i = flow
            .iter()
            .position(|s| s.key == state.stage)
            .ok_or(MoveError::UnknownStage)?;
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
    pub fn switch_to(
        &self,
        state: &ProcessState,
        record: Record,
        values: &BTreeMap<String, String>,
        now: i64,
    ) -> ProcessState {
        let flow = self.flow(values);
        let stage = flow
            .iter()
            .find(|s| s.key == state.stage)
            .or_else(|| flow.iter().find(|s| s.record == record))
            .map(|s| s.key.clone())
            .unwrap_or_default();
        let mut s = ProcessState {
            process: self.key.clone(),
            ..state.clone()
        };
        if s.stage != stage {
            s = s.moved_to(&stage, now);
        }
        s
    }
}

impl Process {
    /// Whether a record may go from `from` (its process and stage before the change) to `stage` of this
    /// process. Every move is checked here on the server, whatever the browser already showed:
    /// - the stage must be in the flow as the values stand now, and belong to this kind of record;
    /// - switching process lands where `switch_to` does (same stage, or the record's first);
    /// - going forward needs the required steps of every stage passed; going back is always allowed.
    pub fn check_move(
        &self,
        from: Option<(&Process, &str)>,
        stage: &str,
        record: Record,
        values: &BTreeMap<String, String>,
        checks: &BTreeMap<String, String>,
    ) -> Result<(), MoveError> {
        if self.retired && from.is_none_or(|(p, _)| p.key != self.key) {
            return Err(MoveError::Retired);
        }
        let flow = self.flow(values);
        let j = flow
            .iter()
            .position(|s| s.key == stage)
            .ok_or(MoveError::UnknownStage)?;
        if flow[j].record != record {
            return Err(if record == Record::Lead {
                MoveError::NeedsOpportunity
            } else {
                MoveError::UnknownStage
            });
        }
        let Some((p, old)) = from else { return Ok(()) };
        if p.key != self.key {
            let state = ProcessState {
                process: p.key.clone(),
                stage: old.to_string(),
                ..Default::default()
            };
            return if self.switch_to(&state, record, values, 0).stage == stage {
                Ok(())
            } else {
                Err(MoveError::UnknownStage)
            };
        }
        let start = match flow.iter().position(|s| s.key == old) {
            Some(i) if i >= j => return Ok(()),
            Some(i) => i,
            // The old stage left the flow (a branch no longer applies): check from the record's first stage.
            None => flow.iter().position(|s| s.record == record).unwrap_or(0),
        };
        for s in &flow[start..j] {
            let missing = self.missing(&s.key, values, checks);
            if !missing.is_empty() {
                return Err(MoveError::Missing(missing));
            }
        }
        Ok(())
    }

    /// Where an opportunity starts when its lead is qualified: the first opportunity stage of the flow.
    pub fn first_stage_for(&self, record: Record, values: &BTreeMap<String, String>) -> Option<&Stage> {
        self.flow(values).into_iter().find(|s| s.record == record)
    }

    /// Checks a definition an admin saved: names present, stage and step keys unique and simple, steps
    /// pointing at known fields, the lead's stages first.
    pub fn validate(&self, known_field: impl Fn(&str) -> bool) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let simple = |k: &str| {
            !k.is_empty()
                && k.len() <= 60
                && k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if self.name.trim().is_empty() {
            errors.push("Give the process a name.".to_string());
        }
        if !simple(&self.key) {
            errors.push("The process key may only use a-z, 0-9 and _.".to_string());
        }
        if self.stages.is_empty() {
            errors.push("A process needs at least one stage.".to_string());
        }
        if self.stages.first().is_some_and(|s| s.record != Record::Lead) {
            errors.push("The first stage must belong to the lead.".to_string());
        }
        if self
            .stages
            .windows(2)
            .any(|w| w[0].record == Record::Opportunity && w[1].record == Record::Lead)
        {
            errors.push("The lead's stages come before the opportunity's.".to_string());
        }
        if self.name.chars().count() > 100
            || self
                .stages
                .iter()
                .any(|s| s.name.chars().count() > 100 || s.steps.iter().any(|st| st.label.chars().count() > 100))
        {
            errors.push("Names and labels may have at most 100 characters.".to_string());
        }
        if self.stages.len() > 20 || self.stages.iter().any(|s| s.steps.len() > 40) {
            errors.push("A process may have at most 20 stages of at most 40 steps each.".to_string());
        }
        let mut stage_keys = std::collections::BTreeSet::new();
        let mut step_keys = std::collections::BTreeSet::new();
        for st in &self.stages {
            if st.name.trim().is_empty() {
                errors.push("Every stage needs a name.".to_string());
            }
            if !simple(&st.key) || !stage_keys.insert(st.key.as_str()) {
                errors.push(format!("Stage \"{}\" needs a unique key (a-z, 0-9, _).", st.name));
            }
            if let Some(c) = &st.when {
                if !c.fields().iter().all(|f| known_field(f)) {
                    errors.push(format!("The condition of \"{}\" uses an unknown field.", st.name));
                }
            }
            for step in &st.steps {
                if step.label.trim().is_empty() {
                    errors.push(format!("A step of \"{}\" has no label.", st.name));
                }
                if !simple(&step.key) || !step_keys.insert(step.key.as_str()) {
                    errors.push(format!("Step \"{}\" needs a unique key (a-z, 0-9, _).", step.label));
                }
                if let StepKind::Field(f) = &step.kind {
                    if !known_field(f) {
                        errors.push(format!("Step \"{}\" points at an unknown field \"{f}\".", step.label));
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Ticked checks as the record keeps them: sorted keys, comma-separated.
pub fn checks_from_text(text: &str) -> BTreeMap<String, String> {
    text.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| (k.to_string(), "true".to_string()))
        .collect()
}

pub fn checks_to_text(checks: &BTreeMap<String, String>) -> String {
    checks
        .iter()
        .filter(|(_, v)| *v == "true")
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(",")
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
    Step {
        key: key.into(),
        label: label.into(),
        kind: StepKind::Field(field.into()),
        required,
    }
}

fn check(key: &str, label: &str, required: bool) -> Step {
    Step {
        key: key.into(),
        label: label.into(),
        kind: StepKind::Check,
        required,
    }
}

fn stage(key: &str, name: &str, record: Record, steps: Vec<Step>) -> Stage {
    Stage {
        key: key.into(),
        name: name.into(),
        record,
        steps,
        when: None,
    }
}

/// The opportunity's own fields that steps may point at (the rest are the lead's, carried over).
pub const OPPORTUNITY_STEP_FIELDS: &[&str] = &["customer_need", "proposed_solution", "decision_date"];

/// Fields a step may point at, with their labels: the lead's own fields, then the opportunity's.
/// The process state itself (process, stage, checks) and closing notes are not steps.
pub fn step_fields() -> Vec<(&'static str, &'static str)> {
    let lead = crate::domain::fields::Group::ALL
        .into_iter()
        .flat_map(crate::domain::fields::in_group)
        .map(|f| (f.key, f.label));
    let opp = OPPORTUNITY_STEP_FIELDS
        .iter()
        .filter_map(|k| crate::domain::opportunity::spec(k))
        .map(|f| (f.key, f.label));
    lead.chain(opp).collect()
}

pub fn is_step_field(key: &str) -> bool {
    step_fields().iter().any(|(k, _)| *k == key)
}

/// A key for something an admin just named ("Executive review" -> "executive_review"): a-z, 0-9 and _,
/// unique among the keys `taken` already. Keys never change afterwards: records refer to them.
pub fn key_from(name: &str, fallback: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut base = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        let c = match c {
            'a'..='z' | '0'..='9' => c,
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            _ => '_',
        };
        if c != '_' || !base.ends_with('_') {
            base.push(c);
        }
    }
    let mut base: String = base.trim_matches('_').chars().take(40).collect();
    base = base.trim_end_matches('_').to_string();
    if base.is_empty() {
        base = fallback.to_string();
    }
    if !taken(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}_{n}")).find(|k| !taken(k)).unwrap_or(base)
}

impl Process {
    /// A new process as an admin starts it: one Qualify stage for the lead, one Propose stage for the
    /// opportunity, no steps yet.
    pub fn blank(name: &str, taken: impl Fn(&str) -> bool) -> Process {
        Process {
            key: key_from(name, "process", taken),
            name: name.trim().to_string(),
            retired: false,
            stages: vec![
                stage("qualify", "Qualify", Record::Lead, vec![]),
                stage("propose", "Propose", Record::Opportunity, vec![]),
            ],
        }
    }

    /// Every stage and step key in use, so a new one gets a key of its own.
    pub fn key_taken(&self, key: &str) -> bool {
        self.stages
            .iter()
            .any(|s| s.key == key || s.steps.iter().any(|st| st.key == key))
    }
}

/// Budgets above this add an executive review before Propose.
pub const EXECUTIVE_REVIEW_ABOVE: &str = "50000";

/// The shipped "Lead to opportunity sales process": Qualify → Develop → (Executive review) → Propose → Close.
pub fn lead_to_opportunity() -> Process {
    let mut review = stage(
        "executive_review",
        "Executive review",
        Record::Opportunity,
        vec![check("review_approved", "Executive approval", true)],
    );
    review.when = Some(Condition::Compare {
        field: "budget_amount".into(),
        cmp: Cmp::Gt,
        value: EXECUTIVE_REVIEW_ABOVE.into(),
    });
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
            stage(
                "propose",
                "Propose",
                Record::Opportunity,
                vec![check("present_proposal", "Present proposal", true)],
            ),
            stage(
                "close",
                "Close",
                Record::Opportunity,
                vec![field("decision_date", "Confirm decision date", "decision_date", true)],
            ),
        ],
    }
}

/// The process a new lead starts in: the one for its source (below) unless an admin retired it; then
/// the first one in the admin's order that is not retired.
pub fn for_new_lead<'a>(source: &str, all: &'a [Process]) -> Option<&'a Process> {
    let preferred = default_for(source).key;
    all.iter()
        .find(|p| p.key == preferred && !p.retired)
        .or_else(|| all.iter().find(|p| !p.retired))
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
        assert_eq!(
            keys(&p, &vals(&[("budget_amount", "12000.00")])),
            ["qualify", "develop", "propose", "close"]
        );
        assert_eq!(
            keys(&p, &vals(&[("budget_amount", "75000.00")])),
            ["qualify", "develop", "executive_review", "propose", "close"]
        );
        assert_eq!(
            keys(&p, &vals(&[])),
            ["qualify", "develop", "propose", "close"],
            "no budget, no branch"
        );
        // Numbers compare as numbers, not text ("9" > "50000" as text).
        assert_eq!(keys(&p, &vals(&[("budget_amount", "9")])).len(), 4);
    }

    #[test]
    fn conditions_combine_and_compare_text_without_case() {
        let c = Condition::All(vec![
            Condition::Compare {
                field: "source".into(),
                cmp: Cmp::Eq,
                value: "trade show".into(),
            },
            Condition::Any(vec![
                Condition::Compare {
                    field: "rating".into(),
                    cmp: Cmp::Eq,
                    value: "Hot".into(),
                },
                Condition::Compare {
                    field: "email".into(),
                    cmp: Cmp::IsEmpty,
                    value: String::new(),
                },
            ]),
        ]);
        assert!(c.holds(&vals(&[("source", "Trade Show"), ("rating", "hot")])));
        assert!(c.holds(&vals(&[("source", "Trade Show"), ("rating", "Cold")])));
        assert!(!c.holds(&vals(&[
            ("source", "Trade Show"),
            ("rating", "Cold"),
            ("email", "a@b.es")
        ])));
        assert!(!c.holds(&vals(&[("source", "Web")])));
    }

    #[test]
    fn next_stage_lists_what_is_missing_and_stops_at_the_lead_boundary() {
        let p = lead_to_opportunity();
        let mut v = vals(&[("budget_amount", "12000.00")]);
        let s = ProcessState::start(&p, &v, 1_000);
        assert_eq!(s.stage, "qualify");
        assert_eq!(
            p.next(&s, Record::Lead, &v, 2_000),
            Err(MoveError::Missing(vec![
                "Purchase timeframe".into(),
                "Identify decision maker".into()
            ]))
        );
        v.insert("purchase_timeframe".into(), "This Quarter".into());
        v.insert("decision_maker".into(), "true".into());
        assert_eq!(
            p.next(&s, Record::Lead, &v, 2_000),
            Err(MoveError::NeedsOpportunity),
            "qualifying moves the lead on"
        );
        // On the opportunity: Develop needs its fields, then Propose needs its checks.
        let on_opp = ProcessState {
            stage: "develop".into(),
            ..s.clone()
        };
        assert!(
            matches!(p.next(&on_opp, Record::Opportunity, &v, 3_000), Err(MoveError::Missing(m)) if m == ["Customer need", "Proposed solution"])
        );
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
        let s = ProcessState {
            process: p.key.clone(),
            stage: "propose".into(),
            history: vec![("propose".into(), 0)],
            checks: BTreeMap::new(),
        };
        assert_eq!(
            p.back(&s, Record::Opportunity, &v, 10).unwrap().stage,
            "executive_review",
            "the branch applies going back too"
        );
        let d = ProcessState {
            stage: "develop".into(),
            ..s.clone()
        };
        assert_eq!(
            p.back(&d, Record::Opportunity, &v, 10),
            Err(MoveError::AtFirstStage),
            "the opportunity cannot go back into the lead"
        );
        let q = ProcessState {
            stage: "qualify".into(),
            ..s
        };
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
        assert_eq!(
            (switched.process.as_str(), switched.stage.as_str()),
            ("trade_show", "qualify")
        );
        assert_eq!(switched.checks, s.checks, "checks survive the switch");
        assert_eq!(switched.history.len(), 1, "same stage: no new history entry");
        // Back to the long one later: nothing was lost.
        let again = long.switch_to(&switched, Record::Lead, &v, 9);
        assert_eq!(again.checks["existing_account"], "true");
        // A stage the other process lacks falls back to its first stage for the record.
        let in_develop = ProcessState {
            stage: "develop".into(),
            ..s
        };
        assert_eq!(
            short.switch_to(&in_develop, Record::Opportunity, &v, 9).stage,
            "propose"
        );
        assert_eq!(default_for("Trade Show").key, "trade_show");
        assert_eq!(default_for("Web").key, "lead_to_opportunity");
    }

    #[test]
    fn moves_are_checked_on_the_server_as_the_browser_shows_them() {
        let p = lead_to_opportunity();
        let short = trade_show();
        let none = BTreeMap::new();
        let v = vals(&[("budget_amount", "90000")]);
        assert_eq!(
            p.check_move(Some((&p, "qualify")), "develop", Record::Lead, &v, &none),
            Err(MoveError::NeedsOpportunity)
        );
        assert_eq!(
            p.check_move(Some((&p, "qualify")), "nowhere", Record::Lead, &v, &none),
            Err(MoveError::UnknownStage)
        );
        // Forward past Develop without its steps is refused with them listed; back is fine.
        assert_eq!(
            p.check_move(Some((&p, "develop")), "propose", Record::Opportunity, &v, &none),
            Err(MoveError::Missing(vec![
                "Customer need".into(),
                "Proposed solution".into()
            ]))
        );
        let full = vals(&[
            ("budget_amount", "90000"),
            ("customer_need", "x"),
            ("proposed_solution", "y"),
        ]);
        assert_eq!(
            p.check_move(Some((&p, "develop")), "propose", Record::Opportunity, &full, &none),
            Err(MoveError::Missing(vec!["Executive approval".into()])),
            "skipping the review stage is refused"
        );
        let approved = checks_from_text("review_approved");
        assert_eq!(
            p.check_move(Some((&p, "develop")), "propose", Record::Opportunity, &full, &approved),
            Ok(())
        );
        assert_eq!(
            p.check_move(Some((&p, "close")), "develop", Record::Opportunity, &v, &none),
            Ok(())
        );
        // Switching lands on the same stage; elsewhere is refused.
        assert_eq!(
            short.check_move(Some((&p, "qualify")), "qualify", Record::Lead, &v, &none),
            Ok(())
        );
        assert_eq!(
            short.check_move(Some((&p, "develop")), "close", Record::Opportunity, &v, &none),
            Err(MoveError::UnknownStage)
        );
        let mut retired = trade_show();
        retired.retired = true;
        assert_eq!(
            retired.check_move(Some((&p, "qualify")), "qualify", Record::Lead, &v, &none),
            Err(MoveError::Retired)
        );
        assert_eq!(
            retired.check_move(Some((&retired, "qualify")), "qualify", Record::Lead, &v, &none),
            Ok(()),
            "records already in it go on"
        );
        assert_eq!(
            p.first_stage_for(Record::Opportunity, &v).map(|s| s.key.as_str()),
            Some("develop")
        );
        assert_eq!(checks_to_text(&checks_from_text(" b,a,,a ")), "a,b");
    }

    #[test]
    fn definitions_are_validated_before_they_are_saved() {
        let known = |f: &str| {
            crate::domain::fields::spec(f).is_some()
                || ["customer_need", "proposed_solution", "decision_date"].contains(&f)
        };
        assert_eq!(lead_to_opportunity().validate(known), Ok(()));
        assert_eq!(trade_show().validate(known), Ok(()));
        let mut bad = trade_show();
        bad.name = " ".into();
        bad.stages.swap(0, 1);
        bad.stages[1].steps[0].kind = StepKind::Field("shoe_size".into());
        let errors = bad.validate(known).unwrap_err();
        assert!(errors.iter().any(|e| e.contains("name")), "{errors:?}");
        assert!(
            errors.iter().any(|e| e.contains("first stage must belong to the lead")),
            "{errors:?}"
        );
        assert!(errors.iter().any(|e| e.contains("shoe_size")), "{errors:?}");
    }

    #[test]
    fn keys_from_names() {
        assert_eq!(key_from("Executive review", "stage", |_| false), "executive_review");
        assert_eq!(key_from("  Revisión técnica! ", "stage", |_| false), "revision_tecnica");
        assert_eq!(key_from("¿?", "stage", |_| false), "stage");
        assert_eq!(
            key_from("Qualify", "stage", |k| k == "qualify" || k == "qualify_2"),
            "qualify_3"
        );
        let p = Process::blank("Partner deals", |k| k == "partner_deals");
        assert_eq!(p.key, "partner_deals_2");
        assert!(p.validate(is_step_field).is_ok(), "a blank process is valid as it is");
        assert!(p.key_taken("qualify") && !p.key_taken("develop"));
    }

    #[test]
    fn step_fields_cover_the_shipped_processes() {
        for p in [lead_to_opportunity(), trade_show()] {
            assert!(p.validate(is_step_field).is_ok(), "{}", p.name);
        }
        assert!(is_step_field("budget_amount") && is_step_field("decision_date"));
        assert!(!is_step_field("stage") && !is_step_field("process_checks") && !is_step_field("closed_note"));
        let mut p = lead_to_opportunity();
        p.stages[2].when = Some(Condition::All(vec![Condition::Compare {
            field: "shoe_size".into(),
            cmp: Cmp::Gt,
            value: "40".into(),
        }]));
        assert!(p
            .validate(is_step_field)
            .unwrap_err()
            .iter()
            .any(|e| e.contains("unknown field")));
        let mut p = trade_show();
        p.stages
            .extend((0..20).map(|i| stage(&format!("s{i}"), "More", Record::Opportunity, vec![])));
        assert!(p
            .validate(is_step_field)
            .unwrap_err()
            .iter()
            .any(|e| e.contains("at most 20 stages")));
    }

    #[test]
    fn new_leads_skip_retired_processes() {
        let mut all = vec![lead_to_opportunity(), trade_show()];
        assert_eq!(for_new_lead("Web", &all).unwrap().key, "lead_to_opportunity");
        assert_eq!(for_new_lead("Trade Show", &all).unwrap().key, "trade_show");
        all[1].retired = true;
        assert_eq!(for_new_lead("Trade Show", &all).unwrap().key, "lead_to_opportunity");
        all[0].retired = true;
        assert!(for_new_lead("Web", &all).is_none());
    }
}
