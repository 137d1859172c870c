//! Collection of running configurations from the devices: the `Collector` service (settings,
//! the collections in progress, a concurrency limit), one node's collection from choosing its
//! credential profile to recording the outcome, the schedule (`schedule.rs`) and the syslog
//! trigger (`syslog.rs`). Secrets stay in the settings; messages, logs and answers carry only
//! what happened.

mod checks;
mod schedule;
mod syslog;

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::Instant;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;
use tokio::sync::{Notify, Semaphore};
use unet_auth::{Client, EventType, Security};
use unet_collect::{
    Collected, Failure, HostKeys, Limits, SshSessions, Target, public_key_fingerprint,
};
use unet_core::{CollectionResult, EntityType, Timestamp, Uuid, config_text};
use unet_settings::{CollectSection, ConfigsSection, HostKeyTrust, ProfileSource};
use unet_store::{AttemptOutcome, CollectionAttempt, CollectionTarget, Store};
use utoipa::ToSchema;

use crate::error::{Error, ErrorCode};
use crate::metrics::Metrics;
use crate::node_jobs::{Busy, backoff, jitter};
use crate::templates::TemplateEngine;

use crate::node_plan::{COLLECT, NodeOptions, choose_profile, node_options, not_managed};
pub use checks::run_checks;
pub use schedule::run_background;
pub use syslog::run_syslog;

/// What started a collection (logged with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Request,
    Syslog,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Request => "request",
            Trigger::Syslog => "syslog",
        }
    }
}

/// One collection's outcome, as `POST /api/v1/nodes/{id}/collect` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CollectionReport {
    pub node_id: Uuid,
    pub node: String,
    pub result: CollectionResult,
    /// What went wrong (never a secret or configuration text); `null` on success.
    pub message: Option<String>,
    /// The running-config version stored (`stored`) or found unchanged (`unchanged`).
    pub version: Option<u64>,
    pub duration_ms: u64,
    /// When the schedule collects the node next.
    #[schema(value_type = String, format = DateTime)]
    pub next_due_at: Timestamp,
}

/// Settings a collection reads, swapped whole on reload.
#[derive(Debug, Clone, Default)]
struct Settings {
    collect: CollectSection,
    configs: ConfigsSection,
}

pub struct Collector {
    store: Store,
    templates: Arc<TemplateEngine>,
    security: Arc<Security>,
    metrics: Arc<Metrics>,
    settings: RwLock<Arc<Settings>>,
    busy: Arc<Busy>,
    permits: Arc<Semaphore>,
    /// The concurrency the permits were sized for.
    sized_for: Mutex<u32>,
    /// Wakes the schedule (a fleet-wide run was asked for, settings changed).
    wake: Notify,
    /// A fleet-wide run was asked for: collect due nodes even with the schedule off.
    forced: AtomicBool,
    last_run: Mutex<Option<Timestamp>>,
    /// The thread SSH sessions run on, started by the first SSH collection.
    ssh: OnceLock<Result<SshSessions, String>>,
    /// Nodes the schedule or syslog stored a new version for, waiting for their config
    /// compliance check (`checks.rs`).
    to_check: Mutex<Vec<Uuid>>,
    check_wake: Notify,
}

impl Collector {
    pub fn new(
        store: Store,
        templates: Arc<TemplateEngine>,
        security: Arc<Security>,
        metrics: Arc<Metrics>,
    ) -> Collector {
        let settings = Settings::default();
        let concurrency = settings.collect.concurrency;
        Collector {
            store,
            templates,
            security,
            metrics,
            settings: RwLock::new(Arc::new(settings)),
            busy: Arc::default(),
            permits: Arc::new(Semaphore::new(concurrency as usize)),
            sized_for: Mutex::new(concurrency),
            wake: Notify::new(),
            forced: AtomicBool::new(false),
            last_run: Mutex::new(None),
            ssh: OnceLock::new(),
            to_check: Mutex::new(Vec::new()),
            check_wake: Notify::new(),
        }
    }

    /// Takes `[collect]` and `[configs]` (size limit, retention), at start and on reload.
    pub fn configure(&self, collect: &CollectSection, configs: &ConfigsSection) {
        let settings = Settings {
            collect: collect.clone(),
            configs: *configs,
        };
        let mut sized = self
            .sized_for
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let wanted = collect.concurrency;
        if wanted > *sized {
            self.permits.add_permits((wanted - *sized) as usize);
            *sized = wanted;
        } else if wanted < *sized {
            // Only free permits can go now; the rest stay until a later reload.
            *sized -= self.permits.forget_permits((*sized - wanted) as usize) as u32;
        }
        *self
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(settings);
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
        self.settings().collect.enabled
    }

    /// Nodes being collected now.
    pub fn in_progress(&self) -> Vec<Uuid> {
        self.busy.nodes()
    }

    pub fn is_in_progress(&self, node: Uuid) -> bool {
        self.busy.contains(node)
    }

