//! The configuration loop against the real binary, on every backend available here, in the
//! order an operator runs it: import the small-office fixture, evaluate the rules with
//! `apply` (template assignments), render, push a running configuration, read the recorded
//! config check, diff, remediate — and the remediated configuration, pushed back, is compliant.

mod common;

use common::*;
use unet_compliance::Rendering;

fn start(db: &TestDatabase, templates: &std::path::Path) -> Server {
    start_with_policies(db, templates, &repo_path("policies"))
}

fn start_with_policies(
    db: &TestDatabase,
    templates: &std::path::Path,
    policies: &std::path::Path,
) -> Server {
    let extra = format!(
        "policies.dir = {:?}\npolicies.interval = \"0s\"\npolicies.evaluate_on_change = false\n\
         templates.dir = {:?}\n",
        policies.display().to_string(),
        templates.display().to_string(),
    );
    Server::start_with(db.url(), &extra)
}

/// A copy of a folder of the repository, to change files in.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn push(server: &Server, node: &str, text: &str) -> (u16, Value) {
    let response = server
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/nodes/{node}/configs"),
        )
        .header("content-type", "text/plain")
        .body(text.to_string())
        .send()
        .expect("push");
    let (status, _, body) = json_of(response);
    (status, body)
}

fn node_id(server: &Server, name: &str) -> String {
    let (status, _, nodes) = json_of(server.get(&format!("/api/v1/nodes?q={name}")));
    assert_eq!(status, 200, "{nodes}");
    let node = nodes
        .as_array()
        .and_then(|all| all.iter().find(|n| n["name"] == name))
        .unwrap_or_else(|| panic!("no node {name}: {nodes}"));
    node["id"].as_str().expect("id").to_string()
}

