//! Offline sync: on an empty database, `mutations` queued mutations of one client (a fifth new leads, the
//! rest edits of them) applied in the batches a browser sends, then as many leads pulled into an empty
//! client. Prints time and throughput.

use crate::workspace::{bench_user, empty_workspace, store};
use anyhow::Result;
use app::store::{leads, users, Db};
pub async fn run(db: Db, mutations: usize) -> Result<()> {
    use app::domain::access::Role;
    use app::domain::mutation::{FieldChange, Op};
    use app::domain::sync::{Outbox, PullRequest, PushRequest, Replica, PUSH_BATCH};
    use app::store::sync;
    use std::collections::BTreeMap;
    use std::time::Instant;
    let err = store;
    let admin = empty_workspace(&db, "sync").await?;
    let seller = users::create_user(
        &db,
        users::NewUser {
            team_id: admin.team_id,
            ..bench_user("Sara", "sara@bench.example", Role::Seller)
        },
    )
    .await
    .map_err(err)?;
    let actor = seller.actor();

    // 2,000 new leads, then 8,000 edits of them: what a long day at a trade show queues up.
    let mut outbox = Outbox::new(uuid::Uuid::now_v7());
    let ids: Vec<uuid::Uuid> = (0..mutations / 5).map(|_| uuid::Uuid::now_v7()).collect();
    for (i, id) in ids.iter().enumerate() {
        let fields = BTreeMap::from([
            ("topic".to_string(), "Espresso machines".to_string()),
            ("last_name".to_string(), format!("Visitor {i}")),
            ("company_name".to_string(), format!("Café {}", i % 300)),
            ("source".to_string(), "Trade Show".to_string()),
        ]);
        outbox.enqueue(*id, Op::Create { fields });
    }
    for i in 0..mutations - mutations / 5 {
        let (field, value) = if i % 2 == 0 {
            ("city", format!("City {i}"))
        } else {
            ("description", format!("Talked about model {i}"))
        };
        outbox.enqueue(
            ids[i % ids.len()],
            Op::Update {
                changes: vec![FieldChange {
                    field: field.into(),
                    value,
                    base_version: 1,
                }],
            },
        );
    }
    let total = outbox.waiting.len();
    let started = Instant::now();
    let mut batches = 0;
    while !outbox.waiting.is_empty() {
        let batch: Vec<_> = outbox.waiting.iter().take(PUSH_BATCH).cloned().collect();
        let r = sync::push(
            &db,
            &actor,
            &PushRequest {
                client_id: outbox.client_id,
                mutations: batch,
            },
        )
        .await
        .map_err(err)?;
        outbox.waiting.retain(|m| m.seq > r.last_applied);
        batches += 1;
    }
    let push_s = started.elapsed().as_secs_f64();
    println!("  push  {total} mutations in {batches} batches of {PUSH_BATCH}: {push_s:.2} s, {:.0} mutations/s (target: at least 5,000/s on SQLite)", total as f64 / push_s);

    // 10,000 leads of one seller into an empty client, page by page as the browser asks.
    let rows: Vec<leads::NewLeadRow> = (0..mutations - mutations / 5)
        .map(|i| leads::NewLeadRow {
            id: uuid::Uuid::now_v7(),
            team_id: seller.team_id,
            created_by: seller.id,
            at: 1_700_000_000_000 + i as i64,
            values: BTreeMap::from([
                ("topic".to_string(), "Grinders".to_string()),
                ("last_name".to_string(), format!("Lead {i}")),
                ("company_name".to_string(), format!("Bar {}", i % 500)),
                ("owner_id".to_string(), seller.id.to_string()),
                ("status_reason".to_string(), "New".to_string()),
            ]),
        })
        .collect();
    leads::seed(&db, uuid::Uuid::now_v7(), 1, &rows).await.map_err(err)?;
    let client = uuid::Uuid::now_v7();
    let mut replica = Replica::default();
    let started = Instant::now();
    let mut pages = 0;
    loop {
        let page = sync::pull(
            &db,
            &actor,
            &PullRequest {
                client_id: client,
                cursor: replica.cursor,
                resume: replica.resume,
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
        pages += 1;
        // The browser stops at its storage bound; the bench takes everything.
        replica.cursor = page.cursor;
        replica.resume = page.resume;
        for l in page.leads {
            replica.leads.insert(l.id, l);
        }
        if !page.more && page.resume.is_none() {
            break;
        }
    }
    let pull_s = started.elapsed().as_secs_f64();
    println!("  pull  {} leads into an empty client in {pages} pages: {pull_s:.2} s, {:.0} leads/s (target: 10,000 in under 2 s)", replica.leads.len(), replica.leads.len() as f64 / pull_s);
    Ok(())
}
