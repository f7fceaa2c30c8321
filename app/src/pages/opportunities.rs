//! Opportunities: the list (my open, team open, closed) and one opportunity with its process, where the
//! lead's Qualify stage stays readable, and the lead's timeline.

use crate::api::deal::people_of_deal;
use crate::api::leads::get_lead;
use crate::api::opportunities::{get_opportunity, list_opportunities, list_processes, save_opportunity};
use crate::components::field::FieldInput;
use crate::components::list::LoadedList;
use crate::components::message::ErrorMessage;
use crate::components::stage_bar::StageBar;
use crate::domain::mutation::{Entity, FieldChange, Mutation, Op};
use crate::domain::opportunity;
use crate::domain::process::{Process, Record};
use crate::error::AppError;
use crate::model::{OpportunityView, Saved};
use crate::offline::{self, use_offline};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;
use uuid::Uuid;

const VIEWS: [(&str, &str); 3] = [
    ("mine", "My open opportunities"),
    ("team", "Open opportunities (team)"),
    ("closed", "Closed opportunities"),
];

#[component]
pub fn OpportunitiesPage() -> impl IntoView {
    let params = use_query_map();
    let view_key = Memo::new(move |_| {
        params.with(|p| {
            p.get("view")
                .filter(|v| VIEWS.iter().any(|(k, _)| k == v))
                .unwrap_or_else(|| "mine".into())
        })
    });
    let list = Resource::new(move || view_key.get(), list_opportunities);
    view! {
        <div class="list-head">
            <h1>{move || VIEWS.iter().find(|(k, _)| *k == view_key.get()).map(|(_, l)| *l).unwrap_or("Opportunities")}</h1>
        </div>
        <nav class="tabs" aria-label="Opportunity views">
            {VIEWS.into_iter().map(|(k, label)| view! {
                <a href=format!("/opportunities?view={k}") aria-current=move || (view_key.get() == k).then_some("page")>{label}</a>
            }).collect_view()}
        </nav>
        <LoadedList list=list loading="Loading opportunities…"
            empty="No opportunities here yet. Qualify a lead to create one."
            rows=move |rows| view! {
                <table class="leads">
                    <thead><tr><th>"Topic"</th><th>"Account"</th><th>"Est. value"</th><th>"Stage"</th><th>"State"</th><th>"Owner"</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr>
                                <td data-label="Topic"><a href=format!("/opportunities/{}", r.id)>{r.topic}</a></td>
                                <td data-label="Account">{r.account_name}</td>
                                <td data-label="Est. value">{r.estimated_value}</td>
                                <td data-label="Stage">{r.stage}</td>
                                <td data-label="State">{r.state}</td>
                                <td data-label="Owner">{r.owner_name}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }/>
    }
}

