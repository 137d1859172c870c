//! Nodes: the managed devices, listed by (name, domain, id) with keyset pagination and an
//! index behind every filter.

use sqlx::Row;
use sqlx::any::AnyRow;
use unet_core::{
    ChangeContext, EntityType, Link, Node, NodeDraft, NodeFilter, Page, PageRequest, Timestamp,
    Uuid,
};

use crate::changes::{self, Change};
use crate::db::{
    Arg, Db, Sql, get_json, get_opt_uuid, get_parsed, get_timestamp, get_uuid, multi_row,
    on_unique_violation,
};
use crate::locations::descendants_sql;
use crate::rules::{
    check_revision, check_same_id, delete_rows, expected_revision, fetch_for_update, row_lock,
};
use crate::{Conn, Result, Store, StoreError, cursor};

pub(crate) const COLUMNS: &str = "id, name, domain, fqdn, vendor, platform, model, role, status, \
     location_id, management_ip, serial_number, asset_tag, custom_data, created_at, updated_at, revision";
const BINDS: usize = 17;

pub(crate) fn from_row(row: &AnyRow) -> Result<Node> {
    Ok(Node {
        id: get_uuid(row, "id")?,
        name: row.try_get("name")?,
        domain: row.try_get("domain")?,
        fqdn: row.try_get("fqdn")?,
        vendor: row.try_get("vendor")?,
        platform: get_parsed(row, "platform")?,
        model: row.try_get("model")?,
        role: row.try_get("role")?,
        status: get_parsed(row, "status")?,
        location_id: get_opt_uuid(row, "location_id")?,
        management_ip: row.try_get("management_ip")?,
        serial_number: row.try_get("serial_number")?,
        asset_tag: row.try_get("asset_tag")?,
        custom_data: get_json(row, "custom_data")?,
        created_at: get_timestamp(row, "created_at")?,
        updated_at: get_timestamp(row, "updated_at")?,
        revision: row.try_get("revision")?,
    })
}

fn values(n: &Node) -> [Arg; BINDS] {
    [
        n.id.into(),
        n.name.as_str().into(),
        n.domain.clone().into(),
        n.fqdn.as_str().into(),
        n.vendor.clone().into(),
        n.platform.as_str().into(),
        n.model.clone().into(),
        n.role.clone().into(),
        n.status.as_str().into(),
        n.location_id.into(),
        n.management_ip.clone().into(),
        n.serial_number.clone().into(),
        n.asset_tag.clone().into(),
        n.custom_data.to_string().into(),
        n.created_at.into(),
        n.updated_at.into(),
        n.revision.into(),
    ]
}

fn duplicate(fqdn: &str) -> StoreError {
    StoreError::conflict(format!(
        "a node named {fqdn:?} already exists (name and domain must be unique)"
    ))
}

const INSERT: &str = "INSERT INTO nodes (id, name, domain, fqdn, vendor, platform, model, role, \
     status, location_id, management_ip, serial_number, asset_tag, custom_data, created_at, \
     updated_at, revision) VALUES ";

pub(crate) fn insert_sql(rows: &[Node]) -> impl Iterator<Item = Sql> + '_ {
    multi_row(rows.iter().map(values), INSERT, "")
}

pub(crate) async fn insert(db: &Db, conn: &mut Conn, rows: &[Node]) -> Result<()> {
    for sql in insert_sql(rows) {
        db.execute(conn, sql).await.map_err(|e| {
            on_unique_violation(e, || {
                "a node with the same name and domain already exists".into()
            })
        })?;
    }
    Ok(())
}

/// `UPDATE` of every column but the id, from the same value list as the insert.
pub(crate) fn update_statement<const N: usize>(
    table: &str,
    columns: &str,
    id: Uuid,
    values: [Arg; N],
) -> Sql {
    let mut sql = Sql::new(format!("UPDATE {table} SET "));
    let names = columns.split(", ").map(str::trim);
    for (i, (column, value)) in names.zip(values).enumerate().skip(1) {
        if i > 1 {
            sql.push(", ");
        }
        sql.push(column).push(" = ").bind(value);
    }
    sql.push(" WHERE id = ").bind(id);
    sql
}

pub(crate) fn rewrite_sql(n: &Node) -> Sql {
    update_statement("nodes", COLUMNS, n.id, values(n))
}

pub(crate) async fn rewrite(db: &Db, conn: &mut Conn, n: &Node) -> Result<()> {
    db.execute(conn, rewrite_sql(n))
        .await
        .map_err(|e| on_unique_violation(e, || duplicate(&n.fqdn).to_string()))?;
    Ok(())
}

/// The node to update or delete, locked for the rest of the transaction ([`fetch_for_update`]).
async fn locked(db: &Db, conn: &mut Conn, id: Uuid) -> Result<Option<Node>> {
    fetch_for_update(db, conn, "nodes", COLUMNS, id, from_row).await
}

