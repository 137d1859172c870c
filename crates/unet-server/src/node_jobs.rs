//! What the collector and the SNMP poller share: the nodes a job is working on (each at most
//! once), the schedule that feeds due nodes to free slots, and the waits between runs (backoff
//! after failures, jitter so a fleet does not stay in step).
//!
//! The schedule reads due nodes in batches into a queue, so the database is asked once per
//! batch (and, once it has no more, again only on the tick or a wake), not once per node; nodes
//! being worked on are left out of the query (they stay due until their result is recorded) and
//! marked busy before their task starts, so no node runs twice at once or right after itself.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;
use unet_core::{Timestamp, Uuid};

/// How often due nodes are looked for when nothing wakes the schedule earlier.
const TICK: Duration = Duration::from_secs(1);

/// Due nodes read per query.
pub(crate) const BATCH: u32 = 1000;

/// The nodes a job is working on now.
#[derive(Debug, Default)]
pub struct Busy {
    nodes: Mutex<HashSet<Uuid>>,
    /// Wakes those waiting for a node's run to end.
    pub(crate) finished: Notify,
}

impl Busy {
    /// Marks `node` busy; `None` when it already is. Dropping the guard unmarks it.
    pub fn begin(self: &Arc<Self>, node: Uuid) -> Option<BusyGuard> {
        let fresh = self
            .nodes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(node);
        // Not `then_some`: a guard built for a refusal would unmark the running node when
        // dropped.
        fresh.then(|| BusyGuard {
            busy: self.clone(),
            node,
        })
    }

    pub fn nodes(&self) -> Vec<Uuid> {
        self.nodes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect()
    }

    pub fn contains(&self, node: Uuid) -> bool {
        self.nodes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&node)
    }
}

/// Marks a node busy for as long as it lives.
pub struct BusyGuard {
    busy: Arc<Busy>,
    node: Uuid,
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.busy
            .nodes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.node);
        self.busy.finished.notify_waiters();
    }
}

/// A job run per node on a schedule: collection, polling.
pub(crate) trait NodeJob: Send + Sync + 'static {
    type Target: Send + 'static;

    /// Whether the schedule runs, and how many nodes at once.
    fn schedule(&self) -> (bool, usize);
    fn busy(&self) -> &Arc<Busy>;
    /// A fleet-wide run was asked for: run due nodes even with the schedule off.
    fn forced(&self) -> &AtomicBool;
    /// Wakes the schedule (a fleet-wide run was asked for, settings changed).
    fn wake(&self) -> &Notify;
    /// Managed nodes due at `now`, at most `limit`, leaving out `busy`.
    fn due(
        &self,
        now: Timestamp,
        limit: u32,
        busy: &[Uuid],
    ) -> impl Future<Output = Result<Vec<Self::Target>, unet_store::StoreError>> + Send;
    fn node(target: &Self::Target) -> Uuid;
    /// Runs one node marked busy and records its outcome.
    fn run(self: Arc<Self>, target: Self::Target) -> impl Future<Output = ()> + Send;
}

/// Runs `job`'s schedule until `stop` turns true; runs in flight are then cancelled (a
/// cancelled one records nothing) and awaited, so none meets a closed pool.
pub(crate) async fn run_schedule<J: NodeJob>(
    job: Arc<J>,
    mut stop: watch::Receiver<bool>,
    log_target: &'static str,
) {
    let mut running = JoinSet::new();
    let mut queue: VecDeque<J::Target> = VecDeque::new();
    // The last query found every due node (less than a batch): a finished run alone brings no
    // new ones, so the next query waits for the tick or a wake.
    let mut drained = false;
    // A steady tick: runs finishing in a stream must not keep putting it off.
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        if *stop.borrow() {
            break;
        }
        let (enabled, concurrency) = job.schedule();
        if enabled || job.forced().load(Ordering::SeqCst) {
            if queue.is_empty() && running.len() < concurrency && !drained {
                let busy = job.busy().nodes();
                match job.due(Timestamp::now(), BATCH, &busy).await {
                    Ok(due) => {
                        if due.is_empty() && running.is_empty() {
                            job.forced().store(false, Ordering::SeqCst);
                        }
                        drained = due.len() < BATCH as usize;
                        queue.extend(due);
                    }
                    Err(e) => {
                        tracing::error!(target: "unet::schedule", job = log_target, "ERROR looking for due nodes failed: {e}");
                    }
                }
            }
            while running.len() < concurrency {
                let Some(target) = queue.pop_front() else {
                    break;
                };
                // Being run on request right now: due again after that.
                let Some(guard) = job.busy().begin(J::node(&target)) else {
                    continue;
                };
                let task_job = job.clone();
                running.spawn(async move {
                    task_job.run(target).await;
                    drop(guard);
                });
            }
        } else {
            queue.clear();
        }
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            () = job.wake().notified() => drained = false,
            _ = tick.tick() => drained = false,
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
    running.abort_all();
    while running.join_next().await.is_some() {}
}

/// The wait after `failures_before + 1` failures in a row: `retry_after` doubled per earlier
/// failure, at most `interval`.
pub(crate) fn backoff(retry_after: Duration, failures_before: u32, interval: Duration) -> Duration {
    let factor = 2u32.saturating_pow(failures_before.min(20));
    retry_after.saturating_mul(factor).min(interval)
}

/// A random wait up to `max`, so a fleet run together does not stay together.
pub(crate) fn jitter(max: Duration) -> Duration {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    if max.is_zero() || ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        return Duration::ZERO;
    }
    let millis = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(u64::from_le_bytes(bytes) % millis.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_interval() {
        let minute = Duration::from_secs(60);
        let hour = Duration::from_secs(3600);
        let waits: Vec<u64> = (0..8)
            .map(|f| backoff(minute, f, hour).as_secs() / 60)
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(minute, u32::MAX, hour), hour);
    }

    #[test]
    fn jitter_stays_within_its_bound() {
        for _ in 0..100 {
            assert!(jitter(Duration::from_secs(5)) <= Duration::from_secs(5));
        }
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn a_node_is_busy_once_and_a_refused_mark_leaves_the_first() {
        let busy = Arc::new(Busy::default());
        let node = Uuid::new_v4();
        let first = busy.begin(node).expect("first mark");
        assert!(busy.begin(node).is_none());
        // The refusal above must not have unmarked the running node.
        assert!(busy.contains(node));
        drop(first);
        assert!(!busy.contains(node));
        assert!(busy.begin(node).is_some());
    }
}
