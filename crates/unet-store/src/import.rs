//! Import: validate everything, plan every record against the database and the rest of the
//! batch (dependencies first), then write the plan with multi-row statements in one
//! transaction. Planning happens before any write, so a failing record either rolls the whole
//! import back or, with `continue_on_error`, is simply left out of the plan. Tables the import
//! fills from empty get their secondary indexes built after the rows (SQLite, see [`bulk`]).

mod bulk;
mod plan;
mod tree;

use unet_core::{ChangeContext, ChangeSource, EntityType, Link, Location, Node, Record, Timestamp};

use crate::changes::{self, Change};
use crate::db::{Sql, Statement};
use crate::exchange::{
    ImportBatch, ImportCounts, ImportFailure, ImportOptions, ImportReport, Origin,
};
use crate::records::{self, Entity};
use crate::{Result, Store, StoreError, locations};

use bulk::DeferredIndexes;
use plan::Plan;

/// What to do with one record.
pub(crate) enum Step<T> {
    Create(T),
    Update { before: T, after: T },
    Unchanged,
}

impl<T> Step<T> {
    fn count(&self, counts: &mut ImportCounts) {
        match self {
            Step::Create(_) => counts.created += 1,
            Step::Update { .. } => counts.updated += 1,
            Step::Unchanged => counts.unchanged += 1,
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
        // The plan reads the location tree and the stored rows it replaces: the tree is
        // locked against other location writers, the rows against other updates.
        locations::lock_tree(&self.db, &mut tx).await?;
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
            .for_each(|s| s.count(&mut report.locations));
        plan.nodes.iter().for_each(|s| s.count(&mut report.nodes));
        plan.links.iter().for_each(|s| s.count(&mut report.links));
        if !report.failures.is_empty() && !opts.continue_on_error {
            tx.rollback().await?;
            return Ok(report);
        }

        let deferred = DeferredIndexes::drop_on_empty_tables(&self.db, &mut tx).await?;
        // Statements are built and their values encoded on a blocking thread and executed here
        // as they arrive, so preparing the next chunk overlaps with the database writing the
        // previous one.
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Work>(4);
        let writer_ctx = ctx.clone();
        let db = self.db.clone();
        let producer = tokio::task::spawn_blocking(move || {
            let send = |work: Work| sender.blocking_send(work).is_ok();
            let prepare = |sql: Sql| db.prepare(sql);
            let (locations, nodes, links) = (plan.locations, plan.nodes, plan.links);
            build_writes(&writer_ctx, now, locations, nodes, links, prepare, send);
        });
        while let Some(work) = receiver.recv().await {
            match work {
                Work::Statement(statement) => {
                    self.db.execute_prepared(&mut tx, statement).await?;
                }
                Work::Done(done) => progress(done),
            }
        }
        producer.await.map_err(|e| {
            StoreError::Database(sqlx::Error::Protocol(format!("import writer stopped: {e}")))
        })?;
        deferred.rebuild(&self.db, &mut tx).await?;
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

/// What the statement builder hands the executor.
enum Work {
    Statement(Statement),
    /// Records written so far, for progress.
    Done(u64),
}

/// Every write of the plan in dependency order: locations (creates, whose parents come
/// first, then updates), nodes, links (updates first, so a link moving off an interface frees
/// it for a new one), then the change rows. Stops when `send` reports the executor is gone.
fn build_writes(
    ctx: &ChangeContext,
    now: Timestamp,
    location_steps: Vec<Step<Location>>,
    node_steps: Vec<Step<Node>>,
    link_steps: Vec<Step<Link>>,
    prepare: impl Fn(Sql) -> Statement,
    send: impl Fn(Work) -> bool,
) {
    let send_all = |statements: &mut dyn Iterator<Item = Sql>, done: u64| {
        for sql in statements {
            if !send(Work::Statement(prepare(sql))) {
                return false;
            }
        }
        send(Work::Done(done))
    };
    let mut log = Vec::new();
    let mut done = 0u64;
    let (created, updated) = split(location_steps, &mut log);
    let mut statements = records::insert_sql(&created).chain(
        updated
            .iter()
            .flat_map(|(b, a)| Location::rewrite_sql(b, a)),
    );
    done += (created.len() + updated.len()) as u64;
    if !send_all(&mut statements, done) {
        return;
    }
    let (created, updated) = split(node_steps, &mut log);
    let mut statements = records::insert_sql(&created)
        .chain(updated.iter().flat_map(|(b, a)| Node::rewrite_sql(b, a)));
    done += (created.len() + updated.len()) as u64;
    if !send_all(&mut statements, done) {
        return;
    }
    let (created, updated) = split(link_steps, &mut log);
    let mut statements = updated
        .iter()
        .flat_map(|(b, a)| Link::rewrite_sql(b, a))
        .chain(records::insert_sql(&created));
    done += (created.len() + updated.len()) as u64;
    if !send_all(&mut statements, done) {
        return;
    }
    send_all(
        &mut changes::record_sql(ctx, ChangeSource::Import, now, log),
        done,
    );
}

/// Separates creates and updates, appending their change rows to `log` in plan order.
fn split<T: Record>(steps: Vec<Step<T>>, log: &mut Vec<Change>) -> (Vec<T>, Vec<(T, T)>) {
    let mut created = Vec::new();
    let mut updated = Vec::new();
    for step in steps {
        match step {
            Step::Create(row) => {
                log.push(Change::new(T::ENTITY, row.id(), None, Some(&row)));
                created.push(row);
            }
            Step::Update { before, after } => {
                log.push(Change::new(
                    T::ENTITY,
                    after.id(),
                    Some(&before),
                    Some(&after),
                ));
                updated.push((before, after));
            }
            Step::Unchanged => {}
        }
    }
    (created, updated)
}
