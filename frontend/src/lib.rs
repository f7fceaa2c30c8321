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
            let typed = typed_so_far();
            leptos::mount::hydrate_from_async(body, app::App).await.forget();
            retype(typed);
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

/// Text typed into fields before the page became interactive: (field id, value). Hydration sets each
/// field from the app's state, which would silently drop it.
fn typed_so_far() -> Vec<(String, String)> {
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlInputElement, HtmlTextAreaElement};
    let Ok(nodes) = leptos::prelude::document().query_selector_all("input[id], textarea[id]") else { return Vec::new() };
    (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .filter_map(|n| {
            if let Some(i) = n.dyn_ref::<HtmlInputElement>() {
                let text_like = !matches!(i.type_().as_str(), "checkbox" | "radio" | "hidden" | "file" | "submit" | "button");
                (text_like && i.value() != i.default_value()).then(|| (i.id(), i.value()))
            } else {
                n.dyn_ref::<HtmlTextAreaElement>().filter(|t| t.default_value().is_ok_and(|d| d != t.value())).map(|t| (t.id(), t.value()))
            }
        })
        .collect()
}

/// Puts that text back and tells the app, as if typed now.
fn retype(typed: Vec<(String, String)>) {
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlInputElement, HtmlTextAreaElement};
    let doc = leptos::prelude::document();
    for (id, value) in typed {
        let Some(el) = doc.get_element_by_id(&id) else { continue };
        if let Some(i) = el.dyn_ref::<HtmlInputElement>() {
            i.set_value(&value);
        } else if let Some(t) = el.dyn_ref::<HtmlTextAreaElement>() {
            t.set_value(&value);
        }
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        if let Ok(ev) = web_sys::Event::new_with_event_init_dict("input", &init) {
            let _ = el.dispatch_event(&ev);
        }
    }
}
