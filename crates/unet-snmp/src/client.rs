//! The poller: one UDP socket (per address family) shared by every poll of the process, and
//! one device's poll — the system group, then the interface and LLDP tables, each a few
//! GETBULK requests.

use std::net::SocketAddr;
use std::time::Duration;

use async_snmp::transport::UdpTransport;
use async_snmp::{Auth, Client, MasterKeys, Oid, Retry, UdpHandle, UsmConfig, Value};
use unet_core::{PollResult, PolledState};

use crate::catalogue::{INTERFACE_COLUMNS, LLDP_COLUMNS, SYSTEM};
use crate::credentials::{Credentials, MIN_USM_PASSWORD};
use crate::fault::Fault;
use crate::read;
use crate::walk::walk_columns;

/// How one poll is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The wait for one answer.
    pub timeout: Duration,
    /// Requests sent again after a timeout, before the agent counts as not answering.
    pub retries: u32,
    /// Cells asked for in one GETBULK (spread over the columns still being walked).
    pub per_request: usize,
    /// Table cells one poll may hold; a larger answer is refused as malformed.
    pub max_cells: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(2),
            retries: 2,
            per_request: 48,
            max_cells: 200_000,
        }
    }
}

/// Credentials made ready for polling: SNMPv3 passwords turned into keys once (RFC 3414's
/// derivation hashes a megabyte per password), not at every poll.
#[derive(Clone)]
pub struct Prepared(Auth);

impl Prepared {
    /// The same SNMPv3 credentials in another context (a multi-context agent's instance);
    /// SNMPv2c has no context.
    pub fn in_context(&self, context: &str) -> Result<Prepared, String> {
        match &self.0 {
            Auth::Usm(config) => Ok(Prepared(Auth::Usm(
                config.clone().context_name(context.as_bytes().to_vec()),
            ))),
            Auth::Community { .. } => Err(format!(
                "custom_data.snmp.context {context:?} needs an SNMPv3 profile (SNMPv2c has no context)"
            )),
        }
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prepared(<credentials>)")
    }
}

impl Credentials {
    /// Derives the keys; an error names what is wrong (never the secret).
    pub fn prepare(&self) -> Result<Prepared, String> {
        match self {
            Credentials::V2c { community } => {
                Ok(Prepared(Auth::v2c(community.as_bytes().to_vec())))
            }
            Credentials::V3(usm) => {
                let short = |what: &str| {
                    format!(
                        "the {what} password is shorter than {MIN_USM_PASSWORD} characters (RFC 3414)"
                    )
                };
                if usm.auth_password.len() < MIN_USM_PASSWORD {
                    return Err(short("authentication"));
                }
                let failed =
                    |e: async_snmp::CryptoError| format!("cannot derive the SNMPv3 keys: {e}");
                let mut keys = MasterKeys::new(usm.auth.wire(), usm.auth_password.as_bytes())
                    .map_err(failed)?;
                if let Some((protocol, password)) = &usm.privacy {
                    if password.len() < MIN_USM_PASSWORD {
                        return Err(short("privacy"));
                    }
                    keys = keys
                        .with_privacy(protocol.wire(), password.as_bytes())
                        .map_err(failed)?;
                }
                let config = UsmConfig::new(usm.user.as_bytes().to_vec())
                    .with_master_keys(keys)
                    .map_err(failed)?
                    .context_name(usm.context.as_bytes().to_vec());
                Ok(Prepared(Auth::from(config)))
            }
        }
    }
}

/// Polls devices; share one per process.
pub struct Poller {
    v4: UdpTransport,
    v6: Option<UdpTransport>,
}

impl Poller {
    /// Binds the sockets polls go out of (IPv6 only where the host has it).
    pub async fn bind() -> Result<Poller, String> {
        let v4 = UdpTransport::bind("0.0.0.0:0")
            .await
            .map_err(|e| format!("cannot open a UDP socket for SNMP: {e}"))?;
        let v6 = UdpTransport::bind("[::]:0").await.ok();
        Ok(Poller { v4, v6 })
    }

    /// Polls one agent: the system group, interfaces and LLDP neighbours.
    ///
    /// Each poll discovers an SNMPv3 agent's engine afresh (one more round trip): engine state
    /// cached across polls goes stale when the device restarts, and polls of a restarted
    /// device then went unanswered.
    pub async fn poll(
        &self,
        address: SocketAddr,
        credentials: &Prepared,
        limits: &Limits,
    ) -> Result<PolledState, Fault> {
        let transport = match address {
            SocketAddr::V4(_) => &self.v4,
            SocketAddr::V6(_) => self.v6.as_ref().ok_or_else(|| Fault {
                result: PollResult::NetworkError,
                message: "this host has no IPv6 socket for SNMP".to_string(),
            })?,
        };
        let retry = Retry::fixed(limits.retries.min(async_snmp::MAX_RETRIES), Duration::ZERO)
            .map_err(|e| Fault {
                result: PollResult::NotConfigured,
                message: e.to_string(),
            })?;
        let client = Client::builder(address, credentials.0.clone())
            .request_timeout(limits.timeout)
            .retry(retry)
            // Agents report a wrong key or an unknown user without authentication (they cannot
            // authenticate to a user they do not know): read those reports, so a wrong key is
            // `auth_failed` at once and not a timeout. A forged report can only fail this poll.
            .allow_unauthenticated_v3_time_correction(true)
            .build_with(transport)
            .await?;
        poll_with(&client, limits).await
    }
}

async fn poll_with(client: &Client<UdpHandle>, limits: &Limits) -> Result<PolledState, Fault> {
    let oids: Vec<Oid> = SYSTEM.iter().map(|o| Oid::from_slice(o)).collect();
    let answer = client.get_many(&oids).await?;
    let values: Vec<Option<Value>> = oids
        .iter()
        .map(|oid| {
            answer
                .varbinds
                .iter()
                .find(|v| v.oid == *oid)
                .map(|v| v.value.clone())
        })
        .collect();
    let system = read::system(&values)
        .ok_or_else(|| Fault::malformed("the agent's answer has no sysUpTime.0 (TimeTicks)"))?;
    let columns = walk_columns(
        client,
        &INTERFACE_COLUMNS,
        limits.per_request,
        limits.max_cells,
    )
    .await?;
    let interfaces = read::interfaces(columns);
    let budget = limits
        .max_cells
        .saturating_sub(interfaces.len() * INTERFACE_COLUMNS.len());
    let columns = walk_columns(client, &LLDP_COLUMNS, limits.per_request, budget.max(1)).await?;
    let neighbours = read::neighbours(columns, &interfaces);
    Ok(PolledState {
        system,
        interfaces,
        neighbours,
    })
}
