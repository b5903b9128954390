//! The instances of the federation bench: `maillage serve` child processes on fixed loopback ports
//! (a port is part of an instance's name, so a restarted instance takes its port back), with open
//! peering and local federation allowed, and their CPU time read from `/proc`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use maillage_server::Config;
use maillage_server::storage::Db;

pub struct Instance {
    pub name: String,
    pub port: u16,
    dir: PathBuf,
    child: Option<tokio::process::Child>,
}

impl Instance {
    /// An instance that is not running yet, its data in `dir`.
    pub fn new(name: &str, port: u16, dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self { name: name.to_owned(), port, dir: dir.to_path_buf(), child: None })
    }

    /// The domain peers know it by.
    pub fn domain(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// Where this process reaches it (no name resolution on the way).
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.dir.join("maillage.db").display())
    }

    /// Its configuration, as `MAILLAGE_*` variables: the child gets exactly these.
    fn environment(&self) -> Vec<(String, String)> {
        [
            ("MAILLAGE_DATA_DIR", self.dir.display().to_string()),
            ("MAILLAGE_DATABASE_URL", self.database_url()),
            ("MAILLAGE_BIND", format!("127.0.0.1:{}", self.port)),
            ("MAILLAGE_DOMAIN", self.domain()),
            ("MAILLAGE_LOG", "warn".to_owned()),
            ("MAILLAGE_INSTANCE_NAME", self.name.clone()),
            ("MAILLAGE_FEDERATION_POLICY", "open".to_owned()),
            ("MAILLAGE_INSECURE_LOCAL_FEDERATION", "true".to_owned()),
            // The bench polls and publishes from one address, beyond what the rate limits allow.
            ("MAILLAGE_LIMITS", "false".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// The configuration the child runs with (to work on its database in this process).
    pub fn config(&self) -> anyhow::Result<Config> {
        Config::load(None, self.environment()).map_err(|e| anyhow::anyhow!("configuration of {}: {e}", self.name))
    }

    /// Opens its database from this process (SQLite in WAL mode: reading beside the running server
    /// is fine; writing is done only while it is stopped).
    pub async fn db(&self) -> anyhow::Result<Db> {
        let db = Db::open(&self.database_url(), &self.dir).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Starts `maillage serve`; its warnings and errors go to `server.log` in its directory.
    pub fn spawn(&mut self) -> anyhow::Result<()> {
        let log = self.log_path();
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .with_context(|| format!("opening {}", log.display()))?;
        // This very binary, even when a build has replaced the file since it started.
        let exe = match Path::new("/proc/self/exe") {
            path if path.exists() => path.to_path_buf(),
            _ => std::env::current_exe().context("locating the maillage binary")?,
        };
        let mut command = tokio::process::Command::new(exe);
        // Only what we set here: a MAILLAGE_* variable of the caller's shell must not change the run.
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MAILLAGE_")) {
            command.env_remove(name);
        }
        command
            .arg0("maillage")
            .arg("serve")
            .envs(self.environment())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .kill_on_drop(true);
        self.child = Some(command.spawn().with_context(|| format!("starting {}", self.name))?);
        Ok(())
    }

    /// Waits until its catalogue answers.
    pub async fn ready(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = client.get(format!("{}/", self.base())).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
                bail!("{} exited before answering ({status}); its log:\n{text}", self.name);
            }
            if Instant::now() > deadline {
                bail!("{} did not answer within 60 s", self.name);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn start(&mut self) -> anyhow::Result<()> {
        self.spawn()?;
        self.ready().await
    }

    /// Kills the process (what it committed stays: SQLite in WAL mode).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// CPU time the process has used so far (user + system), in seconds.
    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref()?.id()
    }

    pub fn cpu_seconds(&self) -> Option<f64> {
        let pid = self.child.as_ref()?.id()?;
        cpu_seconds(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// How many warning or error lines it logged, and the first few.
    pub fn log_summary(&self) -> (usize, Vec<String>) {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        (text.lines().count(), text.lines().take(3).map(str::to_owned).collect())
    }
}

/// `count` distinct free loopback ports (all held until every one is chosen).
pub fn free_ports(count: usize) -> anyhow::Result<Vec<u16>> {
    let listeners: Vec<std::net::TcpListener> =
        (0..count).map(|_| std::net::TcpListener::bind("127.0.0.1:0")).collect::<Result<_, _>>()?;
    Ok(listeners.iter().map(|l| l.local_addr().map(|a| a.port())).collect::<Result<_, _>>()?)
}

/// User + system time from a `/proc/<pid>/stat` line, counted from the closing parenthesis of the
/// command name (fields 14 and 15), at 100 ticks a second.
fn cpu_seconds(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) as f64 / 100.0)
}
