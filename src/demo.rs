//! `maillage demo`: three sample cooperatives of the Lille area, each a real instance with its own
//! SQLite database, served by one process on `localhost`. The data comes from
//! `maillage_server::sample`; the configuration is built here, whatever `MAILLAGE_*` says.

use std::future::Future;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use maillage_server::app::{RunningServer, serve};
use maillage_server::domain::ids::new_id;
use maillage_server::sample::{self, DEMO_PASSWORD, PROFILES, Profile, SeedReport};
use maillage_server::services::{Services, peering};
use maillage_server::state::AppState;
use maillage_server::storage::Db;
use tokio::net::TcpListener;

const DEFAULT_BASE_PORT: u16 = 8081;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Directory for the instances' data, one sub-directory each; run again with the same directory
    /// to find the data as you left it. Default: a new temporary directory, kept after exit.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Port of the first instance; the two others take the next two ports. All listen on 127.0.0.1.
    #[arg(
        long,
        value_name = "PORT",
        default_value_t = DEFAULT_BASE_PORT,
        value_parser = clap::value_parser!(u16).range(1..=65533),
    )]
    base_port: u16,
}

/// One instance of the demo once started.
struct Started {
    profile: &'static Profile,
    server: RunningServer,
    report: SeedReport,
}

/// Starts the three instances (seeding their databases the first time), prints how to reach them,
/// and serves until `shutdown` completes; then stops them gracefully.
pub async fn run(args: DemoArgs, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    // Polled from the start, so that Ctrl-C or SIGTERM during start-up stops the demo cleanly.
    let mut shutdown = std::pin::pin!(shutdown);
    // Bind every port first, so that a port in use stops the demo before anything is written.
    let mut listeners = Vec::new();
    for offset in 0..PROFILES.len() {
        listeners.push(bind(args.base_port + offset as u16).await?);
    }
    let data_root = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => new_temporary_directory()?,
    };
    let data_root = std::path::absolute(&data_root).unwrap_or(data_root);

    let mut started = Vec::new();
    for (profile, listener) in PROFILES.iter().zip(listeners) {
        match start(profile, &data_root, listener).await {
            Ok(instance) => started.push(instance),
            Err(error) => {
                stop(started).await.ok();
                return Err(error);
            }
        }
    }
    // The addresses and logins first: the instances already answer while they peer.
    say(&banner(&started, &data_root, args.base_port));
    let peered = tokio::select! {
        peered = peer_with_each_other(&started) => Some(peered),
        () = &mut shutdown => None,
    };
    if let Some(peered) = peered {
        say(if peered {
            "Les trois instances sont appairées. / The three instances are peered.\n"
        } else {
            "Les instances ne sont pas toutes appairées : voir /admin/peers. / Not every pair of instances is peered: see /admin/peers.\n"
        });
        // The sample exchanges, then serve until stopped (a stop during them stops at once).
        let stopped = if peered {
            tokio::select! {
                made = seed_exchanges(&started) => {
                    match made {
                        Ok(0) => {}
                        Ok(made) => say(&format!(
                            "{made} échanges d'exemple, dans tous leurs états : « Mes échanges ». / {made} sample exchanges, in every state: « My exchanges ».\n"
                        )),
                        Err(error) => say(&format!("échanges d'exemple / sample exchanges: {error:#}\n")),
                    }
                    match seed_collectives(&started).await {
                        Ok(0) => {}
                        Ok(_) => say(
                            "Collectifs d'exemple : les réparateurs vélo de la MEL (sur trois instances) et un groupe privé. / Sample collectives: the MEL's bike repairers (across three instances) and a private group.\n",
                        ),
                        Err(error) => say(&format!("collectifs d'exemple / sample collectives: {error:#}\n")),
                    }
                    false
                }
                () = &mut shutdown => true,
            }
        } else {
            false
        };
        if !stopped {
            shutdown.await;
        }
    }
    say("Arrêt des trois instances… / Stopping the three instances…\n");
    stop(started).await?;
    say(&format!("Arrêtées. Les données restent dans / Stopped. The data stays in {}\n", data_root.display()));
    Ok(())
}

