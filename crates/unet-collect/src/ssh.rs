//! SSH transport: connect, check the host key, log in, open a shell with a terminal and move
//! bytes between it and the [`Dialogue`]. Every way this can fail ends as one [`Failure`].

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect, Preferred};
use tokio::time::{Instant, timeout_at};

use crate::dialogue::{Dialogue, Step};
use unet_core::CollectionResult;

use crate::{Collected, Failure, Limits, Target};

pub use russh::keys::PrivateKey;

/// Who to log in as. `Debug` shows the user only.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub user: String,
    pub credential: Credential,
    /// The enable secret, on platforms with an unprivileged level.
    pub enable: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Password(String),
    Key(Arc<PrivateKey>),
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = match self.credential {
            Credential::Password(_) => "password",
            Credential::Key(_) => "key",
        };
        f.debug_struct("Login")
            .field("user", &self.user)
            .field("method", &method)
            .field("enable", &self.enable.is_some())
            .finish()
    }
}

/// Which host keys to accept.
#[derive(Debug, Clone)]
pub enum HostKeys {
    /// Trust on first use: the key pinned for the node, or any key when none is pinned yet
    /// (the caller pins the one [`Collected::host_key`] reports).
    Pinned(Option<String>),
    /// Only the keys an OpenSSH known_hosts file lists for the address and port.
    KnownHosts(PathBuf),
}

/// Reads a private key file (OpenSSH or PEM format, without a passphrase).
pub fn load_private_key(path: &Path) -> Result<Arc<PrivateKey>, String> {
    russh::keys::load_secret_key(path, None)
        .map(Arc::new)
        .map_err(|e| format!("{}: not a usable private key: {e}", path.display()))
}

/// `SHA256:…` of a public key line (`ssh-ed25519 AAAA…`), as OpenSSH prints it.
pub fn public_key_fingerprint(key: &str) -> Option<String> {
    PublicKey::from_openssh(key)
        .ok()
        .map(|key| key.fingerprint(HashAlg::Sha256).to_string())
}

/// What the host key check decided, kept for the error when the handshake is refused.
#[derive(Debug, Clone)]
enum Verdict {
    Accepted(String),
    Refused(Failure),
}

struct Verifier {
    policy: HostKeys,
    host: String,
    port: u16,
    verdict: Arc<Mutex<Option<Verdict>>>,
}

impl Verifier {
    fn decide(&self, key: &PublicKey) -> Verdict {
        let presented = key_line(key);
        let fingerprint = key.fingerprint(HashAlg::Sha256);
        let refuse = |message: String| {
            Verdict::Refused(Failure {
                kind: CollectionResult::HostKeyMismatch,
                message,
                presented_key: Some(presented.clone()),
            })
        };
        match &self.policy {
            HostKeys::Pinned(None) => Verdict::Accepted(presented.clone()),
            HostKeys::Pinned(Some(pinned)) => match PublicKey::from_openssh(pinned) {
                Ok(pinned) if pinned.key_data() == key.key_data() => {
                    Verdict::Accepted(presented.clone())
                }
                Ok(pinned) => refuse(format!(
                    "the device presented host key {fingerprint}, not the pinned {}; \
                     refused (if the device was replaced, forget its host key)",
                    pinned.fingerprint(HashAlg::Sha256)
                )),
                Err(e) => refuse(format!("the pinned host key is unreadable: {e}")),
            },
            HostKeys::KnownHosts(path) => {
                match russh::keys::check_known_hosts_path(&self.host, self.port, key, path) {
                    Ok(true) => Verdict::Accepted(presented.clone()),
                    Ok(false) => refuse(format!(
                        "{} lists no {} key for [{}]:{}; the device presented {fingerprint}",
                        path.display(),
                        key.algorithm(),
                        self.host,
                        self.port
                    )),
                    Err(russh::keys::Error::KeyChanged { line }) => refuse(format!(
                        "the device presented host key {fingerprint}, not the one on line \
                         {line} of {}; refused",
                        path.display()
                    )),
                    Err(e) => refuse(format!("{}: {e}", path.display())),
                }
            }
        }
    }
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let verdict = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => self.decide(key),
            PublicKeyOrCertificate::Certificate(_) => Verdict::Refused(Failure::new(
                CollectionResult::HostKeyMismatch,
                "the device presented a host certificate; μNet pins plain host keys".to_string(),
            )),
        };
        let accepted = matches!(verdict, Verdict::Accepted(_));
        if let Ok(mut slot) = self.verdict.lock() {
            *slot = Some(verdict);
        }
        Ok(accepted)
    }
}

/// `algorithm base64`, without the comment.
fn key_line(key: &PublicKey) -> String {
    let mut key = key.clone();
    key.set_comment("");
    key.to_openssh()
        .map(|line| line.trim().to_string())
        .unwrap_or_default()
}

fn config(limits: &Limits) -> Arc<client::Config> {
    let mut kex = Preferred::default().kex.to_vec();
    // Older IOS images offer nothing newer; used only when nothing better is common.
    kex.push(russh::kex::DH_G14_SHA1);
    Arc::new(client::Config {
        inactivity_timeout: Some(limits.total),
        preferred: Preferred {
            kex: Cow::Owned(kex),
            ..Preferred::default()
        },
        nodelay: true,
        ..client::Config::default()
    })
}

