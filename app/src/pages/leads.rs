//! The lead list: views, search, filters, sorting and paging, all kept in the URL.

use crate::api::leads::list_leads;
use crate::components::layout::push_link;
use crate::components::message::ErrorMessage;
use crate::domain::fields::{RATINGS, SOURCES};
use crate::domain::query::{LeadQuery, SortKey, View, STATUSES};
use crate::model::{LeadList, LeadRow};
use crate::offline::{self, is_network, use_offline};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const COLUMNS: [SortKey; 8] = [
    SortKey::Name,
    SortKey::Company,
    SortKey::Topic,
    SortKey::Status,
    SortKey::Rating,
    SortKey::Owner,
    SortKey::Updated,
    SortKey::LastActivity,
];

#[component]
pub fn LeadsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| LeadQuery::from_params(|k| p.get(k))));
    let o = use_offline();
    // Offline, the list comes from this device's copy; `local` turns true only in the browser when the
    // network is gone, so server and browser start from the same request.
    let local = move || o.ready.get() && !o.online.get();
    let list = Resource::new(
        move || (query.get(), local()),
        move |(q, _)| async move {
            match list_leads(q.clone()).await {
                Ok(list) => {
                    offline::remember_owners(o, &list.owners);
                    Ok(Listed::new(list))
                }
                Err(e) if is_network(&e) && o.has_copy() => Ok(Listed::new(crate::offline::local_list(o, q).await)),
                Err(e) => Err(e),
            }
        },
    );
    // The request as first rendered; selects follow later changes through `prop:value`.
    let q0 = query.get_untracked();
    // The box follows the URL (back button) but is never overwritten when the page becomes interactive,
    // so text typed while the app loads is kept.
    let search = NodeRef::<leptos::html::Input>::new();
    Effect::watch(
        move || query.get().q,
        move |q, _, _| {
            if let Some(input) = search.get_untracked() {
                input.set_value(q);
            }
        },
        false,
    );
    // A plain form: without JavaScript the browser submits it; with it, the search becomes a navigation in
    // the app. (The router's `<Form>` did the same at 2.7% of this page's server time.)
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        let Ok(data) = leptos::form::form_data_from_event(&ev) else {
            return;
        };
        let Ok(params) = leptos::web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data) else {
            return;
        };
        ev.prevent_default();
        navigate(
            &format!("/leads?{}", String::from(params.to_string())),
            Default::default(),
        );
    };
    view! {
        <div class="list-head">
            <h1>{move || query.get().view.label()}</h1>
            <a class="button" href="/leads/new">"New lead"</a>
        </div>
        <nav class="tabs" aria-label="Lead views" inner_html=move || query.try_with(|q| tabs_html(q.view)).unwrap_or_default()></nav>
        <form method="GET" action="/leads" class="filters" role="search" on:submit=submit>
            <input type="hidden" name="view" prop:value=move || query.get().view.slug()/>
            <div class="field grow">
                <label for="q">"Search leads"</label>
                <input id="q" type="search" name="q" placeholder="Name, company, email or topic" node_ref=search value=query.get_untracked().q/>
            </div>
            {choice("status", "Status", STATUSES, query, |q| &q.status)}
            {choice("source", "Source", SOURCES, query, |q| &q.source)}
            {choice("rating", "Rating", RATINGS, query, |q| &q.rating)}
            // The select is rendered whole once the owners are known: markers inside <select> do not survive parsing.
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    // Read before the await: a server render can outlive its request, and its signals with it.
                    let chosen = query.get_untracked().owner;
                    let listed = list.await.ok();
                    let owners = listed.as_ref().map(|l| l.list.owners.as_slice()).unwrap_or_default();
                    view! {
                        <div class="field">
                            <label for="owner">"Owner"</label>
                            <select id="owner" name="owner" inner_html=options_html(any().chain(owners.iter().map(|u| (u.id.to_string(), u.name.as_str()))), &chosen)
                                prop:value=move || query.get().owner></select>
                        </div>
                    }
                })}
            </Suspense>
            <div class="field">
                <label for="sort">"Sort by"</label>
                <select id="sort" name="sort" inner_html=options_html(SortKey::ALL.into_iter().map(|k| (k.slug(), k.label())), q0.sort.slug())
                    prop:value=move || query.get().sort.slug()></select>
            </div>
            <div class="field">
                <label for="dir">"Order"</label>
                <select id="dir" name="dir" inner_html=options_html([("asc", "Ascending"), ("desc", "Descending")], if q0.desc { "desc" } else { "asc" })
                    prop:value=move || if query.get().desc { "desc" } else { "asc" }></select>
            </div>
            <button type="submit">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading leads…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get();
                match list.await {
                    Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                    Ok(Listed { rows: 0, .. }) => view! { <p class="empty">"No leads match."</p> }.into_any(),
                    Ok(Listed { list, .. }) => view! {
                        <p class="count" aria-live="polite">{if list.more { format!("More than {} leads", list.total) } else { format!("{} leads", list.total) }}</p>
                        // The head and the rows are written by `head_html` and `rows_html`.
                        <table class="leads">
                            <thead inner_html=head_html(&q)></thead>
                            <tbody inner_html=rows_html(&list.rows)></tbody>
                        </table>
                        <nav class="pager" aria-label="Pages">
                            {(list.page > 1).then(|| view! { <a href=list_url(&q.at_page(list.page - 1)) rel="prev">"Previous page"</a> })}
                            <span>{format!("Page {} of {}{}", list.page, list.pages, if list.more { "+" } else { "" })}</span>
                            {((list.page < list.pages || list.more) && list.page < crate::domain::query::MAX_PAGE).then(|| view! { <a href=list_url(&q.at_page(list.page + 1)) rel="next">"Next page"</a> })}
                        </nav>
                        {(list.more && list.page >= crate::domain::query::MAX_PAGE).then(|| view! { <p class="note">"Lists go 10,000 leads deep: search or filter to find the others."</p> })}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The list as this page holds it. Its hydration data leaves the rows out, keeping their number: the rows
/// reach the browser as markup already (`rows_html`), hydration keeps that markup, and the browser writes
/// rows only from lists it fetched itself. That data was a tenth of the page's server time.
/// The list is shared, not copied, each time the page reads the resource (a copy was 200 allocations).
#[derive(Clone)]
struct Listed {
    list: std::sync::Arc<LeadList>,
    rows: usize,
}

impl Listed {
    fn new(list: LeadList) -> Self {
        Listed {
            rows: list.rows.len(),
            list: list.into(),
        }
    }
}

impl Serialize for Listed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bare = LeadList {
            rows: Vec::new(),
            owners: self.list.owners.clone(),
            ..*self.list
        };
        (self.rows, bare).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Listed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (rows, list) = <(usize, LeadList)>::deserialize(d)?;
        Ok(Listed {
            list: list.into(),
            rows,
        })
    }
}

