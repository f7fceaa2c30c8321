//! The sync page: changes waiting on this device, changes the server refused (with its reason), and values
//! of yours that a later synced edit replaced, each re-applied in one tap.

use crate::api::leads::{get_lead, save_lead};
use crate::api::sync::{my_conflicts, resolve_conflict};
use crate::components::message::ErrorMessage;
use crate::domain::fields;
use crate::domain::mutation::Entity;
use crate::domain::mutation::{FieldChange, Mutation, Op};
use crate::domain::timeline::ItemKind;
use crate::model::ConflictItem;
use crate::offline::{self, use_offline};
use leptos::prelude::*;

#[component]
pub fn SyncPage() -> impl IntoView {
    let o = use_offline();
    let conflicts = Resource::new(move || o.online.get(), |_| my_conflicts());
    let describe = |m: &Mutation| -> String {
        let what = match m.entity {
            Entity::Stakeholder => Some("Stakeholder"),
            Entity::DealCompetitor => Some("Competitor on a lead"),
            Entity::Competitor => Some("Competitor list"),
            Entity::Opportunity => Some("Opportunity"),
            Entity::Account => Some("Account"),
            Entity::Contact => Some("Contact"),
            _ => None,
        };
        if let Some(what) = what {
            let action = match &m.op {
                Op::Create { .. } => "add",
                Op::Delete => "remove",
                _ => "change",
            };
            return format!("{what}: {action}");
        }
        if m.entity == Entity::TimelineItem {
            return match &m.op {
                Op::Create { fields: f } => {
                    let kind = f
                        .get("kind")
                        .and_then(|k| ItemKind::parse(k))
                        .map(|k| k.label())
                        .unwrap_or("Timeline item");
                    let text = f
                        .get("subject")
                        .filter(|s| !s.is_empty())
                        .or_else(|| f.get("body"))
                        .cloned()
                        .unwrap_or_default();
                    let short: String = text.chars().take(60).collect();
                    format!("{kind}: {short}")
                }
                Op::Update { .. } => "Timeline: a change to an item".into(),
                Op::Delete => "Timeline: delete an item".into(),
                _ => "Timeline: a change".into(),
            };
        }
        match &m.op {
            Op::Create { fields: f } => format!(
                "New lead: {} ({})",
                f.get("last_name").cloned().unwrap_or_default(),
                f.get("company_name").cloned().unwrap_or_default()
            ),
            Op::Update { changes } => {
                let parts: Vec<String> = changes
                    .iter()
                    .map(|c| {
                        format!(
                            "{} → “{}”",
                            fields::spec(&c.field).map(|s| s.label).unwrap_or("Field"),
                            c.value
                        )
                    })
                    .collect();
                format!("Edit: {}", parts.join(", "))
            }
            Op::Delete => "Delete a lead".into(),
            Op::Qualify(_) => "Qualify a lead".into(),
            Op::Disqualify { reason, .. } => format!("Disqualify a lead: {reason}"),
            Op::Reactivate => "Reactivate a lead".into(),
            Op::Close { won: true, .. } => "Close an opportunity as won".into(),
            Op::Close { reason, .. } => format!("Close an opportunity as lost: {reason}"),
        }
    };
    view! {
        <h1>"Sync"</h1>
        <p class="note">{move || if o.online.get() { "Online: changes sync by themselves." } else { "Offline: changes are kept on this device and sync when the network is back." }}</p>
        {move || o.problem.get().map(|p| view! { <p class="error-box" role="alert">{p}</p> })}
        <section aria-labelledby="waiting-h">
            <h2 id="waiting-h">"Waiting to sync"</h2>
            {move || {
                let list = o.outbox.with(|b| b.as_ref().map(|b| b.waiting.clone()).unwrap_or_default());
                if list.is_empty() {
                    view! { <p>"Nothing is waiting."</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain">
                            {list.into_iter().map(|m| view! { <li><a href=format!("/leads/{}", m.record_id)>{describe(&m)}</a></li> }).collect_view()}
                        </ul>
                        <button type="button" on:click=move |_| offline::sync_now(o) disabled=move || !o.online.get() || o.syncing.get()>"Sync now"</button>
                    }.into_any()
                }
            }}
        </section>
        <section aria-labelledby="refused-h">
            <h2 id="refused-h">"Refused by the server"</h2>
            {move || {
                let list = o.outbox.with(|b| b.as_ref().map(|b| b.rejected.clone()).unwrap_or_default());
                if list.is_empty() {
                    view! { <p>"Nothing was refused."</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain">
                            {list.into_iter().map(|(m, why)| {
                                let seq = m.seq;
                                view! {
                                    <li>
                                        <p>{describe(&m)}</p>
                                        <p class="field-error">{why}</p>
                                        <button type="button" class="secondary" on:click=move |_| offline::dismiss_refused(o, seq)>"Dismiss"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </section>
        <section aria-labelledby="conflicts-h">
            <h2 id="conflicts-h">"Conflicts"</h2>
            <p class="note">"A value of yours that someone else's later change replaced."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match conflicts.await {
                        Err(e) if offline::is_network(&e) => view! { <p>"Conflicts show when you are online."</p> }.into_any(),
                        Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p>"No conflicts."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="plain">
                                {list.into_iter().map(|c| view! { <ConflictRow c=c on_done=Callback::new(move |_| conflicts.refetch())/> }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ConflictRow(c: ConflictItem, on_done: Callback<()>) -> impl IntoView {
    let error = RwSignal::new(None);
    let shown = |v: &str| {
        if v.is_empty() {
            "(empty)".to_string()
        } else {
            v.to_string()
        }
    };
    let (id, lead, field, yours) = (c.id, c.lead_id, c.field.clone(), c.yours.clone());
    // Re-apply on top of the lead as it is now (its current version), so it is a deliberate overwrite.
    let reapply = move |_| {
        let (field, yours) = (field.clone(), yours.clone());
        leptos::task::spawn_local(async move {
            let r = async {
                let now = get_lead(lead.to_string()).await?;
                let base = now.versions.get(&field).copied().unwrap_or(1);
                let m = Mutation {
                    entity: Default::default(),
                    client_id: uuid::Uuid::now_v7(),
                    seq: 1,
                    record_id: lead,
                    op: Op::Update {
                        changes: vec![FieldChange {
                            field,
                            value: yours,
                            base_version: base,
                        }],
                    },
                };
                save_lead(m).await?;
                resolve_conflict(id.to_string()).await
            }
            .await;
            match r {
                Ok(()) => on_done.run(()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let dismiss = move |_| {
        leptos::task::spawn_local(async move {
            match resolve_conflict(id.to_string()).await {
                Ok(()) => on_done.run(()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <li class="conflict-item">
            <p><a href=format!("/leads/{}", c.lead_id)>{format!("{} · {}", c.lead_name, c.company)}</a></p>
            <p>{format!("{}: your value “{}” was replaced by {}'s “{}” ({}).", c.label, shown(&c.yours), c.by_name, shown(&c.theirs), c.at_shown)}</p>
            <button type="button" on:click=reapply>{format!("Use my value again ({})", c.label)}</button>
            <button type="button" class="secondary" on:click=dismiss>{format!("Keep theirs ({})", c.label)}</button>
            {move || error.get().map(|e| view! { <ErrorMessage error=e/> })}
        </li>
    }
}
