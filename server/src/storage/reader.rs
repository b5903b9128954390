//! The SQLite reader: connections of its own for the hot reads (the catalogue and its searches, the
//! front page, outbox pages), run on the request's own thread.
//!
//! Why: through sqlx, each statement goes to its connection's worker thread and back, and every
//! value of every row is copied into the `Any` driver's generic values before it is read; on the
//! catalogue page those two were about half of the CPU time (docs/ARCHITECTURE.md, "Reads on the
//! request's thread"). A read of pages SQLite holds in memory is a fraction of a millisecond of
//! CPU: run where the request runs, it needs no hand-off, and its rows are read straight into the
//! domain's types (`Columns`).
//!
//! What keeps it safe: the connections are `query_only` (a write through them is an error), WAL
//! lets them read beside the one writer, each statement reads one consistent snapshot, and a
//! statement never waits on anything but SQLite itself (no `.await` inside [`Reader::read`]).
//! Writes, and reads that belong to a transaction, keep going through sqlx.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, Row};

/// Connections kept open between reads. A read holds one for as long as it runs on a thread, so
/// as many are busy at once as threads run reads (the runtime's workers); more are closed.
const MAX_IDLE: usize = 8;

/// Prepared statements kept per connection: the catalogue's filters make a few dozen shapes.
const STATEMENTS_CACHED: usize = 64;

pub struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Reader {
    /// Opens the reader of the SQLite database file at `path` (which the writer has created and set
    /// to WAL), with one connection ready.
    pub fn open(path: &Path) -> Result<Self, sqlx::Error> {
        let first = connect(path)?;
        Ok(Self { path: path.to_owned(), idle: Mutex::new(vec![first]) })
    }

    /// Runs `work` on one of the reader's connections, on this thread.
    pub fn read<T>(&self, work: impl FnOnce(&Connection) -> Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => connect(&self.path)?,
        };
        let result = work(&conn);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(conn);
        }
        result
    }
}

fn connect(path: &Path) -> Result<Connection, sqlx::Error> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(error)?;
    conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;").map_err(error)?;
    conn.set_prepared_statement_cache_capacity(STATEMENTS_CACHED);
    Ok(conn)
}

/// Runs `sql`, whose parameters are numbered `$1` to `$N` as the portable SQL writes them, with
/// `params` (the first is `$1`), and maps each row.
pub fn query<T>(
    conn: &Connection,
    sql: &str,
    params: &[Value],
    mut map: impl FnMut(&ReadRow<'_, '_>) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, sqlx::Error> {
    let mut statement = conn.prepare_cached(sql).map_err(error)?;
    // Columns are found by name once per statement, not once per value: rusqlite's lookup by name
    // asks SQLite for every column's name in turn (9 % of a member's page).
    let names: Vec<String> = statement.column_names().into_iter().map(str::to_owned).collect();
    // SQLite reads `$3` as a parameter named "$3" and numbers parameters in the order they first
    // appear: the number in the name is not the index. A value the statement does not use is left
    // out (as sqlx does: the catalogue binds a point that only its sort may use); a parameter with
    // no value is an error, never a silent NULL.
    for index in 1..=statement.parameter_count() {
        let value = statement
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|number| number.parse::<usize>().ok())
            .and_then(|number| params.get(number.checked_sub(1)?))
            .ok_or_else(|| sqlx::Error::Protocol(format!("no value for parameter {index} of: {sql}")))?;
        statement.raw_bind_parameter(index, value).map_err(error)?;
    }
    let mut rows = statement.raw_query();
    let mut mapped = Vec::new();
    while let Some(row) = rows.next().map_err(error)? {
        mapped.push(map(&ReadRow { row, names: &names, next: Cell::new(0) })?);
    }
    Ok(mapped)
}

/// A row of the reader, with its statement's column names.
pub struct ReadRow<'a, 's> {
    pub(super) row: &'a Row<'s>,
    names: &'a [String],
    /// The column after the one last read: mappings read columns in the order the statement
    /// selects them, so that one is looked at first (comparing a name with every column's,
    /// thirty columns a listing, was 4 % of a catalogue page).
    next: Cell<usize>,
}

impl ReadRow<'_, '_> {
    /// The index of `column` (an exact name: ours are written in lower case).
    pub(super) fn index(&self, column: &str) -> Result<usize, sqlx::Error> {
        let next = self.next.get();
        let index = if self.names.get(next).is_some_and(|name| name == column) {
            next
        } else {
            self.names
                .iter()
                .position(|name| name == column)
                .ok_or_else(|| sqlx::Error::ColumnNotFound(column.to_owned()))?
        };
        self.next.set(index + 1);
        Ok(index)
    }
}

/// A failure of the reader, as sqlx reports a database's.
fn error(error: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!("SQLite reader: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (PathBuf, Connection) {
        let dir = std::env::temp_dir().join(format!("maillage-reader-{}", crate::domain::ids::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("test.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER, word TEXT); INSERT INTO t VALUES (1, 'un'), (2, 'deux'), (3, 'trois');")
            .unwrap();
        (path, writer)
    }

    #[test]
    fn parameters_are_bound_by_their_number_not_their_place() {
        let (path, _writer) = database();
        let reader = Reader::open(&path).unwrap();
        // `$2` comes first in the text: SQLite numbers it 1.
        let words = reader
            .read(|conn| {
                query(
                    conn,
                    "SELECT word FROM t WHERE n <= $2 AND n >= $1 ORDER BY n",
                    &[Value::Integer(2), Value::Integer(3)],
                    |row| row.row.get::<_, String>(0).map_err(error),
                )
            })
            .unwrap();
        assert_eq!(words, ["deux", "trois"]);
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let (path, _writer) = database();
        let reader = Reader::open(&path).unwrap();
        let indexes = reader
            .read(|conn| {
                query(conn, "SELECT n, word, n * 10 AS tens FROM t WHERE n = $1", &[Value::Integer(2)], |row| {
                    let (word, n, tens, again) =
                        (row.index("word")?, row.index("n")?, row.index("tens")?, row.index("tens")?);
                    Ok((word, n, tens, again, row.index("missing").is_err(), row.index("n")?))
                })
            })
            .unwrap();
        assert_eq!(indexes, [(1, 0, 2, 2, true, 0)]);
    }

    #[test]
    fn it_sees_what_the_writer_committed_and_cannot_write() {
        let (path, writer) = database();
        let reader = Reader::open(&path).unwrap();
        let count = || {
            reader
                .read(|conn| query(conn, "SELECT COUNT(*) FROM t", &[], |row| row.row.get::<_, i64>(0).map_err(error)))
        };
        assert_eq!(count().unwrap(), [3]);
        writer.execute("INSERT INTO t VALUES (4, 'quatre')", []).unwrap();
        assert_eq!(count().unwrap(), [4]);
        let write = reader.read(|conn| query(conn, "DELETE FROM t RETURNING n", &[], |_| Ok(())));
        assert!(write.is_err(), "a reader's connection refuses writes");
        assert_eq!(count().unwrap(), [4]);
        let missing = reader.read(|conn| query(conn, "SELECT n FROM t WHERE n = $2", &[Value::Integer(1)], |_| Ok(())));
        assert!(missing.is_err(), "a parameter without a value is an error, not NULL");
        let unused = reader.read(|conn| {
            query(conn, "SELECT n FROM t WHERE n = $1", &[Value::Integer(1), Value::Integer(9)], |row| {
                row.row.get::<_, i64>(0).map_err(error)
            })
        });
        assert_eq!(unused.unwrap(), [1], "a value the statement does not use is left out");
    }
}
