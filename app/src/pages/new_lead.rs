use crate::api::leads::{owner_options, CreateLead};
use crate::components::field::FieldInput;
use crate::components::message::ErrorMessage;
use crate::domain::fields::{in_group, Group};
use crate::error::AppError;
use crate::offline::use_offline;
use leptos::prelude::*;

/// A plain form (works without JavaScript). The new lead's id is minted here, so posting twice creates one lead.
#[component]
pub fn NewLeadPage() -> impl IntoView {
    let action = ServerAction::<CreateLead>::new();
    let owners = Resource::new(|| (), |_| owner_options());
    let id = uuid::Uuid::now_v7().to_string();
    // Without a network the form is checked here by the same rules and the lead waits in the outbox.
    let local: RwSignal<Option<AppError>> = RwSignal::new(None);
    let err = move |key: &'static str| {
        Signal::derive(move || {
            local
                .get()
                .or_else(|| action.value().get().and_then(|r| r.err()))
                .and_then(|e| e.field_error(key))
        })
    };
    // Once saved, the form stays on screen while the lead page's code loads: it is locked then, so
    // nothing can be typed into a form that is about to go away.
    let done = move || action.pending().get() || matches!(action.value().get(), Some(Ok(_)));
    let wrapper = NodeRef::<leptos::html::Div>::new();
    let o = use_offline();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(div) = wrapper.get() {
            offline_submit(&div, o, local, navigate.clone());
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (wrapper.get(), o, local, &navigate);
    });
    view! {
        <h1>"New lead"</h1>
        <div node_ref=wrapper>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let id = id.clone();
                Suspend::new(async move {
                    let owners = owners.await.unwrap_or_default();
                    view! {
                        <ActionForm action=action attr:novalidate="">
                            <input type="hidden" name="id" value=id/>
                            {move || match local.get().map(Err).or_else(|| action.value().get()) {
                                Some(Err(AppError::Invalid(_))) => Some(view! { <p class="error-box" role="alert">"Please correct the highlighted fields."</p> }.into_any()),
                                Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
                                _ => None,
                            }}
                            {Group::ALL.into_iter().map(|g| {
                                let owners = owners.clone();
                                view! {
                                    <fieldset disabled=done>
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
                            {move || matches!(action.value().get(), Some(Ok(_))).then(|| view! { <p class="ok-box" role="status">"Saved. Opening the lead…"</p> })}
                            <button type="submit" disabled=done>"Save lead"</button>
                        </ActionForm>
                    }
                })
            }}
        </Suspense>
        </div>
    }
}

/// Listens (capture phase, so before the form's own handler) for a submit while offline: checks the form,
/// queues the new lead and opens it.
#[cfg(feature = "hydrate")]
fn offline_submit(
    div: &leptos::web_sys::HtmlDivElement,
    o: crate::offline::Offline,
    local: RwSignal<Option<AppError>>,
    navigate: impl Fn(&str, leptos_router::NavigateOptions) + Clone + 'static,
) {
    use crate::domain::mutation::Op;
    use crate::domain::validate::{check_required, normalize_all};
    use std::collections::BTreeMap;
    use wasm_bindgen::{closure::Closure, JsCast};
    let handler = Closure::<dyn Fn(leptos::web_sys::Event)>::new(move |ev: leptos::web_sys::Event| {
        if !crate::offline::browser_offline() && o.online.get_untracked() {
            return;
        }
        let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok()) else {
            return;
        };
        ev.prevent_default();
        let Ok(data) = web_sys::FormData::new_with_form(&form) else {
            return;
        };
        let get = |name: &str| data.get(name).as_string().unwrap_or_default();
        let id = uuid::Uuid::parse_str(&get("id")).unwrap_or_else(|_| uuid::Uuid::now_v7());
        let mut fields: BTreeMap<String, String> = crate::domain::fields::FIELDS
            .iter()
            .map(|s| (s.key.to_string(), get(&format!("fields[{}]", s.key))))
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        // What the server would fill in, so the lead lists right away under "My open leads".
        if let Some(me) = o.me.get_untracked() {
            fields.entry("owner_id".into()).or_insert_with(|| me.id.to_string());
        }
        fields.entry("status_reason".into()).or_insert_with(|| "New".into());
        let checked = normalize_all(&fields).and_then(|v| {
            let missing = check_required(&v);
            if missing.is_empty() {
                Ok(v)
            } else {
                Err(missing)
            }
        });
        match checked {
            Err(errs) => local.set(Some(AppError::Invalid(errs))),
            Ok(_) => match crate::offline::enqueue(o, Default::default(), id, Op::Create { fields }) {
                Ok(_) => {
                    local.set(None);
                    navigate(&format!("/leads/{id}"), Default::default());
                }
                Err(msg) => local.set(Some(AppError::BadRequest(msg))),
            },
        }
    });
    let _ = div.add_event_listener_with_callback_and_bool("submit", handler.as_ref().unchecked_ref(), true);
    handler.forget();
}
