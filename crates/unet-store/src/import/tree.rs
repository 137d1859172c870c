//! The location tree as an import will leave it: stored rows overlaid with the batch's
//! accepted records, used to check parents, cycles and sibling names before anything is written.

use std::collections::HashMap;

use unet_core::{Location, Timestamp, Uuid};

use super::Step;
use super::plan::{Valid, holder, step};
use crate::exchange::Origin;

/// The location tree as it will be after the import: stored rows overlaid with accepted
/// batch records, plus the sibling-name index and the batch records that failed.
#[derive(Default)]
pub(crate) struct LocationTree {
    pub(super) nodes: HashMap<Uuid, (String, Option<Uuid>)>,
    pub(super) siblings: HashMap<(Option<Uuid>, String), (Uuid, Option<Origin>)>,
    pub(super) failed: HashMap<Uuid, Origin>,
}

impl LocationTree {
    /// Names from the root down to `id`, or `None` when the chain is broken or loops.
    fn path(&self, id: Uuid) -> Option<String> {
        let mut names = Vec::new();
        let mut at = Some(id);
        while let Some(current) = at {
            if names.len() > self.nodes.len() {
                return None;
            }
            let (name, parent) = self.nodes.get(&current)?;
            names.push(name.as_str());
            at = *parent;
        }
        names.reverse();
        Some(names.join("/"))
    }

    fn is_below(&self, candidate: Uuid, ancestor: Uuid) -> bool {
        let mut at = Some(candidate);
        let mut steps = 0;
        while let Some(current) = at {
            if current == ancestor {
                return true;
            }
            steps += 1;
            if steps > self.nodes.len() {
                return true;
            }
            at = self.nodes.get(&current).and_then(|(_, p)| *p);
        }
        false
    }

    /// A reference check for `field` = `id` of a record described by `record`.
    pub(super) fn check_reference(&self, field: &str, id: Uuid) -> Result<(), String> {
        if self.nodes.contains_key(&id) {
            return Ok(());
        }
        Err(match self.failed.get(&id) {
            Some(origin) => format!("{field} {id}: that location ({origin}) failed to import"),
            None => format!("{field} {id}: no such location in the database or in this import"),
        })
    }

    pub(super) fn accept(
        &mut self,
        r: &Valid<Location>,
        stored: Option<&Location>,
        now: Timestamp,
    ) -> Result<Step<Location>, String> {
        let d = r.new.record();
        if let Some(parent) = d.parent_id {
            self.check_reference("parent_id", parent)?;
            if self.is_below(parent, r.id) {
                return Err(format!(
                    "parent_id {parent}: is {} itself or below it (no cycles)",
                    r.id
                ));
            }
        }
        let key = (d.parent_id, d.name.clone());
        if let Some((other, origin)) = self.siblings.get(&key)
            && *other != r.id
        {
            return Err(format!(
                "name {:?}: already used under the same parent by {}",
                d.name,
                holder("location", *other, origin.as_ref())
            ));
        }
        if let Some(old) = stored {
            let old_key = (old.parent_id, old.name.clone());
            if self
                .siblings
                .get(&old_key)
                .is_some_and(|(id, _)| *id == r.id)
            {
                self.siblings.remove(&old_key);
            }
        }
        self.siblings.insert(key, (r.id, Some(r.origin.clone())));
        self.nodes.insert(r.id, (d.name.clone(), d.parent_id));
        let path = self
            .path(r.id)
            .ok_or_else(|| format!("parent_id: the location tree above {} is broken", r.id))?;
        let mut new = r.new.clone();
        new.set_path(path);
        Ok(step(r.id, new, stored, now))
    }
}
