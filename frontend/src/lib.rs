//! The browser entry points: `hydrate` makes the server-rendered page interactive; `start_offline` renders
//! the app in the browser from the offline shell the service worker serves when there is no network.
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    panic_messages();
    // Pages after the lead list are code-split: hydration waits for the current page's chunk.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        if let Some(body) = leptos::prelude::document().body() {
            // Typing while the page's code (and its chunk) loads is kept: hydration would reset the fields.
            let early = EarlyInput::start();
            leptos::mount::hydrate_from_async(body, app::App).await.forget();
            early.replay();
            ready();
        }
    });
}

#[wasm_bindgen]
pub fn start_offline() {
    panic_messages();
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(render_offline());
}

/// Rendering the app in the browser, without the server's HTML, serves only the offline shell: the code
/// for it is a chunk of its own (the service worker keeps it), so a first visit does not download it.
#[leptos::lazy]
async fn render_offline() {
    app::offline::opened_from_shell();
    leptos::mount::mount_to_body(app::App);
    ready();
}

/// A panic's message in the console, in development builds; release builds leave the hook out (1 KB of the
/// first download) and a panic shows as the browser's own error.
fn panic_messages() {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
}

fn ready() {
    app::offline::register_service_worker();
    // Lets tests (and curious people) see that the page is now interactive.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

/// What a person types before the page is interactive: the fields already changed when the code starts
/// (their value differs from the server-rendered default), then every input or change until hydration
/// is done. Hydration sets each field from the app's state, which would silently drop it.
/// A form sent in that time is held by the page's first script (`app::HOLD_EARLY_SUBMIT`) and sent here.
struct EarlyInput {
    typed: std::rc::Rc<std::cell::RefCell<Vec<(String, String)>>>,
    listener: wasm_bindgen::closure::Closure<dyn Fn(web_sys::Event)>,
}

const EVENTS: [&str; 2] = ["input", "change"];

impl EarlyInput {
    fn start() -> EarlyInput {
        use wasm_bindgen::JsCast;
        let typed = std::rc::Rc::new(std::cell::RefCell::new(changed_fields()));
        let seen = typed.clone();
        let listener = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
            if let Some((id, value)) = ev.target().and_then(|t| field_value(&t)) {
                let mut seen = seen.borrow_mut();
                seen.retain(|(known, _)| *known != id);
                seen.push((id, value));
            }
        });
        let doc = leptos::prelude::document();
        for name in EVENTS {
            let _ = doc.add_event_listener_with_callback_and_bool(name, listener.as_ref().unchecked_ref(), true);
        }
        EarlyInput { typed, listener }
    }

    /// Puts the text back and tells the app, as if typed now.
    fn replay(self) {
        use wasm_bindgen::JsCast;
        use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
        let doc = leptos::prelude::document();
        for name in EVENTS {
            let _ =
                doc.remove_event_listener_with_callback_and_bool(name, self.listener.as_ref().unchecked_ref(), true);
        }
        for (id, value) in self.typed.take() {
            let Some(el) = doc.get_element_by_id(&id) else { continue };
            if let Some(i) = el.dyn_ref::<HtmlInputElement>() {
                i.set_value(&value);
            } else if let Some(t) = el.dyn_ref::<HtmlTextAreaElement>() {
                t.set_value(&value);
            } else if let Some(s) = el.dyn_ref::<HtmlSelectElement>() {
                s.set_value(&value);
            }
            let init = web_sys::EventInit::new();
            init.set_bubbles(true);
            for name in EVENTS {
                if let Ok(ev) = web_sys::Event::new_with_event_init_dict(name, &init) {
                    let _ = el.dispatch_event(&ev);
                }
            }
        }
        // After the text, so the app sends what was typed.
        if let Ok(Some(form)) = doc.query_selector("form[data-held=form]") {
            let by = doc.query_selector("[data-held=by]").ok().flatten();
            for el in std::iter::once(&form).chain(by.as_ref()) {
                let _ = el.remove_attribute("data-held");
            }
            if let Some(form) = form.dyn_ref::<web_sys::HtmlFormElement>() {
                let _ =
                    form.request_submit_with_submitter(by.as_ref().and_then(|b| b.dyn_ref::<web_sys::HtmlElement>()));
            }
        }
    }
}

/// A field's id and value, for text-like inputs, text areas and selects that have an id.
fn field_value(target: &web_sys::EventTarget) -> Option<(String, String)> {
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
    let (id, value) = if let Some(i) = target.dyn_ref::<HtmlInputElement>() {
        if matches!(
            i.type_().as_str(),
            "checkbox" | "radio" | "hidden" | "file" | "submit" | "button"
        ) {
            return None;
        }
        (i.id(), i.value())
    } else if let Some(t) = target.dyn_ref::<HtmlTextAreaElement>() {
        (t.id(), t.value())
    } else if let Some(s) = target.dyn_ref::<HtmlSelectElement>() {
        (s.id(), s.value())
    } else {
        return None;
    };
    (!id.is_empty()).then_some((id, value))
}

/// Text fields already changed from their server-rendered value when the code starts.
fn changed_fields() -> Vec<(String, String)> {
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlInputElement, HtmlTextAreaElement};
    let Ok(nodes) = leptos::prelude::document().query_selector_all("input[id], textarea[id]") else {
        return Vec::new();
    };
    (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .filter(
            |n| match (n.dyn_ref::<HtmlInputElement>(), n.dyn_ref::<HtmlTextAreaElement>()) {
                (Some(i), _) => i.value() != i.default_value(),
                (_, Some(t)) => t.default_value().is_ok_and(|d| d != t.value()),
                _ => false,
            },
        )
        .filter_map(|n| field_value(&n))
        .collect()
}

/// Slack for the code splitter. It re-packs the read-only data segment module by module, and the
/// alignment padding this adds can make the re-packed segment longer than the original; it then keeps
/// all the data in the main module (27 KB brotli more on the first download). These bytes are kept by
/// the linker but used by no code, so the splitter leaves them out and the re-packed segment fits.
#[used]
static SPLIT_SLACK: [u8; 1024] = [0x5a; 1024];
