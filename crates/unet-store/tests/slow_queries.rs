//! Slow statements are logged with their SQL text and duration, never their bound values.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use unet_core::{NodeFilter, PageRequest};
use unet_store::testing::TestDatabase;
use unet_store::{Store, StoreOptions};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn statements_over_the_threshold_are_logged_without_values() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let db = TestDatabase::sqlite();
    let quiet = Store::open_and_migrate(db.url(), StoreOptions::default())
        .await
        .unwrap();
    let filter = NodeFilter {
        role: Some("secret-role-value".into()),
        ..Default::default()
    };
    quiet
        .list_nodes(&filter, &PageRequest::default())
        .await
        .unwrap();
    assert!(
        captured.0.lock().unwrap().is_empty(),
        "nothing is slow at 250 ms"
    );

    let opts = StoreOptions {
        slow_query_threshold: Duration::ZERO,
        ..Default::default()
    };
    let store = Store::open(db.url(), opts).await.unwrap();
    store
        .list_nodes(&filter, &PageRequest::default())
        .await
        .unwrap();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("unet::db") && log.contains("event=\"slow_query\""),
        "{log}"
    );
    assert!(
        log.contains("duration_ms=")
            && log.contains("SELECT COUNT(*) FROM nodes WHERE 1 = 1 AND role = $1"),
        "{log}"
    );
    assert!(
        !log.contains("secret-role-value"),
        "bound values stay out of logs: {log}"
    );
}
