//! `maillage bench photos`: what photos cost a small machine. A `maillage serve` child process
//! (SQLite) is measured at rest, then after one place lookup (the gazetteer of communes loaded), then
//! while 12-megapixel JPEGs (4000 × 3000, as a phone takes them) are uploaded one after the other:
//! the time of each upload as the member waits for it (sent, read, encoded again at three widths,
//! stored), and the server's resident memory, sampled every 10 ms, above what it held before.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::server::{Server, rss_kib};

#[derive(Debug, clap::Args)]
pub struct PhotosArgs {
    /// Photos uploaded, one after the other.
    #[arg(long, default_value_t = 6)]
    uploads: usize,
    /// Keep the data here instead of a temporary directory (which is removed afterwards).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

/// A 12-megapixel JPEG as a phone writes one: 4000 × 3000, with the fine detail of a real scene
/// (a photo of flat colours would read faster than any real one), about 4 MB.
fn phone_photo() -> anyhow::Result<Vec<u8>> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let image = image::RgbImage::from_fn(4000, 3000, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let grain = (seed & 0x0f) as u32;
        image::Rgb([
            ((x / 16 + grain) % 256) as u8,
            ((y / 12 + grain * 2) % 256) as u8,
            (((x + y) / 28 + grain) % 256) as u8,
        ])
    });
    let mut jpeg = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 88).encode_image(&image)?;
    Ok(jpeg.into_inner())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub async fn run(args: PhotosArgs) -> anyhow::Result<()> {
    let (root, temporary) = match &args.data_dir {
        Some(dir) => (dir.clone(), false),
        None => (std::env::temp_dir().join(format!("maillage-bench-photos-{}", std::process::id())), true),
    };
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let photo = phone_photo()?;
    println!("photo: 4000 × 3000 JPEG, {:.1} MB", photo.len() as f64 / 1e6);
    let server = Server::spawn(&root, "").await?;
    let outcome = measure(&args, &server, &photo).await;
    server.stop().await;
    if temporary {
        let _ = std::fs::remove_dir_all(&root);
    }
    outcome
}

async fn measure(args: &PhotosArgs, server: &Server, photo: &[u8]) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let api = |path: &str| format!("{}/api/v1{path}", server.base);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = server.memory().context("reading the server's memory")?;
    let places = client.get(api("/places?q=roub")).send().await?;
    if !places.status().is_success() {
        bail!("GET /places: HTTP {}", places.status());
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let with_gazetteer = server.memory().context("reading the server's memory")?;
    println!(
        "resident memory at rest: {:.1} MB; with the gazetteer loaded (one place looked up): {:.1} MB",
        mib(idle.rss_kib),
        mib(with_gazetteer.rss_kib)
    );

    let account = json!({"username": "photographe", "password": "bench-photos-2026", "display_name": "Photographe",
        "kind": "person"});
    client.post(api("/accounts")).json(&account).send().await?.error_for_status()?;
    let login = json!({"username": "photographe", "password": "bench-photos-2026"});
    let session: Value = client.post(api("/sessions")).json(&login).send().await?.error_for_status()?.json().await?;
    let token = session["token"].as_str().context("no token in the session")?.to_owned();

    let before = server.memory().context("reading the server's memory")?;
    let sampling = Arc::new(AtomicBool::new(true));
    let peak = Arc::new(AtomicU64::new(before.rss_kib));
    let sampler = tokio::spawn({
        let (sampling, peak, pid) = (sampling.clone(), peak.clone(), server.pid());
        async move {
            while sampling.load(Ordering::Relaxed) {
                if let Some(rss) = pid.and_then(rss_kib) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let mut times = Vec::new();
    let mut listing = String::new();
    for upload in 0..args.uploads {
        // Six photos a listing at most: a new listing every six.
        if upload % 6 == 0 {
            let body = json!({"purpose": "offer", "mode": "lend", "category": "objects-tools",
                "title": format!("Perceuse {upload}"), "visibility": "public"});
            let created: Value = client
                .post(api("/listings"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            listing = created["id"].as_str().context("no listing id")?.to_owned();
        }
        let form = reqwest::multipart::Form::new()
            .part("photo", reqwest::multipart::Part::bytes(photo.to_vec()).file_name("IMG_0001.JPG"))
            .text("alt", "Une perceuse");
        let start = Instant::now();
        let reply =
            client.post(api(&format!("/listings/{listing}/photos"))).bearer_auth(&token).multipart(form).send().await?;
        let status = reply.status();
        let _ = reply.bytes().await?;
        times.push(start.elapsed());
        if status != reqwest::StatusCode::CREATED {
            bail!("upload {}: HTTP {status}", upload + 1);
        }
    }
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    let after = server.memory().context("reading the server's memory")?;
    let mut sorted = times.clone();
    sorted.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} uploads of a 12-megapixel JPEG: {} ms each (median {:.0} ms, slowest {:.0} ms; target ≤ 1,000 ms)",
        times.len(),
        times.iter().map(|t| format!("{:.0}", ms(*t))).collect::<Vec<_>>().join(", "),
        ms(sorted[sorted.len() / 2]),
        ms(sorted[sorted.len() - 1]),
    );
    let sampled = peak.load(Ordering::Relaxed);
    println!(
        "resident memory: {:.1} MB before the uploads, {:.1} MB at the highest sample (+{:.1} MB; target ≤ +64 MB), \
         kernel's peak {:.1} MB, {:.1} MB after",
        mib(before.rss_kib),
        mib(sampled),
        mib(sampled.saturating_sub(before.rss_kib)),
        mib(after.peak_kib),
        mib(after.rss_kib),
    );
    Ok(())
}
