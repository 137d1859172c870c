//! Polled state: what a device reports about itself over SNMP (system group, interfaces, LLDP
//! neighbours), how a poll ended, and the events that successive polls reveal. The SNMP client
//! fills these, the store keeps them, rules read them as `status.*`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::text_enum::text_enum;
use crate::{Timestamp, Uuid};

/// How a poll ended: the device answered, or the class of failure operators sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PollResult {
    /// The device answered every request; its state was stored.
    Ok,
    /// No answer within the timeout and retries: the agent is down, unreachable, or (SNMPv2c)
    /// dropped requests with a community it does not accept.
    Timeout,
    /// The agent refused the SNMPv3 user, its keys or its security level.
    AuthFailed,
    /// The agent answered with something that is not a usable answer (undecodable, out of
    /// order, or larger than the limits): nothing of that poll was stored.
    Malformed,
    /// μNet cannot poll the node as configured: no credential profile applies, or a
    /// `custom_data.snmp` value is wrong.
    NotConfigured,
    /// The request could not be sent (no route, address refused).
    NetworkError,
}

text_enum!(PollResult, "result", [
    Ok => "ok", Timeout => "timeout", AuthFailed => "auth_failed", Malformed => "malformed",
    NotConfigured => "not_configured", NetworkError => "network_error",
]);

/// An interface's administrative or operational status (IF-MIB `ifAdminStatus`, `ifOperStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IfStatus {
    Up,
    Down,
    Testing,
    Unknown,
    Dormant,
    NotPresent,
    LowerLayerDown,
}

text_enum!(IfStatus, "interface status", [
    Up => "up", Down => "down", Testing => "testing", Unknown => "unknown",
    Dormant => "dormant", NotPresent => "not_present", LowerLayerDown => "lower_layer_down",
]);

impl IfStatus {
    /// The IF-MIB enumeration value (1 up … 7 lowerLayerDown); anything else is `unknown`.
    pub fn from_mib(value: i64) -> IfStatus {
        match value {
            1 => IfStatus::Up,
            2 => IfStatus::Down,
            3 => IfStatus::Testing,
            5 => IfStatus::Dormant,
            6 => IfStatus::NotPresent,
            7 => IfStatus::LowerLayerDown,
            _ => IfStatus::Unknown,
        }
    }
}

/// The system group as the device reports it, and what μNet reads out of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SystemInfo {
    /// `sysName`.
    pub name: Option<String>,
    /// `sysDescr`.
    pub description: Option<String>,
    /// `sysObjectID`, dotted.
    pub object_id: Option<String>,
    pub contact: Option<String>,
    pub location: Option<String>,
    /// `sysUpTime` in hundredths of a second.
    pub uptime_ticks: u64,
    /// The vendor recognised from `sysObjectID` (a slug such as `cisco`).
    pub vendor: Option<String>,
    /// The software version read out of `sysDescr` by the vendor's pattern.
    pub version: Option<String>,
}

/// One interface's counters as read (64-bit where the device has ifXTable's HC counters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counters {
    pub in_octets: Option<u64>,
    pub out_octets: Option<u64>,
    pub in_errors: Option<u64>,
    pub out_errors: Option<u64>,
    pub in_discards: Option<u64>,
    pub out_discards: Option<u64>,
    /// The octet counters are 64-bit (`ifHCInOctets`, `ifHCOutOctets`); else 32-bit, which wrap.
    pub high_capacity: bool,
}

/// One row of the interface table (IF-MIB ifTable joined with ifXTable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InterfaceState {
    /// `ifIndex`.
    pub index: u32,
    /// `ifName`, else `ifDescr`.
    pub name: String,
    pub description: Option<String>,
    /// `ifAlias`: the description an operator configured.
    pub alias: Option<String>,
    pub admin_status: IfStatus,
    pub oper_status: IfStatus,
    /// `ifHighSpeed` × 10⁶, else `ifSpeed`.
    pub speed_bps: Option<u64>,
    /// `ifLastChange`: `sysUpTime` when the oper status last changed.
    pub last_change_ticks: Option<u64>,
    pub counters: Counters,
    /// Traffic since the previous poll, from the octet counters (wraps handled); `null` on a
    /// first sample or after a reboot or counter reset.
    pub in_bps: Option<u64>,
    pub out_bps: Option<u64>,
}

