//! What a revision must pass before it goes live: rule files load without errors, template
//! files compile. Messages are `file:line:column: message` relative to the checkout.

use std::path::Path;

use unet_compliance::{LoadedPolicies, LoadedTemplates};

use crate::config::Content;

pub(super) fn validate(content: Content, dir: &Path) -> Result<(), Vec<String>> {
    let problems = match content {
        Content::Policies => policy_problems(dir),
        Content::Templates => template_problems(dir),
    };
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn relative(dir: &Path, file: &str) -> String {
    Path::new(file)
        .strip_prefix(dir)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| file.to_string())
}

fn policy_problems(dir: &Path) -> Vec<String> {
    match LoadedPolicies::load(dir) {
        Ok(loaded) => loaded
            .diagnostics
            .errors()
            .map(|d| {
                format!(
                    "{}:{}:{}: {}",
                    relative(dir, &d.file),
                    d.line,
                    d.column,
                    d.message
                )
            })
            .collect(),
        Err(e) => vec![format!(".: {e}")],
    }
}

/// The folder must load as a whole: the same loader renders it once it is live.
fn template_problems(dir: &Path) -> Vec<String> {
    LoadedTemplates::load(dir).err().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_must_compile_and_rules_must_load() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("ios")).unwrap();
        std::fs::write(dir.path().join("ios/base.j2"), "hostname {{ node.name }}\n").unwrap();
        std::fs::write(dir.path().join("README.md"), "{% not a template").unwrap();
        assert_eq!(validate(Content::Templates, dir.path()), Ok(()));
        std::fs::write(
            dir.path().join("ios/broken.j2"),
            "line one\n{% if node.name %}\nno end\n",
        )
        .unwrap();
        let problems = validate(Content::Templates, dir.path()).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("ios/broken.j2:"), "{problems:?}");

        let rules = tempfile::tempdir().unwrap();
        std::fs::write(
            rules.path().join("a.rules"),
            "WHEN node.vendor == \"cisco\" THEN ASSERT node.status IS \"active\"\n",
        )
        .unwrap();
        assert_eq!(validate(Content::Policies, rules.path()), Ok(()));
        std::fs::write(rules.path().join("b.rules"), "WHEN node.vendor ==\n").unwrap();
        let problems = validate(Content::Policies, rules.path()).unwrap_err();
        assert!(problems[0].starts_with("b.rules:"), "{problems:?}");
    }
}