#[component]
pub fn OpportunityPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let opp = Resource::new(id, get_opportunity);
    // The lead it came from: its Qualify stage and captured values stay readable here.
    let lead = Resource::new(id, |id| async move {
        match get_opportunity(id).await {
            Ok(o) => get_lead(o.lead_id.to_string()).await.ok(),
            Err(_) => None,
        }
    });
    let processes = Resource::new(|| (), |_| async { list_processes().await.unwrap_or_default() });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading opportunity…"</p> }>
            {move || Suspend::new(async move {
                let o = match opp.await {
                    Err(e) => return view! { <ErrorMessage error=e/> }.into_any(),
                    Ok(o) => o,
                };
                let lead_values = lead.await.map(|l| l.values).unwrap_or_default();
                let processes = processes.await;
                view! { <OpportunityBody opp=o lead_values=lead_values processes=processes/> }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn OpportunityBody(
    opp: OpportunityView,
    lead_values: BTreeMap<String, String>,
    processes: Vec<Process>,
) -> impl IntoView {
    let o = use_offline();
    let base = RwSignal::new(opp.clone());
    let edited = RwSignal::new(opp.values());
    let result: RwSignal<Option<Result<Saved, AppError>>> = RwSignal::new(None);
    let closing = RwSignal::new(false);
    let send = move |op: Op| {
        let b = base.get_untracked();
        let m = Mutation {
            entity: Entity::Opportunity,
            client_id: Uuid::now_v7(),
            seq: 1,
            record_id: b.id,
            op,
        };
        leptos::task::spawn_local(async move {
            let r = offline::save_or_queue(o, m, save_opportunity).await;
            if matches!(r, Ok(Saved::Applied { .. })) {
                if let Ok(fresh) = get_opportunity(b.id.to_string()).await {
                    edited.try_set(fresh.values());
                    base.try_set(fresh);
                }
            }
            result.try_set(Some(r));
        });
    };
    let save = move |extra: BTreeMap<String, String>| {
        edited.update(|e| e.extend(extra));
        let b = base.get_untracked();
        let now = b.values();
        let changes: Vec<FieldChange> = edited.with_untracked(|e| {
            opportunity::FIELDS
                .iter()
                .filter(|s| e.get(s.key) != now.get(s.key))
                .map(|s| FieldChange {
                    field: s.key.into(),
                    value: e.get(s.key).cloned().unwrap_or_default(),
                    base_version: b.versions.get(s.key).copied().unwrap_or(1),
                })
                .collect()
        });
        if !changes.is_empty() {
            send(Op::Update { changes });
        }
    };
    let err = move |key: &'static str| {
        Signal::derive(move || result.get().and_then(|r| r.err()).and_then(|e| e.field_error(key)))
    };
    let can_edit = opp.can_edit;
    let values = Signal::derive(move || {
        let mut v = lead_values.clone();
        v.extend(edited.get());
        v.insert("process_id".into(), base.with(|b| b.process_id.clone()));
        v
    });
    view! {
        <header class="lead-head">
            <h1>{move || base.with(|b| b.topic.clone())}</h1>
            <p class="sub">{move || base.with(|b| format!("Opportunity · {}", if b.account_name.is_empty() { "no account".to_string() } else { b.account_name.clone() }))}</p>
            <dl class="facts">
                <div><dt>"State"</dt><dd>{move || base.with(|b| if b.close_reason.is_empty() { b.state.clone() } else { format!("{} ({})", b.state, b.close_reason) })}</dd></div>
                <div><dt>"Estimated value"</dt><dd>{move || base.with(|b| if b.estimated_value.is_empty() { "—".to_string() } else { b.estimated_value.clone() })}</dd></div>
                <div><dt>"Contact"</dt><dd>{if opp.contact_name.is_empty() { "—".to_string() } else { opp.contact_name.clone() }}</dd></div>
                <div><dt>"Owner"</dt><dd>{opp.owner_name.clone()}</dd></div>
            </dl>
            <p><a href=format!("/leads/{}", opp.lead_id)>"Originating lead"</a></p>
        </header>
        <crate::components::message::SaveOutcome result=result/>
        {(can_edit).then(|| view! {
            <div class="decisions">
                <button type="button" on:click=move |_| send(Op::Close { won: true, reason: String::new(), winner: None })>"Close as won"</button>
                <button type="button" class="secondary" on:click=move |_| closing.set(true)>"Close as lost"</button>
            </div>
        })}
        {move || closing.get().then(|| view! { <LostPanel opp=opp.id on_close=Callback::new(move |(reason, winner)| { closing.set(false); send(Op::Close { won: false, reason, winner }); })/> })}
        <StageBar processes=processes record=Record::Opportunity can_edit=can_edit values=values
            since=Signal::derive(move || base.with(|b| b.stage_since))
            on_edit=Callback::new(move |(k, v): (String, String)| { edited.update(|e| { e.insert(k, v); }); result.set(None); })
            on_save=Callback::new(save)
            refused=Signal::derive(move || result.get().and_then(|r| r.err()).and_then(|e| e.field_error("stage")))/>
        <form class="lead-form" novalidate="" on:submit=move |ev| { ev.prevent_default(); save(BTreeMap::new()); }>
            <fieldset>
                <legend>"Opportunity"</legend>
                {opportunity::FIELDS.iter().filter(|s| !matches!(s.key, "stage" | "process_checks")).map(|spec| {
                    let key = spec.key;
                    view! {
                        <FieldInput spec=spec name=key id_prefix="opp-" disabled=!can_edit error=err(key)
                            value=Signal::derive(move || edited.with(|e| e.get(key).cloned().unwrap_or_default()))
                            on_change=Callback::new(move |v: String| { edited.update(|e| { e.insert(key.to_string(), v); }); result.set(None); })/>
                    }
                }).collect_view()}
            </fieldset>
            {can_edit.then(|| view! { <div class="actions"><button type="submit">"Save"</button></div> })}
        </form>
        <crate::components::deal::DealPeoplePanel kind="opportunity" record=opp.id can_edit=false can_manage=false/>
        <section class="lead-body">
            <h2>"Timeline of the lead"</h2>
            <crate::components::timeline::Timeline lead=opp.lead_id/>
        </section>
    }
}

/// Why it was lost, and who won when it was a competitor of this deal.
#[component]
fn LostPanel(opp: Uuid, on_close: Callback<(String, Option<Uuid>)>) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let winner = RwSignal::new(String::new());
    let rivals = RwSignal::new(Vec::<(Uuid, String)>::new());
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(p) = people_of_deal("opportunity".into(), opp.to_string()).await {
                rivals.try_set(p.competitors.into_iter().map(|c| (c.competitor_id, c.name)).collect());
            }
        });
    });
    view! {
        <section class="decide" role="dialog" aria-label="Close as lost">
            <h2>"Close as lost"</h2>
            <div class="field">
                <label for="lost-reason">"Why was it lost?"</label>
                <select id="lost-reason" on:change=move |ev| reason.set(event_target_value(&ev))>
                    <option value="">"Choose a reason"</option>
                    {opportunity::LOST_REASONS.iter().map(|r| view! { <option value=*r>{*r}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="lost-winner">"Who won?"</label>
                <select id="lost-winner" on:change=move |ev| winner.set(event_target_value(&ev))>
                    <option value="">"Unknown or nobody"</option>
                    {move || rivals.get().into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                </select>
            </div>
            <div class="actions">
                <button type="button" class="danger" disabled=move || reason.with(String::is_empty)
                    on:click=move |_| on_close.run((reason.get_untracked(), Uuid::parse_str(&winner.get_untracked()).ok()))>"Close as lost"</button>
            </div>
        </section>
    }
}
