//! SNMP polling against the real binary and real agents — net-snmp's snmpd over v2c and
//! SNMPv3, snmpsim serving a recording of a real Juniper router and a switch whose recording
//! changes between polls — on every backend, in the order an operator meets it: nodes and links
//! created, polled on request, drift against the inventory, rules reading the polled state, an
//! interface going down with its neighbour, a reboot, an agent going away and coming back,
//! refused credentials, a fleet-wide run, many clients at once — and no credential anywhere
//! in the answers or the log.

mod common;

use std::time::{Duration, Instant};

use common::*;
use unet_snmp::testing::{self, SimDevice, Snmpd, Snmpsim};

const COMMUNITY_SECRET: &str = testing::COMMUNITY;
const WRONG_PASSWORD: &str = "wrong-7b1e-password";

fn leaf(uptime: u64, ethernet2_up: bool, with_spine_02: bool) -> SimDevice {
    let mut neighbours = vec![(1, "spine-01", "Ethernet7")];
    if with_spine_02 {
        neighbours.push((2, "spine-02", "Ethernet7"));
    }
    SimDevice {
        name: "leaf-01".into(),
        uptime,
        interfaces: vec![
            (1, "Ethernet1", 1, 1_000),
            (2, "Ethernet2", if ethernet2_up { 1 } else { 2 }, 2_000),
            (3, "Management1", 1, 0),
        ],
        neighbours,
    }
}

/// The server's `[snmp]`: schedule off, short timeouts, a v2c profile (default), the SNMPv3
/// users of snmpd, a profile with a wrong key, and snmpsim's communities.
fn snmp_settings(dir: &std::path::Path, snmpd_port: u16) -> String {
    let write = |name: &str, text: &str| {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path.display().to_string()
    };
    let community = write("community", &format!("{COMMUNITY_SECRET}\n"));
    let leaf = write("leaf", "leaf-01\n");
    let mx = write("mx", "juniper-mx960\n");
    let auth = write("auth", &format!("{}\n", testing::AUTH_PASSWORD));
    let privacy = write("priv", &format!("{}\n", testing::PRIV_PASSWORD));
    let wrong = write("wrong", &format!("{WRONG_PASSWORD}\n"));
    format!(
        "snmp.timeout = \"300ms\"\nsnmp.retries = 1\nsnmp.port = {snmpd_port}\n\
         snmp.interface_metrics = true\n\
         snmp.default_profile = \"lab\"\n\
         [[snmp.profiles]]\nname = \"lab\"\ncommunity_file = {community:?}\n\
         [[snmp.profiles]]\nname = \"leaf\"\ncommunity_file = {leaf:?}\n\
         [[snmp.profiles]]\nname = \"mx\"\ncommunity_file = {mx:?}\n\
         [[snmp.profiles]]\nname = \"v3\"\nversion = \"v3\"\nusername = \"unet-sha256\"\n\
         auth_protocol = \"sha256\"\nauth_password_file = {auth:?}\n\
         privacy_protocol = \"aes\"\nprivacy_password_file = {privacy:?}\n\
         [[snmp.profiles]]\nname = \"wrong\"\nversion = \"v3\"\nusername = \"unet-sha256\"\n\
         auth_protocol = \"sha256\"\nauth_password_file = {wrong:?}\n\
         privacy_protocol = \"aes\"\nprivacy_password_file = {privacy:?}\n"
    )
}

fn policies_settings(dir: &std::path::Path) -> String {
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::write(
        policies.join("polled.rules"),
        "WHEN node.role == \"leaf\" THEN ASSERT status.reachable IS true\n\
         WHEN node.role == \"leaf\" THEN ASSERT status.version IS \"4.31.2F\"\n\
         WHEN node.role == \"leaf\" THEN ASSERT status.system.name == node.name\n",
    )
    .unwrap();
    format!(
        "policies.dir = {:?}\npolicies.interval = \"0s\"\npolicies.evaluate_on_change = false\n",
        policies.display().to_string()
    )
}

