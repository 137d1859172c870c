//! SNMP polling bookkeeping: which managed nodes are due, each node's poll status with the
//! system group and drift of its last successful poll, its interfaces and LLDP neighbours, and
//! the status events. A poll is recorded in one transaction; a node deleted meanwhile records
//! nothing.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use unet_core::{
    Counters, Drift, EntityType, InterfaceState, LastPoll, Neighbour, NewStatusEvent, NodeStatus,
    Platform, PollResult, PolledState, SystemInfo, Timestamp, Uuid,
};

use crate::collection::{MANAGED, due_query};
use crate::db::{
    Arg, Sql, as_i64, chunks, decode_error, get_json, get_opt_timestamp, get_parsed, get_uuid,
    multi_row, push_in,
};
use crate::{Result, Store, StoreError};

/// A node as the poller needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct PollTarget {
    pub node_id: Uuid,
    pub name: String,
    pub fqdn: Option<String>,
    pub status: NodeStatus,
    pub management_ip: Option<String>,
    pub platform: Platform,
    pub custom_data: Value,
    /// Failed polls in a row before this one.
    pub failures: u32,
}

/// One inventory link of a node, seen from the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLink {
    pub id: Uuid,
    pub interface: String,
    /// The other end's node name, platform and interface; `None` for an external circuit.
    pub peer: Option<(String, Platform, String)>,
}

/// What one poll records.
#[derive(Debug, Clone, PartialEq)]
pub struct PollRecord<'a> {
    pub started_at: Timestamp,
    pub duration_ms: u64,
    pub next_due_at: Timestamp,
    pub outcome: PollOutcome<'a>,
    pub events: &'a [NewStatusEvent],
}

/// How a poll ended.
#[derive(Debug, Clone, PartialEq)]
pub enum PollOutcome<'a> {
    /// The agent answered: its state replaces the last one (neighbours only when they changed).
    Polled {
        state: &'a PolledState,
        drift: &'a [Drift],
        neighbours_changed: bool,
    },
    /// No state: the failure's class, what happened, and whether the agent answered at all
    /// (`None`: not known, nothing was sent).
    Failed {
        result: PollResult,
        message: String,
        reachable: Option<bool>,
    },
}

/// A managed node's poll status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollStatus {
    pub node_id: Uuid,
    pub node: String,
    /// `None` until the first poll.
    pub last_poll_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub duration_ms: Option<u64>,
    pub result: Option<PollResult>,
    pub message: Option<String>,
    pub failures: u32,
    pub next_due_at: Option<Timestamp>,
    /// Whether the agent answers (`None`: not known yet).
    pub reachable: Option<bool>,
    /// The system group of the last successful poll.
    pub system: Option<SystemInfo>,
    /// When the device last started, from its uptime.
    pub booted_at: Option<Timestamp>,
    pub interfaces: u64,
    pub interfaces_up: u64,
    pub neighbours: u64,
    /// Disagreements with the inventory at the last successful poll.
    pub drift: Vec<Drift>,
}

/// Which statuses to list; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollFilter {
    pub result: Option<PollResult>,
    pub unreachable: bool,
    /// Only nodes whose last successful poll found drift.
    pub drift: bool,
}

/// The fleet's polling figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollSummary {
    /// Nodes the poller polls (active or staged, with a management address).
    pub managed: u64,
    pub due: u64,
    /// Managed nodes whose last poll failed.
    pub failing: u64,
    /// Managed nodes whose agent does not answer.
    pub unreachable: u64,
    /// Managed nodes whose last successful poll found drift.
    pub drifting: u64,
    pub never_polled: u64,
}

/// One polled interface's figures, for `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceSample {
    pub node: String,
    pub interface: String,
    pub up: bool,
    pub speed_bps: Option<u64>,
    pub in_bps: Option<u64>,
    pub out_bps: Option<u64>,
    pub in_errors: Option<u64>,
    pub out_errors: Option<u64>,
    pub in_discards: Option<u64>,
    pub out_discards: Option<u64>,
}

