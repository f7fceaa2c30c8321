//! Deciding a lead: Qualify (with the duplicate check), Disqualify (with a reason) and Reactivate.
//! Each is one mutation through `save_lead`; without a network it waits in the outbox like an edit, and a
//! later refusal shows on the Sync page.

use crate::api::leads::save_lead;
use crate::api::opportunities::{get_opportunity, preview_qualify};
use crate::components::message::ErrorMessage;
use crate::domain::mutation::{Mutation, Op};
use crate::domain::qualify::{Pick, QualifyMode, QualifyOrder, QualifyRequest, DISQUALIFY_REASONS};
use crate::error::AppError;
use crate::model::{QualifyPreview, Saved};
use crate::offline::{self, is_network, use_offline};
use leptos::prelude::*;
use uuid::Uuid;

/// Sends one decision; Ok(true) when the server applied it, Ok(false) when it waits on this device.
async fn send(o: offline::Offline, lead: Uuid, op: Op) -> Result<bool, AppError> {
    let m = Mutation {
        entity: Default::default(),
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: lead,
        op,
    };
    offline::save_or_queue(o, m, save_lead)
        .await
        .map(|s| s != Saved::Queued)
}

/// "new", "skip" or an id: the answer of one radio group.
fn pick_of(choice: &str) -> Option<Pick> {
    match choice {
        "" => None,
        "new" => Some(Pick::New),
        "skip" => Some(Pick::Skip),
        id => Uuid::parse_str(id).ok().map(Pick::Existing),
    }
}

#[component]
pub fn QualifyPanel(lead: Uuid, on_close: Callback<()>, on_done: Callback<()>) -> impl IntoView {
    let o = use_offline();
    let preview = RwSignal::new(None::<Result<QualifyPreview, AppError>>);
    let account = RwSignal::new(String::new());
    let contact = RwSignal::new(String::new());
    let opportunity = RwSignal::new(true);
    let result = RwSignal::new(None::<Result<bool, AppError>>);
    let busy = RwSignal::new(false);
    let navigate = leptos_router::hooks::use_navigate();
    let load = move || {
        leptos::task::spawn_local(async move {
            let p = match preview_qualify(lead.to_string()).await {
                // Offline: nothing to compare against here; the server checks again when it syncs.
                Err(e) if is_network(&e) => Ok(QualifyPreview {
                    mode: QualifyMode::Automatic,
                    accounts: vec![],
                    contacts: vec![],
                }),
                other => other,
            };
            if let Ok(p) = &p {
                let choosing = p.mode == QualifyMode::SellerChooses;
                account.try_set(
                    if p.accounts.is_empty() {
                        if choosing {
                            "skip"
                        } else {
                            "new"
                        }
                    } else {
                        ""
                    }
                    .to_string(),
                );
                contact.try_set(
                    if p.contacts.is_empty() {
                        if choosing {
                            "skip"
                        } else {
                            "new"
                        }
                    } else {
                        ""
                    }
                    .to_string(),
                );
                opportunity.try_set(!choosing);
            }
            preview.try_set(Some(p));
        });
    };
    load();
    let submit = move |_| {
        let order = QualifyOrder {
            request: QualifyRequest {
                account: pick_of(&account.get_untracked()),
                contact: pick_of(&contact.get_untracked()),
                opportunity: Some(opportunity.get_untracked()),
            },
            account_id: Uuid::now_v7(),
            contact_id: Uuid::now_v7(),
            opportunity_id: Uuid::now_v7(),
        };
        let opp = order.opportunity_id;
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let r = send(o, lead, Op::Qualify(order)).await;
            busy.try_set(false);
            match r {
                Ok(true) => {
                    // Go on with the opportunity when one was made; otherwise show the qualified lead.
                    if get_opportunity(opp.to_string()).await.is_ok() {
                        navigate(&format!("/opportunities/{opp}"), Default::default());
                    } else {
                        on_done.run(());
                    }
                }
                other => {
                    // New duplicates may have appeared meanwhile: show the current ones.
                    if matches!(other, Err(AppError::BadRequest(_))) {
                        load();
                    }
                    result.try_set(Some(other));
                }
            }
        });
    };
    let group = |name: &'static str,
                 legend: &'static str,
                 new_label: &'static str,
                 choice: RwSignal<String>,
                 options: Vec<(String, String)>,
                 choosing: bool| {
        view! {
            <fieldset class="choices">
                <legend>{legend}</legend>
                {options.into_iter().map(|(id, label)| {
                    let (v1, v2) = (id.clone(), id.clone());
                    view! { <label class="choice"><input type="radio" name=name value=id prop:checked=move || choice.get() == v1 on:change=move |_| choice.set(v2.clone())/>{label}</label> }
                }).collect_view()}
                <label class="choice"><input type="radio" name=name value="new" prop:checked=move || choice.get() == "new" on:change=move |_| choice.set("new".into())/>{new_label}</label>
                {choosing.then(|| view! { <label class="choice"><input type="radio" name=name value="skip" prop:checked=move || choice.get() == "skip" on:change=move |_| choice.set("skip".into())/>"None"</label> })}
            </fieldset>
        }
    };
    view! {
        <section class="decide" role="dialog" aria-label="Qualify lead">
            <h2>"Qualify lead"</h2>
            {move || match preview.get() {
                None => view! { <p class="loading">"Looking for existing accounts and contacts…"</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorMessage error=e/> }.into_any(),
                Some(Ok(p)) => {
                    let choosing = p.mode == QualifyMode::SellerChooses;
                    let found = !p.accounts.is_empty() || !p.contacts.is_empty();
                    let accounts: Vec<(String, String)> = p.accounts.iter().map(|a| (a.record.id.to_string(), format!("Use the existing account {} ({})", a.record.name, a.reasons.join(", ")))).collect();
                    let contacts: Vec<(String, String)> = p.contacts.iter().map(|c| (c.record.id.to_string(), format!("Use the existing contact {} ({})", c.record.name, c.reasons.join(", ")))).collect();
                    view! {
                        {found.then(|| view! { <p class="note" role="status">"These may already exist. Pick one, or create a new one anyway."</p> })}
                        {(found || choosing).then(|| view! {
                            {group("account", "Account", "Create a new account", account, accounts.clone(), choosing)}
                            {group("contact", "Contact", "Create a new contact", contact, contacts.clone(), choosing)}
                        })}
                        {choosing.then(|| view! {
                            <label class="choice"><input type="checkbox" prop:checked=move || opportunity.get() on:change=move |ev| opportunity.set(event_target_checked(&ev))/>"Create an opportunity"</label>
                        })}
                        {(!found && !choosing).then(|| view! { <p>"Qualifying creates an account, a contact and an opportunity from this lead."</p> })}
                    }.into_any()
                }
            }}
            {move || match result.get() {
                Some(Ok(false)) => Some(view! { <p class="ok-box" role="status">"Qualify is saved on this device and will be sent when the network is back."</p> }.into_any()),
                Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
                _ => None,
            }}
            <div class="actions">
                <button type="button" on:click=submit disabled=move || busy.get() || preview.with(|p| !matches!(p, Some(Ok(_)))) || account.with(String::is_empty) || contact.with(String::is_empty)>"Qualify"</button>
                <button type="button" class="secondary" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </section>
    }
}