/// Logs in to `target` over SSH and reads its running configuration.
pub async fn collect_ssh(
    target: &Target<'_>,
    login: &Login,
    host_keys: &HostKeys,
    limits: &Limits,
) -> Result<Collected, Failure> {
    let started = Instant::now();
    let deadline = started + limits.total;
    let endpoint = format!("{}:{}", target.address, target.port);
    let recipe = target.platform.cli();
    let show = recipe.show_command(target.format).ok_or_else(|| {
        Failure::new(
            CollectionResult::OutputNotRecognised,
            format!(
                "{} has no configuration format `{}` (it has: {})",
                target.platform,
                target.format.unwrap_or_default(),
                recipe.formats().join(", ")
            ),
        )
    })?;
    let verdict = Arc::new(Mutex::new(None));
    let verifier = Verifier {
        policy: host_keys.clone(),
        host: target.address.to_string(),
        port: target.port,
        verdict: verdict.clone(),
    };
    let connected = timeout_at(
        (started + limits.connect).min(deadline),
        client::connect(config(limits), (target.address, target.port), verifier),
    )
    .await;
    let mut session = match connected {
        Ok(Ok(session)) => session,
        Ok(Err(e)) => {
            let refused = verdict.lock().ok().and_then(|mut slot| slot.take());
            return Err(match refused {
                Some(Verdict::Refused(failure)) => failure,
                _ => unreachable_failure(&endpoint, &e),
            });
        }
        Err(_) => {
            return Err(Failure::new(
                CollectionResult::Unreachable,
                format!(
                    "no SSH handshake with {endpoint} within {}",
                    seconds(limits.connect)
                ),
            ));
        }
    };
    let host_key = match verdict.lock().ok().and_then(|mut slot| slot.take()) {
        Some(Verdict::Accepted(key)) => key,
        _ => {
            return Err(Failure::new(
                CollectionResult::HostKeyMismatch,
                format!("{endpoint} finished the handshake without presenting a host key"),
            ));
        }
    };
    let result = timeout_at(deadline, authenticate(&mut session, login))
        .await
        .unwrap_or_else(|_| {
            Err(Failure::new(
                CollectionResult::Timeout,
                format!("no answer to the login within {}", seconds(limits.total)),
            ))
        });
    let result = match result {
        Ok(()) => converse(&session, target, login, show, limits, deadline).await,
        Err(failure) => Err(failure),
    };
    // Best effort: the device may be gone already.
    let _ = session
        .disconnect(Disconnect::ByApplication, "", "en")
        .await;
    result.map(|text| Collected {
        text,
        host_key: Some(host_key),
    })
}

async fn authenticate(session: &mut Handle<Verifier>, login: &Login) -> Result<(), Failure> {
    let (method, result) = match &login.credential {
        Credential::Password(password) => (
            "password",
            session
                .authenticate_password(login.user.clone(), password.clone())
                .await,
        ),
        Credential::Key(key) => {
            let hash = session
                .best_supported_rsa_hash()
                .await
                .map_err(|e| lost(&e))?
                .flatten();
            (
                "key",
                session
                    .authenticate_publickey(
                        login.user.clone(),
                        PrivateKeyWithHashAlg::new(key.clone(), hash),
                    )
                    .await,
            )
        }
    };
    match result {
        Ok(outcome) if outcome.success() => Ok(()),
        Ok(_) => Err(Failure::new(
            CollectionResult::AuthFailed,
            format!("the device refused user `{}` with its {method}", login.user),
        )),
        Err(e) => Err(lost(&e)),
    }
}

async fn converse(
    session: &Handle<Verifier>,
    target: &Target<'_>,
    login: &Login,
    show: &'static str,
    limits: &Limits,
    deadline: Instant,
) -> Result<String, Failure> {
    let mut channel = session.channel_open_session().await.map_err(|e| lost(&e))?;
    // A wide terminal without a page length: devices that honour it neither wrap nor page.
    channel
        .request_pty(false, "vt100", 511, 0, 0, 0, &[])
        .await
        .map_err(|e| lost(&e))?;
    channel.request_shell(false).await.map_err(|e| lost(&e))?;
    let mut dialogue = Dialogue::new(
        target.platform.cli(),
        show,
        login.enable.as_deref(),
        limits.max_bytes,
    );
    loop {
        let message = timeout_at(deadline, channel.wait()).await.map_err(|_| {
            Failure::new(
                CollectionResult::Timeout,
                format!(
                    "the device stopped answering: nothing for {} while μNet waited for {}",
                    seconds(limits.total),
                    dialogue.waiting_for()
                ),
            )
        })?;
        let data = match message {
            Some(ChannelMsg::Data { data }) | Some(ChannelMsg::ExtendedData { data, .. }) => data,
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                return Err(Failure::new(
                    CollectionResult::OutputNotRecognised,
                    format!(
                        "the device ended the session while μNet waited for {}",
                        dialogue.waiting_for()
                    ),
                ));
            }
            Some(_) => continue,
        };
        match dialogue.feed(&data)? {
            Step::Wait => {}
            Step::Send(text) => channel.data(text.as_bytes()).await.map_err(|e| lost(&e))?,
            Step::Done(text) => {
                // Leave politely; the session is closed either way.
                let _ = channel.data(&b"exit\n"[..]).await;
                return Ok(text);
            }
        }
    }
}

fn unreachable_failure(endpoint: &str, error: &russh::Error) -> Failure {
    let message = match error {
        russh::Error::IO(e) => format!("cannot connect to {endpoint}: {e}"),
        other => format!("SSH handshake with {endpoint} failed: {other}"),
    };
    Failure::new(CollectionResult::Unreachable, message)
}

fn lost(error: &russh::Error) -> Failure {
    Failure::new(
        CollectionResult::Unreachable,
        format!("the SSH session was lost: {error}"),
    )
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}
