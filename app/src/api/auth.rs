//! Workspace set-up, sign-in and sign-out, and a person's own password and sessions.

use super::codec::Json;
use crate::error::AppError;
use crate::model::Me;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::session::*, crate::domain::validate::FieldError, crate::store::users};

/// Checks the fields of a new person; shared by workspace set-up, the admin's "add user" and the command line.
#[cfg(feature = "ssr")]
pub fn check_person(name: &str, email: &str, password: &str) -> Result<(), AppError> {
    use crate::domain::{fields::spec, sign_in::MAX_EMAIL_LEN, validate::normalize};
    let mut errs = Vec::new();
    if name.trim().is_empty() || name.chars().count() > 100 {
        errs.push(FieldError::new("name", "Enter a name of at most 100 characters."));
    }
    if email.len() > MAX_EMAIL_LEN {
        errs.push(FieldError::new(
            "email",
            "Use an email address of at most 254 characters.",
        ));
    } else if let Err(m) = normalize(spec("email").expect("email field"), email).and_then(|v| {
        if v.is_empty() {
            Err("Required.".into())
        } else {
            Ok(v)
        }
    }) {
        errs.push(FieldError::new("email", m));
    }
    if let Err(m) = crate::domain::password::check_new(password, email) {
        errs.push(FieldError::new("password", m));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errs))
    }
}

#[server(output = Json)]
pub async fn setup_needed() -> Result<bool, AppError> {
    Ok(users::workspace_name(&db()?).await?.is_none())
}

#[server(output = Json)]
pub async fn create_workspace(
    workspace: String,
    name: String,
    email: String,
    password: String,
    time_zone: String,
) -> Result<(), AppError> {
    let mut errs = match check_person(&name, &email, &password) {
        Err(AppError::Invalid(e)) => e,
        _ => Vec::new(),
    };
    if workspace.trim().is_empty() || workspace.chars().count() > 100 {
        errs.push(FieldError::new(
            "workspace",
            "Enter the company name (at most 100 characters).",
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    if !setup_needed().await? {
        return Err(AppError::BadRequest(
            "This workspace has already been set up. Please sign in.".into(),
        ));
    }
    let tz = if time_zone.parse::<chrono_tz::Tz>().is_ok() {
        time_zone
    } else {
        "UTC".to_string()
    };
    let hash = with_hash_permit(move || hash_password(&password)).await??;
    let admin = users::NewUser {
        name: name.trim(),
        email: &email,
        role: crate::domain::access::Role::Admin,
        team_id: uuid::Uuid::nil(),
        password_hash: &hash,
        time_zone: &tz,
    };
    let user = users::create_workspace(&db()?, workspace.trim(), admin).await?;
    start_session(&user).await?;
    leptos_axum::redirect("/leads");
    Ok(())
}

#[server(output = Json)]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use crate::domain::sign_in::{address_key, email_key, plausible, PER_ADDRESS, PER_EMAIL};
    let db = db()?;
    // Oversized input is refused before anything is stored or hashed.
    if !plausible(&email, &password) {
        return Err(AppError::WrongCredentials);
    }
    let by_email = email_key(&email);
    let by_address = client_addr().map(address_key);
    let mut keys = vec![(by_email.clone(), PER_EMAIL)];
    keys.extend(by_address.clone().map(|k| (k, PER_ADDRESS)));
    // The try is counted before the password is checked: tries sent at once are counted one by one.
    if let Err(wait) = users::reserve_sign_in(&db, &keys, crate::store::now_ms()).await? {
        answer_with_status(http::StatusCode::TOO_MANY_REQUESTS, Some(wait));
        return Err(AppError::TooManyAttempts(wait));
    }
    let found = users::find_for_sign_in(&db, &email).await?;
    let hash = found.as_ref().map(|(_, h, _)| h.clone());
    // Unknown emails cost the same time as wrong passwords, so they cannot be told apart.
    let ok = with_hash_permit(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            let _ = hash_password(&password);
            false
        }
    })
    .await?;
    match found {
        Some((user, _, active)) if ok => {
            users::sign_in_succeeded(&db, &by_email, by_address.as_deref()).await?;
            if !active {
                return Err(AppError::AccountDeactivated);
            }
            start_session(&user).await?;
            leptos_axum::redirect("/leads");
            Ok(())
        }
        _ => Err(AppError::WrongCredentials),
    }
}

#[server(output = Json)]
pub async fn sign_out() -> Result<(), AppError> {
    end_session().await?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Ends every session of the signed-in person, on every device, this one included.
#[server(output = Json)]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let user = require_user().await?;
    users::end_sessions(&db()?, user.id, None).await?;
    end_session().await?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Changes the signed-in person's password: the current one first (counted like a sign-in try), then the
/// new one twice. Every other session of theirs ends; this one stays.
#[server(output = Json)]
pub async fn change_password(current: String, new: String, repeat: String) -> Result<(), AppError> {
    use crate::domain::sign_in::{email_key, plausible, PER_EMAIL};
    let user = require_user().await?;
    let db = db()?;
    if !plausible(&user.email, &current) {
        return Err(AppError::Invalid(vec![FieldError::new(
            "current",
            "This is not your current password.",
        )]));
    }
    let mut errs = Vec::new();
    if let Err(m) = crate::domain::password::check_new(&new, &user.email) {
        errs.push(FieldError::new("new", m));
    } else if new != repeat {
        errs.push(FieldError::new("repeat", "The two new passwords differ."));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let key = email_key(&user.email);
    if let Err(wait) = users::reserve_sign_in(&db, &[(key.clone(), PER_EMAIL)], crate::store::now_ms()).await? {
        answer_with_status(http::StatusCode::TOO_MANY_REQUESTS, Some(wait));
        return Err(AppError::TooManyAttempts(wait));
    }
    let stored = users::password_hash(&db, user.id).await?;
    let new_hash = with_hash_permit(move || verify_password(&current, &stored).then(|| hash_password(&new))).await?;
    let Some(new_hash) = new_hash else {
        return Err(AppError::Invalid(vec![FieldError::new(
            "current",
            "This is not your current password.",
        )]));
    };
    users::sign_in_succeeded(&db, &key, None).await?;
    users::set_password_hash(&db, user.id, &new_hash?).await?;
    users::end_sessions(&db, user.id, current_token_hash().as_deref()).await?;
    Ok(())
}

/// Who is signed in, if anyone.
#[server(output = Json)]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    let Some(u) = optional_user().await? else {
        return Ok(None);
    };
    let workspace = users::workspace_name(&db()?).await?.unwrap_or_default();
    Ok(Some(Me {
        id: u.id,
        name: u.name,
        email: u.email,
        role: u.role,
        team_id: u.team_id,
        team_name: u.team_name,
        time_zone: u.time_zone,
        workspace,
    }))
}
