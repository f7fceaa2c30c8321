//! The shared competitor list: everyone reads it (strengths and weaknesses help on every deal); managers
//! and admins add competitors and edit them. A change sends only the fields that changed, so two people
//! editing different fields of one competitor both keep theirs.

use crate::api::deal::{competitor_list, save_deal_item};
use crate::components::message::ErrorMessage;
use crate::domain::mutation::{Entity, FieldChange, Mutation, Op};
use crate::error::AppError;
use crate::model::CompetitorView;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::BTreeMap;
use uuid::Uuid;

const FIELDS: [(&str, &str); 4] = [
    ("name", "Name"),
    ("website", "Website"),
    ("strengths", "Strengths"),
    ("weaknesses", "Weaknesses"),
];

fn values(c: &CompetitorView) -> BTreeMap<String, String> {
    [
        ("name", &c.name),
        ("website", &c.website),
        ("strengths", &c.strengths),
        ("weaknesses", &c.weaknesses),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.clone()))
    .collect()
}

/// Only what differs from what the form started from.
fn changed(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<FieldChange> {
    after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, v)| FieldChange {
            field: k.clone(),
            value: v.clone(),
            base_version: 0,
        })
        .collect()
}

async fn send(id: Uuid, op: Op) -> Result<(), AppError> {
    save_deal_item(Mutation {
        entity: Entity::Competitor,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: id,
        op,
    })
    .await
    .map(|_| ())
}

#[component]
pub fn CompetitorsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| competitor_list());
    view! {
        <h1>"Competitors"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                    Ok((list, can_manage)) => view! { <CompetitorList list can_manage/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CompetitorList(list: Vec<CompetitorView>, can_manage: bool) -> impl IntoView {
    let list = RwSignal::new(list);
    let notice = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<Uuid>);
    let adding = RwSignal::new(false);
    let reload = move || {
        spawn_local(async move {
            if let Ok((fresh, _)) = competitor_list().await {
                let _ = list.try_set(fresh);
            }
        })
    };
    let done = Callback::new(move |text: Option<String>| {
        editing.set(None);
        adding.set(false);
        if let Some(t) = text {
            notice.set(Some(t));
            reload();
        }
    });
    view! {
        {(!can_manage).then(|| view! { <p class="note">"Managers and admins keep this list; link competitors to a lead from its page."</p> })}
        {move || notice.get().map(|t| view! { <p class="ok-box" role="status">{t}</p> })}
        {move || {
            let rows = list.get();
            if rows.is_empty() {
                return view! { <p class="empty">"No competitors yet."</p> }.into_any();
            }
            view! {
                <ul class="competitors">
                    {rows.into_iter().map(|c| {
                        let id = c.id;
                        let name = c.name.clone();
                        view! {
                            <li class="item">
                                {move || if editing.get() == Some(id) {
                                    view! { <CompetitorForm existing=Some(c.clone()) on_done=done/> }.into_any()
                                } else {
                                    view! {
                                        <h2>{c.name.clone()}</h2>
                                        {(!c.website.is_empty()).then(|| view! { <p>{c.website.clone()}</p> })}
                                        <dl class="facts">
                                            <div><dt>"Strengths"</dt><dd>{if c.strengths.is_empty() { "—".to_string() } else { c.strengths.clone() }}</dd></div>
                                            <div><dt>"Weaknesses"</dt><dd>{if c.weaknesses.is_empty() { "—".to_string() } else { c.weaknesses.clone() }}</dd></div>
                                        </dl>
                                        {can_manage.then(|| {
                                            let name = name.clone();
                                            view! { <button type="button" aria-label=format!("Edit {name}") on:click=move |_| { notice.set(None); editing.set(Some(id)) }>"Edit"</button> }
                                        })}
                                    }.into_any()
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        {can_manage.then(|| view! {
            {move || if adding.get() {
                view! { <CompetitorForm existing=None on_done=done/> }.into_any()
            } else {
                view! { <button type="button" on:click=move |_| { notice.set(None); adding.set(true) }>"Add a competitor"</button> }.into_any()
            }}
        })}
    }
}

/// Adds a competitor, or edits one (only the changed fields are sent).
#[component]
fn CompetitorForm(existing: Option<CompetitorView>, on_done: Callback<Option<String>>) -> impl IntoView {
    let before = existing
        .as_ref()
        .map(values)
        .unwrap_or_else(|| FIELDS.iter().map(|(k, _)| (k.to_string(), String::new())).collect());
    let form = RwSignal::new(before.clone());
    let failed = RwSignal::new(None::<AppError>);
    let id = existing.as_ref().map(|c| c.id);
    let title = match &existing {
        Some(c) => format!("Edit {}", c.name),
        None => "New competitor".to_string(),
    };
    let save = move |_| {
        let after = form.get_untracked();
        let name = after.get("name").cloned().unwrap_or_default();
        let (target, op) = match id {
            Some(id) => (
                id,
                Op::Update {
                    changes: changed(&before, &after),
                },
            ),
            None => (Uuid::now_v7(), Op::Create { fields: after }),
        };
        if let Op::Update { changes } = &op {
            if changes.is_empty() {
                on_done.run(None);
                return;
            }
        }
        failed.set(None);
        spawn_local(async move {
            match send(target, op).await {
                Ok(()) => {
                    on_done.try_run(Some(format!("“{}” saved.", name.trim())));
                }
                Err(e) => {
                    let _ = failed.try_set(Some(e));
                }
            }
        });
    };
    let field_error = move |key: &'static str| move || failed.with(|f| f.as_ref().and_then(|e| e.field_error(key)));
    view! {
        <fieldset class="competitor-form">
            <legend>{title}</legend>
            {FIELDS.into_iter().map(|(key, label)| {
                let id = format!("cf-{key}");
                let value = form.with_untracked(|f| f.get(key).cloned().unwrap_or_default());
                let input = move |ev| { let v = event_target_value(&ev); form.update_untracked(|f| { f.insert(key.to_string(), v); }); };
                let long = key == "strengths" || key == "weaknesses";
                view! {
                    <div class="field">
                        <label for=id.clone()>{format!("Competitor {}", label.to_lowercase())}</label>
                        {if long {
                            view! { <textarea id=id.clone() rows="3" on:input=input>{value}</textarea> }.into_any()
                        } else {
                            view! { <input id=id.clone() value=value on:input=input/> }.into_any()
                        }}
                        {move || field_error(key)().map(|m| view! { <p class="field-error">{m}</p> })}
                    </div>
                }
            }).collect_view()}
            {move || failed.get().filter(|e| !matches!(e, AppError::Invalid(_))).map(|e| view! { <ErrorMessage error=e/> })}
            <div class="actions">
                <button type="button" on:click=save>"Save competitor"</button>
                <button type="button" class="secondary" on:click=move |_| on_done.run(None)>"Cancel"</button>
            </div>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_fields_are_sent() {
        let c = CompetitorView {
            id: Uuid::now_v7(),
            name: "Cafés Rival".into(),
            website: "rival.es".into(),
            strengths: "Cheap".into(),
            weaknesses: String::new(),
        };
        let before = values(&c);
        let mut after = before.clone();
        after.insert("weaknesses".into(), "Slow service".into());
        let sent = changed(&before, &after);
        assert_eq!(sent.len(), 1);
        assert_eq!(
            (sent[0].field.as_str(), sent[0].value.as_str()),
            ("weaknesses", "Slow service")
        );
    }
}
