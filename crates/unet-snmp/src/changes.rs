//! What one poll tells against the previous: reachability changes, reboots (`sysUpTime` went
//! back, its 497-day wrap aside), interfaces going up or down, LLDP neighbours appearing or
//! going, and traffic rates from the octet counters (32-bit wraps handled, resets not taken
//! for traffic). Pure: the previous state and the time between the polls are inputs.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde_json::json;
use unet_core::{
    IfStatus, InterfaceState, LastPoll, Neighbour, NewStatusEvent, PollResult, PolledState,
    StatusEventKind,
};

/// `sysUpTime` is a 32-bit count of hundredths of a second: it wraps after ~497 days.
const TICKS_WRAP: u64 = 1 << 32;
/// Clocks of poller and agent drift; a wrap is recognised within this many ticks (10 min).
const WRAP_SLACK: u64 = 60_000;

/// The events of a successful poll, and its rates filled in; `since` is the time since the
/// previous successful poll.
pub fn compare(
    previous: &LastPoll,
    now: &mut PolledState,
    since: Option<Duration>,
) -> Vec<NewStatusEvent> {
    let mut events = Vec::new();
    if previous.reachable == Some(false) {
        events.push(event(StatusEventKind::Reachable, None, json!({})));
    }
    let rebooted = match (previous.uptime_ticks, since) {
        (Some(before), Some(since)) => rebooted(before, now.system.uptime_ticks, since),
        _ => false,
    };
    if rebooted {
        events.push(event(
            StatusEventKind::Reboot,
            None,
            json!({
                "previous_uptime_seconds": previous.uptime_ticks.unwrap_or(0) / 100,
                "uptime_seconds": now.system.uptime_ticks / 100,
            }),
        ));
    }
    let before: HashMap<&str, &InterfaceState> = previous
        .interfaces
        .iter()
        .map(|i| (i.name.as_str(), i))
        .collect();
    for interface in &mut now.interfaces {
        let Some(old) = before.get(interface.name.as_str()) else {
            continue;
        };
        let (was_up, is_up) = (
            old.oper_status == IfStatus::Up,
            interface.oper_status == IfStatus::Up,
        );
        if was_up != is_up {
            let kind = if is_up {
                StatusEventKind::InterfaceUp
            } else {
                StatusEventKind::InterfaceDown
            };
            events.push(event(
                kind,
                Some(interface.name.clone()),
                json!({
                    "from": old.oper_status,
                    "to": interface.oper_status,
                    "admin_status": interface.admin_status,
                }),
            ));
        }
        if let Some(since) = since.filter(|s| !s.is_zero() && !rebooted) {
            rates(old, interface, since);
        }
    }
    // The first successful poll finds neighbours, it does not see them come.
    if previous.uptime_ticks.is_none() {
        return events;
    }
    let key = |n: &Neighbour| (n.local_port.clone(), n.chassis_id.clone(), n.port.clone());
    let old: BTreeSet<_> = previous.neighbours.iter().map(key).collect();
    let new: BTreeSet<_> = now.neighbours.iter().map(key).collect();
    for n in &now.neighbours {
        if !old.contains(&key(n)) {
            events.push(neighbour_event(StatusEventKind::NeighbourAdded, n));
        }
    }
    for n in &previous.neighbours {
        if !new.contains(&key(n)) {
            events.push(neighbour_event(StatusEventKind::NeighbourLost, n));
        }
    }
    events
}

/// The event of a failed poll: `unreachable` when the agent stopped answering and had not
/// already; nothing for other failures (the agent answered, or nothing was tried).
pub fn failed(previous: &LastPoll, result: PollResult, message: &str) -> Option<NewStatusEvent> {
    let unreachable = matches!(result, PollResult::Timeout | PollResult::NetworkError);
    (unreachable && previous.reachable != Some(false)).then(|| {
        event(
            StatusEventKind::Unreachable,
            None,
            json!({"result": result, "message": message}),
        )
    })
}

