//! The change record: one row per create, update or delete of an entity, written in the same
//! transaction as the mutation, never edited afterwards.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::Timestamp;
use crate::text_enum::text_enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    Location,
    Node,
    Link,
}

text_enum!(EntityType, "entity_type", [Location => "location", Node => "node", Link => "link"]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    Create,
    Update,
    Delete,
}

text_enum!(ChangeAction, "action", [Create => "create", Update => "update", Delete => "delete"]);

/// Which way into μNet a change came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    Api,
    Cli,
    Import,
    Policy,
    Git,
    Snmp,
}

text_enum!(ChangeSource, "source", [
    Api => "api", Cli => "cli", Import => "import", Policy => "policy", Git => "git", Snmp => "snmp",
]);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigurationChange {
    pub id: Uuid,
    pub entity_type: EntityType,
    pub entity_id: Uuid,
    pub action: ChangeAction,
    /// User or API key name, or `system`.
    pub actor: String,
    pub source: ChangeSource,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub request_id: Option<String>,
    pub created_at: Timestamp,
}

/// Who is changing the inventory and through which door; every mutation takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeContext {
    pub actor: String,
    pub source: ChangeSource,
    pub request_id: Option<String>,
}

impl ChangeContext {
    pub fn new(actor: impl Into<String>, source: ChangeSource) -> Self {
        ChangeContext {
            actor: actor.into(),
            source,
            request_id: None,
        }
    }

    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }
}
