//! Server-sent events from `/api/live` while a component is on screen (the timeline of an open lead, the
//! header's notification count). The browser reconnects by itself after a network break.

#[cfg(feature = "hydrate")]
pub fn follow(url: &str, events: &[&str], on_news: impl Fn() + 'static) {
    use leptos::prelude::*;
    use leptos::web_sys;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    let Ok(es) = web_sys::EventSource::new(url) else { return };
    let cb = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_| on_news());
    for name in events {
        let _ = es.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
    }
    let held = StoredValue::new_local((es, cb));
    on_cleanup(move || held.with_value(|(es, _)| es.close()));
}

#[cfg(not(feature = "hydrate"))]
pub fn follow(_url: &str, _events: &[&str], _on_news: impl Fn() + 'static) {}
