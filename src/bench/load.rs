//! Load generators: open loop at a fixed rate (latency under a given load) and closed loop with a
//! number of clients (throughput). Latencies are kept whole, in microseconds, and sorted at the end.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The requests of a phase, sent in turn: (label, path and query).
pub type Paths = Arc<Vec<(String, String)>>;

/// What one phase measured.
pub struct Phase {
    /// Latency in microseconds and which path it was for, sorted by latency.
    samples: Vec<(u32, usize)>,
    pub errors: u64,
    pub elapsed: Duration,
    /// Server and load-generator CPU seconds used during the phase.
    pub server_cpu: Option<f64>,
    pub own_cpu: Option<f64>,
}

impl Phase {
    fn new(mut samples: Vec<(u32, usize)>, errors: u64, elapsed: Duration) -> Self {
        samples.sort_unstable();
        Self { samples, errors, elapsed, server_cpu: None, own_cpu: None }
    }

    pub fn count(&self) -> usize {
        self.samples.len()
    }

    /// The latency under which a share `p` of the successful requests answered, in milliseconds.
    pub fn percentile(&self, p: f64) -> f64 {
        percentile(self.samples.iter().map(|(latency, _)| *latency), self.samples.len(), p)
    }

    /// Successful requests per second.
    pub fn rate(&self) -> f64 {
        self.samples.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// Median and 99th percentile of the requests for one path.
    pub fn for_path(&self, path: usize) -> (usize, f64, f64, f64) {
        let latencies: Vec<u32> = self.samples.iter().filter(|(_, p)| *p == path).map(|(l, _)| *l).collect();
        let n = latencies.len();
        let at = |p| percentile(latencies.iter().copied(), n, p);
        (n, at(0.5), at(0.99), at(1.0))
    }

    /// Server CPU milliseconds per successful request.
    pub fn server_cpu_per_request_ms(&self) -> Option<f64> {
        let count = self.samples.len();
        self.server_cpu.filter(|_| count > 0).map(|cpu| cpu * 1000.0 / count as f64)
    }
}

/// The `p` quantile (nearest rank) of `n` sorted microsecond values, in milliseconds.
fn percentile(mut sorted: impl Iterator<Item = u32>, n: usize, p: f64) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    let rank = ((n as f64 * p).ceil() as usize).clamp(1, n);
    sorted.nth(rank - 1).map_or(f64::NAN, |v| f64::from(v) / 1000.0)
}

pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(builder().build()?)
}

/// A client that asks for `media_type` (`Accept`), as another server asks for our documents.
pub fn client_accepting(media_type: &'static str) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ACCEPT, reqwest::header::HeaderValue::from_static(media_type));
    Ok(builder().default_headers(headers).build()?)
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().http1_only().pool_max_idle_per_host(1024).timeout(Duration::from_secs(10))
}

/// Whether a request succeeded, its body read whole.
async fn succeeded(response: reqwest::Result<reqwest::Response>) -> bool {
    match response {
        Ok(response) if response.status().is_success() => response.bytes().await.is_ok(),
        _ => false,
    }
}

fn micros(elapsed: Duration) -> u32 {
    u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX)
}

/// Sends `rate` requests a second on a fixed timetable and measures each from the time it was due,
/// not from when it left: a stall then counts against every request that should have been sent during
/// it (no coordinated omission), as it would for people arriving independently.
pub async fn open_loop(
    client: &reqwest::Client,
    base: &str,
    paths: Paths,
    rate: u32,
    duration: Duration,
) -> anyhow::Result<Phase> {
    let total = (u64::from(rate.max(1)) * duration.as_secs()).max(1);
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let results = Arc::new(Mutex::new((Vec::with_capacity(total as usize), 0u64)));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total as usize {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        let path = i % paths.len();
        let url = format!("{base}{}", paths[path].1);
        let (client, results) = (client.clone(), results.clone());
        tasks.push(tokio::spawn(async move {
            let ok = succeeded(client.get(url).send().await).await;
            let latency = micros(due.elapsed());
            if let Ok(mut results) = results.lock() {
                if ok { results.0.push((latency, path)) } else { results.1 += 1 }
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = start.elapsed();
    let (samples, errors) = results.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default();
    Ok(Phase::new(samples, errors, elapsed))
}

/// `clients` clients each sending their next request as soon as the previous one is answered, for
/// `duration`: the throughput the server sustains.
pub async fn closed_loop(
    client: &reqwest::Client,
    base: &str,
    paths: Paths,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Phase> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(clients);
    for worker in 0..clients.max(1) {
        let (client, paths, base) = (client.clone(), paths.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            let (mut samples, mut errors, mut i) = (Vec::new(), 0u64, worker);
            while Instant::now() < deadline {
                let path = i % paths.len();
                i += 1;
                let sent = Instant::now();
                if succeeded(client.get(format!("{base}{}", paths[path].1)).send().await).await {
                    samples.push((micros(sent.elapsed()), path));
                } else {
                    errors += 1;
                }
            }
            (samples, errors)
        }));
    }
    let (mut samples, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (s, e) = task.await?;
        samples.extend(s);
        errors += e;
    }
    Ok(Phase::new(samples, errors, start.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let phase = Phase::new((1..=100).rev().map(|ms| (ms * 1000, 0)).collect(), 0, Duration::from_secs(1));
        assert_eq!(phase.percentile(0.5), 50.0);
        assert_eq!(phase.percentile(0.99), 99.0);
        assert_eq!(phase.percentile(1.0), 100.0);
        assert_eq!(phase.percentile(0.0), 1.0);
        assert!(Phase::new(Vec::new(), 3, Duration::from_secs(1)).percentile(0.5).is_nan());
    }
}