/// Whether the uptime going from `before` to `after` in `since` means a restart.
fn rebooted(before: u64, after: u64, since: Duration) -> bool {
    let expected = before.saturating_add(u64::try_from(since.as_millis() / 10).unwrap_or(u64::MAX));
    if after >= before {
        return false;
    }
    // Went back: a wrap if the counter should have passed 2^32 and now reads about the rest.
    !(expected >= TICKS_WRAP && after <= (expected - TICKS_WRAP).saturating_add(WRAP_SLACK))
}

/// Bits per second in and out between two samples of one interface.
fn rates(old: &InterfaceState, new: &mut InterfaceState, since: Duration) {
    let same_width = old.counters.high_capacity == new.counters.high_capacity;
    let rate = |before: Option<u64>, after: Option<u64>| -> Option<u64> {
        let (before, after) = (before?, after?);
        let delta = if after >= before {
            after - before
        } else if !new.counters.high_capacity && before < TICKS_WRAP {
            // A 32-bit counter wrapped once.
            after + TICKS_WRAP - before
        } else {
            // A 64-bit counter going back was reset, not wrapped.
            return None;
        };
        let bps = (delta as f64 * 8.0 / since.as_secs_f64()) as u64;
        // A "wrap" faster than the interface can carry was a reset.
        match new.speed_bps {
            Some(speed) if speed > 0 && bps > speed.saturating_mul(2) => None,
            _ => Some(bps),
        }
    };
    if same_width {
        new.in_bps = rate(old.counters.in_octets, new.counters.in_octets);
        new.out_bps = rate(old.counters.out_octets, new.counters.out_octets);
    }
}

fn neighbour_event(kind: StatusEventKind, n: &Neighbour) -> NewStatusEvent {
    event(
        kind,
        Some(n.local_port.clone()),
        json!({
            "chassis_id": n.chassis_id,
            "system_name": n.system_name,
            "port": n.port,
        }),
    )
}

