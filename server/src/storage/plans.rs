//! Query plans on a catalogue of some size, with the statistics that `Db::optimize` leaves: the
//! requests anyone can make without an account (outbox pages, NodeInfo's count) read their indexes,
//! never every listing. SQLite (`EXPLAIN QUERY PLAN`); PostgreSQL's plans are measured by the bench.

use sqlx::AssertSqlSafe;

use super::tests::TempSqlite;

/// Listings of the catalogue below: peers' (a fifth), a member's who publishes a lot and one's who
/// publishes little (`m2`, whose outbox is read), of every visibility, a quarter closed.
const LISTINGS: i64 = 6_000;

/// A migrated database (so analysed while empty), then filled, then optimized as after an import.
async fn catalogue() -> TempSqlite {
    let t = TempSqlite::migrated().await;
    let sql = format!(
        "INSERT INTO members (id, username, kind, display_name, password_hash, status, created_at, updated_at) \
         VALUES ('m1', 'alice', 'person', 'Alice', 'x', 'active', 0, 0), \
                ('m2', 'bruno', 'person', 'Bruno', 'x', 'active', 0, 0); \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {LISTINGS}) \
         INSERT INTO listings (id, member_id, purpose, mode, category, title, description, unit, status, \
             visibility, search_text, created_at, updated_at, origin, ap_id, remote_author) \
         SELECT printf('%032x', i), CASE WHEN i % 5 = 0 THEN NULL WHEN i % 29 = 0 THEN 'm2' ELSE 'm1' END, \
             'offer', 'lend', CASE i % 3 WHEN 0 THEN 'objects-tools' WHEN 1 THEN 'materials' ELSE 'materials-wood' END, \
             'Escabeau ' || i, 'Un escabeau', 'piece', \
             CASE WHEN i % 4 = 0 THEN 'closed' ELSE 'active' END, \
             CASE i % 10 WHEN 1 THEN 'peers' WHEN 2 THEN 'instance' ELSE 'public' END, \
             'escabeau ' || i, i, i, \
             CASE WHEN i % 5 = 0 THEN 'peer.example' END, \
             CASE WHEN i % 5 = 0 THEN 'https://peer.example/listings/' || i END, \
             CASE WHEN i % 5 = 0 THEN 'https://peer.example/members/p' END \
         FROM n;"
    );
    sqlx::raw_sql(AssertSqlSafe(sql)).execute(&t.db.pool).await.expect("filling the catalogue");
    t.db.optimize().await.expect("optimizing");
    t
}

/// The plan of `sql`, one line per step, with `binds` as its parameters, as the reader (which runs
/// these statements) plans it: without looking at the values (`reader.rs`).
fn plan(t: &TempSqlite, sql: &str, binds: &[&str]) -> String {
    let reader = t.db.reader().expect("a SQLite database has a reader");
    let binds: Vec<rusqlite::types::Value> =
        binds.iter().map(|v| rusqlite::types::Value::Text(v.to_string())).collect();
    let rows = reader
        .read(|conn| {
            super::reader::query(conn, &format!("EXPLAIN QUERY PLAN {sql}"), &binds, |row| {
                super::Columns::text(row, "detail")
            })
        })
        .expect("explaining");
    rows.join("\n")
}

/// Whether a plan reads the whole listings table or a whole index of it rather than a range.
fn scans_listings(plan: &str) -> bool {
    plan.lines().any(|line| line.starts_with("SCAN l") || line.starts_with("SCAN listings"))
}

#[tokio::test]
async fn optimize_records_the_size_of_a_table_that_grew_since_it_was_analysed() {
    let t = catalogue().await;
    let stat: String =
        sqlx::query_scalar("SELECT stat FROM sqlite_stat1 WHERE tbl = 'listings' AND idx = 'listings_origin'")
            .fetch_one(&t.db.pool)
            .await
            .expect("statistics for the listings");
    let rows: i64 = stat.split(' ').next().and_then(|n| n.parse().ok()).expect("a row count");
    assert!(rows > 1_000, "the statistics still say {stat:?} after {LISTINGS} listings were added");
    // Without samples of the indexes: a statement with bound values is not prepared again at
    // every execution to weigh them (see `Db::optimize`).
    let samples: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_stat4").fetch_one(&t.db.pool).await.expect("the samples");
    assert_eq!(samples, 0, "ANALYZE's samples are kept");
    t.close().await;
}

