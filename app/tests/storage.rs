//! The storage suite. Every test runs on SQLite, and on Postgres when PROSPECTA_TEST_POSTGRES_URL
//! names a server (a URL to an existing database; each test gets a fresh database beside it).
#![cfg(feature = "ssr")]

use app::domain::mutation::{Mutation, Op};
use app::domain::query::{LeadQuery, SortKey, View, MAX_PAGE};
use app::error::AppError;
use app::model::Saved;
use app::store::leads::{self, NewLeadRow};
use app::store::testing::FaultPoint;
use app::store::users;
use app::store::write::{save, save_with_fault};
use uuid::Uuid;

mod common;
use common::*;

suite!(
    create_read_update,
    invalid_input_writes_nothing,
    same_mutation_twice_applies_once,
    edits_to_different_fields_merge,
    same_field_conflict_is_reported_and_resolvable,
    access_rules,
    search_filters_and_sort,
    paging_at_100k,
    fault_before_commit_leaves_nothing,
    sessions_expire,
    concurrent_writes_all_land_in_feed_order,
);

async fn create_read_update(w: World) {
    let id = create(
        &w,
        &w.ana,
        &[
            ("email", "ana@cafe.es"),
            ("budget_amount", "12.500,50"),
            ("decision_maker", "yes"),
        ],
    )
    .await;
    let rec = leads::get(&w.db, &w.ana, id).await.unwrap();
    assert_eq!(rec.value("topic"), "Espresso machines");
    assert_eq!(rec.value("budget_amount"), "12500.50");
    assert_eq!(rec.value("decision_maker"), "true");
    assert_eq!(rec.value("status_reason"), "New");
    assert_eq!(rec.owner_id, w.ana.user_id);
    assert_eq!(rec.version, 1);

    let m = update_m(id, Uuid::now_v7(), 1, &[("city", "Sevilla", 1), ("rating", "hot", 1)]);
    assert_eq!(save(&w.db, &w.ana, &m).await.unwrap(), Saved::Applied { version: 2 });
    let rec = leads::get(&w.db, &w.ana, id).await.unwrap();
    assert_eq!((rec.value("city"), rec.value("rating")), ("Sevilla", "Hot"));
    assert_eq!(rec.fields["city"].version, 2);
    assert_eq!(rec.fields["topic"].version, 1);
    assert_eq!(leads::change_count(&w.db, id).await.unwrap(), 2);
}

async fn invalid_input_writes_nothing(w: World) {
    let bad = create_m(&[("email", "ana@"), ("topic", "")]);
    match save(&w.db, &w.ana, &bad).await {
        Err(AppError::Invalid(errs)) => {
            let keys: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
            assert!(keys.contains(&"email") && keys.contains(&"topic"), "{keys:?}");
        }
        other => panic!("expected invalid, got {other:?}"),
    }
    assert!(matches!(
        leads::get(&w.db, &w.ana, bad.record_id).await,
        Err(AppError::NotFound)
    ));
    // The refused mutation left no trace, so the same numbers can be used again once fixed.
    let mut fixed = bad.clone();
    fixed.op = create_m(&[("email", "ana@cafe.es")]).op;
    save(&w.db, &w.ana, &fixed).await.unwrap();

    let long = "x".repeat(201);
    let m = update_m(fixed.record_id, Uuid::now_v7(), 1, &[("topic", &long, 1)]);
    assert!(matches!(save(&w.db, &w.ana, &m).await, Err(AppError::Invalid(_))));
    let m = update_m(fixed.record_id, Uuid::now_v7(), 1, &[("no_such_field", "x", 1)]);
    assert!(matches!(save(&w.db, &w.ana, &m).await, Err(AppError::Invalid(_))));
    assert_eq!(
        leads::get(&w.db, &w.ana, fixed.record_id).await.unwrap().value("topic"),
        "Espresso machines"
    );
}

async fn same_mutation_twice_applies_once(w: World) {
    let id = create(&w, &w.ana, &[]).await;
    let m = update_m(id, Uuid::now_v7(), 7, &[("city", "Bilbao", 1)]);
    assert_eq!(save(&w.db, &w.ana, &m).await.unwrap(), Saved::Applied { version: 2 });
    assert_eq!(save(&w.db, &w.ana, &m).await.unwrap(), Saved::Duplicate);
    let rec = leads::get(&w.db, &w.ana, id).await.unwrap();
    assert_eq!(rec.version, 2);
    assert_eq!(leads::change_count(&w.db, id).await.unwrap(), 2);
}

