//! Running configurations through the real binary on every backend: push (new version,
//! unchanged, retention, every refusal with nothing stored), list, one version as JSON or text,
//! masking for callers without the operator role, and no configuration text in the log.

mod common;

use common::*;
use reqwest::Method;
use reqwest::blocking::{Body, Response};

const SECRET: &str = "Sup3rS3cretCommunity";

fn running(hostname: &str) -> String {
    format!(
        "hostname {hostname}\n!\nenable secret 9 $9$abcdefgh$ijklmnop\n\
         snmp-server community {SECRET} RO\ninterface Ethernet1\n description uplink\n!\nend\n"
    )
}

fn push(s: &Server, path: &str, body: impl Into<Body>) -> Response {
    s.request(Method::POST, path)
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .unwrap()
}

fn api_key(s: &Server, role: &str) -> String {
    let body = json!({"name": format!("{role}-key"), "roles": [role], "expires_in_days": 30});
    let created = s.create("/api/v1/auth/api-keys", body);
    created["secret"].as_str().unwrap().to_string()
}

fn versions(s: &Server, path: &str) -> Vec<u64> {
    let (status, _, list) = json_of(s.get(path));
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            assert!(v.get("content").is_none(), "a list carries no content: {v}");
            v["version"].as_u64().unwrap()
        })
        .collect()
}

