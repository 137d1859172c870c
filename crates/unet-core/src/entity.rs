//! One declaration per stored entity. [`entity!`] declares the struct the API, the exports
//! and the policy engine see, and from the same list of fields its [`Record`] description:
//! the table, the fields with their storage kind, and the conversion to and from a list of
//! [`FieldValue`]s that the store binds and reads by kind. The CSV columns, the policy
//! language's field names and the OpenAPI schemas all come from that one list.

use serde_json::Value;
use uuid::Uuid;

use crate::{CoreError, EntityType, NodeStatus, Platform, Result, Timestamp};

/// How a field is stored. Every kind travels as text except integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Uuid,
    Text,
    /// One of a fixed set of names (`status`, `platform`).
    Enum,
    /// A JSON document (`custom_data`).
    Json,
    Timestamp,
    Integer,
}

/// One field of a stored entity: its name (the JSON key and the column), kind, and whether
/// it may be absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub optional: bool,
}

/// A field's value in its stored form: text or a 64-bit integer, `None` for SQL `NULL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(Option<String>),
    Integer(Option<i64>),
}

impl FieldValue {
    fn null(kind: Kind) -> FieldValue {
        match kind {
            Kind::Integer => FieldValue::Integer(None),
            _ => FieldValue::Text(None),
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, FieldValue::Text(None) | FieldValue::Integer(None))
    }

    fn into_text(self, field: &'static str) -> Result<String> {
        match self {
            FieldValue::Text(Some(text)) => Ok(text),
            FieldValue::Text(None) | FieldValue::Integer(None) => Err(CoreError::Missing { field }),
            FieldValue::Integer(Some(n)) => Err(CoreError::invalid(field, "text", n.to_string())),
        }
    }
}

/// A Rust type a field of an entity may have, with its storage kind.
pub trait FieldType: Sized {
    const KIND: Kind;
    const OPTIONAL: bool = false;
    fn to_value(&self) -> FieldValue;
    fn from_value(field: &'static str, value: FieldValue) -> Result<Self>;
}

impl FieldType for String {
    const KIND: Kind = Kind::Text;
    fn to_value(&self) -> FieldValue {
        FieldValue::Text(Some(self.clone()))
    }
    fn from_value(field: &'static str, value: FieldValue) -> Result<Self> {
        value.into_text(field)
    }
}

impl FieldType for i64 {
    const KIND: Kind = Kind::Integer;
    fn to_value(&self) -> FieldValue {
        FieldValue::Integer(Some(*self))
    }
    fn from_value(field: &'static str, value: FieldValue) -> Result<Self> {
        match value {
            FieldValue::Integer(Some(n)) => Ok(n),
            FieldValue::Integer(None) | FieldValue::Text(None) => Err(CoreError::Missing { field }),
            FieldValue::Text(Some(text)) => Err(CoreError::invalid(field, "an integer", text)),
        }
    }
}

impl FieldType for Uuid {
    const KIND: Kind = Kind::Uuid;
    fn to_value(&self) -> FieldValue {
        FieldValue::Text(Some(self.to_string()))
    }
    fn from_value(field: &'static str, value: FieldValue) -> Result<Self> {
        let text = value.into_text(field)?;
        Uuid::parse_str(&text).map_err(|_| CoreError::invalid(field, "a UUID", text))
    }
}

impl FieldType for Timestamp {
    const KIND: Kind = Kind::Timestamp;
    fn to_value(&self) -> FieldValue {
        FieldValue::Text(Some(self.to_string()))
    }
    fn from_value(field: &'static str, value: FieldValue) -> Result<Self> {
        let text = value.into_text(field)?;
        text.parse()
            .map_err(|_| CoreError::invalid(field, "an RFC 3339 timestamp", text))
    }
}

impl FieldType for Value {
    const KIND: Kind = Kind::Json;
    fn to_value(&self) -> FieldValue {
        FieldValue::Text(Some(self.to_string()))
    }
    fn from_value(field: &'static str, value: FieldValue) -> Result<Self> {
        let text = value.into_text(field)?;
        serde_json::from_str(&text).map_err(|_| CoreError::invalid(field, "JSON", text))
    }
}

/// Enums stored by their `text_enum!` name.
macro_rules! enum_field {
    ($($ty:ty),+) => {$(
        impl FieldType for $ty {
            const KIND: Kind = Kind::Enum;
            fn to_value(&self) -> FieldValue {
                FieldValue::Text(Some(self.as_str().to_string()))
            }
            fn from_value(field: &'static str, value: FieldValue) -> Result<Self> {
                value.into_text(field)?.parse()
            }
        }
    )+};
}
enum_field!(NodeStatus, Platform);

impl<T: FieldType> FieldType for Option<T> {
    const KIND: Kind = T::KIND;
    const OPTIONAL: bool = true;
    fn to_value(&self) -> FieldValue {
        match self {
            Some(v) => v.to_value(),
            None => FieldValue::null(T::KIND),
        }
    }
    fn from_value(field: &'static str, value: FieldValue) -> Result<Self> {
        if value.is_null() {
            Ok(None)
        } else {
            T::from_value(field, value).map(Some)
        }
    }
}

/// The next field of a record read by [`Record::from_values`].
pub(crate) fn next_field<T: FieldType>(
    values: &mut impl Iterator<Item = FieldValue>,
    field: &'static str,
) -> Result<T> {
    let value = values.next().ok_or(CoreError::Missing { field })?;
    T::from_value(field, value)
}

/// A stored entity as [`entity!`] describes it: every record has an `id`, then its own
/// fields, then `created_at`, `updated_at` and `revision`.
pub trait Record: Clone + PartialEq + serde::Serialize {
    const ENTITY: EntityType;
    const TABLE: &'static str;
    /// Every field in declaration order (the column, JSON and CSV order).
    const FIELDS: &'static [Field];
    /// The names of [`Record::FIELDS`], for consumers that need only those.
    const NAMES: &'static [&'static str];
    /// The field names joined by `, `, for `SELECT` and `INSERT` column lists.
    const COLUMNS: &'static str;
    /// The values of one record, in [`Record::FIELDS`] order.
    type Values: IntoIterator<Item = FieldValue>;

