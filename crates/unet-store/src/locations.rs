//! Locations: a tree of places whose `path` (names from the root) the store keeps current.

use sqlx::Row;
use sqlx::any::AnyRow;
use unet_core::{
    ChangeContext, CoreError, EntityType, Location, LocationDraft, LocationFilter, Page,
    PageRequest, Timestamp, Uuid,
};

use crate::changes::{self, Change};
use crate::db::{
    Arg, Db, Sql, get_json, get_opt_uuid, get_timestamp, get_uuid, multi_row, on_unique_violation,
};
use crate::rules::{
    check_revision, check_same_id, delete_rows, expected_revision, fetch_for_update,
};
use crate::{Backend, Conn, Result, Store, StoreError, cursor};

pub(crate) const COLUMNS: &str =
    "id, name, kind, parent_id, description, custom_data, path, created_at, updated_at, revision";
const BINDS: usize = 10;

pub(crate) fn from_row(row: &AnyRow) -> Result<Location> {
    Ok(Location {
        id: get_uuid(row, "id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        parent_id: get_opt_uuid(row, "parent_id")?,
        description: row.try_get("description")?,
        custom_data: get_json(row, "custom_data")?,
        path: row.try_get("path")?,
        created_at: get_timestamp(row, "created_at")?,
        updated_at: get_timestamp(row, "updated_at")?,
        revision: row.try_get("revision")?,
    })
}

fn values(l: &Location) -> [Arg; BINDS] {
    [
        l.id.into(),
        l.name.as_str().into(),
        l.kind.as_str().into(),
        l.parent_id.into(),
        l.description.clone().into(),
        l.custom_data.to_string().into(),
        l.path.as_str().into(),
        l.created_at.into(),
        l.updated_at.into(),
        l.revision.into(),
    ]
}

const INSERT: &str = "INSERT INTO locations (id, name, kind, parent_id, description, \
     custom_data, path, created_at, updated_at, revision) VALUES ";

pub(crate) fn insert_sql(rows: &[Location]) -> impl Iterator<Item = Sql> + '_ {
    multi_row(rows.iter().map(values), INSERT, "")
}

/// Inserts fully formed rows with multi-row statements.
pub(crate) async fn insert(db: &Db, conn: &mut Conn, rows: &[Location]) -> Result<()> {
    for sql in insert_sql(rows) {
        db.execute(conn, sql).await.map_err(|e| {
            on_unique_violation(e, || {
                "a location with the same name already exists under the same parent".into()
            })
        })?;
    }
    Ok(())
}

/// The row's update, then the paths below it if its own path changed.
pub(crate) fn rewrite_sql(old: &Location, new: &Location) -> Vec<Sql> {
    let mut sql = Sql::new("UPDATE locations SET name = ");
    sql.bind(new.name.as_str())
        .push(", kind = ")
        .bind(new.kind.as_str());
    sql.push(", parent_id = ").bind(new.parent_id);
    sql.push(", description = ").bind(new.description.clone());
    sql.push(", custom_data = ")
        .bind(new.custom_data.to_string());
    sql.push(", path = ").bind(new.path.as_str());
    sql.push(", updated_at = ").bind(new.updated_at);
    sql.push(", revision = ").bind(new.revision);
    sql.push(" WHERE id = ").bind(new.id);
    let mut out = vec![sql];
    if old.path != new.path {
        let old_len = i64::try_from(old.path.chars().count()).unwrap_or(i64::MAX);
        let mut sql = Sql::new("UPDATE locations SET path = ");
        sql.bind(new.path.as_str())
            .push(" || substr(path, CAST(")
            .bind(old_len + 1)
            .push(" AS INTEGER)) WHERE id IN (");
        descendants_sql(&mut sql, new.id, false);
        sql.push(")");
        out.push(sql);
    }
    out
}

/// Rewrites a stored row, then the paths below it if its own path changed.
pub(crate) async fn rewrite(
    db: &Db,
    conn: &mut Conn,
    old: &Location,
    new: &Location,
) -> Result<()> {
    for sql in rewrite_sql(old, new) {
        db.execute(conn, sql).await.map_err(|e| {
            on_unique_violation(e, || {
                format!(
                    "a location named {:?} already exists under the same parent",
                    new.name
                )
            })
        })?;
    }
    Ok(())
}

