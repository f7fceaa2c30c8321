#![recursion_limit = "256"]
//! The server's pieces, as a library so that the HTTP tests can build the same router.
pub mod compress;
pub mod demo;
pub mod guard;
pub mod live;
pub mod offline;
pub mod site;
pub mod web;
