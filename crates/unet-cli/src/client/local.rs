//! Local mode: the database itself, through the store (and the security service for accounts).

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use tokio::sync::OnceCell;
use unet_auth::{
    ApiKey, AuditSummary, Client as Origin, CreatedApiKey, Role, Security, SecurityEvent, User,
    UserUpdate,
};
use unet_compliance::{
    Collect, ConfigRunOptions, EvaluateOptions, FleetCompliance, LoadedPolicies, LoadedTemplates,
    NodeComplianceReport, Rendering, TemplateInfo, check_configs, evaluate, render_node,
};
use unet_core::{
    ChangeFilter, ChangeSource, ConfigSource, ConfigurationChange, ImportBatch, ImportReport, Node,
    Page, PageRequest, Pushed, RunningConfigInfo, Timestamp, Uuid,
};
use unet_store::{
    ConfigCheckFilter, DEFAULT_MAX_CONFIG_BYTES, EventFilter, ImportOptions, NamedConfigCheck,
    PollFilter, ResultFilter, Retention, Store, StoreOptions, StoredResult,
};

use super::{
    Accounts, Changes, Compliance, Configs, Entity, Evaluate, Evaluation, EventQuery, Exchange,
    Inventory, NewApiKey, Polled, Polling, ResultQuery, ShownConfig, Templates, Write, actor,
    context,
};
use crate::error::{CliError, Result};
use crate::output::note;

/// Worst nodes and rules listed in the fleet summary (as the server lists them).
const FLEET_TOP: u32 = 10;

/// The database, opened (created and migrated if new) on first use, so that a command that
/// fails before it needs the inventory — an import file with a syntax error — leaves no trace,
/// not even a new empty database.
pub struct Local {
    url: String,
    store: OnceCell<Store>,
    security: OnceCell<Security>,
}

impl Local {
    pub fn new(url: &str) -> Local {
        Local {
            url: url.to_string(),
            store: OnceCell::new(),
            security: OnceCell::new(),
        }
    }

    pub async fn store(&self) -> Result<&Store> {
        Ok(self
            .store
            .get_or_try_init(|| Store::open_and_migrate(&self.url, StoreOptions::default()))
            .await?)
    }

    /// The security service over the store, with the stored policy.
    pub async fn security(&self) -> Result<&Security> {
        let store = self.store().await?;
        Ok(self
            .security
            .get_or_try_init(|| Security::load(store.clone()))
            .await?)
    }

    pub async fn close(self) {
        if let Some(store) = self.store.get() {
            store.close().await;
        }
    }
}

/// The origin recorded with events of local commands.
fn origin() -> Origin {
    Origin {
        source_ip: None,
        user_agent: Some(format!("unet-cli/{} (local)", env!("CARGO_PKG_VERSION"))),
    }
}

impl Inventory for Local {
    async fn resolve<E: Entity>(&self, ident: &str) -> Result<E> {
        Ok(E::resolve_in(self.store().await?, ident).await?)
    }

    async fn list<E: Entity>(&self, filter: &E::Filter, page: &PageRequest) -> Result<Page<E>> {
        Ok(E::list_in(self.store().await?, filter, page).await?)
    }

    async fn create<E: Entity>(&self, draft: E::Draft) -> Result<E> {
        let ctx = context(ChangeSource::Cli);
        Ok(E::create_in(self.store().await?, &ctx, draft).await?)
    }

    async fn update<E: Entity>(&self, write: Write<E>) -> Result<E> {
        let ctx = context(ChangeSource::Cli);
        Ok(E::update_in(self.store().await?, &ctx, write).await?)
    }

    async fn delete<E: Entity>(&self, id: Uuid, cascade: bool) -> Result<()> {
        let ctx = context(ChangeSource::Cli);
        Ok(E::delete_in(self.store().await?, &ctx, id, cascade).await?)
    }
}

