//! `unet links`: connections between node interfaces, and external circuits (no Z side).

use clap::{Args, Subcommand};
use unet_core::{Link, LinkDraft, LinkFilter, Node};

use super::{CustomDataArgs, PageArgs, entity, list_pages, replace, resolve_reference, text};
use crate::client::Backend;
use crate::error::Result;
use crate::output::{Names, OutputFormat, Reference, Summary, name_of};

#[derive(Debug, Subcommand)]
pub enum LinksCommand {
    /// List links, filtered and paged.
    List {
        #[command(flatten)]
        filter: ListArgs,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one link (by UUID or name).
    Show { link: String },
    /// Create a link; without --node-z it is an external circuit.
    Add(AddArgs),
    /// Change the given fields of a link.
    Update(UpdateArgs),
    /// Delete a link.
    Delete { link: String },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Links with this node (UUID, name or FQDN) on either side.
    #[arg(long)]
    pub node: Option<String>,
    #[arg(long)]
    pub circuit_id: Option<String>,
    #[arg(long)]
    pub provider: Option<String>,
    /// Case-insensitive substring of name, interfaces or circuit id.
    #[arg(long)]
    pub q: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// A-side node (UUID, name or FQDN).
    #[arg(long)]
    pub node_a: String,
    #[arg(long)]
    pub interface_a: String,
    #[command(flatten)]
    pub fields: LinkFields,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The link to change (UUID or name).
    pub link: String,
    #[arg(long)]
    pub node_a: Option<String>,
    #[arg(long)]
    pub interface_a: Option<String>,
    /// Refuse the update unless the link is still at this revision.
    #[arg(long)]
    pub if_revision: Option<i64>,
    #[command(flatten)]
    pub fields: LinkFields,
}

#[derive(Debug, Clone, Args)]
pub struct LinkFields {
    #[arg(long)]
    pub name: Option<String>,
    /// Z-side node (UUID, name or FQDN); empty in `update` makes the link external.
    #[arg(long)]
    pub node_z: Option<String>,
    #[arg(long)]
    pub interface_z: Option<String>,
    #[arg(long)]
    pub bandwidth_bps: Option<i64>,
    #[arg(long)]
    pub circuit_id: Option<String>,
    #[arg(long)]
    pub provider: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    #[command(flatten)]
    pub custom: CustomDataArgs,
}

impl Summary for Link {
    const HEADERS: &'static [&'static str] = &[
        "NAME",
        "NODE A",
        "INTERFACE A",
        "NODE Z",
        "INTERFACE Z",
        "BANDWIDTH BPS",
        "CIRCUIT",
        "ID",
    ];

    fn summary(&self, names: &Names) -> Vec<String> {
        vec![
            text(&self.name),
            name_of(names, Some(self.node_a_id)),
            self.interface_a.clone(),
            name_of(names, self.node_z_id),
            text(&self.interface_z),
            self.bandwidth_bps
                .map(|b| b.to_string())
                .unwrap_or_default(),
            text(&self.circuit_id),
            self.id.to_string(),
        ]
    }

    fn references(&self) -> Vec<Reference> {
        let mut nodes = vec![Reference::Node(self.node_a_id)];
        nodes.extend(self.node_z_id.map(Reference::Node));
        nodes
    }
}

pub async fn run<B: Backend>(backend: &B, cmd: LinksCommand, format: OutputFormat) -> Result<()> {
    match cmd {
        LinksCommand::List { filter: args, page } => {
            let node_id = match &args.node {
                Some(ident) => Some(backend.resolve::<Node>(ident).await?.id),
                None => None,
            };
            let filter = LinkFilter {
                node_id,
                circuit_id: args.circuit_id,
                provider: args.provider,
                q: args.q,
            };
            list_pages(backend, &page, format, async |p| {
                backend.list::<Link>(&filter, &p).await
            })
            .await
        }
        LinksCommand::Show { link } => entity::show::<Link, _>(backend, &link, format).await,
        LinksCommand::Add(args) => {
            let draft = LinkDraft {
                node_a_id: backend.resolve::<Node>(&args.node_a).await?.id,
                interface_a: args.interface_a,
                ..LinkDraft::default()
            };
            let draft = apply(backend, draft, args.fields).await?;
            entity::add::<Link, _>(backend, draft, format).await
        }
        LinksCommand::Update(args) => {
            entity::update(
                backend,
                &args.link,
                args.if_revision,
                format,
                async |current| edited(backend, current, &args).await,
            )
            .await
        }
        LinksCommand::Delete { link } => entity::delete::<Link, _>(backend, &link, false).await,
    }
}

/// The link as `update` leaves it: the flags given applied to what is stored.
async fn edited<B: Backend>(backend: &B, current: Link, args: &UpdateArgs) -> Result<LinkDraft> {
    let node_a_id = match &args.node_a {
        Some(ident) => backend.resolve::<Node>(ident).await?.id,
        None => current.node_a_id,
    };
    let draft = LinkDraft {
        id: Some(current.id),
        name: current.name,
        node_a_id,
        interface_a: args.interface_a.clone().unwrap_or(current.interface_a),
        node_z_id: current.node_z_id,
        interface_z: current.interface_z,
        bandwidth_bps: current.bandwidth_bps,
        circuit_id: current.circuit_id,
        provider: current.provider,
        description: current.description,
        custom_data: Some(current.custom_data),
        ..LinkDraft::default()
    };
    apply(backend, draft, args.fields.clone()).await
}

async fn apply<B: Backend>(
    backend: &B,
    mut draft: LinkDraft,
    fields: LinkFields,
) -> Result<LinkDraft> {
    replace(&mut draft.name, fields.name);
    replace(&mut draft.bandwidth_bps, fields.bandwidth_bps);
    replace(&mut draft.circuit_id, fields.circuit_id);
    replace(&mut draft.provider, fields.provider);
    replace(&mut draft.description, fields.description);
    if let Some(node_z) = resolve_reference(fields.node_z.as_deref(), async |ident| {
        Ok(backend.resolve::<Node>(ident).await?.id)
    })
    .await?
    {
        draft.node_z_id = node_z;
        if node_z.is_none() {
            // An external circuit has no Z interface either.
            draft.interface_z = None;
        }
    }
    replace(&mut draft.interface_z, fields.interface_z);
    draft.custom_data = fields.custom.apply(draft.custom_data);
    Ok(draft)
}
