//! Every inventory endpoint through the real binary, on every available backend.

mod common;

use common::*;
use reqwest::Method;

#[test]
fn inventory_endpoints_on_every_backend() {
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let server = Server::start(&db);
        locations(&server);
        nodes_and_links(&server);
        pagination(&server);
        let (status, log) = server.terminate();
        assert!(status.success(), "{status}\n{}", log.join("\n"));
    }
}

fn locations(s: &Server) {
    let site = s.create(
        "/api/v1/locations",
        json!({"name": "Campus", "kind": "site"}),
    );
    let building = s.create(
        "/api/v1/locations",
        json!({"name": "Building A", "kind": "building", "parent_id": site["id"]}),
    );
    assert_eq!(building["path"], "Campus/Building A");
    let id = building["id"].as_str().unwrap();

    let (status, headers, got) = json_of(s.get(&format!("/api/v1/locations/{id}")));
    assert_eq!((status, &got), (200, &building));
    assert_eq!(headers["etag"], "\"1\"");

    let (status, _, list) = json_of(s.get(&format!(
        "/api/v1/locations?parent={}",
        site["id"].as_str().unwrap()
    )));
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, headers, list) = json_of(s.get("/api/v1/locations?kind=site&q=camp"));
    assert_eq!(list[0]["id"], site["id"]);
    assert_eq!(headers["x-total-count"], "1");

    let r = s
        .request(Method::PATCH, &format!("/api/v1/locations/{id}"))
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"description": "main building"}"#)
        .send()
        .unwrap();
    let (status, headers, patched) = json_of(r);
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["description"], "main building");
    assert_eq!(headers["etag"], "\"2\"");

    // A referenced location is kept unless the delete cascades.
    let site_id = site["id"].as_str().unwrap();
    assert_problem(
        s.request(Method::DELETE, &format!("/api/v1/locations/{site_id}"))
            .send()
            .unwrap(),
        409,
        "referenced",
    );
    let r = s
        .request(
            Method::DELETE,
            &format!("/api/v1/locations/{site_id}?cascade=true"),
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_problem(s.get(&format!("/api/v1/locations/{id}")), 404, "not_found");
}

