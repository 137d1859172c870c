//! Operations endpoints against the real binary, on every backend available here: the metrics
//! snapshot and Prometheus text, system status, snapshots (names that try to escape the
//! folder included), database configuration, and `backup` / `restore`.

mod common;

use std::path::Path;

use common::*;
use unet_store::Backend;

fn snapshot_request(server: &Server, body: &str) -> reqwest::blocking::Response {
    // Like the runbook's curl: a JSON body sent without a JSON content type.
    server
        .request(reqwest::Method::POST, "/api/v1/system/snapshot")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .expect("POST snapshot")
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        out.push(path.display().to_string());
        if path.is_dir() {
            out.extend(files_under(&path));
        }
    }
    out.sort();
    out
}

#[test]
fn metrics_status_and_database_config() {
    for db in TestDatabase::all_blocking() {
        let server = Server::start(&db);
        server.create("/api/v1/locations", json!({"name": "dc1", "kind": "site"}));
        let _ = server.get("/api/v1/nodes/no-such-node");

        let (status, _, m) = json_of(server.get("/api/v1/metrics/snapshot"));
        assert_eq!(status, 200, "{m}");
        assert!(m["timestamp"].is_string(), "{m}");
        assert!(m["system"]["memory_rss_bytes"].as_u64().unwrap() > 0, "{m}");
        assert!(m["system"]["open_fds"].as_u64().unwrap() > 0, "{m}");
        assert!(m["system"]["disk_free_bytes"].as_u64().unwrap() > 0, "{m}");
        assert!(
            m["performance"]["http_requests_total"].as_u64().unwrap() >= 2,
            "{m}"
        );
        assert!(
            m["performance"]["http_request_duration_avg"]
                .as_f64()
                .unwrap()
                > 0.0,
            "{m}"
        );
        assert_eq!(m["business"]["locations_total"], 1, "{m}");
        assert_eq!(m["business"]["nodes_total"], 0, "{m}");

        let text = server.get("/metrics").text().unwrap();
        assert!(
            text.contains(
                "unet_http_requests_total{method=\"POST\",route=\"/api/v1/locations\",status=\"201\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("method=\"GET\",route=\"/api/v1/nodes/{id}\",status=\"4"),
            "{text}"
        );
        assert!(text.contains("unet_db_pool_connections"), "{text}");

        let (status, _, s) = json_of(server.get("/api/v1/system/status"));
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["database_backend"], db.backend().as_str());
        assert_eq!(s["pending_migrations"], json!([]));
        let components: Vec<&str> = s["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        for name in [
            "database",
            "snapshots",
            "tls",
            "scheduler",
            "snmp_poller",
            "policy_engine",
            "git_sync",
        ] {
            assert!(components.contains(&name), "{name}: {s}");
        }
        assert_eq!(s["components"][0]["state"], "ok");

        let (status, _, c) = json_of(server.get("/api/v1/config/database"));
        assert_eq!(status, 200, "{c}");
        let pool = &c["connection_pool"];
        assert_eq!(pool["max_connections"], 16, "{c}");
        assert!(pool["size"].as_u64().unwrap() >= 1, "{c}");
        assert_eq!(
            pool["size"].as_u64().unwrap(),
            pool["idle"].as_u64().unwrap() + pool["in_use"].as_u64().unwrap()
        );
        assert_eq!(c["backend"], db.backend().as_str());
    }
}

#[test]
fn database_url_password_is_redacted() {
    let Some(db) = TestDatabase::postgres_blocking() else {
        return;
    };
    // The test cluster trusts local connections: any password is accepted and must not show.
    let with_password = db.url().replacen("postgres@", "postgres:hunter2@", 1);
    let server = Server::start_with(&with_password, "");
    let (_, _, c) = json_of(server.get("/api/v1/config/database"));
    let url = c["url"].as_str().unwrap();
    assert!(url.contains("postgres:***@"), "{c}");
    assert!(!c.to_string().contains("hunter2"), "{c}");
    let (_, log) = server.terminate();
    assert!(!log.join("\n").contains("hunter2"));
}

