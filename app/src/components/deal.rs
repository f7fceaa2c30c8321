//! Stakeholders and competitors of a lead (read-only on an opportunity for now). Loaded once the page is
//! interactive; every change is a mutation sent through `save_deal_item`, or queued offline.

use crate::api::deal::{find_contacts, list_competitors, people_of_deal, save_deal_item};
use crate::domain::mutation::{Entity, FieldChange, Mutation, Op};
use crate::domain::opportunity::StakeholderRole;
use crate::model::{CompetitorView, ContactView, DealPeople, Saved};
use crate::offline::{self, is_network, use_offline, Offline};
use leptos::prelude::*;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Clone, Copy)]
struct Deal {
    kind: &'static str,
    record: Uuid,
    o: Offline,
    people: RwSignal<Option<DealPeople>>,
    rivals: RwSignal<Vec<CompetitorView>>,
    message: RwSignal<Option<String>>,
    offline: RwSignal<bool>,
}

impl Deal {
    async fn reload(self) {
        let p = people_of_deal(self.kind.to_string(), self.record.to_string()).await;
        let r = list_competitors().await;
        if self.people.is_disposed() {
            return;
        }
        match p {
            Ok(p) => self.people.set(Some(p)),
            Err(e) if is_network(&e) => self.offline.set(true),
            Err(e) => self.message.set(Some(e.to_string())),
        }
        if let Ok(r) = r {
            self.rivals.set(r);
        }
    }

    /// Sends one change; reloads after it applied, says so when it waits on this device.
    fn send(self, entity: Entity, record: Uuid, op: Op) {
        leptos::task::spawn_local(async move {
            let m = Mutation {
                entity,
                client_id: Uuid::now_v7(),
                seq: 1,
                record_id: record,
                op,
            };
            let r = offline::save_or_queue(self.o, m, save_deal_item)
                .await
                .map(|s| s != Saved::Queued);
            if self.people.is_disposed() {
                return;
            }
            match r {
                Ok(true) => {
                    self.message.set(None);
                    self.reload().await;
                }
                Ok(false) => self.message.set(Some(
                    "Saved on this device; it will sync when the network is back.".into(),
                )),
                Err(e) => self.message.set(Some(e.describe())),
            }
        });
    }
}

