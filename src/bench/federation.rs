//! `maillage bench federation`: instances federating on loopback, each a `maillage serve` child
//! process with its own SQLite database, measured against the federation targets of the design:
//!
//! 1. inbox: many distinct signed `Create(Proposal)` activities from a member of A, posted at once
//!    to B's shared inbox; accepted per second, latencies, and how many B stored;
//! 2. outbound: listings published on A with several peers, and how fast A's delivery worker drains
//!    the deliveries they queued;
//! 3. the delay between a listing published on A (`POST /api/v1/listings`) and its showing in B's
//!    catalogue (`GET /api/v1/listings?scope=peers&q=...`).
//!
//! The run goes: A peers with B and the other peers; the peers stop and sink inboxes take their
//! ports (they answer 202 at once, so that phase 2 measures A alone); listings are published on A
//! while it is stopped, and A is started again to drain its queue into the sinks (phase 2). B's sink
//! kept the signed requests it got: B starts again on its port and they are posted to its inbox,
//! signed before the measured phase (phase 1; a signature stays valid for an hour). Then listings
//! are published on A one by one while B is polled (phase 3). It measures; it asserts nothing.

pub(super) mod instance;
mod phases;
mod sink;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use maillage_server::domain::ids::new_id;
use maillage_server::domain::member::Role;
use maillage_server::services::accounts::{self, Origin, Registration};
use maillage_server::storage::sessions::SessionKind;
use maillage_server::storage::{outbox, peers as peering};
use tracing::instrument::WithSubscriber;

use instance::Instance;
use sink::Sink;

/// The member of A who publishes every listing (and, as an admin, asks the peers to peer).
const AUTHOR: &str = "bench";

#[derive(Debug, clap::Args)]
pub struct FederationArgs {
    /// Listings published on A for phase 2: each is one delivery per peer, and B's share of them
    /// are the signed activities posted to B's inbox in phase 1.
    #[arg(long, default_value_t = 3_000)]
    listings: usize,
    /// Peers of A (the first is B); each listing is delivered to every one.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=24))]
    peers: u16,
    /// Concurrent clients posting to B's inbox in phase 1.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Listings published one at a time in phase 3, each timed until B's catalogue shows it.
    #[arg(long, default_value_t = 50)]
    publishes: usize,
    /// An empty directory for the instances' data (default: a new temporary directory, removed at
    /// the end unless --keep).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Keep the data directory.
    #[arg(long)]
    keep: bool,
}

