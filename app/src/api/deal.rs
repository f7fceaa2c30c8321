//! Stakeholders and competitors of a deal, and the shared competitor list. Changes are mutations,
//! decided by `store::deal` (online here, or replayed from the outbox by the sync push).

use super::codec::Json;
#[cfg(feature = "ssr")]
use crate::domain::mutation::Entity;
use crate::domain::mutation::Mutation;
use crate::error::AppError;
use crate::model::{CompetitorView, ContactView, DealPeople, Saved};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::session::*,
    crate::store::{contacts, deal, write},
    uuid::Uuid,
};

#[server(input = Json, output = Json)]
pub async fn save_deal_item(mutation: Mutation) -> Result<Saved, AppError> {
    let user = require_user().await?;
    if !matches!(
        mutation.entity,
        Entity::Stakeholder | Entity::DealCompetitor | Entity::Competitor
    ) {
        return Err(AppError::BadRequest(
            "Not a change to a deal's people or competitors.".into(),
        ));
    }
    write::save(&db()?, &user.actor(), &mutation).await
}

/// `kind` is "lead" or "opportunity".
#[server(output = Json)]
pub async fn people_of_deal(kind: String, id: String) -> Result<DealPeople, AppError> {
    let user = require_user().await?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    let kind = if kind == "opportunity" { "opportunity" } else { "lead" };
    deal::people(&db()?, &user.actor(), kind, id).await
}

#[server(output = Json)]
pub async fn list_competitors() -> Result<Vec<CompetitorView>, AppError> {
    require_user().await?;
    deal::competitors(&db()?).await
}

/// The shared competitor list, and whether this person may change it.
#[server(output = Json)]
pub async fn competitor_list() -> Result<(Vec<CompetitorView>, bool), AppError> {
    let user = require_user().await?;
    Ok((
        deal::competitors(&db()?).await?,
        crate::domain::access::can_manage_competitors(&user.actor()),
    ))
}

/// Contacts whose name or email starts with what was typed (for picking a stakeholder).
#[server(output = Json)]
pub async fn find_contacts(q: String) -> Result<Vec<ContactView>, AppError> {
    let user = require_user().await?;
    contacts::find(&db()?, &user.actor(), &q).await
}
