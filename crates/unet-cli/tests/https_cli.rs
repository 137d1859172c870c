//! The CLI over HTTPS against the real `unet-server`'s TLS listener: a certificate trusted
//! through its CA (flag, environment, config file), refused for an unknown CA, a wrong host
//! name or an expired certificate with a message that names the certificate; a self-signed
//! certificate trusted only once pinned explicitly, and refused again when it changes; and no
//! token or password sent over plain http to another machine unless the operator allows it.
//!
//! Needs the server binary next to `unet`: `cargo build -p unet-server` first.

mod common;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::server::LiveServer;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use time::{Duration, OffsetDateTime};
use unet_store::testing::TestDatabase;
use unet_trust::Fingerprint;

/// `unet` with a clean environment: only what the test gives.
fn unet(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_unet"));
    cmd.args(args)
        .env("USER", "tester")
        .env("XDG_CONFIG_HOME", home)
        .env_remove("UNET_DATABASE_URL")
        .env_remove("UNET_SERVER")
        .env_remove("UNET_TOKEN")
        .env_remove("UNET_CA_FILE")
        .env_remove("UNET_ALLOW_INSECURE_HTTP")
        .stdin(Stdio::null());
    cmd
}

fn output(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn succeeds(out: &Output) -> String {
    assert!(
        out.status.success(),
        "expected success, got {:?}:\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The stderr of a command that must fail with exit status 1.
fn fails(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "expected exit 1:\n{stderr}");
    stderr
}

/// A test CA and the certificates it issues, as PEM files in `dir`.
struct Pki {
    dir: tempfile::TempDir,
    issuer: Issuer<'static, KeyPair>,
    ca_file: PathBuf,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "unet test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, cert.pem()).unwrap();
        Pki {
            dir,
            issuer: Issuer::new(params, key),
            ca_file,
        }
    }

    /// A server certificate for `names`, valid between the two offsets from now; returns the
    /// `tls.*` configuration lines that serve it.
    fn server_config(&self, label: &str, names: &[&str], from: Duration, to: Duration) -> String {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "unet test server");
        let now = OffsetDateTime::now_utc();
        params.not_before = now + from;
        params.not_after = now + to;
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let cert_file = self.dir.path().join(format!("{label}.pem"));
        let key_file = self.dir.path().join(format!("{label}.key"));
        std::fs::write(&cert_file, cert.pem()).unwrap();
        std::fs::write(&key_file, key.serialize_pem()).unwrap();
        tls_config(&cert_file, &key_file, false)
    }
}

fn tls_config(cert_file: &Path, key_file: &Path, self_signed: bool) -> String {
    format!(
        "tls.enabled = true\ntls.listen = \"127.0.0.1:0\"\ntls.self_signed = {self_signed}\n\
         tls.cert_file = {:?}\ntls.key_file = {:?}\n",
        cert_file.display().to_string(),
        key_file.display().to_string()
    )
}

/// The HTTPS port of a server started with TLS.
fn https_port(server: &LiveServer) -> String {
    let https = server.https.as_deref().expect("the server serves HTTPS");
    https.rsplit(':').next().unwrap().to_string()
}

/// Signs in over plain http on loopback and returns the token.
fn admin_token(server: &LiveServer) -> String {
    let home = tempfile::tempdir().unwrap();
    server
        .admin_token(home.path())
        .expect("the server requires authentication")
}

