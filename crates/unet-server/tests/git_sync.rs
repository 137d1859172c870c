//! Git sync against the real binary on every backend available here: a local repository of
//! rule files made by the `git` binary, the start-up sync, `POST /api/v1/git/sync`, a new
//! commit going live in `/api/v1/policies`, a broken commit refused while the previous one
//! stays live, the signed webhook, the system status component and full snapshots; and the
//! same repository served over ssh by OpenSSH's sshd, whose host key then changes.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use unet_git::testing::{SshServer, git, init};

const SECRET: &str = "webhook secret for tests";

/// Writes `file` in the work repository and commits it; returns the commit id.
fn commit(work: &Path, file: &str, text: &str) -> String {
    unet_git::testing::commit(work, &[(file, text)])
}

fn rule(name: &str) -> String {
    format!(
        "RULE \"{name}\":\nWHEN node.vendor == \"cisco\"\nTHEN ASSERT node.status IS \"active\"\n"
    )
}

fn sign(body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    format!(
        "sha256={}",
        hex::encode(ring::hmac::sign(&key, body).as_ref())
    )
}

/// What a Git host posts after a push.
const PAYLOAD: &[u8] = br#"{"ref":"refs/heads/main"}"#;

/// Posts [`PAYLOAD`] to the webhook as the Git host would, signed with `signature` if any.
fn webhook(server: &Server, signature: Option<&str>) -> reqwest::blocking::Response {
    let mut request = server
        .anonymous()
        .post(server.url("/api/v1/git/webhook"))
        .header("content-type", "application/json")
        .body(PAYLOAD.to_vec());
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    request.send().expect("POST webhook")
}

fn rules_repository(db: &TestDatabase, work: &Path, secret: &Path) -> Server {
    let extra = format!(
        "policies.interval = \"0s\"\n[git]\ninterval = \"0s\"\nwebhook_secret_file = {:?}\n\
         [[git.repositories]]\nname = \"rules\"\nurl = {:?}\ncontent = \"policies\"\n",
        secret.display().to_string(),
        work.display().to_string()
    );
    Server::start_with(db.url(), &extra)
}

fn status_of(server: &Server) -> Value {
    let (code, _, body) = json_of(server.get("/api/v1/git/status"));
    assert_eq!(code, 200, "{body}");
    let all = body
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {body}"));
    assert_eq!(all.len(), 1, "{body}");
    all[0].clone()
}

