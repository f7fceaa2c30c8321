//! The attack suite: each test tries one hole as someone from another team (or no one at all) would, through
//! the real router or the store function a server function calls, on SQLite and (with
//! PROSPECTA_TEST_POSTGRES_URL) on Postgres. Each failed before the fix it names. ARCHITECTURE.md's Security
//! table says which test proves what.

use app::api::session::{hash_password, hash_token};
use app::config::Config;
use app::domain::access::Actor;
use app::domain::mutation::{Entity, FieldChange, Mutation, Op};
use app::domain::qualify::{Pick, QualifyOrder, QualifyRequest};
use app::domain::sync::{Outcome, PullRequest, PushRequest};
use app::error::AppError;
use app::store::{deal, records, sync, timeline, users, write, Db};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use http::{header, Request, StatusCode};
use leptos::server_fn::ServerFn;
use sqlx::Row;
use std::net::SocketAddr;
use tower::ServiceExt;
use uuid::Uuid;

#[path = "../../app/tests/common/mod.rs"]
mod common;
mod site;
use common::*;
use site::*;

suite!(
    client_minted_ids_that_name_another_record_are_refused,
    qualifying_with_another_teams_id_reveals_nothing_of_theirs,
    shared_child_tables_never_mix_kinds,
    a_pull_never_names_leads_of_other_teams,
    a_notification_about_a_lead_out_of_reach_says_nothing_of_it,
    online_saves_cannot_use_another_persons_client_id,
    sellers_talk_on_a_teammates_lead_but_do_not_change_its_activities,
    thirty_guesses_at_once_are_counted_one_by_one,
    one_address_trying_many_emails_is_slowed_down,
    password_hashing_is_capped,
    oversized_sign_in_input_is_refused_before_anything_is_stored,
    sessions_end_when_idle_replaced_or_revoked,
    a_deactivated_person_is_out_at_once_and_told_why,
    an_admin_resets_a_password_and_only_an_admin_may,
    the_session_cookie_is_host_prefixed_over_https,
    new_passwords_must_be_long_and_uncommon,
    writes_need_the_sites_origin,
    uploads_are_refused_before_their_body_is_read,
    uploads_have_a_quota_and_unlinked_ones_go,
    server_functions_enforce_their_own_limits,
    live_streams_are_limited_and_end_with_their_session_or_lead,
    every_kind_of_answer_carries_the_security_headers,
    the_id_check_knows_every_table,
);

/// Gives `who` a real password (the shared world has placeholder hashes).
async fn set_password(w: &World, who: &Actor, password: &str) {
    users::set_password_hash(&w.db, who.user_id, &hash_password(password).unwrap())
        .await
        .unwrap();
}

async fn email_of(w: &World, who: &Actor) -> String {
    users::get(&w.db, who.user_id).await.unwrap().unwrap().email
}

/// A server function called as the page's code calls it: JSON in, same origin.
fn json_req(path: &str, body: serde_json::Value, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json")
        .header(header::ORIGIN, SITE);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::from(body.to_string())).unwrap()
}

/// A server function called with a URL-encoded form (its default encoding), same origin.
fn form_req(path: &str, form: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::ORIGIN, SITE);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::from(form.to_string())).unwrap()
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn sign_in_req(email: &str, password: &str, from: Option<SocketAddr>) -> Request<Body> {
    let mut req = form_req(
        app::api::auth::SignIn::PATH,
        &format!("email={}&password={}", enc(email), enc(password)),
        None,
    );
    if let Some(addr) = from {
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    req
}

fn mutation(entity: Entity, record: Uuid, op: Op) -> Mutation {
    Mutation {
        entity,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: record,
        op,
    }
}

fn create(entity: Entity, record: Uuid, pairs: &[(&str, &str)]) -> Mutation {
    mutation(entity, record, Op::Create { fields: fields(pairs) })
}

fn edit(entity: Entity, record: Uuid, pairs: &[(&str, &str, i64)]) -> Mutation {
    let changes = pairs
        .iter()
        .map(|(f, v, b)| FieldChange {
            field: f.to_string(),
            value: v.to_string(),
            base_version: *b,
        })
        .collect();
    mutation(entity, record, Op::Update { changes })
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&db.pool).await.unwrap()
}

/// Otto's team (the victim) has a lead with a stakeholder, a linked competitor, a timeline post, an account
/// and a contact. Returns their ids.
struct Victim {
    lead: Uuid,
    stakeholder: Uuid,
    link: Uuid,
    competitor: Uuid,
    post: Uuid,
    account: Uuid,
    contact: Uuid,
}

async fn victim(w: &World) -> Victim {
    let lead = common::create(w, &w.otto, &[("email", "pilar@secreto.example")]).await;
    let l = lead.to_string();
    let competitor = Uuid::now_v7();
    write::save(
        &w.db,
        &w.admin,
        &create(Entity::Competitor, competitor, &[("name", "Cafés Sombra")]),
    )
    .await
    .unwrap();
    let (stakeholder, contact) = (Uuid::now_v7(), Uuid::now_v7());
    let who = [
        ("lead_id", l.as_str()),
        ("new_contact_id", &contact.to_string()),
        ("first_name", "Pilar"),
        ("last_name", "Secreto"),
        ("email", "pilar@secreto.example"),
        ("role", "Economic buyer"),
        ("note", "Signs above 50k"),
    ];
    write::save(&w.db, &w.otto, &create(Entity::Stakeholder, stakeholder, &who))
        .await
        .unwrap();
    let link = Uuid::now_v7();
    write::save(
        &w.db,
        &w.otto,
        &create(
            Entity::DealCompetitor,
            link,
            &[
                ("lead_id", &l),
                ("competitor_id", &competitor.to_string()),
                ("note", "They offered 30% off"),
            ],
        ),
    )
    .await
    .unwrap();
    let post = Uuid::now_v7();
    write::save(
        &w.db,
        &w.otto,
        &create(
            Entity::TimelineItem,
            post,
            &[("lead_id", &l), ("kind", "post"), ("body", "Budget is 80k")],
        ),
    )
    .await
    .unwrap();
    let account = Uuid::now_v7();
    write::save(
        &w.db,
        &w.otto,
        &create(Entity::Account, account, &[("name", "Secreto SL")]),
    )
    .await
    .unwrap();
    Victim {
        lead,
        stakeholder,
        link,
        competitor,
        post,
        account,
        contact,
    }
}

fn is_id_taken(r: &Result<app::model::Saved, AppError>) -> bool {
    matches!(r, Err(AppError::BadRequest(m)) if m.contains("already in use") || m.contains("already exists") || m.contains("already saved"))
}

// --- Leaks between teams.