#[test]
fn snapshots_are_consistent_copies_with_checksums() {
    for db in TestDatabase::all_blocking() {
        let server = Server::start(&db);
        server.create("/api/v1/locations", json!({"name": "dc1", "kind": "site"}));
        let git = server.dir.path().join("data/git/configs");
        std::fs::create_dir_all(&git).unwrap();
        std::fs::write(git.join("r1.cfg"), "hostname r1\n").unwrap();

        let r = snapshot_request(
            &server,
            r#"{"name": "pre-maintenance-$(date +%Y%m%d)", "type": "full"}"#,
        );
        let (status, _, s) = json_of(r);
        assert_eq!(status, 201, "{s}");
        assert_eq!(s["name"], "pre-maintenance-date-Y-m-d");
        assert_eq!(s["type"], "full");
        let folder = Path::new(s["path"].as_str().unwrap()).to_path_buf();
        assert_eq!(
            folder,
            server
                .dir
                .path()
                .join("data/snapshots/pre-maintenance-date-Y-m-d")
        );
        let files: Vec<&str> = s["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        let db_file = if db.backend() == Backend::Sqlite {
            "unet.db"
        } else {
            "unet.dump"
        };
        assert_eq!(
            files,
            vec![db_file, "config.toml", "git/configs/r1.cfg"],
            "{s}"
        );
        let bytes = std::fs::read(folder.join(db_file)).unwrap();
        assert_eq!(s["files"][0]["size_bytes"], bytes.len());
        let sha = std::process::Command::new("sha256sum")
            .arg(folder.join(db_file))
            .output()
            .unwrap();
        let sha = String::from_utf8_lossy(&sha.stdout);
        assert_eq!(
            s["sha256"].as_str().unwrap(),
            sha.split_whitespace().next().unwrap()
        );
        if db.backend() == Backend::Sqlite {
            let out = std::process::Command::new("sqlite3")
                .arg(folder.join("unet.db"))
                .arg("PRAGMA integrity_check; SELECT name FROM locations;")
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\ndc1\n");
        }

        // The same name again gets the time appended; a database snapshot has one file.
        let (status, _, again) = json_of(snapshot_request(
            &server,
            r#"{"name": "pre-maintenance-$(date +%Y%m%d)"}"#,
        ));
        assert_eq!(status, 201, "{again}");
        assert!(
            again["name"]
                .as_str()
                .unwrap()
                .starts_with("pre-maintenance-date-Y-m-d-2"),
            "{again}"
        );
        assert_eq!(again["type"], "database");
        assert_eq!(again["files"].as_array().unwrap().len(), 1);

        let (status, _, list) = json_of(server.get("/api/v1/system/snapshots"));
        assert_eq!(status, 200);
        assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
        assert_eq!(list[0]["name"], again["name"]);
    }
}

