//! Macros that run one body against whichever backend a `Db` or `Tx` holds. The body is
//! expanded once per backend, so sqlx's types are checked for both.

/// `on_db!(db, |pool| body)`: `pool` is `&SqlitePool` or `&PgPool`.
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// `on_tx!(tx, |conn| body)`: `conn` is `&mut SqliteConnection` or `&mut PgConnection`;
/// reborrow it (`&mut *conn`) for each statement.
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
            $crate::db::Tx::Postgres(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
        }
    };
}
