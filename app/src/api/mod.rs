//! Server functions: thin. Each one authorizes, validates, calls the domain and the store.
//! They compile for both sides; their bodies run only on the server.

pub mod admin;
pub mod auth;
pub mod codec;
pub mod customers;
pub mod deal;
pub mod leads;
pub mod opportunities;
pub mod sync;
pub mod timeline;

#[cfg(feature = "ssr")]
pub mod session;
