//! The server's policy engine: the rule set loaded from `policies.dir` (read afresh before every
//! evaluation; a set with any error is refused whole, leaving the stored results as they
//! were), the inventory-change signal, and the background task that evaluates the whole fleet
//! on an interval and after changes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::{Notify, watch};
use unet_compliance::{ComplianceError, EvaluateOptions, IntendedError, LoadedPolicies, evaluate};
use unet_core::Timestamp;
use unet_policy::{Diagnostic, Diagnostics, Severity};
use unet_store::Store;

use crate::config::PoliciesSection;
use crate::error::{Error, ErrorCode, FieldError};
use crate::metrics::Metrics;
use crate::templates::TemplateEngine;

/// Route prefixes whose successful writes change what policies see.
const INVENTORY_PATHS: &[&str] = &[
    "/api/v1/nodes",
    "/api/v1/locations",
    "/api/v1/links",
    "/api/v1/import",
];

pub struct PolicyEngine {
    dir: RwLock<PathBuf>,
    changed: Notify,
    activity: Mutex<Activity>,
}

/// What the background evaluations have done, for the system status.
#[derive(Debug, Default)]
struct Activity {
    /// Whether the background task runs and has something to do (an interval or
    /// `evaluate_on_change`).
    scheduled: bool,
    /// Start of the evaluation running now.
    running_since: Option<Timestamp>,
    /// Start of the last finished evaluation and what it gave (a summary, or the failure).
    last: Option<(Timestamp, Result<String, ()>)>,
}

impl Default for PolicyEngine {
    fn default() -> Self {
        PolicyEngine::new(PoliciesSection::default().dir)
    }
}

impl PolicyEngine {
    pub fn new(dir: PathBuf) -> PolicyEngine {
        PolicyEngine {
            dir: RwLock::new(dir),
            changed: Notify::new(),
            activity: Mutex::default(),
        }
    }

    fn activity(&self) -> std::sync::MutexGuard<'_, Activity> {
        self.activity.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `policy_engine` component of the system status: `disabled` when no background
    /// evaluation is scheduled, `running` during one, `idle` before the first, then `ok` or
    /// `error` after the last one; the time is the start of the last (or current) evaluation.
    pub fn component(&self) -> (&'static str, Option<Timestamp>, Option<String>) {
        let activity = self.activity();
        let last_run = activity.last.as_ref().map(|(at, _)| *at);
        match (&activity.running_since, &activity.last) {
            (Some(since), _) => ("running", Some(*since), None),
            (None, Some((_, Ok(summary)))) => ("ok", last_run, Some(summary.clone())),
            (None, Some((_, Err(())))) => (
                "error",
                last_run,
                Some("the last evaluation failed; the server log has the details".into()),
            ),
            (None, None) if activity.scheduled => ("idle", None, Some("no evaluation yet".into())),
            (None, None) => (
                "disabled",
                None,
                Some("policies.interval = \"0s\" and policies.evaluate_on_change = false".into()),
            ),
        }
    }

    pub fn set_dir(&self, dir: &Path) {
        if let Ok(mut current) = self.dir.write() {
            *current = dir.to_path_buf();
        }
    }

    pub fn dir(&self) -> PathBuf {
        self.dir
            .read()
            .map(|d| d.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Reads the policy files as they are now. A folder that cannot be read becomes an error
    /// diagnostic, like a broken file: either way the set is listed with its diagnostics and
    /// refused whole by [`evaluate`], so no evaluation runs on part of the rules.
    pub fn load(&self) -> LoadedPolicies {
        let dir = self.dir();
        LoadedPolicies::load(&dir).unwrap_or_else(|e| {
            let mut unreadable = LoadedPolicies::default();
            unreadable.diagnostics.0.push(Diagnostic {
                file: dir.display().to_string(),
                line: 1,
                column: 1,
                severity: Severity::Error,
                message: e.to_string(),
                source_line: String::new(),
            });
            unreadable
        })
    }

    /// Tells the background task that what the rules see changed: the inventory, or the rules
    /// themselves (a new Git revision).
    pub fn notify_changed(&self) {
        self.changed.notify_one();
    }
}

/// Middleware on the whole API: a successful write to an inventory route signals the engine.
pub(crate) async fn watch_inventory(
    State(engine): State<Arc<PolicyEngine>>,
    request: Request,
    next: Next,
) -> Response {
    let writes_inventory = !matches!(*request.method(), Method::GET | Method::HEAD)
        && INVENTORY_PATHS
            .iter()
            .any(|p| request.uri().path().starts_with(p));
    let response = next.run(request).await;
    if writes_inventory && response.status().is_success() {
        engine.notify_changed();
    }
    response
}

/// Evaluates the whole fleet with freshly loaded files and records the results; files with
/// errors are logged one diagnostic per line and the run is refused (nothing is recorded). The
/// system status shows the evaluation running, then its outcome.
pub async fn evaluate_fleet(engine: &PolicyEngine, store: &Store) -> Result<(), Error> {
    let at = Timestamp::now();
    engine.activity().running_since = Some(at);
    // Cleared however the evaluation ends, a shutdown dropping it included.
    let _running = Running(engine);
    let result = evaluate_and_record(engine, store).await;
    engine.activity().last = Some((at, result.as_ref().map(Clone::clone).map_err(|_| ())));
    result.map(|_| ())
}

/// Clears `running_since` when the evaluation ends or is dropped.
struct Running<'a>(&'a PolicyEngine);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.activity().running_since = None;
    }
}

