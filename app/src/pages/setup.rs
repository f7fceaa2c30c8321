use crate::api::auth::{setup_needed, CreateWorkspace};
use crate::components::form::Labelled;
use crate::components::message::ErrorMessage;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// First start: name the workspace and create its first admin.
#[component]
pub fn SetupPage() -> impl IntoView {
    let needed = Resource::new(|| (), |_| setup_needed());
    let action = ServerAction::<CreateWorkspace>::new();
    let err = move |k: &'static str| {
        move || {
            action
                .value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field_error(k))
        }
    };
    view! {
        <main class="page narrow">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match needed.await {
                        Ok(false) => view! { <Redirect path="/sign-in"/> }.into_any(),
                        Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                        Ok(true) => view! {
                            <h1>"Welcome to Prospecta"</h1>
                            <p>"Create your workspace and its first administrator."</p>
                            <ActionForm action=action attr:novalidate="">
                                <Labelled id="workspace" label="Company name" err=Signal::derive(err("workspace"))>
                                    <input id="workspace" name="workspace" autocomplete="organization" required/>
                                </Labelled>
                                <Labelled id="name" label="Your name" err=Signal::derive(err("name"))>
                                    <input id="name" name="name" autocomplete="name" required/>
                                </Labelled>
                                <Labelled id="email" label="Email" err=Signal::derive(err("email"))>
                                    <input id="email" name="email" type="email" autocomplete="email" required/>
                                </Labelled>
                                <Labelled id="password" label="Password" err=Signal::derive(err("password"))>
                                    <input id="password" name="password" type="password" autocomplete="new-password" required/>
                                </Labelled>
                                <input type="hidden" name="time_zone" value="Europe/Madrid" id="tz"/>
                                <TimeZoneFromBrowser/>
                                {move || match action.value().get() {
                                    Some(Err(AppError::Invalid(_))) | None | Some(Ok(_)) => None,
                                    Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }),
                                }}
                                <button type="submit">"Create workspace"</button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// Puts the browser's time zone into the hidden field once the page is interactive.
#[component]
fn TimeZoneFromBrowser() -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let tz = js_sys_time_zone();
            if let Some(el) = document()
                .get_element_by_id("tz")
                .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
            {
                if let Some(tz) = tz {
                    el.set_value(&tz);
                }
            }
        }
    });
}

#[cfg(feature = "hydrate")]
fn js_sys_time_zone() -> Option<String> {
    let intl = leptos::web_sys::js_sys::Intl::DateTimeFormat::new(
        &leptos::web_sys::js_sys::Array::new(),
        &leptos::web_sys::js_sys::Object::new(),
    );
    let opts = intl.resolved_options();
    leptos::web_sys::js_sys::Reflect::get(&opts, &"timeZone".into())
        .ok()?
        .as_string()
}