#[test]
fn snapshot_names_never_leave_the_snapshot_folder() {
    let db = TestDatabase::sqlite();
    let server = Server::start(&db);
    let outside_before = files_under(server.dir.path());
    for name in [
        "../../escaped",
        "/tmp/abs",
        "a/../../b",
        "x; touch /tmp/pwned-unet",
        "`id`$(id)|&>",
    ] {
        let body = json!({"name": name, "type": "full"}).to_string();
        let (status, _, s) = json_of(snapshot_request(&server, &body));
        assert_eq!(status, 201, "{name}: {s}");
        let created = Path::new(s["path"].as_str().unwrap());
        assert_eq!(
            created.parent().unwrap(),
            server.dir.path().join("data/snapshots"),
            "{name}"
        );
        let stored = s["name"].as_str().unwrap();
        assert!(
            stored
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "{stored}"
        );
    }
    assert!(!Path::new("/tmp/pwned-unet").exists());
    let snapshots = server.dir.path().join("data/snapshots");
    let new_outside: Vec<String> = files_under(server.dir.path())
        .into_iter()
        .filter(|p| !p.starts_with(&snapshots.display().to_string()) && !outside_before.contains(p))
        .filter(|p| !p.contains("unet.db"))
        .collect();
    assert_eq!(new_outside, Vec::<String>::new());
    for bad in [
        r#"{"name": "../.."}"#,
        r#"{"name": ""}"#,
        r#"{"name": "$()"}"#,
    ] {
        assert_problem(snapshot_request(&server, bad), 422, "invalid_snapshot_name");
    }
    assert_problem(snapshot_request(&server, "name=x"), 400, "invalid_json");
    assert_problem(
        snapshot_request(&server, r#"["x", "full"]"#),
        400,
        "invalid_json",
    );
    assert_problem(
        snapshot_request(&server, r#"{"name": "x", "type": "all"}"#),
        400,
        "invalid_json",
    );
}

#[test]
fn retention_keeps_the_configured_number() {
    let db = TestDatabase::sqlite();
    let server = Server::start_with(db.url(), "snapshots.keep = 2\n");
    for i in 0..4 {
        let (status, _, s) = json_of(snapshot_request(&server, &format!(r#"{{"name": "s{i}"}}"#)));
        assert_eq!(status, 201, "{s}");
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let (_, _, list) = json_of(server.get("/api/v1/system/snapshots"));
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["s3", "s2"]);
    assert!(!server.dir.path().join("data/snapshots/s0").exists());
}

#[test]
fn backup_online_and_restore_offline() {
    for db in TestDatabase::all_blocking() {
        let server = Server::start(&db);
        server.create("/api/v1/locations", json!({"name": "kept", "kind": "site"}));
        // The server's temp dir goes with it on terminate: keep files in one of our own.
        let work = tempfile::tempdir().unwrap();
        let dir = work.path().to_path_buf();
        let config_copy = dir.join("unet.toml");
        std::fs::copy(&server.config, &config_copy).unwrap();
        let config = config_copy.to_str().unwrap().to_string();
        let ext = if db.backend() == Backend::Sqlite {
            "db"
        } else {
            "dump"
        };
        let backup = dir.join(format!("backup.{ext}"));
        let backup_arg = backup.to_str().unwrap();
        let (code, out, err) = run(&mut command(&[
            "backup", "--config", &config, "--to", backup_arg,
        ]));
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.starts_with("backup written: "), "{out}");
        let (code, _, err) = run(&mut command(&[
            "backup", "--config", &config, "--to", backup_arg,
        ]));
        assert_ne!(code, 0);
        assert!(err.contains("already exists"), "{err}");

        server.create(
            "/api/v1/locations",
            json!({"name": "after-backup", "kind": "site"}),
        );
        // Refused while the server runs.
        let (code, _, err) = run(&mut command(&[
            "restore", "--config", &config, "--from", backup_arg,
        ]));
        assert_ne!(code, 0);
        assert!(err.contains("stop the server first"), "{err}");

        // The restarted server's data dir is new (no bootstrap password file): the session
        // opened before the backup is in the restored database.
        let token = server.token.clone();
        let (status, _) = server.terminate();
        assert!(status.success());
        let not_ours = dir.join("not-unet.db");
        std::fs::write(&not_ours, "hello").unwrap();
        let (code, _, err) = run(&mut command(&[
            "restore",
            "--config",
            &config,
            "--from",
            not_ours.to_str().unwrap(),
        ]));
        assert_ne!(code, 0, "{err}");
        if db.backend() == Backend::Sqlite {
            assert!(err.contains("not an SQLite database"), "{err}");
            let other = dir.join("other.db");
            std::process::Command::new("sqlite3")
                .arg(&other)
                .arg("CREATE TABLE t(x);")
                .status()
                .unwrap();
            let (code, _, err) = run(&mut command(&[
                "restore",
                "--config",
                &config,
                "--from",
                other.to_str().unwrap(),
            ]));
            assert_ne!(code, 0);
            assert!(err.contains("not a μNet one"), "{err}");
        } else {
            assert!(err.contains("not a PostgreSQL backup"), "{err}");
        }

        let (code, out, err) =
            run(command(&["restore", "--config", &config, "--from", backup_arg]).current_dir(&dir));
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("kept aside: "), "{out}");
        let restarted = Server::spawn(tempfile::tempdir().unwrap(), config_copy.clone()).unwrap();
        let (_, _, locations) = json_of(
            client_with(token.as_deref())
                .get(restarted.url("/api/v1/locations"))
                .send()
                .unwrap(),
        );
        let names: Vec<&str> = locations
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["kept"], "{locations}");
    }
}

/// `unet_database_errors_total` as `/metrics` shows it.
fn database_errors(server: &Server) -> u64 {
    let text = server.get("/metrics").text().unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("unet_database_errors_total "))
        .unwrap_or_else(|| panic!("no unet_database_errors_total:\n{text}"))
        .parse()
        .unwrap()
}

/// Runs `sql` on the server's database from outside the server.
fn alter(db: &TestDatabase, sql: &str) {
    use sqlx::Connection;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(db.url()).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            let _ = conn.close().await;
        });
}

