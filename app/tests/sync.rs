//! Offline sync against a real database (SQLite, and Postgres when PROSPECTA_TEST_POSTGRES_URL is set):
//! push and pull one by one, then a randomized simulation of clients on a bad network that must converge.
//! More seeds: PROSPECTA_SYNC_SEEDS=200 cargo test -p prospecta-app --features ssr --test sync
#![cfg(feature = "ssr")]

use app::domain::access::Actor;
use app::domain::mutation::{Mutation, Op};
use app::domain::sync::{Outbox, Outcome, PullRequest, PushRequest, Replica};
use app::error::AppError;
use app::store::leads;
use app::store::sync;
use app::store::testing::FaultPoint;
use app::store::write::save;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use uuid::Uuid;

mod common;
use common::*;

suite!(
    the_same_push_twice_gives_the_same_database,
    a_gap_stops_the_batch,
    a_fault_before_commit_leaves_nothing_and_the_retry_applies_all,
    pushed_mutations_obey_the_access_rules,
    a_later_synced_write_wins_and_the_loser_sees_a_conflict,
    pull_copies_own_leads_then_follows_the_feed,
    random_clients_on_a_bad_network_converge,
);

fn push_req(client: Uuid, ms: &[Mutation]) -> PushRequest {
    PushRequest {
        client_id: client,
        mutations: ms.to_vec(),
    }
}

/// Everything a test may compare: leads with versions, the feed, the mutation log, the clients.
async fn dump(w: &World) -> Vec<String> {
    let mut out = Vec::new();
    for (q, cols) in [
        ("SELECT id, version, topic, city, updated_at FROM leads ORDER BY id", 5),
        ("SELECT seq, record_id, version FROM changes ORDER BY seq", 3),
        (
            "SELECT client_id, seq, status, reason FROM mutations ORDER BY client_id, seq",
            4,
        ),
        ("SELECT id, last_applied FROM clients ORDER BY id", 2),
    ] {
        for r in sqlx::query(q).fetch_all(&w.db.pool).await.unwrap() {
            use sqlx::Row;
            let cells: Vec<String> = (0..cols)
                .map(|i| {
                    r.try_get::<String, _>(i)
                        .or_else(|_| r.try_get::<i64, _>(i).map(|n| n.to_string()))
                        .unwrap_or_default()
                })
                .collect();
            out.push(cells.join("|"));
        }
    }
    out
}

async fn the_same_push_twice_gives_the_same_database(w: World) {
    let mut o = Outbox::new(Uuid::now_v7());
    let id = Uuid::now_v7();
    o.enqueue(id, create_m(&[]).op);
    o.enqueue(id, update_m(id, o.client_id, 0, &[("city", "Vigo", 1)]).op);
    o.enqueue(id, update_m(id, o.client_id, 0, &[("topic", "Grinders", 1)]).op);
    let first = sync::push(&w.db, &w.ana, &push_req(o.client_id, &o.batch()))
        .await
        .unwrap();
    assert_eq!(first.last_applied, 3);
    assert!(first.outcomes.iter().all(|(_, o)| *o == Outcome::Applied));
    let before = dump(&w).await;
    let again = sync::push(&w.db, &w.ana, &push_req(o.client_id, &o.batch()))
        .await
        .unwrap();
    assert_eq!(again.last_applied, 3);
    assert!(again.outcomes.iter().all(|(_, o)| *o == Outcome::Duplicate));
    assert_eq!(dump(&w).await, before);
    let rec = leads::get(&w.db, &w.ana, id).await.unwrap();
    assert_eq!(
        (rec.value("city"), rec.value("topic"), rec.version),
        ("Vigo", "Grinders", 3)
    );
}

async fn a_gap_stops_the_batch(w: World) {
    let client = Uuid::now_v7();
    let a = Mutation {
        seq: 1,
        client_id: client,
        ..create_m(&[])
    };
    let b = Mutation {
        seq: 2,
        client_id: client,
        ..create_m(&[])
    };
    let d = Mutation {
        seq: 4,
        client_id: client,
        ..create_m(&[])
    };
    let r = sync::push(&w.db, &w.ana, &push_req(client, &[a.clone(), b.clone(), d.clone()]))
        .await
        .unwrap();
    assert_eq!(r.last_applied, 2);
    assert_eq!(r.outcomes.len(), 2);
    assert!(leads::get(&w.db, &w.ana, b.record_id).await.is_ok());
    assert!(
        matches!(leads::get(&w.db, &w.ana, d.record_id).await, Err(AppError::NotFound)),
        "nothing past the gap"
    );
    // Once the missing number arrives, the rest follows.
    let c = Mutation {
        seq: 3,
        client_id: client,
        ..create_m(&[])
    };
    let r = sync::push(&w.db, &w.ana, &push_req(client, &[c, d.clone()]))
        .await
        .unwrap();
    assert_eq!(r.last_applied, 4);
    assert!(leads::get(&w.db, &w.ana, d.record_id).await.is_ok());
}

