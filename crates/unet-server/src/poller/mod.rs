//! SNMP polling of the managed nodes: the `Poller` service (settings with the profiles' keys
//! derived once, the polls in progress, the shared SNMP socket), one node's poll from choosing
//! its profile to recording its state, events and drift, and the schedule (`schedule.rs`).
//! Communities and keys stay in the settings; messages, logs and answers carry only what
//! happened.

mod schedule;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde::Serialize;
use tokio::sync::{Notify, OnceCell};
use unet_core::{EntityType, PollResult, PolledState, StatusEventKind, Timestamp, Uuid};
use unet_settings::SnmpSection;
use unet_snmp::{Fault, Inventory, InventoryLink, Limits, Prepared};
use unet_store::{PollOutcome, PollRecord, PollTarget, Store, StoreError};
use utoipa::ToSchema;

use crate::error::{Error, ErrorCode};
use crate::metrics::Metrics;
use crate::node_jobs::{Busy, backoff, jitter};
use crate::node_plan::{NodeOptions, SNMP, choose_profile, node_options, not_managed};

pub use schedule::run_background;

/// The inventory key naming the software version a node should run.
pub const EXPECTED_VERSION: &str = "expected_version";

/// What started a poll (logged with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Request,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Request => "request",
        }
    }
}

/// One poll's outcome, as `POST /api/v1/nodes/{id}/poll` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PollReport {
    pub node_id: Uuid,
    pub node: String,
    pub result: PollResult,
    /// What went wrong (never a credential); `null` on success.
    pub message: Option<String>,
    /// Whether the agent answered; `null` when nothing was sent.
    pub reachable: Option<bool>,
    /// The events this poll recorded.
    pub events: Vec<StatusEventKind>,
    /// Interfaces and neighbours read, and disagreements with the inventory found.
    pub interfaces: u64,
    pub neighbours: u64,
    pub drift: u64,
    pub duration_ms: u64,
    /// When the schedule polls the node next.
    #[schema(value_type = String, format = DateTime)]
    pub next_due_at: Timestamp,
}

/// Settings a poll reads, swapped whole on reload, with each profile's keys derived.
#[derive(Debug, Default)]
struct Settings {
    snmp: SnmpSection,
    prepared: HashMap<String, Prepared>,
}

pub struct Poller {
    store: Store,
    metrics: Arc<Metrics>,
    settings: RwLock<Arc<Settings>>,
    busy: Arc<Busy>,
    /// Wakes the schedule (a fleet-wide run was asked for, settings changed).
    wake: Notify,
    /// A fleet-wide run was asked for: poll due nodes even with the schedule off.
    forced: AtomicBool,
    last_run: Mutex<Option<Timestamp>>,
    /// The SNMP sockets, bound by the first poll.
    client: OnceCell<Result<unet_snmp::Poller, String>>,
}

impl Poller {
    pub fn new(store: Store, metrics: Arc<Metrics>) -> Poller {
        Poller {
            store,
            metrics,
            settings: RwLock::default(),
            busy: Arc::default(),
            wake: Notify::new(),
            forced: AtomicBool::new(false),
            last_run: Mutex::new(None),
            client: OnceCell::new(),
        }
    }

    /// Takes `[snmp]`, at start and on reload. The profiles were checked when the settings
    /// were read, so deriving their keys again succeeds.
    pub fn configure(&self, snmp: &SnmpSection) {
        let prepared = snmp
            .profiles
            .iter()
            .filter_map(|p| Some((p.name.clone(), p.credentials.prepare().ok()?)))
            .collect();
        *self
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(Settings {
            snmp: snmp.clone(),
            prepared,
        });
        self.wake.notify_one();
    }

