//! Storage: one API, two backends (SQLite, the embedded default, and PostgreSQL), through sqlx's `Any`
//! driver and portable SQL. Dialect-specific SQL exists only where the dialects differ: the migrations
//! and full-text search (`search.rs`). See docs/ARCHITECTURE.md for the reasons.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor};

pub(crate) use columns::Columns;

pub mod collectives;
mod columns;
pub mod cooperative;
pub mod exchanges;
pub mod followers;
pub mod follows;
pub mod geocoded;
pub mod images;
pub mod keys;
pub mod listings;
pub mod media;
pub mod members;
mod migrate;
pub mod notifications;
pub mod outbox;
pub mod peers;
#[cfg(test)]
mod plans;
pub mod reader;
pub mod receptions;
pub mod remote_actors;
pub mod search;
pub mod sessions;
pub mod stats;
#[cfg(test)]
pub(crate) mod tests;

/// How often a running server refreshes SQLite's planner statistics (`services::upkeep`).
pub const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// A page size as the text of a `LIMIT`, rather than a bound parameter. SQLite plans with the
/// limit when it knows it, and so marks a statement whose `LIMIT` is a parameter to be compiled
/// again whenever a value is bound to it: every execution of a cached statement, 11 % of a
/// catalogue page's CPU. The limit is a number of ours (never text from a request), and pages have
/// one size or a few.
pub(crate) fn literal_limit(limit: i64) -> i64 {
    limit.max(0)
}

/// A connection of the pool, for storage calls that are not part of a transaction.
pub type PooledConn = PoolConnection<Any>;

/// Which backend a connection talks to (for the few statements whose dialects differ).
pub fn backend_of(conn: &AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("postgresql") { Backend::Postgres } else { Backend::Sqlite }
}

/// The database: a connection pool, which backend it talks to, and on SQLite the reader of the
/// hot reads (`reader.rs`).
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    reader: Option<Arc<reader::Reader>>,
}

