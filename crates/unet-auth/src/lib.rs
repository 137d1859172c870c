//! μNet security: users with argon2id passwords, login sessions and API keys stored only as
//! SHA-256 digests, the security policy, login throttling by source address (a budget per
//! address and a lockout per username and address) and the security event trail. The HTTP
//! server and the CLI's local mode both go through [`Security`].

mod accounts;
mod audit;
mod error;
mod events;
mod limiter;
mod policy;
mod role;
pub mod secret;
mod service;

pub use accounts::{ApiKey, CreatedApiKey, User, UserUpdate};
pub use audit::AuditSummary;
pub use error::{AuthError, Result};
pub use events::{Client, EventType, SecurityEvent};
pub use limiter::LoginLimiter;
pub use policy::{PasswordRules, SecurityPolicy};
pub use role::{Role, may};
pub use service::{Credential, Identity, Security, Session, write_private};
