//! For admins: users and teams, business processes, and the workspace's Qualify setting.

use super::codec::Json;
use crate::domain::process::Process;
use crate::domain::qualify::QualifyMode;
use crate::error::AppError;
use crate::model::{Team, User};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::session::*,
    crate::domain::access,
    crate::store::{leads, processes, users},
};

#[cfg(feature = "ssr")]
async fn require_admin() -> Result<users::User, AppError> {
    let u = require_user().await?;
    if access::can_manage_users(&u.actor()) {
        Ok(u)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Every user (each with whether they are active), the teams, and the admin's own id.
#[server(output = Json)]
pub async fn list_users() -> Result<(Vec<(User, bool)>, Vec<Team>, uuid::Uuid), AppError> {
    let admin = require_admin().await?;
    let db = db()?;
    Ok((users::all(&db).await?, users::teams(&db).await?, admin.id))
}

/// Deactivates a user (every session of theirs ends at once; their devices' changes are refused with the
/// reason) or makes them active again.
#[server(output = Json)]
pub async fn set_user_active(user: String, active: bool) -> Result<(), AppError> {
    let admin = require_admin().await?;
    let id = uuid::Uuid::parse_str(user.trim()).map_err(|_| AppError::NotFound)?;
    users::set_active(&db()?, &admin.actor(), id, active).await
}

/// Gives a user a new password chosen by the admin; every session of theirs ends.
#[server(output = Json)]
pub async fn reset_password(user: String, password: String) -> Result<(), AppError> {
    use crate::domain::validate::FieldError;
    require_admin().await?;
    let db = db()?;
    let id = uuid::Uuid::parse_str(user.trim()).map_err(|_| AppError::NotFound)?;
    let target = users::get(&db, id).await?.ok_or(AppError::NotFound)?;
    crate::domain::password::check_new(&password, &target.email)
        .map_err(|m| AppError::Invalid(vec![FieldError::new("password", m)]))?;
    let hash = with_hash_permit(move || hash_password(&password)).await??;
    users::set_password_hash(&db, id, &hash).await?;
    users::end_sessions(&db, id, None).await
}

#[server(output = Json)]
pub async fn add_team(name: String) -> Result<(), AppError> {
    require_admin().await?;
    if name.trim().is_empty() || name.chars().count() > 80 {
        return Err(AppError::Invalid(vec![crate::domain::validate::FieldError::new(
            "name",
            "Enter a team name of at most 80 characters.",
        )]));
    }
    users::create_team(&db()?, &name).await?;
    Ok(())
}

#[server(output = Json)]
pub async fn add_user(
    name: String,
    email: String,
    role: String,
    team: String,
    password: String,
) -> Result<(), AppError> {
    use crate::domain::validate::FieldError;
    let admin = require_admin().await?;
    super::auth::check_person(&name, &email, &password)?;
    let role =
        access::Role::parse(&role).ok_or_else(|| AppError::Invalid(vec![FieldError::new("role", "Choose a role.")]))?;
    let team_id =
        uuid::Uuid::parse_str(&team).map_err(|_| AppError::Invalid(vec![FieldError::new("team", "Choose a team.")]))?;
    let hash = with_hash_permit(move || hash_password(&password)).await??;
    users::create_user(
        &db()?,
        users::NewUser {
            name: name.trim(),
            email: &email,
            role,
            team_id,
            password_hash: &hash,
            time_zone: &admin.time_zone,
        },
    )
    .await?;
    Ok(())
}

/// Every process (retired ones too) in the admin's order, and how Qualify works in this workspace.
#[server(output = Json)]
pub async fn process_settings() -> Result<(Vec<Process>, QualifyMode), AppError> {
    require_admin().await?;
    let db = db()?;
    Ok((processes::all(&db).await?, leads::qualify_mode(&db).await?))
}

/// Creates or replaces a process; the domain checks the definition and says what is wrong with it.
#[server(input = Json, output = Json)]
pub async fn save_process(process: Process) -> Result<(), AppError> {
    let admin = require_admin().await?;
    processes::save(&db()?, &admin.actor(), &process).await
}

#[server(input = Json, output = Json)]
pub async fn order_processes(keys: Vec<String>) -> Result<(), AppError> {
    let admin = require_admin().await?;
    processes::reorder(&db()?, &admin.actor(), &keys).await
}

#[server(output = Json)]
pub async fn set_qualify_setting(mode: String) -> Result<(), AppError> {
    use crate::domain::validate::FieldError;
    let admin = require_admin().await?;
    let mode = match mode.as_str() {
        "automatic" | "choose" => QualifyMode::parse(&mode),
        _ => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "qualify_mode",
                "Choose how Qualify works.",
            )]))
        }
    };
    leads::set_qualify_mode(&db()?, &admin.actor(), mode).await
}
