//! The schedule: every managed node is polled when it comes due (`snmp.interval` after its last
//! poll, with jitter; sooner with backoff after a failure), `snmp.concurrency` at a time, by the
//! shared node schedule (`node_jobs`); old status events are deleted hourly.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use unet_core::{Timestamp, Uuid};
use unet_store::{PollTarget, StoreError};

use super::{Poller, Trigger, log_unrecorded};
use crate::node_jobs::{Busy, NodeJob, run_schedule};

/// How often status events past their retention are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

impl NodeJob for Poller {
    type Target = PollTarget;

    fn schedule(&self) -> (bool, usize) {
        let settings = self.settings();
        (settings.snmp.enabled, settings.snmp.concurrency as usize)
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
    ) -> Result<Vec<PollTarget>, StoreError> {
        self.store.poll_due(now, limit, busy).await
    }

    fn node(target: &PollTarget) -> Uuid {
        target.node_id
    }

    async fn run(self: Arc<Self>, target: PollTarget) {
        let node = target.name.clone();
        if let Err(e) = self.poll(target, Trigger::Schedule).await {
            log_unrecorded(&node, &e);
        }
    }
}

/// Runs until `stop` turns true.
pub async fn run_background(poller: Arc<Poller>, stop: watch::Receiver<bool>) {
    let purge = {
        let poller = poller.clone();
        let mut stop = stop.clone();
        async move {
            let mut every = tokio::time::interval(PURGE_EVERY);
            loop {
                tokio::select! {
                    _ = stop.wait_for(|stop| *stop) => break,
                    _ = every.tick() => {}
                }
                poller.purge_events().await;
            }
        }
    };
    tokio::join!(run_schedule(poller, stop, "snmp"), purge);
}
