//! `maillage bench`: seeds a large catalogue, runs the server as a child process, loads it, and prints
//! the figures beside the targets of the design (idle memory, catalogue and search latency under load,
//! throughput). It measures; it asserts nothing.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use maillage_server::domain::category::CATEGORIES;
use maillage_server::domain::geo::{Location, Point};
use maillage_server::domain::ids::{new_id, now_ms};
use maillage_server::domain::listing::{
    ListingDraft, ListingStatus, Mode, PriceCents, Purpose, Quantity, Unit, Visibility,
};
use maillage_server::domain::member::{MemberKind, MemberStatus, Role, Username};
use maillage_server::services::passwords;
use maillage_server::storage::members::NewMember;
use maillage_server::storage::{Db, listings, members};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use tokio::sync::Mutex;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Listings to seed.
    #[arg(long, default_value_t = 100_000)]
    listings: usize,
    /// Members to seed (listings are spread over them).
    #[arg(long, default_value_t = 500)]
    members: usize,
    /// Seconds per load phase.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Requests per second for the fixed-rate catalogue phase.
    #[arg(long, default_value_t = 500)]
    catalogue_rate: u32,
    /// Requests per second for the fixed-rate search phases.
    #[arg(long, default_value_t = 100)]
    search_rate: u32,
    /// Concurrent clients for the throughput phases.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Where to put the data (default: a new temporary directory, removed at the end unless --keep).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Keep the data directory (and reuse its seeded database next time with --data-dir).
    #[arg(long)]
    keep: bool,
    /// Bench PostgreSQL: a server URL such as postgres://postgres@127.0.0.1:5432/postgres. A fresh
    /// database is created on it for the run and dropped afterwards.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

/// Words the generated listings are made of: French, with accents, as people write them.
const OBJECTS: &[&str] = &[
    "Vélo cargo",
    "Perceuse-visseuse",
    "Palettes Europe",
    "Cartons de déménagement",
    "Tondeuse",
    "Escabeau",
    "Remorque vélo",
    "Raquettes de tennis",
    "Tente quatre places",
    "Chambre froide",
    "Poutres en chêne",
    "Chutes de métal",
    "Bidons plastique",
    "Paniers de légumes",
    "Pain de la veille",
    "Ponceuse",
    "Scie circulaire",
    "Skis de fond",
    "Kayak",
    "Compresseur",
    "Bâches",
    "Chariot élévateur",
    "Local de stockage",
    "Camion benne",
    "Heures de découpe laser",
    "Chaleur fatale",
    "Compost",
    "Confitures",
    "Machine à coudre",
    "Table de pique-nique",
];
const QUALIFIERS: &[&str] = &[
    "en bon état",
    "à prêter",
    "à donner",
    "révisé",
    "presque neuf",
    "pour le week-end",
    "zone industrielle",
    "disponible le soir",
    "pour association",
    "à partager",
    "bio",
    "de récupération",
    "gros volume",
    "à réparer",
];
const DESCRIPTIONS: &[&str] = &[
    "Disponible en semaine, à récupérer sur place.",
    "Prévoir un véhicule adapté. Contact par la messagerie de la coopérative.",
    "Idéal pour un chantier participatif ou un déménagement.",
    "Quantité variable selon les arrivages, merci de réserver à l'avance.",
    "Matériel entretenu par l'atelier, rendu propre apprécié.",
];
/// Places spread over France: (name, latitude, longitude).
const CITIES: &[(&str, f64, f64)] = &[
    ("Lille", 50.6292, 3.0573),
    ("Roubaix", 50.6942, 3.1746),
    ("Paris", 48.8566, 2.3522),
    ("Lyon", 45.764, 4.8357),
    ("Marseille", 43.2965, 5.3698),
    ("Toulouse", 43.6047, 1.4442),
    ("Nantes", 47.2184, -1.5536),
    ("Strasbourg", 48.5734, 7.7521),
    ("Bordeaux", 44.8378, -0.5792),
    ("Rennes", 48.1173, -1.6778),
    ("Grenoble", 45.1885, 5.7245),
    ("Dijon", 47.322, 5.0415),
    ("Amiens", 49.8941, 2.2958),
    ("Brest", 48.3904, -4.4861),
    ("Limoges", 45.8336, 1.2611),
    ("Metz", 49.1193, 6.1757),
    ("Rouen", 49.4432, 1.0999),
    ("Tours", 47.3941, 0.6848),
    ("Clermont-Ferrand", 45.7772, 3.087),
    ("Montpellier", 43.6108, 3.8767),
    ("Nancy", 48.6921, 6.1844),
    ("Caen", 49.1829, -0.3707),
    ("Besançon", 47.2378, 6.0241),
    ("Poitiers", 46.5802, 0.3404),
    ("Pau", 43.2951, -0.3708),
    ("Angers", 47.4784, -0.5632),
    ("Le Mans", 48.0061, 0.1996),
    ("Orléans", 47.9029, 1.9093),
    ("Nîmes", 43.8367, 4.3601),
    ("Valence", 44.9334, 4.8924),
];
/// Search terms: frequent and rare words, accented input, two words, a prefix, a miss.
const SEARCH_TERMS: &[&str] =
    &["velo", "Vélo cargo", "palette", "perceuse", "chene", "kayak", "chambre froide", "lég", "laser", "zzz"];

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let (root, temporary) = match &args.data_dir {
        Some(dir) => (dir.clone(), false),
        None => (std::env::temp_dir().join(format!("maillage-bench-{}", new_id())), true),
    };
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let pg = match &args.database_url {
        Some(url) => Some(PgBench::create(url).await?),
        None => None,
    };
    let database_url = match &pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", root.join("maillage.db").display()),
    };
    println!(
        "maillage bench — {} listings, {} s per phase, 2 cores shared by the server and the load generator",
        args.listings, args.duration
    );
    println!("data: {} ({})", root.display(), if pg.is_some() { "PostgreSQL" } else { "SQLite" });
    let result = seed_and_measure(&args, &root, &database_url).await;
    if let Some(pg) = pg {
        pg.drop_database().await;
    }
    if temporary && !args.keep {
        let _ = std::fs::remove_dir_all(&root);
    }
    result
}

