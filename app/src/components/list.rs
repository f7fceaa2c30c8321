//! A list loaded from the server: a line while it loads, the error, a line when it is empty, or its rows.

use crate::components::message::ErrorMessage;
use crate::error::AppError;
use leptos::prelude::*;
use std::sync::Arc;

/// `<p class="loading">` while `list` loads, then the error, `<p class="empty">` when the list has
/// nothing, or what `rows` makes of it. The markup is what the pages wrote by hand before, so the server's
/// page and the browser's hydration stay the same.
#[component]
pub fn LoadedList<R, F, V>(
    list: Resource<Result<Vec<R>, AppError>>,
    /// The text while loading ("Loading…").
    loading: &'static str,
    /// The text when the list is empty.
    empty: &'static str,
    /// The rows of a list that has some.
    rows: F,
) -> impl IntoView
where
    R: Clone + Send + Sync + 'static,
    F: Fn(Vec<R>) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let rows = Arc::new(rows);
    view! {
        <Suspense fallback=move || view! { <p class="loading">{loading}</p> }>
            {move || {
                let rows = rows.clone();
                Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                        Ok(items) if items.is_empty() => view! { <p class="empty">{empty}</p> }.into_any(),
                        Ok(items) => rows(items).into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
