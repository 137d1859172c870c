//! `unet changes`: the change history of the whole inventory.

use clap::{Args, Subcommand};
use unet_core::{
    ChangeAction, ChangeFilter, ChangeSource, ConfigurationChange, EntityType, Link, Location,
    Node, Timestamp, Uuid,
};

use super::{PageArgs, list_pages, text};
use crate::client::Backend;
use crate::error::Result;
use crate::output::{Names, OutputFormat, Summary};

#[derive(Debug, Subcommand)]
pub enum ChangesCommand {
    /// List changes, newest first.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// location, node or link.
    #[arg(long)]
    pub entity_type: Option<EntityType>,
    /// The entity's UUID, or its name when --entity-type is given.
    #[arg(long)]
    pub entity: Option<String>,
    /// create, update or delete.
    #[arg(long)]
    pub action: Option<ChangeAction>,
    /// api, cli, import, policy, git or snmp.
    #[arg(long)]
    pub source: Option<ChangeSource>,
    #[arg(long)]
    pub actor: Option<String>,
    /// Only changes at or after this RFC 3339 time.
    #[arg(long)]
    pub since: Option<Timestamp>,
    #[command(flatten)]
    pub page: PageArgs,
}

impl Summary for ConfigurationChange {
    const HEADERS: &'static [&'static str] = &[
        "TIME",
        "ENTITY",
        "ENTITY ID",
        "ACTION",
        "ACTOR",
        "SOURCE",
        "REQUEST",
    ];

    fn summary(&self, _names: &Names) -> Vec<String> {
        vec![
            self.created_at.to_string(),
            self.entity_type.as_str().to_string(),
            self.entity_id.to_string(),
            self.action.as_str().to_string(),
            self.actor.clone(),
            self.source.as_str().to_string(),
            text(&self.request_id),
        ]
    }
}

pub async fn run<B: Backend>(backend: &B, cmd: ChangesCommand, format: OutputFormat) -> Result<()> {
    let ChangesCommand::List(args) = cmd;
    let entity_id = match (&args.entity, args.entity_type) {
        (None, _) => None,
        (Some(ident), kind) => Some(entity_id(backend, ident, kind).await?),
    };
    let filter = ChangeFilter {
        entity_type: args.entity_type,
        entity_id,
        action: args.action,
        source: args.source,
        actor: args.actor,
        since: args.since,
    };
    list_pages(backend, &args.page, format, async |p| {
        backend.changes(&filter, &p).await
    })
    .await
}

/// A UUID is taken as is (deleted entities keep their history); a name is resolved against
/// the live records of the given type.
async fn entity_id<B: Backend>(backend: &B, ident: &str, kind: Option<EntityType>) -> Result<Uuid> {
    if let Ok(id) = Uuid::parse_str(ident) {
        return Ok(id);
    }
    match kind {
        Some(EntityType::Node) => Ok(backend.resolve::<Node>(ident).await?.id),
        Some(EntityType::Location) => Ok(backend.resolve::<Location>(ident).await?.id),
        Some(EntityType::Link) => Ok(backend.resolve::<Link>(ident).await?.id),
        None => Err(unet_core::CoreError::invalid(
            "entity",
            "a UUID, or a name together with --entity-type",
            ident,
        )
        .into()),
    }
}
