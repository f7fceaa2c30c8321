pub mod field;
pub mod layout;
pub mod message;