    fn settings(&self) -> Arc<Settings> {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether the schedule runs.
    pub fn enabled(&self) -> bool {
        self.settings().snmp.enabled
    }

    /// Whether `/metrics` shows every polled interface (`snmp.interface_metrics`).
    pub fn interface_metrics(&self) -> bool {
        self.settings().snmp.interface_metrics
    }

    /// Nodes being polled now.
    pub fn in_progress(&self) -> Vec<Uuid> {
        self.busy.nodes()
    }

    pub fn is_in_progress(&self, node: Uuid) -> bool {
        self.busy.contains(node)
    }

    pub fn last_run(&self) -> Option<Timestamp> {
        *self.last_run.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes every managed node due now and wakes the schedule, which polls them even when it
    /// is off. Returns how many nodes are managed.
    pub async fn run_all(&self) -> Result<u64, Error> {
        let managed = self.store.poll_make_due(Timestamp::now()).await?;
        self.forced.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        Ok(managed)
    }

    /// Polls one node now (an operator's request): 404 for an unknown node, 422 for a node
    /// that is not managed, 409 while it is being polled. A failed poll is an answer.
    pub async fn poll_now(&self, node_id: Uuid) -> Result<PollReport, Error> {
        let target = self.store.poll_target(node_id).await?;
        if let Some(reason) = not_managed(SNMP, target.status, target.management_ip.as_deref()) {
            return Err(not_pollable(&target.name, &reason));
        }
        let Some(_guard) = self.busy.begin(node_id) else {
            return Err(Error::request(
                StatusCode::CONFLICT,
                ErrorCode::PollInProgress,
                format!(
                    "node {} is being polled now; see GET /api/v1/nodes/{node_id}/status",
                    target.name
                ),
            ));
        };
        self.poll(target, Trigger::Request).await
    }

    /// Polls a managed node marked busy and records its state, events and drift.
    async fn poll(&self, target: PollTarget, trigger: Trigger) -> Result<PollReport, Error> {
        let settings = self.settings();
        let snmp = &settings.snmp;
        let started_at = Timestamp::now();
        let started = Instant::now();
        let options = node_options(&target.custom_data, SNMP);
        let polled = self.fetch(&settings, &target, options.as_ref()).await;
        let duration = started.elapsed();
        let last = self.store.last_poll(target.node_id).await?;
        let interval = options
            .ok()
            .and_then(|o| o.interval)
            .unwrap_or(snmp.interval);
        let (mut state, fault) = match polled {
            Ok(state) => (state, None),
            Err(fault) => (PolledState::default(), Some(fault)),
        };
        let (events, drift, wait) = match &fault {
            None => {
                let since = last.success_at.map(|at| {
                    let seconds = started_at.unix_seconds() - at.unix_seconds();
                    Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
                });
                let events = unet_snmp::compare(&last, &mut state, since);
                let drift = unet_snmp::drift(&self.inventory(&target).await?, &state);
                (events, drift, interval + jitter(snmp.jitter))
            }
            Some(fault) => {
                let events = unet_snmp::failed(&last, fault.result, &fault.message)
                    .into_iter()
                    .collect();
                let wait = match fault.result {
                    PollResult::NotConfigured => interval,
                    _ => backoff(snmp.retry_after, target.failures, interval),
                };
                (events, Vec::new(), wait)
            }
        };
        let next_due_at = Timestamp::from_datetime(Timestamp::now().as_datetime() + wait);
        let mut last_neighbours = last.neighbours;
        last_neighbours.sort();
        let (result, message, reachable) = match &fault {
            None => (PollResult::Ok, None, Some(true)),
            Some(fault) => (
                fault.result,
                Some(fault.message.clone()),
                reachable_after(fault.result),
            ),
        };
        let outcome = match &message {
            None => PollOutcome::Polled {
                state: &state,
                drift: &drift,
                neighbours_changed: last_neighbours != state.neighbours,
            },
            Some(message) => PollOutcome::Failed {
                result,
                message: message.clone(),
                reachable,
            },
        };
        let record = PollRecord {
            started_at,
            duration_ms: duration.as_millis() as u64,
            next_due_at,
            outcome,
            events: &events,
        };
        if self
            .store
            .record_poll(target.node_id, &record)
            .await?
            .is_none()
        {
            // Deleted while it was being polled: nothing is kept, as for any deleted node.
            return Err(Error::Store(StoreError::NotFound {
                entity: EntityType::Node,
                ident: target.node_id.to_string(),
            }));
        }
        self.metrics.poll(result.as_str(), duration.as_secs_f64());
        *self.last_run.lock().unwrap_or_else(PoisonError::into_inner) = Some(started_at);
        let node = target.name.as_str();
        let duration_ms = record.duration_ms;
        let trigger = trigger.as_str();
        for event in &events {
            let interface = event.interface.as_deref().unwrap_or("");
            tracing::info!(target: "unet::snmp", event = "status_event", node, kind = event.kind.as_str(), interface, detail = %event.detail, "{}", event.kind.as_str());
        }
        match &message {
            None => {
                tracing::debug!(target: "unet::snmp", event = "poll", node, trigger, duration_ms, interfaces = state.interfaces.len(), neighbours = state.neighbours.len(), "polled")
            }
            Some(message) => {
                tracing::warn!(target: "unet::snmp", event = "poll", node, trigger, result = result.as_str(), duration_ms, "poll failed: {message}")
            }
        }
        Ok(PollReport {
            node_id: target.node_id,
            node: target.name,
            result,
            message,
            reachable,
            events: events.iter().map(|e| e.kind).collect(),
            interfaces: state.interfaces.len() as u64,
            neighbours: state.neighbours.len() as u64,
            drift: drift.len() as u64,
            duration_ms,
            next_due_at,
        })
    }

    /// Polls the agent the node's profile says how to reach.
    async fn fetch(
        &self,
        settings: &Settings,
        target: &PollTarget,
        options: Result<&NodeOptions, &String>,
    ) -> Result<PolledState, Fault> {
        let snmp = &settings.snmp;
        let not_configured = |message: String| Fault {
            result: PollResult::NotConfigured,
            message,
        };
        let options = options.map_err(|e| not_configured(e.clone()))?;
        let profile = choose_profile(
            SNMP,
            &snmp.profiles,
            snmp.default_profile.as_deref(),
            target.platform,
            options,
        )
        .map_err(not_configured)?;
        let credentials = settings.prepared.get(&profile.name).ok_or_else(|| {
            not_configured(format!("profile {} has no usable keys", profile.name))
        })?;
        let in_context;
        let credentials = match &options.context {
            Some(context) => {
                in_context = credentials.in_context(context).map_err(not_configured)?;
                &in_context
            }
            None => credentials,
        };
        let address: IpAddr = target
            .management_ip
            .as_deref()
            .and_then(|ip| ip.parse().ok())
            .ok_or_else(|| not_configured("the node has no usable management_ip".to_string()))?;
        let port = options.port.or(profile.port).unwrap_or(snmp.port);
        let client = self
            .client
            .get_or_init(|| async { unet_snmp::Poller::bind().await })
            .await
            .as_ref()
            .map_err(|e| Fault {
                result: PollResult::NetworkError,
                message: e.clone(),
            })?;
        let limits = Limits {
            timeout: snmp.timeout,
            retries: snmp.retries,
            per_request: snmp.bulk_size as usize,
            max_cells: snmp.max_cells as usize,
        };
        client
            .poll(SocketAddr::new(address, port), credentials, &limits)
            .await
    }

    /// What the inventory says about the node, for drift.
    async fn inventory(&self, target: &PollTarget) -> Result<Inventory, Error> {
        let links = self.store.node_links(target.node_id).await?;
        Ok(Inventory {
            name: target.name.clone(),
            fqdn: target.fqdn.clone(),
            platform: target.platform,
            expected_version: target
                .custom_data
                .get(EXPECTED_VERSION)
                .and_then(|v| v.as_str())
                .map(str::to_string),
            links: links
                .into_iter()
                .map(|l| InventoryLink {
                    id: l.id,
                    interface: l.interface,
                    peer: l.peer,
                })
                .collect(),
        })
    }

    /// Deletes status events past `snmp.event_retention_days`.
    async fn purge_events(&self) {
        let days = i64::from(self.settings().snmp.event_retention_days);
        let Some(before) =
            Timestamp::from_unix_seconds(Timestamp::now().unix_seconds() - days * 86_400)
        else {
            return;
        };
        match self.store.purge_status_events(before).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(target: "unet::snmp", deleted = n, "status events older than {days} days deleted")
            }
            Err(e) => {
                tracing::error!(target: "unet::snmp", "ERROR deleting old status events failed: {e}")
            }
        }
    }
}