/// Prints to standard output. The instances keep running when nobody reads it any more (a closed
/// pipe), where `print!` would panic.
fn say(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}

async fn bind(port: u16) -> anyhow::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await.map_err(|error| {
        let hint = format!(
            "choisissez d'autres ports avec --base-port / choose other ports with --base-port (e.g. `{} demo \
             --base-port {}`)",
            invocation(),
            if port >= 20000 { 9081 } else { 20081 }
        );
        if error.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!(
                "le port {port} est déjà utilisé / port {port} is already in use (127.0.0.1:{port}); {hint}"
            )
        } else {
            anyhow::anyhow!("impossible d'écouter sur / cannot listen on 127.0.0.1:{port}: {error}; {hint}")
        }
    })
}

fn new_temporary_directory() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("maillage-demo-{}", &new_id()[..12]));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

async fn start(profile: &'static Profile, data_root: &Path, listener: TcpListener) -> anyhow::Result<Started> {
    let port = listener.local_addr().context("listener address")?.port();
    let config = profile.config(data_root, port);
    let db = Db::open(&config.effective_database_url(), &config.data_dir)
        .await
        .with_context(|| format!("opening the database of {}", profile.name))?;
    let seeded = async {
        db.migrate().await?;
        sample::seed(&Services::new(Arc::new(config.clone()), db.clone()), profile).await
    }
    .await;
    let report = match seeded {
        Ok(report) => report,
        Err(error) => {
            db.close().await;
            return Err(error.context(format!(
                "preparing the data of {} in {}",
                profile.name,
                config.data_dir.display()
            )));
        }
    };
    let server = serve(AppState::new(Arc::new(config), db), listener).await?;
    Ok(Started { profile, server, report })
}

