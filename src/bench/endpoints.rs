//! Every public endpoint under load, one throughput phase each: what a visitor, a search engine or
//! another server may ask for without an account. Each phase varies its paths as real traffic
//! does (many listings, members, catalogue pages and filters, not one URL), so that no cache of the
//! database or of the server answers a phase from one hot row.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use maillage_server::storage::Db;

use super::load::{self, Paths, Phase};
use super::seed::COLLECTIVE;
use super::server::Server;
use super::{BenchArgs, encode, phase};

/// How many different listings and members the phases go through.
const LISTINGS_VISITED: i64 = 500;
const MEMBERS_VISITED: i64 = 100;

/// What the phases visit: listings and members picked across the catalogue.
pub struct Visited {
    listings: Vec<String>,
    members: Vec<String>,
}

impl Visited {
    /// Public, open listings of ours and active members, spread over the whole catalogue (by a
    /// stride over the table, not the newest only).
    pub async fn pick(db: &Db) -> anyhow::Result<Self> {
        let mut conn = db.conn().await?;
        let listings: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM listings WHERE origin IS NULL AND visibility = 'public' AND status = 'active' \
             AND seq % (1 + (SELECT COUNT(*) FROM listings) / $1) = 0 ORDER BY seq LIMIT $1",
        )
        .bind(LISTINGS_VISITED)
        .fetch_all(&mut *conn)
        .await?;
        let members: Vec<String> =
            sqlx::query_scalar("SELECT username FROM members WHERE status = 'active' ORDER BY created_at LIMIT $1")
                .bind(MEMBERS_VISITED)
                .fetch_all(&mut *conn)
                .await?;
        anyhow::ensure!(!listings.is_empty() && !members.is_empty(), "no public listings or members to visit");
        Ok(Self { listings, members })
    }
}

/// One endpoint measured: its name, what it is for, and its phase.
pub struct Measured {
    pub label: &'static str,
    pub throughput: Phase,
}

/// The endpoints, as (label, whether they answer ActivityPub JSON, paths).
fn endpoints(visited: &Visited, domain: &str) -> Vec<(&'static str, bool, Paths)> {
    let paths = |make: &dyn Fn(usize) -> String, count: usize| -> Paths {
        Arc::new((0..count).map(|i| (String::new(), make(i))).collect())
    };
    let listing = |i: usize| &visited.listings[i % visited.listings.len()];
    let member = |i: usize| &visited.members[i % visited.members.len()];
    // Catalogue pages as people browse them: the first pages, by category, offers or needs, ours.
    let browsing = [
        "",
        "page=2",
        "page=3",
        "page=5",
        "page=10",
        "page=20",
        "category=materials",
        "category=bikes-repair",
        "category=objects-tools-diy&page=2",
        "purpose=offer",
        "purpose=request",
        "mode=lend",
        "scope=local",
        "purpose=offer&category=food-groceries",
        "category=materials-pallets",
        "mode=give&page=2",
    ];
    let catalogue = |prefix: &str| -> Paths {
        Arc::new(browsing.iter().map(|q| (String::new(), format!("{prefix}?{q}"))).collect())
    };
    vec![
        ("catalogue, varied pages", false, catalogue("/catalogue")),
        ("catalogue JSON, varied pages", false, catalogue("/api/v1/listings")),
        ("listing page", false, paths(&|i| format!("/listings/{}", listing(i)), visited.listings.len())),
        ("listing document", true, paths(&|i| format!("/listings/{}", listing(i)), visited.listings.len())),
        ("listing JSON (API)", false, paths(&|i| format!("/api/v1/listings/{}", listing(i)), visited.listings.len())),
        ("member profile page", false, paths(&|i| format!("/members/{}", member(i)), visited.members.len())),
        ("member actor", true, paths(&|i| format!("/members/{}", member(i)), visited.members.len())),
        ("instance actor", true, paths(&|_| "/actor".to_owned(), 1)),
        (
            "WebFinger",
            false,
            paths(
                &|i| format!("/.well-known/webfinger?resource={}", encode(&format!("acct:{}@{domain}", member(i)))),
                visited.members.len(),
            ),
        ),
        ("collectives page", false, paths(&|_| "/collectives".to_owned(), 1)),
        ("collective page", false, paths(&|_| format!("/collectives/{COLLECTIVE}"), 1)),
        ("collective members page", false, paths(&|_| format!("/collectives/{COLLECTIVE}/members"), 1)),
        ("collective charter", false, paths(&|_| format!("/collectives/{COLLECTIVE}/charter"), 1)),
        ("collective actor (Group)", true, paths(&|_| format!("/collectives/{COLLECTIVE}"), 1)),
    ]
}

/// Loads each endpoint with the throughput phase's clients, printing a line each; the first
/// phase is numbered `first_number`.
pub async fn measure(
    args: &BenchArgs,
    server: &Server,
    visited: &Visited,
    first_number: usize,
) -> anyhow::Result<Vec<Measured>> {
    let base = server.base.as_str();
    let domain = base.strip_prefix("http://127.0.0.1").map(|port| format!("localhost{port}")).unwrap_or_default();
    let html = load::client()?;
    let activity = load::client_accepting("application/activity+json")?;
    let duration = Duration::from_secs(args.duration);
    let mut measured = Vec::new();
    for (index, (label, activity_json, paths)) in endpoints(visited, &domain).into_iter().enumerate() {
        let client = if activity_json { &activity } else { &html };
        let first = client.get(format!("{base}{}", paths[0].1)).send().await.with_context(|| label.to_owned())?;
        anyhow::ensure!(first.status().is_success(), "{label}: {} answered HTTP {}", paths[0].1, first.status());
        load::closed_loop(client, base, paths.clone(), args.concurrency, Duration::from_secs(1)).await?;
        let throughput =
            phase(server, &format!("{}. {label}, {} clients", first_number + index, args.concurrency), async {
                load::closed_loop(client, base, paths.clone(), args.concurrency, duration).await
            })
            .await?;
        measured.push(Measured { label, throughput });
    }
    Ok(measured)
}
