//! The browser entry points: `hydrate` makes the server-rendered page interactive; `start_offline` renders
//! the app in the browser from the offline shell the service worker serves when there is no network.
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    ready();
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