/// Each instance asks the ones after it to peer (the demo's policy is `open`, and peering is mutual),
/// then waits (20 s at most) until every pair is peered; returns whether they all are.
async fn peer_with_each_other(started: &[Started]) -> bool {
    // A demo run again on other ports: the instances' former addresses are gone for good.
    let domains: Vec<String> = started.iter().map(|s| s.server.state.config().domain.clone()).collect();
    for instance in started {
        for peer in peering::peers(&instance.server.state.services).await.unwrap_or_default() {
            if !domains.contains(&peer.peer.domain) {
                let _ = peering::forget(&instance.server.state.services, &peer.peer.domain).await;
            }
        }
    }
    for (i, asking) in started.iter().enumerate() {
        for other in &started[i + 1..] {
            let domain = other.server.state.config().domain.clone();
            if let Err(error) = peering::request(&asking.server.state.services, &domain).await {
                say(&format!("peering {} → {domain}: {error:?}\n", asking.server.state.config().domain));
            }
        }
    }
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        let mut all = true;
        for instance in started {
            let peers = peering::peers(&instance.server.state.services).await.unwrap_or_default();
            let peered = peers.iter().filter(|p| p.state == maillage_server::services::federation::PeerState::Peered);
            all &= peered.count() + 1 >= started.len();
        }
        if all {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// The sample exchanges between the members of the three instances (made once, on fresh data).
async fn seed_exchanges(started: &[Started]) -> anyhow::Result<usize> {
    let instances: Vec<sample::exchanges::Instance<'_>> = started
        .iter()
        .map(|s| sample::exchanges::Instance { services: &s.server.state.services, profile: s.profile })
        .collect();
    sample::exchanges::seed(&instances).await
}

/// The sample collectives, with members on the three instances (made once, on fresh data).
async fn seed_collectives(started: &[Started]) -> anyhow::Result<usize> {
    let instances: Vec<sample::exchanges::Instance<'_>> = started
        .iter()
        .map(|s| sample::exchanges::Instance { services: &s.server.state.services, profile: s.profile })
        .collect();
    sample::collectives::seed(&instances).await
}

/// Stops every instance, even when one fails to stop; returns the first failure.
async fn stop(started: Vec<Started>) -> anyhow::Result<()> {
    let mut result = Ok(());
    for instance in started {
        let stopped = instance.server.stop().await.with_context(|| format!("stopping {}", instance.profile.name));
        if result.is_ok() {
            result = stopped;
        }
    }
    result
}

/// What the demo prints once the three instances answer, in French and English.
fn banner(started: &[Started], data_root: &Path, base_port: u16) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(String::new());
    line("Maillage — démonstration / demo".to_owned());
    line(String::new());
    line(
        "Trois instances indépendantes tournent sur cette machine, chacune avec sa propre base de données ; \
         elles sont appairées (fédération ActivityPub) : chaque catalogue montre aussi les annonces des deux autres."
            .to_owned(),
    );
    line(
        "Three independent instances are running on this machine, each with its own database; \
         they are peered (ActivityPub federation): each catalogue also shows the other two's listings."
            .to_owned(),
    );
    line(String::new());
    for (n, instance) in started.iter().enumerate() {
        let profile = instance.profile;
        line(format!("{}. {}", n + 1, profile.name));
        line(format!("   {}", instance.server.state.config().public_url()));
        line(format!("   admin : {}", profile.admin.username));
        if let Some(member) = profile.members.first() {
            line(format!("   membre / member : {}", member.username));
        }
        line(format!("   {}", seeding_summary(&instance.report)));
        line(String::new());
    }
    line(format!("Mot de passe de tous les comptes / password of every account: {DEMO_PASSWORD}"));
    line(String::new());
    line(format!("Données / data: {} (conservées après l'arrêt / kept after exit)", data_root.display()));
    let port = if base_port == DEFAULT_BASE_PORT { String::new() } else { format!(" --base-port {base_port}") };
    let dir = shell_word(&data_root.display().to_string());
    line("Relancer avec les mêmes données / run again with the same data:".to_owned());
    line(format!("   {} demo --data-dir {dir}{port}", invocation()));
    line("Supprimer ces données, une fois la démo arrêtée / remove this data, once the demo is stopped:".to_owned());
    line(format!("   rm -rf {dir}"));
    line(String::new());
    line("Ctrl-C pour arrêter / Ctrl-C to stop.".to_owned());
    out
}

/// The command that runs this program again, as it was started: through `cargo run` (which sets
/// `CARGO` for the program it runs: `maillage` is then not on the `PATH`), or by its own path.
fn invocation() -> String {
    if std::env::var_os("CARGO").is_some() {
        return if cfg!(debug_assertions) { "cargo run --" } else { "cargo run --release --" }.to_owned();
    }
    match std::env::current_exe() {
        Ok(exe) => shell_word(&exe.display().to_string()),
        Err(_) => "maillage".to_owned(),
    }
}

/// `text` as one word of a POSIX shell command: as it is when nothing in it is special, else quoted.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn seeding_summary(report: &SeedReport) -> String {
    if report.already_seeded {
        "données existantes réutilisées / existing data reused".to_owned()
    } else {
        format!(
            "données d'exemple créées / sample data created: {} membres / members, {} annonces / listings",
            report.members_created, report.listings_created
        )
    }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn a_path_is_one_shell_word() {
        assert_eq!(shell_word("/tmp/maillage-demo-0a1b"), "/tmp/maillage-demo-0a1b");
        assert_eq!(shell_word("/home/léa/ma démo"), "'/home/léa/ma démo'");
        assert_eq!(shell_word("/tmp/l'atelier"), r"'/tmp/l'\''atelier'");
        assert_eq!(shell_word(""), "''");
    }
}
