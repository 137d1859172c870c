//! `[templates]`: the folder of MiniJinja templates that render intended configurations (a
//! Git repository with `content = "templates"` takes its place once a revision is live).

use std::path::PathBuf;

use super::reader::Reader;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplatesSection {
    pub dir: PathBuf,
}

impl Default for TemplatesSection {
    fn default() -> Self {
        TemplatesSection {
            dir: PathBuf::from("./templates"),
        }
    }
}

pub(super) fn templates_section(r: &mut Reader) -> TemplatesSection {
    TemplatesSection {
        dir: r.path("templates.dir", "./templates"),
    }
}

/// `--validate`: the templates folder can be listed. The default `./templates` may be absent
/// (a server that renders nothing yet); a configured one may not.
pub(super) fn readable_templates(section: &TemplatesSection) -> Result<(), String> {
    let path = section.dir.as_path();
    if !path.exists() && section.dir == TemplatesSection::default().dir {
        return Ok(());
    }
    let unreadable = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_dir() {
        return Err(format!("{} is not a folder", path.display()));
    }
    std::fs::read_dir(path).map(drop).map_err(unreadable)
}