/// One LLDP neighbour as the device reports it (LLDP-MIB remote table).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Neighbour {
    /// The local interface the neighbour is seen on (its name where the device says it).
    pub local_port: String,
    pub chassis_id: String,
    pub system_name: Option<String>,
    /// The neighbour's port (its name where the neighbour says it, else its id).
    pub port: String,
    pub port_description: Option<String>,
}

/// Everything one successful poll read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolledState {
    pub system: SystemInfo,
    pub interfaces: Vec<InterfaceState>,
    pub neighbours: Vec<Neighbour>,
}

/// What the store holds from a node's polls before the next one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastPoll {
    /// `None`: never polled (or only failures that did not reach the agent).
    pub reachable: Option<bool>,
    /// When the last successful poll ran.
    pub success_at: Option<Timestamp>,
    /// The last successful poll's `sysUpTime`, interfaces and neighbours.
    pub uptime_ticks: Option<u64>,
    pub interfaces: Vec<InterfaceState>,
    pub neighbours: Vec<Neighbour>,
}

/// Where a device disagrees with the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// `sysName` is not the node's name (nor its fqdn).
    SystemName,
    /// The software version is not `custom_data.expected_version`.
    Version,
    /// A link's interface is not in the device's interface table.
    MissingInterface,
    /// A link's interface is not oper-up.
    LinkDown,
    /// LLDP on a link's interface reports a neighbour other than the link's other end.
    LinkMismatch,
    /// LLDP reports a neighbour on an interface that no inventory link describes.
    UnlistedNeighbour,
}

text_enum!(DriftKind, "drift", [
    SystemName => "system_name", Version => "version", MissingInterface => "missing_interface",
    LinkDown => "link_down", LinkMismatch => "link_mismatch",
    UnlistedNeighbour => "unlisted_neighbour",
]);

/// One disagreement between the device and the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Drift {
    pub kind: DriftKind,
    /// The device's interface concerned (link and neighbour drift).
    pub interface: Option<String>,
    /// The inventory link concerned.
    pub link_id: Option<Uuid>,
    /// What the inventory says.
    pub expected: Option<String>,
    /// What the device says.
    pub actual: Option<String>,
}

/// What successive polls revealed about a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusEventKind {
    /// Answers again after failed polls.
    Reachable,
    /// Stopped answering (after the configured retries).
    Unreachable,
    /// `sysUpTime` went back: the device restarted.
    Reboot,
    /// An interface's oper status became up.
    InterfaceUp,
    /// An interface's oper status left up.
    InterfaceDown,
    /// LLDP reports a neighbour the previous poll did not.
    NeighbourAdded,
    /// A neighbour of the previous poll is gone.
    NeighbourLost,
}

text_enum!(StatusEventKind, "event type", [
    Reachable => "reachable", Unreachable => "unreachable", Reboot => "reboot",
    InterfaceUp => "interface_up", InterfaceDown => "interface_down",
    NeighbourAdded => "neighbour_added", NeighbourLost => "neighbour_lost",
]);

/// An event about to be stored: what the poller found, before it has an id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewStatusEvent {
    pub kind: StatusEventKind,
    /// The interface concerned (interface and neighbour events).
    pub interface: Option<String>,
    /// What changed, from and to (kind-specific fields).
    pub detail: Value,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusEvent {
    pub id: Uuid,
    pub node_id: Uuid,
    /// The node's name.
    pub node: String,
    pub kind: StatusEventKind,
    pub interface: Option<String>,
    #[schema(value_type = Object)]
    pub detail: Value,
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Timestamp,
}