async fn edits_to_different_fields_merge(w: World) {
    let id = create(&w, &w.ana, &[("city", "Madrid")]).await;
    // Ana and her manager both opened version 1.
    save(
        &w.db,
        &w.ana,
        &update_m(id, Uuid::now_v7(), 1, &[("topic", "Vending", 1)]),
    )
    .await
    .unwrap();
    save(
        &w.db,
        &w.manager,
        &update_m(id, Uuid::now_v7(), 1, &[("city", "Sevilla", 1)]),
    )
    .await
    .unwrap();
    let rec = leads::get(&w.db, &w.ana, id).await.unwrap();
    assert_eq!((rec.value("topic"), rec.value("city")), ("Vending", "Sevilla"));
    assert_eq!(rec.version, 3);
}

async fn same_field_conflict_is_reported_and_resolvable(w: World) {
    let id = create(&w, &w.ana, &[]).await;
    save(
        &w.db,
        &w.manager,
        &update_m(id, Uuid::now_v7(), 1, &[("topic", "Grinders", 1)]),
    )
    .await
    .unwrap();
    let ana_client = Uuid::now_v7();
    let stale = update_m(id, ana_client, 1, &[("topic", "Vending", 1), ("city", "Cádiz", 1)]);
    match save(&w.db, &w.ana, &stale).await {
        Err(AppError::Conflict(views)) => {
            assert_eq!(views.len(), 1);
            assert_eq!(views[0].conflict.field, "topic");
            assert_eq!(views[0].conflict.theirs, "Grinders");
            assert_eq!(views[0].conflict.yours, "Vending");
            assert_eq!(views[0].by_name, "Manager");
            assert_eq!(views[0].conflict.their_version, 2);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let rec = leads::get(&w.db, &w.ana, id).await.unwrap();
    assert_eq!(
        (rec.value("topic"), rec.value("city")),
        ("Grinders", ""),
        "nothing of the refused save was written"
    );
    // Ana keeps her value knowingly: same client, same number, rebased on version 2.
    let keep = update_m(id, ana_client, 1, &[("topic", "Vending", 2), ("city", "Cádiz", 1)]);
    save(&w.db, &w.ana, &keep).await.unwrap();
    let rec = leads::get(&w.db, &w.ana, id).await.unwrap();
    assert_eq!((rec.value("topic"), rec.value("city")), ("Vending", "Cádiz"));
}

async fn access_rules(w: World) {
    let anas = create(&w, &w.ana, &[]).await;
    let ottos = create(&w, &w.otto, &[]).await;
    // Other team: invisible, as if it did not exist.
    assert!(matches!(
        leads::get(&w.db, &w.ana, ottos).await,
        Err(AppError::NotFound)
    ));
    let poke = update_m(ottos, Uuid::now_v7(), 1, &[("city", "X", 1)]);
    assert!(matches!(save(&w.db, &w.ana, &poke).await, Err(AppError::NotFound)));
    assert!(matches!(save(&w.db, &w.manager, &poke).await, Err(AppError::NotFound)));
    // A colleague's lead: readable, not editable.
    assert!(leads::get(&w.db, &w.luis, anas).await.is_ok());
    let luis_edit = update_m(anas, Uuid::now_v7(), 1, &[("city", "X", 1)]);
    assert!(matches!(
        save(&w.db, &w.luis, &luis_edit).await,
        Err(AppError::Forbidden)
    ));
    // Sellers cannot reassign, managers can within the team, not to another team; admins can.
    let to_luis = |seq| {
        update_m(
            anas,
            Uuid::now_v7(),
            seq,
            &[("owner_id", &w.luis.user_id.to_string(), 1)],
        )
    };
    assert!(matches!(
        save(&w.db, &w.ana, &to_luis(1)).await,
        Err(AppError::Invalid(_))
    ));
    save(&w.db, &w.manager, &to_luis(1)).await.unwrap();
    assert_eq!(leads::get(&w.db, &w.luis, anas).await.unwrap().owner_id, w.luis.user_id);
    let to_otto = update_m(anas, Uuid::now_v7(), 1, &[("owner_id", &w.otto.user_id.to_string(), 2)]);
    assert!(matches!(
        save(&w.db, &w.manager, &to_otto).await,
        Err(AppError::Invalid(_))
    ));
    save(&w.db, &w.admin, &to_otto).await.unwrap();
    let moved = leads::get(&w.db, &w.otto, anas).await.unwrap();
    assert_eq!(moved.team_id, w.otto.team_id, "the lead follows its owner's team");
    assert!(matches!(leads::get(&w.db, &w.ana, anas).await, Err(AppError::NotFound)));
    // Deleting is for admins.
    let del = Mutation {
        entity: Default::default(),
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: ottos,
        op: Op::Delete,
    };
    assert!(matches!(save(&w.db, &w.otto, &del).await, Err(AppError::Forbidden)));
    save(&w.db, &w.admin, &del).await.unwrap();
    assert!(matches!(
        leads::get(&w.db, &w.admin, ottos).await,
        Err(AppError::NotFound)
    ));
    // A seller cannot create leads for someone else.
    let for_luis = create_m(&[("owner_id", &w.luis.user_id.to_string())]);
    assert!(matches!(
        save(&w.db, &w.ana, &for_luis).await,
        Err(AppError::Invalid(_))
    ));
    // Lists follow the same rules.
    let team = LeadQuery {
        view: View::Team,
        ..Default::default()
    };
    let ana_sees = leads::list(&w.db, &w.ana, &team).await.unwrap();
    let admin_sees = leads::list(&w.db, &w.admin, &team).await.unwrap();
    assert_eq!(ana_sees.total, 0);
    assert_eq!(admin_sees.total, 1);
}

async fn search_filters_and_sort(w: World) {
    create(
        &w,
        &w.ana,
        &[
            ("first_name", "Lucía"),
            ("company_name", "Hotel Alameda"),
            ("email", "lucia@alameda.es"),
            ("rating", "Hot"),
            ("source", "Trade Show"),
        ],
    )
    .await;
    create(
        &w,
        &w.ana,
        &[
            ("first_name", "Emma"),
            ("last_name", "Clarke"),
            ("company_name", "Riverside Bistro"),
            ("topic", "Cold brew"),
            ("rating", "Cold"),
        ],
    )
    .await;
    create(
        &w,
        &w.luis,
        &[
            ("company_name", "Oficinas 100% Norte"),
            ("budget_amount", "9000"),
            ("source", "Web"),
        ],
    )
    .await;
    let q = |f: &dyn Fn(&mut LeadQuery)| {
        let mut q = LeadQuery {
            view: View::Team,
            ..Default::default()
        };
        f(&mut q);
        q
    };
    let names = |l: app::model::LeadList| l.rows.into_iter().map(|r| r.company).collect::<Vec<_>>();
    let list = |query: LeadQuery| {
        let db = w.db.clone();
        let actor = w.ana.clone();
        async move { leads::list(&db, &actor, &query).await.unwrap() }
    };
    assert_eq!(names(list(q(&|q| q.q = "ALAMEDA".into())).await), ["Hotel Alameda"]);
    assert_eq!(
        names(list(q(&|q| q.q = "cold brew".into())).await),
        ["Riverside Bistro"]
    );
    assert_eq!(names(list(q(&|q| q.q = "lucia@".into())).await), ["Hotel Alameda"]);
    assert_eq!(
        names(list(q(&|q| q.q = "100%".into())).await),
        ["Oficinas 100% Norte"],
        "% is searched literally"
    );
    assert_eq!(list(q(&|q| q.q = "_".into())).await.total, 0, "_ is searched literally");
    assert_eq!(
        names(list(q(&|q| q.rating = "Cold".into())).await),
        ["Riverside Bistro"]
    );
    assert_eq!(
        names(list(q(&|q| q.source = "Web".into())).await),
        ["Oficinas 100% Norte"]
    );
    assert_eq!(list(q(&|q| q.owner = w.ana.user_id.to_string())).await.total, 2);
    assert_eq!(list(q(&|q| q.status = "Contacted".into())).await.total, 0);
    assert_eq!(
        list(LeadQuery {
            view: View::Mine,
            ..Default::default()
        })
        .await
        .total,
        2
    );
    assert_eq!(
        list(LeadQuery {
            view: View::Closed,
            ..Default::default()
        })
        .await
        .total,
        0
    );
    let by_company = names(
        list(q(&|q| {
            q.sort = SortKey::Company;
            q.desc = false;
        }))
        .await,
    );
    assert_eq!(by_company, ["Hotel Alameda", "Oficinas 100% Norte", "Riverside Bistro"]);
    let by_budget = names(
        list(q(&|q| {
            q.sort = SortKey::Budget;
            q.desc = true;
        }))
        .await,
    );
    assert_eq!(by_budget[0], "Oficinas 100% Norte", "amounts first, empty ones last");
    let by_owner = names(
        list(q(&|q| {
            q.sort = SortKey::Owner;
            q.desc = true;
        }))
        .await,
    );
    assert_eq!(by_owner[0], "Oficinas 100% Norte");
}

async fn paging_at_100k(w: World) {
    let n = 100_000;
    let started = std::time::Instant::now();
    let rows: Vec<NewLeadRow> = (0..n)
        .map(|i| NewLeadRow {
            id: Uuid::now_v7(),
            team_id: w.ana.team_id,
            created_by: w.ana.user_id,
            at: 1_700_000_000_000 + (i as i64 % 5000) * 1000,
            values: fields(&[
                ("topic", "Coffee"),
                ("last_name", &format!("Name{:06}", (i * 7919) % n)),
                ("company_name", &format!("Company {}", i % 977)),
                ("owner_id", &w.ana.user_id.to_string()),
                ("status_reason", "New"),
            ]),
        })
        .collect();
    leads::seed(&w.db, Uuid::now_v7(), 1, &rows).await.unwrap();
    eprintln!("seeded {n} leads in {:?}", started.elapsed());
    let q = LeadQuery {
        view: View::Team,
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let p1 = leads::list(&w.db, &w.manager, &q).await.unwrap();
    eprintln!("first page in {:?}", started.elapsed());
    assert_eq!((p1.total, p1.more), (1_000, true), "counting stops at the cap");
    assert_eq!(p1.pages, 40);
    assert_eq!(p1.rows.len(), 25);
    // Asked again, the list trusts for a while that the view is over the cap and shows the same page.
    let again = leads::list(&w.db, &w.manager, &q).await.unwrap();
    assert_eq!((again.total, again.more, again.pages), (1_000, true, 40));
    assert_eq!(
        again.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        p1.rows.iter().map(|r| r.id).collect::<Vec<_>>()
    );
    // Many leads share an updated time: the id tie-break keeps pages disjoint and complete.
    let mut seen = std::collections::HashSet::new();
    for page in 1..=8 {
        let p = leads::list(&w.db, &w.manager, &q.at_page(page)).await.unwrap();
        for r in p.rows {
            assert!(seen.insert(r.id), "lead shown on two pages");
        }
    }
    assert_eq!(seen.len(), 200);
    let started = std::time::Instant::now();
    let deepest = LeadQuery {
        sort: SortKey::Name,
        desc: false,
        ..q.at_page(MAX_PAGE)
    };
    let last = leads::list(&w.db, &w.manager, &deepest).await.unwrap();
    eprintln!("deepest page by name in {:?}", started.elapsed());
    assert_eq!(last.rows.len(), 25);
    assert_eq!(last.rows.last().unwrap().name, "Name009999");
    assert_eq!(
        (last.total, last.more, last.pages),
        (MAX_PAGE * 25, true, MAX_PAGE),
        "a deep page counts as far as it reaches"
    );
    // A page asked for far past the deepest is the deepest: the walk stops there (and nothing overflows).
    let far = leads::list(
        &w.db,
        &w.manager,
        &LeadQuery {
            page: i64::MAX,
            ..deepest.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (far.page, far.rows.iter().map(|r| r.id).collect::<Vec<_>>()),
        (MAX_PAGE, last.rows.iter().map(|r| r.id).collect::<Vec<_>>())
    );
    let search = leads::list(
        &w.db,
        &w.manager,
        &LeadQuery {
            q: "name01234".into(),
            ..q.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!((search.total, search.more), (10, false));
    // A count under the cap is made every time: a new match shows at once.
    let one = NewLeadRow {
        id: Uuid::now_v7(),
        team_id: w.ana.team_id,
        created_by: w.ana.user_id,
        at: 1_700_000_000_000,
        values: fields(&[
            ("topic", "Coffee"),
            ("last_name", "Name0123499"),
            ("company_name", "Company 1"),
            ("owner_id", &w.ana.user_id.to_string()),
            ("status_reason", "New"),
        ]),
    };
    leads::seed(&w.db, Uuid::now_v7(), 1, &[one]).await.unwrap();
    let search = leads::list(
        &w.db,
        &w.manager,
        &LeadQuery {
            q: "name01234".into(),
            ..q.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!((search.total, search.more), (11, false));
}

async fn fault_before_commit_leaves_nothing(w: World) {
    let m = create_m(&[]);
    let r = save_with_fault(&w.db, &w.ana, &m, FaultPoint::BeforeCommit).await;
    assert!(matches!(r, Err(AppError::Internal(_))));
    assert!(matches!(
        leads::get(&w.db, &w.ana, m.record_id).await,
        Err(AppError::NotFound)
    ));
    assert_eq!(leads::change_count(&w.db, m.record_id).await.unwrap(), 0);
    // The retry is not mistaken for a duplicate: the mutation was not recorded either.
    assert_eq!(save(&w.db, &w.ana, &m).await.unwrap(), Saved::Applied { version: 1 });
}

async fn sessions_expire(w: World) {
    const IDLE: i64 = 12 * 3_600_000;
    let live = |db, hash| async move { users::session_user(db, hash, IDLE, true).await.unwrap() };
    users::create_session(&w.db, "hash-1", w.ana.user_id, 60_000)
        .await
        .unwrap();
    assert!(matches!(live(&w.db, "hash-1").await, users::SessionLookup::Valid(u) if u.id == w.ana.user_id));
    users::expire_session(&w.db, "hash-1").await.unwrap();
    assert!(matches!(live(&w.db, "hash-1").await, users::SessionLookup::Expired));
    assert!(matches!(live(&w.db, "hash-1").await, users::SessionLookup::Unknown));
    // Unused for longer than the idle limit: ended too, though its absolute end is far.
    users::create_session(&w.db, "hash-2", w.ana.user_id, 14 * 86_400_000)
        .await
        .unwrap();
    users::age_session(&w.db, "hash-2", IDLE - 60_000).await.unwrap();
    assert!(
        matches!(live(&w.db, "hash-2").await, users::SessionLookup::Valid(_)),
        "used within the limit"
    );
    assert!(
        matches!(live(&w.db, "hash-2").await, users::SessionLookup::Valid(_)),
        "and that use counted"
    );
    users::age_session(&w.db, "hash-2", IDLE + 1).await.unwrap();
    assert!(matches!(live(&w.db, "hash-2").await, users::SessionLookup::Expired));
    // The throttle counts per key and forgets on success.
    let key = app::domain::sign_in::email_key("Ana@T.example");
    let limit = app::domain::sign_in::PER_EMAIL;
    for _ in 0..3 {
        users::reserve_sign_in(&w.db, &[(key.clone(), limit)], app::store::now_ms())
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(users::throttle_failures(&w.db, "email:ana@t.example").await.unwrap(), 3);
    users::sign_in_succeeded(&w.db, &key, None).await.unwrap();
    assert_eq!(users::throttle_failures(&w.db, "email:ana@t.example").await.unwrap(), 0);
}

async fn concurrent_writes_all_land_in_feed_order(w: World) {
    let mut ids = Vec::new();
    for _ in 0..10 {
        ids.push(create(&w, &w.ana, &[]).await);
    }
    let mut tasks = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        for (j, actor) in [w.ana.clone(), w.manager.clone()].into_iter().enumerate() {
            let (db, id) = (w.db.clone(), *id);
            let field = if j == 0 { "city" } else { "job_title" };
            tasks.push(tokio::spawn(async move {
                let m = update_m(id, Uuid::now_v7(), 1, &[(field, &format!("v{i}"), 1)]);
                save(&db, &actor, &m).await
            }));
        }
    }
    for t in tasks {
        t.await.unwrap().expect("every concurrent write applies");
    }
    for id in &ids {
        let rec = leads::get(&w.db, &w.ana, *id).await.unwrap();
        assert_eq!(rec.version, 3);
        assert!(!rec.value("city").is_empty() && !rec.value("job_title").is_empty());
    }
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM changes ORDER BY seq")
        .fetch_all(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(
        seqs,
        (1..=30).collect::<Vec<i64>>(),
        "the feed has no gaps and no repeats"
    );
}
