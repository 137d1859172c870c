//! Planning an import: every record is checked against the database and the rest of the
//! batch before anything is written, in dependency order (locations parents first, then
//! nodes, then links), and becomes a create, an update, "unchanged" or a failure that names
//! its file and record index and, for duplicates, the other record too.

use std::collections::{HashMap, HashSet, VecDeque};

use sqlx::Row;
use unet_core::{
    CoreError, EntityType, Given, Link, LinkDraft, Location, LocationDraft, New, Node, NodeDraft,
    Timestamp, Uuid,
};

use super::tree::LocationTree;
use super::{Step, failure};
use crate::db::{Db, get_uuid};
use crate::exchange::{ImportBatch, ImportFailure, Origin, Sourced};
use crate::rules::row_lock;
use crate::{Conn, Result, links, records};

pub(crate) struct Plan {
    pub locations: Vec<Step<Location>>,
    pub nodes: Vec<Step<Node>>,
    pub links: Vec<Step<Link>>,
    pub failures: Vec<ImportFailure>,
}

/// A valid record of the batch: where it came from, its id and its validated content.
pub(super) struct Valid<T> {
    pub origin: Origin,
    pub id: Uuid,
    pub new: New<T>,
}

/// Who holds a unique key: a record of this batch (with its origin) or a stored one.
pub(super) fn holder(entity: &str, id: Uuid, origin: Option<&Origin>) -> String {
    match origin {
        Some(o) => format!("{entity} {id} at {o}"),
        None => format!("{entity} {id} already in the database"),
    }
}

/// Validates each draft and refuses a second record with the same id.
fn validate<D, T>(
    records: Vec<Sourced<D>>,
    entity: EntityType,
    id_of: fn(&D) -> Option<Uuid>,
    check: fn(D) -> Result<New<T>, CoreError>,
    failures: &mut Vec<ImportFailure>,
) -> Vec<Valid<T>> {
    let mut seen: HashMap<Uuid, Origin> = HashMap::new();
    let mut out = Vec::with_capacity(records.len());
    for Sourced { origin, draft } in records {
        let Some(id) = id_of(&draft) else {
            failures.push(failure(
                entity,
                &origin,
                "id: required (every imported record carries its id)",
            ));
            continue;
        };
        let new = match check(draft) {
            Ok(new) => new,
            Err(e) => {
                failures.push(failure(entity, &origin, e.to_string()));
                continue;
            }
        };
        if let Some(first) = seen.get(&id) {
            failures.push(failure(
                entity,
                &origin,
                format!("id {id}: also used by {first}"),
            ));
            continue;
        }
        seen.insert(id, origin.clone());
        out.push(Valid { origin, id, new });
    }
    out
}

/// What an import makes of a record: unchanged, an update of the stored one, or a create
/// that keeps the bookkeeping fields the record was exported with (otherwise now / 1).
pub(super) fn step<T: unet_core::Record>(
    id: Uuid,
    new: New<T>,
    stored: Option<&T>,
    now: Timestamp,
) -> Step<T> {
    match stored {
        Some(old) if new.same_content(old) => Step::Unchanged,
        Some(old) => Step::Update {
            before: old.clone(),
            after: new.into_record(id, old.created_at(), now, old.revision() + 1),
        },
        None => {
            let Given {
                created_at,
                updated_at,
                revision,
                ..
            } = *new.given();
            let revision = revision.filter(|r| *r >= 1).unwrap_or(1);
            Step::Create(new.into_record(
                id,
                created_at.unwrap_or(now),
                updated_at.unwrap_or(now),
                revision,
            ))
        }
    }
}

impl Plan {
    pub(crate) async fn build(
        db: &Db,
        conn: &mut Conn,
        batch: ImportBatch,
        now: Timestamp,
    ) -> Result<Plan> {
        let mut plan = Plan {
            locations: Vec::new(),
            nodes: Vec::new(),
            links: Vec::new(),
            failures: Vec::new(),
        };
        let locs = validate(
            batch.locations,
            EntityType::Location,
            |d| d.id,
            LocationDraft::validated,
            &mut plan.failures,
        );
        let node_drafts = validate(
            batch.nodes,
            EntityType::Node,
            |d| d.id,
            NodeDraft::validated,
            &mut plan.failures,
        );
        let link_drafts = validate(
            batch.links,
            EntityType::Link,
            |d| d.id,
            LinkDraft::validated,
            &mut plan.failures,
        );
        let tree = plan.plan_locations(db, conn, locs, now).await?;
        let accepted_nodes = plan.plan_nodes(db, conn, node_drafts, &tree, now).await?;
        plan.plan_links(db, conn, link_drafts, accepted_nodes, now)
            .await?;
        Ok(plan)
    }

