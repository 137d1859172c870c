//! Server mode: the same operations over the HTTP API, with the same results as local mode
//! (names resolved by the server with the store's rules, the import report and exported
//! inventory exactly as the store produces them). Requests and answers are typed; only the
//! server's own documents the CLI shows as they come (Git status, the policy listing) stay
//! JSON values.

use std::path::Path;

use reqwest::Method;
use reqwest::header::{HeaderMap, LINK};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use unet_auth::{ApiKey, AuditSummary, CreatedApiKey, Role, SecurityEvent, User, UserUpdate};
use unet_compliance::{
    EvaluatedResult, EvaluationSummary, FleetCompliance, NodeComplianceReport, Rendering,
    TemplateInfo,
};
use unet_core::{
    ChangeFilter, ConfigurationChange, ImportBatch, ImportDocument, ImportReport, Node, Page,
    PageRequest, Pushed, RunningConfigInfo, Timestamp, Uuid,
};
use unet_store::{
    ComplianceCounts, ConfigCheckFilter, ConfigState, EventFilter, ImportOptions, NamedConfigCheck,
    PollFilter, SliceVerdict, StoredResult,
};

use unet_trust::Trust;

use super::entity::Query;
use super::transport::{Api, Reply};
use super::{
    Accounts, Changes, Compliance, Configs, Endpoint, Entity, Evaluate, Evaluation, EventQuery,
    Exchange, Inventory, NewApiKey, Polled, Polling, ResultQuery, ShownConfig, Templates, Write,
};
use crate::error::{CliError, Result};

const TOTAL_COUNT: &str = "x-total-count";

pub struct Remote {
    api: Api,
}

/// `POST /api/v1/users`.
#[derive(Serialize)]
struct NewUser<'a> {
    username: &'a str,
    password: &'a str,
    roles: &'a [Role],
}

/// `PATCH /api/v1/users/{username}`: only the fields being changed.
#[derive(Serialize)]
struct UserPatch<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<&'a [Role]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<&'a str>,
}

/// `POST /api/v1/policies/evaluate`.
#[derive(Serialize)]
struct EvaluationBody<'a> {
    nodes: Option<NodeSelector<'a>>,
    apply: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    summary: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    failures_only: bool,
}

#[derive(Serialize)]
struct NodeSelector<'a> {
    node: &'a str,
}

/// `POST /api/v1/git/sync`.
#[derive(Serialize)]
struct SyncBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    repository: Option<&'a str>,
}

/// `POST /api/v1/auth/login`.
#[derive(Serialize)]
struct LoginBody<'a> {
    username: &'a str,
    password: &'a str,
}

/// The login answer: a session token and when it expires.
#[derive(Deserialize)]
pub struct Login {
    pub token: Option<String>,
    pub expires_at: Option<String>,
}

impl Remote {
    /// The server at `server`, with the token of `UNET_TOKEN` or the token file.
    pub fn connect(server: &Endpoint) -> Result<Remote> {
        let token = crate::client_config::token()?;
        Ok(Remote {
            api: Api::new(server, token)?,
        })
    }

    /// The server at `server`, without a token, for logging in: the password it will carry
    /// gets the same protection as a token.
    pub fn for_login(server: &Endpoint) -> Result<Remote> {
        server.check_secret("the password")?;
        Ok(Remote {
            api: Api::new(server, None)?,
        })
    }

    /// The server at `server`, anonymous, with its certificate checked by `trust` (which may
    /// accept any certificate: nothing secret is sent).
    pub fn inspect(server: &Endpoint, trust: Trust) -> Result<Remote> {
        Ok(Remote {
            api: Api::with_trust(server, None, trust)?,
        })
    }

    /// `GET /api/v1/health`: the server's health document.
    pub async fn health(&self) -> Result<Value> {
        self.get("api/v1/health", Query::default()).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: Query) -> Result<T> {
        Ok(self.api.get(path, &query.0).await?.body)
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        Ok(self.api.post(path, &[], body).await?.body)
    }

