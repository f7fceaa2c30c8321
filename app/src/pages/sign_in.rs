use crate::api::auth::{setup_needed, SignIn};
use crate::components::form::Labelled;
use crate::components::message::ErrorMessage;
use leptos::prelude::*;
use leptos_router::components::Redirect;

#[component]
pub fn SignInPage() -> impl IntoView {
    let needed = Resource::new(|| (), |_| setup_needed());
    let action = ServerAction::<SignIn>::new();
    view! {
        <main class="page narrow">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    if matches!(needed.await, Ok(true)) {
                        return view! { <Redirect path="/setup"/> }.into_any();
                    }
                    view! {
                        <h1>"Sign in to Prospecta"</h1>
                        <ActionForm action=action attr:novalidate="">
                            <Labelled id="email" label="Email" err=Signal::derive(|| None::<String>)>
                                <input id="email" name="email" type="email" autocomplete="username" required/>
                            </Labelled>
                            <Labelled id="password" label="Password" err=Signal::derive(|| None::<String>)>
                                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                            </Labelled>
                            {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
                            <button type="submit">"Sign in"</button>
                        </ActionForm>
                    }.into_any()
                })}
            </Suspense>
        </main>
    }
}
