//! `maillage demo` run as a real process: three seeded instances that answer on their ports, a second
//! run on the same directory that reuses the data, a clean stop on SIGTERM, and a clear error when a
//! port is taken.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::TempDir;
use maillage_server::domain::listing::{ListingStatus, Visibility};
use maillage_server::sample::{DEMO_PASSWORD, PROFILES};

/// A base port in 20000–40000 whose three ports are free right now.
fn free_base_port() -> u16 {
    // Tests of one process start at the same instant: a counter keeps their candidate ports apart
    // (blocks of ten), the clock and the process id vary them between runs.
    static NEXT_BLOCK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let block = NEXT_BLOCK.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let seed = u64::from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos() ^ std::process::id());
    let start = (seed % 1000) * 10 + block * 10_000;
    (0..1000)
        .map(|i| 20000 + ((start + i * 30) % 20000) as u16)
        .find(|&base| (base..base + 3).all(|port| TcpListener::bind(("127.0.0.1", port)).is_ok()))
        .expect("three free ports")
}

/// The demo process; killed if the test fails before stopping it.
struct Demo {
    child: Option<Child>,
    base_port: u16,
}

impl Demo {
    fn start(data_dir: &Path, base_port: u16) -> Self {
        Self::spawn(demo_command(data_dir, base_port), base_port)
    }

    /// Runs `command` as a shell would (in place of the shell, so that signals reach the demo).
    fn start_in_shell(command: &str, base_port: u16) -> Self {
        let mut shell = Command::new("sh");
        shell.arg("-c").arg(format!("exec {command}"));
        Self::spawn(clean_environment(shell), base_port)
    }

    fn spawn(mut command: Command, base_port: u16) -> Self {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting maillage demo");
        Self { child: Some(child), base_port }
    }

    fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("running")
    }

    /// The catalogue page of instance `n` once it answers 200, in French.
    async fn catalogue(&mut self, n: u16) -> String {
        let url = format!("http://127.0.0.1:{}/?lang=fr&scope=local", self.base_port + n);
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child().try_wait().unwrap() {
                let (out, err) = self.output();
                panic!("maillage demo exited with {status} before answering\nstdout: {out}\nstderr: {err}");
            }
            if let Ok(reply) = client.get(&url).send().await
                && reply.status() == reqwest::StatusCode::OK
            {
                return reply.text().await.unwrap();
            }
            assert!(Instant::now() < deadline, "{url} did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status and what was printed.
    async fn terminate(mut self) -> (ExitStatus, String, String) {
        let pid = self.child().id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let status = self.wait().await;
        let (out, err) = self.output();
        self.child = None;
        (status, out, err)
    }

    async fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child().try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "maillage demo did not exit");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn output(&mut self) -> (String, String) {
        let (mut out, mut err) = (String::new(), String::new());
        if let Some(stdout) = self.child().stdout.as_mut() {
            stdout.read_to_string(&mut out).ok();
        }
        if let Some(stderr) = self.child().stderr.as_mut() {
            stderr.read_to_string(&mut err).ok();
        }
        (out, err)
    }
}

/// `maillage demo --data-dir DIR --base-port PORT`, started as a program (not by cargo).
fn demo_command(data_dir: &Path, base_port: u16) -> Command {
    let mut command = clean_environment(Command::new(env!("CARGO_BIN_EXE_maillage")));
    command.args(["demo", "--data-dir"]).arg(data_dir).args(["--base-port", &base_port.to_string()]);
    command
}

/// `command` with nothing of this environment (no `MAILLAGE_*`, no `CARGO`) but the `PATH`.
fn clean_environment(mut command: Command) -> Command {
    command.env_clear().env("MAILLAGE_LOG", "warn").envs(std::env::var_os("PATH").map(|path| ("PATH", path)));
    command
}

/// The command the demo printed under `label` (on the next line).
fn printed_command(out: &str, label: &str) -> String {
    let mut lines = out.lines().skip_while(|line| !line.contains(label));
    lines.next().unwrap_or_else(|| panic!("the demo does not print {label:?}: {out}"));
    lines.next().map(|line| line.trim().to_owned()).unwrap_or_else(|| panic!("nothing after {label:?}: {out}"))
}

const RUN_AGAIN: &str = "run again with the same data:";
const REMOVE: &str = "remove this data, once the demo is stopped:";

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Text as the templates escape it.
fn html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// How many times `title` is shown as a listing's title (the text of a link) on `page`.
fn title_count(page: &str, title: &str) -> usize {
    page.matches(&format!(">{}</a>", html(title))).count()
}