    fn id(&self) -> Uuid;
    fn revision(&self) -> i64;
    fn created_at(&self) -> Timestamp;
    fn values(&self) -> Self::Values;
    /// The record from its values in [`Record::FIELDS`] order; an error names the field.
    fn from_values(values: impl IntoIterator<Item = FieldValue>) -> Result<Self>;
    /// Whether two records say the same apart from their bookkeeping (id, times, revision).
    fn same_content(&self, other: &Self) -> bool;
    /// Sets the bookkeeping fields.
    fn stamp(&mut self, id: Uuid, created_at: Timestamp, updated_at: Timestamp, revision: i64);
}

/// Declares a stored entity: the struct with its serde and OpenAPI derives, an `id` first and
/// the bookkeeping fields last, and its [`Record`] description. Field attributes (docs,
/// `#[schema(…)]`) pass through to the struct.
macro_rules! entity {
    (
        entity: $entity:ident, table: $table:literal,
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub struct $name {
            pub id: uuid::Uuid,
            $( $(#[$fmeta])* #[schema(required = true)] pub $field: $ty, )+
            #[schema(value_type = String, format = DateTime)]
            pub created_at: $crate::Timestamp,
            #[schema(value_type = String, format = DateTime)]
            pub updated_at: $crate::Timestamp,
            /// Increments on every update; the HTTP ETag.
            pub revision: i64,
        }

        impl $crate::entity::Record for $name {
            const ENTITY: $crate::EntityType = $crate::EntityType::$entity;
            const TABLE: &'static str = $table;
            const FIELDS: &'static [$crate::entity::Field] = &[
                $crate::entity::Field { name: "id", kind: $crate::entity::Kind::Uuid, optional: false },
                $($crate::entity::Field {
                    name: stringify!($field),
                    kind: <$ty as $crate::entity::FieldType>::KIND,
                    optional: <$ty as $crate::entity::FieldType>::OPTIONAL,
                },)+
                $crate::entity::Field { name: "created_at", kind: $crate::entity::Kind::Timestamp, optional: false },
                $crate::entity::Field { name: "updated_at", kind: $crate::entity::Kind::Timestamp, optional: false },
                $crate::entity::Field { name: "revision", kind: $crate::entity::Kind::Integer, optional: false },
            ];
            const NAMES: &'static [&'static str] =
                &["id", $(stringify!($field),)+ "created_at", "updated_at", "revision"];
            const COLUMNS: &'static str =
                concat!("id", $(", ", stringify!($field),)+ ", created_at, updated_at, revision");
            type Values = [$crate::entity::FieldValue; 4 $(+ { let _ = stringify!($field); 1 })+];

            fn id(&self) -> uuid::Uuid {
                self.id
            }

            fn revision(&self) -> i64 {
                self.revision
            }

            fn created_at(&self) -> $crate::Timestamp {
                self.created_at
            }

            fn values(&self) -> Self::Values {
                use $crate::entity::FieldType;
                [
                    self.id.to_value(),
                    $(self.$field.to_value(),)+
                    self.created_at.to_value(),
                    self.updated_at.to_value(),
                    self.revision.to_value(),
                ]
            }

            fn from_values(
                values: impl IntoIterator<Item = $crate::entity::FieldValue>,
            ) -> $crate::Result<Self> {
                use $crate::entity::next_field as next;
                let values = &mut values.into_iter();
                Ok($name {
                    id: next(values, "id")?,
                    $($field: next(values, stringify!($field))?,)+
                    created_at: next(values, "created_at")?,
                    updated_at: next(values, "updated_at")?,
                    revision: next(values, "revision")?,
                })
            }

            fn same_content(&self, other: &Self) -> bool {
                true $(&& self.$field == other.$field)+
            }

            fn stamp(
                &mut self,
                id: uuid::Uuid,
                created_at: $crate::Timestamp,
                updated_at: $crate::Timestamp,
                revision: i64,
            ) {
                self.id = id;
                self.created_at = created_at;
                self.updated_at = updated_at;
                self.revision = revision;
            }
        }
    };
}
pub(crate) use entity;

