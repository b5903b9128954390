//! The measured phases of the federation bench, each with what it found and how it prints.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use maillage_server::domain::listing::{ListingInput, NumberInput};
use maillage_server::services::{Services, accounts, listings};
use maillage_server::storage::outbox;

use super::instance::Instance;
use super::sink::{SignedRequest, Sink};
use super::{Latencies, Shared, micros};
use crate::bench::server::own_cpu_seconds;

/// How often B's catalogue is asked whether a listing arrived (phase 3).
pub const POLL: Duration = Duration::from_millis(5);
/// Phase 2 gives up when no delivery arrives for this long.
const STALL: Duration = Duration::from_secs(30);

const THINGS: &[&str] =
    &["Perceuse-visseuse", "Escabeau", "Vélo cargo", "Palettes Europe", "Tente quatre places", "Chambre froide"];

pub struct Published {
    pub queued: usize,
    pub seconds: f64,
}

/// Publishes `count` listings on A while it is stopped, through the service layer with A's own
/// configuration: each queues its `Create` for every peer in the transaction that writes it.
pub async fn publish_offline(a: &Instance, author: &str, count: usize) -> anyhow::Result<Published> {
    let db = a.db().await?;
    let services = Services::new(Arc::new(a.config()?), db.clone());
    let member = accounts::find(&db, author)
        .await
        .map_err(|e| anyhow::anyhow!("finding the author: {e:?}"))?
        .context("the author is gone")?;
    let started = Instant::now();
    for i in 0..count {
        let thing = THINGS[i % THINGS.len()];
        let input = ListingInput {
            purpose: "offer".to_owned(),
            mode: "lend".to_owned(),
            category: "objects-tools".to_owned(),
            title: format!("{thing} n° {i}"),
            description: format!(
                "Nous proposons : {} à Lille. Disponible en semaine, à récupérer sur place. Contact par la \
                 messagerie de la coopérative.",
                thing.to_lowercase()
            ),
            quantity: Some(NumberInput::Number(1.0)),
            unit: Some("piece".to_owned()),
            price_kind: None,
            price: None,
            reduced_price: None,
            price_basis: None,
            location_name: Some("Lille".to_owned()),
            latitude: Some(NumberInput::Number(50.63)),
            longitude: Some(NumberInput::Number(3.06)),
            available_from: None,
            available_until: None,
            status: None,
            visibility: Some("public".to_owned()),
            collective: None,
        };
        listings::create(&services, &member, &input).await.map_err(|e| anyhow::anyhow!("listing {i}: {e:?}"))?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let queued = usize::try_from(outbox::queued(&mut *db.conn().await?).await?).unwrap_or(0);
    db.close().await;
    Ok(Published { queued, seconds })
}

/// What phase 2 measured: deliveries from the first to the last arrival in the sinks.
pub struct Outbound {
    deliveries: usize,
    span: Duration,
    /// Per peer: deliveries and the time between its first and last.
    per_peer: Vec<(usize, Duration)>,
    a_cpu: Option<f64>,
    own_cpu: Option<f64>,
    /// Deliveries still in A's table at the end (0 once every 202 is recorded).
    pub left: i64,
}

impl Outbound {
    pub fn rate(&self) -> f64 {
        per_second(self.deliveries, self.span)
    }

    pub fn print(&self, peers: &[Instance]) {
        let seconds = self.span.as_secs_f64();
        println!("   {} deliveries in {seconds:.2} s: {:.0} deliveries/s", self.deliveries, self.rate());
        let each: Vec<String> = peers
            .iter()
            .zip(&self.per_peer)
            .map(|(peer, (count, span))| format!("{} {count} at {:.0}/s", peer.name, per_second(*count, *span)))
            .collect();
        println!("   per peer (one delivery at a time per peer, peers in parallel): {}", each.join(", "));
        let busy = |cpu: Option<f64>| cpu.map_or("?".to_owned(), |c| format!("{:.0} %", c / seconds * 100.0));
        let per_delivery =
            self.a_cpu.map_or("?".to_owned(), |c| format!("{:.3} ms", c * 1000.0 / self.deliveries as f64));
        println!(
            "   A's CPU per delivery {per_delivery} (cores busy: A {}, sinks and load generator {}); left in A's queue: {}",
            busy(self.a_cpu),
            busy(self.own_cpu),
            self.left
        );
    }
}

/// Starts A, whose worker finds `expected` deliveries queued, and times them into the sinks.
pub async fn drain(a: &mut Instance, sinks: &[Sink], expected: usize) -> anyhow::Result<Outbound> {
    let db = a.db().await?;
    a.spawn()?;
    let mut first_cpu = None;
    let mut progress = (0, Instant::now());
    loop {
        let arrived: usize = sinks.iter().map(Sink::count).sum();
        if arrived > 0 && first_cpu.is_none() {
            first_cpu = Some((a.cpu_seconds(), own_cpu_seconds()));
        }
        if arrived >= expected {
            break;
        }
        if arrived != progress.0 {
            progress = (arrived, Instant::now());
        } else if progress.1.elapsed() > STALL {
            bail!("A's deliveries stalled: {arrived} of {expected} arrived, none in {} s", STALL.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let (a_after, own_after) = (a.cpu_seconds(), own_cpu_seconds());
    let (a_before, own_before) = first_cpu.unwrap_or_default();
    let spans: Vec<(Instant, Instant)> = sinks.iter().filter_map(Sink::span).collect();
    let first = spans.iter().map(|s| s.0).min();
    let last = spans.iter().map(|s| s.1).max();
    let span = first.zip(last).map_or(Duration::ZERO, |(f, l)| l - f);
    let per_peer = sinks.iter().map(|s| (s.count(), s.span().map_or(Duration::ZERO, |(f, l)| l - f))).collect();
    a.ready().await?;
    // A deletes each delivery once the 202 is in: the last ones go a moment after they arrive.
    let mut left = outbox::queued(&mut *db.conn().await?).await?;
    for _ in 0..100 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        left = outbox::queued(&mut *db.conn().await?).await?;
    }
    db.close().await;
    Ok(Outbound {
        deliveries: sinks.iter().map(Sink::count).sum(),
        span,
        per_peer,
        a_cpu: a_after.zip(a_before).map(|(after, before)| after - before),
        own_cpu: own_after.zip(own_before).map(|(after, before)| after - before),
        left,
    })
}

/// What phase 1 measured.
pub struct Inbox {
    latencies: Latencies,
    pub failures: Vec<String>,
    elapsed: Duration,
    b_cpu: Option<f64>,
    own_cpu: Option<f64>,
}

impl Inbox {
    /// Activities posted in the measured part (the warm-up's one is not counted).
    pub fn sent(&self) -> usize {
        self.latencies.count() + self.failures.len() + 1
    }

    pub fn rate(&self) -> f64 {
        self.latencies.count() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn print(&self, stored: i64) {
        let seconds = self.elapsed.as_secs_f64();
        let busy = |cpu: Option<f64>| cpu.map_or("?".to_owned(), |c| format!("{:.0} %", c / seconds * 100.0));
        let count = self.latencies.count();
        let per =
            self.b_cpu.filter(|_| count > 0).map_or("?".to_owned(), |c| format!("{:.3} ms", c * 1000.0 / count as f64));
        println!(
            "   {:>8} {:>8} {:>8} {:>8} {:>9} {:>7} {:>14}",
            "act./s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "B's CPU/act."
        );
        println!(
            "   {:>8.0} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>7} {:>14}   (cores busy: B {}, load generator {})",
            self.rate(),
            self.latencies.percentile(0.5),
            self.latencies.percentile(0.9),
            self.latencies.percentile(0.99),
            self.latencies.percentile(1.0),
            self.failures.len(),
            per,
            busy(self.b_cpu),
            busy(self.own_cpu),
        );
        for failure in self.failures.iter().take(3) {
            println!("   refused: {failure}");
        }
        println!("   B stored {stored} listings from A ({} activities posted, one of them as a warm-up)", self.sent());
    }
}

/// Posts the signed requests to B's inbox from `concurrency` clients. The first goes alone, as a
/// warm-up: B fetches the author's actor then, as it does once per new sender.
pub async fn replay(
    client: &reqwest::Client,
    b: &Instance,
    signed: Vec<SignedRequest>,
    concurrency: usize,
) -> anyhow::Result<Inbox> {
    let mut signed = signed.into_iter();
    let Some(first) = signed.next() else { bail!("B's sink received no activity to replay") };
    let base = b.base();
    let (status, text) = post(client, &base, first).await?;
    if !status.is_success() {
        bail!("B refused the first activity: {status} {text}");
    }
    let queue: Shared<std::vec::IntoIter<SignedRequest>> = Arc::new(Mutex::new(signed));
    let (b_before, own_before) = (b.cpu_seconds(), own_cpu_seconds());
    let started = Instant::now();
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.max(1) {
        let (client, base, queue) = (client.clone(), base.clone(), queue.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut failures) = (Vec::new(), Vec::new());
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some(request) = next else { break };
                let sent = Instant::now();
                match post(&client, &base, request).await {
                    Ok((status, _)) if status.is_success() => latencies.push(micros(sent.elapsed())),
                    Ok((status, text)) => {
                        failures.push(format!("{status} {}", text.chars().take(200).collect::<String>()))
                    }
                    Err(e) => failures.push(format!("{e:#}")),
                }
            }
            (latencies, failures)
        }));
    }
    let (mut latencies, mut failures) = (Vec::new(), Vec::new());
    for worker in workers {
        let (l, f) = worker.await?;
        latencies.extend(l);
        failures.extend(f);
    }
    let elapsed = started.elapsed();
    let (b_after, own_after) = (b.cpu_seconds(), own_cpu_seconds());
    Ok(Inbox {
        latencies: Latencies::new(latencies),
        failures,
        elapsed,
        b_cpu: b_after.zip(b_before).map(|(after, before)| after - before),
        own_cpu: own_after.zip(own_before).map(|(after, before)| after - before),
    })
}

