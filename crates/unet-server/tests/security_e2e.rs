//! The real binary with `auth.required = true`: the bootstrap administrator's password file,
//! login, and refusal of requests without a valid token.

mod common;

use common::{Server, TestDatabase, json, json_of, set_security_policy};

#[test]
fn bootstrap_login_and_token_enforcement_on_every_backend() {
    for db in TestDatabase::all_blocking() {
        let server = Server::start_with(db.url(), "auth.required = true");
        let file = server
            .dir
            .path()
            .join("data")
            .join("initial-admin-password");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let password = std::fs::read_to_string(&file).unwrap().trim().to_string();

        assert_eq!(
            server.get("/api/v1/health").status(),
            200,
            "health stays public"
        );
        let anonymous = server.anonymous();
        let (status, _, _) = json_of(anonymous.get(server.url("/api/v1/nodes")).send().unwrap());
        assert_eq!(status, 401);
        let login = anonymous
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": password}))
            .send()
            .unwrap();
        let (status, _, body) = json_of(login);
        assert_eq!(status, 200, "{body}");
        let token = body["token"].as_str().unwrap().to_string();
        let users = server
            .request(reqwest::Method::GET, "/api/v1/users")
            .bearer_auth(&token)
            .send()
            .unwrap();
        let (status, _, body) = json_of(users);
        assert_eq!(status, 200);
        assert_eq!(body[0]["username"], "admin");
        assert_eq!(body[0]["roles"], json!(["admin"]));

        let (_, log) = server.terminate();
        let log = log.join("\n");
        assert!(
            log.contains("initial-admin-password"),
            "the file's path is logged"
        );
        assert!(!log.contains(&password), "the password is never logged");
        assert!(!log.contains(&token), "tokens are never logged");
    }
}

/// The TCP peer is recorded: a failed login's event carries `127.0.0.1`, and the per-address
/// login limit answers 429 with `Retry-After`.
#[test]
fn failed_logins_record_the_peer_address_and_are_rate_limited() {
    let db = TestDatabase::sqlite();
    let server = Server::start_with(db.url(), "auth.required = true");
    set_security_policy(&server, "login_rate_limit_per_minute", json!(2));

    let wrong = json!({"username": "admin", "password": "not the password"});
    let anonymous = server.anonymous();
    let login = || {
        anonymous
            .post(server.url("/api/v1/auth/login"))
            .json(&wrong)
            .send()
            .unwrap()
    };
    let (status, _, _) = json_of(login());
    assert_eq!(status, 401);
    let (status, _, _) = json_of(login());
    assert_eq!(status, 401);
    let (status, headers, body) = json_of(login());
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "rate_limited", "{body}");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");

    let (status, _, events) = json_of(server.get("/api/v1/security/events?type=auth_failure"));
    assert_eq!(status, 200, "{events}");
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    for event in events {
        assert_eq!(event["source_ip"], "127.0.0.1", "{event}");
        assert_eq!(event["username"], "admin", "{event}");
    }
    let (_, _, limited) = json_of(server.get("/api/v1/security/events?type=rate_limited"));
    assert_eq!(limited[0]["source_ip"], "127.0.0.1", "{limited}");
}

/// Throttling is by source address, never by account alone: an address that guesses the
/// administrator's password is locked out of that account (429, even with the right password)
/// while the administrator logs in from another address; an address spraying many names runs
/// out of its own budget only. Every step is a security event with its address.
#[test]
fn a_lockout_from_one_address_leaves_the_owner_in_from_another() {
    for db in TestDatabase::all_blocking() {
        let server = Server::start_with(db.url(), "auth.required = true");
        let password = std::fs::read_to_string(
            server
                .dir
                .path()
                .join("data")
                .join("initial-admin-password"),
        )
        .unwrap()
        .trim()
        .to_string();
        let (status, _, policy) = json_of(server.get("/api/v1/security/policies"));
        assert_eq!(status, 200, "{policy}");
        let threshold = policy["lockout_threshold"].as_u64().unwrap();
        let attacker = server.anonymous_from("127.0.0.2");
        let owner = server.anonymous_from("127.0.0.1");
        let login = |client: &reqwest::blocking::Client, username: &str, password: &str| {
            json_of(
                client
                    .post(server.url("/api/v1/auth/login"))
                    .json(&json!({"username": username, "password": password}))
                    .send()
                    .unwrap(),
            )
        };

        for _ in 0..threshold {
            let (status, _, body) = login(&attacker, "admin", "not the password");
            assert_eq!(status, 401, "{body}");
        }
        let (status, headers, body) = login(&attacker, "admin", &password);
        assert_eq!(status, 429, "locked out from the guessing address: {body}");
        assert_eq!(body["code"], "rate_limited", "{body}");
        let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        let duration = policy["lockout_duration_secs"].as_u64().unwrap();
        assert!(
            (1..=duration).contains(&retry_after),
            "Retry-After {retry_after}"
        );

        let (status, _, body) = login(&owner, "admin", &password);
        assert_eq!(
            status, 200,
            "the owner logs in from another address: {body}"
        );
        let (status, _, body) = login(&attacker, "admin", &password);
        assert_eq!(status, 429, "the guessing address stays locked out: {body}");

        let events = |kind: &str| {
            let (status, _, events) =
                json_of(server.get(&format!("/api/v1/security/events?type={kind}&limit=100")));
            assert_eq!(status, 200, "{events}");
            events.as_array().unwrap().clone()
        };
        let failures = events("auth_failure");
        assert_eq!(failures.len() as u64, threshold, "{failures:?}");
        for event in &failures {
            assert_eq!(event["source_ip"], "127.0.0.2", "{event}");
            assert_eq!(event["username"], "admin", "{event}");
            assert_eq!(event["detail"]["reason"], "wrong password", "{event}");
        }
        let lockouts = events("lockout");
        assert_eq!(lockouts.len(), 1, "{lockouts:?}");
        assert_eq!(lockouts[0]["source_ip"], "127.0.0.2");
        assert_eq!(lockouts[0]["username"], "admin");
        let refused = events("rate_limited");
        assert_eq!(refused.len(), 2, "{refused:?}");
        for event in &refused {
            assert_eq!(event["source_ip"], "127.0.0.2", "{event}");
            assert_eq!(event["detail"]["reason"], "login lockout", "{event}");
        }
        let success = &events("auth_success")[0];
        assert_eq!(success["source_ip"], "127.0.0.1", "{success}");
        assert_eq!(success["username"], "admin", "{success}");

        // Password spraying: one address trying many names spends one budget across them all.
        set_security_policy(&server, "login_rate_limit_per_minute", json!(3));
        let sprayer = server.anonymous_from("127.0.0.3");
        for name in ["alice", "bob", "carol"] {
            let (status, _, body) = login(&sprayer, name, "Winter2026!");
            assert_eq!(status, 401, "{body}");
        }
        let (status, headers, body) = login(&sprayer, "dave", "Winter2026!");
        assert_eq!(status, 429, "{body}");
        assert!(headers.contains_key("retry-after"));
        let (status, _, body) = login(&owner, "admin", &password);
        assert_eq!(status, 200, "another address keeps its budget: {body}");
        let limited = &events("rate_limited")[0];
        assert_eq!(limited["source_ip"], "127.0.0.3", "{limited}");
        assert_eq!(limited["detail"]["reason"], "login rate limit", "{limited}");
    }
}

