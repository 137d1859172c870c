//! Local mode: the database itself, through the store (and the security service for accounts).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::OnceCell;
use unet_auth::{
    ApiKey, AuditSummary, Client as Origin, CreatedApiKey, Role, Security, SecurityEvent, User,
    UserUpdate,
};
use unet_compliance::{Collect, EvaluateOptions, LoadedPolicies, evaluate};
use unet_core::{
    ChangeFilter, ChangeSource, ConfigurationChange, ImportBatch, ImportReport, Page, PageRequest,
    Timestamp, Uuid,
};
use unet_store::{ImportOptions, ResultFilter, Store, StoreOptions, StoredResult};

use super::{
    Accounts, Changes, Compliance, Entity, Evaluate, Evaluation, EventQuery, Exchange, Inventory,
    NewApiKey, ResultQuery, Write, actor, context,
};
use crate::error::Result;
use crate::output::note;

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
        let added = report.templates.iter().map(|t| t.added.len()).sum();
        Ok(Evaluation {
            results: report.results,
            nodes: report.nodes,
            counts: report.counts,
            changes: report.changes,
            templates_added: request.apply.then_some(added),
        })
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
