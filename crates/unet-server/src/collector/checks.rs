//! Config compliance follows the versions the schedule and syslog store: their nodes are
//! checked together, as many as were stored while the previous check ran. A fleet collected at
//! once is then checked in pages of nodes, a few statements each, instead of a few statements
//! per node; a lone change is checked as soon as it is stored.

use std::sync::{Arc, PoisonError};

use tokio::sync::watch;

use super::Collector;

/// Runs until `stop` turns true.
pub async fn run_checks(collector: Arc<Collector>, mut stop: watch::Receiver<bool>) {
    loop {
        let mut nodes = std::mem::take(
            &mut *collector
                .to_check
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        if nodes.is_empty() {
            tokio::select! {
                _ = stop.wait_for(|stop| *stop) => break,
                () = collector.check_wake.notified() => continue,
            }
        }
        nodes.sort_unstable();
        nodes.dedup();
        collector
            .templates
            .check_pushed(&collector.store, &nodes)
            .await;
    }
}