    /// One page of a list, with the total and the next cursor from the headers.
    async fn page<T: DeserializeOwned>(&self, path: &str, query: Query) -> Result<Page<T>> {
        let reply: Reply<Vec<T>> = self.api.get(path, &query.0).await?;
        let total = header_number(&reply.headers).ok_or_else(|| CliError::Http {
            url: self
                .api
                .url(path)
                .map(|u| u.to_string())
                .unwrap_or_default(),
            message: format!("the list response has no numeric {TOTAL_COUNT} header"),
        })?;
        Ok(Page {
            items: reply.body,
            next_cursor: next_cursor(&self.api, &reply.headers),
            total,
        })
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<Login> {
        let body = LoginBody { username, password };
        self.post("api/v1/auth/login", &body).await
    }

    /// Each Git repository's status, as the server reports it.
    pub async fn git_status(&self) -> Result<Vec<Value>> {
        self.get("api/v1/git/status", Query::default()).await
    }

    /// Syncs every repository, or the one named, and answers their status.
    pub async fn git_sync(&self, repository: Option<&str>) -> Result<Vec<Value>> {
        self.post("api/v1/git/sync", &SyncBody { repository }).await
    }

    /// Collects one node now; the outcome (a failure is an outcome, not an error).
    pub async fn collect(&self, node: Uuid) -> Result<Value> {
        self.post(
            &format!("api/v1/nodes/{node}/collect"),
            &serde_json::json!({}),
        )
        .await
    }

    /// One node's collection status.
    pub async fn collection(&self, node: Uuid) -> Result<Value> {
        self.get(&format!("api/v1/nodes/{node}/collection"), Query::default())
            .await
    }

    /// The fleet's collection figures and statuses (`result`, `failing` filters).
    pub async fn fleet_collection(&self, result: Option<&str>, failing: bool) -> Result<Value> {
        let query = Query::default()
            .opt("result", result)
            .opt("failing", failing.then_some(true))
            .opt("limit", Some(10_000));
        self.get("api/v1/collection", query).await
    }

    /// Makes every managed node due now; answers `{managed}`.
    pub async fn collect_all(&self) -> Result<Value> {
        self.post("api/v1/collection/run", &serde_json::json!({}))
            .await
    }

    /// Forgets a node's pinned SSH host key; answers `{forgotten}`.
    pub async fn forget_host_key(&self, node: Uuid) -> Result<Value> {
        let path = format!("api/v1/nodes/{node}/host-key");
        Ok(self
            .api
            .request(Method::DELETE, &path, &[], None::<&()>, None)
            .await?
            .body)
    }

    /// The rule listing of the server's policies directory.
    pub async fn policy_listing(&self) -> Result<Value> {
        self.get("api/v1/policies", Query::default()).await
    }
}

impl Inventory for Remote {
    async fn resolve<E: Entity>(&self, ident: &str) -> Result<E> {
        let path = format!("api/v1/resolve/{}", E::COLLECTION);
        self.get(&path, Query::default().opt("ident", Some(ident)))
            .await
    }

    async fn list<E: Entity>(&self, filter: &E::Filter, page: &PageRequest) -> Result<Page<E>> {
        let path = format!("api/v1/{}", E::COLLECTION);
        self.page(&path, E::query(filter).page(page)).await
    }

    async fn create<E: Entity>(&self, draft: E::Draft) -> Result<E> {
        self.post(&format!("api/v1/{}", E::COLLECTION), &draft)
            .await
    }

    async fn update<E: Entity>(&self, write: Write<E>) -> Result<E> {
        let path = format!("api/v1/{}/{}", E::COLLECTION, write.id);
        Ok(self
            .api
            .put(&path, &write.draft, write.if_revision)
            .await?
            .body)
    }

    async fn delete<E: Entity>(&self, id: Uuid, cascade: bool) -> Result<()> {
        let query = Query::default().opt("cascade", cascade.then_some(true));
        self.api
            .delete(&format!("api/v1/{}/{id}", E::COLLECTION), &query.0)
            .await
    }
}

impl Changes for Remote {
    async fn changes(
        &self,
        f: &ChangeFilter,
        p: &PageRequest,
    ) -> Result<Page<ConfigurationChange>> {
        let query = Query::default()
            .opt("entity_type", f.entity_type.map(|e| e.as_str()))
            .opt("entity_id", f.entity_id)
            .opt("action", f.action.map(|a| a.as_str()))
            .opt("source", f.source.map(|s| s.as_str()))
            .opt("actor", f.actor.as_deref())
            .opt("since", f.since)
            .page(p);
        self.page("api/v1/changes", query).await
    }

