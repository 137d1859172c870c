//! Writes one folder of a commit's tree into a fresh directory, within limits: every object's
//! size is read from its header before it is loaded, names cannot leave the directory, and a
//! symbolic link must end at a file inside the checkout.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use gix::objs::tree::EntryKind;

use crate::error::{GitError, Result};

/// Bounds on what one checkout may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Files, links and folders together.
    pub max_entries: usize,
    pub max_file_bytes: u64,
    pub max_total_bytes: u64,
    /// Folder nesting below the checkout root.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 50_000,
            max_file_bytes: 16 << 20,
            max_total_bytes: 512 << 20,
            max_depth: 32,
        }
    }
}

pub(crate) struct Writer<'r> {
    repo: &'r gix::Repository,
    limits: Limits,
    commit: String,
    entries: usize,
    bytes: u64,
    links: Vec<PathBuf>,
}

impl<'r> Writer<'r> {
    pub(crate) fn new(repo: &'r gix::Repository, limits: Limits, commit: String) -> Writer<'r> {
        Writer {
            repo,
            limits,
            commit,
            entries: 0,
            bytes: 0,
            links: Vec::new(),
        }
    }

    fn refuse(&self, path: &Path, message: impl Into<String>) -> GitError {
        GitError::Refused {
            commit: self.commit.clone(),
            path: if path.as_os_str().is_empty() {
                ".".to_string()
            } else {
                path.display().to_string()
            },
            message: message.into(),
        }
    }

    /// Writes `tree` into `root` (an empty directory), then checks every link it wrote.
    pub(crate) fn write(mut self, tree: gix::ObjectId, root: &Path) -> Result<()> {
        self.write_tree(tree, root, Path::new(""), 0)?;
        let canonical_root = root.canonicalize().map_err(|e| GitError::io(root, e))?;
        for link in std::mem::take(&mut self.links) {
            let target = root.join(&link).canonicalize();
            match target {
                Ok(t) if t.starts_with(&canonical_root) && t.is_file() => {}
                _ => {
                    return Err(self.refuse(
                        &link,
                        "symbolic link does not end at a file inside the checkout",
                    ));
                }
            }
        }
        Ok(())
    }

    fn write_tree(
        &mut self,
        id: gix::ObjectId,
        dir: &Path,
        rel: &Path,
        depth: usize,
    ) -> Result<()> {
        if depth > self.limits.max_depth {
            return Err(self.refuse(
                rel,
                format!("folders nested deeper than {}", self.limits.max_depth),
            ));
        }
        let tree = self
            .repo
            .find_tree(id)
            .map_err(|e| GitError::git(format!("reading tree {id}"), e))?;
        for entry in tree.iter() {
            let entry = entry.map_err(|e| GitError::git(format!("decoding tree {id}"), e))?;
            let name = OsStr::from_bytes(entry.filename());
            let child_rel = rel.join(name);
            self.check_name(name, &child_rel)?;
            self.entries += 1;
            if self.entries > self.limits.max_entries {
                return Err(self.refuse(
                    &child_rel,
                    format!("more than {} files and folders", self.limits.max_entries),
                ));
            }
            let child = dir.join(name);
            let oid = entry.oid().to_owned();
            match entry.mode().kind() {
                EntryKind::Tree => {
                    std::fs::create_dir(&child).map_err(|e| GitError::io(&child, e))?;
                    self.write_tree(oid, &child, &child_rel, depth + 1)?;
                }
                EntryKind::Blob | EntryKind::BlobExecutable => {
                    let data = self.blob(oid, &child_rel)?;
                    let mut file = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&child)
                        .map_err(|e| GitError::io(&child, e))?;
                    file.write_all(&data).map_err(|e| GitError::io(&child, e))?;
                }
                EntryKind::Link => {
                    let data = self.blob(oid, &child_rel)?;
                    let target = Path::new(OsStr::from_bytes(&data));
                    if !stays_inside(rel, target) {
                        return Err(self.refuse(
                            &child_rel,
                            format!("symbolic link to {} leaves the checkout", target.display()),
                        ));
                    }
                    std::os::unix::fs::symlink(target, &child)
                        .map_err(|e| GitError::io(&child, e))?;
                    self.links.push(child_rel);
                }
                // Submodules are other repositories; they are not fetched.
                EntryKind::Commit => {}
            }
        }
        Ok(())
    }

    fn check_name(&self, name: &OsStr, rel: &Path) -> Result<()> {
        let bytes = name.as_bytes();
        let bad = bytes.is_empty()
            || bytes == b"."
            || bytes == b".."
            || bytes.contains(&b'/')
            || bytes.contains(&0)
            || bytes.eq_ignore_ascii_case(b".git")
            || bytes.len() > 255;
        if bad {
            Err(self.refuse(rel, "file name not allowed in a checkout"))
        } else {
            Ok(())
        }
    }

    fn blob(&mut self, id: gix::ObjectId, rel: &Path) -> Result<Vec<u8>> {
        let header = self
            .repo
            .find_header(id)
            .map_err(|e| GitError::git(format!("reading {}", rel.display()), e))?;
        let size = header.size();
        if size > self.limits.max_file_bytes {
            return Err(self.refuse(
                rel,
                format!(
                    "{size} bytes, more than the {} allowed per file",
                    self.limits.max_file_bytes
                ),
            ));
        }
        self.bytes = self.bytes.saturating_add(size);
        if self.bytes > self.limits.max_total_bytes {
            return Err(self.refuse(
                rel,
                format!(
                    "the checkout would exceed {} bytes",
                    self.limits.max_total_bytes
                ),
            ));
        }
        let object = self
            .repo
            .find_object(id)
            .map_err(|e| GitError::git(format!("reading {}", rel.display()), e))?;
        Ok(object.detach().data)
    }
}

/// Whether `target`, relative to the folder `dir` of the checkout, stays inside it.
fn stays_inside(dir: &Path, target: &Path) -> bool {
    let mut depth = dir.components().count();
    for c in target.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_may_not_climb_out() {
        assert!(stays_inside(Path::new("a/b"), Path::new("../c.rules")));
        assert!(stays_inside(Path::new(""), Path::new("./x")));
        assert!(!stays_inside(Path::new("a"), Path::new("../../etc/passwd")));
        assert!(!stays_inside(Path::new(""), Path::new("/etc/passwd")));
    }
}
