//! Every class of refused request is an RFC 9457 problem document with a stable code;
//! health, the OpenAPI document and the docs page are served; request ids are echoed.

mod common;

use common::*;
use reqwest::Method;

#[test]
fn every_error_class_is_a_problem_document() {
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let s = Server::start_with(db.url(), "server.max_body_bytes = 4096\n");
        error_classes(&s);
        drop(s);
    }
}

fn error_classes(s: &Server) {
    let body = |text: &'static str| {
        s.request(Method::POST, "/api/v1/nodes")
            .header("content-type", "application/json")
            .body(text)
            .send()
            .unwrap()
    };
    assert_problem(body(r#"{"name": "#), 400, "malformed_json");
    assert_problem(body(r#"{"name": "a"} trailing"#), 400, "malformed_json");
    // A struct's fields as an array is not an object: refused, not read positionally.
    let p = assert_problem(body(r#"["core-1", null]"#), 422, "invalid_field");
    assert_eq!(
        p["errors"][0]["message"],
        "expected a JSON object as the request body"
    );
    assert_problem(body(r#"[1, "#), 400, "malformed_json");
    let p = assert_problem(
        body(r#"{"name": "a", "colour": "red"}"#),
        422,
        "unknown_field",
    );
    assert_eq!(p["errors"][0]["field"], "colour");
    let p = assert_problem(body(r#"{"name": 7}"#), 422, "invalid_field");
    assert_eq!(p["errors"][0]["field"], "name");
    let p = assert_problem(
        body(r#"{"name": "a", "location_id": "nope"}"#),
        422,
        "invalid_field",
    );
    assert_eq!(p["errors"][0]["field"], "location_id");
    let p = assert_problem(body(r#"{"name": "bad name"}"#), 422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "name");
    let p = assert_problem(
        body(r#"{"name": "a", "location_id": "0b0c2d3e-4f50-4a1b-9c2d-3e4f5a6b7c8d"}"#),
        422,
        "dangling_reference",
    );
    assert_eq!(p["errors"][0]["field"], "location_id");

    let no_type = s
        .request(Method::POST, "/api/v1/nodes")
        .body(r#"{"name": "a"}"#)
        .send()
        .unwrap();
    assert_problem(no_type, 415, "unsupported_media_type");
    let big = format!(r#"{{"name": "a", "description": "{}"}}"#, "x".repeat(8192));
    let r = s
        .request(Method::POST, "/api/v1/locations")
        .header("content-type", "application/json")
        .body(big)
        .send()
        .unwrap();
    assert_problem(r, 413, "payload_too_large");

    let p = assert_problem(s.get("/api/v1/nodes/not-a-uuid"), 400, "invalid_uuid");
    assert_eq!(p["errors"][0]["field"], "id");
    assert_problem(
        s.get("/api/v1/nodes/not-a-uuid/history"),
        400,
        "invalid_uuid",
    );
    let p = assert_problem(s.get("/api/v1/nodes?status=live"), 400, "invalid_query");
    assert_eq!(p["errors"][0]["field"], "status");
    let p = assert_problem(s.get("/api/v1/nodes?colour=red"), 400, "invalid_query");
    assert_eq!(p["errors"][0]["field"], "colour");
    assert_problem(s.get("/api/v1/nodes?limit=0"), 400, "invalid_query");
    assert_problem(s.get("/api/v1/nodes?q=a%00b"), 400, "invalid_query");
    assert_problem(
        body(r#"{"name": "a", "asset_tag": "x\u0000"}"#),
        422,
        "invalid_field",
    );
    assert_problem(s.get("/api/v1/nodes?limit=1001"), 400, "invalid_query");
    assert_problem(s.get("/api/v1/links?node=xyz"), 400, "invalid_query");
    assert_problem(
        s.get("/api/v1/changes?since=yesterday"),
        400,
        "invalid_query",
    );
    assert_problem(
        s.get("/api/v1/nodes?cursor=garbage"),
        422,
        "validation_failed",
    );
    assert_problem(s.get("/api/v1/nodes?location=Nowhere"), 404, "not_found");
    let id = unet_core::Uuid::new_v4();
    assert_problem(s.get(&format!("/api/v1/links/{id}")), 404, "not_found");
    assert_problem(
        s.request(Method::DELETE, &format!("/api/v1/locations/{id}"))
            .send()
            .unwrap(),
        404,
        "not_found",
    );
    let r = s
        .request(Method::PUT, &format!("/api/v1/nodes/{id}"))
        .header("if-match", "yesterday")
        .json(&json!({"name": "a"}))
        .send()
        .unwrap();
    assert_problem(r, 400, "invalid_header");
    // A half-quoted tag is malformed (a bare revision number is accepted, a quoted one too).
    let r = s
        .request(Method::PUT, &format!("/api/v1/nodes/{id}"))
        .header("if-match", "\"1")
        .json(&json!({"name": "a"}))
        .send()
        .unwrap();
    assert_problem(r, 400, "invalid_header");

    let p = assert_problem(s.get("/api/v1/routers"), 404, "route_not_found");
    assert!(p["detail"].as_str().unwrap().contains("/api/v1/routers"));
    assert_problem(s.get("/"), 404, "route_not_found");
    let r = s.request(Method::DELETE, "/api/v1/nodes").send().unwrap();
    let allow = r.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_problem(r, 405, "method_not_allowed");
    assert_problem(
        s.request(Method::POST, "/api/v1/health").send().unwrap(),
        405,
        "method_not_allowed",
    );
    let r = s
        .request(Method::PATCH, &format!("/api/v1/nodes/{id}"))
        .json(&json!([1, 2]))
        .send()
        .unwrap();
    // The body is read before the record: a patch that is not an object is refused first.
    assert_problem(r, 422, "invalid_field");
}

#[test]
fn health_docs_and_request_ids() {
    let db = TestDatabase::sqlite();
    let s = Server::start(&db);
    let (status, headers, health) = json_of(s.get("/api/v1/health"));
    assert_eq!(status, 200);
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert!(health["uptime_seconds"].is_u64());
    assert_eq!(health["checks"]["database"]["status"], "healthy");
    assert!(health["checks"]["database"]["latency_ms"].is_number());
    assert!(
        !health.to_string().contains(db.url()),
        "health must not reveal the URL"
    );
    let generated = headers["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 36, "a UUID request id: {generated}");
    let r = s
        .request(Method::GET, "/api/v1/nodes")
        .header("x-request-id", "trace-me-1")
        .send()
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-me-1");

    let (status, _, doc) = json_of(s.get("/api/v1/openapi.json"));
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/health",
        "/api/v1/nodes",
        "/api/v1/nodes/{id}",
        "/api/v1/nodes/{id}/history",
        "/api/v1/locations",
        "/api/v1/locations/{id}",
        "/api/v1/links",
        "/api/v1/links/{id}",
        "/api/v1/changes",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["paths"]["/api/v1/nodes/{id}"]["put"]["responses"]["412"].is_object());
    let page = s.get("/api/docs/");
    assert_eq!(page.status(), 200);
    assert!(page.text().unwrap().contains("swagger"));
    let css = s.get("/api/docs/swagger-ui.css");
    assert_eq!(
        css.status(),
        200,
        "Swagger UI assets are served from the binary"
    );

    // The request log names method, route, status, latency and request id.
    let (status, log) = s.terminate();
    assert!(status.success());
    let line = log
        .iter()
        .find(|l| l.contains("trace-me-1"))
        .unwrap_or_else(|| panic!("no request log line:\n{}", log.join("\n")));
    for part in [
        "method=GET",
        "route=/api/v1/nodes",
        "status=200",
        "latency_ms=",
        "request_id=trace-me-1",
    ] {
        assert!(line.contains(part), "{part} missing: {line}");
    }
}

/// A client's `X-Request-Id` is stored with every change and logged with every request: one
/// of 1 to 128 visible ASCII characters is kept, anything else (60,000 characters, a space,
/// a control or non-ASCII byte) is replaced by a generated UUID, in the answer and in the
/// stored change alike.
#[test]
fn unusable_request_ids_are_replaced() {
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let s = Server::start(&db);
        let longest = "r".repeat(128);
        let cases: Vec<(reqwest::header::HeaderValue, bool)> = vec![
            (longest.parse().unwrap(), true),
            ("trace-me-2:{ok}".parse().unwrap(), true),
            ("x".repeat(60_000).parse().unwrap(), false),
            ("r".repeat(129).parse().unwrap(), false),
            ("two words".parse().unwrap(), false),
            ("tab\there".parse().unwrap(), false),
            (
                reqwest::header::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
                false,
            ),
        ];
        for (i, (sent, kept)) in cases.into_iter().enumerate() {
            let r = s
                .request(Method::POST, "/api/v1/locations")
                .header("x-request-id", sent.clone())
                .json(&json!({"name": format!("site-{i}"), "kind": "site"}))
                .send()
                .unwrap();
            let answered = r.headers()["x-request-id"].clone();
            let (status, _, location) = json_of(r);
            assert_eq!(status, 201, "{location}");
            if kept {
                assert_eq!(answered, sent);
            } else {
                let answered = answered.to_str().unwrap_or("(not text)");
                assert!(
                    answered.len() == 36 && answered.parse::<unet_core::Uuid>().is_ok(),
                    "case {i}: a generated UUID, got {} characters starting {:?}",
                    answered.len(),
                    answered.chars().take(40).collect::<String>()
                );
            }
            let id = location["id"].as_str().unwrap();
            let (_, _, changes) = json_of(s.get(&format!(
                "/api/v1/changes?entity_type=location&entity_id={id}"
            )));
            assert!(
                changes[0]["request_id"].as_str().unwrap().as_bytes() == answered.as_bytes(),
                "case {i}: the stored change has the id of the answer"
            );
        }
    }
}

#[test]
fn request_rules_on_every_backend() {
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let s = Server::start(&db);
        preconditions(&s);
        repeated_members(&s);
        host_name_case(&s);
        drop(s);
    }
}

fn send(
    s: &Server,
    method: Method,
    path: &str,
    if_match: Option<&str>,
    body: &str,
) -> reqwest::blocking::Response {
    let mut request = s
        .request(method, path)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    request.send().unwrap()
}

/// RFC 9110 §13.1.1: a well-formed entity tag that names no stored revision is a failed
/// precondition (412), as is a body `revision` of PATCH; only a malformed header is 400.
fn preconditions(s: &Server) {
    let node = s.create("/api/v1/nodes", json!({"name": "pre-1"}));
    let path = format!("/api/v1/nodes/{}", node["id"].as_str().unwrap());
    let patch = r#"{"model": "x"}"#;
    for tag in ["\"stale-0\"", "W/\"abc\"", "\"\"", "\"7\", \"8\""] {
        assert_problem(
            send(s, Method::PATCH, &path, Some(tag), patch),
            412,
            "stale_revision",
        );
        let put = r#"{"name": "pre-1", "model": "y"}"#;
        assert_problem(
            send(s, Method::PUT, &path, Some(tag), put),
            412,
            "stale_revision",
        );
    }
    assert_problem(
        send(s, Method::PATCH, &path, Some("stale-0"), patch),
        400,
        "invalid_header",
    );
    // An invalid body is refused for what it is, whatever the precondition would say.
    for tag in ["\"stale-0\"", "\"7\", \"8\"", "\"1\""] {
        for (method, body) in [
            (Method::PATCH, r#"{"name": "not a host name"}"#),
            (Method::PUT, r#"{"name": "not a host name"}"#),
        ] {
            assert_problem(
                send(s, method, &path, Some(tag), body),
                422,
                "validation_failed",
            );
        }
    }
    // A list names the stored revision when any of its tags does.
    let r = send(s, Method::PATCH, &path, Some("\"x\", \"1\", \"9\""), patch);
    let (status, headers, body) = json_of(r);
    assert_eq!(
        (status, headers["etag"].to_str().unwrap()),
        (200, "\"2\""),
        "{body}"
    );
    // PATCH honours a body `revision` like PUT does.
    let stale = r#"{"model": "z", "revision": 1}"#;
    assert_problem(
        send(s, Method::PATCH, &path, None, stale),
        412,
        "stale_revision",
    );
    let current = r#"{"model": "z", "revision": 2}"#;
    let (status, _, body) = json_of(send(s, Method::PATCH, &path, None, current));
    assert_eq!(
        (status, body["revision"].as_i64()),
        (200, Some(3)),
        "{body}"
    );
    // If-Match and a body revision that disagree can never both hold: refused as such.
    for method in [Method::PATCH, Method::PUT] {
        let body = r#"{"name": "pre-1", "model": "w", "revision": 2}"#;
        let p = assert_problem(
            send(s, method, &path, Some("\"3\""), body),
            422,
            "validation_failed",
        );
        assert_eq!(p["errors"][0]["field"], "revision", "{p}");
    }
    // A record that does not exist is 404 whatever the precondition.
    let missing = format!("/api/v1/nodes/{}", unet_core::Uuid::new_v4());
    assert_problem(
        send(s, Method::PATCH, &missing, Some("\"x\", \"y\""), patch),
        404,
        "not_found",
    );
}

/// A member given twice is refused by PATCH as by POST, with the same problem.
fn repeated_members(s: &Server) {
    let twice = r#"{"name": "dup-1", "model": "a", "model": "b"}"#;
    let posted = assert_problem(
        send(s, Method::POST, "/api/v1/nodes", None, twice),
        422,
        "invalid_field",
    );
    let node = s.create("/api/v1/nodes", json!({"name": "dup-1"}));
    let path = format!("/api/v1/nodes/{}", node["id"].as_str().unwrap());
    let patched = assert_problem(
        send(
            s,
            Method::PATCH,
            &path,
            None,
            r#"{"model": "a", "model": "b"}"#,
        ),
        422,
        "invalid_field",
    );
    assert_eq!(patched["errors"], posted["errors"]);
    assert!(
        posted["detail"]
            .as_str()
            .unwrap()
            .contains("duplicate field `model`"),
        "{posted}"
    );
}

/// Host names compare case-insensitively (RFC 4343): stored in lower case, found in any.
fn host_name_case(s: &Server) {
    let upper = s.create(
        "/api/v1/nodes",
        json!({"name": "CORE-9", "domain": "DC1.Example.NET"}),
    );
    assert_eq!(
        (&upper["name"], &upper["domain"], &upper["fqdn"]),
        (
            &json!("core-9"),
            &json!("dc1.example.net"),
            &json!("core-9.dc1.example.net")
        )
    );
    let lower = r#"{"name": "core-9", "domain": "dc1.example.net"}"#;
    assert_problem(
        send(s, Method::POST, "/api/v1/nodes", None, lower),
        409,
        "conflict",
    );
    let (status, _, found) = json_of(s.get("/api/v1/resolve/nodes?ident=Core-9.DC1.example.net"));
    assert_eq!((status, &found["id"]), (200, &upper["id"]), "{found}");
}

/// An outside `sqlite3` holding the write lock longer than `database.busy_timeout` (a long
/// `VACUUM`, an operator's open transaction) makes a write give up: the client gets 503
/// `database_busy` with `Retry-After`, nothing is written, the log says WARN rather than ERROR,
/// and the same request succeeds once the lock is gone.
#[test]
fn a_write_that_meets_an_outside_lock_is_a_retryable_503() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};

    let db = TestDatabase::sqlite();
    let s = Server::start_with(db.url(), "database.busy_timeout = \"100ms\"\n");
    let file = db.url().trim_start_matches("sqlite://").to_string();
    let mut sqlite3 = Command::new("sqlite3")
        .arg(&file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sqlite3 (the tests need the sqlite3 command)");
    let mut input = sqlite3.stdin.take().unwrap();
    writeln!(input, "BEGIN IMMEDIATE;\nSELECT 'locked';").unwrap();
    let mut answer = String::new();
    BufReader::new(sqlite3.stdout.take().unwrap())
        .read_line(&mut answer)
        .unwrap();
    assert_eq!(answer.trim(), "locked");

    let site = json!({"name": "while-locked", "kind": "site"});
    let r = s.post_json("/api/v1/locations", &site);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_problem(r, 503, "database_busy");

    writeln!(input, "ROLLBACK;\n.quit").unwrap();
    drop(input);
    assert!(sqlite3.wait().unwrap().success());
    let (_, _, page) = json_of(s.get("/api/v1/locations?q=while-locked"));
    assert_eq!(page.as_array().unwrap().len(), 0, "{page}");
    s.create("/api/v1/locations", site);

    let (status, log) = s.terminate();
    assert!(status.success());
    let errors: Vec<&String> = log.iter().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(
        log.iter()
            .any(|l| l.contains("WARN") && l.contains("clashed")),
        "{log:#?}"
    );
}
