//! Accounts and contacts: a searchable list with a form for a new one, and a page to view and edit one
//! (an account also lists its contacts and opportunities). One pair of components serves both kinds.

use crate::api::customers::{list_accounts, list_contacts, load_customer, save_customer};
use crate::components::field::FieldInput;
use crate::components::list::LoadedList;
use crate::components::message::ErrorMessage;
use crate::domain::customers::{ACCOUNT_FIELDS, CONTACT_FIELDS};
use crate::domain::fields::FieldSpec;
use crate::domain::mutation::{Entity, FieldChange, Mutation, Op};
use crate::error::AppError;
use crate::model::{CustomerPage, Saved};
use crate::offline::{self, use_offline};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Account,
    Contact,
}

impl Kind {
    fn entity(self) -> Entity {
        if self == Kind::Account {
            Entity::Account
        } else {
            Entity::Contact
        }
    }
    fn slug(self) -> &'static str {
        if self == Kind::Account {
            "account"
        } else {
            "contact"
        }
    }
    fn plural(self) -> &'static str {
        if self == Kind::Account {
            "Accounts"
        } else {
            "Contacts"
        }
    }
    fn specs(self) -> &'static [FieldSpec] {
        if self == Kind::Account {
            ACCOUNT_FIELDS
        } else {
            CONTACT_FIELDS
        }
    }
}

/// Saves one account or contact change; offline it waits in the outbox.
async fn send(o: offline::Offline, entity: Entity, id: Uuid, op: Op) -> Result<Saved, AppError> {
    let m = Mutation {
        entity,
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: id,
        op,
    };
    offline::save_or_queue(o, m, save_customer).await
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    view! { <CustomerList kind=Kind::Account/> }
}

#[component]
pub fn ContactsPage() -> impl IntoView {
    view! { <CustomerList kind=Kind::Contact/> }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    view! { <CustomerDetail kind=Kind::Account/> }
}

#[component]
pub fn ContactPage() -> impl IntoView {
    view! { <CustomerDetail kind=Kind::Contact/> }
}

#[component]
fn CustomerList(kind: Kind) -> impl IntoView {
    let params = use_query_map();
    let q = Memo::new(move |_| params.with(|p| p.get("q").unwrap_or_default()));
    let rows = Resource::new(
        move || q.get(),
        move |q| async move {
            match kind {
                Kind::Account => list_accounts(q).await.map(|l| {
                    l.into_iter()
                        .map(|a| (a.id, a.name, format!("{} {}", a.city, a.website).trim().to_string()))
                        .collect::<Vec<_>>()
                }),
                Kind::Contact => list_contacts(q).await.map(|l| {
                    l.into_iter()
                        .map(|c| {
                            (
                                c.id,
                                c.name,
                                format!("{} {}", c.email, c.account_name).trim().to_string(),
                            )
                        })
                        .collect::<Vec<_>>()
                }),
            }
        },
    );
    let o = use_offline();
    let navigate = leptos_router::hooks::use_navigate();
    let new_values = RwSignal::new(BTreeMap::<String, String>::new());
    let result = RwSignal::new(None::<Result<Saved, AppError>>);
    let create = move |_| {
        let id = Uuid::now_v7();
        let fields = new_values
            .get_untracked()
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let r = send(o, kind.entity(), id, Op::Create { fields }).await;
            if matches!(r, Ok(Saved::Applied { .. })) {
                navigate(&format!("/{}s/{id}", kind.slug()), Default::default());
            } else {
                result.try_set(Some(r));
            }
        });
    };
    let err = move |key: &'static str| {
        Signal::derive(move || result.get().and_then(|r| r.err()).and_then(|e| e.field_error(key)))
    };
    view! {
        <div class="list-head"><h1>{kind.plural()}</h1></div>
        <form method="GET" action=format!("/{}s", kind.slug()) role="search" class="filters">
            <div class="field grow">
                <label for="cq">{format!("Search {}", kind.plural().to_lowercase())}</label>
                <input id="cq" type="search" name="q" value=q.get_untracked()/>
            </div>
            <button type="submit">"Search"</button>
        </form>
        <LoadedList list=rows loading="Loading…"
            empty="Nothing found."
            rows=move |list| view! {
                <ul class="plain people" aria-label=kind.plural()>
                    {list.into_iter().map(|(id, name, more)| view! {
                        <li><a href=format!("/{}s/{id}", kind.slug())>{name}</a>{(!more.is_empty()).then(|| format!(" · {more}"))}</li>
                    }).collect_view()}
                </ul>
            }/>
        <fieldset class="add-person">
            <legend>{format!("New {}", kind.slug())}</legend>
            {kind.specs().iter().map(|spec| {
                let key = spec.key;
                view! {
                    <FieldInput spec=spec name=key id_prefix="new-" error=err(key)
                        value=Signal::derive(move || new_values.with(|v| v.get(key).cloned().unwrap_or_default()))
                        on_change=Callback::new(move |v: String| new_values.update(|m| { m.insert(key.to_string(), v); }))/>
                }
            }).collect_view()}
            <crate::components::message::SaveOutcome result=result/>
            <button type="button" on:click=create>{format!("Create {}", kind.slug())}</button>
        </fieldset>
    }
}

