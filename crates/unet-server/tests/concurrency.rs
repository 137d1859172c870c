//! Concurrent writers against the real binary, on every available backend: no acknowledged
//! update is lost (with `If-Match`, with a body `revision`, or with a plain merge patch), one
//! revision admits one write, and concurrent moves never close a location cycle.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use common::*;
use reqwest::Method;
use reqwest::blocking::Client;

const CLIENTS: usize = 8;
const ATTEMPTS: usize = 20;
/// Rings of locations moved at once.
const ROUNDS: usize = 6;

#[test]
fn concurrent_writers_lose_nothing_on_every_backend() {
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let server = Server::start(&db);
        for path in records(&server) {
            conditional_increments(&server, &path, Precondition::IfMatch);
            conditional_increments(&server, &path, Precondition::BodyRevision);
            one_write_per_revision(&server, &path);
            unconditional_merge_patches(&server, &path);
        }
        concurrent_moves_close_no_cycle(&server);
        let (status, log) = server.terminate();
        assert!(status.success(), "{status}\n{}", log.join("\n"));
    }
}

/// One location, one node and one link: the item URLs of every record type with revisions.
fn records(s: &Server) -> Vec<String> {
    let site = s.create("/api/v1/locations", json!({"name": "Race", "kind": "site"}));
    let a = s.create("/api/v1/nodes", json!({"name": "race-a"}));
    let z = s.create("/api/v1/nodes", json!({"name": "race-z"}));
    let link = s.create(
        "/api/v1/links",
        json!({"node_a_id": a["id"], "interface_a": "Et1", "node_z_id": z["id"], "interface_z": "Et1"}),
    );
    [("locations", &site), ("nodes", &a), ("links", &link)]
        .iter()
        .map(|(kind, record)| format!("/api/v1/{kind}/{}", record["id"].as_str().unwrap()))
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Precondition {
    IfMatch,
    BodyRevision,
}

fn patch(client: &Client, url: &str, body: &Value, if_match: Option<&str>) -> (u16, Value) {
    let mut request = client
        .request(Method::PATCH, url)
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string());
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    let (status, _, body) = json_of(request.send().expect("PATCH"));
    (status, body)
}

fn get(client: &Client, url: &str) -> (String, Value) {
    let (status, headers, body) = json_of(client.get(url).send().expect("GET"));
    assert_eq!(status, 200, "GET {url}: {body}");
    let etag = headers["etag"].to_str().unwrap().to_string();
    (etag, body)
}

/// Runs `work(client number, client)` on [`CLIENTS`] threads started together.
fn together<T: Send + 'static>(
    s: &Server,
    work: impl Fn(usize, Client) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let start = Arc::new(Barrier::new(CLIENTS));
    let work = Arc::new(work);
    let threads: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let (start, work, client) = (start.clone(), work.clone(), s.client());
            std::thread::spawn(move || {
                start.wait();
                work(n, client)
            })
        })
        .collect();
    threads
        .into_iter()
        .map(|t| t.join().expect("client thread"))
        .collect()
}

/// Changes recorded for the record at `path` (`configuration_changes` rows of that entity).
fn history_rows(s: &Server, path: &str) -> u64 {
    let mut parts = path.rsplit('/');
    let id = parts.next().unwrap();
    let entity = match parts.next().unwrap() {
        "locations" => "location",
        "nodes" => "node",
        _ => "link",
    };
    let (status, headers, body) = json_of(s.get(&format!(
        "/api/v1/changes?entity_type={entity}&entity_id={id}&limit=1"
    )));
    assert_eq!(status, 200, "{body}");
    headers["x-total-count"].to_str().unwrap().parse().unwrap()
}

/// Every client reads the counter in `custom_data`, writes counter + 1 on the revision it
/// read, and retries when told that revision is stale: the counter, the revision and the
/// history all count the acknowledged writes and nothing else.
fn conditional_increments(s: &Server, path: &str, how: Precondition) {
    let url = s.url(path);
    let (_, before) = get(&s.client(), &url);
    let start_revision = before["revision"].as_i64().unwrap();
    let start_count = before["custom_data"]["counter"].as_i64().unwrap_or(0);
    let start_history = history_rows(s, path);
    let acknowledged: usize = together(s, move |_, client| {
        let mut acknowledged = 0;
        for _ in 0..ATTEMPTS {
            let (etag, current) = get(&client, &url);
            let next = current["custom_data"]["counter"].as_i64().unwrap_or(0) + 1;
            let (status, body) = match how {
                Precondition::IfMatch => {
                    let body = json!({"custom_data": {"counter": next}});
                    patch(&client, &url, &body, Some(&etag))
                }
                Precondition::BodyRevision => {
                    let body =
                        json!({"custom_data": {"counter": next}, "revision": current["revision"]});
                    patch(&client, &url, &body, None)
                }
            };
            match status {
                200 => acknowledged += 1,
                412 => assert_eq!(body["code"], "stale_revision", "{body}"),
                other => panic!("PATCH {url} ({how:?}): {other} {body}"),
            }
        }
        acknowledged
    })
    .into_iter()
    .sum();
    let acknowledged = i64::try_from(acknowledged).unwrap();
    assert!(acknowledged > 0, "{path} ({how:?}): no write succeeded");
    let (_, after) = get(&s.client(), &s.url(path));
    assert_eq!(
        after["custom_data"]["counter"].as_i64().unwrap() - start_count,
        acknowledged,
        "{path} ({how:?}): acknowledged increments lost"
    );
    assert_eq!(
        after["revision"].as_i64().unwrap() - start_revision,
        acknowledged,
        "{path} ({how:?}): revisions"
    );
    assert_eq!(
        history_rows(s, path) - start_history,
        u64::try_from(acknowledged).unwrap(),
        "{path} ({how:?}): history rows"
    );
}

