//! Links between node interfaces. `link_endpoints` holds one row per (node, interface) a link
//! occupies, so the database refuses a second link on the same interface. The rules of their
//! own: both nodes exist and neither interface is held by another link.

use sqlx::Row;
use unet_core::{
    ChangeContext, EntityType, Link, LinkFilter, NewLink, Page, PageRequest, Uuid, Validate,
};

use crate::changes::Change;
use crate::db::{Arg, Db, Sql, chunks, get_uuid, push_in};
use crate::records::{Entity, fetch, fetch_in};
use crate::rules::delete_rows;
use crate::{Conn, Result, Store, StoreError, cursor};

impl Entity for Link {
    type Filter = LinkFilter;
    const ORDER: &'static [&'static str] = &["id"];
    const DUPLICATE: &'static str = "an interface is already used by another link";

    async fn check(
        db: &Db,
        conn: &mut Conn,
        id: Uuid,
        new: &NewLink,
        _current: Option<&Link>,
    ) -> Result<()> {
        check_link(db, conn, id, new.record()).await
    }

    /// Nothing references links, so there is nothing to cascade.
    async fn remove(db: &Db, conn: &mut Conn, link: Link, _cascade: bool) -> Result<Vec<Change>> {
        delete_rows(db, conn, "links", &[link.id]).await?;
        Ok(vec![Change::new(
            EntityType::Link,
            link.id,
            Some(&link),
            None::<&Link>,
        )])
    }

    /// The interfaces the links occupy.
    fn insert_more(rows: &[Link]) -> impl Iterator<Item = Sql> + '_ {
        chunks(rows, 1).map(|chunk| {
            let ids: Vec<Uuid> = chunk.iter().map(|l| l.id).collect();
            endpoints_sql(&ids)
        })
    }

    /// The row's update and its endpoints replaced.
    fn rewrite_sql(_old: &Link, new: &Link) -> impl Iterator<Item = Sql> {
        let mut clear = Sql::new("DELETE FROM link_endpoints WHERE link_id = ");
        clear.bind(new.id);
        [
            crate::records::update_statement(new),
            clear,
            endpoints_sql(&[new.id]),
        ]
        .into_iter()
    }

    fn filter_sql(sql: &mut Sql, f: &LinkFilter) {
        if let Some(node) = f.node_id {
            sql.push(" AND (node_a_id = ")
                .bind(node)
                .push(" OR node_z_id = ")
                .bind(node)
                .push(")");
        }
        if let Some(circuit) = &f.circuit_id {
            sql.push(" AND circuit_id = ").bind(circuit);
        }
        if let Some(provider) = &f.provider {
            sql.push(" AND provider = ").bind(provider);
        }
        if let Some(q) = &f.q {
            cursor::search_sql(
                sql,
                q,
                &["name", "interface_a", "interface_z", "circuit_id"],
            );
        }
    }

    /// By name (ambiguous when several links share it).
    fn lookups(ident: &str) -> Vec<(&'static str, Vec<String>)> {
        vec![("name", vec![ident.to_string()])]
    }

    fn candidate(self) -> String {
        self.id.to_string()
    }
}

/// The (node, interface) pairs a link occupies.
pub(crate) fn endpoints(l: &Link) -> impl Iterator<Item = (Uuid, &str)> {
    std::iter::once((l.node_a_id, l.interface_a.as_str()))
        .chain(l.node_z_id.zip(l.interface_z.as_deref()))
}

/// The `link_endpoints` rows of stored links, read from the links themselves so that only
/// their ids travel with the statement.
fn endpoints_sql(ids: &[Uuid]) -> Sql {
    let mut sql = Sql::new("WITH batch (id) AS (VALUES ");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind_tuple([Arg::from(*id)]);
    }
    sql.push(
        ") INSERT INTO link_endpoints (node_id, interface, link_id) \
         SELECT node_a_id, interface_a, id FROM links WHERE id IN (SELECT id FROM batch) \
         UNION ALL SELECT node_z_id, interface_z, id FROM links \
         WHERE id IN (SELECT id FROM batch) AND node_z_id IS NOT NULL AND interface_z IS NOT NULL",
    );
    sql
}

/// Links with any of the nodes on either side, by id: every side a link occupies has its row
/// in `link_endpoints`.
pub(crate) async fn touching(db: &Db, conn: &mut Conn, node_ids: &[Uuid]) -> Result<Vec<Link>> {
    let column = "id IN (SELECT link_id FROM link_endpoints WHERE node_id";
    let mut out: Vec<Link> = fetch_in(db, conn, column, node_ids, ")").await?;
    out.sort_by_key(|l| l.id);
    out.dedup_by_key(|l| l.id);
    Ok(out)
}