impl Changes for Local {
    async fn changes(
        &self,
        f: &ChangeFilter,
        p: &PageRequest,
    ) -> Result<Page<ConfigurationChange>> {
        Ok(self.store().await?.list_changes(f, p).await?)
    }

    async fn node_history(&self, id: Uuid, p: &PageRequest) -> Result<Page<ConfigurationChange>> {
        Ok(self.store().await?.node_history(id, p).await?)
    }
}

impl Exchange for Local {
    async fn import(&self, batch: ImportBatch, options: &ImportOptions) -> Result<ImportReport> {
        let ctx = context(ChangeSource::Import);
        Ok(self.store().await?.import(&ctx, batch, options).await?)
    }

    async fn export(&self) -> Result<unet_core::Inventory> {
        Ok(self.store().await?.export().await?)
    }
}

impl Compliance for Local {
    /// Loads the rule files (their diagnostics go to stderr first), evaluates them with a
    /// progress bar on a terminal, and records the results.
    async fn evaluate(&self, request: &Evaluate) -> Result<Evaluation> {
        let store = self.store().await?;
        let loaded = LoadedPolicies::load(&request.policies)?;
        for d in loaded.diagnostics.iter() {
            note!("{}", d.one_line());
        }
        let node = match &request.node {
            Some(ident) => Some(store.resolve_node(ident).await?.id),
            None => None,
        };
        let opts = EvaluateOptions {
            node,
            record: true,
            apply: request.apply.then(|| context(ChangeSource::Policy)),
            collect: if request.failures_only {
                Collect::Failures
            } else {
                Collect::All
            },
            ..Default::default()
        };
        // Configurations first, as the server does: rules read the recorded checks.
        check_configs_in(store, &request.templates, node).await?;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template("evaluating {bar:40} {pos}/{len} nodes")
            {
                bar.set_style(style);
            }
            bar
        });
        let report = evaluate(store, &loaded, &opts, &mut |done, total| {
            if let Some(bar) = &bar {
                bar.set_length(total);
                bar.set_position(done);
            }
        })
        .await?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let added: usize = report.templates.iter().map(|t| t.added.len()).sum();
        let removed: usize = report.templates.iter().map(|t| t.removed.len()).sum();
        if added + removed > 0 {
            // New assignments: check again so the recorded checks follow them.
            check_configs_in(store, &request.templates, node).await?;
        }
        Ok(Evaluation {
            results: report.results,
            nodes: report.nodes,
            counts: report.counts,
            changes: report.changes,
            template_assignments: request.apply.then_some((added, removed)),
        })
    }

    async fn fleet_compliance(&self) -> Result<FleetCompliance> {
        Ok(unet_compliance::fleet_compliance(self.store().await?, FLEET_TOP).await?)
    }

    async fn node_compliance(&self, node: &str) -> Result<NodeComplianceReport> {
        let store = self.store().await?;
        let node = store.resolve_node(node).await?;
        Ok(unet_compliance::node_compliance(store, node).await?)
    }

    async fn config_checks(
        &self,
        filter: &ConfigCheckFilter,
        limit: u32,
    ) -> Result<Vec<NamedConfigCheck>> {
        Ok(self
            .store()
            .await?
            .list_config_checks(filter, limit)
            .await?)
    }

    async fn policy_results(&self, query: &ResultQuery) -> Result<Vec<StoredResult>> {
        let store = self.store().await?;
        let node_id = match &query.node {
            Some(ident) => Some(store.resolve_node(ident).await?.id),
            None => None,
        };
        let filter = ResultFilter {
            node_id,
            outcome: query.outcome,
            rule: query.rule.clone(),
        };
        Ok(store.policy_results(&filter, query.limit).await?)
    }
}

impl Templates for Local {
    async fn templates(&self, dir: &Path) -> Result<Vec<TemplateInfo>> {
        Ok(load_templates(dir)?.list())
    }

    async fn assigned_templates(&self, node: &str) -> Result<(Node, Vec<String>)> {
        let store = self.store().await?;
        let node = store.resolve_node(node).await?;
        let templates = store.node_templates(node.id).await?;
        Ok((node, templates))
    }

