//! Reading stored values by row: in, a row sqlx fetched and the table (or view) and id it is
//! from; out, its columns, or an [`Error::Row`] naming the table, id and column instead of a
//! panic. Text that is not valid UTF-8 (a database edited by hand or by another program) is read
//! with U+FFFD for the bad bytes, and a warning names the row.

use crate::error::{Error, Result};

use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, Row, Sqlite, Type};
use std::fmt;

/// One row of a table or view, known by its key.
#[derive(Clone)]
pub struct RowAt<'r> {
    /// The row itself (a column from another table, like a joined name, is named by
    /// `RowAt::new(at.row, "that table", its id column)`).
    pub row: &'r SqliteRow,
    table: &'static str,
    key: Key,
}

/// How a row is named in messages.
#[derive(Clone)]
enum Key {
    /// The integer id in this column (read when the row is first named).
    Id { column: usize, id: i64 },
    /// A text key in this column.
    Text { column: usize, key: String },
    /// A row of one value computed over the table (an aggregate).
    Whole,
}

impl fmt::Display for RowAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Key::Id { column, id } => {
                write!(
                    f,
                    "{} row {}={id}",
                    self.table,
                    column_name(self.row, *column)
                )
            }
            Key::Text { column, key } => {
                write!(
                    f,
                    "{} row {}={key:?}",
                    self.table,
                    column_name(self.row, *column)
                )
            }
            Key::Whole => write!(f, "{}", self.table),
        }
    }
}

fn column_name(row: &SqliteRow, i: usize) -> String {
    use sqlx::Column;
    row.try_column(i)
        .map_or_else(|_| i.to_string(), |c| c.name().to_string())
}

impl<'r> RowAt<'r> {
    /// The row of `table` whose id is in column `id_column` (an integer).
    pub fn new(row: &'r SqliteRow, table: &'static str, id_column: usize) -> Result<RowAt<'r>> {
        let id = row
            .try_get::<i64, _>(id_column)
            .map_err(|source| Error::Row {
                row: format!("{table} row (id unreadable)"),
                column: column_name(row, id_column),
                source,
            })?;
        Ok(RowAt {
            row,
            table,
            key: Key::Id {
                column: id_column,
                id,
            },
        })
    }

    /// The row of `table` whose key is the text in column `key_column` (read lossily).
    pub fn keyed(row: &'r SqliteRow, table: &'static str, key_column: usize) -> Result<RowAt<'r>> {
        let unnamed = RowAt {
            row,
            table,
            key: Key::Whole,
        };
        let key = unnamed.text(key_column)?;
        Ok(RowAt {
            key: Key::Text {
                column: key_column,
                key,
            },
            ..unnamed
        })
    }

    /// A row that is not one of a table's (an aggregate), named by what it holds.
    pub fn whole(row: &'r SqliteRow, what: &'static str) -> RowAt<'r> {
        RowAt {
            row,
            table: what,
            key: Key::Whole,
        }
    }

    /// The row's id (0 for a row not named by an integer id).
    pub fn id(&self) -> i64 {
        match self.key {
            Key::Id { id, .. } => id,
            _ => 0,
        }
    }

    /// Column `i` as a `T`.
    pub fn get<T>(&self, i: usize) -> Result<T>
    where
        T: Decode<'r, Sqlite> + Type<Sqlite>,
    {
        self.row.try_get(i).map_err(|source| self.error(i, source))
    }

    /// Column `i` as text; bytes that are not UTF-8 (or a value stored as another type) are read
    /// lossily, with a warning naming the row. A NULL is an error.
    pub fn text(&self, i: usize) -> Result<String> {
        match self.opt_text(i)? {
            Some(s) => Ok(s),
            None => Err(self.error(i, sqlx::Error::Decode("unexpected NULL".into()))),
        }
    }

    /// Column `i` as optional text, read as [`RowAt::text`] does.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.row.try_get::<Option<String>, _>(i) {
            Ok(s) => Ok(s),
            Err(first) => {
                // The same value as bytes: SQLite gives a TEXT value's bytes as they are stored,
                // and other types in their text form.
                let bytes = self
                    .row
                    .try_get_unchecked::<Option<Vec<u8>>, _>(i)
                    .map_err(|_| self.error(i, first))?;
                let Some(bytes) = bytes else { return Ok(None) };
                let text = String::from_utf8_lossy(&bytes).into_owned();
                tracing::warn!(
                    row = %self,
                    column = column_name(self.row, i),
                    value = ?text,
                    "stored value is not valid UTF-8 text; read with U+FFFD for the bad bytes"
                );
                Ok(Some(text))
            }
        }
    }

    /// Column `i` as an article, cluster or story id: from 1 to [`crate::dense::MAX_ID`], as
    /// newsdedup hands them out (the in-memory tables are indexed by them).
    pub fn dense_id(&self, i: usize) -> Result<i64> {
        let id: i64 = self.get(i)?;
        self.check_dense(i, id, 1)
    }

    /// `id`, read from column `i`, unless it is outside `least..=MAX_ID`.
    pub fn check_dense(&self, i: usize, id: i64, least: i64) -> Result<i64> {
        if (least..=crate::dense::MAX_ID).contains(&id) {
            return Ok(id);
        }
        Err(self.error(
            i,
            sqlx::Error::Decode(
                format!(
                    "id {id} is outside {least}..={}, the ids newsdedup hands out",
                    crate::dense::MAX_ID
                )
                .into(),
            ),
        ))
    }

    fn error(&self, i: usize, source: sqlx::Error) -> Error {
        Error::Row {
            row: self.to_string(),
            column: column_name(self.row, i),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    async fn row(sql: &str) -> SqliteRow {
        let mut db = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("an in-memory database");
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut db)
            .await
            .expect("a row")
    }

    #[tokio::test]
    async fn text_that_is_not_utf8_is_read_lossily() {
        let r = row("SELECT 7 AS source_id, CAST(X'fffe41' AS TEXT) AS name, NULL AS none").await;
        let at = RowAt::new(&r, "sources", 0).unwrap();
        assert_eq!(at.to_string(), "sources row source_id=7");
        assert_eq!(at.text(1).unwrap(), "\u{fffd}\u{fffd}A");
        assert_eq!(
            at.opt_text(1).unwrap().as_deref(),
            Some("\u{fffd}\u{fffd}A")
        );
        assert_eq!(at.opt_text(2).unwrap(), None);
        let e = at.text(2).unwrap_err().to_string();
        assert!(e.contains("sources row source_id=7: column none"), "{e}");
    }

    #[tokio::test]
    async fn a_value_of_the_wrong_type_is_an_error_naming_row_and_column() {
        let r = row("SELECT 7 AS article_id, 'words' AS sketch, 'x' AS bad_id").await;
        let at = RowAt::new(&r, "articles", 0).unwrap();
        let e = at.get::<i64>(1).unwrap_err().to_string();
        assert!(
            e.starts_with("database: articles row article_id=7: column sketch: "),
            "{e}"
        );
        let e = RowAt::new(&r, "articles", 2).err().unwrap().to_string();
        assert!(
            e.contains("articles row (id unreadable): column bad_id"),
            "{e}"
        );
        let k = RowAt::keyed(&r, "host_backoff", 2).unwrap();
        assert_eq!(k.to_string(), "host_backoff row bad_id=\"x\"");
    }
}