    async fn node_history(&self, id: Uuid, p: &PageRequest) -> Result<Page<ConfigurationChange>> {
        let path = format!("api/v1/nodes/{id}/history");
        self.page(&path, Query::default().page(p)).await
    }
}

impl Exchange for Remote {
    /// Sends the records with their origins, so that the report names the same files and
    /// records as a local import would. The progress is all or nothing: one request.
    async fn import(&self, batch: ImportBatch, options: &ImportOptions) -> Result<ImportReport> {
        let total = batch.len() as u64;
        let query = Query::default()
            .opt("continue_on_error", Some(options.continue_on_error))
            .opt("dry_run", Some(options.dry_run));
        if let Some(progress) = &options.progress {
            progress(0, total);
        }
        let document = ImportDocument::from(batch);
        let report = self.api.post("api/v1/import", &query.0, &document).await?;
        if let Some(progress) = &options.progress {
            progress(total, total);
        }
        Ok(report.body)
    }

    async fn export(&self) -> Result<unet_core::Inventory> {
        self.get("api/v1/export", Query::default()).await
    }
}

impl Compliance for Remote {
    /// The server reloads its `policies.dir`, evaluates, stores the results and (when
    /// applying) writes `SET`/`APPLY` as the caller; proposed changes are not part of its
    /// answer. With `failures_only` the server answers its summary with only the failures and
    /// errors (the whole fleet's results stay on the server); otherwise it lists every result,
    /// and the counts and the node total come from that list.
    async fn evaluate(&self, request: &Evaluate) -> Result<Evaluation> {
        let body = EvaluationBody {
            nodes: request.node.as_deref().map(|node| NodeSelector { node }),
            apply: request.apply,
            summary: request.failures_only,
            failures_only: request.failures_only,
        };
        const PATH: &str = "api/v1/policies/evaluate";
        if request.failures_only {
            let summary: EvaluationSummary = self.post(PATH, &body).await?;
            return Ok(Evaluation {
                results: summary.results,
                nodes: summary.nodes,
                counts: summary.counts,
                ..Evaluation::default()
            });
        }
        let results: Vec<EvaluatedResult> = self.post(PATH, &body).await?;
        let mut counts = ComplianceCounts::default();
        let mut nodes = std::collections::HashSet::new();
        for r in &results {
            counts.add(r.outcome);
            nodes.insert(r.node_id);
        }
        Ok(Evaluation {
            results,
            nodes: nodes.len() as u64,
            counts,
            ..Evaluation::default()
        })
    }

    async fn fleet_compliance(&self) -> Result<FleetCompliance> {
        self.get("api/v1/compliance", Query::default()).await
    }

    async fn node_compliance(&self, node: &str) -> Result<NodeComplianceReport> {
        let node: Node = self.resolve(node).await?;
        let path = format!("api/v1/nodes/{}/compliance", node.id);
        self.get(&path, Query::default()).await
    }

    async fn config_checks(
        &self,
        filter: &ConfigCheckFilter,
        limit: u32,
    ) -> Result<Vec<NamedConfigCheck>> {
        let query = Query::default()
            .opt("state", filter.state.map(ConfigState::as_str))
            .opt("template", filter.template.as_deref())
            .opt("verdict", filter.verdict.map(SliceVerdict::as_str))
            .opt("limit", Some(limit));
        self.get("api/v1/compliance/configs", query).await
    }

    async fn policy_results(&self, q: &ResultQuery) -> Result<Vec<StoredResult>> {
        let query = Query::default()
            .opt("node", q.node.as_deref())
            .opt("outcome", q.outcome)
            .opt("rule", q.rule.as_deref())
            .opt("limit", Some(q.limit));
        self.get("api/v1/policies/results", query).await
    }
}

impl Templates for Remote {
    /// The server's own templates folder (`dir` is a local folder, not used here).
    async fn templates(&self, _dir: &Path) -> Result<Vec<TemplateInfo>> {
        self.get("api/v1/templates", Query::default()).await
    }

    async fn assigned_templates(&self, node: &str) -> Result<(Node, Vec<String>)> {
        let node: Node = self.resolve(node).await?;
        let path = format!("api/v1/nodes/{}/compliance", node.id);
        let report: NodeComplianceReport = self.get(&path, Query::default()).await?;
        Ok((node, report.templates))
    }

    async fn render(&self, node: &str, _dir: &Path) -> Result<Rendering> {
        let node: Node = self.resolve(node).await?;
        let path = format!("api/v1/nodes/{}/intended", node.id);
        self.get(&path, Query::default()).await
    }
}

impl Configs for Remote {
    async fn push_config(
        &self,
        node: &Node,
        content: &str,
        taken_at: Option<Timestamp>,
    ) -> Result<Pushed> {
        let path = format!("api/v1/nodes/{}/configs", node.id);
        let query = Query::default().opt("taken_at", taken_at);
        Ok(self.api.post_text(&path, &query.0, content).await?.body)
    }