    async fn render(&self, node: &str, dir: &Path) -> Result<Rendering> {
        let loaded = load_templates(dir)?;
        let store = self.store().await?;
        let node = store.resolve_node(node).await?;
        Ok(render_node(store, &loaded, &node, None).await?)
    }
}

/// Checks the configurations of the fleet (or one node) against the templates of `dir` and
/// records the outcome, with a one-line summary on stderr. Nothing when the folder does not
/// exist; a folder that does not compile is reported and skipped (the rules still run).
async fn check_configs_in(store: &Store, dir: &Path, node: Option<Uuid>) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let loaded = match LoadedTemplates::load(dir) {
        Ok(loaded) => loaded,
        Err(problems) => {
            for problem in &problems {
                note!("{problem}");
            }
            note!(
                "the templates in {} do not compile: configurations were not checked",
                dir.display()
            );
            return Ok(());
        }
    };
    let opts = ConfigRunOptions {
        nodes: node.into_iter().collect(),
        ..Default::default()
    };
    let report = check_configs(store, &loaded, &opts, &mut |_, _| {}).await?;
    for e in &report.render_errors {
        note!("{e} (its recorded config check is kept)");
    }
    note!(
        "configs: {} compliant, {} not compliant, {} without a running config, {} error, {} not rendered",
        report.compliant,
        report.non_compliant,
        report.no_running_config,
        report.error,
        report.render_failed
    );
    Ok(())
}

/// The templates folder compiled; every problem of a refused folder on stderr.
fn load_templates(dir: &Path) -> Result<LoadedTemplates> {
    LoadedTemplates::load(dir).map_err(|problems| {
        for problem in &problems {
            note!("{problem}");
        }
        CliError::InvalidTemplates(format!(
            "the templates in {} have {} problem(s): nothing was rendered",
            dir.display(),
            problems.len()
        ))
    })
}

impl Configs for Local {
    /// The store's defaults: a configuration up to [`DEFAULT_MAX_CONFIG_BYTES`], the default
    /// [`Retention`].
    async fn push_config(
        &self,
        node: &Node,
        content: &str,
        taken_at: Option<Timestamp>,
    ) -> Result<Pushed> {
        let size = content.len() as u64;
        if size > DEFAULT_MAX_CONFIG_BYTES {
            return Err(CliError::Config(format!(
                "the configuration is {size} bytes, more than the {DEFAULT_MAX_CONFIG_BYTES} \
                 bytes μNet stores (a server's configs.max_bytes may allow more); nothing was \
                 stored"
            )));
        }
        let store = self.store().await?;
        let retention = Retention::default();
        Ok(store
            .push_running_config(node.id, ConfigSource::Upload, taken_at, content, &retention)
            .await?)
    }

    async fn configs(&self, node: &Node) -> Result<Vec<RunningConfigInfo>> {
        Ok(self.store().await?.running_configs(node.id).await?)
    }

    async fn config(&self, node: &Node, version: Option<u64>, masked: bool) -> Result<ShownConfig> {
        let config = self.store().await?.running_config(node.id, version).await?;
        let content = if masked {
            unet_config::mask_secrets(node.platform, &config.content).into_owned()
        } else {
            config.content
        };
        Ok(ShownConfig {
            info: config.info,
            content,
            masked,
        })
    }
}

impl Accounts for Local {
    async fn users(&self) -> Result<Vec<User>> {
        Ok(self.security().await?.list_users().await?)
    }

    async fn create_user(&self, username: &str, password: &str, roles: &[Role]) -> Result<User> {
        let security = self.security().await?;
        Ok(security
            .create_user(username, password, roles, &actor(), &origin())
            .await?)
    }

    async fn update_user(&self, username: &str, update: &UserUpdate) -> Result<User> {
        let security = self.security().await?;
        Ok(security
            .update_user(username, update.clone(), &actor(), &origin())
            .await?)
    }