/// A filter: a select of `options` after "Any", following the part of the query that `pick` reads.
fn choice(
    id: &'static str,
    label: &'static str,
    options: &'static [&'static str],
    query: Memo<LeadQuery>,
    pick: fn(&LeadQuery) -> &String,
) -> impl IntoView {
    let now = query.with_untracked(|q| options_html(any().chain(options.iter().map(|o| (*o, *o))), pick(q)));
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=id inner_html=now prop:value=move || query.with(|q| pick(q).clone())></select>
        </div>
    }
}

/// The "Any" choice that heads a filter.
fn any<V: From<&'static str>>() -> std::iter::Once<(V, &'static str)> {
    std::iter::once(("".into(), "Any"))
}

/// The options of a select as markup, `chosen` marked `selected`: that gives the first render (and pages
/// without JavaScript) the choice, and `prop:value` keeps the select in step afterwards. As views, the
/// page's 45 options cost the server more than all its rows do as markup. Values and labels are escaped.
fn options_html<V: AsRef<str>, L: AsRef<str>>(options: impl IntoIterator<Item = (V, L)>, chosen: &str) -> String {
    let mut html = String::with_capacity(512);
    for (value, label) in options {
        html.push_str("<option value=\"");
        html_escape::encode_double_quoted_attribute_to_string(value.as_ref(), &mut html);
        html.push_str(if value.as_ref() == chosen {
            "\" selected>"
        } else {
            "\">"
        });
        html_escape::encode_text_to_string(label.as_ref(), &mut html);
        html.push_str("</option>");
    }
    html
}

/// The views as links, the shown one marked current; written again when the view changes. As views, with
/// two closures per link, they cost the server more than this markup does.
fn tabs_html(shown: View) -> String {
    let mut html = String::with_capacity(256);
    for v in View::ALL {
        push_link(
            &mut html,
            &list_url(&LeadQuery {
                view: v,
                ..Default::default()
            }),
            v.label(),
            v == shown,
        );
    }
    html
}

/// The address of the list showing `q`.
fn list_url(q: &LeadQuery) -> String {
    format!("/leads?{}", q.to_query_string())
}

/// The head of the table as markup: each column a link that sorts by it (a second click flips the order),
/// the sorted one marked with `aria-sort` and an arrow.
fn head_html(q: &LeadQuery) -> String {
    let mut html = String::with_capacity(1024);
    html.push_str("<tr>");
    for k in COLUMNS {
        let sort = (q.sort == k).then_some(if q.desc { "descending" } else { "ascending" });
        match sort {
            Some(s) => {
                html.push_str("<th aria-sort=\"");
                html.push_str(s);
                html.push_str("\">");
            }
            None => html.push_str("<th>"),
        }
        html.push_str("<a href=\"");
        html_escape::encode_double_quoted_attribute_to_string(list_url(&q.sorted_by(k)), &mut html);
        html.push_str("\">");
        html.push_str(k.label());
        html.push_str(match sort {
            Some("descending") => " ↓",
            Some(_) => " ↑",
            None => "",
        });
        html.push_str("</a></th>");
    }
    html.push_str("</tr>");
    html
}

