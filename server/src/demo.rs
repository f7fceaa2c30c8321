//! `prospecta demo`: a living workspace for newcomers (and the data the benchmark runs on).

use app::domain::access::Role;
use app::domain::validate::normalize_all;
use app::store::leads::{seed, NewLeadRow};
use app::store::{now_ms, users, Db};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use uuid::Uuid;

pub const DEMO_PASSWORD: &str = "prospecta-demo";

const FIRST: &[&str] = &[
    "Lucía",
    "Javier",
    "Carmen",
    "Alejandro",
    "María José",
    "Pablo",
    "Elena",
    "Sergio",
    "Núria",
    "Iñaki",
    "Rocío",
    "Andrés",
    "Emma",
    "Oliver",
    "Charlotte",
    "James",
    "Amelia",
    "Harry",
    "Sophie",
    "Jack",
    "Grace",
    "Thomas",
    "Chloe",
    "Daniel",
];
const LAST: &[&str] = &[
    "García",
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Díaz",
    "Moreno",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Wilson",
    "Evans",
    "Thomas",
    "Johnson",
    "Roberts",
    "Walker",
];
const COMPANY_KIND: &[&str] = &[
    "Cafetería",
    "Hotel",
    "Restaurante",
    "Oficinas",
    "Coworking",
    "Panadería",
    "Coffee House",
    "Bistro",
    "Hostel",
    "Catering",
];
const COMPANY_NAME: &[&str] = &[
    "El Faro",
    "La Plaza",
    "Sol y Sombra",
    "Los Arcos",
    "Mirador",
    "Greenwich",
    "Riverside",
    "Olivo",
    "Alameda",
    "Harbour",
    "Puerta Real",
    "Kingsway",
    "Brisa",
    "Montaña",
];
const CITIES: &[(&str, &str)] = &[
    ("Madrid", "Spain"),
    ("Barcelona", "Spain"),
    ("Sevilla", "Spain"),
    ("Valencia", "Spain"),
    ("Bilbao", "Spain"),
    ("Málaga", "Spain"),
    ("London", "United Kingdom"),
    ("Manchester", "United Kingdom"),
    ("Dublin", "Ireland"),
    ("Lisboa", "Portugal"),
];
const TOPICS: &[&str] = &[
    "Espresso machines for new branch",
    "Replace 3 bean-to-cup machines",
    "Vending coffee for office floors",
    "Barista training and maintenance plan",
    "Máquinas de café para la terraza",
    "Renovación de cafeteras del hotel",
    "Trade show enquiry: capsule machines",
    "Water filtration for espresso line",
    "Grinder upgrade",
    "Cold brew equipment for summer",
    "Servicio técnico anual",
    "Leasing de 10 cafeteras",
];
const JOBS: &[&str] = &[
    "Owner",
    "Gerente",
    "Operations manager",
    "Jefe de compras",
    "Facilities manager",
    "F&B director",
    "Head barista",
];
const INDUSTRIES: &[&str] = &[
    "Hospitality",
    "Hostelería",
    "Office services",
    "Retail",
    "Education",
    "Healthcare",
];

/// A realistic lead (canonical values, validated) for seller `owner`.
pub fn lead_values(rng: &mut StdRng, owner: Uuid) -> BTreeMap<String, String> {
    let pick = |rng: &mut StdRng, xs: &[&str]| xs[rng.gen_range(0..xs.len())].to_string();
    let first = pick(rng, FIRST);
    let last = pick(rng, LAST);
    let company = format!("{} {}", pick(rng, COMPANY_KIND), pick(rng, COMPANY_NAME));
    let (city, country) = CITIES[rng.gen_range(0..CITIES.len())];
    let domain: String = company
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let ascii_first: String = first
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    let mut v = BTreeMap::new();
    let mut put = |k: &str, val: String| {
        v.insert(k.to_string(), val);
    };
    put("topic", pick(rng, TOPICS));
    put("first_name", first);
    put("last_name", last);
    put("company_name", company);
    put("job_title", pick(rng, JOBS));
    put("email", format!("{ascii_first}@{domain}.example"));
    put(
        "business_phone",
        format!(
            "+34 9{} {:03} {:03}",
            rng.gen_range(1..9),
            rng.gen_range(0..1000),
            rng.gen_range(0..1000)
        ),
    );
    put("website", format!("www.{domain}.example"));
    put("city", city.into());
    put("country", country.into());
    put("industry", pick(rng, INDUSTRIES));
    put("employees", rng.gen_range(3..400).to_string());
    put("source", pick(rng, app::domain::fields::SOURCES));
    put("rating", pick(rng, app::domain::fields::RATINGS));
    put("status_reason", pick(rng, &["New", "New", "Contacted"]));
    put("budget_amount", format!("{}", rng.gen_range(1..60) * 1000));
    put("purchase_timeframe", pick(rng, app::domain::fields::TIMEFRAMES));
    put("owner_id", owner.to_string());
    normalize_all(&v).expect("demo values are valid")
}

