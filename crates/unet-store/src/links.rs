//! Links between node interfaces. `link_endpoints` holds one row per (node, interface) a link
//! occupies, so the database refuses a second link on the same interface.

use sqlx::Row;
use sqlx::any::AnyRow;
use unet_core::{
    ChangeContext, EntityType, Link, LinkDraft, LinkFilter, Page, PageRequest, Timestamp, Uuid,
};

use crate::changes::{self, Change};
use crate::db::{
    Arg, Db, Sql, chunks, get_json, get_opt_uuid, get_timestamp, get_uuid, multi_row,
    on_unique_violation,
};
use crate::rules::{
    check_revision, check_same_id, delete_rows, expected_revision, fetch_for_update, row_lock,
};
use crate::{Conn, Result, Store, StoreError, cursor};

pub(crate) const COLUMNS: &str = "id, name, node_a_id, interface_a, node_z_id, interface_z, \
     bandwidth_bps, circuit_id, provider, description, custom_data, created_at, updated_at, revision";
const BINDS: usize = 14;

pub(crate) fn from_row(row: &AnyRow) -> Result<Link> {
    Ok(Link {
        id: get_uuid(row, "id")?,
        name: row.try_get("name")?,
        node_a_id: get_uuid(row, "node_a_id")?,
        interface_a: row.try_get("interface_a")?,
        node_z_id: get_opt_uuid(row, "node_z_id")?,
        interface_z: row.try_get("interface_z")?,
        bandwidth_bps: row.try_get("bandwidth_bps")?,
        circuit_id: row.try_get("circuit_id")?,
        provider: row.try_get("provider")?,
        description: row.try_get("description")?,
        custom_data: get_json(row, "custom_data")?,
        created_at: get_timestamp(row, "created_at")?,
        updated_at: get_timestamp(row, "updated_at")?,
        revision: row.try_get("revision")?,
    })
}

fn values(l: &Link) -> [Arg; BINDS] {
    [
        l.id.into(),
        l.name.clone().into(),
        l.node_a_id.into(),
        l.interface_a.as_str().into(),
        l.node_z_id.into(),
        l.interface_z.clone().into(),
        l.bandwidth_bps.into(),
        l.circuit_id.clone().into(),
        l.provider.clone().into(),
        l.description.clone().into(),
        l.custom_data.to_string().into(),
        l.created_at.into(),
        l.updated_at.into(),
        l.revision.into(),
    ]
}

/// The (node, interface) pairs a link occupies.
pub(crate) fn endpoints(l: &Link) -> impl Iterator<Item = (Uuid, &str)> {
    std::iter::once((l.node_a_id, l.interface_a.as_str()))
        .chain(l.node_z_id.zip(l.interface_z.as_deref()))
}

const INSERT: &str = "INSERT INTO links (id, name, node_a_id, interface_a, node_z_id, \
     interface_z, bandwidth_bps, circuit_id, provider, description, custom_data, created_at, \
     updated_at, revision) VALUES ";

/// The links, then the interfaces they occupy.
pub(crate) fn insert_sql(rows: &[Link]) -> impl Iterator<Item = Sql> + '_ {
    multi_row(rows.iter().map(values), INSERT, "").chain(chunks(rows, 1).map(|chunk| {
        let ids: Vec<Uuid> = chunk.iter().map(|l| l.id).collect();
        endpoints_sql(&ids)
    }))
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

fn interface_taken(e: StoreError) -> StoreError {
    on_unique_violation(e, || "an interface is already used by another link".into())
}

pub(crate) async fn insert(db: &Db, conn: &mut Conn, rows: &[Link]) -> Result<()> {
    for sql in insert_sql(rows) {
        db.execute(conn, sql).await.map_err(interface_taken)?;
    }
    Ok(())
}

/// The row's update and its endpoints replaced.
pub(crate) fn rewrite_sql(l: &Link) -> [Sql; 3] {
    let mut clear = Sql::new("DELETE FROM link_endpoints WHERE link_id = ");
    clear.bind(l.id);
    [
        crate::nodes::update_statement("links", COLUMNS, l.id, values(l)),
        clear,
        endpoints_sql(&[l.id]),
    ]
}

