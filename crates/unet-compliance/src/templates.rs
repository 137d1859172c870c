//! A templates folder loaded and compiled: every `*.j2`, `*.jinja` or `*.jinja2` file below it,
//! named by its path relative to the folder (`cisco-ios/base.j2`, the name `APPLY` uses).
//! Loading is all or nothing: any unreadable, oversized or invalid file refuses the whole
//! folder with one `file:line:column: message` per problem, so a half-loaded set never renders.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use unet_template::{Limits, TemplateSet};

/// File endings of template files.
pub const TEMPLATE_EXTENSIONS: &[&str] = &["j2", "jinja", "jinja2"];
/// Template files larger than this are refused rather than compiled.
pub const MAX_TEMPLATE_BYTES: u64 = 1 << 20;
/// More files than this in one folder is not a templates folder.
const MAX_TEMPLATE_FILES: usize = 10_000;

/// The compiled templates of a folder.
pub struct LoadedTemplates {
    pub dir: PathBuf,
    pub set: TemplateSet,
    /// What the files looked like when they were read: a later [`Fingerprint::of`] that
    /// differs means the folder changed.
    pub fingerprint: Fingerprint,
}

/// One template of a folder, as `unet templates list` and `GET /api/v1/templates` show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TemplateInfo {
    pub name: String,
    /// The `template-match` expression; null when the template owns the sections it renders.
    pub owns: Option<String>,
}

/// Names, sizes and modification times of a folder's template files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(Vec<(String, u64, Option<SystemTime>)>);

impl Fingerprint {
    /// The fingerprint of `dir` now (unreadable entries are left out; loading reports them).
    pub fn of(dir: &Path) -> Fingerprint {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        collect(dir, dir, &mut files, &mut problems);
        let mut entries: Vec<_> = files
            .into_iter()
            .filter_map(|(name, path)| {
                let meta = std::fs::metadata(&path).ok()?;
                Some((name, meta.len(), meta.modified().ok()))
            })
            .collect();
        entries.sort();
        Fingerprint(entries)
    }
}

impl LoadedTemplates {
    /// Every template, by name.
    pub fn list(&self) -> Vec<TemplateInfo> {
        self.set
            .names()
            .map(|name| TemplateInfo {
                name: name.to_string(),
                owns: self.set.owns(name).map(str::to_string),
            })
            .collect()
    }

    /// Reads and compiles every template file below `dir`.
    pub fn load(dir: &Path) -> Result<LoadedTemplates, Vec<String>> {
        Self::load_with(dir, Limits::default())
    }

    pub fn load_with(dir: &Path, limits: Limits) -> Result<LoadedTemplates, Vec<String>> {
        let meta = std::fs::metadata(dir).map_err(|e| {
            vec![format!(
                "{}: cannot read the templates folder: {e}",
                dir.display()
            )]
        })?;
        if !meta.is_dir() {
            return Err(vec![format!("{}: not a folder", dir.display())]);
        }
        let fingerprint = Fingerprint::of(dir);
        let mut files = Vec::new();
        let mut problems = Vec::new();
        collect(dir, dir, &mut files, &mut problems);
        if files.len() > MAX_TEMPLATE_FILES {
            return Err(vec![format!(
                "{}: {} template files, more than the {MAX_TEMPLATE_FILES} a folder may hold",
                dir.display(),
                files.len()
            )]);
        }
        files.sort();
        let mut sources = Vec::with_capacity(files.len());
        for (name, path) in files {
            match read(&path) {
                Ok(text) => sources.push((name, text)),
                Err(e) => problems.push(format!("{name}:1:1: {e}")),
            }
        }
        let compiled = TemplateSet::compile(sources, limits);
        match compiled {
            Ok(set) if problems.is_empty() => Ok(LoadedTemplates {
                dir: dir.to_path_buf(),
                set,
                fingerprint,
            }),
            Ok(_) => Err(problems),
            Err(errors) => {
                problems.extend(errors.iter().map(ToString::to_string));
                Err(problems)
            }
        }
    }
}

fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.len() > MAX_TEMPLATE_BYTES {
        return Err(format!(
            "{} bytes, more than the {MAX_TEMPLATE_BYTES} a template may hold",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Template files below `dir` as (name relative to `root` with `/` separators, path).
fn collect(
    root: &Path,
    dir: &Path,
    files: &mut Vec<(String, PathBuf)>,
    problems: &mut Vec<String>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(format!("{}: cannot read: {e}", dir.display()));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Links are not followed: a link could leave the folder or loop.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if files.len() <= MAX_TEMPLATE_FILES {
                collect(root, &path, files, problems);
            }
        } else if kind.is_file()
            && path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| TEMPLATE_EXTENSIONS.contains(&e))
        {
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.push((name, path));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &[u8]) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn a_folder_loads_by_relative_name_and_other_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "cisco-ios/base.j2",
            b"hostname {{ node.name }}\n",
        );
        write(dir.path(), "ntp.jinja", b"ntp server 10.0.0.1\n");
        write(dir.path(), "README.md", b"{% if %}");
        let loaded = LoadedTemplates::load(dir.path()).unwrap();
        let names: Vec<_> = loaded.set.names().collect();
        assert_eq!(names, ["cisco-ios/base.j2", "ntp.jinja"]);
        assert_eq!(loaded.fingerprint, Fingerprint::of(dir.path()));
        write(dir.path(), "ntp.jinja", b"ntp server 10.0.0.2\n");
        assert_ne!(loaded.fingerprint, Fingerprint::of(dir.path()));
    }

    #[test]
    fn every_problem_is_reported_with_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.j2", b"ok\n");
        write(dir.path(), "b.j2", b"line one\n{% if %}\n");
        write(dir.path(), "c.j2", &[0xff, 0xfe]);
        write(
            dir.path(),
            "big.j2",
            &vec![b'x'; (MAX_TEMPLATE_BYTES + 1) as usize],
        );
        let problems = LoadedTemplates::load(dir.path()).err().unwrap();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("big.j2:1:1: ")));
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("c.j2:1:1: not UTF-8"))
        );
        assert!(problems.iter().any(|p| p.starts_with("b.j2:2:")));
        let missing = LoadedTemplates::load(&dir.path().join("nope"))
            .err()
            .unwrap();
        assert!(
            missing[0].contains("cannot read the templates folder"),
            "{missing:?}"
        );
    }
}
