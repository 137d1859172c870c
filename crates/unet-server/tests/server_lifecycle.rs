//! The binary's life: `--version`, `--validate`, quick start without a file, first-start
//! initialisation, refusal on pending migrations, `migrate` (status, dry run, snapshot), and
//! a graceful shutdown that lets an in-flight request finish.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use unet_store::Backend;

#[test]
fn version_names_commit_and_build_date() {
    let (code, out, _) = run(&mut command(&["--version"]));
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!(
            "unet-server {} (commit ",
            env!("CARGO_PKG_VERSION")
        )),
        "{out}"
    );
    assert!(out.contains(", built "), "{out}");
}

#[test]
fn validate_accepts_good_configs() {
    let db = TestDatabase::sqlite();
    let (dir, config) = write_config(db.url(), "");
    let (code, out, err) = run(&mut command(&[
        "--config",
        config.to_str().unwrap(),
        "--validate",
    ]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("configuration is valid"), "{out}");

    // The shipped example documents every key; on this machine only its paths differ.
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/config.example.toml"
    );
    let (code, out, err) = run(command(&["--config", example, "--validate"])
        .env("UNET_DATABASE__URL", db.url())
        .env("UNET_DATA__DIR", dir.path().join("data"))
        .env("UNET_LOGGING__FILE", dir.path().join("unet.log")));
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn validate_lists_every_problem_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("broken.toml");
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"localhost\"\ntimeout = \"5s\"\n\
             [tls]\nenabled = true\ncert_file = \"/x\"\nkey_file = \"/y\"\n\
             [database]\nurl = \"mysql://db/unet\"\nmax_connections = 0\nslow_query_threshold = \"fast\"\n\
             [logging]\nlevel = \"loud\"\n[data]\ndir = {:?}\n",
            not_a_dir.display().to_string()
        ),
    )
    .unwrap();
    let (code, _, err) = run(&mut command(&[
        "--config",
        config.to_str().unwrap(),
        "--validate",
    ]));
    assert_eq!(code, 1, "{err}");
    for expected in [
        "server.listen: expected an address and port",
        "server.timeout: unknown key",
        "tls.cert_file: file not found: /x",
        "tls.key_file: file not found: /y",
        "database.url: expected sqlite://PATH or postgres://USER@HOST/DATABASE",
        "database.max_connections: expected an integer from 1 to 1000, got 0",
        "database.slow_query_threshold: expected a duration",
        "logging.level: expected one of trace, debug, info, warn, error",
        "data.dir: not a directory",
    ] {
        assert!(err.contains(expected), "{expected:?} missing from:\n{err}");
    }

    std::fs::write(
        &config,
        "[server]\nlisten = \"127.0.0.1:1\"\n[database\nurl = 1\n",
    )
    .unwrap();
    let (code, _, err) = run(&mut command(&[
        "--config",
        config.to_str().unwrap(),
        "--validate",
    ]));
    assert_eq!(code, 1);
    assert!(err.contains("(syntax): line 3, column"), "{err}");

    let missing = dir.path().join("absent.toml");
    let (code, _, err) = run(&mut command(&[
        "--config",
        missing.to_str().unwrap(),
        "--validate",
    ]));
    assert_eq!(code, 1);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn validate_checks_that_certificate_and_key_match() {
    let dir = tempfile::tempdir().unwrap();
    let make = |name: &str| {
        let ok = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=unet",
            ])
            .arg("-keyout")
            .arg(dir.path().join(format!("{name}.key")))
            .arg("-out")
            .arg(dir.path().join(format!("{name}.pem")))
            .output()
            .expect("run openssl")
            .status
            .success();
        assert!(ok, "openssl req failed");
    };
    make("a");
    make("b");
    let config = |key: &str| {
        let path = dir.path().join(format!("tls-{key}.toml"));
        std::fs::write(
            &path,
            format!(
                "[server]\nlisten = \"127.0.0.1:8080\"\n[tls]\nenabled = true\ncert_file = {:?}\nkey_file = {:?}\n\
                 [database]\nurl = \"sqlite://{}/unet.db\"\n[data]\ndir = {:?}\n",
                dir.path().join("a.pem").display().to_string(),
                dir.path().join(format!("{key}.key")).display().to_string(),
                dir.path().display(),
                dir.path().join("data").display().to_string()
            ),
        )
        .unwrap();
        path
    };
    let (code, out, err) = run(&mut command(&[
        "--config",
        config("a").to_str().unwrap(),
        "--validate",
    ]));
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = run(&mut command(&[
        "--config",
        config("b").to_str().unwrap(),
        "--validate",
    ]));
    assert_eq!(code, 1);
    assert!(
        err.contains("tls.key_file: the key does not belong to the certificate"),
        "{err}"
    );
}