const TARGET_COLUMNS: &str = "SELECT n.id, n.name, n.fqdn, n.status, n.management_ip, \
     n.platform, n.custom_data, s.failures FROM nodes n \
     LEFT JOIN poll_status s ON s.node_id = n.id";

const STATUS_COLUMNS: &str = "SELECT n.id, n.name, s.last_poll_at, s.last_success_at, \
     s.duration_ms, s.result, s.message, s.failures, s.next_due_at, s.reachable, s.sys_name, \
     s.sys_descr, s.sys_object_id, s.sys_contact, s.sys_location, s.uptime_ticks, s.booted_at, \
     s.vendor, s.version, s.drift, \
     (SELECT COUNT(*) FROM polled_interfaces i WHERE i.node_id = n.id) AS interfaces, \
     (SELECT COUNT(*) FROM polled_interfaces i WHERE i.node_id = n.id \
        AND i.oper_status = 'up') AS interfaces_up, \
     (SELECT COUNT(*) FROM polled_neighbours p WHERE p.node_id = n.id) AS neighbours";

const INTERFACE_COLUMNS: &str = "if_index, name, description, alias, admin_status, \
     oper_status, speed_bps, last_change_ticks, in_octets, out_octets, in_errors, out_errors, \
     in_discards, out_discards, high_capacity, in_bps, out_bps";

const NEIGHBOUR_COLUMNS: &str = "local_port, chassis_id, port, system_name, port_description";

fn opt_u64(row: &AnyRow, column: &str) -> Result<Option<u64>> {
    let n: Option<i64> = row.try_get(column)?;
    Ok(n.and_then(|n| u64::try_from(n).ok()))
}

fn opt_i64(n: Option<u64>) -> Option<i64> {
    n.map(as_i64)
}

fn read_target(row: &AnyRow) -> Result<PollTarget> {
    Ok(PollTarget {
        node_id: get_uuid(row, "id")?,
        name: row.try_get("name")?,
        fqdn: row.try_get("fqdn")?,
        status: get_parsed(row, "status")?,
        management_ip: row.try_get("management_ip")?,
        platform: get_parsed(row, "platform")?,
        custom_data: get_json(row, "custom_data")?,
        failures: opt_u64(row, "failures")?.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
    })
}

fn read_interface(row: &AnyRow) -> Result<InterfaceState> {
    let index = opt_u64(row, "if_index")?.unwrap_or(0);
    Ok(InterfaceState {
        index: u32::try_from(index).unwrap_or(u32::MAX),
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        alias: row.try_get("alias")?,
        admin_status: get_parsed(row, "admin_status")?,
        oper_status: get_parsed(row, "oper_status")?,
        speed_bps: opt_u64(row, "speed_bps")?,
        last_change_ticks: opt_u64(row, "last_change_ticks")?,
        counters: Counters {
            in_octets: opt_u64(row, "in_octets")?,
            out_octets: opt_u64(row, "out_octets")?,
            in_errors: opt_u64(row, "in_errors")?,
            out_errors: opt_u64(row, "out_errors")?,
            in_discards: opt_u64(row, "in_discards")?,
            out_discards: opt_u64(row, "out_discards")?,
            high_capacity: opt_u64(row, "high_capacity")? == Some(1),
        },
        in_bps: opt_u64(row, "in_bps")?,
        out_bps: opt_u64(row, "out_bps")?,
    })
}

fn read_neighbour(row: &AnyRow) -> Result<Neighbour> {
    Ok(Neighbour {
        local_port: row.try_get("local_port")?,
        chassis_id: row.try_get("chassis_id")?,
        port: row.try_get("port")?,
        system_name: row.try_get("system_name")?,
        port_description: row.try_get("port_description")?,
    })
}

