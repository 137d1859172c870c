//! What the operations endpoints share: the request metrics, the parts of the configuration
//! they report or act on (replaced as a whole on reload), and when the last snapshot ran.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use unet_core::Timestamp;
use unet_ops::snapshot::{SnapshotSource, Snapshots};

use crate::config::{Config, MetricsSection, SnapshotsSection, TlsSection};
use crate::metrics::Metrics;
use unet_tls::Tls;

/// The configuration the operations endpoints read.
#[derive(Debug, Clone, PartialEq)]
pub struct OpsSettings {
    pub data_dir: PathBuf,
    pub config_file: Option<PathBuf>,
    /// Kept whole for `pg_dump`; only ever shown redacted.
    pub database_url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    pub busy_timeout: Duration,
    pub slow_query_threshold: Duration,
    pub metrics: MetricsSection,
    pub snapshots: SnapshotsSection,
    pub tls: TlsSection,
}

impl OpsSettings {
    pub fn from_config(config: &Config) -> OpsSettings {
        OpsSettings {
            data_dir: config.data.dir.clone(),
            config_file: config.source.clone(),
            database_url: config.database.url.clone(),
            max_connections: config.database.max_connections,
            acquire_timeout: config.database.acquire_timeout,
            busy_timeout: config.database.busy_timeout,
            slow_query_threshold: config.database.slow_query_threshold,
            metrics: config.metrics,
            snapshots: config.snapshots,
            tls: config.tls.clone(),
        }
    }

    pub fn snapshots_dir(&self) -> PathBuf {
        self.data_dir.join("snapshots")
    }

    /// What a snapshot taken now copies, and how many are kept.
    pub fn snapshot_source(&self) -> SnapshotSource {
        SnapshotSource {
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            config_file: self.config_file.clone(),
            git_folders: crate::git_sync::snapshot_folders(&self.data_dir),
            retention: self.snapshots,
        }
    }
}

#[derive(Debug)]
pub struct Operations {
    metrics: Arc<Metrics>,
    settings: RwLock<Arc<OpsSettings>>,
    started_at: Timestamp,
    snapshots: Snapshots,
    /// The HTTPS listener's certificate, when `[tls]` is on.
    tls: OnceLock<Tls>,
}

impl Operations {
    pub fn new(settings: OpsSettings) -> Operations {
        Operations {
            metrics: Arc::new(Metrics::default()),
            settings: RwLock::new(Arc::new(settings)),
            started_at: Timestamp::now(),
            snapshots: Snapshots::default(),
            tls: OnceLock::new(),
        }
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub fn settings(&self) -> Arc<OpsSettings> {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the settings (start-up, reload).
    pub fn configure(&self, settings: OpsSettings) {
        *self
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(settings);
    }

    pub fn tls(&self) -> Option<&Tls> {
        self.tls.get()
    }

    /// Installs the listener's certificate (once, at start-up).
    pub fn set_tls(&self, tls: Tls) {
        let _ = self.tls.set(tls);
    }

    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }

    /// The snapshots this server takes (one at a time) and when the last one ran.
    pub fn snapshots(&self) -> &Snapshots {
        &self.snapshots
    }
}

impl Default for Operations {
    /// The built-in defaults of the configuration file (what the server runs with no file).
    fn default() -> Operations {
        let config = Config::from_toml("", None, Vec::new());
        // The empty file is valid by construction; the fallback only keeps this infallible.
        let settings = match config {
            Ok(c) => OpsSettings::from_config(&c),
            Err(_) => OpsSettings {
                data_dir: PathBuf::from("./data"),
                config_file: None,
                database_url: String::new(),
                max_connections: 1,
                acquire_timeout: Duration::from_secs(10),
                busy_timeout: Duration::from_secs(5),
                slow_query_threshold: Duration::from_millis(250),
                metrics: MetricsSection { public: false },
                snapshots: SnapshotsSection {
                    keep: 10,
                    max_age_days: 30,
                },
                tls: TlsSection {
                    enabled: false,
                    listen: std::net::SocketAddr::from(([127, 0, 0, 1], 8443)),
                    cert_file: PathBuf::from("/etc/unet/ssl/cert.pem"),
                    key_file: PathBuf::from("/etc/unet/ssl/key.pem"),
                    self_signed: false,
                    self_signed_days: 365,
                },
            },
        };
        Operations::new(settings)
    }
}