pub async fn load(db: &Db, leads: usize) -> Result<(), String> {
    let err = |e: app::error::AppError| e.describe();
    if users::workspace_name(db).await.map_err(err)?.is_some() {
        return Err("this database already has a workspace; use an empty one for the demo (e.g. DATABASE_URL=sqlite://data/demo.db)".into());
    }
    let hash = app::api::session::hash_password(DEMO_PASSWORD).map_err(err)?;
    let new = |name: &'static str, email: &'static str, role: Role, team_id: Uuid| {
        users::NewUser {
            name,
            email,
            role,
            team_id,
            password_hash: "",
            time_zone: "Europe/Madrid",
        }
        .with_hash(&hash)
    };
    let admin = users::create_workspace(
        db,
        "Cafeteras Aurora",
        new("Marta Ruiz", "marta@aurora.example", Role::Admin, Uuid::nil()),
    )
    .await
    .map_err(err)?;
    let iberia = admin.team_id;
    let export = users::create_team(db, "Export").await.map_err(err)?.id;
    let mut sellers = Vec::new();
    for (name, email, role, team) in [
        ("Javier Ortega", "javier@aurora.example", Role::Manager, iberia),
        ("Lucía Fernández", "lucia@aurora.example", Role::Seller, iberia),
        ("Carlos Romero", "carlos@aurora.example", Role::Seller, iberia),
        ("Emma Clarke", "emma@aurora.example", Role::Seller, export),
        ("Tom Baker", "tom@aurora.example", Role::Manager, export),
    ] {
        let u = users::create_user(db, new(name, email, role, team))
            .await
            .map_err(err)?;
        sellers.push((u.id, u.team_id));
    }
    let mut rng = StdRng::seed_from_u64(7);
    let now = now_ms();
    let rows: Vec<NewLeadRow> = (0..leads)
        .map(|i| {
            let (owner, team) = sellers[rng.gen_range(0..sellers.len())];
            let at = now - (leads - i) as i64 * 37_000;
            NewLeadRow {
                id: Uuid::now_v7(),
                team_id: team,
                created_by: owner,
                at,
                values: lead_values(&mut rng, owner),
            }
        })
        .collect();
    seed(db, Uuid::now_v7(), 1, &rows).await.map_err(err)?;
    timelines(db, &rows, &sellers).await.map_err(err)?;
    println!(
        "Demo workspace ready: {leads} leads. Sign in as marta@aurora.example (admin), javier@aurora.example (manager)"
    );
    println!("or lucia@aurora.example (seller); every demo password is {DEMO_PASSWORD}");
    Ok(())
}

/// A lived-in timeline on the newest leads: a call, a note, a question to colleagues and its answer, a task.
/// Written through the same path as people's own entries (mentions notify, last activity moves).
async fn timelines(db: &Db, rows: &[NewLeadRow], sellers: &[(Uuid, Uuid)]) -> Result<(), app::error::AppError> {
    use app::domain::mutation::{Entity, Mutation, Op};
    use app::store::write::save;
    use std::collections::BTreeMap;
    let people = users::list(db).await?;
    let actor = |id: Uuid| people.iter().find(|u| u.id == id).map(|u| (u.actor(), u.name.clone()));
    for row in rows.iter().rev().take(30) {
        let Some((owner, _)) = actor(row.created_by) else {
            continue;
        };
        // A colleague of the same team answers the question.
        let Some((colleague, colleague_name)) = sellers
            .iter()
            .filter(|(id, team)| *team == row.team_id && *id != row.created_by)
            .find_map(|(id, _)| actor(*id))
        else {
            continue;
        };
        let company = row.values.get("company_name").cloned().unwrap_or_default();
        let post_id = Uuid::now_v7();
        let entries = [
            (
                &owner,
                Uuid::now_v7(),
                vec![
                    ("kind", "phone_call".into()),
                    ("subject", "First call".into()),
                    ("direction", "outgoing".into()),
                    ("duration", "12".into()),
                    ("outcome", "Interested".into()),
                    (
                        "body",
                        format!("Spoke with the owner of {company}. They want a tasting next week."),
                    ),
                ],
            ),
            (
                &owner,
                Uuid::now_v7(),
                vec![
                    ("kind", "note".into()),
                    (
                        "body",
                        "Current machine is 9 years old; service contract ends in March.".into(),
                    ),
                ],
            ),
            (
                &owner,
                post_id,
                vec![
                    ("kind", "post".into()),
                    (
                        "body",
                        format!("Has anyone worked with {company} before? @{colleague_name}"),
                    ),
                ],
            ),
            (
                &colleague,
                Uuid::now_v7(),
                vec![
                    ("kind", "post".into()),
                    ("parent_id", post_id.to_string()),
                    (
                        "body",
                        "Yes, we sold them a grinder in 2023. Ask for the manager, not the owner.".into(),
                    ),
                ],
            ),
            (
                &owner,
                Uuid::now_v7(),
                vec![
                    ("kind", "task".into()),
                    ("subject", "Send the price list".into()),
                    ("priority", "high".into()),
                ],
            ),
        ];
        for (who, id, pairs) in entries {
            let mut fields: BTreeMap<String, String> = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            fields.insert("lead_id".into(), row.id.to_string());
            save(
                db,
                who,
                &Mutation {
                    entity: Entity::TimelineItem,
                    client_id: id,
                    seq: 1,
                    record_id: id,
                    op: Op::Create { fields },
                },
            )
            .await?;
        }
    }
    Ok(())
}
