//! `maillage`: run a cooperative's instance, and administer it from the command line.

mod bench;
mod demo;

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use maillage_server::Config;
use maillage_server::domain::member::{Member, Role};
use maillage_server::error::AppError;
use maillage_server::i18n::{Lang, render};
use maillage_server::services::accounts::{self, Origin, Registration};
use maillage_server::storage::Db;

#[derive(Parser)]
#[command(name = "maillage", version, about = "Maillage: a federated network of cooperative platforms")]
struct Cli {
    /// Configuration file (TOML); the environment variable MAILLAGE_CONFIG does the same.
    #[arg(long, global = true, env = "MAILLAGE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the instance (applies pending migrations first).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Administer members.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Run three sample cooperatives (lending, bike repair, solidarity grocery) on localhost.
    Demo(demo::DemoArgs),
    /// Measure performance: seed a large catalogue, load a server, print latencies, throughput and memory.
    Bench(bench::BenchArgs),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an active member; the password is read from standard input.
    CreateMember {
        username: String,
        /// Make the member an administrator.
        #[arg(long)]
        admin: bool,
        /// The member is an organisation (company, association) rather than a person.
        #[arg(long)]
        organisation: bool,
        /// Name shown to others (defaults to the username).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Let in a member waiting for approval.
    ApproveMember { username: String },
    /// Make a member an administrator.
    Promote { username: String },
    /// Make an administrator or moderator a plain member again.
    Demote { username: String },
    /// Disable a member: they can no longer log in, and their sessions end.
    Disable { username: String },
    /// Re-enable a disabled member.
    Enable { username: String },
    /// Set a new password, read from standard input.
    ResetPassword {
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List members with their role and status.
    ListMembers,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Serve | Command::Demo(_)) {
        with_fewer_malloc_arenas();
    }
    let config = match Config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("maillage: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    // The demo is a newcomer's first command: its own summary (addresses, accounts) should not
    // scroll away under a hundred lines of seeding logs. MAILLAGE_LOG still decides when set.
    let log = match cli.command {
        Command::Demo(_) if std::env::var_os("MAILLAGE_LOG").is_none() => "warn",
        _ => config.log.as_str(),
    };
    init_tracing(log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("maillage: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("maillage: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_tracing(filter: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let shutdown = shutdown_signal();
            let server = maillage_server::start(config).await?;
            server.run_until(shutdown).await
        }
        Command::Migrate => {
            let db = open_db(&config).await?;
            db.close().await;
            eprintln!("maillage: database is up to date");
            Ok(())
        }
        Command::Demo(args) => demo::run(args, shutdown_signal()).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Admin(command) => {
            let db = open_db(&config).await?;
            let result = admin(&db, command).await;
            db.close().await;
            result
        }
    }
}

async fn open_db(config: &Config) -> anyhow::Result<Db> {
    let db = Db::open(&config.effective_database_url(), &config.data_dir).await?;
    db.migrate().await?;
    Ok(db)
}

async fn admin(db: &Db, command: AdminCommand) -> anyhow::Result<()> {
    let member = match command {
        AdminCommand::CreateMember { username, admin, organisation, display_name, password_stdin: _ } => {
            let password = read_password()?;
            let registration = Registration {
                display_name: display_name.unwrap_or_default(),
                kind: if organisation { "organisation" } else { "person" }.to_owned(),
                username,
                password,
                description: String::new(),
            };
            let role = if admin { Role::Admin } else { Role::Member };
            accounts::register(db, &registration, Origin::ByAdmin { role }).await.map_err(explain)?
        }
        AdminCommand::ApproveMember { username } => accounts::approve(db, &username).await.map_err(explain)?,
        AdminCommand::Promote { username } => accounts::set_role(db, &username, Role::Admin).await.map_err(explain)?,
        AdminCommand::Demote { username } => accounts::set_role(db, &username, Role::Member).await.map_err(explain)?,
        AdminCommand::Disable { username } => accounts::disable(db, &username).await.map_err(explain)?,
        AdminCommand::Enable { username } => accounts::enable(db, &username).await.map_err(explain)?,
        AdminCommand::ResetPassword { username, password_stdin: _ } => {
            let password = read_password()?;
            accounts::reset_password(db, &username, &password).await.map_err(explain)?;
            println!("password of {username} changed; their sessions were closed");
            return Ok(());
        }
        AdminCommand::ListMembers => {
            for member in accounts::all(db, 100_000).await.map_err(explain)? {
                print_member(&member);
            }
            return Ok(());
        }
    };
    print_member(&member);
    Ok(())
}

fn print_member(member: &Member) {
    println!("{}\t{}\t{}\t{}\t{}", member.username, member.kind, member.role, member.status, member.display_name);
}

/// The password from standard input, without its final line break.
fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password).context("reading the password from standard input")?;
    let password = password.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(&password);
    Ok(password.to_owned())
}

/// An error as an administrator reads it, field by field, in English.
fn explain(error: AppError) -> anyhow::Error {
    let mut text = render(Lang::En, &error.message);
    for field in &error.fields {
        text.push_str(&format!("\n  {}: {}", field.field, render(Lang::En, &field.message)));
    }
    anyhow::anyhow!(text)
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled: a signal that arrives while the server is still starting is not lost (and
/// does not kill the process the default way).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {},
                        _ = terminate.recv() => {},
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Restarts this process with `MALLOC_ARENA_MAX=2`, unless the variable is set already (to any
/// value: the operator's choice stands). glibc's allocator gives each thread that finds the others'
/// arenas busy an arena of its own, up to eight per core, and each keeps the memory it was given
/// back: a server's runtime, database and blocking threads end up holding several. Two arenas
/// measured 65.0 -> 55.4 MB resident after `maillage bench` (docs/ARCHITECTURE.md, "Performance"),
/// at no cost in throughput. glibc reads the variable only when a process starts, and setting it
/// from the program needs `unsafe` code, which this workspace forbids: hence starting again, once
/// (a few milliseconds). If that fails, the server starts as it is, saying so.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn with_fewer_malloc_arenas() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(name) = args.next() {
        command.arg0(name);
    }
    // `exec` returns only when it failed.
    let error = command.args(args).env("MALLOC_ARENA_MAX", "2").exec();
    eprintln!("maillage: could not start again with MALLOC_ARENA_MAX=2 ({error}); going on with glibc's default");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn with_fewer_malloc_arenas() {}
