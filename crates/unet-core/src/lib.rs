//! μNet's domain: the inventory entities (locations, nodes, links), the change record written
//! with every mutation, the filters a query may use, and the validation rules an operator sees
//! when input is wrong. Everything here is pure: no I/O, no clock except where a caller passes
//! one in, so the store, the server and the CLI all agree on what "valid" means.

mod change;
mod collection;
pub mod entity;
mod error;
mod import;
mod link;
mod location;
mod names;
mod node;
mod platform;
mod polled;
mod query;
mod running_config;
mod schema;
mod text_enum;
mod timestamp;

pub use change::{ChangeAction, ChangeContext, ChangeSource, ConfigurationChange, EntityType};
pub use collection::{Begins, CliRecipe, CollectionResult, is_config_change_message};
pub use entity::{Given, New, Record, Validate};
pub use error::{CoreError, IoFailure, Result};
pub use import::{
    ImportBatch, ImportCounts, ImportDocument, ImportFailure, ImportOrigins, ImportReport,
    Inventory, Origin, OriginsMismatch, Sourced,
};
pub use link::{Link, LinkDraft, NewLink};
pub use location::{Location, LocationDraft, NewLocation};
pub use names::{
    DOMAIN_INPUT_PATTERN, HOSTNAME_INPUT_PATTERN, HOSTNAME_PATTERN, INTERFACE_PATTERN,
    LOCATION_NAME_PATTERN, OPTIONAL_SLUG_INPUT_PATTERN, SLUG_INPUT_PATTERN, SLUG_PATTERN,
    is_hostname_label, slugify, validate_domain, validate_hostname, validate_slug,
};
pub use node::{NewNode, Node, NodeDraft, NodeStatus, fqdn};
pub use platform::Platform;
pub use polled::{
    Counters, Drift, DriftKind, IfStatus, InterfaceState, LastPoll, Neighbour, NewStatusEvent,
    PollResult, PolledState, StatusEvent, StatusEventKind, SystemInfo,
};
pub use query::{ChangeFilter, LinkFilter, LocationFilter, NodeFilter, Page, PageRequest};
pub use running_config::{
    ConfigSource, Pushed, RunningConfig, RunningConfigInfo, config_text, line_count,
};
pub use timestamp::Timestamp;
pub use uuid::Uuid;

/// Namespace for ids derived from non-UUID identifiers in imported files (UUIDv5), so that
/// importing the same upstream file twice maps every record to the same id.
pub const IMPORT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6d1e_7c84_3f0a_4b1c_9a52_0e5f_7d3c_2b19);

/// The id for a record whose source file used `original` (not a UUID) as its id.
/// A string that already is a UUID keeps its value.
pub fn id_from_external(entity: EntityType, original: &str) -> Uuid {
    Uuid::parse_str(original).unwrap_or_else(|_| {
        let key = format!("{}:{original}", entity.as_str());
        Uuid::new_v5(&IMPORT_ID_NAMESPACE, key.as_bytes())
    })
}
