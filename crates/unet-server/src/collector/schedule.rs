//! The schedule: every managed node is collected when it comes due (its interval after the
//! last attempt, with jitter; sooner with backoff after a failure), `collect.concurrency` at a
//! time. With the schedule off it still runs a fleet-wide collection an operator asked for.
//!
//! Due nodes are read in batches into a queue that feeds the free slots, so the database is
//! asked once per batch (and, once it has no more, again only on the tick or a wake), not once
//! per collection; nodes being collected are left out of the
//! query (they stay due until their result is recorded) and marked in progress before their
//! task starts, so no node is collected twice at once or right after itself.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;
use unet_core::Timestamp;
use unet_store::CollectionTarget;

use super::{Collector, Trigger, log_unrecorded};

/// How often due nodes are looked for when nothing wakes the schedule earlier.
const TICK: Duration = Duration::from_secs(1);

/// Due nodes read per query.
const BATCH: u32 = 1000;

/// Runs until `stop` turns true; collections in flight are then cancelled (a cancelled one
/// records nothing) and awaited, so none meets a closed pool.
pub async fn run_background(collector: Arc<Collector>, mut stop: watch::Receiver<bool>) {
    let mut running = JoinSet::new();
    let mut queue: VecDeque<CollectionTarget> = VecDeque::new();
    // The last query found every due node (less than a batch): a finished collection alone
    // brings no new ones, so the next query waits for the tick or a wake.
    let mut drained = false;
    // A steady tick: collections finishing in a stream must not keep putting it off.
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        if *stop.borrow() {
            break;
        }
        let settings = collector.settings();
        let concurrency = settings.collect.concurrency as usize;
        if settings.collect.enabled || collector.forced.load(Ordering::SeqCst) {
            if queue.is_empty() && running.len() < concurrency && !drained {
                let busy = collector.in_progress();
                match collector
                    .store
                    .collection_due(Timestamp::now(), BATCH, &busy)
                    .await
                {
                    Ok(due) => {
                        if due.is_empty() && running.is_empty() {
                            collector.forced.store(false, Ordering::SeqCst);
                        }
                        drained = due.len() < BATCH as usize;
                        queue.extend(due);
                    }
                    Err(e) => {
                        tracing::error!(target: "unet::collect", "ERROR looking for nodes due for collection failed: {e}");
                    }
                }
            }
            while running.len() < concurrency {
                let Some(target) = queue.pop_front() else {
                    break;
                };
                // Being collected on request or by syslog right now: due again after that.
                let Some(guard) = collector.begin(target.node_id) else {
                    continue;
                };
                let task_collector = collector.clone();
                running.spawn(async move {
                    let node = target.name.clone();
                    if let Err(e) = task_collector.collect(target, Trigger::Schedule).await {
                        log_unrecorded(&node, &e);
                    }
                    drop(guard);
                });
            }
        } else {
            queue.clear();
        }
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            () = collector.wake.notified() => drained = false,
            _ = tick.tick() => drained = false,
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
    running.abort_all();
    while running.join_next().await.is_some() {}
}
