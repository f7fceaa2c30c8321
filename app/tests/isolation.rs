//! Teams stay apart, whatever their people send: random sequences of changes by a seller of each team go
//! through the offline push (the path every replayed change takes), some of them aimed at the other team's
//! records or reusing its ids; afterwards nothing a person of one team can read (lead list, lead, pull,
//! timeline, a deal's people, notifications, contacts, accounts) holds a word or an id of the other's.
//! On SQLite, and on Postgres with PROSPECTA_TEST_POSTGRES_URL. More cases: PROSPECTA_ISOLATION_CASES=200.
#![cfg(feature = "ssr")]

use app::domain::access::Actor;
use app::domain::mutation::{Entity, FieldChange, Mutation, Op};
use app::domain::qualify::{Pick, QualifyOrder, QualifyRequest};
use app::domain::query::{LeadQuery, View};
use app::domain::sync::{PullRequest, PushRequest};
use app::domain::timeline::Filter;
use app::store::{accounts, contacts, deal, leads, sync, timeline, write};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use uuid::Uuid;

mod common;
use common::*;

suite!(nothing_of_one_team_reaches_the_other);

/// Which team's seller acts: Ana (team A, words marked ALPHA) or Otto (team B, words marked BRAVO).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    A,
    B,
}

/// One change a seller sends. Indexes pick among the leads and ids made so far, of either team: aimed at
/// the other team's, they are the attacks.
#[derive(Clone, Debug)]
enum Step {
    Create(Side),
    Edit(Side, usize),
    Post(Side, usize),
    Stakeholder(Side, usize, Option<usize>),
    Rival(Side, usize),
    Account(Side, Option<usize>),
    Qualify(Side, usize, Option<usize>),
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::A), Just(Side::B)]
}

fn step() -> impl Strategy<Value = Step> {
    let any_index = 0usize..64;
    prop_oneof![
        3 => side().prop_map(Step::Create),
        2 => (side(), any_index.clone()).prop_map(|(s, i)| Step::Edit(s, i)),
        2 => (side(), any_index.clone()).prop_map(|(s, i)| Step::Post(s, i)),
        2 => (side(), any_index.clone(), proptest::option::of(any_index.clone())).prop_map(|(s, i, r)| Step::Stakeholder(s, i, r)),
        1 => (side(), any_index.clone()).prop_map(|(s, i)| Step::Rival(s, i)),
        2 => (side(), proptest::option::of(any_index.clone())).prop_map(|(s, r)| Step::Account(s, r)),
        2 => (side(), any_index.clone(), proptest::option::of(any_index)).prop_map(|(s, i, r)| Step::Qualify(s, i, r)),
    ]
}

/// What the sequence has made so far, and each seller's device.
struct Run {
    leads: Vec<(Side, Uuid)>,
    ids: Vec<Uuid>,
    clients: [(Uuid, i64); 2],
    rival: Uuid,
    n: usize,
}

impl Run {
    fn word(&mut self, s: Side) -> String {
        self.n += 1;
        match s {
            Side::A => format!("ALPHA{}", self.n),
            Side::B => format!("BRAVO{}", self.n),
        }
    }
    fn lead(&self, i: usize) -> Option<Uuid> {
        (!self.leads.is_empty()).then(|| self.leads[i % self.leads.len()].1)
    }
    fn reuse(&self, i: Option<usize>) -> Uuid {
        match i {
            Some(i) if !self.ids.is_empty() => self.ids[i % self.ids.len()],
            _ => Uuid::now_v7(),
        }
    }
}

fn actor(w: &World, s: Side) -> &Actor {
    match s {
        Side::A => &w.ana,
        Side::B => &w.otto,
    }
}

