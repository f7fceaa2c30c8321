//! A lead's timeline on its page: what to log (post, phone call, task, appointment, email, note), the
//! filter, the items newest first with replies, paging as the person scrolls, and live updates.
//! It loads in the browser after the page is interactive; what is logged offline waits in the outbox.

use crate::api::timeline::{lead_people, load_timeline, save_item};
use crate::domain::mutation::{Entity, FieldChange, Mutation, Op};
use crate::domain::timeline::{complete_mention, mention_prefix, pieces, Cursor, Filter, ItemKind, Piece, Status};
use crate::error::AppError;
use crate::model::{Saved, TimelineItem, TimelinePage, UserOption};
use crate::offline::{self, is_network, use_offline, Offline};
use leptos::prelude::*;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What every part of the timeline needs: the lead, the loaded items, and how to save a change.
#[derive(Clone, Copy)]
struct Ctx {
    lead: Uuid,
    o: Offline,
    items: RwSignal<Vec<TimelineItem>>,
    next: RwSignal<Option<Cursor>>,
    filter: RwSignal<Filter>,
    people: RwSignal<Vec<UserOption>>,
    problem: RwSignal<Option<String>>,
    /// The last load failed for lack of network (not an error: what is logged waits on the device).
    offline: RwSignal<bool>,
    notice: RwSignal<Option<String>>,
    /// One client id per page view; each change is its next number.
    client: StoredValue<(Uuid, i64)>,
}

impl Ctx {
    fn mutation(&self, record: Uuid, op: Op) -> Mutation {
        self.client.update_value(|c| c.1 += 1);
        let (client_id, seq) = self.client.get_value();
        Mutation { entity: Entity::TimelineItem, client_id, seq, record_id: record, op }
    }

    /// Saves a change; without a network it waits in this device's outbox. Ok(true) when saved now.
    async fn save(self, record: Uuid, op: Op) -> Result<bool, AppError> {
        match offline::save_or_queue(self.o, self.mutation(record, op), save_item).await? {
            Saved::Queued => {
                self.notice.set(Some("Saved on this device; it will sync when the network is back.".into()));
                Ok(false)
            }
            _ => {
                self.refresh().await;
                Ok(true)
            }
        }
    }

    /// The first page again (after a change here or news from elsewhere), keeping older pages loaded.
    async fn refresh(self) {
        // Either can land after the page moved on and took this timeline's signals with it.
        let Some(filter) = self.filter.try_get_untracked() else { return };
        if let Some((page, _)) = self.fetch(Some(filter), None).await {
            let last = page.items.last().map(|i| (i.created_at, i.id));
            let fresh: Vec<Uuid> = page.items.iter().map(|i| i.id).collect();
            let more_than_a_page = page.next.is_some();
            self.items.update(|items| {
                let older: Vec<TimelineItem> = if more_than_a_page {
                    items.drain(..).filter(|i| !fresh.contains(&i.id) && last.is_some_and(|l| (i.created_at, i.id) < l)).collect()
                } else {
                    Vec::new()
                };
                *items = page.items;
                items.extend(older);
            });
            if self.next.get_untracked().is_none() || !more_than_a_page {
                self.next.set(page.next);
            }
        }
    }

    async fn load(self, f: Option<Filter>) {
        if let Some((page, f)) = self.fetch(f, None).await {
            self.items.set(page.items);
            self.next.set(page.next);
            self.filter.set(f);
        }
    }

    async fn older(self) {
        let Some(after) = self.next.get_untracked() else { return };
        if let Some((page, _)) = self.fetch(Some(self.filter.get_untracked()), Some(after)).await {
            self.items.update(|items| {
                let have: Vec<Uuid> = items.iter().map(|i| i.id).collect();
                items.extend(page.items.into_iter().filter(|i| !have.contains(&i.id)));
            });
            self.next.set(page.next);
        }
    }