async fn a_fault_before_commit_leaves_nothing_and_the_retry_applies_all(w: World) {
    let mut o = Outbox::new(Uuid::now_v7());
    let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    for id in &ids {
        o.enqueue(*id, create_m(&[]).op);
    }
    let before = dump(&w).await;
    let r = sync::push_with_fault(
        &w.db,
        &w.ana,
        &push_req(o.client_id, &o.batch()),
        FaultPoint::BeforeCommit,
    )
    .await;
    assert!(matches!(r, Err(AppError::Internal(_))));
    assert_eq!(
        dump(&w).await,
        before,
        "neither the edits nor the applied number survive"
    );
    let pulled = sync::pull(
        &w.db,
        &w.ana,
        &PullRequest {
            client_id: o.client_id,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(pulled.last_applied, 0);
    let r = sync::push(&w.db, &w.ana, &push_req(o.client_id, &o.batch()))
        .await
        .unwrap();
    assert_eq!(r.last_applied, 3);
    for id in ids {
        assert!(leads::get(&w.db, &w.ana, id).await.is_ok());
    }
}

async fn pushed_mutations_obey_the_access_rules(w: World) {
    let anas = create(&w, &w.ana, &[]).await;
    let client = Uuid::now_v7();
    let mut o = Outbox::new(client);
    o.enqueue(anas, update_m(anas, client, 0, &[("city", "Oslo", 1)]).op);
    let own = Uuid::now_v7();
    o.enqueue(own, create_m(&[]).op);
    let r = sync::push(&w.db, &w.otto, &push_req(client, &o.batch())).await.unwrap();
    assert_eq!(r.last_applied, 2, "a refusal does not block what follows");
    match &r.outcomes[0].1 {
        Outcome::Rejected { reason } => assert!(reason.contains("no longer"), "{reason}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(r.outcomes[1].1, Outcome::Applied);
    assert_eq!(
        leads::get(&w.db, &w.ana, anas).await.unwrap().value("city"),
        "",
        "not applied"
    );
    // A colleague may read but not edit Ana's lead.
    let luis_client = Uuid::now_v7();
    let m = update_m(anas, luis_client, 1, &[("city", "Oslo", 1)]);
    let r = sync::push(&w.db, &w.luis, &push_req(luis_client, &[m])).await.unwrap();
    assert!(matches!(&r.outcomes[0].1, Outcome::Rejected { reason } if reason.contains("not allowed")));
    // A client id belongs to one user: Luis cannot push as Otto's browser.
    assert!(matches!(
        sync::push(&w.db, &w.luis, &push_req(client, &[])).await,
        Err(AppError::Forbidden)
    ));
    // The refusal reaches the client even if the push answer was lost.
    let pulled = sync::pull(
        &w.db,
        &w.otto,
        &PullRequest {
            client_id: client,
            first_waiting: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(pulled.rejected.len(), 1);
    assert_eq!(pulled.rejected[0].0, 1);
}

async fn a_later_synced_write_wins_and_the_loser_sees_a_conflict(w: World) {
    let id = create(&w, &w.ana, &[]).await;
    // Ana edits offline from version 1; meanwhile her manager saves the same field online.
    let client = Uuid::now_v7();
    let offline = update_m(id, client, 1, &[("topic", "Vending", 1), ("city", "Cádiz", 1)]);
    save(
        &w.db,
        &w.manager,
        &update_m(id, Uuid::now_v7(), 1, &[("topic", "Grinders", 1)]),
    )
    .await
    .unwrap();
    let r = sync::push(&w.db, &w.ana, &push_req(client, &[offline])).await.unwrap();
    assert_eq!(r.outcomes[0].1, Outcome::Applied);
    let rec = leads::get(&w.db, &w.ana, id).await.unwrap();
    assert_eq!(
        (rec.value("topic"), rec.value("city")),
        ("Vending", "Cádiz"),
        "the server's order decides: Ana's write came last"
    );
    let lost = sync::conflicts(&w.db, &w.manager).await.unwrap();
    assert_eq!(lost.len(), 1);
    assert_eq!(
        (
            lost[0].field.as_str(),
            lost[0].yours.as_str(),
            lost[0].theirs.as_str(),
            lost[0].by_name.as_str()
        ),
        ("topic", "Grinders", "Vending", "Ana")
    );
    assert!(sync::conflicts(&w.db, &w.ana).await.unwrap().is_empty());
    // Only the person it belongs to can close it.
    assert!(matches!(
        sync::resolve_conflict(&w.db, &w.ana, lost[0].id).await,
        Err(AppError::NotFound)
    ));
    sync::resolve_conflict(&w.db, &w.manager, lost[0].id).await.unwrap();
    assert!(sync::conflicts(&w.db, &w.manager).await.unwrap().is_empty());
}

async fn pull_copies_own_leads_then_follows_the_feed(w: World) {
    let mine = create(&w, &w.ana, &[]).await;
    let colleague = create(&w, &w.luis, &[]).await;
    let mut o = Outbox::new(Uuid::now_v7());
    let mut r = Replica::default();
    let page = sync::pull(&w.db, &w.ana, &r.request(&o)).await.unwrap();
    assert!(r.apply(&page));
    assert_eq!(
        r.leads.keys().copied().collect::<Vec<_>>(),
        vec![mine],
        "own leads only"
    );
    // Opening a colleague's lead keeps it too.
    r.recent.push(colleague);
    r.cursor = 0;
    let page = sync::pull(&w.db, &w.ana, &r.request(&o)).await.unwrap();
    assert!(r.apply(&page));
    assert_eq!(r.leads.len(), 2);
    // Changes by others arrive through the feed; a lead reassigned away leaves the copy.
    save(
        &w.db,
        &w.manager,
        &update_m(mine, Uuid::now_v7(), 1, &[("city", "Huelva", 1)]),
    )
    .await
    .unwrap();
    save(
        &w.db,
        &w.manager,
        &update_m(
            colleague,
            Uuid::now_v7(),
            1,
            &[("owner_id", &w.manager.user_id.to_string(), 1)],
        ),
    )
    .await
    .unwrap();
    r.recent.clear();
    let page = sync::pull(&w.db, &w.ana, &r.request(&o)).await.unwrap();
    assert!(!page.more);
    assert!(r.apply(&page));
    o.settle(page.last_applied, &page.rejected);
    assert_eq!(r.leads.len(), 1);
    assert_eq!(r.view(&o)[&mine].value("city"), "Huelva");
    // An edit waiting here shows on top until the server has it.
    let op = r
        .edit(&o, mine, &BTreeMap::from([("city".to_string(), "Jaén".to_string())]))
        .unwrap();
    o.enqueue(mine, op);
    let pushed = sync::push(&w.db, &w.ana, &push_req(o.client_id, &o.batch()))
        .await
        .unwrap();
    o.record_outcomes(&pushed.outcomes);
    assert_eq!(r.view(&o)[&mine].value("city"), "Jaén");
    let page = sync::pull(&w.db, &w.ana, &r.request(&o)).await.unwrap();
    assert!(r.apply(&page));
    o.settle(page.last_applied, &page.rejected);
    assert!(o.waiting.is_empty());
    assert_eq!(r.view(&o)[&mine].value("city"), "Jaén");
}

// --- The randomized convergence test.

/// A simulated browser: its storage (outbox and copy) survives a restart, its memory does not.
struct Client {
    actor: Actor,
    storage: String,
    outbox: Outbox,
    replica: Replica,
    /// Bumped on restart: answers to requests sent before it are lost with the memory.
    epoch: u32,
}

impl Client {
    fn save(&mut self) {
        self.storage = serde_json::to_string(&(&self.outbox, &self.replica)).unwrap();
    }
    fn restart(&mut self) {
        let (o, r): (Outbox, Replica) = serde_json::from_str(&self.storage).unwrap();
        self.outbox = o;
        self.replica = r;
        self.epoch += 1;
    }
}

enum Msg {
    Push {
        client: usize,
        epoch: u32,
        req: PushRequest,
    },
    Pull {
        client: usize,
        epoch: u32,
        req: PullRequest,
    },
    PushAnswer {
        client: usize,
        epoch: u32,
        outcomes: Vec<(i64, Outcome)>,
    },
    PullAnswer {
        client: usize,
        epoch: u32,
        page: app::domain::sync::PullPage,
    },
}

const CITIES: [&str; 4] = ["Madrid", "Lyon", "Porto", "Bari"];
const TOPICS: [&str; 4] = ["Espresso", "Grinders", "Vending", "Service"];

async fn random_clients_on_a_bad_network_converge(w: World) {
    let seeds: u64 = std::env::var("PROSPECTA_SYNC_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for seed in 0..seeds {
        // Each seed on a fresh database, so runs do not mix.
        if seed == 0 {
            simulate(&clone_world(&w), seed).await;
        } else {
            let (db, scratch) = fresh_like(&w).await;
            simulate(&world(db.clone()).await, seed).await;
            scratch.remove(db).await;
        }
    }
}

fn clone_world(w: &World) -> World {
    World {
        db: w.db.clone(),
        admin: w.admin.clone(),
        manager: w.manager.clone(),
        ana: w.ana.clone(),
        luis: w.luis.clone(),
        otto: w.otto.clone(),
    }
}

async fn fresh_like(w: &World) -> (app::store::Db, Scratch) {
    match w.db.kind {
        app::store::Engine::Sqlite => sqlite_db().await,
        app::store::Engine::Postgres => postgres_db().await.expect("postgres"),
    }
}

async fn simulate(w: &World, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let actors = [
        w.ana.clone(),
        w.ana.clone(),
        w.luis.clone(),
        w.manager.clone(),
        w.otto.clone(),
        w.admin.clone(),
    ];
    let mut clients: Vec<Client> = actors
        .iter()
        .map(|a| {
            let mut c = Client {
                actor: a.clone(),
                storage: String::new(),
                outbox: Outbox::new(Uuid::now_v7()),
                replica: Replica::default(),
                epoch: 0,
            };
            c.save();
            c
        })
        .collect();
    let mut net: Vec<Msg> = Vec::new();
    // The model: accepted mutations applied one by one in the order the server accepted them.
    let mut model: BTreeMap<Uuid, BTreeMap<String, String>> = BTreeMap::new();
    let mut all_made: Vec<(Uuid, i64)> = Vec::new();

    for _step in 0..400 {
        let c = rng.gen_range(0..clients.len());
        match rng.gen_range(0..100) {
            // Make a change: create, or edit something in the local view.
            0..=34 => {
                let cl = &mut clients[c];
                let view = cl.replica.view(&cl.outbox);
                let m = if view.is_empty() || rng.gen_bool(0.3) {
                    let f = fields(&[
                        ("topic", TOPICS[rng.gen_range(0..4)]),
                        ("last_name", "Ruiz"),
                        ("company_name", "Bar Sol"),
                    ]);
                    cl.outbox.enqueue(Uuid::now_v7(), Op::Create { fields: f })
                } else {
                    let ids: Vec<Uuid> = view.keys().copied().collect();
                    let id = ids[rng.gen_range(0..ids.len())];
                    let mut values = BTreeMap::new();
                    if cl.actor.role == app::domain::access::Role::Admin && rng.gen_bool(0.3) {
                        let m = cl.outbox.enqueue(id, Op::Delete);
                        all_made.push((m.client_id, m.seq));
                        cl.save();
                        continue;
                    }
                    match rng.gen_range(0..10) {
                        0 => {
                            values.insert("topic".to_string(), "x".repeat(201));
                            // refused: too long
                        }
                        1 if cl.actor.role == app::domain::access::Role::Manager => {
                            let to = [&w.ana, &w.luis, &w.manager][rng.gen_range(0..3)];
                            values.insert("owner_id".to_string(), to.user_id.to_string());
                        }
                        2..=5 => {
                            values.insert("city".to_string(), CITIES[rng.gen_range(0..4)].to_string());
                        }
                        _ => {
                            values.insert("topic".to_string(), TOPICS[rng.gen_range(0..4)].to_string());
                        }
                    }
                    match cl.replica.edit(&cl.outbox, id, &values) {
                        Some(op) => cl.outbox.enqueue(id, op),
                        None => continue,
                    }
                };
                all_made.push((m.client_id, m.seq));
                cl.save();
            }
            35..=49 => {
                let cl = &clients[c];
                net.push(Msg::Push {
                    client: c,
                    epoch: cl.epoch,
                    req: push_req(cl.outbox.client_id, &cl.outbox.batch()),
                });
            }
            50..=64 => {
                let cl = &clients[c];
                net.push(Msg::Pull {
                    client: c,
                    epoch: cl.epoch,
                    req: cl.replica.request(&cl.outbox),
                });
            }
            65..=69 => clients[c].restart(),
            _ if !net.is_empty() => {
                // Deliver a random message (reordering); some are dropped, some delivered twice.
                let i = rng.gen_range(0..net.len());
                let dup = rng.gen_bool(0.1);
                let msg = if dup { copy_msg(&net[i]) } else { net.swap_remove(i) };
                if rng.gen_bool(0.15) {
                    continue; // lost
                }
                deliver(w, msg, &mut clients, &mut net, &mut model).await;
            }
            _ => {}
        }
    }

    // Heal: the network is good again; everyone pushes everything, then pulls everything.
    for c in 0..clients.len() {
        loop {
            let batch = clients[c].outbox.batch();
            if batch.is_empty() {
                break;
            }
            let epoch = clients[c].epoch;
            let req = push_req(clients[c].outbox.client_id, &batch);
            deliver(
                w,
                Msg::Push { client: c, epoch, req },
                &mut clients,
                &mut net,
                &mut model,
            )
            .await;
            // Answers are queued; take ours at once, then learn the refusals and settle by a pull.
            while let Some(m) = net.pop() {
                deliver(w, m, &mut clients, &mut Vec::new(), &mut model).await;
            }
            full_pull(w, &mut clients[c]).await;
        }
    }
    for cl in clients.iter_mut() {
        full_pull(w, cl).await;
        assert!(
            cl.outbox.waiting.is_empty(),
            "seed {seed}: nothing stays waiting after healing"
        );
    }

    // 1. Every mutation made was applied exactly once or refused with a reason.
    use sqlx::Row;
    let rows = sqlx::query("SELECT client_id, seq, status, reason FROM mutations")
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    let mut logged: BTreeMap<(Uuid, i64), (String, String)> = BTreeMap::new();
    for r in rows {
        let key = (
            Uuid::parse_str(&r.get::<String, _>("client_id")).unwrap(),
            r.get::<i64, _>("seq"),
        );
        assert!(logged.insert(key, (r.get("status"), r.get("reason"))).is_none());
    }
    for made in &all_made {
        let (status, reason) = logged
            .get(made)
            .unwrap_or_else(|| panic!("seed {seed}: mutation {made:?} never reached the server"));
        assert!(
            status == "applied" || (status == "rejected" && !reason.is_empty()),
            "seed {seed}: {status} {reason}"
        );
    }
    let rejected = logged.values().filter(|(s, _)| s == "rejected").count();
    eprintln!(
        "seed {seed}: {} mutations made, {} refused, {} leads",
        all_made.len(),
        rejected,
        model.len()
    );
    assert!(!all_made.is_empty());
    // 2. The database equals the model.
    let mut db_state: BTreeMap<Uuid, BTreeMap<String, String>> = BTreeMap::new();
    for r in sqlx::query("SELECT id, topic, city, owner_id FROM leads")
        .fetch_all(&w.db.pool)
        .await
        .unwrap()
    {
        let id = Uuid::parse_str(&r.get::<String, _>("id")).unwrap();
        db_state.insert(
            id,
            ["topic", "city", "owner_id"]
                .iter()
                .map(|k| (k.to_string(), r.get::<String, _>(*k)))
                .collect(),
        );
    }
    assert_eq!(
        db_state, model,
        "seed {seed}: the database equals the accepted mutations applied in server order"
    );
    // 3. Every client's view equals the database within its scope.
    for cl in &clients {
        let fresh = sync::pull(
            &w.db,
            &cl.actor,
            &PullRequest {
                client_id: cl.outbox.client_id,
                extra: cl.replica.recent.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let want: BTreeMap<Uuid, BTreeMap<String, String>> = fresh
            .leads
            .iter()
            .map(|l| {
                (
                    l.id,
                    l.fields.iter().map(|(k, (v, _))| (k.clone(), v.clone())).collect(),
                )
            })
            .collect();
        let have: BTreeMap<Uuid, BTreeMap<String, String>> = cl
            .replica
            .view(&cl.outbox)
            .into_iter()
            .map(|(id, l)| (id, l.values))
            .collect();
        for id in have.keys().filter(|id| !want.contains_key(id)) {
            let r = sqlx::query("SELECT owner_id, state, version FROM leads WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&w.db.pool)
                .await
                .unwrap();
            let feed: Vec<i64> = sqlx::query_scalar("SELECT seq FROM changes WHERE record_id = $1 ORDER BY seq")
                .bind(id.to_string())
                .fetch_all(&w.db.pool)
                .await
                .unwrap();
            eprintln!(
                "extra {id}: db {:?} feed {feed:?} cursor {} actor {} copy v{}",
                r.map(|r| (r.get::<String, _>(0), r.get::<i64, _>(2))),
                cl.replica.cursor,
                cl.actor.user_id,
                cl.replica.leads[id].version
            );
        }
        assert_eq!(have, want, "seed {seed}: a client's view equals the database");
    }
}

fn copy_msg(m: &Msg) -> Msg {
    match m {
        Msg::Push { client, epoch, req } => Msg::Push {
            client: *client,
            epoch: *epoch,
            req: req.clone(),
        },
        Msg::Pull { client, epoch, req } => Msg::Pull {
            client: *client,
            epoch: *epoch,
            req: req.clone(),
        },
        Msg::PushAnswer {
            client,
            epoch,
            outcomes,
        } => Msg::PushAnswer {
            client: *client,
            epoch: *epoch,
            outcomes: outcomes.clone(),
        },
        Msg::PullAnswer { client, epoch, page } => Msg::PullAnswer {
            client: *client,
            epoch: *epoch,
            page: page.clone(),
        },
    }
}

async fn deliver(
    w: &World,
    msg: Msg,
    clients: &mut [Client],
    net: &mut Vec<Msg>,
    model: &mut BTreeMap<Uuid, BTreeMap<String, String>>,
) {
    match msg {
        Msg::Push { client, epoch, req } => {
            let actor = clients[client].actor.clone();
            let r = sync::push(&w.db, &actor, &req).await.expect("push");
            for (seq, o) in &r.outcomes {
                if *o == Outcome::Applied {
                    let m = req.mutations.iter().find(|m| m.seq == *seq).unwrap();
                    apply_to_model(model, &actor, m);
                }
            }
            net.push(Msg::PushAnswer {
                client,
                epoch,
                outcomes: r.outcomes,
            });
        }
        Msg::Pull { client, epoch, req } => {
            let actor = clients[client].actor.clone();
            let page = sync::pull(&w.db, &actor, &req).await.expect("pull");
            net.push(Msg::PullAnswer { client, epoch, page });
        }
        Msg::PushAnswer {
            client,
            epoch,
            outcomes,
        } => {
            let cl = &mut clients[client];
            if cl.epoch == epoch {
                cl.outbox.record_outcomes(&outcomes);
                cl.save();
            }
        }
        Msg::PullAnswer { client, epoch, page } => {
            let cl = &mut clients[client];
            if cl.epoch == epoch && cl.replica.apply(&page) {
                cl.outbox.settle(page.last_applied, &page.rejected);
                cl.save();
            }
        }
    }
}

fn apply_to_model(model: &mut BTreeMap<Uuid, BTreeMap<String, String>>, actor: &Actor, m: &Mutation) {
    match &m.op {
        Op::Create { fields } => {
            let mut rec: BTreeMap<String, String> = ["topic", "city", "owner_id"]
                .iter()
                .map(|k| (k.to_string(), String::new()))
                .collect();
            rec.insert("owner_id".into(), actor.user_id.to_string());
            for (k, v) in fields {
                if rec.contains_key(k) {
                    rec.insert(k.clone(), v.clone());
                }
            }
            model.insert(m.record_id, rec);
        }
        Op::Update { changes } => {
            let rec = model
                .get_mut(&m.record_id)
                .expect("an accepted update is on a known lead");
            for c in changes {
                if rec.contains_key(&c.field) {
                    rec.insert(c.field.clone(), c.value.clone());
                }
            }
        }
        Op::Delete => {
            model.remove(&m.record_id);
        }
        Op::Qualify(_) | Op::Disqualify { .. } | Op::Reactivate | Op::Close { .. } => {
            unreachable!("this model only edits fields")
        }
    }
}

async fn full_pull(w: &World, cl: &mut Client) {
    loop {
        let page = sync::pull(&w.db, &cl.actor, &cl.replica.request(&cl.outbox))
            .await
            .expect("pull");
        assert!(cl.replica.apply(&page));
        cl.outbox.settle(page.last_applied, &page.rejected);
        cl.save();
        if !page.more && page.resume.is_none() {
            break;
        }
    }
}