#[test]
fn push_list_show_and_refusals() {
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        // The configuration limit replaces server.max_body_bytes on this route.
        let mut s = Server::start_with(
            db.url(),
            "server.max_body_bytes = 1024\nconfigs.max_bytes = 4096\nconfigs.keep_versions = 3\n",
        );
        let node = s.create(
            "/api/v1/nodes",
            json!({"name": "edge-1", "vendor": "cisco", "platform": "cisco_ios"}),
        );
        let id = node["id"].as_str().unwrap();
        let configs = format!("/api/v1/nodes/{id}/configs");

        let (status, _, limits) = json_of(s.get("/api/v1/limits"));
        assert_eq!(
            (status, limits["max_config_bytes"].as_u64()),
            (200, Some(4096))
        );

        // Larger than server.max_body_bytes, within configs.max_bytes.
        let first = format!("{}{}", running("edge-1"), "! padding\n".repeat(150));
        assert!(first.len() > 1024 && first.len() < 4096);
        let (status, headers, pushed) = json_of(push(&s, &configs, first.clone()));
        assert_eq!(status, 201, "{pushed}");
        assert_eq!(headers["location"], format!("{configs}/1"));
        assert_eq!(pushed["created"], true);
        assert_eq!(pushed["info"]["version"], 1);
        assert_eq!(pushed["info"]["source"], "upload");
        assert_eq!(pushed["info"]["size_bytes"], first.len());
        assert_eq!(pushed["info"]["line_count"], 158);

        let (status, headers, same) = json_of(push(&s, &configs, first.clone()));
        assert_eq!(
            (status, same["created"].as_bool()),
            (200, Some(false)),
            "{same}"
        );
        assert!(headers.get("location").is_none());
        assert_eq!(same["info"], pushed["info"]);

        let taken = "2026-12-01T08:00:00+01:00";
        let (status, _, second) = json_of(push(
            &s,
            &format!("{configs}?taken_at={}", taken.replace('+', "%2B")),
            running("edge-1-new"),
        ));
        assert_eq!(status, 201, "{second}");
        assert_eq!(second["info"]["taken_at"], "2026-12-01T07:00:00.000000Z");

        // Refusals: nothing stored.
        let untyped = s
            .request(Method::POST, &configs)
            .body(running("x"))
            .send()
            .unwrap();
        let p = assert_problem(untyped, 415, "unsupported_media_type");
        assert!(p["detail"].as_str().unwrap().contains("text/plain"), "{p}");
        let latin1 = b"hostname r1\nbanner motd caf\xe9\n".to_vec();
        let p = assert_problem(push(&s, &configs, latin1), 422, "invalid_config_text");
        assert!(p["detail"].as_str().unwrap().contains("on line 2"), "{p}");
        assert_eq!(p["errors"][0]["field"], "content");
        let p = assert_problem(push(&s, &configs, "a\nb\0\n"), 422, "invalid_config_text");
        assert!(p["detail"].as_str().unwrap().contains("NUL byte"), "{p}");
        let p = assert_problem(push(&s, &configs, " \n\n"), 422, "invalid_config_text");
        assert!(
            p["detail"].as_str().unwrap().contains("empty or blank"),
            "{p}"
        );
        let big = "! x\n".repeat(1500);
        let p = assert_problem(push(&s, &configs, big.clone()), 413, "config_too_large");
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.contains("6000 bytes") && detail.contains("configs.max_bytes (4096 bytes)"),
            "{p}"
        );
        // Without a declared length (chunked), the limit still holds.
        // The server closes that connection unread: a client of its own.
        let chunked = Body::new(std::io::Cursor::new(big.into_bytes()));
        let r = client_with(s.token.as_deref())
            .post(s.url(&configs))
            .header("content-type", "text/plain")
            .body(chunked)
            .send()
            .unwrap();
        let p = assert_problem(r, 413, "config_too_large");
        assert!(
            p["detail"].as_str().unwrap().contains("configs.max_bytes"),
            "{p}"
        );
        assert_problem(
            push(&s, &format!("{configs}?taken_at=yesterday"), "x"),
            400,
            "invalid_query",
        );
        assert_problem(
            push(&s, &format!("{configs}?colour=red"), "x"),
            400,
            "invalid_query",
        );
        assert_eq!(versions(&s, &configs), [2, 1]);

        let ghost = "/api/v1/nodes/0b0c2d3e-4f50-4a1b-9c2d-3e4f5a6b7c8d/configs";
        assert_problem(push(&s, ghost, "x"), 404, "not_found");
        assert_problem(s.get(ghost), 404, "not_found");
        assert_problem(s.get("/api/v1/nodes/edge-1/configs"), 400, "invalid_uuid");

        // One version: JSON by default, the text on request; the administrator sees secrets.
        let (status, headers, latest) = json_of(s.get(&format!("{configs}/latest")));
        assert_eq!(status, 200, "{latest}");
        assert_eq!(latest["info"]["version"], 2);
        assert_eq!(latest["masked"], false);
        assert_eq!(latest["content"], running("edge-1-new"));
        assert_eq!(headers["x-config-version"], "2");
        assert_eq!(
            headers["etag"],
            format!("\"{}\"", latest["info"]["sha256"].as_str().unwrap())
        );
        let text = s
            .request(Method::GET, &format!("{configs}/1"))
            .header("accept", "text/plain")
            .send()
            .unwrap();
        assert_eq!(text.status(), 200);
        assert_eq!(text.headers()["x-config-masked"], "false");
        assert!(
            text.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        assert_eq!(text.text().unwrap(), first);
        let (_, _, masked) = json_of(s.get(&format!("{configs}/latest?masked=true")));
        assert_eq!(masked["masked"], true);
        assert!(
            masked["content"]
                .as_str()
                .unwrap()
                .contains("snmp-server community <masked> RO")
        );

        let p = assert_problem(s.get(&format!("{configs}/9")), 404, "not_found");
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains(id) && detail.contains("version 9"), "{p}");
        for bad in ["0", "abc", "-1", "1.5"] {
            assert_problem(
                s.get(&format!("{configs}/{bad}")),
                400,
                "invalid_config_version",
            );
        }

        // A viewer reads masked content and cannot push; an operator pushes.
        let viewer = client_with(Some(&api_key(&s, "viewer")));
        let operator = client_with(Some(&api_key(&s, "operator")));
        let (status, _, seen) = json_of(
            viewer
                .get(s.url(&format!("{configs}/latest")))
                .send()
                .unwrap(),
        );
        assert_eq!(status, 200, "{seen}");
        assert_eq!(seen["masked"], true);
        let content = seen["content"].as_str().unwrap();
        assert!(
            !content.contains(SECRET) && !content.contains("$9$"),
            "{content}"
        );
        assert!(content.contains("enable secret 9 <masked>"), "{content}");
        let as_text = viewer
            .get(s.url(&format!("{configs}/latest")))
            .header("accept", "text/plain")
            .send()
            .unwrap();
        assert_eq!(as_text.headers()["x-config-masked"], "true");
        assert!(!as_text.text().unwrap().contains(SECRET));
        let refused = viewer
            .post(s.url(&configs))
            .header("content-type", "text/plain")
            .body(running("by-viewer"))
            .send()
            .unwrap();
        assert_problem(refused, 403, "forbidden");
        for i in 0..3 {
            let r = operator
                .post(s.url(&configs))
                .header("content-type", "text/plain")
                .body(running(&format!("by-operator-{i}")))
                .send()
                .unwrap();
            let (status, _, pushed) = json_of(r);
            assert_eq!(status, 201, "{pushed}");
            assert_eq!(pushed["removed"], u64::from(i > 0));
        }
        // Retention keeps three versions.
        assert_eq!(versions(&s, &configs), [5, 4, 3]);

        // A node's configurations go with it.
        let deleted = s
            .request(Method::DELETE, &format!("/api/v1/nodes/{id}"))
            .send()
            .unwrap();
        assert_eq!(deleted.status(), 204);
        assert_problem(s.get(&configs), 404, "not_found");

        let log = s.drain_log().join("\n");
        assert!(!log.contains(SECRET), "configuration text in the log");
        drop(s);
    }
}