/// Whether a failed poll's agent answered: a timeout or a send failure says no; refused
/// credentials or a bad answer say it is there; a poll not sent says nothing.
fn reachable_after(result: PollResult) -> Option<bool> {
    match result {
        PollResult::Timeout | PollResult::NetworkError => Some(false),
        PollResult::AuthFailed | PollResult::Malformed | PollResult::Ok => Some(true),
        PollResult::NotConfigured => None,
    }
}

/// A background poll whose outcome was not recorded: a node deleted meanwhile is expected;
/// anything else is the database failing.
fn log_unrecorded(node: &str, error: &Error) {
    if matches!(error, Error::Store(StoreError::NotFound { .. })) {
        tracing::info!(target: "unet::snmp", node, "the node was deleted while it was polled; nothing recorded");
    } else {
        tracing::error!(target: "unet::snmp", node, "ERROR recording a poll failed: {error}");
    }
}

/// 422 `node_not_pollable` for a node that is not managed, and why.
fn not_pollable(name: &str, reason: &str) -> Error {
    Error::request(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::NodeNotPollable,
        format!("node {name} is not polled: {reason}"),
    )
}

/// The answer for a node that has no poll status: not managed, and why.
pub async fn status_missing(store: &Store, node_id: Uuid) -> Error {
    match store.poll_target(node_id).await {
        Ok(target) => {
            let reason = not_managed(SNMP, target.status, target.management_ip.as_deref())
                .unwrap_or_else(|| "it was not managed a moment ago; ask again".to_string());
            not_pollable(&target.name, &reason)
        }
        Err(e) => e.into(),
    }
}
