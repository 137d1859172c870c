//! Collection from devices against the real binary and real SSH servers (OpenSSH sshd whose
//! login shell plays each platform's CLI), on every backend, in the order an operator meets
//! it: nodes created, collected on request, unchanged when only timestamps moved, a real change
//! stored as one new version, a refused password, a replaced device's host key, a device that
//! hangs or cuts its output, the syslog trigger, a fleet-wide run, many clients at once — and no
//! secret anywhere in the answers or the log.

mod common;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::*;
use unet_collect::testing::Fleet;

/// Secrets whose appearance anywhere in an answer or the log fails the test.
const ENABLE_SECRET: &str = "en-4f1d-secret";
const WRONG_PASSWORD: &str = "wrong-9c2e-password";

struct Lab {
    _dir: tempfile::TempDir,
    fleet: Fleet,
    syslog_port: u16,
    password: Option<String>,
}

fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(
        dir.path(),
        &[
            "cisco_ios",
            "cisco_nxos",
            "juniper_junos",
            "cisco_ios",
            "cisco_ios",
            "cisco_ios",
        ],
    );
    let syslog_port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let password = fleet.password().map(str::to_string);
    Lab {
        _dir: dir,
        fleet,
        syslog_port,
        password,
    }
}

/// The server's `[collect]`: schedule off (collections on request, by syslog, by a run), the
/// fleet's key as the default profile, an enable profile and a wrong-password profile.
fn collect_settings(lab: &Lab, dir: &std::path::Path) -> String {
    let write = |name: &str, text: &str| {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path.display().to_string()
    };
    let enable = write("enable.secret", &format!("{ENABLE_SECRET}\n"));
    let wrong = write("wrong.pass", &format!("{WRONG_PASSWORD}\n"));
    let key = lab.fleet.key_file().display().to_string();
    let user = lab.fleet.user();
    let mut text = format!(
        "collect.port = {}\ncollect.timeout = \"6s\"\ncollect.connect_timeout = \"5s\"\n\
         collect.default_profile = \"lab\"\ncollect.syslog_listen = \"127.0.0.1:{}\"\n\
         collect.syslog_debounce = \"300ms\"\n\
         [[collect.profiles]]\nname = \"lab\"\nusername = \"{user}\"\nkey_file = {key:?}\n\
         [[collect.profiles]]\nname = \"privileged\"\nusername = \"{user}\"\nkey_file = {key:?}\n\
         enable_secret_file = {enable:?}\n\
         [[collect.profiles]]\nname = \"wrong\"\nusername = \"{user}\"\npassword_file = {wrong:?}\n",
        lab.fleet.port(),
        lab.syslog_port,
    );
    if let Some(password) = &lab.password {
        let file = write("right.pass", &format!("{password}\n"));
        text.push_str(&format!(
            "[[collect.profiles]]\nname = \"password\"\nusername = \"{user}\"\npassword_file = {file:?}\n"
        ));
    }
    text
}

/// One template for IOS nodes and the rule that assigns it, so collected configurations are
/// checked for compliance.
fn templates_settings(dir: &std::path::Path) -> String {
    let templates = dir.join("templates");
    let policies = dir.join("policies");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::write(
        templates.join("base.j2"),
        "{# template-match: hostname #}\nhostname {{ node.name }}\n",
    )
    .unwrap();
    std::fs::write(
        policies.join("templates.rules"),
        "WHEN node.platform == \"cisco_ios\" THEN APPLY \"base.j2\"\n",
    )
    .unwrap();
    format!(
        "templates.dir = {:?}\npolicies.dir = {:?}\npolicies.interval = \"0s\"\n\
         policies.evaluate_on_change = false\n",
        templates.display().to_string(),
        policies.display().to_string()
    )
}