fn node(server: &Server, name: &str, port: u16, snmp: Value, extra: Value) -> String {
    let mut body = json!({
        "name": name, "vendor": "arista", "platform": "arista_eos", "role": "leaf",
        "management_ip": "127.0.0.1",
        "custom_data": {"snmp": snmp},
    });
    body["custom_data"]["snmp"]["port"] = json!(port);
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    server.create("/api/v1/nodes", body)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn poll(server: &Server, id: &str) -> Value {
    let (code, _, report) =
        json_of(server.post_json(&format!("/api/v1/nodes/{id}/poll"), &json!({})));
    assert_eq!(code, 200, "{report}");
    report
}

fn status(server: &Server, id: &str) -> Value {
    let (code, _, status) = json_of(server.get(&format!("/api/v1/nodes/{id}/status")));
    assert_eq!(code, 200, "{status}");
    status
}

fn drift_kinds(status: &Value) -> Vec<String> {
    status["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["kind"].as_str().unwrap(),
                d["interface"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn events(server: &Server, query: &str) -> Vec<Value> {
    let (code, _, list) = json_of(server.get(&format!("/api/v1/status/events?{query}")));
    assert_eq!(code, 200, "{list}");
    list.as_array().unwrap().clone()
}

#[test]
fn poll_on_request_drift_events_and_a_fleet_run_on_every_backend() {
    for db in TestDatabase::all_blocking() {
        let mut agent = Snmpd::start("agent-01");
        let mx_recording = testing::recording("network/router/juniper-mx960-12-3r6-6");
        let mut sim = Snmpsim::start(&[
            ("leaf-01", &leaf(100_000, true, true).recording()),
            ("juniper-mx960", &mx_recording),
        ]);
        let settings_dir = tempfile::tempdir().unwrap();
        let settings = format!(
            "{}{}",
            policies_settings(settings_dir.path()),
            snmp_settings(settings_dir.path(), agent.address.port())
        );
        let mut server = Server::start_with(db.url(), &settings);
        let mut answers = Vec::new();
        let sim_port = sim.address.port();
        let snmpd_port = agent.address.port();

        let leaf_id = node(
            &server,
            "leaf-01",
            sim_port,
            json!({"profile": "leaf"}),
            json!({"custom_data": {"snmp": {"profile": "leaf", "port": sim_port}, "expected_version": "4.31.2F"}}),
        );
        let spine1 = server.create("/api/v1/nodes", json!({"name": "spine-01", "vendor": "arista", "platform": "arista_eos", "role": "spine", "status": "planned"}))["id"].as_str().unwrap().to_string();
        let spine2 = server.create("/api/v1/nodes", json!({"name": "spine-02", "vendor": "arista", "platform": "arista_eos", "role": "spine", "status": "planned"}))["id"].as_str().unwrap().to_string();
        for (local, spine) in [("Ethernet1", &spine1), ("Ethernet2", &spine2)] {
            server.create("/api/v1/links", json!({"node_a_id": leaf_id, "interface_a": local, "node_z_id": spine, "interface_z": "Ethernet7"}));
        }
        let agent_v2 = node(
            &server,
            "agent-01",
            snmpd_port,
            json!({}),
            json!({"role": "server", "vendor": "linux", "platform": "generic"}),
        );
        let agent_v3 = node(
            &server,
            "agent-v3",
            snmpd_port,
            json!({"profile": "v3"}),
            json!({"role": "server", "vendor": "linux", "platform": "generic"}),
        );
        let wrong = node(
            &server,
            "agent-wrong",
            snmpd_port,
            json!({"profile": "wrong"}),
            json!({"role": "server", "vendor": "linux", "platform": "generic"}),
        );
        let mx = node(
            &server,
            "mx-01",
            sim_port,
            json!({"profile": "mx"}),
            json!({"role": "core", "vendor": "juniper", "platform": "juniper_junos"}),
        );

        // First polls: the switch agrees with the inventory; the router's name differs (its
        // recording calls it DUMSYS-17) and LLDP shows neighbours no link describes.
        let report = poll(&server, &leaf_id);
        assert_eq!(
            (report["result"].as_str(), report["reachable"].as_bool()),
            (Some("ok"), Some(true)),
            "{report}"
        );
        assert_eq!(
            (
                report["interfaces"].as_u64(),
                report["neighbours"].as_u64(),
                report["drift"].as_u64()
            ),
            (Some(3), Some(2), Some(0)),
            "{report}"
        );
        answers.push(report.to_string());
        let s = status(&server, &leaf_id);
        assert_eq!(s["system"]["version"], "4.31.2F", "{s}");
        assert_eq!(s["system"]["vendor"], "arista", "{s}");
        assert_eq!(
            (
                s["interfaces"].as_u64(),
                s["interfaces_up"].as_u64(),
                s["neighbours"].as_u64()
            ),
            (Some(3), Some(3), Some(2))
        );
        assert!(s["booted_at"].is_string(), "{s}");
        let mx_report = poll(&server, &mx);
        assert_eq!(mx_report["result"], "ok", "{mx_report}");
        let mx_status = status(&server, &mx);
        assert_eq!(mx_status["system"]["version"], "12.3R6.6", "{mx_status}");
        let kinds = drift_kinds(&mx_status);
        assert!(kinds.contains(&"system_name -".to_string()), "{kinds:?}");
        assert!(
            kinds.iter().any(|k| k.starts_with("unlisted_neighbour ")),
            "{kinds:?}"
        );
        let (_, _, interfaces) = json_of(server.get(&format!("/api/v1/nodes/{mx}/interfaces")));
        assert_eq!(
            interfaces.as_array().unwrap().len(),
            mx_report["interfaces"].as_u64().unwrap() as usize
        );
        let (_, _, neighbours) =
            json_of(server.get(&format!("/api/v1/nodes/{leaf_id}/neighbours")));
        assert_eq!(neighbours[0]["system_name"], "spine-01", "{neighbours}");
        assert_eq!(neighbours[0]["local_port"], "Ethernet1", "{neighbours}");

        // v2c and SNMPv3 to snmpd; a wrong SNMPv3 key is refused at once, not a timeout.
        for id in [&agent_v2, &agent_v3] {
            let report = poll(&server, id);
            assert_eq!(report["result"], "ok", "{report}");
            answers.push(report.to_string());
        }
        let refused = poll(&server, &wrong);
        assert_eq!(
            (refused["result"].as_str(), refused["reachable"].as_bool()),
            (Some("auth_failed"), Some(true)),
            "{refused}"
        );
        answers.push(refused.to_string());

        // Rules read the polled state.
        let (code, _, evaluation) =
            json_of(server.post_json("/api/v1/policies/evaluate", &json!({"summary": true})));
        assert_eq!(code, 200, "{evaluation}");
        let (_, _, leaf_compliance) =
            json_of(server.get(&format!("/api/v1/nodes/{leaf_id}/compliance")));
        let results = leaf_compliance["results"].as_array().unwrap();
        assert_eq!(results.len(), 3, "{leaf_compliance}");
        assert!(
            results.iter().all(|r| r["outcome"] == "pass"),
            "{leaf_compliance}"
        );

        // Ethernet2 goes down, its neighbour goes away, and the switch restarts. (agent-v3
        // drifts too: snmpd calls itself agent-01.)
        sim.set("leaf-01", &leaf(500, false, false).recording());
        let report = poll(&server, &leaf_id);
        let mut kinds: Vec<&str> = report["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            ["interface_down", "neighbour_lost", "reboot"],
            "{report}"
        );
        let s = status(&server, &leaf_id);
        assert_eq!(drift_kinds(&s), ["link_down Ethernet2"], "{s}");
        let (_, _, drifting) = json_of(server.get("/api/v1/status?drift=true"));
        let names: Vec<&str> = drifting["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["node"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"leaf-01") && names.contains(&"mx-01") && !names.contains(&"agent-01"),
            "{drifting}"
        );
        let down = events(&server, &format!("node_id={leaf_id}&type=interface_down"));
        assert_eq!(down.len(), 1);
        assert_eq!(
            (down[0]["interface"].as_str(), down[0]["node"].as_str()),
            (Some("Ethernet2"), Some("leaf-01"))
        );
        assert_eq!(down[0]["detail"]["to"], "down");

        // The agent goes away: unreachable once, backoff; back: reachable again.
        agent.stop();
        let lost = poll(&server, &agent_v2);
        assert_eq!(
            (lost["result"].as_str(), lost["reachable"].as_bool()),
            (Some("timeout"), Some(false)),
            "{lost}"
        );
        assert_eq!(lost["events"], json!(["unreachable"]));
        let again = poll(&server, &agent_v2);
        assert_eq!(again["events"], json!([]), "one event per outage: {again}");
        assert_eq!(status(&server, &agent_v2)["failures"], 2);
        agent.resume();
        let back = poll(&server, &agent_v2);
        // snmpd started again: its uptime went back, which is a reboot.
        assert_eq!(
            (back["result"].as_str(), back["events"].clone()),
            (Some("ok"), json!(["reachable", "reboot"])),
            "{back}"
        );

        // Events page newest first with a `Link` to the next page.
        let mut kinds = Vec::new();
        let mut next = format!("/api/v1/status/events?node_id={agent_v2}&limit=1");
        loop {
            let (code, headers, page) = json_of(server.get(&next));
            assert_eq!((code, page.as_array().unwrap().len()), (200, 1), "{page}");
            assert_eq!(headers["x-total-count"], "3");
            kinds.push(page[0]["kind"].as_str().unwrap().to_string());
            let Some(link) = headers.get("link") else {
                break;
            };
            next = link
                .to_str()
                .unwrap()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap()
                .to_string();
        }
        assert_eq!(kinds, ["reboot", "reachable", "unreachable"]);
        assert_problem(
            server.get("/api/v1/status/events?type=exploded"),
            400,
            "invalid_query",
        );

        // A planned node is not polled, and says why.
        for answer in [
            server.post_json(&format!("/api/v1/nodes/{spine1}/poll"), &json!({})),
            server.get(&format!("/api/v1/nodes/{spine1}/status")),
        ] {
            let problem = assert_problem(answer, 422, "node_not_pollable");
            assert!(
                problem["detail"]
                    .as_str()
                    .unwrap()
                    .contains("its status is planned"),
                "{problem}"
            );
        }

        // A fleet-wide run polls every managed node, even with the schedule off.
        let started = Instant::now();
        let (code, _, run) = json_of(server.post_json("/api/v1/status/poll", &json!({})));
        assert_eq!((code, run["managed"].as_u64()), (202, Some(5)), "{run}");
        loop {
            let (_, _, fleet) = json_of(server.get("/api/v1/status"));
            if fleet["summary"]["due"] == 0 && fleet["summary"]["polling"] == 0 {
                assert_eq!(fleet["summary"]["managed"], 5, "{fleet}");
                assert_eq!(fleet["summary"]["failing"], 1, "the wrong key: {fleet}");
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{fleet}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let (_, _, system) = json_of(server.get("/api/v1/system/status"));
        let poller = system["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "snmp_poller")
            .unwrap()
            .clone();
        assert_eq!(poller["state"], "disabled", "{poller}");
        assert!(
            poller["detail"]
                .as_str()
                .unwrap()
                .contains("5 managed nodes"),
            "{poller}"
        );

        // Prometheus: the fleet's gauges, and every interface with snmp.interface_metrics.
        let metrics = server.get("/metrics").text().unwrap();
        for line in [
            "unet_poll_nodes_managed 5",
            "unet_poll_nodes_drifting 3",
            "unet_interface_up{node=\"leaf-01\",interface=\"Ethernet2\"} 0",
            "unet_interface_up{node=\"leaf-01\",interface=\"Ethernet1\"} 1",
            "unet_interface_speed_bps{node=\"leaf-01\",interface=\"Ethernet1\"} 1000000000",
        ] {
            assert!(metrics.contains(line), "{line} not in:\n{metrics}");
        }
        assert!(
            metrics.contains("unet_polls_total{result=\"auth_failed\"}"),
            "{metrics}"
        );

        // Many clients polling and reading at once: every answer a poll or a 409.
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let client = server.client();
                    let id = if i % 2 == 0 {
                        leaf_id.clone()
                    } else {
                        mx.clone()
                    };
                    let base = server.url("");
                    scope.spawn(move || {
                        let r = client
                            .post(format!("{base}/api/v1/nodes/{id}/poll"))
                            .json(&json!({}))
                            .send()
                            .unwrap();
                        let code = r.status().as_u16();
                        let read = client
                            .get(format!("{base}/api/v1/nodes/{id}/interfaces"))
                            .send()
                            .unwrap()
                            .status()
                            .as_u16();
                        (code, read)
                    })
                })
                .collect();
            for h in handles {
                let (code, read) = h.join().unwrap();
                assert!(code == 200 || code == 409, "{code}");
                assert_eq!(read, 200);
            }
        });

        // Deleting a node takes its polled state and events with it.
        server
            .request(reqwest::Method::DELETE, &format!("/api/v1/nodes/{wrong}"))
            .send()
            .unwrap();
        assert_problem(
            server.get(&format!("/api/v1/nodes/{wrong}/interfaces")),
            404,
            "not_found",
        );

        // No credential in any answer or the log.
        let log = server.drain_log().join("\n");
        assert!(log.contains("interface_down"), "status events are logged");
        for text in answers.iter().chain(std::iter::once(&log)) {
            for secret in [
                COMMUNITY_SECRET,
                testing::AUTH_PASSWORD,
                testing::PRIV_PASSWORD,
                WRONG_PASSWORD,
            ] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
        }
        drop(server);
    }
}
