use crate::error::AppError;
use leptos::prelude::*;

/// A short, helpful message for an error; sign-in problems link to the sign-in page.
#[component]
pub fn ErrorMessage(error: AppError) -> impl IntoView {
    let sign_in = matches!(error, AppError::SignInRequired | AppError::SessionExpired);
    view! {
        <div class="error-box" role="alert">
            <p>{error.to_string()}</p>
            {sign_in.then(|| view! { <a href="/sign-in">"Sign in"</a> })}
        </div>
    }
}

/// What became of a save: saved, waiting on this device, refused (fields are marked by the form), or
/// someone else's change to the same field (their value, to reload and decide).
#[component]
pub fn SaveOutcome(result: RwSignal<Option<Result<crate::model::Saved, AppError>>>) -> impl IntoView {
    use crate::model::Saved;
    move || {
        match result.get() {
        Some(Ok(Saved::Queued)) => Some(view! { <p class="ok-box" role="status">"Saved on this device. It will sync when the network is back."</p> }.into_any()),
        Some(Ok(_)) => Some(view! { <p class="ok-box" role="status">"Saved."</p> }.into_any()),
        Some(Err(AppError::Conflict(list))) => Some(view! {
            <div class="conflict-box" role="alert">
                {list.into_iter().map(|c| view! { <p>{format!("{}: {} changed it to “{}” meanwhile. Your value: “{}”. Reload to see theirs, then save again.", c.label, c.by_name, c.their_value_shown, c.conflict.yours)}</p> }).collect_view()}
            </div>
        }.into_any()),
        Some(Err(AppError::Invalid(_))) => Some(view! { <p class="error-box" role="alert">"Please correct the highlighted fields."</p> }.into_any()),
        Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
        None => None,
    }
    }
}
