//! `unet nodes`: list, show, add, update, delete and the change history of nodes.

use clap::{Args, Subcommand};
use unet_core::{ChangeSource, Node, NodeDraft, NodeFilter, NodeStatus, Platform};

use super::{
    CustomDataArgs, PageArgs, list_pages, replace, resolve_reference, text, update_again,
    update_revision,
};
use crate::client::{Client, context};
use crate::error::Result;
use crate::output::{Names, OutputFormat, Reference, Summary, name_of, note, print_one};

#[derive(Debug, Subcommand)]
pub enum NodesCommand {
    /// List nodes, filtered and paged.
    List(ListArgs),
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
    #[command(flatten)]
    pub page: PageArgs,
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

pub async fn run(client: &Client, cmd: NodesCommand, format: OutputFormat) -> Result<()> {
    let ctx = context(ChangeSource::Cli);
    match cmd {
        NodesCommand::List(args) => {
            let location_id = match &args.location {
                Some(ident) => Some(client.resolve_location(ident).await?.id),
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
            list_pages(client, &args.page, format, async |p| {
                client.list_nodes(&filter, &p).await
            })
            .await
        }
        NodesCommand::Show { node } => print_one(&client.resolve_node(&node).await?, format),
        NodesCommand::Add(args) => {
            let draft = NodeDraft {
                name: args.name,
                ..NodeDraft::default()
            };
            let draft = apply(client, draft, args.fields).await?;
            print_one(&client.create_node(&ctx, draft).await?, format)
        }
        NodesCommand::Update(args) => loop {
            let current = client.resolve_node(&args.node).await?;
            let mut draft = editable(&current);
            if let Some(name) = &args.name {
                draft.name = name.clone();
            }
            let draft = apply(client, draft, args.fields.clone()).await?;
            let revision = update_revision(args.if_revision, current.revision);
            match client.update_node(&ctx, current.id, draft, revision).await {
                Err(e) if update_again(&e, args.if_revision) => continue,
                node => break print_one(&node?, format),
            }
        },
        NodesCommand::Delete { node, cascade } => {
            let node = client.resolve_node(&node).await?;
            client.delete_node(&ctx, node.id, cascade).await?;
            note!("deleted node {} ({})", node.fqdn, node.id);
            Ok(())
        }
        NodesCommand::History { node, page } => {
            let node = client.resolve_node(&node).await?;
            list_pages(client, &page, format, async |p| {
                client.node_history(node.id, &p).await
            })
            .await
        }
    }
}

/// The stored node as a draft, without the derived and bookkeeping fields the store sets.
fn editable(node: &Node) -> NodeDraft {
    NodeDraft {
        id: Some(node.id),
        name: node.name.clone(),
        domain: node.domain.clone(),
        vendor: node.vendor.clone(),
        platform: Some(node.platform),
        model: node.model.clone(),
        role: node.role.clone(),
        status: Some(node.status),
        location_id: node.location_id,
        management_ip: node.management_ip.clone(),
        serial_number: node.serial_number.clone(),
        asset_tag: node.asset_tag.clone(),
        custom_data: Some(node.custom_data.clone()),
        ..NodeDraft::default()
    }
}

async fn apply(client: &Client, mut draft: NodeDraft, fields: NodeFields) -> Result<NodeDraft> {
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
        Ok(client.resolve_location(ident).await?.id)
    })
    .await?
    {
        draft.location_id = location;
    }
    draft.custom_data = fields.custom.apply(draft.custom_data);
    Ok(draft)
}