#[test]
fn a_server_certificate_is_trusted_through_its_ca_and_for_its_names_only() {
    let pki = Pki::new();
    let db = TestDatabase::sqlite();
    let config = pki.server_config(
        "localhost",
        &["localhost"],
        Duration::days(-1),
        Duration::days(30),
    );
    let server = LiveServer::start(db.url(), &config);
    let token = admin_token(&server);
    let port = https_port(&server);
    let by_name = format!("https://localhost:{port}");
    let by_address = format!("https://127.0.0.1:{port}");
    let home = tempfile::tempdir().unwrap();
    let ca = pki.ca_file.display().to_string();
    let list = |server: &str, extra: &[&str]| {
        let mut args = vec!["--server", server];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["nodes", "list"]);
        let mut cmd = unet(home.path(), &args);
        cmd.env("UNET_TOKEN", &token);
        cmd
    };

    // Not signed by a CA the client knows: the message names the certificate and the ways out.
    let err = fails(&output(&mut list(&by_name, &[])));
    for expected in [
        "cannot trust μNet server at https://localhost:",
        "CN=unet test server",
        "issued by CN=unet test CA",
        "not signed by a certificate authority this client trusts",
        "--ca-file",
        "tls trust",
    ] {
        assert!(err.contains(expected), "{expected:?} missing from: {err}");
    }
    assert!(!err.contains(&token), "the token leaked: {err}");

    // Its CA given on the command line, in the environment, or in the config file.
    succeeds(&output(&mut list(&by_name, &["--ca-file", &ca])));
    succeeds(&output(list(&by_name, &[]).env("UNET_CA_FILE", &ca)));
    let config_dir = home.path().join("unet");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::copy(&pki.ca_file, config_dir.join("internal-ca.pem")).unwrap();
    std::fs::write(
        config_dir.join("config.toml"),
        "ca_file = \"internal-ca.pem\"\n",
    )
    .unwrap();
    succeeds(&output(&mut list(&by_name, &[])));

    // The right CA, but dialled by a name the certificate does not hold.
    let err = fails(&output(&mut list(&by_address, &["--ca-file", &ca])));
    assert!(
        err.contains("is valid for localhost, not for 127.0.0.1"),
        "{err}"
    );

    // A login crosses the same checked connection.
    let login_home = tempfile::tempdir().unwrap();
    succeeds(&server.admin_login(login_home.path(), &["--server", &by_name, "--ca-file", &ca]));
    assert!(login_home.path().join("unet/token").is_file());

    // A CA file that holds no certificate is named, before anything is sent.
    let bogus = pki.dir.path().join("bogus.pem");
    std::fs::write(&bogus, "not a certificate\n").unwrap();
    let err = fails(&output(&mut list(
        &by_name,
        &["--ca-file", &bogus.display().to_string()],
    )));
    assert!(err.contains("bogus.pem"), "{err}");
    assert!(err.contains("no PEM certificate"), "{err}");
}

#[test]
fn an_expired_certificate_is_refused_with_its_date() {
    let pki = Pki::new();
    let db = TestDatabase::sqlite();
    let config = pki.server_config(
        "expired",
        &["localhost"],
        Duration::days(-60),
        Duration::days(-2),
    );
    let server = LiveServer::start(db.url(), &config);
    let token = admin_token(&server);
    let home = tempfile::tempdir().unwrap();
    let url = format!("https://localhost:{}", https_port(&server));
    let ca = pki.ca_file.display().to_string();
    let err = fails(&output(
        unet(
            home.path(),
            &["--server", &url, "--ca-file", &ca, "nodes", "list"],
        )
        .env("UNET_TOKEN", &token),
    ));
    assert!(err.contains("CN=unet test server"), "{err}");
    let expired_on = (OffsetDateTime::now_utc() - Duration::days(2)).date();
    assert!(
        err.contains(&format!("expired on {expired_on}")),
        "{expired_on} missing from: {err}"
    );
}