/// Polls the status until `done` holds (the start-up sync and the webhook run in the background).
fn wait_for(server: &Server, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = status_of(server);
        if done(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {status}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn rule_ids(server: &Server) -> Vec<String> {
    let (code, _, listing) = json_of(server.get("/api/v1/policies"));
    assert_eq!(code, 200, "{listing}");
    listing["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// The `git_sync` component of `GET /api/v1/system/status`.
fn git_sync_component(server: &Server) -> Value {
    let (_, _, system) = json_of(server.get("/api/v1/system/status"));
    system["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "git_sync")
        .cloned()
        .unwrap()
}

fn sync(server: &Server, body: &Value) -> Value {
    let (code, _, statuses) = json_of(server.post_json("/api/v1/git/sync", body));
    assert_eq!(code, 200, "{statuses}");
    statuses[0].clone()
}

#[test]
fn rules_follow_the_repository_and_broken_revisions_stay_out() {
    for db in TestDatabase::all_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let work = init(dir.path(), "rules");
        let first = commit(&work, "a.rules", &rule("first"));
        let secret = dir.path().join("webhook.secret");
        std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
        let server = rules_repository(&db, &work, &secret);

        // The start-up sync puts the first revision live; the engine reads it.
        let status = wait_for(&server, "the start-up sync", |s| {
            s["live_commit"] == first.as_str()
        });
        assert_eq!(status["last_result"], "ok", "{status}");
        assert_eq!(status["branch"], "main");
        assert_eq!(status["content"], "policies");
        assert_eq!(rule_ids(&server), ["first"]);

        // Nothing moved: unchanged.
        assert_eq!(sync(&server, &json!({}))["last_result"], "unchanged");

        // A new commit goes live on demand.
        let second = commit(&work, "b.rules", &rule("second"));
        let status = sync(&server, &json!({"repository": "rules"}));
        assert_eq!(status["last_result"], "ok", "{status}");
        assert_eq!(status["live_commit"], second.as_str());
        assert_eq!(rule_ids(&server), ["first", "second"]);

        // A broken commit is refused with its diagnostics; the previous revision stays.
        let broken = commit(&work, "c.rules", "RULE \"third\":\nWHEN node.vendor ==\n");
        let status = sync(&server, &json!({}));
        assert_eq!(status["last_result"], "failed", "{status}");
        assert_eq!(status["live_commit"], second.as_str());
        assert!(
            status["error"].as_str().unwrap().contains(&broken),
            "{status}"
        );
        let diagnostics = status["diagnostics"].as_array().unwrap();
        assert!(
            diagnostics
                .iter()
                .any(|d| d.as_str().unwrap().starts_with("c.rules:")),
            "{status}"
        );
        assert_eq!(status_of(&server), status, "the status keeps the failure");
        assert_eq!(rule_ids(&server), ["first", "second"]);
        let component = git_sync_component(&server);
        assert_eq!(component["state"], "error", "{component}");
        assert!(component["last_run"].is_string(), "{component}");

        // An unknown repository is a 404 problem.
        let r = server.post_json("/api/v1/git/sync", &json!({"repository": "nope"}));
        assert_problem(r, 404, "git_repository_not_found");

        // The webhook: a wrong or missing signature is refused and recorded.
        let hook = |signature: Option<&str>| webhook(&server, signature);
        assert_problem(hook(Some("sha256=00")), 401, "invalid_signature");
        assert_problem(hook(None), 401, "invalid_signature");
        let (_, _, events) =
            json_of(server.get("/api/v1/security/events?type=auth_failure&limit=10"));
        let webhook_events = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["detail"]["route"] == "/api/v1/git/webhook")
            .count();
        assert_eq!(webhook_events, 2, "{events}");

        // A signed call syncs in the background: the fixed revision goes live.
        std::fs::write(work.join("c.rules"), rule("third")).unwrap();
        git(&work, &["commit", "-q", "-am", "fix"]);
        let fixed = git(&work, &["rev-parse", "HEAD"]);
        let r = hook(Some(&sign(PAYLOAD)));
        assert_eq!(r.status(), 202);
        let status = wait_for(&server, "the webhook sync", |s| {
            s["live_commit"] == fixed.as_str()
        });
        assert_eq!(status["last_result"], "ok");
        assert!(status["diagnostics"].as_array().unwrap().is_empty());
        assert_eq!(rule_ids(&server), ["first", "second", "third"]);

        // A full snapshot holds the live revision.
        let (code, _, snapshot) = json_of(server.post_json(
            "/api/v1/system/snapshot",
            &json!({"name": "with-git", "type": "full"}),
        ));
        assert_eq!(code, 201, "{snapshot}");
        let files: Vec<&str> = snapshot["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        for file in [
            "git/rules/a.rules",
            "git/rules/b.rules",
            "git/rules/c.rules",
        ] {
            assert!(files.contains(&file), "{file} missing from {files:?}");
        }
        assert!(!files.iter().any(|f| f.contains("mirror.git")), "{files:?}");

        let (exit, _) = server.terminate();
        assert!(exit.success());
    }
}

/// Rules over ssh from a real OpenSSH server, with the repository's deploy key and pinned host
/// key: a push goes live; once the server's host key changes every sync is refused, the rules
/// before stay live, and one security event records the refusal.
#[test]
fn rules_over_ssh_follow_pushes_until_the_host_key_changes() {
    for db in TestDatabase::all_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let work = init(dir.path(), "rules");
        let first = commit(&work, "a.rules", &rule("first"));
        let mut sshd = SshServer::start(dir.path());
        let extra = format!(
            "policies.interval = \"0s\"\n[git]\ninterval = \"0s\"\n[[git.repositories]]\n\
             name = \"rules\"\nurl = {:?}\ncontent = \"policies\"\nssh_key_file = {:?}\n\
             host_key = {:?}\n",
            sshd.url(&work),
            sshd.key_file.display().to_string(),
            sshd.host_key
        );
        let server = Server::start_with(db.url(), &extra);
        wait_for(&server, "the start-up sync over ssh", |s| {
            s["live_commit"] == first.as_str()
        });
        assert_eq!(rule_ids(&server), ["first"]);

        // A push of new rules: the next sync puts them live.
        let second = commit(&work, "b.rules", &rule("second"));
        let status = sync(&server, &json!({}));
        assert_eq!(status["last_result"], "ok", "{status}");
        assert_eq!(status["live_commit"], second.as_str());
        assert_eq!(rule_ids(&server), ["first", "second"]);

        // The server now presents another host key: refused, the live rules stay.
        sshd.replace_host_key();
        commit(&work, "c.rules", &rule("third"));
        let status = sync(&server, &json!({}));
        assert_eq!(status["last_result"], "failed", "{status}");
        assert_eq!(status["live_commit"], second.as_str());
        let error = status["error"].as_str().unwrap();
        assert!(error.contains("has CHANGED"), "{status}");
        assert_eq!(rule_ids(&server), ["first", "second"]);
        // The same refusal again is not a new event.
        assert_eq!(sync(&server, &json!({}))["last_result"], "failed");
        let (_, _, events) =
            json_of(server.get("/api/v1/security/events?type=git_host_key_rejected"));
        let events = events.as_array().unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(
            events[0]["detail"],
            json!({"repository": "rules", "host": "127.0.0.1", "port": sshd.port(),
                   "reason": "changed"})
        );

        let (exit, log) = server.terminate();
        assert!(exit.success());
        assert!(
            log.iter()
                .any(|l| l.contains("security git host key rejected")),
            "{log:?}"
        );
    }
}

/// Wrong signatures spend the per-address budget logins spend (`login_rate_limit_per_minute`):
/// once it is gone the webhook and the login both answer 429, while a correctly signed call
/// still goes through.
#[test]
fn wrong_webhook_signatures_spend_the_address_login_budget() {
    for db in TestDatabase::all_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let work = init(dir.path(), "rules");
        commit(&work, "a.rules", &rule("first"));
        let secret = dir.path().join("webhook.secret");
        std::fs::write(&secret, SECRET).unwrap();
        let server = rules_repository(&db, &work, &secret);
        set_security_policy(&server, "login_rate_limit_per_minute", json!(2));

        assert_problem(
            webhook(&server, Some("sha256=00")),
            401,
            "invalid_signature",
        );
        assert_problem(webhook(&server, None), 401, "invalid_signature");
        let limited = webhook(&server, Some("sha256=00"));
        let retry_after: u64 = limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
        assert_problem(limited, 429, "rate_limited");
        let login = server
            .anonymous()
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": "a guess"}))
            .send()
            .unwrap();
        assert_problem(login, 429, "rate_limited");
        assert_eq!(webhook(&server, Some(&sign(PAYLOAD))).status(), 202);

        let (_, _, events) = json_of(server.get("/api/v1/security/events?type=rate_limited"));
        let reasons: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["detail"]["reason"].as_str())
            .collect();
        assert!(reasons.contains(&"git webhook rate limit"), "{events}");
        assert!(reasons.contains(&"login rate limit"), "{events}");
    }
}

