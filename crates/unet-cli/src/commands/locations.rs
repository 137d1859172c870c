//! `unet locations`: the location hierarchy (site → building → floor → room → rack).

use clap::{Args, Subcommand};
use unet_core::{ChangeSource, Location, LocationDraft, LocationFilter};

use super::{
    CustomDataArgs, PageArgs, list_pages, replace, resolve_reference, text, update_again,
    update_revision,
};
use crate::client::{Client, context};
use crate::error::Result;
use crate::output::{Names, OutputFormat, Summary, note, print_one};

#[derive(Debug, Subcommand)]
pub enum LocationsCommand {
    /// List locations, filtered and paged.
    List(ListArgs),
    /// Show one location (by UUID, name or path such as "Campus/Building A").
    Show { location: String },
    /// Create a location.
    Add(AddArgs),
    /// Change the given fields of a location.
    Update(UpdateArgs),
    /// Delete a location (refused while children or nodes reference it, unless --cascade).
    Delete {
        location: String,
        /// Also delete the locations below it, their nodes and those nodes' links.
        #[arg(long)]
        cascade: bool,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub kind: Option<String>,
    /// Only the direct children of this location (UUID, name or path).
    #[arg(long)]
    pub parent: Option<String>,
    /// Case-insensitive substring of the name.
    #[arg(long)]
    pub q: Option<String>,
    #[command(flatten)]
    pub page: PageArgs,
}

#[derive(Debug, Clone, Args)]
pub struct LocationFields {
    /// Parent location (UUID, name or path); empty in `update` makes it a root.
    #[arg(long)]
    pub parent: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    #[command(flatten)]
    pub custom: CustomDataArgs,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub name: String,
    /// A slug: region, site, building, floor, room, rack, …
    #[arg(long)]
    pub kind: String,
    #[command(flatten)]
    pub fields: LocationFields,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The location to change (UUID, name or path).
    pub location: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub kind: Option<String>,
    /// Refuse the update unless the location is still at this revision.
    #[arg(long)]
    pub if_revision: Option<i64>,
    #[command(flatten)]
    pub fields: LocationFields,
}

impl Summary for Location {
    const HEADERS: &'static [&'static str] = &["PATH", "KIND", "DESCRIPTION", "ID"];

    fn summary(&self, _names: &Names) -> Vec<String> {
        vec![
            self.path.clone(),
            self.kind.clone(),
            text(&self.description),
            self.id.to_string(),
        ]
    }
}

pub async fn run(client: &Client, cmd: LocationsCommand, format: OutputFormat) -> Result<()> {
    let ctx = context(ChangeSource::Cli);
    match cmd {
        LocationsCommand::List(args) => {
            let parent_id = match &args.parent {
                Some(ident) => Some(client.resolve_location(ident).await?.id),
                None => None,
            };
            let filter = LocationFilter {
                kind: args.kind,
                parent_id,
                q: args.q,
            };
            list_pages(client, &args.page, format, async |p| {
                client.list_locations(&filter, &p).await
            })
            .await
        }
        LocationsCommand::Show { location } => {
            print_one(&client.resolve_location(&location).await?, format)
        }
        LocationsCommand::Add(args) => {
            let draft = LocationDraft {
                name: args.name,
                kind: args.kind,
                ..LocationDraft::default()
            };
            let draft = apply(client, draft, args.fields).await?;
            print_one(&client.create_location(&ctx, draft).await?, format)
        }
        LocationsCommand::Update(args) => loop {
            let current = client.resolve_location(&args.location).await?;
            let revision = update_revision(args.if_revision, current.revision);
            let mut draft = LocationDraft {
                id: Some(current.id),
                name: args.name.clone().unwrap_or(current.name),
                kind: args.kind.clone().unwrap_or(current.kind),
                parent_id: current.parent_id,
                description: current.description,
                custom_data: Some(current.custom_data),
                ..LocationDraft::default()
            };
            draft = apply(client, draft, args.fields.clone()).await?;
            match client
                .update_location(&ctx, current.id, draft, revision)
                .await
            {
                Err(e) if update_again(&e, args.if_revision) => continue,
                location => break print_one(&location?, format),
            }
        },
        LocationsCommand::Delete { location, cascade } => {
            let location = client.resolve_location(&location).await?;
            client.delete_location(&ctx, location.id, cascade).await?;
            note!("deleted location {} ({})", location.path, location.id);
            Ok(())
        }
    }
}

async fn apply(
    client: &Client,
    mut draft: LocationDraft,
    fields: LocationFields,
) -> Result<LocationDraft> {
    replace(&mut draft.description, fields.description);
    if let Some(parent) = resolve_reference(fields.parent.as_deref(), async |ident| {
        Ok(client.resolve_location(ident).await?.id)
    })
    .await?
    {
        draft.parent_id = parent;
    }
    draft.custom_data = fields.custom.apply(draft.custom_data);
    Ok(draft)
}