/// Sends one signed request as it was signed: same path, headers (`Host` included) and body.
async fn post(
    client: &reqwest::Client,
    base: &str,
    request: SignedRequest,
) -> anyhow::Result<(reqwest::StatusCode, String)> {
    let mut builder = client.post(format!("{base}{}", request.path));
    for (name, value) in &request.headers {
        if name != "content-length" && name != "connection" {
            builder = builder.header(name.as_str(), value.as_str());
        }
    }
    let response = builder.body(request.body).send().await?;
    let status = response.status();
    Ok((status, response.text().await.unwrap_or_default()))
}

/// What phase 3 measured: from the POST on A to the poll of B that found the listing.
pub struct Delays {
    delays: Latencies,
    posts: Latencies,
    /// From the POST on A until the last of the other peers' sinks had the delivery.
    reached: Latencies,
    /// Listings B had not shown after 10 s.
    pub missed: usize,
}

impl Delays {
    pub fn count(&self) -> usize {
        self.delays.count() + self.missed
    }

    /// A quantile of the delays in milliseconds; a listing never seen counts as infinitely late.
    pub fn percentile(&self, p: f64) -> f64 {
        let n = self.count();
        if n == 0 {
            return f64::NAN;
        }
        let rank = ((n as f64 * p).ceil() as usize).clamp(1, n);
        self.delays.0.get(rank - 1).map_or(f64::INFINITY, |&us| f64::from(us) / 1000.0)
    }