/// Sends one change through the push, as the seller's device would.
async fn push(w: &World, run: &mut Run, s: Side, entity: Entity, record: Uuid, op: Op) {
    let slot = &mut run.clients[if s == Side::A { 0 } else { 1 }];
    slot.1 += 1;
    let m = Mutation {
        entity,
        client_id: slot.0,
        seq: slot.1,
        record_id: record,
        op,
    };
    sync::push(
        &w.db,
        actor(w, s),
        &PushRequest {
            client_id: slot.0,
            mutations: vec![m],
        },
    )
    .await
    .expect("a push is answered");
}

async fn play(w: &World, run: &mut Run, step: &Step) {
    let create = |pairs: &[(&str, String)]| Op::Create {
        fields: pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
    };
    match *step {
        Step::Create(s) => {
            let (id, word) = (Uuid::now_v7(), run.word(s));
            let op = create(&[
                ("topic", format!("{word} machines")),
                ("last_name", word.clone()),
                ("company_name", format!("{word} SL")),
                (
                    "email",
                    format!("{}@{}.example", word.to_lowercase(), word.to_lowercase()),
                ),
            ]);
            push(w, run, s, Entity::Lead, id, op).await;
            run.leads.push((s, id));
            run.ids.push(id);
        }
        Step::Edit(s, i) => {
            let Some(lead) = run.lead(i) else { return };
            let word = run.word(s);
            let changes = vec![FieldChange {
                field: "description".into(),
                value: format!("{word} notes"),
                base_version: 1,
            }];
            push(w, run, s, Entity::Lead, lead, Op::Update { changes }).await;
        }
        Step::Post(s, i) => {
            let Some(lead) = run.lead(i) else { return };
            let (id, word) = (Uuid::now_v7(), run.word(s));
            // Each mentions the other team's seller too: a mention of someone who cannot read the lead is text.
            let op = create(&[
                ("lead_id", lead.to_string()),
                ("kind", "post".into()),
                ("body", format!("@Ana @Otto {word} budget")),
            ]);
            push(w, run, s, Entity::TimelineItem, id, op).await;
            run.ids.push(id);
        }
        Step::Stakeholder(s, i, reuse) => {
            let Some(lead) = run.lead(i) else { return };
            let (id, contact, word) = (Uuid::now_v7(), run.reuse(reuse), run.word(s));
            let op = create(&[
                ("lead_id", lead.to_string()),
                ("new_contact_id", contact.to_string()),
                ("last_name", word.clone()),
                ("role", "Legal".into()),
                ("note", format!("{word} signs")),
            ]);
            push(w, run, s, Entity::Stakeholder, id, op).await;
            run.ids.extend([id, contact]);
        }
        Step::Rival(s, i) => {
            let Some(lead) = run.lead(i) else { return };
            let (id, word) = (Uuid::now_v7(), run.word(s));
            let op = create(&[
                ("lead_id", lead.to_string()),
                ("competitor_id", run.rival.to_string()),
                ("note", format!("{word} discount")),
            ]);
            push(w, run, s, Entity::DealCompetitor, id, op).await;
            run.ids.push(id);
        }
        Step::Account(s, reuse) => {
            let (id, word) = (run.reuse(reuse), run.word(s));
            push(
                w,
                run,
                s,
                Entity::Account,
                id,
                create(&[("name", format!("{word} Holdings"))]),
            )
            .await;
            run.ids.push(id);
        }
        Step::Qualify(s, i, reuse) => {
            let Some(lead) = run.lead(i) else { return };
            let request = QualifyRequest {
                account: None,
                contact: Some(Pick::Skip),
                opportunity: None,
            };
            let order = QualifyOrder {
                request,
                account_id: Uuid::now_v7(),
                contact_id: Uuid::now_v7(),
                opportunity_id: run.reuse(reuse),
            };
            run.ids.extend([order.account_id, order.opportunity_id]);
            push(w, run, s, Entity::Lead, lead, Op::Qualify(order)).await;
        }
    }
}

