//! Qualifying: on an empty database, `existing` accounts and as many contacts, then `leads` leads qualified
//! one after the other through the `save_lead` server function over HTTP (served by this process). Every
//! tenth lead's company already exists and the seller picks it; the others create all three. Prints
//! p50/p99 per qualify as the client saw it.

use crate::live::post_server_fn;
use crate::workspace::{empty_workspace, store};
use anyhow::{bail, Result};
use app::store::{leads, users, Db};
use axum::serve::ListenerExt;
pub async fn run(db: Db, existing: usize, leads_n: usize) -> Result<()> {
    use app::domain::mutation::{Entity, Mutation, Op};
    use app::domain::qualify::{Pick, QualifyOrder, QualifyRequest};
    use app::store::{accounts, contacts};
    use leptos::prelude::get_configuration;
    use leptos::server_fn::ServerFn;
    use std::collections::BTreeMap;
    use std::time::Instant;
    use uuid::Uuid;
    let err = store;
    let admin = empty_workspace(&db, "qualify").await?;
    let now = 1_700_000_000_000;
    let t = Instant::now();
    let account_ids: Vec<Uuid> = (0..existing).map(|_| Uuid::now_v7()).collect();
    let rows: Vec<accounts::NewAccount> = account_ids
        .iter()
        .enumerate()
        .map(|(i, id)| accounts::NewAccount {
            id: *id,
            team_id: admin.team_id,
            owner_id: admin.id,
            name: format!("Cafetería {i} S.L."),
            website: format!("https://www.cafeteria{i}.example"),
            industry: "Hospitality".into(),
            phone: String::new(),
            city: "Sevilla".into(),
            country: "Spain".into(),
            email: String::new(),
        })
        .collect();
    accounts::seed(&db, &rows, admin.id, now).await.map_err(err)?;
    let rows: Vec<contacts::NewContact> = (0..existing)
        .map(|i| contacts::NewContact {
            id: Uuid::now_v7(),
            team_id: admin.team_id,
            owner_id: admin.id,
            account_id: Some(account_ids[i]),
            first_name: "Ana".into(),
            last_name: format!("Contact {i}"),
            job_title: String::new(),
            email: format!("ana{i}@cafeteria{i}.example"),
            phone: String::new(),
        })
        .collect();
    contacts::seed(&db, &rows, admin.id, now).await.map_err(err)?;
    let leads_made: Vec<(Uuid, Option<Uuid>)> = (0..leads_n)
        .map(|i| (Uuid::now_v7(), (i % 10 == 0).then(|| account_ids[(i * 37) % existing])))
        .collect();
    let rows: Vec<leads::NewLeadRow> = leads_made
        .iter()
        .enumerate()
        .map(|(i, (id, picked))| {
            let company = if picked.is_some() {
                format!("Cafetería {} S.L.", (i * 37) % existing)
            } else {
                format!("Bar Nuevo {i}")
            };
            leads::NewLeadRow {
                id: *id,
                team_id: admin.team_id,
                created_by: admin.id,
                at: now,
                values: BTreeMap::from([
                    ("topic".to_string(), "Espresso machines".to_string()),
                    ("last_name".to_string(), format!("Lead {i}")),
                    ("company_name".to_string(), company),
                    ("email".to_string(), format!("buyer{i}@barnuevo{i}.example")),
                    ("budget_amount".to_string(), "25000.00".to_string()),
                    ("owner_id".to_string(), admin.id.to_string()),
                    ("status_reason".to_string(), "New".to_string()),
                    ("process_id".to_string(), "lead_to_opportunity".to_string()),
                    ("stage".to_string(), "qualify".to_string()),
                ]),
            }
        })
        .collect();
    leads::seed(&db, Uuid::now_v7(), 1, &rows).await.map_err(err)?;
    println!(
        "  seeded {existing} accounts, {existing} contacts and {leads_n} leads in {:.0} s",
        t.elapsed().as_secs_f64()
    );

    let token = "bench-qualify-session-token";
    users::create_session(&db, &app::api::session::hash_token(token), admin.id, 3_600_000)
        .await
        .map_err(err)?;
    let _ = app::api::session::SERVER_DB.set(db.clone());
    let conf = get_configuration(None)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let config = app::config::Config::for_addr(listener.local_addr()?);
    let app = prospecta_server::web::router(db.clone(), conf.leptos_options, config);
    tokio::spawn(async move {
        axum::serve(
            listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            }),
            app,
        )
        .await
    });
    let path = <app::api::leads::SaveLead as ServerFn>::PATH;
    let mut times = Vec::with_capacity(leads_n);
    for (lead, picked) in &leads_made {
        let request = QualifyRequest {
            account: picked.map(Pick::Existing),
            contact: None,
            opportunity: None,
        };
        let order = QualifyOrder {
            request,
            account_id: Uuid::now_v7(),
            contact_id: Uuid::now_v7(),
            opportunity_id: Uuid::now_v7(),
        };
        let m = Mutation {
            entity: Entity::Lead,
            client_id: Uuid::now_v7(),
            seq: 1,
            record_id: *lead,
            op: Op::Qualify(order),
        };
        let body = serde_json::to_string(&serde_json::json!({ "mutation": m }))?;
        let started = Instant::now();
        let answer = post_server_fn(&addr, path, token, &body).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if !answer.starts_with("HTTP/1.1 200") {
            bail!("a qualify was refused: {}", answer.lines().last().unwrap_or(""));
        }
    }
    let made: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM opportunities")
        .fetch_one(&db.pool)
        .await?;
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "  qualify {leads_n} leads one after the other (duplicate checks against {existing} accounts and {existing} contacts; {made} opportunities made): p50 {:.2} ms, p99 {:.2} ms, mean {mean:.2} ms (target: p99 under 50 ms)",
        times[leads_n / 2],
        times[leads_n * 99 / 100]
    );
    Ok(())
}
