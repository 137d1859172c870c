mod common;

use common::{ctx, link, node};
use serde_json::json;
use unet_core::{
    Counters, Drift, DriftKind, IfStatus, InterfaceState, Neighbour, NewStatusEvent, NodeDraft,
    Platform, PollResult, PolledState, StatusEventKind, SystemInfo, Timestamp,
};
use unet_store::testing::for_each_backend;
use unet_store::{EventFilter, PollFilter, PollOutcome, PollRecord};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn managed(name: &str, ip: &str) -> NodeDraft {
    NodeDraft {
        management_ip: Some(ip.to_string()),
        platform: Some(Platform::AristaEos),
        ..node(name, None)
    }
}

fn interface(index: u32, name: &str, oper: IfStatus, octets: u64) -> InterfaceState {
    InterfaceState {
        index,
        name: name.into(),
        description: Some(format!("{name} descr")),
        alias: None,
        admin_status: IfStatus::Up,
        oper_status: oper,
        speed_bps: Some(10_000_000_000),
        last_change_ticks: Some(12),
        counters: Counters {
            in_octets: Some(octets),
            out_octets: Some(u64::MAX / 4),
            high_capacity: true,
            ..Counters::default()
        },
        in_bps: Some(8_000),
        out_bps: None,
    }
}

fn state(interfaces: Vec<InterfaceState>, neighbours: Vec<Neighbour>) -> PolledState {
    PolledState {
        system: SystemInfo {
            name: Some("leaf-01".into()),
            description: Some("Arista Networks EOS version 4.31.2F".into()),
            object_id: Some("1.3.6.1.4.1.30065.1".into()),
            contact: None,
            location: None,
            uptime_ticks: 360_000,
            vendor: Some("arista".into()),
            version: Some("4.31.2F".into()),
        },
        interfaces,
        neighbours,
    }
}

fn neighbour(local: &str, system: &str) -> Neighbour {
    Neighbour {
        local_port: local.into(),
        chassis_id: "00:1c:73:00:00:01".into(),
        system_name: Some(system.into()),
        port: "Ethernet1".into(),
        port_description: None,
    }
}

