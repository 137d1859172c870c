//! Polls real agents: net-snmp's snmpd over v2c and SNMPv3, and snmpsim serving recordings of
//! real Cisco, Juniper and Arista devices, plus recordings written here and changed between
//! polls (an interface going down, a counter wrapping, a reboot).

use std::time::Duration;

use unet_core::LastPoll;
use unet_core::{IfStatus, PollResult, StatusEventKind};
use unet_snmp::testing::{self, SimDevice, Snmpd, Snmpsim};
use unet_snmp::{Credentials, Limits, Poller, compare};

fn limits() -> Limits {
    Limits {
        timeout: Duration::from_millis(500),
        retries: 1,
        ..Limits::default()
    }
}

async fn poll(
    poller: &Poller,
    address: std::net::SocketAddr,
    credentials: &Credentials,
) -> Result<unet_core::PolledState, unet_snmp::Fault> {
    let prepared = credentials.prepare().expect("credentials prepare");
    poller.poll(address, &prepared, &limits()).await
}

#[tokio::test]
async fn snmpd_over_v2c_and_every_v3_user() {
    let agent = Snmpd::start("agent-under-test");
    let poller = Poller::bind().await.unwrap();
    let mut credentials = vec![testing::v2c(testing::COMMUNITY)];
    credentials.extend(testing::USERS.iter().map(|u| testing::v3(u.0)));
    for c in &credentials {
        let state = poll(&poller, agent.address, c)
            .await
            .unwrap_or_else(|e| panic!("{c:?}: {e:?}"));
        assert_eq!(
            state.system.name.as_deref(),
            Some("agent-under-test"),
            "{c:?}"
        );
        assert_eq!(state.system.vendor.as_deref(), Some("linux"));
        assert!(state.system.version.is_some(), "{:?}", state.system);
        assert!(state.system.uptime_ticks > 0);
        let lo = state
            .interfaces
            .iter()
            .find(|i| i.name == "lo")
            .expect("the loopback interface");
        assert_eq!(lo.oper_status, IfStatus::Up);
        assert!(
            lo.counters.high_capacity,
            "net-snmp serves ifXTable's 64-bit counters"
        );
        assert!(lo.counters.in_octets.is_some());
    }
}

#[tokio::test]
async fn wrong_credentials_are_classified_and_name_no_secret() {
    let agent = Snmpd::start("agent-under-test");
    let poller = Poller::bind().await.unwrap();
    // v2c agents drop a request with a community they do not accept: no answer.
    let fault = poll(&poller, agent.address, &testing::v2c("not-the-community"))
        .await
        .unwrap_err();
    assert_eq!(fault.result, PollResult::Timeout, "{fault:?}");
    assert!(fault.message.contains("community"), "{}", fault.message);
    let mut wrong_key = testing::v3("unet-sha256");
    if let Credentials::V3(usm) = &mut wrong_key {
        usm.auth_password = "wrong-auth-password".into();
    }
    let mut unknown_user = testing::v3("unet-sha256");
    if let Credentials::V3(usm) = &mut unknown_user {
        usm.user = "nobody-here".into();
    }
    for c in [wrong_key, unknown_user] {
        let fault = poll(&poller, agent.address, &c).await.unwrap_err();
        assert_eq!(fault.result, PollResult::AuthFailed, "{c:?}: {fault:?}");
        for secret in [
            "wrong-auth-password",
            testing::AUTH_PASSWORD,
            testing::PRIV_PASSWORD,
        ] {
            assert!(!fault.message.contains(secret), "{}", fault.message);
        }
    }
    // Too short a v3 password is refused before anything is sent.
    let mut short = testing::v3("unet-sha256");
    if let Credentials::V3(usm) = &mut short {
        usm.auth_password = "short".into();
    }
    assert!(short.prepare().unwrap_err().contains("shorter than 8"));
    // A context needs SNMPv3.
    let v2c = testing::v2c("x").prepare().unwrap();
    assert!(
        v2c.in_context("vlan-10")
            .unwrap_err()
            .contains("needs an SNMPv3 profile")
    );
}

