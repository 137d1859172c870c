//! HTTPS next to HTTP: a self-signed certificate issued at start, the runbook's certificate
//! commands (`curl -k https://…/certificates/status | jq '.expiration'`, `…/rotate`), a rotation
//! that leaves an open connection working, a mismatched pair refused with the old one kept (by
//! the API and on SIGHUP), and the expiry warning.

mod common;
mod site;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;
use site::signal_pid;

fn https_base(server: &mut Server) -> String {
    let log = server.drain_log();
    let line = log
        .iter()
        .find_map(|l| l.split("listening on https://").nth(1))
        .unwrap_or_else(|| panic!("no HTTPS line:\n{}", log.join("\n")));
    format!("https://{}", line.split_whitespace().next().unwrap())
}

/// curl's option for the harness's admin token (nothing when authentication is off).
fn bearer(server: &Server) -> String {
    server
        .token
        .as_ref()
        .map_or_else(String::new, |t| format!("-H 'Authorization: Bearer {t}'"))
}

fn sh(script: &str) -> (i32, String) {
    let out = Command::new("bash").arg("-c").arg(script).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn openssl_pair(dir: &Path, name: &str, days: u32) -> (String, String) {
    let cert = dir.join(format!("{name}.crt")).display().to_string();
    let key = dir.join(format!("{name}.key")).display().to_string();
    let (code, out) = sh(&format!(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days {days} \
         -subj /CN={name} -keyout {key} -out {cert} 2>&1"
    ));
    assert_eq!(code, 0, "{out}");
    (cert, key)
}

fn tls_config(dir: &Path, self_signed: bool) -> String {
    format!(
        "tls.enabled = true\ntls.listen = \"127.0.0.1:0\"\ntls.self_signed = {self_signed}\n\
         tls.cert_file = {:?}\ntls.key_file = {:?}\n",
        dir.join("ssl/cert.pem").display().to_string(),
        dir.join("ssl/key.pem").display().to_string()
    )
}

#[test]
fn self_signed_certificate_status_and_live_rotation() {
    let db = TestDatabase::sqlite();
    let ssl = tempfile::tempdir().unwrap();
    let mut server = Server::start_with(db.url(), &tls_config(ssl.path(), true));
    let https = https_base(&mut server);
    let auth = bearer(&server);
    assert!(ssl.path().join("ssl/cert.pem").is_file());
    let key_mode = std::fs::metadata(ssl.path().join("ssl/key.pem")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&key_mode.permissions()) & 0o777,
        0o600
    );

    // The runbook's commands, port adapted.
    let (code, out) = sh(&format!(
        "curl {auth} -k {https}/api/v1/certificates/status | jq '.expiration'"
    ));
    assert_eq!(code, 0, "{out}");
    assert!(out.trim().starts_with('"'), "{out}");
    let (_, _, before) = json_of(server.get("/api/v1/certificates/status"));
    assert_eq!(before["enabled"], json!(true));
    assert!(before["days_remaining"].as_i64().unwrap() > 30, "{before}");
    assert_eq!(before["expiring_soon"], false);

    // One connection: status, rotate, status again — the third request reuses the connection
    // opened under the old certificate and sees the new fingerprint.
    let (code, out) = sh(&format!(
        "curl {auth} -k -s {https}/api/v1/certificates/status -o /dev/null --next {auth} -k -s \
         -X POST {https}/api/v1/certificates/rotate -o /dev/null --next {auth} -k -s \
         {https}/api/v1/certificates/status -w '\\nconnects=%{{num_connects}}\\n'"
    ));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("connects=0"), "connection reused: {out}");
    let after: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_ne!(
        after["fingerprint_sha256"], before["fingerprint_sha256"],
        "{out}"
    );
    let (_, _, status) = json_of(server.get("/api/v1/system/status"));
    let tls = status["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "tls")
        .unwrap()
        .clone();
    assert_eq!(tls["state"], "ok", "{status}");
}

