//! The timeline storage suite, on SQLite and (with PROSPECTA_TEST_POSTGRES_URL) on Postgres: each kind of
//! item round-trips, pages are stable when items share a time, filters, access rules, mentions, events.
#![cfg(feature = "ssr")]

use app::domain::access::Actor;
use app::domain::mutation::{Entity, FieldChange, Mutation, Op};
use app::domain::sync::{Outcome, PushRequest};
use app::domain::timeline::{Cursor, Filter, ItemKind, Status};
use app::error::AppError;
use app::model::{Saved, TimelineItem};
use app::store::live::LiveEvent;
use app::store::sync::push;
use app::store::timeline::{self, page};
use app::store::write::save;
use uuid::Uuid;

mod common;
use common::*;

/// Each person's room for files (the default).
const QUOTA: i64 = 200 * 1024 * 1024;

suite!(
    every_kind_round_trips,
    paging_is_stable_when_items_share_a_time,
    filters_and_search,
    only_readers_see_or_post_and_only_authors_edit,
    replies_mentions_and_deleted_posts,
    lead_events_and_last_activity,
    offline_items_sync_through_the_same_path,
    live_listeners_hear_about_new_items,
);

fn item_m(lead: Uuid, pairs: &[(&str, &str)]) -> Mutation {
    let mut f = fields(pairs);
    f.insert("lead_id".into(), lead.to_string());
    Mutation {
        entity: Entity::TimelineItem,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: Uuid::now_v7(),
        op: Op::Create { fields: f },
    }
}

async fn add(w: &World, who: &Actor, lead: Uuid, pairs: &[(&str, &str)]) -> Uuid {
    let m = item_m(lead, pairs);
    save(&w.db, who, &m).await.expect("save timeline item");
    m.record_id
}

fn edit_m(item: Uuid, pairs: &[(&str, &str)]) -> Mutation {
    let changes = pairs
        .iter()
        .map(|(k, v)| FieldChange {
            field: k.to_string(),
            value: v.to_string(),
            base_version: 0,
        })
        .collect();
    Mutation {
        entity: Entity::TimelineItem,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: item,
        op: Op::Update { changes },
    }
}

async fn all(w: &World, who: &Actor, lead: Uuid, f: &Filter) -> Vec<TimelineItem> {
    let mut out = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let p = page(&w.db, who, lead, f, after).await.expect("timeline page");
        out.extend(p.items);
        match p.next {
            Some(c) => after = Some(c),
            None => return out,
        }
    }
}

fn without_events(items: Vec<TimelineItem>) -> Vec<TimelineItem> {
    items.into_iter().filter(|i| i.kind != ItemKind::Event).collect()
}

