//! The Python fediverse servers of the interoperability tests (`tests/interop/apsig/`,
//! `tests/interop/bovine/`): each a `server.py` that plays one account with the library's own
//! signing and verifying code, and a control API under `/_test/` that says what it received and
//! sent. This module starts one as a child process and reads what it saw.

use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use maillage_server::config::Config;
use reqwest::StatusCode;
use serde_json::Value;

/// How long federation may take to do something a user waits for (a delivery goes through Maillage's
/// persistent queue: polled, not pushed).
pub const FEDERATION_TIMEOUT: Duration = Duration::from_secs(15);

/// How long Python may take to import the library, make its key and listen.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Lets this instance federate with a peer on loopback over plain http (the Python server).
pub fn allow_loopback_peers(config: &mut Config) {
    config.federation.insecure_local_federation = true;
}

/// Asserts that the library verified `request`, signed `rsa-sha256` with the key `key_id`.
#[track_caller]
pub fn assert_verified(library: &str, request: &Value, key_id: &str) {
    assert_eq!(request["verified"], true, "{library} refused Maillage's signature: {request:#}");
    assert_eq!(request["algorithm"], "rsa-sha256", "{request:#}");
    assert_eq!(request["keyId"], key_id, "{request:#}");
    if request["method"] == "POST" {
        assert_eq!(request["status"], 202, "{request:#}");
    }
}

/// A Python fediverse server of `tests/interop/NAME/` (`server.py`), run from its virtual
/// environment, which `tests/interop/NAME/install.sh` makes.
#[derive(Debug, Clone, Copy)]
pub struct Library {
    /// The library's name, its folder, and the username of its one account.
    pub name: &'static str,
    /// The Python it needs, for the message when it is missing (`3.10+`).
    pub python: &'static str,
}

impl Library {
    fn dir(self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop").join(self.name)
    }

    /// The command that installs what the test needs.
    pub fn install(self) -> String {
        format!("bash tests/interop/{}/install.sh", self.name)
    }

    /// The Python of the virtual environment holding the library; fails with the install command
    /// when it is missing (never skips: a test that cannot run must not look like one that passed).
    pub fn python_or_fail(self) -> PathBuf {
        let dir = self.dir();
        let python = dir.join(".venv/bin/python");
        let missing = if !python.is_file() {
            format!("no Python virtual environment at {}", dir.join(".venv").display())
        } else if !dir.join(".venv/requirements.installed").is_file() {
            format!("{} is not installed in {}", self.name, dir.join(".venv").display())
        } else {
            return python;
        };
        panic!(
            "the {name} interoperability test cannot run: {missing}. Install Python {python} with venv, then {name}: `{install}`",
            name = self.name,
            python = self.python,
            install = self.install()
        );
    }
}

/// The status of an unsigned GET of `url` that asks for ActivityPub JSON.
pub async fn unsigned_fetch(url: &str) -> StatusCode {
    let request = reqwest::Client::new().get(url).header(reqwest::header::ACCEPT, "application/activity+json");
    request.send().await.expect("GET of the actor").status()
}

/// The server: a Python child process, killed when this is dropped (also when the test panics, in
/// which case the end of its log is printed).
pub struct PythonPeer {
    library: Library,
    child: Child,
    origin: String,
    log: Arc<Mutex<Vec<String>>>,
    client: reqwest::Client,
}