/// The instances are peered: each one's catalogue comes to show, beside its own, every public open
/// listing of the two others (backfilled from their outboxes), each once.
async fn check_federated_catalogues(demo: &Demo) {
    let client = reqwest::Client::new();
    for (n, _) in PROFILES.iter().enumerate() {
        let expected: Vec<&str> = PROFILES
            .iter()
            .enumerate()
            .filter(|(m, _)| *m != n)
            .flat_map(|(_, p)| p.listings())
            .filter(|(_, l)| l.visibility == Visibility::Public && l.status != ListingStatus::Closed)
            .map(|(_, l)| l.title)
            .collect();
        let url = format!("http://127.0.0.1:{}/api/v1/listings?scope=peers&per_page=100", demo.base_port + n as u16);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let page: serde_json::Value = client.get(&url).send().await.unwrap().json().await.unwrap();
            let mut titles: Vec<String> =
                page["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_owned()).collect();
            titles.sort();
            let mut wanted: Vec<String> = expected.iter().map(|t| (*t).to_owned()).collect();
            wanted.sort();
            if titles == wanted {
                for item in page["items"].as_array().unwrap() {
                    assert!(item["origin"]["instance"].as_str().unwrap().starts_with("localhost:"), "{item}");
                }
                break;
            }
            assert!(Instant::now() < deadline, "instance {n} shows {titles:?}, expected {wanted:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Waits until every instance counts the two others as peered (the demo prints its banner then).
async fn wait_until_peered(demo: &Demo) {
    let client = reqwest::Client::new();
    for (n, profile) in PROFILES.iter().enumerate() {
        let base = format!("http://127.0.0.1:{}", demo.base_port + n as u16);
        let login: serde_json::Value = client
            .post(format!("{base}/api/v1/sessions"))
            .json(&serde_json::json!({"username": profile.admin.username, "password": DEMO_PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().unwrap().to_owned();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let peers: serde_json::Value = client
                .get(format!("{base}/api/v1/admin/peers"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let peered = peers["items"].as_array().unwrap().iter().filter(|p| p["state"] == "peered").count();
            if peered == PROFILES.len() - 1 {
                break;
            }
            assert!(Instant::now() < deadline, "instance {n} is not peered with the others: {peers}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The states of the exchanges every member of the three instances sees (each exchange once per
/// side), with `overdue` for an overdue loan; waits until the sample exchanges are all there.
async fn sample_exchanges(demo: &Demo) -> Vec<String> {
    let client = reqwest::Client::new();
    let wanted = [
        "question",
        "proposed",
        "accepted",
        "handed_over",
        "delivered",
        "done",
        "completed",
        "refused",
        "cancelled",
        "overdue",
    ];
    // One login per member (logins are rate limited per address), then the exchanges they see.
    let mut members = Vec::new();
    for (n, profile) in PROFILES.iter().enumerate() {
        let base = format!("http://127.0.0.1:{}", demo.base_port + n as u16);
        for member in profile.members {
            let login: serde_json::Value = client
                .post(format!("{base}/api/v1/sessions"))
                .json(&serde_json::json!({"username": member.username, "password": DEMO_PASSWORD}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let token = login["token"].as_str().unwrap_or_else(|| panic!("login of {}: {login}", member.username));
            members.push((base.clone(), token.to_owned()));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut states = Vec::new();
        for (base, token) in &members {
            let mine: serde_json::Value = client
                .get(format!("{base}/api/v1/exchanges"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for exchange in mine["items"].as_array().into_iter().flatten() {
                states.push(exchange["state"].as_str().unwrap_or_default().to_owned());
                if exchange["overdue"] == true {
                    states.push("overdue".to_owned());
                }
            }
        }
        if wanted.iter().all(|w| states.iter().any(|s| s == w)) && states.len() >= 34 {
            states.sort();
            return states;
        }
        assert!(Instant::now() < deadline, "the sample exchanges are not all there: {states:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Every instance answers with its name and shows exactly once each of its own listings a visitor
/// may see, and none of the others.
async fn check_catalogues(demo: &mut Demo) {
    for (n, profile) in PROFILES.iter().enumerate() {
        let page = demo.catalogue(n as u16).await;
        assert!(page.contains(&html(profile.name)), "instance {n} is not {}", profile.name);
        for (_, listing) in profile.listings() {
            let visible = listing.visibility == Visibility::Public && listing.status != ListingStatus::Closed;
            assert_eq!(
                title_count(&page, listing.title),
                usize::from(visible),
                "{:?} on {} (visible to visitors: {visible})",
                listing.title,
                profile.name
            );
        }
    }
}

#[tokio::test]
async fn demo_serves_three_seeded_instances_and_reuses_their_data() {
    let dir = TempDir::new("maillage-demo-test");
    let base_port = free_base_port();

    let mut demo = Demo::start(dir.path(), base_port);
    check_catalogues(&mut demo).await;
    check_federated_catalogues(&demo).await;
    wait_until_peered(&demo).await;
    // Exchanges in every state, within each cooperative and between them.
    let exchanges = sample_exchanges(&demo).await;
    let (status, out, err) = demo.terminate().await;
    assert!(status.success(), "exit {status}\nstdout: {out}\nstderr: {err}");
    for (n, profile) in PROFILES.iter().enumerate() {
        let port = base_port + n as u16;
        assert!(out.contains(&format!("http://localhost:{port}/")), "{out}");
        assert!(out.contains(profile.name) && out.contains(profile.admin.username), "{out}");
        assert!(out.contains(profile.members[0].username), "{out}");
        assert!(dir.path().join(profile.slug).join("maillage.db").is_file(), "no database for {}", profile.slug);
    }
    assert!(out.contains(DEMO_PASSWORD), "{out}");
    assert!(out.contains("fédération") && out.contains("federation"), "{out}");
    assert_eq!(out.matches("sample data created").count(), 3, "{out}");
    assert!(out.contains(&dir.path().display().to_string()), "the data directory is not shown: {out}");
    assert!(out.contains("Stopped"), "{out}");
    // Started as a program: the hints name its path, since `maillage` need not be on the PATH.
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_maillage")).unwrap();
    let data = dir.path().display();
    assert_eq!(
        printed_command(&out, RUN_AGAIN),
        format!("{} demo --data-dir {data} --base-port {base_port}", exe.display())
    );
    assert_eq!(printed_command(&out, REMOVE), format!("rm -rf {data}"));

    // Same directory, other ports, started as `cargo run` starts it (cargo sets CARGO): the data is
    // reused, nothing is duplicated, and the hint is a cargo command.
    let base_port = free_base_port();
    let mut command = demo_command(dir.path(), base_port);
    command.env("CARGO", env!("CARGO"));
    let mut demo = Demo::spawn(command, base_port);
    check_catalogues(&mut demo).await;
    check_federated_catalogues(&demo).await;
    wait_until_peered(&demo).await;
    assert_eq!(sample_exchanges(&demo).await, exchanges, "the sample exchanges are made once");
    let login = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{base_port}/api/v1/sessions"))
        .json(&serde_json::json!({"username": PROFILES[0].admin.username, "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), reqwest::StatusCode::CREATED, "the printed admin login works");
    let (status, out, err) = demo.terminate().await;
    assert!(status.success(), "exit {status}\nstdout: {out}\nstderr: {err}");
    assert_eq!(out.matches("existing data reused").count(), 3, "{out}");
    assert!(out.contains(&format!("--base-port {base_port}")), "the hint to run again keeps the ports: {out}");
    let cargo = if cfg!(debug_assertions) { "cargo run --" } else { "cargo run --release --" };
    assert_eq!(printed_command(&out, RUN_AGAIN), format!("{cargo} demo --data-dir {data} --base-port {base_port}"));
}

/// What the demo prints to run it again and to remove its data works when typed into a shell.
#[tokio::test]
async fn the_commands_the_demo_prints_work() {
    let dir = TempDir::new("maillage-demo-test");
    let data = dir.path().join("données de démo");
    let base_port = free_base_port();
    let mut demo = Demo::start(&data, base_port);
    demo.catalogue(0).await;
    wait_until_peered(&demo).await;
    let (status, out, err) = demo.terminate().await;
    assert!(status.success(), "exit {status}\nstdout: {out}\nstderr: {err}");
    assert_eq!(out.matches("sample data created").count(), 3, "{out}");

    let run_again = printed_command(&out, RUN_AGAIN);
    let mut demo = Demo::start_in_shell(&run_again, base_port);
    check_catalogues(&mut demo).await;
    let (status, again, err) = demo.terminate().await;
    assert!(status.success(), "`{run_again}` failed: exit {status}\nstdout: {again}\nstderr: {err}");
    assert_eq!(again.matches("existing data reused").count(), 3, "`{run_again}` did not reuse the data: {again}");

    let remove = printed_command(&again, REMOVE);
    assert!(remove.starts_with("rm -rf ") && remove.contains("données de démo"), "{remove}");
    let removed = Command::new("sh").arg("-c").arg(&remove).status().unwrap();
    assert!(removed.success(), "`{remove}`: {removed}");
    assert!(!data.exists(), "`{remove}` left {}", data.display());
    assert!(dir.path().exists(), "`{remove}` removed more than the demo's data");
}

#[tokio::test]
async fn a_port_in_use_is_named_with_the_option_to_change_it() {
    let dir = TempDir::new("maillage-demo-test");
    let base_port = free_base_port();
    let _taken = TcpListener::bind(("127.0.0.1", base_port + 1)).expect("taking the second port");

    let mut demo = Demo::start(dir.path(), base_port);
    let status = demo.wait().await;
    let (out, err) = demo.output();
    assert!(!status.success(), "the demo started although port {} is taken: {out}", base_port + 1);
    assert!(err.contains(&format!("port {} is already in use", base_port + 1)), "{err}");
    assert!(err.contains("--base-port"), "{err}");
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_maillage")).unwrap();
    assert!(
        err.contains(&format!("`{} demo --base-port ", exe.display())),
        "the example is not a command that works: {err}"
    );
    for profile in PROFILES {
        assert!(!dir.path().join(profile.slug).exists(), "{} was written before the ports were checked", profile.slug);
    }
}
