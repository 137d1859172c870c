//! Config compliance as recorded: per node the outcome of comparing its intended configuration
//! with its latest running configuration, and per template slice the counts. A recording
//! replaces the rows of the nodes it covers; nodes deleted meanwhile are skipped.

use std::collections::HashMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use unet_core::{Timestamp, Uuid};

use crate::compliance::count;
use crate::db::{
    Arg, Sql, as_i64, chunks, decode_error, get_timestamp, get_uuid, multi_row, push_in,
};
use crate::{Backend, Result, Store};

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant,)* }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)*
                    other => Err(format!(
                        "expected one of {}, got {other:?}",
                        [$($text),*].join(", ")
                    )),
                }
            }
        }
    };
}

text_enum! {
    /// How a node's configuration compares with its intended one.
    ConfigState {
        Compliant => "compliant",
        NonCompliant => "non_compliant",
        /// Nothing to compare with: no running configuration is stored.
        NoRunningConfig => "no_running_config",
        /// The templates did not render or a configuration did not parse (`message` says).
        Error => "error",
    }
}

text_enum! {
    /// How one template's slice compares.
    SliceVerdict {
        Compliant => "compliant",
        Missing => "missing",
        Extra => "extra",
        Different => "different",
    }
}

/// One template's slice of a node's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SliceRecord {
    pub template: String,
    pub owns: Option<String>,
    pub verdict: SliceVerdict,
    pub missing: u64,
    pub extra: u64,
}

/// One node's config check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigCheckRecord {
    pub node_id: Uuid,
    pub checked_at: Timestamp,
    pub running_version: Option<u64>,
    pub state: ConfigState,
    pub missing: u64,
    pub extra: u64,
    pub message: Option<String>,
    pub slices: Vec<SliceRecord>,
}

/// The fleet's config compliance as recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigComplianceSummary {
    /// Nodes with a recorded check, by state.
    pub nodes_checked: u64,
    pub compliant: u64,
    pub non_compliant: u64,
    pub no_running_config: u64,
    pub error: u64,
    /// The latest check time.
    pub checked_at: Option<Timestamp>,
    /// Non-compliant nodes with the most differing lines, worst first.
    pub worst_nodes: Vec<NodeConfigDrift>,
}

/// Which recorded config checks to list; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigCheckFilter {
    pub state: Option<ConfigState>,
    /// Nodes that have this template assigned…
    pub template: Option<String>,
    /// …(or any template) with a slice of this verdict.
    pub verdict: Option<SliceVerdict>,
}

/// A recorded check with its node's name, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedConfigCheck {
    pub node: String,
    #[serde(flatten)]
    pub check: ConfigCheckRecord,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeConfigDrift {
    pub node_id: Uuid,
    pub node: String,
    pub missing: u64,
    pub extra: u64,
}

fn parsed<T: FromStr<Err = String>>(row: &sqlx::any::AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|e: String| decode_error(column, std::io::Error::other(e)))
}

fn arg(n: u64) -> Arg {
    as_i64(n).into()
}

