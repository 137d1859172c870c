//! A full fleet evaluation of 10,000 nodes through the server: `POST /api/v1/policies/evaluate`
//! on the in-process application (the same router, middleware and handler as `unet-server`),
//! SQLite, the example policies in `policies/`, results stored, the whole JSON answer read.

use std::path::Path;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;
use unet_core::{ChangeContext, ChangeSource};
use unet_server::{AppState, Limits};
use unet_store::{ImportOptions, Store, StoreOptions};

#[path = "../../unet-compliance/benches/common/fleet.rs"]
mod fleet_data;

/// Reads the whole answer, as a client would, and returns its size in bytes.
async fn evaluate_fleet(app: axum::Router) -> usize {
    let request = Request::post("/api/v1/policies/evaluate")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .expect("request");
    let response = app.oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body")
        .len()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("bench directory");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = runtime.block_on(async {
        let store = Store::open_and_migrate(&url, StoreOptions::default())
            .await
            .expect("open");
        let ctx = ChangeContext::new("bench", ChangeSource::Import);
        store
            .import(&ctx, fleet_data::fleet(), &ImportOptions::default())
            .await
            .expect("seed");
        store
    });
    let limits = Limits {
        max_body_bytes: 1 << 20,
        request_timeout: Duration::from_secs(600),
    };
    let state = AppState::new(store.clone(), limits);
    state
        .policies()
        .set_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies"));
    let app = unet_server::app(state);
    let started = Instant::now();
    let bytes = runtime.block_on(evaluate_fleet(app.clone()));
    eprintln!(
        "first evaluation through the server (every result written, {bytes} bytes of JSON): {:.3} s",
        started.elapsed().as_secs_f64()
    );
    let mut group = c.benchmark_group("server");
    group.sample_size(10);
    group.bench_function("evaluate_10k_nodes_stored", |b| {
        b.iter(|| runtime.block_on(evaluate_fleet(app.clone())));
    });
    group.finish();
    runtime.block_on(store.close());
}

criterion_group!(benches, bench);
criterion_main!(benches);
