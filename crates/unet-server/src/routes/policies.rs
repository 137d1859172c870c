//! `/api/v1/policies` and `/api/v1/compliance`: the loaded rule files, validation of rule text,
//! evaluation on demand (stored for file rules, never for inline rules), the fleet's compliance
//! and one node's. Viewers read; evaluating and validating are operator requests like every
//! write of the inventory group (validation has no side effects, but keeping one role per
//! method keeps the access rule of the group simple to state).

use axum::Json;
use axum::extract::State;
use axum::middleware::from_fn_with_state;
use serde::{Deserialize, Serialize};
use unet_compliance::{
    Collect, EvaluateOptions, EvaluatedResult, EvaluationSummary, FleetCompliance, LoadedPolicies,
    NodeComplianceReport, evaluate,
};
use unet_core::{CoreError, NodeFilter, Uuid};
use unet_policy::Diagnostics;
use unet_store::{
    ConfigCheckFilter, ConfigState, NamedConfigCheck, ResultFilter, SliceVerdict, StoredResult,
    parse_stored_outcome,
};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::entity::ChangeCtx;
use super::listing::bad_query;
use crate::auth::{Access, authorize};
use crate::error::{Error, ErrorCode, Problem, Result};
use crate::extract::{IdPath, JsonBody, QueryParams};
use crate::policies::invalid_rules;
use crate::state::AppState;

/// Source name of rule text sent in a request body when the caller names none.
const INLINE_SOURCE: &str = "inline.rules";
/// Nodes and rules listed in the fleet summary.
const SUMMARY_TOP: u32 = 10;
/// Stored results listed when the caller gives no `limit`.
const DEFAULT_RESULTS_LIMIT: u32 = 1000;
/// Most stored results one request lists.
const MAX_RESULTS_LIMIT: u32 = 100_000;

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_policies))
        .routes(routes!(validate_rules))
        .routes(routes!(evaluate_policies))
        .routes(routes!(list_results))
        .routes(routes!(fleet_compliance))
        .routes(routes!(list_config_checks))
        .routes(routes!(node_compliance))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::INVENTORY),
            authorize,
        ))
}

/// The files of `policies.dir`, their rules and the load diagnostics (read afresh).
#[utoipa::path(get, path = "/api/v1/policies", tag = "policies",
    responses((status = 200, description = "`{files, rules, diagnostics}`", body = Object)))]
async fn list_policies(State(state): State<AppState>) -> Json<LoadedPolicies> {
    Json(state.policies().load())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ValidateRequest {
    /// Rule text.
    text: String,
    /// The file name diagnostics refer to (default `inline.rules`).
    #[serde(default)]
    source: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct ValidateResponse {
    valid: bool,
    #[schema(value_type = Vec<Object>)]
    diagnostics: Diagnostics,
}

/// Check rule text. Invalid text is an answer (200 with `valid: false`), not an error.
#[utoipa::path(post, path = "/api/v1/policies/validate", tag = "policies",
    request_body = ValidateRequest,
    responses((status = 200, description = "Diagnostics, empty when valid", body = ValidateResponse)))]
async fn validate_rules(JsonBody(request): JsonBody<ValidateRequest>) -> Json<ValidateResponse> {
    let source = request.source.unwrap_or_else(|| INLINE_SOURCE.to_owned());
    let loaded = LoadedPolicies::from_sources(&[(source, request.text)]);
    Json(ValidateResponse {
        valid: !loaded.diagnostics.has_errors(),
        diagnostics: loaded.diagnostics,
    })
}

/// Which stored results to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ResultQuery {
    /// Node UUID, name or FQDN.
    #[serde(default)]
    node: Option<String>,
    /// `pass`, `fail` or `error`: results of rules that do not apply to a node are counted
    /// (see the node's compliance), not stored.
    #[param(value_type = Option<String>, pattern = "^(pass|fail|error)$")]
    #[serde(default)]
    outcome: Option<String>,
    /// Rule id.
    #[serde(default)]
    rule: Option<String>,
    /// Most results returned, 1 to 100,000 (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100000)]
    #[serde(default)]
    limit: Option<String>,
}

/// Stored results of the last evaluations, by node name then rule.
#[utoipa::path(get, path = "/api/v1/policies/results", tag = "policies", params(ResultQuery),
    responses((status = 200, description = "Stored results with `evaluated_at` and `changed_at`",
        body = [Object]),
        (status = 404, description = "No node has this identifier", body = Problem,
            content_type = "application/problem+json")))]