#[test]
fn quick_start_without_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(&[]);
    cmd.env("UNET_SERVER__LISTEN", "127.0.0.1:0");
    let config = dir.path().join("unet.toml");
    let server = Server::spawn_command(cmd, tempfile::TempDir::new_in(dir.path()).unwrap(), config)
        .unwrap_or_else(|log| panic!("{log}"));
    let (status, _, health) = json_of(server.get("/api/v1/health"));
    assert_eq!((status, health["status"].as_str()), (200, Some("healthy")));
    assert!(
        server.dir.path().join("unet.db").is_file(),
        "./unet.db is the quick-start database"
    );
    assert!(
        server.dir.path().join("data").is_dir(),
        "./data is the quick-start data dir"
    );
    let (status, _) = server.terminate();
    assert!(status.success());
}

/// Turns a current database into one from before μNet's first migration, as a database
/// prepared by an older release would look: only an empty `schema_migrations` is left.
fn make_older(db: &TestDatabase) {
    let url = db.url().to_string();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let store = unet_store::Store::open(&url, Default::default())
                .await
                .unwrap();
            let mut conn = store.pool().acquire().await.unwrap();
            let (list, drop_suffix) = match store.backend() {
                Backend::Sqlite => {
                    sqlx::query("PRAGMA foreign_keys = OFF")
                        .execute(&mut *conn)
                        .await
                        .unwrap();
                    (
                        "SELECT name FROM sqlite_master WHERE type = 'table' \
                         AND name <> 'schema_migrations' AND name NOT LIKE 'sqlite_%'",
                        "",
                    )
                }
                Backend::Postgres => (
                    "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'",
                    " CASCADE",
                ),
            };
            let tables: Vec<String> = sqlx::query_scalar(list)
                .fetch_all(&mut *conn)
                .await
                .unwrap();
            assert!(tables.len() >= 4, "{tables:?}");
            for table in tables {
                let sql = format!("DROP TABLE IF EXISTS {table}{drop_suffix}");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut *conn)
                    .await
                    .unwrap();
            }
            sqlx::query("DELETE FROM schema_migrations")
                .execute(&mut *conn)
                .await
                .unwrap();
            drop(conn);
            store.close().await;
        });
}

#[test]
fn first_start_pending_migrations_and_migrate() {
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        // `_dir` holds the config file for the whole test.
        let (_dir, config) = write_config(db.url(), "");
        let cfg = config.to_str().unwrap().to_string();

        let (code, out, err) = run(&mut command(&["migrate", "--config", &cfg, "--status"]));
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("20261201000001") && out.contains("pending"),
            "{out}"
        );
        // Every embedded migration is listed, one line each, all pending on a new database.
        let total = out
            .lines()
            .filter(|l| {
                l.split_whitespace()
                    .next()
                    .is_some_and(|v| v.len() == 14 && v.parse::<u64>().is_ok())
            })
            .count();
        assert!(total >= 1, "{out}");
        assert!(
            out.contains(&format!("0 applied, {total} pending")),
            "{out}"
        );

        // First start initialises the new database.
        let server = Server::spawn(tempfile::tempdir().unwrap(), config.clone())
            .unwrap_or_else(|log| panic!("{log}"));
        server.create("/api/v1/nodes", json!({"name": "kept-1"}));
        let (status, log) = server.terminate();
        assert!(status.success());
        assert!(
            log.iter().any(|l| l.contains("initialised a new database")),
            "{}",
            log.join("\n")
        );
        let (_, out, err) = run(&mut command(&["migrate", "--config", &cfg, "--status"]));
        assert!(
            out.contains(&format!("{total} applied, 0 pending")),
            "{out}{err}"
        );
        let (code, out, _) = run(&mut command(&["migrate", "--config", &cfg]));
        assert_eq!(code, 0);
        assert!(out.contains("nothing to apply"), "{out}");

        // An older database: the server refuses and names the command.
        make_older(&db);
        let dir = tempfile::tempdir().unwrap();
        let err = Server::spawn(dir, config.clone()).err().expect("refused");
        assert!(
            err.contains(&format!("unet-server migrate --config {cfg}")),
            "the refusal names the command:\n{err}"
        );
        let (code, out, _) = run(&mut command(&["migrate", "--config", &cfg, "--dry-run"]));
        assert_eq!(code, 0);
        assert!(out.contains("would apply 20261201000001"), "{out}");
        let (_, out, _) = run(&mut command(&["migrate", "--config", &cfg, "--status"]));
        assert!(
            out.contains(&format!("0 applied, {total} pending")),
            "--dry-run changes nothing: {out}"
        );

        let (code, out, err) = run(&mut command(&["migrate", "--config", &cfg]));
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("applied 20261201000001"), "{out}");
        let snapshot = out
            .lines()
            .find_map(|l| l.strip_prefix("snapshot written: "))
            .unwrap_or_else(|| panic!("no snapshot line: {out}"));
        let ext = if db.backend() == Backend::Sqlite {
            ".db"
        } else {
            ".sql"
        };
        assert!(
            snapshot.contains("/data/snapshots/pre-migrate-") && snapshot.ends_with(ext),
            "{snapshot}"
        );
        assert!(std::fs::metadata(snapshot).unwrap().len() > 0);
        let server = Server::spawn(tempfile::tempdir().unwrap(), config.clone())
            .unwrap_or_else(|log| panic!("{log}"));
        drop(server);

        // auto_migrate lets the server upgrade by itself.
        make_older(&db);
        let auto = Server::start_with(db.url(), "database.auto_migrate = true\n");
        let (status, _, _) = json_of(auto.get("/api/v1/nodes"));
        assert_eq!(status, 200);
    }
}

