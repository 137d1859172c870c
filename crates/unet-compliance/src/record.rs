//! Recording pages of results in the background: the store writes one page while the next is
//! read and evaluated, so the database and the evaluation overlap instead of taking turns.
//! One page at most is in flight, so pages are written in order and memory stays bounded.

use tokio::task::JoinHandle;
use unet_core::Timestamp;
use unet_store::{NodeRuleResults, Store, StoreError};

use crate::error::{ComplianceError, Result};

pub(crate) struct Recorder {
    store: Store,
    evaluated_at: Timestamp,
    in_flight: Option<JoinHandle<Result<(), StoreError>>>,
}

impl Recorder {
    pub fn new(store: &Store, evaluated_at: Timestamp) -> Recorder {
        Recorder {
            store: store.clone(),
            evaluated_at,
            in_flight: None,
        }
    }

    /// Waits for the previous page to be written, then starts writing `page`.
    pub async fn record(&mut self, page: Vec<NodeRuleResults>) -> Result<()> {
        self.finish().await?;
        let (store, at) = (self.store.clone(), self.evaluated_at);
        self.in_flight = Some(tokio::spawn(async move {
            store.record_policy_results(at, &page).await.map(|_| ())
        }));
        Ok(())
    }

    /// Waits until every page handed over is written.
    pub async fn finish(&mut self) -> Result<()> {
        let Some(task) = self.in_flight.take() else {
            return Ok(());
        };
        match task.await {
            Ok(written) => Ok(written?),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(ComplianceError::Interrupted),
        }
    }
}

/// An evaluation that stops early (an error, a dropped request, shutdown) takes its unwritten
/// page with it, as one transaction does: the write must not commit after the caller gave up,
/// where it could race the next evaluation of the same nodes.
impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(task) = self.in_flight.take() {
            task.abort();
        }
    }
}
