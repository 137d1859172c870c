//! The schedule: every managed node is collected when it comes due (its interval after the
//! last success, with jitter; sooner with backoff after a failure), at most
//! `collect.concurrency` at a time. With the schedule off it still runs a fleet-wide
//! collection an operator asked for.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use unet_core::Timestamp;

use super::{Collector, Trigger};

/// How often due nodes are looked for when nothing wakes the schedule earlier.
const TICK: Duration = Duration::from_secs(1);

/// Runs until `stop` turns true; collections in flight are then cancelled (a cancelled one
/// records nothing) and awaited, so none meets a closed pool.
pub async fn run_background(collector: Arc<Collector>, mut stop: watch::Receiver<bool>) {
    let mut running = JoinSet::new();
    loop {
        if *stop.borrow() {
            break;
        }
        let settings = collector.settings();
        let forced = collector.forced.load(Ordering::SeqCst);
        let free = (settings.collect.concurrency as usize).saturating_sub(running.len());
        if (settings.collect.enabled || forced) && free > 0 {
            let limit = u32::try_from(free).unwrap_or(u32::MAX);
            match collector
                .store
                .collection_due(Timestamp::now(), limit)
                .await
            {
                Ok(due) => {
                    if due.is_empty() && running.is_empty() {
                        collector.forced.store(false, Ordering::SeqCst);
                    }
                    for target in due {
                        let collector = collector.clone();
                        running.spawn(async move {
                            let Some(_guard) = collector.begin(target.node_id) else {
                                // Collected on request right now; due again after that.
                                return;
                            };
                            let node = target.name.clone();
                            if let Err(e) = collector.collect(target, Trigger::Schedule).await {
                                tracing::error!(target: "unet::collect", node = %node, "ERROR recording a collection failed: {e}");
                            }
                        });
                    }
                }
                Err(e) => {
                    tracing::error!(target: "unet::collect", "ERROR looking for nodes due for collection failed: {e}");
                }
            }
        }
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            () = collector.wake.notified() => {}
            () = tokio::time::sleep(TICK) => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
    running.abort_all();
    while running.join_next().await.is_some() {}
}