fn fields(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[component]
pub fn DealPeoplePanel(
    /// "lead" or "opportunity".
    kind: &'static str,
    record: Uuid,
    can_edit: bool,
    /// Managers and admins may add to the shared competitor list.
    #[prop(into)]
    can_manage: Signal<bool>,
) -> impl IntoView {
    let d = Deal {
        kind,
        record,
        o: use_offline(),
        people: RwSignal::new(None),
        rivals: RwSignal::new(Vec::new()),
        message: RwSignal::new(None),
        offline: RwSignal::new(false),
    };
    Effect::new(move |_| leptos::task::spawn_local(d.reload()));
    view! {
        <section class="deal" aria-labelledby="stakeholders-h">
            <h2 id="stakeholders-h">"Stakeholders"</h2>
            {move || match d.people.get() {
                None => view! { <p class="loading">"Loading…"</p> }.into_any(),
                Some(p) if p.stakeholders.is_empty() => view! { <p class="empty">"No stakeholders yet."</p> }.into_any(),
                Some(p) => view! {
                    <ul class="plain people" aria-label="Stakeholders">
                        {p.stakeholders.into_iter().map(|s| {
                            let id = s.id;
                            let name = s.name.clone();
                            view! {
                                <li>
                                    <strong>{s.name.clone()}</strong>
                                    {(!s.job_title.is_empty()).then(|| format!(" · {}", s.job_title))}
                                    {(!s.email.is_empty()).then(|| format!(" · {}", s.email))}
                                    {if can_edit {
                                        view! {
                                            <div class="row">
                                                <select aria-label=format!("Role of {name}") on:change=move |ev| {
                                                    let value = event_target_value(&ev);
                                                    d.send(Entity::Stakeholder, id, Op::Update { changes: vec![FieldChange { field: "role".into(), value, base_version: 0 }] });
                                                }>
                                                    {StakeholderRole::ALL.into_iter().map(|r| view! { <option value=r.label() selected=r.label() == s.role>{r.label()}</option> }).collect_view()}
                                                </select>
                                                <button type="button" class="secondary" aria-label=format!("Remove {name}") on:click=move |_| d.send(Entity::Stakeholder, id, Op::Delete)>"Remove"</button>
                                            </div>
                                        }.into_any()
                                    } else {
                                        view! { <span>{format!(" · {}", s.role)}</span> }.into_any()
                                    }}
                                    {(!s.note.is_empty()).then(|| view! { <p class="note">{s.note.clone()}</p> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            {move || d.offline.get().then(|| view! { <p class="note">"Offline: stakeholders and competitors show again when the network is back."</p> })}
            {can_edit.then(|| view! { <Toggle label="Add a stakeholder"><AddStakeholder d=d/></Toggle> })}
        </section>
        <section class="deal" aria-labelledby="competitors-h">
            <h2 id="competitors-h">"Competitors"</h2>
            {move || match d.people.get() {
                None => view! { <p class="loading">"Loading…"</p> }.into_any(),
                Some(p) if p.competitors.is_empty() => view! { <p class="empty">"No competitors yet."</p> }.into_any(),
                Some(p) => view! {
                    <ul class="plain people" aria-label="Competitors">
                        {p.competitors.into_iter().map(|c| {
                            let id = c.id;
                            view! {
                                <li>
                                    <strong>{c.name.clone()}</strong>
                                    {(!c.note.is_empty()).then(|| format!(" · {}", c.note))}
                                    {can_edit.then(|| view! { <button type="button" class="secondary" aria-label=format!("Remove {}", c.name) on:click=move |_| d.send(Entity::DealCompetitor, id, Op::Delete)>"Remove"</button> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            {can_edit.then(|| view! { <Toggle label="Add a competitor"><AddCompetitor d=d can_manage=can_manage/></Toggle> })}
            {move || d.message.get().map(|m| view! { <p class="note" role="status">{m}</p> })}
        </section>
    }
}

/// A button that shows its form only when asked, so the lead page stays short (on a phone especially).
#[component]
fn Toggle(label: &'static str, children: ChildrenFn) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <button type="button" class="secondary" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>{label}</button>
        {move || open.get().then(|| children())}
    }
}

#[component]
fn AddStakeholder(d: Deal) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let found = RwSignal::new(Vec::<ContactView>::new());
    let picked = RwSignal::new(None::<ContactView>);
    let (first, last, email, title) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let role = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let search = move |q: String| {
        query.set(q.clone());
        leptos::task::spawn_local(async move {
            if let Ok(list) = find_contacts(q).await {
                found.try_set(list);
            }
        });
    };
    let add = move |_| {
        let mut f = fields(&[
            ("lead_id", d.record.to_string()),
            ("role", role.get_untracked()),
            ("note", note.get_untracked()),
        ]);
        match picked.get_untracked() {
            Some(c) => {
                f.insert("contact_id".into(), c.id.to_string());
            }
            None => f.extend(fields(&[
                ("new_contact_id", Uuid::now_v7().to_string()),
                ("first_name", first.get_untracked()),
                ("last_name", last.get_untracked()),
                ("email", email.get_untracked()),
                ("job_title", title.get_untracked()),
            ])),
        }
        d.send(Entity::Stakeholder, Uuid::now_v7(), Op::Create { fields: f });
        for s in [first, last, email, title, note, query] {
            s.set(String::new());
        }
        picked.set(None);
        found.set(Vec::new());
    };
    view! {
        <fieldset class="add-person">
            <legend>"Add a stakeholder"</legend>
            <div class="field">
                <label for="sh-find">"Find a contact"</label>
                <input id="sh-find" type="search" placeholder="Name or email" prop:value=move || query.get() on:input=move |ev| search(event_target_value(&ev))/>
            </div>
            {move || (picked.get().is_none() && !found.get().is_empty()).then(|| view! {
                <ul class="plain" aria-label="Contacts found">
                    {found.get().into_iter().map(|c| {
                        let label = format!("Pick {}{}", c.name, if c.email.is_empty() { String::new() } else { format!(" ({})", c.email) });
                        view! { <li><button type="button" class="secondary" on:click=move |_| picked.set(Some(c.clone()))>{label}</button></li> }
                    }).collect_view()}
                </ul>
            })}
            {move || match picked.get() {
                Some(c) => view! {
                    <p role="status">{format!("Picked: {}", c.name)}" "<button type="button" class="link" on:click=move |_| picked.set(None)>"Pick someone else"</button></p>
                }.into_any(),
                None => view! {
                    <p class="note">"Or a new contact:"</p>
                    <div class="field"><label for="sh-first">"Stakeholder first name"</label><input id="sh-first" prop:value=move || first.get() on:input=move |ev| first.set(event_target_value(&ev))/></div>
                    <div class="field"><label for="sh-last">"Stakeholder last name"</label><input id="sh-last" prop:value=move || last.get() on:input=move |ev| last.set(event_target_value(&ev))/></div>
                    <div class="field"><label for="sh-email">"Stakeholder email"</label><input id="sh-email" type="email" prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/></div>
                    <div class="field"><label for="sh-title">"Stakeholder job title"</label><input id="sh-title" prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/></div>
                }.into_any(),
            }}
            <div class="field">
                <label for="sh-role">"Role"</label>
                <select id="sh-role" prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                    <option value="">"Choose a role"</option>
                    {StakeholderRole::ALL.into_iter().map(|r| view! { <option value=r.label()>{r.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field"><label for="sh-note">"Stakeholder note"</label><input id="sh-note" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))/></div>
            <button type="button" on:click=add disabled=move || role.with(String::is_empty) || (picked.with(Option::is_none) && last.with(|l| l.trim().is_empty()))>"Add stakeholder"</button>
        </fieldset>
    }
}

#[component]
fn AddCompetitor(d: Deal, can_manage: Signal<bool>) -> impl IntoView {
    let chosen = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let new_name = RwSignal::new(String::new());
    let new_site = RwSignal::new(String::new());
    let add = move |_| {
        let f = fields(&[
            ("lead_id", d.record.to_string()),
            ("competitor_id", chosen.get_untracked()),
            ("note", note.get_untracked()),
        ]);
        d.send(Entity::DealCompetitor, Uuid::now_v7(), Op::Create { fields: f });
        chosen.set(String::new());
        note.set(String::new());
    };
    let create = move |_| {
        let id = Uuid::now_v7();
        let f = fields(&[
            ("name", new_name.get_untracked()),
            ("website", new_site.get_untracked()),
        ]);
        d.send(Entity::Competitor, id, Op::Create { fields: f });
        // Ready to link once the list reloads.
        chosen.set(id.to_string());
        new_name.set(String::new());
        new_site.set(String::new());
    };
    view! {
        <fieldset class="add-person">
            <legend>"Add a competitor"</legend>
            <div class="field">
                <label for="dc-competitor">"Competitor"</label>
                <select id="dc-competitor" prop:value=move || chosen.get() on:change=move |ev| chosen.set(event_target_value(&ev))>
                    <option value="">"Choose a competitor"</option>
                    {move || d.rivals.get().into_iter().map(|c| view! { <option value=c.id.to_string()>{c.name}</option> }).collect_view()}
                </select>
            </div>
            <div class="field"><label for="dc-note">"Competitor note"</label><input id="dc-note" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))/></div>
            <button type="button" on:click=add disabled=move || chosen.with(String::is_empty)>"Add competitor"</button>
            {move || can_manage.get().then(|| view! {
                <p class="note">"Not in the list? Add it for everyone:"</p>
                <div class="field"><label for="nc-name">"New competitor name"</label><input id="nc-name" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/></div>
                <div class="field"><label for="nc-site">"New competitor website"</label><input id="nc-site" prop:value=move || new_site.get() on:input=move |ev| new_site.set(event_target_value(&ev))/></div>
                <button type="button" class="secondary" on:click=create disabled=move || new_name.with(|n| n.trim().is_empty())>"Create competitor"</button>
            })}
        </fieldset>
    }
}
