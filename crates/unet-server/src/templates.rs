//! The server's templates: `templates.dir`, or the live revision of the templates repository,
//! compiled once and again only when a file changes. A folder that stops compiling keeps the
//! last set that did live (logged, and shown in the system status): a typo pushed to the
//! folder never turns every render into an error.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use std::time::Instant;

use axum::http::StatusCode;
use unet_compliance::{
    ConfigRunOptions, ConfigRunReport, Fingerprint, LoadedTemplates, check_configs,
};
use unet_core::{ConfigSource, Pushed, Timestamp, Uuid};
use unet_store::{Retention, Store};

use crate::config::TemplatesSection;
use crate::error::{Error, ErrorCode};

pub struct TemplateEngine {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    dir: PathBuf,
    /// The set renders use: the last that compiled.
    live: Option<Arc<LoadedTemplates>>,
    /// When `live` was loaded.
    loaded_at: Option<Timestamp>,
    /// The problems of the folder as it is now, when it does not compile, with the
    /// fingerprint they were found at (so a broken folder is not recompiled per request).
    refused: Option<(Fingerprint, Vec<String>)>,
}

impl Default for TemplateEngine {
    fn default() -> Self {
        TemplateEngine::new(TemplatesSection::default().dir)
    }
}

impl TemplateEngine {
    pub fn new(dir: PathBuf) -> TemplateEngine {
        TemplateEngine {
            state: Mutex::new(State {
                dir,
                ..State::default()
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Points the engine at another folder (configuration reload, a new Git revision); the
    /// next render loads it.
    pub fn set_dir(&self, dir: &Path) {
        let mut state = self.state();
        if state.dir != dir {
            state.dir = dir.to_path_buf();
            state.refused = None;
        }
    }

    /// The templates to render with: the folder as it is now when it compiles, else the last
    /// set that did (503 `templates_unavailable` when none ever did).
    pub fn current(&self) -> Result<Arc<LoadedTemplates>, Error> {
        let mut state = self.state();
        let dir = state.dir.clone();
        let fingerprint = Fingerprint::of(&dir);
        let fresh = |s: &State| {
            s.live
                .as_ref()
                .is_some_and(|l| l.dir == dir && l.fingerprint == fingerprint)
        };
        let known_bad = |s: &State| s.refused.as_ref().is_some_and(|(f, _)| *f == fingerprint);
        if !fresh(&state) && !known_bad(&state) {
            match LoadedTemplates::load(&dir) {
                Ok(loaded) => {
                    tracing::info!(
                        dir = %dir.display(),
                        templates = loaded.set.names().count(),
                        "templates loaded"
                    );
                    state.live = Some(Arc::new(loaded));
                    state.loaded_at = Some(Timestamp::now());
                    state.refused = None;
                }
                Err(problems) => {
                    for problem in &problems {
                        tracing::warn!(dir = %dir.display(), "template refused: {problem}");
                    }
                    tracing::warn!(
                        dir = %dir.display(),
                        "the templates folder does not compile; the last set that did stays live until it is fixed"
                    );
                    state.refused = Some((fingerprint, problems));
                }
            }
        }
        match &state.live {
            Some(live) => Ok(live.clone()),
            None => {
                let problems = state
                    .refused
                    .as_ref()
                    .map(|(_, p)| p.join("; "))
                    .unwrap_or_default();
                Err(Error::request(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::TemplatesUnavailable,
                    format!("no templates are loaded from {}: {problems}", dir.display()),
                ))
            }
        }
    }

    /// Checks the configurations of the fleet (or of the listed nodes) against the templates
    /// and records the outcome; nothing when no templates are loaded (there is nothing to check).
    pub async fn check(
        &self,
        store: &Store,
        nodes: &[Uuid],
    ) -> Result<Option<ConfigRunReport>, Error> {
        let Ok(templates) = self.current() else {
            return Ok(None);
        };
        let started = Instant::now();
        let opts = ConfigRunOptions {
            nodes: nodes.to_vec(),
            ..Default::default()
        };
        let report = check_configs(store, &templates, &opts, &mut |_, _| {}).await?;
        tracing::info!(
            target: "unet::templates",
            event = "config_compliance",
            nodes = report.nodes,
            compliant = report.compliant,
            non_compliant = report.non_compliant,
            no_running_config = report.no_running_config,
            error = report.error,
            render_failed = report.render_failed,
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "config compliance checked"
        );
        for e in &report.render_errors {
            tracing::warn!(target: "unet::templates", "render failed, the recorded check is kept: {e}");
        }
        Ok(Some(report))
    }

    /// The nodes' config compliance follows their new running configurations at once; a
    /// failure there is the check's, not the push's (it is logged and retried by the
    /// background checks).
    pub(crate) async fn check_pushed(&self, store: &Store, nodes: &[Uuid]) {
        // No nodes is not the fleet (which `check` takes it for).
        if nodes.is_empty() {
            return;
        }
        if let Err(e) = self.check(store, nodes).await {
            tracing::warn!(target: "unet::templates", nodes = nodes.len(), error = %e, "config compliance check after new running configurations failed");
        }
    }

    /// The `templates` component of the system status: `ok` with the live set, `error` when
    /// the folder does not compile now (the last good set, if any, still renders), `idle`
    /// before anything was loaded.
    pub fn component(&self) -> (&'static str, Option<Timestamp>, Option<String>) {
        let state = self.state();
        match (&state.live, &state.refused) {
            (_, Some((_, problems))) => (
                "error",
                state.loaded_at,
                Some(format!(
                    "{} does not compile ({} problem(s), first: {}); {}",
                    state.dir.display(),
                    problems.len(),
                    problems.first().map(String::as_str).unwrap_or_default(),
                    if state.live.is_some() {
                        "the last set that compiled renders meanwhile"
                    } else {
                        "nothing renders until it is fixed"
                    }
                )),
            ),
            (Some(live), None) => (
                "ok",
                state.loaded_at,
                Some(format!(
                    "{} template(s) from {}",
                    live.set.names().count(),
                    live.dir.display()
                )),
            ),
            (None, None) => ("idle", None, Some("no render yet".into())),
        }
    }
}

/// Stores a node's running configuration (a new version only when its content changed) and,
/// when a version was stored, checks the node's config compliance at once. The one path of
/// uploads and collections.
pub async fn push_and_check(
    templates: &TemplateEngine,
    store: &Store,
    node: Uuid,
    source: ConfigSource,
    taken_at: Option<Timestamp>,
    content: &str,
    retention: &Retention,
) -> Result<Pushed, Error> {
    let pushed = store
        .push_running_config(node, source, taken_at, content, retention)
        .await?;
    if pushed.created {
        templates.check_pushed(store, &[node]).await;
    }
    Ok(pushed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_folder_keeps_the_last_good_set_live() {
        let dir = tempfile::tempdir().unwrap();
        let engine = TemplateEngine::new(dir.path().to_path_buf());
        std::fs::write(dir.path().join("a.j2"), "hostname {{ node.name }}\n").unwrap();
        let first = engine.current().unwrap();
        assert!(first.set.contains("a.j2"));
        assert_eq!(engine.component().0, "ok");

        std::fs::write(dir.path().join("b.j2"), "{% if %}\n").unwrap();
        let still = engine.current().unwrap();
        assert!(Arc::ptr_eq(&first, &still));
        let (state, _, detail) = engine.component();
        assert_eq!(state, "error");
        assert!(detail.unwrap().contains("b.j2:1:"), "the problem is named");

        std::fs::write(dir.path().join("b.j2"), "ntp server 10.0.0.1\n").unwrap();
        let fixed = engine.current().unwrap();
        assert!(fixed.set.contains("b.j2"));
        assert_eq!(engine.component().0, "ok");
    }

    #[test]
    fn nothing_loaded_is_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.j2"), "{{ }}\n").unwrap();
        let engine = TemplateEngine::new(dir.path().to_path_buf());
        let Err(err) = engine.current() else {
            panic!("a folder that never compiled renders nothing")
        };
        assert!(err.to_string().contains("a.j2:1:"), "{err}");
    }
}