/// A database that answers every inventory query with an error (here the `nodes` table is
/// renamed under the running server) is reported: health answers 503 `unhealthy`, the failed
/// request is a 500 `database` problem, and `unet_database_errors_total` counts both. Once the
/// table is back, health is 200 again.
#[test]
fn health_fails_and_database_errors_are_counted_when_queries_fail() {
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let server = Server::start(&db);
        let (status, _, health) = json_of(server.get("/api/v1/health"));
        assert_eq!(
            (status, &health["status"]),
            (200, &json!("healthy")),
            "{health}"
        );

        alter(&db, "ALTER TABLE nodes RENAME TO nodes_gone");
        let (status, _, health) = json_of(server.get("/api/v1/health"));
        assert_eq!(status, 503, "{health}");
        assert_eq!(health["status"], "unhealthy", "{health}");
        assert_eq!(health["checks"]["database"]["status"], "unhealthy");
        assert!(
            health["checks"]["database"]["error"].is_string(),
            "{health}"
        );
        assert_problem(server.get("/api/v1/nodes"), 500, "database");
        // A fresh server had met no failure before: the check and the request are counted.
        let after = database_errors(&server);
        assert!(after >= 2, "{after}");

        alter(&db, "ALTER TABLE nodes_gone RENAME TO nodes");
        let (status, _, health) = json_of(server.get("/api/v1/health"));
        assert_eq!(
            (status, &health["status"]),
            (200, &json!("healthy")),
            "{health}"
        );
        let (_, _, m) = json_of(server.get("/api/v1/metrics/snapshot"));
        assert!(
            m["performance"]["db_errors_total"].as_u64() >= Some(after),
            "{m}"
        );
        let (status, _) = server.terminate();
        assert!(status.success());
    }
}

/// `/api/v1/system/status` shows the policy engine as it is: `idle` before its first
/// evaluation, `ok` with the time and counts of the last one after an inventory write, and
/// `disabled` when nothing schedules it.
#[test]
fn system_status_reports_the_policy_engine() {
    let policy_engine = |server: &Server| -> Value {
        let (status, _, s) = json_of(server.get("/api/v1/system/status"));
        assert_eq!(status, 200, "{s}");
        s["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "policy_engine")
            .cloned()
            .unwrap_or_else(|| panic!("no policy_engine: {s}"))
    };
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let rules = tempfile::tempdir().unwrap();
        std::fs::write(
            rules.path().join("site.rules"),
            "RULE \"active-nodes-have-management-ip\":\n  WHEN node.status == \"active\"\n  \
             THEN ASSERT node.management_ip IS NOT NULL\n",
        )
        .unwrap();
        let server = Server::start_with(
            db.url(),
            &format!(
                "policies.dir = {:?}\npolicies.debounce = \"0s\"\n",
                rules.path().display().to_string()
            ),
        );
        let idle = policy_engine(&server);
        assert_eq!(idle["state"], "idle", "{idle}");
        server.create("/api/v1/locations", json!({"name": "dc1", "kind": "site"}));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let done = loop {
            let c = policy_engine(&server);
            if c["state"] == "ok" {
                break c;
            }
            assert!(c["state"] == "idle" || c["state"] == "running", "{c}");
            assert!(std::time::Instant::now() < deadline, "no evaluation: {c}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert!(done["last_run"].is_string(), "{done}");
        assert!(
            done["detail"].as_str().unwrap().contains("1 rules"),
            "{done}"
        );
        let (status, _) = server.terminate();
        assert!(status.success());
    }
    for db in TestDatabase::all_blocking() {
        let off = Server::start_with(
            db.url(),
            "policies.interval = \"0s\"\npolicies.evaluate_on_change = false\n",
        );
        assert_eq!(policy_engine(&off)["state"], "disabled");
    }
}
