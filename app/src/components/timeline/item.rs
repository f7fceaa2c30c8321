//! The timeline's items: each with its details, text, attachment, actions and replies, and the ones
//! logged offline that wait to sync.

use super::composer::PostBox;
use super::{browser, Ctx};
use crate::domain::mutation::{FieldChange, Op};
use crate::domain::timeline::{pieces, ItemKind, Piece, Status};
use crate::model::TimelineItem;
use leptos::prelude::*;
use std::collections::BTreeMap;
use uuid::Uuid;

#[component]
pub(super) fn WaitingItem(id: Uuid, fields: BTreeMap<String, String>) -> impl IntoView {
    let kind = fields
        .get("kind")
        .and_then(|k| ItemKind::parse(k))
        .unwrap_or(ItemKind::Note);
    let title = fields.get("subject").cloned().unwrap_or_default();
    let body = fields.get("body").cloned().unwrap_or_default();
    view! {
        <li>
            <article class="item waiting" id=format!("item-{id}")>
                <header><span class="kind">{kind.label()}</span>" "<strong>{title}</strong>" "<span class="badge">"Waiting to sync"</span></header>
                <p class="text"><Text body=body mentions=Vec::new()/></p>
            </article>
        </li>
    }
}

/// User text shown as text: links clickable, mentions as links, line breaks kept. Never parsed as markup.
#[component]
fn Text(body: String, mentions: Vec<(Uuid, String)>) -> impl IntoView {
    pieces(&body, &mentions)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t.into_any(),
            Piece::Link(href) => {
                let text = href.clone();
                view! { <a href=href rel="noopener noreferrer nofollow" target="_blank">{text}</a> }.into_any()
            }
            Piece::Mention { id, name } => {
                view! { <a class="mention" href=format!("/leads?view=team&owner={id}")>{format!("@{name}")}</a> }
                    .into_any()
            }
            Piece::Break => view! { <br/> }.into_any(),
        })
        .collect_view()
}