pub async fn run(args: FederationArgs) -> anyhow::Result<()> {
    let (root, temporary) = match &args.data_dir {
        Some(dir) => (dir.clone(), false),
        None => (std::env::temp_dir().join(format!("maillage-bench-federation-{}", &new_id()[..12])), true),
    };
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    if std::fs::read_dir(&root)?.next().is_some() {
        bail!("{} is not empty: the instances start from empty databases each run", root.display());
    }
    let root = std::path::absolute(&root).unwrap_or(root);
    // What this process does to the instances' databases (migrations, the author, thousands of
    // listings) is logged at `info`: only warnings here, between the figures.
    let quiet = tracing_subscriber::fmt().with_max_level(tracing::Level::WARN).with_writer(std::io::stderr).finish();
    let outcome = tokio::select! {
        outcome = measure(&args, &root).with_subscriber(quiet) => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    if temporary && !args.keep {
        let _ = std::fs::remove_dir_all(&root);
    } else {
        println!("data kept in {}", root.display());
    }
    outcome
}

async fn measure(args: &FederationArgs, root: &Path) -> anyhow::Result<()> {
    let peer_count = usize::from(args.peers);
    println!(
        "maillage bench federation: {} listings, {peer_count} peers, {} inbox clients, {} timed publications, SQLite",
        args.listings, args.concurrency, args.publishes
    );
    println!("machine: {}, load average before the run: {}", super::machine(), super::load_average());
    println!("every instance and this load generator share those cores: figures are lower bounds");
    println!("data: {}", root.display());

    let ports = instance::free_ports(1 + peer_count)?;
    let mut a = Instance::new("A", ports[0], &root.join("a"))?;
    let mut peers = Vec::with_capacity(peer_count);
    for (i, port) in ports[1..].iter().enumerate() {
        let name = char::from(b'B' + i as u8).to_string();
        peers.push(Instance::new(&name, *port, &root.join(name.to_lowercase()))?);
    }
    let token = prepare_author(&a).await?;
    a.spawn()?;
    for peer in &mut peers {
        peer.spawn()?;
    }
    a.ready().await?;
    for peer in &mut peers {
        peer.ready().await?;
    }
    let client = super::load::client()?;
    peer_with_all(&client, &a, &token, &peers, AUTHOR).await?;
    println!("A ({}) peered with {}", a.domain(), names(&peers));

    let outcome = run_phases(args, &client, &token, &mut a, &mut peers).await;
    for instance in std::iter::once(&a).chain(&peers) {
        let (lines, first) = instance.log_summary();
        if lines > 0 {
            println!("\n{} logged {lines} warning or error lines; the first ones:", instance.name);
            for line in first {
                println!("  {line}");
            }
        }
    }
    a.stop().await;
    for peer in &mut peers {
        peer.stop().await;
    }
    outcome
}

/// The three phases, in the order the set-up allows (2, 1, 3), then the figures beside the targets.
async fn run_phases(
    args: &FederationArgs,
    client: &reqwest::Client,
    token: &str,
    a: &mut Instance,
    peers: &mut [Instance],
) -> anyhow::Result<()> {
    let peer_count = peers.len();
    // The peers stop; sinks answer on their ports. B's keeps what it receives, for phase 1.
    for peer in peers.iter_mut() {
        peer.stop().await;
    }
    let mut sinks = Vec::with_capacity(peers.len());
    for (i, peer) in peers.iter().enumerate() {
        sinks.push(Sink::start(peer.port, i == 0).await.with_context(|| format!("a sink on {}'s port", peer.name))?);
    }
    a.stop().await;
    let published = phases::publish_offline(a, AUTHOR, args.listings).await?;
    println!(
        "\n2. outbound: {} listings published on A through the service layer in {:.1} s, {} deliveries queued \
         (load average {})",
        args.listings,
        published.seconds,
        published.queued,
        super::load_average()
    );
    let outbound = phases::drain(a, &sinks, published.queued).await?;
    outbound.print(peers);

    let mut sinks = sinks.into_iter();
    let signed = match sinks.next() {
        Some(sink) => sink.stop().await,
        None => Vec::new(),
    };
    let b = &mut peers[0];
    b.start().await?;
    println!(
        "\n1. inbox: {} signed Create(Proposal) from {AUTHOR}@{} (signed by A in phase 2), posted to B's /inbox by \
         {} clients (load average {})",
        signed.len(),
        a.domain(),
        args.concurrency,
        super::load_average()
    );
    let inbox = phases::replay(client, b, signed, args.concurrency).await?;
    let stored = {
        let db = b.db().await?;
        let stored = maillage_server::storage::listings::count_from_origin(&mut *db.conn().await?, &a.domain()).await?;
        db.close().await;
        stored
    };
    inbox.print(stored);

    println!(
        "\n3. publish on A, poll B's catalogue every {} ms: {} listings, one at a time (load average {})",
        phases::POLL.as_millis(),
        args.publishes,
        super::load_average()
    );
    let others: Vec<Sink> = sinks.collect();
    let delays = phases::publish_delays(client, a, b, &others, token, args.publishes).await?;
    delays.print();
    println!("load average after the run: {}", super::load_average());

    let verdict = |met: bool| if met { "met" } else { "missed" };
    println!("\n{:<58} {:>18}  verdict", "target (DESIGN.md §4), 2 cores", "measured");
    println!(
        "{:<58} {:>11.0} act./s  {}",
        "1. inbox ≥ 1,000 signed activities/s verified and stored",
        inbox.rate(),
        verdict(inbox.rate() >= 1000.0 && inbox.failures.is_empty() && stored == inbox.sent() as i64)
    );
    println!(
        "{:<58} {:>11.0} deliv/s  {}",
        format!(
            "2. outbound ≥ 500 deliveries/s to {peer_count} healthy peer{}",
            if peer_count == 1 { "" } else { "s" }
        ),
        outbound.rate(),
        verdict(outbound.rate() >= 500.0 && outbound.left == 0)
    );
    let p99 = delays.percentile(0.99);
    println!(
        "{:<58} {:>15.0} ms  {}",
        format!("3. listing on A in B's catalogue ≤ 1 s (p99 of {})", delays.count()),
        p99,
        verdict(p99 <= 1000.0 && delays.missed == 0)
    );
    for sink in others {
        if sink.other() > 0 {
            println!("(the sink on port {} also got {} requests that were not deliveries)", sink.port, sink.other());
        }
        sink.stop().await;
    }
    Ok(())
}

/// Creates A's database with the author (an admin) and returns an API token for them.
async fn prepare_author(a: &Instance) -> anyhow::Result<String> {
    let db = a.db().await?;
    let registration = Registration {
        username: AUTHOR.to_owned(),
        password: new_id(),
        display_name: "Banc d'essai".to_owned(),
        kind: "organisation".to_owned(),
        description: String::new(),
    };
    let member = accounts::register(&db, &registration, Origin::ByAdmin { role: Role::Admin })
        .await
        .map_err(|e| anyhow::anyhow!("creating the author on A: {e:?}"))?;
    let token = accounts::open_session(&db, &member, SessionKind::Api)
        .await
        .map_err(|e| anyhow::anyhow!("opening an API session on A: {e:?}"))?;
    db.close().await;
    Ok(token)
}

/// A asks every peer to peer (open policy: they accept, and follow back); returns once every pair
/// is peered both ways and nothing is left to deliver anywhere, with the author's key made.
pub(super) async fn peer_with_all(
    client: &reqwest::Client,
    a: &Instance,
    token: &str,
    peers: &[Instance],
    author: &str,
) -> anyhow::Result<()> {
    for peer in peers {
        let response = client
            .post(format!("{}/api/v1/admin/peers", a.base()))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(format!(r#"{{"domain":"{}"}}"#, peer.domain()))
            .send()
            .await?;
        if response.status() != reqwest::StatusCode::ACCEPTED {
            let status = response.status();
            bail!("A could not ask {} to peer: {status} {}", peer.name, response.text().await.unwrap_or_default());
        }
    }
    // The author's key pair, made now rather than on the first delivery.
    let actor = client
        .get(format!("{}/members/{author}", a.base()))
        .header("accept", "application/activity+json")
        .send()
        .await?;
    if !actor.status().is_success() {
        bail!("A does not serve its author's actor: {}", actor.status());
    }
    let mut dbs = vec![a.db().await?];
    for peer in peers {
        dbs.push(peer.db().await?);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let mut settled = true;
        for (i, db) in dbs.iter().enumerate() {
            let rows = peering::peers(&mut *db.conn().await?).await?;
            let peered = rows.iter().filter(|p| p.is_peered()).count();
            settled &=
                peered == if i == 0 { peers.len() } else { 1 } && outbox::queued(&mut *db.conn().await?).await? == 0;
        }
        if settled {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            bail!("the instances were not all peered within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for db in dbs {
        db.close().await;
    }
    // Each side fetches the other's outbox once peered (backfill): let those requests end.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(())
}

fn names(instances: &[Instance]) -> String {
    instances.iter().map(|i| format!("{} ({})", i.name, i.domain())).collect::<Vec<_>>().join(", ")
}

/// Shared by the phases: a sorted list of durations in microseconds, and its quantiles.
pub(super) struct Latencies(Vec<u32>);

impl Latencies {
    fn new(mut micros: Vec<u32>) -> Self {
        micros.sort_unstable();
        Self(micros)
    }

    fn count(&self) -> usize {
        self.0.len()
    }

    /// The `p` quantile (nearest rank), in milliseconds.
    fn percentile(&self, p: f64) -> f64 {
        let n = self.0.len();
        if n == 0 {
            return f64::NAN;
        }
        let rank = ((n as f64 * p).ceil() as usize).clamp(1, n);
        f64::from(self.0[rank - 1]) / 1000.0
    }
}

fn micros(elapsed: Duration) -> u32 {
    u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX)
}

/// Shared state of a phase's workers.
type Shared<T> = Arc<std::sync::Mutex<T>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let latencies = Latencies::new((1..=100).rev().map(|ms| ms * 1000).collect());
        assert_eq!(latencies.percentile(0.5), 50.0);
        assert_eq!(latencies.percentile(0.99), 99.0);
        assert_eq!(latencies.percentile(1.0), 100.0);
        assert!(Latencies::new(Vec::new()).percentile(0.5).is_nan());
    }
}
