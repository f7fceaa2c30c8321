//! The browser entry points: `hydrate` makes the server-rendered page interactive; `start_offline` renders
//! the app in the browser from the offline shell the service worker serves when there is no network.
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Pages after the lead list are code-split: hydration waits for the current page's chunk.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        if let Some(body) = leptos::prelude::document().body() {
            leptos::mount::hydrate_from_async(body, app::App).await.forget();
            ready();
        }
    });
}

#[wasm_bindgen]
pub fn start_offline() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
    ready();
}

fn ready() {
    app::offline::register_service_worker();
    // Lets tests (and curious people) see that the page is now interactive.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
