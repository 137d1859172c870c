//! Collection of running configurations from devices: over SSH, driving the device's CLI the
//! way its platform's [`CliRecipe`](unet_core::CliRecipe) says, or from a local program the
//! operator names. Knows nothing of the store or the server: it fetches one configuration and
//! says precisely why when it cannot.

mod command;
mod dialogue;
mod sessions;
mod ssh;
mod terminal;
#[cfg(feature = "testing")]
pub mod testing;

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use unet_core::{CollectionResult, Platform};

pub use command::{Program, collect_command};
pub use sessions::SshSessions;
pub use ssh::{
    Credential, HostKeys, Login, PrivateKey, collect_ssh, load_private_key, public_key_fingerprint,
};

/// The device to collect from.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The node's name (in messages and in a program's environment).
    pub node: &'a str,
    pub address: IpAddr,
    pub port: u16,
    pub platform: Platform,
    /// The configuration format to ask for, on platforms that print more than one (Junos:
    /// `set` or `brace`); `None` is the platform's default.
    pub format: Option<&'a str>,
}

/// Bounds on one collection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// To open the TCP connection and finish the SSH handshake.
    pub connect: Duration,
    /// For the whole collection, login to last line.
    pub total: Duration,
    /// The largest configuration accepted.
    pub max_bytes: usize,
}

/// A configuration fetched from a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collected {
    pub text: String,
    /// The host key the device presented (`ssh-ed25519 AAAA…`, no comment); `None` for a
    /// program source.
    pub host_key: Option<String>,
}

/// A failed collection: its class and what happened, never a secret or configuration text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// One of the failure results.
    pub kind: CollectionResult,
    pub message: String,
    /// On a host key mismatch, the key the device presented (for the security event).
    pub presented_key: Option<String>,
}

impl Failure {
    pub(crate) fn new(kind: CollectionResult, message: String) -> Failure {
        Failure {
            kind,
            message,
            presented_key: None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Failure {}
