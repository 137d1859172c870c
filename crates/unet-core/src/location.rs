//! A location is one place in a hierarchy (region → site → building → floor → room → rack).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::names::validate_slug;
use crate::node::{clean, custom_data};
use crate::{CoreError, Result, Timestamp};

const MAX_NAME: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub id: Uuid,
    pub name: String,
    /// A slug: `region`, `site`, `building`, `floor`, `room`, `rack`, …
    pub kind: String,
    pub parent_id: Option<Uuid>,
    pub description: Option<String>,
    pub custom_data: Value,
    /// Names from the root down, joined by `/`: `Campus/Building A/Floor 1`.
    pub path: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub revision: i64,
}

/// Input for a location; derived and bookkeeping fields are accepted and checked by the store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationDraft {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub custom_data: Option<Value>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
    #[serde(default)]
    pub revision: Option<i64>,
}

impl LocationDraft {
    pub fn validated(mut self) -> Result<LocationDraft> {
        self.name = self.name.trim().to_string();
        // `/` separates path segments, so a name may not contain it.
        if self.name.is_empty()
            || self.name.chars().count() > MAX_NAME
            || self.name.contains('/')
            || self.name.chars().any(char::is_control)
        {
            return Err(CoreError::invalid(
                "name",
                "1-100 printable characters without '/'",
                &self.name,
            ));
        }
        self.kind = self.kind.trim().to_string();
        validate_slug("kind", &self.kind)?;
        self.description = clean(self.description);
        self.custom_data = Some(custom_data(self.custom_data)?);
        if self.id.is_some() && self.id == self.parent_id {
            return Err(CoreError::invalid(
                "parent_id",
                "another location (a location cannot contain itself)",
                self.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            ));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_name_kind_and_self_parent() {
        let ok: LocationDraft =
            serde_json::from_str(r#"{"name":" Building A ","kind":"building"}"#).unwrap();
        assert_eq!(ok.validated().unwrap().name, "Building A");
        let slash = LocationDraft {
            name: "A/B".into(),
            kind: "site".into(),
            ..Default::default()
        };
        assert_eq!(slash.validated().unwrap_err().field(), "name");
        let kind = LocationDraft {
            name: "A".into(),
            kind: "Big Site".into(),
            ..Default::default()
        };
        assert_eq!(kind.validated().unwrap_err().field(), "kind");
        let id = Uuid::new_v4();
        let cyc = LocationDraft {
            id: Some(id),
            parent_id: Some(id),
            name: "A".into(),
            kind: "site".into(),
            ..Default::default()
        };
        assert_eq!(cyc.validated().unwrap_err().field(), "parent_id");
    }
}
