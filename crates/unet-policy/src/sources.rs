//! Which files hold rules, and in what order they load. Pure over names: reading the files
//! is the caller's job.

use std::path::Path;

/// File extensions that hold rules.
pub const POLICY_EXTENSIONS: [&str; 2] = ["rules", "policy"];

/// True for `*.rules` and `*.policy`.
pub fn is_policy_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| POLICY_EXTENSIONS.contains(&e))
}

/// Keeps the policy files of a listing (for example a recursive directory walk) and orders
/// them lexically by path, component by component, so loading order is reproducible.
pub fn policy_files<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Vec<P> {
    let mut files: Vec<P> = paths
        .into_iter()
        .filter(|p| is_policy_file(p.as_ref()))
        .collect();
    files.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn keeps_rules_and_policy_files_in_lexical_order() {
        let listing = [
            "p/b.policy",
            "p/a/z.rules",
            "p/README.md",
            "p/a.rules",
            "p/c.rules.bak",
            "p/10.rules",
            "p/rules",
        ]
        .map(PathBuf::from);
        let ordered: Vec<String> = policy_files(listing)
            .into_iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            ordered,
            ["p/10.rules", "p/a/z.rules", "p/a.rules", "p/b.policy"]
        );
    }
}