#[test]
fn mismatched_pair_is_refused_and_the_old_one_stays() {
    let db = TestDatabase::sqlite();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ssl")).unwrap();
    let (cert_a, key_a) = openssl_pair(dir.path(), "a", 365);
    let (cert_b, key_b) = openssl_pair(dir.path(), "b", 10);
    std::fs::copy(&cert_a, dir.path().join("ssl/cert.pem")).unwrap();
    std::fs::copy(&key_a, dir.path().join("ssl/key.pem")).unwrap();
    let mut server = Server::start_with(db.url(), &tls_config(dir.path(), false));
    let https = https_base(&mut server);
    let auth = bearer(&server);
    let (_, _, before) = json_of(server.get("/api/v1/certificates/status"));
    assert!(
        before["subject"].as_str().unwrap().contains("CN=a"),
        "{before}"
    );

    // Certificate b with key a.
    std::fs::copy(&cert_b, dir.path().join("ssl/cert.pem")).unwrap();
    assert_problem(
        server
            .request(reqwest::Method::POST, "/api/v1/certificates/rotate")
            .send()
            .unwrap(),
        422,
        "invalid_certificate",
    );
    signal_pid(server.pid(), "HUP");
    std::thread::sleep(Duration::from_millis(500));
    let log = server.drain_log().join("\n");
    assert!(log.contains("config_reload rejected"), "{log}");
    let (_, _, kept) = json_of(server.get("/api/v1/certificates/status"));
    assert_eq!(kept["fingerprint_sha256"], before["fingerprint_sha256"]);
    let (code, out) = sh(&format!(
        "curl -k -s {https}/api/v1/health | jq -r '.status'"
    ));
    assert_eq!((code, out.trim()), (0, "healthy"));

    // The matching pair b, which expires in 10 days: swapped in, with the expiry warning.
    std::fs::copy(&key_b, dir.path().join("ssl/key.pem")).unwrap();
    let (status, _, rotated) = json_of(
        server
            .request(reqwest::Method::POST, "/api/v1/certificates/rotate")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{rotated}");
    assert!(
        rotated["subject"].as_str().unwrap().contains("CN=b"),
        "{rotated}"
    );
    assert_eq!(rotated["expiring_soon"], true);
    assert!(rotated["days_remaining"].as_i64().unwrap() <= 10);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        server
            .drain_log()
            .join("\n")
            .contains("certificate_expiring")
    );
    let (code, out) = sh(&format!(
        "curl {auth} -k -s {https}/api/v1/certificates/status | jq -r '.subject'"
    ));
    assert_eq!((code, out.trim()), (0, "CN=b"));

    // Only the successful rotation is a security event, with the new fingerprint.
    let (_, _, events) = json_of(server.get("/api/v1/security/events?type=certificate_rotation"));
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0]["detail"]["fingerprint_sha256"],
        rotated["fingerprint_sha256"]
    );
    assert_eq!(events[0]["source_ip"], "127.0.0.1");
}

#[test]
fn hsts_is_sent_over_https_only() {
    let db = TestDatabase::sqlite();
    let ssl = tempfile::tempdir().unwrap();
    let mut server = Server::start_with(db.url(), &tls_config(ssl.path(), true));
    let https = https_base(&mut server);
    let (code, out) = sh(&format!(
        "curl -k -s -D - -o /dev/null {https}/api/v1/health"
    ));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{out}"
    );
    let plain = server.get("/api/v1/health");
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("strict-transport-security").is_none());
}

/// notBefore and notAfter of the first certificate in `path`, Unix seconds.
fn validity(path: &Path) -> (i64, i64) {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let der = CertificateDer::from_pem_file(path).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
    let v = cert.validity();
    (v.not_before.timestamp(), v.not_after.timestamp())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const DAY: i64 = 86_400;

/// An issued self-signed certificate is valid from (an hour before) its issue for
/// `tls.self_signed_days`, not from 1975 to 4096; a stored self-signed certificate that expires
/// within 30 days, or outlives the configured lifetime, is renewed at start and on SIGHUP.
#[test]
fn self_signed_certificates_have_a_bounded_lifetime_and_are_renewed() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("ssl/cert.pem");
    let key = dir.path().join("ssl/key.pem");
    let config = format!(
        "{}tls.self_signed_days = 90\n",
        tls_config(dir.path(), true)
    );

    let issued_from = now();
    // A fresh database for each start: the harness signs in with the bootstrap password.
    let db = TestDatabase::sqlite();
    let server = Server::start_with(db.url(), &config);
    let (not_before, not_after) = validity(&cert);
    assert!(
        (issued_from - 2 * 3600..=now()).contains(&not_before),
        "notBefore {not_before}, started {issued_from}"
    );
    assert!(
        (issued_from + 90 * DAY - 3600..=now() + 90 * DAY).contains(&not_after),
        "notAfter {not_after}: 90 days after {issued_from}"
    );
    let (_, _, status) = json_of(server.get("/api/v1/certificates/status"));
    assert!(
        (89..=90).contains(&status["days_remaining"].as_i64().unwrap()),
        "{status}"
    );
    let (status, _) = server.terminate();
    assert!(status.success());

    // Stored self-signed certificates due for renewal: one expiring in 10 days, one issued
    // for a century. Each is replaced by a 90-day one at start.
    for days in [10, 36_500] {
        let (old_cert, old_key) = openssl_pair(dir.path(), "old", days);
        std::fs::copy(&old_cert, &cert).unwrap();
        std::fs::copy(&old_key, &key).unwrap();
        let db = TestDatabase::sqlite();
        let server = Server::start_with(db.url(), &config);
        let (_, not_after) = validity(&cert);
        assert!(
            (now() + 89 * DAY..=now() + 90 * DAY).contains(&not_after),
            "a {days}-day certificate is renewed for 90 days: notAfter {not_after}"
        );
        let (_, _, status) = json_of(server.get("/api/v1/certificates/status"));
        assert!(
            !status["subject"].as_str().unwrap().contains("CN=old"),
            "{status}"
        );
        // On SIGHUP, too, without a restart.
        std::fs::copy(&old_cert, &cert).unwrap();
        std::fs::copy(&old_key, &key).unwrap();
        signal_pid(server.pid(), "HUP");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (_, _, status) = json_of(server.get("/api/v1/certificates/status"));
            if !status["subject"].as_str().unwrap().contains("CN=old") {
                assert!(
                    (89..=90).contains(&status["days_remaining"].as_i64().unwrap()),
                    "{status}"
                );
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "not renewed on SIGHUP: {status}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let (status, _) = server.terminate();
        assert!(status.success());
    }
}