    async fn plan_locations(
        &mut self,
        db: &Db,
        conn: &mut Conn,
        records: Vec<Valid<Location>>,
        now: Timestamp,
    ) -> Result<LocationTree> {
        let stored: HashMap<Uuid, Location> = records::all::<Location>(db, conn, "id")
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
        let mut tree = LocationTree::default();
        for l in stored.values() {
            tree.nodes.insert(l.id, (l.name.clone(), l.parent_id));
            tree.siblings
                .insert((l.parent_id, l.name.clone()), (l.id, None));
        }
        let in_batch: HashMap<Uuid, usize> =
            records.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let mut children: HashMap<Uuid, Vec<usize>> = HashMap::new();
        let mut queue = VecDeque::new();
        for (i, r) in records.iter().enumerate() {
            match r
                .new
                .record()
                .parent_id
                .filter(|p| in_batch.contains_key(p))
            {
                Some(p) => children.entry(p).or_default().push(i),
                None => queue.push_back(i),
            }
        }
        let mut done = vec![false; records.len()];
        let mut records: Vec<Option<Valid<Location>>> = records.into_iter().map(Some).collect();
        while let Some(i) = queue.pop_front() {
            done[i] = true;
            let Some(r) = records[i].take() else { continue };
            let kids = children.remove(&r.id).unwrap_or_default();
            match tree.accept(&r, stored.get(&r.id), now) {
                Ok(step) => {
                    self.locations.push(step);
                    queue.extend(kids);
                }
                Err(message) => {
                    self.failures
                        .push(failure(EntityType::Location, &r.origin, message));
                    tree.failed.insert(r.id, r.origin.clone());
                    // Everything below a failed location fails with it, naming it.
                    let mut below = kids;
                    while let Some(k) = below.pop() {
                        done[k] = true;
                        if let Some(child) = records[k].take() {
                            below.extend(children.remove(&child.id).unwrap_or_default());
                            let msg = format!(
                                "parent_id {}: that location ({}) failed to import",
                                r.id, r.origin
                            );
                            tree.failed.insert(child.id, child.origin.clone());
                            self.failures
                                .push(failure(EntityType::Location, &child.origin, msg));
                        }
                    }
                }
            }
        }
        for (i, r) in records.into_iter().enumerate() {
            if let (false, Some(r)) = (done[i], r) {
                let msg = format!(
                    "parent_id {}: the locations of this import contain each other (a cycle)",
                    r.new
                        .record()
                        .parent_id
                        .map(|p| p.to_string())
                        .unwrap_or_default()
                );
                tree.failed.insert(r.id, r.origin.clone());
                self.failures
                    .push(failure(EntityType::Location, &r.origin, msg));
            }
        }
        Ok(tree)
    }
}

impl Plan {
    async fn plan_nodes(
        &mut self,
        db: &Db,
        conn: &mut Conn,
        records: Vec<Valid<Node>>,
        tree: &LocationTree,
        now: Timestamp,
    ) -> Result<NodeSet> {
        // A first import into an empty table has nothing to look up.
        let any_stored = db.has_rows(conn, "nodes").await?;
        let mut stored: HashMap<Uuid, Node> = HashMap::new();
        let mut taken: HashMap<(String, Option<String>), (Uuid, Option<Origin>)> = HashMap::new();
        if any_stored {
            let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
            stored.extend(
                records::fetch_in::<Node, _>(db, conn, "id", &ids, row_lock(db))
                    .await?
                    .into_iter()
                    .map(|n| (n.id, n)),
            );
            let names: Vec<String> = records
                .iter()
                .map(|r| r.new.record().name.clone())
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let head = "SELECT id, name, domain FROM nodes WHERE name";
            let holders = db
                .fetch_in(conn, head, &names, "", |row| {
                    let key = (row.try_get("name")?, row.try_get("domain")?);
                    Ok((key, (get_uuid(row, "id")?, None)))
                })
                .await?;
            taken.extend(holders);
        }
        let mut set = NodeSet {
            any_stored,
            ..NodeSet::default()
        };
        for r in records {
            let d = r.new.record();
            let check = (|| {
                if let Some(lid) = d.location_id {
                    tree.check_reference("location_id", lid)?;
                }
                let key = (d.name.clone(), d.domain.clone());
                if let Some((other, origin)) = taken.get(&key)
                    && *other != r.id
                {
                    return Err(format!(
                        "name {:?}: already used by {}",
                        d.fqdn,
                        holder("node", *other, origin.as_ref())
                    ));
                }
                Ok(key)
            })();
            let key = match check {
                Ok(key) => key,
                Err(message) => {
                    self.failures
                        .push(failure(EntityType::Node, &r.origin, message));
                    set.failed.insert(r.id, r.origin);
                    continue;
                }
            };
            let old = stored.get(&r.id);
            if let Some(old) = old {
                let old_key = (old.name.clone(), old.domain.clone());
                if taken.get(&old_key).is_some_and(|(id, _)| *id == r.id) {
                    taken.remove(&old_key);
                }
            }
            taken.insert(key, (r.id, Some(r.origin.clone())));
            set.accepted.insert(r.id);
            self.nodes.push(step(r.id, r.new, old, now));
        }
        Ok(set)
    }

