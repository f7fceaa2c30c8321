//! The errors a person can meet, typed. Internal details are logged on the server with an id;
//! the person sees a short message and that id.

use crate::domain::{mutation::Conflict, validate::FieldError};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in.")]
    SignInRequired,
    #[error("Your session has ended. Please sign in again.")]
    SessionExpired,
    #[error("Wrong email or password.")]
    WrongCredentials,
    #[error("Too many failed attempts. Try again in {0} seconds.")]
    TooManyAttempts(i64),
    #[error("The server is busy. Please try again in a moment.")]
    Busy(i64),
    #[error("Your account has been deactivated. Ask an admin of your workspace if you need it again.")]
    AccountDeactivated,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("Please correct the highlighted fields.")]
    Invalid(Vec<FieldError>),
    #[error("Someone else changed this lead while you were editing.")]
    Conflict(Vec<ConflictView>),
    #[error("{0}")]
    BadRequest(String),
    #[error("Something went wrong on our side (error id {0}). Please try again.")]
    Internal(String),
    #[error("Could not reach the server: {0}")]
    Network(String),
}

/// A conflict as shown to a person: field label and the other person's name and time, already formatted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictView {
    pub conflict: Conflict,
    pub label: String,
    pub their_value_shown: String,
    pub by_name: String,
    pub at_shown: String,
}

impl AppError {
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            AppError::Invalid(v) => v,
            _ => &[],
        }
    }
    /// One line for a terminal or a log: field problems as "field: message".
    pub fn describe(&self) -> String {
        match self.field_errors() {
            [] => self.to_string(),
            errs => errs
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
    pub fn field_error(&self, key: &str) -> Option<String> {
        self.field_errors()
            .iter()
            .find(|e| e.field == key)
            .map(|e| e.message.clone())
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::api::codec::JsonText;
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // What could not be parsed stays in the server's log: an answer never repeats a request's text.
        match value {
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => AppError::Network(m),
            other => {
                #[cfg(feature = "ssr")]
                tracing::debug!("refused a request: {other}");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                AppError::BadRequest("The request could not be read. Reload the page and try again.".into())
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Logs the real cause and hands back an error that shows only an id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let id = uuid::Uuid::now_v7().simple().to_string()[20..].to_string();
        tracing::error!(error_id = %id, "{cause}");
        AppError::Internal(id)
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::internal(format!("database: {e}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
