//! `maillage serve` as a separate process, with its own data directory and database, for the tests
//! that kill an instance with SIGKILL (no shutdown, no flushing) and start it again on the same data.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{PASSWORD, PgDatabase, TempDir};

/// `maillage serve` as a separate process, with its data directory and database.
pub struct ServeProcess {
    dir: TempDir,
    pg: Option<PgDatabase>,
    port: u16,
    child: Option<Child>,
}

impl ServeProcess {
    pub async fn new() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self { dir: TempDir::new("maillage-process"), pg: PgDatabase::from_env().await, port, child: None }
    }

    pub fn domain(&self) -> String {
        format!("localhost:{}", self.port)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_maillage"));
        command
            .args(args)
            .env_clear()
            .env("MAILLAGE_DATA_DIR", self.dir.path())
            .env("MAILLAGE_LOG", "warn")
            .env("MAILLAGE_BIND", format!("127.0.0.1:{}", self.port))
            .env("MAILLAGE_DOMAIN", self.domain())
            .env("MAILLAGE_FEDERATION_POLICY", "open")
            .env("MAILLAGE_INSECURE_LOCAL_FEDERATION", "true");
        if let Some(pg) = &self.pg {
            command.env("MAILLAGE_DATABASE_URL", &pg.url);
        }
        command
    }

    pub fn create_member(&self, username: &str, admin: bool) {
        let mut args = vec!["admin", "create-member", username, "--password-stdin"];
        if admin {
            args.push("--admin");
        }
        let mut child = self.command(&args).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(PASSWORD.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "creating {username}");
    }

    pub async fn start(&mut self) {
        self.child = Some(self.command(&["serve"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::get(self.url("/api/v1/categories")).await.is_err() {
            assert!(Instant::now() < deadline, "maillage serve did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn kill(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap(); // SIGKILL: no shutdown, no flushing
        child.wait().unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn token(&self, username: &str) -> String {
        let reply: Value = reqwest::Client::new()
            .post(self.url("/api/v1/sessions"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reply["token"].as_str().unwrap().to_owned()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
