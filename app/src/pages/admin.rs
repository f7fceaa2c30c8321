//! Users and teams (admins only).

use crate::api::admin::{list_users, AddTeam, AddUser, ResetPassword, SetUserActive};
use crate::components::form::Labelled;
use crate::components::message::ErrorMessage;
use crate::domain::access::Role;
use leptos::prelude::*;

#[component]
pub fn AdminPage() -> impl IntoView {
    let add_user = ServerAction::<AddUser>::new();
    let add_team = ServerAction::<AddTeam>::new();
    let set_active = ServerAction::<SetUserActive>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let data = Resource::new(
        move || {
            (
                add_user.version().get(),
                add_team.version().get(),
                set_active.version().get(),
            )
        },
        |_| list_users(),
    );
    let uerr = move |k: &'static str| {
        Signal::derive(move || {
            add_user
                .value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field_error(k))
        })
    };
    let terr = Signal::derive(move || {
        add_team
            .value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.field_error("name"))
    });
    view! {
        <h1>"Users and teams"</h1>
        <p class="page-links"><a href="/admin/processes">"Business processes and the Qualify setting"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                    Ok((users, teams, me)) => view! {
                        {move || set_active.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
                        {move || reset.value().get().map(|r| match r {
                            Ok(()) => view! { <p class="ok-box" role="status">"Password changed. Every session of theirs has ended."</p> }.into_any(),
                            Err(e) => view! { <p class="error-box" role="alert">{e.field_error("password").unwrap_or_else(|| e.to_string())}</p> }.into_any(),
                        })}
                        <table class="users">
                            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Team"</th><th>"Account"</th></tr></thead>
                            <tbody>
                                {users.into_iter().map(|(u, active)| {
                                    let id = u.id.to_string();
                                    let account = if u.id == me {
                                        view! { <span>"You"</span> }.into_any()
                                    } else {
                                        view! { <UserActions id=id name=u.name.clone() active=active set_active=set_active reset=reset/> }.into_any()
                                    };
                                    view! {
                                        <tr class:inactive=!active>
                                            <td data-label="Name">{u.name}</td><td data-label="Email">{u.email}</td><td data-label="Role">{u.role.label()}</td>
                                            <td data-label="Team">{u.team_name}</td><td data-label="Account">{account}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <h2>"Add a user"</h2>
                        <ActionForm action=add_user attr:novalidate="">
                            <Labelled id="u-name" label="Name" err=uerr("name")><input id="u-name" name="name"/></Labelled>
                            <Labelled id="u-email" label="Email" err=uerr("email")><input id="u-email" name="email" type="email"/></Labelled>
                            <Labelled id="u-role" label="Role" err=uerr("role")>
                                <select id="u-role" name="role">
                                    {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                                </select>
                            </Labelled>
                            <Labelled id="u-team" label="Team" err=uerr("team")>
                                <select id="u-team" name="team">
                                    {teams.iter().map(|t| view! { <option value=t.id.to_string()>{t.name.clone()}</option> }).collect_view()}
                                </select>
                            </Labelled>
                            <Labelled id="u-password" label="Password" err=uerr("password")><input id="u-password" name="password" type="password" autocomplete="new-password"/></Labelled>
                            {move || add_user.value().get().and_then(|r| r.ok()).map(|_| view! { <p class="ok-box" role="status">"User added."</p> })}
                            <button type="submit">"Add user"</button>
                        </ActionForm>
                        <h2>"Add a team"</h2>
                        <ActionForm action=add_team attr:novalidate="">
                            <Labelled id="t-name" label="Team name" err=terr><input id="t-name" name="name"/></Labelled>
                            <button type="submit">"Add team"</button>
                        </ActionForm>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// An admin's actions on someone's account: deactivate or reactivate it, or give them a new password.
/// Plain forms, so they work before the page is interactive (and without JavaScript).
#[component]
fn UserActions(
    id: String,
    name: String,
    active: bool,
    set_active: ServerAction<SetUserActive>,
    reset: ServerAction<ResetPassword>,
) -> impl IntoView {
    let field = format!("reset-{id}");
    let verb = if active { "Deactivate" } else { "Reactivate" };
    let toggle_label = format!("{verb} {name}");
    let password_label = format!("New password for {name}");
    let reset_id = id.clone();
    view! {
        <div class="user-actions">
            {(!active).then(|| view! { <span class="note">"Deactivated"</span> })}
            <ActionForm action=set_active>
                <input type="hidden" name="user" value=id/>
                <input type="hidden" name="active" value=(!active).to_string()/>
                <button type="submit" class="secondary" aria-label=toggle_label>{verb}</button>
            </ActionForm>
            <details>
                <summary>"Reset password"</summary>
                <ActionForm action=reset attr:novalidate="">
                    <input type="hidden" name="user" value=reset_id/>
                    <label for=field.clone()>{password_label}</label>
                    <input id=field name="password" type="password" autocomplete="new-password"/>
                    <button type="submit">"Set password"</button>
                </ActionForm>
            </details>
        </div>
    }
}