    pub fn print(&self) {
        println!(
            "   shown in B's catalogue after p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; not shown within 10 s: {}",
            self.delays.percentile(0.5),
            self.delays.percentile(0.99),
            self.delays.percentile(1.0),
            self.missed
        );
        let mut parts = vec![format!(
            "the POST on A p50 {:.1} ms, max {:.1} ms",
            self.posts.percentile(0.5),
            self.posts.percentile(1.0)
        )];
        if self.reached.count() > 0 {
            parts.push(format!(
                "in the other peers' sinks p50 {:.1} ms, max {:.1} ms after the POST",
                self.reached.percentile(0.5),
                self.reached.percentile(1.0)
            ));
        }
        parts.push(format!("polling adds up to {} ms", POLL.as_millis()));
        println!("   ({})", parts.join("; "));
    }
}

/// One listing's times: its POST, its showing in B's catalogue, its arrival in the other sinks.
struct Timing {
    post: Duration,
    seen: Option<Duration>,
    reached: Option<Duration>,
}

/// Publishes `count` listings on A through its API, one at a time, each with a word of its own, and
/// times each until B's catalogue finds it (and until the other peers' sinks have it). One more goes
/// first, untimed (connections warm).
pub async fn publish_delays(
    client: &reqwest::Client,
    a: &Instance,
    b: &Instance,
    sinks: &[Sink],
    token: &str,
    count: usize,
) -> anyhow::Result<Delays> {
    publish_and_find(client, a, b, sinks, token).await?;
    let (mut delays, mut posts, mut reached, mut missed) = (Vec::new(), Vec::new(), Vec::new(), 0);
    for _ in 0..count {
        let timing = publish_and_find(client, a, b, sinks, token).await?;
        posts.push(micros(timing.post));
        match timing.seen {
            Some(seen) => delays.push(micros(seen)),
            None => missed += 1,
        }
        reached.extend(timing.reached.map(micros));
    }
    Ok(Delays {
        delays: Latencies::new(delays),
        posts: Latencies::new(posts),
        reached: Latencies::new(reached),
        missed,
    })
}