#[tokio::test]
async fn outbox_pages_read_a_range_of_their_index() {
    let t = catalogue().await;
    for (member, with_peers, index) in
        [(false, false, "listings_outbox"), (false, true, "listings_outbox"), (true, false, "listings_outbox_member")]
    {
        let sql = super::listings::outbox_sql(member, with_peers, 51);
        let binds: &[&str] = if member { &["3000", "m2"] } else { &["3000"] };
        let plan = plan(&t, &sql, binds);
        let range = if member { "member_id=? AND visibility=? AND seq<?" } else { "visibility=? AND seq<?" };
        assert!(plan.contains(&format!("INDEX {index} ({range})")), "member {member}, peers {with_peers}:\n{plan}");
        assert!(!scans_listings(&plan), "member {member}, peers {with_peers}:\n{plan}");
    }
    t.close().await;
}

#[tokio::test]
async fn nodeinfo_counts_public_listings_from_the_outbox_index() {
    let t = catalogue().await;
    let plan = plan(&t, super::stats::LOCAL_POSTS, &[]);
    assert!(plan.contains("INDEX listings_outbox (visibility=?)"), "{plan}");
    assert!(!scans_listings(&plan), "{plan}");
    t.close().await;
}

#[tokio::test]
async fn a_category_page_reads_the_newest_of_each_category_it_asks_for() {
    use crate::domain::category;
    use crate::domain::listing::{ListingStatus, Visibility};
    use crate::storage::search::{CatalogueQuery, Scope, Sort, statements};

    let t = catalogue().await;
    let query = |categories: Vec<&'static str>, member: Option<&str>| CatalogueQuery {
        terms: Vec::new(),
        purpose: None,
        mode: None,
        categories,
        near: None,
        radius_km: None,
        sort: Sort::Newest,
        scope: Scope::All,
        member_id: member.and_then(crate::domain::ids::MemberId::parse),
        statuses: vec![ListingStatus::Active, ListingStatus::Reserved],
        visibilities: vec![Visibility::Public],
        collectives: Vec::new(),
        offset: 0,
        limit: 50,
    };
    // One category: its index in the catalogue's order, read until the page is full.
    let one = statements(&query(vec!["materials-wood"], None), super::Backend::Sqlite).sql;
    let plan = plan(&t, &one, &["0"]);
    assert!(plan.contains("INDEX listings_category (category=?)"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "every listing of the category sorted:\n{plan}");
    // A category and its sub-categories (here two thirds of the listings): read in the catalogue's
    // order until the page is full, from the category index or the table itself, never all of them
    // sorted. (Checked on a connection that still held the statistics of the empty table, the
    // plan merged the category index's ranges; with the real statistics, as the reader loads
    // them, walking the newest listings is cheaper, and chosen.)
    let parent = statements(&query(category::with_children("materials"), None), super::Backend::Sqlite).sql;
    let plan = self::plan(&t, &parent, &["0"]);
    assert!(!plan.contains("TEMP B-TREE"), "every listing of the categories sorted:\n{plan}");
    t.close().await;
}

#[tokio::test]
async fn a_page_of_listings_reads_their_photos_from_one_index_in_their_order() {
    let t = catalogue().await;
    let sql = super::images::photos_sql(50);
    let ids: Vec<String> = (1..=50).map(|i| format!("{i:032x}")).collect();
    let binds: Vec<&str> = ids.iter().map(String::as_str).collect();
    let plan = plan(&t, &sql, &binds);
    assert!(plan.contains("COVERING INDEX listing_photos_order (listing_id=?)"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "the photos sorted:\n{plan}");
    t.close().await;
}