    async fn delete_user(&self, username: &str) -> Result<()> {
        let security = self.security().await?;
        Ok(security.delete_user(username, &actor(), &origin()).await?)
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>> {
        Ok(self.security().await?.list_api_keys().await?)
    }

    async fn create_api_key(&self, key: &NewApiKey) -> Result<CreatedApiKey> {
        let security = self.security().await?;
        let (name, roles, days) = (&key.name, &key.roles, key.expires_in_days);
        Ok(security
            .create_api_key(name, roles, days, &actor(), &[Role::Admin], &origin())
            .await?)
    }

    async fn revoke_api_key(&self, id: Uuid) -> Result<()> {
        let security = self.security().await?;
        Ok(security.revoke_api_key(id, &actor(), &origin()).await?)
    }

    /// Clamps the limit to 1–1000, where a server refuses what is outside.
    async fn security_events(&self, query: &EventQuery) -> Result<Vec<SecurityEvent>> {
        let store = self.security().await?.store();
        let since = query
            .since
            .as_deref()
            .map(str::parse::<Timestamp>)
            .transpose()?;
        let limit = query.limit.clamp(1, 1000);
        let found = store
            .security_events(query.event_type.as_deref(), since, limit)
            .await?;
        Ok(found.into_iter().map(SecurityEvent::from).collect())
    }

    async fn audit_summary(&self, window_hours: u32) -> Result<AuditSummary> {
        let window = Duration::from_secs(u64::from(window_hours) * 3600);
        Ok(self.security().await?.audit_summary(window).await?)
    }
}

/// Polled state as the server answers it, read from the database; polling needs the server.
impl Polling for Local {
    async fn poll(&self, _node: Uuid) -> Result<Value> {
        Err(needs_server())
    }

    async fn poll_all(&self) -> Result<Value> {
        Err(needs_server())
    }

    async fn polled(&self, node: &Node, what: Polled) -> Result<Value> {
        let store = self.store().await?;
        let value = match what {
            Polled::Status => {
                let status = store.poll_status(node.id).await?.ok_or_else(|| {
                    CliError::Config(format!(
                        "node {} is not polled: only active and staged nodes with a \
                         management_ip are",
                        node.name
                    ))
                })?;
                not_polling(to_value(&status)?)
            }
            Polled::Interfaces => to_value(&store.polled_interfaces(node.id).await?)?,
            Polled::Neighbours => to_value(&store.polled_neighbours(node.id).await?)?,
        };
        Ok(value)
    }

    async fn fleet_status(&self, filter: &PollFilter) -> Result<Value> {
        let store = self.store().await?;
        let nodes = store.poll_statuses(filter, 10_000).await?;
        let summary = store.poll_summary(Timestamp::now()).await?;
        let mut summary = to_value(&summary)?;
        // No poller runs in this process: nothing is polling, and its schedule is the server's.
        summary["polling"] = Value::from(0);
        summary["enabled"] = Value::Null;
        summary["last_run"] = Value::Null;
        let nodes = nodes
            .iter()
            .map(|s| to_value(s).map(not_polling))
            .collect::<Result<Vec<_>>>()?;
        Ok(serde_json::json!({"summary": summary, "nodes": nodes}))
    }

    async fn status_events(&self, filter: &EventFilter, limit: u32) -> Result<Vec<Value>> {
        let events = self.store().await?.status_events(filter, limit).await?;
        events.iter().map(to_value).collect()
    }
}

fn needs_server() -> CliError {
    CliError::Config(
        "polling talks to the μNet server, which holds the SNMP credentials: give --server \
         URL or set UNET_SERVER (the polled state it stored reads locally too)"
            .to_string(),
    )
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| CliError::Render(e.to_string()))
}

/// A status read from the database: no poll of it is running in this process.
fn not_polling(mut status: Value) -> Value {
    status["polling"] = Value::Bool(false);
    status
}
