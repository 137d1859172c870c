//! Start-up and shutdown of the server: open the database (initialising a new one), refuse a
//! database with pending migrations, serve until SIGTERM/SIGINT, drain, stop the background
//! tasks, close the pool.

use std::future::Future;

use tokio::net::TcpListener;
use unet_ops::open_store;
use unet_store::Store;

use crate::config::Config;
use crate::error::Error;
use crate::state::Limits;

/// A database without any table is new and is initialised; an existing one with pending
/// migrations is migrated only when `database.auto_migrate` is on, because an upgrade deserves
/// a snapshot and an operator's eye (`unet-server migrate`).
pub async fn prepare_schema(store: &Store, config: &Config) -> Result<(), Error> {
    let status = store.migration_status().await?;
    let pending: Vec<_> = status.iter().filter(|m| m.applied_at.is_none()).collect();
    if pending.is_empty() {
        return Ok(());
    }
    let fresh = store.is_empty().await?;
    if fresh || config.database.auto_migrate {
        let applied = store.migrate().await?;
        for m in &applied {
            tracing::info!(target: "unet::migrate", version = m.version, description = %m.description, "migration applied");
        }
        if fresh {
            tracing::info!(target: "unet::migrate", "initialised a new database");
        }
        return Ok(());
    }
    let config_arg = config
        .source
        .as_ref()
        .map(|p| format!(" --config {}", p.display()))
        .unwrap_or_default();
    let versions: Vec<String> = pending
        .iter()
        .map(|m| format!("{} ({})", m.version, m.description))
        .collect();
    Err(Error::Startup(format!(
        "the database has {} pending migration(s): {}. Stop here, take a backup if you wish, \
         then run `unet-server migrate{config_arg}` (or set database.auto_migrate = true)",
        pending.len(),
        versions.join(", ")
    )))
}

/// Runs the server until `shutdown` completes, then lets in-flight requests finish for at most
/// `server.shutdown_timeout`.
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    std::fs::create_dir_all(&config.data.dir)
        .map_err(|e| Error::io(format!("data.dir {}", config.data.dir.display()), e))?;
    let _data_dir_lock = unet_ops::server_lock::ServerLock::acquire(&config.data.dir)?;
    let store = open_store(&config).await?;
    prepare_schema(&store, &config).await?;
    let limits = Limits {
        max_body_bytes: config.server.max_body_bytes,
        request_timeout: config.server.request_timeout,
        configs: config.configs,
    };
    let state = crate::security_setup::state(&config, store.clone(), limits).await?;
    state
        .operations()
        .configure(crate::operations::OpsSettings::from_config(&config));
    // Installed before the listening line: from then on SIGHUP reloads instead of killing.
    let hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| Error::io("installing the SIGHUP handler", e))?;
    tokio::spawn(crate::reload::watch(hangup, state.clone(), config.clone()));
    if config.tls.enabled {
        state
            .operations()
            .set_tls(unet_tls::Tls::start(&config.tls)?);
    }
    let app = crate::app(state.clone());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    state
        .collector()
        .configure(&config.collect, &config.configs);
    state.poller().configure(&config.snmp);
    // Points the policy engine at policies.dir or at the policies repository's live revision.
    crate::git_sync::configure(&state.syncer(), &config);
    // Every task that may use the database; each ends when `stop` turns true, and they are
    // awaited before the pool closes.
    let mut background = tokio::task::JoinSet::new();
    background.spawn(crate::policies::run_background(
        state.policies().clone(),
        state.templates().clone(),
        state.store().clone(),
        state.operations().metrics().clone(),
        config.policies.clone(),
        stop_rx.clone(),
    ));
    background.spawn(crate::git_sync::run_background(
        state.syncer(),
        stop_rx.clone(),
    ));
    background.spawn(crate::collector::run_background(
        state.collector().clone(),
        stop_rx.clone(),
    ));
    background.spawn(crate::poller::run_background(
        state.poller().clone(),
        stop_rx.clone(),
    ));
    background.spawn(crate::collector::run_checks(
        state.collector().clone(),
        stop_rx.clone(),
    ));
    // The syslog trigger listens only when configured; its address cannot change on reload.
    if let Some(listener) = config.collect.syslog {
        let task =
            crate::collector::run_syslog(state.collector().clone(), listener, stop_rx.clone())
                .await?;
        background.spawn(async move {
            let _ = task.await;
        });
    }
    if config.auth.required {
        background.spawn(crate::security_setup::record_key_uses(
            state.security().clone(),
            state.operations().metrics().clone(),
            stop_rx.clone(),
        ));
    }
    // HTTPS first: its address is logged before the HTTP line that marks the server ready.
    let https = match state.operations().tls() {
        Some(tls) => Some(
            unet_tls::serve_https(
                config.tls.listen,
                config.server.shutdown_timeout,
                tls.rustls(),
                app.clone(),
                stop_rx.clone(),
            )
            .await?,
        ),
        None => None,
    };
    let listener = TcpListener::bind(config.server.listen)
        .await
        .map_err(|e| Error::io(format!("server.listen {}", config.server.listen), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("server.listen", e))?;
    tracing::info!(
        target: "unet::server",
        version = env!("CARGO_PKG_VERSION"),
        database = %config.database.redacted_url(),
        backend = store.backend().as_str(),
        "listening on http://{addr}"
    );
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!(target: "unet::server", "shutdown requested; draining in-flight requests");
        let _ = stop_tx.send(true);
    });
    let mut drain_rx = stop_rx.clone();
    // The peer address feeds `source_ip` of security events and the per-address login limit.
    let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        let mut rx = stop_rx;
        let _ = rx.wait_for(|stop| *stop).await;
    });
    let drain_deadline = async move {
        let _ = drain_rx.wait_for(|stop| *stop).await;
        tokio::time::sleep(config.server.shutdown_timeout).await;
    };
    tokio::select! {
        result = server => result.map_err(|e| Error::io("serving HTTP", e))?,
        () = drain_deadline => tracing::warn!(
            target: "unet::server",
            "timeout: requests still running after server.shutdown_timeout ({}); closing them",
            crate::config::format_duration(config.server.shutdown_timeout)
        ),
    }
    if let Some(https) = https {
        // Bounded by the graceful-shutdown period given to the HTTPS handle.
        let _ = https.await;
    }
    // An evaluation cut short by `stop` takes its unwritten results with it; none of these
    // tasks may meet a closed pool.
    while background.join_next().await.is_some() {}
    crate::security_setup::flush(state.security(), state.operations().metrics()).await;
    store.close().await;
    tracing::info!(target: "unet::server", "stopped");
    Ok(())
}

/// Completes on SIGTERM or SIGINT.
pub async fn termination_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
