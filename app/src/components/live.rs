//! The page's one live stream (server-sent events from `/api/live`). Browsers allow only a few open
//! connections per server across all tabs, so the signed-in frame keeps a single stream: the person's
//! notifications always, and the timeline of the lead on screen while a lead page is open.

use leptos::prelude::*;
use uuid::Uuid;

#[derive(Clone, Copy)]
pub struct Live {
    /// The lead whose timeline news the page wants (a lead page sets it while open).
    lead: RwSignal<Option<Uuid>>,
    /// Rises with each piece of timeline news (or "reload" after the stream fell behind).
    timeline_news: RwSignal<u64>,
}

/// Opens the stream for the signed-in frame; `on_notify` runs for each new notification.
pub fn provide(on_notify: impl Fn() + Clone + Send + Sync + 'static) -> Live {
    let live = Live {
        lead: RwSignal::new(None),
        timeline_news: RwSignal::new(0),
    };
    provide_context(live);
    // Reopened when the lead on screen changes; the browser reconnects by itself after a network break.
    Effect::new(move |_| {
        let url = match live.lead.get() {
            Some(lead) => format!("/api/live?lead={lead}"),
            None => "/api/live".to_string(),
        };
        let on_notify = on_notify.clone();
        browser::open(&url, on_notify, move || live.timeline_news.update(|n| *n += 1));
    });
    live
}

/// For a lead page: ask the frame's stream for this lead's timeline news; `on_news` runs for each.
pub fn watch_lead(lead: Uuid, on_news: impl Fn() + 'static) {
    let Some(live) = use_context::<Live>() else { return };
    live.lead.set(Some(lead));
    Effect::watch(move || live.timeline_news.get(), move |_, _, _| on_news(), false);
    on_cleanup(move || {
        if live.lead.get_untracked() == Some(lead) {
            live.lead.set(None);
        }
    });
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos::web_sys;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    /// Opens an event stream for the current owner (closed when it is cleaned up, e.g. the effect re-runs).
    pub fn open(url: &str, on_notify: impl Fn() + 'static, on_timeline: impl Fn() + 'static) {
        let Ok(es) = web_sys::EventSource::new(url) else { return };
        let notify = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_| on_notify());
        let timeline = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_| on_timeline());
        let _ = es.add_event_listener_with_callback("notify", notify.as_ref().unchecked_ref());
        for name in ["timeline", "reload"] {
            let _ = es.add_event_listener_with_callback(name, timeline.as_ref().unchecked_ref());
        }
        // The server ended the stream for good (signed out, or the lead is no longer this person's to read):
        // closed here, the browser does not keep reconnecting.
        let stop = {
            let es = es.clone();
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_| es.close())
        };
        let _ = es.add_event_listener_with_callback("ended", stop.as_ref().unchecked_ref());
        let held = StoredValue::new_local((es, notify, timeline, stop));
        on_cleanup(move || {
            let _ = held.try_with_value(|(es, _, _, _)| es.close());
        });
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    pub fn open(_url: &str, _on_notify: impl Fn() + 'static, _on_timeline: impl Fn() + 'static) {}
}
