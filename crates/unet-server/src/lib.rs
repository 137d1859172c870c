//! μNet's HTTP server: the REST API over the inventory (`/api/v1/…`), its OpenAPI document,
//! the configuration file, and the start-up and migration procedures of `unet-server`.
//!
//! The binary is thin; everything it does is here so that tests and benchmarks can build the
//! same application ([`app`]) around their own store.

pub mod auth;
pub mod collector;
mod error;
mod error_code;
mod extract;
pub mod git_sync;
pub mod logging;
pub mod metrics;
mod node_jobs;
mod node_plan;
mod objects_only;
pub mod operations;
mod patch;
pub mod policies;
pub mod poller;
mod reload;
mod routes;
pub mod security_setup;
pub mod serve;
mod state;
pub mod templates;

/// Backup, restore, migration and snapshots, done by the `unet-ops` crate.
pub use unet_ops::{backup, migrate};
/// The configuration file, read by the `unet-settings` crate.
pub use unet_settings as config;

pub use error::{Error, FieldError, PROBLEM_JSON, Problem, Result};
pub use routes::{DatabaseCheck, Health, HealthChecks, HealthStatus, app};
pub use state::{AppState, Limits};

/// Version, commit and build date, as `unet-server --version` prints them.
pub fn version_line() -> String {
    format!(
        "unet-server {} (commit {}, built {})",
        env!("CARGO_PKG_VERSION"),
        env!("UNET_GIT_COMMIT"),
        env!("UNET_BUILD_DATE")
    )
}
