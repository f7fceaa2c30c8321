//! Processes and deciding leads, on SQLite and (with PROSPECTA_TEST_POSTGRES_URL) on Postgres: stage moves
//! checked on the server, qualify all-or-nothing and once only, duplicates, disqualify and reactivate.
#![cfg(feature = "ssr")]

use app::domain::access::Actor;
use app::domain::lead::LeadState;
use app::domain::mutation::{Entity, FieldChange, Mutation, Op};
use app::domain::qualify::{Pick, QualifyMode, QualifyOrder, QualifyRequest};
use app::domain::sync::{Outcome, PushRequest};
use app::domain::timeline::{Filter, ItemKind};
use app::error::AppError;
use app::store::leads;
use app::store::opportunities::{self, OppView};
use app::store::sync::push;
use app::store::testing::FaultPoint;
use app::store::write::{self, save, save_with_fault};
use app::store::{processes, timeline};
use uuid::Uuid;

mod common;
use common::*;

suite!(
    leads_start_in_a_process_and_moves_are_checked,
    qualify_creates_account_contact_and_opportunity,
    duplicates_are_offered_and_can_be_picked,
    qualify_is_all_or_nothing,
    two_sessions_qualifying_at_once_make_one_opportunity,
    disqualify_and_reactivate_keep_history,
    choosing_mode_creates_only_what_is_asked,
    a_queued_qualify_is_refused_with_a_reason,
    admins_edit_processes,
    stakeholders_and_competitors_travel_to_the_opportunity,
    opportunities_move_through_their_stages_and_close,
    accounts_and_contacts_are_listed_created_and_edited,
);

fn op(record: Uuid, op: Op) -> Mutation {
    Mutation {
        entity: Entity::Lead,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: record,
        op,
    }
}

fn order(account: Option<Pick>, contact: Option<Pick>, opportunity: Option<bool>) -> QualifyOrder {
    QualifyOrder {
        request: QualifyRequest {
            account,
            contact,
            opportunity,
        },
        account_id: Uuid::now_v7(),
        contact_id: Uuid::now_v7(),
        opportunity_id: Uuid::now_v7(),
    }
}

async fn qualify(w: &World, who: &Actor, lead: Uuid, o: QualifyOrder) -> Result<(), AppError> {
    save(&w.db, who, &op(lead, Op::Qualify(o))).await.map(|_| ())
}

async fn count(w: &World, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&w.db.pool)
        .await
        .unwrap()
}

async fn events(w: &World, who: &Actor, lead: Uuid) -> Vec<String> {
    let p = timeline::page(&w.db, who, lead, &Filter::default(), None)
        .await
        .unwrap();
    let mut out: Vec<String> = p
        .items
        .into_iter()
        .filter(|i| i.kind == ItemKind::Event)
        .map(|i| i.details.get("event").cloned().unwrap_or_default())
        .collect();
    out.reverse();
    out
}

async fn state(w: &World, who: &Actor, lead: Uuid) -> (LeadState, String) {
    let r = leads::get(&w.db, who, lead).await.unwrap();
    (r.state, r.value("status_reason").to_string())
}