/// One evaluation of the fleet; answers the summary the system status shows.
async fn evaluate_and_record(engine: &PolicyEngine, store: &Store) -> Result<String, Error> {
    let started = Instant::now();
    let policies = engine.load();
    for d in policies.diagnostics.iter() {
        tracing::warn!(target: "unet::policy", diagnostic = %d.one_line(), "policy file problem");
    }
    let opts = EvaluateOptions {
        record: true,
        ..Default::default()
    };
    let report = evaluate(store, &policies, &opts, &mut |_, _| {}).await?;
    let c = report.counts;
    tracing::info!(
        target: "unet::policy",
        event = "policy_evaluation",
        nodes = report.nodes,
        rules = policies.set.len(),
        pass = c.pass,
        fail = c.fail,
        error = c.error,
        not_applicable = c.not_applicable,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "policy evaluation"
    );
    Ok(format!(
        "{} nodes, {} rules: {} pass, {} fail, {} error",
        report.nodes,
        policies.set.len(),
        c.pass,
        c.fail,
        c.error
    ))
}

/// A failed evaluation as the server's error: store errors keep their problem document.
impl From<ComplianceError> for Error {
    fn from(e: ComplianceError) -> Error {
        match e {
            ComplianceError::Store(e) => Error::Store(e),
            ComplianceError::Read { path, source } => {
                Error::io(format!("policies.dir {}", path.display()), source)
            }
            ComplianceError::InvalidRules(diagnostics) => invalid_rules(
                format!(
                    "the rules in policies.dir have {} error(s): the rule set is refused as a whole, \
                 nothing was evaluated, stored or applied",
                    diagnostics.errors().count()
                ),
                &diagnostics,
                |d| format!("{}:{}:{}", d.file, d.line, d.column),
            ),
            ComplianceError::Intended(e) => e.into(),
            // Only while the server shuts down.
            ComplianceError::Interrupted => Error::request(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::EvaluationInterrupted,
                ComplianceError::Interrupted.to_string(),
            ),
        }
    }
}

/// A node whose intended configuration cannot be rendered or compared (422).
impl From<IntendedError> for Error {
    fn from(e: IntendedError) -> Error {
        let code = match &e {
            IntendedError::MissingTemplate { .. } | IntendedError::Render { .. } => {
                ErrorCode::RenderFailed
            }
            IntendedError::NoPlatform { .. } => ErrorCode::NoConfigPlatform,
            IntendedError::Check { .. } => ErrorCode::ConfigUnparsable,
        };
        Error::request(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string())
    }
}

/// Rules that do not compile (422 `invalid_rules`): `detail`, then each error with `field`
/// naming where it is.
pub(crate) fn invalid_rules(
    detail: String,
    diagnostics: &Diagnostics,
    field: impl Fn(&Diagnostic) -> String,
) -> Error {
    Error::Request {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: ErrorCode::InvalidRules,
        detail,
        errors: diagnostics
            .errors()
            .map(|d| FieldError {
                field: field(d),
                message: d.message.clone(),
            })
            .collect(),
    }
}

/// The background evaluations until `stop` turns true: every `interval` (unless zero) and,
/// with `evaluate_on_change`, once the inventory has been quiet for `debounce` after a change.
/// `stop` also cuts an evaluation short (its unwritten results go with it), so that the task
/// has ended, and uses no connection, when the caller closes the pool.
pub async fn run_background(
    engine: Arc<PolicyEngine>,
    templates: Arc<TemplateEngine>,
    store: Store,
    metrics: Arc<Metrics>,
    settings: PoliciesSection,
    mut stop: watch::Receiver<bool>,
) {
    engine.activity().scheduled = !settings.interval.is_zero() || settings.evaluate_on_change;
    let mut next_tick = (!settings.interval.is_zero()).then(|| Instant::now() + settings.interval);
    loop {
        let tick = async {
            match next_tick {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let changed = async {
            if settings.evaluate_on_change {
                engine.changed.notified().await;
                debounce(&engine, settings.debounce).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tick => {}
            () = changed => {}
        }
        // Configurations first: rules read the recorded checks (`config.compliant`).
        let checked = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            checked = templates.check(&store, &[]) => checked,
        };
        if let Err(e) = checked {
            if e.is_database_failure() {
                metrics.database_error();
            }
            tracing::error!(target: "unet::templates", event = "config_compliance", error = %e, "config compliance check failed");
        }
        let result = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            result = evaluate_fleet(&engine, &store) => result,
        };
        if let Err(e) = result {
            if e.is_database_failure() {
                metrics.database_error();
            }
            tracing::error!(target: "unet::policy", event = "policy_evaluation", error = %e, "policy evaluation failed");
        }
        next_tick = (!settings.interval.is_zero()).then(|| Instant::now() + settings.interval);
    }
}

/// Waits until no change has arrived for `quiet`.
async fn debounce(engine: &PolicyEngine, quiet: Duration) {
    while tokio::time::timeout(quiet, engine.changed.notified())
        .await
        .is_ok()
    {}
}
