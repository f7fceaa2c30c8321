//! The browser's edge of offline work: the outbox and the local copy kept in localStorage (gloo-storage),
//! the sync loop (push, then pull; on start, on the `online` event, and by retry with back-off), and the
//! local answers pages fall back to when the network is gone. The rules themselves are `domain::sync`.
//! On the server this is inert: nothing is loaded and nothing syncs.

use crate::domain::access::Role;
use crate::domain::lead::{full_name, LeadState};
use crate::domain::mutation::{Entity, Mutation, Op};
use crate::domain::query::{LeadQuery, SortKey, View, PAGE_SIZE};
use crate::domain::sync::{LeadCopy, LocalLead, Outbox, Replica};
use crate::model::{LeadDetail, LeadList, LeadRow, Me, UserOption};
use leptos::prelude::*;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What the pages and the header see of offline work.
#[derive(Clone, Copy)]
pub struct Offline {
    /// The browser thinks it has a network and the server answered last time.
    pub online: RwSignal<bool>,
    /// Local data is loaded for the signed-in user (never on the server, so first renders match).
    pub ready: RwSignal<bool>,
    pub me: RwSignal<Option<Me>>,
    pub outbox: RwSignal<Option<Outbox>>,
    pub replica: RwSignal<Replica>,
    pub owners: RwSignal<Vec<UserOption>>,
    /// The last problem worth telling the user: storage full, sign-in needed to sync, ...
    pub problem: RwSignal<Option<String>>,
    pub syncing: RwSignal<bool>,
}

impl Offline {
    pub fn waiting(&self) -> usize {
        self.outbox.with(|o| o.as_ref().map(|o| o.waiting.len()).unwrap_or(0))
    }

    pub fn refused(&self) -> usize {
        self.outbox.with(|o| o.as_ref().map(|o| o.rejected.len()).unwrap_or(0))
    }

    /// Pages ask this before falling back to local data.
    pub fn has_copy(&self) -> bool {
        self.ready.get_untracked()
    }

    /// The lead list from the local copy with waiting changes on top: views, search and paging work alike.
    pub fn list(&self, q: &LeadQuery) -> LeadList {
        let Some(me) = self.me.get_untracked() else {
            return LeadList::default();
        };
        let view = self.view();
        let names = self.owner_names();
        let mut rows: Vec<&LocalLead> = view
            .values()
            .filter(|l| match q.view {
                View::Mine => l.state == "open" && l.value("owner_id") == me.id.to_string(),
                View::Team => l.state == "open",
                View::Closed => l.state != "open",
            })
            .filter(|l| {
                [
                    ("status_reason", &q.status),
                    ("source", &q.source),
                    ("rating", &q.rating),
                    ("owner_id", &q.owner),
                ]
                .iter()
                .all(|(k, v)| v.is_empty() || l.value(k) == v.as_str())
            })
            .filter(|l| l.matches(&q.q))
            .collect();
        let key = |l: &LocalLead| -> String {
            match q.sort {
                SortKey::Name => format!("{} {}", l.value("last_name"), l.value("first_name")).to_lowercase(),
                SortKey::Company => l.value("company_name").to_lowercase(),
                SortKey::Topic => l.value("topic").to_lowercase(),
                SortKey::Status => l.value("status_reason").to_string(),
                SortKey::Source => l.value("source").to_string(),
                SortKey::Rating => l.value("rating").to_string(),
                SortKey::Owner => names.get(l.value("owner_id")).cloned().unwrap_or_default(),
                SortKey::Email => l.value("email").to_string(),
                SortKey::City => l.value("city").to_lowercase(),
                SortKey::Budget => format!("{:>20}", l.value("budget_amount")),
                // Leads made here are newest of all until the server has them.
                SortKey::Created | SortKey::Updated | SortKey::LastActivity => {
                    format!("{:020}", if l.updated_at == 0 { i64::MAX } else { l.updated_at })
                }
            }
        };
        rows.sort_by_key(|l| (key(l), l.id));
        if q.desc {
            rows.reverse();
        }
        let total = rows.len() as i64;
        let rows = rows
            .into_iter()
            .skip(q.offset() as usize)
            .take(PAGE_SIZE as usize)
            .map(|l| LeadRow {
                id: l.id,
                name: full_name(l.value("first_name"), l.value("last_name")),
                company: l.value("company_name").into(),
                topic: l.value("topic").into(),
                status_reason: l.value("status_reason").into(),
                rating: l.value("rating").into(),
                owner_name: names.get(l.value("owner_id")).cloned().unwrap_or_default(),
                updated_at: l.updated_at,
                updated_shown: if l.waiting.is_empty() {
                    shown(l.updated_at)
                } else {
                    "waiting to sync".into()
                },
                // The device's copy does not carry timelines.
                last_activity_at: 0,
                last_activity_shown: String::new(),
            })
            .collect();
        LeadList {
            rows,
            total,
            more: false,
            page: q.page(),
            pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
            owners: self.owners.get_untracked(),
        }
    }

