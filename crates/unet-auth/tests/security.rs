//! The security service on both backends: lockout, revocation, policy, events, and no secret
//! in the database in clear.

use serde_json::json;
use unet_auth::{AuthError, Client, Role, Security, SecurityPolicy, UserUpdate};
use unet_store::Store;
use unet_store::testing::for_each_backend;
use unet_store::testing_dump::text_cells;

const PASSWORD: &str = "correct horse battery";

fn client() -> Client {
    Client {
        source_ip: Some("192.0.2.7".to_string()),
        user_agent: Some("tests/1.0".to_string()),
    }
}

async fn security_with_user(store: Store) -> Security {
    let security = Security::load(store).await.unwrap();
    security
        .create_user("alice", PASSWORD, &[Role::Operator], "test", &client())
        .await
        .unwrap();
    security
}

/// Every text cell of the security tables, for grepping secrets.
async fn dump(store: &Store) -> String {
    text_cells(
        store,
        &[
            "users",
            "sessions",
            "api_keys",
            "security_events",
            "security_policies",
            "login_failures",
        ],
    )
    .await
}

fn client_at(ip: &str) -> Client {
    Client {
        source_ip: Some(ip.to_string()),
        user_agent: Some("tests/1.0".to_string()),
    }
}

/// Lockout is per (account, source address): the address that guessed is locked out of the
/// account, even with the right password, while the owner logs in from elsewhere; unknown
/// names lock out alike, so the answers do not tell which accounts exist; everything is
/// recorded.
#[tokio::test]
async fn brute_force_locks_out_the_guessing_address_not_the_account() {
    for_each_backend(|store| async move {
        let security = security_with_user(store.clone()).await;
        let attacker = client();
        let owner = client_at("198.51.100.20");
        let threshold = security.policy().lockout_threshold;
        for _ in 0..threshold {
            let err = security
                .login("alice", "wrong password!", &attacker)
                .await
                .unwrap_err();
            assert!(matches!(err, AuthError::InvalidCredentials), "{err}");
        }
        // Locked out from this address: even the right password is refused, unchecked.
        let err = security
            .login("alice", PASSWORD, &attacker)
            .await
            .unwrap_err();
        assert!(
            matches!(err, AuthError::RateLimited { retry_after_secs } if (1..=900).contains(&retry_after_secs)),
            "{err}"
        );
        // The owner, elsewhere, is not locked out; the attacker's address stays locked out.
        security.login("alice", PASSWORD, &owner).await.unwrap();
        let err = security
            .login("alice", PASSWORD, &attacker)
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::RateLimited { .. }), "{err}");

        let lockouts = store
            .security_events(Some("lockout"), None, 10)
            .await
            .unwrap();
        assert_eq!(lockouts.len(), 1);
        assert_eq!(lockouts[0].username.as_deref(), Some("alice"));
        assert_eq!(lockouts[0].source_ip.as_deref(), Some("192.0.2.7"));
        assert_eq!(lockouts[0].detail["source"], "192.0.2.7");
        assert_eq!(lockouts[0].detail["failed_logins"], threshold);
        let failures = store
            .security_events(Some("auth_failure"), None, 50)
            .await
            .unwrap();
        assert_eq!(failures.len() as u32, threshold);
        assert!(
            failures
                .iter()
                .all(|e| e.detail == json!({"reason": "wrong password"})
                    && e.source_ip.as_deref() == Some("192.0.2.7"))
        );
        let refused = store
            .security_events(Some("rate_limited"), None, 10)
            .await
            .unwrap();
        assert_eq!(refused.len(), 2);
        assert_eq!(refused[0].detail["reason"], "login lockout");
        assert_eq!(refused[0].source_ip.as_deref(), Some("192.0.2.7"));
        let success = &store
            .security_events(Some("auth_success"), None, 1)
            .await
            .unwrap()[0];
        assert_eq!(success.source_ip.as_deref(), Some("198.51.100.20"));

        // Unknown users get the same answers, lockout included, and are recorded too.
        for _ in 0..threshold {
            let err = security
                .login("mallory", PASSWORD, &attacker)
                .await
                .unwrap_err();
            assert!(matches!(err, AuthError::InvalidCredentials), "{err}");
        }
        let err = security
            .login("mallory", PASSWORD, &attacker)
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::RateLimited { .. }), "{err}");
        let latest = &store
            .security_events(Some("auth_failure"), None, 1)
            .await
            .unwrap()[0];
        assert_eq!(latest.detail, json!({"reason": "unknown user"}));
        let summary = security
            .audit_summary(std::time::Duration::from_secs(3600))
            .await
            .unwrap();
        // Two lockouts; one of an account that exists.
        assert_eq!((summary.lockouts, summary.locked_accounts), (2, 1));

        // An admin re-enabling the account lifts its lockouts, from every address.
        security
            .update_user(
                "alice",
                UserUpdate {
                    disabled: Some(false),
                    ..UserUpdate::default()
                },
                "root",
                &owner,
            )
            .await
            .unwrap();
        security.login("alice", PASSWORD, &attacker).await.unwrap();
    })
    .await;
}