    async fn plan_links(
        &mut self,
        db: &Db,
        conn: &mut Conn,
        mut records: Vec<Valid<Link>>,
        mut node_set: NodeSet,
        now: Timestamp,
    ) -> Result<()> {
        // Interfaces are taken only by stored links; nodes outside the batch only by stored
        // nodes. Empty tables are not searched.
        let mut stored: HashMap<Uuid, Link> = HashMap::new();
        let mut taken: HashMap<(Uuid, String), (Uuid, Option<Origin>)> = HashMap::new();
        let links_stored = db.has_rows(conn, "links").await?;
        if links_stored {
            let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
            stored.extend(
                records::fetch_in::<Link, _>(db, conn, "id", &ids, row_lock(db))
                    .await?
                    .into_iter()
                    .map(|l| (l.id, l)),
            );
        }
        let mut touched = node_set.accepted.iter().copied().collect::<Vec<_>>();
        if node_set.any_stored {
            // Nodes referenced from outside the batch must already be stored.
            let outside: Vec<Uuid> = records
                .iter()
                .map(|r| r.new.record())
                .flat_map(|l| std::iter::once(l.node_a_id).chain(l.node_z_id))
                .filter(|id| !node_set.accepted.contains(id))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let found = db
                .fetch_in(conn, "SELECT id FROM nodes WHERE id", &outside, "", |row| {
                    get_uuid(row, "id")
                })
                .await?;
            node_set.accepted.extend(found.iter().copied());
            touched.extend(found);
        }
        if links_stored {
            for (node, iface, link) in links::endpoints_of_nodes(db, conn, &touched).await? {
                taken.insert((node, iface), (link, None));
            }
        }
        // Updates first, so that a link moving off an interface frees it for another.
        records.sort_by_key(|r| !stored.contains_key(&r.id));
        for r in records {
            let d = r.new.record();
            let record = links::label(d.name.as_deref(), d.node_a_id, &d.interface_a);
            let pairs: Vec<(Uuid, String)> = std::iter::once((d.node_a_id, d.interface_a.clone()))
                .chain(d.node_z_id.zip(d.interface_z.clone()))
                .collect();
            let check = (|| {
                for (field, node) in [("node_a_id", Some(d.node_a_id)), ("node_z_id", d.node_z_id)]
                {
                    let Some(node) = node else { continue };
                    if !node_set.accepted.contains(&node) {
                        return Err(match node_set.failed.get(&node) {
                            Some(o) => format!(
                                "{record}: {field} {node}: that node ({o}) failed to import"
                            ),
                            None => format!(
                                "{record}: {field} {node}: no such node in the database or in this import"
                            ),
                        });
                    }
                }
                for pair in &pairs {
                    if let Some((other, origin)) = taken.get(pair)
                        && *other != r.id
                    {
                        return Err(format!(
                            "{record}: interface {:?} of node {} is already used by {}",
                            pair.1,
                            pair.0,
                            holder("link", *other, origin.as_ref())
                        ));
                    }
                }
                Ok(())
            })();
            if let Err(message) = check {
                self.failures
                    .push(failure(EntityType::Link, &r.origin, message));
                continue;
            }
            let old = stored.get(&r.id);
            if let Some(old) = old {
                for (node, iface) in links::endpoints(old) {
                    let key = (node, iface.to_string());
                    if taken.get(&key).is_some_and(|(id, _)| *id == r.id) {
                        taken.remove(&key);
                    }
                }
            }
            for pair in pairs {
                taken.insert(pair, (r.id, Some(r.origin.clone())));
            }
            self.links.push(step(r.id, r.new, old, now));
        }
        Ok(())
    }
}

/// Nodes links may refer to: accepted batch records and stored rows; and the failed ones.
#[derive(Default)]
struct NodeSet {
    accepted: HashSet<Uuid>,
    failed: HashMap<Uuid, Origin>,
    /// Whether the nodes table held any row before the import.
    any_stored: bool,
}
