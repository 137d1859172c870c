//! The collector against real OpenSSH servers whose login shell plays each platform's CLI
//! (`unet_collect::testing`): every platform, key and password login, paging, enable, and every
//! way a collection fails — each failure with its class and a message that names what happened.

use std::sync::Arc;
use std::time::Duration;

use unet_collect::testing::{Fleet, PLATFORMS};
use unet_collect::{
    Collected, Credential, Failure, HostKeys, Limits, Login, Program, SshSessions, Target,
    collect_command, collect_ssh, load_private_key,
};
use unet_core::{CollectionResult, Platform};

fn limits(total: Duration) -> Limits {
    Limits {
        connect: Duration::from_secs(5),
        total,
        max_bytes: 1 << 20,
    }
}

fn key_login(fleet: &Fleet) -> Login {
    Login {
        user: fleet.user().to_string(),
        credential: Credential::Key(load_private_key(fleet.key_file()).unwrap()),
        enable: None,
    }
}

fn target<'a>(fleet: &'a Fleet, device: usize, format: Option<&'a str>) -> Target<'a> {
    let d = &fleet.devices()[device];
    Target {
        node: &d.hostname,
        address: d.address,
        port: fleet.port(),
        platform: d.platform.parse::<Platform>().unwrap(),
        format,
    }
}

async fn collect(
    fleet: &Fleet,
    device: usize,
    login: &Login,
    host_keys: &HostKeys,
    total: Duration,
) -> Result<Collected, Failure> {
    collect_ssh(
        &target(fleet, device, None),
        login,
        host_keys,
        &limits(total),
    )
    .await
}

fn tofu() -> HostKeys {
    HostKeys::Pinned(None)
}

const IOS_BODY: &str = "! Last configuration change at 10:00:00 UTC Mon Dec 7 2026 by admin\n\
    hostname r1\n!\ninterface GigabitEthernet0/1\n description uplink\n ip address 10.0.0.1 255.255.255.0\n!\n";

#[tokio::test]
async fn every_platform_gives_its_configuration_between_its_markers() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(dir.path(), &PLATFORMS);
    let login = key_login(&fleet);
    for (i, platform) in PLATFORMS.iter().enumerate() {
        let collected = collect(&fleet, i, &login, &tofu(), Duration::from_secs(20))
            .await
            .unwrap_or_else(|e| panic!("{platform}: {e}"));
        let hostname = &fleet.devices()[i].hostname;
        let text = &collected.text;
        assert!(text.contains(hostname), "{platform}: {text}");
        // Headers before the start marker and the prompt after the output are not part of it.
        assert!(
            !text.contains("Building configuration"),
            "{platform}: {text}"
        );
        assert!(
            !text.contains("!Command:") && !text.contains("! Command:"),
            "{platform}: {text}"
        );
        assert!(
            !text.contains(&format!("{hostname}#")),
            "{platform}: {text}"
        );
        assert!(
            !text.contains('\r') && !text.contains('\u{1b}'),
            "{platform}: {text:?}"
        );
        assert_eq!(
            collected.host_key.as_deref(),
            Some(
                fleet
                    .host_key(i)
                    .split_whitespace()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .as_str()
            ),
            "{platform}"
        );
        match *platform {
            "cisco_ios" | "cisco_iosxr" | "arista_eos" => {
                assert!(text.ends_with("end\n"), "{platform}: {text}")
            }
            "juniper_junos" => assert!(text.starts_with("set system host-name"), "{text}"),
            _ => {}
        }
    }
    // IOS-XR keeps its `!! IOS XR Configuration` line, where its configuration starts.
    let xr = collect(&fleet, 2, &login, &tofu(), Duration::from_secs(20))
        .await
        .unwrap();
    assert!(
        xr.text.starts_with("!! IOS XR Configuration"),
        "{}",
        xr.text
    );
}

/// As the server collects: callers on a multi-threaded runtime, the sessions on their own
/// thread, many at once, each with its own device's configuration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_on_their_own_thread_collect_many_devices_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Arc::new(Fleet::start(dir.path(), &PLATFORMS));
    let login = Arc::new(key_login(&fleet));
    let sessions = Arc::new(SshSessions::start().unwrap());
    let mut running = tokio::task::JoinSet::new();
    for round in 0..3 {
        for i in 0..PLATFORMS.len() {
            let (fleet, login, sessions) = (fleet.clone(), login.clone(), sessions.clone());
            running.spawn(async move {
                let target = target(&fleet, i, None);
                let limits = limits(Duration::from_secs(30));
                let collected = sessions.collect(&target, &login, &tofu(), &limits).await;
                (round, i, collected)
            });
        }
    }
    let mut done = 0;
    while let Some(joined) = running.join_next().await {
        let (round, i, collected) = joined.unwrap();
        let collected = collected.unwrap_or_else(|e| panic!("round {round}, {i}: {e}"));
        let hostname = &fleet.devices()[i].hostname;
        assert!(
            collected.text.contains(hostname.as_str()),
            "{}",
            collected.text
        );
        done += 1;
    }
    assert_eq!(done, 3 * PLATFORMS.len());
}