    /// Makes every managed node due now and wakes the schedule, which collects them even when
    /// it is off. Returns how many nodes are managed.
    pub async fn run_all(&self) -> Result<u64, Error> {
        let managed = self.store.collection_make_due(Timestamp::now()).await?;
        self.forced.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        Ok(managed)
    }

    pub fn last_run(&self) -> Option<Timestamp> {
        *self.last_run.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Collects one node now (an operator's request): 404 for an unknown node, 422 for a node
    /// that is not managed, 409 while it is being collected. A failed collection is an answer.
    pub async fn collect_now(
        self: &Arc<Self>,
        node_id: Uuid,
        trigger: Trigger,
    ) -> Result<CollectionReport, Error> {
        let target = self.store.collection_target(node_id).await?;
        if let Some(reason) = not_managed(COLLECT, target.status, target.management_ip.as_deref()) {
            return Err(not_collectable(&target, &reason));
        }
        let Some(_guard) = self.busy.begin(node_id) else {
            return Err(Error::request(
                StatusCode::CONFLICT,
                ErrorCode::CollectionInProgress,
                format!(
                    "node {} is being collected now; see GET /api/v1/nodes/{node_id}/collection",
                    target.name
                ),
            ));
        };
        self.collect(target, trigger).await
    }

    /// Collects a managed node marked in progress and records the outcome.
    async fn collect(
        &self,
        target: CollectionTarget,
        trigger: Trigger,
    ) -> Result<CollectionReport, Error> {
        let settings = self.settings();
        // Waiting for a permit is not part of the node's duration.
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal("the collector is closed".into()))?;
        let started_at = Timestamp::now();
        let started = Instant::now();
        let options = node_options(&target.custom_data, COLLECT);
        let fetched = self.fetch(&settings, &target, options.as_ref()).await;
        let duration = started.elapsed();
        // Text the store would refuse is the device's answer, not a configuration.
        let fetched = fetched.and_then(|collected| match config_text(collected.text.as_bytes()) {
            Ok(_) => Ok(collected),
            Err(e) => Err(Failure {
                kind: CollectionResult::OutputNotRecognised,
                message: format!("the configuration is not storable: {e}"),
                presented_key: None,
            }),
        });
        let outcome = match &fetched {
            Ok(collected) => AttemptOutcome::Fetched {
                config: &collected.text,
                platform: target.platform,
                retention: settings.configs.retention(),
                // Trust on first use: only a node without a pinned key pins the one it met.
                pin_host_key: collected
                    .host_key
                    .as_deref()
                    .filter(|_| target.host_key.is_none())
                    .and_then(|key| public_key_fingerprint(key).map(|f| (key.to_string(), f))),
            },
            Err(failure) => {
                if failure.kind == CollectionResult::HostKeyMismatch {
                    self.host_key_refused(&target, failure).await;
                }
                AttemptOutcome::Failed {
                    result: failure.kind,
                    message: failure.message.clone(),
                }
            }
        };
        let interval = options
            .ok()
            .and_then(|o| o.interval)
            .unwrap_or(settings.collect.interval);
        let wait = match &outcome {
            AttemptOutcome::Failed { result, .. } if *result != CollectionResult::NotConfigured => {
                backoff(settings.collect.retry_after, target.failures, interval)
            }
            _ => interval + jitter(settings.collect.jitter),
        };
        let next_due_at = Timestamp::from_datetime(Timestamp::now().as_datetime() + wait);
        let message = match &outcome {
            AttemptOutcome::Failed { message, .. } => Some(message.clone()),
            AttemptOutcome::Fetched { .. } => None,
        };
        let attempt = CollectionAttempt {
            started_at,
            duration_ms: duration.as_millis() as u64,
            outcome,
            next_due_at,
        };
        let Some(recorded) = self
            .store
            .record_collection(target.node_id, &attempt)
            .await?
        else {
            // Deleted while it was being collected: nothing is kept, as for any deleted node.
            return Err(Error::Store(unet_store::StoreError::NotFound {
                entity: EntityType::Node,
                ident: target.node_id.to_string(),
            }));
        };
        let result = recorded.result;
        let version = recorded.version;
        // A new version is checked for compliance at once: here for an operator waiting for
        // the answer, else together with the other nodes stored meanwhile.
        if result == CollectionResult::Stored {
            match trigger {
                Trigger::Request => {
                    self.templates
                        .check_pushed(&self.store, &[target.node_id])
                        .await
                }
                Trigger::Schedule | Trigger::Syslog => {
                    self.to_check
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(target.node_id);
                    self.check_wake.notify_one();
                }
            }
        }
        self.metrics
            .collection(result.as_str(), duration.as_secs_f64());
        *self.last_run.lock().unwrap_or_else(PoisonError::into_inner) = Some(started_at);
        let node = target.name.as_str();
        let trigger = trigger.as_str();
        let duration_ms = attempt.duration_ms;
        match (&message, version) {
            (None, version) => {
                tracing::info!(target: "unet::collect", event = "collection", node, trigger, result = result.as_str(), version, duration_ms, "running configuration collected")
            }
            (Some(message), _) => {
                tracing::warn!(target: "unet::collect", event = "collection", node, trigger, result = result.as_str(), duration_ms, "collection failed: {message}")
            }
        }
        Ok(CollectionReport {
            node_id: target.node_id,
            node: target.name,
            result,
            message,
            version,
            duration_ms,
            next_due_at,
        })
    }

    /// Fetches the configuration the node's profile says how to fetch.
    async fn fetch(
        &self,
        settings: &Settings,
        target: &CollectionTarget,
        options: Result<&NodeOptions, &String>,
    ) -> Result<Collected, Failure> {
        let collect = &settings.collect;
        let not_configured = |message: String| Failure {
            kind: CollectionResult::NotConfigured,
            message,
            presented_key: None,
        };
        let options = options.map_err(|e| not_configured(e.clone()))?;
        let profile = choose_profile(
            COLLECT,
            &collect.profiles,
            collect.default_profile.as_deref(),
            target.platform,
            options,
        )
        .map_err(not_configured)?;
        let address: IpAddr = target
            .management_ip
            .as_deref()
            .and_then(|ip| ip.parse().ok())
            .ok_or_else(|| not_configured("the node has no usable management_ip".to_string()))?;
        let device = Target {
            node: &target.name,
            address,
            port: options.port.or(profile.port).unwrap_or(collect.port),
            platform: target.platform,
            format: options.format.as_deref(),
        };
        let limits = Limits {
            connect: collect.connect_timeout,
            total: collect.timeout,
            max_bytes: usize::try_from(settings.configs.max_bytes).unwrap_or(usize::MAX),
        };
        let collected = match &profile.source {
            ProfileSource::Ssh(login) => {
                let host_keys = match &collect.host_keys {
                    HostKeyTrust::FirstUse => HostKeys::Pinned(target.host_key.clone()),
                    HostKeyTrust::KnownHosts(file) => HostKeys::KnownHosts(file.clone()),
                };
                let sessions = self.ssh.get_or_init(|| {
                    SshSessions::start()
                        .map_err(|e| format!("cannot start the thread for SSH sessions: {e}"))
                });
                let sessions = sessions.as_ref().map_err(|e| Failure {
                    kind: CollectionResult::Unreachable,
                    message: e.clone(),
                    presented_key: None,
                })?;
                sessions
                    .collect(&device, login, &host_keys, &limits)
                    .await?
            }
            ProfileSource::Command(program) => {
                unet_collect::collect_command(program, &device, &limits).await?
            }
        };
        Ok(collected)
    }

    async fn host_key_refused(&self, target: &CollectionTarget, failure: &Failure) {
        let presented = failure
            .presented_key
            .as_deref()
            .and_then(public_key_fingerprint);
        let pinned = target.host_key.as_deref().and_then(public_key_fingerprint);
        let detail = json!({
            "node": target.name,
            "node_id": target.node_id,
            "address": target.management_ip,
            "presented": presented,
            "pinned": pinned,
            "message": failure.message,
        });
        if let Err(e) = self
            .security
            .record(
                EventType::SshHostKeyRejected,
                None,
                &Client::default(),
                detail,
            )
            .await
        {
            tracing::error!(target: "unet::collect", node = %target.name, "ERROR recording a refused host key failed: {e}");
        }
    }

    /// Forgets a node's pinned host key (an operator's decision after a device was replaced).
    pub async fn forget_host_key(
        &self,
        node: Uuid,
        operator: Option<&str>,
        client: &Client,
    ) -> Result<Option<String>, Error> {
        let forgotten = self.store.forget_host_key(node).await?;
        if let Some(fingerprint) = &forgotten {
            let detail = json!({"node_id": node, "fingerprint": fingerprint});
            self.security
                .record(EventType::SshHostKeyForgotten, operator, client, detail)
                .await?;
        }
        Ok(forgotten)
    }
}

/// A background collection whose outcome was not recorded: a node deleted meanwhile is
/// expected (nothing is kept for a deleted node); anything else is the database failing.
fn log_unrecorded(node: &str, error: &Error) {
    if matches!(error, Error::Store(unet_store::StoreError::NotFound { .. })) {
        tracing::info!(target: "unet::collect", node, "the node was deleted while it was collected; nothing recorded");
    } else {
        tracing::error!(target: "unet::collect", node, "ERROR recording a collection failed: {error}");
    }
}

/// 422 `node_not_collectable` for a node that is not managed, and why.
fn not_collectable(target: &CollectionTarget, reason: &str) -> Error {
    Error::request(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::NodeNotCollectable,
        format!("node {} is not collected: {reason}", target.name),
    )
}

/// The answer for a node that has no collection status: not managed, and why.
pub async fn status_missing(store: &Store, node_id: Uuid) -> Error {
    match store.collection_target(node_id).await {
        Ok(target) => {
            // Managed since its status was read (an edit in between): asking again answers.
            let reason = not_managed(COLLECT, target.status, target.management_ip.as_deref())
                .unwrap_or_else(|| "it was not managed a moment ago; ask again".to_string());
            not_collectable(&target, &reason)
        }
        Err(e) => e.into(),
    }
}