async fn seed_and_measure(args: &BenchArgs, root: &std::path::Path, database_url: &str) -> anyhow::Result<()> {
    let db = Db::open(database_url, root).await?;
    db.migrate().await?;
    let existing = listings::count(&db).await?;
    if existing >= args.listings as i64 {
        println!("seed: reusing {existing} listings already there");
    } else {
        let started = Instant::now();
        seed(&db, args.members, args.listings - existing as usize).await?;
        println!("seed: {} listings in {:.1} s", args.listings, started.elapsed().as_secs_f64());
    }
    db.close().await;

    let server = Server::spawn(root, database_url).await?;
    let outcome = measure(args, &server).await;
    server.stop().await;
    outcome
}

async fn seed(db: &Db, member_count: usize, listing_count: usize) -> anyhow::Result<()> {
    let hash = passwords::hash("bench password, never used".to_owned()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let now = now_ms();
    let mut member_ids = Vec::with_capacity(member_count);
    for i in 0..member_count {
        let id = new_id();
        let username = Username::parse(&format!("bench_{i}_{}", &id[..6])).map_err(|e| anyhow::anyhow!("{e}"))?;
        let member = NewMember {
            id: &id,
            username: &username,
            kind: if i % 5 == 0 { MemberKind::Organisation } else { MemberKind::Person },
            display_name: &format!("Membre {i}"),
            description: "",
            location: None,
            password_hash: &hash,
            role: Role::Member,
            status: MemberStatus::Active,
            now,
        };
        members::insert(db, &member).await?;
        member_ids.push(id);
    }
    let member_ids = Arc::new(member_ids);
    // A few writers in parallel: SQLite serialises them anyway, PostgreSQL benefits.
    let writers = 4;
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let db = db.clone();
        let member_ids = member_ids.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::from_rng(&mut rand::rng());
            for i in (writer..listing_count).step_by(writers) {
                let draft = random_draft(&mut rng, i);
                let member = member_ids.choose(&mut rng).cloned().unwrap_or_default();
                // Spread creation times over the last year so that "newest" means something.
                let created = now - (rng.random_range(0..365 * 24 * 3600) as i64) * 1000;
                listings::insert(&db, &new_id(), &member, &draft, created).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await.context("seeding task")??;
    }
    Ok(())
}

fn random_draft(rng: &mut impl Rng, i: usize) -> ListingDraft {
    let object = OBJECTS.choose(rng).copied().unwrap_or("Objet");
    let qualifier = QUALIFIERS.choose(rng).copied().unwrap_or("");
    let (city, lat, lon) = CITIES.choose(rng).copied().unwrap_or(("Lille", 50.63, 3.06));
    let category = CATEGORIES.choose(rng).unwrap_or(&CATEGORIES[0]);
    let point = Point { latitude: lat + rng.random_range(-0.15..0.15), longitude: lon + rng.random_range(-0.2..0.2) };
    ListingDraft {
        purpose: if i % 3 == 0 { Purpose::Request } else { Purpose::Offer },
        mode: *Mode::ALL.choose(rng).unwrap_or(&Mode::Lend),
        category,
        title: format!("{object} {qualifier}"),
        description: format!("{} Réf. {i}.", DESCRIPTIONS.choose(rng).copied().unwrap_or_default()),
        quantity: Some(Quantity::from_milli(rng.random_range(1..50) * 1000)),
        unit: *Unit::ALL.choose(rng).unwrap_or(&Unit::Piece),
        price: (i % 4 == 0).then(|| PriceCents::new("price", rng.random_range(100..20_000)).ok()).flatten(),
        location: Some(Location { name: city.to_owned(), point: Some(point) }),
        available_from: None,
        available_until: None,
        status: if i % 20 == 0 { ListingStatus::Reserved } else { ListingStatus::Active },
        visibility: if i % 10 == 0 { Visibility::Instance } else { Visibility::Public },
    }
}

/// The server under test, as a child process of ours.
struct Server {
    child: tokio::process::Child,
    base: String,
}

impl Server {
    async fn spawn(root: &std::path::Path, database_url: &str) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let exe = std::env::current_exe().context("locating the maillage binary")?;
        let mut command = tokio::process::Command::new(exe);
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MAILLAGE_")) {
            command.env_remove(name);
        }
        command
            .arg("serve")
            .env("MAILLAGE_DATA_DIR", root)
            .env("MAILLAGE_DATABASE_URL", database_url)
            .env("MAILLAGE_BIND", format!("127.0.0.1:{port}"))
            .env("MAILLAGE_DOMAIN", format!("localhost:{port}"))
            .env("MAILLAGE_LOG", "warn")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let child = command.spawn().context("starting the server")?;
        let server = Self { child, base: format!("http://127.0.0.1:{port}") };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = client.get(format!("{}/", server.base)).send().await
                && response.status().is_success()
            {
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!("the server did not answer within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn memory(&self) -> Option<(u64, u64)> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Latencies in microseconds and failures of one phase.
struct Phase {
    latencies: Vec<u64>,
    errors: u64,
    elapsed: Duration,
}

impl Phase {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let index = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[index] as f64 / 1000.0
    }

    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn line(&self, name: &str) -> String {
        format!(
            "{name:<38} {:>9.0} req/s  p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  errors {}",
            self.rate(),
            self.percentile(0.5),
            self.percentile(0.9),
            self.percentile(0.99),
            self.percentile(1.0),
            self.errors
        )
    }
}

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().pool_max_idle_per_host(256).timeout(Duration::from_secs(10)).build()?)
}