    /// One lead from the local copy, as the lead page shows it.
    pub fn detail(&self, id: Uuid) -> Option<LeadDetail> {
        let me = self.me.get_untracked()?;
        let lead = self.view().remove(&id)?;
        let versions: BTreeMap<String, i64> = self.replica.with_untracked(|r| match r.leads.get(&id) {
            Some(c) => crate::domain::fields::FIELDS
                .iter()
                .map(|f| (f.key.to_string(), c.version_of(f.key)))
                .collect(),
            None => BTreeMap::new(),
        });
        let owner_id = Uuid::parse_str(lead.value("owner_id")).unwrap_or(me.id);
        let mine = owner_id == me.id;
        Some(LeadDetail {
            id,
            version: self
                .replica
                .with_untracked(|r| r.leads.get(&id).map(|c| c.version).unwrap_or(0)),
            state: LeadState::parse(&lead.state).unwrap_or(LeadState::Open),
            team_id: me.team_id,
            owner_id,
            owner_name: self
                .owner_names()
                .get(lead.value("owner_id"))
                .cloned()
                .unwrap_or_default(),
            created_at: lead.updated_at,
            updated_at: lead.updated_at,
            created_shown: shown(lead.updated_at),
            updated_shown: if lead.waiting.is_empty() {
                shown(lead.updated_at)
            } else {
                "waiting to sync".into()
            },
            // Every field present, as from the server (a lead made here only has the ones typed).
            values: crate::domain::fields::FIELDS
                .iter()
                .map(|f| (f.key.to_string(), lead.value(f.key).to_string()))
                .collect(),
            versions,
            can_edit: mine || me.role != Role::Seller,
            can_reassign: me.role != Role::Seller,
            can_delete: false,
            can_decide: mine || me.role != Role::Seller,
            stage_since: lead.updated_at,
        })
    }

    fn view(&self) -> BTreeMap<Uuid, LocalLead> {
        self.outbox.with_untracked(|o| match o {
            Some(o) => self.replica.with_untracked(|r| r.view(o)),
            None => BTreeMap::new(),
        })
    }

    fn owner_names(&self) -> BTreeMap<String, String> {
        let mut names: BTreeMap<String, String> = self
            .owners
            .with_untracked(|o| o.iter().map(|u| (u.id.to_string(), u.name.clone())).collect());
        if let Some(me) = self.me.get_untracked() {
            names.insert(me.id.to_string(), me.name);
        }
        names
    }
}

/// The lead list answered from this device, for when the network is gone; its code loads on first use.
#[leptos::lazy]
pub async fn local_list(o: Offline, q: LeadQuery) -> LeadList {
    o.list(&q)
}

/// Times in the local copy are shown in the browser's own zone.
fn shown(ms: i64) -> String {
    if ms <= 0 {
        return String::new();
    }
    #[cfg(feature = "hydrate")]
    {
        use leptos::web_sys::js_sys;
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        String::from(d.to_locale_string("en-GB", &wasm_bindgen::JsValue::UNDEFINED))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        ms.to_string()
    }
}

pub fn provide() -> Offline {
    let o = Offline {
        online: RwSignal::new(true),
        ready: RwSignal::new(false),
        me: RwSignal::new(None),
        outbox: RwSignal::new(None),
        replica: RwSignal::new(Replica::default()),
        owners: RwSignal::new(Vec::new()),
        problem: RwSignal::new(None),
        syncing: RwSignal::new(false),
    };
    provide_context(o);
    o
}

pub fn use_offline() -> Offline {
    use_context::<Offline>().unwrap_or_else(provide)
}

