//! A full fleet evaluation of 10,000 nodes through the server: the real `unet-server` binary on
//! loopback, `POST /api/v1/policies/evaluate` over HTTP as the signed-in admin, the example
//! policies in `policies/` (34 rules, 340,000 results), results stored, the whole answer read.
//! Runs on SQLite and, when `UNET_TEST_POSTGRES_URL` names a server, on PostgreSQL.
//!
//! Cases per backend:
//! - `cold_*`: no stored results (cleared before each run, outside the timing), so every one
//!   of the 340,000 result rows is inserted: the first evaluation, or one after every outcome
//!   changed.
//! - `unchanged_*`: results already stored and unchanged, the steady state of the background
//!   evaluation.
//! - `*_results`: the default answer, every node × rule result (≈ 65 MB of JSON);
//!   `*_summary`: `{"summary": true, "failures_only": true}`, counts per outcome and rule, the
//!   worst nodes and the failures only.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../../unet-compliance/benches/common/fleet.rs"]
mod fleet_data;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Server, TestDatabase, Value, json};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use sqlx::{AnyConnection, Connection};
use unet_core::{ChangeContext, ChangeSource};
use unet_store::{Backend, ImportOptions};

fn policies_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

/// Posts `body` and reads the whole answer, as a client would; returns its size in bytes.
fn evaluate(server: &Server, body: &Value) -> usize {
    let response = server.post_json("/api/v1/policies/evaluate", body);
    let status = response.status();
    let bytes = response.bytes().expect("answer body");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    bytes.len()
}

/// Removes every stored result, so the next evaluation inserts all of them.
async fn clear_results(db: &TestDatabase) {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(db.url()).await.expect("connect");
    let mut statements = vec![
        "DELETE FROM policy_results",
        "DELETE FROM policy_evaluations",
    ];
    if db.backend() == Backend::Postgres {
        // PostgreSQL keeps deleted rows until vacuumed; without this every cold run would
        // insert into a table larger than the one before.
        statements.extend(["VACUUM policy_results", "VACUUM policy_evaluations"]);
    }
    for statement in statements {
        sqlx::raw_sql(statement)
            .execute(&mut conn)
            .await
            .expect(statement);
    }
    let _ = conn.close().await;
}

fn bench_backend(c: &mut Criterion, runtime: &tokio::runtime::Runtime, db: &TestDatabase) {
    let backend = db.backend().as_str();
    runtime.block_on(async {
        let store = db.store().await;
        let ctx = ChangeContext::new("bench", ChangeSource::Import);
        store
            .import(&ctx, fleet_data::fleet(), &ImportOptions::default())
            .await
            .expect("seed the fleet");
        store.close().await;
    });
    let extra = format!(
        "policies.dir = {:?}\npolicies.interval = \"0s\"\npolicies.evaluate_on_change = false\n",
        policies_dir().display().to_string()
    );
    let server = Server::start_with(db.url(), &extra);
    let answers = [
        ("results", json!({})),
        ("summary", json!({"summary": true, "failures_only": true})),
    ];
    for (name, body) in &answers {
        runtime.block_on(clear_results(db));
        let started = Instant::now();
        let bytes = evaluate(&server, body);
        eprintln!(
            "{backend}: first evaluation, answer {name} ({bytes} bytes): {:.3} s",
            started.elapsed().as_secs_f64()
        );
    }

    let mut group = c.benchmark_group(format!("server_{backend}"));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    for (name, body) in &answers {
        group.bench_function(format!("cold_{name}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    runtime.block_on(clear_results(db));
                    let started = Instant::now();
                    evaluate(&server, body);
                    total += started.elapsed();
                }
                total
            });
        });
        group.bench_function(format!("unchanged_{name}"), |b| {
            evaluate(&server, body);
            b.iter(|| evaluate(&server, body));
        });
    }
    group.finish();
    server.terminate();
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sqlite = TestDatabase::sqlite();
    bench_backend(c, &runtime, &sqlite);
    match TestDatabase::postgres_blocking() {
        Some(postgres) => bench_backend(c, &runtime, &postgres),
        None => eprintln!("PostgreSQL skipped: UNET_TEST_POSTGRES_URL is not set"),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
