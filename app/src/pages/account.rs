//! The signed-in person's own account: their password, and signing out on every device.

use crate::api::auth::{current_user, ChangePassword, SignOutEverywhere};
use crate::components::form::Labelled;
use crate::components::layout::SignOutForm;
use crate::components::message::ErrorMessage;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_user());
    let change = ServerAction::<ChangePassword>::new();
    let err = move |k: &'static str| {
        Signal::derive(move || {
            change
                .value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field_error(k))
        })
    };
    view! {
        <h1>"Your account"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(m)) => view! { <p>{format!("{} · {} · {}", m.name, m.email, m.team_name)}</p> }.into_any(),
                    Ok(None) => view! { <ErrorMessage error=AppError::SignInRequired/> }.into_any(),
                    Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <h2>"Change your password"</h2>
        <ActionForm action=change attr:novalidate="" attr:class="narrow-form">
            <Labelled id="current" label="Current password" err=err("current")>
                <input id="current" name="current" type="password" autocomplete="current-password"/>
            </Labelled>
            <Labelled id="new" label="New password" err=err("new")>
                <input id="new" name="new" type="password" autocomplete="new-password"/>
            </Labelled>
            <Labelled id="repeat" label="New password again" err=err("repeat")>
                <input id="repeat" name="repeat" type="password" autocomplete="new-password"/>
            </Labelled>
            <p class="note">"At least 10 characters, and not one of the passwords everyone uses."</p>
            {move || change.value().get().map(|r| match r {
                Ok(()) => view! { <p class="ok-box" role="status">"Password changed. You stay signed in here; your other sessions have ended."</p> }.into_any(),
                Err(AppError::Invalid(_)) => ().into_any(),
                Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
            })}
            <button type="submit">"Change password"</button>
        </ActionForm>
        <h2>"Sessions"</h2>
        <p>"Signed in on a phone you no longer have, or on a shared computer? End every session of yours, this one included."</p>
        <div class="sign-out-everywhere">
            <SignOutForm action=SignOutEverywhere::url() label="Sign out everywhere"/>
        </div>
    }
}