async fn leads_start_in_a_process_and_moves_are_checked(w: World) {
    let web = create(&w, &w.ana, &[("source", "Web")]).await;
    let fair = create(&w, &w.ana, &[("source", "Trade Show")]).await;
    let r = leads::get(&w.db, &w.ana, web).await.unwrap();
    assert_eq!(
        (r.value("process_id"), r.value("stage")),
        ("lead_to_opportunity", "qualify")
    );
    let r = leads::get(&w.db, &w.ana, fair).await.unwrap();
    assert_eq!(
        (r.value("process_id"), r.value("stage")),
        ("trade_show", "qualify"),
        "trade-show leads get the short process"
    );

    // A lead cannot walk into the opportunity's stages: qualifying does that.
    let err = save(
        &w.db,
        &w.ana,
        &update_m(web, Uuid::now_v7(), 1, &[("stage", "develop", 1)]),
    )
    .await
    .unwrap_err();
    assert!(
        err.field_error("stage").unwrap().contains("qualify the lead"),
        "{err:?}"
    );
    let err = save(
        &w.db,
        &w.ana,
        &update_m(web, Uuid::now_v7(), 1, &[("process_id", "nonexistent", 1)]),
    )
    .await
    .unwrap_err();
    assert!(err.field_error("stage").is_some(), "{err:?}");

    // Switching process keeps the checks and the captured fields, and says so on the timeline.
    save(
        &w.db,
        &w.ana,
        &update_m(
            web,
            Uuid::now_v7(),
            1,
            &[
                ("process_checks", "existing_account", 1),
                ("purchase_timeframe", "This Quarter", 1),
            ],
        ),
    )
    .await
    .unwrap();
    save(
        &w.db,
        &w.ana,
        &update_m(web, Uuid::now_v7(), 1, &[("process_id", "trade_show", 1)]),
    )
    .await
    .unwrap();
    let r = leads::get(&w.db, &w.ana, web).await.unwrap();
    assert_eq!(
        (
            r.value("process_id"),
            r.value("stage"),
            r.value("process_checks"),
            r.value("purchase_timeframe")
        ),
        ("trade_show", "qualify", "existing_account", "This Quarter")
    );
    assert_eq!(events(&w, &w.ana, web).await, ["created", "process"]);
    // Checks are kept as sorted keys; anything else is refused.
    save(
        &w.db,
        &w.ana,
        &update_m(
            web,
            Uuid::now_v7(),
            1,
            &[("process_checks", "b_check, existing_account,a_check", 3)],
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        leads::get(&w.db, &w.ana, web).await.unwrap().value("process_checks"),
        "a_check,b_check,existing_account"
    );
    assert!(save(
        &w.db,
        &w.ana,
        &update_m(web, Uuid::now_v7(), 1, &[("process_checks", "Drop Table", 4)])
    )
    .await
    .is_err());
    // The closing note is not edited by hand.
    assert!(save(
        &w.db,
        &w.ana,
        &update_m(web, Uuid::now_v7(), 1, &[("closed_note", "x", 1)])
    )
    .await
    .unwrap_err()
    .field_error("closed_note")
    .is_some());
}

async fn qualify_creates_account_contact_and_opportunity(w: World) {
    let lead = create(
        &w,
        &w.ana,
        &[
            ("first_name", "Lucía"),
            ("email", "lucia@cafecentral.es"),
            ("website", "https://www.cafecentral.es"),
            ("budget_amount", "12500.50"),
            ("process_checks", "existing_contact"),
        ],
    )
    .await;
    let o = order(None, None, None);
    qualify(&w, &w.ana, lead, o.clone()).await.unwrap();
    assert_eq!(
        state(&w, &w.ana, lead).await,
        (LeadState::Qualified, "Qualified".to_string())
    );
    let opp = opportunities::get(&w.db, &w.ana, o.opportunity_id).await.unwrap();
    assert_eq!(
        (opp.stage.as_str(), opp.process_id.as_str(), opp.state.as_str()),
        ("develop", "lead_to_opportunity", "open")
    );
    assert_eq!(
        (
            opp.estimated_value.as_str(),
            opp.account_name.as_str(),
            opp.contact_name.as_str()
        ),
        ("12500.50", "Café Central", "Lucía García")
    );
    assert_eq!(
        (opp.lead_id, opp.account_id, opp.contact_id),
        (lead, Some(o.account_id), Some(o.contact_id))
    );
    assert_eq!(
        opp.process_checks, "existing_contact",
        "what was captured travels with the process"
    );
    let contact = app::store::contacts::get(&w.db, &w.ana, o.contact_id).await.unwrap();
    assert_eq!(
        (contact.email.as_str(), contact.account_id),
        ("lucia@cafecentral.es", Some(o.account_id))
    );
    assert_eq!(opportunities::from_lead(&w.db, &w.ana, lead).await.unwrap().len(), 1);
    assert_eq!(
        opportunities::list(&w.db, &w.ana, OppView::MineOpen)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        opportunities::list(&w.db, &w.luis, OppView::MineOpen)
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        opportunities::list(&w.db, &w.luis, OppView::TeamOpen)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        opportunities::list(&w.db, &w.otto, OppView::TeamOpen)
            .await
            .unwrap()
            .len(),
        0,
        "other teams do not see it"
    );
    assert!(matches!(
        opportunities::get(&w.db, &w.otto, o.opportunity_id).await,
        Err(AppError::NotFound)
    ));
    // The lead is read-only now, and qualifying again is refused.
    assert!(
        save(&w.db, &w.ana, &update_m(lead, Uuid::now_v7(), 1, &[("topic", "x", 1)]))
            .await
            .is_err()
    );
    assert!(qualify(&w, &w.ana, lead, order(None, None, None))
        .await
        .unwrap_err()
        .describe()
        .contains("Only open leads"));
    assert_eq!(events(&w, &w.ana, lead).await, ["created", "qualified"]);
    // Only people who may edit the lead decide it.
    let other = create(&w, &w.ana, &[]).await;
    assert!(matches!(
        qualify(&w, &w.luis, other, order(None, None, None)).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        qualify(&w, &w.otto, other, order(None, None, None)).await,
        Err(AppError::NotFound)
    ));
}

async fn duplicates_are_offered_and_can_be_picked(w: World) {
    let first = create(
        &w,
        &w.ana,
        &[("email", "pedro@cafecentral.es"), ("website", "cafecentral.es")],
    )
    .await;
    let made = order(None, None, None);
    qualify(&w, &w.ana, first, made.clone()).await.unwrap();
    // Same company written differently, same email domain, same contact email.
    let second = create(
        &w,
        &w.luis,
        &[
            ("company_name", "CAFÉ CENTRAL, S.L."),
            ("email", "Pedro@cafecentral.es"),
        ],
    )
    .await;
    let preview = leads::qualify_preview(&w.db, &w.luis, second).await.unwrap();
    assert_eq!(
        preview.accounts.iter().map(|a| a.record.id).collect::<Vec<_>>(),
        [made.account_id]
    );
    assert!(
        preview.accounts[0].reasons.len() >= 2,
        "name and web domain: {:?}",
        preview.accounts[0].reasons
    );
    assert_eq!(
        preview.contacts.iter().map(|c| c.record.id).collect::<Vec<_>>(),
        [made.contact_id]
    );
    // Another name, same web domain (from the email): still offered.
    let renamed = create(
        &w,
        &w.ana,
        &[("company_name", "Grupo Central"), ("email", "compras@cafecentral.es")],
    )
    .await;
    let p = leads::qualify_preview(&w.db, &w.ana, renamed).await.unwrap();
    assert_eq!(
        (p.accounts.len(), p.accounts[0].reasons.clone(), p.contacts.len()),
        (1, vec!["same web domain".to_string()], 0)
    );
    // Another team's records are never offered.
    let theirs = create(&w, &w.otto, &[("email", "pedro@cafecentral.es")]).await;
    assert!(leads::qualify_preview(&w.db, &w.otto, theirs)
        .await
        .unwrap()
        .accounts
        .is_empty());

    let err = qualify(&w, &w.luis, second, order(None, None, None)).await.unwrap_err();
    assert!(err.describe().contains("may already exist"), "{err:?}");
    assert_eq!(state(&w, &w.luis, second).await.0, LeadState::Open, "nothing happened");
    let picked = order(Some(Pick::Existing(made.account_id)), Some(Pick::New), None);
    qualify(&w, &w.luis, second, picked.clone()).await.unwrap();
    let opp = opportunities::get(&w.db, &w.luis, picked.opportunity_id).await.unwrap();
    assert_eq!(
        (opp.account_id, opp.contact_id),
        (Some(made.account_id), Some(picked.contact_id)),
        "existing account, new contact anyway"
    );
    assert_eq!(count(&w, "accounts").await, 1);
    assert_eq!(count(&w, "contacts").await, 2);
    // A forged pick is refused.
    let third = create(&w, &w.ana, &[]).await;
    assert!(qualify(
        &w,
        &w.ana,
        third,
        order(Some(Pick::Existing(Uuid::now_v7())), Some(Pick::New), None)
    )
    .await
    .is_err());
}

async fn qualify_is_all_or_nothing(w: World) {
    let lead = create(&w, &w.ana, &[("email", "x@cafecentral.es")]).await;
    let m = op(lead, Op::Qualify(order(None, None, None)));
    let err = save_with_fault(&w.db, &w.ana, &m, FaultPoint::AfterAccount)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Internal(_)));
    assert_eq!(
        (
            count(&w, "accounts").await,
            count(&w, "contacts").await,
            count(&w, "opportunities").await
        ),
        (0, 0, 0),
        "nothing remains"
    );
    assert_eq!(state(&w, &w.ana, lead).await.0, LeadState::Open);
    assert_eq!(events(&w, &w.ana, lead).await, ["created"]);
    // The same mutation goes through afterwards: its number was not used up by the failure.
    save(&w.db, &w.ana, &m).await.unwrap();
    assert_eq!(count(&w, "opportunities").await, 1);
}

