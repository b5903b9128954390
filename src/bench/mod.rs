//! `maillage bench`: seeds a large catalogue, runs the server as a child process, loads it over HTTP, and
//! prints the figures beside the performance targets of the design (idle memory, catalogue and search
//! latency under a fixed load, throughput). It measures; it asserts nothing. `maillage bench federation`
//! measures federation instead (see `federation.rs`), `maillage bench login` failed logins under
//! attack (see `login.rs`).

mod collections;
mod endpoints;
mod exchanges;
mod federation;
mod load;
mod login;
mod photos;
mod seed;
mod server;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use maillage_server::domain::ids::new_id;
use maillage_server::storage::{Db, listings};

use load::{Paths, Phase};
use server::{Memory, Server};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: Option<BenchCommand>,
    /// Listings to seed.
    #[arg(long, default_value_t = 100_000)]
    listings: usize,
    /// Members to seed (listings are spread over them).
    #[arg(long, default_value_t = 500)]
    members: usize,
    /// Seconds per load phase.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Requests per second of the fixed-rate catalogue phase.
    #[arg(long, default_value_t = 500)]
    catalogue_rate: u32,
    /// Requests per second of the fixed-rate search phases.
    #[arg(long, default_value_t = 100)]
    search_rate: u32,
    /// Concurrent clients of the throughput phases.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Where to put the data (default: a new temporary directory, removed at the end unless --keep).
    /// A directory already seeded with enough listings is reused as it is.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Keep the temporary data directory (and the PostgreSQL database).
    #[arg(long)]
    keep: bool,
    /// Bench PostgreSQL instead of SQLite: a server URL such as
    /// postgres://postgres@127.0.0.1:5432/postgres. A fresh database is created on that server for the
    /// run and dropped afterwards.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
enum BenchCommand {
    /// Federation: inbox throughput of signed activities, outbound deliveries per second, and the delay
    /// from a listing published on one instance to its showing in a peer's catalogue.
    Federation(federation::FederationArgs),
    /// Failed logins under attack: resident memory before, at the peak of and after 200 concurrent
    /// failed logins, and the answers per second (401 and 429), with the rate limits off and on.
    Login(login::LoginArgs),
    /// Photos: resident memory at rest and with the gazetteer loaded, then the time and memory of
    /// uploading 12-megapixel JPEGs.
    Photos(photos::PhotosArgs),
    /// Exchanges: « Mes échanges » of a member with 1,000 exchanges (p50, p99), the delay of a move
    /// on one instance until a peer shows it, memory at rest.
    Exchanges(exchanges::ExchangesArgs),
}

/// Remote followers of the instance actor (its followers collection is one of the measured ones).
const FOLLOWERS: usize = 1_000;

/// Members of the bench's collective (its pages are measured).
const COLLECTIVE_MEMBERS: usize = 200;

/// Search input, as people type it: (what it exercises, the query).
const SEARCH_TERMS: &[(&str, &str)] = &[
    ("frequent word", "velo"),
    ("frequent word", "palette"),
    ("accented input", "Vélo"),
    ("two words", "vélo cargo"),
    ("two words", "chambre froide"),
    ("less frequent", "perceuse"),
    ("less frequent", "kayak"),
    ("rare word", "apiculture"),
    ("prefix", "lég"),
    ("prefix", "pal"),
    ("no match", "xylophone"),
];