#[test]
fn sigterm_lets_the_in_flight_request_finish() {
    let db = TestDatabase::sqlite();
    let server = Server::start(&db);
    let addr = server.base.trim_start_matches("http://").to_string();
    let body = br#"{"name": "drained-1"}"#;
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let auth = server
        .token
        .as_ref()
        .map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        stream,
        "POST /api/v1/nodes HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..5]).unwrap();
    stream.flush().unwrap();
    // The request is in flight (headers read, body incomplete) when the signal arrives.
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.pid();
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body[5..]).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("drained-1"), "{response}");
    let (status, log) = server.terminate_after_signal();
    assert!(status.success(), "{status}: {}", log.join("\n"));
    assert!(
        log.iter().any(|l| l.contains("stopped")),
        "{}",
        log.join("\n")
    );
}

/// SIGTERM while the policy engine waits out its debounce after an inventory write, and while
/// it evaluates a fleet of 3,000 nodes: the background work stops before the pool closes, so
/// the server exits cleanly without an `ERROR` line (the runbook counts them).
#[test]
fn sigterm_during_policy_debounce_or_evaluation_logs_no_error() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("site.rules"),
        "RULE \"active-nodes-have-management-ip\":\n  WHEN node.status == \"active\"\n  \
         THEN ASSERT node.management_ip IS NOT NULL\n",
    )
    .unwrap();
    let site = "0190a000-0000-7000-8000-000000000001";
    let nodes: Vec<Value> = (0..3000)
        .map(|i| {
            json!({"id": format!("0190a000-0000-7000-9000-{i:012x}"), "name": format!("edge-{i}"),
                   "vendor": "cisco", "role": "access", "status": "active", "location_id": site})
        })
        .collect();
    let fleet = json!({"locations": [{"id": site, "name": "hq", "kind": "site"}], "nodes": nodes});
    for debounce in ["1s", "0s"] {
        // A fresh database each time: the harness signs in with the bootstrap password.
        for db in TestDatabase::all_blocking() {
            eprintln!("-- backend {}, debounce {debounce}", db.backend().as_str());
            let server = Server::start_with(
                db.url(),
                &format!(
                    "policies.dir = {:?}\npolicies.debounce = {debounce:?}\n",
                    rules.path().display().to_string()
                ),
            );
            let (status, _, report) = json_of(server.post_json("/api/v1/import", &fleet));
            assert_eq!(status, 200, "{report}");
            let (status, log) = server.terminate();
            let errors: Vec<&String> = log.iter().filter(|l| l.contains("ERROR")).collect();
            assert!(
                status.success() && errors.is_empty(),
                "{status}, ERROR lines: {errors:?}\n{}",
                log.join("\n")
            );
            assert!(
                log.iter().any(|l| l.contains("stopped")),
                "{}",
                log.join("\n")
            );
        }
    }
}