fn event(
    kind: StatusEventKind,
    interface: Option<String>,
    detail: serde_json::Value,
) -> NewStatusEvent {
    NewStatusEvent {
        kind,
        interface,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use unet_core::{Counters, SystemInfo};

    use super::*;

    fn interface(name: &str, oper: IfStatus, octets: (u64, u64), hc: bool) -> InterfaceState {
        InterfaceState {
            index: 1,
            name: name.to_string(),
            description: None,
            alias: None,
            admin_status: IfStatus::Up,
            oper_status: oper,
            speed_bps: Some(1_000_000_000),
            last_change_ticks: None,
            counters: Counters {
                in_octets: Some(octets.0),
                out_octets: Some(octets.1),
                high_capacity: hc,
                ..Counters::default()
            },
            in_bps: None,
            out_bps: None,
        }
    }

    fn state(
        uptime: u64,
        interfaces: Vec<InterfaceState>,
        neighbours: Vec<Neighbour>,
    ) -> PolledState {
        PolledState {
            system: SystemInfo {
                uptime_ticks: uptime,
                ..SystemInfo::default()
            },
            interfaces,
            neighbours,
        }
    }

    fn kinds(events: &[NewStatusEvent]) -> Vec<&str> {
        events.iter().map(|e| e.kind.as_str()).collect()
    }

    fn neighbour(port: &str, chassis: &str) -> Neighbour {
        Neighbour {
            local_port: port.into(),
            chassis_id: chassis.into(),
            system_name: Some("peer".into()),
            port: "Ethernet1".into(),
            port_description: None,
        }
    }

    #[test]
    fn a_32_bit_counter_wrap_is_traffic_and_a_64_bit_reset_is_not() {
        let minute = Duration::from_secs(60);
        let previous = LastPoll {
            reachable: Some(true),
            success_at: None,
            uptime_ticks: Some(1_000),
            interfaces: vec![interface(
                "Gi0/1",
                IfStatus::Up,
                (u64::from(u32::MAX) - 749_999, 10),
                false,
            )],
            neighbours: vec![],
        };
        // 1,000,000 octets in a minute across the wrap: 133,333 bit/s.
        let mut now = state(
            7_000,
            vec![interface("Gi0/1", IfStatus::Up, (250_000, 10), false)],
            vec![],
        );
        assert!(compare(&previous, &mut now, Some(minute)).is_empty());
        assert_eq!(
            (now.interfaces[0].in_bps, now.interfaces[0].out_bps),
            (Some(133_333), Some(0))
        );
        let previous = LastPoll {
            interfaces: vec![interface("Gi0/1", IfStatus::Up, (5_000_000, 10), true)],
            ..previous
        };
        let mut now = state(
            7_000,
            vec![interface("Gi0/1", IfStatus::Up, (100, 10), true)],
            vec![],
        );
        compare(&previous, &mut now, Some(minute));
        assert_eq!(now.interfaces[0].in_bps, None);
    }

    #[test]
    fn uptime_going_back_is_a_reboot_unless_it_wrapped() {
        let day = Duration::from_secs(86_400);
        assert!(rebooted(8_640_000, 500, day));
        assert!(!rebooted(100, 8_640_100, day));
        // 497 days in: the 32-bit tick counter wraps; a day later it reads about a day.
        let near_wrap = TICKS_WRAP - 1_000;
        assert!(!rebooted(near_wrap, 8_640_000 - 1_000, day));
        assert!(rebooted(near_wrap, 8_640_000 + 2 * WRAP_SLACK, day));
        // A reboot drops the rates: the counters started again too.
        let previous = LastPoll {
            reachable: Some(true),
            success_at: None,
            uptime_ticks: Some(8_640_000),
            interfaces: vec![interface("Gi0/1", IfStatus::Up, (1_000, 1_000), true)],
            neighbours: vec![],
        };
        let mut now = state(
            500,
            vec![interface("Gi0/1", IfStatus::Up, (2_000, 2_000), true)],
            vec![],
        );
        let events = compare(&previous, &mut now, Some(day));
        assert_eq!(kinds(&events), ["reboot"]);
        assert_eq!(events[0].detail["uptime_seconds"], 5);
        assert_eq!(now.interfaces[0].in_bps, None);
    }

    #[test]
    fn reachability_interfaces_and_neighbours() {
        let previous = LastPoll {
            reachable: Some(false),
            success_at: None,
            uptime_ticks: Some(100),
            interfaces: vec![
                interface("Gi0/1", IfStatus::Up, (0, 0), true),
                interface("Gi0/2", IfStatus::Down, (0, 0), true),
            ],
            neighbours: vec![neighbour("Gi0/1", "aa"), neighbour("Gi0/2", "bb")],
        };
        let mut now = state(
            200,
            vec![
                interface("Gi0/1", IfStatus::LowerLayerDown, (0, 0), true),
                interface("Gi0/2", IfStatus::Up, (0, 0), true),
                interface("Gi0/3", IfStatus::Up, (0, 0), true),
            ],
            vec![neighbour("Gi0/2", "bb"), neighbour("Gi0/3", "cc")],
        );
        let events = compare(&previous, &mut now, Some(Duration::from_secs(1)));
        assert_eq!(
            kinds(&events),
            [
                "reachable",
                "interface_down",
                "interface_up",
                "neighbour_added",
                "neighbour_lost"
            ]
        );
        assert_eq!(events[1].interface.as_deref(), Some("Gi0/1"));
        assert_eq!(events[1].detail["to"], "lower_layer_down");
        assert_eq!(events[3].detail["chassis_id"], "cc");
        assert_eq!(events[4].interface.as_deref(), Some("Gi0/1"));
    }

    #[test]
    fn a_first_poll_reports_no_neighbour_as_new() {
        let mut now = state(100, vec![], vec![neighbour("Gi0/1", "aa")]);
        assert_eq!(compare(&LastPoll::default(), &mut now, None), []);
    }

    #[test]
    fn unreachable_once_per_outage() {
        let up = LastPoll {
            reachable: Some(true),
            ..LastPoll::default()
        };
        let down = LastPoll {
            reachable: Some(false),
            ..LastPoll::default()
        };
        assert_eq!(
            failed(&up, PollResult::Timeout, "no answer").unwrap().kind,
            StatusEventKind::Unreachable
        );
        assert_eq!(
            failed(&LastPoll::default(), PollResult::Timeout, "x")
                .unwrap()
                .kind,
            StatusEventKind::Unreachable
        );
        assert_eq!(failed(&down, PollResult::Timeout, "x"), None);
        assert_eq!(failed(&up, PollResult::AuthFailed, "x"), None);
    }
}
