//! Users and teams, for admins.

use crate::error::AppError;
use crate::model::{Team, User};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::session::*, crate::domain::access, crate::store::users};

#[cfg(feature = "ssr")]
async fn require_admin() -> Result<users::User, AppError> {
    let u = require_user().await?;
    if access::can_manage_users(&u.actor()) { Ok(u) } else { Err(AppError::Forbidden) }
}

#[server]
pub async fn list_users() -> Result<(Vec<User>, Vec<Team>), AppError> {
    require_admin().await?;
    let db = db()?;
    Ok((users::list(&db).await?, users::teams(&db).await?))
}

#[server]
pub async fn add_team(name: String) -> Result<(), AppError> {
    require_admin().await?;
    if name.trim().is_empty() || name.chars().count() > 80 {
        return Err(AppError::Invalid(vec![crate::domain::validate::FieldError::new("name", "Enter a team name of at most 80 characters.")]));
    }
    users::create_team(&db()?, &name).await?;
    Ok(())
}

#[server]
pub async fn add_user(name: String, email: String, role: String, team: String, password: String) -> Result<(), AppError> {
    use crate::domain::validate::FieldError;
    let admin = require_admin().await?;
    super::auth::check_person(&name, &email, &password)?;
    let role = access::Role::parse(&role).ok_or_else(|| AppError::Invalid(vec![FieldError::new("role", "Choose a role.")]))?;
    let team_id = uuid::Uuid::parse_str(&team).map_err(|_| AppError::Invalid(vec![FieldError::new("team", "Choose a team.")]))?;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(AppError::internal)??;
    users::create_user(&db()?, users::NewUser { name: name.trim(), email: &email, role, team_id, password_hash: &hash, time_zone: &admin.time_zone }).await?;
    Ok(())
}