#[tokio::test]
async fn junos_brace_form_paging_as_fallback_and_enable() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(dir.path(), &["juniper_junos", "cisco_ios", "cisco_ios"]);
    let login = key_login(&fleet);

    std::fs::write(
        fleet.devices()[0].dir.join("config.brace"),
        "system {\n    host-name mx1;\n}\n",
    )
    .unwrap();
    let brace = collect_ssh(
        &target(&fleet, 0, Some("brace")),
        &login,
        &tofu(),
        &limits(Duration::from_secs(20)),
    )
    .await
    .unwrap();
    assert!(brace.text.contains("host-name mx1;"), "{}", brace.text);
    let unknown = collect_ssh(
        &target(&fleet, 0, Some("xml")),
        &login,
        &tofu(),
        &limits(Duration::from_secs(20)),
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.kind, CollectionResult::OutputNotRecognised);
    assert!(
        unknown.message.contains("set, brace"),
        "{}",
        unknown.message
    );

    // 300 lines over pages of 24: the pager is answered and leaves no trace.
    let long: String = (0..300)
        .map(|i| format!("interface Loopback{i}\n"))
        .collect();
    fleet.set_config(1, &format!("hostname r1\n{long}"));
    fleet.set_behaviour(1, "page-length 24\nrefuse-terminal\n");
    // Paging off is refused by this device, so the pager shows.
    let paged = collect(&fleet, 1, &login, &tofu(), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        paged
            .text
            .lines()
            .filter(|l| l.starts_with("interface Loopback"))
            .count(),
        300
    );
    assert!(!paged.text.contains("More"), "{}", paged.text);

    fleet.set_behaviour(2, "enable s3cret\n");
    let no_secret = collect(&fleet, 2, &login, &tofu(), Duration::from_secs(20))
        .await
        .unwrap_err();
    assert_eq!(no_secret.kind, CollectionResult::AuthFailed);
    assert!(
        no_secret.message.contains("no enable secret"),
        "{}",
        no_secret.message
    );
    let wrong = Login {
        enable: Some("wrong".into()),
        ..login.clone()
    };
    let refused = collect(&fleet, 2, &wrong, &tofu(), Duration::from_secs(20))
        .await
        .unwrap_err();
    assert_eq!(refused.kind, CollectionResult::AuthFailed);
    assert!(
        !refused.message.contains("wrong"),
        "a secret in a message: {}",
        refused.message
    );
    let right = Login {
        enable: Some("s3cret".into()),
        ..login.clone()
    };
    let privileged = collect(&fleet, 2, &right, &tofu(), Duration::from_secs(20))
        .await
        .unwrap();
    assert!(
        privileged.text.contains("hostname dev2"),
        "{}",
        privileged.text
    );
}

#[tokio::test]
async fn password_login_and_a_wrong_password() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(dir.path(), &["cisco_ios"]);
    let Some(password) = fleet.password() else {
        eprintln!("password login needs root (the harness creates the device user); skipped");
        return;
    };
    let login = Login {
        user: fleet.user().to_string(),
        credential: Credential::Password(password.to_string()),
        enable: None,
    };
    fleet.set_config(0, IOS_BODY);
    let ok = collect(&fleet, 0, &login, &tofu(), Duration::from_secs(20))
        .await
        .unwrap();
    assert!(ok.text.contains("description uplink"), "{}", ok.text);

    let wrong = Login {
        credential: Credential::Password("not-the-password".into()),
        ..login
    };
    let failure = collect(&fleet, 0, &wrong, &tofu(), Duration::from_secs(20))
        .await
        .unwrap_err();
    assert_eq!(failure.kind, CollectionResult::AuthFailed);
    assert!(
        failure
            .message
            .contains(&format!("user `{}`", fleet.user())),
        "{}",
        failure.message
    );
    assert!(
        !failure.message.contains("not-the-password"),
        "{}",
        failure.message
    );
}

