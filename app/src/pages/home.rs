use crate::api::auth::{current_user, setup_needed};
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// "/": set-up on an empty database, the leads when signed in, otherwise sign-in.
#[component]
pub fn Home() -> impl IntoView {
    let target = Resource::new(
        || (),
        |_| async move {
            if setup_needed().await.unwrap_or(false) {
                "/setup".to_string()
            } else if matches!(current_user().await, Ok(Some(_))) {
                "/leads".to_string()
            } else {
                "/sign-in".to_string()
            }
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move { view! { <Redirect path=target.await/> } })}
        </Suspense>
    }
}