pub async fn run(mut args: BenchArgs) -> anyhow::Result<()> {
    match args.command.take() {
        Some(BenchCommand::Federation(federation)) => return federation::run(federation).await,
        Some(BenchCommand::Login(login)) => return login::run(login).await,
        Some(BenchCommand::Photos(photos)) => return photos::run(photos).await,
        Some(BenchCommand::Exchanges(exchanges)) => return exchanges::run(exchanges).await,
        None => {}
    }
    let (root, temporary) = match &args.data_dir {
        Some(dir) => (dir.clone(), false),
        None => (std::env::temp_dir().join(format!("maillage-bench-{}", &new_id()[..12])), true),
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
    let outcome = tokio::select! {
        outcome = seed_and_measure(&args, &root, &database_url) => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    if let Some(pg) = pg {
        if args.keep {
            println!("database kept: {}", pg.url);
        } else {
            pg.drop_database().await;
        }
    }
    if temporary && !args.keep {
        let _ = std::fs::remove_dir_all(&root);
    } else {
        println!("data kept in {}", root.display());
    }
    outcome
}

async fn seed_and_measure(args: &BenchArgs, root: &Path, database_url: &str) -> anyhow::Result<()> {
    let backend = if database_url.starts_with("sqlite:") { "SQLite" } else { "PostgreSQL" };
    println!(
        "maillage bench: {} listings, {} members, {backend}, {} s per phase",
        args.listings, args.members, args.duration
    );
    println!("machine: {}, load average before the run: {}", machine(), load_average());
    println!("the server and this load generator share those cores: figures are lower bounds for the server alone");
    println!("data: {}", root.display());

    let db = Db::open(database_url, root).await?;
    db.migrate().await?;
    let existing = usize::try_from(listings::count(&mut *db.conn().await?).await?).unwrap_or(0);
    if existing >= args.listings {
        println!("seed: reusing the {existing} listings already there");
    } else {
        let members = if existing == 0 { args.members } else { 1 };
        let seeded = seed::seed(&db, members, args.listings - existing).await?;
        println!(
            "seed: {} members and {} listings in {:.1} s ({:.0} listings/s)",
            seeded.members,
            seeded.listings,
            seeded.seconds,
            seeded.listings as f64 / seeded.seconds
        );
    }
    seed::give_keys(&db).await?;
    seed::give_followers(&db, FOLLOWERS).await?;
    seed::give_collective(&db, COLLECTIVE_MEMBERS).await?;
    let visited = endpoints::Visited::pick(&db).await?;
    db.close().await;

    let server = Server::spawn(root, database_url).await?;
    let outcome = measure(args, backend, &server, &visited).await;
    let (lines, first) = server.log_summary();
    server.stop().await;
    if lines > 0 {
        // Logging on every request costs time too: a noisy server is worth knowing about.
        println!("\nthe server logged {lines} warning or error lines; the first ones:");
        for line in first {
            println!("  {line}");
        }
    }
    outcome
}

async fn measure(args: &BenchArgs, backend: &str, server: &Server, visited: &endpoints::Visited) -> anyhow::Result<()> {
    // Idle: started, one request answered (the readiness check), nothing since.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = server.memory();
    let client = load::client()?;
    let base = server.base.as_str();
    let duration = Duration::from_secs(args.duration);

    let first = client.get(format!("{base}/catalogue")).send().await?.bytes().await?;
    // `card` alone, or `card with-photo`: every card's class begins with it.
    let cards = String::from_utf8_lossy(&first).matches("<li class=\"card").count();
    println!("catalogue page: {} bytes, {cards} listing cards", first.len());

    let catalogue: Paths = Arc::new(vec![("catalogue".to_owned(), "/catalogue".to_owned())]);
    let front_page: Paths = Arc::new(vec![("front page".to_owned(), "/".to_owned())]);
    let search_page: Paths = Arc::new(
        SEARCH_TERMS
            .iter()
            .map(|(kind, q)| (format!("{q:?} ({kind})"), format!("/catalogue?q={}", encode(q))))
            .collect(),
    );
    let search_api: Paths = Arc::new(
        SEARCH_TERMS
            .iter()
            .map(|(kind, q)| (format!("{q:?} ({kind})"), format!("/api/v1/listings?q={}", encode(q))))
            .collect(),
    );
    // Warm-up, as on a server that has been up a while: the database's pages in memory, and every
    // connection of the pool opened, with the statements of each measured page prepared on it. With
    // fewer clients than connections, the first requests of a phase on a new PostgreSQL connection
    // (10 to 40 ms each: its caches are empty) were the phase's p99.
    for paths in [&catalogue, &front_page, &search_page, &search_api] {
        load::closed_loop(&client, base, paths.clone(), args.concurrency, Duration::from_secs(2)).await?;
    }
    println!(
        "warm-up: 2 s of the catalogue, front page, search page and search API each, {} clients, not counted",
        args.concurrency
    );

    println!(
        "\n{:<40} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7} {:>14}",
        "phase", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "server CPU/req"
    );
    let stylesheet: Paths = Arc::new(vec![("stylesheet".to_owned(), "/static/style.css".to_owned())]);
    let reference = phase(server, &format!("0. static stylesheet, {} clients", args.concurrency), async {
        load::closed_loop(&client, base, stylesheet, args.concurrency, duration).await
    })
    .await?;
    let catalogue_rate = phase(server, &format!("1. catalogue, {}/s fixed rate", args.catalogue_rate), async {
        load::open_loop(&client, base, catalogue.clone(), args.catalogue_rate, duration).await
    })
    .await?;
    let catalogue_max = phase(server, &format!("2. catalogue, {} clients", args.concurrency), async {
        load::closed_loop(&client, base, catalogue.clone(), args.concurrency, duration).await
    })
    .await?;
    let front_page_max = phase(server, &format!("2b. front page, {} clients", args.concurrency), async {
        load::closed_loop(&client, base, front_page.clone(), args.concurrency, duration).await
    })
    .await?;
    let search_rate = phase(server, &format!("3. search page, {}/s fixed rate", args.search_rate), async {
        load::open_loop(&client, base, search_page.clone(), args.search_rate, duration).await
    })
    .await?;
    let search_api_rate = phase(server, &format!("4. search API, {}/s fixed rate", args.search_rate), async {
        load::open_loop(&client, base, search_api.clone(), args.search_rate, duration).await
    })
    .await?;
    let search_max = phase(server, &format!("5. search page, {} clients", args.concurrency), async {
        load::closed_loop(&client, base, search_page.clone(), args.concurrency, duration).await
    })
    .await?;
    let collections = collections::measure(args, server, &client, 6).await?;
    let endpoints = endpoints::measure(args, server, visited, 6 + 2 * collections.len()).await?;
    let loaded = server.memory();
    println!("load average after the run: {}", load_average());

    println!("\nsearch terms, fixed rate ({} requests each phase):", search_rate.count() + search_rate.errors as usize);
    println!("{:<36} {:>22} {:>22}", "", "page p50 / p99 / max", "API p50 / p99 / max");
    for (index, (label, _)) in search_page.iter().enumerate() {
        let (_, p50, p99, max) = search_rate.for_path(index);
        let (_, a50, a99, amax) = search_api_rate.for_path(index);
        println!("{label:<36} {p50:>6.2} {p99:>7.2} {max:>7.2} {a50:>6.2} {a99:>7.2} {amax:>7.2}");
    }

    let mib = |kib: u64| kib as f64 / 1024.0;
    let verdict = |met: bool| if met { "met" } else { "missed" };
    println!("\n{:<52} {:>16}  verdict", "target (DESIGN.md §4), 2 cores", "measured");
    match idle {
        Some(Memory { rss_kib, .. }) => println!(
            "{:<52} {:>13.1} MB  {}",
            format!("idle resident memory ({backend}) ≤ 20 MB"),
            mib(rss_kib),
            verdict(mib(rss_kib) <= 20.0)
        ),
        None => println!("{:<52} {:>16}", "idle resident memory ≤ 20 MB", "unreadable"),
    }
    let p99 = catalogue_rate.percentile(0.99);
    println!(
        "{:<52} {:>13.2} ms  {}",
        format!("catalogue p99 ≤ 10 ms at {}/s, {} listings", args.catalogue_rate, args.listings),
        p99,
        verdict(p99 <= 10.0 && catalogue_rate.errors == 0)
    );
    println!(
        "{:<52} {:>10.0} req/s  {}",
        "catalogue throughput ≥ 3,000 req/s",
        catalogue_max.rate(),
        verdict(catalogue_max.rate() >= 3000.0 && catalogue_max.errors == 0)
    );
    collections::print_targets(args, &collections);
    for (name, phase) in [("page", &search_rate), ("API", &search_api_rate)] {
        let p99 = phase.percentile(0.99);
        println!(
            "{:<52} {:>13.2} ms  {}",
            format!("search {name} p99 ≤ 20 ms at {}/s, {} listings", args.search_rate, args.listings),
            p99,
            verdict(p99 <= 20.0 && phase.errors == 0)
        );
    }
    println!("{:<52} {:>10.0} req/s", "search throughput (no target)", search_max.rate());
    println!("{:<52} {:>10.0} req/s", "front page throughput (no target)", front_page_max.rate());
    println!("{:<52} {:>10.0} req/s", "reference: a static response (HTTP and load generator)", reference.rate());
    println!(
        "\n{:<40} {:>8} {:>8} {:>8} {:>14}",
        "public endpoint, throughput phase", "req/s", "p50 ms", "p99 ms", "server CPU/req"
    );
    let throughput_rows = [
        ("catalogue, page 1", &catalogue_max),
        ("front page", &front_page_max),
        ("search page, varied words", &search_max),
    ];
    let collection_rows = collections.iter().map(|m| (m.label.as_str(), &m.throughput));
    let endpoint_rows = endpoints.iter().map(|m| (m.label, &m.throughput));
    for (label, phase) in throughput_rows.into_iter().chain(collection_rows).chain(endpoint_rows) {
        let cpu = phase.server_cpu_per_request_ms().map_or("?".to_owned(), |ms| format!("{ms:.3} ms"));
        println!(
            "{label:<40} {:>8.0} {:>8.2} {:>8.2} {:>14}",
            phase.rate(),
            phase.percentile(0.5),
            phase.percentile(0.99),
            cpu
        );
    }
    if let Some(Memory { rss_kib, peak_kib }) = loaded {
        println!("{:<52} {:>13.1} MB  (peak {:.1} MB)", "resident memory after load", mib(rss_kib), mib(peak_kib));
    }
    Ok(())
}

/// Runs one phase, notes the CPU time the server and the load generator used, and prints its line.
async fn phase(
    server: &Server,
    name: &str,
    work: impl std::future::Future<Output = anyhow::Result<Phase>>,
) -> anyhow::Result<Phase> {
    let (server_before, own_before) = (server.cpu_seconds(), server::own_cpu_seconds());
    let mut phase = work.await?;
    phase.server_cpu = server.cpu_seconds().zip(server_before).map(|(after, before)| after - before);
    phase.own_cpu = server::own_cpu_seconds().zip(own_before).map(|(after, before)| after - before);
    let cpu = phase.server_cpu_per_request_ms().map_or("?".to_owned(), |ms| format!("{ms:.3} ms"));
    let seconds = phase.elapsed.as_secs_f64();
    let busy = |cpu: Option<f64>| cpu.map_or("?".to_owned(), |c| format!("{:.0} %", c / seconds * 100.0));
    println!(
        "{name:<40} {:>8.0} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>7} {:>14}   (cores busy: server {}, load generator {})",
        phase.rate(),
        phase.percentile(0.5),
        phase.percentile(0.9),
        phase.percentile(0.99),
        phase.percentile(1.0),
        phase.errors,
        cpu,
        busy(phase.server_cpu),
        busy(phase.own_cpu),
    );
    Ok(phase)
}

/// The processor and the number of cores this process may use.
fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown processor".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores")
}

/// The one-minute load average: other work on the machine skews every figure.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Percent-encodes a query-string value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A throwaway PostgreSQL database for one run.
struct PgBench {
    admin_url: String,
    name: String,
    url: String,
}

impl PgBench {
    async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let (server, _) = admin_url.rsplit_once('/').context("the database URL has no /DATABASE part")?;
        let name = format!("maillage_bench_{}", &new_id()[..12]);
        let admin = Db::connect(admin_url).await?;
        // Safe: the name is our own prefix and hexadecimal digits.
        let created = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin.pool).await;
        admin.close().await;
        created.with_context(|| format!("creating the database {name}"))?;
        Ok(Self { admin_url: admin_url.to_owned(), url: format!("{server}/{name}"), name })
    }

    async fn drop_database(self) {
        match Db::connect(&self.admin_url).await {
            Ok(admin) => {
                let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
                if let Err(error) = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin.pool).await {
                    eprintln!("could not drop the bench database {}: {error}", self.name);
                }
                admin.close().await;
            }
            Err(error) => eprintln!("could not drop the bench database {}: {error:#}", self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("vélo cargo"), "v%C3%A9lo%20cargo");
        assert_eq!(encode("a&b=c"), "a%26b%3Dc");
    }
}