async fn every_kind_round_trips(w: World) {
    let lead = create(&w, &w.ana, &[]).await;
    add(
        &w,
        &w.ana,
        lead,
        &[
            ("kind", "phone_call"),
            ("subject", "Intro call"),
            ("direction", "incoming"),
            ("phone", "+34 600 000 000"),
            ("duration", "12"),
            ("outcome", "Interested"),
            ("body", "Asked for a demo\nnext week"),
        ],
    )
    .await;
    add(
        &w,
        &w.ana,
        lead,
        &[
            ("kind", "appointment"),
            ("subject", "Tasting"),
            ("start", "1800000000000"),
            ("end", "1800003600000"),
            ("location", "Café Central"),
            ("required", &w.luis.user_id.to_string()),
            ("body", "Bring the grinder"),
        ],
    )
    .await;
    add(
        &w,
        &w.ana,
        lead,
        &[
            ("kind", "task"),
            ("subject", "Send prices"),
            ("due", "1800000000000"),
            ("priority", "high"),
        ],
    )
    .await;
    add(
        &w,
        &w.ana,
        lead,
        &[
            ("kind", "email"),
            ("subject", "Prices"),
            ("direction", "outgoing"),
            ("from", "ana@t.example"),
            ("to", "garcia@cafe.es"),
            ("body", "Dear Sr. García"),
        ],
    )
    .await;
    let file = timeline::add_attachment(
        &w.db,
        &w.ana,
        lead,
        "prices.pdf",
        "application/pdf",
        b"%PDF-1.4 fake",
        QUOTA,
    )
    .await
    .unwrap();
    add(
        &w,
        &w.ana,
        lead,
        &[
            ("kind", "note"),
            ("body", "Price list attached"),
            ("attachment_id", &file.to_string()),
        ],
    )
    .await;
    add(
        &w,
        &w.ana,
        lead,
        &[("kind", "post"), ("body", "Has anyone worked with this customer?")],
    )
    .await;

    let items = without_events(all(&w, &w.ana, lead, &Filter::default()).await);
    let kinds: Vec<ItemKind> = items.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [
            ItemKind::Post,
            ItemKind::Note,
            ItemKind::Email,
            ItemKind::Task,
            ItemKind::Appointment,
            ItemKind::PhoneCall
        ],
        "newest first"
    );
    let call = &items[5];
    assert_eq!(
        (call.subject.as_str(), call.body.as_str(), call.status),
        ("Intro call", "Asked for a demo\nnext week", Some(Status::Open))
    );
    assert_eq!(call.details["direction"], "incoming");
    assert_eq!(call.details["duration"], "12");
    assert_eq!(call.details["outcome"], "Interested");
    assert_eq!(call.author_name, "Ana");
    let appt = &items[4];
    assert_eq!(
        (
            appt.details["start"].as_str(),
            appt.details["end"].as_str(),
            appt.details["location"].as_str()
        ),
        ("1800000000000", "1800003600000", "Café Central")
    );
    assert_eq!(appt.details["required"], w.luis.user_id.to_string());
    assert_eq!(items[3].details["priority"], "high");
    assert_eq!(items[2].details["to"], "garcia@cafe.es");
    let note = &items[1];
    assert_eq!(
        note.attachment.as_ref().map(|a| (a.name.as_str(), a.size)),
        Some(("prices.pdf", 13))
    );
    let (name, ctype, data) = timeline::attachment(&w.db, &w.luis, file).await.unwrap();
    assert_eq!(
        (name.as_str(), ctype.as_str(), data.as_slice()),
        ("prices.pdf", "application/pdf", b"%PDF-1.4 fake".as_slice())
    );
    assert_eq!(items[0].status, None, "posts have no status");

    // Completing a task, canceling an appointment.
    save(&w.db, &w.ana, &edit_m(items[3].id, &[("status", "completed")]))
        .await
        .unwrap();
    save(&w.db, &w.manager, &edit_m(items[4].id, &[("status", "canceled")]))
        .await
        .expect("a manager may cancel a colleague's appointment");
    let items = without_events(all(&w, &w.ana, lead, &Filter::default()).await);
    assert_eq!(
        (items[3].status, items[4].status),
        (Some(Status::Completed), Some(Status::Canceled))
    );
    assert!(!items[3].edited, "a status change is not an edit of the words");

    // Too big a file is refused with a message.
    let big = vec![0u8; app::domain::timeline::MAX_ATTACHMENT_BYTES + 1];
    assert!(
        matches!(timeline::add_attachment(&w.db, &w.ana, lead, "big.bin", "application/octet-stream", &big, QUOTA).await, Err(AppError::BadRequest(m)) if m.contains("MB"))
    );
    // Bad input is explained per field and writes nothing.
    let bad = item_m(lead, &[("kind", "phone_call"), ("duration", "forever")]);
    assert!(matches!(save(&w.db, &w.ana, &bad).await, Err(AppError::Invalid(e)) if e.len() == 2));
    assert_eq!(without_events(all(&w, &w.ana, lead, &Filter::default()).await).len(), 6);
}

