//! A row's columns read by name, whichever driver fetched the row: sqlx's `Any` row (every statement
//! on both backends) or a row of the SQLite reader (`reader.rs`, the hot reads on SQLite). The
//! mapping from columns to domain types (`listings::from_row`, `images::image_from_row`) is written
//! once against this trait.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::reader::ReadRow;

/// The typed columns of one row; an absent column or a value of the wrong type is an error.
pub(crate) trait Columns {
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, column: &str) -> Result<i64, sqlx::Error>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
    fn opt_real(&self, column: &str) -> Result<Option<f64>, sqlx::Error>;
}

impl Columns for AnyRow {
    fn text(&self, column: &str) -> Result<String, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(column)
    }
    fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
        self.try_get(column)
    }
    fn opt_real(&self, column: &str) -> Result<Option<f64>, sqlx::Error> {
        self.try_get(column)
    }
}

impl Columns for ReadRow<'_, '_> {
    fn text(&self, column: &str) -> Result<String, sqlx::Error> {
        self.row.get(self.index(column)?).map_err(|e| column_error(column, e))
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        self.row.get(self.index(column)?).map_err(|e| column_error(column, e))
    }
    fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
        self.row.get(self.index(column)?).map_err(|e| column_error(column, e))
    }
    fn opt_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
        self.row.get(self.index(column)?).map_err(|e| column_error(column, e))
    }
    fn opt_real(&self, column: &str) -> Result<Option<f64>, sqlx::Error> {
        self.row.get(self.index(column)?).map_err(|e| column_error(column, e))
    }
}

/// A column the SQLite reader could not read, as sqlx reports one.
fn column_error(column: &str, error: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::ColumnDecode { index: column.to_owned(), source: Box::new(error) }
}