#[tokio::test]
async fn an_agent_that_goes_down_times_out_and_answers_again_when_back() {
    let mut agent = Snmpd::start("flapping");
    let poller = Poller::bind().await.unwrap();
    let v2c = testing::v2c(testing::COMMUNITY);
    let v3 = testing::v3("unet-sha256");
    poll(&poller, agent.address, &v2c).await.expect("up");
    poll(&poller, agent.address, &v3)
        .await
        .expect("up over SNMPv3");
    agent.stop();
    let fault = poll(&poller, agent.address, &v2c).await.unwrap_err();
    assert_eq!(fault.result, PollResult::Timeout);
    agent.resume();
    poll(&poller, agent.address, &v2c).await.expect("back");
    // The restarted agent's SNMPv3 engine has new boots and time: the first poll after the
    // restart answers, as for a device that rebooted between two polls.
    poll(&poller, agent.address, &v3)
        .await
        .expect("back over SNMPv3");
}

/// How many rows of `column` (an OID prefix with its trailing dot) a recording holds.
fn rows(recording: &str, column: &str) -> usize {
    recording.lines().filter(|l| l.starts_with(column)).count()
}

#[tokio::test]
async fn recordings_of_real_devices() {
    let devices = [
        (
            "cisco-c3560",
            "network/switch/cisco-c3560",
            "cisco",
            "12.2(55)SE3",
        ),
        (
            "juniper-mx960",
            "network/router/juniper-mx960-12-3r6-6",
            "juniper",
            "12.3R6.6",
        ),
        (
            "arista-7150s",
            "cloud/arista-dcs-7150s-52-cl",
            "arista",
            "4.20.5F",
        ),
        (
            "cisco-n5000",
            "network/switch/cisco-n5000",
            "cisco",
            "6.0(2)N2(3)",
        ),
    ];
    let recordings: Vec<(String, String)> = devices
        .iter()
        .map(|(community, name, ..)| (community.to_string(), testing::recording(name)))
        .collect();
    let agents: Vec<(&str, &str)> = recordings
        .iter()
        .map(|(c, r)| (c.as_str(), r.as_str()))
        .collect();
    let sim = Snmpsim::start(&agents);
    let poller = Poller::bind().await.unwrap();
    for ((community, _, vendor, version), (_, recording)) in devices.iter().zip(&recordings) {
        let state = poll(&poller, sim.address, &testing::v2c(community))
            .await
            .unwrap_or_else(|e| panic!("{community}: {e:?}"));
        assert_eq!(state.system.vendor.as_deref(), Some(*vendor), "{community}");
        assert_eq!(
            state.system.version.as_deref(),
            Some(*version),
            "{community}"
        );
        assert!(
            state
                .system
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("DUMSYS"))
        );
        assert_eq!(
            state.interfaces.len(),
            rows(recording, "1.3.6.1.2.1.2.2.1.8."),
            "{community}: one interface per ifOperStatus row"
        );
        let with_hc = rows(recording, "1.3.6.1.2.1.31.1.1.1.6.");
        assert_eq!(
            state
                .interfaces
                .iter()
                .filter(|i| i.counters.high_capacity)
                .count(),
            with_hc.min(state.interfaces.len()),
            "{community}"
        );
        assert_eq!(
            state.neighbours.len(),
            rows(recording, "1.0.8802.1.1.2.1.4.1.1.5."),
            "{community}: one neighbour per lldpRemChassisId row"
        );
        // The same device over SNMPv3, its context naming the recording.
        let v3 = testing::v3("unet-sha256")
            .prepare()
            .unwrap()
            .in_context(community)
            .unwrap();
        let over_v3 = poller.poll(sim.address, &v3, &limits()).await.unwrap();
        assert_eq!(
            over_v3.interfaces.len(),
            state.interfaces.len(),
            "{community}"
        );
        assert_eq!(over_v3.system.name, state.system.name);
        for n in &state.neighbours {
            assert!(
                !n.local_port.is_empty() && !n.chassis_id.is_empty() && !n.port.is_empty(),
                "{n:?}"
            );
        }
    }
}