impl Store {
    /// Replaces the recorded checks of the given nodes (each with its slices) and removes the
    /// checks of `cleared` (nodes that no longer have templates). One transaction; a constant
    /// number of statements per thousand nodes. Returns how many nodes were recorded (a node
    /// deleted meanwhile is skipped).
    pub async fn record_config_checks(
        &self,
        checks: &[ConfigCheckRecord],
        cleared: &[Uuid],
    ) -> Result<u64> {
        let ids: Vec<Uuid> = checks
            .iter()
            .map(|c| c.node_id)
            .chain(cleared.iter().copied())
            .collect();
        let mut tx = self.begin_write().await?;
        // No foreign keys (see the migration): lock the nodes against deletion on PostgreSQL
        // and write only those that still exist; SQLite has one writer at a time.
        let checked: Vec<Uuid> = checks.iter().map(|c| c.node_id).collect();
        let mut live = std::collections::HashSet::new();
        for chunk in chunks(&checked, 1) {
            let mut sql = Sql::new("SELECT id FROM nodes WHERE id");
            push_in(&mut sql, chunk);
            if self.db.backend == Backend::Postgres {
                sql.push(" FOR KEY SHARE");
            }
            for row in self.db.fetch_all(&mut tx, sql).await? {
                live.insert(get_uuid(&row, "id")?);
            }
        }
        for chunk in chunks(&ids, 1) {
            for table in ["config_checks", "config_slices"] {
                let mut sql = Sql::new(format!("DELETE FROM {table} WHERE node_id"));
                push_in(&mut sql, chunk);
                self.db.execute(&mut tx, sql).await?;
            }
        }
        let kept: Vec<&ConfigCheckRecord> = checks
            .iter()
            .filter(|c| live.contains(&c.node_id))
            .collect();
        // Collected before the first await: an iterator of closures held across it would make
        // the future's Send bound higher-ranked.
        let rows: Vec<[Arg; 7]> = kept
            .iter()
            .map(|c| -> [Arg; 7] {
                [
                    c.node_id.into(),
                    c.checked_at.into(),
                    c.running_version.map(as_i64).into(),
                    c.state.as_str().into(),
                    arg(c.missing),
                    arg(c.extra),
                    c.message.clone().into(),
                ]
            })
            .collect();
        let head = "INSERT INTO config_checks (node_id, checked_at, running_version, state, \
                    missing, extra, message) VALUES ";
        for sql in multi_row(rows, head, "") {
            self.db.execute(&mut tx, sql).await?;
        }
        let slices: Vec<[Arg; 7]> = kept
            .iter()
            .flat_map(|c| {
                c.slices
                    .iter()
                    .enumerate()
                    .map(move |(position, s)| -> [Arg; 7] {
                        [
                            c.node_id.into(),
                            arg(position as u64),
                            s.template.as_str().into(),
                            s.owns.clone().into(),
                            s.verdict.as_str().into(),
                            arg(s.missing),
                            arg(s.extra),
                        ]
                    })
            })
            .collect();
        let head = "INSERT INTO config_slices (node_id, position, template, owns, verdict, \
                    missing, extra) VALUES ";
        for sql in multi_row(slices, head, "") {
            self.db.execute(&mut tx, sql).await?;
        }
        tx.commit().await?;
        Ok(kept.len() as u64)
    }

    /// The recorded check of one node, if it has one.
    pub async fn config_check(&self, node_id: Uuid) -> Result<Option<ConfigCheckRecord>> {
        Ok(self.config_checks(&[node_id]).await?.remove(&node_id))
    }

