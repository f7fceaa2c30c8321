//! Users and teams (admins only).

use crate::api::admin::{list_users, AddTeam, AddUser};
use crate::components::message::ErrorMessage;
use crate::domain::access::Role;
use crate::pages::setup::Labelled;
use leptos::prelude::*;

#[component]
pub fn AdminPage() -> impl IntoView {
    let add_user = ServerAction::<AddUser>::new();
    let add_team = ServerAction::<AddTeam>::new();
    let data = Resource::new(move || (add_user.version().get(), add_team.version().get()), |_| list_users());
    let uerr = move |k: &'static str| Signal::derive(move || add_user.value().get().and_then(|r| r.err()).and_then(|e| e.field_error(k)));
    let terr = Signal::derive(move || add_team.value().get().and_then(|r| r.err()).and_then(|e| e.field_error("name")));
    view! {
        <h1>"Users and teams"</h1>
        <p class="page-links"><a href="/admin/processes">"Business processes and the Qualify setting"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                    Ok((users, teams)) => view! {
                        <table class="users">
                            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Team"</th></tr></thead>
                            <tbody>
                                {users.into_iter().map(|u| view! {
                                    <tr><td data-label="Name">{u.name}</td><td data-label="Email">{u.email}</td><td data-label="Role">{u.role.label()}</td><td data-label="Team">{u.team_name}</td></tr>
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