#[test]
fn import_evaluate_render_push_diff_remediate_until_compliant() {
    let templates = repo_path("templates");
    let running = std::fs::read_to_string(repo_path("fixtures/running-configs/access-sw-01.cfg"))
        .expect("fixture running config");
    for db in TestDatabase::all_blocking() {
        let server = start(&db, &templates);
        let (status, _, report) = json_of(server.post_json("/api/v1/import", &small_office()));
        assert_eq!(status, 200, "{report}");
        let id = node_id(&server, "access-sw-01");

        // Before any assignment there is nothing intended to compare with.
        assert_problem(
            server.get(&format!("/api/v1/nodes/{id}/config-diff")),
            409,
            "no_templates_assigned",
        );
        let (status, _, _) = json_of(server.post_json(
            "/api/v1/policies/evaluate",
            &json!({"apply": true, "summary": true}),
        ));
        assert_eq!(status, 200);

        let (status, _, listed) = json_of(server.get("/api/v1/templates"));
        assert_eq!(status, 200, "{listed}");
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["name"] == "cisco-ios/base.j2" && t["owns"].is_null())
        );

        let (status, _, rendered) = json_of(server.get(&format!("/api/v1/nodes/{id}/intended")));
        assert_eq!(status, 200, "{rendered}");
        let rendering: Rendering = serde_json::from_value(rendered).expect("a rendering");
        let names: Vec<&str> = rendering
            .templates
            .iter()
            .map(|t| t.template.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "cisco-ios/base.j2",
                "cisco-ios/access-ports.j2",
                "common/management.j2"
            ]
        );
        assert!(rendering.intended.starts_with("hostname access-sw-01\n"));
        assert!(rendering.intended.contains(
            "interface GigabitEthernet1/1/1\n description core-sw-01 GigabitEthernet1/1/1\n"
        ));

        assert_problem(
            server.get(&format!("/api/v1/nodes/{id}/config-diff")),
            409,
            "no_running_config",
        );

        // A push stores a version and records the node's check at once.
        let (status, pushed) = push(&server, &id, &running);
        assert_eq!(status, 201, "{pushed}");
        let (_, _, compliance) = json_of(server.get(&format!("/api/v1/nodes/{id}/compliance")));
        let check = &compliance["config"];
        assert_eq!(check["state"], "non_compliant", "{compliance}");
        assert_eq!(check["running_version"], 1);
        assert_eq!(check["slices"].as_array().unwrap().len(), 3);

        // The fleet listing filters by state, template and slice verdict.
        let (status, _, listed) =
            json_of(server.get("/api/v1/compliance/configs?state=non_compliant"));
        assert_eq!(status, 200, "{listed}");
        let names: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["node"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["access-sw-01"], "{listed}");
        assert_eq!(listed[0]["slices"].as_array().unwrap().len(), 3);
        let slice = &listed[0]["slices"][0];
        let (template, verdict) = (
            slice["template"].as_str().unwrap(),
            slice["verdict"].as_str().unwrap(),
        );
        let other = if verdict == "compliant" {
            "missing"
        } else {
            "compliant"
        };
        let (_, _, hit) = json_of(server.get(&format!(
            "/api/v1/compliance/configs?template={template}&verdict={verdict}&limit=5"
        )));
        assert_eq!(hit.as_array().unwrap().len(), 1, "{hit}");
        let (_, _, miss) = json_of(server.get(&format!(
            "/api/v1/compliance/configs?template={template}&verdict={other}"
        )));
        assert_eq!(miss, json!([]), "{template} {verdict}");
        let (_, _, listed) = json_of(server.get("/api/v1/compliance/configs?state=compliant"));
        assert_eq!(listed, json!([]));
        assert_problem(
            server.get("/api/v1/compliance/configs?state=broken"),
            400,
            "invalid_query",
        );

        let (status, _, diff) = json_of(server.get(&format!("/api/v1/nodes/{id}/config-diff")));
        assert_eq!(status, 200, "{diff}");
        assert_eq!(diff["compliant"], false);
        let remediation = diff["remediation"]["text"].as_str().unwrap();
        // Unowned lines (crypto, banner, users, the access ports) are never proposed.
        for unowned in [
            "crypto",
            "banner",
            "username",
            "GigabitEthernet1/0/1",
            "line vty",
        ] {
            assert!(!remediation.contains(unowned), "{unowned}: {remediation}");
        }
        assert!(
            remediation.contains("no ntp server 192.168.1.254"),
            "{remediation}"
        );
        assert!(remediation.contains("no ip http server"), "{remediation}");

        // The same engine locally gives the same commands; applied, they make the node
        // compliant, as the server then confirms.
        let local = unet_compliance::compare(&rendering, &running).expect("comparable");
        assert_eq!(local.remediation.to_text(), remediation);
        let tree = unet_config::parse(rendering.platform, &running).unwrap();
        let remediated = unet_config::apply(&tree, &local.remediation).render();
        let (status, pushed) = push(&server, &id, &remediated);
        assert_eq!(status, 201, "{pushed}");
        let (_, _, diff) = json_of(server.get(&format!("/api/v1/nodes/{id}/config-diff")));
        assert_eq!(diff["compliant"], true, "{diff}");
        assert_eq!(diff["running_version"], 2);
        let (_, _, fleet) = json_of(server.get("/api/v1/compliance"));
        assert_eq!(fleet["config"]["compliant"], 1, "{fleet}");
        let (_, _, listed) = json_of(server.get("/api/v1/compliance/configs?state=compliant"));
        assert_eq!(listed[0]["node"], "access-sw-01", "{listed}");
        assert_eq!(listed[0]["running_version"], 2, "{listed}");

        server.terminate();
    }
}

#[test]
fn a_broken_template_keeps_the_last_good_set_and_a_missing_variable_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path();
    std::fs::create_dir_all(templates.join("cisco-ios")).unwrap();
    for name in [
        "cisco-ios/base.j2",
        "cisco-ios/access-ports.j2",
        "cisco-ios/core-ospf.j2",
    ] {
        std::fs::copy(repo_path("templates").join(name), templates.join(name)).unwrap();
    }
    std::fs::create_dir_all(templates.join("common")).unwrap();
    for db in TestDatabase::all_blocking() {
        std::fs::write(
            templates.join("common/management.j2"),
            "ntp server {{ node.custom_data.ntp_servers[0] }}\n",
        )
        .unwrap();
        let server = start(&db, templates);
        let (status, _, _) = json_of(server.post_json("/api/v1/import", &small_office()));
        assert_eq!(status, 200);
        json_of(server.post_json(
            "/api/v1/policies/evaluate",
            &json!({"apply": true, "summary": true}),
        ));
        let id = node_id(&server, "access-sw-01");
        let (status, _, rendered) = json_of(server.get(&format!("/api/v1/nodes/{id}/intended")));
        assert_eq!(status, 200, "{rendered}");

        // A syntax error: refused with file:line:column, the last good set still renders.
        std::fs::write(templates.join("common/broken.j2"), "ok\n{% for %}\n").unwrap();
        let (status, _, rendered) = json_of(server.get(&format!("/api/v1/nodes/{id}/intended")));
        assert_eq!(status, 200, "{rendered}");
        let (_, _, system) = json_of(server.get("/api/v1/system/status"));
        let component = system["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "templates")
            .cloned()
            .unwrap();
        assert_eq!(component["state"], "error", "{component}");
        assert!(
            component["detail"]
                .as_str()
                .unwrap()
                .contains("common/broken.j2:2:"),
            "{component}"
        );
        std::fs::remove_file(templates.join("common/broken.j2")).unwrap();

        // An undefined variable fails that node's render, naming template and line.
        std::fs::write(
            templates.join("common/management.j2"),
            "ntp server {{ node.custom_data.ntp_servers[0] }}\nlogging host {{ node.custom_data.syslog_host }}\n",
        )
        .unwrap();
        let problem = assert_problem(
            server.get(&format!("/api/v1/nodes/{id}/intended")),
            422,
            "render_failed",
        );
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("common/management.j2:2"), "{detail}");
        assert!(detail.contains("undefined"), "{detail}");
        server.terminate();
    }
}

