//! Config compliance follows the versions the schedule and syslog store: their nodes are
//! checked together, those stored within a short window after the first. A fleet collected at
//! once is then checked in pages of nodes, a few statements each, instead of a few statements
//! per node; a lone change is checked a moment after it is stored.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use super::Collector;

/// How long the nodes stored after the first one are gathered before their check: a small
/// part of the seconds a syslog-triggered change takes to show, many nodes of a fleet run.
const GATHER: Duration = Duration::from_millis(250);

/// Runs until `stop` turns true.
pub async fn run_checks(collector: Arc<Collector>, mut stop: watch::Receiver<bool>) {
    loop {
        // A node stored while the previous check ran has left its wake-up behind.
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            () = collector.check_wake.notified() => {}
        }
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            () = tokio::time::sleep(GATHER) => {}
        }
        let mut nodes = std::mem::take(
            &mut *collector
                .to_check
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        nodes.sort_unstable();
        nodes.dedup();
        collector
            .templates
            .check_pushed(&collector.store, &nodes)
            .await;
    }
}
