//! Pages other than the lead list load their browser code on demand (WASM code splitting), so the
//! first download stays small. Each wrapper has no route data of its own: the page loads it.
use leptos::prelude::*;
use leptos_router::LazyRoute;

/// Pages are loaded in groups, one chunk of code per group: the splitter makes a separate file for each
/// set of split points that share code, so every extra split point multiplies the files a page loads (with
/// one split per page, a lead page loaded 173 files, and the browser's cost per file outweighed the code).
/// Each route stays a lazy route of its own (the router loads its group before hydrating the page), and its
/// view asks the group's one lazy function for its page.
macro_rules! page_group {
    ($group:ident, $load:ident, $preload:ident { $($route:ident => $page:path),* $(,)? }) => {
        /// A page of this group.
        #[derive(Clone, Copy)]
        pub enum $group { $($route),* }

        #[leptos::lazy]
        fn $load(page: $group) -> AnyView {
            match page {
                $($group::$route => $page().into_any(),)*
            }
        }

        $(
            pub struct $route;
            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }
                async fn view(_this: Self) -> AnyView {
                    $load($group::$route).await
                }
                async fn preload() {
                    // The server has no split code; it names the chunk for the page's head instead.
                    #[cfg(target_arch = "wasm32")]
                    $preload().await;
                }
            }
        )*
    };
}

// Before signing in.
page_group!(EntryPage, entry_pages, __preload_entry_pages {
    SetupRoute => super::setup::SetupPage,
    SignInRoute => super::sign_in::SignInPage,
});

// A seller's records: the lead page, the new-lead form, and the customers and opportunities.
page_group!(RecordPage, record_pages, __preload_record_pages {
    NewLeadRoute => super::new_lead::NewLeadPage,
    LeadRoute => super::lead::LeadPage,
    OpportunitiesRoute => super::opportunities::OpportunitiesPage,
    OpportunityRoute => super::opportunities::OpportunityPage,
    AccountsRoute => super::customers::AccountsPage,
    AccountRoute => super::customers::AccountPage,
    ContactsRoute => super::customers::ContactsPage,
    ContactRoute => super::customers::ContactPage,
});

// Settings, administration and the person's own pages.
page_group!(SettingsPage, settings_pages, __preload_settings_pages {
    AdminRoute => super::admin::AdminPage,
    AccountSettingsRoute => super::account::AccountPage,
    ProcessesRoute => super::processes::ProcessesPage,
    SyncRoute => super::sync::SyncPage,
    NotificationsRoute => super::notifications::NotificationsPage,
    CompetitorsRoute => super::competitors::CompetitorsPage,
});
