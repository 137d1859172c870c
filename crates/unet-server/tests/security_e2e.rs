//! The real binary with `auth.required = true`: the bootstrap administrator's password file,
//! login, and refusal of requests without a valid token.

mod common;

use common::{Server, TestDatabase, json, json_of};

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
    let (status, _, mut policy) = json_of(server.get("/api/v1/security/policies"));
    assert_eq!(status, 200, "{policy}");
    policy["login_rate_limit_per_minute"] = json!(2);
    let r = server
        .request(reqwest::Method::PUT, "/api/v1/security/policies")
        .json(&policy)
        .send()
        .unwrap();
    let (status, _, body) = json_of(r);
    assert_eq!(status, 200, "{body}");

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
