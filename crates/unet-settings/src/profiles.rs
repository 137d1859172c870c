//! What `[[collect.profiles]]` and `[[snmp.profiles]]` share: reading the list of tables
//! (unique names, problems under each table's key), the default profile, profile names and
//! platforms, and refusing secret files others may read.

use toml::{Table, Value};
use unet_core::Platform;

use super::reader::Reader;

/// `[[<section>.profiles]]`: each table read by `read` (its problems under
/// `<section>.profiles[i]`), names unique.
pub(super) fn read_profiles<P>(
    r: &mut Reader,
    section: &str,
    profiles: Option<Value>,
    read: fn(&mut Reader, &str, Table) -> Option<P>,
    name: fn(&P) -> &str,
) -> Vec<P> {
    let tables = match profiles {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            r.problem(
                &format!("{section}.profiles"),
                format!("expected [[{section}.profiles]] tables, got {other}"),
            );
            Vec::new()
        }
    };
    let mut read_ones: Vec<P> = Vec::new();
    for (i, item) in tables.into_iter().enumerate() {
        let key = format!("{section}.profiles[{i}]");
        let Value::Table(table) = item else {
            r.problem(&key, "expected a table with a name and its secret files");
            continue;
        };
        if let Some(profile) = read(r, &key, table) {
            if read_ones.iter().any(|p| name(p) == name(&profile)) {
                r.problem(
                    &format!("{key}.name"),
                    format!("{:?} is used by another profile", name(&profile)),
                );
            } else {
                read_ones.push(profile);
            }
        }
    }
    read_ones
}

/// `<section>.default_profile` must name one of the profiles.
pub(super) fn check_default(
    r: &mut Reader,
    section: &str,
    default: Option<&str>,
    exists: impl Fn(&str) -> bool,
) {
    if let Some(name) = default
        && !exists(name)
    {
        r.problem(
            &format!("{section}.default_profile"),
            format!("no [[{section}.profiles]] is named {name:?}"),
        );
    }
}

/// A profile's `platforms`: a list of platform names; each wrong one is a problem.
pub(super) fn profile_platforms(
    value: Option<Value>,
    problem: &mut dyn FnMut(String),
) -> Vec<Platform> {
    let Some(value) = value else {
        return Vec::new();
    };
    let Some(names) = strings(&value) else {
        problem(format!("expected a list of platform names, got {value}"));
        return Vec::new();
    };
    names
        .iter()
        .filter_map(|n| {
            n.parse::<Platform>()
                .map_err(|e| problem(e.to_string()))
                .ok()
        })
        .collect()
}

/// A profile's name: a slug, or a problem under `key`.
pub(super) fn profile_name(
    name: Option<String>,
    key: &str,
    problems: &mut Vec<super::Problem>,
) -> Option<String> {
    match name {
        Some(name) if unet_core::validate_slug("name", &name).is_ok() => Some(name),
        Some(name) => {
            problems.push(super::Problem::new(
                format!("{key}.name"),
                format!("expected a slug (letters, digits, - and _), got {name:?}"),
            ));
            None
        }
        None => {
            problems.push(super::Problem::new(
                format!("{key}.name"),
                "missing: a slug naming the profile",
            ));
            None
        }
    }
}

/// A secret file that group or others may read is refused: device credentials open the network.
pub(super) fn open_to_others(file: &std::path::Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} is readable by group or others (mode {:o}); `chmod 600` it",
            file.display(),
            mode & 0o777
        )
    })
}

pub(super) fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}