fn read_status(row: &AnyRow) -> Result<PollStatus> {
    let result: Option<String> = row.try_get("result")?;
    let reachable = opt_u64(row, "reachable")?.map(|r| r == 1);
    let uptime = opt_u64(row, "uptime_ticks")?;
    let drift: Option<String> = row.try_get("drift")?;
    let drift = match drift {
        Some(text) => serde_json::from_str(&text).map_err(|e| decode_error("drift", e))?,
        None => Vec::new(),
    };
    let system = uptime.map(|uptime_ticks| -> Result<SystemInfo> {
        Ok(SystemInfo {
            name: row.try_get("sys_name")?,
            description: row.try_get("sys_descr")?,
            object_id: row.try_get("sys_object_id")?,
            contact: row.try_get("sys_contact")?,
            location: row.try_get("sys_location")?,
            uptime_ticks,
            vendor: row.try_get("vendor")?,
            version: row.try_get("version")?,
        })
    });
    Ok(PollStatus {
        node_id: get_uuid(row, "id")?,
        node: row.try_get("name")?,
        last_poll_at: get_opt_timestamp(row, "last_poll_at")?,
        last_success_at: get_opt_timestamp(row, "last_success_at")?,
        duration_ms: opt_u64(row, "duration_ms")?,
        result: result
            .map(|r| r.parse().map_err(|e| decode_error("result", e)))
            .transpose()?,
        message: row.try_get("message")?,
        failures: opt_u64(row, "failures")?.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        next_due_at: get_opt_timestamp(row, "next_due_at")?,
        reachable,
        system: system.transpose()?,
        booted_at: get_opt_timestamp(row, "booted_at")?,
        interfaces: opt_u64(row, "interfaces")?.unwrap_or(0),
        interfaces_up: opt_u64(row, "interfaces_up")?.unwrap_or(0),
        neighbours: opt_u64(row, "neighbours")?.unwrap_or(0),
        drift,
    })
}

impl Store {
    /// Managed nodes due at `now` (never polled first, then the longest overdue), at most
    /// `limit`, leaving out `busy`. One statement.
    pub async fn poll_due(
        &self,
        now: Timestamp,
        limit: u32,
        busy: &[Uuid],
    ) -> Result<Vec<PollTarget>> {
        let mut conn = self.read_conn().await?;
        let sql = due_query(TARGET_COLUMNS, now, limit, busy);
        self.db
            .fetch_all(&mut conn, sql)
            .await?
            .iter()
            .map(read_target)
            .collect()
    }