/// Fixed by `store::ids::ensure_new`: every entity a client mints ids for refuses an id in use anywhere.
async fn client_minted_ids_that_name_another_record_are_refused(w: World) {
    let v = victim(&w).await;
    let mine = common::create(&w, &w.ana, &[]).await;
    let m = mine.to_string();
    let taken = [
        v.lead,
        v.stakeholder,
        v.link,
        v.competitor,
        v.post,
        v.account,
        v.contact,
        w.otto.user_id,
        w.otto.team_id,
    ];
    let before = count(&w.db, "SELECT COUNT(*) FROM mutations").await;
    for id in taken {
        let attempts: Vec<(&str, Result<app::model::Saved, AppError>)> = vec![
            (
                "lead",
                write::save(&w.db, &w.ana, &{
                    let mut c = create_m(&[]);
                    c.record_id = id;
                    c
                })
                .await,
            ),
            (
                "timeline item",
                write::save(
                    &w.db,
                    &w.ana,
                    &create(
                        Entity::TimelineItem,
                        id,
                        &[("lead_id", &m), ("kind", "note"), ("body", "x")],
                    ),
                )
                .await,
            ),
            (
                "stakeholder",
                write::save(
                    &w.db,
                    &w.ana,
                    &create(
                        Entity::Stakeholder,
                        id,
                        &[
                            ("lead_id", &m),
                            ("new_contact_id", &Uuid::now_v7().to_string()),
                            ("last_name", "X"),
                            ("role", "Legal"),
                        ],
                    ),
                )
                .await,
            ),
            (
                "stakeholder's new contact",
                write::save(
                    &w.db,
                    &w.ana,
                    &create(
                        Entity::Stakeholder,
                        Uuid::now_v7(),
                        &[
                            ("lead_id", &m),
                            ("new_contact_id", &id.to_string()),
                            ("last_name", "X"),
                            ("role", "Legal"),
                        ],
                    ),
                )
                .await,
            ),
            (
                "linked competitor",
                write::save(
                    &w.db,
                    &w.ana,
                    &create(
                        Entity::DealCompetitor,
                        id,
                        &[("lead_id", &m), ("competitor_id", &v.competitor.to_string())],
                    ),
                )
                .await,
            ),
            (
                "competitor",
                write::save(&w.db, &w.manager, &create(Entity::Competitor, id, &[("name", "Clone")])).await,
            ),
            (
                "account",
                write::save(&w.db, &w.ana, &create(Entity::Account, id, &[("name", "Clone SL")])).await,
            ),
            (
                "contact",
                write::save(&w.db, &w.ana, &create(Entity::Contact, id, &[("last_name", "Clone")])).await,
            ),
        ];
        for (what, r) in attempts {
            assert!(
                is_id_taken(&r),
                "a {what} with the id of another record ({id}) was not refused: {r:?}"
            );
        }
        for slot in 0..3 {
            let lead = common::create(&w, &w.ana, &[]).await;
            let mut o = QualifyOrder {
                request: QualifyRequest {
                    account: None,
                    contact: None,
                    opportunity: None,
                },
                account_id: Uuid::now_v7(),
                contact_id: Uuid::now_v7(),
                opportunity_id: Uuid::now_v7(),
            };
            match slot {
                0 => o.account_id = id,
                1 => o.contact_id = id,
                _ => o.opportunity_id = id,
            }
            let r = write::save(&w.db, &w.ana, &mutation(Entity::Lead, lead, Op::Qualify(o))).await;
            assert!(is_id_taken(&r), "qualify slot {slot} took the id {id}: {r:?}");
        }
    }
    // The same through the offline push: refused with the reason, nothing written.
    let client = Uuid::now_v7();
    let mut c = create_m(&[]);
    (c.client_id, c.record_id) = (client, v.account);
    let res = sync::push(
        &w.db,
        &w.ana,
        &PushRequest {
            client_id: client,
            mutations: vec![c],
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(&res.outcomes[0].1, Outcome::Rejected { reason } if reason.contains("already in use")),
        "{res:?}"
    );
    assert_eq!(
        count(&w.db, &format!("SELECT COUNT(*) FROM leads WHERE id = '{}'", v.account)).await,
        0
    );
    assert!(count(&w.db, "SELECT COUNT(*) FROM mutations").await > before);
}

/// The leak the issue found, end to end through the real server: qualify my lead with an opportunity id
/// that is another team's lead, then ask for that "opportunity's" people.
async fn qualifying_with_another_teams_id_reveals_nothing_of_theirs(w: World) {
    let v = victim(&w).await;
    let app = site(&w);
    let ana = session_of(&w, &w.ana).await;
    let mine = common::create(&w, &w.ana, &[]).await;
    let order = QualifyOrder {
        request: QualifyRequest {
            account: None,
            contact: Some(Pick::Skip),
            opportunity: None,
        },
        account_id: Uuid::now_v7(),
        contact_id: Uuid::now_v7(),
        opportunity_id: v.lead,
    };
    let m = mutation(Entity::Lead, mine, Op::Qualify(order));
    let a = send(
        &app,
        json_req(
            app::api::leads::SaveLead::PATH,
            serde_json::json!({ "mutation": m }),
            Some(&ana),
        ),
    )
    .await;
    assert!(a.body.contains("already in use"), "{} {}", a.status, a.body);
    let a = send(
        &app,
        form_req(
            app::api::deal::PeopleOfDeal::PATH,
            &format!("kind=opportunity&id={}", v.lead),
            Some(&ana),
        ),
    )
    .await;
    assert!(
        a.body.contains("NotFound") && !a.body.contains("Pilar") && !a.body.contains("30%"),
        "{}",
        a.body
    );
    let a = send(
        &app,
        form_req(
            app::api::deal::PeopleOfDeal::PATH,
            &format!("kind=lead&id={}", v.lead),
            Some(&ana),
        ),
    )
    .await;
    assert!(a.body.contains("NotFound") && !a.body.contains("Pilar"), "{}", a.body);
}

/// Fixed by filtering `stakeholders`, `deal_competitors` and `record_field_versions` on the record's kind:
/// rows written before ids were checked (made here directly) never reach a record of another kind.
async fn shared_child_tables_never_mix_kinds(w: World) {
    let v = victim(&w).await;
    // Ana's opportunity, and rows of Otto's team that name its id as a lead's (old colliding data).
    let lead = common::create(&w, &w.ana, &[]).await;
    let order = QualifyOrder {
        request: QualifyRequest {
            account: None,
            contact: Some(Pick::Skip),
            opportunity: None,
        },
        account_id: Uuid::now_v7(),
        contact_id: Uuid::now_v7(),
        opportunity_id: Uuid::now_v7(),
    };
    let opp = order.opportunity_id;
    write::save(&w.db, &w.ana, &mutation(Entity::Lead, lead, Op::Qualify(order)))
        .await
        .unwrap();
    sqlx::query("UPDATE stakeholders SET record_id = $1 WHERE id = $2")
        .bind(opp.to_string())
        .bind(v.stakeholder.to_string())
        .execute(&w.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE deal_competitors SET record_id = $1 WHERE id = $2")
        .bind(opp.to_string())
        .bind(v.link.to_string())
        .execute(&w.db.pool)
        .await
        .unwrap();
    let people = deal::people(&w.db, &w.ana, "opportunity", opp).await.unwrap();
    assert!(
        people.stakeholders.is_empty() && people.competitors.is_empty(),
        "{people:?}"
    );
    // Closing as lost may name only the deal's own rivals as the winner.
    let close = mutation(
        Entity::Opportunity,
        opp,
        Op::Close {
            won: false,
            reason: "Lost to a competitor".into(),
            winner: Some(v.competitor),
        },
    );
    let r = app::store::write::save(&w.db, &w.ana, &close).await;
    assert!(
        matches!(&r, Err(AppError::BadRequest(m)) if m.contains("Pick the winner")),
        "a rival of another team's lead was taken as this deal's: {r:?}"
    );

    // An account of Ana's and field versions written for a contact of Otto's with the same id.
    let account = Uuid::now_v7();
    write::save(&w.db, &w.ana, &create(Entity::Account, account, &[("name", "Mía SL")]))
        .await
        .unwrap();
    sqlx::query("INSERT INTO record_field_versions (record_kind, record_id, field, version, changed_by, changed_at) VALUES ('contact', $1, 'phone', 7, $2, 0)")
        .bind(account.to_string())
        .bind(w.otto.user_id.to_string())
        .execute(&w.db.pool)
        .await
        .unwrap();
    let versions = records::versions(&w.db, Entity::Account, account).await.unwrap();
    assert_eq!(versions["phone"], 1, "the contact's version is not the account's");
    write::save(
        &w.db,
        &w.ana,
        &edit(Entity::Account, account, &[("phone", "600 11 22 33", 1)]),
    )
    .await
    .expect("no conflict with someone of another team");
}

/// Fixed by writing each feed row with its team and pulling only one's own teams' rows.
async fn a_pull_never_names_leads_of_other_teams(w: World) {
    let theirs: Vec<Uuid> = [
        common::create(&w, &w.otto, &[]).await,
        common::create(&w, &w.otto, &[]).await,
    ]
    .into();
    let mine = common::create(&w, &w.ana, &[]).await;
    let teammates = common::create(&w, &w.luis, &[]).await;
    let fresh = PullRequest {
        client_id: Uuid::now_v7(),
        cursor: 1,
        resume: None,
        extra: Vec::new(),
        first_waiting: 0,
    };
    let page = sync::pull(&w.db, &w.ana, &fresh).await.unwrap();
    let named: Vec<Uuid> = page
        .leads
        .iter()
        .map(|l| l.id)
        .chain(page.removed.iter().copied())
        .collect();
    for id in &theirs {
        assert!(!named.contains(id), "another team's lead {id} was named: {page:?}");
    }
    assert!(page.leads.iter().any(|l| l.id == mine), "her own lead comes");
    assert!(
        page.removed.contains(&teammates) || !named.contains(&teammates),
        "a teammate's lead is hers to read at most"
    );
    assert!(
        !page.more && page.cursor >= 4,
        "the cursor passes other teams' rows: {}",
        page.cursor
    );
    // A lead that leaves her team is removed from her copy; the other team hears of it as theirs.
    let after = page.cursor;
    write::save(
        &w.db,
        &w.admin,
        &update_m(mine, Uuid::now_v7(), 1, &[("owner_id", &w.otto.user_id.to_string(), 1)]),
    )
    .await
    .unwrap();
    let page = sync::pull(
        &w.db,
        &w.ana,
        &PullRequest {
            cursor: after,
            ..fresh.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.removed, [mine]);
    let otto = sync::pull(
        &w.db,
        &w.otto,
        &PullRequest {
            client_id: Uuid::now_v7(),
            cursor: after,
            ..fresh.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(otto.leads.iter().map(|l| l.id).collect::<Vec<_>>(), [mine]);
    // An admin reads every team.
    let all = sync::pull(
        &w.db,
        &w.admin,
        &PullRequest {
            client_id: Uuid::now_v7(),
            ..fresh
        },
    )
    .await
    .unwrap();
    let named: Vec<Uuid> = all
        .leads
        .iter()
        .map(|l| l.id)
        .chain(all.removed.iter().copied())
        .collect();
    assert!(named.contains(&theirs[1]), "{all:?}");
}

/// Fixed in `store::timeline::notifications`.
async fn a_notification_about_a_lead_out_of_reach_says_nothing_of_it(w: World) {
    let lead = common::create(&w, &w.luis, &[]).await;
    let l = lead.to_string();
    write::save(
        &w.db,
        &w.luis,
        &create(
            Entity::TimelineItem,
            Uuid::now_v7(),
            &[("lead_id", &l), ("kind", "post"), ("body", "@Ana the budget is 80k")],
        ),
    )
    .await
    .unwrap();
    let n = timeline::notifications(&w.db, &w.ana).await.unwrap();
    assert!(
        n[0].can_open && n[0].excerpt.contains("80k") && n[0].lead_name.contains("García"),
        "{n:?}"
    );
    write::save(
        &w.db,
        &w.admin,
        &update_m(lead, Uuid::now_v7(), 1, &[("owner_id", &w.otto.user_id.to_string(), 1)]),
    )
    .await
    .unwrap();
    let n = timeline::notifications(&w.db, &w.ana).await.unwrap();
    assert_eq!(
        (
            n[0].can_open,
            n[0].lead_name.as_str(),
            n[0].excerpt.as_str(),
            n[0].lead_id,
            n[0].item_id
        ),
        (false, "a lead you can no longer open", "", Uuid::nil(), Uuid::nil())
    );
}

/// Fixed by `store::write::own_client`, used by the push and by every online save (`write::save`).
async fn online_saves_cannot_use_another_persons_client_id(w: World) {
    let client = Uuid::now_v7();
    let mut c = create_m(&[]);
    c.client_id = client;
    sync::push(
        &w.db,
        &w.ana,
        &PushRequest {
            client_id: client,
            mutations: vec![c],
        },
    )
    .await
    .unwrap();
    // Otto writes under Ana's device's next number: it would have been recorded, and her next push broken.
    let mut theirs = create_m(&[]);
    (theirs.client_id, theirs.seq) = (client, 2);
    assert!(matches!(
        write::save(&w.db, &w.otto, &theirs).await,
        Err(AppError::Forbidden)
    ));
    let posted = create(
        Entity::TimelineItem,
        Uuid::now_v7(),
        &[
            ("lead_id", &theirs.record_id.to_string()),
            ("kind", "note"),
            ("body", "x"),
        ],
    );
    assert!(matches!(
        write::save(
            &w.db,
            &w.otto,
            &Mutation {
                client_id: client,
                seq: 3,
                ..posted
            }
        )
        .await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(
        count(
            &w.db,
            &format!("SELECT COUNT(*) FROM mutations WHERE client_id = '{client}'")
        )
        .await,
        1
    );
    let mut next = create_m(&[]);
    (next.client_id, next.seq) = (client, 2);
    let res = sync::push(
        &w.db,
        &w.ana,
        &PushRequest {
            client_id: client,
            mutations: vec![next],
        },
    )
    .await
    .unwrap();
    assert_eq!(res.outcomes, [(2, Outcome::Applied)]);
    // And the other way round: a client id first used online is its user's.
    let online = create_m(&[]);
    write::save(&w.db, &w.otto, &online).await.unwrap();
    let mut stolen = create_m(&[]);
    (stolen.client_id, stolen.seq) = (online.client_id, 2);
    assert!(matches!(
        sync::push(
            &w.db,
            &w.ana,
            &PushRequest {
                client_id: online.client_id,
                mutations: vec![stolen]
            }
        )
        .await,
        Err(AppError::Forbidden)
    ));
}

/// The rule ARCHITECTURE writes down: colleagues answer on a teammate's lead, but its activities stay theirs.
async fn sellers_talk_on_a_teammates_lead_but_do_not_change_its_activities(w: World) {
    let lead = common::create(&w, &w.ana, &[]).await;
    let l = lead.to_string();
    let task = Uuid::now_v7();
    write::save(
        &w.db,
        &w.ana,
        &create(
            Entity::TimelineItem,
            task,
            &[
                ("lead_id", &l),
                ("kind", "task"),
                ("subject", "Send prices"),
                ("status", "open"),
            ],
        ),
    )
    .await
    .unwrap();
    // Luis, a seller of the same team, may post and log his own call there...
    write::save(
        &w.db,
        &w.luis,
        &create(
            Entity::TimelineItem,
            Uuid::now_v7(),
            &[("lead_id", &l), ("kind", "post"), ("body", "I know them")],
        ),
    )
    .await
    .unwrap();
    write::save(
        &w.db,
        &w.luis,
        &create(
            Entity::TimelineItem,
            Uuid::now_v7(),
            &[
                ("lead_id", &l),
                ("kind", "phone_call"),
                ("subject", "Intro"),
                ("status", "completed"),
            ],
        ),
    )
    .await
    .unwrap();
    // ... but not complete, cancel or edit Ana's task, nor edit the lead.
    for change in [("status", "completed"), ("status", "canceled"), ("subject", "Mine now")] {
        let r = write::save(
            &w.db,
            &w.luis,
            &Mutation {
                entity: Entity::TimelineItem,
                ..edit(Entity::TimelineItem, task, &[(change.0, change.1, 0)])
            },
        )
        .await;
        assert!(matches!(r, Err(AppError::Forbidden)), "{change:?}: {r:?}");
    }
    assert!(matches!(
        write::save(
            &w.db,
            &w.luis,
            &update_m(lead, Uuid::now_v7(), 1, &[("city", "Vigo", 1)])
        )
        .await,
        Err(AppError::Forbidden)
    ));
    // Someone of another team cannot even see it.
    let r = write::save(
        &w.db,
        &w.otto,
        &create(
            Entity::TimelineItem,
            Uuid::now_v7(),
            &[("lead_id", &l), ("kind", "post"), ("body", "hello")],
        ),
    )
    .await;
    assert!(matches!(r, Err(AppError::NotFound)));
    // Their manager may complete it.
    write::save(
        &w.db,
        &w.manager,
        &edit(Entity::TimelineItem, task, &[("status", "completed", 0)]),
    )
    .await
    .unwrap();
}

// --- Sign-in and sessions.

/// Fixed by counting each try before its password is checked, under a row lock (`users::reserve_sign_in`).
async fn thirty_guesses_at_once_are_counted_one_by_one(w: World) {
    let app = site(&w);
    set_password(&w, &w.ana, "correct horse 1").await;
    let email = email_of(&w, &w.ana).await;
    let tries: Vec<_> = (0..30)
        .map(|i| {
            tokio::spawn(send_owned(
                app.clone(),
                sign_in_req(&email, &format!("guess number {i}"), None),
            ))
        })
        .collect();
    let mut wrong = 0;
    for t in tries {
        let a = t.await.unwrap();
        if a.body.contains("WrongCredentials") {
            wrong += 1;
        } else {
            assert!(
                a.body.contains("TooManyAttempts")
                    && a.status == StatusCode::TOO_MANY_REQUESTS
                    && a.headers.contains_key(header::RETRY_AFTER),
                "{} {}",
                a.status,
                a.body
            );
        }
    }
    assert!(wrong <= 5, "{wrong} guesses were checked");
    let a = send(&app, sign_in_req(&email, "correct horse 1", None)).await;
    assert!(
        a.body.contains("TooManyAttempts"),
        "locked, even for the right password: {}",
        a.body
    );
}

async fn send_owned(app: Router, req: Request<Body>) -> Answer {
    send(&app, req).await
}

async fn one_address_trying_many_emails_is_slowed_down(w: World) {
    let app = site(&w);
    let from: SocketAddr = "203.0.113.9:5555".parse().unwrap();
    let limit = app::domain::sign_in::PER_ADDRESS.free_tries;
    for i in 0..limit {
        let a = send(
            &app,
            sign_in_req(&format!("someone{i}@else.example"), "guess guess 1", Some(from)),
        )
        .await;
        assert!(a.body.contains("WrongCredentials"), "{i}: {}", a.body);
    }
    let a = send(&app, sign_in_req("one-more@else.example", "guess guess 1", Some(from))).await;
    assert!(a.body.contains("TooManyAttempts"), "{}", a.body);
    // Another address is not held back, and a right password gives its try back.
    set_password(&w, &w.ana, "correct horse 1").await;
    let a = send(
        &app,
        sign_in_req(
            &email_of(&w, &w.ana).await,
            "correct horse 1",
            Some("198.51.100.7:1".parse().unwrap()),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(users::throttle_failures(&w.db, "addr:198.51.100.7").await.unwrap(), 0);
}

/// Fixed by the hashing permits (`Config::hashes`): with all of them busy, a sign-in waits a second, then 429.
async fn password_hashing_is_capped(w: World) {
    let config = Config {
        hashes: std::sync::Arc::new(tokio::sync::Semaphore::new(2)),
        ..config()
    };
    let app = site_with(&w, config.clone());
    let held = config.hashes.clone().acquire_many_owned(2).await.unwrap();
    let started = std::time::Instant::now();
    let a = send(&app, sign_in_req("ana@t.example", "some password", None)).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert!(a.body.contains("Busy") && a.headers.contains_key(header::RETRY_AFTER));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    drop(held);
    let a = send(&app, sign_in_req("ana@t.example", "some password", None)).await;
    assert!(a.body.contains("WrongCredentials"), "{}", a.body);
}

async fn oversized_sign_in_input_is_refused_before_anything_is_stored(w: World) {
    let config = Config {
        hashes: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
        ..config()
    };
    let app = site_with(&w, config.clone());
    // With the only hashing permit taken, an answer without waiting proves nothing was hashed.
    let _held = config.hashes.clone().acquire_owned().await.unwrap();
    let long_email = format!("{}@x.example", "a".repeat(300));
    for (email, password) in [
        (long_email.as_str(), "password pass"),
        ("ana@t.example", &"p".repeat(5000) as &str),
    ] {
        let a = send(
            &app,
            sign_in_req(email, password, Some("203.0.113.1:1".parse().unwrap())),
        )
        .await;
        assert!(a.body.contains("WrongCredentials"), "{}", a.body);
    }
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM sign_in_throttle").await,
        0,
        "nothing was stored"
    );
    // Failures are forgotten once their window has passed.
    users::reserve_sign_in(
        &w.db,
        &[("email:x@y.example".into(), app::domain::sign_in::PER_EMAIL)],
        1_000,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        users::purge(&w.db, 1_000 + app::domain::sign_in::WINDOW_MS + 1)
            .await
            .unwrap(),
        1
    );
}

async fn sessions_end_when_idle_replaced_or_revoked(w: World) {
    let app = site(&w);
    let me = |cookie: String| {
        let app = app.clone();
        async move {
            send(&app, form_req(app::api::auth::CurrentUser::PATH, "", Some(&cookie)))
                .await
                .body
        }
    };
    // Idle past the limit: ended, though far from its absolute end.
    let idle = session_of(&w, &w.ana).await;
    let hash = hash_token(idle.trim_start_matches("prospecta_session="));
    users::age_session(&w.db, &hash, config().session_idle_ms + 1)
        .await
        .unwrap();
    assert!(me(idle).await.contains("null"), "an idle session is no session");
    // Signing in ends the session the browser had.
    set_password(&w, &w.ana, "correct horse 1").await;
    let old = session_of(&w, &w.ana).await;
    let mut req = sign_in_req(&email_of(&w, &w.ana).await, "correct horse 1", None);
    req.headers_mut().insert(header::COOKIE, old.parse().unwrap());
    let a = send(&app, req).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(me(old).await.contains("null"), "the replaced session ended");
    let new = a
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(me(new.clone()).await.contains("Ana"));
    // Changing the password: the current one is needed, the new one must be good; other sessions end.
    let phone = session_of(&w, &w.ana).await;
    let change =
        |current: &str, new_pw: &str| format!("current={}&new={}&repeat={}", enc(current), enc(new_pw), enc(new_pw));
    let a = send(
        &app,
        form_req(
            app::api::auth::ChangePassword::PATH,
            &change("not it at all", "brand new horse 2"),
            Some(&new),
        ),
    )
    .await;
    assert!(a.body.contains("not your current password"), "{}", a.body);
    let a = send(
        &app,
        form_req(
            app::api::auth::ChangePassword::PATH,
            &change(&"x".repeat(5000), "brand new horse 2"),
            Some(&new),
        ),
    )
    .await;
    assert!(
        a.body.contains("not your current password"),
        "an oversized current password is refused unhashed: {}",
        a.body
    );
    let a = send(
        &app,
        form_req(
            app::api::auth::ChangePassword::PATH,
            &change("correct horse 1", &"y".repeat(5000)),
            Some(&new),
        ),
    )
    .await;
    assert!(a.body.contains("at most 1,024"), "{}", a.body);
    let a = send(
        &app,
        form_req(
            app::api::auth::ChangePassword::PATH,
            &change("correct horse 1", "password123"),
            Some(&new),
        ),
    )
    .await;
    assert!(a.body.contains("most common"), "{}", a.body);
    let a = send(
        &app,
        form_req(
            app::api::auth::ChangePassword::PATH,
            &change("correct horse 1", "brand new horse 2"),
            Some(&new),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(me(phone).await.contains("null"), "other sessions ended");
    assert!(me(new.clone()).await.contains("Ana"), "this one stays");
    // Signing out everywhere ends them all.
    let tablet = session_of(&w, &w.ana).await;
    let a = send(&app, form_req(app::api::auth::SignOutEverywhere::PATH, "", Some(&new))).await;
    assert!(
        a.status.is_success() || a.status.is_redirection(),
        "{} {}",
        a.status,
        a.body
    );
    assert!(me(tablet).await.contains("null") && me(new).await.contains("null"));
    assert_eq!(users::session_count(&w.db, w.ana.user_id).await.unwrap(), 0);
}

async fn a_deactivated_person_is_out_at_once_and_told_why(w: World) {
    let app = site(&w);
    let ana = session_of(&w, &w.ana).await;
    let admin = session_of(&w, &w.admin).await;
    // Nobody but an admin may, and an admin not themselves.
    let deactivate = |who: Uuid| format!("user={who}&active=false");
    let a = send(
        &app,
        form_req(
            app::api::admin::SetUserActive::PATH,
            &deactivate(w.luis.user_id),
            Some(&session_of(&w, &w.otto).await),
        ),
    )
    .await;
    assert!(a.body.contains("Forbidden"), "{}", a.body);
    let a = send(
        &app,
        form_req(
            app::api::admin::SetUserActive::PATH,
            &deactivate(w.admin.user_id),
            Some(&admin),
        ),
    )
    .await;
    assert!(a.body.contains("your own account"), "{}", a.body);
    let a = send(
        &app,
        form_req(
            app::api::admin::SetUserActive::PATH,
            &deactivate(w.ana.user_id),
            Some(&admin),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    // Her session is over, and her device's waiting changes are refused with the reason (and kept there).
    let push = PushRequest {
        client_id: Uuid::now_v7(),
        mutations: vec![create_m(&[])],
    };
    let a = send(
        &app,
        json_req(
            app::api::sync::SyncPush::PATH,
            serde_json::json!({ "request": push }),
            Some(&ana),
        ),
    )
    .await;
    assert!(a.body.contains("AccountDeactivated"), "{}", a.body);
    assert!(AppError::AccountDeactivated.to_string().contains("deactivated"));
    // Signing in with the right password says why too; a wrong one says nothing more.
    set_password(&w, &w.ana, "correct horse 1").await;
    let email = email_of(&w, &w.ana).await;
    assert!(send(&app, sign_in_req(&email, "wrong horse 1", None))
        .await
        .body
        .contains("WrongCredentials"));
    assert!(send(&app, sign_in_req(&email, "correct horse 1", None))
        .await
        .body
        .contains("AccountDeactivated"));
    // Reactivated, she signs in again: the old session stays ended.
    let a = send(
        &app,
        form_req(
            app::api::admin::SetUserActive::PATH,
            &format!("user={}&active=true", w.ana.user_id),
            Some(&admin),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let push = PushRequest {
        client_id: Uuid::now_v7(),
        mutations: vec![create_m(&[])],
    };
    let a = send(
        &app,
        json_req(
            app::api::sync::SyncPush::PATH,
            serde_json::json!({ "request": push }),
            Some(&ana),
        ),
    )
    .await;
    assert!(
        a.body.contains("SessionExpired"),
        "an old session asks to sign in again: {}",
        a.body
    );
    assert_eq!(
        send(&app, sign_in_req(&email, "correct horse 1", None)).await.status,
        StatusCode::OK
    );
}

async fn an_admin_resets_a_password_and_only_an_admin_may(w: World) {
    let app = site(&w);
    let ana = session_of(&w, &w.ana).await;
    let form = format!("user={}&password={}", w.ana.user_id, enc("new horse staple"));
    for attacker in [&w.otto, &w.manager] {
        let a = send(
            &app,
            form_req(
                app::api::admin::ResetPassword::PATH,
                &form,
                Some(&session_of(&w, attacker).await),
            ),
        )
        .await;
        assert!(a.body.contains("Forbidden"), "{}", a.body);
    }
    let admin = session_of(&w, &w.admin).await;
    let a = send(
        &app,
        form_req(
            app::api::admin::ResetPassword::PATH,
            &format!("user={}&password=short", w.ana.user_id),
            Some(&admin),
        ),
    )
    .await;
    assert!(a.body.contains("10 characters"), "{}", a.body);
    let a = send(
        &app,
        form_req(
            app::api::admin::ResetPassword::PATH,
            &format!("user={}&password={}", w.ana.user_id, "z".repeat(5000)),
            Some(&admin),
        ),
    )
    .await;
    assert!(a.body.contains("at most 1,024"), "{}", a.body);
    // Ids that name nobody (or are not ids) are "not found", for both of the admin's actions.
    for form in [
        format!("user={}&password=new+horse+staple", Uuid::now_v7()),
        "user=not-an-id&password=new+horse+staple".to_string(),
    ] {
        assert!(send(
            &app,
            form_req(app::api::admin::ResetPassword::PATH, &form, Some(&admin))
        )
        .await
        .body
        .contains("NotFound"));
    }
    for form in [
        format!("user={}&active=false", Uuid::now_v7()),
        format!("user={}&active=false", w.otto.team_id),
    ] {
        assert!(send(
            &app,
            form_req(app::api::admin::SetUserActive::PATH, &form, Some(&admin))
        )
        .await
        .body
        .contains("NotFound"));
    }
    let a = send(
        &app,
        form_req(app::api::admin::ResetPassword::PATH, &form, Some(&admin)),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        send(&app, form_req(app::api::auth::CurrentUser::PATH, "", Some(&ana)))
            .await
            .body
            .contains("null"),
        "her sessions ended"
    );
    assert_eq!(
        send(&app, sign_in_req(&email_of(&w, &w.ana).await, "new horse staple", None))
            .await
            .status,
        StatusCode::OK
    );
}

async fn the_session_cookie_is_host_prefixed_over_https(w: World) {
    let app = site_with(
        &w,
        Config {
            https: true,
            ..config()
        },
    );
    set_password(&w, &w.ana, "correct horse 1").await;
    let a = send(&app, sign_in_req(&email_of(&w, &w.ana).await, "correct horse 1", None)).await;
    let cookie = a.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("__Host-prospecta_session=")
            && cookie.contains("; Secure")
            && cookie.contains("Path=/")
            && !cookie.contains("Domain"),
        "{cookie}"
    );
    assert!(a.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    // Over HTTPS a cookie without the prefix (one a neighbouring subdomain could plant) is not read.
    let planted = session_of(&w, &w.ana).await;
    assert!(
        send(&app, form_req(app::api::auth::CurrentUser::PATH, "", Some(&planted)))
            .await
            .body
            .contains("null")
    );
    let host = planted.replace("prospecta_session=", "__Host-prospecta_session=");
    assert!(send(&app, form_req(app::api::auth::CurrentUser::PATH, "", Some(&host)))
        .await
        .body
        .contains("Ana"));
}

async fn new_passwords_must_be_long_and_uncommon(w: World) {
    let app = site(&w);
    let admin = session_of(&w, &w.admin).await;
    for (password, says) in [
        ("short pw", "10 characters"),
        ("1234567890", "most common"),
        ("qwertyuiop", "most common"),
    ] {
        let form = format!(
            "name=Nuevo&email=nuevo%40t.example&role=seller&team={}&password={}",
            w.ana.team_id,
            enc(password)
        );
        let a = send(&app, form_req(app::api::admin::AddUser::PATH, &form, Some(&admin))).await;
        assert!(a.body.contains(says), "{password}: {}", a.body);
    }
    assert!(users::find_for_sign_in(&w.db, "nuevo@t.example")
        .await
        .unwrap()
        .is_none());
}

// --- Headers and limits.

async fn writes_need_the_sites_origin(w: World) {
    let app = site(&w);
    let ana = session_of(&w, &w.ana).await;
    let write = |headers: &[(&str, &str)], cookie: Option<&str>| {
        let mut req = Request::post(app::api::auth::CurrentUser::PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.body(Body::empty()).unwrap()
    };
    let none = send(&app, write(&[], Some(&ana))).await;
    assert_eq!(
        none.status,
        StatusCode::FORBIDDEN,
        "a write with neither Origin nor Sec-Fetch-Site"
    );
    assert_eq!(
        send(&app, write(&[("origin", "https://evil.example")], Some(&ana)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            &app,
            write(
                &[("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")],
                Some(&ana)
            )
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, write(&[("origin", "null")], Some(&ana))).await.status,
        StatusCode::FORBIDDEN
    );
    // A proxy that rewrites Host changes nothing: the configured origin is what counts.
    let ok = send(
        &app,
        write(&[("origin", SITE), ("host", "backend.internal:8080")], Some(&ana)),
    )
    .await;
    assert!(
        ok.status.is_success() && ok.body.contains("Ana"),
        "{} {}",
        ok.status,
        ok.body
    );
    assert!(send(&app, write(&[("sec-fetch-site", "same-origin")], Some(&ana)))
        .await
        .body
        .contains("Ana"));
    let behind = site_with(
        &w,
        Config {
            origins: vec!["https://crm.example.com".into()],
            ..config()
        },
    );
    assert!(
        send(&behind, write(&[("origin", "https://CRM.example.com")], Some(&ana)))
            .await
            .status
            .is_success()
    );
    assert_eq!(
        send(&behind, write(&[("origin", SITE)], Some(&ana))).await.status,
        StatusCode::FORBIDDEN
    );
    // A bearer token without a cookie (a future API's client) has no ambient authority to abuse.
    assert!(send(&app, write(&[("authorization", "Bearer abc")], None))
        .await
        .status
        .is_success());
    assert_eq!(
        send(&app, write(&[("authorization", "Bearer abc")], Some(&ana)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// A request body that counts what the server reads of it, 1 KB at a time.
fn counted_body(total: usize, read: std::sync::Arc<std::sync::atomic::AtomicUsize>) -> Body {
    let chunks = futures::stream::iter((0..total / 1024).map(move |_| {
        read.fetch_add(1024, std::sync::atomic::Ordering::SeqCst);
        Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b'x'; 1024]))
    }));
    Body::from_stream(chunks)
}

/// Fixed by checking the session and the lead before the body is read (`live::upload`).
async fn uploads_are_refused_before_their_body_is_read(w: World) {
    let app = site(&w);
    let theirs = common::create(&w, &w.otto, &[]).await;
    let ana = session_of(&w, &w.ana).await;
    for (cookie, lead, status) in [
        (None, theirs, StatusCode::UNAUTHORIZED),
        (Some(ana.as_str()), theirs, StatusCode::NOT_FOUND),
    ] {
        let read = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut req = Request::post(format!("/api/attachments?lead={lead}"))
            .header(header::ORIGIN, SITE)
            .header(header::CONTENT_LENGTH, (4 << 20).to_string());
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let a = send(&app, req.body(counted_body(4 << 20, read.clone())).unwrap()).await;
        assert_eq!(a.status, status, "{}", a.body);
        assert!(
            read.load(std::sync::atomic::Ordering::SeqCst) <= 8 * 1024,
            "read {} bytes before refusing",
            read.load(std::sync::atomic::Ordering::SeqCst)
        );
    }
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM attachments").await, 0);
}

async fn uploads_have_a_quota_and_unlinked_ones_go(w: World) {
    let app = site_with(
        &w,
        Config {
            attachment_quota: 3000,
            ..config()
        },
    );
    let lead = common::create(&w, &w.ana, &[]).await;
    let ana = session_of(&w, &w.ana).await;
    let upload = |bytes: usize, name: &str| {
        Request::post(format!("/api/attachments?lead={lead}"))
            .header(header::ORIGIN, SITE)
            .header(header::COOKIE, ana.as_str())
            .header("x-file-name", enc(name))
            .body(Body::from(vec![b'a'; bytes]))
            .unwrap()
    };
    let a = send(&app, upload(2000, "notas café.txt")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let id: Uuid = serde_json::from_str::<serde_json::Value>(&a.body).unwrap()["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let a = send(&app, upload(2000, "more.txt")).await;
    assert!(
        a.status == StatusCode::BAD_REQUEST && a.body.contains("MB"),
        "over the quota: {} {}",
        a.status,
        a.body
    );
    // The download is never sniffed into a page, keeps its exact name, and is not cached.
    let a = send(
        &app,
        Request::get(format!("/attachments/{id}"))
            .header(header::COOKIE, ana.as_str())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(a.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(a.headers[header::CACHE_CONTROL], "no-store");
    assert!(a.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .ends_with("filename*=UTF-8''notas%20caf%C3%A9.txt"));
    // Never linked to a note: gone a day later. Linked: kept.
    let later = app::store::now_ms() + 25 * 3_600_000;
    let linked = timeline::add_attachment(&w.db, &w.ana, lead, "kept.txt", "text/plain", b"k", 1 << 20)
        .await
        .unwrap();
    write::save(
        &w.db,
        &w.ana,
        &create(
            Entity::TimelineItem,
            Uuid::now_v7(),
            &[
                ("lead_id", &lead.to_string()),
                ("kind", "note"),
                ("body", "see file"),
                ("attachment_id", &linked.to_string()),
            ],
        ),
    )
    .await
    .unwrap();
    assert_eq!(timeline::purge_unlinked_files(&w.db, later).await.unwrap(), 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT id FROM attachments")
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(left, [linked.to_string()]);
}

async fn server_functions_enforce_their_own_limits(w: World) {
    let app = site(&w);
    let ana = session_of(&w, &w.ana).await;
    common::create(&w, &w.ana, &[]).await;
    // A page far past any end, and a search of 100,000 characters: an answer, no panic, no scan.
    let q = "x".repeat(100_000);
    let form = format!("query%5Bview%5D=Team&query%5Bpage%5D={}&query%5Bq%5D={q}", i64::MAX);
    let a = send(&app, form_req(app::api::leads::ListLeads::PATH, &form, Some(&ana))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", &a.body[..a.body.len().min(300)]);
    let list: app::model::LeadList = serde_json::from_str(&a.body).unwrap();
    assert_eq!(list.page, app::domain::query::MAX_PAGE);
    let lead = common::create(&w, &w.ana, &[]).await;
    let filter = app::domain::timeline::Filter {
        q: "y".repeat(100_000),
        ..Default::default()
    };
    let a = send(
        &app,
        json_req(
            app::api::timeline::LoadTimeline::PATH,
            serde_json::json!({ "lead": lead, "filter": filter, "after": null }),
            Some(&ana),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", &a.body[..a.body.len().min(300)]);
    let kept = timeline::saved_filter(&w.db, w.ana.user_id).await.unwrap();
    assert_eq!(
        kept.q.len(),
        app::domain::query::MAX_SEARCH_LEN,
        "the kept filter is cut too"
    );
    // What could not be read is not repeated back.
    let a = send(
        &app,
        json_req(
            app::api::leads::SaveLead::PATH,
            serde_json::json!({ "mutation": "SECRET-MARKER<script>" }),
            Some(&ana),
        ),
    )
    .await;
    assert!(a.status.is_client_error() || a.status.is_server_error());
    assert!(
        !a.body.contains("SECRET-MARKER") && !a.body.contains("script"),
        "{}",
        a.body
    );
    let a = send(&app, form_req("/api/no_such_function_SECRET-MARKER", "", Some(&ana))).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.body.contains("SECRET-MARKER"), "{}", a.body);
    // A body too big for any server function is refused.
    let big = format!("id={}", "z".repeat(3 << 20));
    let a = send(&app, form_req(app::api::leads::GetLead::PATH, &big, Some(&ana))).await;
    assert!(!a.status.is_success() && !a.body.contains("zzzz"), "{}", a.status);
    // The live stream's and downloads' own parameters are read leniently too.
    let a = send(
        &app,
        Request::get("/api/live?lead=%ZZ%ZZ")
            .header(header::COOKIE, ana.as_str())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.body.contains("ZZ"), "{}", a.body);
    let a = send(
        &app,
        Request::get("/attachments/%FF%FE-SECRET")
            .header(header::COOKIE, ana.as_str())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.body.contains("SECRET"), "{}", a.body);
}

async fn open_stream(app: &Router, cookie: &str, lead: Option<Uuid>) -> (StatusCode, axum::body::BodyDataStream) {
    let url = match lead {
        Some(l) => format!("/api/live?lead={l}"),
        None => "/api/live".into(),
    };
    let res = app
        .clone()
        .oneshot(
            Request::get(url)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    (res.status(), res.into_body().into_data_stream())
}

async fn live_streams_are_limited_and_end_with_their_session_or_lead(w: World) {
    let app = site(&w);
    let ana = session_of(&w, &w.ana).await;
    let mut open = Vec::new();
    for _ in 0..config().streams_per_session {
        let (status, body) = open_stream(&app, &ana, None).await;
        assert_eq!(status, StatusCode::OK);
        open.push(body);
    }
    let (status, _) = open_stream(&app, &ana, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "a ninth stream for one session");
    drop(open.pop());
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (status, again) = open_stream(&app, &ana, None).await;
    assert_eq!(status, StatusCode::OK, "a closed stream gives its place back");
    open.push(again);
    // On Postgres the news travels through LISTEN, whose connection starts with the first stream.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // Signing out everywhere ends them all at once.
    users::end_sessions(&w.db, w.ana.user_id, None).await.unwrap();
    for body in &mut open {
        assert_eq!(
            next_event(body, std::time::Duration::from_secs(5)).await.as_deref(),
            Some("ended")
        );
        assert_eq!(
            next_event(body, std::time::Duration::from_secs(5)).await,
            None,
            "and closes"
        );
    }
    // A lead stream ends when its lead leaves the person's reach.
    let lead = common::create(&w, &w.luis, &[]).await;
    let ana = session_of(&w, &w.ana).await;
    let (status, mut body) = open_stream(&app, &ana, Some(lead)).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    write::save(
        &w.db,
        &w.admin,
        &update_m(lead, Uuid::now_v7(), 1, &[("owner_id", &w.otto.user_id.to_string(), 1)]),
    )
    .await
    .unwrap();
    let mut names = Vec::new();
    while let Some(n) = next_event(&mut body, std::time::Duration::from_secs(5)).await {
        names.push(n);
    }
    assert_eq!(names, ["ended"], "nothing more of the lead once it is out of reach");
}

async fn every_kind_of_answer_carries_the_security_headers(w: World) {
    let app = site(&w);
    let ana = session_of(&w, &w.ana).await;
    let lead = common::create(&w, &w.ana, &[]).await;
    let file = timeline::add_attachment(&w.db, &w.ana, lead, "a.txt", "text/plain", b"a", 1 << 20)
        .await
        .unwrap();
    let get = |path: String, cookie: bool| {
        let mut req = Request::get(path);
        if cookie {
            req = req.header(header::COOKIE, ana.as_str());
        }
        req.body(Body::empty()).unwrap()
    };
    let answers = [
        ("sign-in page", send(&app, get("/sign-in".into(), false)).await),
        ("signed-in page", send(&app, get("/leads".into(), true)).await),
        (
            "server function",
            send(&app, form_req(app::api::auth::CurrentUser::PATH, "", Some(&ana))).await,
        ),
        (
            "attachment",
            send(&app, get(format!("/attachments/{file}"), true)).await,
        ),
        ("static file", send(&app, get("/pkg/prospecta.js".into(), false)).await),
        ("service worker", send(&app, get("/sw.js".into(), false)).await),
        ("offline shell", send(&app, get("/app-shell".into(), false)).await),
        ("health check", send(&app, get("/healthz".into(), false)).await),
        ("missing page", send(&app, get("/no/such/page".into(), false)).await),
        (
            "refused write",
            send(&app, Request::post("/api/x").body(Body::empty()).unwrap()).await,
        ),
    ];
    for (what, a) in &answers {
        let h = &a.headers;
        assert_eq!(
            h.get(header::X_CONTENT_TYPE_OPTIONS).map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(
            h.get(header::REFERRER_POLICY).map(|v| v.to_str().unwrap()),
            Some("same-origin"),
            "{what}"
        );
        if *what == "static file" {
            // Never a document: a policy for documents would only weigh on each of the package's files.
            continue;
        }
        let csp = h
            .get(header::CONTENT_SECURITY_POLICY)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(
            csp.contains("object-src 'none'")
                && csp.contains("base-uri 'none'")
                && csp.contains("frame-ancestors 'none'"),
            "{what}: {csp}"
        );
        assert!(
            !h.contains_key(header::STRICT_TRANSPORT_SECURITY),
            "{what}: no HSTS over plain HTTP"
        );
    }
    for (what, a) in answers
        .iter()
        .filter(|(w, _)| ["signed-in page", "server function", "attachment", "sign-in page"].contains(w))
    {
        assert_eq!(
            a.headers.get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{what}"
        );
    }
    // A page's scripts carry the nonce its policy names, and only that one; each response has its own.
    for (what, a) in answers
        .iter()
        .filter(|(w, _)| ["sign-in page", "signed-in page", "offline shell"].contains(w))
    {
        let csp = a.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|r| r.split('\'').next())
            .unwrap_or_else(|| panic!("{what}: {csp}"));
        assert!(
            csp.contains("'strict-dynamic'") && csp.contains("'wasm-unsafe-eval'"),
            "{what}: {csp}"
        );
        let tags: Vec<&str> = a
            .body
            .split("<script")
            .skip(1)
            .map(|rest| rest.split('>').next().unwrap_or(""))
            .collect();
        assert!(!tags.is_empty(), "{what}");
        for tag in tags {
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "{what}: a script without the page's nonce: <script{tag}>"
            );
        }
    }
    let again = send(&app, get("/sign-in".into(), false)).await;
    assert_ne!(
        again.headers[header::CONTENT_SECURITY_POLICY],
        answers[0].1.headers[header::CONTENT_SECURITY_POLICY]
    );
}

/// `store::ids::RECORD_ID_TABLES` must know every table whose rows an id names, or the check has a hole.
async fn the_id_check_knows_every_table(w: World) {
    let sql = match w.db.kind {
        app::store::Engine::Sqlite => "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'id'",
        app::store::Engine::Postgres => "SELECT CAST(table_name AS TEXT) FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'id'",
    };
    let rows = sqlx::query(sql).fetch_all(&w.db.pool).await.unwrap();
    let mut tables: Vec<String> = rows.iter().map(|r| r.try_get::<String, _>(0).unwrap()).collect();
    tables.sort();
    let mut known: Vec<String> = app::store::ids::RECORD_ID_TABLES
        .iter()
        .chain(app::store::ids::NOT_RECORD_IDS)
        .map(|t| t.to_string())
        .collect();
    known.sort();
    assert_eq!(tables, known);
}
