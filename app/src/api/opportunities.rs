//! Processes, qualify's preview and opportunities. Deciding a lead itself is a mutation sent through
//! `leads::save_lead`, like any other change to it.

use super::codec::Json;
use crate::domain::mutation::Mutation;
use crate::domain::process::Process;
use crate::error::AppError;
use crate::model::{OpportunityRow, OpportunityView, QualifyPreview, Saved};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::session::*,
    crate::domain::mutation::Entity,
    crate::store::{leads, opportunities, processes, write},
    uuid::Uuid,
};

/// Every process definition (retired ones too: records may still be in them).
#[server(output = Json)]
pub async fn list_processes() -> Result<Vec<Process>, AppError> {
    require_user().await?;
    processes::all(&db()?).await
}

/// What Qualify would find: possible duplicates of the lead's company and person, and the workspace's mode.
#[server(output = Json)]
pub async fn preview_qualify(lead: String) -> Result<QualifyPreview, AppError> {
    let user = require_user().await?;
    let id = Uuid::parse_str(lead.trim()).map_err(|_| AppError::NotFound)?;
    leads::qualify_preview(&db()?, &user.actor(), id).await
}

#[server(output = Json)]
pub async fn get_opportunity(id: String) -> Result<OpportunityView, AppError> {
    let user = require_user().await?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    opportunities::get(&db()?, &user.actor(), id).await
}

/// The opportunities created from a lead, newest first.
#[server(output = Json)]
pub async fn lead_opportunities(lead: String) -> Result<Vec<OpportunityRow>, AppError> {
    let user = require_user().await?;
    let id = Uuid::parse_str(lead.trim()).map_err(|_| AppError::NotFound)?;
    opportunities::from_lead(&db()?, &user.actor(), id).await
}

/// "mine", "team" or "closed".
#[server(output = Json)]
pub async fn list_opportunities(view: String) -> Result<Vec<OpportunityRow>, AppError> {
    let user = require_user().await?;
    let which = match view.as_str() {
        "team" => opportunities::OppView::TeamOpen,
        "closed" => opportunities::OppView::Closed,
        _ => opportunities::OppView::MineOpen,
    };
    opportunities::list(&db()?, &user.actor(), which).await
}

/// Applies an edit, a stage move or a close of an opportunity (conflicts come back as `AppError::Conflict`).
#[server(input = Json, output = Json)]
pub async fn save_opportunity(mutation: Mutation) -> Result<Saved, AppError> {
    let user = require_user().await?;
    if mutation.entity != Entity::Opportunity {
        return Err(AppError::BadRequest("Not an opportunity change.".into()));
    }
    write::save(&db()?, &user.actor(), &mutation).await
}
