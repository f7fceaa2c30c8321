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