async fn paging_is_stable_when_items_share_a_time(w: World) {
    let lead = create(&w, &w.ana, &[]).await;
    // 45 posts written with the same millisecond, as a fast import or a replayed batch would.
    let mut ids = Vec::new();
    for i in 0..45 {
        ids.push(add(&w, &w.ana, lead, &[("kind", "post"), ("body", &format!("post {i}"))]).await);
    }
    let same_time = 1_800_000_000_000i64;
    sqlx::query("UPDATE timeline_items SET created_at = $1 WHERE lead_id = $2")
        .bind(same_time)
        .bind(lead.to_string())
        .execute(&w.db.pool)
        .await
        .unwrap();
    let f = Filter {
        kinds: vec![ItemKind::Post],
        ..Filter::default()
    };
    let first = page(&w.db, &w.ana, lead, &f, None).await.unwrap();
    assert_eq!(first.items.len(), app::domain::timeline::PAGE);
    // A new post between page loads does not shift or repeat what follows the cursor.
    add(&w, &w.ana, lead, &[("kind", "post"), ("body", "late")]).await;
    sqlx::query("UPDATE timeline_items SET created_at = $1 WHERE body = 'late'")
        .bind(same_time)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let mut seen: Vec<Uuid> = first.items.iter().map(|i| i.id).collect();
    let mut after = first.next;
    while let Some(c) = after {
        let p = page(&w.db, &w.ana, lead, &f, Some(c)).await.unwrap();
        seen.extend(p.items.iter().map(|i| i.id));
        after = p.next;
    }
    let mut expected = ids.clone();
    expected.sort();
    expected.reverse();
    assert_eq!(seen, expected, "every item once, ties ordered by id, newest id first");
}