pub(crate) async fn rewrite(db: &Db, conn: &mut Conn, l: &Link) -> Result<()> {
    for sql in rewrite_sql(l) {
        db.execute(conn, sql).await.map_err(interface_taken)?;
    }
    Ok(())
}

/// The link to update or delete, locked for the rest of the transaction ([`fetch_for_update`]).
async fn locked(db: &Db, conn: &mut Conn, id: Uuid) -> Result<Option<Link>> {
    fetch_for_update(db, conn, "links", COLUMNS, id, from_row).await
}

pub(crate) async fn fetch(db: &Db, conn: &mut Conn, id: Uuid) -> Result<Option<Link>> {
    let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM links WHERE id = "));
    sql.bind(id);
    db.fetch_optional(conn, sql)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// The stored rows an import replaces, locked like [`fetch_for_update`].
pub(crate) async fn fetch_many(db: &Db, conn: &mut Conn, ids: &[Uuid]) -> Result<Vec<Link>> {
    let head = format!("SELECT {COLUMNS} FROM links WHERE id");
    db.fetch_in(conn, &head, ids, row_lock(db), from_row).await
}

/// Links with any of the nodes on either side, by id: every side a link occupies has its row
/// in `link_endpoints`.
pub(crate) async fn touching(db: &Db, conn: &mut Conn, node_ids: &[Uuid]) -> Result<Vec<Link>> {
    let head = format!(
        "SELECT {COLUMNS} FROM links WHERE id IN (SELECT link_id FROM link_endpoints WHERE node_id"
    );
    let mut out = db.fetch_in(conn, &head, node_ids, ")", from_row).await?;
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

pub(crate) fn same_content(stored: &Link, d: &LinkDraft) -> bool {
    stored.name == d.name
        && stored.node_a_id == d.node_a_id
        && stored.interface_a == d.interface_a
        && stored.node_z_id == d.node_z_id
        && stored.interface_z == d.interface_z
        && stored.bandwidth_bps == d.bandwidth_bps
        && stored.circuit_id == d.circuit_id
        && stored.provider == d.provider
        && stored.description == d.description
        && Some(&stored.custom_data) == d.custom_data.as_ref()
}

pub(crate) fn from_draft(
    id: Uuid,
    d: LinkDraft,
    created_at: Timestamp,
    updated_at: Timestamp,
    revision: i64,
) -> Link {
    Link {
        id,
        name: d.name,
        node_a_id: d.node_a_id,
        interface_a: d.interface_a,
        node_z_id: d.node_z_id,
        interface_z: d.interface_z,
        bandwidth_bps: d.bandwidth_bps,
        circuit_id: d.circuit_id,
        provider: d.provider,
        description: d.description,
        custom_data: d.custom_data.unwrap_or_else(|| serde_json::json!({})),
        created_at,
        updated_at,
        revision,
    }
}

/// How a link is named in messages: its name, else its A side.
pub(crate) fn label(name: Option<&str>, node_a: Uuid, interface_a: &str) -> String {
    match name {
        Some(n) => format!("link {n:?}"),
        None => format!("link from {node_a} {interface_a}"),
    }
}

/// Both nodes exist and neither interface is held by another link.
async fn check_link(db: &Db, conn: &mut Conn, link: &Link) -> Result<()> {
    let record = label(link.name.as_deref(), link.node_a_id, &link.interface_a);
    for (field, node) in [
        ("node_a_id", Some(link.node_a_id)),
        ("node_z_id", link.node_z_id),
    ] {
        if let Some(node) = node
            && crate::nodes::fetch(db, conn, node).await?.is_none()
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
        if holder != link.id && endpoints(link).any(|(n, i)| n == node && i == iface) {
            return Err(StoreError::conflict(format!(
                "{record}: interface {iface:?} of node {node} is already used by link {holder}"
            )));
        }
    }
    Ok(())
}

fn filter_sql(sql: &mut Sql, f: &LinkFilter) {
    sql.push(" WHERE 1 = 1");
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
        let pattern = cursor::like_pattern(q);
        sql.push(" AND (");
        for (i, column) in ["name", "interface_a", "interface_z", "circuit_id"]
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
    pub async fn create_link(&self, ctx: &ChangeContext, d: LinkDraft) -> Result<Link> {
        let d = d.validated()?;
        let mut tx = self.begin_write().await?;
        let id = d.id.unwrap_or_else(Uuid::new_v4);
        if fetch(&self.db, &mut tx, id).await?.is_some() {
            return Err(StoreError::conflict(format!("link {id} already exists")));
        }
        let now = Timestamp::now();
        let link = from_draft(id, d, now, now, 1);
        check_link(&self.db, &mut tx, &link).await?;
        insert(&self.db, &mut tx, std::slice::from_ref(&link)).await?;
        let change = Change::new(EntityType::Link, id, None, Some(&link));
        changes::record(&self.db, &mut tx, ctx, ctx.source, now, vec![change]).await?;
        tx.commit().await?;
        Ok(link)
    }

    pub async fn get_link(&self, id: Uuid) -> Result<Link> {
        let mut conn = self.read_conn().await?;
        fetch(&self.db, &mut conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found(EntityType::Link, id))
    }

    /// A link by UUID, else by name (ambiguous when several links share it).
    pub async fn resolve_link(&self, ident: &str) -> Result<Link> {
        let ident = ident.trim();
        if let Ok(id) = Uuid::parse_str(ident) {
            return self.get_link(id).await;
        }
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM links WHERE name = "));
        sql.bind(ident).push(" ORDER BY id LIMIT 11");
        let rows = self.db.fetch_all(&mut conn, sql).await?;
        let mut found = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        match found.len() {
            0 => Err(StoreError::not_found(EntityType::Link, ident)),
            1 => Ok(found.remove(0)),
            _ => Err(StoreError::Ambiguous {
                ident: ident.to_string(),
                candidates: found.into_iter().map(|l| l.id.to_string()).collect(),
            }),
        }
    }

    pub async fn update_link(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        d: LinkDraft,
        if_revision: Option<i64>,
    ) -> Result<Link> {
        let d = d.validated()?;
        check_same_id(id, d.id)?;
        let expected = expected_revision(if_revision, d.revision)?;
        let mut tx = self.begin_write().await?;
        let current = locked(&self.db, &mut tx, id)
            .await?
            .ok_or_else(|| StoreError::not_found(EntityType::Link, id))?;
        check_revision(expected, current.revision)?;
        if same_content(&current, &d) {
            return Ok(current);
        }
        let now = Timestamp::now();
        let updated = from_draft(id, d, current.created_at, now, current.revision + 1);
        check_link(&self.db, &mut tx, &updated).await?;
        rewrite(&self.db, &mut tx, &updated).await?;
        let change = Change::new(EntityType::Link, id, Some(&current), Some(&updated));
        changes::record(&self.db, &mut tx, ctx, ctx.source, now, vec![change]).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes a link (nothing references links, so there is nothing to cascade).
    pub async fn delete_link(&self, ctx: &ChangeContext, id: Uuid) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let link = locked(&self.db, &mut tx, id)
            .await?
            .ok_or_else(|| StoreError::not_found(EntityType::Link, id))?;
        delete_rows(&self.db, &mut tx, "links", &[id]).await?;
        let change = Change::new(EntityType::Link, id, Some(&link), None::<&Link>);
        changes::record(
            &self.db,
            &mut tx,
            ctx,
            ctx.source,
            Timestamp::now(),
            vec![change],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_links(&self, f: &LinkFilter, p: &PageRequest) -> Result<Page<Link>> {
        let limit = cursor::fetch_limit(p)?;
        let after = cursor::decode(p, 1)?;
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM links"));
        filter_sql(&mut sql, f);
        if let Some(key) = after {
            sql.push(" AND id > ").bind(key[0].as_str());
        }
        sql.push(" ORDER BY id LIMIT ").bind(limit);
        let rows = self.db.fetch_all(&mut conn, sql).await?;
        let mut count = Sql::new("SELECT COUNT(*) FROM links");
        filter_sql(&mut count, f);
        let total = self.db.fetch_count(&mut conn, count).await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(cursor::finish(items, p, total, |l| vec![l.id.to_string()]))
    }
}
