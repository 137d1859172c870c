//! What the commands talk to: one trait per domain (the inventory, its change history, bulk
//! exchange, compliance, templates, accounts, running configurations), each implemented twice —
//! by [`Local`], which opens the
//! database through the store, and by [`Remote`], which speaks the HTTP API — so that every
//! command is written once and behaves alike on either side. [`Backend`] is all of them.

mod endpoint;
mod entity;
mod local;
pub mod pins;
mod remote;
mod transport;

use std::path::{Path, PathBuf};

use unet_auth::{ApiKey, AuditSummary, CreatedApiKey, Role, SecurityEvent, User, UserUpdate};
use unet_compliance::{
    EvaluatedResult, FleetCompliance, NodeComplianceReport, PolicyChange, Rendering, TemplateInfo,
};
use unet_core::{
    ChangeContext, ChangeFilter, ChangeSource, ConfigurationChange, ImportBatch, ImportReport,
    Node, Page, PageRequest, Pushed, RunningConfigInfo, Timestamp, Uuid,
};
use unet_store::{
    ComplianceCounts, ConfigCheckFilter, ImportOptions, NamedConfigCheck, PolicyOutcome,
    StoredResult,
};

use crate::error::Result;

pub use endpoint::Endpoint;
pub use entity::{Entity, Write};
pub use local::Local;
pub use remote::Remote;

/// Locations, nodes and links: find, list, create, change, delete. Writes are recorded as
/// the operator's (`USER`) from the CLI locally, and as the authenticated caller remotely.
pub trait Inventory {
    /// By UUID or name (and for nodes an FQDN, for locations a path).
    async fn resolve<E: Entity>(&self, ident: &str) -> Result<E>;
    async fn list<E: Entity>(&self, filter: &E::Filter, page: &PageRequest) -> Result<Page<E>>;
    async fn create<E: Entity>(&self, draft: E::Draft) -> Result<E>;
    async fn update<E: Entity>(&self, write: Write<E>) -> Result<E>;
    async fn delete<E: Entity>(&self, id: Uuid, cascade: bool) -> Result<()>;
}

/// The change history, newest first.
pub trait Changes {
    async fn changes(&self, f: &ChangeFilter, p: &PageRequest)
    -> Result<Page<ConfigurationChange>>;
    async fn node_history(&self, id: Uuid, p: &PageRequest) -> Result<Page<ConfigurationChange>>;
}

/// Whole inventories in and out.
pub trait Exchange {
    /// Imports with change source `import`; the report names each record by its origin.
    async fn import(&self, batch: ImportBatch, options: &ImportOptions) -> Result<ImportReport>;
    async fn export(&self) -> Result<unet_core::Inventory>;
}

/// Policy evaluation and its stored results.
pub trait Compliance {
    async fn evaluate(&self, request: &Evaluate) -> Result<Evaluation>;
    async fn policy_results(&self, query: &ResultQuery) -> Result<Vec<StoredResult>>;
    /// The fleet's recorded policy and config compliance.
    async fn fleet_compliance(&self) -> Result<FleetCompliance>;
    /// One node's (UUID, name or FQDN) recorded verdicts.
    async fn node_compliance(&self, node: &str) -> Result<NodeComplianceReport>;
    /// The recorded config checks matching `filter`, by node name.
    async fn config_checks(
        &self,
        filter: &ConfigCheckFilter,
        limit: u32,
    ) -> Result<Vec<NamedConfigCheck>>;
}

/// Intended configurations: the templates, a node's assignments and its templates rendered.
/// Locally the templates come from a folder (`dir`); a server uses its own templates folder.
pub trait Templates {
    async fn templates(&self, dir: &Path) -> Result<Vec<TemplateInfo>>;
    /// The node (UUID, name or FQDN) and the templates assigned to it, in order.
    async fn assigned_templates(&self, node: &str) -> Result<(Node, Vec<String>)>;
    async fn render(&self, node: &str, dir: &Path) -> Result<Rendering>;
}

/// User accounts, API keys and the security trail. Locally the operator acts as an
/// administrator of the database they opened.
pub trait Accounts {
    async fn users(&self) -> Result<Vec<User>>;
    async fn create_user(&self, username: &str, password: &str, roles: &[Role]) -> Result<User>;
    async fn update_user(&self, username: &str, update: &UserUpdate) -> Result<User>;
    async fn delete_user(&self, username: &str) -> Result<()>;
    async fn api_keys(&self) -> Result<Vec<ApiKey>>;
    async fn create_api_key(&self, key: &NewApiKey) -> Result<CreatedApiKey>;
    async fn revoke_api_key(&self, id: Uuid) -> Result<()>;
    async fn security_events(&self, query: &EventQuery) -> Result<Vec<SecurityEvent>>;
    async fn audit_summary(&self, window_hours: u32) -> Result<AuditSummary>;
}