/// Key of the PostgreSQL advisory lock that [`lock_tree`] takes ("unet_loc" in ASCII).
const TREE_LOCK: i64 = 0x756e_6574_5f6c_6f63;

/// Serialises changes of the location tree: every transaction that writes locations (create,
/// update, delete, import) takes this lock before it reads the tree, so the parent it checks,
/// the cycle check and the paths it writes see every earlier change, and two moves can never
/// close a cycle between them. PostgreSQL: a transaction-level advisory lock, released at
/// commit or rollback; SQLite's write transaction already holds the whole database.
pub(crate) async fn lock_tree(db: &Db, conn: &mut Conn) -> Result<()> {
    if db.backend == Backend::Postgres {
        let sql = format!(
            "SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock({TREE_LOCK})) AS tree_lock"
        );
        db.fetch_optional(conn, Sql::new(sql)).await?;
    }
    Ok(())
}

/// `SELECT id` of the location's subtree (itself included or not), as a recursive CTE that
/// reads the same on both backends.
pub(crate) fn descendants_sql(sql: &mut Sql, root: Uuid, include_root: bool) {
    sql.push("WITH RECURSIVE subtree(id) AS (SELECT id FROM locations WHERE id = ");
    sql.bind(root);
    sql.push(
        " UNION SELECT l.id FROM locations l JOIN subtree s ON l.parent_id = s.id) \
         SELECT id FROM subtree",
    );
    if !include_root {
        sql.push(" WHERE id <> ").bind(root);
    }
}

/// The location to update or delete, locked for the rest of the transaction ([`fetch_for_update`]).
async fn locked(db: &Db, conn: &mut Conn, id: Uuid) -> Result<Option<Location>> {
    fetch_for_update(db, conn, "locations", COLUMNS, id, from_row).await
}

