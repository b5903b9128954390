//! The server under test: `maillage serve` as a child process, with its memory and CPU time read from
//! `/proc`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`, 100 on every Linux platform we run on).
const TICKS_PER_SECOND: f64 = 100.0;

pub struct Server {
    child: tokio::process::Child,
    pub base: String,
    log: PathBuf,
}

/// Resident memory now and at its peak, in KiB.
#[derive(Clone, Copy)]
pub struct Memory {
    pub rss_kib: u64,
    pub peak_kib: u64,
}

impl Server {
    /// Starts the server on a free loopback port and waits until its catalogue answers. Its log goes to
    /// `server.log` in the data directory. The rate limits are off: the bench loads the server from
    /// one address, far beyond what the limits let one client do.
    pub async fn spawn(data_dir: &Path, database_url: &str) -> anyhow::Result<Self> {
        Self::spawn_with(data_dir, database_url, &[("MAILLAGE_LIMITS", "false")]).await
    }

    /// Like [`Server::spawn`], with these `MAILLAGE_*` variables besides the bench's own.
    pub async fn spawn_with(data_dir: &Path, database_url: &str, environment: &[(&str, &str)]) -> anyhow::Result<Self> {
        let log = data_dir.join("server.log");
        let log_file = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let exe = std::env::current_exe().context("locating the maillage binary")?;
        let mut command = tokio::process::Command::new(exe);
        // Only what we set here: a MAILLAGE_* variable of the caller's shell must not change the run.
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MAILLAGE_")) {
            command.env_remove(name);
        }
        command
            .arg("serve")
            .env("MAILLAGE_DATA_DIR", data_dir)
            .env("MAILLAGE_DATABASE_URL", database_url)
            .env("MAILLAGE_BIND", format!("127.0.0.1:{port}"))
            .env("MAILLAGE_DOMAIN", format!("localhost:{port}"))
            .env("MAILLAGE_LOG", "warn")
            .envs(environment.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .kill_on_drop(true);
        let mut child = command.spawn().context("starting `maillage serve`")?;
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = client.get(format!("{base}/")).send().await
                && response.status().is_success()
            {
                return Ok(Self { child, base, log });
            }
            if let Some(status) = child.try_wait()? {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                bail!("the server exited before answering ({status}); its log:\n{text}");
            }
            if Instant::now() > deadline {
                bail!("the server did not answer within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn proc_file(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(format!("/proc/{}/{name}", self.child.id()?)).ok()
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub fn memory(&self) -> Option<Memory> {
        let status = self.proc_file("status")?;
        let field = |name: &str| {
            status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        };
        Some(Memory { rss_kib: field("VmRSS:")?, peak_kib: field("VmHWM:")? })
    }

    /// CPU time the server has used so far (user + system), in seconds.
    pub fn cpu_seconds(&self) -> Option<f64> {
        cpu_seconds(&self.proc_file("stat")?)
    }

    /// How many lines the server logged (warnings and errors only), and the first few.
    pub fn log_summary(&self) -> (usize, Vec<String>) {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        (text.lines().count(), text.lines().take(5).map(str::to_owned).collect())
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The resident memory of process `pid` now, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
}

/// CPU time this process (the load generator) has used so far, in seconds.
pub fn own_cpu_seconds() -> Option<f64> {
    cpu_seconds(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// User + system time from a `/proc/<pid>/stat` line. The command name (field 2) may hold spaces, so
/// fields are counted from the closing parenthesis: utime and stime are fields 14 and 15.
fn cpu_seconds(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) as f64 / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_after_the_command_name() {
        let stat = "1234 (mail lage) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 3 0 100 1000 200";
        assert_eq!(cpu_seconds(stat), Some(3.0));
        assert_eq!(cpu_seconds("garbage"), None);
    }
}
