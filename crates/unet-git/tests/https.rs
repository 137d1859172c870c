//! Syncs over https from a real smart-HTTP Git server: `git http-backend` (the CGI program Git
//! ships for this) behind a TLS listener whose certificate a throw-away CA signed. The sync
//! trusts that CA only through the repository's `ca_file`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use unet_git::testing::{commit, init};
use unet_git::{Credentials, GitError, Limits, Source, Wanted, live, sync};

/// A TLS Git server over the repositories in a folder, and the CA that signed its certificate.
struct GitServer {
    base: String,
    ca_file: PathBuf,
    handle: axum_server::Handle<SocketAddr>,
    _runtime: tokio::runtime::Runtime,
}

impl GitServer {
    /// Serves every repository under `root` at `https://127.0.0.1:<port>/<name>`.
    fn start(root: &Path, scratch: &Path) -> GitServer {
        let (tls, ca_pem) = tls_config();
        let ca_file = scratch.join("ca.pem");
        std::fs::write(&ca_file, ca_pem).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let handle = axum_server::Handle::new();
        let app = axum::Router::new()
            .fallback(http_backend)
            .with_state(Arc::new(root.to_path_buf()));
        let server = axum_server::bind_rustls(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls)),
        )
        .handle(handle.clone());
        runtime.spawn(server.serve(app.into_make_service()));
        let addr = runtime
            .block_on(handle.listening())
            .expect("the Git server listens");
        GitServer {
            base: format!("https://127.0.0.1:{}", addr.port()),
            ca_file,
            handle,
            _runtime: runtime,
        }
    }

    fn source(&self, repository: &str, ca_file: Option<&Path>) -> Source {
        Source {
            name: "rules".into(),
            url: format!("{}/{repository}", self.base),
            wanted: Wanted::Branch("main".into()),
            path: ".".into(),
            ca_file: ca_file.map(Path::to_path_buf),
            credentials: None,
            ssh_key_file: None,
            host_key: None,
        }
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

/// A server configuration on the ring provider with a certificate for 127.0.0.1 signed by a
/// new CA, and that CA's certificate as PEM.
fn tls_config() -> (rustls::ServerConfig, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "unet test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (config, ca_cert.pem())
}

/// Runs `git http-backend` for one request, as a web server runs a CGI program.
async fn http_backend(State(root): State<Arc<PathBuf>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // Repositories under /private/ want the login unet / s3cret.
    let authorized = parts
        .headers
        .get("authorization")
        .is_some_and(|v| v == "Basic dW5ldDpzM2NyZXQ=");
    if parts.uri.path().starts_with("/private/") && !authorized {
        let mut refused = Response::new(Body::empty());
        *refused.status_mut() = StatusCode::UNAUTHORIZED;
        refused.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static("Basic realm=\"git\""),
        );
        return refused;
    }
    let body = to_bytes(body, 64 << 20).await.unwrap();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let mut child = tokio::process::Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", root.as_path())
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", parts.uri.path())
        .env("QUERY_STRING", parts.uri.query().unwrap_or(""))
        .env("REQUEST_METHOD", parts.method.as_str())
        .env("CONTENT_TYPE", header("content-type"))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
        .env("GIT_PROTOCOL", header("git-protocol"))
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("git http-backend");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&body).await.unwrap();
    drop(stdin);
    let mut output = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut output)
        .await
        .unwrap();
    child.wait().await.unwrap();
    cgi_response(&output)
}

/// A CGI answer (header lines, an empty line, the body) as an HTTP response.
fn cgi_response(output: &[u8]) -> Response {
    let split = output
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            output
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        })
        .expect("CGI headers end with an empty line");
    let mut response = Response::new(Body::from(output[split.1..].to_vec()));
    for line in String::from_utf8_lossy(&output[..split.0]).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap().parse().unwrap();
            *response.status_mut() = StatusCode::from_u16(code).unwrap();
        } else {
            response.headers_mut().append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
    }
    response
}

