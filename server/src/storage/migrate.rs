//! Schema migrations, embedded in the binary: `migrations/sqlite/` and `migrations/postgres/` hold the
//! same schema in each dialect, one numbered file per step.

use anyhow::Context;
use sqlx::Row;

use super::{Backend, Db};
use crate::domain::ids::now_ms;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sqlite: include_str!("../../../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../../../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "federation",
        sqlite: include_str!("../../../migrations/sqlite/0002_federation.sql"),
        postgres: include_str!("../../../migrations/postgres/0002_federation.sql"),
    },
    Migration {
        version: 3,
        name: "collections_and_search",
        sqlite: include_str!("../../../migrations/sqlite/0003_collections_and_search.sql"),
        postgres: include_str!("../../../migrations/postgres/0003_collections_and_search.sql"),
    },
    Migration {
        version: 4,
        name: "delivery_attempts",
        sqlite: include_str!("../../../migrations/sqlite/0004_delivery_attempts.sql"),
        postgres: include_str!("../../../migrations/postgres/0004_delivery_attempts.sql"),
    },
    Migration {
        version: 5,
        name: "search_index_without_pending_list",
        sqlite: include_str!("../../../migrations/sqlite/0005_search_index_without_pending_list.sql"),
        postgres: include_str!("../../../migrations/postgres/0005_search_index_without_pending_list.sql"),
    },
    Migration {
        version: 6,
        name: "prices_and_units",
        sqlite: include_str!("../../../migrations/sqlite/0006_prices_and_units.sql"),
        postgres: include_str!("../../../migrations/postgres/0006_prices_and_units.sql"),
    },
    Migration {
        version: 7,
        name: "photos",
        sqlite: include_str!("../../../migrations/sqlite/0007_photos.sql"),
        postgres: include_str!("../../../migrations/postgres/0007_photos.sql"),
    },
    Migration {
        version: 8,
        name: "avatars_and_logo",
        sqlite: include_str!("../../../migrations/sqlite/0008_avatars_and_logo.sql"),
        postgres: include_str!("../../../migrations/postgres/0008_avatars_and_logo.sql"),
    },
    Migration {
        version: 9,
        name: "cooperative_presentation",
        sqlite: include_str!("../../../migrations/sqlite/0009_cooperative_presentation.sql"),
        postgres: include_str!("../../../migrations/postgres/0009_cooperative_presentation.sql"),
    },
    Migration {
        version: 10,
        name: "geocoded_places",
        sqlite: include_str!("../../../migrations/sqlite/0010_geocoded_places.sql"),
        postgres: include_str!("../../../migrations/postgres/0010_geocoded_places.sql"),
    },
    Migration {
        version: 11,
        name: "exchanges",
        sqlite: include_str!("../../../migrations/sqlite/0011_exchanges.sql"),
        postgres: include_str!("../../../migrations/postgres/0011_exchanges.sql"),
    },
    Migration {
        version: 12,
        name: "notifications",
        sqlite: include_str!("../../../migrations/sqlite/0012_notifications.sql"),
        postgres: include_str!("../../../migrations/postgres/0012_notifications.sql"),
    },
    Migration {
        version: 13,
        name: "collectives",
        sqlite: include_str!("../../../migrations/sqlite/0013_collectives.sql"),
        postgres: include_str!("../../../migrations/postgres/0013_collectives.sql"),
    },
    Migration {
        version: 14,
        name: "collective_listings",
        sqlite: include_str!("../../../migrations/sqlite/0014_collective_listings.sql"),
        postgres: include_str!("../../../migrations/postgres/0014_collective_listings.sql"),
    },
    Migration {
        version: 15,
        name: "catalogue_order",
        sqlite: include_str!("../../../migrations/sqlite/0015_catalogue_order.sql"),
        postgres: include_str!("../../../migrations/postgres/0015_catalogue_order.sql"),
    },
    Migration {
        version: 16,
        name: "photos_in_order",
        sqlite: include_str!("../../../migrations/sqlite/0016_photos_in_order.sql"),
        postgres: include_str!("../../../migrations/postgres/0016_photos_in_order.sql"),
    },
];

pub async fn run(db: &Db) -> anyhow::Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&db.pool)
    .await
    .context("creating schema_migrations")?;
    for migration in MIGRATIONS {
        let mut tx = db.begin_write().await.context("starting a migration")?;
        if db.backend == Backend::Postgres {
            // Two instances starting at once on one database: the second waits for the first.
            sqlx::query("SELECT pg_advisory_xact_lock(7243100)").execute(&mut *tx).await?;
        }
        let applied: i64 = sqlx::query("SELECT COUNT(*) AS n FROM schema_migrations WHERE version = $1")
            .bind(migration.version)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if applied > 0 {
            continue;
        }
        let sql = match db.backend {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("applying migration {} ({})", migration.version, migration.name))?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await.context("committing a migration")?;
        tracing::info!(migration.version = migration.version, migration.name = migration.name, "migration applied");
    }
    Ok(())
}