/// Every client sends a different change with the same `If-Match`: one of them is the
/// change of that revision, every other one is told its revision is stale.
fn one_write_per_revision(s: &Server, path: &str) {
    let url = s.url(path);
    for round in 0..ATTEMPTS / 5 {
        let (etag, _) = get(&s.client(), &url);
        let statuses = together(s, {
            let (url, etag) = (url.clone(), etag.clone());
            move |n, client| {
                // A value no earlier round wrote: every request is a change.
                let body = json!({"custom_data": {"writer": format!("{round}-{n}")}});
                patch(&client, &url, &body, Some(&etag)).0
            }
        });
        let accepted = statuses.iter().filter(|s| **s == 200).count();
        assert_eq!(accepted, 1, "{path} If-Match {etag}: {statuses:?}");
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 412),
            "{statuses:?}"
        );
    }
}

/// Plain merge patches (no `If-Match`, no `revision`) of different members of `custom_data`:
/// each applies to the record as it is when it is written, so every member keeps the last
/// value its client wrote and every write is acknowledged.
fn unconditional_merge_patches(s: &Server, path: &str) {
    let url = s.url(path);
    let (_, before) = get(&s.client(), &url);
    let start_revision = before["revision"].as_i64().unwrap();
    let start_history = history_rows(s, path);
    together(s, move |n, client| {
        for i in 1..=ATTEMPTS {
            let body = json!({"custom_data": {format!("client{n}"): i}});
            let (status, body) = patch(&client, &url, &body, None);
            assert_eq!(status, 200, "{body}");
        }
    });
    let (_, after) = get(&s.client(), &s.url(path));
    for n in 0..CLIENTS {
        assert_eq!(
            after["custom_data"][format!("client{n}")],
            json!(ATTEMPTS),
            "{path}: a merge patch was lost: {after}"
        );
    }
    let writes = i64::try_from(CLIENTS * ATTEMPTS).unwrap();
    assert_eq!(after["revision"].as_i64().unwrap() - start_revision, writes);
    assert_eq!(
        history_rows(s, path) - start_history,
        u64::try_from(writes).unwrap()
    );
}

/// Rounds of [`CLIENTS`] top-level locations where client n moves location n under location
/// n + 1 (in a ring), all at once: all moves together would be a cycle, so exactly one is
/// refused. Meanwhile each client also creates a location under another member of the ring
/// and renames a third, so paths derived from a parent race with changes of that parent.
/// Every ancestor chain ends at the top, every path spells it, and the export imports again.
fn concurrent_moves_close_no_cycle(s: &Server) {
    for round in 0..ROUNDS {
        let ring: Vec<String> = (0..CLIENTS)
            .map(|n| {
                let body = json!({"name": format!("ring{round}-{n}"), "kind": "site"});
                s.create("/api/v1/locations", body)["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let ring = Arc::new(ring);
        let base = s.base.clone();
        let statuses = together(s, {
            let ring = ring.clone();
            move |n, client| {
                let url = format!("{base}/api/v1/locations/{}", ring[n]);
                let body = json!({"parent_id": ring[(n + 1) % CLIENTS]});
                let (moved, body) = patch(&client, &url, &body, None);
                assert!(moved == 200 || moved == 422, "{moved} {body}");
                let child = json!({"name": format!("child{round}-{n}"), "kind": "room",
                    "parent_id": ring[(n + 3) % CLIENTS]});
                let r = client
                    .post(format!("{base}/api/v1/locations"))
                    .json(&child)
                    .send()
                    .expect("POST");
                assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
                let url = format!("{base}/api/v1/locations/{}", ring[(n + 5) % CLIENTS]);
                let body = json!({"name": format!("ring{round}-{}-renamed", (n + 5) % CLIENTS)});
                let (renamed, body) = patch(&client, &url, &body, None);
                assert_eq!(renamed, 200, "{body}");
                moved
            }
        });
        let refused = statuses.iter().filter(|s| **s == 422).count();
        assert_eq!(refused, 1, "round {round}: {statuses:?}");
    }
    let (status, _, locations) = json_of(s.get("/api/v1/locations?limit=1000"));
    assert_eq!(status, 200, "{locations}");
    let by_id: HashMap<&str, &Value> = locations
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["id"].as_str().unwrap(), l))
        .collect();
    for location in by_id.values() {
        let mut names = Vec::new();
        let mut at = Some(*location);
        while let Some(l) = at {
            assert!(
                names.len() <= by_id.len(),
                "cycle through {}",
                location["id"]
            );
            names.push(l["name"].as_str().unwrap());
            at = l["parent_id"].as_str().map(|p| by_id[p]);
        }
        names.reverse();
        assert_eq!(location["path"], names.join("/"), "{location}");
    }
    let (status, _, export) = json_of(s.get("/api/v1/export"));
    assert_eq!(status, 200, "{export}");
    let (status, _, report) = json_of(s.post_json("/api/v1/import", &export));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["committed"], true, "{report}");
    assert_eq!(report["failures"], json!([]), "{report}");
}