impl Db {
    /// Connects to `url`. A SQLite file is created if missing (its directory must exist).
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).with_context(|| format!("unsupported database URL {url:?}"))?;
        let options = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&options).context("parsing the database URL")?;
        let pool = match backend {
            Backend::Sqlite => {
                // WAL is a property of the database file, kept once set: it is set here, once, on
                // a connection of its own before the pool opens any. Asking for it on every new
                // connection (as this code did) needs, when the mode is not known yet, a lock that
                // no busy timeout waits for: "database is locked", now and then, to whichever
                // request made the pool grow (sqlx leaves `journal_mode` alone for that reason).
                let mut first = AnyConnection::connect_with(&options).await.context("opening the SQLite database")?;
                first
                    .execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")
                    .await
                    .context("switching the SQLite database to WAL mode")?;
                first.close().await.context("closing the SQLite set-up connection")?;
                AnyPoolOptions::new()
                    // WAL lets readers run beside the one writer; a few connections are enough:
                    // the hot reads have their own (`reader.rs`). Each SQLite connection is a
                    // thread with its own page cache: eight left 55.4 MB resident after `maillage
                    // bench`, four 44.8 MB (docs/ARCHITECTURE.md), and those a busy moment opened
                    // are closed after a minute unused, so that memory goes back down.
                    .max_connections(4)
                    .min_connections(1)
                    .idle_timeout(Duration::from_secs(60))
                    .acquire_timeout(Duration::from_secs(10))
                    // A connection to a file does not drop: sqlx's ping before handing one out was a
                    // round trip to its worker thread on every acquisition (5 % of a member's page).
                    .test_before_acquire(false)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // "already exists, skipping" notices are not news.
                            conn.execute("SET client_min_messages = warning").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
            }
        }
        .with_context(|| format!("connecting to the {backend:?} database"))?;
        let reader = match backend {
            Backend::Sqlite => {
                let file = SqliteConnectOptions::from_str(url).context("parsing the database URL")?;
                let reader = reader::Reader::open(file.get_filename())
                    .with_context(|| format!("opening the SQLite reader of {}", file.get_filename().display()))?;
                Some(Arc::new(reader))
            }
            Backend::Postgres => None,
        };
        Ok(Self { pool, backend, reader })
    }

    /// Connects to the SQLite file in `data_dir` (created if missing) or to `url` when given.
    pub async fn open(url: &str, data_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        Self::connect(url).await
    }

    /// Starts a transaction that writes. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), waiting up to the busy timeout for another writer: a deferred transaction that
    /// reads first and writes later would instead fail at its first write ("database is locked")
    /// whenever another connection wrote in between, and no wait can fix that.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Applies the migrations not applied yet, then brings the query planner's statistics up to
    /// date ([`Db::optimize`]).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        migrate::run(self).await?;
        self.optimize().await.context("updating the query planner's statistics")
    }

    /// Keeps SQLite's query planner informed: without statistics it guesses, and for an outbox page
    /// it guessed a scan of every local listing. `ANALYZE` when the database has no statistics
    /// for the listings yet (a new database, or one from a version that never ran it), otherwise
    /// `PRAGMA optimize`, which analyses again, within a bounded effort, only the tables that have
    /// changed enough since. Run after migrations (at start-up), by the periodic work (`services::upkeep`), and
    /// after bulk inserts. On PostgreSQL, autovacuum keeps the statistics: nothing to do.
    pub async fn optimize(&self) -> Result<(), sqlx::Error> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let has_statistics: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'")
                .fetch_one(&self.pool)
                .await?;
        let analysed = has_statistics > 0
            && sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'listings'")
                .fetch_one(&self.pool)
                .await?
                > 0;
        let statement = if analysed { "PRAGMA optimize = 0x10002" } else { "ANALYZE" };
        let mut conn = self.pool.acquire().await?;
        sqlx::raw_sql(statement).execute(&mut *conn).await?;
        // The SQLite linked in is built with STAT4: `ANALYZE` also keeps samples of each index,
        // and a statement that compares an indexed column with a bound value is then prepared
        // again every time a value is bound, so that the samples can weigh it. On the catalogue
        // that was a tenth of the CPU and halved the throughput (641 against 1,123 pages/s in
        // `maillage bench`, p99 at 500/s 44 against 7 ms), for plans that the averages kept in
        // `sqlite_stat1` choose as well (`plans.rs` checks them). So the samples are dropped and
        // this connection reloads what is left (`ANALYZE sqlite_schema`); the pool's others do
        // when they next load the schema, or are replaced.
        let has_samples_table: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat4'")
                .fetch_one(&mut *conn)
                .await?;
        if has_samples_table > 0 {
            sqlx::raw_sql("DELETE FROM sqlite_stat4; ANALYZE sqlite_schema").execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// A connection of the pool, to run storage functions on outside a transaction. Every storage
    /// function takes the connection it runs on, `&mut AnyConnection`: this one (`&mut
    /// db.conn().await?`) or a transaction (`&mut tx`), so that any of them can be part of a
    /// transaction that its caller opened.
    pub async fn conn(&self) -> Result<PooledConn, sqlx::Error> {
        self.pool.acquire().await
    }

    /// The SQLite reader, on SQLite: the hot reads run on it rather than on the pool.
    pub fn reader(&self) -> Option<&reader::Reader> {
        self.reader.as_deref()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A text column read as the domain type `parse` makes of it (a state, an id): a value `parse`
/// refuses is an error, never a default.
pub(crate) fn parsed<T>(row: &impl Columns, column: &str, parse: fn(&str) -> Option<T>) -> Result<T, sqlx::Error> {
    let text = row.text(column)?;
    parse(&text).ok_or_else(|| sqlx::Error::Decode(format!("{column}: unexpected value {text:?}").into()))
}

/// A nullable floating-point value to bind, as text that the SQL casts back with
/// `CAST($n AS DOUBLE PRECISION)`.
///
/// Why: sqlx 0.9's `Any` driver sends a NULL `f64` to PostgreSQL as a NULL `float4`
/// (`AnyArguments::convert_into`, `Null(Double)` → `Option<f32>`), and the prepared statement it caches
/// then rejects a later non-NULL `f64` with "incorrect binary data format". Text NULLs are typed
/// correctly, and Rust prints an `f64` so that it parses back to the same value.
pub fn nullable_real(value: Option<f64>) -> Option<String> {
    value.map(|v| v.to_string())
}

/// Whether a database error is a unique-constraint violation (to map it to a domain error where the
/// query is, rather than a 500).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|code| code == "23505" || code == "2067" || code == "1555")
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}
