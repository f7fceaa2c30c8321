//! The frame of every signed-in page: header with navigation and sign-out, then the page.

use crate::api::auth::{current_user, SignOut};
use crate::components::message::ErrorMessage;
use crate::domain::access::Role;
use crate::model::Me;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

#[component]
pub fn SignedIn() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_user());
    // The page (Outlet) stays outside the Suspense: resources created inside a Suspend get different ids
    // on the server and in the browser, which breaks hydration.
    view! {
        <Suspense fallback=|| view! { <header class="top"></header> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(m)) => view! { <Header me=m/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/sign-in"/> }.into_any(),
                    Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <main class="page"><Outlet/></main>
    }
}

#[component]
fn Header(me: Me) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <header class="top">
            <a class="brand" href="/leads">{me.workspace.clone()}</a>
            <nav aria-label="Main">
                <A href="/leads">"Leads"</A>
                <A href="/leads/new">"New lead"</A>
                {(me.role == Role::Admin).then(|| view! { <A href="/admin">"Users"</A> })}
            </nav>
            <span class="who" title=me.email.clone()>{me.name.clone()}</span>
            <ActionForm action=sign_out>
                <button type="submit" class="link">"Sign out"</button>
            </ActionForm>
        </header>
    }
}
