//! A location is one place in a hierarchy (region → site → building → floor → room → rack).

use serde_json::Value;
use uuid::Uuid;

use crate::entity::{New, draft, entity};
use crate::names::{slug_input, validate_slug};
use crate::node::{clean, custom_data};
use crate::{CoreError, Result, Timestamp};

const MAX_NAME: usize = 100;

entity! {
    entity: Location, table: "locations",
    /// One place in the site hierarchy.
    pub struct Location {
        #[schema(schema_with = crate::schema::location_name)]
        pub name: String,
        /// A slug: `region`, `site`, `building`, `floor`, `room`, `rack`, …
        #[schema(schema_with = crate::schema::slug)]
        pub kind: String,
        pub parent_id: Option<Uuid>,
        pub description: Option<String>,
        #[schema(value_type = Object)]
        pub custom_data: Value,
        /// Names from the root down, joined by `/`: `Campus/Building A/Floor 1`.
        pub path: String,
    }
}

/// A location that passed [`LocationDraft::validated`]. Its `path` depends on the stored
/// tree: the store sets it ([`NewLocation::set_path`]) before comparing or writing.
pub type NewLocation = New<Location>;

impl NewLocation {
    pub fn set_path(&mut self, path: String) {
        self.record.path = path;
    }
}

draft! {
    /// Input for a location; derived and bookkeeping fields are accepted and checked by the store.
    pub struct LocationDraft {
        #[schema(schema_with = crate::schema::location_name)]
        pub name: String,
        #[schema(schema_with = crate::schema::slug_input)]
        pub kind: String,
        #[serde(default)]
        pub parent_id: Option<Uuid>,
        #[serde(default)]
        pub description: Option<String>,
        #[serde(default)]
        #[schema(value_type = Option<Object>)]
        pub custom_data: Option<Value>,
        /// Names from the root down, joined by `/` (derived: the store keeps its own).
        #[serde(default)]
        pub path: Option<String>,
    }
}

impl LocationDraft {
    pub fn validated(self) -> Result<NewLocation> {
        let given = self.given();
        let name = self.name.trim().to_string();
        // `/` separates path segments, so a name may not contain it.
        if name.is_empty()
            || name.chars().count() > MAX_NAME
            || name.contains('/')
            || name.chars().any(char::is_control)
        {
            return Err(CoreError::invalid(
                "name",
                "1-100 printable characters without '/'",
                &name,
            ));
        }
        let kind = slug_input("kind", &self.kind)?.unwrap_or_default();
        // The kind is required: a blank one is refused like any other non-slug.
        validate_slug("kind", &kind)?;
        if self.id.is_some() && self.id == self.parent_id {
            return Err(CoreError::invalid(
                "parent_id",
                "another location (a location cannot contain itself)",
                self.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            ));
        }
        let location = Location {
            id: Uuid::nil(),
            name,
            kind,
            parent_id: self.parent_id,
            description: clean(self.description),
            custom_data: custom_data(self.custom_data)?,
            path: String::new(),
            created_at: Timestamp::EPOCH,
            updated_at: Timestamp::EPOCH,
            revision: 0,
        };
        Ok(New::checked(location, given))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_name_kind_and_self_parent() {
        let ok: LocationDraft =
            serde_json::from_str(r#"{"name":" Building A ","kind":"building"}"#).unwrap();
        assert_eq!(ok.validated().unwrap().record().name, "Building A");
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