pub(crate) async fn fetch(db: &Db, conn: &mut Conn, id: Uuid) -> Result<Option<Location>> {
    let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM locations WHERE id = "));
    sql.bind(id);
    db.fetch_optional(conn, sql)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// The sibling with this name under `parent`, if any.
async fn sibling_named(
    db: &Db,
    conn: &mut Conn,
    parent: Option<Uuid>,
    name: &str,
) -> Result<Option<Uuid>> {
    let mut sql = Sql::new("SELECT id FROM locations WHERE COALESCE(parent_id, '') = ");
    sql.bind(parent.map(|p| p.to_string()).unwrap_or_default());
    sql.push(" AND name = ").bind(name);
    db.fetch_optional(conn, sql)
        .await?
        .map(|r| get_uuid(&r, "id"))
        .transpose()
}

pub(crate) fn child_path(parent: Option<&Location>, name: &str) -> String {
    match parent {
        Some(p) => format!("{}/{name}", p.path),
        None => name.to_string(),
    }
}

/// True when the stored record already says what the draft says.
pub(crate) fn same_content(stored: &Location, d: &LocationDraft) -> bool {
    stored.name == d.name
        && stored.kind == d.kind
        && stored.parent_id == d.parent_id
        && stored.description == d.description
        && Some(&stored.custom_data) == d.custom_data.as_ref()
}

/// Builds the row a validated draft describes.
pub(crate) fn from_draft(
    id: Uuid,
    d: LocationDraft,
    path: String,
    created_at: Timestamp,
    updated_at: Timestamp,
    revision: i64,
) -> Location {
    Location {
        id,
        name: d.name,
        kind: d.kind,
        parent_id: d.parent_id,
        description: d.description,
        custom_data: d.custom_data.unwrap_or_else(|| serde_json::json!({})),
        path,
        created_at,
        updated_at,
        revision,
    }
}

fn duplicate_name(name: &str, parent: Option<&Location>) -> StoreError {
    StoreError::conflict(match parent {
        Some(p) => format!(
            "a location named {name:?} already exists under {:?}",
            p.path
        ),
        None => format!("a top-level location named {name:?} already exists"),
    })
}

async fn parent_of(db: &Db, conn: &mut Conn, d: &LocationDraft) -> Result<Option<Location>> {
    match d.parent_id {
        None => Ok(None),
        Some(pid) => match fetch(db, conn, pid).await? {
            Some(p) => Ok(Some(p)),
            None => Err(StoreError::Dangling {
                field: "parent_id",
                id: pid,
                record: format!("location {:?}", d.name),
            }),
        },
    }
}

fn filter_sql(sql: &mut Sql, f: &LocationFilter) {
    sql.push(" WHERE 1 = 1");
    if let Some(kind) = &f.kind {
        sql.push(" AND kind = ").bind(kind);
    }
    if let Some(parent) = f.parent_id {
        sql.push(" AND parent_id = ").bind(parent);
    }
    if let Some(q) = &f.q {
        sql.push(" AND LOWER(name) LIKE ")
            .bind(cursor::like_pattern(q))
            .push(" ESCAPE '\\'");
    }
}

impl Store {
    pub async fn create_location(&self, ctx: &ChangeContext, d: LocationDraft) -> Result<Location> {
        let d = d.validated()?;
        let mut tx = self.begin_write().await?;
        lock_tree(&self.db, &mut tx).await?;
        let id = d.id.unwrap_or_else(Uuid::new_v4);
        if fetch(&self.db, &mut tx, id).await?.is_some() {
            return Err(StoreError::conflict(format!(
                "location {id} already exists"
            )));
        }
        let parent = parent_of(&self.db, &mut tx, &d).await?;
        if sibling_named(&self.db, &mut tx, d.parent_id, &d.name)
            .await?
            .is_some()
        {
            return Err(duplicate_name(&d.name, parent.as_ref()));
        }
        let now = Timestamp::now();
        let path = child_path(parent.as_ref(), &d.name);
        let location = from_draft(id, d, path, now, now, 1);
        insert(&self.db, &mut tx, std::slice::from_ref(&location)).await?;
        let change = Change::new(EntityType::Location, id, None, Some(&location));
        changes::record(&self.db, &mut tx, ctx, ctx.source, now, vec![change]).await?;
        tx.commit().await?;
        Ok(location)
    }

    pub async fn get_location(&self, id: Uuid) -> Result<Location> {
        let mut conn = self.read_conn().await?;
        fetch(&self.db, &mut conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found(EntityType::Location, id))
    }

    /// A location by UUID, by exact path (`Campus/Building A`), or by exact name; a name that
    /// several locations share is ambiguous and the error lists their paths.
    pub async fn resolve_location(&self, ident: &str) -> Result<Location> {
        if let Ok(id) = Uuid::parse_str(ident.trim()) {
            return self.get_location(id).await;
        }
        let mut conn = self.read_conn().await?;
        let column = if ident.contains('/') { "path" } else { "name" };
        let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM locations WHERE {column} = "));
        sql.bind(ident.trim()).push(" ORDER BY path, id LIMIT 11");
        let rows = self.db.fetch_all(&mut conn, sql).await?;
        let mut found = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        match found.len() {
            0 => Err(StoreError::not_found(EntityType::Location, ident)),
            1 => Ok(found.remove(0)),
            _ => Err(StoreError::Ambiguous {
                ident: ident.to_string(),
                candidates: found.into_iter().map(|l| l.path).collect(),
            }),
        }
    }

    pub async fn update_location(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        d: LocationDraft,
        if_revision: Option<i64>,
    ) -> Result<Location> {
        let d = d.validated()?;
        check_same_id(id, d.id)?;
        let expected = expected_revision(if_revision, d.revision)?;
        let mut tx = self.begin_write().await?;
        lock_tree(&self.db, &mut tx).await?;
        let current = locked(&self.db, &mut tx, id)
            .await?
            .ok_or_else(|| StoreError::not_found(EntityType::Location, id))?;
        check_revision(expected, current.revision)?;
        if same_content(&current, &d) {
            return Ok(current);
        }
        let parent = parent_of(&self.db, &mut tx, &d).await?;
        if let Some(parent) = &parent {
            refuse_cycle(&self.db, &mut tx, &current, parent).await?;
        }
        if let Some(other) = sibling_named(&self.db, &mut tx, d.parent_id, &d.name).await?
            && other != id
        {
            return Err(duplicate_name(&d.name, parent.as_ref()));
        }
        let now = Timestamp::now();
        let path = child_path(parent.as_ref(), &d.name);
        let updated = from_draft(id, d, path, current.created_at, now, current.revision + 1);
        rewrite(&self.db, &mut tx, &current, &updated).await?;
        let change = Change::new(EntityType::Location, id, Some(&current), Some(&updated));
        changes::record(&self.db, &mut tx, ctx, ctx.source, now, vec![change]).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes a location. Without `cascade` it is refused while child locations or nodes
    /// reference it; with it, the subtree, its nodes and their links go too, each with a
    /// change row.
    pub async fn delete_location(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        cascade: bool,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        lock_tree(&self.db, &mut tx).await?;
        if fetch(&self.db, &mut tx, id).await?.is_none() {
            return Err(StoreError::not_found(EntityType::Location, id));
        }
        let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM locations WHERE id IN ("));
        descendants_sql(&mut sql, id, true);
        // A child's path is always longer than its parent's: deepest first.
        sql.push(") ORDER BY LENGTH(path) DESC, id");
        let subtree = self
            .db
            .fetch_all(&mut tx, sql)
            .await?
            .iter()
            .map(from_row)
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<Uuid> = subtree.iter().map(|l| l.id).collect();
        let nodes = crate::nodes::at_locations(&self.db, &mut tx, &ids).await?;
        if !cascade && (subtree.len() > 1 || !nodes.is_empty()) {
            return Err(StoreError::Referenced {
                entity: EntityType::Location,
                id,
                by: format!(
                    "{} child location(s) and {} node(s)",
                    subtree.len() - 1,
                    nodes.len()
                ),
            });
        }
        let now = Timestamp::now();
        let mut log = crate::nodes::delete_with_links(&self.db, &mut tx, &nodes).await?;
        delete_rows(&self.db, &mut tx, "locations", &ids).await?;
        log.extend(
            subtree
                .iter()
                .map(|l| Change::new(EntityType::Location, l.id, Some(l), None::<&Location>)),
        );
        changes::record(&self.db, &mut tx, ctx, ctx.source, now, log).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_locations(
        &self,
        f: &LocationFilter,
        p: &PageRequest,
    ) -> Result<Page<Location>> {
        let limit = cursor::fetch_limit(p)?;
        let after = cursor::decode(p, 2)?;
        let mut conn = self.read_conn().await?;
        let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM locations"));
        filter_sql(&mut sql, f);
        if let Some(key) = after {
            sql.push(" AND (path, id) > (")
                .bind(key[0].as_str())
                .push(", ")
                .bind(key[1].as_str())
                .push(")");
        }
        sql.push(" ORDER BY path, id LIMIT ").bind(limit);
        let rows = self.db.fetch_all(&mut conn, sql).await?;
        let mut count = Sql::new("SELECT COUNT(*) FROM locations");
        filter_sql(&mut count, f);
        let total = self.db.fetch_count(&mut conn, count).await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(cursor::finish(items, p, total, |l| {
            vec![l.path.clone(), l.id.to_string()]
        }))
    }
}

/// Refuses to move `location` under `new_parent` when that parent lies in its own subtree.
pub(crate) async fn refuse_cycle(
    db: &Db,
    conn: &mut Conn,
    location: &Location,
    new_parent: &Location,
) -> Result<()> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM (");
    descendants_sql(&mut sql, location.id, true);
    sql.push(") below WHERE id = ").bind(new_parent.id);
    if db.fetch_count(conn, sql).await? > 0 {
        return Err(CoreError::invalid(
            "parent_id",
            format!(
                "a location outside {:?} and its sub-locations (no cycles)",
                location.path
            ),
            new_parent.id.to_string(),
        )
        .into());
    }
    Ok(())
}
