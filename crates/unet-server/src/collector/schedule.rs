//! The schedule: every managed node is collected when it comes due (its interval after the
//! last attempt, with jitter; sooner with backoff after a failure), `collect.concurrency` at a
//! time, by the shared node schedule (`node_jobs`). With the schedule off it still runs a
//! fleet-wide collection an operator asked for.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tokio::sync::{Notify, watch};
use unet_core::{Timestamp, Uuid};
use unet_store::{CollectionTarget, StoreError};

use super::{Collector, Trigger, log_unrecorded};
use crate::node_jobs::{Busy, NodeJob, run_schedule};

impl NodeJob for Collector {
    type Target = CollectionTarget;

    fn schedule(&self) -> (bool, usize) {
        let settings = self.settings();
        (
            settings.collect.enabled,
            settings.collect.concurrency as usize,
        )
    }

    fn busy(&self) -> &Arc<Busy> {
        &self.busy
    }

    fn forced(&self) -> &AtomicBool {
        &self.forced
    }

    fn wake(&self) -> &Notify {
        &self.wake
    }

    async fn due(
        &self,
        now: Timestamp,
        limit: u32,
        busy: &[Uuid],
    ) -> Result<Vec<CollectionTarget>, StoreError> {
        self.store.collection_due(now, limit, busy).await
    }

    fn node(target: &CollectionTarget) -> Uuid {
        target.node_id
    }

    async fn run(self: Arc<Self>, target: CollectionTarget) {
        let node = target.name.clone();
        if let Err(e) = self.collect(target, Trigger::Schedule).await {
            log_unrecorded(&node, &e);
        }
    }
}

/// Runs until `stop` turns true.
pub async fn run_background(collector: Arc<Collector>, stop: watch::Receiver<bool>) {
    run_schedule(collector, stop, "collect").await;
}
