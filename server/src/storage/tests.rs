//! The SQLite connection set-up under concurrency.

use super::*;
use crate::domain::ids::new_id;

/// A SQLite database in a directory of its own, removed afterwards (for the unit tests of any
/// module that needs a database).
pub(crate) struct TempSqlite {
    dir: std::path::PathBuf,
    pub(crate) db: Db,
}

impl TempSqlite {
    pub(crate) async fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("maillage-unit-test-{}", new_id()));
        let url = format!("sqlite://{}", dir.join("maillage.db").display());
        let db = Db::open(&url, &dir).await.expect("opening the database");
        Self { dir, db }
    }

    /// The directory the database is in: a data directory for the test's other files.
    pub(crate) fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// With the migrations applied.
    pub(crate) async fn migrated() -> Self {
        let temp = Self::new().await;
        temp.db.migrate().await.expect("migrating");
        temp
    }

    pub(crate) async fn close(self) {
        self.db.close().await;
    }
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn a_sqlite_database_is_in_wal_mode() {
    let t = TempSqlite::new().await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&t.db.pool).await.unwrap();
    assert_eq!(mode, "wal");
    t.db.close().await;
}

/// The pool opens connections when it needs more, while others write: opening one waits for the
/// writers and never fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_opened_while_others_write_do_not_fail() {
    let t = TempSqlite::new().await;
    sqlx::query("CREATE TABLE churn (id INTEGER PRIMARY KEY, task INTEGER NOT NULL)")
        .execute(&t.db.pool)
        .await
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..6_i64 {
        let db = t.db.clone();
        tasks.spawn(async move {
            for _ in 0..100 {
                // A connection of its own each time: taken out of the pool, the next is a new one.
                let mut conn = db.pool.acquire().await?.detach();
                sqlx::query("INSERT INTO churn (task) VALUES ($1)").bind(task).execute(&mut conn).await?;
                conn.close().await?;
            }
            Ok::<_, sqlx::Error>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("the task ran").expect("no connection failed");
    }
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM churn").fetch_one(&t.db.pool).await.unwrap();
    assert_eq!(rows, 600);
    t.db.close().await;
}
