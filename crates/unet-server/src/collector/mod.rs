//! Collection of running configurations from the devices: the `Collector` service (settings,
//! the collections in progress, a concurrency limit), one node's collection from choosing its
//! credential profile to recording the outcome, the schedule (`schedule.rs`) and the syslog
//! trigger (`syslog.rs`). Secrets stay in the settings; messages, logs and answers carry only
//! what happened.

mod schedule;
mod syslog;

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore};
use unet_auth::{Client, EventType, Security};
use unet_collect::{Collected, Failure, HostKeys, Limits, Target, public_key_fingerprint};
use unet_core::{CollectionResult, ConfigSource, NodeStatus, Timestamp, Uuid};
use unet_settings::{
    CollectSection, ConfigsSection, CredentialProfile, HostKeyTrust, ProfileSource,
};
use unet_store::{CollectionAttempt, CollectionTarget, Store};
use utoipa::ToSchema;

use crate::error::{Error, ErrorCode};
use crate::metrics::Metrics;
use crate::templates::TemplateEngine;

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

/// Per-node choices in `custom_data.collect`.
#[derive(Debug, Default, PartialEq, Eq)]
struct NodeOptions {
    profile: Option<String>,
    port: Option<u16>,
    format: Option<String>,
    interval: Option<Duration>,
}

pub struct Collector {
    store: Store,
    templates: Arc<TemplateEngine>,
    security: Arc<Security>,
    metrics: Arc<Metrics>,
    settings: RwLock<Arc<Settings>>,
    in_progress: Mutex<HashSet<Uuid>>,
    permits: Arc<Semaphore>,
    /// The concurrency the permits were sized for.
    sized_for: Mutex<u32>,
    /// Wakes the schedule (a fleet-wide run was asked for, settings changed).
    wake: Notify,
    /// A fleet-wide run was asked for: collect due nodes even with the schedule off.
    forced: AtomicBool,
    last_run: Mutex<Option<Timestamp>>,
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
            in_progress: Mutex::new(HashSet::new()),
            permits: Arc::new(Semaphore::new(concurrency as usize)),
            sized_for: Mutex::new(concurrency),
            wake: Notify::new(),
            forced: AtomicBool::new(false),
            last_run: Mutex::new(None),
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
        self.in_progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect()
    }

    pub fn is_in_progress(&self, node: Uuid) -> bool {
        self.in_progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&node)
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
        if let Some(reason) = not_managed(&target) {
            return Err(Error::request(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::NodeNotCollectable,
                format!("node {} is not collected: {reason}", target.name),
            ));
        }
        let Some(_guard) = self.begin(node_id) else {
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

    /// Marks `node` in progress; `None` when it already is. Dropping the guard unmarks it.
    fn begin(self: &Arc<Self>, node: Uuid) -> Option<InProgress> {
        let fresh = self
            .in_progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(node);
        // Not `then_some`: a guard built for a refusal would unmark the running collection
        // when dropped.
        fresh.then(|| InProgress {
            collector: self.clone(),
            node,
        })
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
        let outcome = self.fetch(&settings, &target).await;
        let duration = started.elapsed();
        let options = node_options(&target.custom_data).unwrap_or_default();
        let (result, message, version, pin) = match outcome {
            Ok(collected) => {
                let pushed = self
                    .store_config(&settings, target.node_id, started_at, &collected)
                    .await;
                match pushed {
                    Ok(pushed) => {
                        let result = if pushed.created {
                            CollectionResult::Stored
                        } else {
                            CollectionResult::Unchanged
                        };
                        let pin = collected.host_key.as_deref().and_then(|key| {
                            public_key_fingerprint(key).map(|f| (key.to_string(), f))
                        });
                        (result, None, Some(pushed.info.version), pin)
                    }
                    Err(Error::Store(unet_store::StoreError::Invalid(e))) => (
                        CollectionResult::OutputNotRecognised,
                        Some(format!("the configuration is not storable: {e}")),
                        None,
                        None,
                    ),
                    Err(e) => return Err(e),
                }
            }
            Err(failure) => {
                if failure.kind == CollectionResult::HostKeyMismatch {
                    self.host_key_refused(&target, &failure).await;
                }
                (failure.kind, Some(failure.message), None, None)
            }
        };
        let interval = options.interval.unwrap_or(settings.collect.interval);
        let wait = if result.is_failure() && result != CollectionResult::NotConfigured {
            backoff(settings.collect.retry_after, target.failures, interval)
        } else {
            interval + jitter(settings.collect.jitter)
        };
        let next_due_at = Timestamp::from_datetime(Timestamp::now().as_datetime() + wait);
        let attempt = CollectionAttempt {
            started_at,
            duration_ms: duration.as_millis() as u64,
            result,
            message: message.clone(),
            version,
            next_due_at,
            pin_host_key: pin,
        };
        self.store
            .record_collection(target.node_id, &attempt)
            .await?;
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
    ) -> Result<Collected, Failure> {
        let collect = &settings.collect;
        let not_configured = |message: String| Failure {
            kind: CollectionResult::NotConfigured,
            message,
            presented_key: None,
        };
        let options = node_options(&target.custom_data).map_err(not_configured)?;
        let profile = choose_profile(collect, target, &options).map_err(not_configured)?;
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
                unet_collect::collect_ssh(&device, login, &host_keys, &limits).await?
            }
            ProfileSource::Command(program) => {
                unet_collect::collect_command(program, &device, &limits).await?
            }
        };
        Ok(collected)
    }

    /// Stores a collected configuration as the node's newest version when its content changed,
    /// and checks the node's config compliance at once.
    async fn store_config(
        &self,
        settings: &Settings,
        node: Uuid,
        taken_at: Timestamp,
        collected: &Collected,
    ) -> Result<unet_core::Pushed, Error> {
        crate::templates::push_and_check(
            &self.templates,
            &self.store,
            node,
            ConfigSource::Collected,
            Some(taken_at),
            &collected.text,
            &settings.configs.retention(),
        )
        .await
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

/// Marks a node in progress for as long as it lives.
struct InProgress {
    collector: Arc<Collector>,
    node: Uuid,
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.collector
            .in_progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.node);
    }
}