/// Declares an entity's draft: what a client, a CLI flag or an import file supplies. It adds
/// the bookkeeping fields (`id`, `created_at`, `updated_at`, `revision`), accepted so that an
/// exported or fetched record can be sent back as is, and `given()` to read them.
macro_rules! draft {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            #[serde(default)]
            pub id: Option<uuid::Uuid>,
            $( $(#[$fmeta])* pub $field: $ty, )+
            #[serde(default)]
            #[schema(value_type = Option<String>, format = DateTime)]
            pub created_at: Option<$crate::Timestamp>,
            #[serde(default)]
            #[schema(value_type = Option<String>, format = DateTime)]
            pub updated_at: Option<$crate::Timestamp>,
            /// The revision being replaced, like If-Match: 412 when it is not the stored one,
            /// 422 when If-Match names another.
            #[serde(default)]
            pub revision: Option<i64>,
        }

        impl $name {
            fn given(&self) -> $crate::entity::Given {
                $crate::entity::Given {
                    id: self.id,
                    created_at: self.created_at,
                    updated_at: self.updated_at,
                    revision: self.revision,
                }
            }
        }
    };
}
pub(crate) use draft;

/// A validated draft: the record it describes with its canonical content, and the
/// bookkeeping its draft named (kept by an import, checked by an update). Only a draft's
/// `validated()` makes one, so a value of this type has passed every rule of the data model.
#[derive(Debug, Clone, PartialEq)]
pub struct New<T> {
    pub(crate) record: T,
    given: Given,
}

/// The bookkeeping fields a draft may carry (an exported or fetched record sent back as is).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Given {
    pub id: Option<Uuid>,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    pub revision: Option<i64>,
}

impl<T: Record> New<T> {
    /// `record`: the validated content; the store assigns its bookkeeping fields.
    pub(crate) fn checked(record: T, given: Given) -> Self {
        New { record, given }
    }

    /// The content. Its bookkeeping fields are not assigned yet (nil id,
    /// [`Timestamp::EPOCH`], revision 0): [`New::into_record`] sets them when the store writes.
    pub fn record(&self) -> &T {
        &self.record
    }

    pub fn given(&self) -> &Given {
        &self.given
    }

    /// Whether `stored` already says what this draft says.
    pub fn same_content(&self, stored: &T) -> bool {
        self.record.same_content(stored)
    }

    /// The record to store, with its bookkeeping decided by the store.
    pub fn into_record(
        mut self,
        id: Uuid,
        created_at: Timestamp,
        updated_at: Timestamp,
        revision: i64,
    ) -> T {
        self.record.stamp(id, created_at, updated_at, revision);
        self.record
    }
}

/// What the store's create and update accept: a draft, validated once at the store's door,
/// or a record already validated (a server validates before it weighs `If-Match`).
pub trait Validate<T> {
    fn into_valid(self) -> Result<New<T>>;
}

impl<T: Record> Validate<T> for New<T> {
    fn into_valid(self) -> Result<New<T>> {
        Ok(self)
    }
}

macro_rules! validate_draft {
    ($($draft:ty => $record:ty),+) => {$(
        impl Validate<$record> for $draft {
            fn into_valid(self) -> Result<New<$record>> {
                self.validated()
            }
        }
    )+};
}
validate_draft!(
    crate::NodeDraft => crate::Node,
    crate::LocationDraft => crate::Location,
    crate::LinkDraft => crate::Link
);