/// True when a failed request should be answered from the local copy.
pub fn is_network(e: &crate::error::AppError) -> bool {
    matches!(e, crate::error::AppError::Network(_))
}

/// Sends one change through `save` (a server function of the one write path); without a network the
/// change waits in this device's outbox instead and the answer is `Saved::Queued`.
pub async fn save_or_queue<Fut>(
    o: Offline,
    m: Mutation,
    save: impl FnOnce(Mutation) -> Fut,
) -> Result<crate::model::Saved, crate::error::AppError>
where
    Fut: std::future::Future<Output = Result<crate::model::Saved, crate::error::AppError>>,
{
    match save(m.clone()).await {
        Err(e) if is_network(&e) => enqueue(o, m.entity, m.record_id, m.op)
            .map(|_| crate::model::Saved::Queued)
            .map_err(crate::error::AppError::BadRequest),
        other => other,
    }
}

#[cfg(feature = "hydrate")]
pub use browser::*;

#[cfg(not(feature = "hydrate"))]
mod inert {
    use super::*;
    /// On the server there is nothing to store or sync.
    pub fn start(_o: Offline, _me: Me) {}
    pub fn remember_owners(_o: Offline, _owners: &[UserOption]) {}
    pub fn opened(_o: Offline, _lead: LeadCopy) {}
    pub fn enqueue(_o: Offline, _entity: Entity, _record: Uuid, _op: Op) -> Result<Mutation, String> {
        Err("Offline changes are kept by the browser.".into())
    }
    pub fn cached_me() -> Option<Me> {
        None
    }
    pub fn sync_now(_o: Offline) {}
    pub fn forget_device(_o: Offline) {}
    pub fn waiting_on_device(_o: Offline) -> usize {
        0
    }
    pub fn dismiss_refused(_o: Offline, _seq: i64) {}
    pub fn browser_offline() -> bool {
        false
    }
    pub fn register_service_worker() {}
    pub fn opened_from_shell() {}
}
#[cfg(not(feature = "hydrate"))]
pub use inert::*;

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use crate::api::sync::{sync_pull, sync_push};
    use crate::domain::sync::PushRequest;
    use crate::error::AppError;
    use gloo_storage::{LocalStorage, Storage};
    use wasm_bindgen::prelude::*;

    const ME_KEY: &str = "prospecta.me";
    /// Longest wait between retries while the server cannot be reached.
    const MAX_BACKOFF_MS: f64 = 60_000.0;

    fn key(me: &Me, what: &str) -> String {
        // Per user: another person signing in on this browser never sees or sends someone else's changes.
        format!("prospecta.{}.{what}", me.id)
    }

    pub fn cached_me() -> Option<Me> {
        LocalStorage::get(ME_KEY).ok()
    }

    pub fn browser_offline() -> bool {
        !window().navigator().on_line()
    }

    /// The service worker keeps the app shell so the app opens without a network (https or localhost only).
    /// Once this page is idle it is told so, and fetches the other pages' code for offline use: not while
    /// the page still loads its own.
    pub fn register_service_worker() {
        let nav = window().navigator();
        if !js_sys::Reflect::has(&nav, &JsValue::from_str("serviceWorker")).unwrap_or(false) {
            return;
        }
        let workers = nav.service_worker();
        let _ = workers.register("/sw.js");
        let Ok(ready) = workers.ready() else { return };
        let on_ready = Closure::once(move |registration: JsValue| {
            let registration: web_sys::ServiceWorkerRegistration = registration.unchecked_into();
            when_idle(3_000, move || {
                if let Some(worker) = registration.active() {
                    let _ = worker.post_message(&JsValue::from_str("idle"));
                }
            });
        });
        let _ = ready.then(&on_ready);
        on_ready.forget();
    }

    /// Runs `f` once the browser is idle (at the latest after 10 s), or after `fallback_ms` where there is no
    /// requestIdleCallback (Safari).
    fn when_idle(fallback_ms: i32, f: impl FnOnce() + 'static) {
        let f = Closure::once_into_js(f);
        let w = window();
        if js_sys::Reflect::has(&w, &JsValue::from_str("requestIdleCallback")).unwrap_or(false) {
            let options = web_sys::IdleRequestOptions::new();
            options.set_timeout(10_000);
            let _ = w.request_idle_callback_with_options(f.unchecked_ref(), &options);
        } else {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(f.unchecked_ref(), fallback_ms);
        }
    }

    /// How long a page opened with a network is left alone before the offline engine starts by itself.
    /// Its start (loading its chunk, then storing the first pull) was most of the lead list's blocking time
    /// in Lighthouse (TBT 670 ms with it, 110 ms without): the first seconds belong to the page.
    const SETTLE_MS: i32 = 4_000;

    thread_local! {
        /// The start that is due: (state, person), taken by whichever comes first.
        static DUE: std::cell::RefCell<Option<(Offline, Me)>> = const { std::cell::RefCell::new(None) };
        /// Leads opened before the engine was ready, added to the copy once it is.
        static OPENED_EARLY: std::cell::RefCell<Vec<LeadCopy>> = const { std::cell::RefCell::new(Vec::new()) };
        static SHELL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        static WATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// The page was rendered by the browser from the offline shell: the engine starts at once.
    pub fn opened_from_shell() {
        SHELL.with(|s| s.set(true));
    }

    /// Loads the user's outbox and copy, then keeps them in sync. Called once the signed-in user is known.
    /// With a network it starts once the page has settled (`SETTLE_MS`, then idle); at once without one, in
    /// the offline shell, when the network drops, or when a change must wait on the device.
    pub fn start(o: Offline, me: Me) {
        if o.me.get_untracked().as_ref().map(|m| m.id) == Some(me.id) && o.ready.get_untracked() {
            return;
        }
        let _ = LocalStorage::set(ME_KEY, &me);
        DUE.with(|d| *d.borrow_mut() = Some((o, me)));
        if browser_offline() || SHELL.with(|s| s.get()) {
            return start_due();
        }
        let w = window();
        if !WATCHING.with(|x| x.replace(true)) {
            let on_offline = Closure::<dyn Fn()>::new(start_due);
            let _ = w.add_event_listener_with_callback("offline", on_offline.as_ref().unchecked_ref());
            on_offline.forget();
        }
        let later = Closure::once_into_js(|| when_idle(0, start_due));
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(later.unchecked_ref(), SETTLE_MS);
    }

    /// Starts the engine if a start is due. Its code (a chunk of its own) is fetched now, not with the page.
    fn start_due() {
        let Some((o, me)) = DUE.with(|d| d.borrow_mut().take()) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let (outbox, replica, owners, stored) = load(me.clone()).await;
            if !stored {
                o.problem.set(Some(full_message()));
            }
            o.me.set(Some(me));
            o.outbox.set(Some(outbox));
            o.replica.set(replica);
            o.owners.set(owners);
            o.online.set(!browser_offline());
            o.ready.set(true);
            let early = OPENED_EARLY.with(|e| std::mem::take(&mut *e.borrow_mut()));
            if !early.is_empty() {
                o.replica.update(|r| early.into_iter().for_each(|lead| r.opened(lead)));
                save_copy(o);
            }
            install_once(o);
            sync_now(o);
        });
    }

    /// Reads this user's outbox, copy and owner names; loaded after the page is interactive, as its own chunk.
    #[leptos::lazy]
    async fn load(me: Me) -> (Outbox, Replica, Vec<UserOption>, bool) {
        let outbox: Outbox = LocalStorage::get(key(&me, "outbox")).unwrap_or_else(|_| Outbox::new(Uuid::now_v7()));
        let replica: Replica = LocalStorage::get(key(&me, "copy")).unwrap_or_default();
        let owners: Vec<UserOption> = LocalStorage::get(key(&me, "owners")).unwrap_or_default();
        // A fresh client id is stored before anything is queued under it.
        let stored = LocalStorage::set(key(&me, "outbox"), &outbox).is_ok();
        (outbox, replica, owners, stored)
    }

    fn full_message() -> String {
        "This device's storage is full, so the change was not kept. Connect to sync, or free space in the browser, then try again.".into()
    }

    pub fn remember_owners(o: Offline, owners: &[UserOption]) {
        if let Some(me) = o.me.get_untracked() {
            let _ = LocalStorage::set(key(&me, "owners"), owners);
        }
        o.owners.set(owners.to_vec());
    }

    /// A lead opened online joins the local copy (bounded, see `domain::sync::RECENT_LEADS`).
    pub fn opened(o: Offline, lead: LeadCopy) {
        if !o.ready.get_untracked() {
            // Kept until the engine has loaded the copy (a few, the latest last).
            OPENED_EARLY.with(|e| {
                let mut e = e.borrow_mut();
                e.retain(|l| l.id != lead.id);
                e.push(lead);
                let over = e.len().saturating_sub(10);
                e.drain(..over);
            });
            return;
        }
        o.replica.update(|r| r.opened(lead));
        save_copy(o);
    }

    /// Queues a change: it is stored before the screen shows it. Err (with a message) when it could not be
    /// stored; then nothing changed.
    pub fn enqueue(o: Offline, entity: Entity, record: Uuid, op: Op) -> Result<Mutation, String> {
        let Some(me) = o.me.get_untracked() else {
            return Err("Sign in once while online to work offline.".into());
        };
        let Some(mut outbox) = o.outbox.get_untracked() else {
            start_due();
            return Err("Offline data is still loading; try again.".into());
        };
        let m = outbox.enqueue_for(entity, record, op);
        if LocalStorage::set(key(&me, "outbox"), &outbox).is_err() {
            // The copy is only a cache: give its room to the change and try once more.
            LocalStorage::delete(key(&me, "copy"));
            if LocalStorage::set(key(&me, "outbox"), &outbox).is_err() {
                o.problem.set(Some(full_message()));
                return Err(full_message());
            }
        }
        o.outbox.set(Some(outbox));
        sync_now(o);
        Ok(m)
    }

    /// Changes of the person last seen on this device that have not reached the server, also before the
    /// offline engine has loaded (it loads after the page is interactive).
    pub fn waiting_on_device(o: Offline) -> usize {
        if o.ready.get_untracked() {
            return o
                .outbox
                .with_untracked(|b| b.as_ref().map(|b| b.waiting.len()).unwrap_or(0));
        }
        let Some(me) = o.me.get_untracked().or_else(cached_me) else {
            return 0;
        };
        // Only counted, not read: reading a whole outbox here would bring its reader into the first download.
        #[derive(serde::Deserialize)]
        struct Count {
            #[serde(default)]
            waiting: Vec<serde::de::IgnoredAny>,
        }
        LocalStorage::get::<Count>(key(&me, "outbox"))
            .map(|c| c.waiting.len())
            .unwrap_or(0)
    }

    /// Signing out: this person's copy, outbox and owner names leave the device, and the device no longer
    /// names them as its last user, so the offline shell opens nobody's data until someone signs in. The
    /// engine stops first, so a sync in flight cannot write them back. Other people's data stays.
    pub fn forget_device(o: Offline) {
        let me = o.me.get_untracked().or_else(cached_me);
        DUE.with(|d| d.borrow_mut().take());
        OPENED_EARLY.with(|e| e.borrow_mut().clear());
        o.ready.set(false);
        o.me.set(None);
        o.outbox.set(None);
        o.replica.set(Replica::default());
        o.owners.set(Vec::new());
        if let Some(me) = me {
            for what in ["outbox", "copy", "owners"] {
                LocalStorage::delete(key(&me, what));
            }
        }
        LocalStorage::delete(ME_KEY);
    }

    pub fn dismiss_refused(o: Offline, seq: i64) {
        let Some(me) = o.me.get_untracked() else { return };
        let Some(mut outbox) = o.outbox.get_untracked() else {
            return;
        };
        outbox.rejected.retain(|(m, _)| m.seq != seq);
        if LocalStorage::set(key(&me, "outbox"), &outbox).is_ok() {
            o.outbox.set(Some(outbox));
        }
    }

    fn save_outbox(o: Offline, outbox: &Outbox) -> bool {
        let Some(me) = o.me.get_untracked() else { return false };
        LocalStorage::set(key(&me, "outbox"), outbox).is_ok()
    }

    fn save_copy(o: Offline) {
        let Some(me) = o.me.get_untracked() else { return };
        let ok = o
            .replica
            .with_untracked(|r| LocalStorage::set(key(&me, "copy"), r).is_ok());
        if !ok {
            o.problem.set(Some(
                "This device's storage is full: some leads may be missing offline. Your changes are safe.".into(),
            ));
        }
    }

    thread_local! {
        static INSTALLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        static FAILURES: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
        static NEXT_TRY: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
    }

    /// Online/offline events and a retry timer, once per page.
    fn install_once(o: Offline) {
        if INSTALLED.with(|i| i.replace(true)) {
            return;
        }
        let on_online = Closure::<dyn Fn()>::new(move || {
            o.online.set(true);
            NEXT_TRY.with(|n| n.set(0.0));
            sync_now(o);
        });
        let on_offline = Closure::<dyn Fn()>::new(move || o.online.set(false));
        let w = window();
        let _ = w.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        let _ = w.add_event_listener_with_callback("offline", on_offline.as_ref().unchecked_ref());
        on_online.forget();
        on_offline.forget();
        let tick = Closure::<dyn Fn()>::new(move || {
            if NEXT_TRY.with(|n| n.get()) <= js_sys::Date::now() {
                sync_now(o);
            }
        });
        let _ = w.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), 3_000);
        tick.forget();
    }

    use leptos::web_sys::js_sys;

    /// One sync round unless one is running: push everything waiting, then pull until up to date.
    pub fn sync_now(o: Offline) {
        if !o.ready.get_untracked() || o.syncing.get_untracked() || browser_offline() {
            return;
        }
        o.syncing.set(true);
        leptos::task::spawn_local(async move {
            let r = round(o).await;
            o.syncing.set(false);
            match r {
                Ok(()) => {
                    FAILURES.with(|f| f.set(0));
                    // Pull again in a while even with nothing to send, to see colleagues' changes.
                    NEXT_TRY.with(|n| n.set(js_sys::Date::now() + 15_000.0));
                    // Not simply `true`: the network may have gone while this round was finishing, and
                    // the "offline" event that said so must not be overwritten.
                    o.online.set(!browser_offline());
                }
                Err(e) => {
                    let n = FAILURES.with(|f| {
                        f.set(f.get() + 1);
                        f.get()
                    });
                    let wait = (1000.0 * 2f64.powi(n.min(6) as i32)).min(MAX_BACKOFF_MS);
                    NEXT_TRY.with(|t| t.set(js_sys::Date::now() + wait));
                    match e {
                        AppError::Network(_) => o.online.set(false),
                        AppError::SignInRequired | AppError::SessionExpired => {
                            o.problem.set(Some("Sign in again to sync your changes.".into()))
                        }
                        AppError::AccountDeactivated => o.problem.set(Some(format!(
                            "{} Your changes stay on this device.",
                            AppError::AccountDeactivated
                        ))),
                        other => o.problem.set(Some(format!("Sync will be retried: {other}"))),
                    }
                }
            }
        });
    }

    // Loaded on first use, after the page is interactive: the sync engine is not part of the first download.
    #[leptos::lazy]
    async fn round(o: Offline) -> Result<(), AppError> {
        loop {
            let Some(outbox) = o.outbox.get_untracked() else {
                return Ok(());
            };
            let batch = outbox.batch();
            if batch.is_empty() {
                break;
            }
            let res = sync_push(PushRequest {
                client_id: outbox.client_id,
                mutations: batch,
            })
            .await?;
            let mut now = o.outbox.get_untracked().unwrap_or(outbox);
            now.record_outcomes(&res.outcomes);
            // Everything the server finished leaves at once; the pull below brings its effect.
            let before = now.waiting.len();
            save_outbox(o, &now);
            o.outbox.set(Some(now));
            pull(o).await?;
            if o.outbox
                .with_untracked(|b| b.as_ref().map(|b| b.waiting.len()).unwrap_or(0))
                >= before
            {
                break; // nothing moved (a gap the server waits for): try again later
            }
        }
        pull(o).await
    }

    async fn pull(o: Offline) -> Result<(), AppError> {
        loop {
            let Some(outbox) = o.outbox.get_untracked() else {
                return Ok(());
            };
            let req = o.replica.with_untracked(|r| r.request(&outbox));
            let page = sync_pull(req).await?;
            let mut applied = false;
            o.replica.update(|r| applied = r.apply(&page));
            if !applied {
                return Ok(());
            }
            let mut now = o.outbox.get_untracked().unwrap_or(outbox);
            now.settle(page.last_applied, &page.rejected);
            save_outbox(o, &now);
            o.outbox.set(Some(now));
            save_copy(o);
            if !page.more && page.resume.is_none() {
                return Ok(());
            }
        }
    }
}