#[component]
fn CustomerDetail(kind: Kind) -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let page = Resource::new(id, move |id| load_customer(kind.slug().to_string(), id));
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                    Ok(p) => view! { <CustomerForm kind=kind page=p/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CustomerForm(kind: Kind, page: CustomerPage) -> impl IntoView {
    let o = use_offline();
    let base = RwSignal::new(page.clone());
    let edited = RwSignal::new(page.values.clone());
    let result = RwSignal::new(None::<Result<Saved, AppError>>);
    let title = move || {
        base.with(|b| match kind {
            Kind::Account => b.values.get("name").cloned().unwrap_or_default(),
            Kind::Contact => crate::domain::lead::full_name(
                b.values.get("first_name").map(String::as_str).unwrap_or(""),
                b.values.get("last_name").map(String::as_str).unwrap_or(""),
            ),
        })
    };
    let save = move |_| {
        let b = base.get_untracked();
        let changes: Vec<FieldChange> = edited.with_untracked(|e| {
            kind.specs()
                .iter()
                .filter(|s| e.get(s.key) != b.values.get(s.key))
                .map(|s| FieldChange {
                    field: s.key.into(),
                    value: e.get(s.key).cloned().unwrap_or_default(),
                    base_version: b.versions.get(s.key).copied().unwrap_or(1),
                })
                .collect()
        });
        if changes.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            let r = send(o, kind.entity(), b.id, Op::Update { changes }).await;
            if matches!(r, Ok(Saved::Applied { .. })) {
                if let Ok(fresh) = load_customer(kind.slug().to_string(), b.id.to_string()).await {
                    edited.try_set(fresh.values.clone());
                    base.try_set(fresh);
                }
            }
            result.try_set(Some(r));
        });
    };
    let err = move |key: &'static str| {
        Signal::derive(move || result.get().and_then(|r| r.err()).and_then(|e| e.field_error(key)))
    };
    let can_edit = page.can_edit;
    view! {
        <header class="lead-head"><h1>{title}</h1><p class="sub">{if kind == Kind::Account { "Account" } else { "Contact" }}</p></header>
        <form class="lead-form" novalidate="" on:submit=move |ev| { ev.prevent_default(); save(()); }>
            <crate::components::message::SaveOutcome result=result/>
            <fieldset>
                <legend>{if kind == Kind::Account { "Account" } else { "Contact" }}</legend>
                {kind.specs().iter().map(|spec| {
                    let key = spec.key;
                    view! {
                        <FieldInput spec=spec name=key disabled=!can_edit error=err(key)
                            value=Signal::derive(move || edited.with(|e| e.get(key).cloned().unwrap_or_default()))
                            on_change=Callback::new(move |v: String| { edited.update(|e| { e.insert(key.to_string(), v); }); result.set(None); })/>
                    }
                }).collect_view()}
            </fieldset>
            {can_edit.then(|| view! { <div class="actions"><button type="submit">"Save"</button></div> })}
        </form>
        {(kind == Kind::Account).then(|| view! {
            <section class="deal" aria-labelledby="acc-contacts-h">
                <h2 id="acc-contacts-h">"Contacts"</h2>
                {if page.contacts.is_empty() { view! { <p class="empty">"No contacts yet."</p> }.into_any() } else { view! {
                    <ul class="plain people" aria-label="Contacts of this account">
                        {page.contacts.iter().map(|c| view! { <li><a href=format!("/contacts/{}", c.id)>{c.name.clone()}</a>{(!c.email.is_empty()).then(|| format!(" · {}", c.email))}</li> }).collect_view()}
                    </ul>
                }.into_any() }}
            </section>
            <section class="deal" aria-labelledby="acc-opps-h">
                <h2 id="acc-opps-h">"Opportunities"</h2>
                {if page.opportunities.is_empty() { view! { <p class="empty">"No opportunities yet."</p> }.into_any() } else { view! {
                    <ul class="plain people" aria-label="Opportunities of this account">
                        {page.opportunities.iter().map(|o| view! { <li><a href=format!("/opportunities/{}", o.id)>{o.topic.clone()}</a>{format!(" · {} · {}", o.stage, o.state)}</li> }).collect_view()}
                    </ul>
                }.into_any() }}
            </section>
        })}
    }
}