    /// The recorded checks of these nodes (those that have one), with their slices: two
    /// statements per chunk of nodes.
    pub async fn config_checks(
        &self,
        node_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, ConfigCheckRecord>> {
        let mut conn = self.read_conn().await?;
        let mut out = HashMap::new();
        for chunk in chunks(node_ids, 1) {
            let mut sql = Sql::new(
                "SELECT node_id, checked_at, running_version, state, missing, extra, message \
                 FROM config_checks WHERE node_id",
            );
            push_in(&mut sql, chunk);
            for row in self.db.fetch_all(&mut conn, sql).await? {
                let version: Option<i64> = row.try_get("running_version")?;
                let check = ConfigCheckRecord {
                    node_id: get_uuid(&row, "node_id")?,
                    checked_at: get_timestamp(&row, "checked_at")?,
                    running_version: version.and_then(|v| u64::try_from(v).ok()),
                    state: parsed(&row, "state")?,
                    missing: count(&row, "missing")?,
                    extra: count(&row, "extra")?,
                    message: row.try_get("message")?,
                    slices: Vec::new(),
                };
                out.insert(check.node_id, check);
            }
            let mut sql = Sql::new(
                "SELECT node_id, template, owns, verdict, missing, extra FROM config_slices \
                 WHERE node_id",
            );
            push_in(&mut sql, chunk);
            sql.push(" ORDER BY node_id, position");
            for row in self.db.fetch_all(&mut conn, sql).await? {
                let slice = SliceRecord {
                    template: row.try_get("template")?,
                    owns: row.try_get("owns")?,
                    verdict: parsed(&row, "verdict")?,
                    missing: count(&row, "missing")?,
                    extra: count(&row, "extra")?,
                };
                if let Some(check) = out.get_mut(&get_uuid(&row, "node_id")?) {
                    check.slices.push(slice);
                }
            }
        }
        Ok(out)
    }

    /// The recorded checks matching `filter`, by node name, at most `limit`, each with all its
    /// slices: a constant number of statements (three per chunk of nodes).
    pub async fn list_config_checks(
        &self,
        filter: &ConfigCheckFilter,
        limit: u32,
    ) -> Result<Vec<NamedConfigCheck>> {
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(
            "SELECT c.node_id, n.name FROM config_checks c JOIN nodes n ON n.id = c.node_id \
             WHERE 1 = 1",
        );
        if let Some(state) = filter.state {
            sql.push(" AND c.state = ").bind(state.as_str());
        }
        if filter.template.is_some() || filter.verdict.is_some() {
            sql.push(" AND c.node_id IN (SELECT s.node_id FROM config_slices s WHERE 1 = 1");
            if let Some(template) = &filter.template {
                sql.push(" AND s.template = ").bind(template.as_str());
            }
            if let Some(verdict) = filter.verdict {
                sql.push(" AND s.verdict = ").bind(verdict.as_str());
            }
            sql.push(")");
        }
        sql.push(" ORDER BY n.name, n.fqdn LIMIT ")
            .bind(i64::from(limit));
        let mut named = Vec::new();
        for row in self.db.fetch_all(&mut conn, sql).await? {
            named.push((
                get_uuid(&row, "node_id")?,
                row.try_get::<String, _>("name")?,
            ));
        }
        drop(conn);
        let ids: Vec<Uuid> = named.iter().map(|(id, _)| *id).collect();
        let mut checks = self.config_checks(&ids).await?;
        // A node deleted between the two reads is left out.
        Ok(named
            .into_iter()
            .filter_map(|(id, node)| {
                checks
                    .remove(&id)
                    .map(|check| NamedConfigCheck { node, check })
            })
            .collect())
    }

    /// The fleet's recorded config compliance: counts by state and the `worst` non-compliant
    /// nodes. Two statements.
    pub async fn config_compliance_summary(&self, worst: u32) -> Result<ConfigComplianceSummary> {
        let mut conn = self.read_conn().await?;
        let sql = Sql::new(
            "SELECT state, COUNT(*) AS nodes, MAX(checked_at) AS checked_at \
             FROM config_checks GROUP BY state",
        );
        let mut summary = ConfigComplianceSummary::default();
        let mut by_state: HashMap<ConfigState, u64> = HashMap::new();
        for row in self.db.fetch_all(&mut conn, sql).await? {
            let state: ConfigState = parsed(&row, "state")?;
            by_state.insert(state, count(&row, "nodes")?);
            let at = get_timestamp(&row, "checked_at")?;
            summary.checked_at = Some(summary.checked_at.map_or(at, |s| s.max(at)));
        }
        let n = |s| by_state.get(&s).copied().unwrap_or(0);
        summary.compliant = n(ConfigState::Compliant);
        summary.non_compliant = n(ConfigState::NonCompliant);
        summary.no_running_config = n(ConfigState::NoRunningConfig);
        summary.error = n(ConfigState::Error);
        summary.nodes_checked = by_state.values().sum();
        let mut sql = Sql::new(
            "SELECT c.node_id, n.name, c.missing, c.extra FROM config_checks c \
             JOIN nodes n ON n.id = c.node_id WHERE c.state = 'non_compliant' \
             ORDER BY c.missing + c.extra DESC, n.name LIMIT ",
        );
        sql.bind(i64::from(worst));
        for row in self.db.fetch_all(&mut conn, sql).await? {
            summary.worst_nodes.push(NodeConfigDrift {
                node_id: get_uuid(&row, "node_id")?,
                node: row.try_get("name")?,
                missing: count(&row, "missing")?,
                extra: count(&row, "extra")?,
            });
        }
        Ok(summary)
    }
}