impl PythonPeer {
    /// Starts the library's server, failing with the install command when it is not installed.
    pub async fn start(library: Library) -> Self {
        let python = library.python_or_fail();
        let mut child = Command::new(&python)
            .arg("-u")
            .arg("server.py")
            .arg("0")
            .arg(library.name)
            .current_dir(library.dir())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}; install with `{}`", python.display(), library.install()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        collect_lines(child.stdout.take().expect("piped stdout"), &log, Some(ready_tx));
        collect_lines(child.stderr.take().expect("piped stderr"), &log, None);
        let mut peer = Self { library, child, origin: String::new(), log, client: reqwest::Client::new() };
        match tokio::time::timeout(STARTUP_TIMEOUT, ready_rx).await {
            Ok(Ok(origin)) => peer.origin = origin,
            Ok(Err(_)) => panic!("the {} server stopped before it was ready:\n{}", library.name, peer.log_tail(100)),
            Err(_) => {
                panic!("the {} server was not ready after {STARTUP_TIMEOUT:?}:\n{}", library.name, peer.log_tail(100))
            }
        }
        peer
    }

    /// `NAME@localhost:PORT`.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.library.name, self.origin.trim_start_matches("http://"))
    }

    /// The account's actor id.
    pub fn actor(&self) -> String {
        format!("{}/users/{}", self.origin, self.library.name)
    }

    pub async fn get(&self, path: &str) -> Value {
        let response = self.client.get(format!("{}{path}", self.origin)).send().await.expect("the control API");
        response.json().await.expect("the control API answers JSON")
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response =
            self.client.post(format!("{}{path}", self.origin)).json(&body).send().await.expect("the control API");
        (response.status(), response.json().await.expect("the control API answers JSON"))
    }

    /// Every inbox POST and signed GET the server received, with the library's verdict.
    pub async fn received(&self) -> Vec<Value> {
        self.get("/_test/received").await["items"].as_array().cloned().unwrap_or_default()
    }

    /// Every signed request the server made, with the answer.
    pub async fn sent(&self) -> Vec<Value> {
        self.get("/_test/sent").await["items"].as_array().cloned().unwrap_or_default()
    }

    /// The first signed request the server made that `matches`, waiting for it (the server records
    /// a request once its answer is back, which may be after Maillage acted on it); fails with what
    /// the server saw.
    pub async fn wait_for_sent(&self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let found = poll(FEDERATION_TIMEOUT, || async { self.sent().await.into_iter().find(|s| matches(s)) }).await;
        match found {
            Some(request) => request,
            None => panic!("the {} server never sent {what}\n{}", self.library.name, self.report().await),
        }
    }

    /// The first received request that `matches`, waiting for it; fails with what the server saw.
    pub async fn wait_for(&self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let found = poll(FEDERATION_TIMEOUT, || async { self.received().await.into_iter().find(|r| matches(r)) }).await;
        match found {
            Some(request) => request,
            None => panic!("the {} server never received {what}\n{}", self.library.name, self.report().await),
        }
    }

    /// Asserts that the library verified every signed request it received, and that there was one.
    pub async fn assert_all_verified(&self) {
        let received = self.received().await;
        let refused: Vec<&Value> = received.iter().filter(|r| r["verified"] != true).collect();
        assert!(refused.is_empty(), "{} refused some of Maillage's signatures: {refused:#?}", self.library.name);
        assert!(!received.is_empty(), "the {} server received nothing signed", self.library.name);
        let seen: Vec<String> = received
            .iter()
            .map(|r| {
                let text = |key: &str| r[key].as_str().unwrap_or("-").to_owned();
                format!("{} {} {} ({})", text("method"), text("type"), text("path"), text("signedHeaders"))
            })
            .collect();
        self.say(&format!("{} verified {} signed requests: {}", self.library.name, received.len(), seen.join("; ")));
    }

    /// Everything the server saw and did, for failure messages.
    pub async fn report(&self) -> String {
        let name = self.library.name;
        format!("--- {name} received:\n{:#?}\n--- {name} sent:\n{:#?}\n", self.received().await, self.sent().await)
    }

    /// A finding worth seeing in every run, written straight to the terminal (the test harness
    /// hides what `println!` prints in a passing test).
    pub fn say(&self, line: &str) {
        let _ = writeln!(std::io::stderr(), "interop_{}: {line}", self.library.name);
    }

    fn log_tail(&self, lines: usize) -> String {
        let log = self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        log[log.len().saturating_sub(lines)..].join("\n")
    }

    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- the end of the {} server's log:\n{}", self.library.name, self.log_tail(150));
        }
    }
}

/// Reads `stream` line by line into `log` on a thread of its own; the first `ready ORIGIN` line is
/// sent to `ready`.
fn collect_lines(
    stream: impl Read + Send + 'static,
    log: &Arc<Mutex<Vec<String>>>,
    mut ready: Option<tokio::sync::oneshot::Sender<String>>,
) {
    let log = Arc::clone(log);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(origin) = line.strip_prefix("ready ")
                && let Some(ready) = ready.take()
            {
                let _ = ready.send(origin.trim().to_owned());
            }
            log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(line);
        }
    });
}

/// Calls `check` every 100 ms until it gives something or `timeout` has passed.
pub async fn poll<T, F, Fut>(timeout: Duration, check: F) -> Option<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(found) = check().await {
            return Some(found);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
