use crate::api::leads::{owner_options, CreateLead};
use crate::components::field::FieldInput;
use crate::components::message::ErrorMessage;
use crate::domain::fields::{in_group, Group};
use crate::error::AppError;
use leptos::prelude::*;

/// A plain form (works without JavaScript). The new lead's id is minted here, so posting twice creates one lead.
#[component]
pub fn NewLeadPage() -> impl IntoView {
    let action = ServerAction::<CreateLead>::new();
    let owners = Resource::new(|| (), |_| owner_options());
    let id = uuid::Uuid::now_v7().to_string();
    let err = move |key: &'static str| Signal::derive(move || action.value().get().and_then(|r| r.err()).and_then(|e| e.field_error(key)));
    view! {
        <h1>"New lead"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let id = id.clone();
                Suspend::new(async move {
                    let owners = owners.await.unwrap_or_default();
                    view! {
                        <ActionForm action=action attr:novalidate="">
                            <input type="hidden" name="id" value=id/>
                            {move || match action.value().get() {
                                Some(Err(AppError::Invalid(_))) => Some(view! { <p class="error-box" role="alert">"Please correct the highlighted fields."</p> }.into_any()),
                                Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
                                _ => None,
                            }}
                            {Group::ALL.into_iter().map(|g| {
                                let owners = owners.clone();
                                view! {
                                    <fieldset>
                                        <legend>{g.label()}</legend>
                                        {in_group(g).filter(|s| s.key != "status_reason").map(|spec| {
                                            let initial = if spec.key == "source" { "Trade Show" } else { "" };
                                            view! {
                                                <FieldInput spec=spec name=format!("fields[{}]", spec.key) value=Signal::stored(initial.to_string())
                                                    error=err(spec.key) owners=owners.clone()/>
                                            }
                                        }).collect_view()}
                                    </fieldset>
                                }
                            }).collect_view()}
                            <button type="submit">"Save lead"</button>
                        </ActionForm>
                    }
                })
            }}
        </Suspense>
    }
}