/// The rows of the list as markup. They are most of the busiest page, and written here directly they cost
/// the server a sixth of what the same rows cost as views (callgrind, 25 rows: about 80,000 instructions
/// against 460,000). Every text is escaped and the link holds a UUID. The phone layout labels each cell by
/// its column in CSS (`style/main.css`, in `COLUMNS` order): a `data-label` per cell was a quarter of the page.
fn rows_html(rows: &[LeadRow]) -> String {
    use std::fmt::Write;
    let mut html = String::with_capacity(rows.len() * 480);
    for r in rows {
        html.push_str("<tr>");
        let cells = [
            &r.name,
            &r.company,
            &r.topic,
            &r.status_reason,
            &r.rating,
            &r.owner_name,
            &r.updated_shown,
            &r.last_activity_shown,
        ];
        for (column, text) in COLUMNS.into_iter().zip(cells) {
            html.push_str("<td>");
            if column == SortKey::Name {
                let _ = write!(html, "<a href=\"/leads/{}\">", r.id);
            }
            html_escape::encode_text_to_string(text, &mut html);
            if column == SortKey::Name {
                html.push_str("</a>");
            }
            html.push_str("</td>");
        }
        html.push_str("</tr>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, company: &str, topic: &str) -> LeadRow {
        LeadRow {
            id: uuid::Uuid::nil(),
            name: name.into(),
            company: company.into(),
            topic: topic.into(),
            status_reason: "New".into(),
            rating: "Hot".into(),
            owner_name: "Marta".into(),
            updated_at: 0,
            updated_shown: "1 Jan 2026 10:00".into(),
            last_activity_at: 0,
            last_activity_shown: String::new(),
        }
    }

    #[test]
    fn rows_are_written_with_every_text_escaped() {
        let row = row("Ana <b>", "Tom & Jerry", "</td><script>x</script>");
        assert_eq!(
            rows_html(&[row]),
            "<tr><td><a href=\"/leads/00000000-0000-0000-0000-000000000000\">Ana &lt;b&gt;</a></td>\
             <td>Tom &amp; Jerry</td><td>&lt;/td&gt;&lt;script&gt;x&lt;/script&gt;</td>\
             <td>New</td><td>Hot</td><td>Marta</td><td>1 Jan 2026 10:00</td><td></td></tr>"
        );
        assert_eq!(rows_html(&[]), "");
    }

    #[test]
    fn the_view_tabs_link_each_view_and_mark_the_shown_one() {
        assert_eq!(
            tabs_html(View::Team),
            "<a href=\"/leads?view=mine\">My open leads</a><a href=\"/leads?view=team\" aria-current=\"page\">All open leads</a>\
             <a href=\"/leads?view=closed\">Closed leads</a>"
        );
    }

    #[test]
    fn options_are_written_escaped_with_the_chosen_one_selected() {
        let owners = [("1\"><script>".to_string(), "Tom & <Jerry>"), ("2".to_string(), "Ana")];
        assert_eq!(
            options_html(any().chain(owners), "2"),
            "<option value=\"\">Any</option><option value=\"1&quot;&gt;&lt;script&gt;\">Tom &amp; &lt;Jerry&gt;</option>\
             <option value=\"2\" selected>Ana</option>"
        );
        assert_eq!(
            options_html(any::<&str>(), ""),
            "<option value=\"\" selected>Any</option>"
        );
    }

    #[test]
    fn the_head_links_sort_by_each_column_and_mark_the_sorted_one() {
        let q = LeadQuery {
            q: "a&b".into(),
            sort: SortKey::Company,
            desc: false,
            ..Default::default()
        };
        let html = head_html(&q);
        assert_eq!(html.matches("<th").count(), COLUMNS.len());
        // The sorted column flips on a second click; the others start in their own order.
        assert!(html.contains("<th aria-sort=\"ascending\"><a href=\"/leads?view=mine&amp;q=a%26b&amp;sort=company&amp;dir=desc\">Company ↑</a></th>"), "{html}");
        assert!(
            html.contains("<th><a href=\"/leads?view=mine&amp;q=a%26b&amp;sort=name&amp;dir=asc\">Name</a></th>"),
            "{html}"
        );
        assert_eq!(html.matches("aria-sort").count(), 1);
    }

    #[test]
    fn hydration_data_keeps_the_number_of_rows_but_not_the_rows() {
        let row = row("Ana", "Aurora", "Capsules");
        let list = LeadList {
            rows: vec![row.clone(), row],
            total: 2,
            page: 1,
            pages: 1,
            ..Default::default()
        };
        let data = serde_json::to_string(&Listed::new(list.clone())).unwrap();
        assert!(!data.contains("Ana"), "{data}");
        let back: Listed = serde_json::from_str(&data).unwrap();
        assert_eq!(back.rows, 2);
        assert_eq!(
            *back.list,
            LeadList {
                rows: Vec::new(),
                ..list
            }
        );
    }
}
