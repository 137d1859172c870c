//! SIGHUP (`systemctl reload`, logrotate's `postrotate`): re-read the configuration file and
//! apply what can change while serving — log level, log file (always reopened), the TLS
//! certificate (always re-read), metrics and snapshot settings. A file that does not load or
//! fails the machine checks is rejected with an `ERROR` line and the running configuration
//! stays. Keys that need a restart are named.

use tokio::signal::unix::Signal;

use crate::config::{Config, check_environment};
use crate::operations::OpsSettings;
use crate::state::AppState;
use crate::{Error, logging};

/// Handles every SIGHUP on `hangup` until the process exits.
pub async fn watch(mut hangup: Signal, state: AppState, mut current: Config) {
    while hangup.recv().await.is_some() {
        // Reading files, checking permissions and loading the certificate block: the
        // blocking pool does it, so requests keep their worker threads.
        let (task_state, task_current) = (state.clone(), current.clone());
        let outcome = tokio::task::spawn_blocking(move || reload(&task_state, &task_current))
            .await
            .unwrap_or_else(|e| Err(Error::Internal(format!("the reload stopped: {e}"))));
        match outcome {
            Ok(new) => current = new,
            Err(e) => tracing::error!(
                target: "unet::reload",
                event = "config_reload_rejected",
                "ERROR config_reload rejected, the running configuration stays: {e}"
            ),
        }
    }
}

fn reload(state: &AppState, current: &Config) -> Result<Config, Error> {
    let new = Config::load(current.source.as_deref()).map_err(Error::Config)?;
    let problems = check_environment(&new);
    if !problems.is_empty() {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(Error::Internal(listed.join("; ")));
    }
    // The certificate first: a bad pair rejects the whole reload and the running one stays.
    if let Some(tls) = state.operations().tls()
        && new.tls.enabled
    {
        tls.rotate(&new.tls, false)?;
    }
    // Then the log file: one that cannot be opened rejects the rest.
    logging::reopen(new.logging.file.as_deref())?;
    if new.logging.level != current.logging.level {
        logging::set_level(&new.logging.level)?;
    }
    state.operations().configure(OpsSettings::from_config(&new));
    if new.collect != current.collect {
        // Profiles (and the secret files they name) are read again; the upload limit and
        // retention stay those the server started with, like the uploads'.
        state
            .collector()
            .configure(&new.collect, &state.limits().configs);
    }
    if new.snmp != current.snmp {
        // Profiles are read again with their secret files, and their keys derived.
        state.poller().configure(&new.snmp);
    }
    if new.git != current.git {
        crate::git_sync::configure(&state.syncer(), &new);
    }
    let (applied, restart) = differences(current, &new);
    tracing::info!(
        target: "unet::reload",
        event = "config_reloaded",
        changed = %if applied.is_empty() { "nothing".to_string() } else { applied.join(", ") },
        "configuration reloaded; log file reopened"
    );
    if !restart.is_empty() {
        tracing::warn!(
            target: "unet::reload",
            event = "config_reload_needs_restart",
            "changed but applied only after a restart: {}",
            restart.join(", ")
        );
    }
    Ok(new)
}

/// Changed keys (or sections) applied live, and those that need a restart.
fn differences(old: &Config, new: &Config) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut applied = Vec::new();
    let mut restart = Vec::new();
    let mut note = |changed: bool, key: &'static str, live: bool| {
        if changed {
            if live {
                applied.push(key);
            } else {
                restart.push(key);
            }
        }
    };
    note(
        old.logging.level != new.logging.level,
        "logging.level",
        true,
    );
    note(old.logging.file != new.logging.file, "logging.file", true);
    note(
        old.logging.format != new.logging.format,
        "logging.format",
        false,
    );
    note(old.metrics != new.metrics, "metrics", true);
    note(old.snapshots != new.snapshots, "snapshots", true);
    note(old.git != new.git, "git", true);
    let syslog = |c: &crate::config::Config| c.collect.syslog;
    note(
        old.collect != new.collect && syslog(old) == syslog(new),
        "collect",
        true,
    );
    note(
        syslog(old) != syslog(new),
        "collect.syslog_listen/syslog_debounce",
        false,
    );
    note(old.snmp != new.snmp, "snmp", true);
    note(old.server != new.server, "server", false);
    note(old.database != new.database, "database", false);
    note(old.data != new.data, "data", false);
    let files = |t: &crate::config::TlsSection| {
        (
            t.cert_file.clone(),
            t.key_file.clone(),
            t.self_signed,
            t.self_signed_days,
        )
    };
    note(
        files(&old.tls) != files(&new.tls),
        "tls.cert_file/key_file",
        true,
    );
    note(
        (old.tls.enabled, old.tls.listen) != (new.tls.enabled, new.tls.listen),
        "tls.enabled/listen",
        false,
    );
    (applied, restart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_separate_live_keys_from_restart_keys() {
        let load = |t: &str| Config::from_toml(t, None, Vec::new()).unwrap();
        let old = load("logging.level = \"info\"\n");
        let new = load(
            "logging.level = \"debug\"\nsnapshots.keep = 3\nserver.listen = \"127.0.0.1:9999\"\n",
        );
        let (applied, restart) = differences(&old, &new);
        assert_eq!(applied, vec!["logging.level", "snapshots"]);
        assert_eq!(restart, vec!["server"]);
        assert_eq!(differences(&old, &old), (vec![], vec![]));
    }
}
