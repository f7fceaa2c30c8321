//! Business processes (admins only): the list in the order sellers see it, moved up and down, retired or
//! brought back; an editor for a process's stages (whose record, an optional condition) and their steps
//! (a field or a yes/no check, required or not); and the workspace's Qualify setting.
//!
//! The editor keeps one draft. Typing writes into it without re-rendering (focus stays where it is);
//! adding, removing or moving a stage or step re-renders the editor from the draft.

use crate::api::admin::{order_processes, process_settings, save_process, set_qualify_setting};
use crate::components::message::ErrorMessage;
use crate::domain::process::{key_from, step_fields, Cmp, Condition, Process, Record, Stage, Step, StepKind};
use crate::domain::qualify::QualifyMode;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ProcessesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| process_settings());
    view! {
        <h1>"Business processes"</h1>
        <p class="page-links"><a href="/admin">"Users and teams"</a></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                    Ok((list, mode)) => view! {
                        <QualifySetting mode/>
                        <ProcessList list/>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn QualifySetting(mode: QualifyMode) -> impl IntoView {
    let chosen = RwSignal::new(mode.as_str().to_string());
    let result = RwSignal::new(None::<Result<(), AppError>>);
    let save = move |_| {
        result.set(None);
        spawn_local(async move {
            let r = set_qualify_setting(chosen.get_untracked()).await;
            let _ = result.try_set(Some(r));
        });
    };
    let option = move |value: &'static str, label: &'static str| view! { <option value=value selected=move || chosen.get() == value>{label}</option> };
    view! {
        <section class="setting" aria-labelledby="qualify-setting-h">
            <h2 id="qualify-setting-h">"Qualify"</h2>
            <div class="field">
                <label for="qualify-mode">"When a lead is qualified"</label>
                <select id="qualify-mode" prop:value=move || chosen.get() on:change=move |ev| chosen.set(event_target_value(&ev))>
                    {option("automatic", "Create the account, contact and opportunity at once")}
                    {option("choose", "Let the seller choose what to create")}
                </select>
            </div>
            <button type="button" on:click=save>"Save setting"</button>
            {move || result.get().map(|r| match r {
                Ok(()) => view! { <p class="ok-box" role="status">"Setting saved."</p> }.into_any(),
                Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
            })}
        </section>
    }
}

/// What the list says happened last (one status line, so screen readers hear it once).
#[derive(Clone)]
enum Notice {
    Done(String),
    Failed(AppError),
}

#[component]
fn ProcessList(list: Vec<Process>) -> impl IntoView {
    let list = RwSignal::new(list);
    let notice = RwSignal::new(None::<Notice>);
    // The process being edited, and whether it is new.
    let editing = RwSignal::new(None::<(Process, bool)>);
    let finish = move |r: Result<(), AppError>, done: String| match r {
        Ok(()) => {
            let _ = notice.try_set(Some(Notice::Done(done)));
            // The list reloads in place (reloading the page's resource would rebuild it and drop the notice).
            spawn_local(async move {
                if let Ok((fresh, _)) = process_settings().await {
                    let _ = list.try_set(fresh);
                }
            });
        }
        Err(e) => {
            let _ = notice.try_set(Some(Notice::Failed(e)));
        }
    };
    let move_by = move |i: usize, up: bool| {
        let mut keys: Vec<String> = list.get_untracked().into_iter().map(|p| p.key).collect();
        if !shift(&mut keys, i, up) {
            return;
        }
        spawn_local(async move { finish(order_processes(keys).await, "Order saved.".into()) });
    };
    let set_retired = move |mut p: Process, retired: bool| {
        p.retired = retired;
        let done = if retired {
            format!(
                "“{}” is retired: records in it go on, new ones cannot choose it.",
                p.name
            )
        } else {
            format!("“{}” is available again.", p.name)
        };
        spawn_local(async move { finish(save_process(p).await, done) });
    };
    let new_name = RwSignal::new(String::new());
    let start_new = move |_| {
        let name = new_name.get_untracked();
        if name.trim().is_empty() {
            notice.set(Some(Notice::Failed(AppError::BadRequest(
                "Give the new process a name first.".into(),
            ))));
            return;
        }
        let taken = list.get_untracked();
        editing.set(Some((
            Process::blank(&name, |k| taken.iter().any(|p| p.key == k)),
            true,
        )));
    };
    view! {
        <section aria-labelledby="processes-h">
            <h2 id="processes-h">"Processes"</h2>
            <p class="note">"Sellers choose from them in this order. New leads start in “Lead to opportunity sales process” (trade-show leads in “Trade show follow-up”), or in the first one not retired when that one is."</p>
            <ol class="process-list">
                {move || list.get().into_iter().enumerate().map(|(i, p)| {
                    let name = p.name.clone();
                    let (edit_p, retire_p) = (p.clone(), p.clone());
                    let retired = p.retired;
                    let stages = p.stages.iter().map(|s| s.name.clone()).collect::<Vec<_>>().join(" → ");
                    view! {
                        <li class="process-row">
                            <div>
                                <strong>{name.clone()}</strong>
                                {retired.then(|| view! { <span class="badge">"Retired"</span> })}
                                <p class="note">{stages}</p>
                            </div>
                            <div class="item-actions">
                                <button type="button" aria-label=format!("Edit {name}") on:click=move |_| editing.set(Some((edit_p.clone(), false)))>"Edit"</button>
                                <button type="button" aria-label=format!("Move {name} up") on:click=move |_| move_by(i, true)>"↑"</button>
                                <button type="button" aria-label=format!("Move {name} down") on:click=move |_| move_by(i, false)>"↓"</button>
                                <button type="button" aria-label=format!("{} {name}", if retired { "Bring back" } else { "Retire" })
                                    on:click=move |_| set_retired(retire_p.clone(), !retired)>{if retired { "Bring back" } else { "Retire" }}</button>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ol>
            {move || notice.get().map(|n| match n {
                Notice::Done(text) => view! { <p class="ok-box" role="status">{text}</p> }.into_any(),
                Notice::Failed(e) => view! { <ErrorMessage error=e/> }.into_any(),
            })}
            <div class="new-process">
                <div class="field">
                    <label for="new-process-name">"New process name"</label>
                    <input id="new-process-name" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/>
                </div>
                <button type="button" on:click=start_new>"Create process"</button>
            </div>
            {move || editing.get().map(|(p, is_new)| view! {
                <ProcessEditor process=p is_new
                    on_done=Callback::new(move |saved: Option<String>| {
                        editing.set(None);
                        if let Some(name) = saved {
                            new_name.set(String::new());
                            finish(Ok(()), format!("“{name}” saved."));
                        }
                    })/>
            })}
        </section>
    }
}

fn cmp_value(c: Cmp) -> &'static str {
    match c {
        Cmp::Gt => "gt",
        Cmp::Ge => "ge",
        Cmp::Lt => "lt",
        Cmp::Le => "le",
        Cmp::Eq => "eq",
        Cmp::Ne => "ne",
        Cmp::IsSet => "set",
        Cmp::IsEmpty => "empty",
    }
}

const CMPS: [(Cmp, &str); 8] = [
    (Cmp::Gt, "is above"),
    (Cmp::Ge, "is at least"),
    (Cmp::Lt, "is below"),
    (Cmp::Le, "is at most"),
    (Cmp::Eq, "is"),
    (Cmp::Ne, "is not"),
    (Cmp::IsSet, "is filled in"),
    (Cmp::IsEmpty, "is empty"),
];

/// The editable form of a stage's condition: the editor offers one comparison; a combined condition
/// (several comparisons) is kept as it is and shown in words.
#[derive(Clone, Default)]
struct Simple {
    field: String,
    cmp: String,
    value: String,
}

fn simple(when: &Option<Condition>) -> Option<Simple> {
    match when {
        None => Some(Simple::default()),
        Some(Condition::Compare { field, cmp, value }) => Some(Simple {
            field: field.clone(),
            cmp: cmp_value(*cmp).into(),
            value: value.clone(),
        }),
        Some(_) => None,
    }
}

fn condition_from(s: &Simple) -> Option<Condition> {
    if s.field.is_empty() {
        return None;
    }
    let cmp = CMPS
        .iter()
        .map(|(c, _)| *c)
        .find(|c| cmp_value(*c) == s.cmp)
        .unwrap_or(Cmp::Gt);
    Some(Condition::Compare {
        field: s.field.clone(),
        cmp,
        value: s.value.trim().to_string(),
    })
}

/// The draft's step `j` of stage `i`. Indices come from the last render, so they are checked rather
/// than trusted: a panic here would stop the whole page.
fn step_at(p: &mut Process, i: usize, j: usize) -> Option<&mut Step> {
    p.stages.get_mut(i).and_then(|s| s.steps.get_mut(j))
}

/// Moves item `i` one place up or down; false when it is already at that end.
fn shift<T>(v: &mut [T], i: usize, up: bool) -> bool {
    let j = if up {
        i.checked_sub(1)
    } else {
        Some(i + 1).filter(|j| *j < v.len())
    };
    match j {
        Some(j) => {
            v.swap(i, j);
            true
        }
        None => false,
    }
}

#[component]
fn ProcessEditor(process: Process, is_new: bool, on_done: Callback<Option<String>>) -> impl IntoView {
    let draft = RwSignal::new(process);
    // Conditions as the form edits them, one per stage (None: a combined condition, kept).
    let conds = RwSignal::new(draft.with_untracked(|p| p.stages.iter().map(|s| simple(&s.when)).collect::<Vec<_>>()));
    let errors = RwSignal::new(Vec::<String>::new());
    let failed = RwSignal::new(None::<AppError>);
    let saving = RwSignal::new(false);
    let title = draft.with_untracked(|p| {
        if is_new {
            format!("New process: {}", p.name)
        } else {
            format!("Edit {}", p.name)
        }
    });
    // Structure changes: re-render the editor from the draft.
    let restructure = move |f: &dyn Fn(&mut Process, &mut Vec<Option<Simple>>)| {
        let mut c = conds.get_untracked();
        draft.update(|p| f(p, &mut c));
        conds.set(c);
    };
    let save = move |_| {
        let mut p = draft.get_untracked();
        for (stage, c) in p.stages.iter_mut().zip(conds.get_untracked()) {
            if let Some(c) = c {
                stage.when = condition_from(&c);
            }
        }
        errors.set(vec![]);
        failed.set(None);
        saving.set(true);
        let name = p.name.clone();
        spawn_local(async move {
            let r = save_process(p).await;
            let _ = saving.try_set(false);
            match r {
                Ok(()) => {
                    on_done.try_run(Some(name));
                }
                Err(AppError::Invalid(list)) => {
                    let _ = errors.try_set(list.into_iter().map(|e| e.message).collect());
                }
                Err(e) => {
                    let _ = failed.try_set(Some(e));
                }
            }
        });
    };
    let fields = step_fields();
    let stage_view = move |i: usize, st: Stage, cond: Option<Simple>, fields: Vec<(&'static str, &'static str)>| {
        let n = i + 1;
        let field_options = {
            let fields = fields.clone();
            move |selected: String| {
                fields
                    .iter()
                    .map(|(k, label)| view! { <option value=*k selected=selected == *k>{*label}</option> })
                    .collect_view()
            }
        };
        let steps = st.steps.iter().cloned().enumerate().map(|(j, step)| {
            let m = j + 1;
            let kind_value = match &step.kind {
                StepKind::Check => String::new(),
                StepKind::Field(f) => f.clone(),
            };
            view! {
                <li class="step-edit">
                    <input aria-label=format!("Stage {n} step {m} label") value=step.label.clone()
                        on:input=move |ev| { let v = event_target_value(&ev); draft.update_untracked(|p| if let Some(st) = step_at(p, i, j) { st.label = v }); }/>
                    <select aria-label=format!("Stage {n} step {m} kind")
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            draft.update_untracked(|p| if let Some(st) = step_at(p, i, j) { st.kind = if v.is_empty() { StepKind::Check } else { StepKind::Field(v) } });
                        }>
                        <option value="" selected=kind_value.is_empty()>"A yes/no check"</option>
                        {field_options(kind_value.clone())}
                    </select>
                    <label class="choice">
                        <input type="checkbox" checked=step.required
                            on:change=move |ev| { let on = event_target_checked(&ev); draft.update_untracked(|p| if let Some(st) = step_at(p, i, j) { st.required = on }); }/>
                        {format!("Stage {n} step {m} required")}
                    </label>
                    <div class="item-actions">
                        <button type="button" aria-label=format!("Move stage {n} step {m} up") on:click=move |_| restructure(&|p, _| if let Some(st) = p.stages.get_mut(i) { shift(&mut st.steps, j, true); })>"↑"</button>
                        <button type="button" aria-label=format!("Move stage {n} step {m} down") on:click=move |_| restructure(&|p, _| if let Some(st) = p.stages.get_mut(i) { shift(&mut st.steps, j, false); })>"↓"</button>
                        <button type="button" aria-label=format!("Remove stage {n} step {m}") on:click=move |_| restructure(&|p, _| if let Some(st) = p.stages.get_mut(i).filter(|st| j < st.steps.len()) { st.steps.remove(j); })>"Remove"</button>
                    </div>
                </li>
            }
        }).collect_view();
        let condition = match cond {
            None => view! { <p class="note">"Shown when a combined condition holds (kept as it is)."</p> }.into_any(),
            Some(c) => {
                let field_options = field_options.clone();
                view! {
                    <div class="condition">
                        <select aria-label=format!("Stage {n} shown")
                            on:change=move |ev| { let v = event_target_value(&ev); conds.update_untracked(|cs| if let Some(Some(c)) = cs.get_mut(i) { c.field = v }); }>
                            <option value="" selected=c.field.is_empty()>"Always"</option>
                            <optgroup label="Only when this field">{field_options(c.field.clone())}</optgroup>
                        </select>
                        <select aria-label=format!("Stage {n} comparison")
                            on:change=move |ev| { let v = event_target_value(&ev); conds.update_untracked(|cs| if let Some(Some(c)) = cs.get_mut(i) { c.cmp = v }); }>
                            {CMPS.iter().map(|(cmp, label)| view! { <option value=cmp_value(*cmp) selected=c.cmp == cmp_value(*cmp)>{*label}</option> }).collect_view()}
                        </select>
                        <input aria-label=format!("Stage {n} compared with") value=c.value.clone()
                            on:input=move |ev| { let v = event_target_value(&ev); conds.update_untracked(|cs| if let Some(Some(c)) = cs.get_mut(i) { c.value = v }); }/>
                    </div>
                }.into_any()
            }
        };
        let record = st.record;
        view! {
            <fieldset class="stage-edit">
                <legend>{format!("Stage {n}")}</legend>
                <div class="field">
                    <label for=format!("stage-{n}-name")>{format!("Stage {n} name")}</label>
                    <input id=format!("stage-{n}-name") value=st.name.clone()
                        on:input=move |ev| { let v = event_target_value(&ev); draft.update_untracked(|p| if let Some(st) = p.stages.get_mut(i) { st.name = v }); }/>
                </div>
                <div class="field">
                    <label for=format!("stage-{n}-record")>{format!("Stage {n} belongs to")}</label>
                    <select id=format!("stage-{n}-record")
                        on:change=move |ev| { let v = event_target_value(&ev); draft.update_untracked(|p| if let Some(st) = p.stages.get_mut(i) { st.record = if v == "lead" { Record::Lead } else { Record::Opportunity } }); }>
                        <option value="lead" selected=record == Record::Lead>"The lead (before Qualify)"</option>
                        <option value="opportunity" selected=record == Record::Opportunity>"The opportunity (after Qualify)"</option>
                    </select>
                </div>
                {condition}
                <ol class="steps-edit">{steps}</ol>
                <div class="item-actions">
                    <button type="button" on:click=move |_| restructure(&|p, _| {
                        let key = key_from("step", "step", |k| p.key_taken(k));
                        if let Some(st) = p.stages.get_mut(i) {
                            st.steps.push(Step { key, label: String::new(), kind: StepKind::Check, required: false });
                        }
                    })>{format!("Add a step to stage {n}")}</button>
                    <button type="button" aria-label=format!("Move stage {n} up") on:click=move |_| restructure(&|p, c| { if shift(&mut p.stages, i, true) { shift(c, i, true); } })>"↑"</button>
                    <button type="button" aria-label=format!("Move stage {n} down") on:click=move |_| restructure(&|p, c| { if shift(&mut p.stages, i, false) { shift(c, i, false); } })>"↓"</button>
                    <button type="button" aria-label=format!("Remove stage {n}") on:click=move |_| restructure(&|p, c| if i < p.stages.len() && i < c.len() { p.stages.remove(i); c.remove(i); })>"Remove stage"</button>
                </div>
            </fieldset>
        }
    };
    view! {
        <section class="process-editor" aria-labelledby="process-editor-h">
            <h2 id="process-editor-h">{title}</h2>
            <div class="field">
                <label for="process-name">"Process name"</label>
                <input id="process-name" value=draft.with_untracked(|p| p.name.clone())
                    on:input=move |ev| { let v = event_target_value(&ev); draft.update_untracked(|p| p.name = v); }/>
            </div>
            {move || {
                let p = draft.get();
                let cs = conds.get_untracked();
                p.stages.into_iter().zip(cs).enumerate().map(|(i, (st, c))| stage_view(i, st, c, fields.clone())).collect_view()
            }}
            <button type="button" on:click=move |_| restructure(&|p, c| {
                let key = key_from("stage", "stage", |k| p.key_taken(k));
                p.stages.push(Stage { key, name: String::new(), record: Record::Opportunity, steps: vec![], when: None });
                c.push(Some(Simple::default()));
            })>"Add a stage"</button>
            {move || (!errors.get().is_empty()).then(|| view! {
                <div class="error-box" role="alert">
                    <p>"The process was not saved:"</p>
                    <ul>{errors.get().into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul>
                </div>
            })}
            {move || failed.get().map(|e| view! { <ErrorMessage error=e/> })}
            <div class="actions">
                <button type="button" on:click=save disabled=move || saving.get()>"Save process"</button>
                <button type="button" on:click=move |_| on_done.run(None)>"Cancel"</button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_round_trip_through_the_form() {
        let c = Condition::Compare {
            field: "budget_amount".into(),
            cmp: Cmp::Ge,
            value: "10000".into(),
        };
        let s = simple(&Some(c.clone())).unwrap();
        assert_eq!(condition_from(&s), Some(c));
        assert_eq!(condition_from(&simple(&None).unwrap()), None, "always shown");
        assert!(
            simple(&Some(Condition::All(vec![]))).is_none(),
            "a combined condition is kept, not edited"
        );
        let mut v = vec![1, 2, 3];
        assert!(shift(&mut v, 0, false) && v == [2, 1, 3]);
        assert!(!shift(&mut v, 0, true) && !shift(&mut v, 2, false));
    }
}