#[tokio::test]
async fn a_poll_is_recorded_whole_and_read_back() {
    for_each_backend(|store| async move {
        let leaf = store
            .create_node(&ctx(), managed("leaf-01", "10.0.0.1"))
            .await
            .unwrap();
        let spine = store
            .create_node(&ctx(), managed("spine-01", "10.0.0.2"))
            .await
            .unwrap();
        store
            .create_link(
                &ctx(),
                link(leaf.id, "Ethernet1", Some((spine.id, "Ethernet7"))),
            )
            .await
            .unwrap();
        // Never polled: due, nothing known.
        let due = store
            .poll_due(at("2026-12-08T00:00:00Z"), 10, &[])
            .await
            .unwrap();
        assert_eq!(due.len(), 2);
        assert_eq!(store.last_poll(leaf.id).await.unwrap(), Default::default());
        let links = store.node_links(leaf.id).await.unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].interface, "Ethernet1");
        assert_eq!(
            links[0].peer,
            Some(("spine-01".into(), Platform::AristaEos, "Ethernet7".into()))
        );
        assert_eq!(
            store.node_links(spine.id).await.unwrap()[0]
                .peer
                .as_ref()
                .unwrap()
                .2,
            "Ethernet1"
        );

        let polled = state(
            vec![
                interface(1, "Ethernet1", IfStatus::Up, 5),
                interface(2, "Ethernet2", IfStatus::Down, 0),
            ],
            vec![neighbour("Ethernet1", "spine-01")],
        );
        let drift = [Drift {
            kind: DriftKind::LinkDown,
            interface: Some("Ethernet2".into()),
            link_id: None,
            expected: Some("up".into()),
            actual: Some("down".into()),
        }];
        let events = [NewStatusEvent {
            kind: StatusEventKind::Reachable,
            interface: None,
            detail: json!({}),
        }];
        let record = PollRecord {
            started_at: at("2026-12-08T00:00:00Z"),
            duration_ms: 40,
            next_due_at: at("2026-12-08T00:05:00Z"),
            outcome: PollOutcome::Polled {
                state: &polled,
                drift: &drift,
                neighbours_changed: true,
            },
            events: &events,
        };
        assert_eq!(store.record_poll(leaf.id, &record).await.unwrap(), Some(0));
        let status = store.poll_status(leaf.id).await.unwrap().unwrap();
        assert_eq!(
            (status.result, status.reachable),
            (Some(PollResult::Ok), Some(true))
        );
        assert_eq!(status.system.as_ref().unwrap(), &polled.system);
        assert_eq!(status.booted_at, Some(at("2026-12-07T23:00:00Z")));
        assert_eq!(
            (status.interfaces, status.interfaces_up, status.neighbours),
            (2, 1, 1)
        );
        assert_eq!(status.drift, drift);
        assert_eq!(
            store.polled_interfaces(leaf.id).await.unwrap(),
            polled.interfaces
        );
        assert_eq!(
            store.polled_neighbours(leaf.id).await.unwrap(),
            polled.neighbours
        );
        let last = store.last_poll(leaf.id).await.unwrap();
        assert_eq!(
            (last.reachable, last.uptime_ticks),
            (Some(true), Some(360_000))
        );
        assert_eq!(last.interfaces, polled.interfaces);

        // A failure keeps the state, counts, and makes the node unreachable.
        let unreachable = [NewStatusEvent {
            kind: StatusEventKind::Unreachable,
            interface: None,
            detail: json!({"result": "timeout"}),
        }];
        let failed = PollRecord {
            started_at: at("2026-12-08T00:05:00Z"),
            duration_ms: 3000,
            next_due_at: at("2026-12-08T00:06:00Z"),
            outcome: PollOutcome::Failed {
                result: PollResult::Timeout,
                message: "no answer".into(),
                reachable: Some(false),
            },
            events: &unreachable,
        };
        assert_eq!(store.record_poll(leaf.id, &failed).await.unwrap(), Some(1));
        assert_eq!(
            store
                .record_poll(
                    leaf.id,
                    &PollRecord {
                        events: &[],
                        ..failed.clone()
                    }
                )
                .await
                .unwrap(),
            Some(2)
        );
        let status = store.poll_status(leaf.id).await.unwrap().unwrap();
        assert_eq!(
            (status.result, status.reachable, status.failures),
            (Some(PollResult::Timeout), Some(false), 2)
        );
        assert_eq!(status.last_success_at, Some(at("2026-12-08T00:00:00Z")));
        assert_eq!(status.system.unwrap().name.as_deref(), Some("leaf-01"));
        assert_eq!(status.drift.len(), 1);

        // An interface gone from the device goes from the table; neighbours kept unless changed.
        let again = state(vec![interface(1, "Ethernet1", IfStatus::Up, 9)], vec![]);
        let record = PollRecord {
            started_at: at("2026-12-08T00:06:00Z"),
            outcome: PollOutcome::Polled {
                state: &again,
                drift: &[],
                neighbours_changed: false,
            },
            events: &[],
            ..record
        };
        assert_eq!(store.record_poll(leaf.id, &record).await.unwrap(), Some(0));
        assert_eq!(
            store.polled_interfaces(leaf.id).await.unwrap(),
            again.interfaces
        );
        assert_eq!(store.polled_neighbours(leaf.id).await.unwrap().len(), 1);
        assert_eq!(store.poll_status(leaf.id).await.unwrap().unwrap().drift, []);

        // Events newest first, filtered, paged by keyset.
        let all = store
            .status_events(&EventFilter::default(), 10)
            .await
            .unwrap();
        let kinds: Vec<_> = all.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [StatusEventKind::Unreachable, StatusEventKind::Reachable]
        );
        assert_eq!(all[0].node, "leaf-01");
        let older = EventFilter {
            before: Some(all[0].id),
            ..EventFilter::default()
        };
        assert_eq!(
            store.status_events(&older, 10).await.unwrap()[0].id,
            all[1].id
        );
        let of_kind = EventFilter {
            kind: Some(StatusEventKind::Reachable),
            node: Some(leaf.id),
            ..EventFilter::default()
        };
        assert_eq!(store.status_events(&of_kind, 10).await.unwrap().len(), 1);
        assert_eq!(
            store
                .purge_status_events(at("2026-12-08T00:01:00Z"))
                .await
                .unwrap(),
            1
        );

        // Facts for rules, and the fleet's figures.
        let facts = store.polled_facts(&[leaf.id, spine.id]).await.unwrap();
        let leaf_facts = &facts[&leaf.id];
        assert_eq!(leaf_facts["reachable"], true);
        assert_eq!(leaf_facts["system"]["name"], "leaf-01");
        assert_eq!(leaf_facts["version"], "4.31.2F");
        assert_eq!(leaf_facts["interfaces"][0]["name"], "Ethernet1");
        assert_eq!(leaf_facts["neighbours"][0]["system_name"], "spine-01");
        assert!(!facts.contains_key(&spine.id));
        let summary = store
            .poll_summary(at("2026-12-08T00:07:00Z"))
            .await
            .unwrap();
        assert_eq!(
            (
                summary.managed,
                summary.due,
                summary.never_polled,
                summary.unreachable
            ),
            (2, 2, 1, 0)
        );
        let listed = store
            .poll_statuses(&PollFilter::default(), 10)
            .await
            .unwrap();
        assert_eq!(
            listed.iter().map(|s| s.node.as_str()).collect::<Vec<_>>(),
            ["leaf-01", "spine-01"]
        );
        assert_eq!(
            store
                .poll_make_due(at("2026-12-08T00:01:00Z"))
                .await
                .unwrap(),
            2
        );

        // A deleted node records nothing and takes its rows with it.
        store.delete_link(&ctx(), links[0].id).await.unwrap();
        store.delete_node(&ctx(), leaf.id, false).await.unwrap();
        assert_eq!(store.record_poll(leaf.id, &failed).await.unwrap(), None);
        assert!(
            store
                .status_events(&EventFilter::default(), 10)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}
