//! The business process bar: every stage of the record's process (done, active with the time spent in it,
//! to come), the selected stage's steps filled in place, Next/Previous stage and Switch process.
//! The rules are `domain::process`'s; the bar asks them and hands changes to the page, which saves them
//! as one mutation (the server checks them again).

use crate::components::field::FieldInput;
use crate::domain::fields;
use crate::domain::process::{checks_from_text, checks_to_text, MoveError, Process, ProcessState, Record, StepKind};
use leptos::prelude::*;
use std::collections::BTreeMap;

fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    return leptos::web_sys::js_sys::Date::now() as i64;
    #[cfg(not(feature = "hydrate"))]
    return std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
}

/// "3 days", "5 h", "12 min": how long a stage has been active.
pub fn elapsed(ms: i64) -> String {
    let min = ms.max(0) / 60_000;
    match min {
        m if m >= 2 * 24 * 60 => format!("{} days", m / (24 * 60)),
        m if m >= 24 * 60 => "1 day".into(),
        m if m >= 60 => format!("{} h", m / 60),
        m => format!("{m} min"),
    }
}

#[component]
pub fn StageBar(
    processes: Vec<Process>,
    /// The record's values now: saved ones plus edits in progress (stage, process_id, process_checks too).
    #[prop(into)]
    values: Signal<BTreeMap<String, String>>,
    record: Record,
    /// When the active stage was entered, UTC ms.
    #[prop(into)]
    since: Signal<i64>,
    can_edit: bool,
    /// An edit in progress of one value (bound like the form's fields).
    on_edit: Callback<(String, String)>,
    /// Save now, with these values on top of the edits in progress.
    on_save: Callback<BTreeMap<String, String>>,
    /// "Next stage" at the end of the lead's part: qualifying goes on from there.
    #[prop(optional)]
    on_qualify: Option<Callback<()>>,
    /// The server's refusal of the last stage change, if any.
    #[prop(into)]
    refused: Signal<Option<String>>,
) -> impl IntoView {
    let processes = StoredValue::new(processes);
    let get = move |k: &str| values.with(|v| v.get(k).cloned().unwrap_or_default());
    let process = Memo::new(move |_| {
        let key = get("process_id");
        processes.with_value(|ps| ps.iter().find(|p| p.key == key).cloned())
    });
    // Memos, so that typing in a field re-renders neither the stages nor the open panel (focus stays).
    let active_key = Memo::new(move |_| get("stage"));
    let checks_text = Memo::new(move |_| get("process_checks"));
    let flow_keys = Memo::new(move |_| {
        process
            .get()
            .map(|p| values.with(|v| p.flow(v).into_iter().map(|s| s.key.clone()).collect::<Vec<_>>()))
            .unwrap_or_default()
    });
    let selected = RwSignal::new(None::<String>);
    let shown_stage = move || selected.get().unwrap_or_else(|| active_key.get());
    let problem = RwSignal::new(None::<String>);
    let state = move || ProcessState {
        process: get("process_id"),
        stage: get("stage"),
        history: vec![(get("stage"), since.get())],
        checks: checks_from_text(&get("process_checks")),
    };
    let next = move |_| {
        let Some(p) = process.get_untracked() else { return };
        let values = values.get_untracked();
        match p.next(&state(), record, &values, now_ms()) {
            Ok(s) => {
                problem.set(None);
                selected.set(None);
                on_save.run([("stage".to_string(), s.stage)].into());
            }
            Err(MoveError::NeedsOpportunity) if on_qualify.is_some() => {
                problem.set(None);
                if let Some(q) = on_qualify {
                    q.run(());
                }
            }
            Err(e) => problem.set(Some(e.to_string())),
        }
    };
    let back = move |_| {
        let Some(p) = process.get_untracked() else { return };
        match p.back(&state(), record, &values.get_untracked(), now_ms()) {
            Ok(s) => {
                problem.set(None);
                selected.set(None);
                on_save.run([("stage".to_string(), s.stage)].into());
            }
            Err(e) => problem.set(Some(e.to_string())),
        }
    };
    let switch_to = RwSignal::new(String::new());
    let switch = move |_| {
        let key = switch_to.get_untracked();
        let Some(p) = processes.with_value(|ps| ps.iter().find(|p| p.key == key).cloned()) else {
            return;
        };
        let s = p.switch_to(&state(), record, &values.get_untracked(), now_ms());
        problem.set(None);
        selected.set(None);
        on_save.run([("process_id".to_string(), s.process), ("stage".to_string(), s.stage)].into());
    };
    view! {
        <section class="process" aria-label="Business process">
            {move || match process.get() {
                None => view! { <p class="note">"This record's process is not available on this device yet."</p> }.into_any(),
                Some(p) => {
                    let flow: Vec<_> = flow_keys.get().iter().filter_map(|k| p.stage(k).cloned()).collect();
                    let active = active_key.get();
                    let at = flow.iter().position(|s| s.key == active).unwrap_or(0);
                    view! {
                        <h2 class="process-name">{p.name.clone()}</h2>
                        <ol class="stages">
                            {flow.iter().enumerate().map(|(i, s)| {
                                let key = s.key.clone();
                                let k2 = key.clone();
                                let status = if i < at { "done".to_string() } else if i == at { format!("active, {}", elapsed(now_ms() - since.get_untracked())) } else { "to come".to_string() };
                                let class = if i < at { "done" } else if i == at { "active" } else { "todo" };
                                view! {
                                    <li class=class>
                                        <button type="button" aria-pressed=move || (shown_stage() == k2).to_string()
                                            aria-label=format!("{} ({status})", s.name)
                                            on:click=move |_| { problem.set(None); selected.set(Some(key.clone())); }>
                                            <span class="stage-name">{s.name.clone()}</span>
                                            <span class="stage-state">{status.clone()}</span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }
            }}
            {move || {
                let p = process.get()?;
                let key = shown_stage();
                let stage = p.stage(&key)?.clone();
                let active = key == active_key.get();
                let here = stage.record == record;
                let editable = can_edit && here;
                let checks = checks_from_text(&checks_text.get());
                Some(view! {
                    <div class="stage-panel" role="region" aria-label=format!("{} steps", stage.name)>
                        <h3>{format!("{} steps", stage.name)}</h3>
                        {(!here).then(|| view! { <p class="note">{if record == Record::Lead { "Filled in on the opportunity, after qualifying." } else { "Captured on the lead before it was qualified." }}</p> })}
                        <ul class="steps">
                            {stage.steps.iter().map(|step| {
                                let label = format!("{}{}", step.label, if step.required { " (required)" } else { "" });
                                match &step.kind {
                                    StepKind::Check => {
                                        let k = step.key.clone();
                                        let checked = checks.contains_key(&k);
                                        view! {
                                            <li class="step check"><label>
                                                <input type="checkbox" checked=checked disabled=!editable on:change=move |ev| {
                                                    let mut c = checks_from_text(&get("process_checks"));
                                                    if event_target_checked(&ev) { c.insert(k.clone(), "true".into()); } else { c.remove(&k); }
                                                    on_edit.run(("process_checks".into(), checks_to_text(&c)));
                                                }/>
                                                {label}
                                            </label></li>
                                        }.into_any()
                                    }
                                    StepKind::Field(f) => match fields::spec(f).or_else(|| crate::domain::opportunity::spec(f)) {
                                        Some(spec) => {
                                            let key = spec.key;
                                            view! {
                                                <li class="step">
                                                    <FieldInput spec=spec name=key id_prefix="step-"
                                                        value=Signal::derive(move || get(key)) error=Signal::derive(|| None::<String>)
                                                        disabled=!editable on_change=Callback::new(move |v: String| on_edit.run((key.to_string(), v)))/>
                                                </li>
                                            }.into_any()
                                        }
                                        // The opportunity's own fields: shown as text here.
                                        None => {
                                            let f = f.clone();
                                            view! { <li class="step"><span class="step-label">{label}</span>": "<span>{move || { let v = get(&f); if v.is_empty() { "—".to_string() } else { v } }}</span></li> }.into_any()
                                        }
                                    },
                                }
                            }).collect_view()}
                        </ul>
                        {(active && editable).then(|| view! {
                            <div class="actions">
                                <button type="button" class="secondary" on:click=back>"Previous stage"</button>
                                <button type="button" on:click=next>"Next stage"</button>
                                <button type="button" class="secondary" on:click=move |_| on_save.run(BTreeMap::new())>"Save steps"</button>
                            </div>
                        })}
                    </div>
                })
            }}
            {move || problem.get().or_else(|| refused.get()).map(|m| view! { <p class="error-box" role="alert">{m}</p> })}
            {can_edit.then(|| {
                let options = processes.with_value(|ps| ps.iter().filter(|p| !p.retired).map(|p| (p.key.clone(), p.name.clone())).collect::<Vec<_>>());
                view! {
                    <div class="switch">
                        <label for="switch-process">"Switch process"</label>
                        <select id="switch-process" on:change=move |ev| switch_to.set(event_target_value(&ev))>
                            <option value="">"Choose a process"</option>
                            {options.into_iter().map(|(k, n)| view! { <option value=k>{n}</option> }).collect_view()}
                        </select>
                        <button type="button" class="secondary" disabled=move || switch_to.get().is_empty() || switch_to.get() == get("process_id") on:click=switch>"Switch"</button>
                    </div>
                }
            })}
        </section>
    }
}
