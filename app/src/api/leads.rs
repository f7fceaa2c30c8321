//! Lead server functions. Every write is a `Mutation` saved through `store::write::save`.

use super::codec::Json;
use crate::domain::mutation::Mutation;
use crate::domain::query::LeadQuery;
use crate::error::AppError;
use crate::model::{LeadDetail, LeadList, Saved, UserOption};
use leptos::prelude::*;
use std::collections::BTreeMap;

#[cfg(feature = "ssr")]
use {
    super::session::*,
    crate::domain::mutation::{Entity, Op},
    crate::store::{leads, users, write},
    uuid::Uuid,
};

#[server(output = Json)]
pub async fn list_leads(query: LeadQuery) -> Result<LeadList, AppError> {
    let user = require_user().await?;
    let db = db()?;
    let actor = user.actor();
    let query = query.sanitized();
    let (list, owners) = tokio::join!(leads::list(&db, &actor, &query), owners_for(&db, &user));
    let mut list = list?;
    list.owners = owners?;
    let tz = zone(&user.time_zone);
    for r in &mut list.rows {
        r.updated_shown = shown_in(r.updated_at, tz);
        if r.last_activity_at > 0 {
            r.last_activity_shown = shown_in(r.last_activity_at, tz);
        }
    }
    Ok(list)
}

#[server(output = Json)]
pub async fn get_lead(id: String) -> Result<LeadDetail, AppError> {
    let user = require_user().await?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    let rec = leads::get(&db()?, &user.actor(), id).await?;
    let mut d = leads::detail(&user.actor(), &rec);
    d.created_shown = shown(d.created_at, &user.time_zone);
    d.updated_shown = shown(d.updated_at, &user.time_zone);
    Ok(d)
}

/// Creates a lead from a form. `id` is minted by the page (UUID v7), so a repeated post creates it once.
#[server(output = Json)]
pub async fn create_lead(id: String, fields: BTreeMap<String, String>) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = Uuid::parse_str(id.trim())
        .map_err(|_| AppError::BadRequest("The form is out of date; reload the page.".into()))?;
    let fields: BTreeMap<String, String> = fields.into_iter().filter(|(_, v)| !v.trim().is_empty()).collect();
    // The lead id doubles as the client id: one form, one mutation.
    let m = Mutation {
        entity: Default::default(),
        client_id: id,
        seq: 1,
        record_id: id,
        op: Op::Create { fields },
    };
    write::save(&db()?, &user.actor(), &m).await?;
    leptos_axum::redirect(&format!("/leads/{id}"));
    Ok(())
}

/// Applies an edit made on the lead page. Conflicts come back as `AppError::Conflict` and change nothing.
#[server(input = Json, output = Json)]
pub async fn save_lead(mutation: Mutation) -> Result<Saved, AppError> {
    let user = require_user().await?;
    if matches!(mutation.op, Op::Create { .. }) {
        return Err(AppError::BadRequest("Use the new lead form to create leads.".into()));
    }
    if mutation.entity != Entity::Lead {
        return Err(AppError::BadRequest("Not a lead change.".into()));
    }
    match write::save(&db()?, &user.actor(), &mutation).await {
        Err(AppError::Conflict(mut views)) => {
            let tz = zone(&user.time_zone);
            for v in &mut views {
                v.at_shown = v.conflict.changed_at.map(|t| shown_in(t, tz)).unwrap_or_default();
            }
            Err(AppError::Conflict(views))
        }
        other => other,
    }
}

#[server(output = Json)]
pub async fn delete_lead(id: String) -> Result<(), AppError> {
    let user = require_user().await?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    let m = Mutation {
        entity: Default::default(),
        client_id: Uuid::now_v7(),
        seq: 1,
        record_id: id,
        op: Op::Delete,
    };
    write::save(&db()?, &user.actor(), &m).await?;
    leptos_axum::redirect("/leads");
    Ok(())
}

/// People the signed-in user may pick as a lead's owner.
#[server(output = Json)]
pub async fn owner_options() -> Result<Vec<UserOption>, AppError> {
    let user = require_user().await?;
    owners_for(&db()?, &user).await
}

#[cfg(feature = "ssr")]
async fn owners_for(db: &crate::store::Db, user: &users::User) -> Result<Vec<UserOption>, AppError> {
    use crate::domain::access::Role;
    let all = users::people(db).await?;
    Ok(all
        .iter()
        .filter(|u| match user.role {
            Role::Admin => true,
            Role::Manager => u.team_id == user.team_id,
            Role::Seller => u.id == user.id,
        })
        .map(|u| UserOption {
            id: u.id,
            name: u.name.clone(),
            team_name: u.team_name.clone(),
        })
        .collect())
}