fn nodes_and_links(s: &Server) {
    let rack = s.create(
        "/api/v1/locations",
        json!({"name": "Rack 1", "kind": "rack"}),
    );
    let core = s.create(
        "/api/v1/nodes",
        json!({"name": "core-1", "domain": "dc1.example.net", "vendor": "cisco", "role": "core",
               "location_id": rack["id"], "management_ip": "192.0.2.1"}),
    );
    assert_eq!(core["fqdn"], "core-1.dc1.example.net");
    assert_eq!(core["platform"], "cisco_ios");
    let r = s.post_json(
        "/api/v1/nodes",
        &json!({"name": "access-1", "vendor": "arista", "role": "access", "status": "planned"}),
    );
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, _, access) = json_of(s.get(&location));
    assert_eq!(access["name"], "access-1");
    let core_id = core["id"].as_str().unwrap();
    let access_id = access["id"].as_str().unwrap();

    // Every filter of the store.
    for (query, expected) in [
        ("status=planned", "access-1"),
        ("role=core", "core-1"),
        ("vendor=arista", "access-1"),
        ("platform=cisco_ios", "core-1"),
        (
            &format!("location={}", rack["id"].as_str().unwrap()) as &str,
            "core-1",
        ),
        ("location=Rack%201", "core-1"),
        ("q=192.0.2", "core-1"),
    ] {
        let (status, headers, list) = json_of(s.get(&format!("/api/v1/nodes?{query}")));
        assert_eq!(status, 200, "{query}: {list}");
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, [expected], "{query}");
        assert_eq!(headers["x-total-count"], "1", "{query}");
    }

    // PUT with the right ETag, then a lost update.
    let mut replacement = core.clone();
    replacement["model"] = json!("C9500");
    let r = s
        .request(Method::PUT, &format!("/api/v1/nodes/{core_id}"))
        .header("if-match", "\"1\"")
        .json(&replacement)
        .send()
        .unwrap();
    let (status, headers, updated) = json_of(r);
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (updated["model"].as_str(), updated["revision"].as_i64()),
        (Some("C9500"), Some(2))
    );
    assert_eq!(headers["etag"], "\"2\"");
    let stale = s
        .request(Method::PATCH, &format!("/api/v1/nodes/{core_id}"))
        .header("if-match", "\"1\"")
        .json(&json!({"status": "maintenance"}))
        .send()
        .unwrap();
    assert_problem(stale, 412, "stale_revision");
    let r = s
        .request(Method::PATCH, &format!("/api/v1/nodes/{core_id}"))
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"name": "core-01", "serial_number": "FOC123"}"#)
        .send()
        .unwrap();
    let (status, _, patched) = json_of(r);
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["fqdn"], "core-01.dc1.example.net");
    assert_eq!(patched["model"], "C9500");

    // Links, and a node that links reference.
    let link = s.create(
        "/api/v1/links",
        json!({"node_a_id": core_id, "interface_a": "Gi1/0/1", "node_z_id": access_id,
               "interface_z": "Et1", "bandwidth_bps": 10_000_000_000_i64, "circuit_id": "C-1"}),
    );
    let link_id = link["id"].as_str().unwrap();
    let (_, _, by_node) = json_of(s.get(&format!("/api/v1/links?node={access_id}")));
    assert_eq!(by_node[0]["id"], link["id"]);
    let (_, _, by_circuit) = json_of(s.get("/api/v1/links?circuit_id=C-1&q=gi1"));
    assert_eq!(by_circuit.as_array().unwrap().len(), 1);
    let r = s
        .request(Method::PUT, &format!("/api/v1/links/{link_id}"))
        .json(&json!({"node_a_id": core_id, "interface_a": "Gi1/0/2"}))
        .send()
        .unwrap();
    let (status, _, external) = json_of(r);
    assert_eq!(status, 200, "{external}");
    assert_eq!(external["node_z_id"], Value::Null);
    let r = s
        .request(Method::PATCH, &format!("/api/v1/links/{link_id}"))
        .json(&json!({"node_z_id": access_id, "interface_z": "Et2"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_problem(
        s.request(Method::DELETE, &format!("/api/v1/nodes/{access_id}"))
            .send()
            .unwrap(),
        409,
        "referenced",
    );
    let dup = s.post_json(
        "/api/v1/links",
        &json!({"node_a_id": core_id, "interface_a": "Gi1/0/2"}),
    );
    assert_problem(dup, 409, "conflict");
    let r = s
        .request(
            Method::DELETE,
            &format!("/api/v1/nodes/{access_id}?cascade=true"),
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_problem(s.get(&format!("/api/v1/links/{link_id}")), 404, "not_found");
    let other = s.create(
        "/api/v1/links",
        json!({"node_a_id": core_id, "interface_a": "Gi1/0/48", "provider": "ACME"}),
    );
    let r = s
        .request(
            Method::DELETE,
            &format!("/api/v1/links/{}", other["id"].as_str().unwrap()),
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);

    // History of the node and the change log, with the request id that caused each change.
    let (status, headers, history) = json_of(s.get(&format!("/api/v1/nodes/{core_id}/history")));
    assert_eq!(status, 200);
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["update", "update", "create"]);
    assert_eq!(headers["x-total-count"], "3");
    assert_eq!(history[0]["actor"], "admin");
    assert_eq!(history[0]["source"], "api");
    let r = s
        .request(Method::PATCH, &format!("/api/v1/nodes/{core_id}"))
        .header("x-request-id", "req-from-test-42")
        .json(&json!({"asset_tag": "A-7"}))
        .send()
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "req-from-test-42");
    let (_, _, changes) = json_of(s.get(&format!(
        "/api/v1/changes?entity_type=node&entity_id={core_id}&action=update&source=api&actor=admin&limit=1"
    )));
    assert_eq!(changes[0]["request_id"], "req-from-test-42");
    assert_eq!(changes[0]["after"]["asset_tag"], "A-7");
    let (_, _, deleted) = json_of(s.get("/api/v1/changes?action=delete&entity_type=link"));
    assert_eq!(deleted.as_array().unwrap().len(), 2);
    assert_problem(
        s.get(&format!("/api/v1/nodes/{access_id}/history")),
        404,
        "not_found",
    );
    let (_, _, gone) = json_of(s.get(&format!(
        "/api/v1/changes?entity_type=node&entity_id={access_id}"
    )));
    assert_eq!(
        gone[0]["action"], "delete",
        "a deleted node's changes stay in the log"
    );
    assert_problem(
        s.get(&format!(
            "/api/v1/nodes/{}/history",
            unet_core::Uuid::new_v4()
        )),
        404,
        "not_found",
    );
}

/// Walks every page through the `Link` headers.
fn pagination(s: &Server) {
    for i in 0..7 {
        s.create(
            "/api/v1/nodes",
            json!({"name": format!("edge-{i}"), "role": "edge"}),
        );
    }
    let mut next = Some("/api/v1/nodes?role=edge&limit=3".to_string());
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(path) = next.take() {
        let (status, headers, page) = json_of(s.get(&path));
        assert_eq!(status, 200, "{page}");
        assert_eq!(headers["x-total-count"], "7");
        seen.extend(
            page.as_array()
                .unwrap()
                .iter()
                .map(|n| n["name"].as_str().unwrap().to_string()),
        );
        pages += 1;
        if let Some(link) = headers.get("link") {
            let link = link.to_str().unwrap();
            assert!(link.ends_with("; rel=\"next\""), "{link}");
            assert!(
                link.contains("role=edge") && link.contains("limit=3"),
                "{link}"
            );
            next = Some(link[1..link.find('>').unwrap()].to_string());
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..7).map(|i| format!("edge-{i}")).collect();
    assert_eq!(seen, expected);
}
