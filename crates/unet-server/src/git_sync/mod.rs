//! The server's side of Git sync: the configured repositories and their status, one sync at a
//! time (interval, `POST /api/v1/git/sync`, webhook, reload), the validators a revision must
//! pass, the hand-over of a new rules revision to the policy engine and of a new templates
//! revision to the template engine, and a security event when
//! an ssh server's host key is refused.

mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;
use tokio::sync::{Notify, watch};
use unet_auth::{Client, EventType, Security};
use unet_core::Timestamp;
use unet_git::{Limits, Outcome, Status, SyncResult};

use crate::config::{Config, Content, GitRepository, GitSection, WebhookSecret};
use crate::error::Error;
use crate::policies::PolicyEngine;
use crate::templates::TemplateEngine;

/// One repository as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RepositoryStatus {
    /// `policies` or `templates`.
    pub content: &'static str,
    #[serde(flatten)]
    pub status: Status,
}

/// What sync runs act on: the repositories, the engines that read the rules of a policies
/// repository and the templates of a templates repository, and the security events a refused
/// host key is recorded in.
#[derive(Clone)]
pub struct Syncer {
    pub git: Arc<GitSync>,
    pub policies: Arc<PolicyEngine>,
    pub templates: Arc<TemplateEngine>,
    pub security: Arc<Security>,
}

/// The configured repositories, their status and the sync signal.
pub struct GitSync {
    settings: RwLock<Settings>,
    statuses: Mutex<BTreeMap<String, Status>>,
    /// Per repository, the host key refusal last recorded as a security event: the same
    /// refusal by later syncs is not recorded again.
    refusals: Mutex<BTreeMap<String, String>>,
    /// Held by the blocking task for the whole of a sync run, so two runs never touch the same
    /// checkout, even when the request that started one gave up waiting.
    running: Mutex<()>,
    wake: Notify,
}

#[derive(Debug, Clone, Default)]
struct Settings {
    /// `<data.dir>/git`.
    root: PathBuf,
    section: GitSection,
}

impl Default for GitSync {
    fn default() -> Self {
        GitSync {
            settings: RwLock::new(Settings::default()),
            statuses: Mutex::new(BTreeMap::new()),
            refusals: Mutex::new(BTreeMap::new()),
            running: Mutex::new(()),
            wake: Notify::new(),
        }
    }
}

/// `<data.dir>/git`, where every repository has its folder.
pub fn root(data_dir: &Path) -> PathBuf {
    data_dir.join("git")
}

/// Applies `[git]` of `config` (start-up and SIGHUP): the repositories, the interval, the
/// webhook secret; points the policy engine at the live rules revision when a repository
/// holds policies (else at `policies.dir`), the template engine likewise (else at
/// `templates.dir`), and asks the background job for a sync.
pub fn configure(state: &Syncer, config: &Config) {
    let git = &state.git;
    let root = root(&config.data.dir);
    {
        let mut statuses = git.statuses.lock().unwrap_or_else(|e| e.into_inner());
        let kept: BTreeMap<String, Status> = config
            .git
            .repositories
            .iter()
            .map(|r| {
                let fresh = Status::new(&r.source, &root);
                let status = match statuses.remove(&r.source.name) {
                    // The same source keeps its attempt history.
                    Some(old) if same_source(&old, &fresh) => old,
                    _ => fresh,
                };
                (r.source.name.clone(), status)
            })
            .collect();
        *statuses = kept;
    }
    match config.git.policies_repository() {
        Some(repository) => {
            let source_dir = root.join(&repository.source.name);
            // Until a revision is live the engine reports the missing folder as its error.
            let dir =
                unet_git::live(&source_dir).map_or_else(|| source_dir.join("live"), |l| l.dir);
            state.policies.set_dir(&dir);
        }
        None => state.policies.set_dir(&config.policies.dir),
    }
    match config.git.templates_repository() {
        Some(repository) => {
            let source_dir = root.join(&repository.source.name);
            let dir =
                unet_git::live(&source_dir).map_or_else(|| source_dir.join("live"), |l| l.dir);
            state.templates.set_dir(&dir);
        }
        None => state.templates.set_dir(&config.templates.dir),
    }
    *git.settings.write().unwrap_or_else(|e| e.into_inner()) = Settings {
        root,
        section: config.git.clone(),
    };
    git.wake.notify_one();
}

