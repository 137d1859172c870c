//! JSON merge patch (RFC 7396): PATCH bodies are applied to the stored record, and the result
//! is validated like a full PUT body.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::Error;
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

/// The draft a PATCH produces: the stored record without its derived fields (`derived`, which
/// the store recomputes), the patch applied, read as a draft.
pub fn patched_draft<D: DeserializeOwned>(
    mut current: Value,
    derived: &[&str],
    patch: Value,
) -> Result<D, Error> {
    if !patch.is_object() {
        return Err(Error::invalid_field(
            "invalid_field",
            ".",
            "a merge patch must be a JSON object",
        ));
    }
    // A member naming no field of the record is refused even when null (which RFC 7396 would
    // read as "remove", a no-op): a misspelt field must not pass silently.
    if let (Value::Object(members), Value::Object(fields)) = (&patch, &current)
        && let Some(unknown) = members.keys().find(|k| !fields.contains_key(*k))
    {
        return Err(Error::invalid_field(
            "unknown_field",
            unknown.clone(),
            format!("unknown field `{unknown}`: a merge patch may only set the record's fields"),
        ));
    }
    if let Value::Object(fields) = &mut current {
        for name in derived {
            fields.remove(*name);
        }
    }
    merge_patch(&mut current, patch);
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

    #[test]
    fn derived_fields_are_recomputed_and_arrays_refused() {
        let draft: unet_core::NodeDraft = patched_draft(
            json!({"name": "a", "domain": "x.net", "fqdn": "a.x.net"}),
            &["fqdn"],
            json!({"name": "b"}),
        )
        .unwrap();
        assert_eq!((draft.name.as_str(), draft.fqdn), ("b", None));
        assert!(patched_draft::<unet_core::NodeDraft>(json!({}), &[], json!([1])).is_err());
        let unknown = patched_draft::<unet_core::NodeDraft>(
            json!({"name": "a", "domain": null}),
            &[],
            json!({"colour": null}),
        );
        assert!(
            unknown.is_err(),
            "an unknown member is refused even when null"
        );
    }
}
