//! `maillage bench exchanges`: what exchanges cost, on two peered instances (`maillage serve` child
//! processes, SQLite):
//!
//! 1. « Mes échanges » of a member with many exchanges (1,000 by default: most of them finished, some
//!    under way, a few waiting for them): the page and the API's list, at a fixed rate, p50 and p99;
//! 2. a move on A visible on B: a member of B proposes to borrow a listing of A, A's member accepts
//!    (`POST …/accept` on A), and B's API is polled every 5 ms until it shows the acceptance; p50, p99;
//! 3. A's resident memory at rest before the run and after it.
//!
//! It measures; it asserts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use maillage_server::domain::exchange::{Entry, Exchange, ExchangeRecord, ExchangeState, Move, Party, PartyRef, Terms};
use maillage_server::domain::ids::{ExchangeId, ListingId, new_id, now_ms};
use maillage_server::domain::listing::{Mode, Quantity, Unit};
use maillage_server::domain::member::Role;
use maillage_server::services::accounts::{self, Origin, Registration};
use maillage_server::storage::sessions::SessionKind;
use maillage_server::storage::{Db, exchanges};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tracing::instrument::WithSubscriber;

use super::federation::instance::{Instance, free_ports};
use super::load::{self, Paths};
use super::server::rss_kib;

#[derive(Debug, clap::Args)]
pub struct ExchangesArgs {
    /// Exchanges of the member whose « Mes échanges » is measured.
    #[arg(long, default_value_t = 1_000)]
    exchanges: usize,
    /// Moves timed from A to B.
    #[arg(long, default_value_t = 50)]
    moves: usize,
    /// Requests per second of the « Mes échanges » phase.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// Seconds of the « Mes échanges » phase.
    #[arg(long, default_value_t = 10)]
    duration: u64,
}

/// A member of an instance, made in its database before it starts: their id and sessions.
struct Made {
    member: maillage_server::domain::member::Member,
    api: String,
    web: String,
}

async fn make_member(db: &Db, username: &str, role: Role) -> anyhow::Result<Made> {
    let registration = Registration {
        username: username.to_owned(),
        password: new_id(),
        display_name: format!("{username} (banc d'essai)"),
        kind: "person".to_owned(),
        description: String::new(),
    };
    let member = accounts::register(db, &registration, Origin::ByAdmin { role })
        .await
        .map_err(|e| anyhow::anyhow!("creating {username}: {e:?}"))?;
    let api = accounts::open_session(db, &member, SessionKind::Api).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let web = accounts::open_session(db, &member, SessionKind::Web).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(Made { member, api, web })
}