fn details_line(cx: Ctx, it: &TimelineItem) -> String {
    let d = |k: &str| it.details.get(k).cloned().unwrap_or_default();
    let t = |k: &str| it.times_shown.get(k).cloned().unwrap_or_default();
    let names = |k: &str| {
        d(k).split(',')
            .filter(|s| !s.is_empty())
            .map(|id| cx.name_of(id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts: Vec<String> = Vec::new();
    match it.kind {
        ItemKind::PhoneCall => {
            parts.push(if d("direction") == "incoming" {
                "Incoming".into()
            } else {
                "Outgoing".into()
            });
            parts.push(d("phone"));
            if !d("duration").is_empty() {
                parts.push(format!("{} min", d("duration")));
            }
            if !d("outcome").is_empty() {
                parts.push(format!("Outcome: {}", d("outcome")));
            }
        }
        ItemKind::Appointment => {
            parts.push(if t("end").is_empty() {
                t("start")
            } else {
                format!("{} – {}", t("start"), t("end"))
            });
            parts.push(d("location"));
            if !d("required").is_empty() {
                parts.push(format!("Required: {}", names("required")));
            }
            if !d("optional").is_empty() {
                parts.push(format!("Optional: {}", names("optional")));
            }
        }
        ItemKind::Task => {
            if !t("due").is_empty() {
                parts.push(format!("Due {}", t("due")));
            }
            parts.push(format!("Priority: {}", d("priority")));
        }
        ItemKind::Email => {
            parts.push(if d("direction") == "incoming" {
                "Received".into()
            } else {
                "Sent".into()
            });
            if !d("from").is_empty() {
                parts.push(format!("From {}", d("from")));
            }
            if !d("to").is_empty() {
                parts.push(format!("To {}", d("to")));
            }
        }
        _ => {}
    }
    parts.retain(|p| !p.trim().is_empty());
    parts.join(" · ")
}

#[component]
pub(super) fn ItemView(cx: Ctx, item: TimelineItem) -> impl IntoView {
    let id = item.id;
    let kind = item.kind;
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(item.body.clone());
    let replying = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let run = move |op: Op| {
        leptos::task::spawn_local(async move {
            // The refresh may have replaced this item's view meanwhile: its signals may be gone.
            match cx.save(id, op).await {
                Ok(_) => {
                    editing.try_set(false);
                    error.try_set(None);
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        })
    };
    let set_status = move |s: Status| {
        run(Op::Update {
            changes: vec![FieldChange {
                field: "status".into(),
                value: s.as_str().into(),
                base_version: 0,
            }],
        })
    };
    let details = details_line(cx, &item);
    let who = item.author_name.clone();
    let label = format!("{} by {}, {}", kind.label(), who, item.created_shown);
    let open = item.status == Some(Status::Open);
    let status = item.status;
    let replies = item.replies.clone();
    let is_post = kind == ItemKind::Post;
    view! {
        <article class=format!("item kind-{}", kind.as_str()) id=format!("item-{id}") aria-label=label>
            <header>
                <span class="kind">{kind.label()}</span>
                {(!item.subject.is_empty()).then(|| view! { " " <strong>{item.subject.clone()}</strong> })}
                " "<span class="by">{format!("{} · {}", who, item.created_shown)}</span>
                {status.map(|s| view! { " " <span class=format!("badge status-{}", s.as_str())>{s.label()}</span> })}
                {item.edited.then(|| view! { " " <span class="badge">"edited"</span> })}
            </header>
            {(!details.is_empty()).then(|| view! { <p class="details">{details}</p> })}
            {if item.deleted {
                view! { <p class="text deleted">"deleted"</p> }.into_any()
            } else {
                let body = item.body.clone();
                let mentions = item.mentions.clone();
                view! {
                    <Show when=move || !editing.get() fallback=move || view! {
                        <div class="edit-box">
                            <label for=format!("edit-{id}")>"Edit text"</label>
                            <textarea id=format!("edit-{id}") prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev))></textarea>
                            <button type="button" on:click=move |_| run(Op::Update { changes: vec![FieldChange { field: "body".into(), value: draft.get_untracked(), base_version: 0 }] })>"Save text"</button>
                            <button type="button" class="secondary" on:click=move |_| editing.set(false)>"Cancel editing"</button>
                        </div>
                    }>
                        <p class="text"><Text body=body.clone() mentions=mentions.clone()/></p>
                    </Show>
                }.into_any()
            }}
            {item.attachment.clone().map(|a| view! {
                <p class="attachment"><a href=format!("/attachments/{}", a.id) download=a.name.clone()>{format!("{} ({})", a.name, size_text(a.size))}</a></p>
            })}
            {move || error.get().map(|e| view! { <p class="error-box" role="alert">{e}</p> })}
            <div class="item-actions">
                {(item.can_change_status && open).then(|| view! {
                    <button type="button" on:click=move |_| set_status(Status::Completed) aria-label=format!("Mark {} complete", kind.label().to_lowercase())>"Complete"</button>
                    <button type="button" class="secondary" on:click=move |_| set_status(Status::Canceled) aria-label=format!("Cancel {}", kind.label().to_lowercase())>"Cancel"</button>
                })}
                {(item.can_edit && matches!(kind, ItemKind::Note | ItemKind::Post)).then(|| view! {
                    <button type="button" class="secondary" on:click=move |_| editing.set(true)>"Edit"</button>
                    <button type="button" class="secondary" on:click=move |_| if browser::confirm("Delete this for everyone?") { run(Op::Delete) }>"Delete"</button>
                })}
                {(is_post && !item.deleted).then(|| view! {
                    <button type="button" class="secondary" on:click=move |_| replying.update(|r| *r = !*r) aria-expanded=move || replying.get().to_string()>"Reply"</button>
                })}
            </div>
            {(!replies.is_empty()).then(|| view! {
                <ol class="replies" aria-label="Replies">
                    {replies.into_iter().map(|r| view! { <li><ReplyView cx=cx item=r/></li> }).collect_view()}
                </ol>
            })}
            <Show when=move || replying.get()>
                <PostBox cx=cx parent=Some(id) on_done=Callback::new(move |_| replying.set(false))/>
            </Show>
        </article>
    }
}

#[component]
fn ReplyView(cx: Ctx, item: TimelineItem) -> impl IntoView {
    let id = item.id;
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let delete = move |_| {
        if browser::confirm("Delete this reply?") {
            leptos::task::spawn_local(async move {
                if let Err(e) = cx.save(id, Op::Delete).await {
                    error.try_set(Some(e.to_string()));
                }
            });
        }
    };
    view! {
        <article class="reply" id=format!("item-{id}") aria-label=format!("Reply by {}, {}", item.author_name, item.created_shown)>
            <header><span class="by">{format!("{} · {}", item.author_name, item.created_shown)}</span>{item.edited.then_some(" · edited")}</header>
            <p class="text"><Text body=item.body.clone() mentions=item.mentions.clone()/></p>
            {item.can_edit.then(|| view! { <button type="button" class="secondary" on:click=delete>"Delete reply"</button> })}
            {move || error.get().map(|e| view! { <p class="error-box" role="alert">{e}</p> })}
        </article>
    }
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}
