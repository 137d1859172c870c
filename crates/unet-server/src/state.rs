//! What every request handler shares: the store, the authenticator, the start time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use unet_auth::Security;
use unet_settings::ConfigsSection;
use unet_store::Store;

use crate::auth::{Anonymous, Authenticator, Guard, TokenAuthenticator};
use crate::collector::Collector;
use crate::git_sync::{GitSync, Syncer};
use crate::operations::Operations;
use crate::policies::PolicyEngine;
use crate::poller::Poller;
use crate::templates::TemplateEngine;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// Request limits the HTTP layer enforces (`[server]` section), and `[configs]`: the size
/// limit of a running-configuration upload and the retention its push applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    pub configs: ConfigsSection,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            request_timeout: Duration::from_secs(30),
            configs: ConfigsSection::default(),
        }
    }
}

struct Inner {
    store: Store,
    limits: Limits,
    authenticator: Box<dyn Authenticator>,
    security: Arc<Security>,
    started: Instant,
    operations: Operations,
    policies: Arc<PolicyEngine>,
    templates: Arc<TemplateEngine>,
    git: Arc<GitSync>,
    collector: Arc<Collector>,
    poller: Arc<Poller>,
}

impl AppState {
    /// State with the pass-through [`Anonymous`] authenticator.
    pub fn new(store: Store, limits: Limits) -> AppState {
        AppState::with_authenticator(store, limits, Anonymous)
    }

    pub fn with_authenticator(
        store: Store,
        limits: Limits,
        authenticator: impl Authenticator,
    ) -> AppState {
        let security = Arc::new(Security::new(store.clone()));
        AppState::build(store, limits, Box::new(authenticator), security)
    }

    /// State that requires a bearer token (session or API key) checked by `security`.
    pub fn secured(store: Store, limits: Limits, security: Arc<Security>) -> AppState {
        let authenticator = TokenAuthenticator::new(security.clone());
        AppState::build(store, limits, Box::new(authenticator), security)
    }

    fn build(
        store: Store,
        limits: Limits,
        authenticator: Box<dyn Authenticator>,
        security: Arc<Security>,
    ) -> AppState {
        let operations = Operations::default();
        let templates: Arc<TemplateEngine> = Arc::default();
        let collector = Arc::new(Collector::new(
            store.clone(),
            templates.clone(),
            security.clone(),
            operations.metrics().clone(),
        ));
        collector.configure(&Default::default(), &limits.configs);
        let poller = Arc::new(Poller::new(store.clone(), operations.metrics().clone()));
        AppState {
            inner: Arc::new(Inner {
                store,
                limits,
                authenticator,
                security,
                started: Instant::now(),
                operations,
                policies: Arc::default(),
                templates,
                git: Arc::default(),
                collector,
                poller,
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// Users, sessions, API keys, policy and security events.
    pub fn security(&self) -> &Arc<Security> {
        &self.inner.security
    }

    /// Metrics, snapshot settings and the other operations state (see [`Operations`]).
    pub fn operations(&self) -> &Operations {
        &self.inner.operations
    }

    /// The rule set of `policies.dir` and the inventory-change signal.
    pub fn policies(&self) -> &Arc<PolicyEngine> {
        &self.inner.policies
    }

    /// The templates of `templates.dir` (or the templates repository), compiled.
    pub fn templates(&self) -> &Arc<TemplateEngine> {
        &self.inner.templates
    }

    /// Collection of running configurations from the devices.
    pub fn collector(&self) -> &Arc<Collector> {
        &self.inner.collector
    }

    /// SNMP polling of the devices.
    pub fn poller(&self) -> &Arc<Poller> {
        &self.inner.poller
    }

    /// The `[git]` repositories and their sync status.
    pub fn git(&self) -> &GitSync {
        &self.inner.git
    }

    /// The handle sync runs work through: the repositories, the policy engine they feed and the
    /// security events.
    pub fn syncer(&self) -> Syncer {
        Syncer {
            git: self.inner.git.clone(),
            policies: self.inner.policies.clone(),
            templates: self.inner.templates.clone(),
            security: self.inner.security.clone(),
        }
    }

    pub fn uptime_seconds(&self) -> u64 {
        self.inner.started.elapsed().as_secs()
    }
}

impl Guard for AppState {
    fn authenticator(&self) -> &dyn Authenticator {
        self.inner.authenticator.as_ref()
    }

    fn security(&self) -> &Security {
        &self.inner.security
    }
}
