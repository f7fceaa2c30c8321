pub mod deal;
pub mod decide;
pub mod field;
pub mod layout;
pub mod live;
pub mod message;
pub mod stage_bar;
pub mod timeline;
