//! `unet nodes`: list, show, add, update, delete and the change history of nodes, and their
//! polled state (`commands/polling.rs`).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use unet_core::{Location, Node, NodeDraft, NodeFilter, NodeStatus, Platform};

use super::{CustomDataArgs, PageArgs, entity, list_pages, replace, resolve_reference, text};
use crate::client::Backend;
use crate::error::Result;
use crate::output::{Names, OutputFormat, Reference, Summary, name_of};

#[derive(Debug, Subcommand)]
pub enum NodesCommand {
    /// List nodes, filtered and paged.
    List {
        #[command(flatten)]
        filter: ListArgs,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one node (by UUID, name or FQDN).
    Show { node: String },
    /// Create a node.
    Add(AddArgs),
    /// Change the given fields of a node; other fields keep their values.
    Update(UpdateArgs),
    /// Delete a node (refused while links reference it, unless --cascade).
    Delete {
        node: String,
        /// Also delete the links that reference the node.
        #[arg(long)]
        cascade: bool,
    },
    /// The change history of a node, newest first.
    History {
        node: String,
        #[command(flatten)]
        page: PageArgs,
    },
    #[command(flatten)]
    Polled(super::polling::PolledCommand),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub status: Option<NodeStatus>,
    #[arg(long)]
    pub role: Option<String>,
    #[arg(long)]
    pub vendor: Option<String>,
    #[arg(long)]
    pub platform: Option<Platform>,
    /// Nodes at this location (UUID, name or path) or anywhere below it.
    #[arg(long)]
    pub location: Option<String>,
    /// Case-insensitive substring of name, FQDN, serial number or management IP.
    #[arg(long)]
    pub q: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Host name (the first label of the FQDN).
    pub name: String,
    #[command(flatten)]
    pub fields: NodeFields,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The node to change (UUID, name or FQDN).
    pub node: String,
    /// Rename the node.
    #[arg(long)]
    pub name: Option<String>,
    /// Refuse the update unless the node is still at this revision.
    #[arg(long)]
    pub if_revision: Option<i64>,
    #[command(flatten)]
    pub fields: NodeFields,
}

/// Node fields settable from flags; in `update`, an empty value clears an optional field.
#[derive(Debug, Clone, Args)]
pub struct NodeFields {
    #[arg(long)]
    pub domain: Option<String>,
    #[arg(long)]
    pub vendor: Option<String>,
    /// Config dialect; inferred from the vendor when not given.
    #[arg(long)]
    pub platform: Option<Platform>,
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long)]
    pub role: Option<String>,
    #[arg(long)]
    pub status: Option<NodeStatus>,
    /// Location UUID, name or path.
    #[arg(long)]
    pub location: Option<String>,
    #[arg(long)]
    pub management_ip: Option<String>,
    #[arg(long)]
    pub serial_number: Option<String>,
    #[arg(long)]
    pub asset_tag: Option<String>,
    #[command(flatten)]
    pub custom: CustomDataArgs,
}

impl Summary for Node {
    const HEADERS: &'static [&'static str] = &[
        "NAME", "DOMAIN", "VENDOR", "PLATFORM", "MODEL", "ROLE", "STATUS", "LOCATION", "MGMT IP",
        "ID",
    ];

    fn summary(&self, names: &Names) -> Vec<String> {
        vec![
            self.name.clone(),
            text(&self.domain),
            text(&self.vendor),
            self.platform.as_str().to_string(),
            text(&self.model),
            text(&self.role),
            self.status.as_str().to_string(),
            name_of(names, self.location_id),
            text(&self.management_ip),
            self.id.to_string(),
        ]
    }

    fn references(&self) -> Vec<Reference> {
        self.location_id
            .map(Reference::Location)
            .into_iter()
            .collect()
    }
}

pub async fn run<B: Backend>(
    backend: &B,
    cmd: NodesCommand,
    format: OutputFormat,
) -> Result<ExitCode> {
    let done = match cmd {
        NodesCommand::Polled(cmd) => return super::polling::run_polled(backend, cmd, format).await,
        NodesCommand::List { filter: args, page } => {
            let location_id = match &args.location {
                Some(ident) => Some(backend.resolve::<Location>(ident).await?.id),
                None => None,
            };
            let filter = NodeFilter {
                status: args.status,
                role: args.role,
                vendor: args.vendor,
                platform: args.platform,
                location_id,
                q: args.q,
            };
            list_pages(backend, &page, format, async |p| {
                backend.list::<Node>(&filter, &p).await
            })
            .await
        }
        NodesCommand::Show { node } => entity::show::<Node, _>(backend, &node, format).await,
        NodesCommand::Add(args) => {
            let draft = NodeDraft {
                name: args.name,
                ..NodeDraft::default()
            };
            let draft = apply(backend, draft, args.fields).await?;
            entity::add::<Node, _>(backend, draft, format).await
        }
        NodesCommand::Update(args) => {
            entity::update(
                backend,
                &args.node,
                args.if_revision,
                format,
                async |current| edited(backend, current, &args).await,
            )
            .await
        }
        NodesCommand::Delete { node, cascade } => {
            entity::delete::<Node, _>(backend, &node, cascade).await
        }
        NodesCommand::History { node, page } => {
            let node = backend.resolve::<Node>(&node).await?;
            list_pages(backend, &page, format, async |p| {
                backend.node_history(node.id, &p).await
            })
            .await
        }
    };
    done.map(|()| ExitCode::SUCCESS)
}

/// The node as `update` leaves it: the flags given applied to what is stored (without the
/// derived and bookkeeping fields the store sets).
async fn edited<B: Backend>(backend: &B, current: Node, args: &UpdateArgs) -> Result<NodeDraft> {
    let draft = NodeDraft {
        id: Some(current.id),
        name: args.name.clone().unwrap_or(current.name),
        domain: current.domain,
        vendor: current.vendor,
        platform: Some(current.platform),
        model: current.model,
        role: current.role,
        status: Some(current.status),
        location_id: current.location_id,
        management_ip: current.management_ip,
        serial_number: current.serial_number,
        asset_tag: current.asset_tag,
        custom_data: Some(current.custom_data),
        ..NodeDraft::default()
    };
    apply(backend, draft, args.fields.clone()).await
}

async fn apply<B: Backend>(
    backend: &B,
    mut draft: NodeDraft,
    fields: NodeFields,
) -> Result<NodeDraft> {
    replace(&mut draft.domain, fields.domain);
    replace(&mut draft.vendor, fields.vendor);
    replace(&mut draft.platform, fields.platform);
    replace(&mut draft.model, fields.model);
    replace(&mut draft.role, fields.role);
    replace(&mut draft.status, fields.status);
    replace(&mut draft.management_ip, fields.management_ip);
    replace(&mut draft.serial_number, fields.serial_number);
    replace(&mut draft.asset_tag, fields.asset_tag);
    if let Some(location) = resolve_reference(fields.location.as_deref(), async |ident| {
        Ok(backend.resolve::<Location>(ident).await?.id)
    })
    .await?
    {
        draft.location_id = location;
    }
    draft.custom_data = fields.custom.apply(draft.custom_data);
    Ok(draft)
}