async fn two_sessions_qualifying_at_once_make_one_opportunity(w: World) {
    for i in 0..3 {
        let lead = create(&w, &w.ana, &[("company_name", &format!("Race {i}"))]).await;
        let (a, b) = (
            op(lead, Op::Qualify(order(None, None, None))),
            op(lead, Op::Qualify(order(None, None, None))),
        );
        let (db1, db2, ana, manager) = (w.db.clone(), w.db.clone(), w.ana.clone(), w.manager.clone());
        let one = tokio::spawn(async move { save(&db1, &ana, &a).await });
        let two = tokio::spawn(async move { save(&db2, &manager, &b).await });
        let results = [one.await.unwrap(), two.await.unwrap()];
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        assert!(
            results
                .iter()
                .any(|r| r.as_ref().is_err_and(|e| e.describe().contains("Only open leads"))),
            "{results:?}"
        );
        assert_eq!(opportunities::from_lead(&w.db, &w.ana, lead).await.unwrap().len(), 1);
    }
    assert_eq!(count(&w, "opportunities").await, 3);
}

async fn disqualify_and_reactivate_keep_history(w: World) {
    let lead = create(&w, &w.ana, &[("description", "Met at the fair")]).await;
    save(
        &w.db,
        &w.ana,
        &update_m(lead, Uuid::now_v7(), 1, &[("process_checks", "existing_account", 1)]),
    )
    .await
    .unwrap();
    let bad = save(
        &w.db,
        &w.ana,
        &op(
            lead,
            Op::Disqualify {
                reason: "Bored".into(),
                note: String::new(),
            },
        ),
    )
    .await
    .unwrap_err();
    assert!(bad.describe().contains("Choose a reason"), "{bad:?}");
    save(
        &w.db,
        &w.ana,
        &op(
            lead,
            Op::Disqualify {
                reason: "cannot contact".into(),
                note: "Three calls, no answer".into(),
            },
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        state(&w, &w.ana, lead).await,
        (LeadState::Disqualified, "Cannot Contact".to_string())
    );
    let closed = app::domain::query::LeadQuery {
        view: app::domain::query::View::Closed,
        ..Default::default()
    };
    assert_eq!(
        leads::list(&w.db, &w.ana, &closed)
            .await
            .unwrap()
            .rows
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        [lead]
    );
    assert!(
        save(&w.db, &w.ana, &update_m(lead, Uuid::now_v7(), 1, &[("topic", "x", 1)]))
            .await
            .unwrap_err()
            .describe()
            .contains("reactivate")
    );

    save(&w.db, &w.ana, &op(lead, Op::Reactivate)).await.unwrap();
    let r = leads::get(&w.db, &w.ana, lead).await.unwrap();
    assert_eq!(
        (
            r.state,
            r.value("status_reason"),
            r.value("description"),
            r.value("process_checks")
        ),
        (LeadState::Open, "New", "Met at the fair", "existing_account")
    );
    assert_eq!(
        events(&w, &w.ana, lead).await,
        ["created", "disqualified", "reactivated"],
        "the history stays"
    );
    assert!(save(&w.db, &w.ana, &op(lead, Op::Reactivate))
        .await
        .unwrap_err()
        .describe()
        .contains("already open"));

    // A lead with an open opportunity cannot be disqualified, even after reactivating it.
    let won = create(&w, &w.ana, &[]).await;
    qualify(&w, &w.ana, won, order(None, None, None)).await.unwrap();
    save(&w.db, &w.ana, &op(won, Op::Reactivate)).await.unwrap();
    let err = save(
        &w.db,
        &w.ana,
        &op(
            won,
            Op::Disqualify {
                reason: "Lost".into(),
                note: String::new(),
            },
        ),
    )
    .await
    .unwrap_err();
    assert!(err.describe().contains("open opportunity"), "{err:?}");
}

async fn choosing_mode_creates_only_what_is_asked(w: World) {
    assert!(matches!(
        leads::set_qualify_mode(&w.db, &w.ana, QualifyMode::SellerChooses).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(leads::qualify_mode(&w.db).await.unwrap(), QualifyMode::Automatic);
    leads::set_qualify_mode(&w.db, &w.admin, QualifyMode::SellerChooses)
        .await
        .unwrap();
    assert_eq!(leads::qualify_mode(&w.db).await.unwrap(), QualifyMode::SellerChooses);
    let lead = create(&w, &w.ana, &[]).await;
    assert_eq!(
        leads::qualify_preview(&w.db, &w.ana, lead).await.unwrap().mode,
        QualifyMode::SellerChooses
    );
    qualify(&w, &w.ana, lead, order(None, None, None)).await.unwrap();
    assert_eq!(
        (
            count(&w, "accounts").await,
            count(&w, "contacts").await,
            count(&w, "opportunities").await
        ),
        (0, 0, 0)
    );
    assert_eq!(
        state(&w, &w.ana, lead).await.0,
        LeadState::Qualified,
        "qualified without an opportunity"
    );
    let lead = create(&w, &w.ana, &[]).await;
    qualify(&w, &w.ana, lead, order(Some(Pick::New), None, Some(true)))
        .await
        .unwrap();
    assert_eq!(
        (
            count(&w, "accounts").await,
            count(&w, "contacts").await,
            count(&w, "opportunities").await
        ),
        (1, 0, 1)
    );
}

async fn a_queued_qualify_is_refused_with_a_reason(w: World) {
    // Created and qualified in one offline batch: both apply, the opportunity finds its lead.
    let client = Uuid::now_v7();
    let mut created = create_m(&[]);
    created.client_id = client;
    let lead = created.record_id;
    let q = Mutation {
        entity: Entity::Lead,
        client_id: client,
        seq: 2,
        record_id: lead,
        op: Op::Qualify(order(None, None, None)),
    };
    let r = push(
        &w.db,
        &w.ana,
        &PushRequest {
            client_id: client,
            mutations: vec![created, q],
        },
    )
    .await
    .unwrap();
    assert_eq!(
        r.outcomes.iter().map(|(_, o)| o.clone()).collect::<Vec<_>>(),
        [Outcome::Applied, Outcome::Applied]
    );
    // Meanwhile someone else qualified this one: the queued qualify is refused, and says why.
    let other = create(&w, &w.ana, &[("company_name", "Bar Sur")]).await;
    qualify(&w, &w.manager, other, order(None, None, None)).await.unwrap();
    let late = Mutation {
        entity: Entity::Lead,
        client_id: client,
        seq: 3,
        record_id: other,
        op: Op::Qualify(order(None, None, None)),
    };
    let r = push(
        &w.db,
        &w.ana,
        &PushRequest {
            client_id: client,
            mutations: vec![late],
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(&r.outcomes[0].1, Outcome::Rejected { reason } if reason.contains("Only open leads")),
        "{:?}",
        r.outcomes
    );
    assert_eq!(count(&w, "opportunities").await, 2);
}

async fn admins_edit_processes(w: World) {
    let all = processes::all(&w.db).await.unwrap();
    assert_eq!(
        all.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(),
        ["lead_to_opportunity", "trade_show"]
    );
    let mut p = all[1].clone();
    p.key = "partner".into();
    p.name = "Partner referral".into();
    assert!(matches!(
        processes::save(&w.db, &w.manager, &p).await,
        Err(AppError::Forbidden)
    ));
    processes::save(&w.db, &w.admin, &p).await.unwrap();
    let lead = create(&w, &w.ana, &[]).await;
    save(
        &w.db,
        &w.ana,
        &update_m(lead, Uuid::now_v7(), 1, &[("process_id", "partner", 1)]),
    )
    .await
    .unwrap();
    // A new process goes last; the admin reorders.
    let keys = |all: Vec<app::domain::process::Process>| all.into_iter().map(|p| p.key).collect::<Vec<_>>();
    assert_eq!(
        keys(processes::all(&w.db).await.unwrap()),
        ["lead_to_opportunity", "trade_show", "partner"]
    );
    let order = vec!["partner".to_string(), "lead_to_opportunity".to_string()];
    assert!(matches!(
        processes::reorder(&w.db, &w.manager, &order).await,
        Err(AppError::Forbidden)
    ));
    processes::reorder(&w.db, &w.admin, &order).await.unwrap();
    assert_eq!(
        keys(processes::all(&w.db).await.unwrap()),
        ["partner", "lead_to_opportunity", "trade_show"]
    );
    // Retired: records in it go on, nobody switches to it.
    p.retired = true;
    processes::save(&w.db, &w.admin, &p).await.unwrap();
    let other = create(&w, &w.ana, &[]).await;
    let err = save(
        &w.db,
        &w.ana,
        &update_m(other, Uuid::now_v7(), 1, &[("process_id", "partner", 1)]),
    )
    .await
    .unwrap_err();
    assert!(err.field_error("stage").unwrap().contains("retired"), "{err:?}");
    save(
        &w.db,
        &w.ana,
        &update_m(lead, Uuid::now_v7(), 1, &[("process_checks", "present_proposal", 1)]),
    )
    .await
    .unwrap();
    // A broken definition is refused with its reasons.
    p.stages.clear();
    let err = processes::save(&w.db, &w.admin, &p).await.unwrap_err();
    assert!(
        err.field_errors()
            .iter()
            .any(|e| e.message.contains("at least one stage")),
        "{err:?}"
    );
    // Saving an edit keeps the process's place and its retirement.
    let all = processes::all(&w.db).await.unwrap();
    assert_eq!(keys(all.clone()), ["partner", "lead_to_opportunity", "trade_show"]);
    assert!(all[0].retired);
    // With the main process retired, new leads start in the first one still offered.
    let mut main = all[1].clone();
    main.retired = true;
    processes::save(&w.db, &w.admin, &main).await.unwrap();
    let fresh = create(&w, &w.ana, &[]).await;
    assert_eq!(
        leads::get(&w.db, &w.ana, fresh).await.unwrap().value("process_id"),
        "trade_show"
    );
}

fn deal_m(entity: Entity, record: Uuid, pairs: &[(&str, &str)]) -> Mutation {
    Mutation {
        entity,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: record,
        op: Op::Create { fields: fields(pairs) },
    }
}

async fn stakeholders_and_competitors_travel_to_the_opportunity(w: World) {
    use app::store::deal;
    let lead = create(&w, &w.ana, &[]).await;
    let l = lead.to_string();
    // The competitor list is kept by managers.
    let rival = Uuid::now_v7();
    let new_rival = deal_m(
        Entity::Competitor,
        rival,
        &[("name", "Cafés Rival"), ("website", "rival.es"), ("strengths", "Cheap")],
    );
    assert!(matches!(
        write::save(&w.db, &w.ana, &new_rival).await,
        Err(AppError::Forbidden)
    ));
    write::save(&w.db, &w.manager, &new_rival).await.unwrap();
    assert_eq!(deal::competitors(&w.db).await.unwrap()[0].name, "Cafés Rival");
    // An edit writes only the fields it changes; sellers may not edit the list.
    let weak = |v: &str| Mutation {
        entity: Entity::Competitor,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: rival,
        op: Op::Update {
            changes: vec![FieldChange {
                field: "weaknesses".into(),
                value: v.into(),
                base_version: 0,
            }],
        },
    };
    assert!(matches!(
        write::save(&w.db, &w.ana, &weak("Slow")).await,
        Err(AppError::Forbidden)
    ));
    write::save(&w.db, &w.manager, &weak("Slow service")).await.unwrap();
    let c = &deal::competitors(&w.db).await.unwrap()[0];
    assert_eq!(
        (
            c.name.as_str(),
            c.website.as_str(),
            c.strengths.as_str(),
            c.weaknesses.as_str()
        ),
        ("Cafés Rival", "rival.es", "Cheap", "Slow service")
    );

    // A stakeholder made in place, one picked from the contacts, a linked competitor.
    let (s1, c1) = (Uuid::now_v7(), Uuid::now_v7());
    write::save(
        &w.db,
        &w.ana,
        &deal_m(
            Entity::Stakeholder,
            s1,
            &[
                ("lead_id", &l),
                ("new_contact_id", &c1.to_string()),
                ("first_name", "Rosa"),
                ("last_name", "Vidal"),
                ("email", "rosa@central.es"),
                ("role", "Economic buyer"),
                ("note", "Signs"),
            ],
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        app::store::contacts::find(&w.db, &w.ana, "vid")
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        [c1]
    );
    assert!(
        app::store::contacts::find(&w.db, &w.otto, "vid")
            .await
            .unwrap()
            .is_empty(),
        "other teams do not find her"
    );
    assert!(
        app::store::contacts::find(&w.db, &w.ana, "v%")
            .await
            .unwrap()
            .is_empty(),
        "wildcards are literal"
    );
    let s2 = Uuid::now_v7();
    write::save(
        &w.db,
        &w.ana,
        &deal_m(
            Entity::Stakeholder,
            s2,
            &[("lead_id", &l), ("contact_id", &c1.to_string()), ("role", "Legal")],
        ),
    )
    .await
    .unwrap();
    let link = Uuid::now_v7();
    write::save(
        &w.db,
        &w.ana,
        &deal_m(
            Entity::DealCompetitor,
            link,
            &[
                ("lead_id", &l),
                ("competitor_id", &rival.to_string()),
                ("note", "Offered 10% off"),
            ],
        ),
    )
    .await
    .unwrap();
    let bad = write::save(
        &w.db,
        &w.ana,
        &deal_m(
            Entity::Stakeholder,
            Uuid::now_v7(),
            &[("lead_id", &l), ("contact_id", &c1.to_string()), ("role", "Boss")],
        ),
    )
    .await
    .unwrap_err();
    assert!(bad.field_error("role").is_some(), "{bad:?}");
    // Change a role, remove the second one.
    let edit = Mutation {
        entity: Entity::Stakeholder,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: s1,
        op: Op::Update {
            changes: vec![app::domain::mutation::FieldChange {
                field: "role".into(),
                value: "Decision maker".into(),
                base_version: 0,
            }],
        },
    };
    write::save(&w.db, &w.ana, &edit).await.unwrap();
    write::save(
        &w.db,
        &w.ana,
        &Mutation {
            entity: Entity::Stakeholder,
            client_id: Uuid::now_v7(),
            seq: 1,
            record_id: s2,
            op: Op::Delete,
        },
    )
    .await
    .unwrap();
    // Access: a teammate who does not own the lead cannot change it; another team cannot see it.
    assert!(matches!(
        write::save(
            &w.db,
            &w.luis,
            &deal_m(
                Entity::Stakeholder,
                Uuid::now_v7(),
                &[("lead_id", &l), ("contact_id", &c1.to_string()), ("role", "Legal")]
            )
        )
        .await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        write::save(
            &w.db,
            &w.otto,
            &deal_m(
                Entity::DealCompetitor,
                Uuid::now_v7(),
                &[("lead_id", &l), ("competitor_id", &rival.to_string())]
            )
        )
        .await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        deal::people(&w.db, &w.otto, "lead", lead).await,
        Err(AppError::NotFound)
    ));
    let p = deal::people(&w.db, &w.luis, "lead", lead).await.unwrap();
    assert_eq!(
        p.stakeholders
            .iter()
            .map(|s| (s.name.as_str(), s.role.as_str()))
            .collect::<Vec<_>>(),
        [("Rosa Vidal", "Decision maker")]
    );
    assert_eq!(
        p.competitors
            .iter()
            .map(|c| (c.name.as_str(), c.note.as_str()))
            .collect::<Vec<_>>(),
        [("Cafés Rival", "Offered 10% off")]
    );

    // Qualifying carries them over; the lead keeps its own.
    let o = order(None, Some(Pick::Skip), None);
    qualify(&w, &w.ana, lead, o.clone()).await.unwrap();
    let on_opp = deal::people(&w.db, &w.ana, "opportunity", o.opportunity_id)
        .await
        .unwrap();
    assert_eq!(
        on_opp.stakeholders.iter().map(|s| s.contact_id).collect::<Vec<_>>(),
        [c1]
    );
    assert_eq!(
        on_opp.competitors.iter().map(|c| c.competitor_id).collect::<Vec<_>>(),
        [rival]
    );
    assert_eq!(
        deal::people(&w.db, &w.ana, "lead", lead)
            .await
            .unwrap()
            .stakeholders
            .len(),
        1
    );
    // The lead is closed now: its list is no longer changed.
    assert!(write::save(
        &w.db,
        &w.ana,
        &deal_m(
            Entity::DealCompetitor,
            Uuid::now_v7(),
            &[("lead_id", &l), ("competitor_id", &rival.to_string())]
        )
    )
    .await
    .unwrap_err()
    .describe()
    .contains("closed"));

    // Offline: a stakeholder queued on the device arrives through the same push.
    let other = create(&w, &w.ana, &[("company_name", "Bar Sur")]).await;
    let client = Uuid::now_v7();
    let mut m = deal_m(
        Entity::Stakeholder,
        Uuid::now_v7(),
        &[
            ("lead_id", &other.to_string()),
            ("contact_id", &c1.to_string()),
            ("role", "Influencer"),
        ],
    );
    m.client_id = client;
    let r = push(
        &w.db,
        &w.ana,
        &PushRequest {
            client_id: client,
            mutations: vec![m],
        },
    )
    .await
    .unwrap();
    assert_eq!(r.outcomes[0].1, Outcome::Applied);
    assert_eq!(
        deal::people(&w.db, &w.ana, "lead", other).await.unwrap().stakeholders[0].role,
        "Influencer"
    );
}

fn opp_edit(opp: Uuid, changes: &[(&str, &str, i64)]) -> Mutation {
    let changes = changes
        .iter()
        .map(|(f, v, b)| app::domain::mutation::FieldChange {
            field: f.to_string(),
            value: v.to_string(),
            base_version: *b,
        })
        .collect();
    Mutation {
        entity: Entity::Opportunity,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: opp,
        op: Op::Update { changes },
    }
}

async fn opportunities_move_through_their_stages_and_close(w: World) {
    let lead = create(&w, &w.ana, &[("budget_amount", "9000")]).await;
    let rival = Uuid::now_v7();
    write::save(
        &w.db,
        &w.manager,
        &deal_m(Entity::Competitor, rival, &[("name", "Cafés Rival")]),
    )
    .await
    .unwrap();
    write::save(
        &w.db,
        &w.ana,
        &deal_m(
            Entity::DealCompetitor,
            Uuid::now_v7(),
            &[("lead_id", &lead.to_string()), ("competitor_id", &rival.to_string())],
        ),
    )
    .await
    .unwrap();
    let o = order(None, None, None);
    qualify(&w, &w.ana, lead, o.clone()).await.unwrap();
    let opp = o.opportunity_id;
    let save = |who: Actor, m: Mutation| {
        let db = w.db.clone();
        async move { write::save(&db, &who, &m).await }
    };

    // Develop needs its steps before Propose.
    let err = save(w.ana.clone(), opp_edit(opp, &[("stage", "propose", 1)]))
        .await
        .unwrap_err();
    assert!(err.field_error("stage").unwrap().contains("Customer need"), "{err:?}");
    save(
        w.ana.clone(),
        opp_edit(
            opp,
            &[
                ("customer_need", "Three cafés", 1),
                ("proposed_solution", "Leasing", 1),
                ("decision_date", "2027-03-31", 1),
            ],
        ),
    )
    .await
    .unwrap();
    save(w.ana.clone(), opp_edit(opp, &[("stage", "propose", 1)]))
        .await
        .unwrap();
    assert_eq!(opportunities::get(&w.db, &w.ana, opp).await.unwrap().stage, "propose");
    assert!(
        save(w.ana.clone(), opp_edit(opp, &[("decision_date", "2027-02-30", 2)]))
            .await
            .unwrap_err()
            .field_error("decision_date")
            .is_some()
    );
    // Two people change the same field: the later save sees the other's value.
    save(w.manager.clone(), opp_edit(opp, &[("customer_need", "Four cafés", 2)]))
        .await
        .unwrap();
    let err = save(w.ana.clone(), opp_edit(opp, &[("customer_need", "Five cafés", 2)]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(v) if v[0].conflict.theirs == "Four cafés" && v[0].label == "Customer need"),
        "{err:?}"
    );
    // Access as for leads.
    assert!(matches!(
        save(w.luis.clone(), opp_edit(opp, &[("topic", "x", 1)])).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        save(w.otto.clone(), opp_edit(opp, &[("topic", "x", 1)])).await,
        Err(AppError::NotFound)
    ));

    // Lost: a reason, and the winner must be one of the deal's competitors.
    let close = |reason: &str, winner: Option<Uuid>| Mutation {
        entity: Entity::Opportunity,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: opp,
        op: Op::Close {
            won: false,
            reason: reason.into(),
            winner,
        },
    };
    assert!(save(w.ana.clone(), close("", None))
        .await
        .unwrap_err()
        .describe()
        .contains("Choose why"));
    assert!(save(w.ana.clone(), close("Lost to a competitor", Some(Uuid::now_v7())))
        .await
        .is_err());
    save(w.ana.clone(), close("lost to a competitor", Some(rival)))
        .await
        .unwrap();
    let closed = opportunities::get(&w.db, &w.ana, opp).await.unwrap();
    assert_eq!(
        (closed.state.as_str(), closed.close_reason.as_str()),
        ("lost", "Lost to a competitor")
    );
    assert_eq!(
        opportunities::list(&w.db, &w.ana, OppView::Closed).await.unwrap().len(),
        1
    );
    assert!(save(w.ana.clone(), opp_edit(opp, &[("topic", "x", 1)]))
        .await
        .unwrap_err()
        .describe()
        .contains("closed"));
    assert_eq!(
        events(&w, &w.ana, lead).await,
        ["created", "qualified", "stage", "lost"]
    );
    // With no open opportunity left, the reactivated lead may be disqualified.
    write::save(&w.db, &w.ana, &op(lead, Op::Reactivate)).await.unwrap();
    write::save(
        &w.db,
        &w.ana,
        &op(
            lead,
            Op::Disqualify {
                reason: "Lost".into(),
                note: String::new(),
            },
        ),
    )
    .await
    .unwrap();
}

async fn accounts_and_contacts_are_listed_created_and_edited(w: World) {
    use app::store::{accounts, contacts, records};
    let acc = Uuid::now_v7();
    let new_acc = deal_m(
        Entity::Account,
        acc,
        &[
            ("name", "Café Central"),
            ("website", "https://cafecentral.es"),
            ("city", "Sevilla"),
        ],
    );
    write::save(&w.db, &w.ana, &new_acc).await.unwrap();
    assert!(write::save(
        &w.db,
        &w.ana,
        &deal_m(Entity::Account, Uuid::now_v7(), &[("website", "x.es")])
    )
    .await
    .unwrap_err()
    .field_error("name")
    .is_some());
    let con = Uuid::now_v7();
    write::save(
        &w.db,
        &w.ana,
        &deal_m(
            Entity::Contact,
            con,
            &[
                ("first_name", "Rosa"),
                ("last_name", "Vidal"),
                ("email", "Rosa@CafeCentral.es"),
            ],
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        accounts::list(&w.db, &w.luis, "central")
            .await
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect::<Vec<_>>(),
        [acc]
    );
    assert!(
        accounts::list(&w.db, &w.otto, "").await.unwrap().is_empty(),
        "other teams see none"
    );
    assert_eq!(accounts::list(&w.db, &w.admin, "").await.unwrap().len(), 1);
    assert_eq!(contacts::list(&w.db, &w.ana, "rosa v", None).await.unwrap().len(), 1);
    assert_eq!(
        contacts::list(&w.db, &w.ana, "cafecentral.es", None)
            .await
            .unwrap()
            .len(),
        1,
        "found by email"
    );
    // The duplicate check finds what was made by hand.
    let lead = create(
        &w,
        &w.ana,
        &[("company_name", "CAFE CENTRAL"), ("email", "rosa@cafecentral.es")],
    )
    .await;
    let p = leads::qualify_preview(&w.db, &w.ana, lead).await.unwrap();
    assert_eq!((p.accounts.len(), p.contacts.len()), (1, 1));

    // Edits merge per field; the same field changed twice is a conflict; renaming keeps the match keys.
    let edit = |field: &str, value: &str, base: i64| Mutation {
        entity: Entity::Account,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: acc,
        op: Op::Update {
            changes: vec![app::domain::mutation::FieldChange {
                field: field.into(),
                value: value.into(),
                base_version: base,
            }],
        },
    };
    write::save(&w.db, &w.ana, &edit("city", "Cádiz", 1)).await.unwrap();
    write::save(&w.db, &w.manager, &edit("industry", "Hospitality", 1))
        .await
        .unwrap();
    let err = write::save(&w.db, &w.manager, &edit("city", "Huelva", 1))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(v) if v[0].conflict.theirs == "Cádiz"),
        "{err:?}"
    );
    write::save(&w.db, &w.ana, &edit("name", "Grupo Central", 1))
        .await
        .unwrap();
    let (values, _) = records::values(&w.db, &w.ana, Entity::Account, acc).await.unwrap();
    assert_eq!(
        (
            values["city"].as_str(),
            values["industry"].as_str(),
            values["name"].as_str()
        ),
        ("Cádiz", "Hospitality", "Grupo Central")
    );
    assert!(
        leads::qualify_preview(&w.db, &w.ana, lead).await.unwrap().accounts[0].reasons == ["same web domain"],
        "the name key followed the rename"
    );
    assert!(matches!(
        write::save(&w.db, &w.luis, &edit("city", "Jaén", 2)).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        write::save(&w.db, &w.otto, &edit("city", "Jaén", 2)).await,
        Err(AppError::NotFound)
    ));
    assert!(write::save(&w.db, &w.ana, &edit("name", "", 3))
        .await
        .unwrap_err()
        .field_error("name")
        .is_some());
}