    /// One node as the poller needs it, managed or not. One statement.
    pub async fn poll_target(&self, node_id: Uuid) -> Result<PollTarget> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!("{TARGET_COLUMNS} WHERE n.id = "));
        sql.bind(node_id);
        match self.db.fetch_optional(&mut conn, sql).await? {
            Some(row) => read_target(&row),
            None => Err(StoreError::not_found(EntityType::Node, node_id)),
        }
    }

    /// What the node's earlier polls left: reachability, the last success's time and uptime,
    /// interfaces and neighbours. Two statements.
    pub async fn last_poll(&self, node_id: Uuid) -> Result<LastPoll> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(
            "SELECT reachable, last_success_at, uptime_ticks FROM poll_status WHERE node_id = ",
        );
        sql.bind(node_id);
        let Some(row) = self.db.fetch_optional(&mut conn, sql).await? else {
            return Ok(LastPoll::default());
        };
        let mut last = LastPoll {
            reachable: opt_u64(&row, "reachable")?.map(|r| r == 1),
            success_at: get_opt_timestamp(&row, "last_success_at")?,
            uptime_ticks: opt_u64(&row, "uptime_ticks")?,
            ..LastPoll::default()
        };
        if last.success_at.is_some() {
            last.interfaces = self.read_interfaces(&mut conn, node_id).await?;
            last.neighbours = self.read_neighbours(&mut conn, node_id).await?;
        }
        Ok(last)
    }

    async fn read_interfaces(
        &self,
        conn: &mut sqlx::AnyConnection,
        node_id: Uuid,
    ) -> Result<Vec<InterfaceState>> {
        let mut sql = Sql::new(format!(
            "SELECT {INTERFACE_COLUMNS} FROM polled_interfaces WHERE node_id = "
        ));
        sql.bind(node_id).push(" ORDER BY if_index");
        self.db
            .fetch_all(conn, sql)
            .await?
            .iter()
            .map(read_interface)
            .collect()
    }

    async fn read_neighbours(
        &self,
        conn: &mut sqlx::AnyConnection,
        node_id: Uuid,
    ) -> Result<Vec<Neighbour>> {
        let mut sql = Sql::new(format!(
            "SELECT {NEIGHBOUR_COLUMNS} FROM polled_neighbours WHERE node_id = "
        ));
        sql.bind(node_id)
            .push(" ORDER BY local_port, chassis_id, port");
        self.db
            .fetch_all(conn, sql)
            .await?
            .iter()
            .map(read_neighbour)
            .collect()
    }

    /// The node's interfaces as last polled (ifIndex order). 404 for an unknown node. Two
    /// statements.
    pub async fn polled_interfaces(&self, node_id: Uuid) -> Result<Vec<InterfaceState>> {
        let mut conn = self.read_conn().await?;
        self.node_exists(&mut conn, node_id).await?;
        self.read_interfaces(&mut conn, node_id).await
    }

    /// The node's LLDP neighbours as last polled. 404 for an unknown node. Two statements.
    pub async fn polled_neighbours(&self, node_id: Uuid) -> Result<Vec<Neighbour>> {
        let mut conn = self.read_conn().await?;
        self.node_exists(&mut conn, node_id).await?;
        self.read_neighbours(&mut conn, node_id).await
    }

    async fn node_exists(&self, conn: &mut sqlx::AnyConnection, node_id: Uuid) -> Result<()> {
        let mut sql = Sql::new("SELECT id FROM nodes WHERE id = ");
        sql.bind(node_id);
        match self.db.fetch_optional(conn, sql).await? {
            Some(_) => Ok(()),
            None => Err(StoreError::not_found(EntityType::Node, node_id)),
        }
    }

    /// The node's inventory links with their other ends. One statement.
    pub async fn node_links(&self, node_id: Uuid) -> Result<Vec<NodeLink>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(
            "SELECT l.id, l.interface_a AS local, l.interface_z AS remote, p.name, p.platform \
             FROM links l LEFT JOIN nodes p ON p.id = l.node_z_id WHERE l.node_a_id = ",
        );
        sql.bind(node_id).push(
            " UNION ALL SELECT l.id, l.interface_z, l.interface_a, p.name, p.platform \
             FROM links l JOIN nodes p ON p.id = l.node_a_id WHERE l.node_z_id = ",
        );
        sql.bind(node_id).push(" ORDER BY 2");
        self.db
            .fetch_all(&mut conn, sql)
            .await?
            .iter()
            .map(|row| {
                let remote: Option<String> = row.try_get("remote")?;
                let name: Option<String> = row.try_get("name")?;
                let platform: Option<String> = row.try_get("platform")?;
                let peer = match (name, platform, remote) {
                    (Some(name), Some(platform), Some(remote)) => Some((
                        name,
                        platform.parse().map_err(|e| decode_error("platform", e))?,
                        remote,
                    )),
                    _ => None,
                };
                Ok(NodeLink {
                    id: get_uuid(row, "id")?,
                    interface: row.try_get("local")?,
                    peer,
                })
            })
            .collect()
    }

    /// Records a poll in one transaction: the status, the state and drift of a successful
    /// poll, and the events. `None` when the node was deleted meanwhile; else the failures in
    /// a row now.
    pub async fn record_poll(&self, node_id: Uuid, record: &PollRecord<'_>) -> Result<Option<u32>> {
        let mut tx = self.begin_write().await?;
        let started = record.started_at;
        let mut upsert = Sql::new(
            "INSERT INTO poll_status (node_id, last_poll_at, last_success_at, duration_ms, \
             result, message, failures, next_due_at, reachable, sys_name, sys_descr, \
             sys_object_id, sys_contact, sys_location, uptime_ticks, booted_at, vendor, version, \
             drift, drift_count) SELECT n.id, ",
        );
        let (result, message, reachable) = match &record.outcome {
            PollOutcome::Polled { .. } => (PollResult::Ok, None, Some(true)),
            PollOutcome::Failed {
                result,
                message,
                reachable,
            } => (*result, Some(message.clone()), *reachable),
        };
        let failed = result != PollResult::Ok;
        upsert
            .bind(started)
            .push(", ")
            .bind((!failed).then(|| started.to_string()))
            .push(", ")
            .bind(as_i64(record.duration_ms))
            .push(", ")
            .bind(result.as_str())
            .push(", ")
            .bind(message)
            .push(", ")
            .bind(i64::from(failed))
            .push(", ")
            .bind(record.next_due_at)
            .push(", ")
            .bind(reachable.map(i64::from))
            .push(", ");
        match &record.outcome {
            PollOutcome::Polled { state, drift, .. } => {
                let s = &state.system;
                let uptime_seconds = i64::try_from(s.uptime_ticks / 100).unwrap_or(i64::MAX);
                let booted = Timestamp::from_unix_seconds(started.unix_seconds() - uptime_seconds);
                let drift_text =
                    serde_json::to_string(drift).map_err(|e| decode_error("drift", e))?;
                let values = [
                    Arg::from(s.name.clone()),
                    Arg::from(s.description.clone()),
                    Arg::from(s.object_id.clone()),
                    Arg::from(s.contact.clone()),
                    Arg::from(s.location.clone()),
                    Arg::from(as_i64(s.uptime_ticks)),
                    Arg::from(booted.map(|b| b.to_string())),
                    Arg::from(s.vendor.clone()),
                    Arg::from(s.version.clone()),
                    Arg::from(drift_text),
                    Arg::from(as_i64(drift.len() as u64)),
                ];
                for (i, value) in values.into_iter().enumerate() {
                    if i > 0 {
                        upsert.push(", ");
                    }
                    upsert.bind(value);
                }
            }
            PollOutcome::Failed { .. } => {
                upsert.push("NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '[]', 0");
            }
        }
        upsert
            .push(" FROM nodes n WHERE n.id = ")
            .bind(node_id)
            .push(
                " ON CONFLICT (node_id) DO UPDATE SET last_poll_at = excluded.last_poll_at, \
             last_success_at = COALESCE(excluded.last_success_at, poll_status.last_success_at), \
             duration_ms = excluded.duration_ms, result = excluded.result, \
             message = excluded.message, next_due_at = excluded.next_due_at, \
             reachable = COALESCE(excluded.reachable, poll_status.reachable), \
             failures = CASE WHEN excluded.failures = 0 THEN 0 \
             ELSE poll_status.failures + 1 END",
            );
        if !failed {
            // A success replaces the last state; a failure keeps it for reading.
            upsert.push(
                ", sys_name = excluded.sys_name, sys_descr = excluded.sys_descr, \
                 sys_object_id = excluded.sys_object_id, sys_contact = excluded.sys_contact, \
                 sys_location = excluded.sys_location, uptime_ticks = excluded.uptime_ticks, \
                 booted_at = excluded.booted_at, vendor = excluded.vendor, \
                 version = excluded.version, drift = excluded.drift, \
                 drift_count = excluded.drift_count",
            );
        }
        upsert.push(" RETURNING failures");
        let Some(row) = self.db.fetch_optional(&mut tx, upsert).await? else {
            return Ok(None);
        };
        let failures =
            opt_u64(&row, "failures")?.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
        if let PollOutcome::Polled {
            state,
            neighbours_changed,
            ..
        } = &record.outcome
        {
            self.replace_interfaces(&mut tx, node_id, &state.interfaces)
                .await?;
            if *neighbours_changed {
                self.replace_neighbours(&mut tx, node_id, &state.neighbours)
                    .await?;
            }
        }
        let head =
            "INSERT INTO status_events (id, node_id, kind, interface, detail, occurred_at) VALUES ";
        let rows: Vec<_> = record
            .events
            .iter()
            .map(|e| {
                [
                    Arg::from(Uuid::now_v7()),
                    Arg::from(node_id),
                    Arg::from(e.kind.as_str()),
                    Arg::from(e.interface.clone()),
                    Arg::from(e.detail.to_string()),
                    Arg::from(started),
                ]
            })
            // Collected: a lazy iterator held across the writes would not be `Send`.
            .collect();
        for sql in multi_row(rows, head, "") {
            self.db.execute(&mut tx, sql).await?;
        }
        tx.commit().await?;
        Ok(Some(failures))
    }

    /// Upserts the polled interfaces and drops those the device no longer lists.
    async fn replace_interfaces(
        &self,
        conn: &mut sqlx::AnyConnection,
        node_id: Uuid,
        interfaces: &[InterfaceState],
    ) -> Result<()> {
        let mut delete = Sql::new("DELETE FROM polled_interfaces WHERE node_id = ");
        delete.bind(node_id);
        // Interfaces that stay are updated in place below, so only the gone ones go; past one
        // statement's worth of binds, all go and come back.
        if !interfaces.is_empty() && interfaces.len() <= crate::db::rows_per_statement(1) {
            delete.push(" AND if_index NOT IN ");
            delete.bind_tuple(interfaces.iter().map(|i| Arg::from(i64::from(i.index))));
        }
        self.db.execute(conn, delete).await?;
        let head = format!("INSERT INTO polled_interfaces (node_id, {INTERFACE_COLUMNS}) VALUES ");
        let tail = " ON CONFLICT (node_id, if_index) DO UPDATE SET name = excluded.name, \
             description = excluded.description, alias = excluded.alias, \
             admin_status = excluded.admin_status, oper_status = excluded.oper_status, \
             speed_bps = excluded.speed_bps, last_change_ticks = excluded.last_change_ticks, \
             in_octets = excluded.in_octets, out_octets = excluded.out_octets, \
             in_errors = excluded.in_errors, out_errors = excluded.out_errors, \
             in_discards = excluded.in_discards, out_discards = excluded.out_discards, \
             high_capacity = excluded.high_capacity, in_bps = excluded.in_bps, \
             out_bps = excluded.out_bps";
        let rows: Vec<_> = interfaces
            .iter()
            .map(|i| {
                let c = &i.counters;
                [
                    Arg::from(node_id),
                    Arg::from(i64::from(i.index)),
                    Arg::from(i.name.clone()),
                    Arg::from(i.description.clone()),
                    Arg::from(i.alias.clone()),
                    Arg::from(i.admin_status.as_str()),
                    Arg::from(i.oper_status.as_str()),
                    Arg::from(opt_i64(i.speed_bps)),
                    Arg::from(opt_i64(i.last_change_ticks)),
                    Arg::from(opt_i64(c.in_octets)),
                    Arg::from(opt_i64(c.out_octets)),
                    Arg::from(opt_i64(c.in_errors)),
                    Arg::from(opt_i64(c.out_errors)),
                    Arg::from(opt_i64(c.in_discards)),
                    Arg::from(opt_i64(c.out_discards)),
                    Arg::from(i64::from(c.high_capacity)),
                    Arg::from(opt_i64(i.in_bps)),
                    Arg::from(opt_i64(i.out_bps)),
                ]
            })
            .collect();
        for sql in multi_row(rows, &head, tail) {
            self.db.execute(conn, sql).await?;
        }
        Ok(())
    }

    async fn replace_neighbours(
        &self,
        conn: &mut sqlx::AnyConnection,
        node_id: Uuid,
        neighbours: &[Neighbour],
    ) -> Result<()> {
        let mut delete = Sql::new("DELETE FROM polled_neighbours WHERE node_id = ");
        delete.bind(node_id);
        self.db.execute(conn, delete).await?;
        let head = format!("INSERT INTO polled_neighbours (node_id, {NEIGHBOUR_COLUMNS}) VALUES ");
        let rows: Vec<_> = neighbours
            .iter()
            .map(|n| {
                [
                    Arg::from(node_id),
                    Arg::from(n.local_port.clone()),
                    Arg::from(n.chassis_id.clone()),
                    Arg::from(n.port.clone()),
                    Arg::from(n.system_name.clone()),
                    Arg::from(n.port_description.clone()),
                ]
            })
            .collect();
        for sql in multi_row(rows, &head, " ON CONFLICT DO NOTHING") {
            self.db.execute(conn, sql).await?;
        }
        Ok(())
    }

    /// Makes every managed node due at `now`; returns how many are managed.
    pub async fn poll_make_due(&self, now: Timestamp) -> Result<u64> {
        self.make_due("poll_status", now).await
    }

    /// One node's poll status; `None` when the node is not managed. One statement.
    pub async fn poll_status(&self, node_id: Uuid) -> Result<Option<PollStatus>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!(
            "{STATUS_COLUMNS}, CASE WHEN {MANAGED} THEN 1 ELSE 0 END AS managed \
             FROM nodes n LEFT JOIN poll_status s ON s.node_id = n.id WHERE n.id = "
        ));
        sql.bind(node_id);
        let Some(row) = self.db.fetch_optional(&mut conn, sql).await? else {
            return Err(StoreError::not_found(EntityType::Node, node_id));
        };
        if opt_u64(&row, "managed")? != Some(1) {
            return Ok(None);
        }
        read_status(&row).map(Some)
    }

    /// Managed nodes' poll statuses matching `filter`, by node name, at most `limit`. One
    /// statement.
    pub async fn poll_statuses(&self, filter: &PollFilter, limit: u32) -> Result<Vec<PollStatus>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!(
            "{STATUS_COLUMNS} FROM nodes n LEFT JOIN poll_status s ON s.node_id = n.id \
             WHERE {MANAGED}"
        ));
        if let Some(result) = filter.result {
            sql.push(" AND s.result = ").bind(result.as_str());
        }
        if filter.unreachable {
            sql.push(" AND s.reachable = 0");
        }
        if filter.drift {
            sql.push(" AND s.drift_count > 0");
        }
        sql.push(" ORDER BY n.name, n.fqdn LIMIT ")
            .bind(i64::from(limit));
        self.db
            .fetch_all(&mut conn, sql)
            .await?
            .iter()
            .map(read_status)
            .collect()
    }

    /// The fleet's figures at `now`. One statement.
    pub async fn poll_summary(&self, now: Timestamp) -> Result<PollSummary> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(
            "SELECT COUNT(*) AS managed, \
             COALESCE(SUM(CASE WHEN s.next_due_at IS NULL OR s.next_due_at <= ",
        );
        sql.bind(now).push(
            format!(
                " THEN 1 ELSE 0 END), 0) AS due, \
             COALESCE(SUM(CASE WHEN s.failures > 0 THEN 1 ELSE 0 END), 0) AS failing, \
             COALESCE(SUM(CASE WHEN s.reachable = 0 THEN 1 ELSE 0 END), 0) AS unreachable, \
             COALESCE(SUM(CASE WHEN s.drift_count > 0 THEN 1 ELSE 0 END), 0) AS drifting, \
             COALESCE(SUM(CASE WHEN s.last_success_at IS NULL THEN 1 ELSE 0 END), 0) AS never \
             FROM nodes n LEFT JOIN poll_status s ON s.node_id = n.id WHERE {MANAGED}"
            )
            .as_str(),
        );
        let Some(row) = self.db.fetch_optional(&mut conn, sql).await? else {
            return Ok(PollSummary::default());
        };
        let get = |column: &str| -> Result<u64> { Ok(opt_u64(&row, column)?.unwrap_or(0)) };
        Ok(PollSummary {
            managed: get("managed")?,
            due: get("due")?,
            failing: get("failing")?,
            unreachable: get("unreachable")?,
            drifting: get("drifting")?,
            never_polled: get("never")?,
        })
    }

    /// Every polled interface's figures, by node and ifIndex. One statement.
    pub async fn interface_samples(&self) -> Result<Vec<InterfaceSample>> {
        let mut conn = self.read_conn().await?;
        let sql = Sql::new(
            "SELECT n.name AS node, i.name, i.oper_status, i.speed_bps, i.in_bps, i.out_bps, \
             i.in_errors, i.out_errors, i.in_discards, i.out_discards \
             FROM polled_interfaces i JOIN nodes n ON n.id = i.node_id \
             ORDER BY n.name, n.id, i.if_index",
        );
        self.db
            .fetch_all(&mut conn, sql)
            .await?
            .iter()
            .map(|row| {
                let oper: String = row.try_get("oper_status")?;
                Ok(InterfaceSample {
                    node: row.try_get("node")?,
                    interface: row.try_get("name")?,
                    up: oper == "up",
                    speed_bps: opt_u64(row, "speed_bps")?,
                    in_bps: opt_u64(row, "in_bps")?,
                    out_bps: opt_u64(row, "out_bps")?,
                    in_errors: opt_u64(row, "in_errors")?,
                    out_errors: opt_u64(row, "out_errors")?,
                    in_discards: opt_u64(row, "in_discards")?,
                    out_discards: opt_u64(row, "out_discards")?,
                })
            })
            .collect()
    }

    /// The polled state of `ids` as rules read it (`status.*`): reachability, the system group,
    /// version, uptime, interfaces, neighbours and drift. Three statements per chunk of ids.
    pub async fn polled_facts(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Value>> {
        let mut out: HashMap<Uuid, Value> = HashMap::new();
        let mut conn = self.read_conn().await?;
        for chunk in chunks(ids, 1) {
            let mut sql = Sql::new(
                "SELECT node_id, result, reachable, last_success_at, sys_name, sys_descr, \
                 sys_object_id, sys_contact, sys_location, uptime_ticks, booted_at, vendor, \
                 version, drift FROM poll_status WHERE node_id",
            );
            push_in(&mut sql, chunk);
            for row in self.db.fetch_all(&mut conn, sql).await? {
                let id = get_uuid(&row, "node_id")?;
                let drift: String = row.try_get("drift")?;
                let drift: Value =
                    serde_json::from_str(&drift).map_err(|e| decode_error("drift", e))?;
                let uptime = opt_u64(&row, "uptime_ticks")?;
                let text = |c: &str| -> Result<Option<String>> { Ok(row.try_get(c)?) };
                out.insert(
                    id,
                    json!({
                        "result": text("result")?,
                        "reachable": opt_u64(&row, "reachable")?.map(|r| r == 1),
                        "polled_at": text("last_success_at")?,
                        "system": {
                            "name": text("sys_name")?,
                            "description": text("sys_descr")?,
                            "object_id": text("sys_object_id")?,
                            "contact": text("sys_contact")?,
                            "location": text("sys_location")?,
                        },
                        "vendor": text("vendor")?,
                        "version": text("version")?,
                        "uptime_seconds": uptime.map(|t| t / 100),
                        "booted_at": text("booted_at")?,
                        "drift": drift,
                        "interfaces": [],
                        "neighbours": [],
                    }),
                );
            }
            let mut sql = Sql::new(format!(
                "SELECT node_id, {INTERFACE_COLUMNS} FROM polled_interfaces WHERE node_id"
            ));
            push_in(&mut sql, chunk);
            sql.push(" ORDER BY node_id, if_index");
            for row in self.db.fetch_all(&mut conn, sql).await? {
                let id = get_uuid(&row, "node_id")?;
                let interface = serde_json::to_value(read_interface(&row)?)
                    .map_err(|e| decode_error("interface", e))?;
                if let Some(Value::Array(list)) =
                    out.get_mut(&id).and_then(|v| v.get_mut("interfaces"))
                {
                    list.push(interface);
                }
            }
            let mut sql = Sql::new(format!(
                "SELECT node_id, {NEIGHBOUR_COLUMNS} FROM polled_neighbours WHERE node_id"
            ));
            push_in(&mut sql, chunk);
            sql.push(" ORDER BY node_id, local_port, chassis_id, port");
            for row in self.db.fetch_all(&mut conn, sql).await? {
                let id = get_uuid(&row, "node_id")?;
                let neighbour = serde_json::to_value(read_neighbour(&row)?)
                    .map_err(|e| decode_error("neighbour", e))?;
                if let Some(Value::Array(list)) =
                    out.get_mut(&id).and_then(|v| v.get_mut("neighbours"))
                {
                    list.push(neighbour);
                }
            }
        }
        Ok(out)
    }
}
