//! Form pieces the pages share.

use leptos::prelude::*;

/// A label, its control and the control's message.
#[component]
pub fn Labelled(
    id: &'static str,
    label: &'static str,
    #[prop(into)] err: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field" class:has-error=move || err.get().is_some()>
            <label for=id>{label}</label>
            {children()}
            {move || err.get().map(|m| view! { <p class="field-error" id=format!("{id}-err")>{m}</p> })}
        </div>
    }
}
