//! The public ActivityPub collections under load: the instance outbox (its collection document, its
//! first page and a page deep in it), a member's outbox page, the instance's followers collection,
//! and NodeInfo (whose usage figures are counted at most once a minute). Anyone may ask for them without an account, so each should cost what a catalogue page
//! costs. The pages are found the way a peer finds them: from the collection's `first`, then `next`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

use super::load::{self, Paths, Phase};
use super::server::Server;
use super::{BenchArgs, phase};

/// How many `next` links are followed from the instance outbox's first page to the deep page
/// (50 listings a page: 50,000 listings in).
const DEEP_PAGE: usize = 1_000;

/// A collection measured: what it is, its path and query, and its two phases.
pub struct Measured {
    pub label: String,
    pub path: String,
    pub fixed_rate: Phase,
    pub throughput: Phase,
}

/// Finds the collections, then loads each at the catalogue's fixed rate and with the throughput
/// phase's clients, printing a line per phase; the first phase is numbered `first_number`.
pub async fn measure(
    args: &BenchArgs,
    server: &Server,
    client: &reqwest::Client,
    first_number: usize,
) -> anyhow::Result<Vec<Measured>> {
    let base = server.base.as_str();
    let targets = discover(client, base).await?;
    let duration = Duration::from_secs(args.duration);
    let mut measured = Vec::with_capacity(targets.len());
    for (index, (label, path)) in targets.into_iter().enumerate() {
        let number = first_number + 2 * index;
        let paths: Paths = Arc::new(vec![(label.clone(), path.clone())]);
        load::closed_loop(client, base, paths.clone(), 4, Duration::from_millis(500)).await?;
        let fixed_rate = phase(server, &format!("{number}. {label}, {}/s", args.catalogue_rate), async {
            load::open_loop(client, base, paths.clone(), args.catalogue_rate, duration).await
        })
        .await?;
        let throughput = phase(server, &format!("{}. {label}, {} clients", number + 1, args.concurrency), async {
            load::closed_loop(client, base, paths.clone(), args.concurrency, duration).await
        })
        .await?;
        measured.push(Measured { label, path, fixed_rate, throughput });
    }
    Ok(measured)
}

/// Prints each collection's figures beside the catalogue's targets.
pub fn print_targets(args: &BenchArgs, measured: &[Measured]) {
    let verdict = |met: bool| if met { "met" } else { "missed" };
    for m in measured {
        let p99 = m.fixed_rate.percentile(0.99);
        println!(
            "{:<52} {:>13.2} ms  {}",
            format!("{} p99 ≤ 10 ms at {}/s", m.label, args.catalogue_rate),
            p99,
            verdict(p99 <= 10.0 && m.fixed_rate.errors == 0)
        );
        println!(
            "{:<52} {:>10.0} req/s  {}",
            format!("{} ≥ 3,000 req/s", m.label),
            m.throughput.rate(),
            verdict(m.throughput.rate() >= 3000.0 && m.throughput.errors == 0)
        );
    }
    println!("collections measured (the instance actor's, and its first listing's author's outbox):");
    for m in measured {
        println!("  {:<24} {}", m.label, m.path);
    }
}

/// The collections to load, as (label, path and query).
async fn discover(client: &reqwest::Client, base: &str) -> anyhow::Result<Vec<(String, String)>> {
    let outbox = get(client, base, "/actor/outbox").await?;
    let first = link(&outbox, "first").context("the instance outbox has no first page")?;
    let page = get(client, base, &first).await?;
    let author = page["orderedItems"][0]["actor"].as_str().context("the instance outbox's first page is empty")?;
    let member_outbox = format!("{}/outbox", path_of(author)?);
    let member_first =
        link(&get(client, base, &member_outbox).await?, "first").context("the member's outbox has no first page")?;
    let mut deep = first.clone();
    let mut current = page;
    for _ in 0..DEEP_PAGE {
        match link(&current, "next") {
            Some(next) => {
                current = get(client, base, &next).await?;
                deep = next;
            }
            None => break,
        }
    }
    Ok(vec![
        ("outbox collection".to_owned(), "/actor/outbox".to_owned()),
        ("outbox page 1".to_owned(), first),
        (format!("outbox page {}", DEEP_PAGE + 1), deep),
        ("member outbox page 1".to_owned(), member_first),
        ("followers collection".to_owned(), "/actor/followers".to_owned()),
        ("NodeInfo".to_owned(), "/nodeinfo/2.1".to_owned()),
    ])
}

async fn get(client: &reqwest::Client, base: &str, path: &str) -> anyhow::Result<Value> {
    let response = client
        .get(format!("{base}{path}"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .with_context(|| format!("GET {path}"))?;
    if !response.status().is_success() {
        bail!("GET {path}: HTTP {}", response.status());
    }
    response.json().await.with_context(|| format!("reading {path}"))
}

/// A link of a collection document (`first`, `next`) as a path and query on the server under test
/// (its documents name it by its domain, `localhost:PORT`, not by the address the bench uses).
fn link(document: &Value, key: &str) -> Option<String> {
    let url = match &document[key] {
        Value::String(url) => url.as_str(),
        Value::Object(object) => object.get("id")?.as_str()?,
        _ => return None,
    };
    path_of(url).ok()
}

fn path_of(url: &str) -> anyhow::Result<String> {
    let url = reqwest::Url::parse(url).with_context(|| format!("reading the URL {url:?}"))?;
    Ok(match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_paths_on_the_server_under_test() {
        let page = serde_json::json!({ "next": "http://localhost:4000/actor/outbox?page=true&before=12" });
        assert_eq!(link(&page, "next").as_deref(), Some("/actor/outbox?page=true&before=12"));
        let embedded = serde_json::json!({ "first": { "id": "http://localhost:4000/members/a/outbox?page=1" } });
        assert_eq!(link(&embedded, "first").as_deref(), Some("/members/a/outbox?page=1"));
        assert_eq!(link(&page, "first"), None);
    }
}
