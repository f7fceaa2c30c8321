//! The people's notifications: who mentioned them on which lead, newest first; each opens the post.

use crate::api::timeline::{mark_notifications_read, my_notifications};
use crate::components::layout::NoticeCount;
use crate::components::list::LoadedList;
use leptos::prelude::*;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let version = RwSignal::new(0);
    let list = Resource::new(move || version.get(), |_| my_notifications());
    let count = use_context::<NoticeCount>();
    let mark = move |id: String| {
        leptos::task::spawn_local(async move {
            let _ = mark_notifications_read(id).await;
            version.update(|v| *v += 1);
            if let Some(c) = count {
                c.refresh();
            }
        })
    };
    view! {
        <h1>"Notifications"</h1>
        <button type="button" class="secondary" on:click=move |_| mark(String::new())>"Mark all as read"</button>
        <LoadedList list=list loading="Loading…"
            empty="No notifications yet. When a colleague mentions you in a post, it shows here."
            rows=move |items| view! {
                <ul class="notifications">
                    {items.into_iter().map(|n| {
                        let id = n.id.to_string();
                        let href = format!("/leads/{}#item-{}", n.lead_id, n.item_id);
                        let what = format!("{} mentioned you on {}", n.actor_name, n.lead_name);
                        view! {
                            <li class:unread=!n.read>
                                {if n.can_open {
                                    view! { <a href=href on:click=move |_| mark(id.clone())>{what}</a> }.into_any()
                                } else {
                                    view! { <span>{what}</span> }.into_any()
                                }}
                                <p class="excerpt">{n.excerpt}</p>
                                <p class="when">{n.created_shown}{(!n.read).then_some(" · unread")}</p>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }/>
    }
}
