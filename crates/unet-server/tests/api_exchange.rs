//! `/api/v1/import`, `/api/v1/export` and `/api/v1/resolve/…` through the real binary, on
//! every available backend.

mod common;

use common::*;

const SITE: &str = "0190a000-0000-7000-8000-000000000001";
const ROOM: &str = "0190a000-0000-7000-8000-000000000002";
const CORE: &str = "0190a000-0000-7000-8000-000000000003";

fn document() -> Value {
    json!({
        "locations": [
            {"id": SITE, "name": "HQ", "kind": "site"},
            {"id": ROOM, "name": "Room 1", "kind": "room", "parent_id": SITE},
        ],
        "nodes": [
            {"id": CORE, "name": "core-01", "domain": "hq.example.net", "vendor": "cisco",
             "role": "core", "location_id": ROOM},
        ],
        "origins": {
            "locations": [{"file": "locations.yaml", "index": 0},
                          {"file": "locations.yaml", "index": 1}],
            "nodes": [{"file": "nodes.csv", "index": 0}],
        },
    })
}

#[test]
fn import_export_and_resolve_on_every_backend() {
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let server = Server::start(&db);
        import_then_export(&server);
        failures_name_their_origin(&server);
        resolve(&server);
        let (status, log) = server.terminate();
        assert!(status.success(), "{status}\n{}", log.join("\n"));
    }
}

fn import_then_export(s: &Server) {
    let (status, _, dry) = json_of(s.post_json("/api/v1/import?dry_run=true", &document()));
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["committed"], false);
    assert_eq!(dry["locations"]["created"], 2);
    let (_, _, nodes) = json_of(s.get("/api/v1/nodes"));
    assert_eq!(nodes, json!([]), "a dry run writes nothing");

    let (status, _, report) = json_of(s.post_json("/api/v1/import", &document()));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["committed"], true);
    assert_eq!(report["nodes"]["created"], 1);
    assert_eq!(report["failures"], json!([]));

    let (_, _, changes) = json_of(s.get("/api/v1/changes?source=import"));
    assert_eq!(changes.as_array().map(Vec::len), Some(3));
    assert_eq!(changes[0]["actor"], "admin");

    let (status, _, inventory) = json_of(s.get("/api/v1/export"));
    assert_eq!(status, 200);
    assert_eq!(inventory["locations"][1]["path"], "HQ/Room 1");
    assert_eq!(inventory["nodes"][0]["fqdn"], "core-01.hq.example.net");
    assert_eq!(inventory["links"], json!([]));

    // The export is itself an import document: importing it changes nothing.
    let (status, _, again) = json_of(s.post_json("/api/v1/import", &inventory));
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["locations"]["unchanged"], 2);
    assert_eq!(again["nodes"]["unchanged"], 1);
}

fn failures_name_their_origin(s: &Server) {
    let bad = json!({
        "nodes": [
            {"id": "0190a000-0000-7000-8000-000000000009", "name": "edge-01",
             "domain": "hq.example.net", "vendor": "cisco", "role": "edge"},
            {"name": "no-id", "domain": "hq.example.net", "vendor": "cisco", "role": "edge"},
        ],
    });
    let (status, _, report) = json_of(s.post_json("/api/v1/import", &bad));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["committed"], false);
    assert_eq!(
        report["failures"][0]["origin"],
        json!({"file": "nodes", "index": 1})
    );
    assert!(
        report["failures"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("id: required")),
        "{report}"
    );
    let (_, _, found) = json_of(s.get("/api/v1/nodes?q=edge-01"));
    assert_eq!(found, json!([]), "nothing is written after a failure");

    let (status, _, report) = json_of(s.post_json("/api/v1/import?continue_on_error=true", &bad));
    assert_eq!(status, 200);
    assert_eq!(report["committed"], true);
    assert_eq!(report["nodes"]["created"], 1);

    let mismatched = json!({"nodes": [], "origins": {"nodes": [{"file": "x", "index": 0}]}});
    let problem = assert_problem(
        s.post_json("/api/v1/import", &mismatched),
        422,
        "invalid_field",
    );
    assert_eq!(problem["errors"][0]["field"], "origins.nodes");
    assert_problem(
        s.post_json("/api/v1/import", &json!({"routers": []})),
        422,
        "unknown_field",
    );
    assert_problem(
        s.post_json("/api/v1/import?dry_run=maybe", &document()),
        400,
        "invalid_query",
    );
}

fn resolve(s: &Server) {
    for (path, id) in [
        ("/api/v1/resolve/nodes?ident=core-01", CORE),
        ("/api/v1/resolve/nodes?ident=core-01.hq.example.net", CORE),
        (&format!("/api/v1/resolve/nodes?ident={CORE}"), CORE),
        ("/api/v1/resolve/locations?ident=HQ%2FRoom%201", ROOM),
        ("/api/v1/resolve/locations?ident=HQ", SITE),
    ] {
        let (status, _, found) = json_of(s.get(path));
        assert_eq!((status, found["id"].as_str()), (200, Some(id)), "{path}");
    }
    let problem = assert_problem(s.get("/api/v1/resolve/nodes?ident=ghost"), 404, "not_found");
    assert!(problem["detail"].as_str().unwrap().contains("ghost"));
    assert_problem(s.get("/api/v1/resolve/links?ident=x"), 404, "not_found");
    assert_problem(s.get("/api/v1/resolve/nodes"), 400, "invalid_query");
}