/// Whether a request succeeded, its body read whole.
async fn succeeded(response: reqwest::Result<reqwest::Response>) -> bool {
    match response {
        Ok(response) if response.status().is_success() => response.bytes().await.is_ok(),
        _ => false,
    }
}

/// Sends requests on a fixed timetable and measures each from its scheduled time, so that a slow
/// answer cannot hide the requests that should have been sent meanwhile (coordinated omission).
async fn fixed_rate(paths: Arc<Vec<String>>, base: &str, rate: u32, duration: Duration) -> anyhow::Result<Phase> {
    let client = client()?;
    let results = Arc::new(Mutex::new((Vec::new(), 0u64)));
    let total = (u64::from(rate) * duration.as_secs()).max(1);
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled).await;
        let (client, results, paths) = (client.clone(), results.clone(), paths.clone());
        let url = format!("{base}{}", paths[i as usize % paths.len()]);
        tasks.push(tokio::spawn(async move {
            let ok = succeeded(client.get(&url).send().await).await;
            let latency = scheduled.elapsed().as_micros() as u64;
            let mut results = results.lock().await;
            if ok { results.0.push(latency) } else { results.1 += 1 }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = start.elapsed();
    let (mut latencies, errors) = std::mem::take(&mut *results.lock().await);
    latencies.sort_unstable();
    Ok(Phase { latencies, errors, elapsed })
}

/// `concurrency` clients sending back to back for `duration`: the throughput.
async fn closed_loop(
    paths: Arc<Vec<String>>,
    base: &str,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Phase> {
    let client = client()?;
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, paths, base) = (client.clone(), paths.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut i) = (Vec::new(), 0u64, worker);
            while Instant::now() < deadline {
                let url = format!("{base}{}", paths[i % paths.len()]);
                i += concurrency;
                let sent = Instant::now();
                if succeeded(client.get(&url).send().await).await {
                    latencies.push(sent.elapsed().as_micros() as u64);
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (l, e) = task.await?;
        latencies.extend(l);
        errors += e;
    }
    latencies.sort_unstable();
    Ok(Phase { latencies, errors, elapsed: start.elapsed() })
}

async fn measure(args: &BenchArgs, server: &Server) -> anyhow::Result<()> {
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = server.memory();
    let duration = Duration::from_secs(args.duration);
    let base = server.base.as_str();
    let catalogue = Arc::new(vec!["/".to_owned()]);
    let encode = |term: &str| url_encode(term);
    let search_pages = Arc::new(SEARCH_TERMS.iter().map(|t| format!("/?q={}", encode(t))).collect::<Vec<_>>());
    let search_api =
        Arc::new(SEARCH_TERMS.iter().map(|t| format!("/api/v1/listings?q={}", encode(t))).collect::<Vec<_>>());

    println!("\nphases (each {} s):", args.duration);
    let catalogue_rate = fixed_rate(catalogue.clone(), base, args.catalogue_rate, duration).await?;
    println!("{}", catalogue_rate.line(&format!("catalogue page at {}/s", args.catalogue_rate)));
    let catalogue_max = closed_loop(catalogue, base, args.concurrency, duration).await?;
    println!("{}", catalogue_max.line(&format!("catalogue page, {} clients", args.concurrency)));
    let search_rate = fixed_rate(search_pages.clone(), base, args.search_rate, duration).await?;
    println!("{}", search_rate.line(&format!("search page at {}/s", args.search_rate)));
    let search_api_rate = fixed_rate(search_api, base, args.search_rate, duration).await?;
    println!("{}", search_api_rate.line(&format!("search API at {}/s", args.search_rate)));
    let search_max = closed_loop(search_pages, base, args.concurrency, duration).await?;
    println!("{}", search_max.line(&format!("search page, {} clients", args.concurrency)));
    let loaded = server.memory();

    let mb = |kb: u64| kb as f64 / 1024.0;
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!("\n{:<46} {:>14} {:>12}  ", "target (DESIGN.md §4)", "measured", "");
    if let Some((rss, _)) = idle {
        println!("{:<46} {:>11.1} MB {:>12}", "idle resident memory ≤ 20 MB", mb(rss), verdict(mb(rss) <= 20.0));
    }
    let p99 = catalogue_rate.percentile(0.99);
    println!(
        "{:<46} {:>11.2} ms {:>12}",
        format!("catalogue p99 ≤ 10 ms at {}/s", args.catalogue_rate),
        p99,
        verdict(p99 <= 10.0 && catalogue_rate.errors == 0)
    );
    println!(
        "{:<46} {:>9.0} req/s {:>12}",
        "catalogue throughput ≥ 3,000 req/s",
        catalogue_max.rate(),
        verdict(catalogue_max.rate() >= 3000.0)
    );
    let search_p99 = search_rate.percentile(0.99).max(search_api_rate.percentile(0.99));
    println!(
        "{:<46} {:>11.2} ms {:>12}",
        format!("search p99 ≤ 20 ms ({} listings)", args.listings),
        search_p99,
        verdict(search_p99 <= 20.0 && search_rate.errors == 0)
    );
    if let Some((rss, peak)) = loaded {
        println!("{:<46} {:>11.1} MB  (peak {:.1} MB)", "resident memory after load", mb(rss), mb(peak));
    }
    Ok(())
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A throwaway PostgreSQL database for one bench run.
struct PgBench {
    admin_url: String,
    name: String,
    url: String,
}

impl PgBench {
    async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let name = format!("maillage_bench_{}", &new_id()[..12]);
        let admin = Db::connect(admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin.pool).await?;
        admin.close().await;
        let (base, _) = admin_url.rsplit_once('/').context("the database URL has no /DATABASE part")?;
        Ok(Self { admin_url: admin_url.to_owned(), url: format!("{base}/{name}"), name })
    }

    async fn drop_database(self) {
        if let Ok(admin) = Db::connect(&self.admin_url).await {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin.pool).await;
            admin.close().await;
        }
    }
}
