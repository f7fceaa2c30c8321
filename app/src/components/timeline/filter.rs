//! The timeline's filter bar: kinds, status, dates and a search; each change loads the first page again.

use super::{browser, Ctx};
use crate::domain::timeline::{Filter, ItemKind, Status};
use leptos::prelude::*;

#[component]
pub(super) fn FilterBar(cx: Ctx) -> impl IntoView {
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
