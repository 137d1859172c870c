//! What `nodes`, `locations` and `links` do alike: show one record, add one, update one
//! without losing a concurrent change, delete one. Each group supplies only its flags and how
//! they shape a draft.

use unet_exchange::Columns;

use crate::client::{Entity, Inventory, Write};
use crate::error::{CliError, Result};
use crate::output::{OutputFormat, note, print_one};

pub async fn show<E, I>(inventory: &I, ident: &str, format: OutputFormat) -> Result<()>
where
    E: Entity + Columns,
    I: Inventory,
{
    print_one(&inventory.resolve::<E>(ident).await?, format)
}

pub async fn add<E, I>(inventory: &I, draft: E::Draft, format: OutputFormat) -> Result<()>
where
    E: Entity + Columns,
    I: Inventory,
{
    print_one(&inventory.create::<E>(draft).await?, format)
}

/// Reads the record, lets `edit` turn it into the new draft, and writes that on the revision
/// it read (or `--if-revision`). When the record changed in between and no revision was named,
/// it reads the record and applies the flags again.
pub async fn update<E, I, F>(
    inventory: &I,
    ident: &str,
    if_revision: Option<i64>,
    format: OutputFormat,
    edit: F,
) -> Result<()>
where
    E: Entity + Columns,
    I: Inventory,
    F: AsyncFn(E) -> Result<E::Draft>,
{
    loop {
        let current = inventory.resolve::<E>(ident).await?;
        let id = current.id();
        let revision = update_revision(if_revision, current.revision());
        let write = Write {
            id,
            draft: edit(current).await?,
            if_revision: revision,
        };
        match inventory.update(write).await {
            Err(e) if update_again(&e, if_revision) => continue,
            record => break print_one::<E>(&record?, format),
        }
    }
}

/// Deletes the record and says so on stderr.
pub async fn delete<E: Entity, I: Inventory>(
    inventory: &I,
    ident: &str,
    cascade: bool,
) -> Result<()> {
    let record = inventory.resolve::<E>(ident).await?;
    inventory.delete::<E>(record.id(), cascade).await?;
    note!("deleted {}", record.label());
    Ok(())
}

/// The revision an `update` writes on: the one `--if-revision` names, else the one it read, so
/// that its change never lands on a record it did not read.
fn update_revision(if_revision: Option<i64>, read: i64) -> Option<i64> {
    Some(if_revision.unwrap_or(read))
}

/// Whether an `update` that failed with `e` reads the record and applies its flags again: the
/// record changed after it was read, and the caller named no revision of their own (with
/// `--if-revision` the change is refused instead).
fn update_again(e: &CliError, if_revision: Option<i64>) -> bool {
    if_revision.is_none() && e.is_stale()
}