async fn filters_and_search(w: World) {
    let lead = create(&w, &w.ana, &[]).await;
    add(
        &w,
        &w.ana,
        lead,
        &[("kind", "phone_call"), ("subject", "Call about the grinder")],
    )
    .await;
    let task = add(&w, &w.ana, lead, &[("kind", "task"), ("subject", "Send prices")]).await;
    add(&w, &w.ana, lead, &[("kind", "task"), ("subject", "Book tasting")]).await;
    add(&w, &w.ana, lead, &[("kind", "note"), ("body", "Likes dark roast")]).await;
    let post = add(&w, &w.ana, lead, &[("kind", "post"), ("body", "Who knows them?")]).await;
    add(
        &w,
        &w.luis,
        lead,
        &[
            ("kind", "post"),
            ("body", "Their GRINDER is old"),
            ("parent_id", &post.to_string()),
        ],
    )
    .await;
    save(&w.db, &w.ana, &edit_m(task, &[("status", "completed")]))
        .await
        .unwrap();
    let w = &w;
    let kinds = |f: Filter| async move {
        all(w, &w.ana, lead, &f)
            .await
            .iter()
            .map(|i| i.kind)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(Filter {
            kinds: vec![ItemKind::Post],
            ..Default::default()
        })
        .await,
        [ItemKind::Post],
        "posts only; replies stay under their post"
    );
    assert_eq!(
        kinds(Filter {
            kinds: vec![ItemKind::Task, ItemKind::Note],
            ..Default::default()
        })
        .await,
        [ItemKind::Note, ItemKind::Task, ItemKind::Task]
    );
    let done = all(
        w,
        &w.ana,
        lead,
        &Filter {
            status: Some(Status::Completed),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        done.iter().map(|i| i.subject.as_str()).collect::<Vec<_>>(),
        ["Send prices"]
    );
    let found = all(
        w,
        &w.ana,
        lead,
        &Filter {
            q: "grinder".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        found.iter().map(|i| i.kind).collect::<Vec<_>>(),
        [ItemKind::Post, ItemKind::PhoneCall],
        "a match in a reply finds its post"
    );
    assert!(
        all(
            w,
            &w.ana,
            lead,
            &Filter {
                q: "100%_".into(),
                ..Default::default()
            }
        )
        .await
        .is_empty(),
        "wildcards are literal"
    );
    let future = all(
        w,
        &w.ana,
        lead,
        &Filter {
            from: Some(app::store::now_ms() + 60_000),
            ..Default::default()
        },
    )
    .await;
    assert!(future.is_empty());
    let today = all(
        w,
        &w.ana,
        lead,
        &Filter {
            from: Some(app::store::now_ms() - 60_000),
            to: Some(app::store::now_ms() + 60_000),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(without_events(today).len(), 5);

    // The filter is kept per person.
    let f = Filter {
        kinds: vec![ItemKind::Post],
        ..Default::default()
    };
    timeline::save_filter(&w.db, w.ana.user_id, &f).await.unwrap();
    assert_eq!(timeline::saved_filter(&w.db, w.ana.user_id).await.unwrap(), f);
    assert_eq!(
        timeline::saved_filter(&w.db, w.luis.user_id).await.unwrap(),
        Filter::default()
    );
}

async fn only_readers_see_or_post_and_only_authors_edit(w: World) {
    let lead = create(&w, &w.ana, &[]).await;
    let post = add(&w, &w.ana, lead, &[("kind", "post"), ("body", "Mine")]).await;
    let note = add(&w, &w.ana, lead, &[("kind", "note"), ("body", "My note")]).await;
    let task = add(&w, &w.luis, lead, &[("kind", "task"), ("subject", "Luis's task")]).await;
    // Otto (other team) can neither read nor post: to him the lead does not exist.
    assert!(matches!(
        page(&w.db, &w.otto, lead, &Filter::default(), None).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        save(&w.db, &w.otto, &item_m(lead, &[("kind", "post"), ("body", "hi")])).await,
        Err(AppError::NotFound)
    ));
    let file = timeline::add_attachment(&w.db, &w.ana, lead, "a.txt", "text/plain", b"a", QUOTA)
        .await
        .unwrap();
    assert!(matches!(
        timeline::attachment(&w.db, &w.otto, file).await,
        Err(AppError::NotFound)
    ));
    // Luis (same team, not the owner) can read and post on Ana's lead.
    add(&w, &w.luis, lead, &[("kind", "post"), ("body", "I can help")]).await;
    // Only authors edit or delete their notes and posts; not even an admin edits someone's post.
    for (who, item) in [(&w.luis, post), (&w.admin, post), (&w.manager, note)] {
        assert!(matches!(
            save(&w.db, who, &edit_m(item, &[("body", "changed")])).await,
            Err(AppError::Forbidden)
        ));
        let del = Mutation {
            op: Op::Delete,
            ..edit_m(item, &[])
        };
        assert!(matches!(save(&w.db, who, &del).await, Err(AppError::Forbidden)));
    }
    save(&w.db, &w.ana, &edit_m(post, &[("body", "Mine, edited")]))
        .await
        .unwrap();
    // Ana is neither the task's author nor an editor of... she owns the lead, so she may complete it;
    // Luis may complete his own task; nobody edits the app's events.
    save(&w.db, &w.ana, &edit_m(task, &[("status", "completed")]))
        .await
        .unwrap();
    assert!(
        matches!(
            save(&w.db, &w.ana, &edit_m(task, &[("subject", "renamed")])).await,
            Err(AppError::Forbidden)
        ),
        "only the author renames a task"
    );
    let items = all(&w, &w.ana, lead, &Filter::default()).await;
    let event = items
        .iter()
        .find(|i| i.kind == ItemKind::Event)
        .expect("lead created event");
    assert!(!event.can_edit);
    assert!(matches!(
        save(&w.db, &w.admin, &edit_m(event.id, &[("body", "x")])).await,
        Err(AppError::Invalid(_)) | Err(AppError::Forbidden)
    ));
    let mine = items.iter().find(|i| i.id == post).unwrap();
    assert!(mine.can_edit && mine.edited && mine.body == "Mine, edited");
    let as_luis = all(&w, &w.luis, lead, &Filter::default()).await;
    assert!(!as_luis.iter().find(|i| i.id == post).unwrap().can_edit);
}

async fn replies_mentions_and_deleted_posts(w: World) {
    let lead = create(&w, &w.ana, &[]).await;
    let post = add(
        &w,
        &w.ana,
        lead,
        &[
            ("kind", "post"),
            ("body", "Has anyone worked with this customer? @Luis @Otto"),
        ],
    )
    .await;
    let reply = add(
        &w,
        &w.luis,
        lead,
        &[
            ("kind", "post"),
            ("body", "Yes, @Ana, in 2023"),
            ("parent_id", &post.to_string()),
        ],
    )
    .await;
    // A reply to a reply joins the thread.
    add(
        &w,
        &w.manager,
        lead,
        &[("kind", "post"), ("body", "Me too"), ("parent_id", &reply.to_string())],
    )
    .await;
    let items = without_events(all(&w, &w.ana, lead, &Filter::default()).await);
    assert_eq!(items.len(), 1);
    let thread = &items[0];
    assert_eq!(
        thread.replies.iter().map(|r| r.body.as_str()).collect::<Vec<_>>(),
        ["Yes, @Ana, in 2023", "Me too"],
        "replies oldest first"
    );
    // Otto cannot read the lead, so he is not mentioned (and not told about it).
    assert_eq!(thread.mentions, vec![(w.luis.user_id, "Luis".to_string())]);
    assert_eq!(timeline::unread_count(&w.db, w.luis.user_id).await.unwrap(), 1);
    assert_eq!(timeline::unread_count(&w.db, w.otto.user_id).await.unwrap(), 0);
    assert_eq!(
        timeline::unread_count(&w.db, w.ana.user_id).await.unwrap(),
        1,
        "Ana is mentioned in Luis's reply"
    );
    let n = timeline::notifications(&w.db, &w.luis).await.unwrap();
    assert_eq!(
        (n[0].item_id, n[0].lead_id, n[0].actor_name.as_str(), n[0].read),
        (post, lead, "Ana", false)
    );
    timeline::mark_read(&w.db, w.luis.user_id, Some(n[0].id)).await.unwrap();
    assert_eq!(timeline::unread_count(&w.db, w.luis.user_id).await.unwrap(), 0);

    // Deleting a post with replies leaves "deleted" in the thread; one without replies disappears.
    let lonely = add(&w, &w.ana, lead, &[("kind", "post"), ("body", "Nobody answers this")]).await;
    for id in [post, lonely] {
        save(
            &w.db,
            &w.ana,
            &Mutation {
                op: Op::Delete,
                ..edit_m(id, &[])
            },
        )
        .await
        .unwrap();
    }
    let items = without_events(all(&w, &w.ana, lead, &Filter::default()).await);
    assert_eq!(items.len(), 1);
    assert!(items[0].deleted && items[0].body.is_empty() && items[0].replies.len() == 2);
    assert!(matches!(
        save(&w.db, &w.ana, &edit_m(post, &[("body", "back")])).await,
        Err(AppError::BadRequest(_))
    ));
}

async fn lead_events_and_last_activity(w: World) {
    let lead = create(&w, &w.ana, &[]).await;
    let at = |w: &World| {
        let db = w.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT last_activity_at FROM leads WHERE id = $1")
                .bind(lead.to_string())
                .fetch_one(&db.pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(at(&w).await, 0, "no activity yet");
    let m = update_m(
        lead,
        Uuid::now_v7(),
        1,
        &[
            ("status_reason", "Contacted", 1),
            ("owner_id", &w.luis.user_id.to_string(), 1),
        ],
    );
    app::store::write::save(&w.db, &w.manager, &m).await.unwrap();
    let items = all(&w, &w.manager, lead, &Filter::default()).await;
    let mut events: Vec<&str> = items
        .iter()
        .filter(|i| i.kind == ItemKind::Event)
        .map(|i| i.body.as_str())
        .collect();
    events.sort();
    assert_eq!(
        events,
        [
            "Lead created.",
            "Owner changed from Ana to Luis.",
            "Status changed from New to Contacted."
        ]
    );
    add(&w, &w.luis, lead, &[("kind", "note"), ("body", "Called")]).await;
    assert!(at(&w).await > 0);
    // The lead list sorts by last activity.
    let other = create(&w, &w.ana, &[]).await;
    let q = app::domain::query::LeadQuery {
        view: app::domain::query::View::Team,
        sort: app::domain::query::SortKey::LastActivity,
        desc: true,
        ..Default::default()
    };
    let list = app::store::leads::list(&w.db, &w.manager, &q).await.unwrap();
    assert_eq!(list.rows.iter().map(|r| r.id).collect::<Vec<_>>(), [lead, other]);
    assert!(list.rows[0].last_activity_at > 0 && list.rows[1].last_activity_at == 0);
}

async fn offline_items_sync_through_the_same_path(w: World) {
    // Offline, Ana creates a lead and logs a call and a post on it; the batch arrives later, in order.
    let client = Uuid::now_v7();
    let lead = Uuid::now_v7();
    let create_lead = Mutation {
        client_id: client,
        seq: 1,
        record_id: lead,
        ..create_m(&[])
    };
    let call = Mutation {
        client_id: client,
        seq: 2,
        ..item_m(lead, &[("kind", "phone_call"), ("subject", "Met at the fair")])
    };
    let post = Mutation {
        client_id: client,
        seq: 3,
        ..item_m(lead, &[("kind", "post"), ("body", "@Luis do you know them?")])
    };
    let edit = update_m(lead, client, 4, &[("city", "Bilbao", 1)]);
    let bad = Mutation {
        client_id: client,
        seq: 5,
        ..item_m(Uuid::now_v7(), &[("kind", "note"), ("body", "lost lead")])
    };
    let req = PushRequest {
        client_id: client,
        mutations: vec![create_lead, call.clone(), post, edit, bad],
    };
    let res = push(&w.db, &w.ana, &req).await.unwrap();
    assert_eq!(res.last_applied, 5);
    assert!(
        matches!(&res.outcomes[4].1, Outcome::Rejected { reason } if reason.contains("no longer exists")),
        "{:?}",
        res.outcomes
    );
    assert!(res.outcomes[..4].iter().all(|(_, o)| *o == Outcome::Applied));
    // The same batch again changes nothing.
    let again = push(&w.db, &w.ana, &req).await.unwrap();
    assert!(again.outcomes.iter().all(|(_, o)| *o == Outcome::Duplicate));
    let items = without_events(all(&w, &w.ana, lead, &Filter::default()).await);
    assert_eq!(
        items.iter().map(|i| i.kind).collect::<Vec<_>>(),
        [ItemKind::Post, ItemKind::PhoneCall]
    );
    assert_eq!(items[1].id, call.record_id, "the id minted on the device is kept");
    assert_eq!(timeline::unread_count(&w.db, w.luis.user_id).await.unwrap(), 1);
    let saved = save(
        &w.db,
        &w.ana,
        &Mutation {
            client_id: client,
            seq: 2,
            ..call
        },
    )
    .await
    .unwrap();
    assert_eq!(saved, Saved::Duplicate);
}

async fn live_listeners_hear_about_new_items(w: World) {
    let lead = create(&w, &w.ana, &[]).await;
    let mut rx = w.db.live.subscribe(w.db.kind);
    // On Postgres the LISTEN connection starts with the first subscriber; give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let post = add(&w, &w.ana, lead, &[("kind", "post"), ("body", "@Luis news")]).await;
    let mut heard = Vec::new();
    while heard.len() < 2 {
        let e = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
            .await
            .expect("heard within 5 s")
            .unwrap();
        heard.push(e);
    }
    assert!(heard.contains(&LiveEvent::Timeline {
        lead_id: lead,
        item_id: post
    }));
    assert!(heard.contains(&LiveEvent::Notify {
        user_id: w.luis.user_id
    }));
    // A refused write announces nothing.
    let _ = save(&w.db, &w.otto, &item_m(lead, &[("kind", "post"), ("body", "x")])).await;
    assert!(tokio::time::timeout(std::time::Duration::from_millis(500), rx.recv())
        .await
        .is_err());
}
