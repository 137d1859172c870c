//! Import: validate everything, plan every record against the database and the rest of the
//! batch (dependencies first), then write the plan with multi-row statements in one
//! transaction. Planning happens before any write, so a failing record either rolls the whole
//! import back or, with `continue_on_error`, is simply left out of the plan.

mod plan;
mod tree;

use unet_core::{ChangeContext, ChangeSource, EntityType, Timestamp};

use crate::changes::{self, Change};
use crate::exchange::{
    ImportBatch, ImportCounts, ImportFailure, ImportOptions, ImportReport, Origin,
};
use crate::{Result, Store, links, locations, nodes};

use plan::Plan;

/// What to do with one record.
pub(crate) enum Step<T> {
    Create(T),
    Update { before: T, after: T },
    Unchanged,
}

impl ImportCounts {
    fn count<T>(&mut self, step: &Step<T>) {
        match step {
            Step::Create(_) => self.created += 1,
            Step::Update { .. } => self.updated += 1,
            Step::Unchanged => self.unchanged += 1,
        }
    }
}

pub(crate) fn failure(
    entity: EntityType,
    origin: &Origin,
    message: impl Into<String>,
) -> ImportFailure {
    ImportFailure {
        entity,
        origin: origin.clone(),
        message: message.into(),
    }
}

impl Store {
    /// Imports a batch: upsert by id, records equal to the stored ones left untouched, every
    /// write with a change row of source `import`. All or nothing unless
    /// `opts.continue_on_error`; `opts.dry_run` plans and writes, then rolls back.
    pub async fn import(
        &self,
        ctx: &ChangeContext,
        batch: ImportBatch,
        opts: &ImportOptions,
    ) -> Result<ImportReport> {
        let total = (batch.locations.len() + batch.nodes.len() + batch.links.len()) as u64;
        let progress = |done: u64| {
            if let Some(p) = &opts.progress {
                p(done, total);
            }
        };
        progress(0);
        let now = Timestamp::now();
        let mut tx = self.begin_write().await?;
        let plan = Plan::build(&self.db, &mut tx, batch, now).await?;
        let mut report = ImportReport {
            failures: plan.failures,
            ..ImportReport::default()
        };
        for f in &report.failures {
            match f.entity {
                EntityType::Location => report.locations.failed += 1,
                EntityType::Node => report.nodes.failed += 1,
                EntityType::Link => report.links.failed += 1,
            }
        }
        plan.locations
            .iter()
            .for_each(|s| report.locations.count(s));
        plan.nodes.iter().for_each(|s| report.nodes.count(s));
        plan.links.iter().for_each(|s| report.links.count(s));
        if !report.failures.is_empty() && !opts.continue_on_error {
            tx.rollback().await?;
            return Ok(report);
        }

        let mut log = Vec::new();
        let (created, updated) = split(plan.locations, EntityType::Location, &mut log);
        locations::insert(&self.db, &mut tx, &created).await?;
        for (before, after) in &updated {
            locations::rewrite(&self.db, &mut tx, before, after).await?;
        }
        let mut done = (created.len() + updated.len()) as u64;
        progress(done);

        let (created, updated) = split(plan.nodes, EntityType::Node, &mut log);
        nodes::insert(&self.db, &mut tx, &created).await?;
        for (_, after) in &updated {
            nodes::rewrite(&self.db, &mut tx, after).await?;
        }
        done += (created.len() + updated.len()) as u64;
        progress(done);

        // Updates first: a link moving off an interface frees it for a new one.
        let (created, updated) = split(plan.links, EntityType::Link, &mut log);
        for (_, after) in &updated {
            links::rewrite(&self.db, &mut tx, after).await?;
        }
        links::insert(&self.db, &mut tx, &created).await?;
        changes::record(&self.db, &mut tx, ctx, ChangeSource::Import, now, log).await?;
        progress(total);

        if opts.dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
            report.committed = true;
        }
        Ok(report)
    }
}

/// Separates creates and updates, appending their change rows to `log` in plan order.
fn split<T: serde::Serialize + HasId>(
    steps: Vec<Step<T>>,
    entity: EntityType,
    log: &mut Vec<Change>,
) -> (Vec<T>, Vec<(T, T)>) {
    let mut created = Vec::new();
    let mut updated = Vec::new();
    for step in steps {
        match step {
            Step::Create(row) => {
                log.push(Change::new(entity, row.id(), None, Some(&row)));
                created.push(row);
            }
            Step::Update { before, after } => {
                log.push(Change::new(entity, after.id(), Some(&before), Some(&after)));
                updated.push((before, after));
            }
            Step::Unchanged => {}
        }
    }
    (created, updated)
}

pub(crate) trait HasId {
    fn id(&self) -> unet_core::Uuid;
}

impl HasId for unet_core::Location {
    fn id(&self) -> unet_core::Uuid {
        self.id
    }
}
impl HasId for unet_core::Node {
    fn id(&self) -> unet_core::Uuid {
        self.id
    }
}
impl HasId for unet_core::Link {
    fn id(&self) -> unet_core::Uuid {
        self.id
    }
}