/// Why a node is not collected, if it is not.
fn not_managed(target: &CollectionTarget) -> Option<String> {
    if !matches!(target.status, NodeStatus::Active | NodeStatus::Staged) {
        return Some(format!(
            "its status is {} (active and staged nodes are collected)",
            target.status
        ));
    }
    if target.management_ip.is_none() {
        return Some("it has no management_ip".to_string());
    }
    None
}

/// `custom_data.collect`: `profile`, `port`, `format`, `interval`; a wrong value names its key.
fn node_options(custom_data: &Value) -> Result<NodeOptions, String> {
    let Some(collect) = custom_data.get("collect") else {
        return Ok(NodeOptions::default());
    };
    let Some(collect) = collect.as_object() else {
        return Err(format!(
            "custom_data.collect: expected an object, got {collect}"
        ));
    };
    let mut options = NodeOptions::default();
    for (key, value) in collect {
        let wrong =
            |expected: &str| format!("custom_data.collect.{key}: expected {expected}, got {value}");
        match key.as_str() {
            "profile" => {
                options.profile = Some(
                    value
                        .as_str()
                        .ok_or_else(|| wrong("a profile name"))?
                        .to_string(),
                )
            }
            "format" => {
                options.format = Some(
                    value
                        .as_str()
                        .ok_or_else(|| wrong("a format name"))?
                        .to_string(),
                )
            }
            "port" => {
                options.port = Some(
                    value
                        .as_u64()
                        .and_then(|p| u16::try_from(p).ok())
                        .filter(|p| *p > 0)
                        .ok_or_else(|| wrong("a port from 1 to 65535"))?,
                )
            }
            "interval" => {
                options.interval = Some(
                    value
                        .as_str()
                        .and_then(unet_settings::parse_duration)
                        .filter(|d| *d >= Duration::from_secs(60))
                        .ok_or_else(|| wrong("a duration of at least \"1m\", such as \"30m\""))?,
                )
            }
            _ => {
                return Err(format!(
                    "custom_data.collect.{key}: unknown (profile, port, format and interval are)"
                ));
            }
        }
    }
    Ok(options)
}

