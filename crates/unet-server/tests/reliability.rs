//! Reliability on SQLite: a snapshot taken while 20 clients write is intact and consistent,
//! and a server killed with SIGKILL in the middle of writes restarts with an intact database
//! holding every write it acknowledged.

mod common;
mod site;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use common::*;
use site::signal_pid;

const WRITERS: usize = 20;

/// 20 threads creating locations until `stop`; each name whose creation was answered 201 is
/// added to the returned set.
fn start_writers(
    server: &Server,
    stop: &Arc<AtomicBool>,
) -> (Arc<Mutex<HashSet<String>>>, Vec<JoinHandle<()>>) {
    let acknowledged = Arc::new(Mutex::new(HashSet::new()));
    let handles = (0..WRITERS)
        .map(|w| {
            let (base, stop, acknowledged) =
                (server.base.clone(), stop.clone(), acknowledged.clone());
            let client = server.client();
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let name = format!("w{w}-{i}");
                    i += 1;
                    let sent = client
                        .post(format!("{base}/api/v1/locations"))
                        .json(&json!({"name": name, "kind": "site"}))
                        .send();
                    match sent {
                        Ok(r) if r.status() == 201 => {
                            acknowledged.lock().unwrap().insert(name);
                        }
                        Ok(r) => panic!("{name}: {} {}", r.status(), r.text().unwrap_or_default()),
                        // The server was killed under this request: not acknowledged.
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    (acknowledged, handles)
}

fn sqlite(db: &Path, sql: &str) -> String {
    let out = Command::new("sqlite3").arg(db).arg(sql).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn db_path(db: &TestDatabase) -> PathBuf {
    PathBuf::from(db.url().trim_start_matches("sqlite://"))
}

#[test]
fn snapshot_while_20_clients_write_is_intact_and_consistent() {
    let db = TestDatabase::sqlite();
    let server = Server::start(&db);
    let stop = Arc::new(AtomicBool::new(false));
    let (acknowledged, writers) = start_writers(&server, &stop);
    std::thread::sleep(Duration::from_millis(500));
    let mut snapshots = Vec::new();
    for i in 0..3 {
        let (status, _, s) = json_of(server.post_json(
            "/api/v1/system/snapshot",
            &json!({"name": format!("busy-{i}")}),
        ));
        assert_eq!(status, 201, "{s}");
        snapshots.push(PathBuf::from(s["path"].as_str().unwrap()).join("unet.db"));
        std::thread::sleep(Duration::from_millis(300));
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let mut previous = 0;
    for snapshot in &snapshots {
        assert_eq!(sqlite(snapshot, "PRAGMA integrity_check;"), "ok");
        // Each location and its audit row are written in one transaction: a consistent copy
        // has both or neither.
        let orphans = sqlite(
            snapshot,
            "SELECT COUNT(*) FROM locations l WHERE NOT EXISTS \
             (SELECT 1 FROM configuration_changes c WHERE c.entity_id = l.id)",
        );
        assert_eq!(orphans, "0", "{}", snapshot.display());
        let names = sqlite(snapshot, "SELECT name FROM locations;");
        let count = names.lines().count();
        assert!(
            count > previous,
            "snapshots follow the writes: {count} after {previous}"
        );
        previous = count;
        // Only rows that were (or were about to be) acknowledged.
        let unknown = names.lines().filter(|n| !acknowledged.contains(*n)).count();
        assert!(unknown <= WRITERS, "{unknown} rows never acknowledged");
    }
    let live = sqlite(&db_path(&db), "SELECT COUNT(*) FROM locations;");
    assert_eq!(live, acknowledged.len().to_string());
}

#[test]
fn sigkill_during_writes_loses_no_acknowledged_write() {
    let db = TestDatabase::sqlite();
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("unet.toml");
    std::fs::write(
        &config,
        format!(
            "server.listen = \"127.0.0.1:0\"\ndatabase.url = {:?}\ndata.dir = {:?}\n",
            db.url(),
            work.path().join("data").display().to_string()
        ),
    )
    .unwrap();
    let server = Server::spawn(tempfile::tempdir().unwrap(), config.clone()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (acknowledged, writers) = start_writers(&server, &stop);
    std::thread::sleep(Duration::from_millis(1500));
    signal_pid(server.pid(), "KILL");
    let (status, _) = server.terminate_after_signal();
    assert!(!status.success(), "killed: {status}");
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 50,
        "only {} writes",
        acknowledged.len()
    );

    let restarted = Server::spawn(tempfile::tempdir().unwrap(), config).unwrap();
    assert_eq!(sqlite(&db_path(&db), "PRAGMA integrity_check;"), "ok");
    let stored: HashSet<String> = sqlite(&db_path(&db), "SELECT name FROM locations;")
        .lines()
        .map(str::to_string)
        .collect();
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let (status, _, health) = json_of(restarted.get("/api/v1/health"));
    assert_eq!(status, 200, "{health}");
}