async fn list_results(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ResultQuery>,
) -> Result<Json<Vec<StoredResult>>> {
    let store = state.store();
    let node_id = match query.node.as_deref() {
        Some(ident) => Some(store.resolve_node(ident).await?.id),
        None => None,
    };
    let outcome = query
        .outcome
        .as_deref()
        .map(parse_stored_outcome)
        .transpose()
        .map_err(bad_query)?;
    let limit = results_limit(query.limit.as_deref())?;
    let filter = ResultFilter {
        node_id,
        outcome,
        rule: query.rule,
    };
    Ok(Json(store.policy_results(&filter, limit).await?))
}

fn results_limit(text: Option<&str>) -> Result<u32> {
    match text {
        None => Ok(DEFAULT_RESULTS_LIMIT),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_RESULTS_LIMIT).contains(n))
            .ok_or_else(|| bad_query(CoreError::invalid("limit", "1 to 100000", text))),
    }
}

/// Which recorded config checks to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ConfigCheckQuery {
    /// `compliant`, `non_compliant`, `no_running_config` or `error`.
    #[param(value_type = Option<String>,
        pattern = "^(compliant|non_compliant|no_running_config|error)$")]
    #[serde(default)]
    state: Option<String>,
    /// Nodes with this template assigned (combined with `verdict`: that template's slice).
    #[serde(default)]
    template: Option<String>,
    /// Nodes with a slice of this verdict: `compliant`, `missing`, `extra` or `different`.
    #[param(value_type = Option<String>, pattern = "^(compliant|missing|extra|different)$")]
    #[serde(default)]
    verdict: Option<String>,
    /// Most nodes returned, 1 to 100,000 (default 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100000)]
    #[serde(default)]
    limit: Option<String>,
}

fn parse_query<T: std::str::FromStr<Err = String>>(
    field: &'static str,
    expected: &'static str,
    text: Option<&str>,
) -> Result<Option<T>> {
    text.map(|t| {
        t.parse()
            .map_err(|_| bad_query(CoreError::invalid(field, expected, t)))
    })
    .transpose()
}

/// The recorded config checks, by node name, each with its template slices: which nodes are
/// non-compliant, which miss lines of a template, and so on.
#[utoipa::path(get, path = "/api/v1/compliance/configs", tag = "policies",
    params(ConfigCheckQuery),
    responses((status = 200,
        description = "`[{node_id, node, checked_at, running_version, state, missing, extra, message, slices: [{template, owns, verdict, missing, extra}]}]`",
        body = [Object]),
        (status = 400, description = "A filter value that is not one of those listed", body = Problem,
            content_type = "application/problem+json")))]
async fn list_config_checks(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ConfigCheckQuery>,
) -> Result<Json<Vec<NamedConfigCheck>>> {
    let filter = ConfigCheckFilter {
        state: parse_query::<ConfigState>(
            "state",
            "compliant, non_compliant, no_running_config or error",
            query.state.as_deref(),
        )?,
        template: query.template,
        verdict: parse_query::<SliceVerdict>(
            "verdict",
            "compliant, missing, extra or different",
            query.verdict.as_deref(),
        )?,
    };
    let limit = results_limit(query.limit.as_deref())?;
    Ok(Json(
        state.store().list_config_checks(&filter, limit).await?,
    ))
}

/// Which nodes to evaluate; the fields filter like those of `GET /api/v1/nodes`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NodeSelection {
    /// Only this node (UUID, name or FQDN); the other fields are then ignored.
    node: Option<String>,
    status: Option<String>,
    role: Option<String>,
    vendor: Option<String>,
    platform: Option<String>,
    /// Location UUID or name; nodes there or anywhere below.
    location: Option<String>,
    q: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EvaluateRequest {
    /// Every node when absent or null.
    #[serde(default)]
    nodes: Option<NodeSelection>,
    /// Inline rule text evaluated instead of `policies.dir`; its results are not stored.
    #[serde(default)]
    rules: Option<String>,
    /// Write `SET` changes and `APPLY` template assignments (change source `policy`).
    #[serde(default)]
    apply: bool,
    /// Answer only `fail` and `error` results (every result is still stored).
    #[serde(default)]
    failures_only: bool,
    /// Answer a summary object instead of the list of results: counts per outcome, per rule
    /// and for the worst nodes, with the failures and errors in `results` when
    /// `failures_only` is also set (an empty `results` otherwise).
    #[serde(default)]
    summary: bool,
}

/// The answer of an evaluation: a list of results unless the request asked for a summary.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum EvaluateAnswer {
    /// Every node × rule result, or only failures and errors with `failures_only`: objects
    /// with `node`, `node_id`, `rule`, `outcome`, `expected`, `actual`, `message`.
    #[schema(value_type = Vec<Object>)]
    Results(Vec<EvaluatedResult>),
    /// With `summary`: `evaluated_at`, `nodes`, `compliant_nodes`, `counts` (`pass`, `fail`,
    /// `error`, `not_applicable`), `compliance_percent`, `rules` (every rule in load order
    /// with its `counts` and `compliance_percent`), `worst_nodes` (up to ten nodes with most
    /// failures and errors, worst first) and `results`.
    #[schema(value_type = Object)]
    Summary(Box<EvaluationSummary>),
}

