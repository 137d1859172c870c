//! `<data.dir>/unet-server.lock`: an advisory `flock(2)` the serving process holds for its
//! whole life. `restore` refuses to run while it is held, and a second server on the same data
//! folder refuses to start. The kernel drops the lock when the process dies, even by SIGKILL,
//! so a stale file never blocks anything.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use crate::OpsError;

const FILE_NAME: &str = "unet-server.lock";

/// Held while alive.
#[derive(Debug)]
pub struct ServerLock {
    _file: File,
}

fn lock_path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// Whether another process holds the lock of `data_dir`; takes it (`Some`) when free.
fn try_lock(data_dir: &Path) -> Result<Option<File>, OpsError> {
    let path = lock_path(data_dir);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| OpsError::io(format!("opening {}", path.display()), e))?;
    // SAFETY: flock on a file descriptor this function owns; no memory is involved.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(Some(file));
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(None)
    } else {
        Err(OpsError::io(format!("locking {}", path.display()), err))
    }
}

impl ServerLock {
    pub fn acquire(data_dir: &Path) -> Result<ServerLock, OpsError> {
        match try_lock(data_dir)? {
            Some(file) => Ok(ServerLock { _file: file }),
            None => Err(OpsError::Failed(format!(
                "another unet-server already serves data.dir {} (it holds {})",
                data_dir.display(),
                lock_path(data_dir).display()
            ))),
        }
    }
}

/// Fails when a server holds the lock of `data_dir` (for offline-only commands).
pub fn refuse_if_serving(data_dir: &Path) -> Result<(), OpsError> {
    if !data_dir.exists() {
        return Ok(());
    }
    match try_lock(data_dir)? {
        Some(_released_on_drop) => Ok(()),
        None => Err(OpsError::Failed(format!(
            "a unet-server is running on data.dir {}: stop the server first \
             (systemctl stop unet-server)",
            data_dir.display()
        ))),
    }
}
