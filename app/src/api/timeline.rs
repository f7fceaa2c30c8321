//! Timeline server functions: read a page, save an item (a mutation, like every other change), the
//! people to mention, the filter each person keeps, and notifications.

use super::codec::Json;
use crate::domain::mutation::Mutation;
use crate::domain::timeline::{Cursor, Filter};
use crate::error::AppError;
use crate::model::{NotificationItem, Saved, TimelinePage, UserOption};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::session::*,
    crate::domain::mutation::Entity,
    crate::model::TimelineItem,
    crate::store::{timeline, write},
    uuid::Uuid,
};

#[cfg(feature = "ssr")]
fn lead_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)
}

#[cfg(feature = "ssr")]
fn show_times(items: &mut [TimelineItem], tz: chrono_tz::Tz) {
    for it in items {
        it.created_shown = shown_in(it.created_at, tz);
        for key in ["start", "end", "due"] {
            if let Some(ms) = it.details.get(key).and_then(|v| v.parse::<i64>().ok()) {
                it.times_shown.insert(key.to_string(), shown_in(ms, tz));
            }
        }
        show_times(&mut it.replies, tz);
    }
}

/// One page of a lead's timeline. Without a filter, the one this person last chose is used (and sent
/// back with the page); with one, it is kept for next time.
#[server(input = Json, output = Json)]
pub async fn load_timeline(
    lead: String,
    filter: Option<Filter>,
    after: Option<Cursor>,
) -> Result<(TimelinePage, Filter), AppError> {
    let user = require_user().await?;
    let db = db()?;
    let filter = match filter.map(|f| f.sanitized()) {
        Some(f) => {
            if after.is_none() {
                timeline::save_filter(&db, user.id, &f).await?;
            }
            f
        }
        None => timeline::saved_filter(&db, user.id).await?,
    };
    let mut page = timeline::page(&db, &user.actor(), lead_id(&lead)?, &filter, after).await?;
    show_times(&mut page.items, zone(&user.time_zone));
    Ok((page, filter))
}

/// Saves a timeline change made online (offline ones arrive through sync's push, the same path).
#[server(input = Json, output = Json)]
pub async fn save_item(mutation: Mutation) -> Result<Saved, AppError> {
    let user = require_user().await?;
    if mutation.entity != Entity::TimelineItem {
        return Err(AppError::BadRequest("Not a timeline change.".into()));
    }
    write::save(&db()?, &user.actor(), &mutation).await
}

/// Colleagues who can see the lead: suggestions for @mentions and appointment attendees.
#[server(output = Json)]
pub async fn lead_people(lead: String) -> Result<Vec<UserOption>, AppError> {
    let user = require_user().await?;
    let people = timeline::people_for(&db()?, &user.actor(), lead_id(&lead)?).await?;
    Ok(people
        .into_iter()
        .map(|(id, name)| UserOption {
            id,
            name,
            team_name: String::new(),
        })
        .collect())
}

#[server(output = Json)]
pub async fn my_notifications() -> Result<Vec<NotificationItem>, AppError> {
    let user = require_user().await?;
    let mut list = timeline::notifications(&db()?, &user.actor()).await?;
    let tz = zone(&user.time_zone);
    for n in &mut list {
        n.created_shown = shown_in(n.created_at, tz);
    }
    Ok(list)
}

#[server(output = Json)]
pub async fn unread_notifications() -> Result<i64, AppError> {
    let user = require_user().await?;
    timeline::unread_count(&db()?, user.id).await
}

/// Marks one notification read, or all of them when `id` is empty.
#[server(output = Json)]
pub async fn mark_notifications_read(id: String) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = if id.trim().is_empty() {
        None
    } else {
        Some(Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?)
    };
    timeline::mark_read(&db()?, user.id, id).await
}