    /// One page from the server; a failure is shown (no network: the offline note) and answers None.
    async fn fetch(self, f: Option<Filter>, after: Option<Cursor>) -> Option<(TimelinePage, Filter)> {
        let answer = load_timeline(self.lead.to_string(), f, after).await;
        // The page may have been rebuilt meanwhile (a reload after qualifying): nobody to tell.
        if self.items.is_disposed() {
            return None;
        }
        match answer {
            Ok(answer) => {
                self.problem.set(None);
                self.offline.set(false);
                Some(answer)
            }
            Err(e) if is_network(&e) => {
                self.offline.set(true);
                None
            }
            Err(e) => {
                self.problem.set(Some(e.to_string()));
                None
            }
        }
    }

    fn name_of(&self, id: &str) -> String {
        self.people.with_untracked(|p| p.iter().find(|u| u.id.to_string() == id).map(|u| u.name.clone())).unwrap_or_else(|| "someone".into())
    }
}

fn offline_text() -> String {
    "Offline: the timeline shows again when the network is back. What you log now waits on this device.".into()
}

#[component]
pub fn Timeline(lead: Uuid) -> impl IntoView {
    let o = use_offline();
    let cx = Ctx {
        lead,
        o,
        items: RwSignal::new(Vec::new()),
        next: RwSignal::new(None),
        filter: RwSignal::new(Filter::default()),
        people: RwSignal::new(Vec::new()),
        problem: RwSignal::new(None),
        offline: RwSignal::new(false),
        notice: RwSignal::new(None),
        client: StoredValue::new((Uuid::now_v7(), 0)),
    };
    let loaded = RwSignal::new(false);
    // Effects run only in the browser: the timeline loads once the page is interactive.
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            cx.load(None).await;
            loaded.set(true);
            if let Ok(p) = lead_people(lead.to_string()).await {
                cx.people.set(p);
            }
            browser::scroll_to_hash();
        });
    });
    crate::components::live::watch_lead(lead, move || leptos::task::spawn_local(cx.refresh()));
    let loading_more = RwSignal::new(false);
    let more = move || {
        if loading_more.get_untracked() || cx.next.get_untracked().is_none() {
            return;
        }
        loading_more.set(true);
        leptos::task::spawn_local(async move {
            cx.older().await;
            loading_more.set(false);
        });
    };
    let sentinel = NodeRef::<leptos::html::Div>::new();
    browser::when_near_bottom(sentinel, more);
    // Changes made offline for this lead, shown on top until they sync.
    let waiting = move || {
        o.outbox.with(|b| {
            b.as_ref()
                .map(|b| {
                    b.waiting
                        .iter()
                        .filter(|m| m.entity == Entity::TimelineItem)
                        .filter_map(|m| match &m.op {
                            Op::Create { fields } if fields.get("lead_id") == Some(&lead.to_string()) => Some((m.record_id, fields.clone())),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <section class="timeline" aria-labelledby="timeline-h">
            <h2 id="timeline-h">"Timeline"</h2>
            <Composer cx=cx/>
            <FilterBar cx=cx/>
            {move || cx.notice.get().map(|n| view! { <p class="ok-box" role="status">{n}</p> })}
            {move || cx.offline.get().then(|| view! { <p class="note">{offline_text()}</p> })}
            {move || cx.problem.get().map(|p| view! { <p class="error-box" role="alert">{p}</p> })}
            <ol class="items" aria-label="Timeline items">
                {move || waiting().into_iter().map(|(id, f)| view! { <WaitingItem id=id fields=f/> }).collect_view()}
                <For each=move || cx.items.get() key=|i| (i.id, i.created_at, i.status, i.body.clone(), i.replies.len(), i.deleted) let:item>
                    <li><ItemView cx=cx item=item/></li>
                </For>
            </ol>
            // `try_`: this also follows the device's outbox, which outlives the timeline; a change there
            // can reach it while the lead page is being replaced and this timeline's signals are gone.
            {move || (loaded.try_get().unwrap_or(false) && cx.items.try_with(|i| i.is_empty()).unwrap_or(false) && waiting().is_empty())
                .then(|| view! { <p class="empty">"Nothing here yet."</p> })}
            {move || (!loaded.get()).then(|| view! { <p class="loading">"Loading timeline…"</p> })}
            <div node_ref=sentinel>
                {move || cx.next.get().is_some().then(|| view! {
                    <button type="button" class="secondary" on:click=move |_| more() disabled=move || loading_more.get()>
                        {move || if loading_more.get() { "Loading…" } else { "Load older items" }}
                    </button>
                })}
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn WaitingItem(id: Uuid, fields: BTreeMap<String, String>) -> impl IntoView {
    let kind = fields.get("kind").and_then(|k| ItemKind::parse(k)).unwrap_or(ItemKind::Note);
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
            Piece::Mention { id, name } => view! { <a class="mention" href=format!("/leads?view=team&owner={id}")>{format!("@{name}")}</a> }.into_any(),
            Piece::Break => view! { <br/> }.into_any(),
        })
        .collect_view()
}

fn details_line(cx: Ctx, it: &TimelineItem) -> String {
    let d = |k: &str| it.details.get(k).cloned().unwrap_or_default();
    let t = |k: &str| it.times_shown.get(k).cloned().unwrap_or_default();
    let names = |k: &str| d(k).split(',').filter(|s| !s.is_empty()).map(|id| cx.name_of(id)).collect::<Vec<_>>().join(", ");
    let mut parts: Vec<String> = Vec::new();
    match it.kind {
        ItemKind::PhoneCall => {
            parts.push(if d("direction") == "incoming" { "Incoming".into() } else { "Outgoing".into() });
            parts.push(d("phone"));
            if !d("duration").is_empty() {
                parts.push(format!("{} min", d("duration")));
            }
            if !d("outcome").is_empty() {
                parts.push(format!("Outcome: {}", d("outcome")));
            }
        }
        ItemKind::Appointment => {
            parts.push(if t("end").is_empty() { t("start") } else { format!("{} – {}", t("start"), t("end")) });
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
            parts.push(if d("direction") == "incoming" { "Received".into() } else { "Sent".into() });
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
fn ItemView(cx: Ctx, item: TimelineItem) -> impl IntoView {
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
    let set_status = move |s: Status| run(Op::Update { changes: vec![FieldChange { field: "status".into(), value: s.as_str().into(), base_version: 0 }] });
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

/// A post or a reply, with @ suggestions of colleagues who can see the lead.
#[component]
fn PostBox(cx: Ctx, parent: Option<Uuid>, #[prop(optional)] on_done: Option<Callback<()>>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let area = format!("post-{}", parent.map(|p| p.to_string()).unwrap_or_else(|| "new".into()));
    let label = if parent.is_some() { "Write a reply" } else { "Write a post" };
    let suggestions = move || {
        let t = text.get();
        let Some(prefix) = mention_prefix(&t) else { return Vec::new() };
        let prefix = prefix.to_lowercase();
        cx.people.with(|p| p.iter().filter(|u| u.name.to_lowercase().starts_with(&prefix) || u.name.to_lowercase().contains(&format!(" {prefix}"))).take(6).cloned().collect::<Vec<_>>())
    };
    let send = move |_| {
        let body = text.get_untracked();
        if body.trim().is_empty() {
            error.set(Some("Write something first.".into()));
            return;
        }
        let mut fields = BTreeMap::from([("lead_id".to_string(), cx.lead.to_string()), ("kind".to_string(), "post".to_string()), ("body".to_string(), body)]);
        if let Some(p) = parent {
            fields.insert("parent_id".into(), p.to_string());
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            // A reply re-renders its post (and this box with it): what follows may find it gone.
            match cx.save(Uuid::now_v7(), Op::Create { fields }).await {
                Ok(_) => {
                    text.try_set(String::new());
                    error.try_set(None);
                    if let Some(cb) = on_done {
                        cb.try_run(());
                    }
                }
                Err(e) => {
                    error.try_set(Some(e.field_error("body").unwrap_or_else(|| e.to_string())));
                }
            }
            busy.try_set(false);
        });
    };
    let area2 = area.clone();
    view! {
        <div class="post-box">
            <label for=area.clone()>{label}</label>
            <textarea id=area.clone() rows="3" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))
                placeholder="Type @ to mention a colleague"></textarea>
            {move || {
                let list = suggestions();
                (!list.is_empty()).then(|| view! {
                    <ul class="suggest" role="listbox" aria-label="Colleagues to mention">
                        {list.into_iter().map(|u| {
                            let name = u.name.clone();
                            let area = area2.clone();
                            view! { <li role="option" aria-selected="false"><button type="button" on:click=move |_| { text.update(|t| *t = complete_mention(t, &name)); browser::focus(&area); }>{format!("Mention {}", u.name)}</button></li> }
                        }).collect_view()}
                    </ul>
                })
            }}
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <button type="button" on:click=send disabled=move || busy.get()>{if parent.is_some() { "Send reply" } else { "Send post" }}</button>
        </div>
    }
}

/// Logging something new: a post, or an activity or note with its fields.
#[component]
fn Composer(cx: Ctx) -> impl IntoView {
    let kind = RwSignal::new(ItemKind::Post);
    let values: RwSignal<BTreeMap<String, String>> = RwSignal::new(BTreeMap::new());
    let result: RwSignal<Option<AppError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let file = NodeRef::<leptos::html::Input>::new();
    let kinds = [ItemKind::Post, ItemKind::PhoneCall, ItemKind::Task, ItemKind::Appointment, ItemKind::Email, ItemKind::Note];
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let k = kind.get_untracked();
        let mut fields: BTreeMap<String, String> = values.get_untracked().into_iter().filter(|(key, v)| !v.trim().is_empty() && (key == "subject" || key == "body" || k.detail_fields().contains(&key.as_str()))).collect();
        // Times typed in the person's own zone travel as UTC milliseconds.
        for key in ["start", "end", "due"] {
            if let Some(v) = fields.get(key).cloned() {
                fields.insert(key.into(), browser::local_to_ms(&v).map(|ms| ms.to_string()).unwrap_or(v));
            }
        }
        fields.insert("kind".into(), k.as_str().into());
        fields.insert("lead_id".into(), cx.lead.to_string());
        busy.set(true);
        leptos::task::spawn_local(async move {
            if k == ItemKind::Note {
                match browser::upload(file, cx.lead).await {
                    Ok(Some(id)) => {
                        fields.insert("attachment_id".into(), id.to_string());
                    }
                    Ok(None) => {}
                    Err(e) => {
                        result.set(Some(e));
                        busy.set(false);
                        return;
                    }
                }
            }
            match cx.save(Uuid::now_v7(), Op::Create { fields }).await {
                Ok(_) => {
                    values.set(BTreeMap::new());
                    browser::clear_file(file);
                    result.set(None);
                }
                Err(e) => result.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let err = move |key: &'static str| move || result.get().and_then(|e| e.field_error(key)).map(|m| view! { <span class="field-error" role="alert">{m}</span> });
    let field = move |key: &'static str, label: &'static str, input_type: &'static str| {
        let id = format!("log-{key}");
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input id=id type=input_type prop:value=move || values.with(|v| v.get(key).cloned().unwrap_or_default())
                    on:input=move |ev| values.update(|v| { v.insert(key.into(), event_target_value(&ev)); })/>
                {err(key)}
            </div>
        }
    };
    let area = move |key: &'static str, label: &'static str| {
        let id = format!("log-{key}");
        view! {
            <div class="field wide">
                <label for=id.clone()>{label}</label>
                <textarea id=id rows="3" prop:value=move || values.with(|v| v.get(key).cloned().unwrap_or_default())
                    on:input=move |ev| values.update(|v| { v.insert(key.into(), event_target_value(&ev)); })></textarea>
                {err(key)}
            </div>
        }
    };
    let choice = move |key: &'static str, label: &'static str, options: &'static [(&'static str, &'static str)]| {
        let id = format!("log-{key}");
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <select id=id prop:value=move || values.with(|v| v.get(key).cloned().unwrap_or_else(|| options[0].0.to_string()))
                    on:change=move |ev| values.update(|v| { v.insert(key.into(), event_target_value(&ev)); })>
                    {options.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                </select>
            </div>
        }
    };
    let attendees = move |key: &'static str, label: &'static str| {
        let id = format!("log-{key}");
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <select id=id multiple=true size="3" on:change=move |ev| {
                    let picked = browser::selected_values(&ev);
                    values.update(|v| { v.insert(key.into(), picked.join(",")); });
                }>
                    {move || cx.people.get().into_iter().map(|u| view! { <option value=u.id.to_string()>{u.name}</option> }).collect_view()}
                </select>
            </div>
        }
    };
    const DIRECTION: &[(&str, &str)] = &[("outgoing", "Outgoing"), ("incoming", "Incoming")];
    const PRIORITY: &[(&str, &str)] = &[("normal", "Normal"), ("high", "High"), ("low", "Low")];
    view! {
        <div class="composer">
            <div class="kinds" role="group" aria-label="What to log">
                {kinds.into_iter().map(|k| view! {
                    <button type="button" class="chip" aria-pressed=move || (kind.get() == k).to_string()
                        on:click=move |_| { kind.set(k); result.set(None); }>{k.label()}</button>
                }).collect_view()}
            </div>
            <Show when=move || kind.get() == ItemKind::Post>
                <PostBox cx=cx parent=None/>
            </Show>
            <Show when=move || kind.get() != ItemKind::Post>
                <form class="log-form" novalidate="" on:submit=submit aria-label=move || format!("Log a {}", kind.get().label().to_lowercase())>
                    {move || match kind.get() {
                        ItemKind::PhoneCall => view! {
                            {field("subject", "Subject", "text")}
                            {choice("direction", "Direction", DIRECTION)}
                            {field("phone", "Phone number", "tel")}
                            {field("duration", "Duration (minutes)", "number")}
                            {field("outcome", "Outcome", "text")}
                            {area("body", "Call notes")}
                        }.into_any(),
                        ItemKind::Task => view! {
                            {field("subject", "Subject", "text")}
                            {field("due", "Due", "datetime-local")}
                            {choice("priority", "Priority", PRIORITY)}
                            {area("body", "Description")}
                        }.into_any(),
                        ItemKind::Appointment => view! {
                            {field("subject", "Subject", "text")}
                            {field("start", "Starts", "datetime-local")}
                            {field("end", "Ends", "datetime-local")}
                            {field("location", "Location", "text")}
                            {attendees("required", "Required attendees")}
                            {attendees("optional", "Optional attendees")}
                            {area("body", "Description")}
                        }.into_any(),
                        ItemKind::Email => view! {
                            {choice("direction", "Direction", DIRECTION)}
                            {field("from", "From", "text")}
                            {field("to", "To", "text")}
                            {field("subject", "Subject", "text")}
                            {area("body", "Message")}
                        }.into_any(),
                        _ => view! {
                            {area("body", "Note")}
                            <div class="field">
                                <label for="log-file">{format!("Attach a file (up to {} MB)", crate::domain::timeline::MAX_ATTACHMENT_BYTES / (1024 * 1024))}</label>
                                <input id="log-file" type="file" node_ref=file/>
                            </div>
                        }.into_any(),
                    }}
                    {move || result.get().filter(|e| !matches!(e, AppError::Invalid(_))).map(|e| view! { <p class="error-box" role="alert">{e.to_string()}</p> })}
                    <button type="submit" disabled=move || busy.get()>{move || format!("Save {}", kind.get().label().to_lowercase())}</button>
                </form>
            </Show>
        </div>
    }
}

#[component]
fn FilterBar(cx: Ctx) -> impl IntoView {
    const SHOW: &[(&str, &str)] = &[
        ("", "Everything"),
        ("activities", "Activities"),
        ("phone_call", "Phone calls"),
        ("appointment", "Appointments"),
        ("task", "Tasks"),
        ("email", "Emails"),
        ("note", "Notes"),
        ("post", "Posts"),
        ("event", "Updates"),
    ];
    let shown_value = move || {
        cx.filter.with(|f| match f.kinds.as_slice() {
            [] => String::new(),
            [k] => k.as_str().to_string(),
            ks if ks.iter().all(|k| k.is_activity()) => "activities".into(),
            _ => String::new(),
        })
    };
    let apply = move |change: &dyn Fn(&mut Filter)| {
        let mut f = cx.filter.get_untracked();
        change(&mut f);
        cx.filter.set(f.clone());
        leptos::task::spawn_local(async move { cx.load(Some(f)).await });
    };
    let day = |ms: Option<i64>| ms.map(browser::ms_to_date).unwrap_or_default();
    view! {
        <form class="timeline-filter" role="search" aria-label="Filter the timeline" on:submit=move |ev| ev.prevent_default()>
            <div class="field">
                <label for="tl-show">"Show"</label>
                <select id="tl-show" prop:value=shown_value on:change=move |ev| {
                    let v = event_target_value(&ev);
                    apply(&|f: &mut Filter| {
                        f.kinds = match v.as_str() {
                            "" => Vec::new(),
                            "activities" => ItemKind::ALL.into_iter().filter(|k| k.is_activity()).collect(),
                            other => ItemKind::parse(other).into_iter().collect(),
                        }
                    });
                }>
                    {SHOW.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="tl-status">"Status"</label>
                <select id="tl-status" prop:value=move || cx.filter.with(|f| f.status.map(|s| s.as_str()).unwrap_or("").to_string())
                    on:change=move |ev| { let v = event_target_value(&ev); apply(&|f: &mut Filter| f.status = Status::parse(&v)); }>
                    <option value="">"Any"</option>
                    <option value="open">"Open"</option>
                    <option value="completed">"Completed"</option>
                    <option value="canceled">"Canceled"</option>
                </select>
            </div>
            <div class="field">
                <label for="tl-from">"From"</label>
                <input id="tl-from" type="date" prop:value=move || day(cx.filter.with(|f| f.from))
                    on:change=move |ev| { let v = event_target_value(&ev); apply(&|f: &mut Filter| f.from = browser::local_to_ms(&format!("{v}T00:00"))); }/>
            </div>
            <div class="field">
                <label for="tl-to">"To"</label>
                <input id="tl-to" type="date" prop:value=move || day(cx.filter.with(|f| f.to.map(|t| t - 1)))
                    on:change=move |ev| { let v = event_target_value(&ev); apply(&|f: &mut Filter| f.to = browser::local_to_ms(&format!("{v}T00:00")).map(|ms| ms + 86_400_000)); }/>
            </div>
            <div class="field">
                <label for="tl-q">"Search the timeline"</label>
                <input id="tl-q" type="search" prop:value=move || cx.filter.with(|f| f.q.clone())
                    on:change=move |ev| { let v = event_target_value(&ev); apply(&|f: &mut Filter| f.q = v.clone()); }/>
            </div>
        </form>
    }
}

/// The browser's side: live stream, scrolling, files, local times. Inert on the server.
#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use leptos::web_sys::{self, js_sys};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    /// Loads older items when the end of the list comes near, as the person scrolls.
    pub fn when_near_bottom(sentinel: NodeRef<leptos::html::Div>, more: impl Fn() + Clone + 'static) {
        let handle = window_event_listener(leptos::ev::scroll, move |_| {
            if let Some(el) = sentinel.get_untracked() {
                let top = el.get_bounding_client_rect().top();
                let h = window().inner_height().ok().and_then(|v| v.as_f64()).unwrap_or(800.0);
                if top < h + 300.0 {
                    more();
                }
            }
        });
        on_cleanup(move || handle.remove());
    }

    pub fn scroll_to_hash() {
        let hash = window().location().hash().unwrap_or_default();
        if let Some(id) = hash.strip_prefix('#') {
            if let Some(el) = document().get_element_by_id(id) {
                el.scroll_into_view();
            }
        }
    }

    pub fn confirm(q: &str) -> bool {
        window().confirm_with_message(q).unwrap_or(false)
    }

    pub fn focus(id: &str) {
        if let Some(el) = document().get_element_by_id(id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    }

    /// "2026-11-29T14:30" in the browser's zone to UTC milliseconds.
    pub fn local_to_ms(v: &str) -> Option<i64> {
        if v.trim().is_empty() {
            return None;
        }
        let ms = js_sys::Date::new(&JsValue::from_str(v)).get_time();
        (!ms.is_nan()).then_some(ms as i64)
    }

    pub fn ms_to_date(ms: i64) -> String {
        let d = js_sys::Date::new(&JsValue::from_f64(ms as f64));
        format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date())
    }

    pub fn selected_values(ev: &leptos::ev::Event) -> Vec<String> {
        let Some(sel) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) else { return Vec::new() };
        let opts = sel.selected_options();
        (0..opts.length()).filter_map(|i| opts.item(i)).filter_map(|o| o.get_attribute("value")).collect()
    }

    pub fn clear_file(file: NodeRef<leptos::html::Input>) {
        if let Some(input) = file.get_untracked() {
            input.set_value("");
        }
    }

    /// Sends the chosen file (if any) to the server first; the note then refers to it by id.
    pub async fn upload(file: NodeRef<leptos::html::Input>, lead: Uuid) -> Result<Option<Uuid>, AppError> {
        let Some(f) = file.get_untracked().and_then(|i| i.files()).and_then(|l| l.get(0)) else { return Ok(None) };
        if f.size() > crate::domain::timeline::MAX_ATTACHMENT_BYTES as f64 {
            return Err(AppError::BadRequest(format!("Files can be at most {} MB.", crate::domain::timeline::MAX_ATTACHMENT_BYTES / (1024 * 1024))));
        }
        let name: String = js_sys::encode_uri_component(&f.name()).into();
        let ctype = if f.type_().is_empty() { "application/octet-stream".to_string() } else { f.type_() };
        let req = gloo_net::http::Request::post(&format!("/api/attachments?lead={lead}"))
            .header("X-File-Name", &name)
            .header("Content-Type", &ctype)
            .body(JsValue::from(f))
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        let res = req.send().await.map_err(|_| AppError::Network("Attaching a file needs the network. Save the note without it, or try again online.".into()))?;
        if !res.ok() {
            return Err(AppError::BadRequest(res.text().await.unwrap_or_else(|_| "The file could not be stored.".into())));
        }
        let v: serde_json::Value = res.json().await.map_err(|e| AppError::BadRequest(e.to_string()))?;
        v.get("id").and_then(|i| i.as_str()).and_then(|i| Uuid::parse_str(i).ok()).map(Some).ok_or_else(|| AppError::BadRequest("The file could not be stored.".into()))
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use super::*;
    pub fn when_near_bottom(_s: NodeRef<leptos::html::Div>, _more: impl Fn() + Clone + 'static) {}
    pub fn scroll_to_hash() {}
    pub fn confirm(_q: &str) -> bool {
        false
    }
    pub fn focus(_id: &str) {}
    pub fn local_to_ms(_v: &str) -> Option<i64> {
        None
    }
    pub fn ms_to_date(_ms: i64) -> String {
        String::new()
    }
    pub fn selected_values(_ev: &leptos::ev::Event) -> Vec<String> {
        Vec::new()
    }
    pub fn clear_file(_f: NodeRef<leptos::html::Input>) {}
    pub async fn upload(_f: NodeRef<leptos::html::Input>, _lead: Uuid) -> Result<Option<Uuid>, AppError> {
        Ok(None)
    }
}
