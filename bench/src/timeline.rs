//! A timeline's first page and paging: on an empty database, a lead with `items` timeline items and one
//! with 10. Prints the server time to open each (first page) and to page through the long one.

use crate::workspace::{empty_workspace, store};
use anyhow::{bail, Result};
use app::store::{leads, Db};
pub async fn run(db: Db, items: usize) -> Result<()> {
    use app::domain::timeline::{Filter, PAGE};
    use app::store::timeline;
    use std::time::Instant;
    let err = store;
    let admin = empty_workspace(&db, "timeline").await?;
    let actor = admin.actor();
    let mut leads_made = Vec::new();
    for (i, n) in [(0, items), (1, 10)] {
        let id = uuid::Uuid::now_v7();
        let row = leads::NewLeadRow {
            id,
            team_id: admin.team_id,
            created_by: admin.id,
            at: 1_700_000_000_000,
            values: std::collections::BTreeMap::from([
                ("topic".to_string(), "Espresso machines".to_string()),
                ("last_name".to_string(), format!("Timeline {i}")),
                ("company_name".to_string(), "Café".to_string()),
                ("owner_id".to_string(), admin.id.to_string()),
                ("status_reason".to_string(), "New".to_string()),
            ]),
        };
        leads::seed(&db, uuid::Uuid::now_v7(), 1, &[row]).await.map_err(err)?;
        timeline::seed_items(&db, id, admin.id, n, 1_700_000_000_000)
            .await
            .map_err(err)?;
        leads_made.push((id, n));
    }
    let f = Filter::default();
    for (lead, n) in &leads_made {
        let _ = timeline::page(&db, &actor, *lead, &f, None).await.map_err(err)?;
        let mut times = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let p = timeline::page(&db, &actor, *lead, &f, None).await.map_err(err)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if p.items.len() != PAGE.min(*n) {
                bail!("the first page of a timeline of {n} items had {} items", p.items.len());
            }
        }
        times.sort_by(f64::total_cmp);
        println!("  open a timeline of {n:>6} items (first page of {PAGE}): p50 {:.2} ms, p99 {:.2} ms server time (target: under 20 ms)", times[100], times[198]);
    }
    let (lead, n) = leads_made[0];
    let started = Instant::now();
    let mut after = None;
    let (mut pages, mut items, mut slowest) = (0, 0, 0.0f64);
    loop {
        let t = Instant::now();
        let p = timeline::page(&db, &actor, lead, &f, after).await.map_err(err)?;
        slowest = slowest.max(t.elapsed().as_secs_f64() * 1000.0);
        pages += 1;
        items += p.items.len();
        match p.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    let total = started.elapsed().as_secs_f64() * 1000.0;
    println!("  page through all {n} items: {items} items in {pages} pages, {total:.0} ms ({:.2} ms per page, slowest {slowest:.2} ms)", total / pages as f64);
    Ok(())
}