#[tokio::test]
async fn host_keys_pinned_listed_and_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mut fleet = Fleet::start(dir.path(), &["cisco_ios"]);
    let login = key_login(&fleet);
    let first = collect(&fleet, 0, &login, &tofu(), Duration::from_secs(20))
        .await
        .unwrap();
    let pinned = HostKeys::Pinned(first.host_key.clone());
    collect(&fleet, 0, &login, &pinned, Duration::from_secs(20))
        .await
        .unwrap();
    let known = dir.path().join("known_hosts");
    std::fs::write(&known, fleet.known_hosts()).unwrap();
    let listed = HostKeys::KnownHosts(known.clone());
    collect(&fleet, 0, &login, &listed, Duration::from_secs(20))
        .await
        .unwrap();

    fleet.replace_host_key(0);
    let changed = collect(&fleet, 0, &login, &pinned, Duration::from_secs(20))
        .await
        .unwrap_err();
    assert_eq!(changed.kind, CollectionResult::HostKeyMismatch);
    assert!(
        changed.message.contains("not the pinned SHA256:"),
        "{}",
        changed.message
    );
    let presented = changed.presented_key.unwrap();
    let words: Vec<&str> = fleet.host_key(0).split_whitespace().take(2).collect();
    assert_eq!(presented, words.join(" "));
    let unlisted = collect(&fleet, 0, &login, &listed, Duration::from_secs(20))
        .await
        .unwrap_err();
    assert_eq!(unlisted.kind, CollectionResult::HostKeyMismatch);
    assert!(
        unlisted.message.contains("known_hosts"),
        "{}",
        unlisted.message
    );
}

#[tokio::test]
async fn a_device_that_stops_or_cuts_its_output_short_gives_no_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(dir.path(), &["cisco_ios", "cisco_ios"]);
    let login = key_login(&fleet);
    fleet.set_config(0, IOS_BODY);
    fleet.set_behaviour(0, "hang-after 5\n");
    let started = std::time::Instant::now();
    let hung = collect(&fleet, 0, &login, &tofu(), Duration::from_secs(4))
        .await
        .unwrap_err();
    assert_eq!(hung.kind, CollectionResult::Timeout);
    assert!(
        hung.message.contains("show running-config"),
        "{}",
        hung.message
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    fleet.set_config(1, IOS_BODY);
    fleet.set_behaviour(1, "truncate-after 6\n");
    let cut = collect(&fleet, 1, &login, &tofu(), Duration::from_secs(20))
        .await
        .unwrap_err();
    assert_eq!(cut.kind, CollectionResult::OutputNotRecognised);
    assert!(
        cut.message.contains("does not end with `end`"),
        "{}",
        cut.message
    );
}

#[tokio::test]
async fn unreachable_devices_and_refused_keys_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(dir.path(), &["cisco_ios"]);
    // Nothing listens on this port of the device's address.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = Target {
        port: closed,
        ..target(&fleet, 0, None)
    };
    let unreachable = collect_ssh(
        &nowhere,
        &key_login(&fleet),
        &tofu(),
        &limits(Duration::from_secs(5)),
    )
    .await
    .unwrap_err();
    assert_eq!(unreachable.kind, CollectionResult::Unreachable);
    assert!(
        unreachable.message.contains(&format!(":{closed}")),
        "{}",
        unreachable.message
    );

    let other_key = dir.path().join("other");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other_key)
        .status()
        .unwrap();
    assert!(status.success());
    let stranger = Login {
        credential: Credential::Key(load_private_key(&other_key).unwrap()),
        ..key_login(&fleet)
    };
    let refused = collect(&fleet, 0, &stranger, &tofu(), Duration::from_secs(20))
        .await
        .unwrap_err();
    assert_eq!(refused.kind, CollectionResult::AuthFailed);
    assert!(
        load_private_key(&dir.path().join("missing"))
            .unwrap_err()
            .contains("missing")
    );
}

#[tokio::test]
async fn a_program_prints_the_configuration_of_the_node_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("fetch.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nif [ \"$1\" = fail ]; then echo 'bastion refused us' >&2; exit 3; fi\n\
         printf 'hostname %s\\n! %s %s %s\\n' \"$UNET_NODE_NAME\" \"$UNET_NODE_ADDRESS\" \"$UNET_NODE_PORT\" \"$UNET_NODE_PLATFORM\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let node = Target {
        node: "edge-1",
        address: "192.0.2.10".parse().unwrap(),
        port: 22,
        platform: Platform::CiscoIos,
        format: None,
    };
    let program = Program {
        path: script.clone(),
        args: vec![],
    };
    let collected = collect_command(&program, &node, &limits(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(
        collected.text,
        "hostname edge-1\n! 192.0.2.10 22 cisco_ios\n"
    );
    assert_eq!(collected.host_key, None);

    let failing = Program {
        path: script,
        args: vec!["fail".into()],
    };
    let failure = collect_command(&failing, &node, &limits(Duration::from_secs(10)))
        .await
        .unwrap_err();
    assert_eq!(failure.kind, CollectionResult::CommandFailed);
    assert!(
        failure.message.contains("bastion refused us"),
        "{}",
        failure.message
    );

    let slow = Program {
        path: "/bin/sleep".into(),
        args: vec!["30".into()],
    };
    let failure = collect_command(&slow, &node, &limits(Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert_eq!(failure.kind, CollectionResult::Timeout);
}
