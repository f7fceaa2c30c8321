//! Prospecta: pages, components, server functions and domain rules in one crate, built twice:
//! with `ssr` for the server and with `hydrate` for the browser.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod config;
pub mod domain;
pub mod error;
pub mod model;
pub mod offline;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

/// The browser files a page names in its head, as the build named them (with a content hash in each name,
/// so browsers keep them for a year): the stylesheet and the code-split loader, which the main script
/// imports and is fetched at once rather than after it.
#[derive(Clone, Debug, Default)]
pub struct PageFiles {
    pub css: String,
    pub split_loader: Option<String>,
}

/// The HTML document around the app (server side only renders this).
pub fn shell(options: LeptosOptions, files: PageFiles) -> impl IntoView {
    // The page's inline scripts (hydration, the page's data, the one below) carry the nonce the server made
    // for this response (`config::PageNonce`) and names in its policy; scripts they load are trusted
    // through 'strict-dynamic'.
    let nonce = leptos::nonce::use_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // The head is the same on every page, so it is plain markup here: as leptos_meta tags
                // it cost a fifth of a simple page's server time.
                <meta name="theme-color" content="#1f4e79"/>
                <title>"Prospecta"</title>
                <link id="leptos" rel="stylesheet" href=files.css/>
                <link rel="icon" href="/favicon.svg"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="apple-touch-icon" href="/icon-192.png"/>
                <AutoReload options=options.clone()/>
                <script nonce=nonce inner_html=HOLD_EARLY_SUBMIT></script>
                <HydrationScripts options/>
                {files.split_loader.map(|href| view! { <link rel="modulepreload" href=href/> })}
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The content security policy of a page whose inline scripts carry `nonce`: scripts run only with the
/// nonce or when loaded by one that has it, WebAssembly may compile, nothing is embedded from elsewhere, and
/// no other site may frame the page or receive its forms.
#[cfg(feature = "ssr")]
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; \
         connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// Runs before the app's code arrives. A form only the app can send (it has no `action`) would be sent by
/// the browser itself: the page reloads with the fields in its address and nothing is saved. So it is
/// marked and held; the browser entry point sends it once the page is interactive.
pub const HOLD_EARLY_SUBMIT: &str = r#"addEventListener("submit",function(e){var f=e.target;if(document.body.hasAttribute("data-hydrated")||f.hasAttribute("action"))return;e.preventDefault();document.querySelectorAll("[data-held]").forEach(function(x){x.removeAttribute("data-held")});f.setAttribute("data-held","form");if(e.submitter)e.submitter.setAttribute("data-held","by")},true)"#;

#[component]
pub fn App() -> impl IntoView {
    offline::provide();
    // Pages render fully on the server before they are sent (SsrMode::Async): they work without
    // JavaScript, and redirects (sign-in required) are real HTTP redirects.
    let ssr = SsrMode::Async;
    view! {
        <Router>
            <Routes fallback=|| view! { <main class="page"><h1>"Page not found"</h1><a href="/leads">"Go to leads"</a></main> }>
                <Route path=path!("/") view=pages::home::Home ssr=ssr.clone()/>
                <Route path=path!("/setup") view={Lazy::<pages::split::SetupRoute>::new()} ssr=ssr.clone()/>
                <Route path=path!("/sign-in") view={Lazy::<pages::split::SignInRoute>::new()} ssr=ssr.clone()/>
                <ParentRoute path=path!("") view=components::layout::SignedIn ssr=ssr.clone()>
                    <Route path=path!("/leads") view=pages::leads::LeadsPage ssr=ssr.clone()/>
                    <Route path=path!("/leads/new") view={Lazy::<pages::split::NewLeadRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/leads/:id") view={Lazy::<pages::split::LeadRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/admin") view={Lazy::<pages::split::AdminRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/account") view={Lazy::<pages::split::AccountSettingsRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/admin/processes") view={Lazy::<pages::split::ProcessesRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/sync") view={Lazy::<pages::split::SyncRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/notifications") view={Lazy::<pages::split::NotificationsRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/opportunities") view={Lazy::<pages::split::OpportunitiesRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/opportunities/:id") view={Lazy::<pages::split::OpportunityRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/accounts") view={Lazy::<pages::split::AccountsRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/accounts/:id") view={Lazy::<pages::split::AccountRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/contacts") view={Lazy::<pages::split::ContactsRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/contacts/:id") view={Lazy::<pages::split::ContactRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/competitors") view={Lazy::<pages::split::CompetitorsRoute>::new()} ssr=ssr.clone()/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