fn accept_all(_: &Path) -> Result<(), Vec<String>> {
    Ok(())
}

#[test]
fn a_branch_syncs_over_https_trusting_the_repository_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    let work = init(&served, "rules.git");
    let first = commit(&work, &[("a.rules", "first\n")]);
    let server = GitServer::start(&served, dir.path());
    let root = dir.path().join("sync");

    // The CA is trusted through ca_file only: without it the certificate is refused.
    let untrusted = server.source("rules.git", None);
    let err = sync(&untrusted, &root, Limits::default(), &accept_all).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&server.base), "{text}");
    assert!(
        text.contains("is not signed by a certificate authority this client trusts"),
        "{text}"
    );
    assert!(text.contains("give the repository a ca_file"), "{text}");
    assert!(
        matches!(err, GitError::UntrustedCertificate { .. }),
        "{err:?}"
    );

    let source = server.source("rules.git", Some(&server.ca_file));
    let outcome = sync(&source, &root, Limits::default(), &accept_all).unwrap();
    assert_eq!(outcome.live().commit, first);
    let live_dir = live(&root.join("rules")).expect("a live revision").dir;
    assert_eq!(
        std::fs::read_to_string(live_dir.join("a.rules")).unwrap(),
        "first\n"
    );

    // A new commit is fetched incrementally over the same transport.
    let second = commit(&work, &[("b.rules", "second\n")]);
    let outcome = sync(&source, &root, Limits::default(), &accept_all).unwrap();
    assert_eq!(outcome.live().commit, second);

    // A branch the server does not have is named in the error.
    let mut other = source.clone();
    other.wanted = Wanted::Branch("release".into());
    let err = sync(&other, &root, Limits::default(), &accept_all).unwrap_err();
    assert!(
        matches!(err, GitError::BranchNotFound { ref branch, .. } if branch == "release"),
        "{err:?}"
    );

    // A repository the server does not have fails with the URL in the message.
    let missing = server.source("nope.git", Some(&server.ca_file));
    let err = sync(&missing, &root, Limits::default(), &accept_all).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("nope.git") && text.contains("404"), "{text}");
}

/// A repository behind a login: without credentials the answer says so (no helper, no
/// prompt), wrong ones are refused, the right ones sync.
#[test]
fn a_repository_behind_a_login_syncs_with_its_credentials_only() {
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join("served");
    let work = init(&served.join("private"), "rules.git");
    let first = commit(&work, &[("a.rules", "first\n")]);
    let server = GitServer::start(&served, dir.path());
    let root = dir.path().join("sync");
    let mut source = server.source("private/rules.git", Some(&server.ca_file));

    let err = sync(&source, &root, Limits::default(), &accept_all).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("private/rules.git"), "{text}");
    assert!(
        text.contains("asks for a login and this repository has none"),
        "{text}"
    );

    source.credentials = Some(Credentials {
        username: "unet".into(),
        password: "wrong".into(),
    });
    let err = sync(&source, &root, Limits::default(), &accept_all).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("were not accepted"), "{text}");
    assert!(!text.contains("wrong"), "the password is not shown: {text}");
    assert!(live(&root.join("rules")).is_none());

    source.credentials = Some(Credentials {
        username: "unet".into(),
        password: "s3cret".into(),
    });
    let outcome = sync(&source, &root, Limits::default(), &accept_all).unwrap();
    assert_eq!(outcome.live().commit, first);
}

#[test]
fn a_ca_file_without_certificates_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ca.pem");
    std::fs::write(&bad, "not a certificate\n").unwrap();
    let err = unet_git::check_ca_file(&bad).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("ca.pem"), "{text}");
    assert!(text.contains("no PEM certificate"), "{text}");
    let missing = unet_git::check_ca_file(&dir.path().join("absent.pem")).unwrap_err();
    assert!(missing.to_string().contains("absent.pem"), "{missing}");
}
