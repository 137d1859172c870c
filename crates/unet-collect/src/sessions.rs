//! SSH sessions on a thread of their own. A session is a long run of small packets — the
//! handshake, the login, the prompts, the configuration in pieces — and russh runs each
//! session as a task beside its caller. On a multi-threaded runtime every packet wakes a task on
//! whichever worker is free, and the hand-offs between threads cost more than the packet. On
//! one thread with its own single-threaded runtime they are plain function calls.

use std::io;

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use unet_core::CollectionResult;

use crate::ssh::collect_ssh;
use crate::{Collected, Failure, HostKeys, Limits, Login, Target};

/// The thread that runs a process's SSH sessions; it stops when this is dropped (sessions
/// still running end with it).
#[derive(Debug)]
pub struct SshSessions {
    runtime: Handle,
    _stop: oneshot::Sender<()>,
}

impl SshSessions {
    /// Starts the thread.
    pub fn start() -> io::Result<SshSessions> {
        let runtime = Builder::new_current_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("unet-ssh".to_string())
            // Spawned sessions run while the thread blocks on this; a dropped sender ends it.
            .spawn(move || runtime.block_on(async { _ = stopped.await }))?;
        Ok(SshSessions {
            runtime: handle,
            _stop: stop,
        })
    }

    /// [`collect_ssh`] on the sessions' thread. Dropping the future ends the session.
    pub async fn collect(
        &self,
        target: &Target<'_>,
        login: &Login,
        host_keys: &HostKeys,
        limits: &Limits,
    ) -> Result<Collected, Failure> {
        let (node, format) = (target.node.to_string(), target.format.map(str::to_string));
        let (address, port, platform) = (target.address, target.port, target.platform);
        let (login, host_keys, limits) = (login.clone(), host_keys.clone(), *limits);
        let mut session = AbortOnDrop(self.runtime.spawn(async move {
            let target = Target {
                node: &node,
                address,
                port,
                platform,
                format: format.as_deref(),
            };
            collect_ssh(&target, &login, &host_keys, &limits).await
        }));
        match (&mut session.0).await {
            Ok(result) => result,
            Err(e) => Err(Failure::new(
                CollectionResult::Unreachable,
                format!("the SSH session ended before its answer: {e}"),
            )),
        }
    }
}

/// A session whose caller stopped waiting is not left running.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