#[test]
fn a_node_without_platform_is_named_and_a_failed_render_keeps_the_recorded_check() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    copy_tree(&repo_path("templates"), &templates);
    // The example assignments, and the shared snippet for lab nodes whatever their platform.
    let rules = dir.path().join("assign.rules");
    let mut text = std::fs::read_to_string(repo_path("policies/50-templates.rules")).unwrap();
    text.push_str("\nWHEN node.role == \"lab\" THEN APPLY \"common/management.j2\"\n");
    std::fs::write(&rules, text).unwrap();
    let running =
        std::fs::read_to_string(repo_path("fixtures/running-configs/access-sw-01.cfg")).unwrap();
    for db in TestDatabase::all_blocking() {
        std::fs::copy(
            repo_path("templates/common/management.j2"),
            templates.join("common/management.j2"),
        )
        .unwrap();
        let server = start_with_policies(&db, &templates, &rules);
        let (status, _, _) = json_of(server.post_json("/api/v1/import", &small_office()));
        assert_eq!(status, 200);
        let lab = server.create(
            "/api/v1/nodes",
            json!({"name": "lab-1", "role": "lab",
                   "custom_data": {"ntp_servers": ["10.0.0.1"], "syslog_server": "10.0.0.2"}}),
        );
        assert_eq!(lab["platform"], "generic", "{lab}");
        let lab = lab["id"].as_str().unwrap().to_string();
        let (status, _, report) = json_of(server.post_json(
            "/api/v1/policies/evaluate",
            &json!({"apply": true, "summary": true}),
        ));
        assert_eq!(status, 200, "{report}");

        // Generic platform: no diff that pretends, the error says what to set.
        let (status, pushed) = push(&server, &lab, &running);
        assert_eq!(status, 201, "{pushed}");
        let problem = assert_problem(
            server.get(&format!("/api/v1/nodes/{lab}/config-diff")),
            422,
            "no_config_platform",
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("set its platform"),
            "{problem}"
        );
        let (_, _, compliance) = json_of(server.get(&format!("/api/v1/nodes/{lab}/compliance")));
        assert_eq!(compliance["config"]["state"], "error", "{compliance}");
        assert!(
            compliance["config"]["message"]
                .as_str()
                .unwrap()
                .contains("platform generic"),
            "{compliance}"
        );

        // A recorded check survives a template that stops rendering.
        let id = node_id(&server, "access-sw-01");
        let (status, _) = push(&server, &id, &running);
        assert_eq!(status, 201);
        let (_, _, before) = json_of(server.get(&format!("/api/v1/nodes/{id}/compliance")));
        assert_eq!(before["config"]["state"], "non_compliant", "{before}");
        std::fs::write(
            templates.join("common/management.j2"),
            "ntp server {{ node.custom_data.no_such_key }}\n",
        )
        .unwrap();
        let (status, pushed) = push(&server, &id, &format!("{running}!\n"));
        assert_eq!(status, 201, "{pushed}");
        assert_eq!(pushed["info"]["version"], 2, "{pushed}");
        let (_, _, after) = json_of(server.get(&format!("/api/v1/nodes/{id}/compliance")));
        assert_eq!(
            after["config"], before["config"],
            "the recorded check changed"
        );
        let problem = assert_problem(
            server.get(&format!("/api/v1/nodes/{id}/config-diff")),
            422,
            "render_failed",
        );
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("common/management.j2:1") && detail.contains("no_such_key"),
            "{detail}"
        );
        server.terminate();
    }
}
