//! Workspace set-up, sign-in and sign-out.

use crate::error::AppError;
use crate::model::Me;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::session::*, crate::domain::validate::FieldError, crate::store::users};

/// Checks the fields of a new person; shared by workspace set-up and the admin's "add user".
#[cfg(feature = "ssr")]
pub fn check_person(name: &str, email: &str, password: &str) -> Result<(), AppError> {
    use crate::domain::{fields::spec, validate::normalize};
    let mut errs = Vec::new();
    if name.trim().is_empty() || name.chars().count() > 100 {
        errs.push(FieldError::new("name", "Enter a name of at most 100 characters."));
    }
    if let Err(m) = normalize(spec("email").expect("email field"), email).and_then(|v| if v.is_empty() { Err("Required.".into()) } else { Ok(v) }) {
        errs.push(FieldError::new("email", m));
    }
    if password.chars().count() < 8 || password.len() > 200 {
        errs.push(FieldError::new("password", "Use at least 8 characters."));
    }
    if errs.is_empty() { Ok(()) } else { Err(AppError::Invalid(errs)) }
}

#[server]
pub async fn setup_needed() -> Result<bool, AppError> {
    Ok(users::workspace_name(&db()?).await?.is_none())
}

#[server]
pub async fn create_workspace(workspace: String, name: String, email: String, password: String, time_zone: String) -> Result<(), AppError> {
    let mut errs = match check_person(&name, &email, &password) {
        Err(AppError::Invalid(e)) => e,
        _ => Vec::new(),
    };
    if workspace.trim().is_empty() || workspace.chars().count() > 100 {
        errs.push(FieldError::new("workspace", "Enter the company name (at most 100 characters)."));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let tz = if time_zone.parse::<chrono_tz::Tz>().is_ok() { time_zone } else { "UTC".to_string() };
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(AppError::internal)??;
    let admin = users::NewUser { name: name.trim(), email: &email, role: crate::domain::access::Role::Admin, team_id: uuid::Uuid::nil(), password_hash: &hash, time_zone: &tz };
    let user = users::create_workspace(&db()?, workspace.trim(), admin).await?;
    start_session(&user).await?;
    leptos_axum::redirect("/leads");
    Ok(())
}

#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use crate::domain::sign_in::{live_failures, wait_seconds};
    let db = db()?;
    let now = crate::store::now_ms();
    let failures = match users::failures(&db, &email).await? {
        Some((f, last)) => {
            if let Some(wait) = wait_seconds(f, last, now) {
                return Err(AppError::TooManyAttempts(wait));
            }
            live_failures(f, last, now)
        }
        None => 0,
    };
    let found = users::find_for_sign_in(&db, &email).await?;
    let hash = found.as_ref().map(|(_, h)| h.clone());
    // Unknown emails cost the same time as wrong passwords, so they cannot be told apart.
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            let _ = hash_password(&password);
            false
        }
    })
    .await
    .map_err(AppError::internal)?;
    match found {
        Some((user, _)) if ok => {
            users::clear_failures(&db, &email).await?;
            start_session(&user).await?;
            leptos_axum::redirect("/leads");
            Ok(())
        }
        _ => {
            users::record_failure(&db, &email, failures + 1).await?;
            Err(AppError::WrongCredentials)
        }
    }
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    end_session().await?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Who is signed in, if anyone.
#[server]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    let Some(u) = optional_user().await? else { return Ok(None) };
    let workspace = users::workspace_name(&db()?).await?.unwrap_or_default();
    Ok(Some(Me { id: u.id, name: u.name, email: u.email, role: u.role, team_id: u.team_id, team_name: u.team_name, time_zone: u.time_zone, workspace }))
}