/// Every (node, interface, link id) occupied on these nodes.
pub(crate) async fn endpoints_of_nodes(
    db: &Db,
    conn: &mut Conn,
    node_ids: &[Uuid],
) -> Result<Vec<(Uuid, String, Uuid)>> {
    let head = "SELECT node_id, interface, link_id FROM link_endpoints WHERE node_id";
    db.fetch_in(conn, head, node_ids, "", |row| {
        Ok((
            get_uuid(row, "node_id")?,
            row.try_get("interface")?,
            get_uuid(row, "link_id")?,
        ))
    })
    .await
}

/// How a link is named in messages: its name, else its A side.
pub(crate) fn label(name: Option<&str>, node_a: Uuid, interface_a: &str) -> String {
    match name {
        Some(n) => format!("link {n:?}"),
        None => format!("link from {node_a} {interface_a}"),
    }
}

/// Both nodes exist and neither interface is held by another link than `id`.
async fn check_link(db: &Db, conn: &mut Conn, id: Uuid, link: &Link) -> Result<()> {
    let record = label(link.name.as_deref(), link.node_a_id, &link.interface_a);
    for (field, node) in [
        ("node_a_id", Some(link.node_a_id)),
        ("node_z_id", link.node_z_id),
    ] {
        if let Some(node) = node
            && fetch::<unet_core::Node>(db, conn, node).await?.is_none()
        {
            return Err(StoreError::Dangling {
                field,
                id: node,
                record,
            });
        }
    }
    let nodes: Vec<Uuid> = endpoints(link).map(|(n, _)| n).collect();
    for (node, iface, holder) in endpoints_of_nodes(db, conn, &nodes).await? {
        if holder != id && endpoints(link).any(|(n, i)| n == node && i == iface) {
            return Err(StoreError::conflict(format!(
                "{record}: interface {iface:?} of node {node} is already used by link {holder}"
            )));
        }
    }
    Ok(())
}

impl Store {
    pub async fn create_link(&self, ctx: &ChangeContext, d: impl Validate<Link>) -> Result<Link> {
        self.create(ctx, d).await
    }

    pub async fn get_link(&self, id: Uuid) -> Result<Link> {
        self.get(id).await
    }

    /// A link by UUID, else by name (ambiguous when several links share it).
    pub async fn resolve_link(&self, ident: &str) -> Result<Link> {
        self.resolve(ident).await
    }

    pub async fn update_link(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        d: impl Validate<Link>,
        if_revision: Option<i64>,
    ) -> Result<Link> {
        self.update(ctx, id, d, if_revision).await
    }

    /// Deletes a link (nothing references links, so there is nothing to cascade).
    pub async fn delete_link(&self, ctx: &ChangeContext, id: Uuid) -> Result<()> {
        self.delete::<Link>(ctx, id, false).await
    }

    pub async fn list_links(&self, f: &LinkFilter, p: &PageRequest) -> Result<Page<Link>> {
        self.list(f, p).await
    }

    /// Every link with one of `nodes` on either side, with the names of both nodes: what a
    /// page of template contexts needs, in one statement per chunk of nodes.
    pub async fn links_of_nodes(&self, nodes: &[Uuid]) -> Result<Vec<NamedLink>> {
        let mut conn = self.read_conn().await?;
        let columns: Vec<String> = <Link as unet_core::Record>::COLUMNS
            .split(", ")
            .map(|c| format!("l.{c}"))
            .collect();
        let mut out = Vec::new();
        for chunk in chunks(nodes, 2) {
            let mut sql = Sql::new(format!(
                "SELECT {}, a.name AS node_a_name, z.name AS node_z_name FROM links l \
                 JOIN nodes a ON a.id = l.node_a_id LEFT JOIN nodes z ON z.id = l.node_z_id \
                 WHERE l.node_a_id",
                columns.join(", ")
            ));
            push_in(&mut sql, chunk);
            sql.push(" OR l.node_z_id");
            push_in(&mut sql, chunk);
            sql.push(" ORDER BY l.id");
            for row in self.db.fetch_all(&mut conn, sql).await? {
                out.push(NamedLink {
                    link: crate::records::from_row(&row)?,
                    node_a: row.try_get("node_a_name")?,
                    node_z: row.try_get("node_z_name")?,
                });
            }
        }
        Ok(out)
    }
}

/// A link with the names of the nodes on its sides.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedLink {
    pub link: Link,
    pub node_a: String,
    pub node_z: Option<String>,
}