#[test]
fn a_self_signed_certificate_is_trusted_once_pinned_and_refused_when_replaced() {
    let db = TestDatabase::sqlite();
    let ssl = tempfile::tempdir().unwrap();
    let cert_file = ssl.path().join("cert.pem");
    let config = tls_config(&cert_file, &ssl.path().join("key.pem"), true);
    let server = LiveServer::start(db.url(), &config);
    let token = admin_token(&server);
    let port = https_port(&server);
    let url = format!("https://127.0.0.1:{port}");
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--server", url.as_str()];
        all.extend_from_slice(args);
        let mut cmd = unet(home.path(), &all);
        cmd.env("UNET_TOKEN", &token);
        output(&mut cmd)
    };
    let pins = home.path().join("unet/pinned-servers.toml");
    let fingerprint = || {
        let der = unet_trust::ca_certificates(&cert_file).unwrap().remove(0);
        Fingerprint::of(der.as_ref()).to_string()
    };

    let err = fails(&run(&["nodes", "list"]));
    assert!(err.contains("self-signed"), "{err}");
    assert!(err.contains("tls trust"), "{err}");

    // Pinning is explicit: never without a terminal to confirm on, a matching fingerprint or
    // --yes.
    let err = fails(&run(&["tls", "trust"]));
    assert!(err.contains("--fingerprint"), "{err}");
    assert!(!pins.exists());
    let err = fails(&run(&["tls", "trust", "--fingerprint", &"00".repeat(32)]));
    assert!(err.contains("nothing was pinned"), "{err}");
    assert!(!pins.exists());
    let err = fails(&run(&["tls", "trust", "--fingerprint", "12:34"]));
    assert!(err.contains("expected 64 hexadecimal digits"), "{err}");

    let pinned = fingerprint();
    let shown = succeeds(&run(&[
        "tls",
        "trust",
        "--fingerprint",
        &pinned.to_uppercase(),
    ]));
    assert!(shown.contains(&format!("sha256:   {pinned}")), "{shown}");
    let file = std::fs::read_to_string(&pins).unwrap();
    assert!(file.contains(&format!("[\"127.0.0.1:{port}\"]")), "{file}");
    assert!(file.contains(&pinned), "{file}");
    succeeds(&run(&["nodes", "list"]));

    // A new certificate is not the pinned one, whoever signed it.
    let rotated = Command::new("curl")
        .args(["-s", "-f", "-X", "POST", "-H"])
        .arg(format!("Authorization: Bearer {token}"))
        .arg(format!("{}/api/v1/certificates/rotate", server.base))
        .output()
        .unwrap();
    succeeds(&rotated);
    assert_ne!(fingerprint(), pinned, "rotation issued a new certificate");
    let err = fails(&run(&["nodes", "list"]));
    assert!(
        err.contains("is not the one pinned for this server"),
        "{err}"
    );
    assert!(err.contains(&pinned), "{err}");

    succeeds(&run(&["tls", "forget"]));
    let err = fails(&run(&["nodes", "list"]));
    assert!(err.contains("self-signed"), "{err}");
}

/// This machine's address on its default route: not loopback, yet reachable locally. Found
/// by routing a UDP socket, which sends nothing.
fn non_loopback_address() -> String {
    let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
    socket
        .connect("192.0.2.1:9")
        .expect("a default route (these tests need a non-loopback address)");
    let ip = socket.local_addr().unwrap().ip();
    assert!(!ip.is_loopback() && !ip.is_unspecified(), "{ip}");
    ip.to_string()
}

#[test]
fn secrets_cross_plain_http_to_another_machine_only_when_allowed() {
    let db = TestDatabase::sqlite();
    let server = LiveServer::start_on("0.0.0.0:0", db.url(), "");
    let token = admin_token(&server);
    let port = server.base.rsplit(':').next().unwrap().to_string();
    let url = format!("http://{}:{port}", non_loopback_address());
    let home = tempfile::tempdir().unwrap();
    let list = |extra: &[&str]| {
        let mut args = vec!["--server", url.as_str()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["nodes", "list"]);
        let mut cmd = unet(home.path(), &args);
        cmd.env("UNET_TOKEN", &token);
        cmd
    };

    let err = fails(&output(&mut list(&[])));
    assert!(
        err.contains("refusing to send the API token to http://"),
        "{err}"
    );
    assert!(err.contains("--allow-insecure-http"), "{err}");
    assert!(!err.contains(&token), "{err}");

    let mut login = unet(home.path(), &["--server", &url, "login", "-u", "admin"]);
    let err = fails(&output(login.stdin(Stdio::null())));
    assert!(err.contains("refusing to send the password"), "{err}");
    assert!(!home.path().join("unet/token").exists());

    succeeds(&output(&mut list(&["--allow-insecure-http"])));
    succeeds(&output(list(&[]).env("UNET_ALLOW_INSECURE_HTTP", "true")));
}
