//! Locations: a tree of places whose `path` (names from the root) the store keeps current.
//! The rules of their own: the parent exists, sibling names are unique, no cycles, the path
//! derived from the tree (and rewritten below a moved or renamed location), and a subtree
//! deleted with its nodes and their links.

use unet_core::{
    ChangeContext, CoreError, EntityType, Location, LocationFilter, NewLocation, Page, PageRequest,
    Uuid, Validate,
};

use crate::changes::Change;
use crate::db::{Db, Sql, get_uuid};
use crate::records::{Entity, fetch, select, update_statement};
use crate::rules::delete_rows;
use crate::{Backend, Conn, Result, Store, StoreError, cursor};

impl Entity for Location {
    type Filter = LocationFilter;
    const ORDER: &'static [&'static str] = &["path", "id"];
    const DUPLICATE: &'static str =
        "a location with the same name already exists under the same parent";

    async fn lock(db: &Db, conn: &mut Conn) -> Result<()> {
        lock_tree(db, conn).await
    }

    /// The path from the parent's, which must exist.
    async fn derive(db: &Db, conn: &mut Conn, new: &mut NewLocation) -> Result<()> {
        let location = new.record();
        let parent = match location.parent_id {
            None => None,
            Some(pid) => match fetch::<Location>(db, conn, pid).await? {
                Some(p) => Some(p),
                None => {
                    return Err(StoreError::Dangling {
                        field: "parent_id",
                        id: pid,
                        record: format!("location {:?}", location.name),
                    });
                }
            },
        };
        let path = child_path(parent.as_ref(), &location.name);
        new.set_path(path);
        Ok(())
    }

    async fn check(
        db: &Db,
        conn: &mut Conn,
        id: Uuid,
        new: &NewLocation,
        current: Option<&Location>,
    ) -> Result<()> {
        let location = new.record();
        if let (Some(current), Some(parent)) = (current, location.parent_id) {
            refuse_cycle(db, conn, current, parent).await?;
        }
        if let Some(other) = sibling_named(db, conn, location.parent_id, &location.name).await?
            && other != id
        {
            let parent_path = location.parent_id.and_then(|_| {
                location
                    .path
                    .rsplit_once('/')
                    .map(|(parent, _)| parent.to_string())
            });
            return Err(duplicate_name(&location.name, parent_path.as_deref()));
        }
        Ok(())
    }

    /// Without `cascade` refused while child locations or nodes reference the location; with
    /// it, the subtree, its nodes and their links go too.
    async fn remove(
        db: &Db,
        conn: &mut Conn,
        location: Location,
        cascade: bool,
    ) -> Result<Vec<Change>> {
        let id = location.id;
        let mut sql = select::<Location>(" WHERE id IN (");
        descendants_sql(&mut sql, id, true);
        // A child's path is always longer than its parent's: deepest first.
        sql.push(") ORDER BY LENGTH(path) DESC, id");
        let subtree = db
            .fetch_all(conn, sql)
            .await?
            .iter()
            .map(crate::records::from_row)
            .collect::<Result<Vec<Location>>>()?;
        let ids: Vec<Uuid> = subtree.iter().map(|l| l.id).collect();
        let nodes = crate::nodes::at_locations(db, conn, &ids).await?;
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
        let mut log = crate::nodes::delete_with_links(db, conn, &nodes).await?;
        delete_rows(db, conn, "locations", &ids).await?;
        log.extend(
            subtree
                .iter()
                .map(|l| Change::new(EntityType::Location, l.id, Some(l), None::<&Location>)),
        );
        Ok(log)
    }

    fn duplicate(&self) -> String {
        format!(
            "a location named {:?} already exists under the same parent",
            self.name
        )
    }

    /// The row's update, then the paths below it if its own path changed.
    fn rewrite_sql(old: &Location, new: &Location) -> impl Iterator<Item = Sql> {
        let below = (old.path != new.path).then(|| {
            let old_len = i64::try_from(old.path.chars().count()).unwrap_or(i64::MAX);
            let mut sql = Sql::new("UPDATE locations SET path = ");
            sql.bind(new.path.as_str())
                .push(" || substr(path, CAST(")
                .bind(old_len + 1)
                .push(" AS INTEGER)) WHERE id IN (");
            descendants_sql(&mut sql, new.id, false);
            sql.push(")");
            sql
        });
        std::iter::once(update_statement(new)).chain(below)
    }

    fn filter_sql(sql: &mut Sql, f: &LocationFilter) {
        if let Some(kind) = &f.kind {
            sql.push(" AND kind = ").bind(kind);
        }
        if let Some(parent) = f.parent_id {
            sql.push(" AND parent_id = ").bind(parent);
        }
        if let Some(q) = &f.q {
            cursor::search_sql(sql, q, &["name"]);
        }
    }

    /// By exact path (`Campus/Building A`), or by exact name.
    fn lookups(ident: &str) -> Vec<(&'static str, Vec<String>)> {
        let column = if ident.contains('/') { "path" } else { "name" };
        vec![(column, vec![ident.to_string()])]
    }

    fn candidate(self) -> String {
        self.path
    }
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

fn duplicate_name(name: &str, parent_path: Option<&str>) -> StoreError {
    StoreError::conflict(match parent_path {
        Some(p) => format!("a location named {name:?} already exists under {p:?}"),
        None => format!("a top-level location named {name:?} already exists"),
    })
}

impl Store {
    pub async fn create_location(
        &self,
        ctx: &ChangeContext,
        d: impl Validate<Location>,
    ) -> Result<Location> {
        self.create(ctx, d).await
    }

    pub async fn get_location(&self, id: Uuid) -> Result<Location> {
        self.get(id).await
    }

    /// A location by UUID, by exact path (`Campus/Building A`), or by exact name; a name that
    /// several locations share is ambiguous and the error lists their paths.
    pub async fn resolve_location(&self, ident: &str) -> Result<Location> {
        self.resolve(ident).await
    }

    pub async fn update_location(
        &self,
        ctx: &ChangeContext,
        id: Uuid,
        d: impl Validate<Location>,
        if_revision: Option<i64>,
    ) -> Result<Location> {
        self.update(ctx, id, d, if_revision).await
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
        self.delete::<Location>(ctx, id, cascade).await
    }

    pub async fn list_locations(
        &self,
        f: &LocationFilter,
        p: &PageRequest,
    ) -> Result<Page<Location>> {
        self.list(f, p).await
    }
}

/// Refuses to move `location` under `new_parent` when that parent lies in its own subtree.
async fn refuse_cycle(
    db: &Db,
    conn: &mut Conn,
    location: &Location,
    new_parent: Uuid,
) -> Result<()> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM (");
    descendants_sql(&mut sql, location.id, true);
    sql.push(") below WHERE id = ").bind(new_parent);
    if db.fetch_count(conn, sql).await? > 0 {
        return Err(CoreError::invalid(
            "parent_id",
            format!(
                "a location outside {:?} and its sub-locations (no cycles)",
                location.path
            ),
            new_parent.to_string(),
        )
        .into());
    }
    Ok(())
}
