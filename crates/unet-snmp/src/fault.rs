//! How a poll fails: the class operators sort by and what happened, never a secret.

use async_snmp::ErrorKind;
use unet_core::PollResult;

/// A failed poll: its class and what happened (no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub result: PollResult,
    pub message: String,
}

impl Fault {
    pub(crate) fn malformed(message: impl Into<String>) -> Fault {
        Fault {
            result: PollResult::Malformed,
            message: message.into(),
        }
    }
}

impl From<Box<async_snmp::Error>> for Fault {
    fn from(error: Box<async_snmp::Error>) -> Fault {
        let result = match error.kind() {
            ErrorKind::Timeout | ErrorKind::ConstructionTimeout => PollResult::Timeout,
            ErrorKind::Auth | ErrorKind::Report | ErrorKind::Privacy => PollResult::AuthFailed,
            ErrorKind::Network | ErrorKind::Closed => PollResult::NetworkError,
            ErrorKind::Config | ErrorKind::InvalidOid | ErrorKind::RandomSource => {
                PollResult::NotConfigured
            }
            _ => PollResult::Malformed,
        };
        let message = match result {
            PollResult::Timeout => format!(
                "no answer ({error}); the agent is down or unreachable, or (SNMPv2c) it does not \
                 accept the community"
            ),
            PollResult::AuthFailed => {
                format!("the agent refused the SNMPv3 credentials: {error}")
            }
            _ => error.to_string(),
        };
        Fault { result, message }
    }
}
