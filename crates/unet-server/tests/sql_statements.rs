//! Each request runs a fixed number of SQL statements, however many records the database holds
//! and however many a page returns: no N+1 queries behind the API.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use unet_core::{
    ChangeContext, ChangeSource, ConfigSource, LinkDraft, LocationDraft, NodeDraft, NodeStatus,
};
use unet_server::{AppState, Limits, app};
use unet_store::testing::TestDatabase;
use unet_store::{Retention, Store};

/// Statements run by one request.
async fn statements(store: &Store, method: &str, uri: &str, body: Option<&str>) -> u64 {
    let router = app(AppState::new(store.clone(), Limits::default()));
    let mut request = Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let before = store.statements_executed();
    let response = router.oneshot(request).await.unwrap();
    assert!(
        response.status().is_success() || response.status() == StatusCode::NO_CONTENT,
        "{method} {uri}: {}",
        response.status()
    );
    store.statements_executed() - before
}

/// An inventory of `n` nodes under one location, each linked to the first.
async fn seed(store: &Store, n: usize) -> (String, String, String) {
    let ctx = ChangeContext::new("test", ChangeSource::Cli);
    let site = store
        .create_location(
            &ctx,
            LocationDraft {
                name: "Site".into(),
                kind: "site".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut first = None;
    let mut last_link = None;
    for i in 0..n {
        let node = store
            .create_node(
                &ctx,
                NodeDraft {
                    name: format!("sw-{i:04}"),
                    role: Some("access".into()),
                    status: Some(NodeStatus::Active),
                    location_id: Some(site.id),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        match first {
            None => first = Some(node.id),
            Some(a) => {
                let link = store
                    .create_link(
                        &ctx,
                        LinkDraft {
                            node_a_id: a,
                            interface_a: format!("Gi1/0/{i}"),
                            node_z_id: Some(node.id),
                            interface_z: Some("Gi0/1".into()),
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                last_link = Some(link.id);
            }
        }
    }
    (
        site.id.to_string(),
        first.unwrap().to_string(),
        last_link.unwrap().to_string(),
    )
}

async fn profile(n: usize) -> Vec<(String, u64)> {
    let db = TestDatabase::sqlite();
    let store = db.store().await;
    let (site, node, link) = seed(&store, n).await;
    // As many stored running configurations for the first node.
    let node_id = node.parse().unwrap();
    for i in 0..n {
        let text = format!("hostname sw-0000\n! change {i}\n");
        store
            .push_running_config(
                node_id,
                ConfigSource::Upload,
                None,
                &text,
                &Retention::default(),
            )
            .await
            .unwrap();
    }
    let mut out = Vec::new();
    for (method, uri, body) in [
        ("GET", format!("/api/v1/nodes/{node}"), None),
        ("GET", "/api/v1/nodes?limit=100".to_string(), None),
        (
            "GET",
            format!("/api/v1/nodes?status=active&role=access&location={site}&limit=100"),
            None,
        ),
        (
            "GET",
            "/api/v1/nodes?location=Site&q=sw&limit=100".to_string(),
            None,
        ),
        ("GET", "/api/v1/locations?limit=100".to_string(), None),
        ("GET", format!("/api/v1/locations/{site}"), None),
        ("GET", "/api/v1/links?limit=100".to_string(), None),
        ("GET", format!("/api/v1/links/{link}"), None),
        ("GET", format!("/api/v1/nodes/{node}/history"), None),
        ("GET", "/api/v1/changes?limit=100".to_string(), None),
        ("GET", format!("/api/v1/nodes/{node}/configs"), None),
        ("GET", format!("/api/v1/nodes/{node}/configs/latest"), None),
        (
            "GET",
            format!("/api/v1/nodes/{node}/configs/latest?masked=true"),
            None,
        ),
        (
            "PATCH",
            format!("/api/v1/nodes/{node}"),
            Some(r#"{"model":"X1"}"#),
        ),
        (
            "POST",
            "/api/v1/nodes".to_string(),
            Some(r#"{"name":"new-1"}"#),
        ),
    ] {
        let count = statements(&store, method, &uri, body).await;
        out.push((
            format!("{method} {uri}")
                .replace(&site, "{site}")
                .replace(&node, "{node}")
                .replace(&link, "{link}"),
            count,
        ));
    }
    store.close().await;
    out
}

#[tokio::test]
async fn statements_per_request_do_not_grow_with_the_data() {
    let small = profile(3).await;
    let large = profile(150).await;
    for ((request, few), (_, many)) in small.iter().zip(&large) {
        eprintln!("{request}: {few} statements with 3 nodes, {many} with 150");
        assert_eq!(few, many, "{request} runs more statements on more data");
        assert!(*few <= 12, "{request}: {few} statements");
    }
}