/// A caller cannot remove itself: neither a session nor an API key of an account may delete
/// that account, disable it or change its roles (a fleet must not lose its last administrator
/// by accident); its password it may change, and another administrator may do the rest.
#[test]
fn a_caller_cannot_delete_disable_or_demote_its_own_account() {
    for db in TestDatabase::all_blocking() {
        let server = Server::start(&db);
        let created = server
            .request(reqwest::Method::POST, "/api/v1/users")
            .json(&json!({"username": "ops-lead", "password": "correct horse battery", "roles": ["admin"]}))
            .send()
            .unwrap();
        assert_eq!(json_of(created).0, 201);
        let anonymous = server.anonymous();
        let login = anonymous
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"username": "ops-lead", "password": "correct horse battery"}))
            .send()
            .unwrap();
        let session = json_of(login).2["token"].as_str().unwrap().to_string();
        let key = anonymous
            .post(server.url("/api/v1/auth/api-keys"))
            .bearer_auth(&session)
            .json(&json!({"name": "ops-lead-automation", "roles": ["admin"], "expires_in_days": 1}))
            .send()
            .unwrap();
        let (status, _, key) = json_of(key);
        assert_eq!(status, 201, "{key}");
        let key = key["secret"].as_str().unwrap().to_string();

        // A key made with a key belongs to the same account and works.
        let rotated = anonymous
            .post(server.url("/api/v1/auth/api-keys"))
            .bearer_auth(&key)
            .json(&json!({"name": "ops-lead-rotated", "roles": ["viewer"], "expires_in_days": 1}))
            .send()
            .unwrap();
        let (status, _, rotated) = json_of(rotated);
        assert_eq!(status, 201, "{rotated}");
        assert_eq!(rotated["created_by"], "ops-lead", "{rotated}");
        let me = anonymous
            .get(server.url("/api/v1/auth/me"))
            .bearer_auth(rotated["secret"].as_str().unwrap())
            .send()
            .unwrap();
        let (status, _, me) = json_of(me);
        assert_eq!(status, 200, "a key made with a key authenticates: {me}");

        for credential in [&session, &key] {
            let call = |method: reqwest::Method, body: Option<serde_json::Value>| {
                let mut r = anonymous
                    .request(method, server.url("/api/v1/users/ops-lead"))
                    .bearer_auth(credential);
                if let Some(body) = body {
                    r = r.json(&body);
                }
                json_of(r.send().unwrap())
            };
            let (status, _, p) = call(reqwest::Method::DELETE, None);
            assert_eq!((status, p["code"].as_str()), (409, Some("conflict")), "{p}");
            let (status, _, p) = call(reqwest::Method::PATCH, Some(json!({"disabled": true})));
            assert_eq!(status, 409, "{p}");
            let (status, _, p) = call(reqwest::Method::PATCH, Some(json!({"roles": ["viewer"]})));
            assert_eq!(status, 409, "{p}");
        }
        let (status, _, user) = json_of(server.get("/api/v1/users"));
        assert_eq!(status, 200);
        let lead = user
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "ops-lead")
            .unwrap();
        assert_eq!(lead["roles"], json!(["admin"]));
        assert_eq!(lead["disabled"], false);

        // Another administrator (the harness's `admin`) may.
        let r = server
            .request(reqwest::Method::DELETE, "/api/v1/users/ops-lead")
            .send()
            .unwrap();
        assert_eq!(r.status(), 204);
    }
}
