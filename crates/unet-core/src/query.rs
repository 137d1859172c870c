//! Filters and keyset pagination shared by the store, the API and the CLI.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    ChangeAction, ChangeSource, CoreError, EntityType, NodeStatus, Platform, Result, Timestamp,
};

pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 1000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeFilter {
    pub status: Option<NodeStatus>,
    pub role: Option<String>,
    pub vendor: Option<String>,
    pub platform: Option<Platform>,
    /// Nodes at this location or any location below it.
    pub location_id: Option<Uuid>,
    /// Case-insensitive substring of name, fqdn, serial number or management IP.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocationFilter {
    pub kind: Option<String>,
    pub parent_id: Option<Uuid>,
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkFilter {
    /// Links with this node on either side.
    pub node_id: Option<Uuid>,
    pub circuit_id: Option<String>,
    pub provider: Option<String>,
    /// Case-insensitive substring of name, interfaces or circuit id.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeFilter {
    pub entity_type: Option<EntityType>,
    pub entity_id: Option<Uuid>,
    pub action: Option<ChangeAction>,
    pub source: Option<ChangeSource>,
    pub actor: Option<String>,
    pub since: Option<Timestamp>,
}

/// A page request: at most `limit` items after the opaque `cursor` of the previous page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<String>,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            limit: DEFAULT_PAGE_SIZE,
            cursor: None,
        }
    }
}

impl PageRequest {
    pub fn new(limit: u32, cursor: Option<String>) -> Result<Self> {
        if limit == 0 || limit > MAX_PAGE_SIZE {
            return Err(CoreError::invalid(
                "limit",
                format!("1 to {MAX_PAGE_SIZE}"),
                limit.to_string(),
            ));
        }
        Ok(PageRequest { limit, cursor })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when more items follow; pass it back as `cursor`.
    pub next_cursor: Option<String>,
    /// Items matching the filter across all pages.
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_bounded() {
        assert!(PageRequest::new(1, None).is_ok());
        assert!(PageRequest::new(1000, None).is_ok());
        assert_eq!(PageRequest::new(0, None).unwrap_err().field(), "limit");
        assert_eq!(PageRequest::new(1001, None).unwrap_err().field(), "limit");
    }
}
