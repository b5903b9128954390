//! Starting and stopping an instance.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::router::router;
use crate::state::AppState;
use crate::storage::Db;

/// A running instance. Dropping it leaves the server running until the process ends; call `stop`
/// to shut it down gracefully.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    /// Background tasks (the upkeep; federation's delivery worker and key generation; the
    /// database's maintenance), aborted on stop.
    background: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting connections, lets requests in flight finish, and closes the database.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        for task in self.background.drain(..) {
            task.abort();
        }
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        (&mut self.task).await.context("server task")?.context("server")?;
        self.state.db().close().await;
        Ok(())
    }

    /// Runs until the server stops by itself (it does not, short of an I/O failure) or `signal` fires.
    pub async fn run_until(mut self, signal: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        tokio::select! {
            result = &mut self.task => { result.context("server task")?.context("server")?; }
            () = signal => { tracing::info!("shutting down"); }
        }
        self.stop().await
    }
}

/// Opens the database, applies migrations, binds `config.bind` and serves.
pub async fn start(config: Config) -> anyhow::Result<RunningServer> {
    let listener = TcpListener::bind(config.bind).await.with_context(|| format!("binding {}", config.bind))?;
    start_on(config, listener).await
}

/// Like [`start`], on a listener the caller has bound (tests bind port 0 first to learn the port).
pub async fn start_on(config: Config, listener: TcpListener) -> anyhow::Result<RunningServer> {
    let db = Db::open(&config.effective_database_url(), &config.data_dir).await?;
    db.migrate().await?;
    serve(AppState::new(Arc::new(config), db), listener).await
}

/// Serves an already prepared state, and starts the background tasks: the upkeep (expired sessions,
/// rate limiters) and federation's.
pub async fn serve(state: AppState, listener: TcpListener) -> anyhow::Result<RunningServer> {
    let addr = listener.local_addr().context("listener address")?;
    let mut background = state.federator.start().await.context("starting federation")?;
    background.extend(crate::services::upkeep::start(&state.services, &state.limits));
    let (shutdown, on_shutdown) = oneshot::channel::<()>();
    // The peer's address is what the rate limits count, unless a trusted proxy forwards another.
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = on_shutdown.await;
            })
            .await
    });
    tracing::info!(%addr, url = %state.config().public_url(), "listening");
    Ok(RunningServer { addr, state, shutdown: Some(shutdown), task, background })
}
