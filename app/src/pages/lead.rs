//! One lead: header, the editable fields, and conflict resolution when someone else saved first.

use crate::api::leads::{get_lead, owner_options, save_lead, DeleteLead};
use crate::api::opportunities::{lead_opportunities, list_processes};
use crate::components::decide::{DisqualifyPanel, QualifyPanel, ReactivateButton};
use crate::components::field::FieldInput;
use crate::components::message::ErrorMessage;
use crate::components::stage_bar::StageBar;
use crate::domain::fields::{in_group, Group, FIELDS};
use crate::domain::lead::full_name;
use crate::domain::lead::LeadState;
use crate::domain::mutation::{FieldChange, Mutation, Op};
use crate::domain::process::{Process, Record};
use crate::domain::sync::LeadCopy;
use crate::error::{AppError, ConflictView};
use crate::model::OpportunityRow;
use crate::model::{LeadDetail, Saved, UserOption};
use crate::offline::{self, is_network, use_offline};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use std::collections::BTreeMap;

#[component]
pub fn LeadPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let o = use_offline();
    let local = move || o.ready.get() && !o.online.get();
    let lead = Resource::new(
        move || (id(), local()),
        move |(id, _)| async move {
            match get_lead(id.clone()).await {
                Err(e) if is_network(&e) && o.has_copy() => {
                    uuid::Uuid::parse_str(&id).ok().and_then(|id| o.detail(id)).ok_or(e)
                }
                other => other,
            }
        },
    );
    let owners = Resource::new(local, move |_| async move {
        match owner_options().await {
            Err(e) if is_network(&e) => Ok(o.owners.get_untracked()),
            other => other,
        }
    });
    // The stage bar and the opportunities made from the lead come with the page, so nothing moves when
    // they arrive.
    let processes = Resource::new(local, |_| processes_here());
    let opps = Resource::new(
        move || (id(), local()),
        |(id, _)| async move { lead_opportunities(id).await.unwrap_or_default() },
    );
    // A lead opened online joins this device's copy, so it still opens offline.
    Effect::new(move |_| {
        if let Some(Ok(d)) = lead.get() {
            if o.online.get_untracked() {
                offline::opened(o, copy_of(&d));
            }
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading lead…"</p> }>
            {move || Suspend::new(async move {
                match lead.await {
                    Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                    Ok(d) => {
                        let owners = owners.await.unwrap_or_default();
                        let (process_list, opp_list) = (processes.await, opps.await);
                        let reload = Callback::new(move |_| {
                            lead.refetch();
                            opps.refetch();
                        });
                        view! { <LeadView detail=d owners=owners processes=process_list opps=opp_list reload=reload/> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn LeadView(
    detail: LeadDetail,
    owners: Vec<UserOption>,
    processes: Vec<Process>,
    opps: Vec<OpportunityRow>,
    reload: Callback<()>,
) -> impl IntoView {
    let o = use_offline();
    let base = RwSignal::new(detail.clone());
    let edited = RwSignal::new(detail.values.clone());
    let result: RwSignal<Option<Result<Saved, AppError>>> = RwSignal::new(None);
    let saving = RwSignal::new(false);
    // One client id per page view; each save is the next number, so a double submit applies once.
    let client = StoredValue::new((uuid::Uuid::now_v7(), 0_i64));
    let dirty = move || {
        let b = base.get();
        edited.with(|e| FIELDS.iter().any(|s| e.get(s.key) != b.values.get(s.key)))
    };
    let save = move |extra: BTreeMap<String, String>| {
        edited.update(|e| e.extend(extra));
        let b = base.get_untracked();
        let changes: Vec<FieldChange> = edited.with_untracked(|e| {
            FIELDS
                .iter()
                .filter(|s| e.get(s.key) != b.values.get(s.key))
                .map(|s| FieldChange {
                    field: s.key.into(),
                    value: e.get(s.key).cloned().unwrap_or_default(),
                    base_version: b.versions.get(s.key).copied().unwrap_or(0),
                })
                .collect()
        });
        if changes.is_empty() {
            return;
        }
        client.update_value(|c| c.1 += 1);
        let (client_id, seq) = client.get_value();
        let m = Mutation {
            entity: Default::default(),
            client_id,
            seq,
            record_id: b.id,
            op: Op::Update { changes },
        };
        saving.set(true);
        leptos::task::spawn_local(async move {
            let r = offline::save_or_queue(o, m, save_lead).await;
            // No network: the change waits in this device's outbox and syncs later.
            if r == Ok(Saved::Queued) {
                base.update(|b| edited.with_untracked(|e| b.values.extend(e.clone())));
                saving.set(false);
                result.set(Some(r));
                return;
            }
            // Show the record as it now is, with what others changed meanwhile merged in.
            if r.is_ok() {
                if let Ok(fresh) = get_lead(b.id.to_string()).await {
                    edited.set(fresh.values.clone());
                    base.set(fresh);
                }
            }
            saving.set(false);
            result.set(Some(r));
        });
    };
    let err = move |key: &'static str| {
        Signal::derive(move || result.get().and_then(|r| r.err()).and_then(|e| e.field_error(key)))
    };
    let can_edit = detail.can_edit;
    let open = detail.state == LeadState::Open;
    let lead_id = detail.id;
    let deciding = RwSignal::new(None::<&'static str>);
    let close = Callback::new(move |_| deciding.set(None));
    let delete = ServerAction::<DeleteLead>::new();
    view! {
        <header class="lead-head">
            <h1>{move || base.with(|b| full_name(v(b, "first_name"), v(b, "last_name")))}</h1>
            <p class="sub">{move || base.with(|b| format!("{} · {}", v(b, "company_name"), v(b, "topic")))}</p>
            <dl class="facts">
                <div><dt>"Status"</dt><dd>{move || base.with(|b| format!("{} ({})", b.state.label(), v(b, "status_reason")))}</dd></div>
                <div><dt>"Rating"</dt><dd>{move || base.with(|b| if v(b, "rating").is_empty() { "—".to_string() } else { v(b, "rating").to_string() })}</dd></div>
                <div><dt>"Owner"</dt><dd>{move || base.with(|b| b.owner_name.clone())}</dd></div>
                <div><dt>"Updated"</dt><dd>{move || base.with(|b| b.updated_shown.clone())}</dd></div>
            </dl>
        </header>
        {(!opps.is_empty()).then(|| view! {
            <ul class="plain from-lead" aria-label="Opportunities from this lead">
                {opps.into_iter().map(|o| view! { <li><a href=format!("/opportunities/{}", o.id)>{format!("Opportunity: {} ({})", o.topic, o.state)}</a></li> }).collect_view()}
            </ul>
        })}
        {(detail.can_decide).then(|| view! {
            <div class="decisions">
                {if open {
                    view! {
                        <button type="button" on:click=move |_| deciding.set(Some("qualify"))>"Qualify"</button>
                        <button type="button" class="secondary" on:click=move |_| deciding.set(Some("disqualify"))>"Disqualify"</button>
                    }.into_any()
                } else {
                    view! { <ReactivateButton lead=lead_id on_done=reload/> }.into_any()
                }}
            </div>
        })}
        {move || match deciding.get() {
            Some("qualify") => Some(view! { <QualifyPanel lead=lead_id on_close=close on_done=reload/> }.into_any()),
            Some(_) => Some(view! { <DisqualifyPanel lead=lead_id on_close=close on_done=reload/> }.into_any()),
            None => None,
        }}
        {view! { <StageBar processes=processes record=Record::Lead can_edit=can_edit
            values=Signal::derive(move || edited.get())
            since=Signal::derive(move || base.with(|b| b.stage_since))
            on_edit=Callback::new(move |(k, v): (String, String)| { edited.update(|e| { e.insert(k, v); }); result.set(None); })
            on_save=Callback::new(save)
            on_qualify=Callback::new(move |_| deciding.set(Some("qualify")))
            refused=Signal::derive(move || result.get().and_then(|r| r.err()).and_then(|e| e.field_error("stage")))/> }}
        <section class="lead-body">
            <form class="lead-form" novalidate="" on:submit=move |ev| { ev.prevent_default(); save(BTreeMap::new()); }>
                {move || match result.get() {
                    Some(Ok(Saved::Queued)) => Some(view! { <p class="ok-box" role="status">"Saved on this device. It will sync when the network is back."</p> }.into_any()),
                    Some(Ok(_)) => Some(view! { <p class="ok-box" role="status">"Saved."</p> }.into_any()),
                    Some(Err(AppError::Conflict(list))) => Some(view! { <Conflicts list=list base=base edited=edited/> }.into_any()),
                    Some(Err(AppError::Invalid(_))) => Some(view! { <p class="error-box" role="alert">"Please correct the highlighted fields."</p> }.into_any()),
                    Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
                    None => None,
                }}
                {(!can_edit).then(|| view! { <p class="note">"You can view this lead but not change it."</p> })}
                {Group::ALL.into_iter().map(|g| {
                    let owners = owners.clone();
                    view! {
                        <fieldset>
                            <legend>{g.label()}</legend>
                            {in_group(g).map(|spec| {
                                let key = spec.key;
                                let disabled = !can_edit || (key == "owner_id" && !detail.can_reassign);
                                view! {
                                    <FieldInput spec=spec name=key
                                        value=Signal::derive(move || edited.with(|e| e.get(key).cloned().unwrap_or_default()))
                                        error=err(key) disabled=disabled owners=owners.clone()
                                        on_change=Callback::new(move |v: String| { edited.update(|e| { e.insert(key.to_string(), v); }); result.set(None); })/>
                                }
                            }).collect_view()}
                        </fieldset>
                    }
                }).collect_view()}
                {can_edit.then(|| view! {
                    <div class="actions">
                        <button type="submit" disabled=move || saving.get() || !dirty()>{move || if saving.get() { "Saving…" } else { "Save" }}</button>
                        <button type="button" class="secondary" disabled=move || !dirty() on:click=move |_| { edited.set(base.get_untracked().values); result.set(None); }>"Discard changes"</button>
                    </div>
                })}
            </form>
            <crate::components::deal::DealPeoplePanel kind="lead" record=detail.id can_edit=can_edit
                can_manage=Signal::derive(move || o.me.get().is_some_and(|m| m.role != crate::domain::access::Role::Seller))/>
            <crate::components::timeline::Timeline lead=detail.id/>
            {detail.can_delete.then(|| view! {
                <ActionForm action=delete attr:class="danger-zone">
                    <input type="hidden" name="id" value=detail.id.to_string()/>
                    <button type="submit" class="danger">"Delete lead"</button>
                </ActionForm>
            })}
        </section>
    }
}

/// Someone else changed these fields first: show their value and let the person choose per field.
#[component]
fn Conflicts(
    list: Vec<ConflictView>,
    base: RwSignal<LeadDetail>,
    edited: RwSignal<BTreeMap<String, String>>,
) -> impl IntoView {
    let open = RwSignal::new(list.iter().map(|c| c.conflict.field.clone()).collect::<Vec<_>>());
    view! {
        <div class="conflict-box" role="alert">
            <p><strong>"Someone else changed this lead while you were editing."</strong>" Choose what to keep, then save again."</p>
            <ul>
                {list.into_iter().map(|c| {
                    let field = c.conflict.field.clone();
                    let (f1, f2, f3) = (field.clone(), field.clone(), field.clone());
                    let theirs = c.conflict.theirs.clone();
                    let version = c.conflict.their_version;
                    let shown = |v: &str| if v.is_empty() { "(empty)".to_string() } else { v.to_string() };
                    view! {
                        <li hidden=move || !open.get().contains(&f1)>
                            <p>{format!("{}: {} changed it to “{}”", c.label, c.by_name, shown(&c.their_value_shown))}
                               {(!c.at_shown.is_empty()).then(|| format!(" at {}", c.at_shown))}
                               {format!(". Your value: “{}”.", shown(&c.conflict.yours))}</p>
                            <button type="button" on:click=move |_| {
                                // Keep mine: rebase my value on their version; the next save overwrites knowingly.
                                base.update(|b| { b.versions.insert(f2.clone(), version); });
                                open.update(|o| o.retain(|x| x != &f2));
                            }>{format!("Keep mine ({})", c.label)}</button>
                            <button type="button" class="secondary" on:click=move |_| {
                                base.update(|b| { b.versions.insert(f3.clone(), version); b.values.insert(f3.clone(), theirs.clone()); });
                                edited.update(|e| { e.insert(f3.clone(), theirs.clone()); });
                                open.update(|o| o.retain(|x| x != &f3));
                            }>{format!("Use theirs ({})", c.label)}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
}

fn copy_of(d: &LeadDetail) -> LeadCopy {
    LeadCopy {
        id: d.id,
        version: d.version,
        fields: d
            .values
            .iter()
            .map(|(k, v)| (k.clone(), (v.clone(), d.versions.get(k).copied().unwrap_or(1))))
            .collect(),
        state: d.state.as_str().to_string(),
        updated_at: d.updated_at,
    }
}

/// A field's text; missing reads as empty.
fn v<'a>(d: &'a LeadDetail, key: &str) -> &'a str {
    d.values.get(key).map(String::as_str).unwrap_or("")
}

/// The process definitions; kept on this device so the stage bar works offline too.
async fn processes_here() -> Vec<Process> {
    const KEY: &str = "prospecta.processes";
    match list_processes().await {
        Ok(list) => {
            #[cfg(feature = "hydrate")]
            {
                use gloo_storage::Storage;
                let _ = gloo_storage::LocalStorage::set(KEY, &list);
            }
            list
        }
        Err(_) => {
            #[cfg(feature = "hydrate")]
            {
                use gloo_storage::Storage;
                gloo_storage::LocalStorage::get(KEY).unwrap_or_default()
            }
            #[cfg(not(feature = "hydrate"))]
            {
                let _ = KEY;
                Vec::new()
            }
        }
    }
}
