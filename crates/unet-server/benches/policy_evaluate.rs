//! A full fleet evaluation of 10,000 nodes through the server: the real `unet-server` binary on
//! loopback, `POST /api/v1/policies/evaluate` over HTTP as the signed-in admin, the example
//! policies in `policies/` (34 rules, 340,000 results of which the applicable ones are stored
//! as rows), results stored, the whole answer read.
//! Runs on SQLite and, when `UNET_TEST_POSTGRES_URL` names a server, on PostgreSQL.
//!
//! Cases per backend:
//! - `cold_*`: no stored results (cleared before each run, outside the timing), so every
//!   result row is inserted: the first evaluation of a fleet.
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

/// Result rows stored now: the applicable results (a rule that does not apply is only counted).
async fn stored_rows(db: &TestDatabase) -> i64 {
    let mut conn = AnyConnection::connect(db.url()).await.expect("connect");
    let rows = sqlx::query_scalar("SELECT COUNT(*) FROM policy_results")
        .fetch_one(&mut conn)
        .await
        .expect("count result rows");
    let _ = conn.close().await;
    rows
}

fn case(cold: bool) -> &'static str {
    if cold { "cold" } else { "unchanged" }
}

/// Runs outside criterion: each case's wall time next to the CPU time the server and the
/// database spent on it, which a busy machine does not inflate the way it does wall time.
const CPU_RUNS: usize = 3;

/// The server process and, on PostgreSQL, the processes of the cluster serving it.
struct Processes {
    server: u32,
    database_port: Option<String>,
}

impl Processes {
    fn of(server: &Server, db: &TestDatabase) -> Processes {
        let database_port = (db.backend() == Backend::Postgres)
            .then(|| db.url().rsplit_once(':').map(|(_, rest)| rest))
            .flatten()
            .and_then(|rest| rest.split('/').next())
            .map(str::to_owned);
        Processes {
            server: server.pid(),
            database_port,
        }
    }

    /// `run` (which answers its body size) `CPU_RUNS` times, after one untimed run; `prepare`
    /// runs before each, outside the timing.
    fn report(&self, label: &str, mut prepare: impl FnMut(), mut run: impl FnMut() -> usize) {
        prepare();
        run();
        let mut walls = Vec::new();
        let (mut server_cpu, mut database_cpu, mut bytes) = (0.0, 0.0, 0);
        for _ in 0..CPU_RUNS {
            prepare();
            let database = self.database_pids();
            let before = (cpu_seconds(&[self.server]), cpu_seconds(&database));
            let started = Instant::now();
            bytes = run();
            walls.push(started.elapsed().as_secs_f64());
            server_cpu += cpu_seconds(&[self.server]) - before.0;
            database_cpu += cpu_seconds(&database) - before.1;
        }
        walls.sort_by(f64::total_cmp);
        let runs = CPU_RUNS as f64;
        eprintln!(
            "{label}: wall {:.3} s (median of {CPU_RUNS}), CPU server {:.3} s + database {:.3} s \
             (mean), answer {bytes} bytes",
            walls[CPU_RUNS / 2],
            server_cpu / runs,
            database_cpu / runs,
        );
    }

    /// The postmaster listening on the port and its children (backends, writers, autovacuum).
    fn database_pids(&self) -> Vec<u32> {
        let Some(port) = &self.database_port else {
            return Vec::new();
        };
        let processes: Vec<(u32, String, String)> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
                let cmdline = std::fs::read_to_string(entry.path().join("cmdline")).ok()?;
                let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
                Some((pid, cmdline, stat))
            })
            .collect();
        let listens = format!("-p {port}");
        let Some(postmaster) = processes
            .iter()
            .find(|(_, cmdline, _)| {
                cmdline.split('\0').any(|arg| arg.ends_with("/postgres"))
                    && cmdline.replace('\0', " ").contains(&listens)
            })
            .map(|(pid, _, _)| *pid)
        else {
            return Vec::new();
        };
        let parent = |stat: &str| -> Option<u32> {
            stat.rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        };
        processes
            .iter()
            .filter(|(pid, _, stat)| *pid == postmaster || parent(stat) == Some(postmaster))
            .map(|(pid, _, _)| *pid)
            .collect()
    }
}

/// User + system CPU seconds the processes have used so far (processes gone count zero).
fn cpu_seconds(pids: &[u32]) -> f64 {
    // SAFETY: sysconf only reads a system constant.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let ticks: f64 = pids
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter_map(|stat| {
            // Fields after the command name: state is field 3, utime 14, stime 15.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            Some(fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?)
        })
        .sum();
    ticks / ticks_per_second
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
    let processes = Processes::of(&server, db);
    for (name, body) in &answers {
        for cold in [true, false] {
            let prepare = || {
                if cold {
                    runtime.block_on(clear_results(db));
                }
            };
            let label = format!("{backend} {}_{name}", case(cold));
            processes.report(&label, prepare, || evaluate(&server, body));
        }
    }
    eprintln!(
        "{backend}: {} result rows stored (rules that do not apply are counted, not stored)",
        runtime.block_on(stored_rows(db))
    );

    let mut group = c.benchmark_group(format!("server_{backend}"));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    for (name, body) in &answers {
        group.bench_function(format!("{}_{name}", case(true)), |b| {
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
        group.bench_function(format!("{}_{name}", case(false)), |b| {
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