fn create_node(server: &Server, lab: &Lab, device: usize, extra: Value) -> String {
    let d = &lab.fleet.devices()[device];
    let mut body = json!({
        "name": d.hostname, "vendor": "cisco", "platform": d.platform,
        "management_ip": d.address.to_string(),
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    server.create("/api/v1/nodes", body)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn collect(server: &Server, id: &str) -> Value {
    let (status, _, report) =
        json_of(server.post_json(&format!("/api/v1/nodes/{id}/collect"), &json!({})));
    assert_eq!(status, 200, "{report}");
    report
}

fn versions(server: &Server, id: &str) -> Vec<u64> {
    let (_, _, list) = json_of(server.get(&format!("/api/v1/nodes/{id}/configs")));
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect()
}

fn content(server: &Server, id: &str, version: u64) -> String {
    let (status, _, config) = json_of(server.get(&format!("/api/v1/nodes/{id}/configs/{version}")));
    assert_eq!(status, 200, "{config}");
    config["content"].as_str().unwrap().to_string()
}

fn status(server: &Server, id: &str) -> Value {
    let (code, _, status) = json_of(server.get(&format!("/api/v1/nodes/{id}/collection")));
    assert_eq!(code, 200, "{status}");
    status
}

#[test]
fn collect_on_request_by_syslog_and_fleet_wide_on_every_backend() {
    for db in TestDatabase::all_blocking() {
        let mut lab = lab();
        let settings_dir = tempfile::tempdir().unwrap();
        let settings = format!(
            "{}{}",
            templates_settings(settings_dir.path()),
            collect_settings(&lab, settings_dir.path())
        );
        let mut server = Server::start_with(db.url(), &settings);
        let mut answers = Vec::new();

        let ios = create_node(&server, &lab, 0, json!({}));
        let nxos = create_node(&server, &lab, 1, json!({}));
        let junos = create_node(&server, &lab, 2, json!({"vendor": "juniper"}));
        let enable = create_node(
            &server,
            &lab,
            3,
            json!({"custom_data": {"collect": {"profile": "privileged"}}}),
        );
        let wrong = create_node(
            &server,
            &lab,
            4,
            json!({"custom_data": {"collect": {"profile": "wrong"}}}),
        );
        let planned = create_node(&server, &lab, 5, json!({"status": "planned"}));
        lab.fleet
            .set_behaviour(3, &format!("enable {ENABLE_SECRET}\n"));
        let (code, _, applied) = json_of(server.post_json(
            "/api/v1/policies/evaluate",
            &json!({"apply": true, "summary": true}),
        ));
        assert_eq!(code, 200, "{applied}");
        let (_, _, node) = json_of(server.get(&format!("/api/v1/nodes/{ios}/compliance")));
        assert_eq!(node["templates"], json!(["base.j2"]), "{applied} {node}");

        // First contact: every managed node's configuration stored as version 1, its host key
        // pinned.
        for id in [&ios, &nxos, &junos, &enable] {
            let report = collect(&server, id);
            assert_eq!(report["result"], "stored", "{report}");
            assert_eq!(report["version"], 1, "{report}");
            answers.push(report.to_string());
            let s = status(&server, id);
            assert!(
                s["host_key"].as_str().unwrap().starts_with("SHA256:"),
                "{s}"
            );
            assert_eq!(
                (s["failures"].as_u64(), s["in_progress"].as_bool()),
                (Some(0), Some(false))
            );
        }
        let (_, _, list) = json_of(server.get(&format!("/api/v1/nodes/{ios}/configs")));
        assert_eq!(list[0]["source"], "collected", "{list}");
        assert!(content(&server, &junos, 1).starts_with("set system host-name dev2"));
        // Asked to collect it or for its status, the answer says why it is not collected.
        for answer in [
            server.post_json(&format!("/api/v1/nodes/{planned}/collect"), &json!({})),
            server.get(&format!("/api/v1/nodes/{planned}/collection")),
        ] {
            let problem = assert_problem(answer, 422, "node_not_collectable");
            assert!(
                problem["detail"]
                    .as_str()
                    .unwrap()
                    .ends_with("is not collected: its status is planned (active and staged nodes are collected)"),
                "{problem}"
            );
        }

        // NX-OS prints the time in its configuration: collected again, nothing new.
        let again = collect(&server, &nxos);
        assert_eq!(
            (again["result"].as_str(), again["version"].as_u64()),
            (Some("unchanged"), Some(1)),
            "{again}"
        );

        // A real change on the device: one new version, the change in it and not before.
        lab.fleet.set_config(
            0,
            "hostname dev0\n!\ninterface Loopback9\n description added\n!\n",
        );
        let changed = collect(&server, &ios);
        assert_eq!(
            (changed["result"].as_str(), changed["version"].as_u64()),
            (Some("stored"), Some(2))
        );
        assert_eq!(versions(&server, &ios), [2, 1]);
        assert!(content(&server, &ios, 2).contains("interface Loopback9"));
        assert!(!content(&server, &ios, 1).contains("interface Loopback9"));

        // A refused password: classified, counted, nothing stored, retried later.
        let refused = collect(&server, &wrong);
        assert_eq!(refused["result"], "auth_failed", "{refused}");
        answers.push(refused.to_string());
        assert!(versions(&server, &wrong).is_empty());
        let s = status(&server, &wrong);
        assert_eq!(s["failures"], 1, "{s}");
        assert!(
            s["next_due_at"].as_str().unwrap() > s["last_attempt_at"].as_str().unwrap(),
            "{s}"
        );
        let again = collect(&server, &wrong);
        assert_eq!(status(&server, &wrong)["failures"], 2, "{again}");

        // The device behind `ios` is replaced: its new host key is refused, recorded as a
        // security event, until an operator forgets the pinned one.
        let device_ios = 0;
        lab.fleet.replace_host_key(device_ios);
        let mismatch = collect(&server, &ios);
        assert_eq!(mismatch["result"], "host_key_mismatch", "{mismatch}");
        assert_eq!(versions(&server, &ios), [2, 1]);
        let (_, _, events) =
            json_of(server.get("/api/v1/security/events?type=ssh_host_key_rejected"));
        let event = &events.as_array().unwrap()[0];
        assert_eq!(event["detail"]["node"], "dev0", "{event}");
        assert!(
            event["detail"]["presented"]
                .as_str()
                .unwrap()
                .starts_with("SHA256:")
        );
        let (code, _, forgotten) = json_of(
            server
                .request(
                    reqwest::Method::DELETE,
                    &format!("/api/v1/nodes/{ios}/host-key"),
                )
                .send()
                .unwrap(),
        );
        assert_eq!(code, 200, "{forgotten}");
        assert!(
            forgotten["forgotten"]
                .as_str()
                .unwrap()
                .starts_with("SHA256:")
        );
        assert_eq!(collect(&server, &ios)["result"], "unchanged");
        // The simulated devices share one SSH server, so its new key is every one's: forgotten
        // for the others too.
        for id in [&nxos, &junos, &enable] {
            let forget = format!("/api/v1/nodes/{id}/host-key");
            assert_eq!(
                server
                    .request(reqwest::Method::DELETE, &forget)
                    .send()
                    .unwrap()
                    .status(),
                200
            );
        }

        // A device that stops answering mid-output, and one that cuts its output short:
        // nothing stored, the previous version kept.
        lab.fleet.set_behaviour(0, "hang-after 4\n");
        let hung = collect(&server, &ios);
        assert_eq!(hung["result"], "timeout", "{hung}");
        lab.fleet.set_behaviour(0, "truncate-after 4\n");
        let cut = collect(&server, &ios);
        assert_eq!(cut["result"], "output_not_recognised", "{cut}");
        assert_eq!(versions(&server, &ios), [2, 1]);
        lab.fleet.set_behaviour(0, "");

        // The syslog trigger: the device logs a configuration change; the new version is
        // stored within seconds, without any request.
        lab.fleet.set_config(
            0,
            "hostname dev0\n!\ninterface Loopback9\n description changed by hand\n!\n",
        );
        let sender = UdpSocket::bind((lab.fleet.devices()[0].address, 0)).unwrap();
        let sent = Instant::now();
        sender
            .send_to(
                b"<189>101: *Dec  7 10:00:01.123: %SYS-5-CONFIG_I: Configured from console by admin on vty0",
                ("127.0.0.1", lab.syslog_port),
            )
            .unwrap();
        // The new version is stored and the node's config compliance follows it.
        let compliance = loop {
            let (_, _, compliance) =
                json_of(server.get(&format!("/api/v1/nodes/{ios}/compliance")));
            if compliance["config"]["running_version"] == 3 {
                break compliance;
            }
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "no check of a new version: {compliance}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(versions(&server, &ios), [3, 2, 1]);
        assert!(content(&server, &ios, 3).contains("changed by hand"));
        assert_eq!(compliance["config"]["state"], "compliant", "{compliance}");
        eprintln!(
            "syslog message to stored version and compliance: {:?}",
            sent.elapsed()
        );
        // Another message that is not a configuration change changes nothing.
        sender
            .send_to(
                b"<189>%LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
                ("127.0.0.1", lab.syslog_port),
            )
            .unwrap();

        // Two devices changed by hand, one of them away from its template: the fleet-wide run
        // stores both, and their config compliance follows (checked together).
        lab.fleet
            .set_config(0, "hostname dev0\n!\ninterface Loopback7\n!\n");
        lab.fleet.set_config(3, "hostname drifted\n!\n");
        // A fleet-wide run collects every managed node, the schedule being off.
        let before = status(&server, &junos)["last_attempt_at"].clone();
        let (code, _, run) = json_of(server.post_json("/api/v1/collection/run", &json!({})));
        assert_eq!((code, run["managed"].as_u64()), (202, Some(5)), "{run}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, _, fleet) = json_of(server.get("/api/v1/collection"));
            let summary = &fleet["summary"];
            if summary["due"] == 0 && summary["in_progress"] == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the run did not finish: {fleet}");
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_ne!(status(&server, &junos)["last_attempt_at"], before);
        for (id, state) in [(&ios, "compliant"), (&enable, "non_compliant")] {
            let latest = versions(&server, id)[0];
            let deadline = Instant::now() + Duration::from_secs(10);
            let compliance = loop {
                let (_, _, compliance) =
                    json_of(server.get(&format!("/api/v1/nodes/{id}/compliance")));
                if compliance["config"]["running_version"] == latest {
                    break compliance;
                }
                assert!(
                    Instant::now() < deadline,
                    "no check of version {latest}: {compliance}"
                );
                std::thread::sleep(Duration::from_millis(50));
            };
            assert_eq!(compliance["config"]["state"], state, "{compliance}");
        }
        let (_, _, fleet) = json_of(server.get("/api/v1/collection?failing=true"));
        let failing: Vec<&str> = fleet["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["node"].as_str().unwrap())
            .collect();
        assert_eq!(failing, ["dev4"], "{fleet}");
        assert_eq!(fleet["summary"]["managed"], 5, "{fleet}");
        assert_eq!(fleet["summary"]["failing"], 1, "{fleet}");
        answers.push(fleet.to_string());
        assert_problem(
            server.get("/api/v1/collection?result=nope"),
            400,
            "invalid_query",
        );

        let (_, _, system) = json_of(server.get("/api/v1/system/status"));
        let scheduler = system["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "scheduler")
            .unwrap();
        assert!(
            scheduler["detail"]
                .as_str()
                .unwrap()
                .contains("5 managed nodes"),
            "{scheduler}"
        );
        let metrics = server.get("/metrics").text().unwrap();
        assert!(
            metrics.contains("unet_collections_total{result=\"stored\"}"),
            "{metrics}"
        );
        assert!(
            metrics.contains("unet_collection_nodes_failing 1"),
            "{metrics}"
        );

        // No secret in any answer or log line.
        let log = server.drain_log().join("\n");
        for text in answers.iter().chain([&log]) {
            for secret in [ENABLE_SECRET, WRONG_PASSWORD] {
                assert!(!text.contains(secret), "{secret} leaked: {text}");
            }
        }
        assert!(
            log.contains("collection failed: the device refused user"),
            "{log}"
        );
    }
}

#[test]
fn password_login_and_a_program_through_the_server() {
    let lab = lab();
    let Some(_) = &lab.password else {
        eprintln!("password login needs root (the fleet creates its user); skipped");
        return;
    };
    let db = TestDatabase::sqlite();
    let settings_dir = tempfile::tempdir().unwrap();
    // A program profile: prints the configuration of the node named in its environment.
    let script = settings_dir.path().join("fetch.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf 'set system host-name %s\\n' \"$UNET_NODE_NAME\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let settings = format!(
        "{}[[collect.profiles]]\nname = \"script\"\ncommand = [{:?}]\n",
        collect_settings(&lab, settings_dir.path()),
        script.display().to_string()
    );
    let server = Server::start_with(db.url(), &settings);
    let id = create_node(
        &server,
        &lab,
        0,
        json!({"custom_data": {"collect": {"profile": "password"}}}),
    );
    assert_eq!(collect(&server, &id)["result"], "stored");
    let bad = create_node(
        &server,
        &lab,
        1,
        json!({"custom_data": {"collect": {"profile": "nope"}}}),
    );
    let report = collect(&server, &bad);
    assert_eq!(report["result"], "not_configured", "{report}");
    assert!(
        report["message"].as_str().unwrap().contains("\"nope\""),
        "{report}"
    );
}

#[test]
fn profiles_are_read_again_on_reload() {
    let lab = lab();
    let db = TestDatabase::sqlite();
    let settings_dir = tempfile::tempdir().unwrap();
    let settings = collect_settings(&lab, settings_dir.path());
    // First every node uses the wrong password…
    let wrong_default = settings.replace(
        "collect.default_profile = \"lab\"",
        "collect.default_profile = \"wrong\"",
    );
    let mut server = Server::start_with(db.url(), &wrong_default);
    let id = create_node(&server, &lab, 0, json!({}));
    assert_eq!(collect(&server, &id)["result"], "auth_failed");
    // …then the operator fixes the configuration file and reloads: no restart.
    let text = std::fs::read_to_string(&server.config).unwrap();
    std::fs::write(
        &server.config,
        text.replace(
            "collect.default_profile = \"wrong\"",
            "collect.default_profile = \"lab\"",
        ),
    )
    .unwrap();
    server.reload();
    assert_eq!(collect(&server, &id)["result"], "stored");
}

/// Scripts and operators asking for the same nodes at once, with a fleet-wide run among them,
/// on every backend: each node is collected by one request at a time (the others answered 409
/// while it runs), nothing fails or is logged as an error, and versions stay one per change.
#[test]
fn many_clients_collecting_at_once_on_every_backend() {
    for db in TestDatabase::all_blocking() {
        let lab = lab();
        let settings_dir = tempfile::tempdir().unwrap();
        let mut server = Server::start_with(db.url(), &collect_settings(&lab, settings_dir.path()));
        // The four cisco_ios devices, collected with the default profile.
        let ids: Vec<String> = [0, 3, 4, 5]
            .into_iter()
            .map(|device| create_node(&server, &lab, device, json!({})))
            .collect();
        // `Server` keeps its log reader to itself; the clients share its HTTP client.
        let (client, run_url) = (server.client(), server.url("/api/v1/collection/run"));
        let post = |client: &reqwest::blocking::Client, url: &str| {
            json_of(client.post(url).json(&json!({})).send().expect("POST"))
        };
        let wave = |with_run: bool| -> Vec<(String, u16, Value)> {
            std::thread::scope(|scope| {
                let clients: Vec<_> = (0..12)
                    .map(|who| {
                        let (client, run_url, ids, post) = (&client, &run_url, &ids, &post);
                        let base = server.url("");
                        scope.spawn(move || {
                            let mut answers = Vec::new();
                            for round in 0..2 {
                                if with_run && who == 0 && round == 1 {
                                    let (code, _, run) = post(client, run_url);
                                    assert_eq!(code, 202, "{run}");
                                }
                                // Each client starts at another node, so they meet everywhere.
                                for k in 0..ids.len() {
                                    let id = &ids[(who + k) % ids.len()];
                                    let url = format!("{base}/api/v1/nodes/{id}/collect");
                                    let (code, _, body) = post(client, &url);
                                    answers.push((id.clone(), code, body));
                                }
                            }
                            answers
                        })
                    })
                    .collect();
                clients
                    .into_iter()
                    .flat_map(|c| c.join().unwrap())
                    .collect()
            })
        };
        let settle = || {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let (_, _, fleet) = json_of(server.get("/api/v1/collection"));
                if fleet["summary"]["due"] == 0 && fleet["summary"]["in_progress"] == 0 {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "collections did not end: {fleet}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        };
        let check = |answers: &[(String, u16, Value)], results: &[&str]| {
            for id in &ids {
                let mine: Vec<_> = answers.iter().filter(|(n, _, _)| n == id).collect();
                let collected = mine.iter().filter(|(_, code, _)| *code == 200).count();
                assert!(collected >= 1, "node {id} never collected: {mine:?}");
                for (_, code, body) in mine {
                    match code {
                        200 => assert!(
                            results.contains(&body["result"].as_str().unwrap_or_default()),
                            "{body}"
                        ),
                        409 => assert_eq!(body["code"], "collection_in_progress", "{body}"),
                        _ => panic!("unexpected answer {code}: {body}"),
                    }
                }
            }
        };

        // First contact from every side: one version each, whoever stored it.
        let first = wave(false);
        check(&first, &["stored", "unchanged"]);
        for id in &ids {
            assert_eq!(versions(&server, id), [1], "{id}");
            let stored = first
                .iter()
                .filter(|(n, code, body)| n == id && *code == 200 && body["result"] == "stored")
                .count();
            assert_eq!(stored, 1, "node {id} stored more than once");
        }

        // A real change on one device, then every client again with a fleet-wide run among
        // them: exactly one new version there, none elsewhere.
        lab.fleet.set_config(
            0,
            "hostname dev0\n!\ninterface Loopback7\n description wave\n!\n",
        );
        let second = wave(true);
        settle();
        check(&second, &["stored", "unchanged"]);
        assert_eq!(versions(&server, &ids[0]), [2, 1]);
        assert!(content(&server, &ids[0], 2).contains("interface Loopback7"));
        for id in &ids[1..] {
            assert_eq!(versions(&server, id), [1], "{id}");
        }
        for id in &ids {
            let s = status(&server, id);
            assert_eq!(
                (s["failures"].as_u64(), s["in_progress"].as_bool()),
                (Some(0), Some(false)),
                "{s}"
            );
        }
        // A change logged while the node is being collected (that collection may have read
        // the old configuration): the node is collected again as soon as it ends.
        let (hanging, busy) = (&ids[1], &lab.fleet.devices()[3]);
        lab.fleet.set_behaviour(3, "hang-after 4\n");
        let hanging_url = server.url(&format!("/api/v1/nodes/{hanging}/collect"));
        std::thread::scope(|scope| {
            let collection = scope.spawn(|| post(&client, &hanging_url));
            let deadline = Instant::now() + Duration::from_secs(10);
            while status(&server, hanging)["in_progress"] != true {
                assert!(Instant::now() < deadline, "the collection never started");
                std::thread::sleep(Duration::from_millis(20));
            }
            // The device reads its behaviour when the session starts, a few milliseconds into
            // the collection; the hang then lasts until the 6 s timeout.
            std::thread::sleep(Duration::from_millis(2500));
            lab.fleet.set_behaviour(3, "");
            lab.fleet.set_config(
                3,
                "hostname dev3\n!\ninterface Loopback3\n description late\n!\n",
            );
            UdpSocket::bind((busy.address, 0))
                .unwrap()
                .send_to(
                    b"<189>7: %SYS-5-CONFIG_I: Configured from console by admin on vty0",
                    ("127.0.0.1", lab.syslog_port),
                )
                .unwrap();
            let (code, _, hung) = collection.join().unwrap();
            assert_eq!(
                (code, hung["result"].as_str()),
                (200, Some("timeout")),
                "{hung}"
            );
        });
        let deadline = Instant::now() + Duration::from_secs(15);
        while versions(&server, hanging) != [2, 1] {
            assert!(
                Instant::now() < deadline,
                "the change logged meanwhile was not collected"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(content(&server, hanging, 2).contains("description late"));

        let log = server.drain_log();
        // Nothing failed or was refused along the way (but the hang above).
        let errors: Vec<_> = log
            .iter()
            .filter(|l| {
                l.contains("unet::collect") && (l.contains(" ERROR ") || l.contains(" WARN "))
            })
            .filter(|l| !l.contains("result=\"timeout\""))
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
}
