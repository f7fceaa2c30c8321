//! Logging something new on the timeline: a post or reply with @ mentions, an activity with its
//! fields, a note with an attached file (uploaded first).

use super::{browser, Ctx};
use crate::domain::mutation::Op;
use crate::domain::timeline::{complete_mention, mention_prefix, ItemKind};
use crate::error::AppError;
use leptos::prelude::*;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A post or a reply, with @ suggestions of colleagues who can see the lead.
#[component]
pub(super) fn PostBox(cx: Ctx, parent: Option<Uuid>, #[prop(optional)] on_done: Option<Callback<()>>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let area = format!("post-{}", parent.map(|p| p.to_string()).unwrap_or_else(|| "new".into()));
    let label = if parent.is_some() {
        "Write a reply"
    } else {
        "Write a post"
    };
    let suggestions = move || {
        let t = text.get();
        let Some(prefix) = mention_prefix(&t) else {
            return Vec::new();
        };
        let prefix = prefix.to_lowercase();
        cx.people.with(|p| {
            p.iter()
                .filter(|u| {
                    u.name.to_lowercase().starts_with(&prefix) || u.name.to_lowercase().contains(&format!(" {prefix}"))
                })
                .take(6)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let send = move |_| {
        let body = text.get_untracked();
        if body.trim().is_empty() {
            error.set(Some("Write something first.".into()));
            return;
        }
        let mut fields = BTreeMap::from([
            ("lead_id".to_string(), cx.lead.to_string()),
            ("kind".to_string(), "post".to_string()),
            ("body".to_string(), body),
        ]);
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
pub(super) fn Composer(cx: Ctx) -> impl IntoView {
    let kind = RwSignal::new(ItemKind::Post);
    let values: RwSignal<BTreeMap<String, String>> = RwSignal::new(BTreeMap::new());
    let result: RwSignal<Option<AppError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let file = NodeRef::<leptos::html::Input>::new();
    let kinds = [
        ItemKind::Post,
        ItemKind::PhoneCall,
        ItemKind::Task,
        ItemKind::Appointment,
        ItemKind::Email,
        ItemKind::Note,
    ];
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let k = kind.get_untracked();
        let mut fields: BTreeMap<String, String> = values
            .get_untracked()
            .into_iter()
            .filter(|(key, v)| {
                !v.trim().is_empty() && (key == "subject" || key == "body" || k.detail_fields().contains(&key.as_str()))
            })
            .collect();
        // Times typed in the person's own zone travel as UTC milliseconds.
        for key in ["start", "end", "due"] {
            if let Some(v) = fields.get(key).cloned() {
                fields.insert(
                    key.into(),
                    browser::local_to_ms(&v).map(|ms| ms.to_string()).unwrap_or(v),
                );
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
    let err = move |key: &'static str| {
        move || {
            result
                .get()
                .and_then(|e| e.field_error(key))
                .map(|m| view! { <span class="field-error" role="alert">{m}</span> })
        }
    };
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
