//! `[templates]`: the folder of MiniJinja templates that render intended configurations
//! (default `<data.dir>/templates`; a Git repository with `content = "templates"` takes its
//! place once a revision is live).

use std::path::{Path, PathBuf};

use super::reader::Reader;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplatesSection {
    pub dir: PathBuf,
    /// Whether `templates.dir` was given (else it is the default under `data.dir`).
    pub configured: bool,
}

impl Default for TemplatesSection {
    fn default() -> Self {
        TemplatesSection {
            dir: PathBuf::from("./data/templates"),
            configured: false,
        }
    }
}

pub(super) fn templates_section(r: &mut Reader, data_dir: &Path) -> TemplatesSection {
    match r.opt_path("templates.dir") {
        Some(dir) => TemplatesSection {
            dir,
            configured: true,
        },
        None => TemplatesSection {
            dir: data_dir.join("templates"),
            configured: false,
        },
    }
}

/// `--validate`: the templates folder can be listed. The default `<data.dir>/templates` may be
/// absent (a server that renders nothing yet); a configured one may not.
pub(super) fn readable_templates(section: &TemplatesSection) -> Result<(), String> {
    let path = section.dir.as_path();
    if !path.exists() && !section.configured {
        return Ok(());
    }
    let unreadable = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_dir() {
        return Err(format!("{} is not a folder", path.display()));
    }
    std::fs::read_dir(path).map(drop).map_err(unreadable)
}
