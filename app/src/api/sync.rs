//! Sync server functions: the browser pushes its waiting mutations and pulls what changed. Both go through
//! `store::sync`, whose push applies each mutation by the same write path as an online save.

use super::codec::Json;
use crate::domain::sync::{PullPage, PullRequest, PushRequest, PushResult};
use crate::error::AppError;
use crate::model::ConflictItem;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::session::*, crate::domain::sync::PUSH_BATCH, crate::store::sync};

#[server(input = Json, output = Json)]
pub async fn sync_push(request: PushRequest) -> Result<PushResult, AppError> {
    let user = require_user().await?;
    if request.mutations.len() > PUSH_BATCH {
        return Err(AppError::BadRequest(format!(
            "Send at most {PUSH_BATCH} changes at a time."
        )));
    }
    sync::push(&db()?, &user.actor(), &request).await
}

#[server(input = Json, output = Json)]
pub async fn sync_pull(request: PullRequest) -> Result<PullPage, AppError> {
    let user = require_user().await?;
    sync::pull(&db()?, &user.actor(), &request).await
}

/// Values of yours that a later synced edit replaced.
#[server(output = Json)]
pub async fn my_conflicts() -> Result<Vec<ConflictItem>, AppError> {
    let user = require_user().await?;
    let mut list = sync::conflicts(&db()?, &user.actor()).await?;
    let tz = zone(&user.time_zone);
    for c in &mut list {
        c.at_shown = shown_in(c.at, tz);
    }
    Ok(list)
}

#[server(output = Json)]
pub async fn resolve_conflict(id: String) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    sync::resolve_conflict(&db()?, &user.actor(), id).await
}
