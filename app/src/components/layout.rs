//! The frame of every signed-in page: header with navigation, the sync indicator and sign-out, then the page.

use crate::api::auth::{current_user, SignOut};
use crate::api::timeline::unread_notifications;
use crate::components::message::ErrorMessage;
use crate::domain::access::Role;
use crate::model::Me;
use crate::offline::{self, is_network, use_offline};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_location;

#[component]
pub fn SignedIn() -> impl IntoView {
    // Without a network, the user last seen on this device stands in, so offline pages still open.
    let me = Resource::new(
        || (),
        |_| async {
            match current_user().await {
                Err(e) if is_network(&e) => offline::cached_me().map(Some).ok_or(e),
                other => other,
            }
        },
    );
    let o = use_offline();
    let unread = follow_notifications();
    // Taken here, not in the header: a context read after an await fails once the request is gone.
    let path = use_location().pathname;
    Effect::new(move |_| {
        if let Some(Ok(Some(m))) = me.get() {
            offline::start(o, m);
        }
    });
    // The page (Outlet) stays outside the Suspense: resources created inside a Suspend get different ids
    // on the server and in the browser, which breaks hydration.
    view! {
        <Suspense fallback=|| view! { <header class="top"></header> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(m)) => view! { <Header me=m unread=unread path=path/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/sign-in"/> }.into_any(),
                    Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                }
            })}
        </Suspense>
        <main class="page"><Outlet/></main>
    }
}

#[component]
fn Header(me: Me, unread: RwSignal<i64>, path: Memo<String>) -> impl IntoView {
    let admin = me.role == Role::Admin;
    view! {
        <header class="top">
            <a class="brand" href="/leads">{me.workspace.clone()}</a>
            <nav aria-label="Main" inner_html=move || path.try_with(|p| nav_html(p, admin)).unwrap_or_default()></nav>
            <SyncStatus/>
            <Notices unread=unread/>
            <a class="who" href="/account" title=me.email.clone() aria-label=format!("Your account: {}", me.name)>{me.name.clone()}</a>
            <SignOutForm action=SignOut::url() label="Sign out"/>
        </header>
    }
}

/// Signing out (or out everywhere) is a plain form: with or without JavaScript it ends the session and loads
/// the sign-in page. With JavaScript it first takes this person's data off the device, so the next person
/// on a shared phone cannot read or change it offline; changes still waiting to sync are named first and
/// kept unless the person confirms. Offline the server cannot be told, so the click is held back.
#[component]
pub fn SignOutForm(action: &'static str, label: &'static str) -> impl IntoView {
    let o = use_offline();
    let asking = RwSignal::new(0_usize);
    let form = NodeRef::<leptos::html::Form>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        if !o.online.get_untracked() {
            ev.prevent_default();
            return;
        }
        let waiting = offline::waiting_on_device(o);
        if waiting > 0 && asking.get_untracked() == 0 {
            ev.prevent_default();
            asking.set(waiting);
            return;
        }
        offline::forget_device(o);
    };
    let anyway = move |_| {
        offline::forget_device(o);
        if let Some(f) = form.get_untracked() {
            // `submit()` sends the form without another submit event.
            let _ = f.submit();
        }
    };
    // `try_get`, as in `SyncStatus`: a render that outlived its request must not panic.
    let question = move || match asking.try_get().unwrap_or(0) {
        1 => "1 change has not reached the server yet — sign out anyway? It would be lost.".to_string(),
        n => format!("{n} changes have not reached the server yet — sign out anyway? They would be lost."),
    };
    view! {
        <form method="post" action=action on:submit=submit node_ref=form>
            <button type="submit" class="link">{label}</button>
        </form>
        {move || (asking.try_get().unwrap_or(0) > 0).then(|| view! {
            <div class="confirm-box" role="alertdialog" aria-labelledby="sign-out-question">
                <p id="sign-out-question">{question}</p>
                <button type="button" class="danger" on:click=anyway>"Sign out anyway"</button>
                <button type="button" class="secondary" on:click=move |_| asking.set(0)>"Stay signed in"</button>
            </div>
        })}
    }
}

/// The main links as markup, each marked as the current page on its own path and below it (`/leads` on a
/// lead's page); the markup is written again when the path changes. As views, with a closure per link,
/// they were 2% of the busiest page's server time. They are plain absolute links (the router
/// follows them all the same).
fn nav_html(path: &str, admin: bool) -> String {
    const LINKS: [(&str, &str); 6] = [
        ("/leads", "Leads"),
        ("/leads/new", "New lead"),
        ("/opportunities", "Opportunities"),
        ("/accounts", "Accounts"),
        ("/contacts", "Contacts"),
        ("/competitors", "Competitors"),
    ];
    let mut html = String::with_capacity(400);
    for (href, label) in LINKS.into_iter().chain(admin.then_some(("/admin", "Users"))) {
        push_link(&mut html, href, label, is_below(path, href));
    }
    html
}