/// Evaluate nodes now. File rules are reloaded and their results stored; inline rules are
/// only evaluated. The answer lists every node × rule result unless `failures_only` or
/// `summary` ask for less.
#[utoipa::path(post, path = "/api/v1/policies/evaluate", tag = "policies",
    request_body = EvaluateRequest,
    responses((status = 200, description = "The results (a list), or the summary (an object) \
        when `summary` is true", body = EvaluateAnswer),
        (status = 404, description = "No node or location has the identifier in `nodes`",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rules that do not compile (`invalid_rules`: inline rules, \
            or any file of `policies.dir`; nothing is evaluated, stored or applied), or a bad \
            node filter",
            body = Problem, content_type = "application/problem+json")))]
async fn evaluate_policies(
    State(state): State<AppState>,
    ChangeCtx(ctx): ChangeCtx,
    JsonBody(request): JsonBody<EvaluateRequest>,
) -> Result<Json<EvaluateAnswer>> {
    let selection = request.nodes.unwrap_or_default();
    let node = match selection.node.as_deref() {
        Some(ident) => Some(state.store().resolve_node(ident).await?.id),
        None => None,
    };
    let filter = node_filter(&state, selection).await?;
    let (policies, record) = match &request.rules {
        Some(text) => {
            let loaded = LoadedPolicies::from_sources(&[(INLINE_SOURCE.to_owned(), text.clone())]);
            if loaded.diagnostics.has_errors() {
                let detail = format!(
                    "the inline rules do not compile ({} problem(s))",
                    loaded.diagnostics.errors().count()
                );
                return Err(invalid_rules(detail, &loaded.diagnostics, |d| {
                    format!("rules:{}:{}", d.line, d.column)
                }));
            }
            (loaded, false)
        }
        // Refused whole by `evaluate` when any file has an error (422 `invalid_rules`).
        None => (state.policies().load(), true),
    };
    let opts = EvaluateOptions {
        filter,
        node,
        record,
        apply: request.apply.then_some(ctx),
        collect: match (request.failures_only, request.summary) {
            (true, _) => Collect::Failures,
            (false, true) => Collect::None,
            (false, false) => Collect::All,
        },
    };
    let report = evaluate(state.store(), &policies, &opts, &mut |_, _| {}).await?;
    Ok(Json(if request.summary {
        EvaluateAnswer::Summary(Box::new(report.into()))
    } else {
        EvaluateAnswer::Results(report.results)
    }))
}

async fn node_filter(state: &AppState, nodes: NodeSelection) -> Result<NodeFilter> {
    let location_id = match nodes.location.as_deref() {
        None => None,
        Some(ident) => Some(match Uuid::parse_str(ident.trim()) {
            Ok(id) => id,
            Err(_) => state.store().resolve_location(ident).await?.id,
        }),
    };
    Ok(NodeFilter {
        status: parse_field("nodes.status", nodes.status)?,
        role: nodes.role,
        vendor: nodes.vendor,
        platform: parse_field("nodes.platform", nodes.platform)?,
        location_id,
        q: nodes.q,
    })
}

fn parse_field<T: std::str::FromStr<Err = CoreError>>(
    field: &str,
    text: Option<String>,
) -> Result<Option<T>> {
    text.map(|t| t.parse())
        .transpose()
        .map_err(|e: CoreError| Error::invalid_field(ErrorCode::InvalidField, field, e.to_string()))
}

/// The fleet's compliance as of each node's last stored evaluation: counts, the ten worst
/// nodes and the ten rules failing on most nodes.
#[utoipa::path(get, path = "/api/v1/compliance", tag = "policies",
    responses((status = 200, description = "Fleet summary", body = Object)))]
async fn fleet_compliance(State(state): State<AppState>) -> Result<Json<FleetCompliance>> {
    Ok(Json(
        unet_compliance::fleet_compliance(state.store(), SUMMARY_TOP).await?,
    ))
}

/// One node's stored results and the templates policies assigned to it.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/compliance", tag = "policies",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "`{node_id, node, compliance, results, templates}`",
        body = Object),
        (status = 404, description = "No such node", body = Problem,
            content_type = "application/problem+json")))]
async fn node_compliance(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<NodeComplianceReport>> {
    let store = state.store();
    let node = store.get_node(id).await?;
    Ok(Json(unet_compliance::node_compliance(store, node).await?))
}
