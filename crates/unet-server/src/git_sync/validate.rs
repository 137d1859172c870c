//! What a revision must pass before it goes live: rule files load without errors, template
//! files compile. Messages are `file:line:column: message` relative to the checkout.

use std::path::Path;

use unet_compliance::LoadedPolicies;

use crate::config::Content;

/// File endings of template files.
const TEMPLATE_EXTENSIONS: &[&str] = &["j2", "jinja", "jinja2"];
/// Template files larger than this are refused rather than compiled.
const MAX_TEMPLATE_BYTES: u64 = 1 << 20;

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

fn template_problems(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    collect_templates(dir, dir, &mut files, &mut problems);
    files.sort();
    for file in files {
        let name = relative(dir, &file.display().to_string());
        match std::fs::metadata(&file) {
            Ok(meta) if meta.len() > MAX_TEMPLATE_BYTES => {
                problems.push(format!(
                    "{name}:1:1: {} bytes, more than the {MAX_TEMPLATE_BYTES} a template may hold",
                    meta.len()
                ));
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                problems.push(format!("{name}:1:1: cannot read: {e}"));
                continue;
            }
        }
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                problems.push(format!("{name}:1:1: cannot read as UTF-8 text: {e}"));
                continue;
            }
        };
        if let Err(e) = compile_template(&name, &text) {
            problems.push(e);
        }
    }
    problems
}

/// Compiles `text` with MiniJinja (syntax only: nothing is rendered).
fn compile_template(name: &str, text: &str) -> Result<(), String> {
    let mut env = minijinja::Environment::new();
    env.add_template(name, text).map_err(|e| {
        let line = e.line().unwrap_or(1);
        let detail = e.detail().unwrap_or("invalid template");
        format!("{name}:{line}:1: {}: {detail}", e.kind())
    })
}

fn collect_templates(
    root: &Path,
    dir: &Path,
    files: &mut Vec<std::path::PathBuf>,
    problems: &mut Vec<String>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(format!(
                "{}: cannot read: {e}",
                relative(root, &dir.display().to_string())
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // The checkout holds no links out of itself and none to folders (unet-git checks).
        if path.is_dir() {
            collect_templates(root, &path, files, problems);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| TEMPLATE_EXTENSIONS.contains(&e))
        {
            files.push(path);
        }
    }
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
