//! The mirror: a bare repository per source that fetches only what the source wants (the one
//! branch, or every branch and tag until a pinned commit is present), and resolves the wanted
//! revision to a commit id.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use gix::remote::Direction;

use crate::error::{GitError, Result};
use crate::source::{Source, Wanted, parse_url};

/// Opens the mirror at `dir`, creating an empty bare repository there the first time.
pub(crate) fn open_mirror(dir: &Path) -> Result<gix::Repository> {
    if dir.join("HEAD").is_file() {
        gix::open(dir).map_err(|e| GitError::git(format!("opening {}", dir.display()), e))
    } else {
        std::fs::create_dir_all(dir).map_err(|e| GitError::io(dir, e))?;
        gix::init_bare(dir).map_err(|e| GitError::git(format!("creating {}", dir.display()), e))
    }
}

/// The commit `source` wants, fetching from its URL as far as needed; an ssh URL through the
/// OpenSSH client set up for it under `source_dir`.
pub(crate) fn fetch_wanted(
    repo: &mut gix::Repository,
    source: &Source,
    source_dir: &Path,
) -> Result<gix::ObjectId> {
    let ssh = crate::ssh::Client::attach(repo, source, source_dir)?;
    resolve(repo, source).map_err(|e| match &ssh {
        Some(client) => client.explain(e),
        None => e,
    })
}

fn resolve(repo: &gix::Repository, source: &Source) -> Result<gix::ObjectId> {
    match &source.wanted {
        Wanted::Branch(branch) => {
            let tracking = format!("refs/remotes/origin/{branch}");
            let fetched = fetch(repo, source, &[format!("+refs/heads/{branch}:{tracking}")])?;
            if !fetched {
                return Err(GitError::BranchNotFound {
                    branch: branch.clone(),
                    url: source.redacted_url(),
                });
            }
            let reference = repo
                .try_find_reference(tracking.as_str())
                .map_err(|e| GitError::git(format!("reading {tracking}"), e))?;
            let Some(mut reference) = reference else {
                return Err(GitError::BranchNotFound {
                    branch: branch.clone(),
                    url: source.redacted_url(),
                });
            };
            let id = reference
                .peel_to_id()
                .map_err(|e| GitError::git(format!("resolving {tracking}"), e))?;
            Ok(id.detach())
        }
        Wanted::Commit(hex) => {
            let id =
                gix::ObjectId::from_hex(hex.as_bytes()).map_err(|e| GitError::InvalidSetting {
                    field: "commit",
                    value: hex.clone(),
                    message: e.to_string(),
                })?;
            // A pinned commit never changes: once present, the remote is not asked again.
            if !has_commit(repo, id) {
                let _any_reference = fetch(
                    repo,
                    source,
                    &[
                        "+refs/heads/*:refs/remotes/origin/*".to_string(),
                        "+refs/tags/*:refs/tags/*".to_string(),
                    ],
                )?;
            }
            if has_commit(repo, id) {
                Ok(id)
            } else {
                Err(GitError::CommitNotFound {
                    commit: hex.clone(),
                    url: source.redacted_url(),
                })
            }
        }
    }
}

/// Answers gix's request for a login with the repository's credentials, if it has any.
fn credentials(
    source: &Source,
    action: gix::credentials::helper::Action,
) -> gix::Result<Option<gix::credentials::protocol::Outcome>> {
    use gix::credentials::helper::Action;
    match (action, &source.credentials) {
        (Action::Get(context), Some(login)) => Ok(Some(gix::credentials::protocol::Outcome {
            identity: gix::sec::identity::Account {
                username: login.username.clone(),
                password: login.password.clone(),
                oauth_refresh_token: None,
            },
            next: context.into(),
        })),
        (Action::Get(_), None) => Err(gix::error::message(
            "the Git server asks for a login and this repository has none: give it a \
             username and a password_file, or sync from a local mirror",
        )
        .unauthenticated_error()),
        // Store and erase are about a helper's cache; there is none.
        _ => Ok(None),
    }
}

fn has_commit(repo: &gix::Repository, id: gix::ObjectId) -> bool {
    repo.find_header(id)
        .is_ok_and(|h| h.kind() == gix::objs::Kind::Commit)
}

/// Fetches `refspecs`; `false` when the remote has no reference they match.
fn fetch(repo: &gix::Repository, source: &Source, refspecs: &[String]) -> Result<bool> {
    let url = parse_url(&source.url)?;
    let https = url.scheme == gix::url::Scheme::Https;
    let shown = source.redacted_url();
    let context = |what: &str| format!("fetching {shown}: {what}");
    let remote = repo
        .remote_at(url)
        .map_err(|e| GitError::git(context("remote"), e))?
        .with_refspecs(refspecs.iter().map(String::as_str), Direction::Fetch)
        .map_err(|e| GitError::git(context("refspec"), e))?;
    // Never a credential helper or a prompt: the server has nobody to ask. A login asked for
    // is the repository's own, or the answer says there is none.
    let mut connection = remote
        .connect(Direction::Fetch)
        .map_err(|e| GitError::git(context("connecting"), e))?
        .with_credentials(|action| credentials(source, action));
    let mut trust = None;
    if https {
        let (options, checks) = crate::https::transport_options(source.ca_file.as_deref())?;
        connection = connection.with_transport_options(Box::new(options));
        trust = Some(checks);
    }
    let interrupt = AtomicBool::new(false);
    // The TLS handshake happens here; a refused certificate is told apart from the rest.
    let prepared = connection
        .prepare_fetch(gix::progress::Discard, Default::default())
        .map_err(|e| {
            trust
                .as_ref()
                .and_then(|t| crate::https::refusal(t, &shown))
                .unwrap_or_else(|| GitError::git(context("listing references"), e))
        })?;
    if prepared.ref_map().mappings.is_empty() {
        return Ok(false);
    }
    prepared
        .receive(gix::progress::Discard, &interrupt)
        .map_err(|e| GitError::git(context("receiving objects"), e))?;
    Ok(true)
}
