//! Opportunities: the list (my open, team open, closed) and one opportunity with its process, where the
//! lead's Qualify stage stays readable, and the lead's timeline.

use crate::api::leads::get_lead;
use crate::api::opportunities::{get_opportunity, list_opportunities, list_processes};
use crate::components::message::ErrorMessage;
use crate::components::stage_bar::StageBar;
use crate::domain::process::Record;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

const VIEWS: [(&str, &str); 3] = [("mine", "My open opportunities"), ("team", "Open opportunities (team)"), ("closed", "Closed opportunities")];

#[component]
pub fn OpportunitiesPage() -> impl IntoView {
    let params = use_query_map();
    let view_key = Memo::new(move |_| params.with(|p| p.get("view").filter(|v| VIEWS.iter().any(|(k, _)| k == v)).unwrap_or_else(|| "mine".into())));
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
        <Suspense fallback=|| view! { <p class="loading">"Loading opportunities…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"No opportunities here yet. Qualify a lead to create one."</p> }.into_any(),
                    Ok(rows) => view! {
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
                    }.into_any(),
                }
            })}
        </Suspense>
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
                let lead = lead.await;
                let processes = processes.await;
                // Steps read the lead's captured values, with the opportunity's own on top.
                let mut values = lead.as_ref().map(|l| l.values.clone()).unwrap_or_default();
                values.extend(o.values());
                values.insert("process_id".into(), o.process_id.clone());
                values.insert("stage".into(), o.stage.clone());
                values.insert("process_checks".into(), o.process_checks.clone());
                view! {
                    <header class="lead-head">
                        <h1>{o.topic.clone()}</h1>
                        <p class="sub">{format!("Opportunity · {}", if o.account_name.is_empty() { "no account".to_string() } else { o.account_name.clone() })}</p>
                        <dl class="facts">
                            <div><dt>"State"</dt><dd>{o.state.clone()}</dd></div>
                            <div><dt>"Estimated value"</dt><dd>{if o.estimated_value.is_empty() { "—".to_string() } else { o.estimated_value.clone() }}</dd></div>
                            <div><dt>"Contact"</dt><dd>{if o.contact_name.is_empty() { "—".to_string() } else { o.contact_name.clone() }}</dd></div>
                            <div><dt>"Owner"</dt><dd>{o.owner_name.clone()}</dd></div>
                        </dl>
                        <p><a href=format!("/leads/{}", o.lead_id)>"Originating lead"</a></p>
                    </header>
                    <StageBar processes=processes record=Record::Opportunity can_edit=false
                        values=Signal::derive(move || values.clone()) since=Signal::derive(move || o.stage_since)
                        on_edit=Callback::new(|_| ()) on_save=Callback::new(|_| ()) refused=Signal::derive(|| None::<String>)/>
                    <crate::components::deal::DealPeoplePanel kind="opportunity" record=o.id can_edit=false can_manage=false/>
                    <section class="lead-body">
                        <h2>"Timeline of the lead"</h2>
                        <crate::components::timeline::Timeline lead=o.lead_id/>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