pub(crate) async fn fetch(db: &Db, conn: &mut Conn, id: Uuid) -> Result<Option<Node>> {
    let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM nodes WHERE id = "));
    sql.bind(id);
    db.fetch_optional(conn, sql)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// The stored rows an import replaces, locked like [`fetch_for_update`].
pub(crate) async fn fetch_many(db: &Db, conn: &mut Conn, ids: &[Uuid]) -> Result<Vec<Node>> {
    let head = format!("SELECT {COLUMNS} FROM nodes WHERE id");
    db.fetch_in(conn, &head, ids, row_lock(db), from_row).await
}

/// Nodes placed at any of the locations.
pub(crate) async fn at_locations(db: &Db, conn: &mut Conn, ids: &[Uuid]) -> Result<Vec<Node>> {
    let head = format!("SELECT {COLUMNS} FROM nodes WHERE location_id");
    db.fetch_in(conn, &head, ids, " ORDER BY name, fqdn", from_row)
        .await
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

/// The node with this (name, domain), if any: its fqdn says the same and is indexed unique.
async fn named(db: &Db, conn: &mut Conn, name: &str, domain: Option<&str>) -> Result<Option<Uuid>> {
    let mut sql = Sql::new("SELECT id FROM nodes WHERE fqdn = ");
    sql.bind(unet_core::fqdn(name, domain));
    db.fetch_optional(conn, sql)
        .await?
        .map(|r| get_uuid(&r, "id"))
        .transpose()
}

pub(crate) fn same_content(stored: &Node, d: &NodeDraft) -> bool {
    stored.name == d.name
        && stored.domain == d.domain
        && stored.vendor == d.vendor
        && Some(stored.platform) == d.platform
        && stored.model == d.model
        && stored.role == d.role
        && stored.status == d.status.unwrap_or_default()
        && stored.location_id == d.location_id
        && stored.management_ip == d.management_ip
        && stored.serial_number == d.serial_number
        && stored.asset_tag == d.asset_tag
        && Some(&stored.custom_data) == d.custom_data.as_ref()
}

/// The row a validated draft describes.
pub(crate) fn from_draft(
    id: Uuid,
    d: NodeDraft,
    created_at: Timestamp,
    updated_at: Timestamp,
    revision: i64,
) -> Node {
    let fqdn = unet_core::fqdn(&d.name, d.domain.as_deref());
    Node {
        id,
        fqdn,
        platform: d
            .platform
            .unwrap_or_else(|| unet_core::Platform::infer_from_vendor(d.vendor.as_deref())),
        status: d.status.unwrap_or_default(),
        name: d.name,
        domain: d.domain,
        vendor: d.vendor,
        model: d.model,
        role: d.role,
        location_id: d.location_id,
        management_ip: d.management_ip,
        serial_number: d.serial_number,
        asset_tag: d.asset_tag,
        custom_data: d.custom_data.unwrap_or_else(|| serde_json::json!({})),
        created_at,
        updated_at,
        revision,
    }
}

async fn check_location(db: &Db, conn: &mut Conn, d: &NodeDraft) -> Result<()> {
    if let Some(lid) = d.location_id
        && crate::locations::fetch(db, conn, lid).await?.is_none()
    {
        return Err(StoreError::Dangling {
            field: "location_id",
            id: lid,
            record: format!("node {:?}", unet_core::fqdn(&d.name, d.domain.as_deref())),
        });
    }
    Ok(())
}

fn filter_sql(sql: &mut Sql, f: &NodeFilter) {
    sql.push(" WHERE 1 = 1");
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
        let pattern = cursor::like_pattern(q);
        sql.push(" AND (");
        for (i, column) in ["name", "fqdn", "serial_number", "management_ip"]
            .iter()
            .enumerate()
        {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("LOWER(")
                .push(column)
                .push(") LIKE ")
                .bind(pattern.as_str())
                .push(" ESCAPE '\\'");
        }
        sql.push(")");
    }
}

impl Store {
    pub async fn create_node(&self, ctx: &ChangeContext, d: NodeDraft) -> Result<Node> {
        let d = d.validated()?;
        let mut tx = self.begin_write().await?;
        let id = d.id.unwrap_or_else(Uuid::new_v4);
        if fetch(&self.db, &mut tx, id).await?.is_some() {
            return Err(StoreError::conflict(format!("node {id} already exists")));
        }
        check_location(&self.db, &mut tx, &d).await?;
        if named(&self.db, &mut tx, &d.name, d.domain.as_deref())
            .await?
            .is_some()
        {
            return Err(duplicate(&unet_core::fqdn(&d.name, d.domain.as_deref())));
        }
        let now = Timestamp::now();
        let node = from_draft(id, d, now, now, 1);
        insert(&self.db, &mut tx, std::slice::from_ref(&node)).await?;
        let change = Change::new(EntityType::Node, id, None, Some(&node));
        changes::record(&self.db, &mut tx, ctx, ctx.source, now, vec![change]).await?;
        tx.commit().await?;
        Ok(node)
    }

    pub async fn get_node(&self, id: Uuid) -> Result<Node> {
        let mut conn = self.read_conn().await?;
        fetch(&self.db, &mut conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found(EntityType::Node, id))
    }

    /// A node by UUID, else by name (ambiguous when several domains use it), else by fqdn.
    /// Host names are stored in lower case, so any spelling finds them; a name stored in
    /// another case (kept by the migration that lower-cased names, because its lower-case
    /// form was taken) is found by its exact spelling, and both together are ambiguous.
    pub async fn resolve_node(&self, ident: &str) -> Result<Node> {
        let ident = ident.trim();
        if let Ok(id) = Uuid::parse_str(ident) {
            return self.get_node(id).await;
        }
        let mut conn = self.read_conn().await?;
        for column in ["name", "fqdn"] {
            let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM nodes WHERE {column} IN ("));
            sql.bind(ident)
                .push(", ")
                .bind(ident.to_ascii_lowercase())
                .push(") ORDER BY name, fqdn LIMIT 11");
            let rows = self.db.fetch_all(&mut conn, sql).await?;
            let mut found = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
            match found.len() {
                0 => continue,
                1 => return Ok(found.remove(0)),
                _ => {
                    return Err(StoreError::Ambiguous {
                        ident: ident.to_string(),
                        candidates: found.into_iter().map(|n| n.fqdn).collect(),
                    });
                }
            }
        }
        Err(StoreError::not_found(EntityType::Node, ident))
    }

    pub async fn update_node(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        d: NodeDraft,
        if_revision: Option<i64>,
    ) -> Result<Node> {
        let d = d.validated()?;
        check_same_id(id, d.id)?;
        let expected = expected_revision(if_revision, d.revision)?;
        let mut tx = self.begin_write().await?;
        let current = locked(&self.db, &mut tx, id)
            .await?
            .ok_or_else(|| StoreError::not_found(EntityType::Node, id))?;
        check_revision(expected, current.revision)?;
        if same_content(&current, &d) {
            return Ok(current);
        }
        check_location(&self.db, &mut tx, &d).await?;
        if let Some(other) = named(&self.db, &mut tx, &d.name, d.domain.as_deref()).await?
            && other != id
        {
            return Err(duplicate(&unet_core::fqdn(&d.name, d.domain.as_deref())));
        }
        let now = Timestamp::now();
        let updated = from_draft(id, d, current.created_at, now, current.revision + 1);
        rewrite(&self.db, &mut tx, &updated).await?;
        let change = Change::new(EntityType::Node, id, Some(&current), Some(&updated));
        changes::record(&self.db, &mut tx, ctx, ctx.source, now, vec![change]).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes a node; refused while links use it unless `cascade`, which deletes those links
    /// too, each with a change row.
    pub async fn delete_node(&self, ctx: &ChangeContext, id: Uuid, cascade: bool) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let node = locked(&self.db, &mut tx, id)
            .await?
            .ok_or_else(|| StoreError::not_found(EntityType::Node, id))?;
        if !cascade {
            let links = crate::links::touching(&self.db, &mut tx, &[id]).await?;
            if !links.is_empty() {
                return Err(StoreError::Referenced {
                    entity: EntityType::Node,
                    id,
                    by: format!("{} link(s)", links.len()),
                });
            }
        }
        let log = delete_with_links(&self.db, &mut tx, std::slice::from_ref(&node)).await?;
        changes::record(&self.db, &mut tx, ctx, ctx.source, Timestamp::now(), log).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Nodes matching every given filter, ordered by name, then domain; two statements
    /// (page and total) whatever the page size.
    pub async fn list_nodes(&self, f: &NodeFilter, p: &PageRequest) -> Result<Page<Node>> {
        let limit = cursor::fetch_limit(p)?;
        let after = cursor::decode(p, 2)?;
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM nodes"));
        filter_sql(&mut sql, f);
        // fqdn is unique, so (name, fqdn) is a total order.
        if let Some(key) = after {
            sql.push(" AND (name, fqdn) > (")
                .bind(key[0].as_str())
                .push(", ")
                .bind(key[1].as_str())
                .push(")");
        }
        sql.push(" ORDER BY name, fqdn LIMIT ").bind(limit);
        let rows = self.db.fetch_all(&mut conn, sql).await?;
        let mut count = Sql::new("SELECT COUNT(*) FROM nodes");
        filter_sql(&mut count, f);
        let total = self.db.fetch_count(&mut conn, count).await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(cursor::finish(items, p, total, |n| {
            vec![n.name.clone(), n.fqdn.clone()]
        }))
    }
}
