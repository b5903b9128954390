//! The `maillage` command line, run as a real process: member administration, migrations, the
//! configuration checks, and serving.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{PASSWORD, PgDatabase, TempDir};
use maillage_server::config::RegistrationMode;
use maillage_server::services::accounts::{self, Origin, Registration};
use maillage_server::storage::Db;

/// A data directory (and, on PostgreSQL, a database) for the commands of one test.
struct Cli {
    dir: TempDir,
    pg: Option<PgDatabase>,
}

impl Cli {
    async fn new() -> Self {
        Self { dir: TempDir::new("maillage-cli"), pg: PgDatabase::from_env().await }
    }

    fn database_url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", self.dir.path().join("maillage.db").display()),
        }
    }

    /// The command with a clean environment: only the variables this test sets.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_maillage"));
        command.args(args).env_clear().env("MAILLAGE_DATA_DIR", self.dir.path()).env("MAILLAGE_LOG", "warn");
        if let Some(pg) = &self.pg {
            command.env("MAILLAGE_DATABASE_URL", &pg.url);
        }
        command
    }

    fn run_with(&self, mut command: Command, stdin: Option<&str>) -> Output {
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("starting maillage");
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            // A command that refuses its arguments exits without reading its input: the pipe is
            // then closed, and what it printed is what the test looks at.
            match input.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.expect("writing stdin"),
            }
        }
        drop(input);
        child.wait_with_output().expect("waiting for maillage")
    }

    /// Runs a command that must succeed and returns its standard output.
    #[track_caller]
    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let output = self.run_with(self.command(args), stdin);
        assert!(output.status.success(), "maillage {args:?} failed: {}", show(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs a command that must fail and returns its standard error.
    #[track_caller]
    fn fails(&self, command: Command, stdin: Option<&str>) -> String {
        let description = format!("{command:?}");
        let output = self.run_with(command, stdin);
        assert!(!output.status.success(), "{description} succeeded: {}", show(&output));
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    /// The members as `list-members` prints them: (username, kind, role, status).
    fn members(&self) -> Vec<(String, String, String, String)> {
        self.ok(&["admin", "list-members"], None)
            .lines()
            .map(|line| {
                let mut parts = line.split('\t').map(str::to_owned);
                let mut next = || parts.next().unwrap_or_default();
                (next(), next(), next(), next())
            })
            .collect()
    }

    fn member(&self, username: &str) -> (String, String, String, String) {
        self.members().into_iter().find(|m| m.0 == username).unwrap_or_else(|| panic!("{username} not listed"))
    }

    async fn stop(mut self) {
        if let Some(pg) = self.pg.as_mut() {
            pg.drop_database().await;
        }
    }
}

fn show(output: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn member(name: &str, role: &str, status: &str) -> (String, String, String, String) {
    (name.to_owned(), "person".to_owned(), role.to_owned(), status.to_owned())
}

#[tokio::test]
async fn administering_members() {
    let cli = Cli::new().await;
    let password = format!("{PASSWORD}\n");

    let out = cli.ok(&["admin", "create-member", "alice", "--admin", "--password-stdin"], Some(&password));
    assert!(out.contains("alice"), "{out}");
    assert_eq!(cli.members(), [member("alice", "admin", "active")]);
    let sqlite_file = cli.dir.path().join("maillage.db").exists();
    assert_eq!(sqlite_file, cli.pg.is_none(), "the database is not where MAILLAGE_DATABASE_URL says");

    // The password came from stdin, without its line break: it logs alice in.
    let db = Db::connect(&cli.database_url()).await.unwrap();
    assert!(accounts::authenticate(&db, "alice", PASSWORD).await.is_ok(), "alice cannot log in");
    assert!(accounts::authenticate(&db, "alice", &password).await.is_err());

    // A password too short is refused, naming the field; nothing is created.
    let error = cli.fails(cli.command(&["admin", "create-member", "bob", "--password-stdin"]), Some("short\n"));
    assert!(error.contains("password"), "{error}");
    let error = cli.fails(cli.command(&["admin", "create-member", "B@d name", "--password-stdin"]), Some(&password));
    assert!(error.contains("username"), "{error}");
    let error = cli.fails(cli.command(&["admin", "create-member", "alice", "--password-stdin"]), Some(&password));
    assert!(error.contains("taken"), "{error}");
    // Passwords never go on the command line.
    let error = cli.fails(cli.command(&["admin", "create-member", "bob"]), Some(&password));
    assert!(error.contains("--password-stdin"), "{error}");
    assert_eq!(cli.members().len(), 1);

    cli.ok(
        &["admin", "create-member", "bob", "--organisation", "--display-name", "Atelier Bob", "--password-stdin"],
        Some(&password),
    );
    let bob = cli.member("bob");
    assert_eq!((bob.1.as_str(), bob.2.as_str(), bob.3.as_str()), ("organisation", "member", "active"));

    cli.ok(&["admin", "promote", "bob"], None);
    assert_eq!(cli.member("bob").2, "admin");
    cli.ok(&["admin", "demote", "bob"], None);
    assert_eq!(cli.member("bob").2, "member");
    cli.ok(&["admin", "disable", "bob"], None);
    assert_eq!(cli.member("bob").3, "disabled");
    assert!(accounts::authenticate(&db, "bob", PASSWORD).await.is_err(), "a disabled member logs in");
    cli.ok(&["admin", "enable", "bob"], None);
    assert_eq!(cli.member("bob").3, "active");

    // Someone who registered on an instance that asks for approval.
    let registration = Registration {
        username: "claire".to_owned(),
        password: PASSWORD.to_owned(),
        display_name: "Claire".to_owned(),
        kind: "person".to_owned(),
        description: String::new(),
    };
    accounts::register(&db, &registration, Origin::SelfRegistration(RegistrationMode::Approval)).await.unwrap();
    assert_eq!(cli.member("claire"), member("claire", "member", "pending"));
    assert!(accounts::authenticate(&db, "claire", PASSWORD).await.is_err());
    cli.ok(&["admin", "approve-member", "claire"], None);
    assert_eq!(cli.member("claire"), member("claire", "member", "active"));
    assert!(accounts::authenticate(&db, "claire", PASSWORD).await.is_ok(), "claire was approved");

    cli.ok(&["admin", "reset-password", "claire", "--password-stdin"], Some("another long password\n"));
    assert!(accounts::authenticate(&db, "claire", "another long password").await.is_ok());
    assert!(accounts::authenticate(&db, "claire", PASSWORD).await.is_err());

    // Unknown members are reported.
    for action in ["approve-member", "promote", "disable"] {
        let error = cli.fails(cli.command(&["admin", action, "nobody_here"]), None);
        assert!(!error.trim().is_empty(), "{action}: no message");
    }
    db.close().await;
    cli.stop().await;
}

#[tokio::test]
async fn bad_configuration_is_refused_naming_the_culprit() {
    let cli = Cli::new().await;

    let mut command = cli.command(&["admin", "list-members"]);
    command.env("MAILLAGE_COLOUR", "blue");
    let error = cli.fails(command, None);
    assert!(error.contains("MAILLAGE_COLOUR"), "{error}");

    let mut command = cli.command(&["migrate"]);
    command.env("MAILLAGE_BIND", "nowhere");
    let error = cli.fails(command, None);
    assert!(error.contains("MAILLAGE_BIND") || error.contains("bind"), "{error}");

    let mut command = cli.command(&["migrate"]);
    command.env("MAILLAGE_REGISTRATION", "sometimes");
    let error = cli.fails(command, None);
    assert!(error.contains("registration"), "{error}");

    let file = cli.dir.path().join("bad.toml");
    std::fs::write(&file, "colour = \"blue\"\n").unwrap();
    let error = cli.fails(cli.command(&["--config", file.to_str().unwrap(), "migrate"]), None);
    assert!(error.contains("colour"), "{error}");

    std::fs::write(&file, "[instance]\nnmae = \"Coop\"\n").unwrap();
    let error = cli.fails(cli.command(&["migrate", "--config", file.to_str().unwrap()]), None);
    assert!(error.contains("nmae"), "{error}");
    let mut command = cli.command(&["migrate"]);
    command.env("MAILLAGE_CONFIG", &file);
    let error = cli.fails(command, None);
    assert!(error.contains("nmae"), "MAILLAGE_CONFIG is read: {error}");

    let missing = cli.dir.path().join("missing.toml");
    let error = cli.fails(cli.command(&["--config", missing.to_str().unwrap(), "migrate"]), None);
    assert!(error.contains("missing.toml"), "{error}");

    // Nothing was created by the refused commands.
    assert!(!cli.dir.path().join("maillage.db").exists(), "a refused command opened the database");

    // A good file is used: its data directory is where the database goes.
    let data = TempDir::new("maillage-cli-data");
    let good = cli.dir.path().join("good.toml");
    std::fs::write(&good, format!("data_dir = {:?}\n[instance]\nname = \"Coop\"\n", data.path().display().to_string()))
        .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_maillage"));
    command.args(["--config", good.to_str().unwrap(), "migrate"]).env_clear();
    if let Some(pg) = &cli.pg {
        command.env("MAILLAGE_DATABASE_URL", &pg.url);
    }
    let output = cli.run_with(command, None);
    assert!(output.status.success(), "{}", show(&output));
    if cli.pg.is_none() {
        assert!(data.path().join("maillage.db").exists(), "the file's data_dir was not used");
    }
    cli.stop().await;
}

#[tokio::test]
async fn migrations_can_run_again() {
    let cli = Cli::new().await;
    cli.ok(&["migrate"], None);
    cli.ok(&["migrate"], None);
    assert!(cli.members().is_empty());
    cli.ok(&["admin", "create-member", "alice", "--password-stdin"], Some(PASSWORD));
    cli.ok(&["migrate"], None);
    assert_eq!(cli.members(), [member("alice", "member", "active")], "a migration lost data");
    cli.stop().await;
}

#[tokio::test]
async fn serve_answers_and_stops_on_sigterm() {
    let cli = Cli::new().await;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut command = cli.command(&["serve"]);
    command
        .env("MAILLAGE_BIND", format!("127.0.0.1:{port}"))
        .env("MAILLAGE_DOMAIN", format!("localhost:{port}"))
        .env("MAILLAGE_INSTANCE_NAME", "Recyclerie du Nord")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("starting maillage serve");
    let child_guard = KillOnDrop(child.id());

    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let page = loop {
        match client.get(format!("http://127.0.0.1:{port}/")).send().await {
            Ok(reply) => break reply.text().await.unwrap(),
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("maillage serve did not answer: {e}"),
        }
    };
    assert!(page.contains("Recyclerie du Nord"), "{page}");
    // It started itself again with two malloc arenas (src/main.rs), as the same process.
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        let environment = std::fs::read(format!("/proc/{}/environ", child.id())).expect("the server's environment");
        assert!(
            environment.split(|byte| *byte == 0).any(|variable| variable == b"MALLOC_ARENA_MAX=2"),
            "{}",
            String::from_utf8_lossy(&environment)
        );
    }

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "maillage serve did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    std::mem::forget(child_guard);
    assert!(exit.success(), "serve exited with {exit}");
    assert!(client.get(format!("http://127.0.0.1:{port}/")).send().await.is_err(), "still listening");
    cli.stop().await;
}

/// Kills the server process if the test fails before stopping it.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-KILL", &self.0.to_string()]).status();
    }
}
