//! `unet templates` and `unet compliance` end to end, in local mode and against the real
//! `unet-server`, on every backend, in the order an operator works: import the small-office
//! fixture, assign templates (`policies eval --apply`), render, push the running config, diff
//! (exit 1), list the non-compliant nodes, remediate, "apply" the remediation as the device
//! would, push the result — and the node is compliant (exit 0).
//!
//! Needs the server binary next to `unet`: `cargo build -p unet-server` first.

mod common;

use common::server::LiveServer;
use common::side::Side;
use common::{fixture, repo_path};
use unet_compliance::Rendering;
use unet_store::testing::TestDatabase;

const NODE: &str = "access-sw-01";

fn running_config() -> String {
    std::fs::read_to_string(repo_path("fixtures/running-configs/access-sw-01.cfg")).unwrap()
}

/// The script; locally the policies and templates folders come from the environment, as a
/// server takes them from its configuration.
fn script(side: &Side) {
    side.ok(&["import", &fixture("small-office")]);
    let (code, out, err) = side.run(&["policies", "eval", "--apply"]);
    assert!(code == 0 || code == 1, "{out}{err}");

    let (code, listed, err) = side.run(&["-o", "json", "templates", "list", NODE]);
    assert_eq!(code, 0, "{err}");
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["template"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "cisco-ios/base.j2",
            "cisco-ios/access-ports.j2",
            "common/management.j2"
        ]
    );

    let (code, intended, err) = side.run(&["templates", "render", NODE]);
    assert_eq!(code, 0, "{err}");
    assert!(
        intended.starts_with("hostname access-sw-01\n"),
        "{intended}"
    );
    let (_, rendering, _) = side.run(&["-o", "json", "templates", "render", NODE]);
    let rendering: Rendering = serde_json::from_str(&rendering).unwrap();
    assert_eq!(rendering.intended, intended);

    // Nothing stored to compare with yet: trouble, with the way out.
    let (code, _, err) = side.run(&["templates", "diff", NODE]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unet configs push"), "{err}");

    let running = running_config();
    side.ok(&[
        "configs",
        "push",
        NODE,
        &side.file("running.cfg", running.as_bytes()),
    ]);
    // Locally the check is recorded by the next evaluation (a server checks on push).
    let (code, out, err) = side.run(&["policies", "eval"]);
    assert!(code == 0 || code == 1, "{out}{err}");

    let (code, diff, err) = side.run(&["templates", "diff", NODE]);
    assert_eq!(code, 1, "{diff}{err}");
    assert!(diff.contains("ntp server 192.168.1.254"), "{diff}");
    let (code, diff, _) = side.run(&["-o", "json", "templates", "diff", NODE]);
    assert_eq!(code, 1);
    let diff: serde_json::Value = serde_json::from_str(&diff).unwrap();
    assert_eq!(diff["compliant"], false, "{diff}");
    assert_eq!(diff["slices"].as_array().unwrap().len(), 3, "{diff}");

    let fleet = side.json(&["compliance"]);
    assert_eq!(fleet["config"]["non_compliant"], 1, "{fleet}");
    let listed = side.json(&["compliance", "--state", "non_compliant"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["node"], NODE);
    let table = side.ok(&["compliance", "--verdict", "missing"]);
    assert!(table.contains(NODE), "{table}");
    assert!(
        side.json(&["compliance", "--state", "compliant"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let out = side.fails(2, &["compliance", "--state", "bogus"]);
    assert!(out.contains("non_compliant"), "{out}");
    let one = side.json(&["compliance", NODE]);
    assert_eq!(one["config"]["state"], "non_compliant", "{one}");

    // Remediate, apply the commands the way the device would, push what it then runs.
    let (code, commands, err) = side.run(&["templates", "remediate", NODE]);
    assert_eq!(code, 1, "{err}");
    let check = unet_compliance::compare(&rendering, &running).unwrap();
    assert_eq!(commands, check.remediation.to_text());
    let (code, rollback, _) = side.run(&["templates", "remediate", NODE, "--rollback"]);
    assert_eq!(code, 1);
    assert_eq!(rollback, check.rollback.to_text());
    let tree = unet_config::parse(rendering.platform, &running).unwrap();
    let remediated = unet_config::apply(&tree, &check.remediation).render();
    let file = side.file("remediated.cfg", remediated.as_bytes());
    // Against a file first, as before a change window; then stored.
    let (code, out, err) = side.run(&["templates", "diff", NODE, "--running", &file]);
    assert_eq!(code, 0, "{out}{err}");
    side.ok(&["configs", "push", NODE, &file]);
    let (code, out, err) = side.run(&["policies", "eval"]);
    assert!(code == 0 || code == 1, "{out}{err}");
    let (code, out, err) = side.run(&["templates", "diff", NODE]);
    assert_eq!(code, 0, "{out}{err}");
    let listed = side.json(&["compliance", "--state", "compliant"]);
    assert_eq!(listed[0]["node"], NODE, "{listed}");
    assert_eq!(listed[0]["running_version"], 2, "{listed}");

    // A node without a platform: a clear error, not a generic diff.
    side.ok(&["nodes", "add", "bare-1", "--vendor", "cisco"]);
    let (code, _, err) = side.run(&["templates", "diff", "bare-1", "--running", &file]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn local_mode() {
    let policies = repo_path("policies").display().to_string();
    let templates = repo_path("templates").display().to_string();
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let mut side = Side::new("--database-url", db.url());
        side.env = vec![
            ("UNET_POLICIES", policies.clone()),
            ("UNET_TEMPLATES", templates.clone()),
        ];
        script(&side);
    }
}

#[test]
fn server_mode() {
    let config = format!(
        "policies.dir = {:?}\npolicies.evaluate_on_change = false\ntemplates.dir = {:?}\n",
        repo_path("policies").display().to_string(),
        repo_path("templates").display().to_string(),
    );
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let server = LiveServer::start(db.url(), &config);
        let mut side = Side::new("--server", &server.base);
        side.token = server.admin_token(side.home.path());
        script(&side);
    }
}