/// Nodes' stored running configurations. Locally a push applies the store's default size
/// limit and retention (the server's `[configs]` defaults); a server applies its own.
pub trait Configs {
    async fn push_config(
        &self,
        node: &Node,
        content: &str,
        taken_at: Option<Timestamp>,
    ) -> Result<Pushed>;
    /// The stored versions, newest first, without content.
    async fn configs(&self, node: &Node) -> Result<Vec<RunningConfigInfo>>;
    /// One version (`None`: the latest), its secrets masked when `masked` (a server also masks
    /// for a caller without the operator role).
    async fn config(&self, node: &Node, version: Option<u64>, masked: bool) -> Result<ShownConfig>;
}

/// Polled state (SNMP). Reads work on either side, answering as the server does; polling
/// itself needs the server, which holds the SNMP credentials.
pub trait Polling {
    /// Polls one node now; the outcome (a failure is an outcome, not an error).
    async fn poll(&self, node: Uuid) -> Result<serde_json::Value>;
    /// Makes every managed node due now; answers `{managed}`.
    async fn poll_all(&self) -> Result<serde_json::Value>;
    async fn polled(&self, node: &Node, what: Polled) -> Result<serde_json::Value>;
    /// The fleet's figures and the statuses of the managed nodes that `filter` selects.
    async fn fleet_status(&self, filter: &unet_store::PollFilter) -> Result<serde_json::Value>;
    /// Status events newest first.
    async fn status_events(
        &self,
        filter: &unet_store::EventFilter,
        limit: u32,
    ) -> Result<Vec<serde_json::Value>>;
}

/// What of a node's polled state to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polled {
    Status,
    Interfaces,
    Neighbours,
}

impl Polled {
    pub fn path(self) -> &'static str {
        match self {
            Polled::Status => "status",
            Polled::Interfaces => "interfaces",
            Polled::Neighbours => "neighbours",
        }
    }
}

/// Everything a command may ask of either side.
pub trait Backend:
    Inventory + Changes + Exchange + Compliance + Templates + Accounts + Configs + Polling
{
}

impl<T: Inventory + Changes + Exchange + Compliance + Templates + Accounts + Configs + Polling>
    Backend for T
{
}

/// One stored running configuration as shown, and whether its secrets were masked.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ShownConfig {
    pub info: RunningConfigInfo,
    pub content: String,
    pub masked: bool,
}

/// An evaluation to run. Locally the rules come from `policies`; a server evaluates its own
/// `policies.dir`.
#[derive(Debug)]
pub struct Evaluate {
    pub policies: PathBuf,
    /// Locally, the templates folder the configurations are checked against before the rules
    /// run (skipped when it does not exist); a server checks with its own.
    pub templates: PathBuf,
    /// Only this node (name, FQDN or UUID).
    pub node: Option<String>,
    /// Keep only failures and errors in the answer (every result is still stored).
    pub failures_only: bool,
    /// Write `SET` changes and `APPLY` template assignments.
    pub apply: bool,
}

/// What an evaluation found.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub results: Vec<EvaluatedResult>,
    pub nodes: u64,
    pub counts: ComplianceCounts,
    /// The `SET` changes rules proposed, applied or not (a server does not report them).
    pub changes: Vec<PolicyChange>,
    /// Template assignments (added, removed) by a local `--apply` (a server does not report them).
    pub template_assignments: Option<(usize, usize)>,
}

/// Which stored results to show.
#[derive(Debug)]
pub struct ResultQuery {
    /// Only this node (name, FQDN or UUID).
    pub node: Option<String>,
    pub outcome: Option<PolicyOutcome>,
    pub rule: Option<String>,
    pub limit: u32,
}

/// A new API key.
#[derive(Debug, serde::Serialize)]
pub struct NewApiKey {
    pub name: String,
    pub roles: Vec<Role>,
    pub expires_in_days: u32,
}

/// Which security events to show.
#[derive(Debug)]
pub struct EventQuery {
    /// Only this type (`auth_failure`, `lockout`, …).
    pub event_type: Option<String>,
    pub limit: u32,
    /// Only events at or after this RFC 3339 time.
    pub since: Option<String>,
}

/// The actor recorded in the change history: the login name, or `cli` when there is none.
pub fn actor() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "cli".to_string())
}

pub fn context(source: ChangeSource) -> ChangeContext {
    ChangeContext::new(actor(), source)
}

/// The side a command works on.
pub enum Client {
    Local(Local),
    Remote(Remote),
}

impl Client {
    /// The server at `server` when one is named, else the database at `database_url`
    /// (opened when a command first needs it).
    pub fn open(server: Option<&Endpoint>, database_url: &str) -> Result<Client> {
        match server {
            Some(server) => Ok(Client::Remote(Remote::connect(server)?)),
            None => Ok(Client::Local(Local::new(database_url))),
        }
    }

    pub async fn close(self) {
        if let Client::Local(local) = self {
            local.close().await;
        }
    }
}
