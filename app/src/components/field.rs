//! One labelled input for a lead field, with its message when the value was refused.

use crate::domain::fields::{FieldSpec, Kind};
use crate::model::UserOption;
use leptos::prelude::*;

#[component]
pub fn FieldInput(
    spec: &'static FieldSpec,
    /// The form name: `fields[topic]` in plain forms.
    #[prop(into)]
    name: String,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] on_change: Option<Callback<String>>,
    #[prop(optional)] disabled: bool,
    #[prop(optional)] owners: Vec<UserOption>,
    /// Keeps ids unique when a field shows twice on a page (the form and the stage panel).
    #[prop(optional)]
    id_prefix: &'static str,
) -> impl IntoView {
    let id = format!("{id_prefix}f-{}", spec.key);
    let err_id = format!("{id}-err");
    let described = move || error.get().map(|_| format!("{id_prefix}f-{}-err", spec.key));
    let invalid = move || error.get().map(|_| "true");
    let input = move |ev: leptos::ev::Event| {
        if let Some(cb) = on_change {
            cb.run(event_target_value(&ev));
        }
    };
    let control = match spec.kind {
        Kind::LongText => view! {
            <textarea id=id.clone() name=name rows="4" disabled=disabled aria-invalid=invalid aria-describedby=described
                prop:value=move || value.get() on:input=input>{value.get_untracked()}</textarea>
        }
        .into_any(),
        Kind::Choice(options) => {
            let opts = options
                .iter()
                .map(|o| (o.to_string(), o.to_string()))
                .collect::<Vec<_>>();
            select(id.clone(), name, opts, value, disabled, input, invalid, described).into_any()
        }
        Kind::Bool => {
            let opts = vec![
                ("true".to_string(), "Yes".to_string()),
                ("false".to_string(), "No".to_string()),
            ];
            select(id.clone(), name, opts, value, disabled, input, invalid, described).into_any()
        }
        Kind::User => {
            let opts = owners
                .iter()
                .map(|u| (u.id.to_string(), format!("{} ({})", u.name, u.team_name)))
                .collect();
            select(id.clone(), name, opts, value, disabled, input, invalid, described).into_any()
        }
        kind => {
            let (ty, mode) = match kind {
                Kind::Email => ("email", "email"),
                Kind::Phone => ("tel", "tel"),
                Kind::Url => ("text", "url"),
                Kind::Int { .. } => ("text", "numeric"),
                Kind::Money => ("text", "decimal"),
                _ => ("text", "text"),
            };
            view! {
                <input id=id.clone() type=ty inputmode=mode name=name disabled=disabled aria-invalid=invalid aria-describedby=described
                    aria-required=spec.required.then_some("true") value=value.get_untracked() prop:value=move || value.get() on:input=input/>
            }
            .into_any()
        }
    };
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id>{spec.label}{spec.required.then_some(" *")}</label>
            {control}
            {move || error.get().map(|m| view! { <p class="field-error" id=err_id.clone()>{m}</p> })}
        </div>
    }
}

#[allow(clippy::too_many_arguments)]
fn select(
    id: String,
    name: String,
    options: Vec<(String, String)>,
    value: Signal<String>,
    disabled: bool,
    input: impl Fn(leptos::ev::Event) + 'static,
    invalid: impl Fn() -> Option<&'static str> + Send + 'static,
    described: impl Fn() -> Option<String> + Send + 'static,
) -> impl IntoView {
    let initial = value.get_untracked();
    view! {
        <select id=id name=name disabled=disabled aria-invalid=invalid aria-describedby=described
            prop:value=move || value.get() on:change=input>
            <option value="" selected=initial.is_empty()>"—"</option>
            {options.into_iter().map(|(v, label)| {
                let selected = v == initial;
                view! { <option value=v selected=selected>{label}</option> }
            }).collect_view()}
        </select>
    }
}