#[tokio::test]
async fn changes_between_polls_of_a_live_agent() {
    let mut device = SimDevice {
        name: "leaf-01".into(),
        uptime: 100_000,
        interfaces: vec![(1, "Ethernet1", 1, 4_294_000_000), (2, "Ethernet2", 1, 0)],
        neighbours: vec![(1, "spine-01", "Ethernet7"), (2, "spine-02", "Ethernet7")],
    };
    let mut sim = Snmpsim::start(&[("leaf-01", &device.recording())]);
    let poller = Poller::bind().await.unwrap();
    let credentials = testing::v2c("leaf-01");
    let first = poll(&poller, sim.address, &credentials).await.unwrap();
    assert_eq!(first.neighbours.len(), 2);
    assert_eq!(
        first.neighbours[0].local_port, "Ethernet1",
        "LLDP port 1 is ifIndex 1"
    );
    let previous = LastPoll {
        reachable: Some(true),
        success_at: None,
        uptime_ticks: Some(first.system.uptime_ticks),
        interfaces: first.interfaces.clone(),
        neighbours: first.neighbours.clone(),
    };
    // A minute later: Ethernet2 down with its neighbour gone; Ethernet1's 32-bit counter wrapped.
    device.uptime += 6_000;
    device.interfaces = vec![(1, "Ethernet1", 1, 1_032_704), (2, "Ethernet2", 2, 0)];
    device.neighbours.truncate(1);
    sim.set("leaf-01", &device.recording());
    let mut second = poll(&poller, sim.address, &credentials).await.unwrap();
    let events = compare(&previous, &mut second, Some(Duration::from_secs(60)));
    let kinds: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.interface.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            (StatusEventKind::InterfaceDown, Some("Ethernet2")),
            (StatusEventKind::NeighbourLost, Some("Ethernet2")),
        ]
    );
    // 2,000,000 octets across the wrap in 60 s.
    assert_eq!(second.interfaces[0].in_bps, Some(266_666));
    // Then the device restarts: uptime back near zero.
    let previous = LastPoll {
        uptime_ticks: Some(second.system.uptime_ticks),
        interfaces: second.interfaces.clone(),
        neighbours: second.neighbours.clone(),
        ..previous
    };
    device.uptime = 3_000;
    sim.set("leaf-01", &device.recording());
    let mut third = poll(&poller, sim.address, &credentials).await.unwrap();
    let events = compare(&previous, &mut third, Some(Duration::from_secs(60)));
    assert_eq!(
        events.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [StatusEventKind::Reboot]
    );
    assert_eq!(third.interfaces[0].in_bps, None, "no rate across a restart");
}

#[tokio::test]
async fn an_oversized_or_ill_typed_answer_is_refused_or_skipped() {
    let device = SimDevice {
        name: "big".into(),
        uptime: 1,
        interfaces: (1..=400).map(|i| (i, "Ethernet", 1, 0)).collect(),
        neighbours: vec![],
    };
    let mut broken = SimDevice {
        name: "broken".into(),
        uptime: 5,
        interfaces: vec![(1, "Ethernet1", 1, 0)],
        neighbours: vec![],
    }
    .recording();
    // ifOperStatus as text: that row is not an interface; the poll still succeeds.
    broken = broken.replace("1.3.6.1.2.1.2.2.1.8.1|2|1", "1.3.6.1.2.1.2.2.1.8.1|4|up");
    let sim = Snmpsim::start(&[("big", &device.recording()), ("broken", &broken)]);
    let poller = Poller::bind().await.unwrap();
    let small = Limits {
        max_cells: 1_000,
        ..limits()
    };
    let prepared = testing::v2c("big").prepare().unwrap();
    let fault = poller
        .poll(sim.address, &prepared, &small)
        .await
        .unwrap_err();
    assert_eq!(fault.result, PollResult::Malformed);
    assert!(
        fault.message.contains("more than 1000 cells"),
        "{}",
        fault.message
    );
    let state = poll(&poller, sim.address, &testing::v2c("broken"))
        .await
        .unwrap();
    assert!(state.interfaces.is_empty(), "{:?}", state.interfaces);
}

#[tokio::test]
async fn garbage_from_the_agent_is_no_answer_and_no_panic() {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let address = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        while let Ok((_, from)) = socket.recv_from(&mut buf).await {
            let _ = socket
                .send_to(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02], from)
                .await;
        }
    });
    let poller = Poller::bind().await.unwrap();
    let fault = poll(&poller, address, &testing::v2c("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(fault.result, PollResult::Timeout | PollResult::Malformed),
        "{fault:?}"
    );
}