/// Everything `who` can read, as text: lists, each lead and its timeline and people (asked for every id the
/// run made, of both teams, as a lead and as an opportunity), a fresh pull and a pull of the feed,
/// notifications, contacts and accounts.
async fn readable(w: &World, who: &Actor, run: &Run) -> String {
    let mut out = Vec::new();
    for view in [View::Mine, View::Team, View::Closed] {
        out.push(
            serde_json::to_string(
                &leads::list(
                    &w.db,
                    who,
                    &LeadQuery {
                        view,
                        ..Default::default()
                    },
                )
                .await
                .unwrap(),
            )
            .unwrap(),
        );
    }
    for id in &run.ids {
        if let Ok(r) = leads::get(&w.db, who, *id).await {
            out.push(serde_json::to_string(&leads::detail(who, &r)).unwrap());
        }
        if let Ok(p) = timeline::page(&w.db, who, *id, &Filter::default(), None).await {
            out.push(serde_json::to_string(&p).unwrap());
        }
        for kind in ["lead", "opportunity"] {
            if let Ok(p) = deal::people(&w.db, who, kind, *id).await {
                out.push(serde_json::to_string(&p).unwrap());
            }
        }
    }
    for cursor in [0, 1] {
        let mut req = PullRequest {
            client_id: Uuid::now_v7(),
            cursor,
            resume: None,
            extra: run.ids.iter().take(100).copied().collect(),
            first_waiting: 0,
        };
        loop {
            let page = sync::pull(&w.db, who, &req).await.unwrap();
            out.push(serde_json::to_string(&page).unwrap());
            if !page.more && page.resume.is_none() {
                break;
            }
            (req.cursor, req.resume) = (page.cursor, page.resume);
        }
    }
    out.push(serde_json::to_string(&timeline::notifications(&w.db, who).await.unwrap()).unwrap());
    out.push(serde_json::to_string(&contacts::list(&w.db, who, "", None).await.unwrap()).unwrap());
    out.push(serde_json::to_string(&accounts::list(&w.db, who, "").await.unwrap()).unwrap());
    out.join("\n")
}

async fn check(w: &World, run: &Run) -> Result<(), String> {
    for (who, reader, foreign) in [(&w.otto, Side::B, "ALPHA"), (&w.ana, Side::A, "BRAVO")] {
        let text = readable(w, who, run).await;
        if let Some(at) = text.find(foreign) {
            return Err(format!(
                "{reader:?} can read {foreign}: …{}…",
                &text[at.saturating_sub(200)..(at + 60).min(text.len())]
            ));
        }
        for (owner, id) in &run.leads {
            if *owner != reader && text.contains(&id.to_string()) {
                return Err(format!("{reader:?} learns the id of the other team's lead {id}"));
            }
        }
    }
    Ok(())
}

async fn nothing_of_one_team_reaches_the_other(w: World) {
    let rival = Uuid::now_v7();
    let m = Mutation {
        entity: Entity::Competitor,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: rival,
        op: Op::Create {
            fields: fields(&[("name", "Shared Rival")]),
        },
    };
    write::save(&w.db, &w.admin, &m).await.unwrap();
    let cases = std::env::var("PROSPECTA_ISOLATION_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 64,
        ..Config::default()
    };
    let handle = tokio::runtime::Handle::current();
    let w = &w;
    tokio::task::block_in_place(|| {
        let mut runner = TestRunner::new(config);
        let outcome = runner.run(&proptest::collection::vec(step(), 1..30), |steps| {
            handle.block_on(async {
                let mut run = Run {
                    leads: Vec::new(),
                    ids: Vec::new(),
                    clients: [(Uuid::now_v7(), 0), (Uuid::now_v7(), 0)],
                    rival,
                    n: 0,
                };
                for s in &steps {
                    play(w, &mut run, s).await;
                }
                check(w, &run).await.map_err(TestCaseError::fail)
            })
        });
        if let Err(e) = outcome {
            panic!("{e}");
        }
    });
}
