//! Every text cell of some tables, for tests that prove no secret is stored in clear.

use sqlx::{AssertSqlSafe, Row};

use crate::Store;

/// The text cells of every row of `tables`, one per line. Panics on a database error (tests).
pub async fn text_cells(store: &Store, tables: &[&str]) -> String {
    let mut out = String::new();
    for table in tables {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(store.pool())
            .await
            .unwrap_or_else(|e| panic!("read {table}: {e}"));
        for row in rows {
            for i in 0..row.len() {
                if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                    out.push_str(&text);
                    out.push('\n');
                }
            }
        }
    }
    out
}
