//! Pages other than the lead list load their browser code on demand (WASM code splitting), so the
//! first download stays small. Each wrapper has no route data of its own: the page loads it.
use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// A lazy route whose view is the given page component (each gets its own chunk, named after the route).
macro_rules! lazy_page {
    ($($route:ident => $page:path),* $(,)?) => {$(
        pub struct $route;
        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }
            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    )*};
}

lazy_page! {
    SetupRoute => super::setup::SetupPage,
    SignInRoute => super::sign_in::SignInPage,
    NewLeadRoute => super::new_lead::NewLeadPage,
    LeadRoute => super::lead::LeadPage,
    AdminRoute => super::admin::AdminPage,
    AccountSettingsRoute => super::account::AccountPage,
    ProcessesRoute => super::processes::ProcessesPage,
    SyncRoute => super::sync::SyncPage,
    NotificationsRoute => super::notifications::NotificationsPage,
    OpportunitiesRoute => super::opportunities::OpportunitiesPage,
    OpportunityRoute => super::opportunities::OpportunityPage,
    AccountsRoute => super::customers::AccountsPage,
    AccountRoute => super::customers::AccountPage,
    ContactsRoute => super::customers::ContactsPage,
    ContactRoute => super::customers::ContactPage,
    CompetitorsRoute => super::competitors::CompetitorsPage,
}
