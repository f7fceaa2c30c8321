pub mod admin;
pub mod home;
pub mod lead;
pub mod leads;
pub mod new_lead;
pub mod setup;
pub mod sign_in;
pub mod sync;
