//! `unet locations`: the location hierarchy (site → building → floor → room → rack).

use clap::{Args, Subcommand};
use unet_core::{Location, LocationDraft, LocationFilter};

use super::{CustomDataArgs, PageArgs, entity, list_pages, replace, resolve_reference, text};
use crate::client::Backend;
use crate::error::Result;
use crate::output::{Names, OutputFormat, Summary};

#[derive(Debug, Subcommand)]
pub enum LocationsCommand {
    /// List locations, filtered and paged.
    List {
        #[command(flatten)]
        filter: ListArgs,
        #[command(flatten)]
        page: PageArgs,
    },
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

pub async fn run<B: Backend>(
    backend: &B,
    cmd: LocationsCommand,
    format: OutputFormat,
) -> Result<()> {
    match cmd {
        LocationsCommand::List { filter: args, page } => {
            let parent_id = match &args.parent {
                Some(ident) => Some(backend.resolve::<Location>(ident).await?.id),
                None => None,
            };
            let filter = LocationFilter {
                kind: args.kind,
                parent_id,
                q: args.q,
            };
            list_pages(backend, &page, format, async |p| {
                backend.list::<Location>(&filter, &p).await
            })
            .await
        }
        LocationsCommand::Show { location } => {
            entity::show::<Location, _>(backend, &location, format).await
        }
        LocationsCommand::Add(args) => {
            let draft = LocationDraft {
                name: args.name,
                kind: args.kind,
                ..LocationDraft::default()
            };
            let draft = apply(backend, draft, args.fields).await?;
            entity::add::<Location, _>(backend, draft, format).await
        }
        LocationsCommand::Update(args) => {
            entity::update(
                backend,
                &args.location,
                args.if_revision,
                format,
                async |current| edited(backend, current, &args).await,
            )
            .await
        }
        LocationsCommand::Delete { location, cascade } => {
            entity::delete::<Location, _>(backend, &location, cascade).await
        }
    }
}

/// The location as `update` leaves it: the flags given applied to what is stored.
async fn edited<B: Backend>(
    backend: &B,
    current: Location,
    args: &UpdateArgs,
) -> Result<LocationDraft> {
    let draft = LocationDraft {
        id: Some(current.id),
        name: args.name.clone().unwrap_or(current.name),
        kind: args.kind.clone().unwrap_or(current.kind),
        parent_id: current.parent_id,
        description: current.description,
        custom_data: Some(current.custom_data),
        ..LocationDraft::default()
    };
    apply(backend, draft, args.fields.clone()).await
}

async fn apply<B: Backend>(
    backend: &B,
    mut draft: LocationDraft,
    fields: LocationFields,
) -> Result<LocationDraft> {
    replace(&mut draft.description, fields.description);
    if let Some(parent) = resolve_reference(fields.parent.as_deref(), async |ident| {
        Ok(backend.resolve::<Location>(ident).await?.id)
    })
    .await?
    {
        draft.parent_id = parent;
    }
    draft.custom_data = fields.custom.apply(draft.custom_data);
    Ok(draft)
}
