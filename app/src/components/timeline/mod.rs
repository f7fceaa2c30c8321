//! A lead's timeline on its page: what to log (post, phone call, task, appointment, email, note), the
//! filter, the items newest first with replies, paging as the person scrolls, and live updates.
//! It loads in the browser after the page is interactive; what is logged offline waits in the outbox.

mod composer;
mod filter;
mod item;

use crate::api::timeline::{lead_people, load_timeline, save_item};
use crate::domain::mutation::{Entity, Mutation, Op};
use crate::domain::timeline::{Cursor, Filter};
use crate::error::AppError;
use crate::model::{Saved, TimelineItem, TimelinePage, UserOption};
use crate::offline::{self, is_network, use_offline, Offline};
use composer::Composer;
use filter::FilterBar;
use item::{ItemView, WaitingItem};
use leptos::prelude::*;
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
        Mutation {
            entity: Entity::TimelineItem,
            client_id,
            seq,
            record_id: record,
            op,
        }
    }

    /// Saves a change; without a network it waits in this device's outbox. Ok(true) when saved now.
    async fn save(self, record: Uuid, op: Op) -> Result<bool, AppError> {
        match offline::save_or_queue(self.o, self.mutation(record, op), save_item).await? {
            Saved::Queued => {
                self.notice.set(Some(
                    "Saved on this device; it will sync when the network is back.".into(),
                ));
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
        let Some(filter) = self.filter.try_get_untracked() else {
            return;
        };
        if let Some((page, _)) = self.fetch(Some(filter), None).await {
            let last = page.items.last().map(|i| (i.created_at, i.id));
            let fresh: Vec<Uuid> = page.items.iter().map(|i| i.id).collect();
            let more_than_a_page = page.next.is_some();
            self.items.update(|items| {
                let older: Vec<TimelineItem> = if more_than_a_page {
                    items
                        .drain(..)
                        .filter(|i| !fresh.contains(&i.id) && last.is_some_and(|l| (i.created_at, i.id) < l))
                        .collect()
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
        self.people
            .with_untracked(|p| p.iter().find(|u| u.id.to_string() == id).map(|u| u.name.clone()))
            .unwrap_or_else(|| "someone".into())
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
                            Op::Create { fields } if fields.get("lead_id") == Some(&lead.to_string()) => {
                                Some((m.record_id, fields.clone()))
                            }
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    // What waited on this device has reached the server (or was refused): show the server's items at once,
    // not only when the live stream, reconnecting after the network break, brings the news.
    Effect::watch(
        move || waiting().len(),
        move |now, before, _| {
            if before.is_some_and(|b| now < b) {
                leptos::task::spawn_local(cx.refresh());
            }
        },
        false,
    );
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
        if let Some(el) = document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
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
        let Some(sel) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
        else {
            return Vec::new();
        };
        let opts = sel.selected_options();
        (0..opts.length())
            .filter_map(|i| opts.item(i))
            .filter_map(|o| o.get_attribute("value"))
            .collect()
    }

    pub fn clear_file(file: NodeRef<leptos::html::Input>) {
        if let Some(input) = file.get_untracked() {
            input.set_value("");
        }
    }

    /// Sends the chosen file (if any) to the server first; the note then refers to it by id.
    pub async fn upload(file: NodeRef<leptos::html::Input>, lead: Uuid) -> Result<Option<Uuid>, AppError> {
        let Some(f) = file.get_untracked().and_then(|i| i.files()).and_then(|l| l.get(0)) else {
            return Ok(None);
        };
        if f.size() > crate::domain::timeline::MAX_ATTACHMENT_BYTES as f64 {
            return Err(AppError::BadRequest(format!(
                "Files can be at most {} MB.",
                crate::domain::timeline::MAX_ATTACHMENT_BYTES / (1024 * 1024)
            )));
        }
        let name: String = js_sys::encode_uri_component(&f.name()).into();
        let ctype = if f.type_().is_empty() {
            "application/octet-stream".to_string()
        } else {
            f.type_()
        };
        let req = gloo_net::http::Request::post(&format!("/api/attachments?lead={lead}"))
            .header("X-File-Name", &name)
            .header("Content-Type", &ctype)
            .body(JsValue::from(f))
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        let res = req.send().await.map_err(|_| {
            AppError::Network(
                "Attaching a file needs the network. Save the note without it, or try again online.".into(),
            )
        })?;
        if !res.ok() {
            return Err(AppError::BadRequest(
                res.text()
                    .await
                    .unwrap_or_else(|_| "The file could not be stored.".into()),
            ));
        }
        let v: serde_json::Value = res.json().await.map_err(|e| AppError::BadRequest(e.to_string()))?;
        v.get("id")
            .and_then(|i| i.as_str())
            .and_then(|i| Uuid::parse_str(i).ok())
            .map(Some)
            .ok_or_else(|| AppError::BadRequest("The file could not be stored.".into()))
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