#[component]
pub fn DisqualifyPanel(lead: Uuid, on_close: Callback<()>, on_done: Callback<()>) -> impl IntoView {
    let o = use_offline();
    let reason = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<bool, AppError>>);
    let submit = move |_| {
        let op = Op::Disqualify {
            reason: reason.get_untracked(),
            note: note.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            let r = send(o, lead, op).await;
            if matches!(r, Ok(true)) {
                on_done.run(());
            } else {
                result.try_set(Some(r));
            }
        });
    };
    view! {
        <section class="decide" role="dialog" aria-label="Disqualify lead">
            <h2>"Disqualify lead"</h2>
            <div class="field">
                <label for="dq-reason">"Reason"</label>
                <select id="dq-reason" on:change=move |ev| reason.set(event_target_value(&ev))>
                    <option value="">"Choose a reason"</option>
                    {DISQUALIFY_REASONS.iter().map(|r| view! { <option value=*r>{*r}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="dq-note">"Note (optional)"</label>
                <textarea id="dq-note" rows="3" on:input=move |ev| note.set(event_target_value(&ev))></textarea>
            </div>
            {move || match result.get() {
                Some(Ok(false)) => Some(view! { <p class="ok-box" role="status">"Disqualify is saved on this device and will be sent when the network is back."</p> }.into_any()),
                Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
                _ => None,
            }}
            <div class="actions">
                <button type="button" class="danger" disabled=move || reason.with(String::is_empty) on:click=submit>"Disqualify"</button>
                <button type="button" class="secondary" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </section>
    }
}

/// Reactivate a closed lead: one click, the history stays.
#[component]
pub fn ReactivateButton(lead: Uuid, on_done: Callback<()>) -> impl IntoView {
    let o = use_offline();
    let result = RwSignal::new(None::<Result<bool, AppError>>);
    let click = move |_| {
        leptos::task::spawn_local(async move {
            let r = send(o, lead, Op::Reactivate).await;
            if matches!(r, Ok(true)) {
                on_done.run(());
            } else {
                result.try_set(Some(r));
            }
        });
    };
    view! {
        <button type="button" on:click=click>"Reactivate"</button>
        {move || match result.get() {
            Some(Ok(false)) => Some(view! { <p class="ok-box" role="status">"Reactivate is saved on this device and will be sent when the network is back."</p> }.into_any()),
            Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
            _ => None,
        }}
    }
}
