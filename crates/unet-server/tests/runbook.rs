//! The operators' maintenance runbook (its procedures are those of docs/operations.md) run as
//! written against a live server on SQLite. Each command is the runbook's text with only the port, the paths
//! (under a temporary root) and an `Authorization` header adapted; `systemctl stop/start/reload`
//! become SIGTERM / a new process / SIGHUP; `apt` and `journalctl` steps are skipped (the log
//! file stands in for the journal). `unet` runs against the live server through `UNET_SERVER`,
//! which syncs its rules from a local Git repository (`unet git status`).
//!
//! The routine sections run in the runbook's order on one server: nothing restarts it between
//! the reload of "Critical Bug Fixes" (every day, logrotate's `postrotate` sends the same
//! SIGHUP) and the weekly `ANALYZE` / `VACUUM` / `REINDEX`, as in production. The recovery
//! procedures, which stop and start the server, run in their own test.

mod common;
mod site;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use common::*;
use site::*;

#[test]
fn maintenance_runbook_on_sqlite() {
    let mut site = Site::new();
    site.start();
    site.server().create(
        "/api/v1/locations",
        json!({"name": "before-backup", "kind": "site"}),
    );

    // Automated daily backup (the runbook's script, adapted: deploy/scripts/backup.sh).
    let (code, out, err) = site.script("backup.sh", &site.backup_env());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Backup completed"), "{out}");
    assert_eq!(
        std::fs::read_to_string(site.path(&format!("backups/unet/{}/integrity.log", today())))
            .unwrap(),
        "ok\n"
    );

    // 1. Pre-maintenance verification.
    let health = site.json("curl http://localhost:8080/api/v1/health | jq '.'");
    assert_eq!(health["status"], "healthy");
    let system = site.json("curl http://localhost:8080/api/v1/metrics/snapshot | jq '.system'");
    assert!(system["memory_rss_bytes"].as_u64().unwrap() > 0, "{system}");
    assert!(
        site.run("ls -la /backups/unet/ | tail -5")
            .contains("latest")
    );
    assert_eq!(
        site.run("sqlite3 /backups/unet/latest/unet.db \"PRAGMA integrity_check;\""),
        "ok\n"
    );
    let snapshot = site.json(
        "curl -X POST http://localhost:8080/api/v1/system/snapshot \\\n  -d '{\"name\": \"pre-maintenance-$(date +%Y%m%d)\", \"type\": \"full\"}'",
    );
    assert_eq!(snapshot["type"], "full", "{snapshot}");
    let folder = site.path("var/lib/unet/snapshots/pre-maintenance-date-Y-m-d");
    assert!(folder.join("unet.db").is_file() && folder.join("config.toml").is_file());

    // 2. System update procedures.
    site.stop();
    site.run("tar -czf /backups/unet/pre-update-$(date +%Y%m%d).tar.gz /opt/unet/ 2>/dev/null");
    site.run("cp /path/to/new/unet-server /opt/unet/bin/\nchmod +x /opt/unet/bin/unet-server");
    let migrate = site.run("/opt/unet/bin/unet-server migrate --config /etc/unet/config.toml");
    assert!(migrate.contains("nothing to apply"), "{migrate}");
    site.start();
    assert_eq!(
        site.json("curl http://localhost:8080/api/v1/health")["status"],
        "healthy"
    );

    // 3. Post-maintenance verification.
    assert_eq!(
        site.json("curl http://localhost:8080/api/v1/health | jq '.'")["status"],
        "healthy"
    );
    let perf = site.json("curl http://localhost:8080/api/v1/metrics/snapshot | jq '.performance'");
    assert!(
        perf["http_request_duration_avg"].as_f64().is_some(),
        "{perf}"
    );
    // Feature verification with the CLI against the server.
    let nodes = site.run("unet nodes list");
    assert!(nodes.starts_with(" NAME"), "{nodes}");
    let git = site.run("unet git status");
    let repo = git.lines().find(|l| l.contains("network-policies"));
    assert!(
        repo.is_some_and(|l| l.contains("branch main")
            && (l.contains(" ok") || l.contains(" unchanged"))
            && !l.contains("failed")),
        "the rules repository is live:\n{git}"
    );
    let policies = site.run("unet policies list");
    assert!(
        policies.contains("active-nodes-have-management-ip"),
        "{policies}"
    );
    assert!(site.run("unet --version").starts_with("unet "));
    assert_eq!(
        site.run("sqlite3 /path/to/unet.db \"PRAGMA integrity_check;\""),
        "ok\n"
    );

    // Emergency maintenance: backup with the server stopped.
    site.stop();
    site.run("cp /path/to/unet.db /backups/emergency-$(date +%Y%m%d_%H%M%S).db");
    site.start();
    assert_eq!(
        site.json("curl http://localhost:8080/api/v1/health")["status"],
        "healthy"
    );

    // Critical bug fixes: status, reload (same process keeps serving), regression watch.
    let status = site.json("curl http://localhost:8080/api/v1/system/status");
    assert_eq!(status["components"][0]["name"], "database");
    assert_eq!(status["components"][0]["state"], "ok");
    site.reload_with_debug_level();
    assert_eq!(
        site.run("curl -s http://localhost:8080/api/v1/health | jq '.status'"),
        "\"healthy\"\n"
    );

    // Weekly database optimisation, while the server that took the reload above serves (no
    // restart in between). Under a continuous stream of writes ANALYZE and VACUUM can meet
    // SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out (docs/operations.md: run them in
    // the maintenance window, retry if locked); the requests here read, with a write every
    // tenth request.
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let writer = {
        let stop = stop.clone();
        let base = site.server().base.clone();
        let client = site.server().client();
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let r = if i % 10 == 0 {
                    client
                        .post(format!("{base}/api/v1/locations"))
                        .json(&json!({"name": format!("busy-{i}"), "kind": "site"}))
                        .send()
                } else {
                    client
                        .get(format!("{base}/api/v1/locations?limit=5"))
                        .send()
                };
                if tx.send(r.unwrap().status().as_u16()).is_err() {
                    break;
                }
                i += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    site.run("sqlite3 /path/to/unet.db \".backup '/tmp/pre-optimize.db'\"");
    site.run("sqlite3 /path/to/unet.db \"ANALYZE;\"");
    site.run("sqlite3 /path/to/unet.db \"VACUUM;\"");
    site.run("sqlite3 /path/to/unet.db \"REINDEX;\"");
    assert_eq!(
        site.run("sqlite3 /path/to/unet.db \"PRAGMA integrity_check;\""),
        "ok\n"
    );
    assert!(site.run("ls -lh /path/to/unet.db").contains("unet.db"));
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let statuses: Vec<u16> = rx.try_iter().collect();
    assert!(!statuses.is_empty());
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "{statuses:?}"
    );
    // After the optimisation the same server reads, writes where sqlite3 sees it, and logs in.
    site.server().create(
        "/api/v1/locations",
        json!({"name": "after-optimise", "kind": "site"}),
    );
    assert!(
        site.location_names()
            .contains(&"after-optimise".to_string())
    );
    assert_eq!(
        site.run("sqlite3 /path/to/unet.db \"SELECT COUNT(*) FROM locations WHERE name = 'after-optimise';\""),
        "1\n",
        "a write acknowledged after the optimisation is in the database file"
    );
    assert!(admin_token(&site.server().base, &site.path("var/lib/unet")).is_some());
    assert_eq!(
        site.run("sqlite3 /path/to/unet.db \"PRAGMA integrity_check;\""),
        "ok\n"
    );

    // Database statistics and migration management.
    let stats = site.run(
        "sqlite3 /path/to/unet.db << 'EOF'\n.mode column\n.headers on\n\nSELECT name, COUNT(*) as row_count \nFROM sqlite_master \nWHERE type='table' \nAND name NOT LIKE 'sqlite_%';\n\nPRAGMA page_count;\nPRAGMA page_size;\nPRAGMA freelist_count;\n\nSELECT name, rootpage FROM sqlite_master WHERE type='index';\nEOF",
    );
    assert!(
        stats.contains("page_count") && stats.contains("rootpage"),
        "{stats}"
    );
    let version = site.run("sqlite3 /path/to/unet.db \"SELECT version FROM schema_migrations ORDER BY version DESC LIMIT 1;\"");
    assert!(version.trim().parse::<u64>().is_ok(), "{version}");
    assert!(
        site.run("/opt/unet/bin/unet-server migrate --config /etc/unet/config.toml")
            .contains("nothing to apply")
    );
    let applied = site.run("sqlite3 /path/to/unet.db \"SELECT * FROM schema_migrations ORDER BY version DESC LIMIT 5;\"");
    assert!(applied.starts_with(version.trim()), "{applied}");

    // Log analysis: a slow statement (threshold 1 ms: a search matching a thousand
    // locations, slow even on a connection the login has already warmed), and an ERROR (a
    // restore refused because the server runs).
    for i in 0..1000 {
        site.server().create(
            "/api/v1/locations",
            json!({"name": format!("secret-name-{i}"), "kind": "site"}),
        );
    }
    for _ in 0..3 {
        site.server()
            .get("/api/v1/locations?limit=1000&q=secret-name");
    }
    let (code, _, _) = site.try_run(&format!(
        "/opt/unet/bin/unet-server restore --config /etc/unet/config.toml --from {}",
        site.path("tmp/pre-optimize.db").display()
    ));
    assert_ne!(code, 0, "restore must refuse while the server runs");
    let slow = site.run("grep \"slow_query\\|timeout\\|performance\" /var/log/unet/unet.log");
    assert!(slow.contains("slow_query"), "{slow}");
    assert!(
        !slow.contains("secret-name"),
        "bound values stay out of the log: {slow}"
    );
    assert!(
        !site
            .run("grep ERROR /var/log/unet/unet.log | head -20")
            .is_empty()
    );
    let patterns = site.run("grep ERROR /var/log/unet/unet.log | \\\n    awk '{print $5}' | sort | uniq -c | sort -nr | head -10");
    assert!(patterns.contains(" restore"), "{patterns}");

    // Log rotation: logrotate moves the file, its postrotate reload reopens it.
    std::fs::rename(site.log_file(), site.path("var/log/unet/unet.log.1")).unwrap();
    signal_pid(site.server().pid(), "HUP");
    wait_for("a new log file", || site.log_file().exists());
    site.server().get("/api/v1/health");
    wait_for("request lines in the new file", || {
        site.log().contains("/api/v1/health")
    });

    // Performance monitoring.
    let perf_db = site.run("sqlite3 /path/to/unet.db << 'EOF'\n.timer on\nSELECT COUNT(*) FROM nodes;\nSELECT COUNT(*) FROM users;\nSELECT COUNT(*) FROM configuration_changes;\nEOF");
    assert!(perf_db.contains("Run Time"), "{perf_db}");
    let plan = site.run("sqlite3 /path/to/unet.db \"EXPLAIN QUERY PLAN SELECT * FROM nodes WHERE status = 'active';\"");
    assert!(plan.contains("USING INDEX"), "{plan}");
    let pool =
        site.json("curl http://localhost:8080/api/v1/config/database | jq '.connection_pool'");
    assert_eq!(pool["max_connections"], 16, "{pool}");
    let rss = site.run("ps aux | grep unet-server | awk '{print $6}' | head -1");
    assert!(rss.trim().parse::<u64>().is_ok(), "{rss}");
    let env = vec![
        ("UNET_API", site.server().base.clone()),
        ("UNET_DB", site.db().display().to_string()),
        (
            "UNET_DATA_DIR",
            site.path("var/lib/unet").display().to_string(),
        ),
    ];
    let (code, report, err) = site.script("capacity_report.sh", &env);
    assert_eq!(code, 0, "{report}{err}");
    for line in [
        "Database size: ",
        "Total nodes: 0",
        "Total users: ",
        "Avg response time: ",
        "Memory usage: ",
        "Disk usage: ",
    ] {
        assert!(report.contains(line), "{line}: {report}");
    }

    // Performance baseline update.
    site.run("mkdir -p /var/lib/unet/baselines");
    let baseline = "CURRENT_METRICS=$(curl -s http://localhost:8080/api/v1/metrics/snapshot)\necho \"$CURRENT_METRICS\" > /var/lib/unet/baselines/$(date +%Y%m).json\ncp /var/lib/unet/baselines/$(date +%Y%m).json /var/lib/unet/baselines/$(date -d \"1 month ago\" +%Y%m).json\nPREV_MONTH=$(date -d \"1 month ago\" +%Y%m)\nif [ -f \"/var/lib/unet/baselines/$PREV_MONTH.json\" ]; then\n    echo \"Performance comparison with $PREV_MONTH:\"\n    jq -s '.[1].performance.http_request_duration_avg - .[0].performance.http_request_duration_avg' \\\n        /var/lib/unet/baselines/$PREV_MONTH.json \\\n        /var/lib/unet/baselines/$(date +%Y%m).json\nfi";
    let compared = site.run(baseline);
    assert!(compared.trim_end().ends_with("\n0"), "{compared}");

    // An invalid configuration on reload keeps the old one.
    std::fs::write(site.config(), "server.listen = \"nowhere\"\n").unwrap();
    signal_pid(site.server().pid(), "HUP");
    wait_for("the rejection", || {
        site.log().contains("config_reload rejected")
    });
    assert_eq!(
        site.json("curl http://localhost:8080/api/v1/health")["status"],
        "healthy"
    );
    site.write_config("");

    // Health check automation: silent while healthy, posts to the webhook when not.
    let (hook_url, hook) = webhook();
    let env = vec![
        ("UNET_HEALTH_ENDPOINT", site.server().url("/api/v1/health")),
        ("UNET_ALERT_WEBHOOK", hook_url),
    ];
    let (code, out, err) = site.script("health_check.sh", &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(hook.try_recv().is_err());
    site.stop();
    // After a clean stop the file holds every write, intact.
    assert_eq!(
        site.run("sqlite3 /path/to/unet.db \"PRAGMA integrity_check;\""),
        "ok\n"
    );
    assert_eq!(
        site.run("sqlite3 /path/to/unet.db \"SELECT COUNT(*) FROM locations WHERE name IN ('before-backup', 'after-optimise');\""),
        "2\n"
    );
    let (code, _, _) = site.script("health_check.sh", &env);
    assert_eq!(code, 1);
    let posted = hook
        .recv_timeout(Duration::from_secs(10))
        .expect("webhook called");
    let posted: Value = serde_json::from_str(&posted).unwrap();
    assert!(
        posted["text"]
            .as_str()
            .unwrap()
            .contains("Health Check Failed: unreachable"),
        "{posted}"
    );
}

/// "Database Recovery from Backup" and "Configuration Recovery" as written: both stop the
/// server, so they run on their own site rather than between the routine sections above.
#[test]
fn recovery_procedures_on_sqlite() {
    let mut site = Site::new();
    site.start();
    site.server().create(
        "/api/v1/locations",
        json!({"name": "before-backup", "kind": "site"}),
    );
    let (code, out, err) = site.script("backup.sh", &site.backup_env());
    assert_eq!(code, 0, "{out}{err}");

    // Database recovery from backup.
    site.server().create(
        "/api/v1/locations",
        json!({"name": "after-backup", "kind": "site"}),
    );
    site.stop();
    site.run("mv /path/to/unet.db /path/to/unet.db.corrupted.$(date +%Y%m%d_%H%M%S)");
    let restore = format!(
        "RESTORE_DATE=\"{}\"  # Specify backup date\ncp /backups/unet/$RESTORE_DATE/unet.db /path/to/unet.db",
        today()
    );
    site.run(&restore);
    assert_eq!(
        site.run("sqlite3 /path/to/unet.db \"PRAGMA integrity_check;\""),
        "ok\n"
    );
    site.run("chmod 640 /path/to/unet.db"); // chown unet:unet needs the unet user: skipped
    site.start();
    assert_eq!(
        site.json("curl http://localhost:8080/api/v1/health")["status"],
        "healthy"
    );
    assert_eq!(site.location_names(), vec!["before-backup"]);

    // Configuration recovery.
    site.stop();
    site.run("cp -r /etc/unet/ /etc/unet.backup.$(date +%Y%m%d_%H%M%S)");
    site.run(&format!(
        "RESTORE_DATE=\"{}\"\ncp -r /backups/unet/$RESTORE_DATE/config/* /etc/unet/",
        today()
    ));
    let validate = site.run("/opt/unet/bin/unet-server --config /etc/unet/config.toml --validate");
    assert!(validate.contains("configuration is valid"), "{validate}");
    site.start();
    assert_eq!(
        site.json("curl http://localhost:8080/api/v1/health")["status"],
        "healthy"
    );
    site.stop();
}

/// The runbook's steps that are not SQLite-specific, on PostgreSQL: `sqlite3` steps give way
/// to `unet-server backup` / `restore`, which the backup script and the recovery use.
#[test]
fn maintenance_runbook_on_postgres() {
    let Some(db) = TestDatabase::postgres_blocking() else {
        return;
    };
    let mut site = Site::with_database(Some(db.url().to_string()));
    site.start();
    site.server().create(
        "/api/v1/locations",
        json!({"name": "before-backup", "kind": "site"}),
    );

    let (code, out, err) = site.script("backup.sh", &site.backup_env());
    assert_eq!(code, 0, "{out}{err}");
    let day = site.path(&format!("backups/unet/{}", today()));
    assert!(
        day.join("unet.dump").is_file() && day.join("config").is_dir(),
        "{out}"
    );

    assert_eq!(
        site.json("curl http://localhost:8080/api/v1/health | jq '.'")["status"],
        "healthy"
    );
    let system = site.json("curl http://localhost:8080/api/v1/metrics/snapshot | jq '.system'");
    assert!(system["open_fds"].as_u64().is_some(), "{system}");
    let snapshot = site.json(
        "curl -X POST http://localhost:8080/api/v1/system/snapshot \\\n  -d '{\"name\": \"pre-maintenance-$(date +%Y%m%d)\", \"type\": \"full\"}'",
    );
    assert_eq!(snapshot["files"][0]["path"], "unet.dump", "{snapshot}");

    site.stop();
    let migrate = site.run("/opt/unet/bin/unet-server migrate --config /etc/unet/config.toml");
    assert!(migrate.contains("nothing to apply"), "{migrate}");
    site.start();
    let perf = site.json("curl http://localhost:8080/api/v1/metrics/snapshot | jq '.performance'");
    assert!(
        perf["http_request_duration_avg"].as_f64().is_some(),
        "{perf}"
    );
    let status = site.json("curl http://localhost:8080/api/v1/system/status");
    assert_eq!(status["database_backend"], "postgres");
    let pool =
        site.json("curl http://localhost:8080/api/v1/config/database | jq '.connection_pool'");
    assert_eq!(pool["max_connections"], 16, "{pool}");

    site.reload_with_debug_level();
    assert_eq!(
        site.run("curl -s http://localhost:8080/api/v1/health | jq '.status'"),
        "\"healthy\"\n"
    );

    // Recovery: the backup brings back the data it holds.
    site.server().create(
        "/api/v1/locations",
        json!({"name": "after-backup", "kind": "site"}),
    );
    site.stop();
    let restore = format!(
        "/opt/unet/bin/unet-server restore --config /etc/unet/config.toml --from /backups/unet/{}/unet.dump",
        today()
    );
    assert!(site.run(&restore).contains("kept aside"));
    let validate = site.run("/opt/unet/bin/unet-server --config /etc/unet/config.toml --validate");
    assert!(validate.contains("configuration is valid"), "{validate}");
    site.start();
    assert_eq!(site.location_names(), vec!["before-backup"]);

    let env = vec![
        ("UNET_API", site.server().base.clone()),
        (
            "UNET_DATA_DIR",
            site.path("var/lib/unet").display().to_string(),
        ),
    ];
    let (code, report, err) = site.script("capacity_report.sh", &env);
    assert_eq!(code, 0, "{report}{err}");
    assert!(
        report.contains("Total nodes: 0") && report.contains("Avg response time: "),
        "{report}"
    );
    let (code, _, _) = site.try_run(&format!(
        "/opt/unet/bin/unet-server restore --config /etc/unet/config.toml --from {restore_from}",
        restore_from = day.join("unet.dump").display()
    ));
    assert_ne!(code, 0, "restore must refuse while the server runs");
    let patterns = site.run("grep ERROR /var/log/unet/unet.log | \\\n    awk '{print $5}' | sort | uniq -c | sort -nr | head -10");
    assert!(patterns.contains(" restore"), "{patterns}");
}

/// "Security Maintenance" and the security part of "Log Analysis", as written, with the
/// administrator's token: the audit summary, the failed-authentication review (its `&` left
/// unquoted as in the runbook), a security-policy update from a file, the user access review
/// and the API-key audit, each giving the documented shape; then the log grep finds the
/// failures. On SQLite and PostgreSQL.
#[test]
fn security_maintenance_on_every_backend() {
    for db in TestDatabase::all_blocking() {
        let url = match db.backend() {
            unet_store::Backend::Sqlite => None,
            unet_store::Backend::Postgres => Some(db.url().to_string()),
        };
        let mut site = Site::with_database(url);
        site.start();
        assert!(
            site.server().token.is_some(),
            "authentication is on by default"
        );

        // Something to review: a failed login, and an API key that has been used.
        let wrong = site.server().anonymous();
        let r = wrong
            .post(site.server().url("/api/v1/auth/login"))
            .header("user-agent", "runbook-test")
            .json(&json!({"username": "admin", "password": "not-the-password"}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 401);
        let key = site.server().create(
            "/api/v1/auth/api-keys",
            json!({"name": "backup-job", "roles": ["viewer"], "expires_in_days": 30}),
        );
        let secret = key["secret"].as_str().unwrap().to_string();
        let used = wrong
            .get(site.server().url("/api/v1/nodes"))
            .bearer_auth(&secret)
            .send()
            .unwrap();
        assert_eq!(used.status(), 200);

        // Weekly security audit.
        let summary =
            site.json("curl http://localhost:8080/api/v1/security/audit/summary | jq '.'");
        assert!(summary["auth_failures"].as_u64().unwrap() >= 1, "{summary}");
        assert!(
            summary["active_api_keys"].as_u64().unwrap() >= 1,
            "{summary}"
        );
        for field in [
            "auth_successes",
            "lockouts",
            "locked_accounts",
            "inactive_users",
        ] {
            assert!(summary[field].is_u64(), "{field}: {summary}");
        }

        // Review failed authentication attempts (bash runs curl in the background at `&`).
        let failures = site
            .json("curl http://localhost:8080/api/v1/security/events?type=auth_failure&limit=50");
        let failures = failures.as_array().unwrap();
        assert!(!failures.is_empty());
        assert!(failures.iter().all(|e| e["type"] == "auth_failure"));
        let ours = failures
            .iter()
            .find(|e| e["user_agent"] == "runbook-test")
            .expect("the failed login is listed");
        assert_eq!(ours["username"], "admin");
        assert_eq!(ours["source_ip"], "127.0.0.1");
        assert_eq!(ours["detail"]["reason"], "wrong password");
        assert!(!ours.to_string().contains("not-the-password"));

        // Update security policies from the operator's file.
        let mut policy = site.json("curl http://localhost:8080/api/v1/security/policies");
        policy["lockout_threshold"] = json!(3);
        policy["session_ttl_secs"] = json!(3600);
        std::fs::write(
            site.path("etc/unet/security-policies.json"),
            policy.to_string(),
        )
        .unwrap();
        let applied = site.json(
            "curl -X PUT http://localhost:8080/api/v1/security/policies \\\n    -H \"Content-Type: application/json\" \\\n    -d @/etc/unet/security-policies.json",
        );
        assert_eq!(applied["lockout_threshold"], 3);
        let now = site.json("curl http://localhost:8080/api/v1/security/policies");
        assert_eq!(now["session_ttl_secs"], 3600);

        // Monthly user access review: one object per user, exactly the four fields.
        let users = site.run(
            "curl http://localhost:8080/api/v1/users | jq '.[] | {id, username, last_login, roles}'",
        );
        let users: Vec<Value> = serde_json::Deserializer::from_str(&users)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let admin = users.iter().find(|u| u["username"] == "admin").unwrap();
        assert!(
            admin["id"].is_string() && admin["last_login"].is_string(),
            "{admin}"
        );
        assert_eq!(admin["roles"], json!(["admin"]));

        // API key audit: the key's use reaches `last_used` (written in the background).
        let keys_of = || -> Vec<Value> {
            let out = site.run(
                "curl http://localhost:8080/api/v1/auth/api-keys | jq '.[] | {name, last_used, expires}'",
            );
            serde_json::Deserializer::from_str(&out)
                .into_iter()
                .map(Result::unwrap)
                .collect()
        };
        let backup_job = |keys: &[Value]| {
            keys.iter()
                .find(|k| k["name"] == "backup-job")
                .cloned()
                .expect("the key is listed")
        };
        assert!(backup_job(&keys_of())["expires"].is_string());
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while backup_job(&keys_of())["last_used"].is_null() {
            assert!(
                std::time::Instant::now() < deadline,
                "last_used never written"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
        let listing = site.run("curl http://localhost:8080/api/v1/auth/api-keys");
        assert!(
            !listing.contains(&secret),
            "the secret is shown only at creation"
        );

        // Security event review (the log file stands in for the journal).
        let review = site.run("grep \"auth_failure\\|security\\|blocked\" /var/log/unet/unet.log");
        assert!(review.contains("auth_failure"), "{review}");
        assert!(review.contains("policy_change"), "{review}");
        assert!(!review.contains("not-the-password") && !review.contains(&secret));
        site.stop();
    }
}