/// Writes a link as markup, its address and label escaped, marked `aria-current="page"` when `current`.
/// The header's links and the lead list's view tabs are written with it.
pub fn push_link(html: &mut String, href: &str, label: &str, current: bool) {
    html.push_str("<a href=\"");
    html_escape::encode_double_quoted_attribute_to_string(href, html);
    html.push_str(if current { "\" aria-current=\"page\">" } else { "\">" });
    html_escape::encode_text_to_string(label, html);
    html.push_str("</a>");
}

/// Whether `path` is `base` or a page below it.
fn is_below(path: &str, base: &str) -> bool {
    path.strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Online or offline, and how many changes wait to be synced; links to the sync page.
#[component]
fn SyncStatus() -> impl IntoView {
    let o = use_offline();
    // `try_get`: a server render can outlive its request (the browser hung up), and the signals are gone
    // by then; `get` would panic.
    let ready = move || o.ready.try_get().unwrap_or(false);
    // Nothing is known until the browser has loaded its local data, so the server renders the same.
    let label = move || {
        if !ready() {
            return String::new();
        }
        let state = if o.online.get() { "Online" } else { "Offline" };
        match (o.waiting(), o.refused()) {
            (0, 0) => state.to_string(),
            (1, 0) => format!("{state} · 1 change waiting"),
            (n, 0) => format!("{state} · {n} changes waiting"),
            (n, r) => format!("{state} · {n} waiting · {r} refused"),
        }
    };
    view! {
        <span class="sync" aria-live="polite">
            {move || ready().then(|| view! { <a href="/sync" class:offline=move || !o.online.get()>{label}</a> })}
        </span>
    }
}

/// The notification count; links to the list.
#[component]
fn Notices(unread: RwSignal<i64>) -> impl IntoView {
    // `try_get`, as in `SyncStatus`.
    let count = move || unread.try_get().unwrap_or(0);
    view! {
        <a class="notices" href="/notifications" aria-label=move || format!("Notifications, {} unread", count())>
            "Notifications"
            // Always there (empty and unseen at 0), so the header keeps its width when the count arrives.
            <span class="count" class:none=move || count() == 0>{move || (count() > 0).then(count)}</span>
        </a>
    }
}

/// The signed-in person's unread notification count, shared by the header and the notifications page.
#[derive(Clone, Copy)]
pub struct NoticeCount(pub RwSignal<i64>);

impl NoticeCount {
    pub fn refresh(self) {
        leptos::task::spawn_local(async move {
            if let Ok(n) = unread_notifications().await {
                self.0.set(n);
            }
        })
    }
}

/// Keeps the notification count current while the app is open: loaded in the browser, then refreshed on
/// each "notify" from the page's live stream, which lives here in the frame (not inside a Suspense).
fn follow_notifications() -> RwSignal<i64> {
    let count = NoticeCount(RwSignal::new(0_i64));
    provide_context(count);
    Effect::new(move |_| count.refresh());
    crate::components::live::provide(move || count.refresh());
    count.0
}

#[cfg(test)]
mod tests {
    use super::{is_below, nav_html};

    #[test]
    fn the_main_links_mark_the_current_page_and_show_users_to_admins_only() {
        let html = nav_html("/leads/0190", false);
        assert!(
            html.starts_with("<a href=\"/leads\" aria-current=\"page\">Leads</a><a href=\"/leads/new\">New lead</a>"),
            "{html}"
        );
        assert_eq!(html.matches("aria-current").count(), 1);
        assert!(!html.contains("/admin"));
        let html = nav_html("/admin", true);
        assert!(
            html.ends_with("<a href=\"/admin\" aria-current=\"page\">Users</a>"),
            "{html}"
        );
        assert_eq!(html.matches("aria-current").count(), 1);
    }

    #[test]
    fn a_link_is_current_on_its_path_and_below_it() {
        assert!(is_below("/leads", "/leads"));
        assert!(is_below("/leads/new", "/leads"));
        assert!(is_below("/leads/new", "/leads/new"));
        assert!(!is_below("/leadsx", "/leads"));
        assert!(!is_below("/leads", "/leads/new"));
        assert!(!is_below("/accounts", "/leads"));
    }
}
