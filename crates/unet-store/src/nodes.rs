//! Nodes: the managed devices, listed by (name, domain, id) with keyset pagination and an
//! index behind every filter. The rules of their own: the location they stand at exists, the
//! fqdn is unique, and a node's links go with it.

use unet_core::{
    ChangeContext, EntityType, Link, NewNode, Node, NodeFilter, Page, PageRequest, Uuid, Validate,
};

use crate::changes::Change;
use crate::db::{Db, Sql, get_uuid};
use crate::locations::descendants_sql;
use crate::records::{Entity, fetch, fetch_in};
use crate::rules::delete_rows;
use crate::{Conn, Result, Store, StoreError, cursor};

impl Entity for Node {
    type Filter = NodeFilter;
    // fqdn is unique, so (name, fqdn) is a total order.
    const ORDER: &'static [&'static str] = &["name", "fqdn"];
    const DUPLICATE: &'static str = "a node with the same name and domain already exists";

    async fn check(
        db: &Db,
        conn: &mut Conn,
        id: Uuid,
        new: &NewNode,
        _current: Option<&Node>,
    ) -> Result<()> {
        let node = new.record();
        if let Some(lid) = node.location_id
            && fetch::<unet_core::Location>(db, conn, lid).await?.is_none()
        {
            return Err(StoreError::Dangling {
                field: "location_id",
                id: lid,
                record: format!("node {:?}", node.fqdn),
            });
        }
        if let Some(other) = named(db, conn, &node.fqdn).await?
            && other != id
        {
            return Err(StoreError::conflict(node.duplicate()));
        }
        Ok(())
    }

    /// Refused while links use the node unless `cascade`, which deletes those links too.
    async fn remove(db: &Db, conn: &mut Conn, node: Node, cascade: bool) -> Result<Vec<Change>> {
        if !cascade {
            let links = crate::links::touching(db, conn, &[node.id]).await?;
            if !links.is_empty() {
                return Err(StoreError::Referenced {
                    entity: EntityType::Node,
                    id: node.id,
                    by: format!("{} link(s)", links.len()),
                });
            }
        }
        delete_with_links(db, conn, std::slice::from_ref(&node)).await
    }

    fn duplicate(&self) -> String {
        format!(
            "a node named {:?} already exists (name and domain must be unique)",
            self.fqdn
        )
    }

    fn filter_sql(sql: &mut Sql, f: &NodeFilter) {
        if let Some(status) = f.status {
            sql.push(" AND status = ").bind(status.as_str());
        }
        if let Some(role) = &f.role {
            sql.push(" AND role = ").bind(role);
        }
        if let Some(vendor) = &f.vendor {
            sql.push(" AND vendor = ").bind(vendor);
        }
        if let Some(platform) = f.platform {
            sql.push(" AND platform = ").bind(platform.as_str());
        }
        if let Some(location) = f.location_id {
            sql.push(" AND location_id IN (");
            descendants_sql(sql, location, true);
            sql.push(")");
        }
        if let Some(q) = &f.q {
            cursor::search_sql(sql, q, &["name", "fqdn", "serial_number", "management_ip"]);
        }
    }

    /// By name (ambiguous when several domains use it), else by fqdn. Host names are stored
    /// in lower case, so any spelling finds them; a name stored in another case (kept by the
    /// migration that lower-cased names, because its lower-case form was taken) is found by
    /// its exact spelling, and both together are ambiguous.
    fn lookups(ident: &str) -> Vec<(&'static str, Vec<String>)> {
        let spellings = vec![ident.to_string(), ident.to_ascii_lowercase()];
        vec![("name", spellings.clone()), ("fqdn", spellings)]
    }

    fn candidate(self) -> String {
        self.fqdn
    }
}

/// Nodes placed at any of the locations.
pub(crate) async fn at_locations(db: &Db, conn: &mut Conn, ids: &[Uuid]) -> Result<Vec<Node>> {
    fetch_in(db, conn, "location_id", ids, " ORDER BY name, fqdn").await
}

/// Deletes the nodes and every link touching them; returns the change rows to record.
pub(crate) async fn delete_with_links(
    db: &Db,
    conn: &mut Conn,
    nodes: &[Node],
) -> Result<Vec<Change>> {
    let ids: Vec<Uuid> = nodes.iter().map(|n| n.id).collect();
    let links = crate::links::touching(db, conn, &ids).await?;
    let link_ids: Vec<Uuid> = links.iter().map(|l| l.id).collect();
    delete_rows(db, conn, "links", &link_ids).await?;
    delete_rows(db, conn, "nodes", &ids).await?;
    let mut log: Vec<Change> = links
        .iter()
        .map(|l| Change::new(EntityType::Link, l.id, Some(l), None::<&Link>))
        .collect();
    log.extend(
        nodes
            .iter()
            .map(|n| Change::new(EntityType::Node, n.id, Some(n), None::<&Node>)),
    );
    Ok(log)
}

/// The node with this fqdn (indexed unique), if any.
async fn named(db: &Db, conn: &mut Conn, fqdn: &str) -> Result<Option<Uuid>> {
    let mut sql = Sql::new("SELECT id FROM nodes WHERE fqdn = ");
    sql.bind(fqdn);
    db.fetch_optional(conn, sql)
        .await?
        .map(|r| get_uuid(&r, "id"))
        .transpose()
}

impl Store {
    pub async fn create_node(&self, ctx: &ChangeContext, d: impl Validate<Node>) -> Result<Node> {
        self.create(ctx, d).await
    }

    pub async fn get_node(&self, id: Uuid) -> Result<Node> {
        self.get(id).await
    }

    /// A node by UUID, else by name (ambiguous when several domains use it), else by fqdn.
    pub async fn resolve_node(&self, ident: &str) -> Result<Node> {
        self.resolve(ident).await
    }

    pub async fn update_node(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        d: impl Validate<Node>,
        if_revision: Option<i64>,
    ) -> Result<Node> {
        self.update(ctx, id, d, if_revision).await
    }

    /// Deletes a node; refused while links use it unless `cascade`, which deletes those links
    /// too, each with a change row.
    pub async fn delete_node(&self, ctx: &ChangeContext, id: Uuid, cascade: bool) -> Result<()> {
        self.delete::<Node>(ctx, id, cascade).await
    }

    /// Nodes matching every given filter, ordered by name, then domain.
    /// The nodes with these ids that exist, by name; in statements of a few hundred ids.
    pub async fn nodes_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Node>> {
        let mut conn = self.read_conn().await?;
        fetch_in(&self.db, &mut conn, "id", ids, " ORDER BY name, fqdn").await
    }

    pub async fn list_nodes(&self, f: &NodeFilter, p: &PageRequest) -> Result<Page<Node>> {
        self.list(f, p).await
    }
}