/// The node's profile: the one it names, else the first for its platform, else the default.
fn choose_profile<'a>(
    collect: &'a CollectSection,
    target: &CollectionTarget,
    options: &NodeOptions,
) -> Result<&'a CredentialProfile, String> {
    if let Some(name) = &options.profile {
        return collect.profile(name).ok_or_else(|| {
            format!("custom_data.collect.profile names {name:?}, which no [[collect.profiles]] is")
        });
    }
    collect
        .profiles
        .iter()
        .find(|p| p.platforms.contains(&target.platform))
        .or_else(|| {
            collect
                .default_profile
                .as_deref()
                .and_then(|n| collect.profile(n))
        })
        .ok_or_else(|| {
            format!(
                "no credential profile applies to platform {}: set custom_data.collect.profile, \
                 a profile's platforms, or collect.default_profile",
                target.platform
            )
        })
}

/// The wait after `failures_before + 1` failures in a row: `retry_after` doubled per earlier
/// failure, at most `interval`.
fn backoff(retry_after: Duration, failures_before: u32, interval: Duration) -> Duration {
    let factor = 2u32.saturating_pow(failures_before.min(20));
    retry_after.saturating_mul(factor).min(interval)
}

/// A random wait up to `max`, so a fleet collected together does not stay together.
fn jitter(max: Duration) -> Duration {
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
    fn node_options_name_the_wrong_key() {
        let ok = node_options(&json!({"collect": {"profile": "ro", "port": 2222, "format": "brace", "interval": "30m"}})).unwrap();
        assert_eq!(ok.port, Some(2222));
        assert_eq!(ok.interval, Some(Duration::from_secs(1800)));
        assert_eq!(
            node_options(&json!({"role": "x"})).unwrap(),
            NodeOptions::default()
        );
        let err = node_options(&json!({"collect": {"port": 70000}})).unwrap_err();
        assert!(
            err.starts_with("custom_data.collect.port: expected a port"),
            "{err}"
        );
        let err = node_options(&json!({"collect": {"interval": "5s"}})).unwrap_err();
        assert!(err.contains("custom_data.collect.interval"), "{err}");
        let err = node_options(&json!({"collect": {"profle": "x"}})).unwrap_err();
        assert!(err.contains("custom_data.collect.profle: unknown"), "{err}");
    }

    #[tokio::test]
    async fn a_node_is_in_progress_once_and_a_refused_mark_leaves_the_first() {
        let db = unet_store::testing::TestDatabase::sqlite();
        let store = db.store().await;
        let collector = Arc::new(Collector::new(
            store.clone(),
            Arc::default(),
            Arc::new(Security::new(store)),
            Arc::default(),
        ));
        let node = Uuid::new_v4();
        let first = collector.begin(node).expect("first mark");
        assert!(collector.begin(node).is_none());
        // The refusal above must not have unmarked the running collection.
        assert!(collector.is_in_progress(node));
        assert!(collector.begin(node).is_none());
        drop(first);
        assert!(!collector.is_in_progress(node));
        assert!(collector.begin(node).is_some());
    }

    #[test]
    fn jitter_stays_within_its_bound() {
        for _ in 0..100 {
            assert!(jitter(Duration::from_secs(5)) <= Duration::from_secs(5));
        }
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }
}
