//! Start-up of authentication for `serve`: with `auth.required`, the security service with
//! its stored policy, the bootstrap administrator on a database without users, and the
//! periodic write of API-key use times (a background task `serve` stops before closing the
//! pool).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use unet_auth::Security;
use unet_store::Store;

use crate::config::Config;
use crate::error::Error;
use crate::metrics::Metrics;
use crate::state::{AppState, Limits};

/// How often API-key `last_used` times gathered in memory are written.
const KEY_USE_FLUSH: Duration = Duration::from_secs(10);

/// The application state `serve` runs with: bearer tokens required when `auth.required`.
pub async fn state(config: &Config, store: Store, limits: Limits) -> Result<AppState, Error> {
    if !config.auth.required {
        return Ok(AppState::new(store, limits));
    }
    let startup = |e: unet_auth::AuthError| Error::Startup(format!("security: {e}"));
    let security = Arc::new(Security::load(store.clone()).await.map_err(startup)?);
    if let Some(path) = security
        .bootstrap_admin(&config.data.dir)
        .await
        .map_err(startup)?
    {
        tracing::warn!(
            target: "unet::security",
            path = %path.display(),
            "security: created the user admin; its password is in this file (mode 0600): \
             log in, change it with `unet users set-password admin`, then delete the file"
        );
    }
    Ok(AppState::secured(store, limits, security))
}

/// Writes the API-key use times gathered in memory every [`KEY_USE_FLUSH`] until `stop`
/// turns true.
pub async fn record_key_uses(
    security: Arc<Security>,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(KEY_USE_FLUSH) => {}
        }
        flush(&security, &metrics).await;
    }
}

/// Writes the API-key use times not yet stored (periodically, and at shutdown).
pub async fn flush(security: &Security, metrics: &Metrics) {
    if let Err(e) = security.flush_key_uses().await {
        let e = Error::from(e);
        if e.is_database_failure() {
            metrics.database_error();
        }
        tracing::warn!(target: "unet::security", error = %e, "security: could not record API-key use");
    }
}
