//! JSON merge patch (RFC 7396): PATCH bodies are applied to the stored record, and the result
//! is validated like a full PUT body.

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorCode};
use crate::extract::value_into;

/// Applies `patch` to `target`: members set to `null` are removed, objects merge recursively,
/// anything else replaces.
pub fn merge_patch(target: &mut Value, patch: Value) {
    match patch {
        Value::Object(members) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(fields) = target {
                for (key, value) in members {
                    if value.is_null() {
                        fields.remove(&key);
                    } else {
                        merge_patch(fields.entry(key).or_insert(Value::Null), value);
                    }
                }
            }
        }
        other => *target = other,
    }
}

/// A merge patch body: a JSON object whose members name fields of the record. A member given
/// twice is refused ("duplicate field", 422 `invalid_field`) exactly as in a POST or PUT body,
/// whose records refuse it field by field, instead of the last one silently winning.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergePatch(pub Map<String, Value>);

impl<'de> Deserialize<'de> for MergePatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;

        impl<'de> Visitor<'de> for Members {
            type Value = MergePatch;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object (a merge patch)")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MergePatch, A::Error> {
                let mut members = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if members.contains_key(&key) {
                        // serde's own words for a struct field given twice.
                        return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                    }
                    let value = map.next_value()?;
                    members.insert(key, value);
                }
                Ok(MergePatch(members))
            }
        }

        deserializer.deserialize_map(Members)
    }
}

/// The draft a PATCH produces: the stored record without its derived fields (`derived`, which
/// the store recomputes), the patch applied, read as a draft.
pub fn patched_draft<D: DeserializeOwned>(
    mut current: Value,
    derived: &[&str],
    MergePatch(members): MergePatch,
) -> Result<D, Error> {
    // A member naming no field of the record is refused even when null (which RFC 7396 would
    // read as "remove", a no-op): a misspelt field must not pass silently.
    if let Value::Object(fields) = &current
        && let Some(unknown) = members.keys().find(|k| !fields.contains_key(*k))
    {
        return Err(Error::invalid_field(
            ErrorCode::UnknownField,
            unknown.clone(),
            format!("unknown field `{unknown}`: a merge patch may only set the record's fields"),
        ));
    }
    if let Value::Object(fields) = &mut current {
        for name in derived {
            fields.remove(*name);
        }
    }
    merge_patch(&mut current, Value::Object(members));
    value_into(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn follows_rfc_7396() {
        // The example of RFC 7396 §3.
        let mut doc = json!({"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"},
            "tags": ["example", "sample"], "content": "This will be unchanged"});
        merge_patch(
            &mut doc,
            json!({"title": "Hello!", "phoneNumber": "+01-123-456-7890",
                "author": {"familyName": null}, "tags": ["example"]}),
        );
        assert_eq!(
            doc,
            json!({"title": "Hello!", "author": {"givenName": "John"}, "tags": ["example"],
                "content": "This will be unchanged", "phoneNumber": "+01-123-456-7890"})
        );
    }

    fn members(v: Value) -> MergePatch {
        match v {
            Value::Object(m) => MergePatch(m),
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn derived_fields_are_recomputed_and_unknown_members_refused() {
        let draft: unet_core::NodeDraft = patched_draft(
            json!({"name": "a", "domain": "x.net", "fqdn": "a.x.net"}),
            &["fqdn"],
            members(json!({"name": "b"})),
        )
        .unwrap();
        assert_eq!((draft.name.as_str(), draft.fqdn), ("b", None));
        let unknown = patched_draft::<unet_core::NodeDraft>(
            json!({"name": "a", "domain": null}),
            &[],
            members(json!({"colour": null})),
        );
        assert!(
            unknown.is_err(),
            "an unknown member is refused even when null"
        );
    }

    #[test]
    fn a_member_given_twice_is_refused_like_a_record_field() {
        let patch = crate::extract::parse_json::<MergePatch>(br#"{"name": "a", "name": "b"}"#);
        let record =
            crate::extract::parse_json::<unet_core::NodeDraft>(br#"{"name": "a", "name": "b"}"#);
        let problem = |e: Error| match e {
            Error::Request {
                status,
                code,
                errors,
                ..
            } => (status, code, errors),
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(problem(patch.unwrap_err()), problem(record.unwrap_err()));
        let nested = crate::extract::parse_json::<MergePatch>(br#"{"custom_data": {"a": 1}}"#);
        assert_eq!(nested.unwrap(), members(json!({"custom_data": {"a": 1}})));
    }
}