#[test]
fn without_a_secret_the_webhook_is_off_and_without_repositories_sync_is_a_no_op() {
    for db in TestDatabase::all_blocking() {
        let server = Server::start(&db);
        let r = server
            .anonymous()
            .post(server.url("/api/v1/git/webhook"))
            .body("{}")
            .send()
            .unwrap();
        assert_problem(r, 404, "git_webhook_disabled");
        let (code, _, body) = json_of(server.get("/api/v1/git/status"));
        assert_eq!((code, body), (200, json!([])));
        let (code, _, body) = json_of(server.post_json("/api/v1/git/sync", &json!({})));
        assert_eq!((code, body), (200, json!([])));
        let r = server
            .request(reqwest::Method::POST, "/api/v1/git/sync")
            .send()
            .unwrap();
        assert_problem(r, 400, "invalid_json");
        let r = server.post_json("/api/v1/git/sync", &json!([]));
        assert_problem(r, 400, "invalid_json");
        let component = git_sync_component(&server);
        assert_eq!(component["state"], "disabled", "{component}");
    }
}

#[test]
fn validate_reports_repository_problems_and_sighup_applies_new_repositories() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[[git.repositories]]\nname = \"Rules\"\nurl = \"https://git.example.net/r.git\"\ncontent = \"policy\"\n",
    )
    .unwrap();
    let (code, out, err) =
        run(command(&["--config", config.to_str().unwrap(), "--validate"]).current_dir(dir.path()));
    let text = format!("{out}{err}");
    assert_eq!(code, 1, "{text}");
    for key in ["git.repositories[0].name", "git.repositories[0].content"] {
        assert!(text.contains(key), "{key} missing from {text}");
    }

    for db in TestDatabase::all_blocking() {
        let work = init(dir.path(), &format!("templates-{}", db.backend().as_str()));
        let first = commit(&work, "base.j2", "hostname {{ node.name }}\n");
        let mut server = Server::start(&db);
        assert_eq!(json_of(server.get("/api/v1/git/status")).2, json!([]));
        let mut text = std::fs::read_to_string(&server.config).unwrap();
        text.push_str(&format!(
            "[[git.repositories]]\nname = \"templates\"\nurl = {:?}\ncontent = \"templates\"\n",
            work.display().to_string()
        ));
        std::fs::write(&server.config, text).unwrap();
        server.reload();
        let status = wait_for(&server, "the sync after SIGHUP", |s| {
            s["live_commit"] == first.as_str()
        });
        assert_eq!(status["content"], "templates");
        commit(&work, "broken.j2", "{% if node.name %}\nno end\n");
        let status = sync(&server, &json!({}));
        assert_eq!(status["last_result"], "failed", "{status}");
        assert_eq!(status["live_commit"], first.as_str());
        assert!(
            status["diagnostics"][0]
                .as_str()
                .unwrap()
                .starts_with("broken.j2:"),
            "{status}"
        );
    }
}