/// `count` exchanges between `member` and `other` on a listing id: most finished, some under way,
/// a few waiting for `member`; each with its opening line.
async fn seed_exchanges(db: &Db, member: &Made, other: &Made, domain: &str, count: usize) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    let listing = ListingId::new();
    let today = OffsetDateTime::now_utc().date();
    let actor = |m: &Made| format!("http://{domain}/members/{}", m.member.username);
    for n in 0..count {
        let from = today + time::Duration::days(1 + (n % 30) as i64);
        let terms = Terms {
            quantity: Quantity::from_milli(1000),
            from: Some(from),
            until: Some(from + time::Duration::days(3)),
            at: None,
            in_return: String::new(),
        };
        // The member lends; the other borrows.
        let mut exchange = Exchange::proposed(Mode::Lend, Party::Receiver, terms.clone());
        let moves: &[Move] = match n % 100 {
            0..=1 => &[],                                             // waiting for the member
            2..=4 => &[Move::Accept],                                 // under way
            5 => &[Move::Accept, Move::HandOver],                     // out
            6 => &[Move::Refuse { reason: "Déjà prêté".to_owned() }], // refused
            _ => &[Move::Accept, Move::HandOver, Move::Return],       // completed
        };
        for mv in moves {
            exchange.apply(Party::Provider, mv.clone(), now_ms()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        }
        let id = ExchangeId::new();
        let at = now_ms() - (count - n) as i64 * 60_000;
        let record = ExchangeRecord {
            ap_id: format!("http://{domain}/exchanges/{id}"),
            id,
            listing_id: listing.clone(),
            listing_ap_id: format!("http://{domain}/listings/{listing}"),
            listing_title: format!("Perceuse numéro {n}"),
            unit: Unit::Piece,
            started_by: Party::Receiver,
            provider: PartyRef { member: Some(member.member.id.clone()), actor: actor(member) },
            receiver: PartyRef { member: Some(other.member.id.clone()), actor: actor(other) },
            exchange,
            offer_ap_id: None,
            pending: None,
            created_at: at,
            updated_at: at,
        };
        exchanges::insert(&mut tx, &record).await?;
        let opening = Entry::of_move(Party::Receiver, &Move::Propose(terms), &record.exchange, at);
        exchanges::add_entry(&mut tx, &record.id, &opening).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn run(args: ExchangesArgs) -> anyhow::Result<()> {
    let root = std::env::temp_dir().join(format!("maillage-bench-exchanges-{}", &new_id()[..12]));
    std::fs::create_dir_all(&root)?;
    // What this process does to the instances' databases is logged at `info`: only warnings here.
    let quiet = tracing_subscriber::fmt().with_max_level(tracing::Level::WARN).with_writer(std::io::stderr).finish();
    let outcome = measure(&args, &root).with_subscriber(quiet).await;
    let _ = std::fs::remove_dir_all(&root);
    outcome
}

async fn measure(args: &ExchangesArgs, root: &std::path::Path) -> anyhow::Result<()> {
    println!(
        "maillage bench exchanges: « Mes échanges » with {} exchanges at {}/s, {} moves from A to B, SQLite",
        args.exchanges, args.rate, args.moves
    );
    println!("machine: {}, load average before the run: {}", super::machine(), super::load_average());
    let ports = free_ports(2)?;
    let mut a = Instance::new("A", ports[0], &root.join("a"))?;
    let mut b = Instance::new("B", ports[1], &root.join("b"))?;
    let (lender, neighbour, borrower) = {
        let db_a = a.db().await?;
        let lender = make_member(&db_a, "preteur", Role::Admin).await?;
        let neighbour = make_member(&db_a, "voisine", Role::Member).await?;
        let started = Instant::now();
        seed_exchanges(&db_a, &lender, &neighbour, &a.domain(), args.exchanges).await?;
        println!("seed: {} exchanges of preteur on A in {:.1} s", args.exchanges, started.elapsed().as_secs_f64());
        db_a.close().await;
        let db_b = b.db().await?;
        let borrower = make_member(&db_b, "emprunteur", Role::Member).await?;
        db_b.close().await;
        (lender, neighbour, borrower)
    };
    let _ = &neighbour;
    a.spawn()?;
    b.spawn()?;
    a.ready().await?;
    b.ready().await?;
    let client = load::client()?;
    super::federation::peer_with_all(&client, &a, &lender.api, std::slice::from_ref(&b), "preteur").await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = a.pid().and_then(rss_kib);

    // 1. « Mes échanges », the page and the API, at a fixed rate.
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {}", lender.api).parse()?);
    headers.insert("cookie", format!("maillage_session={}", lender.web).parse()?);
    let member_client = reqwest::Client::builder().default_headers(headers).http1_only().build()?;
    let page = member_client.get(format!("{}/exchanges", a.base())).send().await?;
    if !page.status().is_success() {
        bail!("« Mes échanges » answered {}", page.status());
    }
    let text = page.text().await?;
    println!(
        "« Mes échanges »: {} bytes, {} exchanges shown (those under way, and the newest finished)",
        text.len(),
        text.matches("class=\"card exchange-row").count()
    );
    let paths: Paths = Arc::new(vec![
        ("page".to_owned(), "/exchanges".to_owned()),
        ("API".to_owned(), "/api/v1/exchanges".to_owned()),
    ]);
    load::closed_loop(&member_client, &a.base(), paths.clone(), 4, Duration::from_secs(2)).await?;
    let phase =
        load::open_loop(&member_client, &a.base(), paths, args.rate, Duration::from_secs(args.duration)).await?;
    println!("\n1. « Mes échanges » of a member with {} exchanges, {}/s:", args.exchanges, args.rate);
    for (index, label) in ["page (/exchanges)", "API (/api/v1/exchanges)"].iter().enumerate() {
        let (n, p50, p99, max) = phase.for_path(index);
        println!(
            "   {label:<26} {n:>5} requests  p50 {p50:>6.2} ms  p99 {p99:>6.2} ms  max {max:>6.2} ms   (target p99 ≤ 10 ms: {})",
            if p99 <= 10.0 { "met" } else { "missed" }
        );
    }
    println!("   errors: {}", phase.errors);

    // 2. A move on A seen on B.
    let mut delays = Vec::with_capacity(args.moves);
    for n in 0..=args.moves {
        let delay = move_seen(&client, &a, &b, &lender.api, &borrower.api, n).await?;
        // The first one, untimed: connections warm.
        if n > 0 {
            delays.push(delay);
        }
    }
    delays.sort_unstable();
    let at =
        |p: f64| delays[((delays.len() as f64 * p).ceil() as usize).clamp(1, delays.len()) - 1].as_secs_f64() * 1000.0;
    println!(
        "\n2. an acceptance on A shown by B's API ({} moves, polled every 5 ms): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms \
         (target p99 ≤ 1,000 ms: {})",
        delays.len(),
        at(0.5),
        at(0.99),
        at(1.0),
        if at(0.99) <= 1000.0 { "met" } else { "missed" }
    );

    let after = a.pid().and_then(rss_kib);
    let mib = |kib: Option<u64>| kib.map_or("?".to_owned(), |k| format!("{:.1} MB", k as f64 / 1024.0));
    println!("\n3. A's resident memory: {} at rest (after peering), {} after the run", mib(idle), mib(after));
    println!("load average after the run: {}", super::load_average());
    a.stop().await;
    b.stop().await;
    Ok(())
}

/// One listing published on A, found on B, proposed by B's member; A's lender accepts it; the time
/// from that POST until B's API shows the acceptance.
async fn move_seen(
    client: &reqwest::Client,
    a: &Instance,
    b: &Instance,
    lender: &str,
    borrower: &str,
    n: usize,
) -> anyhow::Result<Duration> {
    let word: String = new_id()[..10]
        .chars()
        .map(|c| if c.is_ascii_digit() { char::from(b'g' + c as u8 - b'0') } else { c })
        .collect();
    let title = format!("Perceuse repere{word}");
    let body = json!({"purpose": "offer", "mode": "lend", "category": "objects-tools", "title": title,
        "description": "Mesure du délai d'un échange.", "quantity": 1, "unit": "piece", "visibility": "public"});
    let created = client.post(format!("{}/api/v1/listings", a.base())).bearer_auth(lender).json(&body).send().await?;
    if !created.status().is_success() {
        bail!("A refused the listing: {}", created.status());
    }
    let on_b = poll(Duration::from_secs(10), || async {
        let found: Value = client
            .get(format!("{}/api/v1/listings?scope=peers&q=repere{word}", b.base()))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        found["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await
    .context("the listing did not reach B")?;
    let day = |d: i64| (OffsetDateTime::now_utc().date() + time::Duration::days(d)).to_string();
    let offer =
        json!({"listing_id": on_b, "terms": {"from": day(2 + (n % 20) as i64), "until": day(4 + (n % 20) as i64)}});
    let started: Value = client
        .post(format!("{}/api/v1/exchanges", b.base()))
        .bearer_auth(borrower)
        .json(&offer)
        .send()
        .await?
        .json()
        .await?;
    let id_on_b = started["id"].as_str().context("B did not start the exchange")?.to_owned();
    let ap_id = started["ap_id"].as_str().unwrap_or_default().to_owned();
    let id_on_a = poll(Duration::from_secs(10), || async {
        let mine: Value = client
            .get(format!("{}/api/v1/exchanges", a.base()))
            .bearer_auth(lender)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        mine["items"]
            .as_array()?
            .iter()
            .find(|e| e["ap_id"] == ap_id.as_str())
            .and_then(|e| e["id"].as_str().map(str::to_owned))
    })
    .await
    .context("the proposal did not reach A")?;
    let clock = Instant::now();
    let accepted =
        client.post(format!("{}/api/v1/exchanges/{id_on_a}/accept", a.base())).bearer_auth(lender).send().await?;
    if !accepted.status().is_success() {
        bail!("A refused the acceptance: {}", accepted.status());
    }
    poll(Duration::from_secs(10), || async {
        let seen: Value = client
            .get(format!("{}/api/v1/exchanges/{id_on_b}", b.base()))
            .bearer_auth(borrower)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (seen["state"] == ExchangeState::Accepted.as_str()).then_some(())
    })
    .await
    .context("B did not show the acceptance within 10 s")?;
    Ok(clock.elapsed())
}

async fn poll<T, F, Fut>(limit: Duration, mut look: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = look().await {
            return Some(found);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
