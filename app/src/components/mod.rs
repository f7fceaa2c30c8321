pub mod field;
pub mod layout;
pub mod live;
pub mod message;
pub mod timeline;
