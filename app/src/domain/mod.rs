//! Plain-Rust rules of the product: no Leptos, no SQL. Unit-tested here.
pub mod access;
pub mod customers;
pub mod duplicates;
pub mod fields;
pub mod lead;
pub mod mutation;
pub mod opportunity;
// Server only: its list of common passwords stays out of the browser's download.
#[cfg(feature = "ssr")]
pub mod password;
pub mod process;
pub mod qualify;
pub mod query;
pub mod sign_in;
pub mod sync;
pub mod timeline;
pub mod validate;
