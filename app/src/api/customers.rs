//! Accounts and contacts: lists, pages, and their changes (mutations decided by `store::records`).

use super::codec::Json;
use crate::domain::mutation::Mutation;
use crate::error::AppError;
use crate::model::{AccountView, ContactView, CustomerPage, Saved};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::session::*,
    crate::domain::mutation::Entity,
    crate::store::{accounts, contacts, opportunities, records, write},
    uuid::Uuid,
};

#[server(output = Json)]
pub async fn list_accounts(q: String) -> Result<Vec<AccountView>, AppError> {
    let user = require_user().await?;
    accounts::list(&db()?, &user.actor(), &q).await
}

#[server(output = Json)]
pub async fn list_contacts(q: String) -> Result<Vec<ContactView>, AppError> {
    let user = require_user().await?;
    contacts::list(&db()?, &user.actor(), &q, None).await
}

/// `kind` is "account" or "contact".
#[server(output = Json)]
pub async fn load_customer(kind: String, id: String) -> Result<CustomerPage, AppError> {
    let user = require_user().await?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    let entity = if kind == "account" {
        Entity::Account
    } else {
        Entity::Contact
    };
    let db = db()?;
    let actor = user.actor();
    let (values, can_edit) = records::values(&db, &actor, entity, id).await?;
    let versions = records::versions(&db, entity, id).await?;
    let (contacts, opportunities) = if entity == Entity::Account {
        (
            contacts::list(&db, &actor, "", Some(id)).await?,
            opportunities::for_account(&db, &actor, id).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(CustomerPage {
        id,
        values,
        versions,
        can_edit,
        contacts,
        opportunities,
    })
}

#[server(input = Json, output = Json)]
pub async fn save_customer(mutation: Mutation) -> Result<Saved, AppError> {
    let user = require_user().await?;
    if !matches!(mutation.entity, Entity::Account | Entity::Contact) {
        return Err(AppError::BadRequest("Not an account or contact.".into()));
    }
    write::save(&db()?, &user.actor(), &mutation).await
}