async fn publish_and_find(
    client: &reqwest::Client,
    a: &Instance,
    b: &Instance,
    sinks: &[Sink],
    token: &str,
) -> anyhow::Result<Timing> {
    // Letters only, so that search takes it as one word.
    let word: String = format!("repere{}", &maillage_server::domain::ids::new_id()[..12])
        .chars()
        .map(|c| if c.is_ascii_digit() { char::from(b'g' + c as u8 - b'0') } else { c })
        .collect();
    let body = format!(
        r#"{{"purpose":"offer","mode":"lend","category":"objects-tools","title":"Perceuse {word}","description":"Mesure du délai de publication vers les pairs.","quantity":1,"unit":"piece","location":{{"name":"Lille","latitude":50.63,"longitude":3.06}},"visibility":"public"}}"#
    );
    let search = format!("{}/api/v1/listings?scope=peers&q={word}", b.base());
    let counts: Vec<usize> = sinks.iter().map(Sink::count).collect();
    let started = Instant::now();
    let response = client
        .post(format!("{}/api/v1/listings", a.base()))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    let post = started.elapsed();
    if response.status() != reqwest::StatusCode::CREATED {
        let status = response.status();
        bail!("A refused the listing: {status} {}", response.text().await.unwrap_or_default());
    }
    let seen = loop {
        let response = client.get(&search).send().await?;
        if response.status().is_success() && response.text().await?.contains(&word) {
            break Some(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(10) {
            break None;
        }
        tokio::time::sleep(POLL).await;
    };
    let arrived = || sinks.iter().zip(&counts).all(|(sink, before)| sink.count() > *before);
    while !sinks.is_empty() && !arrived() && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let reached = if sinks.is_empty() || !arrived() {
        None
    } else {
        sinks.iter().filter_map(|sink| sink.span().map(|(_, last)| last.saturating_duration_since(started))).max()
    };
    Ok(Timing { post, seen, reached })
}

fn per_second(count: usize, span: Duration) -> f64 {
    if count < 2 || span.is_zero() { f64::NAN } else { (count - 1) as f64 / span.as_secs_f64() }
}