    async fn configs(&self, node: &Node) -> Result<Vec<RunningConfigInfo>> {
        let path = format!("api/v1/nodes/{}/configs", node.id);
        self.get(&path, Query::default()).await
    }

    async fn config(&self, node: &Node, version: Option<u64>, masked: bool) -> Result<ShownConfig> {
        let version = version.map_or_else(|| "latest".to_string(), |v| v.to_string());
        let path = format!("api/v1/nodes/{}/configs/{version}", node.id);
        self.get(
            &path,
            Query::default().opt("masked", masked.then_some(true)),
        )
        .await
    }
}

impl Accounts for Remote {
    async fn users(&self) -> Result<Vec<User>> {
        self.get("api/v1/users", Query::default()).await
    }

    async fn create_user(&self, username: &str, password: &str, roles: &[Role]) -> Result<User> {
        let body = NewUser {
            username,
            password,
            roles,
        };
        self.post("api/v1/users", &body).await
    }

    async fn update_user(&self, username: &str, update: &UserUpdate) -> Result<User> {
        let patch = UserPatch {
            roles: update.roles.as_deref(),
            disabled: update.disabled,
            password: update.password.as_deref(),
        };
        let path = format!("api/v1/users/{username}");
        let reply = self
            .api
            .request(Method::PATCH, &path, &[], Some(&patch), None)
            .await?;
        Ok(reply.body)
    }

    async fn delete_user(&self, username: &str) -> Result<()> {
        self.api
            .delete(&format!("api/v1/users/{username}"), &[])
            .await
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>> {
        self.get("api/v1/auth/api-keys", Query::default()).await
    }

    async fn create_api_key(&self, key: &NewApiKey) -> Result<CreatedApiKey> {
        self.post("api/v1/auth/api-keys", key).await
    }

    async fn revoke_api_key(&self, id: Uuid) -> Result<()> {
        self.api
            .delete(&format!("api/v1/auth/api-keys/{id}"), &[])
            .await
    }

    /// The server checks the limit and the time.
    async fn security_events(&self, q: &EventQuery) -> Result<Vec<SecurityEvent>> {
        let query = Query::default()
            .opt("limit", Some(q.limit))
            .opt("type", q.event_type.as_deref())
            .opt("since", q.since.as_deref());
        self.get("api/v1/security/events", query).await
    }

    async fn audit_summary(&self, window_hours: u32) -> Result<AuditSummary> {
        let query = Query::default().opt("window_hours", Some(window_hours));
        self.get("api/v1/security/audit/summary", query).await
    }
}

fn header_number(headers: &HeaderMap) -> Option<u64> {
    headers.get(TOTAL_COUNT)?.to_str().ok()?.trim().parse().ok()
}

/// The `cursor` of the `Link: <…?cursor=…>; rel="next"` header, if more pages follow.
fn next_cursor(api: &Api, headers: &HeaderMap) -> Option<String> {
    let link = headers.get(LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        if !params.contains("rel=\"next\"") {
            return None;
        }
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let url = api.url(target).ok()?;
        url.query_pairs()
            .find(|(key, _)| key == "cursor")
            .map(|(_, value)| value.into_owned())
    })
}

impl Polling for Remote {
    async fn poll(&self, node: Uuid) -> Result<Value> {
        self.post(&format!("api/v1/nodes/{node}/poll"), &serde_json::json!({}))
            .await
    }

    async fn poll_all(&self) -> Result<Value> {
        self.post("api/v1/status/poll", &serde_json::json!({}))
            .await
    }

    async fn polled(&self, node: &Node, what: Polled) -> Result<Value> {
        let path = format!("api/v1/nodes/{}/{}", node.id, what.path());
        self.get(&path, Query::default()).await
    }

    async fn fleet_status(&self, filter: &PollFilter) -> Result<Value> {
        let query = Query::default()
            .opt("result", filter.result)
            .opt("unreachable", filter.unreachable.then_some(true))
            .opt("drift", filter.drift.then_some(true))
            .opt("limit", Some(10_000));
        self.get("api/v1/status", query).await
    }

    async fn status_events(&self, filter: &EventFilter, limit: u32) -> Result<Vec<Value>> {
        let query = Query::default()
            .opt("node_id", filter.node)
            .opt("type", filter.kind)
            .opt("since", filter.since)
            .opt("limit", Some(limit));
        self.get("api/v1/status/events", query).await
    }
}
