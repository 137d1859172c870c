//! Repository sync: keeps a folder of a Git repository (rule files, templates) checked out
//! under a sync root, following a branch or pinned to a commit.
//!
//! A sync fetches into a bare mirror, checks the wanted revision out into a staging folder
//! within [`Limits`], lets the caller's validator judge it, and only then swaps it in as the
//! live revision with one rename, so a reader never sees a half-written or broken tree (see
//! [`live`](crate::live()) for the layout). Repositories are local (a path or a `file://` URL,
//! fetched through the `git` binary's upload-pack) or reached over https (`src/https.rs`) or
//! ssh (`src/ssh.rs`, through the OpenSSH client).
//!
//! The crate knows nothing of the server: the validator and the scheduling are the caller's.

mod checkout;
mod error;
mod fetch;
mod https;
mod live;
mod source;
mod ssh;
mod status;
mod sync;
#[cfg(feature = "testing")]
pub mod testing;

pub use checkout::Limits;
pub use error::{GitError, Result};
pub use live::{Live, is_repository_folder, live};
pub use source::{Credentials, HostKey, Source, Wanted};
pub use ssh::ssh_file_problems;
pub use status::{Status, SyncResult};
pub use sync::{Outcome, Validator, sync};
pub use unet_trust::check_ca_file;