/// Failures count per address, and a success from an address forgets only that address's.
#[tokio::test]
async fn failures_from_other_addresses_do_not_add_up() {
    for_each_backend(|store| async move {
        let security = security_with_user(store.clone()).await;
        let threshold = security.policy().lockout_threshold;
        let first = client();
        let second = client_at("198.51.100.20");
        for _ in 1..threshold {
            for c in [&first, &second] {
                let err = security
                    .login("alice", "wrong password!", c)
                    .await
                    .unwrap_err();
                assert!(matches!(err, AuthError::InvalidCredentials), "{err}");
            }
        }
        security.login("alice", PASSWORD, &second).await.unwrap();
        // The second address starts again; the first one is one failure from its lockout.
        security
            .login("alice", "wrong password!", &second)
            .await
            .unwrap_err();
        security.login("alice", PASSWORD, &second).await.unwrap();
        security
            .login("alice", "wrong password!", &first)
            .await
            .unwrap_err();
        let err = security.login("alice", PASSWORD, &first).await.unwrap_err();
        assert!(matches!(err, AuthError::RateLimited { .. }), "{err}");
        assert_eq!(
            store
                .security_events(Some("lockout"), None, 10)
                .await
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn logout_disable_password_change_and_key_revocation_take_effect_at_once() {
    for_each_backend(|store| async move {
        let security = security_with_user(store.clone()).await;
        let c = client();
        let session = security.login("alice", PASSWORD, &c).await.unwrap();
        let me = security.authenticate(&session.token, &c).await.unwrap();
        assert_eq!(
            (me.name.as_str(), me.roles.as_slice()),
            ("alice", &[Role::Operator][..])
        );
        security.logout(&session.token, "alice", &c).await.unwrap();
        assert!(security.authenticate(&session.token, &c).await.is_err());

        let session = security.login("alice", PASSWORD, &c).await.unwrap();
        let disable = UserUpdate {
            disabled: Some(true),
            ..UserUpdate::default()
        };
        security
            .update_user("alice", disable, "root", &c)
            .await
            .unwrap();
        assert!(security.authenticate(&session.token, &c).await.is_err());
        let enable = UserUpdate {
            disabled: Some(false),
            ..UserUpdate::default()
        };
        security
            .update_user("alice", enable, "root", &c)
            .await
            .unwrap();

        let session = security.login("alice", PASSWORD, &c).await.unwrap();
        let change = UserUpdate {
            password: Some("another long password".into()),
            ..UserUpdate::default()
        };
        security
            .update_user("alice", change, "root", &c)
            .await
            .unwrap();
        assert!(security.authenticate(&session.token, &c).await.is_err());

        let key = security
            .create_api_key("ci", &[Role::Viewer], 30, "alice", &[Role::Operator], &c)
            .await
            .unwrap();
        assert!(key.secret.starts_with("unet_"));
        let who = security.authenticate(&key.secret, &c).await.unwrap();
        assert_eq!(who.name, "key:ci");
        security.flush_key_uses().await.unwrap();
        let listed = security.list_api_keys().await.unwrap();
        assert!(listed[0].last_used.is_some());
        security
            .revoke_api_key(key.key.id, "alice", &c)
            .await
            .unwrap();
        assert!(security.authenticate(&key.secret, &c).await.is_err());

        // A key may not exceed its creator's roles nor the policy's lifetime.
        assert!(matches!(
            security
                .create_api_key("x", &[Role::Admin], 30, "alice", &[Role::Operator], &c)
                .await,
            Err(AuthError::Forbidden(_))
        ));
        assert!(matches!(
            security
                .create_api_key("x", &[Role::Viewer], 366, "alice", &[Role::Operator], &c)
                .await,
            Err(AuthError::Invalid { .. })
        ));
        let reasons: Vec<_> = store
            .security_events(Some("auth_failure"), None, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.detail["reason"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(
            reasons,
            [
                "revoked API key",
                "unknown or revoked token",
                "unknown or revoked token",
                "unknown or revoked token"
            ]
        );

        let dumped = dump(&store).await;
        for secret in [
            PASSWORD,
            "another long password",
            &session.token,
            &key.secret,
        ] {
            assert!(!dumped.contains(secret), "a secret is stored in clear");
        }
    })
    .await;
}

#[tokio::test]
async fn expired_keys_are_refused_and_policies_validated_and_audited() {
    for_each_backend(|store| async move {
        let security = security_with_user(store.clone()).await;
        let c = client();
        let key = security
            .create_api_key("old", &[Role::Viewer], 1, "alice", &[Role::Operator], &c)
            .await
            .unwrap();
        sqlx::query("UPDATE api_keys SET expires = '2020-01-01T00:00:00.000000Z'")
            .execute(store.pool())
            .await
            .unwrap();
        let err = security.authenticate(&key.secret, &c).await.unwrap_err();
        assert_eq!(err.to_string(), "expired API key");

        let bad = SecurityPolicy {
            session_ttl_secs: 5,
            ..SecurityPolicy::default()
        };
        let err = security.set_policy(bad, "root", &c).await.unwrap_err();
        assert!(err.to_string().starts_with("session_ttl_secs:"), "{err}");
        let tighter = SecurityPolicy {
            lockout_threshold: 2,
            ..SecurityPolicy::default()
        };
        security.set_policy(tighter, "root", &c).await.unwrap();
        assert_eq!(security.policy().lockout_threshold, 2);
        // Stored: a second server (a fresh load) sees it.
        let other = Security::load(store.clone()).await.unwrap();
        assert_eq!(other.policy(), tighter);
        let changes = store
            .security_events(Some("policy_change"), None, 10)
            .await
            .unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].detail["policy"]["lockout_threshold"], 2);
    })
    .await;
}

#[tokio::test]
async fn login_rate_limit_per_address() {
    for_each_backend(|store| async move {
        let security = security_with_user(store.clone()).await;
        let policy = SecurityPolicy {
            login_rate_limit_per_minute: 2,
            ..SecurityPolicy::default()
        };
        security
            .set_policy(policy, "root", &client())
            .await
            .unwrap();
        security.login("alice", PASSWORD, &client()).await.unwrap();
        security.login("alice", PASSWORD, &client()).await.unwrap();
        let err = security
            .login("alice", PASSWORD, &client())
            .await
            .unwrap_err();
        assert!(
            matches!(err, AuthError::RateLimited { retry_after_secs } if retry_after_secs >= 1)
        );
        let other = Client {
            source_ip: Some("192.0.2.8".into()),
            user_agent: None,
        };
        security.login("alice", PASSWORD, &other).await.unwrap();
        assert_eq!(
            store
                .security_events(Some("rate_limited"), None, 10)
                .await
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn bootstrap_writes_a_private_password_file_once() {
    for_each_backend(|store| async move {
        let dir = tempfile::tempdir().unwrap();
        let security = Security::load(store.clone()).await.unwrap();
        let path = security.bootstrap_admin(dir.path()).await.unwrap().unwrap();
        let password = std::fs::read_to_string(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let session = security
            .login("admin", password.trim(), &client())
            .await
            .unwrap();
        let me = security
            .authenticate(&session.token, &client())
            .await
            .unwrap();
        assert_eq!(me.roles, [Role::Admin]);
        assert!(
            security
                .bootstrap_admin(dir.path())
                .await
                .unwrap()
                .is_none()
        );
        assert!(!dump(&store).await.contains(password.trim()));
    })
    .await;
}