/// What a full snapshot copies from `<data_dir>/git`, by folder name: of a synced repository
/// only its live revision (an immutable folder: the mirror and staging folders may be
/// changing and are rebuilt by the next sync); any other folder as it is.
pub fn snapshot_folders(data_dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(root(data_dir)) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let path = e.path();
            if unet_git::is_repository_folder(&path) {
                unet_git::live(&path).map(|live| (name, live.dir))
            } else {
                Some((name, path))
            }
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn same_source(a: &Status, b: &Status) -> bool {
    (&a.url, &a.branch, &a.commit, &a.path) == (&b.url, &b.branch, &b.commit, &b.path)
}

impl GitSync {
    fn settings(&self) -> Settings {
        self.settings
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    pub fn webhook_secret(&self) -> Option<WebhookSecret> {
        self.settings().section.webhook_secret
    }

    /// Asks the background job for a sync of every repository (webhook).
    pub fn request_sync(&self) {
        self.wake.notify_one();
    }

    /// Every configured repository, in configuration order.
    pub fn statuses(&self) -> Vec<RepositoryStatus> {
        let settings = self.settings();
        let statuses = self.statuses.lock().unwrap_or_else(|e| e.into_inner());
        settings
            .section
            .repositories
            .iter()
            .filter_map(|r| {
                statuses.get(&r.source.name).map(|s| RepositoryStatus {
                    content: r.content.as_str(),
                    status: s.clone(),
                })
            })
            .collect()
    }

    /// Whether `name` is a configured repository.
    pub fn has_repository(&self, name: &str) -> bool {
        self.settings()
            .section
            .repositories
            .iter()
            .any(|r| r.source.name == name)
    }

    /// The `git_sync` component of the system status: state, last attempt, and a summary.
    pub fn component(&self) -> (&'static str, Option<Timestamp>, Option<String>) {
        let statuses = self.statuses();
        if statuses.is_empty() {
            return (
                "disabled",
                None,
                Some("no [[git.repositories]] configured".into()),
            );
        }
        let last_run = statuses
            .iter()
            .filter_map(|r| r.status.last_attempt)
            .max()
            .map(Timestamp::from_datetime);
        let failed: Vec<&str> = statuses
            .iter()
            .filter(|r| r.status.last_result == Some(SyncResult::Failed))
            .map(|r| r.status.name.as_str())
            .collect();
        let state = if !failed.is_empty() {
            "error"
        } else if last_run.is_some() {
            "ok"
        } else {
            "idle"
        };
        let detail = if failed.is_empty() {
            format!("{} repositories", statuses.len())
        } else {
            format!("last sync failed: {}", failed.join(", "))
        };
        (state, last_run, Some(detail))
    }
}

/// Syncs every repository (or only `only`) now and answers their statuses. A revision of the
/// policies repository that goes live becomes the engine's folder and triggers an evaluation.
/// The run finishes (and records its results) even if the caller stops waiting.
pub async fn sync_now(state: &Syncer, only: Option<&str>) -> Result<Vec<RepositoryStatus>, Error> {
    let task_state = state.clone();
    let task_only = only.map(str::to_owned);
    let refusals = tokio::task::spawn_blocking(move || run(&task_state, task_only.as_deref()))
        .await
        .map_err(|e| Error::Internal(format!("git sync task failed: {e}")))?;
    for (name, message, detail) in refusals {
        let event = EventType::GitHostKeyRejected;
        match state
            .security
            .record(event, None, &Client::default(), detail)
            .await
        {
            Ok(()) => {
                let mut recorded = state.git.refusals.lock().unwrap_or_else(|e| e.into_inner());
                recorded.insert(name, message);
            }
            Err(e) => {
                tracing::error!(target: "unet::git", event = "git_sync", "ERROR recording a refused host key failed: {e}")
            }
        }
    }
    let statuses = state.git.statuses();
    Ok(match only {
        Some(name) => statuses
            .into_iter()
            .filter(|s| s.status.name == name)
            .collect(),
        None => statuses,
    })
}

/// One sync run, on a blocking thread. Answers the host key refusals not recorded yet: the
/// repository, the error and the event's detail.
fn run(state: &Syncer, only: Option<&str>) -> Vec<(String, String, serde_json::Value)> {
    let mut refusals = Vec::new();
    let git = &state.git;
    let _one_run = git.running.lock().unwrap_or_else(|e| e.into_inner());
    let settings = git.settings();
    let chosen = settings
        .section
        .repositories
        .iter()
        .filter(|r| only.is_none_or(|name| r.source.name == name));
    for repository in chosen {
        let started = Instant::now();
        let at = time::OffsetDateTime::now_utc();
        let content = repository.content;
        let validator = move |dir: &Path| validate::validate(content, dir);
        let result = unet_git::sync(
            &repository.source,
            &settings.root,
            Limits::default(),
            &validator,
        );
        log_result(repository, &result, started.elapsed());
        if content == Content::Templates {
            match &result {
                Ok(Outcome::Updated { live, .. }) => {
                    state.templates.set_dir(&live.dir);
                    // A new revision: check the fleet's configurations (and then the rules).
                    state.policies.notify_changed();
                }
                Ok(Outcome::Unchanged(live)) => state.templates.set_dir(&live.dir),
                Err(_) => {}
            }
        }
        if content == Content::Policies {
            match &result {
                Ok(Outcome::Updated { live, .. }) => {
                    state.policies.set_dir(&live.dir);
                    state.policies.notify_changed();
                }
                // Set again on every run: a configuration reload reads the live revision
                // without this lock and may have pointed the engine at the one before.
                Ok(Outcome::Unchanged(live)) => state.policies.set_dir(&live.dir),
                Err(_) => {}
            }
        }
        let name = &repository.source.name;
        let refusal = result
            .as_ref()
            .err()
            .and_then(|e| Some((e.to_string(), e.host_key_refusal()?)));
        let mut recorded = git.refusals.lock().unwrap_or_else(|e| e.into_inner());
        match refusal {
            Some((message, _)) if recorded.get(name) == Some(&message) => {}
            Some((message, (host, port, reason))) => {
                let detail =
                    json!({"repository": name, "host": host, "port": port, "reason": reason});
                refusals.push((name.clone(), message, detail));
            }
            None => {
                recorded.remove(name);
            }
        }
        drop(recorded);
        let mut statuses = git.statuses.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(status) = statuses.get_mut(name) {
            status.record(at, &result);
        }
    }
    refusals
}

fn log_result(repository: &GitRepository, result: &unet_git::Result<Outcome>, took: Duration) {
    let name = &repository.source.name;
    let duration_ms = took.as_secs_f64() * 1000.0;
    match result {
        Ok(Outcome::Updated { live, previous }) => tracing::info!(
            target: "unet::git",
            event = "git_sync",
            repository = %name,
            commit = %live.commit,
            previous = previous.as_deref().unwrap_or("none"),
            duration_ms,
            "new revision live"
        ),
        Ok(Outcome::Unchanged(live)) => tracing::debug!(
            target: "unet::git",
            event = "git_sync",
            repository = %name,
            commit = %live.commit,
            duration_ms,
            "unchanged"
        ),
        Err(e) => tracing::error!(
            target: "unet::git",
            event = "git_sync",
            repository = %name,
            duration_ms,
            "ERROR git sync failed, the live revision stays: {e}"
        ),
    }
}

/// Syncs at start-up, every `git.interval` (unless zero), and whenever asked (webhook,
/// reload), until `stop` turns true.
pub async fn run_background(state: Syncer, mut stop: watch::Receiver<bool>) {
    loop {
        let interval = state.git.settings().section.interval;
        let tick = async {
            if interval.is_zero() {
                std::future::pending::<()>().await;
            } else {
                tokio::time::sleep(interval).await;
            }
        };
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = state.git.wake.notified() => {}
            () = tick => {}
        }
        // A shutdown stops waiting for the run (which finishes on its own thread).
        let result = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            result = sync_now(&state, None) => result,
        };
        if let Err(e) = result {
            tracing::error!(target: "unet::git", event = "git_sync", "ERROR git sync failed: {e}");
        }
    }
}
